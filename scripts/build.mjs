// `npm run build` (and `prepack`): tsc, then rollup, into a fresh folder under .tmp/, then swap the
// result in for build/ and dist/. A running `npm start` serves dist/ to the playground: deleting it
// first (as `rm -rf dist && tsc && rollup` did) made the page's script 404 for the whole build.
// A failed build leaves the old dist/ untouched.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stage = join(root, '.tmp', `build-${process.pid}-${Date.now()}`);
const quiet = process.argv.includes('--quiet');

function fail(message) {
  rmSync(stage, { recursive: true, force: true });
  console.error(`build: ${message}`);
  process.exit(1);
}

mkdirSync(stage, { recursive: true });
const tsc = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(root, 'tsconfig.json'),
    '--outDir',
    join(stage, 'build'),
    '--declarationDir',
    join(stage, 'dist', 'types'),
  ],
  { cwd: root, stdio: 'inherit' },
);
if (tsc.status !== 0) fail('tsc reported errors (see above); dist/ was left as it was');

// The rollup config reads these when it is imported.
process.env.MMD_BUILD_DIR = join(stage, 'build');
process.env.MMD_DIST_DIR = join(stage, 'dist');
const { rollup } = await import('rollup');
const configs = (await import(`${pathToFileURL(join(root, 'rollup.config.mjs')).href}?t=${Date.now()}`)).default;
try {
  for (const config of [configs].flat()) {
    const bundle = await rollup({ ...config, onwarn: config.onwarn ?? ((w, warn) => warn(w)) });
    for (const output of [config.output].flat()) await bundle.write(output);
    await bundle.close();
  }
} catch (err) {
  fail(`rollup: ${err instanceof Error ? err.message : String(err)}; dist/ was left as it was`);
}

/** Puts `from` where `to` is, keeping the old one until the new one is in place. */
function swap(from, to) {
  const old = join(stage, `old-${basename(to)}`);
  for (let attempt = 0; ; attempt++) {
    try {
      if (existsSync(to)) renameSync(to, old);
      renameSync(from, to);
      return;
    } catch (err) {
      // Windows refuses to rename a folder with a file open in it: retry, then copy over in place.
      if (existsSync(old) && !existsSync(to)) renameSync(old, to);
      if (attempt < 10) {
        spawnSync(process.execPath, ['-e', 'setTimeout(() => {}, 100)']);
        continue;
      }
      if (!quiet) console.warn(`build: could not swap ${to} (${err.code}); copying over it instead`);
      cpSync(from, to, { recursive: true, force: true });
      return;
    }
  }
}

swap(join(stage, 'build'), join(root, 'build'));
swap(join(stage, 'dist'), join(root, 'dist'));
rmSync(stage, { recursive: true, force: true });
if (!quiet) console.log('build: dist/ updated');

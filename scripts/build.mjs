// `npm run build` (and `prepack`, `prepare`): tsc, then rollup, into a fresh folder under .tmp/, then swap the
// result in for build/ and dist/ (scripts/swap-dir.mjs). A running `npm start` serves dist/ to the
// playground: deleting it first (as `rm -rf dist && tsc && rollup` did) made the page's script 404
// for the whole build.
// A failed build leaves the old dist/ untouched.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { swapDir } from './swap-dir.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const stage = join(root, '.tmp', `build-${process.pid}-${Date.now()}`);
const quiet = process.argv.includes('--quiet');

// `prepare` (npm runs it on a local `npm install` and, alone of all scripts, when it installs the
// package from git): build only when there is no build yet. `prepack` always builds.
if (process.argv.includes('--if-missing')) {
  if (existsSync(join(root, 'dist', 'index.js'))) process.exit(0);
  if (!existsSync(join(root, 'node_modules', 'typescript', 'bin', 'tsc'))) {
    console.warn('build: skipped, the dev dependencies are not installed (run npm install)');
    process.exit(0);
  }
}

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

const warn = quiet ? undefined : (message) => console.warn(`build: ${message}`);
for (const name of ['build', 'dist']) {
  mkdirSync(join(stage, `old-${name}`));
  swapDir(join(stage, name), join(root, name), join(stage, `old-${name}`), warn);
}
rmSync(stage, { recursive: true, force: true });
if (!quiet) console.log('build: dist/ updated');

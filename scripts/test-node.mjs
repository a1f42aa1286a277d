// Runs every test/*.test.ts file in Node's test runner through tsx (except *.browser.test.ts,
// which need a page and run only under @web/test-runner).
// A script rather than a shell glob so that `npm test` works in cmd.exe as well.
// Extra arguments are file-name filters: `npm run test:node -- line message`.
//
// The console gets a summary (scripts/test-reporter.mjs: a line per file, failures in full); the
// full TAP goes to .tmp/test-node.tap. The pack tests (test/pack*.test.ts) share one packed and
// installed copy of the package (test/support/pack-app.ts), made here once and removed at the end.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'test'))
  .filter((f) => f.endsWith('.test.ts') && !f.endsWith('.browser.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => join('test', f));
if (files.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}

const env = { ...process.env };
let packDir;
if (files.some((f) => /[\\/]pack[^\\/]*\.test\.ts$/.test(f))) {
  packDir = mkdtempSync(join(tmpdir(), 'mmd-pack-'));
  const made = spawnSync(process.execPath, ['--import', 'tsx', join('test', 'support', 'pack-app.ts'), packDir], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // On failure each pack test file makes its own attempt and reports the error as a failing test.
  if (made.status === 0) env.MMD_PACKED_APP = packDir;
  else console.error('test-node: packing the package for the pack tests failed (see above)');
}

mkdirSync(join(root, '.tmp'), { recursive: true });
const tap = join(root, '.tmp', 'test-node.tap');
env.MMD_TAP_FILE = '.tmp/test-node.tap';
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    `--test-reporter=${pathToFileURL(join(root, 'scripts', 'test-reporter.mjs')).href}`,
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env },
);
if (packDir) rmSync(packDir, { recursive: true, force: true });
process.exit(result.status ?? 1);

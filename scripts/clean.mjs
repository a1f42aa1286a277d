// `npm run clean`: a cross-platform `rm -rf build dist .tmp` (npm scripts must run on Windows too).
// The build itself never deletes dist/ (scripts/build.mjs swaps a finished one in).
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
for (const dir of ['build', 'dist', '.tmp']) {
  rmSync(fileURLToPath(new URL(`../${dir}`, import.meta.url)), { recursive: true, force: true });
}

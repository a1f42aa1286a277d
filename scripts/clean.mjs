// Cross-platform `rm -rf build dist` (npm scripts must run on Windows too).
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
for (const dir of ['build', 'dist']) {
  rmSync(fileURLToPath(new URL(`../${dir}`, import.meta.url)), { recursive: true, force: true });
}

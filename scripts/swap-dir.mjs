// Puts a freshly built folder in place of the old one for scripts/build.mjs, so that a running
// `npm start` keeps serving dist/ throughout: every top-level file is replaced by one rename (atomic:
// a reader sees the old file or the new one, never none), subfolders are moved aside and the new
// ones moved in, and what the new build no longer has is removed last. Only the moves touch `to`;
// nothing is deleted before its replacement is there.
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Windows refuses to rename over a file someone has open: retry a few times, then copy. */
function move(from, to, warn) {
  for (let attempt = 0; ; attempt++) {
    try {
      renameSync(from, to);
      return;
    } catch (err) {
      if (attempt < 10 && (err.code === 'EPERM' || err.code === 'EBUSY' || err.code === 'EACCES')) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        continue;
      }
      if (existsSync(to) && statSync(from).isDirectory() !== statSync(to).isDirectory()) throw err;
      warn?.(`could not move ${from} to ${to} (${err.code}); copying instead`);
      cpSync(from, to, { recursive: true, force: true });
      return;
    }
  }
}

/**
 * Moves the contents of `from` into `to` (made if missing); `parking` is an empty folder on the
 * same file system for what `to` had before. `from` and `parking` are left to the caller to remove.
 */
export function swapDir(from, to, parking, warn) {
  if (!existsSync(to)) {
    move(from, to, warn);
    return;
  }
  const fresh = new Set(readdirSync(from));
  for (const name of fresh) {
    const source = join(from, name);
    const target = join(to, name);
    if (statSync(source).isDirectory()) {
      if (existsSync(target)) move(target, join(parking, name), warn);
      move(source, target, warn);
    } else {
      if (existsSync(target) && statSync(target).isDirectory()) move(target, join(parking, name), warn);
      move(source, target, warn);
    }
  }
  for (const name of readdirSync(to)) {
    if (!fresh.has(name)) move(join(to, name), join(parking, name), warn);
  }
  rmSync(parking, { recursive: true, force: true });
}

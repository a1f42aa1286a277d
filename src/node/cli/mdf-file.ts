// The .mdf file on disk, for `mdf lint|get|set|delete`: bounded reads, and edits that either land
// whole or not at all. An edit takes a lock file (created with O_EXCL) for its read-modify-write,
// so concurrent `mdf set`s each keep their key, and writes a temporary file in the same folder,
// flushes it and renames it over the original, so a write cut short (full disk, file-size limit)
// leaves the original as it was.
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { link, lstat, open, readFile, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { MmdError } from '../../errors.js';

/**
 * The largest file `mdf` reads. MMDAgent-EX reads a line as at most 2047 bytes (mdf.md), and its
 * system and content .mdf files are a few KiB; 1 MiB is far beyond any real one, and small
 * enough that `mdf lint /dev/zero` or a mistaken video file cannot eat the machine's memory.
 */
export const MDF_MAX_BYTES = 1024 * 1024;

export interface EditOptions {
  /** How long to wait for another edit's lock (default 10 s). */
  lockTimeoutMs?: number;
}

function fileError(message: string, cause: unknown): MmdError {
  return new MmdError('ERR_FILE', `${message}: ${(cause as Error).message}`, { cause });
}

function checkRegular(file: string, st: Stats): void {
  if (!st.isFile()) {
    throw new MmdError(
      'ERR_FILE_REFUSED',
      `${file} is not a regular file (a device, pipe or folder); give the path of an .mdf file`,
    );
  }
  if (st.size > MDF_MAX_BYTES) {
    throw new MmdError(
      'ERR_FILE_REFUSED',
      `${file} is ${st.size} bytes, larger than any .mdf (limit ${MDF_MAX_BYTES}); check that it is the right file`,
    );
  }
}

/** The file's bytes, refusing anything but a regular file of at most MDF_MAX_BYTES. */
export async function readMdfBytes(file: string): Promise<Uint8Array> {
  // stat before open: opening a FIFO for reading would block until someone writes to it.
  let st: Stats;
  try {
    st = await stat(file);
  } catch (cause) {
    throw fileError(`cannot read ${file}; check the path`, cause);
  }
  checkRegular(file, st);
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY);
  } catch (cause) {
    throw fileError(`cannot read ${file}; check the path`, cause);
  }
  try {
    checkRegular(file, await fh.stat()); // it may have been replaced since
    // One byte more than allowed tells a file that grew past the bound while being read.
    const buffer = Buffer.alloc(MDF_MAX_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MDF_MAX_BYTES) {
        throw new MmdError('ERR_FILE_REFUSED', `${file} grew beyond ${MDF_MAX_BYTES} bytes while being read`);
      }
    }
    return buffer.subarray(0, length);
  } catch (cause) {
    if (cause instanceof MmdError) throw cause;
    throw fileError(`cannot read ${file}`, cause);
  } finally {
    await fh.close();
  }
}

/**
 * Runs `edit` on the file's bytes under the file's lock and replaces the file with what it
 * returns (nothing when it returns undefined). The mode, and where allowed the owner, stay.
 */
export async function editMdfFile(
  file: string,
  edit: (bytes: Uint8Array) => Uint8Array | undefined | Promise<Uint8Array | undefined>,
  options: EditOptions = {},
): Promise<void> {
  // A symbolic link stays one: its target is what gets replaced.
  let target: string;
  try {
    target = await realpath(file);
  } catch (cause) {
    throw fileError(`cannot read ${file}; check the path`, cause);
  }
  const release = await lock(target, options.lockTimeoutMs ?? 10_000);
  try {
    const next = await edit(await readMdfBytes(target));
    if (next !== undefined) await replaceFile(target, next);
  } finally {
    await release();
  }
}

async function replaceFile(target: string, bytes: Uint8Array): Promise<void> {
  const original = await stat(target);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, original.mode & 0o7777);
    try {
      await fh.writeFile(bytes);
      await fh.chmod(original.mode & 0o7777); // the umask may have narrowed it
      if (process.platform !== 'win32') await fh.chown(original.uid, original.gid).catch(() => undefined);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameOver(temp, target);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw fileError(
      `cannot write ${target}; it is unchanged (check the free space and that the folder is writable)`,
      cause,
    );
  }
  await syncFolder(dirname(target));
}

/** Windows refuses a rename over a file another program has open for a moment (antivirus, indexer). */
async function renameOver(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await rename(from, to);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (process.platform !== 'win32' || attempt >= 20 || !['EPERM', 'EACCES', 'EBUSY'].includes(code ?? '')) {
        throw err;
      }
      await sleep(25 + attempt * 10);
    }
  }
}

/** The rename itself is durable only once the folder is flushed (POSIX; Windows cannot open a folder). */
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(folder, constants.O_RDONLY).catch(() => undefined);
  await fh
    ?.sync()
    .catch(() => undefined)
    .finally(() => fh.close());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `<file>.lock`, created with O_EXCL, holding "pid@host". A lock whose process is gone (same host)
 * is taken over; otherwise the wait ends after `timeoutMs` with ERR_FILE_LOCKED.
 */
async function lock(target: string, timeoutMs: number): Promise<() => Promise<void>> {
  const lockPath = `${target}.lock`;
  const owner = `${process.pid}@${hostname()}`;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      await fh.writeFile(owner).finally(() => fh.close());
      return () => unlink(lockPath).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw fileError(`cannot create the lock file ${lockPath}; check that the folder is writable`, err);
      }
    }
    if (await removeIfAbandoned(lockPath)) continue;
    if (Date.now() >= deadline) {
      throw new MmdError(
        'ERR_FILE_LOCKED',
        `${target} is being edited by another mdf set/delete (lock file ${lockPath}); ` +
          'try again, or delete the lock file if no edit is running',
      );
    }
    await sleep(5 + Math.random() * Math.min(100, 5 * 2 ** Math.min(attempt, 5)));
  }
}

/** True when the lock was left by a process of this host that no longer runs, and is now gone. */
async function removeIfAbandoned(lockPath: string): Promise<boolean> {
  const content = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (content === undefined) return false; // gone already: try again
  const m = /^(\d+)@(.*)$/s.exec(content);
  if (m) {
    if (m[2] !== hostname() || processRuns(Number(m[1]))) return false;
  } else {
    // Empty: its owner is between creating and writing it, or crashed there long ago.
    const st = await lstat(lockPath).catch(() => undefined);
    if (!st || Date.now() - st.mtimeMs < 30_000) return false;
  }
  // Move it aside before deleting it, and put it back if it was not the abandoned one after all.
  const aside = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(lockPath, aside);
  } catch {
    return false;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== content) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return moved === content;
}

function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

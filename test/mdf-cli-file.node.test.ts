// The .mdf file on disk (src/node/cli/mdf-file.ts): `mdf set` and `delete` land whole or not at
// all, concurrent edits keep every key, and `mdf lint` reads bounded input (issue 13, "Files").
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMdfCli } from '../src/node/cli/mdf.js';
import { MDF_MAX_BYTES, editMdfFile, readMdfBytes } from '../src/node/cli/mdf-file.js';
import { after, before, describe, it, skipIf } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliMain = join(root, 'src', 'node', 'cli.ts');
let dir = '';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runMdfCli(args, { out: (s) => void out.push(s), err: (s) => void err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The CLI as a real process; `limitKiB` runs it under bash's `ulimit -f` (Linux, macOS). */
function runProcess(args: string[], limitKiB?: number): Promise<{ code: number | null; output: string }> {
  const node = [process.execPath, '--import', 'tsx', cliMain, ...args];
  const quoted = node.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child =
    limitKiB === undefined
      ? spawn(node[0], node.slice(1), { cwd: root })
      : // TSX_DISABLE_CACHE: the loader's cache writes must not be what hits the limit.
        spawn('bash', ['-c', `ulimit -f ${limitKiB}; exec ${quoted}`], {
          cwd: root,
          env: { ...process.env, TSX_DISABLE_CACHE: '1' },
        });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('mdf set/delete: atomic, locked edits', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdf-file-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('8 concurrent sets in one process keep all 8 keys (bug: read-modify-write races lost 1 of 8)', async () => {
    const path = join(dir, 'concurrent.mdf');
    writeFileSync(path, '# shared\r\nbase=1\r\n');
    const codes = await Promise.all(Array.from({ length: 8 }, (_, i) => run('set', path, `key${i}`, String(i))));
    expect(codes.map((c) => c.code)).to.deep.equal(Array(8).fill(0));
    const text = readFileSync(path, 'utf8');
    for (let i = 0; i < 8; i++) expect(text).to.contain(`key${i}=${i}\r\n`);
    expect(text.startsWith('# shared\r\nbase=1\r\n')).to.equal(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('concurrent.mdf.') || f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('8 concurrent `mdf set` processes keep all 8 keys', async () => {
    const path = join(dir, 'processes.mdf');
    writeFileSync(path, 'base=1\n');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => runProcess(['mdf', 'set', path, `p${i}`, `${i}`])),
    );
    expect(
      results.map((r) => r.code),
      results.map((r) => r.output).join('\n'),
    ).to.deep.equal(Array(8).fill(0));
    const text = readFileSync(path, 'utf8');
    for (let i = 0; i < 8; i++) expect(text).to.contain(`p${i}=${i}\n`);
  });

  skipIf(process.platform === 'win32', 'ulimit -f needs a POSIX shell')(
    'a write cut short by a file-size limit leaves the original intact (bug: 11,636 bytes became 4,096)',
    async () => {
      const path = join(dir, 'limited.mdf');
      const lines = Array.from({ length: 4000 }, (_, i) => `# comment line ${i} of a long content file`);
      const original = `${lines.join('\r\n')}\r\nPlugin_Remote_Websocket_Port=9001\r\n`;
      writeFileSync(path, original);
      expect(original.length).to.be.above(96 * 1024);
      const r = await runProcess(['mdf', 'set', path, 'Plugin_Remote_Websocket_Port', '9002'], 64);
      expect(r.code, r.output).to.equal(1);
      expect(r.output).to.match(/ERR_FILE: cannot write .*it is unchanged/);
      expect(readFileSync(path, 'utf8')).to.equal(original);
      expect(readdirSync(dir).filter((f) => f.includes('limited.mdf.'))).to.deep.equal([]);
    },
  );

  skipIf(process.platform === 'win32', 'POSIX file modes')('keeps the file mode and CRLF line endings', async () => {
    const path = join(dir, 'mode.mdf');
    writeFileSync(path, 'a=1\r\nb=2\r\n');
    chmodSync(path, 0o600);
    expect((await run('set', path, 'a', '3')).code).to.equal(0);
    expect((await run('delete', path, 'b')).code).to.equal(0);
    expect(readFileSync(path, 'utf8')).to.equal('a=3\r\n');
    expect(statSync(path).mode & 0o777).to.equal(0o600);
  });

  it('a lock held by a running edit makes the next one wait; it times out with ERR_FILE_LOCKED', async () => {
    const path = join(dir, 'held.mdf');
    writeFileSync(path, 'a=1\n');
    let release!: () => void;
    const held = editMdfFile(path, () => new Promise<undefined>((resolve) => (release = () => resolve(undefined))));
    await new Promise((r) => setTimeout(r, 20));
    const refused = await editMdfFile(path, () => new Uint8Array(), { lockTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(refused).to.include({ code: 'ERR_FILE_LOCKED' });
    expect((refused as Error).message).to.contain('held.mdf.lock');
    release();
    await held;
    expect(existsSync(`${path}.lock`)).to.equal(false);
    expect(readFileSync(path, 'utf8')).to.equal('a=1\n');
  });

  it('a lock left by a process that no longer runs is taken over', async () => {
    const path = join(dir, 'abandoned.mdf');
    writeFileSync(path, 'a=1\n');
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.on('exit', r)); // a pid that has just exited
    writeFileSync(`${path}.lock`, `${child.pid}@${(await import('node:os')).hostname()}`);
    expect((await run('set', path, 'a', '2')).code).to.equal(0);
    expect(readFileSync(path, 'utf8')).to.equal('a=2\n');
    expect(existsSync(`${path}.lock`)).to.equal(false);
  });
});

describe('mdf lint: bounded input', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdf-file-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  skipIf(!existsSync('/dev/zero'), 'no /dev/zero')(
    'refuses /dev/zero at once with ERR_FILE_REFUSED (bug: grew to 2.3 GB in 15 s)',
    async () => {
      const started = performance.now();
      const r = await run('lint', '/dev/zero');
      expect(r.code).to.equal(1);
      expect(r.err).to.match(/ERR_FILE_REFUSED: \/dev\/zero is not a regular file/);
      expect(r.out).to.equal('1 file: 0 errors, 0 warnings, 1 not read');
      expect(performance.now() - started).to.be.below(1000);
    },
  );

  it('refuses a folder and a file over MDF_MAX_BYTES (1 MiB): ERR_FILE_REFUSED; takes one at the bound', async () => {
    expect(MDF_MAX_BYTES).to.equal(1024 * 1024);
    expect((await run('lint', dir)).err).to.contain('ERR_FILE_REFUSED');
    const big = join(dir, 'big.mdf');
    writeFileSync(big, Buffer.alloc(MDF_MAX_BYTES + 1, 0x23));
    const r = await run('get', big, 'a');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/ERR_FILE_REFUSED: .*1048577 bytes, larger than any \.mdf/);
    const atBound = join(dir, 'bound.mdf');
    writeFileSync(atBound, Buffer.concat([Buffer.from('a=1\n'), Buffer.alloc(MDF_MAX_BYTES - 4, 0x23)]));
    expect((await readMdfBytes(atBound)).length).to.equal(MDF_MAX_BYTES);
    expect((await run('set', big, 'a', '1')).err).to.contain('ERR_FILE_REFUSED');
  });
});

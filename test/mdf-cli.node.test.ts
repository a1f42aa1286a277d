// `mdf lint|get|set|delete` on real temporary files: exit codes, output, byte-for-byte edits.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from './harness.js';
import { runMdfCli } from '../src/node/cli/mdf.js';

let dir = '';
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runMdfCli(args, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

describe('mdf CLI', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdf-cli-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('lint: prints file:line:col severity code message (fix) and exits 1 on an error', async () => {
    const path = file('bad.mdf', 'Plugin_Remote_EnableServer=no\r\nlypsync_priority=1\r\n');
    const r = await run('lint', path);
    expect(r.code).to.equal(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).to.match(
      new RegExp(
        `^${path.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}:1:28 error MDF_BOOLEAN_TRAP .+ ` +
          '\\(fix: Plugin_Remote_EnableServer=false\\)$',
      ),
    );
    expect(lines[1]).to.match(
      /:2:1 warning MDF_UNKNOWN_KEY .*Did you mean "lipsync_priority"\? \(fix: lipsync_priority=1\)$/,
    );
    expect(lines[2]).to.equal('1 file: 1 error, 1 warning');
  });

  it('lint: exits 0 when there are only warnings and infos, over several files', async () => {
    const a = file('a.mdf', 'Plugin_Remote_Websocket_Host=localhost\n');
    const b = file('b.mdf', 'my_variable=1\n');
    const r = await run('lint', a, b);
    expect(r.code).to.equal(0);
    expect(r.out).to.contain(`${a}:1:1 warning MDF_RETRY_ZERO`);
    expect(r.out).to.contain(`${b}:1:1 info MDF_UNKNOWN_KEY`);
    expect(r.out).to.contain('2 files: 0 errors, 1 warning');
  });

  it('lint: a missing file is reported, the others are still linted, exit 1', async () => {
    const ok = file('ok.mdf', 'show_fps=false\n');
    const r = await run('lint', join(dir, 'missing.mdf'), ok);
    expect(r.code).to.equal(1);
    expect(r.err).to.contain('missing.mdf');
    expect(r.out).to.contain('2 files: 0 errors, 0 warnings');
  });

  it('get: prints the effective raw value; exit 1 with a message when absent', async () => {
    const path = file('get.mdf', 'a=1\r\na=%ENV{HOME}/x\r\n');
    expect(await run('get', path, 'a')).to.deep.equal({ code: 0, out: '%ENV{HOME}/x\n', err: '' });
    const missing = await run('get', path, 'b');
    expect(missing.code).to.equal(1);
    expect(missing.out).to.equal('');
    expect(missing.err).to.contain('"b" is not defined');
  });

  it('set: edits in place and keeps every other byte (BOM, CRLF, no final newline)', async () => {
    const original =
      '\ufeff# settings\r\nPlugin_Remote_Websocket_Host=localhost\r\nPlugin_Remote_Websocket_Port=9001\r\n\r\n#end';
    const path = file('set.mdf', original);
    expect((await run('set', path, 'Plugin_Remote_Websocket_Port', '9002')).code).to.equal(0);
    expect(readFileSync(path, 'utf8')).to.equal(original.replace('9001', '9002'));
    expect((await run('set', path, 'Plugin_Remote_RetryCount', '60')).code).to.equal(0);
    expect(readFileSync(path, 'utf8')).to.equal(`${original.replace('9001', '9002')}\r\nPlugin_Remote_RetryCount=60`);
    expect(readFileSync(path).subarray(0, 3)).to.deep.equal(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('set: keeps bytes that are not UTF-8 exactly', async () => {
    const original = Buffer.from([0x23, 0x82, 0xa0, 0x0d, 0x0a, 0x61, 0x3d, 0x31, 0x0d, 0x0a]);
    const path = file('sjis.mdf', original);
    expect((await run('set', path, 'a', '2')).code).to.equal(0);
    expect(readFileSync(path)).to.deep.equal(Buffer.from([0x23, 0x82, 0xa0, 0x0d, 0x0a, 0x61, 0x3d, 0x32, 0x0d, 0x0a]));
  });

  it('set and get on a latin1 file take and give UTF-8 text', async () => {
    const path = file('latin1.mdf', Buffer.from([0x23, 0xff, 0x0a]));
    expect((await run('set', path, 'greeting', 'こんにちは')).code).to.equal(0);
    expect(readFileSync(path)).to.deep.equal(
      Buffer.concat([Buffer.from([0x23, 0xff, 0x0a]), Buffer.from('greeting=こんにちは\n')]),
    );
    expect((await run('get', path, 'greeting')).out).to.equal('こんにちは\n');
  });

  it('set: refuses a bad key or value with its error code and leaves the file alone', async () => {
    const path = file('refuse.mdf', 'a=1\n');
    const r = await run('set', path, 'a=b', 'x');
    expect(r.code).to.equal(1);
    expect(r.err).to.contain('ERR_MDF_KEY');
    expect((await run('set', path, 'a', 'x ')).err).to.contain('ERR_MDF_VALUE');
    expect(readFileSync(path, 'utf8')).to.equal('a=1\n');
  });

  it('delete: removes every definition; exit 1 when there is none', async () => {
    const path = file('delete.mdf', 'a=1\r\nb=2\r\na=3\r\n');
    expect((await run('delete', path, 'a')).code).to.equal(0);
    expect(readFileSync(path, 'utf8')).to.equal('b=2\r\n');
    expect((await run('delete', path, 'a')).code).to.equal(1);
  });

  it('explain: prints the meaning of a lint code and the schema + note of a key', async () => {
    const code = await run('explain', 'MDF_BOOLEAN_TRAP');
    expect(code.code).to.equal(0);
    expect(code.out).to.match(/^MDF_BOOLEAN_TRAP: .*EnableServer=no is ON/);
    const key = await run('explain', 'camera_rotation');
    expect(key.out).to.equal(
      'camera_rotation: float3, default "0.0,0.0,0.0", range 0.001…1000 (clamped)\n' +
        '  Clamped to 0.001–1000 per component, so negative angles cannot be set here.\n',
    );
    expect((await run('explain', 'Plugin_Remote_RetryCount')).out).to.contain('default "0"');
    const unknown = await run('explain', 'my_var');
    expect(unknown.code).to.equal(1);
    expect(unknown.err).to.contain('FST global variables');
  });

  it('usage errors exit 2; help exits 0', async () => {
    expect((await run()).code).to.equal(2);
    expect((await run('lint')).code).to.equal(2);
    expect((await run('get', 'x')).code).to.equal(2);
    expect((await run('toString', 'x')).code).to.equal(2);
    const unknown = await run('frob');
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.contain('unknown command "frob"');
    const help = await run('--help');
    expect(help.code).to.equal(0);
    expect(help.out).to.contain('mdf lint FILE...');
  });

  it('a file that cannot be read gives ERR_FILE and exit 1', async () => {
    const r = await run('get', join(dir, 'nope.mdf'), 'a');
    expect(r.code).to.equal(1);
    expect(r.err).to.contain('ERR_FILE');
  });
});

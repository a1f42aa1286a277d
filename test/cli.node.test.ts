// The CLI dispatcher: in-process through main(argv, io), and as a real child process for Ctrl-C.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type CliIo } from '../src/node/cli/main.js';
import { after, describe, it, skipIf } from './harness.js';
import { FakeAgent } from './support/fake-agent.js';
import { hasProgram, makeCert } from './support/processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cleanup: (() => unknown)[] = [];

function captureIo(signal?: AbortSignal): CliIo & {
  outText: () => string;
  errText: () => string;
  waitOut: (re: RegExp, ms?: number) => Promise<RegExpMatchArray>;
} {
  const out: string[] = [];
  const err: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    const text = out.join('\n');
    for (const w of [...waiters]) {
      const m = text.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  return {
    signal,
    out: (s) => {
      out.push(s);
      check();
    },
    err: (s) => err.push(s),
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
    waitOut: (re, ms = 5000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no output matching ${re} within ${ms} ms:\n${out.join('\n')}`)),
          ms,
        );
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        check();
      }),
  };
}

async function freePortClosed(port: number): Promise<boolean> {
  const probe = createNetServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('cli: dispatch', () => {
  it('--help prints the usage with every command, exit 0', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).to.equal(0);
    expect(io.outText())
      .to.match(/serve/)
      .and.match(/sim --url/)
      .and.match(/mdf lint/);
  });

  it('--version prints the package version', async () => {
    const io = captureIo();
    expect(await main(['--version'], io)).to.equal(0);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(io.outText()).to.equal(pkg.version);
  });

  it('an unknown command prints the usage on stderr, exit 2 (ERR_USAGE); so does no command', async () => {
    const io = captureIo();
    expect(await main(['bogus'], io)).to.equal(2);
    expect(io.errText())
      .to.match(/unknown command "bogus"/)
      .and.match(/usage:/);
    expect(io.outText()).to.equal('');
    const none = captureIo();
    expect(await main([], none)).to.equal(2);
    expect(none.errText()).to.match(/usage:/);
  });

  it('serve refuses bad options with exit 2, and an insecure bind with exit 1 and the reason', async () => {
    for (const args of [['--port', 'abc'], ['--port'], ['--frobnicate']]) {
      const io = captureIo();
      expect(await main(['serve', ...args], io), args.join(' ')).to.equal(2);
      expect(io.errText()).to.match(/--port|unknown option/);
    }
    const io = captureIo();
    expect(await main(['serve', '--host', '0.0.0.0', '--port', '0'], io)).to.equal(1);
    expect(io.errText()).to.match(/^ERR_INSECURE_BIND: .*--token/);
  });

  it('mdf ... goes to the mdf CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmd-cli-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'main.mdf');
    writeFileSync(file, 'Plugin_Remote_Websocket_Port=9001\n');
    const io = captureIo();
    expect(await main(['mdf', 'get', file, 'Plugin_Remote_Websocket_Port'], io)).to.equal(0);
    expect(io.outText()).to.equal('9001');
  });

  it('sim ... goes to the sim CLI (which insists on --url)', async () => {
    const io = captureIo();
    expect(await main(['sim'], io)).to.equal(2);
    expect(io.errText()).to.match(/--url/);
  });
});

describe('cli: serve', () => {
  it('prints the URL and the three .mdf lines, logs agents and controllers, stops cleanly on its signal', async () => {
    const stop = new AbortController();
    const io = captureIo(stop.signal);
    const exit = main(['serve', '--port', '0', '--path', '/shop1', '--no-playground'], io);
    const [, url, port] = await io.waitOut(/serving (ws:\/\/127\.0\.0\.1:(\d+)\/shop1)/);
    const text = io.outText();
    expect(text).to.contain('Plugin_Remote_Websocket_Host=127.0.0.1');
    expect(text).to.contain(`Plugin_Remote_Websocket_Port=${port}`);
    expect(text).to.contain('Plugin_Remote_Websocket_Directory=/shop1');
    expect(text).to.contain('Plugin_Remote_RetryCount=60');
    expect(text).not.to.contain('playground:');
    expect(text).to.match(/ends a Linux MMDAgent-EX/);
    const agent = await FakeAgent.connect(Number(port), '/shop1');
    cleanup.push(() => agent.destroy());
    await io.waitOut(/agent connected on \/shop1/);
    const second = FakeAgent.connect(Number(port), '/shop1').catch((e: Error) => e);
    expect(String(await second)).to.match(/429/);
    await io.waitOut(/refused agent on \/shop1: 429/);
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(url);
    cleanup.push(() => ws.terminate());
    await new Promise((r) => ws.once('open', r));
    await io.waitOut(/controller connected on \/shop1/);
    stop.abort();
    expect(await exit).to.equal(0);
    expect(io.outText()).to.match(/stopped$/);
    expect(await freePortClosed(Number(port))).to.equal(true);
  });

  it('with --token, the playground URL carries it (the page reads ?token=)', async () => {
    const stop = new AbortController();
    const io = captureIo(stop.signal);
    const exit = main(['serve', '--port', '0', '--token', 'tok_abcdefgh12345678'], io);
    await io.waitOut(/playground: http:\/\/127\.0\.0\.1:\d+\/playground\/\?token=tok_abcdefgh12345678/);
    stop.abort();
    expect(await exit).to.equal(0);
  });

  it('--allow-origin lets a page from elsewhere (here: opened from disk, origin "null") connect', async () => {
    const stop = new AbortController();
    const io = captureIo(stop.signal);
    const exit = main(['serve', '--port', '0', '--no-playground', '--allow-origin', 'null'], io);
    const [, url] = await io.waitOut(/serving (ws:\S+)/);
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(url, { headers: { Origin: 'null' } });
    cleanup.push(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const refused = new WebSocket(url, { headers: { Origin: 'http://elsewhere.example' } });
    refused.on('error', () => undefined);
    const status = await new Promise((resolve) =>
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode)),
    );
    refused.terminate();
    expect(status).to.equal(403);
    stop.abort();
    expect(await exit).to.equal(0);
  });

  it('--sim starts a simulated agent on the served channel; the playground URL is printed', async () => {
    const stop = new AbortController();
    const io = captureIo(stop.signal);
    const exit = main(['serve', '--port', '0', '--sim'], io);
    await io.waitOut(/playground: http:\/\/127\.0\.0\.1:\d+\/playground\//);
    await io.waitOut(/agent connected on \/chat/, 10_000);
    stop.abort();
    expect(await exit).to.equal(0);
  });

  it('as a real process: Ctrl-C (SIGINT) closes the server and exits 0', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/node/cli.ts'), 'serve', '--port', '0', '--no-playground'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cleanup.push(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (out += d));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 15_000);
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /serving ws:\/\/127\.0\.0\.1:(\d+)\/chat/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const agent = await FakeAgent.connect(port, '/chat');
    cleanup.push(() => agent.destroy());
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code, out).to.equal(0);
    expect(out).to.match(/stopped/);
    // The agent was let go with an empty close frame (wire.md §6.3), not a status code.
    await agent.closed;
    expect(agent.frames.some((f) => f.raw.equals(Buffer.from([0x88, 0x00])))).to.equal(true);
  });
});

describe('cli: serve --allow-host, --viewer-token', () => {
  const channelsStatus = (port: number, host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/channels', headers: { Host: host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject).end();
    });

  it('--allow-host NAME: requests for that name are answered (a proxy in front), others still refused', async () => {
    const stop = new AbortController();
    const io = captureIo(stop.signal);
    const exit = main(['serve', '--port', '0', '--no-playground', '--allow-host', 'avatar.example'], io);
    const [, port] = await io.waitOut(/serving ws:\/\/127\.0\.0\.1:(\d+)/);
    expect(await channelsStatus(Number(port), `avatar.example:${port}`)).to.equal(200);
    expect(await channelsStatus(Number(port), `elsewhere.example:${port}`)).not.to.equal(200);
    stop.abort();
    expect(await exit).to.equal(0);
  });

  it('--viewer-token V: a controller with it is read-only (its lines are refused); it needs --token', async () => {
    const noToken = captureIo();
    expect(await main(['serve', '--port', '0', '--viewer-token', 'view_abcdefgh12345678'], noToken)).to.equal(1);
    expect(noToken.errText()).to.match(/viewerToken needs a token/);
    const stop = new AbortController();
    const io = captureIo(stop.signal);
    const args = ['--port', '0', '--no-playground', '--token', 'tok_abcdefgh12345678'];
    const exit = main(['serve', ...args, '--viewer-token', 'view_abcdefgh12345678'], io);
    const [, url, port] = await io.waitOut(/serving (ws:\/\/127\.0\.0\.1:(\d+)\/chat)/);
    expect(io.outText()).to.match(/viewer token may watch and send nothing/);
    const agent = await FakeAgent.connect(Number(port), '/chat');
    cleanup.push(() => agent.destroy());
    await io.waitOut(/agent connected on \/chat/);
    const { WebSocket } = await import('ws');
    const viewer = new WebSocket(`${url}?token=view_abcdefgh12345678`);
    cleanup.push(() => viewer.terminate());
    const lines: string[] = [];
    viewer.on('message', (d) => void lines.push(String(d)));
    await new Promise((resolve, reject) => (viewer.once('open', resolve), viewer.once('error', reject)));
    viewer.send('VALUE_SET|viewer|1\n');
    const deadline = Date.now() + 3000;
    while (!lines.some((l) => l.startsWith('RELAY_ERROR|')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(lines.join('')).to.match(/RELAY_ERROR\|ERR_LINE_NOT_ALLOWED/);
    expect(agent.lines).not.to.include('VALUE_SET|viewer|1');
    stop.abort();
    expect(await exit).to.equal(0);
  });
});

describe('cli: serve --cert --key (wss://)', () => {
  it('--cert without --key is a usage error (2); unreadable PEM files are ERR_FILE (1)', async () => {
    const io = captureIo();
    expect(await main(['serve', '--port', '0', '--cert', 'cert.pem'], io)).to.equal(2);
    expect(io.errText()).to.match(/^ERR_USAGE: serve: --cert and --key go together/);
    const missing = captureIo();
    expect(await main(['serve', '--port', '0', '--cert', 'nope.pem', '--key', 'nope.pem'], missing)).to.equal(1);
    expect(missing.errText()).to.match(/^ERR_FILE: cannot read nope\.pem/);
  });

  skipIf(!hasProgram('openssl', ['version']), 'the openssl CLI is not installed (it makes the test certificate)')(
    'serves wss:// with the given PEM files, warns that MMDAgent-EX needs port 443 for TLS, relays over TLS',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mmd-cli-tls-'));
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      makeCert(dir);
      const stop = new AbortController();
      const io = captureIo(stop.signal);
      const args = ['--port', '0', '--no-playground', '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem')];
      const exit = main(['serve', ...args], io);
      const [, url] = await io.waitOut(/serving (wss:\/\/127\.0\.0\.1:\d+\/chat)/);
      expect(io.outText()).to.match(
        /warning: MMDAgent-EX speaks TLS only when its Plugin_Remote_Websocket_Port is 443/,
      );
      const { WebSocket } = await import('ws');
      const ws = new WebSocket(url, { ca: readFileSync(join(dir, 'cert.pem')) });
      cleanup.push(() => ws.terminate());
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      await io.waitOut(/controller connected on \/chat/);
      stop.abort();
      expect(await exit).to.equal(0);
    },
  );
});

after(() => {
  for (const c of cleanup.splice(0)) c();
});

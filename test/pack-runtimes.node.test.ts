// "ESM in any runtime" (DESIGN.md), proven on the package as users get it: the tarball installed in
// a scratch app (test/support/pack-app.ts), in Node, Deno, Bun, Chromium and Firefox. Each runs the
// same conformance suite (test/support/pack-conformance.mjs): framing, messages, a builder,
// parseEvent, a .mdf round trip, and connect() with no WebSocket passed, round trip through a server
// with the simulator. That server is the installed package's `./server` in this Node process; Deno
// and Bun also start `./server` themselves. A runtime is skipped only when its binary is not here,
// and says so.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it, skip } from './harness.js';
import { packedApp, repoRoot } from './support/pack-app.js';
import { browsers, runInBrowser, serveStatic, writePage } from './support/pack-browser.js';
import { CHECK_NAMES, type CheckResult } from './support/pack-conformance.mjs';

const app = packedApp();
for (const file of ['pack-conformance.mjs', 'pack-run.mjs']) {
  copyFileSync(join(repoRoot, 'test', 'support', file), join(app.app, file));
}

interface Runtime {
  name: string;
  command: string[];
  /** Flags for the `server` run (Deno asks for permissions). */
  serverFlags?: string[];
  missing?: string;
}

/** A runtime's binary as its npm package left it: its own (after its postinstall), else its platform package's. */
function candidates(main: string, scope: string, inner: string): string[] {
  const dir = join(repoRoot, 'node_modules', scope);
  const platform = existsSync(dir) ? readdirSync(dir).map((p) => join(dir, p, inner)) : [];
  return [join(repoRoot, 'node_modules', main), ...platform];
}

function runtime(name: string, binaries: string[], prefix: string[], serverPrefix?: string[]): Runtime {
  const tried: string[] = [];
  for (const binary of binaries.filter((b) => existsSync(b))) {
    const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    if (version.status !== 0) {
      tried.push(`${binary} --version failed: ${version.error ?? version.stderr}`);
      continue;
    }
    const v = /\d+\.\d+\.\d+/.exec(version.stdout)?.[0] ?? version.stdout.trim();
    return { name: `${name} ${v}`, command: [binary, ...prefix], serverFlags: serverPrefix };
  }
  const why = tried.length ? tried.join('; ') : `none of ${binaries.join(', ')} is there (npm install puts one there)`;
  return { name, command: [], missing: why };
}

const exe = process.platform === 'win32' ? '.exe' : '';
const RUNTIMES: Runtime[] = [
  { name: `node ${process.version}`, command: [process.execPath] },
  runtime(
    'deno',
    candidates(join('deno', `deno${exe}`), '@deno', `deno${exe}`),
    ['run', '--allow-net=127.0.0.1'],
    [
      'run',
      '--allow-net=127.0.0.1',
      '--allow-read',
      '--allow-env', // ws reads WS_NO_BUFFER_UTIL
      '--allow-sys',
    ],
  ),
  runtime('bun', candidates(join('bun', 'bin', 'bun.exe'), '@oven', join('bin', `bun${exe}`)), []),
];

/** Runs pack-run.mjs in the app and returns the results it printed. */
function runInRuntime(command: string[], arg: string): Promise<CheckResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), 'pack-run.mjs', arg], {
      cwd: app.app,
      stdio: ['ignore', 'pipe', 'pipe'],
      // no update checks or telemetry: the tests reach nothing beyond 127.0.0.1
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DO_NOT_TRACK: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve((JSON.parse(last) as { results: CheckResult[] }).results);
      } catch {
        reject(new Error(`${command.join(' ')} pack-run.mjs ${arg} exited ${code} without results:\n${out}\n${err}`));
      }
    });
  });
}

function expectAllPassed(results: CheckResult[], names: string[]): void {
  const failed = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
  expect(failed, failed.join('\n\n')).to.deep.equal([]);
  for (const name of names) expect(results.map((r) => r.name)).to.include(name);
  for (const r of results) if (r.skipped) console.log(`» ${r.name} skipped: ${r.skipped}`);
}

interface ServerModule {
  createServer(opts: object): Promise<{ url: string; close(): Promise<void> }>;
  startSim(opts: object): Promise<{ stop(): Promise<void> }>;
}

let server: Awaited<ReturnType<ServerModule['createServer']>>;
let sim: Awaited<ReturnType<ServerModule['startSim']>>;

describe('the packed package in every runtime', () => {
  before(async () => {
    // The installed copy's `./server`, as the app resolves it, not this repository's.
    const entry = createRequire(join(app.app, 'package.json')).resolve('mmdagent-ex-remote/server');
    expect(entry.startsWith(app.installed), entry).to.equal(true);
    const mod = (await import(pathToFileURL(entry).href)) as ServerModule;
    server = await mod.createServer({
      host: '127.0.0.1',
      port: 0,
      path: '/chat',
      allowedOrigins: '*',
      playground: true,
    });
    sim = await mod.startSim({ url: server.url, platform: 'windows' });
  });

  after(async () => {
    await sim?.stop();
    await server?.close();
  });

  it('the installed server serves the playground page and the scripts it loads', async () => {
    const http = server.url.replace(/^ws/, 'http').replace(/\/chat$/, '');
    const page = await fetch(`${http}/playground/`);
    expect(page.status).to.equal(200);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script src="\.\.\/(dist\/[^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length, 'the page loads its scripts from dist/').to.be.greaterThan(0);
    for (const script of scripts) expect((await fetch(`${http}/${script}`)).status, script).to.equal(200);
  });

  it('the bin runs from node_modules/.bin', () => {
    const bin = join(app.app, 'node_modules', '.bin', 'mmdagent-ex-remote');
    // npm links a script on POSIX (run it with this node) and a .cmd shim on Windows
    const result =
      process.platform === 'win32'
        ? spawnSync(`"${bin}.cmd"`, ['--help'], { cwd: app.app, encoding: 'utf8', shell: true })
        : spawnSync(process.execPath, [bin, '--help'], { cwd: app.app, encoding: 'utf8' });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^usage: mmdagent-ex-remote/);
  });

  for (const rt of RUNTIMES) {
    if (rt.missing) {
      console.log(`» ${rt.name}: skipped, ${rt.missing}`);
      skip(`${rt.name}: conformance suite`, rt.missing);
      continue;
    }
    it(`${rt.name}: conformance suite, connect() round trip with the runtime's own WebSocket`, async () => {
      // Node also loads the package with require() where it can (pack-run.mjs says when it cannot)
      const requires = rt.name.startsWith('node') && (process.features as { require_module?: boolean }).require_module;
      const results = await runInRuntime(rt.command, server.url);
      expectAllPassed(results, requires ? [...CHECK_NAMES, 'require(): framing', 'require(): builder'] : CHECK_NAMES);
    });
    it(`${rt.name}: the ./server entry runs a server and the simulator; connect() round trip`, async () => {
      const command = rt.serverFlags ? [rt.command[0], ...rt.serverFlags] : rt.command;
      expectAllPassed(await runInRuntime(command, 'server'), ['connect']);
    });
  }

  for (const spec of browsers()) {
    if (spec.missing) {
      console.log(`» ${spec.name}: skipped, ${spec.missing}`);
      skip(`${spec.name}: conformance suite`, spec.missing);
      continue;
    }
    it(`${spec.name}: conformance suite, bundled, as dist/browser.js and as dist/browser.iife.js`, async () => {
      const www = await writePage(app);
      const page: { url: string; server: Server } = await serveStatic(www);
      try {
        const results = await runInBrowser(spec, `${page.url}index.html?ws=${encodeURIComponent(server.url)}`);
        const labels = ['bundled', 'dist/browser.js', 'dist/browser.iife.js'];
        expectAllPassed(
          results,
          labels.flatMap((label) => CHECK_NAMES.map((name) => `${label}: ${name}`)),
        );
      } finally {
        page.server.close();
      }
    });
  }
});

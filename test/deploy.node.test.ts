// deploy/haproxy.cfg and deploy/nginx.conf with real parts (docs/deploy.md): the proxy from Debian's packages on a
// loopback port, three server processes started from the built CLI, a real redis-server for the
// fleet's channel list, simulated MMDAgent-EX agents and controllers connecting through the proxy.
// .ci/run installs haproxy and redis-server; elsewhere these tests skip and say why.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, startSim, type Sim } from '../src/server.js';
import { WebSocket } from 'ws';
import type { AgentLink } from '../src/link.js';
import { after, before, describe, skipIf } from './harness.js';
import {
  freePort,
  hasProgram,
  makeCert,
  startChild,
  startRedis,
  waitForPort,
  type Child,
} from './support/processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'node', 'cli.js');
const config = join(root, 'deploy', 'haproxy.cfg');
const haveParts = hasProgram('haproxy', ['-v']) && hasProgram('redis-server', ['--version']);
const live = skipIf(
  !haveParts,
  'haproxy and redis-server are not installed (apt-get install haproxy redis-server; .ci/run does)',
);
const TOKEN = 'viewer0token';
const SECRET = 'agent0secret';

interface Fleet {
  proxyPort: number;
  tlsPort: number;
  ca: Buffer;
  backends: { id: string; port: number; child: Child }[];
  redis: Child & { url: string };
  proxy: Child;
  dir: string;
}

async function startBackend(id: string, redisUrl: string): Promise<Fleet['backends'][number]> {
  const port = await freePort();
  const child = startChild(process.execPath, [
    cli,
    'serve',
    '--port',
    String(port),
    '--no-playground',
    '--token',
    TOKEN,
    '--agent-secret',
    SECRET,
    '--fleet-redis',
    redisUrl,
    '--fleet-id',
    id,
  ]);
  await waitForPort(port).catch((err: Error) => {
    throw new Error(`${err.message}\n${child.output()}`);
  });
  return { id, port, child };
}

async function startFleet(): Promise<Fleet> {
  const redis = await startRedis();
  const backends = await Promise.all(['r1', 'r2', 'r3'].map((id) => startBackend(id, redis.url)));
  const proxyPort = await freePort();
  const tlsPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mmdr-haproxy-'));
  const pem = makeCert(dir);
  const proxy = startChild('haproxy', ['-db', '-f', config], {
    MMDR_TLS_BIND: `127.0.0.1:${tlsPort}`,
    MMDR_CERT: pem,
    MMDR_BIND: `127.0.0.1:${proxyPort}`,
    MMDR_R1: `127.0.0.1:${backends[0]!.port}`,
    MMDR_R2: `127.0.0.1:${backends[1]!.port}`,
    MMDR_R3: `127.0.0.1:${backends[2]!.port}`,
  });
  await waitForPort(proxyPort).catch((err: Error) => {
    throw new Error(`${err.message}\n${proxy.output()}`);
  });
  return { proxyPort, tlsPort, ca: readFileSync(join(dir, 'cert.pem')), backends, redis, proxy, dir };
}

function getJson(port: number, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    req.once('error', reject);
    req.end();
  });
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`still not as expected after ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A controller's line goes through the proxy to the agent and its echo comes back: they met. */
async function roundTrip(link: AgentLink, key: string): Promise<void> {
  const echo = link.waitFor((m) => m.type === 'VALUE_SET' && m.args[0] === key, { timeoutMs: 5_000 });
  link.send(`VALUE_SET|${key}|1`);
  await echo;
}

describe('deploy/haproxy.cfg', () => {
  const withHaproxy = skipIf(!hasProgram('haproxy', ['-v']), 'haproxy is not installed (.ci/run installs it)');
  withHaproxy('is a valid HAProxy configuration, with and without its TLS front end', () => {
    for (const tls of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'mmdr-cfg-'));
      try {
        const env: Record<string, string> = {
          MMDR_BIND: '127.0.0.1:1',
          MMDR_R1: '127.0.0.1:2',
          MMDR_R2: '127.0.0.1:3',
          ...(tls ? { MMDR_TLS_BIND: '127.0.0.1:4', MMDR_CERT: makeCert(dir) } : {}),
        };
        const r = spawnSync('haproxy', ['-c', '-f', config], { env: { ...process.env, ...env }, encoding: 'utf8' });
        expect(r.status, r.stdout + r.stderr).to.equal(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('a fleet behind HAProxy', () => {
  let fleet: Fleet | undefined;
  const sims: Sim[] = [];
  const links: AgentLink[] = [];
  before(async () => {
    if (haveParts && existsSync(cli)) fleet = await startFleet();
  });
  after(async () => {
    for (const l of links) l.close();
    await Promise.all(sims.map((s) => s.stop()));
    await fleet?.proxy.stop();
    await Promise.all(fleet?.backends.map((b) => b.child.stop()) ?? []);
    await fleet?.redis.stop();
    if (fleet) rmSync(fleet.dir, { recursive: true, force: true });
  });

  const agentUrl = (path: string) => `ws://127.0.0.1:${fleet!.proxyPort}${path}?secret=${SECRET}`;
  const controllerUrl = (path: string) => `ws://127.0.0.1:${fleet!.proxyPort}${path}?token=${TOKEN}`;

  live('puts every agent and its controllers in one process, and spreads channels over the processes', async () => {
    const paths = ['/shop1', '/shop2', '/shop3', '/shop4', '/shop5', '/shop6', '/shop7', '/shop8'];
    for (const path of paths) {
      const sim = await startSim({ url: agentUrl(path), platform: 'windows', retryCount: 5 });
      sims.push(sim);
    }
    // startSim resolves at the upgrade; the server announces an agent after the sync step.
    await eventually(
      () => getJson(fleet!.proxyPort, '/channels'),
      (r) => r.status === 200 && paths.every((p) => r.body.channels.some((c: any) => c.path === p && c.agent)),
    );
    for (const path of paths) {
      const link = await connect(controllerUrl(path));
      links.push(link);
      await roundTrip(link, `k${path.slice(1)}`);
    }
    const perProcess = await Promise.all(
      fleet!.backends.map(async (b) => (await getJson(b.port, '/channels?local=1')).body.channels.length as number),
    );
    expect(perProcess.filter((n) => n > 0).length, `channels per process: ${perProcess}`).to.be.greaterThan(1);
  });

  live('answers GET /channels through the proxy for the whole fleet, with the process of each', async () => {
    const seen = await eventually(
      () => getJson(fleet!.proxyPort, '/channels'),
      (r) => r.status === 200 && r.body.channels.filter((c: { agent: boolean }) => c.agent).length >= 8,
    );
    const processes = new Set(seen.body.channels.map((c: { process: string }) => c.process));
    expect(processes.size).to.be.greaterThan(1);
  });

  live('a second agent on a busy channel gets the 429 and lands on <path>-1 with its controllers', async () => {
    const sim = await startSim({ url: agentUrl('/shop1'), platform: 'windows', retryCount: 5 });
    sims.push(sim);
    expect(sim.path).to.match(/-1$/); // renamed after the 429 (wire.md §4.3)
    await eventually(
      () => getJson(fleet!.proxyPort, '/channels'),
      (r) => r.status === 200 && r.body.channels.some((c: any) => c.path === '/shop1-1' && c.agent),
    );
    const link = await connect(controllerUrl('/shop1-1'));
    links.push(link);
    await roundTrip(link, 'renamed');
  });

  live('terminates TLS: an agent and a controller meet over wss:// through the proxy', async () => {
    const url = (who: string) => `wss://127.0.0.1:${fleet!.tlsPort}/tls1?${who}`;
    // The agent as MMDAgent-EX sends it: X-App-Type, no Origin, echoing every line (wire.md §10.1).
    const agent = new WebSocket(url(`secret=${SECRET}`), { ca: fleet!.ca, headers: { 'X-App-Type': 'MMDAgent' } });
    agent.on('message', (data) => agent.send(String(data)));
    await new Promise((resolve, reject) => agent.once('open', resolve).once('error', reject));
    await eventually(
      () => getJson(fleet!.proxyPort, '/channels'),
      (r) => r.status === 200 && r.body.channels.some((c: any) => c.path === '/tls1' && c.agent),
    );
    const link = await connect(url(`token=${TOKEN}`), { WebSocket: withCa(fleet!.ca) });
    links.push(link);
    await roundTrip(link, 'over-tls');
    agent.close();
  });

  live('a process that dies leaves the list within seconds, and its Windows agents land on live ones', async () => {
    const victim = fleet!.backends[0]!;
    const before: string[] = (await getJson(victim.port, '/channels?local=1')).body.channels
      .filter((c: { agent: boolean }) => c.agent)
      .map((c: { path: string }) => c.path);
    expect(before.length, 'the victim held no agent: pick more channels').to.be.greaterThan(0);
    await victim.child.stop();
    const after = await eventually(
      () => getJson(fleet!.proxyPort, '/channels'),
      (r) =>
        r.status === 200 &&
        r.body.channels.every((c: { process: string }) => c.process !== victim.id) &&
        before.every((p: string) =>
          r.body.channels.some((c: { path: string; agent: boolean }) => c.path === p && c.agent),
        ),
      15_000,
    );
    expect(after.body.channels.length).to.be.greaterThan(0);
  });
});

/** `ws`'s WebSocket trusting the test's own certificate authority, in the shape connect() takes. */
function withCa(ca: Buffer) {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { ca });
    }
  };
}

const haveNginx = hasProgram('nginx', ['-v']) && hasProgram('redis-server', ['--version']);
const nginxConfig = join(root, 'deploy', 'nginx.conf');

describe('a fleet behind nginx (deploy/nginx.conf)', () => {
  let redis: (Child & { url: string }) | undefined;
  let backends: Fleet['backends'] = [];
  let nginx: Child | undefined;
  let port = 0;
  let dir = '';
  const sims: Sim[] = [];
  const links: AgentLink[] = [];
  before(async () => {
    if (!haveNginx || !existsSync(cli)) return;
    redis = await startRedis();
    backends = await Promise.all(['n1', 'n2'].map((id) => startBackend(id, redis!.url)));
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'mmdr-nginx-'));
    mkdirSync(join(dir, 'tmp'));
    const conf = readFileSync(nginxConfig, 'utf8')
      .replaceAll('@BIND@', `127.0.0.1:${port}`)
      .replaceAll('@R1@', `127.0.0.1:${backends[0]!.port}`)
      .replaceAll('@R2@', `127.0.0.1:${backends[1]!.port}`);
    writeFileSync(join(dir, 'nginx.conf'), conf);
    nginx = startChild('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']);
    await waitForPort(port).catch((err: Error) => {
      throw new Error(`${err.message}\n${nginx!.output()}`);
    });
  });
  after(async () => {
    for (const l of links) l.close();
    await Promise.all(sims.map((s) => s.stop()));
    await nginx?.stop();
    await Promise.all(backends.map((b) => b.child.stop()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const withNginx = skipIf(!haveNginx, 'nginx and redis-server are not installed (apt-get install nginx redis-server)');

  withNginx('puts agents and controllers of a channel in one process, renamed agents with a secret too', async () => {
    const paths = ['/n1', '/n2', '/n3', '/n4', '/n1'];
    for (const path of paths) {
      sims.push(await startSim({ url: `ws://127.0.0.1:${port}${path}?secret=${SECRET}`, platform: 'windows' }));
    }
    const channels = ['/n1', '/n2', '/n3', '/n4', '/n1-1'];
    await eventually(
      () => getJson(port, '/channels'),
      (r) => r.status === 200 && channels.every((p) => r.body.channels.some((c: any) => c.path === p && c.agent)),
    );
    for (const path of channels) {
      const link = await connect(`ws://127.0.0.1:${port}${path}?token=${TOKEN}`);
      links.push(link);
      await roundTrip(link, `nginx${path.slice(1)}`);
    }
  });
});

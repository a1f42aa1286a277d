// Attack soak (issue 13): a Linux-platform simulated MMDAgent-EX and live controllers exchange
// numbered lines on one channel while attackers run beside them: lines that would end or move
// the agent's connection, forged relay status lines, one-frame line floods, agents without the
// secret (squatting), controllers without the token, oversized and half-sent frames, silent
// sockets, and HTTP requests with a foreign Host or a wrong method. Checked: every live line
// arrives at every live controller exactly once and in order, the agent keeps its one connection
// (the Linux app dies with it), every attack is refused with its documented answer, and (with
// --expose-gc) the heap returns to its baseline.
//
//   node --import tsx bench/soak-attacks.ts [--seconds 60] [--seed S]
//
// test/soak-attacks.node.test.ts runs it for a few seconds. Everything is on 127.0.0.1, port 0.
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { createServer, startSim, type MmdServer, type Sim } from '../src/server.js';
import { rng } from './data.js';

const CHANNEL = '/live';
const TOKEN = 'soakToken0123';
const SECRET = 'soakSecret0123';
const TICK_MS = 20;
/** Lines each live controller sends per tick: 2 controllers × 5 / 20 ms = 500 lines/s, within the channel's rate. */
const LINES_PER_TICK = 5;

export interface AttackSoakReport {
  seed: number;
  durationMs: number;
  liveLines: number;
  deliveriesVerified: number;
  attacks: Record<string, number>;
  refusals: Record<string, number>;
  agentConnections: number;
  violations: string[];
}

/** The attacks, each with the answer the server must give. */
const UNSAFE_LINES = [
  'PLUGIN_DISABLE|Remote',
  '__AV_MESSAGE,PLUGIN_DISABLE|Remote',
  'KEYVALUE_SET|Plugin_Remote_Websocket_Host|evil.example',
  'OPEN_CONTENT|http://evil.example/x.mdf',
  'REMOTEKEY_DOWN|Escape',
  'EXECUTE|calc.exe',
];
const FORGED_LINES = ['RELAY_AGENT_DISCONNECTED|/live', 'RELAY_ERROR|ERR_NO_AGENT|forged', '__peer_disconnected__'];

interface Live {
  id: string;
  ws: WebSocket;
  sent: number;
  /** Last number seen from each live controller, via the agent's echo. */
  seen: Map<string, number>;
}

export async function runAttackSoak(opts: {
  durationMs: number;
  seed?: number;
  idle?: (phase: 'start' | 'end') => Promise<void>;
}): Promise<AttackSoakReport> {
  const seed = opts.seed ?? Date.now() % 2 ** 31;
  const random = rng(seed);
  const violations: string[] = [];
  const violation = (v: string) => violations.length < 50 && violations.push(v);
  const attacks: Record<string, number> = {};
  const refusals: Record<string, number> = {};
  const count = (table: Record<string, number>, key: string) => (table[key] = (table[key] ?? 0) + 1);
  const server: MmdServer = await createServer({
    host: '127.0.0.1',
    port: 0,
    path: CHANNEL,
    token: TOKEN,
    agentSecret: SECRET,
    playground: false,
  });
  server.on('error', (err) => violation(`server error event: ${err instanceof Error ? err.message : String(err)}`));
  const onUncaught = (err: unknown) => violation(`uncaught: ${err instanceof Error ? err.stack : String(err)}`);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const port = server.address().port;
  const base = `ws://127.0.0.1:${port}`;
  const sockets: (WebSocket | Socket)[] = [];
  let sim: Sim | undefined;
  const live: Live[] = [];
  let liveLines = 0;
  let verified = 0;
  let agentConnections = 0;
  const t0 = performance.now();
  try {
    await opts.idle?.('start');
    // The agent dies with its connection, like the real Linux build: any drop shows in its status.
    sim = await startSim({ url: `${base}${CHANNEL}?secret=${SECRET}`, platform: 'linux' });
    await until(() => server.channels().some((c) => c.path === CHANNEL && c.agent), 5000);
    for (const id of ['c1', 'c2']) live.push(await liveController(`${base}${CHANNEL}?token=${TOKEN}`, id));
    for (const c of live) {
      c.ws.on('message', (data) => {
        for (const line of String(data).split('\n')) {
          if (line.startsWith('RELAY_ERROR|'))
            violation(`${c.id}, a live controller, was refused: ${line.slice(0, 160)}`);
          const m = /^SOAK_LINE\|(c\d)\|(\d+)$/.exec(line);
          if (!m) continue;
          const [, from, n] = m;
          const last = c.seen.get(from!) ?? 0;
          if (Number(n) !== last + 1) violation(`${c.id} got ${from}#${n} after #${last}: lost, repeated or reordered`);
          c.seen.set(from!, Number(n));
          verified++;
        }
      });
    }

    const attackers = {
      unsafe: async () => {
        const line = UNSAFE_LINES[Math.floor(random() * UNSAFE_LINES.length)]!;
        expectRefusal('unsafe', await controllerSays(line), 'ERR_LINE_NOT_ALLOWED');
      },
      forged: async () => {
        const line = FORGED_LINES[Math.floor(random() * FORGED_LINES.length)]!;
        expectRefusal('forged', await controllerSays(line), 'ERR_LINE_NOT_ALLOWED');
      },
      flood: async () => {
        // Frames packed with lines (585 in 8,190 bytes) beside the live traffic: the line rate, not
        // the frame rate, must refuse them, and without eating the live controllers' share.
        const frame = 'VALUE_SET|f|1\n'.repeat(585);
        expectRefusal('flood', await controllerSays([frame, frame, frame, frame]), 'ERR_RATE_LIMIT');
      },
      squat: async () => {
        const status = await upgradeStatus(`${CHANNEL}`, { 'X-App-Type': 'MMDAgent' });
        if (status === 101) violation('an agent without the secret was accepted');
        else count(refusals, `squat ${status}`);
      },
      noToken: async () => {
        const status = await upgradeStatus(CHANNEL, {});
        if (status === 101) violation('a controller without the token was accepted');
        else count(refusals, `no-token ${status}`);
      },
      oversized: async () => {
        // A controller frame far over the controllers' payload limit: closed, the agent unaffected.
        const ws = new WebSocket(`${base}/oversized?token=${TOKEN}`);
        sockets.push(ws);
        ws.on('error', () => {});
        await new Promise<void>((resolve) => ws.once('open', () => resolve()).once('close', () => resolve()));
        if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.alloc(1024 * 1024, 0x41));
        const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
        count(refusals, `oversized close ${code}`);
      },
      halfFrame: async () => {
        // An upgrade, then a frame header for 16 MiB with a few bytes of it: must not pin memory.
        const socket = await rawUpgrade(`/half?token=${TOKEN}`);
        if (!socket) return;
        const header = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4]);
        socket.write(Buffer.concat([header, Buffer.alloc(4096)]));
        sockets.push(socket);
        count(refusals, 'half-frame sent');
      },
      silent: async () => {
        const socket = tcpConnect({ host: '127.0.0.1', port });
        socket.on('error', () => {});
        sockets.push(socket);
        count(refusals, 'silent socket');
      },
      http: async () => {
        const evil = await httpStatus('GET', '/channels', { Host: 'evil.example', Authorization: `Bearer ${TOKEN}` });
        if (evil !== 403) violation(`GET /channels with a foreign Host answered ${evil}, not 403`);
        const post = await httpStatus('POST', '/channels', { Authorization: `Bearer ${TOKEN}` });
        if (post !== 405) violation(`POST /channels answered ${post}, not 405`);
        count(refusals, 'http');
      },
    } satisfies Record<string, () => Promise<void>>;
    const names = Object.keys(attackers) as (keyof typeof attackers)[];

    function expectRefusal(kind: string, answer: string | undefined, code: string): void {
      if (answer === undefined) violation(`${kind}: no answer from the relay`);
      else if (!answer.startsWith(`RELAY_ERROR|${code}|`))
        violation(`${kind}: answered ${JSON.stringify(answer.slice(0, 120))}, not ${code}`);
      else count(refusals, `${kind} ${code}`);
    }

    async function controllerSays(text: string | string[], path = CHANNEL): Promise<string | undefined> {
      const ws = new WebSocket(`${base}${path}?token=${TOKEN}`);
      ws.on('error', () => {});
      sockets.push(ws);
      const opened = await new Promise<boolean>((resolve) =>
        ws.once('open', () => resolve(true)).once('close', () => resolve(false)),
      );
      if (!opened) return undefined;
      const answer = new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 2000);
        ws.on('message', (data) => {
          const line = String(data)
            .split('\n')
            .find((l) => l.startsWith('RELAY_ERROR|'));
          if (line) (clearTimeout(timer), resolve(line));
        });
      });
      for (const frame of Array.isArray(text) ? text : [`${text}\n`]) ws.send(frame);
      const got = await answer;
      ws.close();
      return got;
    }

    async function upgradeStatus(path: string, headers: Record<string, string>): Promise<number> {
      return new Promise((resolve) => {
        const ws = new WebSocket(`${base}${path}`, { headers });
        ws.on('unexpected-response', (_req, res) => (resolve(res.statusCode ?? 0), ws.terminate()));
        ws.on('open', () => (resolve(101), ws.close()));
        ws.on('error', () => resolve(0));
      });
    }

    async function rawUpgrade(path: string): Promise<Socket | undefined> {
      const socket = tcpConnect({ host: '127.0.0.1', port });
      socket.on('error', () => {});
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}\r\n\r\n`,
      );
      const head = await new Promise<string>((resolve) => {
        socket.once('data', (d) => resolve(d.toString('latin1')));
        socket.once('close', () => resolve(''));
      });
      if (!head.startsWith('HTTP/1.1 101')) return (socket.destroy(), undefined);
      return socket;
    }

    function httpStatus(method: string, path: string, headers: Record<string, string>): Promise<number> {
      return new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
        req.end();
      });
    }

    let running = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (performance.now() - t0 >= opts.durationMs) return void (clearInterval(timer), resolve());
        for (const c of live) {
          // One frame of a few lines per tick: a controller's frame rate stays far below its limit.
          let frame = '';
          for (let i = 0; i < LINES_PER_TICK; i++) frame += `SOAK_LINE|${c.id}|${++c.sent}\n`;
          c.ws.send(frame);
          liveLines += LINES_PER_TICK;
        }
        if (running < 8) {
          const name = names[Math.floor(random() * names.length)]!;
          count(attacks, name);
          running++;
          attackers[name]()
            .catch((err: unknown) => violation(`attack ${name} threw: ${String(err)}`))
            .finally(() => running--);
        }
        // Bounded: old attack sockets go, as an attacker's would when it gives up.
        while (sockets.length > 200) {
          const s = sockets.shift()!;
          if (s instanceof WebSocket) s.terminate();
          else s.destroy();
        }
      }, TICK_MS);
    });
    await until(() => running === 0, 5000);
    const drained = () => live.every((c) => live.every((from) => c.seen.get(from.id) === from.sent));
    if (!(await until(drained, 10_000))) {
      for (const c of live)
        for (const from of live)
          if (c.seen.get(from.id) !== from.sent)
            violation(`${c.id} saw ${from.id} up to #${c.seen.get(from.id) ?? 0} of ${from.sent}: lines lost`);
    }
    if (sim.status !== 'connected') violation(`the Linux agent's status is ${sim.status}: it lost its connection`);
    if (sim.connections !== 1) violation(`the agent connected ${sim.connections} times: its connection was cut`);
  } finally {
    for (const s of sockets.splice(0)) s instanceof WebSocket ? s.terminate() : s.destroy();
    for (const c of live) c.ws.close();
    await sim?.stop();
    // The sim keeps every line it sent and received: let it go before the heap is read, so the
    // figure is the server's.
    agentConnections = sim?.connections ?? 0;
    sim = undefined;
    live.length = 0;
    await until(() => server.stats().agents === 0 && server.stats().controllers === 0, 5000);
    await until(() => server.channels().length <= 1, 5000);
    if (server.channels().length > 1) violation(`channels left behind: ${JSON.stringify(server.channels())}`);
    await opts.idle?.('end');
    await server.close();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
  return {
    seed,
    durationMs: Math.round(performance.now() - t0),
    liveLines,
    deliveriesVerified: verified,
    attacks,
    refusals,
    agentConnections,
    violations,
  };
}

async function liveController(url: string, id: string): Promise<Live> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { id, ws, sent: 0, seen: new Map() };
}

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function main(argv: string[]): Promise<number> {
  const seconds = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : 60;
  const seed = argv.includes('--seed') ? Number(argv[argv.indexOf('--seed') + 1]) : undefined;
  await runAttackSoak({ durationMs: 1500, seed: 1 }); // warm-up: modules loaded, paths compiled
  let baseline = 0;
  let after = 0;
  const idle = async (phase: 'start' | 'end') => {
    await new Promise((r) => setTimeout(r, 200));
    if (phase === 'start') baseline = heapAfterGc();
    else after = heapAfterGc();
  };
  const report = await runAttackSoak({ durationMs: seconds * 1000, seed, idle });
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const tolerance = Math.max(4 * 1024 * 1024, baseline * 0.25);
  const { violations, ...rest } = report;
  console.log(JSON.stringify(rest, null, 2));
  console.log(`heap after GC: before ${mb(baseline)}, after ${mb(after)} (tolerance ${mb(tolerance)})`);
  if (after - baseline > tolerance) violations.push(`heap grew by ${mb(after - baseline)}`);
  for (const v of violations) console.log(`VIOLATION ${v}`);
  console.log(violations.length ? `attack soak FAILED (${violations.length})` : 'attack soak passed');
  return violations.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    const again = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
    });
    process.exit(again.status ?? 1);
  }
  process.exit(await main(process.argv.slice(2)));
}

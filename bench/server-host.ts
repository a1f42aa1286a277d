// Child process that runs ONE server for the relay and scale benchmarks, so its CPU and memory
// are its own: `ours` (createServer) or `forwarder` (the minimal `ws` relay the relay benchmark
// compares against). Talks to its parent over IPC: it sends { port } once listening, answers
// 'memory' with process.memoryUsage() after a full GC, 'sample' with its CPU time and its own
// event-loop delay since the previous 'sample', and exits on 'stop'.
import { createServer as createHttpServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { createServer } from '../src/node/server/server.js';
import type { ServerOptions } from '../src/node/server/server.js';

export type HostKind = 'ours' | 'forwarder';

export type HostRequest = 'memory' | 'sample' | 'stop';
/** CPU time so far (user + system, µs), and the event loop's delay since the previous sample. */
export interface HostSample {
  cpuUs: number;
  lagP99Ms: number;
  lagMaxMs: number;
}
export type HostReply = { port: number } | { memory: NodeJS.MemoryUsage } | { sample: HostSample } | { error: string };

interface Running {
  port: number;
  close(): Promise<void>;
}

/**
 * The baseline: an agent (X-App-Type: MMDAgent) and the controllers on the same path; every
 * agent frame goes to every controller and every controller frame to the agent, unchecked.
 */
async function startForwarder(): Promise<Running> {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  const channels = new Map<string, { agent?: WebSocket; controllers: Set<WebSocket> }>();
  wss.on('connection', (ws, req) => {
    const path = req.url ?? '/';
    let channel = channels.get(path);
    if (!channel) channels.set(path, (channel = { controllers: new Set() }));
    const ch = channel;
    if (req.headers['x-app-type'] === 'MMDAgent') {
      ch.agent = ws;
      ws.on('message', (data, isBinary) => {
        for (const c of ch.controllers) c.send(data, { binary: isBinary });
      });
      ws.on('close', () => (ch.agent = undefined));
    } else {
      ch.controllers.add(ws);
      ws.on('message', (data, isBinary) => ch.agent?.send(data, { binary: isBinary }));
      ws.on('close', () => ch.controllers.delete(ws));
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}

async function startOurs(options: ServerOptions): Promise<Running> {
  const server = await createServer({ ...options, host: '127.0.0.1', port: 0 });
  server.on('error', (err) => process.send?.({ error: String(err) } satisfies HostReply));
  return { port: server.address().port, close: () => server.close() };
}

const profileDir = process.env.BENCH_CPU_PROF;
const lag = monitorEventLoopDelay({ resolution: 1 });
let profiler: Session | undefined;

/** Starts a CPU profile, or stops the running one and writes it to `dir` (BENCH_CPU_PROF, bench/clients.ts). */
async function toggleProfile(kind: HostKind, dir: string): Promise<void> {
  const post = (method: string) =>
    new Promise<any>((resolve, reject) =>
      profiler!.post(method, (err, result) => (err ? reject(err) : resolve(result))),
    );
  if (!profiler) {
    profiler = new Session();
    profiler.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    return;
  }
  const { profile } = await post('Profiler.stop');
  profiler.disconnect();
  profiler = undefined;
  writeFileSync(join(dir, `${kind}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
}

// As the CLI runs its server (src/node/cli.ts): V8 stops pretenuring by allocation site. Ours had
// sites tenured while 2,000 connections were set up; afterwards short-lived per-line objects kept
// being copied out of the young generation (1.1-2 MB promoted per scavenge, the forwarder 0.1 MB)
// and scavenges paused 2-4x longer. Both servers get it, so the comparison stays fair.
setFlagsFromString('--no-allocation-site-pretenuring');

async function main(): Promise<void> {
  const kind = process.argv[2] as HostKind;
  const options = JSON.parse(process.argv[3] ?? '{}') as ServerOptions;
  // Never outlive the benchmark: the IPC channel closes when the parent exits, however it exits.
  process.on('disconnect', () => process.exit(0));
  const running = kind === 'ours' ? await startOurs(options) : await startForwarder();
  process.on('message', async (request: HostRequest) => {
    if (request === 'memory') {
      // Several passes: weak references and finalizers free more on the second one.
      for (let i = 0; i < 4; i++) {
        globalThis.gc?.();
        await new Promise((r) => setImmediate(r));
      }
      process.send!({ memory: process.memoryUsage() } satisfies HostReply);
    } else if (request === 'sample') {
      if (profileDir) await toggleProfile(kind, profileDir);
      const { user, system } = process.cpuUsage();
      const sample = { cpuUs: user + system, lagP99Ms: lag.percentile(99) / 1e6, lagMaxMs: lag.max / 1e6 };
      process.send!({ sample } satisfies HostReply);
      // Sampled every ms only from the first sample on (the load phase): the timer costs CPU too.
      lag.reset();
      lag.enable();
    } else if (request === 'stop') {
      await running.close();
      process.exit(0);
    }
  });
  process.send!({ port: running.port } satisfies HostReply);
}

await main();

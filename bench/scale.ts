// Scale: 1,000 agents on one server, each on its own channel with one controller attached, each
// sending 10 lines per second. The server runs in one child process (bench/server-host.ts), the
// load in another (bench/scale-load.ts), so process.memoryUsage() in the server counts only the
// server. Agents are raw `ws` clients that echo the sync line, not full simulators.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startHost } from './clients.js';
import { fmtBytes, fmtMs } from './lib.js';
import type { Mode, Row, Table } from './lib.js';
import type { LoadReply, LoadRequest } from './scale-load.js';
import type { HostKind, HostSample } from './server-host.js';

const SIZES: Record<Mode, { agents: number; seconds: number; warmup: number }> = {
  full: { agents: 1000, seconds: 10, warmup: 2 },
  quick: { agents: 1000, seconds: 3, warmup: 1 },
  smoke: { agents: 5, seconds: 0.3, warmup: 0.2 },
};
const RATE = 10;
const P99_LIMIT_MS = 20;
const BYTES_PER_CONNECTION = 64 * 1024;
const LOAD_SCRIPT = fileURLToPath(new URL('./scale-load.ts', import.meta.url));

export interface ScaleResult {
  connected: number;
  connectMs: number;
  before: NodeJS.MemoryUsage;
  idle: NodeJS.MemoryUsage;
  busy: NodeJS.MemoryUsage;
  sent: number;
  received: number;
  p50: number;
  p99: number;
  max: number;
  loadLagP99: number;
  /** The server's CPU time (µs) and event-loop delay from 'go' until every line arrived, when asked for. */
  server?: HostSample;
}

/** One full scale run against a fresh server of `kind`. */
async function scaleRun(kind: HostKind, agents: number, seconds: number, warmup: number): Promise<ScaleResult> {
  const host = await startHost(kind, { maxChannels: agents + 16 });
  try {
    return await driveLoad(
      host.url(''),
      kind,
      agents,
      seconds,
      warmup,
      () => host.memory(),
      () => host.sample(),
    );
  } finally {
    await host.stop();
  }
}

/**
 * Drives the scale load (bench/scale-load.ts, in its own process) against `base`, which may be
 * one server or a proxy in front of several (bench/fleet.ts); `memory` reads the servers' memory.
 */
export async function driveLoad(
  base: string,
  kind: HostKind,
  agents: number,
  seconds: number,
  warmup: number,
  memory: () => Promise<NodeJS.MemoryUsage>,
  sample?: () => Promise<HostSample>,
): Promise<ScaleResult> {
  const load = fork(LOAD_SCRIPT, [base, kind, String(agents), String(seconds), String(RATE), String(warmup)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies: LoadReply[] = [];
  let wake: (() => void) | undefined;
  let exited = false;
  load.on('message', (m: LoadReply) => {
    replies.push(m);
    wake?.();
  });
  load.on('exit', () => {
    exited = true;
    wake?.();
  });
  const next = async <K extends string>(key: K): Promise<Extract<LoadReply, Record<K, unknown>>> => {
    for (;;) {
      const m = replies.shift();
      if (m && 'error' in m) throw new Error(`scale load generator: ${m.error}`);
      if (m && key in m) return m as Extract<LoadReply, Record<K, unknown>>;
      if (exited) throw new Error('scale load generator exited early');
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const ask = (r: LoadRequest) => load.send(r);
  try {
    const before = await memory();
    const { connected, connectMs } = await next('connected');
    const idle = await memory();
    const startSample = await sample?.();
    ask('go');
    const result = await next('sent');
    const endSample = await sample?.();
    const busy = await memory();
    ask('close');
    await next('closed');
    const server = startSample && endSample ? { ...endSample, cpuUs: endSample.cpuUs - startSample.cpuUs } : undefined;
    return { connected, connectMs, before, idle, busy, ...result, server };
  } finally {
    if (!exited) load.kill();
  }
}

const cpuPerLine = (r: ScaleResult) => (r.server?.cpuUs ?? NaN) / r.sent;
const fmtUs = (us: number) => `${us.toFixed(1)} µs`;

export async function run(mode: Mode): Promise<Table[]> {
  const { agents, seconds, warmup } = SIZES[mode];
  const ours = await scaleRun('ours', agents, seconds, warmup);
  const fwd = await scaleRun('forwarder', agents, seconds, warmup);
  const perConnection = (r: ScaleResult, pick: (m: NodeJS.MemoryUsage) => number) =>
    (pick(r.idle) - pick(r.before)) / (r.connected * 2);
  const rss = (m: NodeJS.MemoryUsage) => m.rss;
  const heap = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;
  const lost = ours.sent - ours.received;
  const forwarder = (text: string) => `minimal forwarder: ${text}`;
  const rows: Row[] = [
    {
      name: 'delivery (agent → controller)',
      ours: `${ours.received}/${ours.sent} lines`,
      baseline: 'no loss',
      ratio: ours.sent ? ours.received / ours.sent : NaN,
      target: { op: '>=', value: 1 },
      note: lost ? `${lost} lost` : undefined,
    },
    {
      name: 'delivery latency p99',
      ours: fmtMs(ours.p99),
      baseline: `limit ${P99_LIMIT_MS} ms`,
      ratio: ours.p99 / P99_LIMIT_MS,
      target: { op: '<=', value: 1 },
      note:
        `p50 ${fmtMs(ours.p50)}, max ${fmtMs(ours.max)}; load generator's own loop lag p99 ` +
        `${fmtMs(ours.loadLagP99)}; ` +
        `${forwarder(`p50 ${fmtMs(fwd.p50)}, p99 ${fmtMs(fwd.p99)}, lag p99 ${fmtMs(fwd.loadLagP99)}`)}`,
    },
    {
      name: 'delivery latency p99 vs forwarder',
      ours: fmtMs(ours.p99),
      baseline: `forwarder ${fmtMs(fwd.p99)}`,
      ratio: ours.p99 / fwd.p99,
      target: { op: '<=', value: 1.5 },
      note: 'the same load against the minimal `ws` forwarder, in the same run (issue 17)',
    },
    {
      name: 'server CPU per line (agent → controller)',
      ours: fmtUs(cpuPerLine(ours)),
      baseline: `forwarder ${fmtUs(cpuPerLine(fwd))}`,
      ratio: cpuPerLine(ours) / cpuPerLine(fwd),
      note:
        'user + system CPU of the server process during the load, ÷ lines sent: what decides latency once the ' +
        'machine is busy, and steadier than wall-clock percentiles on a shared machine',
    },
    {
      name: "server's own event-loop delay p99",
      ours: fmtMs(ours.server?.lagP99Ms ?? NaN),
      baseline: `forwarder ${fmtMs(fwd.server?.lagP99Ms ?? NaN)}`,
      ratio: (ours.server?.lagP99Ms ?? NaN) / (fwd.server?.lagP99Ms ?? NaN),
      note:
        `max ${fmtMs(ours.server?.lagMaxMs ?? NaN)}, forwarder's ${fmtMs(fwd.server?.lagMaxMs ?? NaN)}: ` +
        'the server alone, without the load generator’s delays that the delivery figures include',
    },
    {
      name: 'server RSS per idle connection',
      ours: fmtBytes(perConnection(ours, rss)),
      baseline: `limit ${fmtBytes(BYTES_PER_CONNECTION)}`,
      ratio: perConnection(ours, rss) / BYTES_PER_CONNECTION,
      target: { op: '<=', value: 1 },
      note: forwarder(fmtBytes(perConnection(fwd, rss))),
    },
    {
      name: 'server heap+external per idle connection',
      ours: fmtBytes(perConnection(ours, heap)),
      baseline: `limit ${fmtBytes(BYTES_PER_CONNECTION)}`,
      ratio: perConnection(ours, heap) / BYTES_PER_CONNECTION,
      target: { op: '<=', value: 1 },
      note: forwarder(fmtBytes(perConnection(fwd, heap))),
    },
    {
      name: 'server RSS under load',
      ours: fmtBytes(ours.busy.rss),
      baseline: `idle ${fmtBytes(ours.idle.rss)}`,
      note: `before connecting ${fmtBytes(ours.before.rss)}`,
    },
  ];
  return [
    {
      title: `Scale: ${agents} agents × ${RATE} lines/s, one controller each`,
      rows,
      notes: [
        `${ours.connected} channels (${ours.connected * 2} connections) opened in ${fmtMs(ours.connectMs)}, ` +
          `then ${warmup} s of warm-up and ${seconds} s of measured load (${agents * RATE} lines/s into the ` +
          `server and as many out). Latency = arrival at the controller − send time at the agent (same process, ` +
          `same clock).`,
        'Server memory: process.memoryUsage() in the server process after forced GC (--expose-gc), before ' +
          'connecting vs with every connection open and idle, divided by agents + controllers. Ratios are figure ' +
          '÷ limit (≤ 1× passes).',
        'Agents are lightweight raw `ws` clients (X-App-Type: MMDAgent, echo of the sync line), not full ' +
          'simulators; the load generator is a separate child process. The same load against the minimal ' +
          'forwarder of the relay benchmark is given for reference.',
      ],
    },
  ];
}

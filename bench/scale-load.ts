// Load generator for the scale benchmark, run as a child process so that the server's memory is
// measured alone. Opens `agents` channels, each with one raw `ws` agent and one controller;
// on 'go' every agent sends `rate` timestamped lines per second for a warm-up and then
// `seconds`, and the
// controllers record how long each took to arrive. Agents and controllers live in this one
// process, so both ends of a delivery read the same clock.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { closeAll, connectAgent, connectController } from './clients.js';
import type { Peer } from './clients.js';
import type { HostKind } from './server-host.js';
import { percentile } from './lib.js';

export type LoadRequest = 'go' | 'close';
export type LoadReply =
  | { connected: number; connectMs: number }
  | { sent: number; received: number; p50: number; p99: number; max: number; loadLagP99: number }
  | { closed: true }
  | { error: string };

const [base, kindArg, agentsArg, secondsArg, rateArg, warmupArg] = process.argv.slice(2);
const kind = kindArg as HostKind;
const warmupMs = Number(warmupArg) * 1000;
const agents = Number(agentsArg);
const seconds = Number(secondsArg);
const rate = Number(rateArg);
/** Connections opened at once: enough to be quick, few enough not to trip the accept backlog. */
const CONNECT_BATCH = 50;

const send = (m: LoadReply) => process.send!(m);

async function main(): Promise<void> {
  // Never outlive the benchmark: the IPC channel closes when the parent exits, however it exits.
  process.on('disconnect', () => process.exit(0));
  const peers: Peer[] = [];
  const channels: { agent: Peer; controller: Peer }[] = [];
  const started = performance.now();
  for (let i = 0; i < agents; i += CONNECT_BATCH) {
    const batch = [];
    for (let k = i; k < Math.min(agents, i + CONNECT_BATCH); k++) {
      batch.push(
        (async () => {
          const url = `${base}/scale-${k}`;
          const agent = await connectAgent(url);
          const controller = await connectController(url, kind);
          return { agent, controller };
        })(),
      );
    }
    for (const c of await Promise.all(batch)) {
      channels.push(c);
      peers.push(c.agent, c.controller);
    }
  }
  send({ connected: channels.length, connectMs: performance.now() - started });

  const latencies: number[] = [];
  let sent = 0;
  let received = 0;
  let measureFrom = Infinity; // lines sent during the warm-up are counted but not timed
  for (const { controller } of channels) {
    controller.onText = (text) => {
      received++;
      const sentAt = Number(text.slice(text.lastIndexOf('|') + 1));
      if (sentAt >= measureFrom) latencies.push(performance.now() - sentAt);
    };
  }
  // This process's own event-loop lag, to tell the server's delays from the load generator's.
  const lag = monitorEventLoopDelay({ resolution: 1 });

  process.on('message', async (request: LoadRequest) => {
    if (request === 'go') {
      const period = 1000 / rate;
      measureFrom = performance.now() + warmupMs;
      setTimeout(() => lag.enable(), warmupMs);
      const timers: ReturnType<typeof setInterval>[] = [];
      await new Promise<void>((resolve) => {
        channels.forEach(({ agent }, i) => {
          // Spread the agents over the period so the load is steady, not 1000 lines at once.
          const delay = (i / channels.length) * period;
          setTimeout(() => {
            let seq = 0;
            timers.push(
              setInterval(() => {
                sent++;
                agent.ws.send(`BENCH_EVENT|${i}|${seq++}|${performance.now().toFixed(3)}\n`);
              }, period),
            );
          }, delay);
        });
        setTimeout(resolve, warmupMs + seconds * 1000 + period);
      });
      for (const t of timers) clearInterval(t);
      // Let the last lines arrive (bounded: a lost one must not hang the benchmark).
      const deadline = performance.now() + 2000;
      while (received < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      lag.disable();
      send({
        sent,
        received,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: percentile(latencies, 100),
        loadLagP99: lag.percentile(99) / 1e6,
      });
    } else if (request === 'close') {
      await closeAll(peers);
      process.send!({ closed: true } satisfies LoadReply, () => process.exit(0));
    }
  });
}

main().catch((err) => {
  process.send!({ error: String(err?.stack ?? err) } satisfies LoadReply, () => process.exit(1));
});

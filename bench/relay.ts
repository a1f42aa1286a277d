// Relay throughput and round-trip latency through our server against a minimal `ws` forwarder.
// Each server runs in its own child process (bench/server-host.ts); the agent and controller are
// raw `ws` clients in this process, the same code for both servers. Rounds alternate between
// the two servers; round 0 is a warm-up.
import { closeAll, connectAgent, connectController, startHost } from './clients.js';
import type { Host, Peer } from './clients.js';
import { fmtMs, fmtRate, median, percentile } from './lib.js';
import type { Mode, Row, Table } from './lib.js';

const SIZES: Record<Mode, { messages: number; pings: number; rounds: number }> = {
  full: { messages: 20_000, pings: 2_000, rounds: 5 },
  quick: { messages: 5_000, pings: 500, rounds: 2 },
  smoke: { messages: 50, pings: 20, rounds: 1 },
};
/** Messages in flight at most: deep enough to keep both processes busy, far below every buffer limit. */
const WINDOW = 256;
const TIMEOUT_MS = 30_000;

/**
 * Sends `count` one-line frames from `from` to `to` with at most WINDOW in flight; resolves with
 * the elapsed ms once all arrived. A lost message shows up as a timeout.
 */
function pump(from: Peer, to: Peer, count: number, line: (i: number) => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    const fill = () => {
      while (sent < count && sent - received < WINDOW) from.ws.send(line(sent++));
    };
    const timer = setTimeout(
      () => reject(new Error(`relay benchmark: ${count - received} of ${count} messages never arrived`)),
      TIMEOUT_MS,
    );
    const t0 = performance.now();
    to.onText = () => {
      if (++received === count) {
        clearTimeout(timer);
        to.onText = () => {};
        resolve(performance.now() - t0);
      } else if (sent - received <= WINDOW / 2) fill();
    };
    fill();
  });
}

/** Sequential pings controller → agent → (echo) → controller; returns each round trip in ms. */
async function pings(controller: Peer, agent: Peer, count: number): Promise<number[]> {
  agent.onText = (text) => agent.ws.send(text); // MMDAgent-EX echoes injected messages
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`relay benchmark: ping ${i} never came back`)), TIMEOUT_MS);
      controller.onText = () => {
        clearTimeout(timer);
        resolve();
      };
      controller.ws.send(`PING|${i}\n`);
    });
    samples.push(performance.now() - t0);
  }
  agent.onText = () => {};
  return samples;
}

interface Result {
  toControllerMs: number[];
  toAgentMs: number[];
  rtt: number[];
}

export async function run(mode: Mode): Promise<Table[]> {
  const { messages, pings: pingCount, rounds } = SIZES[mode];
  // The default policy allows a controller 200 frames and 500 lines per second, a channel 1,000
  // lines (wire.md §5.4, issue 13); lifted here to measure what the relay itself can carry.
  const unlimited = { controllerFramesPerSecond: 1e9, controllerLinesPerSecond: 1e9, channelLinesPerSecond: 1e9 };
  const hosts: Host[] = [await startHost('ours', unlimited), await startHost('forwarder')];
  const peers: Peer[] = [];
  try {
    const pairs = [];
    for (const host of hosts) {
      const agent = await connectAgent(host.url('/bench'));
      const controller = await connectController(host.url('/bench'), host.kind);
      peers.push(agent, controller);
      pairs.push({ host, agent, controller, result: { toControllerMs: [], toAgentMs: [], rtt: [] } as Result });
    }
    for (let r = 0; r <= rounds; r++) {
      for (const { agent, controller, result } of pairs) {
        const up = await pump(agent, controller, messages, (i) => `MOTION_EVENT_ADD|mei|base|${i}\n`);
        const down = await pump(controller, agent, messages, (i) => `MOTION_ADD|mei|base|motion/${i}.vmd\n`);
        const rtt = await pings(controller, agent, pingCount);
        if (r === 0) continue; // warm-up
        result.toControllerMs.push(up);
        result.toAgentMs.push(down);
        result.rtt.push(...rtt);
      }
    }
    const [ours, fwd] = pairs.map((p) => p.result);
    const rate = (ms: number[]) => (messages / median(ms)) * 1000;
    const rows: Row[] = [
      {
        name: 'agent → controller throughput',
        ours: fmtRate(rate(ours.toControllerMs), 'msg'),
        baseline: fmtRate(rate(fwd.toControllerMs), 'msg'),
        ratio: rate(ours.toControllerMs) / rate(fwd.toControllerMs),
        target: { op: '>=', value: 0.8 },
      },
      {
        name: 'controller → agent throughput',
        ours: fmtRate(rate(ours.toAgentMs), 'msg'),
        baseline: fmtRate(rate(fwd.toAgentMs), 'msg'),
        ratio: rate(ours.toAgentMs) / rate(fwd.toAgentMs),
        target: { op: '>=', value: 0.8 },
      },
      {
        name: 'round trip p50',
        ours: fmtMs(percentile(ours.rtt, 50)),
        baseline: fmtMs(percentile(fwd.rtt, 50)),
        ratio: percentile(ours.rtt, 50) / percentile(fwd.rtt, 50),
      },
      {
        name: 'round trip p99',
        ours: fmtMs(percentile(ours.rtt, 99)),
        baseline: fmtMs(percentile(fwd.rtt, 99)),
        ratio: percentile(ours.rtt, 99) / percentile(fwd.rtt, 99),
        target: { op: '<=', value: 1.2 },
      },
    ];
    return [
      {
        title: 'Relay (server) vs a minimal ws forwarder',
        rows,
        notes: [
          `Throughput: ${messages} one-line frames (~35 bytes) per direction per round, at most ${WINDOW} in ` +
            `flight; median of ${rounds} rounds after a warm-up round. Ratio = ours ÷ forwarder (higher is ` +
            `better).`,
          `Round trip: ${pingCount} sequential PING lines per round, controller → relay → agent, echoed back ` +
            `by the agent as MMDAgent-EX does; p50/p99 over all rounds. Ratio = ours ÷ forwarder (lower is ` +
            `better).`,
          'Each server runs alone in a child process; both clients are raw `ws` sockets on 127.0.0.1 in the ' +
            'bench process. The forwarder passes frames through unchecked (ws defaults); ours validates every ' +
            'controller line (wire.md §12), checks agent UTF-8 and keeps per-channel state.',
          'controllerFramesPerSecond is raised for this run: the default policy limits a controller to 200 ' +
            'frames/s, which would cap controller → agent throughput at 200 msg/s by design.',
        ],
      },
    ];
  } finally {
    await closeAll(peers);
    await Promise.all(hosts.map((h) => h.stop()));
  }
}

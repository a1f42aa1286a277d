// The simulated MMDAgent-EX against a plain `ws` server on 127.0.0.1 (test/support/sim-peer.ts),
// as the sim's tests use it: withSim() starts both, and `exchange` sends a line and collects what
// follows. All delays run at SCALE of real time.
import { startSim } from '../../src/node/sim/sim.js';
import type { Sim, SimOptions } from '../../src/node/sim/sim.js';
import { SimPeer, delay } from './sim-peer.js';

export const SCALE = 0.05;
export const PERIODIC = /^(CURRENT_TIME|AVATAR_EVENT_IDLE)\|/;

export interface Ctx {
  peer: SimPeer;
  sim: Sim;
  /** Sends `line` and returns the non-periodic frames that follow once `last` arrived and `quietMs` passed. */
  exchange(line: string | Buffer, last: string | RegExp, quietMs?: number): Promise<string[]>;
}

export async function withSim(opts: Partial<SimOptions>, body: (ctx: Ctx) => Promise<void>): Promise<void> {
  const peer = await SimPeer.start();
  let sim: Sim | undefined;
  try {
    sim = await startSim({ url: peer.url(), timeScale: SCALE, ...opts });
    await peer.connection(0);
    const exchange = async (line: string | Buffer, last: string | RegExp, quietMs = 40) => {
      const from = peer.frames.length;
      peer.send(line);
      await peer.frame(last, { from });
      await delay(quietMs);
      return peer
        .texts()
        .slice(from)
        .filter((t) => !PERIODIC.test(t));
    };
    await body({ peer, sim, exchange });
  } finally {
    await sim?.stop();
    await peer.close();
  }
}

// The 60-step script recorded against the real MMDAgent-EX (protocol/real-client/
// session-60-steps.real.json, session-2026-12.md), replayed against the sim: per step, the
// message types that follow the line must be the real ones, in the real order (timing differences
// that remain are in docs/sim.md). Before issue 12 item 6, 50 of 60 steps matched.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { describe, it } from './harness.js';
import { startSim } from '../src/node/sim/sim.js';
import { SimPeer, delay } from './support/sim-peer.js';

interface Step {
  step: number;
  label: string;
  line: string;
  after: Array<{ t?: number; line: string }>;
}

const SCALE = 0.05;
const PERIODIC = /^(CURRENT_TIME|AVATAR_EVENT_IDLE)\|/;
const steps = JSON.parse(readFileSync('protocol/real-client/session-60-steps.real.json', 'utf8')) as Step[];

const types = (lines: string[]): string[] =>
  lines
    .map((l) => l.replace(/\n$/, ''))
    .filter((l) => !PERIODIC.test(l))
    .map((l) =>
      l
        .split('|')
        .slice(0, l.startsWith('MENU') ? 2 : 1)
        .join('|'),
    );

describe('sim: the 60-step script against the recording of the real app (issue 12 item 6)', () => {
  it('every step gives the recorded message types in the recorded order, but for the listed differences', async () => {
    const peer = await SimPeer.start();
    const sim = await startSim({
      url: peer.url(),
      timeScale: SCALE,
      sounds: { 'test1s.wav': 1000, 'speech16k.wav': 6610 },
      motions: { 'motions/action/wavehand.vmd': 2370, 'gene/motion/01_happy.vmd': 4000 },
    });
    const diffs: Record<number, { real: string[]; sim: string[] }> = {};
    try {
      await peer.connection(0);
      await peer.until(() => sim.connections === 1);
      // The script's setup: avatar control on, model 0 (as createServer's `setup`).
      peer.send('__AV_START\n__AV_SETMODEL,0\n');
      await peer.frame('AVATAR|START\n');
      for (const s of steps) {
        const real = types(s.after.map((a) => a.line));
        const from = peer.frames.length;
        // As the recorded script did: a step ends when its replies are in (here: as many as the real
        // app sent), so a loaded machine's timer jitter cannot move a reply into the next step.
        const replies = () => types(peer.texts().slice(from));
        const lastMs = Math.max(...s.after.map((a) => a.t ?? 3000), 0);
        if (s.line.includes('|') || s.line.startsWith('__AV')) peer.send(`${s.line}\n`);
        // else: step 59 sent audio; the late event of step 57 came meanwhile
        await peer.until(() => replies().length >= real.length, lastMs * SCALE * 3 + 1000).catch(() => {});
        await delay(20);
        const got = replies().slice(0, s === steps.at(-1) ? real.length : undefined);
        if (JSON.stringify(real) !== JSON.stringify(got)) diffs[s.step] = { real, sim: got };
      }
    } finally {
      await sim.stop();
      await peer.close();
    }
    expect(sim.violations).to.deep.equal([]);
    expect(diffs).to.deep.equal({});
  });
});

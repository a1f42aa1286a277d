// The server's heartbeat sweep (src/node/server/heartbeat.ts): every channel once per period,
// spread evenly over the period's ticks instead of all at once (issue 17's p99).
import { expect } from 'chai';
import { HeartbeatSweep } from '../src/node/server/heartbeat.js';
import { createServer } from '../src/node/server/server.js';
import { describe, it } from './harness.js';

function channels(n: number): { beats: number; heartbeat(): void }[] {
  return Array.from({ length: n }, () => ({
    beats: 0,
    heartbeat() {
      this.beats++;
    },
  }));
}

describe('HeartbeatSweep', () => {
  it('visits 1,000 channels once per period, about 16 per tick, never all in one tick', () => {
    const all = channels(1000);
    const sweep = new HeartbeatSweep(30_000, () => all);
    expect(sweep.slices).to.equal(64);
    expect(sweep.tickMs).to.equal(469);
    const perTick: number[] = [];
    for (let tick = 0; tick < sweep.slices * 2; tick++) {
      const before = all.reduce((n, c) => n + c.beats, 0);
      sweep.tick();
      perTick.push(all.reduce((n, c) => n + c.beats, 0) - before);
    }
    expect(all.every((c) => c.beats === 2)).to.equal(true);
    expect(Math.max(...perTick)).to.equal(Math.ceil(1000 / 64));
  });

  it('keeps a channel in its slot when others come and go, so no controller gets less than a period', () => {
    const all = channels(10);
    const live = new Set(all);
    const sweep = new HeartbeatSweep(500, () => live);
    const visits = new Map<object, number[]>();
    for (const c of all) c.heartbeat = () => visits.set(c, [...(visits.get(c) ?? []), tick]);
    let tick = 0;
    for (; tick < sweep.slices * 3; tick++) {
      if (tick === 7) live.delete(all[0]);
      if (tick === 12) live.add(channels(1)[0]);
      sweep.tick();
    }
    for (const c of all.slice(1)) {
      const at = visits.get(c)!;
      expect(at).to.have.length(3);
      expect(at[1] - at[0]).to.equal(sweep.slices);
      expect(at[2] - at[1]).to.equal(sweep.slices);
    }
  });

  it('short periods (tests) tick at most every 50 ms, with one slice for a period under 100 ms', () => {
    expect(new HeartbeatSweep(100, () => []).slices).to.equal(2);
    expect(new HeartbeatSweep(100, () => []).tickMs).to.equal(50);
    expect(new HeartbeatSweep(20, () => []).slices).to.equal(1);
    expect(new HeartbeatSweep(20, () => []).tickMs).to.equal(20);
  });

  it('a server with 40 channels pings them spread over the period, not in one burst', async () => {
    const server = await createServer({ port: 0, heartbeatMs: 400 });
    try {
      const beats: number[] = [];
      for (let i = 0; i < 40; i++) {
        const channel = server.channel(`/c${i}`);
        const original = channel.heartbeat.bind(channel);
        channel.heartbeat = () => {
          beats.push(performance.now());
          original();
        };
      }
      await new Promise((r) => setTimeout(r, 900));
      // Every channel (and the configured /chat) at least once; never more than ceil(41 / 8) in one tick.
      expect(beats.length).to.be.at.least(40);
      const sorted = beats.sort((a, b) => a - b);
      let burst = 1;
      let longest = 1;
      for (let i = 1; i < sorted.length; i++) {
        burst = sorted[i] - sorted[i - 1] < 1 ? burst + 1 : 1;
        longest = Math.max(longest, burst);
      }
      expect(longest).to.be.at.most(Math.ceil(41 / 8));
    } finally {
      await server.close();
    }
  });
});

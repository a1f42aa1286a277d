// A few seconds of the relay soak (bench/soak.ts runs the 60 s version with a heap check): an
// agent and controllers exchange numbered messages while peers join, leave, vanish mid-frame
// (also during the upgrade), send garbage and oversized frames, and stall. Every well-formed
// message between live peers must arrive exactly once and in order, garbage must be refused
// with its code, and the server must end with no peer, channel or unhandled error left.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { runSoak } from '../bench/soak.js';

describe('soak: relay server under churn, garbage and stalls (DESIGN.md server; wire.md §4.3, §6, §12)', () => {
  it('delivers every message between live peers exactly once and in order, and leaks nothing', async () => {
    const report = await runSoak({ durationMs: 3000 });
    expect(report.violations, `seed ${report.seed}: ${JSON.stringify(report.violations).slice(0, 2000)}`).to.deep.equal(
      [],
    );
    // the run reached every kind of trouble it is meant to survive
    expect(report.agentConnects, 'agents (one replaced mid-run)').to.be.at.least(2);
    expect(report.controllerConnects).to.be.at.least(6);
    expect(report.garbageFrames).to.be.at.least(1);
    expect(report.oversizeFrames).to.be.at.least(1);
    expect(report.midFrameVanishes).to.be.at.least(3);
    expect(report.stalls).to.be.at.least(1);
    expect(report.refusedUpgrades, '429 for a second agent').to.be.at.least(1);
    expect(report.deliveriesVerified).to.be.above(1000);
    expect(report.serverStats).to.include({ agents: 0, controllers: 0, channels: 1 });
  });

  it('catches a message the agent never sent (a gap) and one a controller sent twice', async () => {
    const gap = await runSoak({ durationMs: 1200, seed: 3, inject: 'agent-skips' });
    expect(gap.violations.join('\n')).to.match(/message #\d+ after #\d+ \(lost, repeated or reordered\)/);
    const repeat = await runSoak({ durationMs: 1200, seed: 3, inject: 'controller-repeats' });
    expect(repeat.violations.join('\n')).to.match(/controller 1 message #30 after #30 \(repeated or reordered\)/);
  });
});

// The attack soak (bench/soak-attacks.ts) for a few seconds: attackers beside live traffic, and
// the checks that matter to MMDAgent-EX — no live line lost, repeated or reordered, the Linux
// agent never loses its connection, every attack refused with its documented answer.
import { expect } from 'chai';
import { runAttackSoak } from '../bench/soak-attacks.js';
import { describe, it } from './harness.js';

describe('attack soak', () => {
  it('keeps live traffic exact and the agent connected while every attack is refused', async () => {
    const report = await runAttackSoak({ durationMs: 3000, seed: 12345 });
    expect(report.violations, report.violations.join('\n')).to.deep.equal([]);
    expect(report.agentConnections).to.equal(1);
    expect(report.liveLines).to.be.greaterThan(0);
    // Both live controllers see both streams: each line is verified twice.
    expect(report.deliveriesVerified).to.equal(report.liveLines * 2);
    expect(Object.values(report.attacks).reduce((a, b) => a + b, 0)).to.be.greaterThan(10);
  });
});

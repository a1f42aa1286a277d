// Size budgets of issue 14, measured as users get them: imports from the packed tarball installed in
// a scratch app, bundled by esbuild and by rollup (+ node-resolve, terser), minified, gzip -9.
// The README's table is this measurement (test/support/pack-size.ts writes it; this test checks it).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from './harness.js';
import { packedApp, repoRoot } from './support/pack-app.js';
import {
  CASES,
  README_END,
  README_START,
  figures,
  readmeTable,
  shippedBundles,
  sizeTable,
  kb,
  measure,
  type SizeRow,
} from './support/pack-size.js';

let rows: SizeRow[] = [];
const row = (id: string): SizeRow => rows.find((r) => r.case.id === id)!;

describe('bundle sizes from the packed tarball (issue 14)', () => {
  before(async () => {
    rows = await measure(packedApp());
    for (const line of sizeTable(rows, shippedBundles()).split('\n')) console.log(`» ${line}`);
  });

  for (const c of CASES.filter((x) => x.budget !== undefined)) {
    it(`${c.label}: ≤ ${kb(c.budget!)} gzip with esbuild and with rollup + terser`, () => {
      const { esbuild, rollup } = row(c.id);
      expect(esbuild.gzip, `esbuild: ${esbuild.gzip} B`).to.be.at.most(c.budget!);
      expect(rollup.gzip, `rollup: ${rollup.gzip} B`).to.be.at.most(c.budget!);
    });
  }

  it('trims what is not imported: no catalog in connect, no messages in framing', () => {
    for (const bundler of ['esbuild', 'rollup'] as const) {
      expect(row('connect')[bundler].code, bundler).not.to.contain('MODEL_ADD');
      expect(row('framing')[bundler].code, bundler).not.to.contain('SYNTH_START');
      expect(row('framing')[bundler].code, bundler).not.to.contain('MDF');
      // the controller app does carry its two builders
      expect(row('controller')[bundler].code, bundler).to.contain('MOTION_ADD');
    }
  });

  it("the README's size table is this measurement (within 0.1 KB of rounding)", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const table = readmeTable(readme);
    const fix = 'run `npm run sizes` (after `npm run build`) and commit README.md';
    expect(table, `README.md has no ${README_START} … ${README_END} section: ${fix}`).to.be.a('string');
    const measured = figures(sizeTable(rows, shippedBundles()));
    const printed = figures(table!);
    expect(printed.length, `the README's table has other rows than the measurement: ${fix}`).to.equal(measured.length);
    const off = measured
      .map((m, i) => ({ m, p: printed[i] }))
      .filter(({ m, p }) => Math.abs(m - p) > 0.1 + 1e-9)
      .map(({ m, p }) => `README ${p} KB, measured ${m} KB`);
    expect(off, `the README's sizes are out of date (${off.join('; ')}): ${fix}`).to.deep.equal([]);
  });
});

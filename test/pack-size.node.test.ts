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
    it(`${c.label}: ≤ ${c.budget} B gzip with esbuild and with rollup + terser`, () => {
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

  // Budgeted rows within 0.1 KB (the rounding); the whole-core rows within 0.25 KB, so that a small
  // change elsewhere does not ask for a new table while growth still has to be written down.
  it("the README's size table is this measurement", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const table = readmeTable(readme);
    const fix = 'run `npm run sizes` (after `npm run build`) and commit README.md';
    expect(table, `README.md has no ${README_START} … ${README_END} section: ${fix}`).to.be.a('string');
    const measured = sizeTable(rows, shippedBundles()).split('\n');
    const printed = table!.split('\n');
    const label = (line: string) => line.split('|')[1]?.trim();
    expect(printed.map(label), `the README's table has other rows than the measurement: ${fix}`).to.deep.equal(
      measured.map(label),
    );
    const off = measured.flatMap((line, i) => {
      const tolerance = line.includes('≤') ? 0.1 : 0.25;
      const [m, p] = [figures(line), figures(printed[i])];
      return m.some((x, k) => !(Math.abs(x - p[k]) <= tolerance + 1e-9))
        ? [`${label(line)}: README ${p.join(' / ')} KB, measured ${m.join(' / ')} KB`]
        : [];
    });
    expect(off, `the README's sizes are out of date (${off.join('; ')}): ${fix}`).to.deep.equal([]);
  });
});

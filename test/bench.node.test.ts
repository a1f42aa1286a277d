// Smoke run of every benchmark at minimal sizes, so `npm test` proves `npm run bench` still
// works. No timing is asserted (these machines are noisy): only that each benchmark runs to the
// end, cleans up, and reports a well-formed table.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { BENCHES } from '../bench/run.js';
import { median, percentile, textTable, markdownTable, verdict } from '../bench/lib.js';

describe('bench helpers', () => {
  it('median and nearest-rank percentile', () => {
    expect(median([5, 1, 3])).to.equal(3);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentile(values, 50)).to.equal(50);
    expect(percentile(values, 99)).to.equal(99);
    expect(percentile(values, 100)).to.equal(100);
  });

  it('verdict compares the ratio with the target in the stated direction', () => {
    const row = { name: 'x', ours: '', baseline: '' };
    expect(verdict({ ...row, ratio: 0.8, target: { op: '>=', value: 0.7 } })).to.equal('PASS');
    expect(verdict({ ...row, ratio: 0.6, target: { op: '>=', value: 0.7 } })).to.equal('MISS');
    expect(verdict({ ...row, ratio: 1.3, target: { op: '<=', value: 1.2 } })).to.equal('MISS');
    expect(verdict({ ...row, ratio: 1.3 })).to.equal('info');
    expect(verdict({ ...row, ratio: NaN, target: { op: '<=', value: 1 } })).to.equal('info');
  });
});

describe('benchmarks run (smoke sizes)', () => {
  for (const name of Object.keys(BENCHES)) {
    it(name, async () => {
      const bench = await BENCHES[name]();
      const tables = await bench('smoke');
      expect(tables.length).to.be.greaterThan(0);
      for (const table of tables) {
        expect(table.rows.length, table.title).to.be.greaterThan(0);
        for (const row of table.rows) {
          expect(row.ours, row.name).to.not.equal('');
          if (row.target) expect(row.ratio, `${row.name} has a target but no ratio`).to.be.a('number');
          // A shape, not a sign: at smoke sizes a memory delta can come out negative (memory shrank
          // between samples: −5.9 once under load), and timings are noise.
          if (row.ratio !== undefined) expect(row.ratio, `${row.name}: ratio`).to.be.a('number').and.not.be.NaN;
        }
        expect(textTable(table)).to.contain(table.rows[0].name);
        expect(markdownTable(table)).to.match(/^### /);
      }
    });
  }
});

// Bundle size as users get it: the packed tarball installed in a scratch app, each import bundled
// by esbuild and by rollup (+ node-resolve, terser), minified, gzip -9, against the budgets of
// issue 14; and the shipped `<script>` bundles. The same measurement as test/pack-size.node.test.ts
// and the README's table (test/support/pack-size.ts). Needs a build: `npm run build` first.
import { fmtBytes } from './lib.js';
import type { Mode, Row, Table } from './lib.js';
import { packedApp } from '../test/support/pack-app.js';
import { measure, shippedBundles } from '../test/support/pack-size.js';

export async function run(_mode: Mode): Promise<Table[]> {
  const app = packedApp();
  const rows: Row[] = [];
  for (const r of await measure(app)) {
    for (const bundler of ['esbuild', 'rollup'] as const) {
      const size = r[bundler];
      const budget = r.case.budget;
      rows.push({
        name: `${r.case.label.replaceAll('`', '')}, ${bundler === 'rollup' ? 'rollup + terser' : 'esbuild'}`,
        ours: `${fmtBytes(size.gzip)} gzip`,
        baseline: budget ? `budget ${fmtBytes(budget)}` : '',
        ...(budget ? { ratio: size.gzip / budget, target: { op: '<=' as const, value: 1 } } : {}),
        note: `${fmtBytes(size.bytes)} minified`,
      });
    }
  }
  for (const s of shippedBundles(app)) {
    rows.push({
      name: `${s.file} as shipped`,
      ours: `${fmtBytes(s.gzip)} gzip`,
      baseline: '',
      note: `${fmtBytes(s.bytes)} minified`,
    });
  }
  return [
    {
      title: 'Bundle size (from the packed tarball)',
      rows,
      notes: [
        'Imports from the package as `npm install` puts it in an app, bundled for the browser, minified, gzip ' +
          'level 9. Ratio = size ÷ budget (≤ 1× passes).',
      ],
    },
  ];
}

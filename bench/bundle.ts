// Bundle size: the shipped browser entry (dist/browser.js, as the last `npm run build` left it)
// and fresh esbuild bundles of the core entry and of one-function imports, minified and gzipped
// as a user's bundler and web server would. Nothing is written to disk.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { fmtBytes } from './lib.js';
import type { Mode, Row, Table } from './lib.js';

const ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/browser.js', import.meta.url));
/** The core's browser budget (DESIGN: the whole core in 6 KB gzip). */
const BUDGET = 6 * 1024;

const gzip = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).length;

async function bundle(contents: string): Promise<{ code: string; inputs: Record<string, number> }> {
  const result = await build({
    stdin: { contents, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts' },
    bundle: true,
    format: 'esm',
    minify: true,
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.fromEntries(
    Object.entries(output.inputs).map(([file, v]) => [file.replace(/^.*?src\//, 'src/'), v.bytesInOutput]),
  );
  return { code: result.outputFiles[0].text, inputs };
}

export async function run(_mode: Mode): Promise<Table[]> {
  const rows: Row[] = [];
  const notes: string[] = [];
  if (existsSync(DIST)) {
    const code = readFileSync(DIST);
    const size = gzip(code);
    rows.push({
      name: 'dist/browser.js (whole core, as built)',
      ours: `${fmtBytes(size)} gzip`,
      baseline: `budget ${fmtBytes(BUDGET)}`,
      ratio: size / BUDGET,
      target: { op: '<=', value: 1 },
      note: `${fmtBytes(code.length)} minified, built ${statSync(DIST).mtime.toISOString().slice(0, 16)}`,
    });
  } else {
    notes.push('dist/browser.js is missing: run `npm run build` to measure the shipped bundle.');
  }
  const whole = await bundle(`export * from ${JSON.stringify(ENTRY)};`);
  const wholeSize = gzip(whole.code);
  rows.push({
    name: 'esbuild bundle of src/index.ts (whole core)',
    ours: `${fmtBytes(wholeSize)} gzip`,
    baseline: `budget ${fmtBytes(BUDGET)}`,
    ratio: wholeSize / BUDGET,
    target: { op: '<=', value: 1 },
    note: `${fmtBytes(whole.code.length)} minified`,
  });
  for (const names of ['encodeLine', 'synthStart', 'formatMessage', 'LineDecoder', 'AgentLink, connect']) {
    const { code } = await bundle(`export { ${names} } from ${JSON.stringify(ENTRY)};`);
    rows.push({
      name: `import { ${names} } only`,
      ours: `${fmtBytes(gzip(code))} gzip`,
      baseline: '',
      note: `${fmtBytes(code.length)} minified`,
    });
  }
  const largest = Object.entries(whole.inputs)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  notes.push(
    'esbuild with bundle, minify, format esm, platform browser; gzip level 9. Ratio = size ÷ budget (≤ 1× ' +
      'passes). One-function rows show what tree-shaking leaves.',
    `Largest contributors to the whole-core bundle (minified bytes before gzip): ` +
      `${largest.map(([f, b]) => `${f} ${fmtBytes(b)}`).join(', ')}.`,
  );
  return [{ title: 'Browser bundle size', rows, notes }];
}

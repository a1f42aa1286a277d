// The shipped browser bundle must stay free of `ws` and of Node built-ins (DESIGN.md principle 3),
// and within its size budgets (issue 7). Runs after `npm run build` (the first step of `npm test`).
//
// Sizes are gzip level 9 of minified code. The shipped bundle is dist/browser.js (rollup +
// terser); the partial imports are what an app's bundler makes of them (esbuild, minified).
// Budgets are the numbers where we meet them, else the measured size plus ~5 % headroom,
// so that growth fails here and has to be argued for.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from './harness.js';
import { bundleEntry as bundle, gzipSize as gzip } from './support/bundle-size.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p: string) => `${root}dist/${p}`;

const report = (what: string, size: { bytes: number; gzip: number }, budget: number) =>
  console.log(`  ${what}: ${size.bytes} B min, ${size.gzip} B gzip (budget ${budget} B gzip)`);

describe('browser bundle', () => {
  it('exists (run `npm run build` first)', () => {
    expect(existsSync(dist('browser.js')), 'dist/browser.js is missing: run npm run build').to.equal(true);
  });

  it('imports nothing: no ws, no isomorphic-ws, no node: built-ins', () => {
    const code = readFileSync(dist('browser.js'), 'utf8');
    // import/export statements only: an error message may quote `import connect from '…/server'`
    const statement = /(?:^|[;}\n])\s*(?:import|export)\b[^;"'`]*?(?:\bfrom\s*)?["'`]/;
    expect(code).not.to.match(statement, 'the browser bundle must be self-contained');
    expect('x;import{a}from"ws";').to.match(statement); // the check itself can fail
    expect('x;import"ws";').to.match(statement);
    expect(code).not.to.match(/\bimport\s*\(\s*["'](?:ws|isomorphic-ws|node:[^"']*)["']\s*\)/);
    expect(code).not.to.match(/require\(\s*["']/);
    expect(code).not.to.contain('node:');
  });
});

describe('bundle size budgets (issue 7)', () => {
  // Issue 7 asks for 6 KB with the full catalog; the default entry also carries .mdf editing and
  // linting, AgentLink, avatar and audio, and is far above that (see the report of issue 7).
  // This budget holds the measured size so that nothing grows unnoticed.
  it('dist/browser.js, the whole core entry', () => {
    const code = readFileSync(dist('browser.js'), 'utf8');
    const size = { bytes: code.length, gzip: gzip(code) };
    const budget = 28_800; // measured 27 461 B (issue 7 asks 6 KB: missed, see the comment above)
    report('dist/browser.js', size, budget);
    expect(size.gzip).to.be.at.most(budget);
  });

  it('framing only: encodeLine + LineDecoder', async () => {
    const size = await bundle("export { encodeLine, LineDecoder } from './src/index.ts'");
    // Measured 1 783 B (2 059 before the size work). The issue asks 1 536, but with every message
    // text cut out the code alone is 1 519 B: the messages that say what to do cost ~260 B.
    const budget = 1_870;
    report('encodeLine + LineDecoder', size, budget);
    expect(size.code).not.to.contain('SYNTH_START');
    expect(size.code).not.to.contain('parseMessage');
    expect(size.gzip).to.be.at.most(budget);
  });

  it('one catalog builder: synthStart', async () => {
    const size = await bundle("export { synthStart } from './src/index.ts'");
    const budget = 2_540; // measured 2 428 B: +220 B (from 2 208) for built messages that carry their checked line, so sending one formats nothing twice (docs/performance.md)
    report('synthStart', size, budget);
    expect(size.gzip).to.be.at.most(budget);
  });

  it('a session: AgentLink + connect', async () => {
    const size = await bundle("export { AgentLink, connect } from './src/index.ts'");
    const budget = 6_450; // measured 6 141 B: +290 B for the review fixes of this session (option checks, timers, redial abort)
    report('AgentLink + connect', size, budget);
    // AgentLink imports the catalog's types only (DESIGN.md, link.ts)
    expect(size.code).not.to.contain('MODEL_ADD');
    expect(size.gzip).to.be.at.most(budget);
  });
});

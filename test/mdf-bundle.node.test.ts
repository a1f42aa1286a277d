// Tree-shaking of the .mdf module: a bundle that only parses .mdf text must not carry the
// schema, the lint or the notes (the core browser bundle has a 6 KB gzip budget). Bundles
// in memory with esbuild (minified, as a user's bundler would) and measures gzip sizes.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { describe, it } from './harness.js';
import { bundleEntry } from './support/bundle-size.js';

const mdf = fileURLToPath(new URL('../src/mdf/index.ts', import.meta.url));

const bundle = (names: string) => bundleEntry(`export { ${names} } from ${JSON.stringify(mdf)};`);

// Budgets with some headroom over what was measured (2.2 KB, 3.8 KB, 8.1 KB after issue 16's TCP
// lint rules); they exist to catch a regression such as the schema leaking into the parser.
const PARSE_BUDGET = 2600;
const WEBSOCKET_BUDGET = 4200;
const LINT_BUDGET = 8700;

describe('mdf bundle size and tree-shaking', () => {
  it('parseMdf alone carries no schema, lint or notes', async () => {
    const { code, gzip } = await bundle('parseMdf');
    expect(code).not.to.contain('cartoon_edge_width');
    expect(code).not.to.contain('MDF_BOOLEAN_TRAP');
    expect(code).not.to.contain('Did you mean');
    expect(gzip, `parseMdf bundle is ${gzip} bytes gzip`).to.be.below(PARSE_BUDGET);
  });

  it('websocketSettings adds no schema either', async () => {
    const { code, gzip } = await bundle('parseMdf, websocketSettings, setWebsocketSettings');
    expect(code).not.to.contain('cartoon_edge_width');
    expect(gzip, `bundle is ${gzip} bytes gzip`).to.be.below(WEBSOCKET_BUDGET);
  });

  it('lintMdf brings the schema but not the docs notes', async () => {
    const { code, gzip } = await bundle('parseMdf, lintMdf');
    expect(code).to.contain('cartoon_edge_width');
    expect(code).not.to.contain('MMD-compatible edges'); // notes.ts is not exported from the core
    expect(gzip, `lint bundle is ${gzip} bytes gzip`).to.be.below(LINT_BUDGET);
  });
});

// The shipped browser bundle must stay free of `ws` and of Node built-ins (DESIGN.md principle 3).
// Runs after `npm run build` (the first step of `npm test`).
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from './harness.js';

const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));

describe('browser bundle', () => {
  it('exists (run `npm run build` first)', () => {
    expect(existsSync(dist('browser.js')), 'dist/browser.js is missing: run npm run build').to.equal(true);
  });

  it('imports nothing: no ws, no isomorphic-ws, no node: built-ins', () => {
    const code = readFileSync(dist('browser.js'), 'utf8');
    expect(code).not.to.match(/\bfrom\s*["'][^"']+["']/, 'the browser bundle must be self-contained');
    expect(code).not.to.match(/\bimport\s*\(\s*["'](?:ws|isomorphic-ws|node:[^"']*)["']\s*\)/);
    expect(code).not.to.match(/require\(\s*["']/);
    expect(code).not.to.contain('node:');
  });
});

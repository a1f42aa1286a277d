// What the build puts in dist/ for browsers must stay free of `ws` and of Node built-ins (DESIGN.md
// principle 3): the minified `<script>`/CDN bundle, and every core module of the unminified ES
// module tree that bundlers read. Runs after `npm run build` (the first step of `npm test`).
// Sizes are measured from the packed tarball instead: test/pack-size.node.test.ts.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from './harness.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

// import/export statements only: an error message may quote `import connect from '…/server'`
const statement = /(?:^|[;}\n])\s*(?:import|export)\b[^;"'`]*?(?:\bfrom\s*)?["'`]/;

/** Every module specifier a built ES module imports or re-exports from. */
function specifiers(code: string): string[] {
  const found = [...code.matchAll(/(?:^|[;}\n])\s*(?:import|export)\b[^;"'`]*?(?:\bfrom\s*)?["']([^"']+)["']/g)];
  const dynamic = [...code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)];
  return [...found, ...dynamic].map((m) => m[1]);
}

/** The core's modules in dist/: everything but `./server` and dist/node/. */
function coreModules(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(dist, full).replaceAll('\\', '/');
      if (entry.isDirectory()) {
        if (rel !== 'node' && rel !== 'types') walk(full);
      } else if (rel.endsWith('.js') && !['server.js', 'browser.js', 'browser.iife.js'].includes(rel)) {
        if (!rel.startsWith('playground')) out.push(rel);
      }
    }
  };
  walk(dist);
  return out;
}

describe('browser bundle', () => {
  it('exists (run `npm run build` first)', () => {
    expect(existsSync(join(dist, 'browser.js')), 'dist/browser.js is missing: run npm run build').to.equal(true);
  });

  it('imports nothing: no ws, no isomorphic-ws, no node: built-ins', () => {
    const code = readFileSync(join(dist, 'browser.js'), 'utf8');
    expect(code).not.to.match(statement, 'the browser bundle must be self-contained');
    expect('x;import{a}from"ws";').to.match(statement); // the check itself can fail
    expect('x;import"ws";').to.match(statement);
    expect(code).not.to.match(/\bimport\s*\(\s*["'](?:ws|isomorphic-ws|node:[^"']*)["']\s*\)/);
    expect(code).not.to.match(/require\(\s*["']/);
    expect(code).not.to.contain('node:');
  });
});

describe('the ES module tree for bundlers (dist/*.js)', () => {
  it('the core modules import only each other: no ws, no Node built-ins, nothing outside dist/', () => {
    const modules = coreModules();
    expect(modules).to.include.members(['index.js', 'line.js', 'message.js']);
    const bad = modules.flatMap((file) =>
      specifiers(readFileSync(join(dist, file), 'utf8'))
        .filter((s) => !s.startsWith('./') && !s.startsWith('../'))
        .map((s) => `${file} imports ${s}`),
    );
    expect(bad).to.deep.equal([]);
    expect(specifiers('import { a } from \'ws\';\nexport * from "node:fs";')).to.deep.equal(['ws', 'node:fs']);
  });

  it('the node entry is the core plus the connect() with a ws default', () => {
    const imports = specifiers(readFileSync(join(dist, 'node', 'index.js'), 'utf8'));
    expect(imports).to.include('./connect.js');
    expect(imports.filter((s) => !s.startsWith('../') && s !== './connect.js')).to.deep.equal([]);
  });
});

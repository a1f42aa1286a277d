// scripts/build.mjs swaps a finished build into dist/ with scripts/swap-dir.mjs, so a running
// `npm start` never serves a missing file (issue 14: `npm test` deleted dist/ and the playground's
// script 404ed for ~7 s). The swap is checked here on temporary folders, with a second process
// reading the served files the whole time.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from './harness.js';
import { swapDir as swap } from '../scripts/swap-dir.mjs';

/** A build output: top-level files, a subfolder, and one file only this version has. */
function writeBuild(dir: string, version: string): void {
  mkdirSync(join(dir, 'node'), { recursive: true });
  writeFileSync(join(dir, 'browser.iife.js'), `/* ${version} */`);
  writeFileSync(join(dir, 'playground.js'), `/* ${version} */`);
  writeFileSync(join(dir, 'node', 'cli.js'), `/* ${version} */`);
  writeFileSync(join(dir, `only-${version}.js`), version);
}

const READER = `
const { readFileSync, existsSync } = require('node:fs');
const [dir, stop] = process.argv.slice(1);
let reads = 0, misses = 0;
while (!existsSync(stop)) {
  for (const f of ['browser.iife.js', 'playground.js']) {
    try { readFileSync(dir + '/' + f); reads++; } catch { misses++; }
  }
}
process.stdout.write(JSON.stringify({ reads, misses }));
`;

describe('scripts/swap-dir.mjs (the build swaps dist/ in)', () => {
  it('leaves exactly the new build: files replaced, new ones added, stale ones and old folders gone', () => {
    const root = mkdtempSync(join(tmpdir(), 'mmd-swap-'));
    try {
      writeBuild(join(root, 'dist'), 'a');
      writeBuild(join(root, 'next'), 'b');
      mkdirSync(join(root, 'parking'));
      swap(join(root, 'next'), join(root, 'dist'), join(root, 'parking'));
      expect(readdirSync(join(root, 'dist')).sort()).to.deep.equal([
        'browser.iife.js',
        'node',
        'only-b.js',
        'playground.js',
      ]);
      expect(readFileSync(join(root, 'dist', 'node', 'cli.js'), 'utf8')).to.equal('/* b */');
      expect(readdirSync(root).sort()).to.deep.equal(['dist', 'next']); // parking removed, next emptied
      expect(readdirSync(join(root, 'next'))).to.deep.equal([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('makes the folder when there was none', () => {
    const root = mkdtempSync(join(tmpdir(), 'mmd-swap-'));
    try {
      writeBuild(join(root, 'next'), 'b');
      mkdirSync(join(root, 'parking'));
      swap(join(root, 'next'), join(root, 'dist'), join(root, 'parking'));
      expect(readFileSync(join(root, 'dist', 'browser.iife.js'), 'utf8')).to.equal('/* b */');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a process reading the served files during 200 swaps never finds one missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mmd-swap-'));
    const dist = join(root, 'dist');
    const stop = join(root, 'stop');
    try {
      writeBuild(dist, 'v0');
      const reader = spawn(process.execPath, ['-e', READER, dist, stop], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const done = new Promise<void>((resolve) => reader.on('close', () => resolve()));
      await new Promise((r) => setTimeout(r, 200)); // the reader is up and reading
      for (let i = 1; i <= 200; i++) {
        const next = join(root, `next-${i}`);
        const parking = join(root, `parking-${i}`);
        writeBuild(next, `v${i}`);
        mkdirSync(parking);
        swap(next, dist, parking);
        rmSync(next, { recursive: true, force: true });
      }
      writeFileSync(stop, '');
      await done;
      const { reads, misses } = JSON.parse(out) as { reads: number; misses: number };
      expect(reads, 'the reader read at all').to.be.greaterThan(0);
      expect(misses, `${misses} of ${reads + misses} reads found a file missing`).to.equal(0);
      expect(readFileSync(join(dist, 'playground.js'), 'utf8')).to.equal('/* v200 */');
    } finally {
      writeFileSync(stop, '');
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// The public API must not change by accident: the surface of the emitted .d.ts is compared with
// test/fixtures/api-surface.txt, a snapshot taken from the declarations before the restructuring.
// An intentional change updates that file in the same commit, with the reason.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from './harness.js';
import { SNAPSHOT, apiSurface, diffSurface, emitDeclarations, statements } from '../scripts/api-surface.js';

const tmp = mkdtempSync(join(tmpdir(), 'api-surface-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes a synthetic declaration tree and returns the surface of its `index.d.ts`. */
function surfaceOf(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return apiSurface(dir, { '.': 'index.d.ts' });
}

const base = {
  'index.d.ts': "export * from './a.js';\nexport { g as h } from './b.js';\n",
  'a.d.ts': [
    "import type { Opts } from './b.js';",
    '/** docs are not API */',
    'export declare function f(x: Opts): Result;',
    'export declare function f(x: string): Result;',
    'interface Result {\n    ok: boolean;\n}',
    'export declare class C {\n    #private;\n    m(): import("./b.js").Opts;\n}',
    '',
  ].join('\n'),
  'b.d.ts': 'export interface Opts {\n    a: string;\n}\nexport declare const g: (n: number) => string;\n',
};

describe('api surface', () => {
  it('matches the snapshot of the public API (test/fixtures/api-surface.txt)', () => {
    const { typesDir, cleanup, log } = emitDeclarations();
    try {
      const diff = diffSurface(readFileSync(SNAPSHOT, 'utf8'), apiSurface(typesDir));
      const hint = 'If the change is intended: node --import tsx scripts/api-surface.ts --write, and say why.';
      expect(diff, `The public API changed:\n${diff}\n${hint}\n${log.slice(0, 2000)}`).to.equal('');
    } finally {
      cleanup();
    }
  });

  it('lists each export with its declaration and the internal types it exposes', () => {
    const s = surfaceOf('base', base);
    expect(s).to.contain('@ . f\n@ . h = g\n');
    expect(s).to.contain('== f\nfunction f(x: Opts): Result;\nfunction f(x: string): Result;\n');
    expect(s).to.contain('== (internal) Result\ninterface Result {\n    ok: boolean;\n}\n');
    expect(s).to.contain('    m(): Opts;'); // import("./b.js"). is a path, not API
    expect(s).not.to.contain('docs are not API');
  });

  it('does not change when declarations move between files', () => {
    const moved = surfaceOf('moved', {
      'index.d.ts': "export * from './core/all.js';\n",
      'core/all.d.ts': [
        "export { f, C } from './f.js';",
        "export { g as h } from '../util/g.js';",
        "export type { Opts } from '../util/g.js';",
        '',
      ].join('\n'),
      'core/f.d.ts': [
        "import { type Opts } from '../util/g.js';",
        'export declare function f(x: Opts): Result;',
        'export declare function f(x: string): Result;',
        'interface Result {\n    ok: boolean;\n}',
        'export declare class C {\n    #private;\n    m(): import("../util/g.js").Opts;\n}',
        '',
      ].join('\n'),
      'util/g.d.ts': base['b.d.ts'],
    });
    const original = surfaceOf('base2', {
      ...base,
      'index.d.ts': base['index.d.ts'] + "export type { Opts } from './b.js';\n",
    });
    expect(diffSurface(original, moved)).to.equal('');
  });

  it('reports a removed export, a changed signature and a changed internal type readably', () => {
    const before = surfaceOf('before', base);
    const after = surfaceOf('after', {
      ...base,
      'index.d.ts': "export * from './a.js';\n",
      'a.d.ts': base['a.d.ts']
        .replace('x: string', 'x: number')
        .replace('ok: boolean', 'ok: 0 | 1')
        .replace('#private;', '#private;\n    private hidden;\n    private get inner();'),
    });
    const diff = diffSurface(before, after);
    expect(diff).to.contain('- . h = g');
    expect(diff).to.contain('Declaration changed: f\n  function f(x: Opts): Result;\n- function f(x: string)');
    expect(diff).to.contain('+ function f(x: number): Result;');
    expect(diff).to.contain('Declaration changed: (internal) Result');
    expect(diff).to.contain('+     ok: 0 | 1;');
    expect(diff, 'private members are not API').not.to.match(/hidden|inner|Declaration changed: C/);
  });

  it('splits declarations at their ends, not at semicolons inside blocks or strings', () => {
    const text = "export interface A {\n    x: ';';\n    y(): { z: 1 };\n}\nexport type B = `a;${string}`;\n// c;\n";
    expect(statements(text)).to.deep.equal([
      "export interface A {\n    x: ';';\n    y(): { z: 1 };\n}",
      'export type B = `a;${string}`;',
    ]);
  });
});

// The argument kinds table (src/catalog/kinds.ts): every kind reads back what it writes, refuses
// what MMDAgent-EX cannot read, and gives the playground a field whose text the builder accepts.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import {
  ARG_KINDS,
  Miss,
  OPTIONAL,
  REPEAT,
  formFieldOf,
  formValueOf,
  kindOf,
  specOf,
  tsTypeOf,
} from '../src/catalog/kinds.js';
import type { ArgKind, ArgSpec } from '../src/catalog/kinds.js';
import { CATALOG } from '../src/catalog/spec.js';

const WORDS = ['ON', 'OFF'];
const rows = Object.entries(ARG_KINDS) as [string, ArgKind][];

/** Values of each kind as a builder takes them and parseEvent gives them back (a new kind needs some). */
const SAMPLES: Record<string, unknown[]> = {
  alias: ['mei', 'モデル'],
  string: ['a, b', 'こんにちは'],
  path: ['model/mei/mei.pmd', 'https://example.com/a.txt'],
  rest: ['MOTION_ADD|mei|act'],
  enum: ['ON', 'OFF'],
  hexcolor: ['ff00aa', '00FF00AA'],
  int: [0, -3, 42],
  float: [0, 1.5, -2, 1e-7, 1e21],
  vec2: [[1.5, -2]],
  vec3: [[0, 15.25, 0]],
  rot3: [[0, -30, 90]],
  color3: [[0, 0.5, 1]],
  color4: [[1, 0.5, 0, 1]],
  edge5: [[1, 1, 1, 1, 4]],
  csv: [['OK'], ['OK', 'Cancel']],
  path2: [['images/floor.png', 'images/back.png']],
  textparams: [
    [1, 1, 1],
    [1.2, 0.5, 1, 1],
  ],
  phonemes: [
    [
      { phoneme: 'k', ms: 95 },
      { phoneme: 'o', ms: 105 },
    ],
  ],
};

/** Values a builder must refuse, and wire texts parseEvent must not accept, per kind. */
const BAD: Record<string, { values: unknown[]; texts: string[] }> = {
  alias: { values: ['a,b', 3, undefined], texts: [] },
  string: { values: [3, null], texts: [] },
  path: { values: [['a']], texts: [] },
  rest: { values: [1], texts: [] },
  enum: { values: ['on', 1], texts: ['on', 'MAYBE'] },
  hexcolor: { values: ['#ff0000', 'fff', 0xff0000], texts: ['red', 'fff'] },
  int: { values: [1.5, '1', NaN], texts: ['1.5', 'x', ''] },
  float: { values: [NaN, Infinity, '1', 1n], texts: ['x', '1,2', '0x1F'] },
  vec2: { values: [[1], [1, 2, 3], [1, NaN]], texts: ['1', '1,x'] },
  vec3: { values: [[0, 0], '0,0,0'], texts: ['1,2', '1,2,3,4', '1,x,2'] },
  rot3: { values: [[0, 0, 0, 0]], texts: ['1,2'] },
  color3: {
    values: [
      [0, 1.5, 0],
      [-0.1, 0, 0],
    ],
    texts: ['1,1'],
  },
  color4: { values: [[0, 0, 0]], texts: ['1,1,1'] },
  edge5: { values: [[1, 1, 1, 2, 4]], texts: ['1,1,1,1'] },
  csv: { values: [[], ['a,b'], 'a,b'], texts: [] },
  path2: { values: [['only-one.png']], texts: ['a.png', 'a,b,c'] },
  textparams: {
    values: [
      [1, 1],
      [1, 1, 1, 1, 1],
      ['1', '1', '1'],
    ],
    texts: ['1,1', '1,1,1,1,1', '1,a,1'],
  },
  phonemes: {
    values: [
      [],
      [{ phoneme: 'a,b', ms: 10 }],
      [{ phoneme: 'a', ms: NaN }],
      [{ phoneme: 'a' }],
      ['a', 10, { phoneme: 'b', ms: 1 }],
    ],
    texts: ['a', 'a,10,b', 'a,x', ','],
  },
};

const arg = (type: string, extra: Partial<ArgSpec> = {}): ArgSpec => ({
  name: 'x',
  type,
  optional: false,
  ...(type === 'enum' ? { enum: WORDS } : {}),
  ...extra,
});

describe('argument kinds (kinds.ts)', () => {
  it('cover every argument type of the catalog, and every kind has samples here', () => {
    const used = new Set(CATALOG.filter((e) => e.kind === 'message').flatMap((e) => e.args.map((a) => a.type)));
    for (const type of used) expect(() => kindOf(type), type).not.to.throw();
    expect(Object.keys(SAMPLES).sort()).to.deep.equal(Object.keys(ARG_KINDS).sort());
    expect(Object.keys(BAD).sort()).to.deep.equal(Object.keys(ARG_KINDS).sort());
    expect(() => kindOf('colour9')).to.throw('add a row there');
  });

  it('one letter per wire shape: types that share a letter share its writer and reader', () => {
    const byCode = new Map<string, ArgKind>();
    for (const [type, kind] of rows) {
      expect(kind.code, type).to.have.length(1);
      expect([OPTIONAL, REPEAT], type).not.to.include(kind.code);
      const other = byCode.get(kind.code);
      if (other) {
        expect(kind.write, type).to.equal(other.write);
        expect(kind.read, type).to.equal(other.read);
      }
      byCode.set(kind.code, kind);
    }
  });

  it('read back what they write, as the same value (a command and its echo agree)', () => {
    for (const [type, kind] of rows)
      for (const value of SAMPLES[type]) {
        const text = kind.write.write(value, WORDS);
        expect(text, `${type} ${JSON.stringify(value)}`).to.be.a('string');
        expect(kind.read.read(text as string, WORDS), `${type} ${text}`).to.deep.equal(value);
      }
  });

  it('refuse values and wire texts MMDAgent-EX cannot read, saying what was expected', () => {
    for (const [type, kind] of rows) {
      for (const value of BAD[type].values) {
        const miss = kind.write.write(value, WORDS);
        expect(miss, `${type} writes ${String(value)}`).to.be.instanceOf(Miss);
        expect((miss as Miss).expected)
          .to.be.a('string')
          .and.not.equal('');
      }
      for (const text of BAD[type].texts)
        expect(kind.read.read(text, WORDS), `${type} reads ${text}`).to.be.instanceOf(Miss);
    }
    expect((ARG_KINDS.alias.write.write('a,b') as Miss).expected).to.contain('","');
    expect((ARG_KINDS.color3.write.write([0, 2, 0]) as Miss).expected).to.contain('from 0 to 1');
    expect((ARG_KINDS.textparams.write.write([1]) as Miss).expected).to.equal('3 or 4 values');
    expect((ARG_KINDS.vec3.read.read('1,2') as Miss).expected).to.equal('3 comma-separated values');
  });

  it('phonemes: builders also take the flat list of the wire; parseEvent gives pairs', () => {
    const { write, read } = ARG_KINDS.phonemes;
    expect(write.write(['sil', 187, 'k', 75])).to.equal('sil,187,k,75');
    expect(write.write([{ phoneme: 'sil', ms: 187 }])).to.equal('sil,187');
    expect(read.read('sil,187,k,75')).to.deep.equal([
      { phoneme: 'sil', ms: 187 },
      { phoneme: 'k', ms: 75 },
    ]);
  });
});

describe('argument kinds: TypeScript types for the generator', () => {
  it('a field has the type the builder takes; wider parameters only where values are written by hand', () => {
    expect(tsTypeOf(arg('vec3'), 'field')).to.equal('Vec3');
    expect(tsTypeOf(arg('vec3'), 'param')).to.equal('Vec3');
    expect(tsTypeOf(arg('enum'), 'param')).to.equal("'ON' | 'OFF'");
    expect(tsTypeOf(arg('enum'), 'wire')).to.equal("'ON' | 'OFF'");
    expect(tsTypeOf(arg('float'), 'wire')).to.equal('string');
    expect(tsTypeOf(arg('csv'), 'field')).to.equal('string[]');
    expect(tsTypeOf(arg('csv'), 'param')).to.equal('readonly (string | number)[]');
    expect(tsTypeOf(arg('phonemes'), 'field')).to.equal('LipsyncPhoneme[]');
    expect(tsTypeOf(arg('phonemes'), 'param')).to.contain('readonly LipsyncPhoneme[]');
    expect(tsTypeOf(arg('textparams'), 'param')).to.equal('TextParams');
    expect(tsTypeOf(arg('string', { variadic: true }), 'field')).to.equal('string[]');
    expect(tsTypeOf(arg('string', { variadic: true }), 'param')).to.equal('string');
  });

  it('specs: a letter per argument, optional and variadic marks, required after optional refused', () => {
    const spec = specOf([
      arg('alias'),
      arg('path'),
      arg('vec3', { optional: true }),
      arg('enum', { optional: true }),
      arg('string', { optional: true, variadic: true }),
    ]);
    expect(spec).to.equal(`as${OPTIONAL}3es${REPEAT}`);
    expect(() => specOf([arg('alias', { optional: true }), arg('alias')])).to.throw('after an optional one');
  });
});

describe('argument kinds: forms (what the playground renders)', () => {
  it('a field per argument: input, options, placeholder, step, hint, required', () => {
    expect(formFieldOf(arg('enum', { optional: true }))).to.deep.include({
      input: 'select',
      options: WORDS,
      required: false,
    });
    expect(formFieldOf(arg('enum', { optional: true })).hint).to.contain('optional');
    expect(formFieldOf(arg('int'))).to.deep.include({ input: 'number', step: '1', required: true });
    expect(formFieldOf(arg('float'))).to.deep.include({ input: 'number', step: 'any' });
    expect(formFieldOf(arg('rot3')).placeholder).to.contain('degrees');
    expect(formFieldOf(arg('string', { variadic: true, optional: true }))).to.deep.include({ variadic: true });
    expect(formFieldOf(arg('enum', { enum: ['ADD'] }), true)).to.deep.include({ fixed: 'ADD' });
    expect(formFieldOf(arg('alias', { description: 'new, unique alias' })).description).to.equal('new, unique alias');
  });

  it("a field's text becomes a value the builder's writer takes and writes back as that text", () => {
    for (const [type, kind] of rows)
      for (const value of SAMPLES[type]) {
        const text = kind.write.write(value, WORDS) as string;
        expect(kind.write.write(formValueOf(arg(type), text), WORDS), `${type} ${text}`).to.equal(text);
      }
    expect(formValueOf(arg('string', { variadic: true }), 'a|b||c')).to.deep.equal(['a', 'b', 'c']);
    // an empty number field is NaN, which the builder refuses with its own message
    expect(ARG_KINDS.float.write.write(formValueOf(arg('float'), ''))).to.be.instanceOf(Miss);
  });
});

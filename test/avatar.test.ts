import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import {
  avAction,
  avDisableAutoLip,
  avEnd,
  avExMorph,
  avMessage,
  avSetModel,
  avStart,
  avatar,
  parseAvatarLine,
} from '../src/avatar.js';
import type { AutoLipMode } from '../src/avatar.js';
import { MmdError } from '../src/errors.js';
import type { MmdErrorCode } from '../src/errors.js';

function throwsCode(fn: () => unknown, code: MmdErrorCode, pattern?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MmdError);
    expect((err as MmdError).code, (err as Error).message).to.equal(code);
    if (pattern) expect((err as MmdError).message).to.match(pattern);
    return;
  }
  expect.fail(`expected ${code}`);
}

const MODES: AutoLipMode[] = ['NO', 'ARKIT', 'AU', 'ARKIT+AU', 'AU+ARKIT', 'ALWAYS'];

describe('avatar builders (avatar.md §2)', () => {
  it('groups the standalone builders under `avatar`', () => {
    expect(avatar.start).to.equal(avStart);
    expect(avatar.end).to.equal(avEnd);
    expect(avatar.setModel).to.equal(avSetModel);
    expect(avatar.disableAutoLip).to.equal(avDisableAutoLip);
    expect(avatar.exMorph).to.equal(avExMorph);
    expect(avatar.action).to.equal(avAction);
    expect(avatar.message).to.equal(avMessage);
  });

  it('__AV_START, __AV_END, without "\\n"', () => {
    expect(avatar.start()).to.equal('__AV_START');
    expect(avatar.end()).to.equal('__AV_END');
  });

  it('__AV_SETMODEL,<alias>', () => {
    expect(avatar.setModel('0')).to.equal('__AV_SETMODEL,0');
    expect(avatar.setModel('gene')).to.equal('__AV_SETMODEL,gene');
    expect(avatar.setModel('メイ')).to.equal('__AV_SETMODEL,メイ');
  });

  it('refuses aliases the comma tokenizer would split or drop (avatar.md §1)', () => {
    for (const alias of ['', 'a,b', 'a|b', 'a\nb', 'a\rb', 'a\0b', ','])
      throwsCode(() => avatar.setModel(alias), 'ERR_AVATAR_FIELD');
    throwsCode(() => avatar.setModel('a,b'), 'ERR_AVATAR_FIELD', /"," at index 1/);
    throwsCode(() => avatar.setModel('\ud800'), 'ERR_LONE_SURROGATE');
    throwsCode(() => avatar.setModel('x'.repeat(2040)), 'ERR_LINE_TOO_LONG');
    throwsCode(() => avatar.setModel(0 as unknown as string), 'ERR_BAD_INPUT');
  });

  it('__AVCONF_DISABLEAUTOLIP,<mode> for the six modes, exact case', () => {
    for (const mode of MODES) expect(avatar.disableAutoLip(mode)).to.equal(`__AVCONF_DISABLEAUTOLIP,${mode}`);
    for (const mode of ['always', 'YES', '', 'NO,ALWAYS'])
      throwsCode(() => avatar.disableAutoLip(mode as AutoLipMode), 'ERR_AVATAR_FIELD', /ARKIT\+AU/);
  });

  it('__AV_EXMORPH,name=value,... with shortest decimals (avatar.md §2 example)', () => {
    expect(avatar.exMorph({ smile: 0.8, blink: 0.0 })).to.equal('__AV_EXMORPH,smile=0.8,blink=0');
    expect(avatar.exMorph({ smile: 1 })).to.equal('__AV_EXMORPH,smile=1');
    expect(avatar.exMorph({ a: 1e-7, b: -0, c: 0.1 + 0.2 })).to.equal(
      '__AV_EXMORPH,a=0.0000001,b=0,c=0.30000000000000004',
    );
    expect(avatar.exMorph({ あ: 0.5 })).to.equal('__AV_EXMORPH,あ=0.5');
  });

  it('refuses morph weights outside 0..1 instead of clamping', () => {
    for (const v of [-0.01, 1.0000001, 2, Number.NaN, Infinity, -Infinity])
      throwsCode(() => avatar.exMorph({ smile: v }), 'ERR_AVATAR_RANGE', /smile/);
    throwsCode(() => avatar.exMorph({ smile: '0.5' as unknown as number }), 'ERR_AVATAR_RANGE');
  });

  it('refuses bad morph names and an empty set', () => {
    for (const name of ['', 'a,b', 'a=b', 'a|b', 'a\nb', 'a\rb', 'a\0b'])
      throwsCode(() => avatar.exMorph({ [name]: 0.5 }), 'ERR_AVATAR_FIELD');
    throwsCode(() => avatar.exMorph({}), 'ERR_AVATAR_FIELD', /at least one/);
    throwsCode(() => avatar.exMorph(null as unknown as Record<string, number>), 'ERR_BAD_INPUT');
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`m${i}`, 0.5]));
    throwsCode(() => avatar.exMorph(many), 'ERR_LINE_TOO_LONG');
  });

  it('__AV_ACTION,<n> for whole numbers ≥ 0', () => {
    expect(avatar.action(3)).to.equal('__AV_ACTION,3');
    expect(avatar.action(0)).to.equal('__AV_ACTION,0');
    expect(avatar.action(12)).to.equal('__AV_ACTION,12');
    for (const n of [-1, 1.5, Number.NaN, Infinity, 2 ** 31]) throwsCode(() => avatar.action(n), 'ERR_AVATAR_RANGE');
    throwsCode(() => avatar.action('3' as unknown as number), 'ERR_BAD_INPUT');
  });

  it('__AV_MESSAGE,TYPE|args wraps types that start with SND or __AV (wire.md §7.3, §8.4, §12.8)', () => {
    expect(avatar.message({ type: 'SND_TEST', args: ['hello'] })).to.equal('__AV_MESSAGE,SND_TEST|hello');
    expect(avatar.message({ type: '__AV_LIKE', args: [] })).to.equal('__AV_MESSAGE,__AV_LIKE');
    expect(avatar.message({ type: 'AV_TEST', args: ['x', 'y'] })).to.equal('__AV_MESSAGE,AV_TEST|x|y');
    expect(avatar.message({ type: 'MOTION_ADD', args: ['0', 'action', 'motion/greet.vmd', 'PART', 'ONCE'] })).to.equal(
      '__AV_MESSAGE,MOTION_ADD|0|action|motion/greet.vmd|PART|ONCE',
    );
  });

  it('avatar.message keeps every message rule and counts the prefix in the length', () => {
    throwsCode(() => avatar.message({ type: 'SNDX', args: ['a|b'] }), 'ERR_PIPE_IN_FIELD');
    throwsCode(() => avatar.message({ type: 'SNDX', args: [''] }), 'ERR_EMPTY_ARGUMENT');
    throwsCode(() => avatar.message({ type: '', args: [] }), 'ERR_EMPTY_TYPE');
    throwsCode(() => avatar.message({ type: 'T', args: ['a\nb'] }), 'ERR_FORBIDDEN_CHAR');
    // 2040 bytes fit a plain line; with the 13-byte prefix they do not (wire.md §7.7).
    throwsCode(() => avatar.message({ type: 'T', args: ['x'.repeat(2038)] }), 'ERR_LINE_TOO_LONG');
    expect(avatar.message({ type: 'T', args: ['x'.repeat(2046 - 15)] })).to.have.length(2046);
  });
});

describe('parseAvatarLine (avatar.md §1–2)', () => {
  it('reads every command of avatar.md', () => {
    expect(parseAvatarLine('__AV_START')).to.deep.equal({ kind: 'start' });
    expect(parseAvatarLine('__AV_END')).to.deep.equal({ kind: 'end' });
    expect(parseAvatarLine('__AV_SETMODEL,0')).to.deep.equal({ kind: 'setModel', alias: '0' });
    expect(parseAvatarLine('__AVCONF_DISABLEAUTOLIP,ALWAYS')).to.deep.equal({ kind: 'disableAutoLip', mode: 'ALWAYS' });
    expect(parseAvatarLine('__AV_EXMORPH,smile=0.8,blink=0.0')).to.deep.equal({
      kind: 'exMorph',
      values: { smile: 0.8, blink: 0 },
    });
    expect(parseAvatarLine('__AV_ACTION,3')).to.deep.equal({ kind: 'action', n: 3 });
    expect(parseAvatarLine('__AV_MESSAGE,MOTION_ADD|0|action|motion/greet.vmd|PART|ONCE')).to.deep.equal({
      kind: 'message',
      message: { type: 'MOTION_ADD', args: ['0', 'action', 'motion/greet.vmd', 'PART', 'ONCE'] },
    });
  });

  it('collapses empty fields and ignores extra fields where MMDAgent-EX does', () => {
    expect(parseAvatarLine('__AV_SETMODEL,,0')).to.deep.equal({ kind: 'setModel', alias: '0' });
    expect(parseAvatarLine('__AV_START,extra,fields')).to.deep.equal({ kind: 'start' });
    expect(parseAvatarLine('__AV_END,')).to.deep.equal({ kind: 'end' });
    expect(parseAvatarLine('__AVCONF_DISABLEAUTOLIP,,NO,ALWAYS')).to.deep.equal({ kind: 'disableAutoLip', mode: 'NO' });
    expect(parseAvatarLine('__AV_ACTION,7,8')).to.deep.equal({ kind: 'action', n: 7 });
    expect(parseAvatarLine('__AV_START\r')).to.deep.equal({ kind: 'start' });
  });

  it('__AV_SETMODEL needs exactly two fields', () => {
    expect(parseAvatarLine('__AV_SETMODEL')).to.have.property('kind', 'ignored');
    expect(parseAvatarLine('__AV_SETMODEL,')).to.have.property('kind', 'ignored');
    const two = parseAvatarLine('__AV_SETMODEL,0,1');
    expect(two.kind).to.equal('ignored');
    expect(two)
      .to.have.property('reason')
      .that.matches(/exactly one alias field, got 2/);
  });

  it('an unknown or lower-case auto-lip mode leaves the setting unchanged', () => {
    expect(parseAvatarLine('__AVCONF_DISABLEAUTOLIP,always')).to.deep.include({ kind: 'ignored' });
    expect(parseAvatarLine('__AVCONF_DISABLEAUTOLIP')).to.deep.include({ kind: 'ignored' });
    for (const mode of MODES)
      expect(parseAvatarLine(`__AVCONF_DISABLEAUTOLIP,${mode}`)).to.deep.equal({ kind: 'disableAutoLip', mode });
  });

  it('__AV_EXMORPH splits fields at "=", skips halves, reads values with atof', () => {
    expect(parseAvatarLine('__AV_EXMORPH,a=0.5,b,=0.3,c=,d==0.25,e=0.1=9').kind).to.equal('exMorph');
    expect(parseAvatarLine('__AV_EXMORPH,a=0.5,b,=0.3,c=,d==0.25,e=0.1=9')).to.deep.equal({
      kind: 'exMorph',
      values: { a: 0.5, d: 0.25, e: 0.1 },
    });
    expect(parseAvatarLine('__AV_EXMORPH,a= 0.5x,b=.5,c=-1,d=abc,e=1e-1,f=2,g=1e,h=+.25')).to.deep.equal({
      kind: 'exMorph',
      values: { a: 0.5, b: 0.5, c: -1, d: 0, e: 0.1, f: 2, g: 1, h: 0.25 },
    });
    expect(parseAvatarLine('__AV_EXMORPH,a=0.1,a=0.9')).to.deep.equal({ kind: 'exMorph', values: { a: 0.9 } });
    // A line with no usable pair still restarts the hold countdown, so it is not "ignored".
    expect(parseAvatarLine('__AV_EXMORPH')).to.deep.equal({ kind: 'exMorph', values: {} });
    const proto = parseAvatarLine('__AV_EXMORPH,__proto__=0.5');
    expect(proto.kind === 'exMorph' && Object.getOwnPropertyDescriptor(proto.values, '__proto__')?.value).to.equal(0.5);
  });

  it('__AV_ACTION reads its number with atoi', () => {
    expect(parseAvatarLine('__AV_ACTION,12abc')).to.deep.equal({ kind: 'action', n: 12 });
    expect(parseAvatarLine('__AV_ACTION,x')).to.deep.equal({ kind: 'action', n: 0 });
    expect(parseAvatarLine('__AV_ACTION, -2')).to.deep.equal({ kind: 'action', n: -2 });
    expect(parseAvatarLine('__AV_ACTION,-0')).to.deep.equal({ kind: 'action', n: 0 });
    expect(parseAvatarLine('__AV_ACTION')).to.deep.include({ kind: 'ignored' });
    expect(parseAvatarLine('__AV_ACTION,99999999999')).to.deep.include({ kind: 'ignored' });
  });

  it('ignores unknown, removed and wrong-case commands, saying why (avatar.md §1, §4)', () => {
    for (const line of ['__AV_start', '__AV_STARTX', '__AV_MESSAGE', '__AVX', '__AV']) {
      expect(parseAvatarLine(line)).to.deep.include({ kind: 'ignored' });
    }
    const removed = parseAvatarLine('__AV_TRACK,1,2,3');
    expect(removed)
      .to.have.property('reason')
      .that.matches(/removed/);
    expect(parseAvatarLine('__AVCONF_ALLOWFARCLOSEMOVE,true'))
      .to.have.property('reason')
      .that.matches(/removed/);
    expect(parseAvatarLine('__AV_FOO'))
      .to.have.property('reason')
      .that.matches(/unknown avatar command "__AV_FOO"/);
  });

  it('unwraps __AV_MESSAGE, as the stream parser does (real-client/notes.md run E)', () => {
    expect(parseAvatarLine('__AV_MESSAGE,AV_TEST|x|y')).to.deep.equal({
      kind: 'message',
      message: { type: 'AV_TEST', args: ['x', 'y'] },
    });
    expect(parseAvatarLine('__AV_MESSAGE,SND_TEST|a,b')).to.deep.equal({
      kind: 'message',
      message: { type: 'SND_TEST', args: ['a,b'] },
    });
    expect(parseAvatarLine('__AV_MESSAGE,|||')).to.deep.include({ kind: 'ignored' });
    expect(parseAvatarLine('__AV_MESSAGE,')).to.deep.include({ kind: 'ignored' });
  });

  it('reads only the first 2047 bytes and stops at NUL, as the C copy does', () => {
    const alias = 'a'.repeat(2047 - '__AV_SETMODEL,'.length);
    expect(parseAvatarLine(`__AV_SETMODEL,${alias}bcd`)).to.deep.equal({ kind: 'setModel', alias });
    const wide = 'é'.repeat(1100); // 2200 bytes; the cut falls between characters
    const cut = parseAvatarLine(`__AV_SETMODEL,${wide}`);
    expect(cut.kind === 'setModel' && cut.alias).to.equal('é'.repeat(1016));
    expect(parseAvatarLine('__AV_SETMODEL,ab\0,cd')).to.deep.equal({ kind: 'setModel', alias: 'ab' });
  });

  it('refuses lines that are not avatar lines', () => {
    for (const line of ['', 'AV_START', ' __AV_START', 'MODEL_ADD|0|x.pmd', 'SNDFILE', '_AV_START']) {
      throwsCode(() => parseAvatarLine(line), 'ERR_AVATAR_SYNTAX');
    }
    throwsCode(() => parseAvatarLine(null as unknown as string), 'ERR_BAD_INPUT');
  });

  it('property: builder → parser round-trips', () => {
    const fieldChar = fc.constantFrom(...'abcXYZ019_-. あé+'.split(''), '😀');
    const name = fc.array(fieldChar, { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
    const weight = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 0.5, 1e-7, 5e-324));
    fc.assert(
      fc.property(
        name,
        fc.dictionary(name, weight, { minKeys: 1, maxKeys: 8 }),
        fc.nat(),
        fc.constantFrom(...MODES),
        (alias, morphs, n, mode) => {
          expect(parseAvatarLine(avatar.setModel(alias))).to.deep.equal({ kind: 'setModel', alias });
          expect(parseAvatarLine(avatar.action(n))).to.deep.equal({ kind: 'action', n });
          expect(parseAvatarLine(avatar.disableAutoLip(mode))).to.deep.equal({ kind: 'disableAutoLip', mode });
          const msg = { type: `SND${alias}`, args: [alias, 'x'] };
          expect(parseAvatarLine(avatar.message(msg))).to.deep.equal({ kind: 'message', message: msg });
          const values = Object.fromEntries(Object.entries(morphs).map(([k, v]) => [k, v + 0]));
          let line: string;
          try {
            line = avatar.exMorph(morphs);
          } catch (err) {
            // Tiny weights such as 5e-324 take hundreds of digits without exponent notation.
            expect(err).to.have.property('code', 'ERR_LINE_TOO_LONG');
            return;
          }
          expect(parseAvatarLine(line)).to.deep.equal({ kind: 'exMorph', values });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: any string gives a command or an MmdError, nothing else', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(
        '__AV',
        '__AV_',
        '__AV_EXMORPH',
        '__AV_SETMODEL',
        '__AV_ACTION',
        '__AV_MESSAGE,',
        '__AVCONF_DISABLEAUTOLIP',
        ',',
        '=',
        '|',
        '\n',
        '\0',
        '\ud800',
        'nan',
        'inf',
        '1e400',
      ),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        try {
          const cmd = parseAvatarLine(pieces.join(''));
          expect(['start', 'end', 'setModel', 'disableAutoLip', 'exMorph', 'action', 'message', 'ignored']).to.include(
            cmd.kind,
          );
        } catch (err) {
          expect(err).to.be.instanceOf(MmdError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('avatar: found in review (each test failed before its fix)', () => {
  it('disableAutoLip with a value JSON cannot show (BigInt, a cycle) is ERR_AVATAR_FIELD, not a TypeError', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const bad of [10n, cycle])
      throwsCode(() => avDisableAutoLip(bad as unknown as AutoLipMode), 'ERR_AVATAR_FIELD');
  });

  it("parseAvatarLine reads hex floats as C99's atof does (0x1p-1 is 0.5, not 0)", () => {
    const read = (v: string) =>
      (parseAvatarLine(`__AV_EXMORPH,smile=${v}`) as { values: Record<string, number> }).values.smile;
    expect(['0x1p-1', '0x.8', '0X10', '-0x1.8p1', '0x', '0xg'].map(read)).to.deep.equal([0.5, 0.5, 16, -3, 0, 0]);
  });
});

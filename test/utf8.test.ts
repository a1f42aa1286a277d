// utf8ByteLength and checkWireText: the UTF-8 measure and the character refusals every outgoing
// line and field share (wire.md §7.2, §7.4, §7.5).
import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import { checkWireText, utf8ByteLength } from '../src/utf8.js';
import type { FieldRef } from '../src/utf8.js';
import { MmdError } from '../src/errors.js';

const encoder = new TextEncoder();
const encodedLength = (s: string) => encoder.encode(s).length;
// With the u flag a surrogate pair is one code point, so only a lone half matches.
const hasLoneSurrogate = (s: string) => /[\ud800-\udfff]/u.test(s);

// Any UTF-16 code unit, lone surrogates included (fast-check's own string units are well formed),
// with the refused ones and the UTF-8 length boundaries drawn often enough to matter.
const anyUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom(
    '\0',
    '\n',
    '\r',
    '|',
    'a',
    '\u007f',
    '\u0080',
    '\u07ff',
    '\u0800',
    '\ud83d',
    '\ude00',
    '\udbff',
    '\udc00',
  ),
);
const anyString = fc.string({ unit: anyUnit, maxLength: 40 });
// Code points a field may hold: no NUL, CR, LF, `|` or lone surrogate half (pairs included).
const safeUnit = fc
  .oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), anyUnit)
  .filter((c) => !/[\0\n\r|\ud800-\udfff]/u.test(c));

function refusal(s: string, ref: FieldRef): MmdError {
  try {
    checkWireText(s, ref);
  } catch (e) {
    expect(e).to.be.instanceOf(MmdError);
    return e as MmdError;
  }
  throw new Error(`checkWireText accepted ${JSON.stringify(s)}`);
}

describe('utf8ByteLength', () => {
  it('counts 1, 2, 3 and 4 bytes at the UTF-8 boundaries', () => {
    const cases: [string, number][] = [
      ['', 0],
      ['A', 1],
      ['\u007f', 1],
      ['\u0080', 2],
      ['é', 2],
      ['\u07ff', 2],
      ['\u0800', 3],
      ['あ', 3],
      ['\uffff', 3],
      ['😀', 4], // U+1F600, a surrogate pair
      ['\u{10ffff}', 4],
      ['MODEL_ADD|mei|あ😀', 10 + 3 + 1 + 3 + 4],
    ];
    for (const [s, bytes] of cases) expect(utf8ByteLength(s), JSON.stringify(s)).to.equal(bytes);
  });

  it('equals TextEncoder for well-formed strings (fast-check, full Unicode)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => utf8ByteLength(s) === encodedLength(s)),
      { numRuns: 500 },
    );
  });

  it('counts a lone surrogate as 3 bytes, as TextEncoder writes it as U+FFFD', () => {
    const cases: [string, number][] = [
      ['\ud800', 3], // lone high
      ['\udc00', 3], // lone low
      ['\udbff', 3],
      ['\udfff', 3],
      ['\udc00\ud800', 6], // low before high: two lone halves, not a pair
      ['\ud83d\ud83d\ude00', 3 + 4], // a lone high, then a pair
      ['a\ud800', 4], // high at the very end (the unit after it is NaN)
      ['\ud800a', 4],
    ];
    for (const [s, bytes] of cases) {
      expect(utf8ByteLength(s), JSON.stringify(s)).to.equal(bytes);
      expect(encodedLength(s), JSON.stringify(s)).to.equal(bytes);
    }
  });

  it('equals TextEncoder for any sequence of code units, lone surrogates included (fast-check)', () => {
    fc.assert(
      fc.property(anyString, (s) => utf8ByteLength(s) === encodedLength(s)),
      { numRuns: 1000 },
    );
  });
});

describe('checkWireText', () => {
  it('returns the UTF-8 byte count of accepted text', () => {
    expect(checkWireText('', 'line')).to.equal(0);
    expect(checkWireText('SYNTH_START|mei|mei_voice_normal|こんにちは', 'line')).to.equal(33 + 15);
    expect(checkWireText('😀é', 0)).to.equal(6);
    expect(checkWireText('\u{10ffff}', 'type')).to.equal(4);
  });

  it('accepts a surrogate pair and counts it as 4 bytes; refuses each lone half (it would go out as U+FFFD)', () => {
    expect(checkWireText('\ud83d\ude00', 1)).to.equal(4);
    for (const s of ['\ud83d', '\ude00', 'x\ude00\ud83d', 'ok\ud83d']) {
      expect(refusal(s, 1).code, JSON.stringify(s)).to.equal('ERR_LONE_SURROGATE');
    }
  });

  it('refuses CR, LF and NUL in every kind of text: they end or stall the line (wire.md §7.2, §7.5)', () => {
    for (const ref of ['line', 'type', 0, 9] as FieldRef[]) {
      for (const s of ['A\nB', 'A\rB', '\n', 'A\0B', 'TAIL\r']) {
        expect(refusal(s, ref).code, `${JSON.stringify(s)} as ${ref}`).to.equal('ERR_FORBIDDEN_CHAR');
      }
    }
  });

  it('refuses "|" in a type or argument (it splits fields, wire.md §7.4) but not in a whole line', () => {
    expect(refusal('a|b', 'type').code).to.equal('ERR_PIPE_IN_FIELD');
    expect(refusal('a|b', 0).code).to.equal('ERR_PIPE_IN_FIELD');
    expect(refusal('|', 3).code).to.equal('ERR_PIPE_IN_FIELD');
    expect(checkWireText('TYPE|a|b', 'line')).to.equal(8);
  });

  it('names where and what it found, and what to do', () => {
    const pipe = refusal('ab|c', 2);
    expect(pipe.message).to.contain('argument 2 has "|" at index 2');
    expect(pipe.message).to.contain('pass separate arguments');
    const nul = refusal('X\0', 'type');
    expect(nul.message).to.contain('type has "\\u0000" at index 1');
    expect(nul.message).to.contain('remove it');
    const lf = refusal('ok\n', 'line');
    expect(lf.message).to.contain('line has "\\n" at index 2');
    const lone = refusal('あ\ud800', 0);
    expect(lone.message).to.contain('argument 0 has');
    expect(lone.message).to.contain('at index 1');
    expect(lone.message).to.contain('a lone surrogate');
  });

  it('reports the first offending character', () => {
    expect(refusal('a|b\n', 0).code).to.equal('ERR_PIPE_IN_FIELD');
    expect(refusal('a\n|b', 0).code).to.equal('ERR_FORBIDDEN_CHAR');
    expect(refusal('\ud800\n', 0).code).to.equal('ERR_LONE_SURROGATE');
  });

  it('accepts text without forbidden units and returns its TextEncoder length (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: safeUnit, maxLength: 40 }),
        fc.constantFrom<FieldRef>('line', 'type', 0, 5),
        (s, ref) => {
          return checkWireText(s, ref) === encodedLength(s);
        },
      ),
      { numRuns: 500 },
    );
  });

  it(
    'for any text, either returns utf8ByteLength or throws one of its three codes for a unit that is really ' +
      'there (fast-check)',
    () => {
      fc.assert(
        fc.property(anyString, fc.constantFrom<FieldRef>('line', 'type', 1), (s, ref) => {
          let bytes: number;
          try {
            bytes = checkWireText(s, ref);
          } catch (e) {
            const code = (e as MmdError).code;
            if (code === 'ERR_FORBIDDEN_CHAR') return /[\0\n\r]/.test(s);
            if (code === 'ERR_PIPE_IN_FIELD') return ref !== 'line' && s.includes('|');
            if (code === 'ERR_LONE_SURROGATE') return hasLoneSurrogate(s);
            return false;
          }
          const wellFormed = !hasLoneSurrogate(s) && !/[\0\n\r]/.test(s) && (ref === 'line' || !s.includes('|'));
          return wellFormed && bytes === utf8ByteLength(s);
        }),
        { numRuns: 1000 },
      );
    },
  );
});

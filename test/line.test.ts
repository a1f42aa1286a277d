import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import { codeOf } from './support/codes.js';
import { MmdError } from '../src/errors.js';
import type { MmdErrorCode } from '../src/errors.js';
import { LineDecoder, encodeLine, frameLines, utf8ByteLength, validateLine } from '../src/line.js';
import { MAX_FRAME_BYTES, MAX_LINE_BYTES } from '../src/limits.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => new Uint8Array(b);

function thrown(fn: () => unknown): MmdError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MmdError) return err;
    throw err;
  }
  throw new Error('expected an MmdError');
}

/** Well-formed UTF-16 (no lone surrogates), so text survives a UTF-8 round trip. */
const wellFormed = (s: string) => new TextDecoder().decode(utf8(s)) === s;

/** Feeds `chunks` and returns every line, including those end() returns. */
function decodeAll(chunks: Array<string | Uint8Array>, opts?: { maxLineBytes?: number }): string[] {
  const d = new LineDecoder(opts);
  const lines: string[] = [];
  for (const c of chunks) lines.push(...d.push(c));
  lines.push(...d.end());
  return lines;
}

/** Cuts `whole` at the given sorted, distinct offsets. */
function cut<T extends string | Uint8Array>(whole: T, at: number[]): T[] {
  const pieces: T[] = [];
  let from = 0;
  for (const p of at) {
    pieces.push(whole.slice(from, p) as T);
    from = p;
  }
  pieces.push(whole.slice(from) as T);
  return pieces;
}

const offsets = (length: number) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 12 })
    .map((a) => a.filter((x) => x < length).sort((x, y) => x - y));

describe('utf8ByteLength', () => {
  it('counts ASCII, 2-, 3- and 4-byte characters like TextEncoder', () => {
    expect(utf8ByteLength('')).to.equal(0);
    expect(utf8ByteLength('A|b')).to.equal(3);
    expect(utf8ByteLength('é')).to.equal(2);
    expect(utf8ByteLength('こんにちは')).to.equal(15);
    expect(utf8ByteLength('🧨')).to.equal(4);
  });

  it('counts a lone surrogate as the 3 bytes of U+FFFD', () => {
    expect(utf8ByteLength('\ud83e')).to.equal(3);
    expect(utf8ByteLength('\udde8x')).to.equal(4);
  });

  it('agrees with TextEncoder on any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        expect(utf8ByteLength(s)).to.equal(utf8(s).length);
      }),
    );
  });
});

describe('validateLine / encodeLine', () => {
  it('accepts ordinary lines, avatar lines and the three SND control words', () => {
    for (const line of [
      'TEST_MESSAGE',
      'SYNTH_START|0|mei_voice_normal|こんにちは',
      '__AV_START',
      '__AV_SETMODEL,0',
      'SNDSTRM',
      'SNDFILE',
      'SNDBRKS',
      '__peer_disconnected__',
    ]) {
      expect(
        codeOf(() => validateLine(line)),
        line,
      ).to.equal('no error');
    }
  });

  it('encodeLine appends exactly one LF', () => {
    expect(encodeLine('KEY|1')).to.equal('KEY|1\n');
    expect(encodeLine('SNDBRKS')).to.equal('SNDBRKS\n'); // wire.md §12 rule 7: word and its \n in one frame
  });

  // wire.md §7.2 table and §13: each line that would crash, stall or mis-route MMDAgent-EX is refused.
  const refused: Array<[string, string, MmdErrorCode]> = [
    ['empty line: a frame of only "\\n" crashes the parser (§7.2)', '', 'ERR_EMPTY_LINE'],
    ['leading LF: stall (§7.2)', '\nFOO', 'ERR_FORBIDDEN_CHAR'],
    ['lone CR inside: ends the line early (§7.1)', 'X|1\rY', 'ERR_FORBIDDEN_CHAR'],
    ['trailing CR: a later LF would start the next frame (§7.2 split CRLF)', 'A\r', 'ERR_FORBIDDEN_CHAR'],
    ['terminator already present', 'A\n', 'ERR_FORBIDDEN_CHAR'],
    ['NUL inside: stall (§7.5, hazards.md (l))', 'NUL|a\u0000b', 'ERR_FORBIDDEN_CHAR'],
    ['lone surrogate: would go out as U+FFFD', 'A|\ud83e', 'ERR_LONE_SURROGATE'],
    ['SND + 4 chars: read as audio (§8.4, hazards.md (h))', 'SNDX|1', 'ERR_SND_PREFIX'],
    ['SNDXYZ1: audio then a lone LF crash (hazards.md (h2))', 'SNDXYZ1', 'ERR_SND_PREFIX'],
    ['SND_TEST: 7 bytes eaten (hazards.md (h))', 'SND_TEST|hello', 'ERR_SND_PREFIX'],
    ['control word with a suffix', 'SNDFILEX', 'ERR_SND_PREFIX'],
    ['2047 bytes: echo cut without \\n (§5.1, hazards.md (g))', 'A'.repeat(MAX_LINE_BYTES + 1), 'ERR_LINE_TOO_LONG'],
  ];
  for (const [why, line, code] of refused) {
    it(`refuses ${why}`, () => {
      expect(codeOf(() => validateLine(line))).to.equal(code);
      expect(codeOf(() => encodeLine(line))).to.equal(code);
    });
  }

  it('measures the limit in UTF-8 bytes, not UTF-16 units', () => {
    const exact = 'あ'.repeat(682); // 2046 bytes
    expect(codeOf(() => validateLine(exact))).to.equal('no error');
    expect(codeOf(() => validateLine(exact + 'a'))).to.equal('ERR_LINE_TOO_LONG');
    expect(codeOf(() => validateLine('A'.repeat(MAX_LINE_BYTES)))).to.equal('no error');
  });

  it('says where the bad character is and what to do', () => {
    const err = thrown(() => validateLine('AB\u0000'));
    expect(err.message).to.contain('"\\u0000" at index 2');
    expect(thrown(() => validateLine('SNDX|1')).message).to.contain('__AV_MESSAGE,');
  });

  it('refuses a non-string with ERR_BAD_INPUT', () => {
    expect(codeOf(() => validateLine(42 as unknown as string))).to.equal('ERR_BAD_INPUT');
  });

  it('whatever it accepts, encodeLine emits one line that decodes back unchanged (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }), (line) => {
        if (codeOf(() => validateLine(line)) !== 'no error') return;
        expect(decodeAll([utf8(encodeLine(line))])).to.deep.equal([line]);
      }),
    );
  });
});

describe('frameLines', () => {
  it('splits one frame on LF, CRLF and CR and skips empty lines', () => {
    expect(frameLines('KEY|1\nKEY|2\n')).to.deep.equal({ lines: ['KEY|1', 'KEY|2'], terminated: true });
    expect(frameLines('CRLF_TEST|1\r\n')).to.deep.equal({ lines: ['CRLF_TEST|1'], terminated: true });
    expect(frameLines('A\n\n\r\nB\r')).to.deep.equal({ lines: ['A', 'B'], terminated: true });
  });

  it('AllLog frames end with an empty line, which is skipped (wire.md §5.2)', () => {
    const frame = '[2026/11/27 11:25:01.123] [42] Remote: Status: SNDFILE received\n\n';
    expect(frameLines(frame)).to.deep.equal({ lines: [frame.slice(0, -2)], terminated: true });
  });

  it('flags the cut echo of a 2047-byte message, which has no \\n (wire.md §5.1, hazards.md (g))', () => {
    const echo = 'LONG2100|' + 'x'.repeat(2038);
    expect(echo.length).to.equal(2047);
    expect(frameLines(echo)).to.deep.equal({ lines: [echo], terminated: false });
  });

  it('an empty payload or only line breaks holds no line', () => {
    expect(frameLines('')).to.deep.equal({ lines: [], terminated: true });
    expect(frameLines('\r\n\n')).to.deep.equal({ lines: [], terminated: true });
  });

  it('refuses a non-string with ERR_BAD_INPUT', () => {
    expect(codeOf(() => frameLines(utf8('A\n') as unknown as string))).to.equal('ERR_BAD_INPUT');
  });
});

describe('LineDecoder', () => {
  // wire.md §7.2 row 1: any run of CR/LF after a line is swallowed.
  for (const input of ['A\n', 'A\r\n', 'A\n\n', 'A\r\n\r\n', '\nA\n', 'A\r']) {
    it(`${JSON.stringify(input)} is the one line "A" (wire.md §7.2)`, () => {
      expect(decodeAll([input])).to.deep.equal(['A']);
      expect(decodeAll([utf8(input)])).to.deep.equal(['A']);
    });
  }

  it('returns several lines of one chunk in order (wire.md §7.2)', () => {
    expect(new LineDecoder().push('KEY|1\nKEY|2\n')).to.deep.equal(['KEY|1', 'KEY|2']);
  });

  it('reassembles a line split over chunks: FOO + BAR\\n → FOOBAR (wire.md §7.2)', () => {
    const d = new LineDecoder();
    expect(d.push('FOO')).to.deep.equal([]);
    expect(d.push('BAR\n')).to.deep.equal(['FOOBAR']);
  });

  it('ends a line at a lone CR, so a CRLF split over chunks yields it once (hazards.md (m))', () => {
    const d = new LineDecoder();
    expect(d.push('X|1\r')).to.deep.equal(['X|1']);
    expect(d.push('\nY|2\n')).to.deep.equal(['Y|2']);
    expect(d.push(bytes(0x41, 0x0d))).to.deep.equal(['A']);
    expect(d.push(bytes(0x0a))).to.deep.equal([]);
  });

  it('decodes a UTF-8 character split between byte chunks', () => {
    const b = utf8('こんにちは\n');
    const d = new LineDecoder();
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) out.push(...d.push(b.subarray(i, i + 1)));
    expect(out).to.deep.equal(['こんにちは']);
  });

  it('keeps a leading BOM (text is never altered)', () => {
    expect(decodeAll([bytes(0xef, 0xbb, 0xbf, 0x41, 0x0a)])).to.deep.equal(['\ufeffA']);
    expect(decodeAll(['\ufeffA\n'])).to.deep.equal(['\ufeffA']);
  });

  it('turns invalid and cut UTF-8 into U+FFFD instead of throwing (wire.md §5.1)', () => {
    expect(decodeAll([bytes(0x41, 0xff, 0x42, 0x0a)])).to.deep.equal(['A\ufffdB']);
    // a message cut inside a 3-byte character, then the next line
    expect(decodeAll([bytes(0x41, 0xe3, 0x81), bytes(0x0a, 0x42, 0x0a)])).to.deep.equal(['A\ufffd', 'B']);
    // close payload bytes glued to the next line (real-client/notes.md, run C)
    expect(decodeAll([bytes(0x03, 0xef), utf8('TEST_MESSAGE\n')])).to.deep.equal(['\u0003\ufffdTEST_MESSAGE']);
  });

  it('accepts ArrayBuffer and offset views', () => {
    const backing = utf8('xxA\nB\nyy');
    expect(new LineDecoder().push(backing.buffer.slice(2, 6) as ArrayBuffer)).to.deep.equal(['A', 'B']);
    expect(new LineDecoder().push(backing.subarray(2, 6))).to.deep.equal(['A', 'B']);
    expect(new LineDecoder().push(new DataView(backing.buffer, 2, 4) as unknown as Uint8Array)).to.deep.equal([
      'A',
      'B',
    ]);
  });

  it('mixes string and byte chunks; an open UTF-8 sequence before a string becomes U+FFFD', () => {
    const d = new LineDecoder();
    expect(d.push('AB')).to.deep.equal([]);
    expect(d.push(utf8('C\nD'))).to.deep.equal(['ABC']);
    expect(d.push('E\n')).to.deep.equal(['DE']);
    expect(d.push(bytes(0x46, 0xe3, 0x81))).to.deep.equal([]);
    expect(d.push('G\n')).to.deep.equal(['F\ufffdG']);
  });

  it('refuses other chunk types with ERR_BAD_INPUT and keeps its state', () => {
    const d = new LineDecoder();
    d.push('PART');
    for (const bad of [42, null, undefined, {}, ['A\n']]) {
      expect(codeOf(() => d.push(bad as unknown as string))).to.equal('ERR_BAD_INPUT');
    }
    expect(d.push('IAL\n')).to.deep.equal(['PARTIAL']);
  });

  it(
    'end() returns nothing for a clean stream and throws ERR_TRUNCATED with the byte count for a partial line, ' +
      'then resets',
    () => {
      const d = new LineDecoder();
      expect(d.push('A\n')).to.deep.equal(['A']);
      expect(d.end()).to.deep.equal([]);
      d.push('TAIL');
      d.push(bytes(0xe3, 0x81));
      const err = thrown(() => d.end());
      expect(err.code).to.equal('ERR_TRUNCATED');
      expect(err.message).to.contain('6 byte');
      expect(d.end()).to.deep.equal([]);
      expect(d.push('NEW\n')).to.deep.equal(['NEW']);
    },
  );

  describe('maxLineBytes', () => {
    it('defaults to 8191 bytes (MAX_FRAME_BYTES), terminator not counted', () => {
      expect(decodeAll(['A'.repeat(MAX_FRAME_BYTES) + '\n'])).to.deep.equal(['A'.repeat(MAX_FRAME_BYTES)]);
      expect(codeOf(() => new LineDecoder().push('A'.repeat(MAX_FRAME_BYTES + 1)))).to.equal('ERR_LINE_TOO_LONG');
    });

    it('counts UTF-8 bytes, for strings and bytes alike, and a surrogate pair split over chunks as 4', () => {
      expect(codeOf(() => new LineDecoder({ maxLineBytes: 6 }).push('ああ\n'))).to.equal('no error');
      expect(codeOf(() => new LineDecoder({ maxLineBytes: 5 }).push('ああ\n'))).to.equal('ERR_LINE_TOO_LONG');
      expect(codeOf(() => new LineDecoder({ maxLineBytes: 5 }).push(utf8('ああ\n')))).to.equal('ERR_LINE_TOO_LONG');
      const d = new LineDecoder({ maxLineBytes: 4 });
      expect(d.push('\ud83e')).to.deep.equal([]);
      expect(d.push('\udde8\n')).to.deep.equal(['🧨']);
    });

    it(
      'counts invalid UTF-8 as the 3-byte U+FFFD it becomes, whether ' +
        'the line comes whole or in pieces (wire.md §5.1)',
      () => {
        // 0xff 0xff: 2 bytes on the wire, 2 × U+FFFD = 6 bytes decoded; "A" + 0xe3 0x81 (cut): 1 + 3
        for (const [max, ok] of [
          [6, true],
          [5, false],
        ] as const) {
          const whole = codeOf(() => decodeAll([bytes(0xff, 0xff, 0x0a)], { maxLineBytes: max }));
          const split = codeOf(() => decodeAll([bytes(0xff), bytes(0xff), bytes(0x0a)], { maxLineBytes: max }));
          expect([whole, split], `maxLineBytes ${max}`).to.deep.equal(
            ok ? ['no error', 'no error'] : ['ERR_LINE_TOO_LONG', 'ERR_LINE_TOO_LONG'],
          );
        }
        expect(decodeAll([bytes(0x41, 0xe3), bytes(0x81, 0x0a)], { maxLineBytes: 4 })).to.deep.equal(['A\ufffd']);
        expect(codeOf(() => decodeAll([bytes(0x41, 0xe3), bytes(0x81, 0x0a)], { maxLineBytes: 3 }))).to.equal(
          'ERR_LINE_TOO_LONG',
        );
      },
    );

    it('after ERR_LINE_TOO_LONG drops only that line and hands the other lines of the chunk to the next call', () => {
      const d = new LineDecoder({ maxLineBytes: 4 });
      const err = thrown(() => d.push('OK1\nTOOLONG\nOK2\nPAR'));
      expect(err.code).to.equal('ERR_LINE_TOO_LONG');
      expect(err.message).to.contain('maxLineBytes 4');
      expect(d.push('T\n')).to.deep.equal(['OK1', 'OK2', 'PART']);
      // an oversize line spread over chunks is skipped up to its terminator
      expect(codeOf(() => d.push(utf8('LONGER')))).to.equal('ERR_LINE_TOO_LONG');
      expect(d.push(utf8('STILL THE SAME LINE'))).to.deep.equal([]);
      expect(d.push(utf8('\r\nNEXT\n'))).to.deep.equal(['NEXT']);
      expect(thrown(() => d.push('12345')).code).to.equal('ERR_LINE_TOO_LONG');
      expect(d.end()).to.deep.equal([]);
    });

    it('refuses a bad option with ERR_BAD_ARGUMENT', () => {
      for (const max of [0, -1, 1.5, Number.NaN]) {
        expect(codeOf(() => new LineDecoder({ maxLineBytes: max }))).to.equal('ERR_BAD_ARGUMENT');
      }
    });
  });

  describe('properties', () => {
    const lineText = fc
      .string({
        unit: fc.oneof(
          fc.constantFrom('こ', 'ん', '🧨', 'é', '|', '\ufeff'),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        ),
        minLength: 1,
        maxLength: 12,
      })
      .filter((s) => !/[\r\n]/.test(s) && wellFormed(s));
    const terminator = fc.constantFrom('\n', '\r\n', '\n\n', '\r\n\r\n', '\r');
    const stream = fc.array(fc.tuple(lineText, terminator), { minLength: 1, maxLength: 8 });

    it('any split of a byte stream decodes to the same lines as the whole, even inside characters and CRLF', () => {
      fc.assert(
        fc.property(
          stream.chain((items) => {
            const whole = utf8(items.map(([l, t]) => l + t).join(''));
            return fc.tuple(fc.constant(items), fc.constant(whole), offsets(whole.length));
          }),
          ([items, whole, at]) => {
            const expected = items.map(([l]) => l);
            expect(decodeAll([whole])).to.deep.equal(expected);
            expect(decodeAll(cut(whole, at))).to.deep.equal(expected);
          },
        ),
      );
    });

    it('any split of a string stream decodes to the same lines, even inside surrogate pairs and CRLF', () => {
      fc.assert(
        fc.property(
          stream.chain((items) => {
            const whole = items.map(([l, t]) => l + t).join('');
            return fc.tuple(fc.constant(items), fc.constant(whole), offsets(whole.length));
          }),
          ([items, whole, at]) => {
            expect(decodeAll(cut(whole, at))).to.deep.equal(items.map(([l]) => l));
          },
        ),
      );
    });

    it('random strings and bytes never throw anything but MmdError, from any function', () => {
      const input = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.anything(),
      );
      fc.assert(
        fc.property(fc.array(input, { maxLength: 6 }), fc.integer({ min: 1, max: 20 }), (chunks, max) => {
          const d = new LineDecoder({ maxLineBytes: max });
          for (const c of chunks) {
            codeOf(() => d.push(c as string));
            codeOf(() => validateLine(c as string));
            codeOf(() => encodeLine(c as string));
            codeOf(() => frameLines(c as string));
            codeOf(() => utf8ByteLength(typeof c === 'string' ? c : ''));
          }
          codeOf(() => d.end());
        }),
      );
    });
  });

  it('runs in linear time: a line 10× longer fed 1 unit at a time costs far less than 100×', () => {
    // Compares two sizes measured in the same run (no absolute timing). Rounds interleave the
    // sizes and the best of each is kept, which damps GC pauses and other load on the machine.
    const once = (size: number, asBytes: boolean) => {
      const text = 'x'.repeat(size);
      const b = utf8(text);
      const d = new LineDecoder({ maxLineBytes: size + 1 });
      const t0 = performance.now();
      if (asBytes) for (let i = 0; i < size; i++) d.push(b.subarray(i, i + 1));
      else for (let i = 0; i < size; i++) d.push(text[i]);
      const lines = d.push('\n');
      const ms = performance.now() - t0;
      expect(lines[0].length).to.equal(size);
      return ms;
    };
    for (const asBytes of [false, true]) {
      once(20_000, asBytes); // warm up the JIT
      let small = Infinity;
      let large = Infinity;
      for (let round = 0; round < 7; round++) {
        small = Math.min(small, once(20_000, asBytes));
        large = Math.min(large, once(200_000, asBytes));
      }
      const ratio = large / Math.max(small, 0.1);
      expect(
        ratio,
        `${asBytes ? 'bytes' : 'strings'}: 10× input took ${ratio.toFixed(1)}× the time (${small.toFixed(2)} → ` +
          `${large.toFixed(2)} ms)`,
      ).to.be.below(60); // linear: ~10×; quadratic: ~100× (a loaded machine has measured 36× for linear)
    }
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import { MmdError } from '../src/errors.js';
import type { MmdErrorCode } from '../src/errors.js';
import { MAX_ARGS, MAX_LINE_BYTES } from '../src/limits.js';
import { formatMessage, formatNumber, parseMessage } from '../src/message.js';
import type { Message } from '../src/message.js';

function thrown(fn: () => unknown): MmdError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof MmdError) return err;
    throw err;
  }
  return undefined;
}
const codeOf = (fn: () => unknown): MmdErrorCode | 'no error' => thrown(fn)?.code ?? 'no error';

describe('parseMessage', () => {
  // Splitting as MMDAgent-EX does (wire.md §7.3–7.4); the real client's results from
  // real-client/hazards.md (j), (k) and notes.md (run E).
  const cases: Array<[string, Message]> = [
    ['TEST_MESSAGE', { type: 'TEST_MESSAGE', args: [] }],
    ['NOARGS\n', { type: 'NOARGS', args: [] }],
    ['CRLF_TEST|1\r\n', { type: 'CRLF_TEST', args: ['1'] }],
    [
      'SYNTH_START|0|mei_voice_normal|こんにちは',
      { type: 'SYNTH_START', args: ['0', 'mei_voice_normal', 'こんにちは'] },
    ],
    ['A||B|C', { type: 'A', args: ['B', 'C'] }], // empty field collapses (hazards.md (j))
    ['VALUE_SET|vv||7', { type: 'VALUE_SET', args: ['vv', '7'] }], // the plugin stored 7 (hazards.md (j2))
    ['||LEAD|x', { type: 'LEAD', args: ['x'] }], // echoed as LEAD|x (hazards.md (j2))
    ['|lead|x', { type: 'lead', args: ['x'] }], // wire.md §7.4
    ['TYPE||a|b|', { type: 'TYPE', args: ['a', 'b'] }],
    ['MODEL_ADD |a', { type: 'MODEL_ADD ', args: ['a'] }], // no trimming (wire.md §7.4)
    ['__AV_MESSAGE,AV_TEST|x|y', { type: 'AV_TEST', args: ['x', 'y'] }], // notes.md run E
    ['__AV_MESSAGE,SND_TEST|a', { type: 'SND_TEST', args: ['a'] }],
    ['__AV_MESSAGE,||T|a', { type: 'T', args: ['a'] }],
    ['__AV_SETMODEL,0', { type: '__AV_SETMODEL,0', args: [] }], // routing avatar lines is the caller's job
    ['__AV_MESSAGE,__AV_MESSAGE,X', { type: '__AV_MESSAGE,X', args: [] }], // unwrapped once
    // echo keeps all (hazards.md (k))
    ['MANY|1|2|3|4|5|6|7|8|9|10|11|12', { type: 'MANY', args: '1 2 3 4 5 6 7 8 9 10 11 12'.split(' ') }],
    ['A|"quoted text"|a\\nb', { type: 'A', args: ['"quoted text"', 'a\\nb'] }], // no quoting or escapes
    // notes.md run C
    ['\u0003\ufffdserver test closeTEST_MESSAGE', { type: '\u0003\ufffdserver test closeTEST_MESSAGE', args: [] }],
    ['__peer_disconnected__\n', { type: '__peer_disconnected__', args: [] }],
  ];
  for (const [line, msg] of cases) {
    it(`${JSON.stringify(line)} → ${msg.type} ${JSON.stringify(msg.args)}`, () => {
      expect(parseMessage(line)).to.deep.equal(msg);
    });
  }

  it('reads the 2047-byte cut echo of a long message (wire.md §5.1, hazards.md (g))', () => {
    const echo = 'LONG2100|' + 'x'.repeat(2038);
    expect(parseMessage(echo)).to.deep.equal({ type: 'LONG2100', args: ['x'.repeat(2038)] });
  });

  it('refuses a line without any type with ERR_EMPTY_TYPE', () => {
    for (const line of ['', '\n', '|', '|||\r\n', '__AV_MESSAGE,', '__AV_MESSAGE,||']) {
      expect(
        codeOf(() => parseMessage(line)),
        JSON.stringify(line),
      ).to.equal('ERR_EMPTY_TYPE');
    }
  });

  it('refuses several lines at once with ERR_FORBIDDEN_CHAR (split them first)', () => {
    for (const line of ['A\nB', 'KEY|1\nKEY|2\n', '\nA', 'X|1\rY']) {
      const err = thrown(() => parseMessage(line));
      expect(err?.code, JSON.stringify(line)).to.equal('ERR_FORBIDDEN_CHAR');
      expect(err?.message).to.contain('frameLines');
    }
  });

  it('refuses a non-string with ERR_BAD_INPUT', () => {
    expect(codeOf(() => parseMessage(undefined as unknown as string))).to.equal('ERR_BAD_INPUT');
  });
});

describe('formatMessage', () => {
  it('builds TYPE or TYPE|a|b without a terminator', () => {
    expect(formatMessage({ type: 'TEST_MESSAGE', args: [] })).to.equal('TEST_MESSAGE');
    expect(
      formatMessage({ type: 'MOTION_ADD', args: ['0', 'action', 'Motion/action/ok.vmd', 'PART', 'ONCE'] }),
    ).to.equal('MOTION_ADD|0|action|Motion/action/ok.vmd|PART|ONCE');
    // a legal relay signal (wire.md §10.4)
    expect(formatMessage({ type: '__peer_disconnected__', args: [] })).to.equal('__peer_disconnected__');
  });

  // One code per refusal; the message names the field (wire.md §7.4, §7.7, §8.4, §12).
  const refused: Array<[string, Message, MmdErrorCode, string]> = [
    ['empty type', { type: '', args: ['a'] }, 'ERR_EMPTY_TYPE', 'type'],
    [
      'empty argument: the later ones would shift left (hazards.md (j))',
      { type: 'VALUE_SET', args: ['vv', '', '7'] },
      'ERR_EMPTY_ARGUMENT',
      'argument 1',
    ],
    ['"|" in the type', { type: 'A|B', args: [] }, 'ERR_PIPE_IN_FIELD', 'type'],
    ['"|" in an argument', { type: 'A', args: ['x', 'y', 'p|q'] }, 'ERR_PIPE_IN_FIELD', 'argument 2'],
    ['LF in an argument', { type: 'A', args: ['x\ny'] }, 'ERR_FORBIDDEN_CHAR', 'argument 0'],
    ['CR in the type', { type: 'A\r', args: [] }, 'ERR_FORBIDDEN_CHAR', 'type'],
    [
      'NUL in an argument: stall (hazards.md (l))',
      { type: 'NUL', args: ['a\u0000b'] },
      'ERR_FORBIDDEN_CHAR',
      'argument 0',
    ],
    ['lone surrogate', { type: 'A', args: ['ok', 'x\udc00'] }, 'ERR_LONE_SURROGATE', 'argument 1'],
    [
      '11 arguments (wire.md §7.7, hazards.md (k))',
      { type: 'MANY', args: '1 2 3 4 5 6 7 8 9 10 11'.split(' ') },
      'ERR_TOO_MANY_ARGS',
      '10',
    ],
    [
      '2047-byte line (wire.md §7.7)',
      { type: 'LONG', args: ['x'.repeat(MAX_LINE_BYTES - 4)] },
      'ERR_LINE_TOO_LONG',
      '2047',
    ],
    [
      'type starting with SND: read as audio (hazards.md (h))',
      { type: 'SND_TEST', args: ['hello'] },
      'ERR_SND_PREFIX',
      'avatar.message',
    ],
    ['a control word as a message type', { type: 'SNDBRKS', args: [] }, 'ERR_SND_PREFIX', 'avatar.message'],
    [
      'type starting with __AV: read as an avatar command',
      { type: '__AVX', args: ['1'] },
      'ERR_AV_PREFIX',
      'avatar.message',
    ],
    ['number argument', { type: 'A', args: [1 as unknown as string] }, 'ERR_BAD_INPUT', 'formatNumber'],
    ['null argument', { type: 'A', args: [null as unknown as string] }, 'ERR_BAD_INPUT', 'argument 0'],
    ['args not an array', { type: 'A', args: 'x' as unknown as string[] }, 'ERR_BAD_INPUT', 'args'],
    ['type not a string', { type: 5 as unknown as string, args: [] }, 'ERR_BAD_INPUT', 'type'],
  ];
  for (const [why, msg, code, mentions] of refused) {
    it(`refuses ${why} with ${code}`, () => {
      const err = thrown(() => formatMessage(msg));
      expect(err?.code).to.equal(code);
      expect(err?.message).to.contain(mentions);
    });
  }

  it('refuses a missing message with ERR_BAD_INPUT', () => {
    for (const msg of [null, undefined, 'A|b', 42]) {
      expect(codeOf(() => formatMessage(msg as unknown as Message))).to.equal('ERR_BAD_INPUT');
    }
  });

  it('takes exactly MAX_ARGS arguments and exactly MAX_LINE_BYTES bytes, counted in UTF-8', () => {
    const ten = Array.from({ length: MAX_ARGS }, (_, i) => String(i));
    expect(formatMessage({ type: 'T', args: ten })).to.equal('T|' + ten.join('|'));
    const fits = { type: 'LONG', args: ['x'.repeat(MAX_LINE_BYTES - 5)] };
    expect(formatMessage(fits)).to.have.length(MAX_LINE_BYTES);
    // 'T|' + 681 × 'あ' (3 bytes) + 'a' = 2046 bytes
    expect(codeOf(() => formatMessage({ type: 'T', args: ['あ'.repeat(681) + 'a'] }))).to.equal('no error');
    expect(codeOf(() => formatMessage({ type: 'T', args: ['あ'.repeat(681) + 'ab'] }))).to.equal('ERR_LINE_TOO_LONG');
  });

  it('allowReservedType lets avatar.message build SND/__AV types for wrapping', () => {
    expect(formatMessage({ type: 'SND_TEST', args: ['a'] }, { allowReservedType: true })).to.equal('SND_TEST|a');
    expect(formatMessage({ type: '__AVX', args: [] }, { allowReservedType: true })).to.equal('__AVX');
    // every other rule still holds
    expect(codeOf(() => formatMessage({ type: 'SND', args: ['a|b'] }, { allowReservedType: true }))).to.equal(
      'ERR_PIPE_IN_FIELD',
    );
  });

  it('parseMessage(formatMessage(m)) gives m back for every valid message (property)', () => {
    const field = fc
      .string({
        unit: fc.oneof(
          fc.constantFrom('こ', '🧨', ' ', '_', ',', '"'),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        ),
        minLength: 1,
        maxLength: 10,
      })
      .filter((s) => !/[|\r\n\u0000]/.test(s) && new TextDecoder().decode(new TextEncoder().encode(s)) === s);
    const type = field.filter((s) => !s.startsWith('SND') && !s.startsWith('__AV'));
    fc.assert(
      fc.property(type, fc.array(field, { maxLength: MAX_ARGS }), (t, args) => {
        const msg = { type: t, args };
        const line = formatMessage(msg);
        expect(parseMessage(line)).to.deep.equal(msg);
        expect(parseMessage(line + '\n')).to.deep.equal(msg);
      }),
    );
  });

  it('random input never throws anything but MmdError (property)', () => {
    const msgLike = fc.oneof(
      fc.anything(),
      fc.record({
        type: fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.anything()),
        args: fc.oneof(
          fc.array(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 12 }),
          fc.array(fc.anything(), { maxLength: 3 }),
          fc.anything(),
        ),
      }),
    );
    fc.assert(
      fc.property(
        msgLike,
        fc.boolean(),
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.anything(),
        (msg, allow, line, n) => {
          codeOf(() => formatMessage(msg as Message, { allowReservedType: allow }));
          codeOf(() => parseMessage(line));
          codeOf(() => parseMessage(msg as string));
          codeOf(() => formatNumber(n as number));
        },
      ),
    );
  });
});

describe('formatNumber', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [-0, '0'],
    [1, '1'],
    [-1, '-1'],
    [0.5, '0.5'],
    [1.25, '1.25'],
    [-0.75, '-0.75'],
    [1e-7, '0.0000001'],
    [-1.5e-7, '-0.00000015'],
    [1.2e-10, '0.00000000012'],
    [1e21, '1000000000000000000000'],
    [-1.2345e25, '-12345000000000000000000000'],
    [123456789012, '123456789012'],
    [0.1 + 0.2, '0.30000000000000004'],
  ];
  for (const [n, text] of cases) {
    it(`${String(n)} → ${text}`, () => {
      expect(formatNumber(n)).to.equal(text);
    });
  }

  it('refuses NaN, Infinity and non-numbers with ERR_BAD_ARGUMENT', () => {
    for (const bad of [Number.NaN, Infinity, -Infinity, '1', null, 10n]) {
      expect(codeOf(() => formatNumber(bad as number))).to.equal('ERR_BAD_ARGUMENT');
    }
  });

  it('always gives plain decimal text that reads back as the same number (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const text = formatNumber(n);
        expect(text).to.match(/^-?\d+(\.\d+)?$/);
        expect(Number(text)).to.equal(n === 0 ? 0 : n);
      }),
    );
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import { MmdError } from '../src/errors.js';
import { encodeLine, validateLine } from '../src/line.js';
import { MAX_FRAME_BYTES } from '../src/limits.js';
import { StreamParser } from '../src/stream-parser.js';
import type { StreamEvent } from '../src/stream-parser.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const bytes = (...parts: Array<string | number[]>) => {
  const out: number[] = [];
  for (const p of parts) out.push(...(typeof p === 'string' ? utf8(p) : p));
  return new Uint8Array(out);
};

/** Events as short strings: `line:X`, `avatar:X`, `audio:N`, `control:W`, `peer`, `crash §7.2`... */
function show(e: StreamEvent): string {
  switch (e.kind) {
    case 'line':
      return `${e.route === 'avatar' ? 'avatar' : 'line'}:${e.line}`;
    case 'audio':
      return `audio:${e.bytes.length}`;
    case 'control':
      return `control:${e.word}`;
    case 'peer-disconnected':
      return 'peer';
    case 'hazard':
      return `${e.hazard.kind} ${e.hazard.rule.replace('wire.md ', '')}`;
  }
}

/** Pushes each frame; returns the events of each frame, shown. */
function frames(parser: StreamParser, ...payloads: Array<string | Uint8Array>): string[][] {
  return payloads.map((p) => parser.pushFrame(p).map(show));
}
const one = (...payloads: Array<string | Uint8Array>) => frames(new StreamParser(), ...payloads);

describe('StreamParser: line framing (wire.md §7.2 table)', () => {
  for (const input of ['A\n', 'A\r\n', 'A\n\n', 'A\r\n\r\n']) {
    it(`${JSON.stringify(input)} in one frame is one line A, the CR/LF run swallowed`, () => {
      const p = new StreamParser();
      expect(frames(p, input)).to.deep.equal([['line:A']]);
      expect(p.pendingBytes).to.equal(0);
    });
  }

  it('several lines in one frame come out in order (notes.md run A: KEY|1 KEY|2)', () => {
    expect(one('KEY|1\nKEY|2\n')).to.deep.equal([['line:KEY|1', 'line:KEY|2']]);
  });

  it('a line split over frames is reassembled (notes.md run A: TEXT_A + BC|x)', () => {
    const p = new StreamParser();
    expect(frames(p, 'TEXT_A', 'BC|x\n')).to.deep.equal([[], ['line:TEXT_ABC|x']]);
  });

  it('a final line without terminator is glued to the next frame: FOO + BAR\\n → FOOBAR', () => {
    const p = new StreamParser();
    expect(frames(p, 'FOO')).to.deep.equal([[]]);
    expect(p.pendingBytes).to.equal(3);
    expect(frames(p, 'BAR\n')).to.deep.equal([['line:FOOBAR']]);
  });

  for (const input of ['\n', '\r\n', '\r', '\n\r\n\n']) {
    it(`a frame of only ${JSON.stringify(input)} with nothing pending crashes (hazards.md (a), (b))`, () => {
      const p = new StreamParser();
      expect(frames(p, input)).to.deep.equal([['crash §7.2']]);
      expect(p.state).to.equal('crashed');
      expect(frames(p, 'PROBE_2|x\n')).to.deep.equal([[]]); // dead: nothing more is processed
      expect(p.framesReceived).to.equal(2);
    });
  }

  it('\\nPROBE|1\\n stalls; later data piles up until a frame overflows the buffer (hazards.md (c))', () => {
    const p = new StreamParser();
    expect(frames(p, '\nPROBE|1\n', 'PROBE_2|x\n')).to.deep.equal([['stall §7.2'], []]);
    expect(p.state).to.equal('stalled');
    expect(p.pendingBytes).to.equal(19);
    const thousand = `FILL|${'y'.repeat(994)}\n`;
    expect(thousand.length).to.equal(1000);
    for (let i = 0; i < 8; i++) expect(frames(p, thousand)).to.deep.equal([[]]);
    expect(p.pendingBytes).to.equal(8019); // "19 + 8000 bytes pending"
    expect(frames(p, thousand)).to.deep.equal([['overflow §6.5']]); // "did not fit the remaining 172 bytes"
    expect(p.pendingBytes).to.equal(8019);
    expect(p.state).to.equal('stalled');
  });

  it('a stalled line without terminator still scans appended bytes: invalid UTF-8 then hangs it', () => {
    const p = new StreamParser();
    expect(frames(p, '\nFOO', 'BAR', bytes([0xff], '\n'), 'X\n')).to.deep.equal([
      ['stall §7.2'],
      [],
      ['hang §7.5'],
      [],
    ]);
    expect(p.state).to.equal('hung');
  });

  it('a CRLF split across frames: the CR ends the line, the frame starting with LF stalls (hazards.md (m))', () => {
    const p = new StreamParser();
    expect(frames(p, 'X|1\r', '\nY|2\n', 'PROBE|x\n')).to.deep.equal([['line:X|1'], ['stall §7.2'], []]);
  });

  it('a control word whose \\n comes in a later frame crashes (hazards.md (n))', () => {
    const p = new StreamParser();
    expect(frames(p, 'SNDBRKS', '\n')).to.deep.equal([['control:SNDBRKS'], ['crash §7.2']]);
  });

  it(
    'a leading CR/LF run shorter than the line after it dispatches the line twice (model of §7.1 step 3, not ' +
      'observed)',
    () => {
      // The completeness check reads offset L (token length) of the buffer: here a delimiter, so the
      // token is dispatched, L bytes plus the CR/LF run are consumed, and the line is read again.
      expect(one('\n\nA\n')).to.deep.equal([['line:A', 'line:A']]);
    },
  );
});

describe('StreamParser: audio and control words (wire.md §8)', () => {
  it('reads an SND chunk from a binary frame', () => {
    const events = new StreamParser().pushFrame(bytes('SND0004', [0x0a, 0xff, 0x00, 0x80]));
    expect(events).to.deep.equal([{ kind: 'audio', bytes: new Uint8Array([0x0a, 0xff, 0x00, 0x80]) }]);
  });

  it('a chunk may span frames, several chunks and text lines may share one (wire.md §8.1)', () => {
    const p = new StreamParser();
    expect(frames(p, bytes('SND0'), bytes('006', [1, 2]), bytes([3, 4, 5]))).to.deep.equal([[], [], []]);
    expect(p.pendingBytes).to.equal(12);
    expect(frames(p, bytes([6], 'SND0002', [7, 8], 'KEY|1\nSND0000SNDFILE\n'))).to.deep.equal([
      ['audio:6', 'audio:2', 'line:KEY|1', 'audio:0', 'control:SNDFILE'],
    ]);
    expect(p.pendingBytes).to.equal(0);
  });

  it('takes the 25 chunks of notes.md run A (SND1280 + 1280 bytes, binary frames)', () => {
    const p = new StreamParser();
    const pcm = new Uint8Array(1280).map((_, i) => (i * 37) & 0xff);
    const chunk = bytes('SND1280', Array.from(pcm));
    let audio = 0;
    for (let i = 0; i < 25; i++) {
      for (const e of p.pushFrame(chunk)) {
        expect(e).to.deep.equal({ kind: 'audio', bytes: pcm });
        audio++;
      }
    }
    expect(audio).to.equal(25);
    expect(p.state).to.equal('ok');
  });

  it('control words take one directly following \\n or \\r\\n, or none (wire.md §8.2)', () => {
    expect(one('SNDSTRM\n')).to.deep.equal([['control:SNDSTRM']]);
    expect(one('SNDFILE\r\nKEY|1\n')).to.deep.equal([['control:SNDFILE', 'line:KEY|1']]);
    expect(one('SNDBRKSKEY|1\n')).to.deep.equal([['control:SNDBRKS', 'line:KEY|1']]);
    // only one terminator is consumed: a second one is a frame "starting" with LF
    expect(one('SNDBRKS\n\n')).to.deep.equal([['control:SNDBRKS', 'crash §7.2']]);
  });

  it('any other SND line is audio with atoi of the 4 characters as length (hazards.md (h))', () => {
    const p = new StreamParser();
    expect(frames(p, 'SNDX|1\n', 'PROBE_1|x\n', 'SND_TEST|hello\n')).to.deep.equal([
      ['audio:0'],
      ['line:PROBE_1|x'],
      ['audio:0', 'line:T|hello'],
    ]);
    expect(one('SNDABCD_REST\n')).to.deep.equal([['audio:0', 'line:_REST']]); // wire.md §8.4
  });

  it('SNDXYZ1\\n: an empty chunk, then the lone \\n crashes (hazards.md (h2))', () => {
    expect(one('SNDXYZ1\n')).to.deep.equal([['audio:0', 'crash §7.2']]);
  });

  it('the length field follows C atoi: spaces, a sign, digits, then anything', () => {
    const payload = (s: string) => new StreamParser().pushFrame(s).map(show);
    expect(payload('SND 002ab')).to.deep.equal(['audio:2']);
    expect(payload('SND+002ab')).to.deep.equal(['audio:2']);
    expect(payload('SND2abcxyKEY\n')).to.deep.equal(['audio:2', 'line:KEY']);
    expect(payload('SND-000KEY\n')).to.deep.equal(['audio:0', 'line:KEY']);
    expect(payload('SND-001KEY\n')).to.deep.equal(['crash §8.1']);
  });

  it('an odd length is taken as is (the SDK refuses to send it, wire.md §8.1)', () => {
    expect(one(bytes('SND0003', [1, 2, 3]))).to.deep.equal([['audio:3']]);
  });

  it('input starting with S waits until 7 bytes are buffered: STOP\\n alone is held (hazards.md (i))', () => {
    const p = new StreamParser();
    expect(frames(p, 'STOP\n')).to.deep.equal([[]]);
    expect(p.pendingBytes).to.equal(5);
    expect(frames(p, 'PROBE_2|x\n')).to.deep.equal([['line:STOP', 'line:PROBE_2|x']]);
  });

  it('a wrong length puts PCM into the text path, which hangs on an invalid lead byte (wire.md §7.5)', () => {
    expect(one(bytes('SND0002', [1, 2, 0x34, 0x80, 0x0a]))).to.deep.equal([['audio:2', 'hang §7.5']]);
  });
});

describe('StreamParser: byte-level hazards (wire.md §7.5)', () => {
  it('invalid UTF-8 in a line hangs the parser for good (hazards.md (d))', () => {
    const p = new StreamParser();
    expect(frames(p, bytes('BAD|A', [0xff, 0xfe], 'B\n'))).to.deep.equal([['hang §7.5']]);
    expect(p.state).to.equal('hung');
    expect(frames(p, 'PROBE_2|x\n')).to.deep.equal([[]]);
  });

  for (const [name, lead] of [
    ['a stray continuation byte', 0x80],
    ['an overlong lead', 0xc1],
    ['0xFE', 0xfe],
    ['Shift_JIS あ', 0x82],
  ] as const) {
    it(`${name} hangs it, even after a good line in the same frame`, () => {
      expect(one(bytes('GOOD\n', [lead, 0xa0], '\n'))).to.deep.equal([['line:GOOD', 'hang §7.5']]);
    });
  }

  it('a NUL inside a line stalls it, then the buffer overflows (hazards.md (l))', () => {
    const p = new StreamParser();
    expect(frames(p, bytes('NUL|a', [0], 'b\n'), 'PROBE_2|x\n')).to.deep.equal([['stall §7.5'], []]);
    const thousand = `FILL|${'y'.repeat(994)}\n`;
    for (let i = 0; i < 8; i++) expect(frames(p, thousand)).to.deep.equal([[]]);
    expect(frames(p, thousand)).to.deep.equal([['overflow §6.5']]); // "the ninth raised WebSocket Exception"
  });

  it('a valid multi-byte lead right before the terminator swallows it (wire.md §7.5 last bullet)', () => {
    // E3 takes the \n and the B as its continuation bytes: one line, ended by the next \n.
    const events = new StreamParser().pushFrame(bytes('A', [0xe3], '\nBC\n'));
    expect(events).to.deep.equal([
      { kind: 'line', line: 'A\ufffd\nBC', route: 'message', bytes: bytes('A', [0xe3], '\nBC') },
    ]);
  });

  it('an invalid line carries its bytes: the `|` a cut character swallowed is no delimiter (wire.md §7.5)', () => {
    // E3 takes `\n|` as its continuation bytes, so MMDAgent-EX reads the type `A\xE3\n|x` with no arguments.
    const [event] = new StreamParser().pushFrame(bytes('A', [0xe3], '\n|x\n'));
    expect(event).to.deep.equal({
      kind: 'line',
      line: 'A\ufffd\n|x',
      route: 'message',
      bytes: bytes('A', [0xe3], '\n|x'),
    });
    // Valid lines, a real U+FFFD included, carry no bytes.
    const valid = new StreamParser().pushFrame('A|\ufffd\nあ|b\n');
    expect(valid).to.deep.equal([
      { kind: 'line', line: 'A|\ufffd', route: 'message' },
      { kind: 'line', line: 'あ|b', route: 'message' },
    ]);
  });

  it('a character cut at the end of a frame waits for the rest', () => {
    const p = new StreamParser();
    expect(frames(p, bytes('A', [0xe3]), bytes([0x81, 0x82], '\n'))).to.deep.equal([[], ['line:Aあ']]);
  });
});

describe('StreamParser: frames (wire.md §6)', () => {
  it('an empty frame reads as a disconnect; pending bytes stay (hazards.md (e), (o); wire.md §7.6)', () => {
    const p = new StreamParser();
    expect(frames(p, 'FOO', '', new Uint8Array(0))).to.deep.equal([[], ['empty-frame §6.4'], ['empty-frame §6.4']]);
    expect(p.state).to.equal('ok');
    expect(frames(p, 'BAR\n')).to.deep.equal([['line:FOOBAR']]);
  });

  it('a 9000-byte frame is dropped whole (hazards.md (f))', () => {
    const p = new StreamParser();
    const frame = 'LONG9000|' + 'x'.repeat(8990) + '\n';
    expect(frame.length).to.equal(9000);
    expect(frames(p, frame)).to.deep.equal([['oversize-frame §6.5']]);
    expect(p.pendingBytes).to.equal(0);
    expect(frames(p, 'PROBE|x\n')).to.deep.equal([['line:PROBE|x']]);
  });

  it('the read window is 8191 bytes minus what is pending (wire.md §6.5)', () => {
    const full = 'L|' + 'x'.repeat(MAX_FRAME_BYTES - 3) + '\n';
    expect(full.length).to.equal(MAX_FRAME_BYTES);
    expect(one(full)).to.deep.equal([[`line:${full.slice(0, -1)}`]]);
    expect(one(full + 'x')).to.deep.equal([['oversize-frame §6.5']]);
    const p = new StreamParser();
    frames(p, 'FOO');
    expect(frames(p, 'x'.repeat(MAX_FRAME_BYTES - 2))).to.deep.equal([['overflow §6.5']]);
    expect(p.pendingBytes).to.equal(3);
    expect(frames(p, 'x'.repeat(MAX_FRAME_BYTES - 4) + '\n')).to.have.length(1);
    expect(p.pendingBytes).to.equal(0);
  });

  it('long lines are dispatched whole; the 2047-byte echo cut is the simulator’s job (hazards.md (g))', () => {
    const line = 'LONG2100|' + 'x'.repeat(2090);
    expect(one(line + '\n')).to.deep.equal([[`line:${line}`]]);
  });

  it('a close payload with code 4000 hangs it (hazards.md (o2))', () => {
    const p = new StreamParser();
    expect(frames(p, bytes([0x0f, 0xa0]))).to.deep.equal([['hang §7.5']]);
    expect(p.state).to.equal('hung');
  });

  it('a close payload with code 1000 is glued to the next line (wire.md §6.3, notes.md run C)', () => {
    const p = new StreamParser();
    expect(frames(p, bytes([0x03, 0xe8], 'server test close'))).to.deep.equal([[]]);
    expect(p.pendingBytes).to.equal(19);
    expect(p.pushFrame('TEST_MESSAGE\n')).to.deep.equal([
      // the real echo was these bytes, "\x03\xe8server test closeTEST_MESSAGE\n"
      {
        kind: 'line',
        line: '\u0003\ufffdserver test closeTEST_MESSAGE',
        route: 'message',
        bytes: bytes([0x03, 0xe8], 'server test closeTEST_MESSAGE'),
      },
    ]);
  });

  it('takes ArrayBuffer payloads and offset views', () => {
    const backing = utf8('xxA\nyy');
    expect(one(backing.subarray(2, 4))).to.deep.equal([['line:A']]);
    expect(new StreamParser().pushFrame(backing.buffer.slice(2, 4) as ArrayBuffer).map(show)).to.deep.equal(['line:A']);
  });

  it('refuses other payload types and bad options with MmdError', () => {
    expect(() => new StreamParser().pushFrame(42 as unknown as string))
      .to.throw(MmdError)
      .with.property('code', 'ERR_BAD_INPUT');
    expect(() => new StreamParser({ bufferBytes: 7 }))
      .to.throw(MmdError)
      .with.property('code', 'ERR_BAD_ARGUMENT');
  });
});

describe('StreamParser: routing and __peer_disconnected__ (wire.md §7.3, §10.4)', () => {
  it('routes __AV lines to the avatar, except __AV_MESSAGE,', () => {
    expect(
      one('__AV_START\n__AV_SETMODEL,0\n__AV_MESSAGE,AV_TEST|x|y\n__AVCONF_DISABLEAUTOLIP,ALWAYS\n'),
    ).to.deep.equal([
      [
        'avatar:__AV_START',
        'avatar:__AV_SETMODEL,0',
        'line:__AV_MESSAGE,AV_TEST|x|y',
        'avatar:__AVCONF_DISABLEAUTOLIP,ALWAYS',
      ],
    ]);
  });

  it('a frame starting with __peer_disconnected__ signals it, and the text is parsed as usual', () => {
    expect(one('__peer_disconnected__\n')).to.deep.equal([['peer', 'line:__peer_disconnected__']]);
  });

  it('without \\n it stays pending and glues to the next data', () => {
    const p = new StreamParser();
    // the buffer still begins with it after the next frame is appended, so it is seen again
    expect(frames(p, '__peer_disconnected__', 'NEXT\n')).to.deep.equal([
      ['peer'],
      ['peer', 'line:__peer_disconnected__NEXT'],
    ]);
  });

  it('counts the pending bytes in front of the frame, and only the start of the buffer', () => {
    expect(one('__peer_', 'disconnected__\n')).to.deep.equal([[], ['peer', 'line:__peer_disconnected__']]);
    expect(one('X\n__peer_disconnected__\n')).to.deep.equal([['line:X', 'line:__peer_disconnected__']]);
  });
});

describe('StreamParser: what the SDK sends never hurts it', () => {
  // For each hazard of wire.md §13 the SDK's validator refuses the line with its own code, and
  // the parser shows what the frame would have done to MMDAgent-EX.
  const hazards: Array<[string, string, string, Uint8Array | string, string[]]> = [
    ['empty line', '', 'ERR_EMPTY_LINE', '\n', ['crash §7.2']],
    ['leading LF', '\nPROBE|1', 'ERR_FORBIDDEN_CHAR', '\nPROBE|1\n', ['stall §7.2']],
    ['CR inside: two messages', 'X|1\rY|2', 'ERR_FORBIDDEN_CHAR', 'X|1\rY|2\n', ['line:X|1', 'line:Y|2']],
    ['NUL', 'NUL|a\u0000b', 'ERR_FORBIDDEN_CHAR', 'NUL|a\u0000b\n', ['stall §7.5']],
    [
      'lone surrogate (the only invalid UTF-8 a string can carry)',
      'BAD|A\udfff',
      'ERR_LONE_SURROGATE',
      bytes('BAD|A', [0xff, 0xfe], 'B\n'),
      ['hang §7.5'],
    ],
    ['SND line ending in a lone LF', 'SNDXYZ1', 'ERR_SND_PREFIX', 'SNDXYZ1\n', ['audio:0', 'crash §7.2']],
    ['SND-prefixed message type', 'SND_TEST|hello', 'ERR_SND_PREFIX', 'SND_TEST|hello\n', ['audio:0', 'line:T|hello']],
    [
      '9000-byte line',
      'LONG9000|' + 'x'.repeat(8990),
      'ERR_LINE_TOO_LONG',
      'LONG9000|' + 'x'.repeat(8990) + '\n',
      ['oversize-frame §6.5'],
    ],
  ];
  for (const [name, line, code, frame, effect] of hazards) {
    it(`${name}: validateLine refuses it (${code}); the parser shows ${effect.join(', ')}`, () => {
      expect(() => validateLine(line))
        .to.throw(MmdError)
        .with.property('code', code);
      expect(one(frame)).to.deep.equal([effect]);
    });
  }

  it('hazard events name the rule and say what went wrong', () => {
    const [event] = new StreamParser().pushFrame('\n');
    expect(event).to.have.property('kind', 'hazard');
    const { hazard } = event as Extract<StreamEvent, { kind: 'hazard' }>;
    expect(hazard).to.include({ kind: 'crash', rule: 'wire.md §7.2' });
    expect(hazard.message).to.contain('CR or LF');
  });

  it('encodeLine keeps a control word and its \n in one frame, so it never crashes (wire.md §12 rule 7)', () => {
    expect(one(encodeLine('SNDBRKS'), encodeLine('NEXT'))).to.deep.equal([['control:SNDBRKS'], ['line:NEXT']]);
  });

  it('every line encodeLine accepts, sent as its own frame, arrives intact (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.constantFrom('SNDSTRM', 'SNDFILE', 'SNDBRKS', 'S', 'SND', '__AV_START', '__peer_disconnected__', '\ufeffBOM'),
    );
    fc.assert(
      fc.property(text, (line) => {
        let frame: string;
        try {
          frame = encodeLine(line);
        } catch (err) {
          if (err instanceof MmdError) return;
          throw err;
        }
        const p = new StreamParser();
        // a sync line after it flushes a short S… line held back (hazards.md (i))
        const events = [...p.pushFrame(frame), ...p.pushFrame('MMDSDK_SYNC|1\n')].filter(
          (e) => e.kind !== 'peer-disconnected',
        );
        const first = (['SNDSTRM', 'SNDFILE', 'SNDBRKS'] as const).find((w) => w === line);
        expect(events.map(show)).to.deep.equal([
          first
            ? `control:${first}`
            : `${line.startsWith('__AV') && !line.startsWith('__AV_MESSAGE,') ? 'avatar' : 'line'}:${line}`,
          'line:MMDSDK_SYNC|1',
        ]);
        expect(p.state).to.equal('ok');
      }),
      { numRuns: 300 },
    );
  });

  it(
    'any split of a valid stream that no frame starts with CR/LF ' + 'gives the same events as one frame (property)',
    () => {
      type Piece = { bytes: Uint8Array; noSplitFrom: number };
      const lineText = fc
        .string({
          unit: fc.oneof(
            fc.constantFrom('こ', '🧨', '|', 'S'),
            fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
          ),
          minLength: 1,
          maxLength: 10,
        })
        .filter((s) => {
          try {
            validateLine(s);
          } catch {
            return false;
          }
          return !s.startsWith('__peer');
        });
      const line = fc.tuple(lineText, fc.constantFrom('\n', '\r\n', '\n\n', '\r\n\r\n')).map(([t, end]): Piece => {
        const body = utf8(t);
        return { bytes: bytes(Array.from(body), end), noSplitFrom: body.length };
      });
      const control = fc
        .tuple(fc.constantFrom('SNDSTRM', 'SNDFILE', 'SNDBRKS'), fc.constantFrom('', '\n', '\r\n'))
        .map(([w, end]): Piece => ({ bytes: utf8(w + end), noSplitFrom: 7 }));
      const audio = fc.uint8Array({ maxLength: 40 }).map((pcm): Piece => ({
        bytes: bytes(`SND${String(pcm.length).padStart(4, '0')}`, Array.from(pcm)),
        noSplitFrom: Infinity,
      }));
      const stream = fc.array(fc.oneof(line, control, audio), { minLength: 1, maxLength: 10 }).chain((pieces) => {
        // A split may not fall on a line's or control word's terminator bytes: a correct sender
        // never starts a frame with CR/LF (wire.md §12 rules 3, 4, 7).
        const allowed: number[] = [];
        let at = 0;
        for (const piece of pieces) {
          for (let i = 1; i <= piece.bytes.length; i++)
            if (i < piece.noSplitFrom || i === piece.bytes.length) allowed.push(at + i);
          at += piece.bytes.length;
        }
        const whole = new Uint8Array(at);
        let o = 0;
        for (const piece of pieces) (whole.set(piece.bytes, o), (o += piece.bytes.length));
        const cuts = allowed.filter((x) => x < at);
        return fc.tuple(fc.constant(whole), cuts.length ? fc.subarray(cuts) : fc.constant([] as number[]));
      });
      fc.assert(
        fc.property(stream, ([whole, cuts]) => {
          const opts = { bufferBytes: 1 << 16 };
          const expected = new StreamParser(opts).pushFrame(whole);
          const p = new StreamParser(opts);
          const got: StreamEvent[] = [];
          let from = 0;
          for (const c of [...cuts, whole.length]) {
            got.push(...p.pushFrame(whole.slice(from, c)));
            from = c;
          }
          expect(got).to.deep.equal(expected);
          expect(expected.some((e) => e.kind === 'hazard')).to.equal(false);
        }),
        { numRuns: 300 },
      );
    },
  );

  it('random frames never throw, keep pending within the buffer, and a dead parser stays silent (property)', () => {
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('\n', 'SND', 'S', '__peer_disconnected__', 'SNDBRKS'),
    );
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 12 }), fc.integer({ min: 8, max: 64 }), (payloads, bufferBytes) => {
        const p = new StreamParser({ bufferBytes });
        for (const payload of payloads) {
          const before = p.state;
          const events = p.pushFrame(payload);
          expect(p.pendingBytes).to.be.at.most(bufferBytes - 1);
          if (before === 'crashed' || before === 'hung') {
            expect(events).to.deep.equal([]);
            expect(p.state).to.equal(before);
          }
          if (before === 'stalled')
            expect(events.every((e) => e.kind === 'hazard' || e.kind === 'peer-disconnected')).to.equal(true);
        }
        expect(p.framesReceived).to.equal(payloads.length);
      }),
    );
  });
});

describe('StreamParser: found in review (each test failed before its fix)', () => {
  it(
    'an SND length that can never fit the read window is a stall at ' + 'once, not a silent wait (wire.md §8.1, §6.5)',
    () => {
      const p = new StreamParser();
      const events = p.pushFrame(bytes('SND9000', [1, 2, 3], 'A|1\nB|2\n'));
      expect(events.map((e) => e.kind)).to.deep.equal(['hazard']);
      expect(events[0].kind === 'hazard' && events[0].hazard.kind).to.equal('stall');
      expect(p.state).to.equal('stalled');
      expect(p.pushFrame('C|3\n')).to.deep.equal([]); // reported once; everything still piles up
      // a chunk that does fit is still just awaited
      expect(new StreamParser().pushFrame(bytes('SND4096', [1, 2]))).to.deep.equal([]);
    },
  );
});

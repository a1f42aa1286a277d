// Shared fuzz generators and targets: one list of (arbitrary, check) pairs that both the
// dedicated script (test/fuzz-run.ts, 100k+ inputs each) and test/fuzz.test.ts (a few hundred,
// in Node and Chromium) run. Inputs are mutated wire fixtures, not just random bytes: the
// mutations are the ones wire.md §13 lists as dangerous (CR/LF runs, NUL, invalid UTF-8 leads,
// lone surrogates, SND prefixes with garbage digits, `__AV_MESSAGE,`, BOMs, `%ENV{` nesting,
// huge lengths). A check throws to fail; only MmdError may escape a parser.
import fc from 'fast-check';
import { MmdError } from '../../src/errors.js';
import {
  MAX_ARGS,
  MAX_FRAME_BYTES,
  MAX_LINE_BYTES,
  SND_CONTROL_WORDS,
  SND_MAX_CHUNK_BYTES,
  SND_MAX_PAYLOAD_BYTES,
} from '../../src/limits.js';
import type { SndControlWord } from '../../src/limits.js';
import { LineDecoder, encodeLine, frameLines, utf8ByteLength, validateLine } from '../../src/line.js';
import { AgentLink } from '../../src/link.js';
import { Inbox } from '../../src/link/inbox.js';
import type { IncomingMessage, WebSocketLike } from '../../src/link.js';
import { formatMessage, parseMessage } from '../../src/message.js';
import type { Message } from '../../src/message.js';
import { StreamParser } from '../../src/stream-parser.js';
import type { StreamEvent } from '../../src/stream-parser.js';
import { parseEvent } from '../../src/catalog/index.js';
import { TABLE } from '../../src/catalog/table.js';
import {
  avAction,
  avDisableAutoLip,
  avEnd,
  avExMorph,
  avMessage,
  avSetModel,
  avStart,
  parseAvatarLine,
} from '../../src/avatar.js';
import type { AutoLipMode, AvatarCommand } from '../../src/avatar.js';
import { SndDecoder, decodeSndChunks, sndChunks } from '../../src/audio.js';
import {
  expandEnv,
  lintMdf,
  mdfSetting,
  parseMdf,
  setWebsocketSettings,
  websocketSettings,
} from '../../src/mdf/index.js';
import type { WebsocketParts } from '../../src/mdf/index.js';
// pure (no node:* imports), so it runs in the browser too: what the relay lets through to an agent
import { agentLineFrame, checkSndFrame, controllerLines } from '../../src/node/server/frames.js';

/** Any single input slower than this fails (the parsers are linear; this only catches hangs). */
export const TIME_BOUND_MS = 250;

export interface FuzzTarget<T = any> {
  /** Unique id, used by `--only`. */
  name: string;
  /** The parser under test, for the per-parser totals. */
  parser: string;
  arbitrary: fc.Arbitrary<T>;
  /** Throws on a violated property. */
  check(input: T): void;
}

// ---------------------------------------------------------------- fixtures (literal wire text)

/** Lines recorded from the real app (real-client/transcripts.jsonl) and the docs' examples. */
export const WIRE_LINES: readonly string[] = [
  'PLUGIN_EVENT_ENABLE|Variables',
  'STAGE|images/floor_green.png,images/back_white.png',
  'MODEL_ADD|0|gene/Gene_light.pmd',
  'MODEL_ADD|m2|gene/Gene_light.pmx|8,0,0',
  'MENU|SETITEM|Gene|0|頬なし|MODEL_BINDFACE|0|頬全消し|1',
  'MENU_EVENT|SETITEM|Gene|5',
  'MOTION_ADD|0|base|motions/wait/01_Wait.vmd|FULL|LOOP|ON|OFF',
  'CAMERA|0,15.25,0|4.5,0,0|22.4|27.0',
  'CURRENT_TIME|11|40',
  'AVATAR_EVENT_IDLE|START',
  'MOTION_ACCELERATE|0|act2|0.5|1.0',
  'MOVE_START|0|0,0,-20|GLOBAL|2.0',
  'ROTATE_START|0|0,90,0|LOCAL|45',
  'SYNTH_START|0|mei_voice_normal|こんにちは、今日はいい天気ですね。',
  'LIPSYNC_START|0|h,95,a,110,i,120',
  'SOUND_START|__speak__0|test1s.wav',
  'AVATAR|START',
  'RECOG_EVENT_STOP|こんにちは',
  'VALUE_EVAL|x|GE|0.5',
  'PROMPT_SHOW|title|a|b|c',
  'TEXTAREA_ADD|t|2,1|0.5,0,0.1|FFFFFF80|000000|0,10,0',
  'KEY|a',
  'MMDSDK_SYNC|42',
  '__AV_START',
  '__AV_END',
  '__AV_SETMODEL,0',
  '__AVCONF_DISABLEAUTOLIP,ARKIT+AU',
  '__AV_EXMORPH,eye_close=0.5,mouth_a=1',
  '__AV_ACTION,3',
  '__AV_MESSAGE,SNDX|a|b',
  '__AV_MESSAGE,__AV_START',
  '__AV_TRACK,1,2,3',
  'SNDSTRM',
  'SNDFILE',
  'SNDBRKS',
  '__peer_disconnected__',
];

/** .mdf texts with the features a lossless round trip must keep (mdf.md §3). */
export const MDF_TEXTS: readonly string[] = [
  '',
  'Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_Websocket_Port=9001\n' +
    'Plugin_Remote_Websocket_Directory=/chat\n',
  '\ufeff# comment\r\nPlugin_Remote_Websocket_Host=127.0.0.1\r\n\r\nPlugin_Remote_RetryCount=3\r\n',
  'window_size=600,600\n  #not a comment=1\nkey with spaces = value \t\nno equals here\n#x=1\nlast=no newline',
  'Plugin_Remote_Websocket_Host=%ENV{HOST}\nPlugin_Remote_Websocket_Port=%ENV{PORT}%ENV{X}\nbroken=%ENV{OPEN\n',
  'a=1\na=2\r\nb==c=d\n=empty key\n\n\n',
  'mixed=\u3042\u3044\u3046\rcr_only=1\rtrailing=x   \n',
  'nul=a\0b\nafter=1\n',
];

const ENV_NAMES = ['HOST', 'PORT', 'X', 'A', 'B', ''] as const;

// ---------------------------------------------------------------- mutation engine

/** Text that is dangerous somewhere in the stack (wire.md §7, §8, §13; avatar.md §1; mdf.md §3). */
const NASTY_TEXT = [
  '\r',
  '\n',
  '\r\n',
  '\n\r',
  '\r\n\r\n',
  '\0',
  '|',
  '||',
  ',',
  ',,',
  '=',
  '==',
  '#',
  ' ',
  '\t',
  '}',
  '{',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\ud83d',
  '\ude00',
  '🧨',
  'é',
  'こ',
  '\u0085',
  '\u2028',
  'S',
  'SN',
  'SND',
  'SND0004',
  'SND9999',
  'SND-002',
  'SND 12 ',
  'SNDx9!2',
  'SNDSTRM',
  'SNDBRKS\r\n',
  'SNDFILE\n',
  '__AV',
  '__AV_',
  '__AV_MESSAGE,',
  '__AV_MESSAGE,__AV_MESSAGE,',
  '__AV_EXMORPH,',
  '__AV_SETMODEL,',
  '__peer_disconnected__',
  '%ENV{',
  '%ENV{%ENV{',
  '%ENV{HOST}',
  '%ENV{A}',
  '%ENV{}',
  '%ENV',
  'ENV{',
  '0',
  '-0',
  '1e400',
  'NaN',
  'inf',
  '0x10',
  '.5',
  '+3',
  '9'.repeat(30),
  '1,2,3',
  ',1,,2,3,',
];

export const nastyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(...WIRE_LINES) },
);

type TextOp =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'repeat'; at: number; len: number; times: number }
  | { op: 'truncate'; at: number };

const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: nastyText }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.nat(8) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('repeat' as const),
      at: fc.nat(),
      len: fc.integer({ min: 1, max: 6 }),
      times: fc.integer({ min: 2, max: 3000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
);

function applyTextOps(s: string, ops: readonly TextOp[]): string {
  for (const o of ops) {
    const at = s.length === 0 ? 0 : o.at % (s.length + 1);
    if (o.op === 'insert') s = s.slice(0, at) + o.text + s.slice(at);
    else if (o.op === 'delete') s = s.slice(0, at) + s.slice(at + o.len);
    else if (o.op === 'repeat') s = s.slice(0, at) + s.slice(at, at + o.len).repeat(o.times) + s.slice(at + o.len);
    else s = s.slice(0, at);
  }
  return s;
}

/** `base` with up to `max` mutations applied (none in about a fifth of the cases). */
export function mutatedText(base: fc.Arbitrary<string>, max = 4): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(textOp, { maxLength: max })).map(([s, ops]) => applyTextOps(s, ops));
}

/** A wire line: a real fixture, mutated. */
export const wireLine: fc.Arbitrary<string> = mutatedText(fc.constantFrom(...WIRE_LINES));

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** Byte sequences that break UTF-8 or the SND framing (wire.md §7.5, §8.1). */
const nastyBytes: fc.Arbitrary<number[]> = fc.oneof(
  fc.integer({ min: 0x80, max: 0xc1 }).map((b) => [b]),
  fc.constantFrom<number[]>(
    [0xfe],
    [0xff],
    [0x00],
    [0x0d],
    [0x0a],
    [0x0d, 0x0a],
    [0xe3, 0x81],
    [0xf0, 0x9f, 0x92],
    [0xef, 0xbb, 0xbf],
    [0xc3],
    [0xed, 0xa0, 0x80],
  ),
  // SND + four garbage "digits": signs, spaces, letters, high bytes
  fc
    .array(fc.constantFrom(...ascii('0123456789 +-x\t'), 0xff, 0x80), { minLength: 4, maxLength: 4 })
    .map((d) => [...ascii('SND'), ...d]),
  fc.constantFrom(
    ...['SND9999', 'SND8184', 'SND8185', 'SND0001', 'SND-002', 'SND0000', 'SNDSTRM', 'SNDBRKS\n', 'S', 'SN'].map(ascii),
  ),
);

type ByteOp =
  { op: 'insert'; at: number; bytes: number[] } | { op: 'set'; at: number; byte: number } | { op: 'cut'; at: number };

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: nastyBytes }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cut' as const), at: fc.nat() }) },
);

function applyByteOps(b: Uint8Array, ops: readonly ByteOp[]): Uint8Array {
  for (const o of ops) {
    const at = o.at % (b.length + 1);
    if (o.op === 'insert') {
      const next = new Uint8Array(b.length + o.bytes.length);
      next.set(b.subarray(0, at));
      next.set(o.bytes, at);
      next.set(b.subarray(at), at + o.bytes.length);
      b = next;
    } else if (o.op === 'set') {
      if (at < b.length) ((b = b.slice()), (b[at] = o.byte));
    } else b = b.slice(0, at);
  }
  return b;
}

export const utf8 = (s: string) => new TextEncoder().encode(s);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

const terminator = fc.constantFrom('\n', '\n', '\r\n', '\r', '\n\n', '\r\n\r\n', '');

/** A valid SND chunk (even payload, 4-digit header) of random PCM. */
const sndChunkBytes: fc.Arbitrary<Uint8Array> = fc
  .uint8Array({ maxLength: 64 })
  .map(
    (pcm) =>
      sndChunks(pcm.length % 2 ? pcm.subarray(1) : pcm, { chunkBytes: SND_MAX_CHUNK_BYTES })[0] ?? utf8('SND0000'),
  );

/** One piece of an MMDAgent-EX input stream: a line, an SND chunk, a control word, or noise. */
const streamPiece: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(wireLine, terminator).map(([l, t]) => utf8(l + t)) },
  { weight: 2, arbitrary: sndChunkBytes },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...SND_CONTROL_WORDS), fc.constantFrom('', '\n', '\r\n'))
      .map(([w, t]) => utf8(w + t)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }) },
);

/** Bytes as they could reach a parser: whole pieces glued together, then byte-level mutations. */
export const wireBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.array(streamPiece, { maxLength: 6 }), fc.array(byteOp, { maxLength: 3 }))
  .map(([pieces, ops]) => applyByteOps(concat(pieces), ops));

/** Text streams (UTF-16, may hold lone surrogates): mutated lines with their terminators. */
export const wireText: fc.Arbitrary<string> = fc
  .array(fc.tuple(wireLine, terminator), { maxLength: 6 })
  .map((items) => items.map(([l, t]) => l + t).join(''));

/** Sorted cut offsets into a sequence of `length` (duplicates allowed: empty chunks). */
export const cuts = fc.array(fc.nat(), { maxLength: 8 });

export function splitAt<T extends string | Uint8Array>(whole: T, offsets: readonly number[]): T[] {
  const at = offsets.map((o) => o % (whole.length + 1)).sort((a, b) => a - b);
  const parts: T[] = [];
  let from = 0;
  for (const to of at) (parts.push(whole.slice(from, to) as T), (from = to));
  parts.push(whole.slice(from) as T);
  return parts;
}

// ---------------------------------------------------------------- check helpers

/** Runs `fn`; an MmdError counts as a refusal (returns undefined), anything else propagates. */
export function refusedOr<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof MmdError) return undefined;
    throw err;
  }
}

/**
 * Wraps a check so that an input running over TIME_BOUND_MS fails (measured, not interrupted).
 * A slow input is measured twice more and judged by its fastest run, so a GC pause or a busy
 * machine does not fail it; checks are pure, so running one again changes nothing.
 */
export function timed<T>(check: (input: T) => void, boundMs = TIME_BOUND_MS): (input: T) => void {
  return (input) => {
    let best = Infinity;
    for (let run = 0; run < 3 && best > boundMs; run++) {
      const t0 = performance.now();
      check(input);
      best = Math.min(best, performance.now() - t0);
    }
    if (best > boundMs)
      throw new Error(`input took ${best.toFixed(1)} ms (fastest of 3 runs), over the ${boundMs} ms bound`);
  };
}

export function fail(what: string, detail?: unknown): never {
  throw new Error(detail === undefined ? what : `${what}: ${show(detail)}`);
}

/** A short printable form of an input or value, for failure messages. */
export function show(value: unknown): string {
  const hex = (v: Uint8Array) => Array.from(v.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const seen = (v: unknown): unknown =>
    v instanceof Uint8Array ? `bytes[${hex(v)}${v.length > 64 ? ` …+${v.length - 64}` : ''}]` : v;
  const text = JSON.stringify(value, (_k, v) => seen(v));
  return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 600)}…(${text.length} chars)` : text;
}

function same(a: unknown, b: unknown, what: string): void {
  const x = show(a);
  const y = show(b);
  if (x !== y || !deepEqual(a, b)) fail(`${what} differ`, { got: a, expected: b });
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as any)[k], (b as any)[k]))
    );
  }
  return false;
}

// ---------------------------------------------------------------- LineDecoder

const isBreak = (c: number) => c === 0x0a || c === 0x0d;

interface Decoded {
  lines: string[];
  tooLong: boolean;
  truncated: boolean;
}

/**
 * The reference: split the whole input at CR/LF runs; decode each line on its own. A line's size
 * is that of its decoded text, so invalid UTF-8 counts as the 3-byte U+FFFD it becomes
 * (LineDecoder's docs). `ambiguous` when an unterminated byte tail is over `max` by one count
 * and not by the other: the decoder holds such bytes undecoded and end() reports them as
 * truncated, where a decoded tail would have been dropped as too long.
 */
function referenceLines(input: string | Uint8Array, max: number): Decoded & { ambiguous: boolean } {
  const out = { lines: [] as string[], tooLong: false, truncated: false, ambiguous: false };
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const n = input.length;
  const code = typeof input === 'string' ? (i: number) => input.charCodeAt(i) : (i: number) => input[i];
  let from = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && !isBreak(code(i))) continue;
    if (i > from) {
      const piece = input.slice(from, i);
      const text = typeof piece === 'string' ? piece : decoder.decode(piece);
      const bytes = utf8ByteLength(text);
      if (i === n && typeof piece !== 'string' && bytes > max !== piece.length > max) out.ambiguous = true;
      if (bytes > max) out.tooLong = true;
      else if (i === n) out.truncated = true;
      else out.lines.push(text);
    }
    from = i + 1;
  }
  return out;
}

function runDecoder(chunks: readonly (string | Uint8Array)[], max: number): Decoded {
  const decoder = new LineDecoder({ maxLineBytes: max });
  const out: Decoded = { lines: [], tooLong: false, truncated: false };
  for (const chunk of chunks) {
    try {
      out.lines.push(...decoder.push(chunk));
    } catch (err) {
      if (!(err instanceof MmdError) || err.code !== 'ERR_LINE_TOO_LONG') throw err;
      out.tooLong = true;
      // the other lines of that chunk come with the next push (an empty one of the same kind)
      out.lines.push(...decoder.push(typeof chunk === 'string' ? '' : new Uint8Array(0)));
    }
  }
  try {
    out.lines.push(...decoder.end());
  } catch (err) {
    if (!(err instanceof MmdError) || err.code !== 'ERR_TRUNCATED') throw err;
    out.truncated = true;
  }
  return out;
}

const maxLineBytes = fc.oneof(
  fc.constant(MAX_FRAME_BYTES),
  fc.constant(MAX_LINE_BYTES),
  fc.integer({ min: 1, max: 40 }),
);

const lineDecoder: FuzzTarget<{ input: string | Uint8Array; offsets: number[]; max: number }> = {
  name: 'line-decoder',
  parser: 'LineDecoder',
  arbitrary: fc.record({ input: fc.oneof(wireBytes, wireText), offsets: cuts, max: maxLineBytes }),
  check({ input, offsets, max }) {
    // wire.md §7.1–7.2: CR and LF end a line, runs of them collapse; any split == whole == reference
    const { ambiguous, ...reference } = referenceLines(input, max);
    const whole = runDecoder([input], max);
    if (!ambiguous) same(whole, reference, 'whole-input lines and reference lines');
    same(runDecoder(splitAt(input, offsets), max), whole, 'split-input lines and whole-input lines');
  },
};

/** `s` with every lone surrogate replaced by U+FFFD, as TextEncoder would write it. */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const lineDecoderMixed: FuzzTarget<{ text: string; offsets: number[]; kinds: boolean[]; max: number }> = {
  name: 'line-decoder-mixed',
  parser: 'LineDecoder',
  arbitrary: fc.record({
    text: wireText.map(wellFormed),
    offsets: cuts,
    kinds: fc.array(fc.boolean(), { maxLength: 9 }),
    max: maxLineBytes,
  }),
  check({ text, offsets, kinds, max }) {
    // LineDecoder docs: string and byte chunks mix freely when no UTF-8 sequence is left open,
    // so a text cut between code points, each piece pushed as text or as its UTF-8 bytes, reads
    // as the whole text does
    const between = offsets
      .map((o) => o % (text.length + 1))
      .map((o) => (o > 0 && o < text.length && (text.charCodeAt(o) & 0xfc00) === 0xdc00 ? o - 1 : o));
    const chunks = splitAt(text, between).map((piece, i) => (kinds[i] ? utf8(piece) : piece));
    const { ambiguous: _, ...reference } = referenceLines(text, max);
    same(runDecoder(chunks, max), reference, 'mixed-chunk lines and reference lines');
  },
};

// ---------------------------------------------------------------- StreamParser

const frame: fc.Arbitrary<Uint8Array | string> = fc.oneof(
  { weight: 8, arbitrary: wireBytes },
  { weight: 1, arbitrary: wireText },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      new Uint8Array(0),
      new Uint8Array(MAX_FRAME_BYTES + 1).fill(0x41),
      utf8('\n'),
      utf8('\r\nX\n'),
      utf8('__peer_disconnected__'),
    ),
  },
);

function checkEvent(e: StreamEvent): void {
  if (e.kind === 'line') {
    if (e.line === '') fail('line event with an empty line', e);
    // a CR, LF or NUL inside a line only comes swallowed by a cut UTF-8 lead byte before it (wire.md §7.5)
    if (/[\r\n\0]/.test(e.line) && !e.line.includes('\ufffd')) fail('line event with CR, LF or NUL', e);
    if ((e.route === 'avatar') !== (e.line.startsWith('__AV') && !e.line.startsWith('__AV_MESSAGE,')))
      fail('line routed wrongly', e);
  } else if (e.kind === 'audio') {
    if (e.bytes.length > SND_MAX_PAYLOAD_BYTES)
      fail('audio payload larger than the read window allows', e.bytes.length);
  } else if (e.kind === 'control') {
    if (!(SND_CONTROL_WORDS as readonly string[]).includes(e.word)) fail('unknown control word', e);
  }
}

const streamParserGarbage: FuzzTarget<Array<Uint8Array | string>> = {
  name: 'stream-parser',
  parser: 'StreamParser',
  arbitrary: fc.array(frame, { minLength: 1, maxLength: 6 }),
  check(frames) {
    const p = new StreamParser();
    let final = false;
    frames.forEach((f, i) => {
      const before = p.state;
      const events = p.pushFrame(f);
      if (p.framesReceived !== i + 1)
        fail('framesReceived does not count frames', { framesReceived: p.framesReceived, expected: i + 1 });
      if (p.pendingBytes < 0 || p.pendingBytes > MAX_FRAME_BYTES) fail('pendingBytes out of range', p.pendingBytes);
      if (final && events.length > 0) fail('a crashed or hung parser produced events', events);
      if (final && p.state !== before) fail('a crashed or hung parser changed state', p.state);
      for (const e of events) {
        checkEvent(e);
        if (e.kind === 'hazard' && e.hazard.kind === 'crash' && p.state !== 'crashed')
          fail('crash hazard without crashed state', e);
        if (e.kind === 'hazard' && e.hazard.kind === 'hang' && p.state !== 'hung')
          fail('hang hazard without hung state', e);
      }
      final = p.state === 'crashed' || p.state === 'hung';
    });
  },
};

type Sent =
  { kind: 'line'; line: string } | { kind: 'audio'; bytes: Uint8Array } | { kind: 'control'; word: SndControlWord };

/** What the SDK itself may send: lines encodeLine accepts, SND chunks, control words with their `\n`. */
const sdkItem: fc.Arbitrary<Sent | undefined> = fc.oneof(
  {
    weight: 6,
    arbitrary: wireLine.map((line) =>
      refusedOr(() => encodeLine(line)) === undefined || line.startsWith('__peer')
        ? undefined
        : { kind: 'line' as const, line },
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .uint8Array({ minLength: 2, maxLength: 200 })
      .map((b) => ({ kind: 'audio' as const, bytes: b.length % 2 ? b.subarray(1) : b })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...SND_CONTROL_WORDS).map((word) => ({ kind: 'control' as const, word })) },
);

const streamParserSdk: FuzzTarget<Array<Sent | undefined>> = {
  name: 'stream-parser-sdk',
  parser: 'StreamParser',
  arbitrary: fc.array(sdkItem, { maxLength: 8 }),
  check(items) {
    // DESIGN principle 1: whatever the SDK sends arrives intact, in order, with no hazard
    const p = new StreamParser();
    const got: StreamEvent[] = [];
    const sent = items.filter((x): x is Sent => x !== undefined);
    for (const item of sent) {
      const payload =
        item.kind === 'line'
          ? encodeLine(item.line)
          : item.kind === 'control'
            ? `${item.word}\n`
            : sndChunks(item.bytes, { chunkBytes: SND_MAX_CHUNK_BYTES })[0];
      got.push(...p.pushFrame(payload));
    }
    // a sync line flushes a short `S…` line held back for want of 7 bytes (wire.md §7.1 step 2.1)
    got.push(...p.pushFrame('MMDSDK_SYNC|end\n'));
    // a line that is exactly a control word is one (wire.md §8.2); encodeLine lets them through
    const word = (s: Sent) => (s.kind === 'line' ? SND_CONTROL_WORDS.find((w) => w === s.line) : undefined);
    const expected = [...sent, { kind: 'line', line: 'MMDSDK_SYNC|end' } as Sent].map((s) =>
      word(s) ? { kind: 'control', word: word(s) } : s.kind === 'line' ? { kind: 'line', line: s.line } : s,
    );
    const seen = got
      .filter((e) => e.kind !== 'peer-disconnected')
      .map((e) => (e.kind === 'line' ? { kind: 'line', line: e.line } : e));
    same(seen, expected, 'received and sent items');
    if (p.state !== 'ok' || p.pendingBytes !== 0)
      fail('parser not clean after SDK output', { state: p.state, pending: p.pendingBytes });
  },
};

// ---------------------------------------------------------------- messages

function checkParsed(m: Message): void {
  if (m.type === '') fail('empty type', m);
  for (const field of [m.type, ...m.args]) {
    if (field === '' || /[|\r\n]/.test(field)) fail('a field is empty or holds "|", CR or LF', m);
  }
}

const messageParse: FuzzTarget<string> = {
  name: 'message-parse',
  parser: 'parseMessage',
  arbitrary: fc.oneof(wireLine, mutatedText(fc.string({ unit: 'binary', maxLength: 30 }))),
  check(line) {
    const m = refusedOr(() => parseMessage(line));
    if (!m) return;
    checkParsed(m);
    // wire.md §7.4: what formatMessage accepts reads back as the same message
    const text = refusedOr(() => formatMessage(m));
    if (text !== undefined) same(parseMessage(text), m, 'parse(format(parse(line))) and parse(line)');
  },
};

const field = mutatedText(
  fc.oneof(fc.constantFrom('0', 'mei', 'こんにちは', 'a,b', 'x'), fc.string({ unit: 'grapheme', maxLength: 6 })),
  2,
);
const messageArb: fc.Arbitrary<Message> = fc.record({
  type: fc.oneof(
    fc.constantFrom('MODEL_ADD', 'SYNTH_START', 'SNDX', '__AV_START', '__AV_MESSAGE,X', 'MMDSDK_SYNC'),
    field,
  ),
  args: fc.array(field, { maxLength: MAX_ARGS + 2 }),
});

const messageFormat: FuzzTarget<Message> = {
  name: 'message-format',
  parser: 'parseMessage',
  arbitrary: messageArb,
  check(msg) {
    const text = refusedOr(() => formatMessage(msg));
    if (text === undefined) return;
    // wire.md §12: what formatMessage emits is a valid line that reads back unchanged
    if (utf8ByteLength(text) > MAX_LINE_BYTES) fail('formatted line over the limit', text.length);
    encodeLine(text);
    same(parseMessage(text), msg, 'parseMessage(formatMessage(m)) and m');
  },
};

// ---------------------------------------------------------------- parseEvent

interface TableForm {
  type: string;
  spec: string;
  words: (string[] | undefined)[];
}

const FORMS: TableForm[] = TABLE.split('\n').map((line) => {
  const [id, spec, ...args] = line.split(' ');
  return {
    type: id.split(':')[0],
    spec: spec === '-' ? '' : spec.replace(/[?+]/g, ''),
    words: args.map((a) => a.split('=')[1]?.split(',')),
  };
});
const KNOWN_TYPES = [...new Set(FORMS.map((f) => f.type))];

const number = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.constantFrom('1e400', '-0', '.5', '5.', '+1', '0x1F', 'NaN', ''),
);
/** Arguments shaped by a catalog form's spec letters (messages.md), so that known forms match often. */
function specArgs(f: TableForm): fc.Arbitrary<string[]> {
  const items = Array.from(f.spec, (letter, i): fc.Arbitrary<string> => {
    if (letter === 'i' || letter === 'f') return number;
    if (letter === 'e' && f.words[i]) return fc.oneof(fc.constantFrom(...f.words[i]!), field);
    if (letter === 'h') return fc.constantFrom('FFFFFF', 'ff00ff80', 'GGGGGG', '12345');
    if ('23cCEP'.includes(letter)) return fc.array(number, { maxLength: 6 }).map((a) => a.join(','));
    return field;
  });
  return fc
    .tuple(fc.tuple(...items), fc.array(field, { maxLength: 2 }), fc.nat(f.spec.length))
    .map(([a, extra, keep]) => [...a.slice(0, keep), ...extra]);
}

const eventMessage: fc.Arbitrary<Message> = fc.oneof(
  fc.constantFrom(...FORMS).chain((f) => specArgs(f).map((args) => ({ type: f.type, args }))),
  wireLine.map((l) => refusedOr(() => parseMessage(l)) ?? { type: l, args: [] }),
  fc.record({
    type: fc.oneof(
      fc.constantFrom(...KNOWN_TYPES, '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''),
      field,
    ),
    args: fc.array(field, { maxLength: 12 }),
  }),
);

const event: FuzzTarget<Message> = {
  name: 'event',
  parser: 'parseEvent',
  arbitrary: eventMessage,
  check(msg) {
    // catalog/parse.ts: never throws on content, keeps type and args untouched
    const args = msg.args.slice();
    const e = parseEvent(msg) as {
      type: string;
      known: boolean;
      args: string[];
      reason?: string;
      [k: string]: unknown;
    };
    if (e.type !== msg.type) fail('type changed', { got: e.type, expected: msg.type });
    same(e.args, args, 'event args and message args');
    same(msg.args, args, 'message args after parseEvent and before');
    if (e.known !== (e.reason === undefined)) fail('known and reason disagree', e);
    if (e.known && !KNOWN_TYPES.includes(msg.type)) fail('unknown type reported known', e);
    if ('undefined' in e) fail('an argument without a name in the table', e);
  },
};

// ---------------------------------------------------------------- avatar

const AVATAR_KINDS = ['start', 'end', 'setModel', 'disableAutoLip', 'exMorph', 'action', 'message', 'ignored'];

const avatarParse: FuzzTarget<string> = {
  name: 'avatar-parse',
  parser: 'parseAvatarLine',
  arbitrary: fc.oneof(
    { weight: 4, arbitrary: mutatedText(fc.constantFrom(...WIRE_LINES.filter((l) => l.startsWith('__AV')))) },
    { weight: 1, arbitrary: wireLine.map((l) => `__AV${l}`) },
    { weight: 1, arbitrary: wireLine },
  ),
  check(line) {
    const cmd = refusedOr(() => parseAvatarLine(line));
    if (!cmd) {
      if (line.startsWith('__AV')) fail('an __AV line was refused; MMDAgent-EX reads every one (avatar.md §1)');
      return;
    }
    if (!AVATAR_KINDS.includes(cmd.kind)) fail('unknown command kind', cmd);
    if (cmd.kind === 'setModel' && (cmd.alias === '' || /[,\r\n\0]/.test(cmd.alias)))
      fail('alias holds a separator', cmd);
    if (cmd.kind === 'action' && !(Number.isInteger(cmd.n) && cmd.n >= -0x80000000 && cmd.n <= 0x7fffffff))
      fail('action is not a C int', cmd);
    if (cmd.kind === 'exMorph')
      for (const v of Object.values(cmd.values)) if (typeof v !== 'number') fail('morph weight not a number', cmd);
    if (cmd.kind === 'message') checkParsed(cmd.message);
  },
};

type AvatarCall =
  | { call: 'start' | 'end' }
  | { call: 'setModel'; alias: string }
  | { call: 'disableAutoLip'; mode: string }
  | { call: 'exMorph'; values: [string, number][] }
  | { call: 'action'; n: number }
  | { call: 'message'; msg: Message };

const avatarCall: fc.Arbitrary<AvatarCall> = fc.oneof(
  fc.record({ call: fc.constantFrom('start' as const, 'end' as const) }),
  fc.record({ call: fc.constant('setModel' as const), alias: field }),
  fc.record({
    call: fc.constant('disableAutoLip' as const),
    mode: fc.constantFrom('NO', 'ARKIT', 'AU', 'ARKIT+AU', 'AU+ARKIT', 'ALWAYS', 'always', ''),
  }),
  fc.record({
    call: fc.constant('exMorph' as const),
    values: fc.array(
      fc.tuple(
        fc.oneof(field, fc.constantFrom('__proto__', 'constructor', 'eye_close')),
        fc.oneof(fc.double({ min: 0, max: 1 }), fc.double()),
      ),
      { maxLength: 5 },
    ),
  }),
  fc.record({ call: fc.constant('action' as const), n: fc.oneof(fc.nat(), fc.integer(), fc.double()) }),
  fc.record({ call: fc.constant('message' as const), msg: messageArb }),
);

function buildAvatar(c: AvatarCall): [string, AvatarCommand] {
  switch (c.call) {
    case 'start':
      return [avStart(), { kind: 'start' }];
    case 'end':
      return [avEnd(), { kind: 'end' }];
    case 'setModel':
      return [avSetModel(c.alias), { kind: 'setModel', alias: c.alias }];
    case 'disableAutoLip':
      return [avDisableAutoLip(c.mode as AutoLipMode), { kind: 'disableAutoLip', mode: c.mode as AutoLipMode }];
    case 'exMorph': {
      const values = Object.fromEntries(c.values);
      return [avExMorph(values), { kind: 'exMorph', values }];
    }
    case 'action':
      return [avAction(c.n), { kind: 'action', n: c.n + 0 }]; // -0 goes out as "0"
    case 'message':
      return [avMessage(c.msg), { kind: 'message', message: c.msg }];
  }
}

const avatarBuild: FuzzTarget<AvatarCall> = {
  name: 'avatar-build',
  parser: 'parseAvatarLine',
  arbitrary: avatarCall,
  check(c) {
    const built = refusedOr(() => buildAvatar(c));
    if (!built) return;
    // avatar.md §1–2: every built line is a valid wire line the avatar parser reads back as built
    const [line, expected] = built;
    validateLine(line);
    const got = parseAvatarLine(line);
    if (got.kind === 'exMorph' && expected.kind === 'exMorph') {
      // compared with === so that -0 sent as "0" still counts as the same weight
      const keys = Object.keys(expected.values);
      same(Object.keys(got.values), keys, 'morph names');
      for (const k of keys)
        if (got.values[k] !== expected.values[k])
          fail(`morph ${k} read back as ${got.values[k]}, sent ${expected.values[k]}`, line);
    } else same(got, expected, 'parsed avatar command and built one');
  },
};

// ---------------------------------------------------------------- SND

const sndStream: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.array(fc.oneof(sndChunkBytes, sndChunkBytes, fc.constantFrom(...SND_CONTROL_WORDS).map(utf8)), { maxLength: 6 }),
    fc.array(byteOp, { maxLength: 3 }),
  )
  .map(([pieces, ops]) => applyByteOps(concat(pieces), ops));

const sndGarbage: FuzzTarget<{ bytes: Uint8Array; offsets: number[]; parts: boolean }> = {
  name: 'snd-garbage',
  parser: 'SndDecoder',
  arbitrary: fc.record({ bytes: fc.oneof(sndStream, sndStream, wireBytes), offsets: cuts, parts: fc.boolean() }),
  check({ bytes, offsets, parts }) {
    const d = new SndDecoder();
    const ok = refusedOr(() => {
      for (const chunk of splitAt(bytes, offsets)) {
        for (const part of parts ? d.pushParts(chunk) : d.push(chunk)) {
          if (typeof part === 'string') {
            if (!(SND_CONTROL_WORDS as readonly string[]).includes(part)) fail('unknown control word', part);
          } else if (
            !(part instanceof Uint8Array) ||
            part.length % 2 !== 0 ||
            part.length === 0 ||
            part.length > SND_MAX_PAYLOAD_BYTES
          )
            fail('bad audio payload', part);
        }
      }
      d.end();
      return true;
    });
    // one-shot decode agrees with the streaming one on whether the stream is acceptable
    if (!parts && (ok === true) !== (refusedOr(() => decodeSndChunks(bytes)) !== undefined))
      fail('decodeSndChunks and a split SndDecoder disagree');
  },
};

const sndRoundTrip: FuzzTarget<{ pcm: Uint8Array; chunk: number; words: number[]; offsets: number[] }> = {
  name: 'snd-roundtrip',
  parser: 'SndDecoder',
  arbitrary: fc.record({
    pcm: fc.uint8Array({ maxLength: 3000 }).map((b) => (b.length % 2 ? b.subarray(1) : b)),
    chunk: fc.integer({ min: 1, max: SND_MAX_CHUNK_BYTES / 2 }).map((n) => n * 2),
    words: fc.array(fc.nat(), { maxLength: 3 }),
    offsets: cuts,
  }),
  check({ pcm, chunk, words, offsets }) {
    // wire.md §8.1–8.2: sndChunks → any split → SndDecoder gives the PCM back; control words keep their place
    const chunks = sndChunks(pcm, { chunkBytes: chunk });
    same(
      decodeSndChunks(concat(chunks)),
      chunks.map((c) => c.subarray(7)),
      'decodeSndChunks(sndChunks) payloads',
    );
    const stream: Uint8Array[] = chunks.slice();
    const expected: (Uint8Array | string)[] = chunks.map((c) => c.subarray(7));
    for (const w of words) {
      const at = w % (stream.length + 1);
      const word = SND_CONTROL_WORDS[w % 3];
      stream.splice(at, 0, utf8(word));
      expected.splice(at, 0, word);
    }
    const d = new SndDecoder();
    const got = splitAt(concat(stream), offsets).flatMap((c) => d.pushParts(c));
    d.end();
    same(got, expected, 'decoded parts and sent parts');
    // the same stream, one frame per piece, through MMDAgent-EX's own parser
    const p = new StreamParser();
    const parsed = stream
      .flatMap((f) => p.pushFrame(f))
      .map((e) => (e.kind === 'audio' ? e.bytes : e.kind === 'control' ? e.word : e));
    same(parsed, expected, 'StreamParser parts and sent parts');
  },
};

// ---------------------------------------------------------------- relay (controller → agent)

type ControllerFrame = { binary: boolean; bytes: Uint8Array };

/** A whole SND chunk of `n` (even) payload bytes, up to the largest the 4-digit field allows. */
const maxHalf = SND_MAX_PAYLOAD_BYTES / 2;
const bigSndChunk: fc.Arbitrary<Uint8Array> = fc
  .oneof(fc.integer({ min: 1, max: maxHalf }), fc.integer({ min: maxHalf - 4, max: maxHalf }))
  .map((half) => {
    const chunk = new Uint8Array(7 + half * 2).fill(0x80);
    chunk.set(utf8(`SND${String(half * 2).padStart(4, '0')}`));
    return chunk;
  });

const controllerFrame: fc.Arbitrary<ControllerFrame> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.array(fc.tuple(wireLine, terminator), { minLength: 1, maxLength: 4 }))
      .map(([ls]) => ({ binary: false, bytes: utf8(ls.map(([l, t]) => l + t).join('')) })),
  },
  { weight: 2, arbitrary: wireBytes.map((bytes) => ({ binary: false, bytes })) },
  { weight: 2, arbitrary: sndStream.map((bytes) => ({ binary: true, bytes })) },
  { weight: 1, arbitrary: bigSndChunk.map((bytes) => ({ binary: true, bytes })) },
  { weight: 1, arbitrary: wireBytes.map((bytes) => ({ binary: true, bytes })) },
  // short lines starting with S wait for 7 bytes in MMDAgent-EX (real-client/hazards.md (i))
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('S\n', 'S|1\n', 'SN\n', 'Sx\r\n', 'S\nS\n')
      .map((t) => ({ binary: false, bytes: utf8(t) })),
  },
);

const relay: FuzzTarget<ControllerFrame[]> = {
  name: 'relay',
  parser: 'relay checks',
  arbitrary: fc.array(controllerFrame, { minLength: 1, maxLength: 6 }),
  check(frames) {
    // DESIGN.md principle 1 for the server: whatever the relay accepts from controllers and
    // forwards (each text line as a frame of its own, agentLineFrame; binary frames as they are) reaches
    // MMDAgent-EX's parser without a hazard (wire.md §13), after the relay's own sync line.
    const p = new StreamParser();
    const events: StreamEvent[] = [...p.pushFrame('MMDSDK_SYNC|0\n')];
    const forwarded: (string | Uint8Array)[] = [];
    for (const { binary, bytes } of frames) {
      const out = refusedOr(() =>
        binary ? (checkSndFrame(bytes), [bytes]) : controllerLines(bytes).map(agentLineFrame),
      );
      if (!out) continue;
      for (const f of out) (forwarded.push(f), events.push(...p.pushFrame(f)));
    }
    events.push(...p.pushFrame('MMDSDK_SYNC|1\n'));
    const hazards = events.filter((e) => e.kind === 'hazard');
    if (hazards.length) fail('forwarded frames trip MMDAgent-EX', { hazards, forwarded });
    if (p.state !== 'ok' || p.pendingBytes !== 0)
      fail('parser not clean after forwarded frames', { state: p.state, pending: p.pendingBytes, forwarded });
  },
};

// ---------------------------------------------------------------- AgentLink (frames in, lines out)

/** The least WebSocket AgentLink accepts: frames are handed in synchronously, sends recorded. */
class FrameSocket implements WebSocketLike {
  readyState = 1;
  bufferedAmount = 0;
  binaryType = 'blob';
  readonly sent: unknown[] = [];
  readonly listeners = new Map<string, ((event: any) => void)[]>();
  send(data: unknown): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
  addEventListener(type: string, listener: (event: any) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  removeEventListener(type: string, listener: (event: any) => void): void {
    this.listeners.set(
      type,
      (this.listeners.get(type) ?? []).filter((l) => l !== listener),
    );
  }
  receive(data: string | ArrayBuffer): void {
    for (const l of this.listeners.get('message') ?? []) l({ data });
  }
}

type LinkInput = { frames: (string | Uint8Array)[]; outgoing: (string | Message)[] };

const link: FuzzTarget<LinkInput> = {
  name: 'link',
  parser: 'AgentLink',
  arbitrary: fc.record({
    frames: fc.array(fc.oneof(wireText, wireBytes), { maxLength: 5 }),
    outgoing: fc.array(fc.oneof(wireLine, messageArb), { maxLength: 3 }),
  }),
  check({ frames, outgoing }) {
    const socket = new FrameSocket();
    const agentLink = new AgentLink(socket);
    // Incoming frames go through the link's inbox (src/link/inbox.ts), whose one-message-per-task
    // queue is driven here by hand so the check stays synchronous.
    const got: IncomingMessage[] = [];
    const ticks: (() => void)[] = [];
    const inbox = new Inbox(
      {
        wanted: () => true,
        deliver: (m) => void got.push(m),
        closed: () => fail('the inbox reported a close nobody made'),
        error: (err) => fail('AgentLink reported an error for an incoming frame', String(err)),
      },
      (tick) => void ticks.push(tick),
    );
    const expected: string[] = [];
    for (const f of frames) {
      // text frames come as strings, binary ones as ArrayBuffers (binaryType 'arraybuffer')
      const data = typeof f === 'string' ? f : f.slice().buffer;
      inbox.frame({ data });
      // a BOM is text like any other, in binary frames as in text ones
      expected.push(
        ...frameLines(typeof f === 'string' ? f : new TextDecoder('utf-8', { ignoreBOM: true }).decode(f)).lines,
      );
    }
    while (ticks.length) ticks.shift()!();
    // every line of every frame arrives once, in order, parsed as parseMessage parses it (wire.md §5.1)
    same(
      got.map((m) => m.line),
      expected,
      'lines delivered and lines framed',
    );
    for (const m of got) {
      const parsed = refusedOr(() => parseMessage(m.line)) ?? { type: '', args: [] };
      same({ type: m.type, args: m.args }, parsed, 'delivered message and parseMessage(line)');
    }
    // what send() accepts goes out as exactly one valid line
    for (const out of outgoing) {
      const before = socket.sent.length;
      if (refusedOr(() => agentLink.send(out)) === undefined && socket.sent.length === before) continue;
      const frame = socket.sent[socket.sent.length - 1];
      if (socket.sent.length !== before + 1 || typeof frame !== 'string')
        fail('send() did not send one text frame', socket.sent.slice(before));
      const text = frame as string;
      const sentLines = frameLines(text).lines; // a short S line comes padded with LFs (wire.md §8.4)
      if (sentLines.length !== 1 || encodeLine(sentLines[0]) !== text)
        fail('send() sent a frame that is not one valid line', text);
    }
    agentLink.close();
  },
};

// ---------------------------------------------------------------- .mdf

const mdfText: fc.Arbitrary<string> = mutatedText(fc.constantFrom(...MDF_TEXTS), 6);
const env = fc.dictionary(
  fc.constantFrom(...ENV_NAMES),
  mutatedText(fc.constantFrom('', 'x', '%ENV{A}', '%ENV{B}x', 'ws://h', '%ENV{HOST}%ENV{HOST}'), 2),
  { maxKeys: 4 },
);

function exerciseDoc(text: string, vars: Record<string, string>): void {
  const doc = parseMdf(text);
  const entries = doc.entries();
  if (new Set(entries.map(([k]) => k)).size !== entries.length) fail('entries repeat a key', entries);
  for (const [k, v] of entries) if (doc.get(k) !== v) fail(`get(${JSON.stringify(k)}) is not its entry`, v);
  lintMdf(doc);
  refusedOr(() => websocketSettings(doc, vars));
  for (const [k] of entries.slice(0, 3)) refusedOr(() => mdfSetting(doc, k, vars));
}

const mdfRoundTrip: FuzzTarget<{ text: string; vars: Record<string, string> }> = {
  name: 'mdf-text',
  parser: 'parseMdf',
  arbitrary: fc.record({ text: mdfText, vars: env }),
  check({ text, vars }) {
    // mdf.md: every text is some document (parseMdf never throws) and toString gives it back
    const out = parseMdf(text).toString();
    if (out !== text) fail('parseMdf(x).toString() !== x', { got: out, expected: text });
    exerciseDoc(text, vars);
  },
};

const mdfBytes: FuzzTarget<Uint8Array> = {
  name: 'mdf-bytes',
  parser: 'parseMdf',
  arbitrary: fc.tuple(mdfText, fc.array(byteOp, { maxLength: 3 })).map(([t, ops]) => applyByteOps(utf8(t), ops)),
  check(bytes) {
    const doc = parseMdf(bytes);
    same(doc.toBytes(), bytes, 'parseMdf(bytes).toBytes() and bytes');
    exerciseDoc(doc.toString(), {});
  },
};

const mdfSet: FuzzTarget<{ text: string; key: string; value: string }> = {
  name: 'mdf-set',
  parser: 'parseMdf',
  arbitrary: fc.record({
    text: mdfText,
    key: fc.oneof(fc.constantFrom('a', 'last', 'Plugin_Remote_Websocket_Host', 'window_size'), field),
    value: fc.oneof(field, fc.constantFrom('', 'x'.repeat(2100), '%ENV{HOST}')),
  }),
  check({ text, key, value }) {
    const doc = parseMdf(text);
    const others = doc.entries().filter(([k]) => k !== key);
    if (!refusedOr(() => doc.set(key, value))) return;
    // a set value reads back after a round trip through text, and no other key changes
    const again = parseMdf(doc.toString());
    if (again.get(key) !== value)
      fail('value set is not read back', { got: again.get(key), expected: value, text: doc.toString() });
    same(
      again.entries().filter(([k]) => k !== key),
      others,
      'other entries after set',
    );
  },
};

const mdfEnv: FuzzTarget<{ text: string; vars: Record<string, string> }> = {
  name: 'mdf-env',
  parser: 'parseMdf',
  arbitrary: fc.record({
    text: mutatedText(fc.constantFrom('%ENV{HOST}', 'ws://%ENV{A}:%ENV{B}/x', '%ENV{%ENV{A}}', 'plain'), 4),
    vars: env,
  }),
  check({ text, vars }) {
    // mdf.md §3.5: expansion ends (cycles and growth refused) and leaves no reference behind
    const out = refusedOr(() => expandEnv(text, vars));
    if (out === undefined || !text.includes('%ENV{')) return;
    if (out.includes('%ENV{')) fail('a %ENV{ reference survived expansion', out);
    if (utf8ByteLength(out) > 2048) fail('expansion longer than 2048 bytes', out.length);
  },
};

const wsTarget: fc.Arbitrary<string | WebsocketParts> = fc.oneof(
  mutatedText(fc.constantFrom('ws://127.0.0.1:9001/chat', 'wss://example.com/x?y=1', 'ws://[::1]:80/', 'ws://h'), 3),
  fc.record(
    {
      host: mutatedText(fc.constantFrom('127.0.0.1', 'localhost', '::1', 'example.com'), 2),
      port: fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.constantFrom(80, 443, 9001)),
      directory: mutatedText(fc.constantFrom('/chat', '/', '/a?b=c', 'chat'), 2),
      tls: fc.boolean(),
    },
    { requiredKeys: ['host'] },
  ),
);

const mdfWebsocket: FuzzTarget<{ text: string; target: string | WebsocketParts; retry: number | undefined }> = {
  name: 'mdf-websocket',
  parser: 'parseMdf',
  arbitrary: fc.record({
    text: mdfText,
    target: wsTarget,
    retry: fc.option(fc.integer({ min: -2, max: 5 }), { nil: undefined }),
  }),
  check({ text, target, retry }) {
    const doc = parseMdf(text);
    if (!refusedOr(() => setWebsocketSettings(doc, target, { retryCount: retry }))) return;
    // mdf.md §4.1, wire.md §2: what setWebsocketSettings writes, MMDAgent-EX reads back as written
    const again = parseMdf(doc.toString());
    const read = refusedOr(() => websocketSettings(again, {}));
    // a closed %ENV{NAME} is a reference the user means: MMDAgent-EX expands it when reading (mdf.md §3.5)
    if (JSON.stringify(target).includes('%ENV{')) return;
    if (!read) fail('settings written by setWebsocketSettings cannot be read back', { text: doc.toString() });
    if (typeof target !== 'string') {
      const port = target.port ?? (target.tls ? 443 : 80);
      same(
        { host: read.host, port: read.port, directory: read.directory },
        { host: target.host, port, directory: target.directory ?? '/' },
        'settings read back and written',
      );
    } else {
      // the same request target up to URL normalisation (an empty "?" is no query, :443 is wss's default)
      const parts = (u: URL) => ({ protocol: u.protocol, host: u.host, path: u.pathname + u.search });
      same(parts(new URL(read.url)), parts(new URL(target)), 'URL read back and URL written');
    }
    if (retry !== undefined && read.retryCount !== retry)
      fail('retry count read back differs', { read: read.retryCount, written: retry });
  },
};

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  lineDecoder,
  lineDecoderMixed,
  streamParserGarbage,
  streamParserSdk,
  messageParse,
  messageFormat,
  event,
  avatarParse,
  avatarBuild,
  sndGarbage,
  sndRoundTrip,
  relay,
  link,
  mdfRoundTrip,
  mdfBytes,
  mdfSet,
  mdfEnv,
  mdfWebsocket,
];

/** The property fast-check runs for a target: its check, under the per-input time bound. */
export function fuzzProperty<T>(target: FuzzTarget<T>): fc.IPropertyWithHooks<[T]> {
  return fc.property(target.arbitrary, timed(target.check));
}

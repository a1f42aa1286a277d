// Deterministic test data: the same seed gives the same text on every run and for every contender.

/** mulberry32: a small seeded PRNG, good enough to vary lengths and letters. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [
  'MOTION_EVENT_ADD',
  'SYNTH_EVENT_START',
  'SYNTH_EVENT_STOP',
  'LIPSYNC_EVENT_START',
  'RECOG_EVENT_STOP',
  'MODEL_EVENT_ADD',
  'TIMER_EVENT_STOP',
  'KEY',
];
const ASCII = 'abcdefghijklmnopqrstuvwxyz0123456789_';
// Hiragana, katakana and kanji: all 3 bytes in UTF-8.
const JAPANESE =
  'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコ今日天気話声音楽元何時間私名前';

/** `count` ASCII messages of `minBytes`..`maxBytes` bytes each, every one ending in `\n`. */
export function asciiMessages(count: number, minBytes: number, maxBytes: number, seed = 1): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = minBytes + Math.floor(r() * (maxBytes - minBytes + 1));
    let line = `${TYPES[Math.floor(r() * TYPES.length)]}|mei`;
    while (line.length < length) line += r() < 0.1 ? '|' : ASCII[Math.floor(r() * ASCII.length)];
    out.push(line.slice(0, length).replace(/\|+$/, 'x') + '\n');
  }
  return out;
}

/** `count` recognition results in Japanese, `minChars`..`maxChars` characters of 3 UTF-8 bytes each. */
export function japaneseMessages(count: number, minChars: number, maxChars: number, seed = 2): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = minChars + Math.floor(r() * (maxChars - minChars + 1));
    let text = '';
    for (let k = 0; k < n; k++) text += JAPANESE[Math.floor(r() * JAPANESE.length)];
    out.push(`RECOG_EVENT_STOP|${text}\n`);
  }
  return out;
}

/**
 * Cuts text into pieces of `size` UTF-16 units (ASCII text: bytes). Each piece is a fresh flat
 * string, as a socket hands over, not a V8 slice that still points into the whole text.
 */
export function textChunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size)
    out.push(JSON.parse(JSON.stringify(text.slice(at, at + size))) as string);
  return out;
}

/** Cuts bytes into pieces of `size` bytes, wherever that falls (inside characters too); each piece is a copy. */
export function byteChunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.slice(at, at + size));
  return out;
}

/** A 16 kHz mono 16-bit PCM tone of `seconds`, as samples. */
export function pcmTone(seconds: number, hz = 440): Int16Array {
  const n = Math.round(seconds * 16000);
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 16000));
  return pcm;
}

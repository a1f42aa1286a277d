// LineDecoder against the practical ceiling (one indexOf pass over the whole text already in
// memory) and against the naive `buffer += chunk; buffer.split('\n')`, on the same chunks.
import { LineDecoder } from '../src/line.js';
import { asciiMessages, byteChunks, japaneseMessages, textChunks } from './data.js';
import { fmtRate, throughputOptions, timeContenders } from './lib.js';
import type { Contender, Mode, Row, Table, Target } from './lib.js';

/** Total input per workload, in bytes. */
const SIZE: Record<Mode, number> = { full: 512 * 1024, quick: 128 * 1024, smoke: 4 * 1024 };

const encoder = new TextEncoder();

/** Every contender returns the same checksum: lines seen and their total length. */
function checksum(lines: readonly string[]): number {
  let sum = lines.length;
  for (let i = 0; i < lines.length; i++) sum += lines[i].length;
  return sum;
}

/** Builds `lines` until `bytes` of UTF-8 are reached. */
function fill(make: (count: number) => string[], bytes: number): string {
  let text = '';
  let count = 64;
  while (encoder.encode(text).length < bytes) {
    text = make(count).join('');
    count *= 2;
  }
  // Cut back to whole lines near the size.
  let end = text.length;
  while (encoder.encode(text.slice(0, end)).length > bytes && end > 0) end = text.lastIndexOf('\n', end - 2) + 1;
  return text.slice(0, end);
}

// ---- contenders for text chunks ----

function oursText(chunks: readonly string[]): Contender {
  return () => {
    const decoder = new LineDecoder();
    const out: string[] = [];
    for (const c of chunks) for (const line of decoder.push(c)) out.push(line);
    for (const line of decoder.end()) out.push(line);
    return checksum(out);
  };
}

function ceilingText(text: string): Contender {
  return () => {
    const out: string[] = [];
    let start = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
    return checksum(out);
  };
}

function naiveText(chunks: readonly string[]): Contender {
  return () => {
    const out: string[] = [];
    let buffer = '';
    for (const c of chunks) {
      buffer += c;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const p of parts) out.push(p);
    }
    return checksum(out);
  };
}

// ---- contenders for byte chunks: the baselines decode UTF-8 too ----

function oursBytes(chunks: readonly Uint8Array[]): Contender {
  return () => {
    const decoder = new LineDecoder();
    const out: string[] = [];
    for (const c of chunks) for (const line of decoder.push(c)) out.push(line);
    for (const line of decoder.end()) out.push(line);
    return checksum(out);
  };
}

function ceilingBytes(bytes: Uint8Array): Contender {
  const utf8 = new TextDecoder();
  return () => {
    const text = utf8.decode(bytes);
    const out: string[] = [];
    let start = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
    return checksum(out);
  };
}

function naiveBytes(chunks: readonly Uint8Array[]): Contender {
  return () => {
    const utf8 = new TextDecoder();
    const out: string[] = [];
    let buffer = '';
    for (const c of chunks) {
      buffer += utf8.decode(c, { stream: true });
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const p of parts) out.push(p);
    }
    return checksum(out);
  };
}

interface Workload {
  name: string;
  text: string;
  chunk: number;
  bytes: boolean;
  vsCeiling?: Target;
  vsNaive?: Target;
}

export async function run(mode: Mode): Promise<Table[]> {
  const size = SIZE[mode];
  const typical = fill((n) => asciiMessages(n, 40, 100), size);
  const long = fill((n) => asciiMessages(n, 2048, 2048, 3), size);
  const japanese = fill((n) => japaneseMessages(n, 10, 60), size);
  const workloads: Workload[] = [
    {
      name: 'typical 40–100 B messages, 1 KB text chunks',
      text: typical,
      chunk: 1024,
      bytes: false,
      vsCeiling: { op: '>=', value: 0.7 },
    },
    { name: 'typical 40–100 B messages, 1 KB byte chunks', text: typical, chunk: 1024, bytes: true },
    { name: '2 KB lines, 16-byte chunks', text: long, chunk: 16, bytes: true, vsNaive: { op: '>=', value: 5 } },
    { name: '2 KB lines, 16-char text chunks', text: long, chunk: 16, bytes: false, vsNaive: { op: '>=', value: 5 } },
    // 1000 is not a multiple of 3, so chunk ends fall inside characters.
    { name: 'Japanese (3-byte chars), 1000-byte chunks', text: japanese, chunk: 1000, bytes: true },
    { name: 'Japanese (3-byte chars), 7-byte chunks', text: japanese, chunk: 7, bytes: true },
  ];
  const rows: Row[] = [];
  for (const w of workloads) {
    const data = encoder.encode(w.text);
    const contenders = w.bytes
      ? (() => {
          const chunks = byteChunks(data, w.chunk);
          return { ours: oursBytes(chunks), ceiling: ceilingBytes(data), naive: naiveBytes(chunks) };
        })()
      : (() => {
          const chunks = textChunks(w.text, w.chunk);
          return { ours: oursText(chunks), ceiling: ceilingText(w.text), naive: naiveText(chunks) };
        })();
    const ms = timeContenders(contenders, throughputOptions[mode]);
    const rate = (name: string) => (data.length / ms[name]) * 1000;
    const ours = fmtRate(rate('ours'), 'B');
    rows.push({
      name: `${w.name}: vs ceiling`,
      ours,
      baseline: fmtRate(rate('ceiling'), 'B'),
      ratio: ms.ceiling / ms.ours,
      target: w.vsCeiling,
    });
    rows.push({
      name: `${w.name}: vs naive`,
      ours,
      baseline: fmtRate(rate('naive'), 'B'),
      ratio: ms.naive / ms.ours,
      target: w.vsNaive,
    });
  }
  return [
    {
      title: 'Line decoding (LineDecoder)',
      rows,
      notes: [
        `${(size / 1024).toFixed(0)} KB of input per workload; figures are input bytes per second, ratio = ` +
          `ours ÷ baseline (higher is better).`,
        'ceiling: one indexOf("\\n")/slice pass over the whole text already in memory (byte workloads: one ' +
          'TextDecoder.decode of the whole buffer first).',
        'naive: buffer += chunk; buffer.split("\\n") (byte workloads: a streaming TextDecoder per chunk ' +
          'first). Every contender collects the lines into an array.',
        'LineDecoder does more than both: CR and LF end lines, empty lines are skipped, each line is measured ' +
          'against maxLineBytes.',
      ],
    },
  ];
}

// A small RIFF/WAVE reader and a test-tone writer for the WAV streaming example.
//
//   npx tsx examples/wav.ts out.wav [seconds] [sampleRate]   writes a test WAV (speech-like bursts)
//
// parseWav reads uncompressed PCM (8/16/24/32-bit integer, or 32/64-bit float, any channel
// count, WAVE_FORMAT_EXTENSIBLE too) and returns mono float samples; the SDK's toPcm16k then
// turns them into the 16 kHz, 16-bit mono PCM MMDAgent-EX expects (wire.md §8.1).
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface Wav {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Mono mix of all channels, in [-1, 1]. */
  samples: Float32Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

function fourCC(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

export function parseWav(bytes: Uint8Array): Wav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || fourCC(view, 0) !== 'RIFF' || fourCC(view, 8) !== 'WAVE') {
    throw new Error(
      'not a WAV file (no RIFF/WAVE header); convert it to PCM WAV first, e.g. with ffmpeg -i in.mp3 out.wav',
    );
  }
  let format = 0;
  let channels = 0;
  let sampleRate = 0;
  let bitsPerSample = 0;
  let data: Uint8Array | undefined;
  // Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = fourCC(view, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ' && size >= 16) {
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      sampleRate = view.getUint32(body + 4, true);
      bitsPerSample = view.getUint16(body + 14, true);
      if (format === FORMAT_EXTENSIBLE && size >= 40) format = view.getUint16(body + 24, true);
    } else if (id === 'data') {
      // Some writers leave the size at 0 or 0xFFFFFFFF while streaming: take what is there.
      data = bytes.subarray(body, Math.min(bytes.length, body + (size || bytes.length)));
      break;
    }
    at = body + size + (size & 1);
  }
  if (!channels || !sampleRate || !data) throw new Error('WAV file without a fmt or data chunk');
  const isFloat = format === FORMAT_FLOAT && (bitsPerSample === 32 || bitsPerSample === 64);
  const isInt = format === FORMAT_PCM && [8, 16, 24, 32].includes(bitsPerSample);
  if (!isFloat && !isInt)
    throw new Error(`unsupported WAV encoding (format ${format}, ${bitsPerSample} bits): use PCM or float`);

  const width = bitsPerSample / 8;
  const frames = Math.floor(data.length / (width * channels));
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = (at: number): number => {
    if (isFloat) return bitsPerSample === 32 ? dv.getFloat32(at, true) : dv.getFloat64(at, true);
    switch (bitsPerSample) {
      case 8:
        return (dv.getUint8(at) - 128) / 128;
      case 16:
        return dv.getInt16(at, true) / 32768;
      case 24:
        return (dv.getUint8(at) | (dv.getUint8(at + 1) << 8) | (dv.getInt8(at + 2) << 16)) / 8388608;
      default:
        return dv.getInt32(at, true) / 2147483648;
    }
  };
  const samples = new Float32Array(frames);
  for (let f = 0, at = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += width) sum += read(at);
    samples[f] = sum / channels;
  }
  return { sampleRate, channels, bitsPerSample, samples };
}

/**
 * A 16-bit mono PCM WAV of speech-like bursts (voiced tones with syllable envelopes and short
 * pauses), so the avatar's lip-sync has something to follow.
 */
export function makeTestWav(seconds = 2, sampleRate = 48000): Uint8Array {
  const frames = Math.round(seconds * sampleRate);
  const out = new Uint8Array(44 + frames * 2);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + frames * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, frames * 2, true);
  const syllable = 0.25; // seconds: a 0.2 s voiced burst, then 0.05 s of silence
  for (let i = 0; i < frames; i++) {
    const t = i / sampleRate;
    const inSyllable = t % syllable;
    const n = Math.floor(t / syllable);
    const envelope = inSyllable < 0.2 ? Math.sin((Math.PI * inSyllable) / 0.2) : 0;
    const f0 = 140 + 40 * Math.sin(n * 1.7); // pitch moves from syllable to syllable
    const v =
      envelope *
      (0.5 * Math.sin(2 * Math.PI * f0 * t) +
        0.25 * Math.sin(2 * Math.PI * 2 * f0 * t) +
        0.12 * Math.sin(2 * Math.PI * (700 + 300 * (n % 3)) * t));
    view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, v)) * 32767), true);
  }
  return out;
}

function isMain(): boolean {
  return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
}

if (isMain()) {
  const [file, seconds = '2', rate = '48000'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx examples/wav.ts out.wav [seconds] [sampleRate]');
    process.exit(2);
  }
  writeFileSync(file, makeTestWav(Number(seconds), Number(rate)));
  console.log(`wrote ${file}: ${seconds} s of test speech at ${rate} Hz, 16-bit mono`);
}

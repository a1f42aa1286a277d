/**
 * SND audio: the chunk codec, the control words and the PCM helpers (wire.md §8).
 * Audio travels as `SND` + 4 ASCII digits + that many bytes of 16 kHz signed 16-bit
 * little-endian mono PCM. Nothing here touches a socket.
 */
import { MmdError } from './errors.js';
import {
  SND_BYTES_PER_SECOND,
  SND_CONTROL_WORDS,
  SND_DEFAULT_CHUNK_BYTES,
  SND_HEADER_BYTES,
  SND_MAX_CHUNK_BYTES,
  SND_MAX_PAYLOAD_BYTES,
  SND_MIN_CHUNK_BYTES,
  SND_SAMPLE_RATE,
} from './limits.js';
import type { SndControlWord } from './limits.js';

const S = 0x53;
const N = 0x4e;
const D = 0x44;
const SND = [S, N, D];
const ZERO = 0x30;
const LF = 0x0a;
const CR = 0x0d;

function checkChunkBytes(n: number): void {
  if (!Number.isInteger(n) || n < SND_MIN_CHUNK_BYTES || n > SND_MAX_CHUNK_BYTES || n % 2 !== 0) {
    throw new MmdError(
      'ERR_SND_CHUNK_SIZE',
      `SND chunk of ${n} bytes: use an even size from ${SND_MIN_CHUNK_BYTES} to ${SND_MAX_CHUNK_BYTES}`,
    );
  }
}

function oddPcm(bytes: number): MmdError {
  return new MmdError('ERR_ODD_PCM', `PCM of ${bytes} bytes: send an even number of bytes`);
}

/** One chunk: `SND`, the payload's length in 4 digits (it is at most 4096), the payload. */
function newChunk(payload: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(SND_HEADER_BYTES + payload.length);
  const header = `SND${String(10_000 + payload.length).slice(1)}`;
  for (let i = 0; i < SND_HEADER_BYTES; i++) chunk[i] = header.charCodeAt(i);
  chunk.set(payload, SND_HEADER_BYTES);
  return chunk;
}

/** One SND chunk (`SND0960` + payload). The payload must be even and 2–4096 bytes. */
export function encodeSndChunk(payload: Uint8Array): Uint8Array {
  if (!(payload instanceof Uint8Array))
    throw new MmdError('ERR_BAD_INPUT', 'encodeSndChunk takes a Uint8Array of PCM bytes');
  if (payload.length % 2 !== 0) throw oddPcm(payload.length);
  checkChunkBytes(payload.length);
  return newChunk(payload);
}

/**
 * Splits 16 kHz mono PCM into SND chunks of `chunkBytes` payload (the last one may be shorter,
 * and is still even). Int16Array samples are written little-endian whatever the host order.
 */
export function sndChunks(pcm16k: Int16Array | Uint8Array, opts?: { chunkBytes?: number }): Uint8Array[] {
  const size = opts?.chunkBytes ?? SND_DEFAULT_CHUNK_BYTES;
  checkChunkBytes(size);
  let bytes: Uint8Array;
  if (pcm16k instanceof Int16Array) {
    // On a little-endian host the samples already are the wire bytes: view them, copy once per chunk.
    bytes = new Uint8Array(new Uint16Array([1]).buffer)[0]
      ? new Uint8Array(pcm16k.buffer, pcm16k.byteOffset, pcm16k.byteLength)
      : int16ToBytes(pcm16k);
  } else if (pcm16k instanceof Uint8Array) {
    if (pcm16k.length % 2 !== 0) throw oddPcm(pcm16k.length);
    bytes = pcm16k;
  } else {
    throw new MmdError('ERR_BAD_INPUT', 'sndChunks takes an Int16Array or Uint8Array of PCM');
  }
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    chunks.push(newChunk(bytes.subarray(at, at + size)));
  }
  return chunks;
}

/**
 * The frame of a control word, its `\n` included, for a raw socket: it must travel as one frame
 * (wire.md §8.2, §12.7). With an AgentLink send the bare word instead (`link.send('SNDSTRM')`),
 * which frames it the same way.
 */
export function sndControl(word: SndControlWord): string {
  if (!SND_CONTROL_WORDS.includes(word)) {
    throw new MmdError(
      'ERR_BAD_INPUT',
      `"${typeof word === 'string' ? word : typeof word}" is not an SND control word; use one of ${SND_CONTROL_WORDS}`,
    );
  }
  return `${word}\n`;
}

/** What `SndDecoder.pushParts` yields: audio payloads and control words, in stream order. */
export type SndPart = Uint8Array | SndControlWord;

/**
 * Incremental SND decoder, for streams that carry only audio (e.g. binary frames from a
 * controller). Chunks may span pushes and several may share one. Strict where MMDAgent-EX is
 * lenient: a header must be `SND` + exactly 4 digits with an even length ≤ 8184, because
 * anything else misaligns the stream and sends PCM into the text parser (wire.md §7.5, §8.1).
 *
 * Control words (`SNDSTRM`, `SNDFILE`, `SNDBRKS`) are not audio: `push` refuses them with
 * ERR_SND_HEADER, `pushParts` reports them in order. Like MMDAgent-EX, a `\n` or `\r\n` right
 * after a word is consumed only if it is in the same push; a later stray newline is refused
 * (it would crash MMDAgent-EX, wire.md §7.2). Empty chunks (`SND0000`) yield nothing.
 * Payloads are fresh copies, so callers may reuse their input buffers. After an ERR_SND_HEADER
 * the stream position is lost: start a new decoder.
 */
export class SndDecoder {
  #header = new Uint8Array(SND_HEADER_BYTES);
  #headerFill = 0;
  #payload: Uint8Array | undefined;
  #payloadFill = 0;
  /** Stream offset of the first byte of the header being read, for error messages. */
  #at = 0;

  /** Audio payloads completed by `bytes`; throws ERR_SND_HEADER on a control word or bad header. */
  push(bytes: Uint8Array): Uint8Array[] {
    return this.#decode(bytes, false) as Uint8Array[];
  }

  /** Audio payloads and control words completed by `bytes`, in stream order. */
  pushParts(bytes: Uint8Array): SndPart[] {
    return this.#decode(bytes, true);
  }

  /** Ends the stream; throws ERR_TRUNCATED if a chunk is incomplete. */
  end(): void {
    if (this.#headerFill > 0 || this.#payload) {
      const got = this.#payload
        ? `${this.#payloadFill} of ${this.#payload.length} payload bytes`
        : `${this.#headerFill} of ${SND_HEADER_BYTES} header bytes`;
      throw new MmdError(
        'ERR_TRUNCATED',
        `SND stream ended inside the chunk at offset ${this.#at} (${got}); send whole chunks`,
      );
    }
  }

  #decode(bytes: Uint8Array, allowControl: boolean): SndPart[] {
    if (!(bytes instanceof Uint8Array)) throw new MmdError('ERR_BAD_INPUT', 'SndDecoder takes Uint8Array chunks');
    const out: SndPart[] = [];
    const len = bytes.length;
    let i = 0;
    while (i < len) {
      const payload = this.#payload;
      if (payload) {
        const take = Math.min(payload.length - this.#payloadFill, len - i);
        payload.set(bytes.subarray(i, i + take), this.#payloadFill);
        this.#payloadFill += take;
        i += take;
        if (this.#payloadFill === payload.length) {
          out.push(payload);
          this.#finishChunk(payload.length);
        }
        continue;
      }
      // Whole chunk inside this push: copy the payload once, straight from the input.
      if (this.#headerFill === 0 && len - i >= SND_HEADER_BYTES) {
        const n = this.#readHeader(bytes, i, allowControl, out);
        i += SND_HEADER_BYTES;
        if (n < 0) i = this.#skipNewline(bytes, i);
        continue;
      }
      const k = this.#headerFill++;
      this.#header[k] = bytes[i++];
      // Fail at the first byte that cannot start a header, not only once 7 bytes are in.
      if (k < 3 && this.#header[k] !== SND[k])
        this.#badHeader(this.#header, 0, this.#headerFill, 'it does not start with "SND"');
      if (this.#headerFill === SND_HEADER_BYTES) {
        this.#headerFill = 0;
        const n = this.#readHeader(this.#header, 0, allowControl, out);
        if (n < 0) i = this.#skipNewline(bytes, i);
      }
    }
    return out;
  }

  #skipNewline(bytes: Uint8Array, i: number): number {
    const nl = bytes[i] === LF ? 1 : bytes[i] === CR && bytes[i + 1] === LF ? 2 : 0;
    this.#at += nl;
    return i + nl;
  }

  #finishChunk(n: number): void {
    this.#at += SND_HEADER_BYTES + n;
    this.#payload = undefined;
    this.#payloadFill = 0;
  }

  /**
   * Reads a 7-byte header at `h[o]`. A chunk header starts the payload (returns its length);
   * a control word is reported (returns -1). The newline after a word is the caller's part.
   */
  #readHeader(h: Uint8Array, o: number, allowControl: boolean, out: SndPart[]): number {
    if (h[o] !== S || h[o + 1] !== N || h[o + 2] !== D)
      this.#badHeader(h, o, SND_HEADER_BYTES, 'it does not start with "SND"');
    let n = 0;
    for (let k = 3; k < SND_HEADER_BYTES; k++) {
      const digit = h[o + k] - ZERO;
      if (digit < 0 || digit > 9) {
        const word = String.fromCharCode(h[o], h[o + 1], h[o + 2], h[o + 3], h[o + 4], h[o + 5], h[o + 6]);
        if (!(SND_CONTROL_WORDS as readonly string[]).includes(word))
          this.#badHeader(h, o, SND_HEADER_BYTES, 'the length is not 4 ASCII digits');
        if (!allowControl) {
          throw new MmdError(
            'ERR_SND_HEADER',
            `control word ${word} at stream offset ${this.#at} is not audio; decode with pushParts() to ` +
              `receive control words`,
          );
        }
        out.push(word as SndControlWord);
        this.#at += SND_HEADER_BYTES;
        return -1;
      }
      n = n * 10 + digit;
    }
    if (n % 2 !== 0) {
      throw new MmdError(
        'ERR_SND_HEADER',
        `SND chunk at stream offset ${this.#at} declares an odd ${n} bytes, which misaligns all later samples`,
      );
    }
    if (n > SND_MAX_PAYLOAD_BYTES) {
      throw new MmdError(
        'ERR_SND_HEADER',
        `SND chunk at stream offset ${this.#at} declares ${n} bytes, over the ${SND_MAX_PAYLOAD_BYTES} ` +
          `MMDAgent-EX reads`,
      );
    }
    if (n === 0) this.#finishChunk(0);
    else this.#payload = new Uint8Array(n);
    return n;
  }

  #badHeader(h: Uint8Array, o: number, n: number, why: string): never {
    const shown = Array.from(h.subarray(o, o + n), (b) =>
      b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
    ).join('');
    throw new MmdError(
      'ERR_SND_HEADER',
      `bad SND header "${shown}" at stream offset ${this.#at}: ${why}; each chunk must be "SND" + 4 digits + ` +
        `that many bytes`,
    );
  }
}

/** Decodes a complete SND stream in one go (see SndDecoder for the rules); audio payloads only. */
export function decodeSndChunks(bytes: Uint8Array): Uint8Array[] {
  const decoder = new SndDecoder();
  const chunks = decoder.push(bytes);
  decoder.end();
  return chunks;
}

/** Milliseconds of audio in `bytes` of 16 kHz 16-bit mono PCM (32 000 bytes per second). */
export function pcmDurationMs(bytes: number): number {
  if (!(bytes >= 0) || !Number.isFinite(bytes))
    throw new MmdError('ERR_BAD_INPUT', `pcmDurationMs takes a byte count ≥ 0, got ${bytes}`);
  return (bytes * 1000) / SND_BYTES_PER_SECOND;
}

/** The samples as little-endian bytes, whatever the host byte order. */
export function int16ToBytes(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  for (let i = 0, j = 0; i < samples.length; i++, j += 2) {
    const s = samples[i];
    bytes[j] = s & 0xff;
    bytes[j + 1] = (s >> 8) & 0xff;
  }
  return bytes;
}

/**
 * Streaming resampler from any rate to 16 kHz mono int16, for microphone audio that arrives in
 * pieces: it keeps its filter and phase across pushes, so pushing in chunks gives exactly the
 * samples a one-shot `toPcm16k` gives (no clicks at chunk boundaries).
 *
 * Method: input is clamped to [-1, 1] (NaN → 0), then, when downsampling by a ratio r ≥ 1.5,
 * low-passed by two cascaded moving averages of width round(r) (a triangle filter: its nulls sit
 * at 16 kHz and its multiples, so the bands that would fold into speech are cut by roughly
 * 20–30 dB while 0–4 kHz loses under 2 dB), then sampled every r inputs with linear
 * interpolation; the filter delay is compensated so output stays time-aligned. Samples are
 * quantized as v · 32767 rounded half away from zero.
 */
export class Pcm16kResampler {
  readonly sampleRate: number;
  readonly #width: number;
  /** Group delay of the two moving averages, in input samples. */
  readonly #delay: number;
  #ring1: Float64Array;
  #ring2: Float64Array;
  #ringAt = 0;
  #sum1 = 0;
  #sum2 = 0;
  /** Last filtered input sample, needed to interpolate across the push boundary. */
  #last = 0;
  #inputs = 0;
  #outputs = 0;

  constructor(sampleRate: number) {
    if (typeof sampleRate !== 'number' || !Number.isFinite(sampleRate) || sampleRate < 1000 || sampleRate > 384000) {
      throw new MmdError(
        'ERR_SAMPLE_RATE',
        `sample rate ${typeof sampleRate === 'number' ? sampleRate : typeof sampleRate} Hz cannot be resampled ` +
          `to 16 kHz; pass the real rate (1000–384000, e.g. 48000)`,
      );
    }
    this.sampleRate = sampleRate;
    const ratio = sampleRate / SND_SAMPLE_RATE;
    this.#width = ratio >= 1.5 ? Math.round(ratio) : 1;
    this.#delay = this.#width - 1;
    this.#ring1 = new Float64Array(this.#width);
    this.#ring2 = new Float64Array(this.#width);
  }

  /** The 16 kHz samples that `samples` completes (a few may wait for the next push or flush). */
  push(samples: Float32Array): Int16Array {
    if (!(samples instanceof Float32Array))
      throw new MmdError('ERR_BAD_INPUT', 'Pcm16kResampler.push takes a Float32Array of samples in [-1, 1]');
    return this.#run(samples, Infinity);
  }

  /** Ends the stream: the remaining samples (the input padded with silence), then a fresh state. */
  flush(): Int16Array {
    const total = Math.ceil((this.#inputs * SND_SAMPLE_RATE) / this.sampleRate);
    const tail = this.#run(new Float32Array(this.#delay + 2), total);
    this.#ring1.fill(0);
    this.#ring2.fill(0);
    this.#ringAt = this.#sum1 = this.#sum2 = this.#last = this.#inputs = this.#outputs = 0;
    return tail;
  }

  /** Whether output `k` can be computed from `n` filtered inputs. */
  #ready(k: number, n: number): boolean {
    const t = (k * this.sampleRate) / SND_SAMPLE_RATE + this.#delay;
    const i = Math.floor(t);
    return t === i ? i < n : i + 1 < n;
  }

  #run(x: Float32Array, cap: number): Int16Array {
    const w = this.#width;
    const inv = 1 / w;
    const ring1 = this.#ring1;
    const ring2 = this.#ring2;
    let sum1 = this.#sum1;
    let sum2 = this.#sum2;
    const m = x.length;
    const first = this.#inputs;
    const n = first + m;
    // filtered[j] is filtered input sample first - 1 + j.
    const filtered = new Float32Array(m + 1);
    filtered[0] = this.#last;
    let at = this.#ringAt;
    for (let j = 0; j < m; j++) {
      const raw = x[j];
      const v = raw > 1 ? 1 : raw < -1 ? -1 : raw === raw ? raw : 0;
      if (w === 1) {
        filtered[j + 1] = v;
        continue;
      }
      sum1 += v - ring1[at];
      ring1[at] = v;
      const box = sum1 * inv;
      sum2 += box - ring2[at];
      ring2[at] = box;
      filtered[j + 1] = sum2 * inv;
      if (++at === w) at = 0;
    }
    this.#ringAt = at;
    this.#sum1 = sum1;
    this.#sum2 = sum2;
    this.#last = filtered[m];
    this.#inputs = n;

    const k0 = this.#outputs;
    let end = Math.min(cap, Math.max(k0, Math.floor(((n - 1 - this.#delay) * SND_SAMPLE_RATE) / this.sampleRate)));
    while (end < cap && this.#ready(end, n)) end++;
    while (end > k0 && !this.#ready(end - 1, n)) end--;
    const out = new Int16Array(end - k0);
    const rate = this.sampleRate;
    const delay = this.#delay;
    for (let k = k0; k < end; k++) {
      const t = (k * rate) / SND_SAMPLE_RATE + delay;
      const i = Math.floor(t);
      const frac = t - i;
      const a = filtered[i - first + 1];
      const v = frac === 0 ? a : a + frac * (filtered[i - first + 2] - a);
      // Round half away from zero so that quantization is symmetric about 0.
      out[k - k0] = v < 0 ? -Math.round(-v * 32767) : Math.round(v * 32767);
    }
    this.#outputs = end;
    return out;
  }
}

/** Resamples a whole recording to 16 kHz mono int16 (see Pcm16kResampler for the method). */
export function toPcm16k(samples: Float32Array, sampleRate: number): Int16Array {
  const resampler = new Pcm16kResampler(sampleRate);
  const body = resampler.push(samples);
  const tail = resampler.flush();
  const out = new Int16Array(body.length + tail.length);
  out.set(body);
  out.set(tail, body.length);
  return out;
}

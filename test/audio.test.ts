import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import {
  Pcm16kResampler,
  SndDecoder,
  decodeSndChunks,
  encodeSndChunk,
  int16ToBytes,
  pcmDurationMs,
  sndChunks,
  sndControl,
  toPcm16k,
} from '../src/audio.js';
import { MmdError } from '../src/errors.js';
import type { MmdErrorCode } from '../src/errors.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

function throwsCode(fn: () => unknown, code: MmdErrorCode, pattern?: RegExp): MmdError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(MmdError);
    expect((err as MmdError).code).to.equal(code);
    if (pattern) expect((err as MmdError).message).to.match(pattern);
    return err as MmdError;
  }
  expect.fail(`expected ${code}`);
}

describe('sndChunks / encodeSndChunk (wire.md §8.1)', () => {
  it('writes "SND" + 4 zero-padded digits + the payload', () => {
    const [chunk] = sndChunks(new Uint8Array(960).fill(7));
    expect(chunk.length).to.equal(967);
    expect(text(chunk.subarray(0, 7))).to.equal('SND0960');
    expect(chunk.subarray(7).every((b) => b === 7)).to.equal(true);
    expect(text(encodeSndChunk(new Uint8Array(2)).subarray(0, 7))).to.equal('SND0002');
    expect(text(encodeSndChunk(new Uint8Array(1280)).subarray(0, 7))).to.equal('SND1280');
    expect(text(encodeSndChunk(new Uint8Array(4096)).subarray(0, 7))).to.equal('SND4096');
    expect(text(encodeSndChunk(new Uint8Array(64)).subarray(0, 7))).to.equal('SND0064');
  });

  it('defaults to 1280-byte (40 ms) chunks; the last is shorter and still even', () => {
    const chunks = sndChunks(new Uint8Array(3000));
    expect(chunks.map((c) => text(c.subarray(0, 7)))).to.deep.equal(['SND1280', 'SND1280', 'SND0440']);
    expect(sndChunks(new Uint8Array(0))).to.deep.equal([]);
  });

  it('keeps the payload bytes in order across chunks', () => {
    const pcm = Uint8Array.from({ length: 10 }, (_, i) => i);
    const chunks = sndChunks(pcm, { chunkBytes: 4 });
    expect(chunks.map((c) => Array.from(c))).to.deep.equal([
      [...ascii('SND0004'), 0, 1, 2, 3],
      [...ascii('SND0004'), 4, 5, 6, 7],
      [...ascii('SND0002'), 8, 9],
    ]);
  });

  it('writes Int16Array samples little-endian (wire.md §8.1), also from a subarray view', () => {
    const samples = new Int16Array([0x7fff, 0x0102, -1, -32768]).subarray(1, 4);
    const [chunk] = sndChunks(samples);
    expect(Array.from(chunk)).to.deep.equal([...ascii('SND0006'), 0x02, 0x01, 0xff, 0xff, 0x00, 0x80]);
  });

  it('refuses odd PCM (every later sample would be misaligned, wire.md §8.1)', () => {
    throwsCode(() => sndChunks(new Uint8Array(961)), 'ERR_ODD_PCM', /961/);
    throwsCode(() => encodeSndChunk(new Uint8Array(3)), 'ERR_ODD_PCM');
  });

  it('refuses chunk sizes that are odd, below 2 or above 4096 (wire.md §8.1, §12.6)', () => {
    for (const chunkBytes of [0, 1, 3, 1281, 4097, 4098, 8184, 1.5, Number.NaN, -2, Infinity]) {
      throwsCode(() => sndChunks(new Uint8Array(10), { chunkBytes }), 'ERR_SND_CHUNK_SIZE');
    }
    expect(sndChunks(new Uint8Array(10), { chunkBytes: 2 })).to.have.length(5);
    expect(sndChunks(new Uint8Array(8192), { chunkBytes: 4096 })).to.have.length(2);
    throwsCode(() => encodeSndChunk(new Uint8Array(0)), 'ERR_SND_CHUNK_SIZE');
    throwsCode(() => encodeSndChunk(new Uint8Array(4098)), 'ERR_SND_CHUNK_SIZE');
  });

  it('refuses inputs of the wrong type', () => {
    throwsCode(() => sndChunks([1, 2] as unknown as Uint8Array), 'ERR_BAD_INPUT');
    throwsCode(() => encodeSndChunk('SND' as unknown as Uint8Array), 'ERR_BAD_INPUT');
  });
});

describe('sndControl (wire.md §8.2, §12.7)', () => {
  it('returns the word with its newline, one string so it travels in one frame', () => {
    expect(sndControl('SNDSTRM')).to.equal('SNDSTRM\n');
    expect(sndControl('SNDFILE')).to.equal('SNDFILE\n');
    expect(sndControl('SNDBRKS')).to.equal('SNDBRKS\n');
  });

  it('refuses anything else', () => {
    throwsCode(() => sndControl('SNDXYZ1' as 'SNDFILE'), 'ERR_BAD_INPUT', /SNDSTRM/);
  });
});

describe('SndDecoder (wire.md §7.1 step 2, §8.1)', () => {
  const c4 = ascii('SND0004\x01\x02\x03\x04');
  const c2 = ascii('SND0002\x05\x06');

  it('decodes several chunks sharing one push', () => {
    const out = new SndDecoder().push(concat([c4, c2]));
    expect(out.map((p) => Array.from(p))).to.deep.equal([
      [1, 2, 3, 4],
      [5, 6],
    ]);
  });

  it('decodes a chunk fed one byte at a time', () => {
    const decoder = new SndDecoder();
    const out: number[][] = [];
    for (const b of concat([c4, c2])) out.push(...decoder.push(Uint8Array.of(b)).map((p) => Array.from(p)));
    expect(out).to.deep.equal([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    decoder.end();
  });

  it('returns copies, so the caller may reuse its buffer', () => {
    const input = concat([c4]);
    const [payload] = new SndDecoder().push(input);
    input.fill(0);
    expect(Array.from(payload)).to.deep.equal([1, 2, 3, 4]);
  });

  it('yields nothing for an empty chunk SND0000', () => {
    expect(new SndDecoder().push(concat([ascii('SND0000'), c2])).map((p) => p.length)).to.deep.equal([2]);
  });

  it(
    'push refuses control words; pushParts reports them in order, eating a \\n or \\r\\n of the same push ' +
      '(wire.md §8.2)',
    () => {
      throwsCode(() => new SndDecoder().push(ascii('SNDFILE\n')), 'ERR_SND_HEADER', /SNDFILE.*pushParts/);
      const parts = new SndDecoder().pushParts(
        concat([ascii('SNDFILE\n'), c2, ascii('SNDBRKS\r\n'), ascii('SNDSTRM'), c2]),
      );
      expect(parts.map((p) => (typeof p === 'string' ? p : Array.from(p)))).to.deep.equal([
        'SNDFILE',
        [5, 6],
        'SNDBRKS',
        'SNDSTRM',
        [5, 6],
      ]);
    },
  );

  it(
    'refuses the newline of a control word that arrives in a later ' + 'push (it crashes MMDAgent-EX, wire.md §7.2)',
    () => {
      const decoder = new SndDecoder();
      expect(decoder.pushParts(ascii('SNDBRKS'))).to.deep.equal(['SNDBRKS']);
      throwsCode(() => decoder.pushParts(ascii('\n')), 'ERR_SND_HEADER', /offset 7/);
    },
  );

  it('refuses headers that are not "SND" + 4 digits, naming the stream offset (wire.md §8.4, hazards h/h2)', () => {
    throwsCode(
      () => new SndDecoder().push(concat([c4, ascii('SNDX|1\n')])),
      'ERR_SND_HEADER',
      /"SNDX\|1\\x0a" at stream offset 11/,
    );
    throwsCode(() => new SndDecoder().push(ascii('SND_TEST|hello\n')), 'ERR_SND_HEADER', /4 ASCII digits/);
    throwsCode(() => new SndDecoder().push(ascii('SNDXYZ1\n')), 'ERR_SND_HEADER');
    throwsCode(() => new SndDecoder().push(ascii('SND 960')), 'ERR_SND_HEADER');
    throwsCode(() => new SndDecoder().push(ascii('HELLO|x\n')), 'ERR_SND_HEADER', /offset 0/);
    // Fails at the first impossible byte, before 7 bytes are in.
    throwsCode(() => new SndDecoder().push(ascii('SNX')), 'ERR_SND_HEADER', /"SNX"/);
  });

  it('refuses odd lengths and lengths beyond the 8191-byte read window (wire.md §8.1)', () => {
    throwsCode(() => new SndDecoder().push(ascii('SND0961')), 'ERR_SND_HEADER', /odd/);
    throwsCode(() => new SndDecoder().push(ascii('SND8186')), 'ERR_SND_HEADER', /8184/);
    expect(new SndDecoder().push(concat([ascii('SND8184'), new Uint8Array(8184)]))[0].length).to.equal(8184);
  });

  it('end() reports a chunk cut short', () => {
    const d1 = new SndDecoder();
    d1.push(ascii('SND0004\x01'));
    throwsCode(() => d1.end(), 'ERR_TRUNCATED', /1 of 4 payload bytes/);
    const d2 = new SndDecoder();
    d2.push(ascii('SND0'));
    throwsCode(() => d2.end(), 'ERR_TRUNCATED', /4 of 7 header bytes/);
    throwsCode(() => decodeSndChunks(ascii('SND0004\x01\x02')), 'ERR_TRUNCATED');
    expect(decodeSndChunks(concat([c4, c2])).map((p) => p.length)).to.deep.equal([4, 2]);
  });

  it('property: sndChunks → SndDecoder round-trips any even PCM under any re-chunking of the bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 6000 }).map((b) => b.subarray(0, b.length & ~1)),
        fc.integer({ min: 1, max: 2048 }).map((n) => n * 2),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }),
        (pcm, chunkBytes, cuts) => {
          const stream = concat(sndChunks(pcm, { chunkBytes }));
          const decoder = new SndDecoder();
          const got: Uint8Array[] = [];
          let at = 0;
          for (let k = 0; at < stream.length; k++) {
            const next = Math.min(stream.length, at + cuts[k % cuts.length]);
            got.push(...decoder.push(stream.subarray(at, next)));
            at = next;
          }
          decoder.end();
          expect(got.every((p) => p.length <= chunkBytes)).to.equal(true);
          expect(Array.from(concat(got))).to.deep.equal(Array.from(pcm));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: garbage never throws anything but MmdError', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .array(fc.constantFrom(...['SND', 'SND0', '0002', 'STRM', 'FILE', 'BRKS', '\n', '\r', 'xy', '9']), {
          maxLength: 12,
        })
        .map((a) => ascii(a.join(''))),
    );
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 6 }), fc.boolean(), (pushes, parts) => {
        const decoder = new SndDecoder();
        try {
          for (const b of pushes)
            if (parts) decoder.pushParts(b);
            else decoder.push(b);
          decoder.end();
        } catch (err) {
          expect(err).to.be.instanceOf(MmdError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('PCM helpers', () => {
  it('pcmDurationMs counts 32 000 bytes per second (wire.md §8.3)', () => {
    expect(pcmDurationMs(32000)).to.equal(1000);
    expect(pcmDurationMs(1280)).to.equal(40);
    expect(pcmDurationMs(960)).to.equal(30);
    expect(pcmDurationMs(0)).to.equal(0);
    throwsCode(() => pcmDurationMs(-2), 'ERR_BAD_INPUT');
    throwsCode(() => pcmDurationMs(Number.NaN), 'ERR_BAD_INPUT');
  });

  it('int16ToBytes writes little-endian', () => {
    expect(Array.from(int16ToBytes(new Int16Array([1, -2, 0x1234, -32768])))).to.deep.equal([
      1, 0, 0xfe, 0xff, 0x34, 0x12, 0x00, 0x80,
    ]);
    expect(int16ToBytes(new Int16Array(0)).length).to.equal(0);
  });
});

function sine(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}
function zeroCrossings(x: Int16Array): number {
  let n = 0;
  for (let i = 1; i < x.length; i++) if (x[i - 1] < 0 !== x[i] < 0) n++;
  return n;
}
function rms(x: Int16Array, from: number, to: number): number {
  let e = 0;
  for (let i = from; i < to; i++) e += (x[i] / 32767) ** 2;
  return Math.sqrt(e / (to - from));
}

describe('toPcm16k / Pcm16kResampler', () => {
  it('passes 16 kHz through, clamping to [-1, 1] and quantizing v · 32767 symmetrically', () => {
    const out = toPcm16k(Float32Array.of(0, 0.5, -0.5, 1, -1, 2, -5, Number.NaN, Infinity), 16000);
    expect(Array.from(out)).to.deep.equal([0, 16384, -16384, 32767, -32767, 32767, -32767, 0, 32767]);
  });

  it('gives ceil(n · 16000 / rate) samples', () => {
    for (const [rate, n, want] of [
      [48000, 48000, 16000],
      [44100, 44100, 16000],
      [48000, 3, 1],
      [8000, 5, 10],
      [44100, 1000, 363],
      [22050, 0, 0],
    ]) {
      expect(toPcm16k(new Float32Array(n), rate).length, `${rate}/${n}`).to.equal(want);
    }
  });

  it('keeps a 1 kHz sine at 48 kHz a 1 kHz sine at 16 kHz, at nearly full level', () => {
    const out = toPcm16k(sine(1000, 48000, 1), 48000);
    expect(out.length).to.equal(16000);
    expect(zeroCrossings(out)).to.be.within(1998, 2000);
    expect(rms(out, 100, 15900)).to.be.within(0.5 * Math.SQRT1_2 * 0.97, 0.5 * Math.SQRT1_2);
  });

  it('low-passes before downsampling: a 15 kHz tone at 48 kHz does not alias into 1 kHz', () => {
    // Without the filter this tone would come out as a full-level 1 kHz sine.
    const out = toPcm16k(sine(15000, 48000, 0.5, 1), 48000);
    expect(rms(out, 100, out.length - 100)).to.be.below(0.03);
    const mid = toPcm16k(sine(12000, 44100, 0.5, 1), 44100);
    expect(rms(mid, 100, mid.length - 100)).to.be.below(0.25);
  });

  it('upsamples 8 kHz speech-band audio', () => {
    const out = toPcm16k(sine(1000, 8000, 1), 8000);
    expect(out.length).to.equal(16000);
    expect(zeroCrossings(out)).to.be.within(1998, 2000);
  });

  it('refuses rates that are not finite or outside 1000–384000 Hz', () => {
    for (const rate of [Number.NaN, Infinity, -48000, 0, 999, 384001, '48000']) {
      throwsCode(() => toPcm16k(new Float32Array(4), rate as number), 'ERR_SAMPLE_RATE');
      throwsCode(() => new Pcm16kResampler(rate as number), 'ERR_SAMPLE_RATE');
    }
    expect(toPcm16k(new Float32Array(384), 384000).length).to.equal(16);
    expect(toPcm16k(new Float32Array(1), 1000).length).to.equal(16);
    throwsCode(() => toPcm16k([0.1] as unknown as Float32Array, 16000), 'ERR_BAD_INPUT');
  });

  it('property: output stays within int16 and has the one-shot length', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ maxLength: 3000 }),
        fc.constantFrom(8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000, 12345.5),
        (x, rate) => {
          const out = toPcm16k(x, rate);
          expect(out.length).to.equal(Math.ceil((x.length * 16000) / rate));
          for (const s of out) expect(s).to.be.within(-32767, 32767);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('property: resampling in chunks equals the one-shot result (no clicks at boundaries)', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ min: -1, max: 1, noNaN: true, maxLength: 4000 }),
        fc.constantFrom(8000, 16000, 22050, 32000, 44100, 48000, 96000),
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 10 }),
        (x, rate, cuts) => {
          const resampler = new Pcm16kResampler(rate);
          const parts: Int16Array[] = [];
          let at = 0;
          for (let k = 0; at < x.length; k++) {
            const next = Math.min(x.length, at + cuts[k % cuts.length] + (k > 50 ? 500 : 0));
            parts.push(resampler.push(x.subarray(at, next)));
            at = next;
          }
          parts.push(resampler.flush());
          const chunked = parts.flatMap((p) => Array.from(p));
          const oneShot = Array.from(toPcm16k(x, rate));
          expect(chunked.length).to.equal(oneShot.length);
          for (let i = 0; i < oneShot.length; i++) expect(Math.abs(chunked[i] - oneShot[i])).to.be.at.most(1);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('flush() starts a fresh stream', () => {
    const resampler = new Pcm16kResampler(48000);
    const x = sine(440, 48000, 0.1);
    const first = [...resampler.push(x), ...resampler.flush()];
    const second = [...resampler.push(x), ...resampler.flush()];
    expect(second).to.deep.equal(first);
  });
});

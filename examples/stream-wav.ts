// Example 4 — stream a WAV file to the avatar with lip-sync. Each MMDAgent-EX that connects gets
// the file once: `__AV_START`, `__AV_SETMODEL,<model>`, `SNDFILE`, the audio as 16 kHz SND chunks
// paced in real time, then `SNDBRKS` (avatar.md §5, wire.md §8).
//
//   npx tsx examples/stream-wav.ts [--port 9001] [--model 0] [speech.wav]
//
// Without a file it plays a generated test WAV (speech-like bursts). Any PCM WAV works (8–32-bit
// or float, any rate, any channel count): it is mixed to mono and resampled with the SDK.
// To write the test WAV to disk: npx tsx examples/wav.ts test.wav 3
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { avatar, pcmDurationMs, toPcm16k } from 'mmdagent-ex-remote';
import { createServer, type AgentLink, type MmdServer } from 'mmdagent-ex-remote/server';
import { makeTestWav, parseWav } from './wav.js';

export interface StreamWavOptions {
  port?: number;
  host?: string;
  /** A WAV file's bytes, or its path; default a generated 2-second test WAV. */
  wav?: Uint8Array | string;
  /** Alias of the model whose lips move; default `0`. Audio is dropped until one is set (wire.md §8.3). */
  model?: string;
  log?: (line: string) => void;
}

export interface StreamReport {
  channel: string;
  chunks: number;
  bytes: number;
  durationMs: number;
}

export interface StreamWavServer {
  server: MmdServer;
  /** Settles with the report of the first stream (or its error). */
  firstStream: Promise<StreamReport>;
  close(): Promise<void>;
}

/** WAV bytes → 16 kHz mono 16-bit PCM, the only format MMDAgent-EX accepts (wire.md §8.1). */
export function wavToPcm16k(bytes: Uint8Array): Int16Array {
  const wav = parseWav(bytes);
  return toPcm16k(wav.samples, wav.sampleRate);
}

/** The whole utterance sequence on one link; resolves once the audio has had time to play. */
export async function streamUtterance(
  link: AgentLink,
  pcm16k: Int16Array,
  model: string,
): Promise<Omit<StreamReport, 'channel'>> {
  // Audio is dropped until the avatar has its model (wire.md §8.3). AVATAR|START comes back
  // through the message bus a frame or more after MMDAgent-EX handled __AV_START, and by then it
  // has handled the __AV_SETMODEL sent right after it too: wait for it before any audio.
  const ready = link.waitFor((m) => m.type === 'AVATAR' && m.args[0] === 'START', { timeoutMs: 5000 });
  link.send(avatar.start());
  link.send(avatar.setModel(model));
  await ready;
  // File mode: no silence cutting; the end of the utterance is marked with SNDBRKS.
  link.send('SNDFILE');
  await link.sendAudio(pcm16k); // SND chunks of 1280 bytes (40 ms), paced in real time
  link.send('SNDBRKS');
  // No event reports the end of streamed audio (wire.md §8.3), and closing now would cut it:
  // wait for what is still buffered ahead of real time.
  await new Promise((resolve) => setTimeout(resolve, link.audioAheadMs));
  const bytes = pcm16k.length * 2;
  return { chunks: Math.ceil(bytes / 1280), bytes, durationMs: pcmDurationMs(bytes) };
}

export async function run(opts: StreamWavOptions = {}): Promise<StreamWavServer> {
  const log = opts.log ?? console.log;
  const model = opts.model ?? '0';
  const bytes = typeof opts.wav === 'string' ? new Uint8Array(readFileSync(opts.wav)) : (opts.wav ?? makeTestWav(2));
  const pcm = wavToPcm16k(bytes);
  log(`audio: ${(pcmDurationMs(pcm.length * 2) / 1000).toFixed(2)} s at 16 kHz`);

  const server = await createServer({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 9001 });
  let settleFirst: { resolve(r: StreamReport): void; reject(e: unknown): void } | undefined;
  const firstStream = new Promise<StreamReport>((resolve, reject) => (settleFirst = { resolve, reject }));
  firstStream.catch(() => undefined); // reported through the log as well; never unhandled

  server.on('agent', (link, info) => {
    log(`MMDAgent-EX connected on ${info.channel}: streaming`);
    streamUtterance(link, pcm, model).then(
      (r) => {
        log(`streamed ${r.chunks} chunks, ${(r.durationMs / 1000).toFixed(2)} s, to ${info.channel}`);
        settleFirst?.resolve({ channel: info.channel, ...r });
        settleFirst = undefined;
      },
      (err: unknown) => {
        log(`streaming to ${info.channel} failed: ${(err as Error).message}`);
        settleFirst?.reject(err);
        settleFirst = undefined;
      },
    );
  });
  log(`listening on ${server.url}`);
  return { server, firstStream, close: () => server.close() };
}

function isMain(): boolean {
  return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
}

if (isMain()) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' }, model: { type: 'string' } },
  });
  const app = await run({
    port: Number(values.port ?? process.env.PORT ?? 9001),
    host: values.host,
    model: values.model,
    wav: positionals[0],
  });
  process.once('SIGINT', () => void app.close().then(() => process.exit(0)));
}

// SND chunking and sending of 60 s of audio, as a real-time factor (seconds of audio per second
// of work). sendAudio runs over a real socket to a local `ws` server, which counts the bytes.
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { sndChunks } from '../src/audio.js';
import { SND_HEADER_BYTES } from '../src/limits.js';
import { AgentLink } from '../src/link.js';
import type { WebSocketLike } from '../src/link.js';
import { pcmTone } from './data.js';
import { fmtMs, median, throughputOptions, timeContenders } from './lib.js';
import type { Mode, Row, Table } from './lib.js';

const SECONDS: Record<Mode, number> = { full: 60, quick: 60, smoke: 1 };
const SEND_ROUNDS: Record<Mode, number> = { full: 7, quick: 3, smoke: 1 };
/** Audio sent with the default 15 ms gap between chunks: that run is paced by timers, not CPU. */
const PACED_SECONDS: Record<Mode, number> = { full: 60, quick: 6, smoke: 0.2 };

interface Sink {
  url: string;
  /** Resolves once `bytes` more bytes have arrived. */
  expect(bytes: number): Promise<void>;
  close(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let received = 0;
  let goal = Infinity;
  let done: (() => void) | undefined;
  wss.on('connection', (ws) =>
    ws.on('message', (data: Buffer) => {
      received += data.length;
      if (received >= goal && done) {
        const d = done;
        done = undefined;
        d();
      }
    }),
  );
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    expect(bytes) {
      goal = received + bytes;
      return new Promise((resolve) => (received >= goal ? resolve() : (done = resolve)));
    },
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export async function run(mode: Mode): Promise<Table[]> {
  const seconds = SECONDS[mode];
  const pcm = pcmTone(seconds);
  const chunks = sndChunks(pcm);
  const wireBytes = chunks.reduce((n, c) => n + c.length, 0);

  // Chunking alone, against one plain copy of the same bytes (the least any chunker must do).
  const bytes = new Uint8Array(pcm.buffer);
  const chunkMs = timeContenders(
    {
      // Both report the input size, so the check that contenders agree holds; the chunks are still made.
      sndChunks: () => (sndChunks(pcm).length > 0 ? bytes.length : 0),
      copy: () => bytes.slice().length,
    },
    throughputOptions[mode],
  );

  const sink = await startSink();
  const raw = await open(sink.url);
  // A fresh connection per send: a link shares MMDAgent-EX's 60 s buffer budget between its
  // sendAudio calls (wire.md §8.3), so a second minute on the same link would wait for the first.
  const freshLink = async () => new AgentLink((await open(sink.url)) as unknown as WebSocketLike);
  const sendMs: number[] = [];
  const rawMs: number[] = [];
  try {
    for (let r = 0; r < SEND_ROUNDS[mode] + 1; r++) {
      // sendAudio without pacing (gapMs 0, realtime false): the SDK's own cost per chunk.
      const link = await freshLink();
      let arrived = sink.expect(wireBytes);
      let t0 = performance.now();
      await link.sendAudio(pcm, { realtime: false, gapMs: 0 });
      await arrived;
      if (r > 0) sendMs.push(performance.now() - t0); // round 0 is the warm-up
      link.close();
      // Baseline: the same chunks, pre-built, straight into ws.send.
      arrived = sink.expect(wireBytes);
      t0 = performance.now();
      for (const c of chunks) raw.send(c);
      await arrived;
      if (r > 0) rawMs.push(performance.now() - t0);
    }
    // The default: realtime false keeps the 15 ms gap between chunks so MMDAgent-EX can flush.
    const link = await freshLink();
    const paced = pcmTone(PACED_SECONDS[mode]);
    const pacedBytes = paced.length * 2 + sndChunks(paced).length * SND_HEADER_BYTES;
    const arrived = sink.expect(pacedBytes);
    const t0 = performance.now();
    await link.sendAudio(paced, { realtime: false });
    await arrived;
    const pacedMs = performance.now() - t0;
    link.close();

    const rtf = (audioSeconds: number, ms: number) =>
      `${((audioSeconds * 1000) / ms).toFixed((audioSeconds * 1000) / ms >= 100 ? 0 : 1)}× real time`;
    const send = median(sendMs);
    const rawSend = median(rawMs);
    const rows: Row[] = [
      {
        name: `sndChunks, ${seconds} s of audio`,
        ours: `${fmtMs(chunkMs.sndChunks)}, ${rtf(seconds, chunkMs.sndChunks)}`,
        baseline: `${fmtMs(chunkMs.copy)} (one copy)`,
        ratio: chunkMs.copy / chunkMs.sndChunks,
      },
      {
        name: `sendAudio realtime:false gapMs:0, ${seconds} s`,
        ours: `${fmtMs(send)}, ${rtf(seconds, send)}`,
        baseline: `${fmtMs(rawSend)} (raw ws.send)`,
        ratio: rawSend / send,
      },
      {
        name: `sendAudio realtime:false (default 15 ms gap), ${PACED_SECONDS[mode]} s`,
        ours: `${fmtMs(pacedMs)}, ${rtf(PACED_SECONDS[mode], pacedMs)}`,
        baseline: '',
        note: 'paced by the gap MMDAgent-EX needs to flush (wire.md §5.4), not by CPU',
      },
    ];
    return [
      {
        title: 'Audio (SND chunks)',
        rows,
        notes: [
          `${seconds} s of 16 kHz 16-bit mono PCM = ${(bytes.length / 1e6).toFixed(2)} MB in ${chunks.length} ` +
            `chunks of 1280 bytes (40 ms); real-time factor = audio seconds ÷ wall seconds.`,
          'Sends go over a real WebSocket on 127.0.0.1 to a `ws` server in this process; a send is timed until ' +
            'the server has received every byte. Median of rounds after one warm-up.',
          'ratio = baseline time ÷ our time (higher is better; 1× = no overhead over the baseline). No target ' +
            'is set for audio.',
        ],
      },
    ];
  } finally {
    raw.terminate();
    await sink.close();
  }
}

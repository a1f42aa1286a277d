/**
 * sendAudio's pacing: SND chunks as binary frames, at most `leadMs` ahead of real time and never
 * closer than `gapMs` apart, so MMDAgent-EX's 60 s buffer neither starves nor overflows
 * (wire.md §8.3) and it gets time to flush between chunks (wire.md §5.4).
 */
import { MmdError } from '../errors.js';
import { SND_BUFFER_SECONDS, SND_BYTES_PER_SECOND, SND_HEADER_BYTES } from '../limits.js';
import { sndChunks } from '../audio.js';
import { abortError, sleep } from '../wait.js';
import { AUDIO_GAP_MS, AUDIO_LEAD_MS, type SendAudioOptions } from './options.js';

const MAX_LEAD_MS = SND_BUFFER_SECONDS * 1000;

export interface PacerHost {
  /** The current connection; audio stops when it changes (its audio died with it, wire.md §9.1). */
  connection(): unknown;
  sendFrame(chunk: Uint8Array): void;
  /** Aborted, with the reason, when the link closes for good. */
  readonly closed: AbortSignal;
}

export class AudioPacer {
  #host: PacerHost;
  #tail: Promise<unknown> = Promise.resolve();
  #end = 0;
  #lastSent = -Infinity;

  constructor(host: PacerHost) {
    this.#host = host;
  }

  /** A new connection: the old one's audio budget went with it. */
  reset(): void {
    this.#end = 0;
    this.#lastSent = -Infinity;
  }

  /** Milliseconds of sent audio still ahead of real time. */
  get aheadMs(): number {
    return Math.max(0, this.#end - performance.now());
  }

  /** Queues one utterance behind the previous ones; see AgentLink.sendAudio. */
  send(pcm16k: Int16Array | Uint8Array, opts: SendAudioOptions = {}): Promise<void> {
    try {
      const closed = this.#host.closed;
      if (closed.aborted) throw closed.reason;
      const chunks = sndChunks(pcm16k, opts.chunkBytes === undefined ? undefined : { chunkBytes: opts.chunkBytes });
      const longest = chunks.length ? chunkMs(chunks[0]) : 0;
      const leadMs = opts.leadMs ?? (opts.realtime === false ? MAX_LEAD_MS - longest : AUDIO_LEAD_MS);
      if (!(leadMs >= 0 && leadMs + longest <= MAX_LEAD_MS)) {
        throw new MmdError(
          'ERR_AUDIO_AHEAD',
          `leadMs ${leadMs}: use 0 to ${MAX_LEAD_MS - longest} (MMDAgent-EX drops audio over ${SND_BUFFER_SECONDS} s ahead)`,
        );
      }
      const gapMs = opts.gapMs ?? AUDIO_GAP_MS;
      // NaN would switch off pacing and the ahead check below it.
      if (!(gapMs >= 0 && gapMs <= MAX_LEAD_MS))
        throw new MmdError('ERR_BAD_INPUT', `gapMs ${gapMs}: use 0 to ${MAX_LEAD_MS}`);
      const connection = this.#host.connection();
      // Calls are chained so that two utterances never interleave their chunks.
      const run = this.#tail.then(() => this.#stream(connection, chunks, leadMs, gapMs, opts.signal));
      this.#tail = run.catch(() => undefined);
      return run;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #stream(
    connection: unknown,
    chunks: Uint8Array[],
    leadMs: number,
    gapMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const host = this.#host;
    for (const chunk of chunks) {
      const now = performance.now();
      if (this.#end < now) this.#end = now;
      const wait = Math.max(this.#lastSent + gapMs, this.#end - leadMs) - now;
      if (wait > 0) await sleep(wait, { what: 'sendAudio', signal, closed: host.closed });
      if (signal?.aborted) throw abortError('sendAudio', signal);
      if (host.closed.aborted) throw host.closed.reason;
      if (host.connection() !== connection) {
        throw new MmdError('ERR_CLOSED', 'sendAudio: the connection dropped; send the audio again once reconnected');
      }
      host.sendFrame(chunk);
      const sentAt = performance.now();
      this.#end = Math.max(this.#end, sentAt) + chunkMs(chunk);
      this.#lastSent = sentAt;
    }
  }
}

function chunkMs(chunk: Uint8Array): number {
  return ((chunk.length - SND_HEADER_BYTES) * 1000) / SND_BYTES_PER_SECOND;
}

/**
 * sendAudio's pacing: SND chunks as binary frames, at most `leadMs` ahead of real time and never
 * closer than `gapMs` apart, so MMDAgent-EX's 60 s buffer neither starves nor overflows
 * (wire.md §8.3) and it gets time to flush between chunks (wire.md §5.4).
 */
import { MmdError } from '../errors.js';
import { FLUSH_GAP_MS, SND_BUFFER_SECONDS, SND_BYTES_PER_SECOND, SND_HEADER_BYTES } from '../limits.js';
import { sndChunks } from '../audio.js';
import { abortError, sleep } from '../wait.js';
import { AUDIO_LEAD_MS } from './constants.js';
import type { SendAudioOptions } from './options.js';

const MAX_LEAD_MS = SND_BUFFER_SECONDS * 1000;

/** The link's side: what AudioPacer's constructor takes. */
export interface PacerHost {
  /** The current connection; audio stops when it changes (its audio died with it, wire.md §9.1). */
  connection(): unknown;
  sendFrame(chunk: Uint8Array): void;
  /** Aborted, with the reason, when the link closes for good. */
  readonly closed: AbortSignal;
}

/** State in the constructor's closure, as in Inbox: it minifies far better than private fields. */
export class AudioPacer {
  /** A new connection: the old one's audio budget went with it. */
  declare readonly reset: () => void;
  /** Milliseconds of sent audio still ahead of real time. */
  declare readonly ahead: () => number;
  /** Queues one utterance behind the previous ones; see AgentLink.sendAudio. */
  declare readonly send: (pcm16k: Int16Array | Uint8Array, opts?: SendAudioOptions) => Promise<void>;

  constructor(connection: PacerHost['connection'], sendFrame: PacerHost['sendFrame'], closed: AbortSignal) {
    let tail: Promise<unknown> = Promise.resolve();
    let end = 0;
    let lastSent = -Infinity;
    Object.assign(this, {
      reset: () => {
        end = 0;
        lastSent = -Infinity;
      },
      ahead: () => Math.max(0, end - performance.now()),
      // async: a refusal below rejects; the chaining still happens synchronously, in call order.
      send: async (pcm16k: Int16Array | Uint8Array, opts: SendAudioOptions = {}) => {
        if (closed.aborted) throw closed.reason;
        const chunks = sndChunks(pcm16k, opts);
        const longest = chunks.length ? chunkMs(chunks[0]) : 0;
        const leadMs = opts.leadMs ?? (opts.realtime === false ? MAX_LEAD_MS - longest : AUDIO_LEAD_MS);
        if (!(leadMs >= 0 && leadMs + longest <= MAX_LEAD_MS)) {
          throw new MmdError('ERR_AUDIO_AHEAD', `leadMs ${leadMs}: use 0 to ${MAX_LEAD_MS - longest}`);
        }
        // DEFAULTS.audioGapMs, written out so that bundlers inline it.
        const gapMs = opts.gapMs ?? FLUSH_GAP_MS + 5;
        // NaN would switch off pacing and the ahead check below it.
        if (!(gapMs >= 0 && gapMs <= MAX_LEAD_MS))
          throw new MmdError('ERR_BAD_INPUT', `gapMs ${gapMs}: use 0 to ${MAX_LEAD_MS}`);
        const current = connection();
        const signal = opts.signal;
        // Calls are chained so that two utterances never interleave their chunks.
        const run = tail.then(async () => {
          for (const chunk of chunks) {
            const now = performance.now();
            if (end < now) end = now;
            const wait = Math.max(lastSent + gapMs, end - leadMs) - now;
            if (wait > 0) await sleep(wait, { what: 'sendAudio', signal, closed });
            if (signal?.aborted) throw abortError('sendAudio', signal);
            if (closed.aborted) throw closed.reason;
            if (connection() !== current) {
              throw new MmdError('ERR_CLOSED', 'sendAudio: connection lost; send it again');
            }
            sendFrame(chunk);
            const sentAt = performance.now();
            end = Math.max(end, sentAt) + chunkMs(chunk);
            lastSent = sentAt;
          }
        });
        tail = run.catch(() => undefined);
        return run;
      },
    });
  }
}

function chunkMs(chunk: Uint8Array): number {
  return ((chunk.length - SND_HEADER_BYTES) * 1000) / SND_BYTES_PER_SECOND;
}

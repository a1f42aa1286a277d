// MMDAgent-EX's own input parser (Plugin_Remote processMessageData, wire.md §7.1), byte for
// byte, for the simulated MMDAgent-EX. Where the real client crashes, hangs or drops the
// connection, this reports a hazard event instead and keeps the state the real one would be in.
import { MmdError } from './errors.js';
import {
  AV_MESSAGE_PREFIX,
  MAX_FRAME_BYTES,
  PEER_DISCONNECTED,
  SND_CONTROL_WORDS,
  SND_HEADER_BYTES,
  SND_MAX_CHUNK_BYTES,
} from './limits.js';
import type { SndControlWord } from './limits.js';

export type HazardKind = 'crash' | 'stall' | 'hang' | 'empty-frame' | 'oversize-frame' | 'overflow';
export interface Hazard {
  kind: HazardKind;
  rule: string;
  message: string;
}
export type StreamEvent =
  /**
   * `bytes` is there only when the line is not valid UTF-8: MMDAgent-EX dispatches and echoes those
   * bytes as they are, and a cut character may hide a `\n` or `|` that is then no delimiter (wire.md §7.5).
   */
  | { kind: 'line'; line: string; route: 'message' | 'avatar'; bytes?: Uint8Array }
  | { kind: 'audio'; bytes: Uint8Array }
  | { kind: 'control'; word: SndControlWord }
  | { kind: 'peer-disconnected' }
  | { kind: 'hazard'; hazard: Hazard };
export type StreamParserState = 'ok' | 'stalled' | 'hung' | 'crashed';

const LF = 0x0a;
const CR = 0x0d;
const S = 0x53;
const N = 0x4e;
const D = 0x44;
const isBreak = (c: number) => c === LF || c === CR;

/** MMDFiles_getcharsize: bytes of the character a lead byte starts; 0 (→ endless loop) when invalid. */
function charSize(c: number): number {
  if (c < 0x80) return 1;
  if (c < 0xc2) return 0;
  if (c < 0xe0) return 2;
  if (c < 0xf0) return 3;
  if (c < 0xf8) return 4;
  if (c < 0xfc) return 5;
  return c < 0xfe ? 6 : 0;
}

/** C atoi over the 4-character SND length field: spaces, an optional sign, digits; else 0. */
function atoi4(b: Uint8Array, at: number): number {
  const end = at + 4;
  let i = at;
  while (i < end && (b[i] === 0x20 || (b[i] >= 0x09 && b[i] <= 0x0d))) i++;
  const negative = i < end && b[i] === 0x2d;
  if (negative || (i < end && b[i] === 0x2b)) i++;
  let n = 0;
  while (i < end && b[i] >= 0x30 && b[i] <= 0x39) n = n * 10 + b[i++] - 0x30;
  return negative ? -n : n;
}

const hazard = (kind: HazardKind, rule: string, message: string): StreamEvent => ({
  kind: 'hazard',
  hazard: { kind, rule: `wire.md ${rule}`, message },
});

/**
 * Feed it every data frame MMDAgent-EX would receive (text, binary, continuation and close
 * payloads alike, wire.md §6.1). Pending bytes survive between frames and, like the real
 * reassembly buffer, across reconnects (wire.md §7.6): use one parser per simulated process.
 *
 * Modelled: the 8191 − pending read window, the `S`/`SND` audio check, control words, the
 * UTF-8 aware tokenizer (invalid lead → hang, a lead byte before the terminator swallows it),
 * the completeness check at offset L of the buffer (leading CR/LF → stall or crash), NUL →
 * stall, and `__peer_disconnected__` at the start of a frame. Not modelled: the stale byte just
 * past the buffered data (wire.md §7.2 caveat) is taken as never CR/LF, so a line split across
 * frames always waits for its terminator.
 */
export class StreamParser {
  #frames = 0;
  #buf: Uint8Array;
  #length = 0;
  #current: StreamParserState = 'ok';
  #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #strict = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
  #encoder = new TextEncoder();

  constructor(opts?: { bufferBytes?: number }) {
    const size = opts?.bufferBytes ?? MAX_FRAME_BYTES + 1; // SOCKET_MAXBUFLEN, wire.md §6.5
    if (!Number.isInteger(size) || size <= SND_HEADER_BYTES) {
      throw new MmdError('ERR_BAD_ARGUMENT', `bufferBytes must be an integer above ${SND_HEADER_BYTES}, got ${size}`);
    }
    this.#buf = new Uint8Array(size);
  }

  /** Bytes held back: an unfinished line or audio chunk, or a stalled line and what piled up behind it. */
  get pendingBytes(): number {
    return this.#length;
  }

  /** Frames pushed so far, including ones a crashed or hung parser ignored. */
  get framesReceived(): number {
    return this.#frames;
  }

  get state(): StreamParserState {
    return this.#current;
  }

  /** One received data frame; returns what MMDAgent-EX would do with it, in order. */
  pushFrame(payload: Uint8Array | ArrayBuffer | string): StreamEvent[] {
    this.#frames++;
    if (this.#current === 'crashed' || this.#current === 'hung') return [];
    let bytes: Uint8Array;
    if (typeof payload === 'string') bytes = this.#encoder.encode(payload);
    else if (payload instanceof Uint8Array) bytes = payload;
    else if (payload instanceof ArrayBuffer) bytes = new Uint8Array(payload);
    else
      throw new MmdError(
        'ERR_BAD_INPUT',
        `pushFrame takes a frame payload as Uint8Array, ArrayBuffer or string, got ${typeof payload}`,
      );

    if (bytes.length === 0) {
      return [
        hazard('empty-frame', '§6.4', 'empty frame: MMDAgent-EX reads it as a disconnect (never send empty frames)'),
      ];
    }
    const room = this.#buf.length - 1 - this.#length;
    if (bytes.length > room) {
      return bytes.length > this.#buf.length - 1
        ? [
            hazard(
              'oversize-frame',
              '§6.5',
              `${bytes.length}-byte frame is over the ${this.#buf.length - 1}-byte read window: MMDAgent-EX ` +
                `drops the connection and the frame`,
            ),
          ]
        : [
            hazard(
              'overflow',
              '§6.5',
              `${bytes.length}-byte frame does not fit the ${room} bytes left beside ${this.#length} pending: ` +
                `MMDAgent-EX drops the connection and the frame; the pending bytes stay`,
            ),
          ];
    }
    this.#buf.set(bytes, this.#length);
    this.#length += bytes.length;

    const events: StreamEvent[] = [];
    if (this.#startsWithPeerDisconnected()) events.push({ kind: 'peer-disconnected' });
    // A stalled buffer is read again, as the real loop does: the stuck line never completes, but
    // if it has no terminator yet its tokenizer still runs into newly appended bytes.
    this.#parse(events);
    return events;
  }

  #startsWithPeerDisconnected(): boolean {
    if (this.#length < PEER_DISCONNECTED.length) return false;
    for (let i = 0; i < PEER_DISCONNECTED.length; i++) {
      if (this.#buf[i] !== PEER_DISCONNECTED.charCodeAt(i)) return false;
    }
    return true;
  }

  /** The §7.1 loop over the buffered bytes; keeps what it cannot finish yet at the buffer start. */
  #parse(events: StreamEvent[]): void {
    const buf = this.#buf;
    const len = this.#length;
    let p = 0;
    while (p < len) {
      if (buf[p] === S) {
        if (len - p < SND_HEADER_BYTES) break;
        if (buf[p + 1] === N && buf[p + 2] === D) {
          const word = controlWordAt(buf, p + 3);
          if (word) {
            events.push({ kind: 'control', word });
            p += SND_HEADER_BYTES;
            if (p < len && buf[p] === LF) p++;
            else if (p + 1 < len && buf[p] === CR && buf[p + 1] === LF) p += 2;
            continue;
          }
          const size = atoi4(buf, p + 3);
          if (size < 0) {
            this.#current = 'crashed';
            events.push(
              hazard(
                'crash',
                '§8.1',
                `SND length field gives ${size}: a negative audio length (inferred crash); use 4 zero-padded digits`,
              ),
            );
            break;
          }
          if (len - p < SND_HEADER_BYTES + size) {
            // A chunk longer than the read window can never complete: everything after it waits for good.
            if (SND_HEADER_BYTES + size > this.#buf.length - 1 && this.#current !== 'stalled') {
              this.#current = 'stalled';
              events.push(
                hazard(
                  'stall',
                  '§8.1',
                  `SND length ${size} cannot fit the ${this.#buf.length - 1}-byte read window: MMDAgent-EX ` +
                    `waits for it forever, later input piles up behind it; send chunks of at most ` +
                    `${SND_MAX_CHUNK_BYTES} bytes`,
                ),
              );
            }
            break;
          }
          events.push({ kind: 'audio', bytes: buf.slice(p + SND_HEADER_BYTES, p + SND_HEADER_BYTES + size) });
          p += SND_HEADER_BYTES + size;
          continue;
        }
      }

      // Tokenizer: skip leading CR/LF, then whole UTF-8 characters up to CR, LF or NUL.
      let from = p;
      while (from < len && isBreak(buf[from])) from++;
      let to = from;
      let ascii = true;
      while (to < len && buf[to] !== 0 && !isBreak(buf[to])) {
        const size = charSize(buf[to]);
        if (size > 1) ascii = false;
        if (size === 0) {
          this.#current = 'hung';
          events.push(
            hazard(
              'hang',
              '§7.5',
              `byte 0x${buf[to].toString(16)} is not a UTF-8 lead byte: MMDAgent-EX's tokenizer loops forever, ` +
                `no more input or output`,
            ),
          );
          this.#compact(p);
          return;
        }
        to += size;
      }
      if (to > len) to = len; // a character cut at the end of the data: wait for the rest
      // The completeness check reads offset L = token length from the buffer start, even when
      // the token itself started later (wire.md §7.1 step 3).
      const check = p + (to - from);
      if (check >= len) break; // the byte past the data: taken as not CR/LF, so wait
      if (!isBreak(buf[check])) {
        if (this.#current === 'stalled') break; // reported when it began
        this.#current = 'stalled';
        events.push(
          buf[check] === 0
            ? hazard(
                'stall',
                '§7.5',
                'NUL byte in a line: MMDAgent-EX never completes the line, later input piles up behind it',
              )
            : hazard(
                'stall',
                '§7.2',
                'data began with CR/LF followed by text: MMDAgent-EX never completes the line, later input ' +
                  'piles up behind it',
              ),
        );
        break;
      }
      if (to === from) {
        this.#current = 'crashed';
        events.push(
          hazard(
            'crash',
            '§7.2',
            'only CR/LF at the start of the buffer: MMDAgent-EX crashes (NULL strcpy); never start a frame ' +
              'with CR or LF',
          ),
        );
        break;
      }
      const line = this.#decoder.decode(buf.subarray(from, to));
      const avatar = line.startsWith('__AV') && !line.startsWith(AV_MESSAGE_PREFIX);
      const event: StreamEvent = { kind: 'line', line, route: avatar ? 'avatar' : 'message' };
      if (!ascii && line.includes('\ufffd') && !this.#isUtf8(from, to)) event.bytes = buf.slice(from, to);
      events.push(event);
      p = check;
      while (p < len && isBreak(buf[p])) p++;
    }
    this.#compact(p);
  }

  #isUtf8(from: number, to: number): boolean {
    try {
      this.#strict.decode(this.#buf.subarray(from, to));
      return true;
    } catch {
      return false;
    }
  }

  #compact(consumed: number): void {
    if (consumed === 0) return;
    this.#buf.copyWithin(0, consumed, this.#length);
    this.#length -= consumed;
  }
}

function controlWordAt(b: Uint8Array, at: number): SndControlWord | undefined {
  for (const word of SND_CONTROL_WORDS) {
    if (
      b[at] === word.charCodeAt(3) &&
      b[at + 1] === word.charCodeAt(4) &&
      b[at + 2] === word.charCodeAt(5) &&
      b[at + 3] === word.charCodeAt(6)
    ) {
      return word;
    }
  }
  return undefined;
}

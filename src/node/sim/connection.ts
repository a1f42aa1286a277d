// One WebSocket connection of the simulated MMDAgent-EX and what it receives (wire.md §6, §7):
// frames are checked as POCO checks them, fed to the process-wide StreamParser, and the lines,
// audio and `__AV_*` commands it finds are acted on as the Remote thread does.
import type { Socket } from 'node:net';
import { MmdError } from '../../errors.js';
import {
  AV_MESSAGE_PREFIX,
  AVATAR_IDLE_MS,
  FLUSH_GAP_MS,
  MAX_FRAME_BYTES,
  MAX_LINE_BYTES,
  SND_BYTES_PER_SECOND,
} from '../../limits.js';
import type { Message } from '../../message.js';
import type { StreamEvent, StreamParser } from '../../stream-parser.js';
import type { Behaviour, LinkState } from './behaviours/index.js';
import { clearTimers } from './clock.js';
import type { Clock, TimerSet } from './clock.js';
import { Outbox } from './outbox.js';
import type { SimAudioCounters, SimEvents, SimStatus, SimViolationKind } from './types.js';
import { FrameReader, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, encodeClientFrame } from './wire.js';
import type { FrameHeader } from './wire.js';
import type { Emitter } from '../../emitter.js';

/** What a connection needs from the simulated process. */
export interface ConnectionHost {
  readonly parser: StreamParser;
  readonly behaviour: Behaviour;
  readonly clock: Clock;
  readonly events: Emitter<SimEvents>;
  readonly status: SimStatus;
  readonly echoDelayMs: number;
  setStatus(status: SimStatus): void;
  violate(kind: SimViolationKind, rule: string, message: string): void;
  /** The connection is gone (TCP closed, empty frame, oversize frame...). */
  lost(conn: Connection, reason: string): void;
  /** The process crashed: the connection and the sim end. */
  crash(conn: Connection, error: MmdError): void;
  /** A complete line: the core reads it on a later rendered frame, then echoes it and acts on it. */
  dispatch(line: Uint8Array): void;
  post(m: Message): void;
}

const PIPE = 0x7c;
/** MMDFiles_getcharsize for the lead bytes that reach dispatch (the parser hangs on the others). */
const charBytes = (lead: number) =>
  lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf8 ? 4 : lead < 0xfc ? 5 : 6;

/**
 * `|`-separated fields of a line's bytes as MMDAgent-EX's UTF-8 aware tokenizer finds them:
 * empty fields collapse, and a `|` (or `\n`) inside a cut character is no delimiter (wire.md §7.4, §7.5).
 */
function fieldsOf(bytes: Uint8Array, from: number): Array<[start: number, end: number]> {
  const fields: Array<[number, number]> = [];
  let start = from;
  let i = from;
  while (i < bytes.length) {
    if (bytes[i] === PIPE) {
      if (i > start) fields.push([start, i]);
      start = ++i;
    } else i += charBytes(bytes[i]);
  }
  if (bytes.length > start) fields.push([start, bytes.length]);
  return fields;
}

const utf8 = new TextDecoder();
const startsWith = (bytes: Uint8Array, ascii: string) => {
  for (let i = 0; i < ascii.length; i++) if (bytes[i] !== ascii.charCodeAt(i)) return false;
  return true;
};

/**
 * A line as it reaches the bus (wire.md §7.3): type up to the first `|`, arguments collapsed for
 * the core, and an echo that drops leading `|` but keeps empty fields (hazards.md (j)), byte for
 * byte. Undefined for a line of nothing but delimiters (no token, nothing dispatched).
 */
export function busLine(line: Uint8Array): { message: Message; echo: Uint8Array } | undefined {
  const from = startsWith(line, AV_MESSAGE_PREFIX) ? AV_MESSAGE_PREFIX.length : 0;
  const fields = fieldsOf(line, from);
  if (fields.length === 0) return undefined;
  const text = ([start, end]: [number, number]) => utf8.decode(line.subarray(start, end));
  const message: Message = { type: text(fields[0]), args: fields.slice(1).map(text) };
  const [typeStart, typeEnd] = fields[0];
  const echo = typeEnd + 1 < line.length ? line.subarray(typeStart) : line.subarray(typeStart, typeEnd);
  return { message, echo };
}

/**
 * Arguments beyond this are undefined behaviour in the real app; it survived 2090 bytes and crashed at 7990
 * (hazards.md (g), (g2)).
 */
const CRASH_FIELD_BYTES = 4096;
/**
 * `__AV_*` lines act at once on the Remote thread, in stream order with audio (wire.md §7.3); the
 * bus messages they cause wait for the main loop: AVATAR|START came 14–72 ms later (transcripts.md part1 #51, #56).
 */
const AVATAR_EVENT_MS = 40;

export class Connection {
  /** A fresh avatar per connection (wire.md §9.2). */
  readonly link: LinkState = { enabled: false, model: undefined, autoLip: 'NO', audioMode: 'SNDSTRM' };
  readonly audio: SimAudioCounters = { chunks: 0, bytes: 0, ms: 0, discardedBytes: 0, breaks: 0 };
  /** Timers that die with the connection. */
  readonly timers: TimerSet = new Set();
  readonly outbox: Outbox;
  gone = false;
  private readonly reader: FrameReader;
  private idleTimer: (() => void) | undefined;
  private idle = false;
  private held: Buffer | undefined;

  constructor(
    private readonly host: ConnectionHost,
    readonly socket: Socket,
    readonly path: string,
    onSent: (text: string) => void,
  ) {
    this.reader = new FrameReader(
      (opcode, payload) => this.onFrame(opcode, payload),
      (header) => this.acceptFrame(header),
    );
    this.outbox = new Outbox(
      socket,
      FLUSH_GAP_MS * host.clock.timeScale,
      () => !this.gone && host.status !== 'hung',
      onSent,
    );
  }

  listen(): void {
    this.socket.on('data', (chunk: Buffer) => {
      if (this.gone) return;
      // Bytes held back since the handshake go first, now that a read wakes the thread (receiveHead).
      const held = this.held;
      this.held = undefined;
      this.reader.push(held ? Buffer.concat([held, chunk]) : chunk);
    });
    this.socket.on('error', () => {}); // a 'close' follows; MMDAgent-EX just sees the connection gone
    this.socket.on('close', () => this.host.lost(this, 'the server closed the TCP connection'));
  }

  /**
   * `head`: bytes that came in the same read as the 101. POCO keeps them in its session buffer,
   * where the thread's select() on the socket cannot see them, so they wait until more bytes
   * arrive (wire.md §3.4; through a TCP relay the real app dispatched such a frame only at the next
   * frame, real-client/session-2026-12.md "Early-frame hold-back").
   */
  receiveHead(head: Buffer): void {
    if (head.length > 0) this.held = head;
  }

  /** Drops TCP without a close frame (wire.md §4.4, §5.3); nothing more is sent or received. */
  drop(): void {
    this.gone = true;
    this.outbox.close();
    clearTimers(this.timers);
    this.socket.destroy();
  }

  /** The Remote thread hung: it reads and writes nothing more, and its timers stop. */
  hang(): void {
    this.outbox.close();
    clearTimers(this.timers);
  }

  after(ms: number, fn: () => void): () => void {
    return this.host.clock.after(ms, fn, this.timers);
  }

  /** POCO refuses a frame by its header when it exceeds 8191 − pending bytes (wire.md §6.5). */
  private acceptFrame(header: FrameHeader): boolean {
    const { host } = this;
    if (host.status === 'hung') return true;
    const room = MAX_FRAME_BYTES - host.parser.pendingBytes;
    if (header.length <= room) return true;
    const oversize = header.length > MAX_FRAME_BYTES;
    host.violate(
      oversize ? 'oversize-frame' : 'overflow',
      'wire.md §6.5',
      oversize
        ? `${header.length}-byte frame is over the ${MAX_FRAME_BYTES}-byte read window: MMDAgent-EX drops the ` +
            `connection and the frame`
        : `${header.length}-byte frame does not fit the ${room} bytes left beside ${host.parser.pendingBytes} ` +
            `pending: MMDAgent-EX drops the connection and the frame; the pending bytes stay`,
    );
    host.lost(this, 'frame too large');
    return false;
  }

  private onFrame(opcode: number, payload: Buffer): boolean {
    const { host } = this;
    if (this.gone) return false;
    host.events.emit('frame', { opcode, bytes: payload });
    // A hung Remote thread reads nothing more (wire.md §7.5).
    if (host.status === 'hung') return true;
    this.outbox.lastFrameAt = performance.now();
    if (opcode === OPCODE_PING) {
      // The pong carries the ping's payload, or one stale byte for an empty ping (wire.md §6.2).
      this.socket.write(encodeClientFrame(OPCODE_PONG, payload.length > 0 ? payload : Buffer.of(0)));
      return true;
    }
    if (opcode === OPCODE_PONG) return true;
    if (opcode === OPCODE_CLOSE) {
      if (payload.length === 0) {
        host.lost(this, 'close frame'); // receiveFrame returned 0 (wire.md §6.3)
        return false;
      }
      host.violate(
        'close-code',
        'wire.md §6.3',
        `close frame with a status code (${payload.length >= 2 ? payload.readUInt16BE(0) : 'partial'}): ` +
          `MMDAgent-EX does not answer it and reads the payload as text; close with an empty payload or drop TCP`,
      );
    }
    if (payload.length > 0) this.restartIdle();
    const wasIdle = this.idle;
    this.idle = false;
    for (const event of host.parser.pushFrame(payload)) {
      if (!this.onStreamEvent(event)) return false;
    }
    // AVATAR_EVENT_IDLE|STOP comes in the same flush as the echo, after it (transcripts.md finding 5).
    if (wasIdle) this.after(host.echoDelayMs, () => host.post({ type: 'AVATAR_EVENT_IDLE', args: ['STOP'] }));
    if (host.status === 'connected' && host.parser.state === 'stalled') host.setStatus('stalled');
    return !this.gone;
  }

  private onStreamEvent(event: StreamEvent): boolean {
    const { host } = this;
    switch (event.kind) {
      case 'line':
        return this.onLine(event.line, event.route, event.bytes);
      case 'audio':
        this.onAudio(event.bytes);
        return true;
      case 'control':
        if (event.word === 'SNDBRKS') this.audio.breaks++;
        else this.link.audioMode = event.word;
        host.events.emit('control', event.word);
        return true;
      case 'peer-disconnected':
        // Checked on the Remote thread before the frame is parsed (wire.md §10.4).
        host.behaviour.avatar.avatarControl(false, AVATAR_EVENT_MS);
        return true;
      case 'hazard': {
        const { kind, rule, message } = event.hazard;
        host.violate(kind, rule, message);
        if (kind === 'crash') {
          host.crash(this, new MmdError('ERR_SIM_KILLED', `the simulated MMDAgent-EX crashed: ${message}`));
          return false;
        }
        if (kind === 'hang') {
          this.hang();
          host.setStatus('hung');
          return false;
        }
        if (kind === 'stall') {
          host.setStatus('stalled');
          return true;
        }
        host.lost(this, kind); // empty-frame, oversize-frame, overflow
        return false;
      }
    }
  }

  /** `raw`: the line's bytes when they are not valid UTF-8 (they are dispatched and echoed as they are). */
  private onLine(line: string, route: 'message' | 'avatar', raw: Uint8Array | undefined): boolean {
    const { host } = this;
    const lineBytes = raw ?? Buffer.from(line);
    const bytes = lineBytes.length;
    if (raw) {
      host.violate(
        'invalid-utf8',
        'wire.md §7.5',
        'invalid UTF-8 in a line: MMDAgent-EX passes the bytes on (its echo is then invalid UTF-8, wire.md §5.1), ' +
          'and a character cut before the line end swallows the terminator, gluing the next line on; send only valid ' +
          'UTF-8',
      );
    }
    if (bytes > MAX_LINE_BYTES) {
      host.violate(
        'long-line',
        'wire.md §7.7',
        `${bytes}-byte line is over ${MAX_LINE_BYTES} bytes: it overflows MMDAgent-EX's 2048-byte buffers (its ` +
          `echo comes back cut); split the text`,
      );
      const bar = line.indexOf('|');
      const longest =
        bar < 0 ? bytes : Math.max(Buffer.byteLength(line.slice(0, bar)), Buffer.byteLength(line.slice(bar + 1)));
      if (longest >= CRASH_FIELD_BYTES) {
        host.violate(
          'crash',
          'wire.md §7.7',
          `a ${longest}-byte field overflows a 2048-byte stack buffer: the real app crashed ` +
            `(real-client/hazards.md (g2))`,
        );
        host.crash(this, new MmdError('ERR_SIM_KILLED', 'the simulated MMDAgent-EX crashed on an over-long line'));
        return false;
      }
    }
    if (route === 'avatar') {
      host.behaviour.avatar.line(line, AVATAR_EVENT_MS);
      return true;
    }
    host.dispatch(lineBytes);
    return true;
  }

  private onAudio(bytes: Uint8Array): void {
    const { host, audio } = this;
    audio.chunks++;
    if (bytes.length % 2 === 1) {
      host.violate(
        'odd-snd',
        'wire.md §8.1',
        `SND chunk of ${bytes.length} bytes: an odd length misaligns every later sample; send whole 16-bit samples`,
      );
    }
    const accepted = host.behaviour.avatar.audioAttached;
    if (accepted) {
      audio.bytes += bytes.length;
      audio.ms = (audio.bytes * 1000) / SND_BYTES_PER_SECOND;
    } else {
      audio.discardedBytes += bytes.length;
    }
    host.events.emit('audio', { bytes: bytes.length, accepted, totalMs: audio.ms });
  }

  /** Data frames reset the idle timer; 15 s without one gives AVATAR_EVENT_IDLE|START (wire.md §10.3). */
  restartIdle(): void {
    this.idleTimer?.();
    this.idleTimer = this.after(AVATAR_IDLE_MS, () => {
      this.idle = true;
      this.host.post({ type: 'AVATAR_EVENT_IDLE', args: ['START'] });
    });
  }
}

// A simulated MMDAgent-EX: a WebSocket client that behaves on the wire like the real one
// (protocol/wire.md, real-client/*), so a server can be tested without the C++ app, including
// the ways the real client fails. One StreamParser lives as long as the simulated process, as
// the real reassembly buffer does (wire.md §7.6).
import { MmdError } from '../errors.js';
import type { MmdErrorCode } from '../errors.js';
import {
  AV_MESSAGE_PREFIX,
  AVATAR_IDLE_MS,
  FLUSH_GAP_MS,
  MAX_AGENT_MESSAGE_BYTES,
  MAX_FRAME_BYTES,
  MAX_LINE_BYTES,
  RETRY_INTERVAL_MS,
  SND_BYTES_PER_SECOND,
  TOO_MANY_REQUESTS_RETRY_MS,
} from '../limits.js';
import type { SndControlWord } from '../limits.js';
import { parseMessage } from '../message.js';
import type { Message } from '../message.js';
import { parseAvatarLine } from '../avatar.js';
import { StreamParser } from '../stream-parser.js';
import type { HazardKind, StreamEvent, StreamParserState } from '../stream-parser.js';
import { Behaviour, DEFAULT_MODELS } from './sim-behaviour.js';
import type { BehaviourOptions, LinkState, SimHost } from './sim-behaviour.js';
import { EXAMPLE_STARTUP } from './sim-content.js';
import {
  AttemptFailure,
  FrameReader,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
  encodeClientFrame,
  handshake,
} from './sim-wire.js';
import type { FrameHeader } from './sim-wire.js';
import type { Socket } from 'node:net';

export type SimPlatform = 'linux' | 'windows';

/**
 * `connecting`/`reconnecting`: inside a connect series; `connected`; `stalled` (input no longer
 * dispatched, output goes on) and `hung` (no input, no output) while the socket stays open;
 * terminal: `stopped` (sim.stop()), `killed` (Linux build at a lost connection), `crashed`,
 * `gave-up` (a connect series failed).
 */
export type SimStatus =
  'connecting' | 'connected' | 'stalled' | 'hung' | 'reconnecting' | 'stopped' | 'killed' | 'crashed' | 'gave-up';

export type SimViolationKind =
  HazardKind | 'close-code' | 'invalid-utf8' | 'long-line' | 'odd-snd' | 'killed' | 'remote-disabled';

/** Something the real MMDAgent-EX would not survive (or not handle as the sender meant). */
export interface SimViolation {
  /** Where the rule is written, e.g. `wire.md §6.4`. */
  rule: string;
  kind: SimViolationKind;
  message: string;
  /** Milliseconds since the sim was created (wall clock). */
  at: number;
}

export interface SimOptions extends BehaviourOptions {
  /** ws://host:port/path of the server, as Plugin_Remote_Websocket_Host/Port/Directory. */
  url: string;
  /** Plugin_Remote_RetryCount: a connect series is 1 + retryCount attempts (default 3, as notes.md's content). */
  retryCount?: number;
  /** `linux` (default): the process dies at the first lost connection, as the real Linux build. `windows`: reconnects (wire.md §4). */
  platform?: SimPlatform;
  /** Factor applied to every simulated delay (echo, events, retry pauses, idle, flush gap); 0.01 makes tests 100× faster. Default 1. */
  timeScale?: number;
  /** `example`: send the start-up burst recorded from the example content on the first connection. Default `none`. */
  content?: 'example' | 'none';
  /** Delay from a received line to its echo (default 170 ms, the recorded median). */
  echoDelayMs?: number;
  /** Wall-clock limit of one handshake (not scaled; default 10 s). */
  handshakeTimeoutMs?: number;
}

export interface SimAudioCounters {
  /** SND chunks received on this connection. */
  chunks: number;
  /** Bytes of audio accepted (a model was attached). */
  bytes: number;
  /** Duration of the accepted audio (16 kHz, 16-bit mono: 32 bytes per ms). */
  ms: number;
  /** Bytes dropped because no model was attached (wire.md §8.3). */
  discardedBytes: number;
  /** SNDBRKS marks received. */
  breaks: number;
}

export interface SimState {
  status: SimStatus;
  /** The avatar of the live connection; undefined between connections. */
  avatar: LinkState | undefined;
  /** Audio counters of the current (or last) connection. */
  audio: SimAudioCounters;
  input: StreamParserState;
  pendingBytes: number;
  models: Record<string, { file: string; motions: string[] }>;
  values: Record<string, string>;
  keyValues: Record<string, string>;
  timers: string[];
  plugins: string[];
}

export interface SimAttempt {
  path: string;
  /** 0 for the first attempt of a series. */
  attempt: number;
  /** POCO's exception text when the attempt failed. */
  error?: string;
}

export interface SimEvents {
  /** A bus message the server injected (collapsed arguments, as MMDAgent-EX acts on it). */
  message: [msg: Message];
  /** Every frame received (control frames too), before it is processed. */
  frame: [frame: { opcode: number; bytes: Uint8Array }];
  /** Every message frame sent, as text (a frame cut at 2047 bytes has no `\n`). */
  sent: [text: string];
  violation: [violation: SimViolation];
  status: [status: SimStatus];
  audio: [chunk: { bytes: number; accepted: boolean; totalMs: number }];
  control: [word: SndControlWord];
  attempt: [attempt: SimAttempt];
  connect: [info: { path: string; connection: number }];
  disconnect: [info: { reason: string }];
  /** A terminal failure: ERR_SIM_GAVE_UP or ERR_SIM_KILLED. Never thrown. */
  error: [error: MmdError];
}

export interface SimOutcome {
  status: SimStatus;
  error?: MmdError;
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
const formatBus = (m: Message) => (m.args.length === 0 ? m.type : `${m.type}|${m.args.join('|')}`);
const two = (n: number) => String(n).padStart(2, '0');

/** Arguments beyond this are undefined behaviour in the real app; it survived 2090 bytes and crashed at 7990 (hazards.md (g), (g2)). */
const CRASH_FIELD_BYTES = 4096;
/**
 * `__AV_*` lines act at once on the Remote thread, in stream order with audio (wire.md §7.3); the
 * bus messages they cause wait for the main loop: AVATAR|START came 14–72 ms later (transcripts.md part1 #51, #56).
 */
const AVATAR_EVENT_MS = 40;
const CURRENT_TIME_MS = 30_000; // transcripts.md finding 5
const FIRST_CURRENT_TIME_MS = 400;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyListener = (...args: any[]) => void;

interface Connection {
  socket: Socket;
  reader: FrameReader;
  path: string;
  lastFrameAt: number;
  queue: Buffer[];
  flushTimer: ReturnType<typeof setTimeout> | undefined;
  idleTimer: (() => void) | undefined;
  idle: boolean;
  timers: Set<ReturnType<typeof setTimeout>>;
  gone: boolean;
}

export class Sim {
  readonly platform: SimPlatform;
  readonly retryCount: number;
  readonly timeScale: number;
  /** Every violation so far; `expect(sim.violations).to.deep.equal([])` asserts a clean run. */
  readonly violations: SimViolation[] = [];
  /** Every bus message the server injected, in dispatch order. */
  readonly received: Message[] = [];
  /** Every message frame sent to the server, as text. */
  readonly sent: string[] = [];
  /** Resolves (never rejects) when the sim has ended. */
  readonly done: Promise<SimOutcome>;

  private currentStatus: SimStatus = 'connecting';
  private connectionCount = 0;
  private conn: Connection | undefined;
  private link: LinkState | undefined;
  private audio: SimAudioCounters = { chunks: 0, bytes: 0, ms: 0, discardedBytes: 0, breaks: 0 };
  private readonly parser = new StreamParser();
  private readonly behaviour: Behaviour;
  private readonly listeners = new Map<keyof SimEvents, AnyListener[]>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly wakers = new Set<() => void>();
  private readonly abort = new AbortController();
  private readonly createdAt = performance.now();
  private readonly opts: SimOptions;
  private resolveDone!: (outcome: SimOutcome) => void;
  private started = false;

  constructor(opts: SimOptions) {
    const url = URL.canParse(String(opts?.url)) ? new URL(opts.url) : undefined;
    if (url?.protocol !== 'ws:') {
      throw new MmdError(
        'ERR_USAGE',
        `sim url must be ws://host:port/path (MMDAgent-EX uses TLS only on port 443), got ${String(opts?.url)}`,
      );
    }
    const retryCount = opts.retryCount ?? 3;
    const timeScale = opts.timeScale ?? 1;
    if (!Number.isInteger(retryCount) || retryCount < 0) {
      throw new MmdError('ERR_USAGE', `retryCount must be a whole number ≥ 0, got ${retryCount}`);
    }
    if (!(timeScale > 0)) throw new MmdError('ERR_USAGE', `timeScale must be > 0, got ${timeScale}`);
    if (opts.platform !== undefined && opts.platform !== 'linux' && opts.platform !== 'windows') {
      throw new MmdError('ERR_USAGE', `platform must be 'linux' or 'windows', got ${String(opts.platform)}`);
    }
    this.opts = opts;
    this.platform = opts.platform ?? 'linux';
    this.retryCount = retryCount;
    this.timeScale = timeScale;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const sim = this; // the host's `link` getter reads the live connection's avatar
    const host: SimHost = {
      post: (m) => this.post(m),
      after: (ms, fn, scope) => this.after(ms, fn, scope === 'connection' ? this.conn?.timers : undefined),
      get link() {
        return sim.link;
      },
      now: () => (performance.now() - this.createdAt) / this.timeScale,
      remoteDisabled: () => this.remoteDisabled(),
    };
    this.behaviour = new Behaviour(host, { ...opts, models: opts.models ?? DEFAULT_MODELS });
    if (opts.models === undefined) {
      // The example content's model `0` runs a looping base motion (transcripts.md part1 #0).
      this.behaviour.models.get('0')?.motions.set('base', { file: 'motions/wait/01_Wait.vmd', once: false });
    }
    const kv = this.behaviour.keyValues;
    kv.set('Plugin_Remote_Websocket_Host', url.hostname.replace(/^\[|\]$/g, ''));
    kv.set('Plugin_Remote_Websocket_Port', url.port || '80');
    kv.set('Plugin_Remote_Websocket_Directory', `${url.pathname}${url.search}`);
    kv.set('Plugin_Remote_RetryCount', String(retryCount));
  }

  get status(): SimStatus {
    return this.currentStatus;
  }

  /** Connections made so far (reconnects included). */
  get connections(): number {
    return this.connectionCount;
  }

  /** Path of the live connection (after `Too Many Requests` renaming), if any. */
  get path(): string | undefined {
    return this.conn?.path;
  }

  get state(): SimState {
    const b = this.behaviour;
    const models: SimState['models'] = {};
    for (const [alias, m] of b.models) models[alias] = { file: m.file, motions: [...m.motions.keys()] };
    return {
      status: this.currentStatus,
      avatar: this.link && { ...this.link },
      audio: { ...this.audio },
      input: this.parser.state,
      pendingBytes: this.parser.pendingBytes,
      models,
      values: Object.fromEntries(b.values),
      keyValues: Object.fromEntries(b.keyValues),
      timers: [...b.timers.keys()],
      plugins: [...b.plugins],
    };
  }

  on<K extends keyof SimEvents>(event: K, cb: (...args: SimEvents[K]) => void): () => void {
    const list = this.listeners.get(event) ?? [];
    this.listeners.set(event, [...list, cb as AnyListener]);
    return () =>
      this.listeners.set(
        event,
        (this.listeners.get(event) ?? []).filter((l) => l !== cb),
      );
  }

  /**
   * The next bus message from the server that matches (type or predicate). Rejects with
   * ERR_TIMEOUT after `timeoutMs` (wall clock, default 5000) and with the sim's terminal error
   * (or ERR_CLOSED after stop()) when the sim ends first.
   */
  waitFor(
    match: string | ((m: Message) => boolean),
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Message> {
    const test = typeof match === 'string' ? (m: Message) => m.type === match : match;
    const what = typeof match === 'string' ? match : 'a matching message';
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        offMessage();
        offStatus();
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (code: MmdErrorCode, message: string) => {
        cleanup();
        reject(new MmdError(code, message));
      };
      const onAbort = () => fail('ERR_ABORTED', `waitFor(${what}) was aborted`);
      const timeoutMs = opts.timeoutMs ?? 5000;
      const timer = setTimeout(
        () =>
          fail(
            'ERR_TIMEOUT',
            `no ${what} from the server within ${timeoutMs} ms; check that the server sends it, or raise timeoutMs`,
          ),
        timeoutMs,
      );
      const offMessage = this.on('message', (m) => {
        if (!test(m)) return;
        cleanup();
        resolve(m);
      });
      const onEnd = () => {
        if (!this.ended) return;
        const code =
          this.currentStatus === 'gave-up'
            ? 'ERR_SIM_GAVE_UP'
            : this.currentStatus === 'stopped'
              ? 'ERR_CLOSED'
              : 'ERR_SIM_KILLED';
        fail(code, `the simulated MMDAgent-EX ended (${this.currentStatus}) while waiting for ${what}`);
      };
      const offStatus = this.on('status', onEnd);
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort);
      onEnd();
    });
  }

  /**
   * Puts a message on the simulated bus, as if MMDAgent-EX (a recognizer, a plugin, the user)
   * produced it: it is sent to the server and, if it is a command, acted on here too.
   */
  emit(message: string | Message): void {
    const m = typeof message === 'string' ? parseMessage(message) : message;
    if (typeof m !== 'object' || m === null || typeof m.type !== 'string' || m.type === '' || !Array.isArray(m.args)) {
      throw new MmdError(
        'ERR_BAD_INPUT',
        'sim.emit takes a line such as "RECOG_EVENT_STOP|hello" or a { type, args } message',
      );
    }
    this.post({ type: m.type, args: m.args.map(String) });
  }

  /** Connects (the first series of wire.md §4.1). Rejects with ERR_SIM_GAVE_UP when it fails. */
  async start(): Promise<void> {
    if (this.started)
      throw new MmdError('ERR_USAGE', 'sim.start() was already called; create a new Sim to connect again');
    this.started = true;
    this.tick(FIRST_CURRENT_TIME_MS);
    const ok = await this.series();
    if (ok && !this.ended) return;
    if (this.currentStatus === 'stopped')
      throw new MmdError('ERR_CLOSED', 'sim.stop() was called before the first connection was up');
    const outcome = await this.done;
    throw outcome.error ?? new MmdError('ERR_SIM_GAVE_UP', 'the simulated MMDAgent-EX did not connect');
  }

  /** Ends the simulated process: the TCP connection is dropped without a close frame, as MMDAgent-EX does (wire.md §5.3). */
  async stop(): Promise<void> {
    const socket = this.conn?.socket;
    this.finish('stopped');
    if (socket && !socket.closed) await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  }

  // ---- connecting (wire.md §4) ----

  private get ended(): boolean {
    const s = this.currentStatus;
    return s === 'stopped' || s === 'killed' || s === 'crashed' || s === 'gave-up';
  }

  private fire<K extends keyof SimEvents>(event: K, ...args: SimEvents[K]): void {
    for (const cb of this.listeners.get(event) ?? []) {
      try {
        cb(...args);
      } catch (err) {
        process.emitWarning(`a sim '${event}' listener threw: ${String(err)}`);
      }
    }
  }

  private setStatus(status: SimStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.fire('status', status);
  }

  /** One connect series; the target is re-read from the key-value store at each series (wire.md §2). */
  private async series(): Promise<boolean> {
    const kv = this.behaviour.keyValues;
    const host = kv.get('Plugin_Remote_Websocket_Host') ?? 'localhost';
    const port = Number.parseInt(kv.get('Plugin_Remote_Websocket_Port') ?? '80', 10) || 0;
    let path = kv.get('Plugin_Remote_Websocket_Directory') ?? '/';
    let lastError = '';
    for (let attempt = 0; attempt <= this.retryCount; attempt++) {
      if (this.ended) return false;
      try {
        const { socket, head } = await handshake(
          { host, port, path },
          this.opts.handshakeTimeoutMs ?? 10_000,
          this.abort.signal,
        );
        if (this.ended) {
          socket.destroy();
          return false;
        }
        this.fire('attempt', { path, attempt });
        this.attach(socket, head, path);
        return true;
      } catch (err) {
        if (this.ended) return false;
        const failure = err instanceof AttemptFailure ? err : new AttemptFailure(String(err));
        lastError = failure.message;
        this.fire('attempt', { path, attempt, error: failure.message });
        if (attempt === this.retryCount) break;
        // `Too Many Requests`: retry on `<path>-N`, N = the overall retry counter (wire.md §4.3).
        if (failure.tooManyRequests) path = `${path}-${attempt + 1}`;
        await this.sleep(failure.tooManyRequests ? TOO_MANY_REQUESTS_RETRY_MS : RETRY_INTERVAL_MS);
      }
    }
    if (this.ended) return false;
    this.finish(
      'gave-up',
      new MmdError(
        'ERR_SIM_GAVE_UP',
        `the simulated MMDAgent-EX gave up after ${this.retryCount + 1} attempt(s) to ws://${host}:${port}${path} (last: ${lastError}); start the server first or raise retryCount — the real app never retries after this (wire.md §4.2)`,
      ),
    );
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.wakers.delete(wake);
        resolve();
      };
      this.wakers.add(wake);
      this.after(ms, wake);
    });
  }

  private attach(socket: Socket, head: Buffer, path: string): void {
    const conn: Connection = {
      socket,
      path,
      reader: new FrameReader(
        (opcode, payload) => this.onFrame(conn, opcode, payload),
        (header) => this.acceptFrame(conn, header),
      ),
      lastFrameAt: -Infinity,
      queue: [],
      flushTimer: undefined,
      idleTimer: undefined,
      idle: false,
      timers: new Set(),
      gone: false,
    };
    this.conn = conn;
    this.connectionCount++;
    // A fresh Avatar and lip-sync thread per connection (wire.md §9.2).
    this.link = { enabled: false, model: undefined, autoLip: 'NO', audioMode: 'SNDSTRM' };
    this.audio = { chunks: 0, bytes: 0, ms: 0, discardedBytes: 0, breaks: 0 };
    socket.on('data', (chunk: Buffer) => {
      if (!conn.gone) conn.reader.push(chunk);
    });
    socket.on('error', () => {}); // a 'close' follows; MMDAgent-EX just sees the connection gone
    socket.on('close', () => this.lost(conn, 'the server closed the TCP connection'));
    this.setStatus(this.parser.state === 'ok' ? 'connected' : this.parser.state === 'stalled' ? 'stalled' : 'hung');
    if (conn.gone || this.ended) return; // a 'status' listener stopped the sim
    this.restartIdle(conn);
    this.fire('connect', { path, connection: this.connectionCount });
    if (conn.gone || this.ended) return; // a 'connect' listener stopped the sim
    if (this.connectionCount === 1 && this.opts.content === 'example') this.startupBurst();
    if (head.length > 0) conn.reader.push(head);
  }

  /** The connection is gone (TCP closed, empty frame, oversize frame...): wire.md §4.4, notes.md on Linux. */
  private lost(conn: Connection, reason: string): void {
    if (conn.gone) return;
    this.dropSocket(conn);
    if (this.ended) return;
    this.fire('disconnect', { reason });
    // A hung Remote thread never notices the drop (wire.md §11).
    if (this.currentStatus === 'hung') return;
    if (this.platform === 'linux') {
      this.violate(
        'killed',
        'real-client/notes.md "Disconnect on the real Linux build"',
        `connection lost (${reason}): the real Linux build is SIGKILLed at every lost connection; keep the agent's connection up`,
      );
      this.finish(
        'killed',
        new MmdError(
          'ERR_SIM_KILLED',
          `the simulated MMDAgent-EX (linux) was killed: connection lost (${reason}); the real Linux build dies at every lost connection`,
        ),
      );
      return;
    }
    this.setStatus('reconnecting');
    this.series().catch((err: unknown) =>
      this.finish(
        'gave-up',
        new MmdError('ERR_SIM_GAVE_UP', `the simulated MMDAgent-EX could not reconnect: ${String(err)}`, {
          cause: err,
        }),
      ),
    );
  }

  private dropSocket(conn: Connection): void {
    conn.gone = true;
    clearTimeout(conn.flushTimer);
    for (const t of conn.timers) clearTimeout(t);
    conn.timers.clear();
    conn.socket.destroy(); // no close frame (wire.md §4.4, §5.3)
    if (this.conn === conn) {
      this.conn = undefined;
      this.link = undefined;
    }
  }

  private finish(status: SimStatus, error?: MmdError): void {
    if (this.ended) return;
    if (this.conn) this.dropSocket(this.conn);
    this.abort.abort();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of [...this.wakers]) wake();
    this.setStatus(status);
    if (error) this.fire('error', error);
    this.resolveDone(error ? { status, error } : { status });
  }

  private remoteDisabled(): void {
    const conn = this.conn;
    this.violate(
      'remote-disabled',
      'wire.md §12',
      'PLUGIN_DISABLE|Remote ends the network thread for good; the real app cannot be reconnected remotely',
    );
    if (!conn) return;
    if (this.platform === 'linux') return this.lost(conn, 'PLUGIN_DISABLE|Remote');
    // The process lives on, but no connection will ever come again: a failure, not a stop().
    this.finish(
      'gave-up',
      new MmdError(
        'ERR_SIM_GAVE_UP',
        'PLUGIN_DISABLE|Remote ended the network thread for good: MMDAgent-EX stays up but never reconnects; restart it, and never send PLUGIN_DISABLE|Remote (wire.md §12)',
      ),
    );
  }

  // ---- receiving (wire.md §6, §7) ----

  /** POCO refuses a frame by its header when it exceeds 8191 − pending bytes (wire.md §6.5). */
  private acceptFrame(conn: Connection, header: FrameHeader): boolean {
    if (this.currentStatus === 'hung') return true;
    const room = MAX_FRAME_BYTES - this.parser.pendingBytes;
    if (header.length <= room) return true;
    const oversize = header.length > MAX_FRAME_BYTES;
    this.violate(
      oversize ? 'oversize-frame' : 'overflow',
      'wire.md §6.5',
      oversize
        ? `${header.length}-byte frame is over the ${MAX_FRAME_BYTES}-byte read window: MMDAgent-EX drops the connection and the frame`
        : `${header.length}-byte frame does not fit the ${room} bytes left beside ${this.parser.pendingBytes} pending: MMDAgent-EX drops the connection and the frame; the pending bytes stay`,
    );
    this.lost(conn, 'frame too large');
    return false;
  }

  private onFrame(conn: Connection, opcode: number, payload: Buffer): boolean {
    if (conn.gone) return false;
    this.fire('frame', { opcode, bytes: payload });
    // A hung Remote thread reads nothing more (wire.md §7.5).
    if (this.currentStatus === 'hung') return true;
    conn.lastFrameAt = performance.now();
    if (opcode === OPCODE_PING) {
      // The pong carries the ping's payload, or one stale byte for an empty ping (wire.md §6.2).
      conn.socket.write(encodeClientFrame(OPCODE_PONG, payload.length > 0 ? payload : Buffer.of(0)));
      return true;
    }
    if (opcode === OPCODE_PONG) return true;
    if (opcode === OPCODE_CLOSE) {
      if (payload.length === 0) {
        this.lost(conn, 'close frame'); // receiveFrame returned 0 (wire.md §6.3)
        return false;
      }
      this.violate(
        'close-code',
        'wire.md §6.3',
        `close frame with a status code (${payload.length >= 2 ? payload.readUInt16BE(0) : 'partial'}): MMDAgent-EX does not answer it and reads the payload as text; close with an empty payload or drop TCP`,
      );
    }
    if (payload.length > 0) this.restartIdle(conn);
    const wasIdle = conn.idle;
    conn.idle = false;
    for (const event of this.parser.pushFrame(payload)) {
      if (!this.handleStreamEvent(conn, event)) return false;
    }
    // AVATAR_EVENT_IDLE|STOP comes in the same flush as the echo, after it (transcripts.md finding 5).
    if (wasIdle) this.afterConn(conn, this.echoDelay, () => this.post({ type: 'AVATAR_EVENT_IDLE', args: ['STOP'] }));
    if (this.currentStatus === 'connected' && this.parser.state === 'stalled') this.setStatus('stalled');
    return !conn.gone;
  }

  private handleStreamEvent(conn: Connection, event: StreamEvent): boolean {
    switch (event.kind) {
      case 'line':
        return this.onLine(conn, event.line, event.route, event.bytes);
      case 'audio':
        this.onAudio(event.bytes);
        return true;
      case 'control':
        if (event.word === 'SNDBRKS') this.audio.breaks++;
        else if (this.link) this.link.audioMode = event.word;
        this.fire('control', event.word);
        return true;
      case 'peer-disconnected':
        // Checked on the Remote thread before the frame is parsed (wire.md §10.4).
        this.behaviour.avatarControl(false, AVATAR_EVENT_MS);
        return true;
      case 'hazard': {
        const { kind, rule, message } = event.hazard;
        this.violate(kind, rule, message);
        if (kind === 'crash') {
          this.dropSocket(conn);
          this.finish('crashed', new MmdError('ERR_SIM_KILLED', `the simulated MMDAgent-EX crashed: ${message}`));
          return false;
        }
        if (kind === 'hang') {
          clearTimeout(conn.flushTimer);
          for (const t of conn.timers) clearTimeout(t);
          this.setStatus('hung');
          return false;
        }
        if (kind === 'stall') {
          this.setStatus('stalled');
          return true;
        }
        this.lost(conn, kind); // empty-frame, oversize-frame, overflow
        return false;
      }
    }
  }

  /** `raw`: the line's bytes when they are not valid UTF-8 (they are dispatched and echoed as they are). */
  private onLine(conn: Connection, line: string, route: 'message' | 'avatar', raw: Uint8Array | undefined): boolean {
    const lineBytes = raw ?? Buffer.from(line);
    const bytes = lineBytes.length;
    if (raw) {
      this.violate(
        'invalid-utf8',
        'wire.md §7.5',
        'invalid UTF-8 in a line: MMDAgent-EX passes the bytes on (its echo is then invalid UTF-8, wire.md §5.1), and a character cut before the line end swallows the terminator, gluing the next line on; send only valid UTF-8',
      );
    }
    if (bytes > MAX_LINE_BYTES) {
      this.violate(
        'long-line',
        'wire.md §7.7',
        `${bytes}-byte line is over ${MAX_LINE_BYTES} bytes: it overflows MMDAgent-EX's 2048-byte buffers (its echo comes back cut); split the text`,
      );
      const bar = line.indexOf('|');
      const longest =
        bar < 0 ? bytes : Math.max(Buffer.byteLength(line.slice(0, bar)), Buffer.byteLength(line.slice(bar + 1)));
      if (longest >= CRASH_FIELD_BYTES) {
        this.violate(
          'crash',
          'wire.md §7.7',
          `a ${longest}-byte field overflows a 2048-byte stack buffer: the real app crashed (real-client/hazards.md (g2))`,
        );
        this.dropSocket(conn);
        this.finish(
          'crashed',
          new MmdError('ERR_SIM_KILLED', 'the simulated MMDAgent-EX crashed on an over-long line'),
        );
        return false;
      }
    }
    if (route === 'avatar') {
      this.onAvatarLine(line);
      return true;
    }
    // The line reaches the core on a later rendered frame; its echo and events go out then.
    this.after(this.echoDelay, () => this.dispatch(lineBytes));
    return true;
  }

  private onAvatarLine(line: string): void {
    const link = this.link;
    if (!link) return;
    const command = parseAvatarLine(line);
    switch (command.kind) {
      case 'start':
        return this.behaviour.setAvatar(true, AVATAR_EVENT_MS);
      case 'end':
        return this.behaviour.setAvatar(false, AVATAR_EVENT_MS);
      case 'setModel':
        link.model = command.alias;
        return;
      case 'disableAutoLip':
        link.autoLip = command.mode;
        return;
      default:
        return; // exmorph, action (no shapemap in the sim), unknown: nothing on the wire
    }
  }

  private onAudio(bytes: Uint8Array): void {
    this.audio.chunks++;
    if (bytes.length % 2 === 1) {
      this.violate(
        'odd-snd',
        'wire.md §8.1',
        `SND chunk of ${bytes.length} bytes: an odd length misaligns every later sample; send whole 16-bit samples`,
      );
    }
    const accepted = this.behaviour.audioAttached;
    if (accepted) {
      this.audio.bytes += bytes.length;
      this.audio.ms = (this.audio.bytes * 1000) / SND_BYTES_PER_SECOND;
    } else {
      this.audio.discardedBytes += bytes.length;
    }
    this.fire('audio', { bytes: bytes.length, accepted, totalMs: this.audio.ms });
  }

  /**
   * A line reaches the bus (wire.md §7.3): type up to the first `|`, arguments collapsed for the
   * core, and an echo that drops leading `|` but keeps empty fields (hazards.md (j)), byte for byte.
   */
  private dispatch(line: Uint8Array): void {
    const from = startsWith(line, AV_MESSAGE_PREFIX) ? AV_MESSAGE_PREFIX.length : 0;
    const fields = fieldsOf(line, from);
    if (fields.length === 0) return; // nothing but delimiters: no token, nothing dispatched
    const text = ([start, end]: [number, number]) => utf8.decode(line.subarray(start, end));
    const m: Message = { type: text(fields[0]), args: fields.slice(1).map(text) };
    // RECOG_RECORD* from a module other than the core are dropped entirely (wire.md §10.1).
    if (m.type.startsWith('RECOG_RECORD')) return;
    this.received.push(m);
    this.fire('message', m);
    const [typeStart, typeEnd] = fields[0];
    this.send(typeEnd + 1 < line.length ? line.subarray(typeStart) : line.subarray(typeStart, typeEnd));
    this.behaviour.handle(m);
  }

  /** Data frames reset the idle timer; 15 s without one gives AVATAR_EVENT_IDLE|START (wire.md §10.3). */
  private restartIdle(conn: Connection): void {
    conn.idleTimer?.();
    conn.idleTimer = this.afterConn(conn, AVATAR_IDLE_MS, () => {
      conn.idle = true;
      this.post({ type: 'AVATAR_EVENT_IDLE', args: ['START'] });
    });
  }

  // ---- sending (wire.md §5) ----

  private post(m: Message): void {
    if (this.ended) return;
    this.send(formatBus(m));
    this.behaviour.handle(m);
  }

  /** One message per text frame, `\n`-terminated, cut at 2047 bytes without `\n` (wire.md §5.1). */
  private send(message: string | Uint8Array): void {
    const conn = this.conn;
    // Nothing is queued while no connection exists (wire.md §3.4); a hung thread sends nothing.
    if (!conn || conn.gone || this.currentStatus === 'hung') return;
    const body =
      typeof message === 'string'
        ? Buffer.from(message)
        : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    const payload =
      body.length >= MAX_AGENT_MESSAGE_BYTES
        ? body.subarray(0, MAX_AGENT_MESSAGE_BYTES)
        : Buffer.concat([body, Buffer.of(0x0a)]);
    conn.queue.push(payload);
    if (conn.flushTimer === undefined) this.scheduleFlush(conn);
  }

  /**
   * The Remote thread flushes its queue only when 10 ms pass without an incoming frame
   * (wire.md §5.4). A sustained stream starves it with no bound but the stream's end
   * (hazards.md (p): the 1.08 s seen there ended at a gap in the sender's own timeline).
   */
  private scheduleFlush(conn: Connection): void {
    const now = performance.now();
    const gap = FLUSH_GAP_MS * this.timeScale;
    const due = conn.lastFrameAt + gap;
    conn.flushTimer = setTimeout(
      () => {
        conn.flushTimer = undefined;
        if (conn.gone || this.currentStatus === 'hung') return;
        const t = performance.now();
        if (t - conn.lastFrameAt < gap) {
          this.scheduleFlush(conn);
          return;
        }
        const frames = conn.queue;
        conn.queue = [];
        for (const payload of frames) {
          conn.socket.write(encodeClientFrame(OPCODE_TEXT, payload));
          const text = payload.toString('utf8');
          this.sent.push(text);
          this.fire('sent', text);
        }
      },
      Math.max(0, due - now),
    );
  }

  // ---- time ----

  private get echoDelay(): number {
    return this.opts.echoDelayMs ?? 170;
  }

  /** Runs `fn` after `ms` simulated ms; the timer is cancelled with its set (the sim's or a connection's). */
  private after(ms: number, fn: () => void, set?: Set<ReturnType<typeof setTimeout>>): () => void {
    // An ended sim arms nothing: a timer left behind (the 30 s CURRENT_TIME tick re-arms itself)
    // would keep the user's process alive after stop().
    if (this.ended) return () => {};
    const timers = set ?? this.timers;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms * this.timeScale);
    timers.add(timer);
    return () => {
      clearTimeout(timer);
      timers.delete(timer);
    };
  }

  private afterConn(conn: Connection, ms: number, fn: () => void): () => void {
    return this.after(ms, fn, conn.timers);
  }

  /** CURRENT_TIME|HH|MM about every 30 s (transcripts.md finding 5); sent only while connected. */
  private tick(ms: number): void {
    this.after(ms, () => {
      const now = new Date();
      this.post({ type: 'CURRENT_TIME', args: [two(now.getHours()), two(now.getMinutes())] });
      this.tick(CURRENT_TIME_MS);
    });
  }

  /** The example content's start-up traffic with its recorded timing (transcripts.md part1 #0). */
  private startupBurst(): void {
    for (const [ms, line] of EXAMPLE_STARTUP) this.after(ms, () => this.send(line));
  }

  private violate(kind: SimViolationKind, rule: string, message: string): void {
    const violation: SimViolation = { rule, kind, message, at: Math.round(performance.now() - this.createdAt) };
    this.violations.push(violation);
    this.fire('violation', violation);
  }
}

/** Creates a simulated MMDAgent-EX and waits for its first connection (rejects with ERR_SIM_GAVE_UP). */
export async function startSim(opts: SimOptions): Promise<Sim> {
  const sim = new Sim(opts);
  await sim.start();
  return sim;
}

// A simulated MMDAgent-EX: a WebSocket client that behaves on the wire like the real one
// (protocol/wire.md, real-client/*), so a server can be tested without the C++ app, including
// the ways the real client fails. One StreamParser lives as long as the simulated process, as
// the real reassembly buffer does (wire.md §7.6). This file is the process: its life, its
// connect series and its bus; connection.ts receives, outbox.ts sends, behaviours/ answer.
import type { Socket } from 'node:net';
import { Emitter } from '../../emitter.js';
import { MmdError, isMmdError } from '../../errors.js';
import { RETRY_INTERVAL_MS, TOO_MANY_REQUESTS_RETRY_MS } from '../../limits.js';
import { parseMessage } from '../../message.js';
import type { Message } from '../../message.js';
import { StreamParser } from '../../stream-parser.js';
import { waitFor as waitOn } from '../../wait.js';
import { Behaviour, DEFAULT_MODELS } from './behaviours/index.js';
import type { LinkState, SimHost } from './behaviours/index.js';
import { Clock } from './clock.js';
import { checkOptions } from './options.js';
import { Connection, busLine } from './connection.js';
import type { ConnectionHost } from './connection.js';
import { EXAMPLE_STARTUP } from './content.js';
import type {
  SimAudioCounters,
  SimEvents,
  SimOptions,
  SimOutcome,
  SimPlatform,
  SimState,
  SimStatus,
  SimViolation,
  SimViolationKind,
} from './types.js';
import { AttemptFailure, TLS_PORT, handshake } from './wire.js';

export type * from './types.js';

const formatBus = (m: Message) => (m.args.length === 0 ? m.type : `${m.type}|${m.args.join('|')}`);
const two = (n: number) => String(n).padStart(2, '0');
const CURRENT_TIME_MS = 30_000; // transcripts.md finding 5
const FIRST_CURRENT_TIME_MS = 400;
const TERMINAL: ReadonlySet<SimStatus> = new Set(['stopped', 'killed', 'crashed', 'gave-up']);

/**
 * The one emitter's rule for a listener that throws: its error goes to 'error' listeners. The
 * sim's 'error' carries MmdErrors, so a listener's own error arrives wrapped (its `cause`).
 */
class SimEmitter extends Emitter<SimEvents> {
  override emit<K extends keyof SimEvents>(event: K, ...args: SimEvents[K]): void {
    if (event === 'error' && !isMmdError(args[0])) {
      const err = args[0];
      const wrapped = new MmdError('ERR_USAGE', `a sim listener threw: ${String(err)}; fix the listener`, {
        cause: err,
      });
      return super.emit('error', wrapped);
    }
    super.emit(event, ...args);
  }
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
  private audio: SimAudioCounters = { chunks: 0, bytes: 0, ms: 0, discardedBytes: 0, breaks: 0 };
  private readonly parser = new StreamParser();
  private readonly behaviour: Behaviour;
  private readonly events = new SimEmitter();
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private readonly opts: SimOptions;
  private readonly connectionHost: ConnectionHost;
  private resolveDone!: (outcome: SimOutcome) => void;
  private started = false;
  /** Bus messages waiting for the main loop (loop()). */
  private readonly queue: Array<{ text: string | Uint8Array; message: Message }> = [];
  private looping = false;
  /** Lines received while the start-up burst runs: the app reads them only after it (session-2026-12.md). */
  private booting: Array<{ line: Uint8Array; at: number }> | undefined;

  constructor(opts: SimOptions) {
    const checked = checkOptions(opts);
    this.opts = opts;
    this.platform = checked.platform;
    this.retryCount = checked.retryCount;
    this.timeScale = checked.timeScale;
    this.clock = new Clock(checked.timeScale, () => this.ended);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    // The getters below read the live connection and status through these arrows.
    const link = () => this.link;
    const status = () => this.currentStatus;
    const host: SimHost = {
      post: (m) => this.post(m),
      after: (ms, fn, scope) =>
        this.clock.after(ms, () => this.loop(fn), scope === 'connection' ? this.conn?.timers : undefined),
      get link() {
        return link();
      },
      now: () => this.clock.now(),
      remoteDisabled: () => this.remoteDisabled(),
    };
    this.behaviour = new Behaviour(host, { ...opts, models: opts.models ?? DEFAULT_MODELS });
    const world = this.behaviour.world;
    if (opts.models === undefined) {
      // The example content's model `0` runs a looping base motion (transcripts.md part1 #0).
      world.models.get('0')?.motions.set('base', { file: 'motions/wait/01_Wait.vmd', once: false });
    }
    const kv = world.keyValues;
    kv.set('Plugin_Remote_Websocket_Host', checked.host);
    kv.set('Plugin_Remote_Websocket_Port', checked.port);
    kv.set('Plugin_Remote_Websocket_Directory', checked.directory);
    kv.set('Plugin_Remote_RetryCount', String(checked.retryCount));
    this.connectionHost = {
      parser: this.parser,
      behaviour: this.behaviour,
      clock: this.clock,
      events: this.events,
      get status() {
        return status();
      },
      echoDelayMs: opts.echoDelayMs ?? 170,
      setStatus: (s) => this.setStatus(s),
      violate: (kind, rule, message) => this.violate(kind, rule, message),
      lost: (conn, reason) => this.lost(conn, reason),
      crash: (conn, error) => {
        this.dropSocket(conn);
        this.finish('crashed', error);
      },
      dispatch: (line) => this.dispatchLater(line),
      post: (m) => this.post(m),
    };
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
    const w = this.behaviour.world;
    const models: SimState['models'] = {};
    for (const [alias, m] of w.models) models[alias] = { file: m.file, motions: [...m.motions.keys()] };
    return {
      status: this.currentStatus,
      avatar: this.link && { ...this.link },
      audio: { ...(this.conn?.audio ?? this.audio) },
      input: this.parser.state,
      pendingBytes: this.parser.pendingBytes,
      models,
      values: Object.fromEntries(w.values),
      keyValues: Object.fromEntries(w.keyValues),
      timers: [...w.timers.keys()],
      plugins: [...w.plugins],
    };
  }

  on<K extends keyof SimEvents>(event: K, cb: (...args: SimEvents[K]) => void): () => void {
    return this.events.on(event, cb);
  }

  /**
   * The next bus message from the server that matches (type or predicate). Rejects with
   * ERR_TIMEOUT after `timeoutMs` (wall clock, default 30 s, Infinity for none), ERR_ABORTED on
   * the signal, and with the sim's terminal error (or ERR_CLOSED after stop()) when it ends first.
   */
  waitFor(
    match: string | ((m: Message) => boolean),
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Message> {
    const test = typeof match === 'string' ? (m: Message) => m.type === match : match;
    const what = `sim.waitFor(${typeof match === 'string' ? match : 'a matching message'})`;
    return waitOn<Message>((cb) => this.on('message', cb), test, {
      ...opts,
      what,
      closed: this.abort.signal,
      hint: 'check that the server sends it, or raise timeoutMs',
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
    // The example content's first CURRENT_TIME is part of its start-up burst (startupBurst()).
    if (this.opts.content !== 'example') this.tick(FIRST_CURRENT_TIME_MS);
    const ok = await this.series();
    if (ok && !this.ended) return;
    if (this.currentStatus === 'stopped')
      throw new MmdError('ERR_CLOSED', 'sim.stop() was called before the first connection was up');
    const outcome = await this.done;
    throw outcome.error ?? new MmdError('ERR_SIM_GAVE_UP', 'the simulated MMDAgent-EX did not connect');
  }

  /**
   * Ends the simulated process: the TCP connection is dropped without a close frame, as MMDAgent-EX does (wire.md
   * §5.3).
   */
  async stop(): Promise<void> {
    const socket = this.conn?.socket;
    this.finish('stopped');
    if (socket && !socket.closed) await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  }

  // ---- life ----

  private get ended(): boolean {
    return TERMINAL.has(this.currentStatus);
  }

  private get link(): LinkState | undefined {
    return this.conn?.link;
  }

  private setStatus(status: SimStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.events.emit('status', status);
  }

  private finish(status: SimStatus, error?: MmdError): void {
    if (this.ended) return;
    if (this.conn) this.dropSocket(this.conn);
    this.clock.stop();
    this.setStatus(status);
    if (error) this.events.emit('error', error);
    // Pending waits reject with the terminal error, or ERR_CLOSED after stop().
    this.abort.abort(
      error ??
        new MmdError('ERR_CLOSED', `the simulated MMDAgent-EX ended (${status}); start a new Sim to connect again`),
    );
    this.resolveDone(error ? { status, error } : { status });
  }

  private violate(kind: SimViolationKind, rule: string, message: string): void {
    const violation: SimViolation = { rule, kind, message, at: Math.round(this.clock.wallMs()) };
    this.violations.push(violation);
    this.events.emit('violation', violation);
  }

  // ---- connecting (wire.md §4) ----

  /** One connect series; the target is re-read from the key-value store at each series (wire.md §2). */
  private async series(): Promise<boolean> {
    const kv = this.behaviour.world.keyValues;
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
        this.events.emit('attempt', { path, attempt });
        this.attach(socket, head, path);
        return true;
      } catch (err) {
        if (this.ended) return false;
        const failure = err instanceof AttemptFailure ? err : new AttemptFailure(String(err));
        lastError = failure.message;
        this.events.emit('attempt', { path, attempt, error: failure.message });
        if (attempt === this.retryCount) break;
        // `Too Many Requests`: retry on `<path>-N`, N = the overall retry counter (wire.md §4.3).
        if (failure.tooManyRequests) path = `${path}-${attempt + 1}`;
        await this.clock.sleep(failure.tooManyRequests ? TOO_MANY_REQUESTS_RETRY_MS : RETRY_INTERVAL_MS);
      }
    }
    if (this.ended) return false;
    this.finish(
      'gave-up',
      new MmdError(
        'ERR_SIM_GAVE_UP',
        `the simulated MMDAgent-EX gave up after ${this.retryCount + 1} attempt(s) to ` +
          `${port === TLS_PORT ? 'wss' : 'ws'}://${host}:${port}${path} ` +
          `(last: ${lastError}); start the server first or raise retryCount — ` +
          `the real app never retries after this (wire.md §4.2)`,
      ),
    );
    return false;
  }

  private attach(socket: Socket, head: Buffer, path: string): void {
    const conn = new Connection(this.connectionHost, socket, path, (text) => {
      this.sent.push(text);
      this.events.emit('sent', text);
    });
    this.conn = conn;
    this.connectionCount++;
    this.audio = conn.audio;
    conn.listen();
    this.setStatus(this.parser.state === 'ok' ? 'connected' : this.parser.state === 'stalled' ? 'stalled' : 'hung');
    if (conn.gone || this.ended) return; // a 'status' listener stopped the sim
    conn.restartIdle();
    this.events.emit('connect', { path, connection: this.connectionCount });
    if (conn.gone || this.ended) return; // a 'connect' listener stopped the sim
    if (this.connectionCount === 1 && this.opts.content === 'example') this.startupBurst();
    conn.receiveHead(head);
  }

  /** The connection is gone (TCP closed, empty frame, oversize frame...): wire.md §4.4, notes.md on Linux. */
  private lost(conn: Connection, reason: string): void {
    if (conn.gone) return;
    this.dropSocket(conn);
    if (this.ended) return;
    this.events.emit('disconnect', { reason });
    // A hung Remote thread never notices the drop (wire.md §11).
    if (this.currentStatus === 'hung') return;
    if (this.platform === 'linux') {
      this.violate(
        'killed',
        'real-client/notes.md "Disconnect on the real Linux build"',
        `connection lost (${reason}): the real Linux build is SIGKILLed at every lost connection; keep the agent's ` +
          `connection up`,
      );
      this.finish(
        'killed',
        new MmdError(
          'ERR_SIM_KILLED',
          `the simulated MMDAgent-EX (linux) was killed: connection lost (${reason}); the real Linux build dies at ` +
            `every lost connection`,
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
    conn.drop();
    if (this.conn === conn) this.conn = undefined;
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
        'PLUGIN_DISABLE|Remote ended the network thread for good: MMDAgent-EX stays up but never reconnects; ' +
          'restart it, and never send PLUGIN_DISABLE|Remote (wire.md §12)',
      ),
    );
  }

  // ---- the bus ----

  /**
   * A line from the server reaches the core on a later rendered frame (the echo delay), or, while
   * the start-up burst runs, after the burst: the app's main loop is busy loading the model.
   */
  private dispatchLater(line: Uint8Array): void {
    const echoDelayMs = this.connectionHost.echoDelayMs;
    if (this.booting) this.booting.push({ line, at: this.clock.now() });
    else this.clock.after(echoDelayMs, () => this.dispatch(line));
  }

  /** A line from the server reaches the bus: echoed byte for byte, then acted on (wire.md §7.3). */
  private dispatch(line: Uint8Array): void {
    const bus = busLine(line);
    if (!bus) return;
    const m = bus.message;
    // RECOG_RECORD* from a module other than the core are dropped entirely (wire.md §10.1).
    if (m.type.startsWith('RECOG_RECORD')) return;
    this.loop(() => {
      this.received.push(m);
      this.events.emit('message', m);
      this.queue.push({ text: bus.echo, message: m });
    });
  }

  private post(m: Message): void {
    if (this.ended) return;
    this.loop(() => this.queue.push({ text: formatBus(m), message: m }));
  }

  /**
   * One turn of the app's main loop: what `fn` puts on the bus goes out and is acted on after it,
   * in order, and what that posts comes after it (a FIFO, as MMDAgent-EX's message queue). So a
   * TTS thread's SYNTH_EVENT_STOP posted right after its LIPSYNC_START goes out before the
   * LIPSYNC_EVENT_START the core answers it with (session-60-steps.real.json step 59).
   */
  private loop(fn: () => void): void {
    if (this.looping) return fn();
    this.looping = true;
    try {
      fn();
      for (let item = this.queue.shift(); item && !this.ended; item = this.queue.shift()) {
        this.send(item.text);
        this.behaviour.handle(item.message);
      }
    } finally {
      this.looping = false;
      this.queue.length = 0;
    }
  }

  private send(message: string | Uint8Array): void {
    const conn = this.conn;
    // Nothing is queued while no connection exists (wire.md §3.4); a hung thread sends nothing.
    if (!conn || conn.gone || this.currentStatus === 'hung') return;
    conn.outbox.push(message);
  }

  /** CURRENT_TIME|HH|MM about every 30 s (transcripts.md finding 5); sent only while connected. */
  private tick(ms: number): void {
    this.clock.after(ms, () => {
      this.postTime();
      this.tick(CURRENT_TIME_MS);
    });
  }

  private postTime(): void {
    const now = new Date();
    this.post({ type: 'CURRENT_TIME', args: [two(now.getHours()), two(now.getMinutes())] });
  }

  /**
   * The example content's start-up traffic with its recorded timing (transcripts.md part1 #0),
   * ending with the first CURRENT_TIME. Lines the server sent meanwhile are read after it, so
   * their echoes come after the whole burst (session-2026-12.md "Start-up burst before anything else").
   */
  private startupBurst(): void {
    this.booting = [];
    for (const [ms, line] of EXAMPLE_STARTUP) this.clock.after(ms, () => this.send(line));
    const end = EXAMPLE_STARTUP.at(-1)![0];
    this.clock.after(end, () => {
      this.postTime();
      this.tick(CURRENT_TIME_MS);
      const waiting = this.booting ?? [];
      this.booting = undefined;
      const now = this.clock.now();
      const echoDelayMs = this.connectionHost.echoDelayMs;
      for (const { line, at } of waiting) {
        this.clock.after(Math.max(0, at + echoDelayMs - now), () => this.dispatch(line));
      }
    });
  }
}

/** Creates a simulated MMDAgent-EX and waits for its first connection (rejects with ERR_SIM_GAVE_UP). */
export async function startSim(opts: SimOptions): Promise<Sim> {
  const sim = new Sim(opts);
  await sim.start();
  return sim;
}

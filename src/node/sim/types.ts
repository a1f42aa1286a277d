// The simulator's public types (re-exported by `mmdagent-ex-remote/server`).
import type { MmdError } from '../../errors.js';
import type { SndControlWord } from '../../limits.js';
import type { Message } from '../../message.js';
import type { HazardKind, StreamParserState } from '../../stream-parser.js';
import type { BehaviourOptions, LinkState } from './behaviours/index.js';

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
  | HazardKind
  | 'close-code'
  | 'invalid-utf8'
  | 'long-line'
  | 'odd-snd'
  | 'killed'
  | 'remote-disabled'
  /** TCP server mode: one client's bytes glued to another's unfinished line (wire.md §14). */
  | 'interleaved';

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
  /**
   * ws://host:port/path of the server, as Plugin_Remote_Websocket_Host/Port/Directory; port 443
   * (wss://host/path) speaks TLS, as the app does, and wss:// with any other port is refused.
   */
  url: string;
  /** Plugin_Remote_RetryCount: a connect series is 1 + retryCount attempts (default 3, as notes.md's content). */
  retryCount?: number;
  /**
   * `linux` (default): the process dies at the first lost connection, as the real Linux build.
   * `windows`: reconnects (wire.md §4).
   */
  platform?: SimPlatform;
  /**
   * Factor applied to every simulated delay (echo, events, retry pauses, idle, flush gap); 0.01
   * makes tests 100× faster. Default 1.
   */
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

/**
 * The link's defaults and the shapes it takes and gives. Lifecycle defaults live in DEFAULTS
 * only; every one can be overridden per link or per call.
 */
import { FLUSH_GAP_MS, RETRY_INTERVAL_MS } from '../limits.js';
import type { Message } from '../message.js';
import type { KnownMessageType, MessageArgsMap } from '../catalog/types.js';
import { DEFAULT_WAIT_TIMEOUT_MS } from '../wait.js';
import type { AgentLink } from './agent-link.js';

export type { WaitOptions } from '../wait.js';

/** Lifecycle defaults, in one place. Every one can be overridden per link or per call. */
export const DEFAULTS = Object.freeze({
  /** connect(): time allowed for the WebSocket upgrade. */
  connectTimeoutMs: 10_000,
  /** waitFor(): time allowed for the awaited message (the simulator's waitFor uses it too). */
  waitTimeoutMs: DEFAULT_WAIT_TIMEOUT_MS,
  /** Reconnect back-off: first delay (MMDAgent-EX's own retry pause, wire.md §4.1), cap, growth. */
  reconnectMinDelayMs: RETRY_INTERVAL_MS,
  reconnectMaxDelayMs: 30_000,
  reconnectFactor: 2,
  /** Fraction of each delay that is randomised (0 = none, 1 = anywhere in [0, delay]). */
  reconnectJitter: 0.5,
  /** Reconnect attempts, counted since the last connection that stayed up, before the link closes for good. */
  reconnectMaxRetries: Infinity,
  /**
   * A connection must stay up this long before the attempt count starts again from 0: a server
   * that accepts and drops at once is redialled with growing delays, not every 250-500 ms forever.
   */
  reconnectMinUptimeMs: 5_000,
  /** send/sendAudio refuse while the socket already buffers more than this (≈ 32 s of audio). */
  maxBufferedBytes: 1_048_576,
  /** Messages an async iterator may hold unread before it fails with ERR_SLOW_CONSUMER. */
  iteratorBufferSize: 1024,
  /** sendAudio: audio kept queued ahead of real time, so playback never starves. */
  audioLeadMs: 200,
  /** sendAudio: least pause between chunks, above FLUSH_GAP_MS with room for timer jitter. */
  audioGapMs: FLUSH_GAP_MS + 5,
});

/** The part of the WHATWG WebSocket that AgentLink uses; `ws` and browsers both provide it. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message' | 'close' | 'error' | 'open', listener: (event: any) => void): void;
  removeEventListener(type: 'message' | 'close' | 'error' | 'open', listener: (event: any) => void): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** A message as received: the parsed fields plus the raw line. */
export interface IncomingMessage extends Message {
  /** The line as it arrived, without its `\n`. */
  line: string;
  /** The frame ended without `\n`: MMDAgent-EX cut the text at 2047 bytes (wire.md §5.1). */
  truncated: boolean;
}

/** An incoming message whose arguments are typed by the catalog (messages.md). */
export type TypedMessage<T extends KnownMessageType> = Omit<IncomingMessage, 'type' | 'args'> & {
  type: T;
  args: MessageArgsMap[T];
};

export interface LinkCloseEvent {
  code: number;
  reason: string;
  /** True when the link is about to reconnect; false when it is closed for good. */
  reconnecting: boolean;
}

export interface LinkEvents {
  message: (msg: IncomingMessage) => void;
  /** A reconnecting link has a new connection (setup already re-sent). */
  open: () => void;
  close: (event: LinkCloseEvent) => void;
  /** A listener threw. Without an 'error' listener the error is rethrown from a microtask. */
  error: (err: unknown) => void;
}

export interface ReconnectOptions {
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: number;
  maxRetries: number;
  /** How long a connection must stay up before the attempt count resets (DEFAULTS.reconnectMinUptimeMs). */
  minUptimeMs: number;
}

export interface AgentLinkOptions {
  /** Lines sent on every new connection: the per-connection state of wire.md §9 / §12.9. */
  setup?: readonly (Message | string)[];
  /**
   * Called by connect() after every (re)connection, after `setup`; re-send state here. If it
   * throws or rejects, that attempt failed: connect() rejects, and a reconnection closes the
   * socket and dials again (the error goes to 'error' listeners, if any).
   */
  onOpen?: (link: AgentLink) => void | Promise<void>;
  /**
   * Returns a new open socket after an unexpected drop; connect() sets it when `reconnect` is on.
   * `signal` aborts when the link is closed meanwhile: give up and close the half-open socket.
   */
  redial?: (signal: AbortSignal) => Promise<WebSocketLike>;
  reconnect?: Partial<ReconnectOptions>;
  waitTimeoutMs?: number;
  maxBufferedBytes?: number;
  iteratorBufferSize?: number;
}

export interface SendAudioOptions {
  /** false: send as fast as MMDAgent-EX's 60 s buffer allows (wire.md §8.3). Default true. */
  realtime?: boolean;
  /** How far ahead of real time the audio may run; overrides `realtime`. */
  leadMs?: number;
  /** Least pause between chunks; the default leaves MMDAgent-EX room to flush (wire.md §5.4). */
  gapMs?: number;
  chunkBytes?: number;
  signal?: AbortSignal;
}

export type Unsubscribe = () => void;

/**
 * The link's defaults and the shapes it takes and gives. Lifecycle defaults live in DEFAULTS
 * only; every one can be overridden per link or per call.
 */
import { FLUSH_GAP_MS, RETRY_INTERVAL_MS } from '../limits.js';
import type { Message } from '../message.js';
import type { KnownMessageType, MessageArgsMap } from '../catalog/types.js';
import { DEFAULT_WAIT_TIMEOUT_MS } from '../wait.js';
import {
  AUDIO_LEAD_MS,
  CONNECT_TIMEOUT_MS,
  ITERATOR_BUFFER_SIZE,
  MAX_BUFFERED_BYTES,
  RECONNECT_FACTOR,
  RECONNECT_JITTER,
  RECONNECT_MAX_DELAY_MS,
  RECONNECT_MAX_RETRIES,
  RECONNECT_MIN_UPTIME_MS,
} from './constants.js';
import type { AgentLink } from './agent-link.js';

export type { WaitOptions } from '../wait.js';

/** Lifecycle defaults, in one place. Every one can be overridden per link or per call. */
// One constant per default, so a bundle takes only those its code reads; DEFAULTS (the public,
// frozen view) is dropped from bundles that do not import it.
export const RECONNECT_MIN_DELAY_MS = RETRY_INTERVAL_MS;
export const AUDIO_GAP_MS = FLUSH_GAP_MS + 5;

export const DEFAULTS = /* @__PURE__ */ Object.freeze({
  connectTimeoutMs: CONNECT_TIMEOUT_MS,
  waitTimeoutMs: DEFAULT_WAIT_TIMEOUT_MS,
  reconnectMinDelayMs: RECONNECT_MIN_DELAY_MS,
  reconnectMaxDelayMs: RECONNECT_MAX_DELAY_MS,
  reconnectFactor: RECONNECT_FACTOR,
  reconnectJitter: RECONNECT_JITTER,
  reconnectMaxRetries: RECONNECT_MAX_RETRIES,
  reconnectMinUptimeMs: RECONNECT_MIN_UPTIME_MS,
  maxBufferedBytes: MAX_BUFFERED_BYTES,
  iteratorBufferSize: ITERATOR_BUFFER_SIZE,
  audioLeadMs: AUDIO_LEAD_MS,
  audioGapMs: AUDIO_GAP_MS,
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

/**
 * AgentLink: a message session over any open WebSocket-like object (browser WebSocket, `ws`,
 * isomorphic-ws). Only the WHATWG surface is used, so the same class serves MMDAgent-EX
 * connections on a Node server and controllers in a browser.
 *
 * Policies (also in the README):
 * - Incoming: every frame is one or more whole lines (wire.md §5.1). A frame whose last line
 *   lacks its `\n` is an echo MMDAgent-EX cut at 2047 bytes ("Verified" note 1): that line is
 *   delivered with `truncated: true` and never glued to the next frame. Binary frames are
 *   decoded as UTF-8 text too; invalid UTF-8 becomes U+FFFD instead of throwing (wire.md §5.1).
 *   Nothing a peer sends can throw: a line without a type (`||`) arrives with type ''.
 * - Messages are dispatched in order, one per macrotask (inbox.ts): a wait, an iterator or a
 *   listener set up in reaction to one message sees the next, however the peer batched them.
 * - Listeners follow the emitter's rules (emitter.ts): a throwing one stops no other; its error
 *   goes to 'error' listeners, or is rethrown from a microtask when there are none.
 * - Nothing is queued or dropped silently: send/sendAudio throw when the socket is not open
 *   (ERR_CLOSED) or holds more than `maxBufferedBytes` (ERR_BACKPRESSURE); an async iterator
 *   that falls `iteratorBufferSize` messages behind fails with ERR_SLOW_CONSUMER.
 * - Waits (waitFor, request, sendAudio, iterators) settle with ERR_CLOSED when the link closes
 *   for good, ERR_TIMEOUT, or ERR_ABORTED. A reconnecting link (connect with `reconnect`) keeps
 *   them across a dropped connection; only sendAudio fails then, because its audio belonged to
 *   the connection that died (wire.md §9.1).
 */
import { MmdError } from '../errors.js';
import type { Message } from '../message.js';
import type { KnownMessageType } from '../catalog/types.js';
import { Emitter, rethrowLater } from '../emitter.js';
import { DEFAULT_WAIT_TIMEOUT_MS, listen, sleep, waitFor as waitUntil, type WaitOptions } from '../wait.js';
import { AudioPacer } from './audio-pacer.js';
import { Inbox } from './inbox.js';
import { messageIterator } from './iterator.js';
import { ABNORMAL, CLOSING, ITERATOR_BUFFER_SIZE, MAX_BUFFERED_BYTES, NO_STATUS, OPEN } from './constants.js';
import {
  type AgentLinkOptions,
  type IncomingMessage,
  type LinkCloseEvent,
  type LinkEvents,
  type SendAudioOptions,
  type TypedMessage,
  type Unsubscribe,
  type WebSocketLike,
} from './options.js';
import { Backoff, checkReconnect } from './reconnect.js';
import { outgoingFrame, setupFrames } from './setup.js';

/**
 * Message types are keyed behind a `|`, which no type can contain: a peer's `close` line never reaches 'close'.
 * Waits and iterators listen too ('wait', 'feed', 'end'): one copy-on-write list for every taker of a message.
 */
type EventArgs = {
  message: [IncomingMessage];
  open: [];
  close: [LinkCloseEvent];
  error: [unknown];
  wait: [IncomingMessage];
  feed: [IncomingMessage];
  end: [unknown];
} & { [type: `|${string}`]: [IncomingMessage] };

/** Frames a client socket received between its 'open' and its AgentLink taking it over (connect.ts). */
export const HELD_FRAMES: unique symbol = Symbol();
/** Stops holding and returns the frames held. */
export type HeldFrames = () => { data: unknown }[];

const closedError = (what: string) => new MmdError('ERR_CLOSED', `${what}: closed; connect again to continue`);

export function ignore(): void {}

export class AgentLink implements AsyncIterable<IncomingMessage> {
  #socket: WebSocketLike | undefined;
  #opts: AgentLinkOptions;
  #setupFrames: string[];
  #events = new Emitter<EventArgs>();
  #inbox: Inbox;
  #final = false;
  /** Aborted, with the reason, when the link closes for good: ends every wait and a redial in progress. */
  #ended = new AbortController();
  #closedByUser = false;
  #pacer: AudioPacer;
  #backoff: Backoff | undefined;
  /** Removes this link's listeners from the current socket (they stay on a socket it let go of). */
  #unlisten = ignore;

  /** Wraps an OPEN socket; sends `setup` at once. Throws MmdError if a setup line is invalid. */
  constructor(socket: WebSocketLike, opts: AgentLinkOptions = {}) {
    if (socket.readyState !== OPEN) {
      throw new MmdError('ERR_CLOSED', "AgentLink needs an open socket: await its 'open'");
    }
    this.#opts = opts;
    this.#setupFrames = setupFrames(opts.setup);
    checkReconnect(opts.reconnect);
    if (opts.redial) this.#backoff = new Backoff(opts.reconnect);
    this.#inbox = new Inbox({
      wanted: () => {
        const e = this.#events;
        return !this.#final && e.count() - e.count('open') - e.count('close') - e.count('error') > 0;
      },
      // Who gets a message is decided before any listener runs: a waitFor, iterator or listener that
      // a listener starts is for the next message (the emitter's lists are copy on write).
      // Only ever right after wanted() said yes, with no code run in between.
      deliver: (msg) => {
        const e = this.#events;
        const [all, waits, feeds] = (['message', 'wait', 'feed'] as const).map((k) => e.prepare(k));
        e.emit(`|${msg.type}`, msg);
        all(msg);
        waits(msg);
        feeds(msg);
      },
      closed: (event, socket) => this.#onClosed(event, socket),
      // An error no listener threw: to 'error' listeners, or rethrown so it is not lost.
      error: (err) => this.#error(err, rethrowLater),
    });
    this.#pacer = new AudioPacer(
      () => this.#socket,
      (chunk) => this.#sendFrame(chunk),
      this.#ended.signal,
    );
    this.#attach(socket);
  }

  /** True while a connection is open and the link is not closed. */
  get connected(): boolean {
    return !this.#final && this.#socket?.readyState === OPEN;
  }

  /** True once the link is closed for good. */
  get closed(): boolean {
    return this.#final;
  }

  /** Milliseconds of sent audio still ahead of real time; wait this long before closing (wire.md §8.3). */
  get audioAheadMs(): number {
    return this.#pacer.ahead();
  }

  /**
   * Sends one validated line as one text frame, `\n` appended (wire.md §12.3-4). The frame of
   * sndControl() (a word with its `\n`) is taken as its word.
   */
  send(msg: Message | string): void {
    this.#sendFrame(outgoingFrame(msg));
  }

  /**
   * Sends `msg` and resolves with the first reply of one of the given types (or accepted by the
   * predicate). The wait is registered before the line goes out, so no reply can slip past; a
   * send that fails rejects the promise. Example: `await link.request(valueSet('x', '1'),
   * 'VALUE_EVENT_SET')`.
   */
  request<T extends KnownMessageType>(
    msg: Message | string,
    reply: T | readonly T[],
    opts?: WaitOptions,
  ): Promise<TypedMessage<T>>;
  request(msg: Message | string, reply: (m: IncomingMessage) => boolean, opts?: WaitOptions): Promise<IncomingMessage>;
  request(
    msg: Message | string,
    reply: string | readonly string[] | ((m: IncomingMessage) => boolean),
    opts: WaitOptions = {},
  ): Promise<IncomingMessage> {
    // Sent once the wait is registered, so no reply can slip past; a wait refused at once (closed
    // link, aborted signal, bad timeout) sends nothing.
    return this.#wait('request', reply, opts, (reject) => {
      try {
        this.send(msg);
      } catch (err) {
        reject(err);
      }
    });
  }

  /**
   * Sends SND chunks as binary frames, paced in real time unless told otherwise (wire.md §8).
   * Resolves when the last chunk is sent; `audioAheadMs` then says how long playback still runs.
   * Calls queue behind each other (one stream per connection), sharing the 60 s budget.
   */
  sendAudio(pcm16k: Int16Array | Uint8Array, opts: SendAudioOptions = {}): Promise<void> {
    return this.#pacer.send(pcm16k, opts);
  }

  /** Subscribes to a link event or to one message type; returns the unsubscribe function. */
  on<E extends keyof LinkEvents>(event: E, cb: LinkEvents[E]): Unsubscribe;
  on<T extends KnownMessageType>(type: T, cb: (msg: TypedMessage<T>) => void): Unsubscribe;
  on(name: string, cb: (arg: any) => void): Unsubscribe {
    const key = /^(message|open|close|error)$/.test(name) ? (name as keyof EventArgs) : (`|${name}` as const);
    return this.#events.on(key, cb as (arg?: any) => void);
  }

  /**
   * Resolves with the next message of that type (or matching the predicate) dispatched after
   * this call; one that came before is not seen. To send and wait in one step, use request().
   */
  waitFor<T extends KnownMessageType>(type: T, opts?: WaitOptions): Promise<TypedMessage<T>>;
  waitFor(match: (msg: IncomingMessage) => boolean, opts?: WaitOptions): Promise<IncomingMessage>;
  waitFor(match: string | ((msg: IncomingMessage) => boolean), opts: WaitOptions = {}): Promise<IncomingMessage> {
    return this.#wait('waitFor', match, opts);
  }

  /** A wait for the first message `test` accepts; `started` gets its reject once it is registered. */
  /** A wait for a message of one of the types, or one the predicate accepts; named `name(…)` in errors. */
  #wait(
    name: string,
    match: string | readonly string[] | ((m: IncomingMessage) => boolean),
    opts: WaitOptions,
    started?: (reject: (err: unknown) => void) => void,
  ): Promise<IncomingMessage> {
    const types = typeof match === 'function' ? undefined : [match].flat();
    const test = types ? (m: IncomingMessage) => types.includes(m.type) : (match as (m: IncomingMessage) => boolean);
    const options = {
      ...opts,
      what: `${name}(${types ? types.join(' | ') : 'predicate'})`,
      timeoutMs: opts.timeoutMs ?? this.#opts.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
      closed: this.#ended.signal,
    };
    return waitUntil((cb) => this.#events.on('wait', cb), test, options, started);
  }

  /**
   * Every message from now on. Ends when close() is called (after the buffered messages); fails
   * with ERR_CLOSED when the connection closes otherwise, ERR_SLOW_CONSUMER on overflow.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<IncomingMessage> {
    return messageIterator(
      this.#opts.iteratorBufferSize ?? ITERATOR_BUFFER_SIZE,
      (feed) => {
        const unbind = [this.#events.on('feed', feed.push), this.#events.on('end', feed.end)];
        return () => unbind.forEach((f) => f());
      },
      this.#final ? { err: this.#closedByUser ? undefined : closedError('for-await') } : undefined,
    );
  }

  /**
   * Closes for good; idempotent. Settles every wait with ERR_CLOSED at once; 'close' is emitted
   * when the socket reports it.
   */
  close(): void {
    if (this.#final) return;
    this.#closedByUser = true;
    this.#finish(closedError('close() was called'));
    this.#inbox.clear();
    const socket = this.#socket;
    if (socket && socket.readyState < CLOSING) {
      // No status code and no reason: MMDAgent-EX appends a close payload to its text stream,
      // where codes like 3000/4000 hang its Remote thread and any code leaves bytes that corrupt
      // the next connection's first line. An empty close frame is read as a clean disconnect
      // (wire.md §6.3).
      socket.close();
    } else {
      this.#detach();
      this.#events.emit('close', { code: NO_STATUS, reason: '', reconnecting: false });
    }
  }

  #attach(socket: WebSocketLike): void {
    socket.binaryType = 'arraybuffer';
    // The code that gets this link (from connect(), a server's 'agent' event, a reconnect) subscribes
    // before any message is dispatched: a browser would deliver the handshake's frames a task later too.
    this.#inbox.hold();
    const held = socket as { [HELD_FRAMES]?: HeldFrames };
    for (const event of held[HELD_FRAMES]?.() ?? []) this.#inbox.frame(event);
    delete held[HELD_FRAMES];
    this.#unlisten = listen(socket, {
      message: (event: { data: unknown }) => {
        if (!this.#final) this.#inbox.frame(event);
      },
      close: (event: { code?: number; reason?: string }) => {
        // Stop listening now; the close itself is handled in turn, after the messages before it.
        this.#unlisten();
        this.#inbox.close(event, socket);
      },
    });
    // `ws` throws on an 'error' event nobody listens to; 'close' always follows, so it is handled there.
    listen(socket, { error: ignore });
    this.#socket = socket;
    this.#pacer.reset();
    this.#backoff?.up();
    for (const frame of this.#setupFrames) this.#sendFrame(frame);
  }

  #detach(): void {
    this.#unlisten();
    this.#socket = undefined;
  }

  #onClosed(event: { code?: number; reason?: string }, socket: unknown): void {
    // A socket let go meanwhile (its onOpen failed on reconnect) is no longer this link's business.
    if (socket !== this.#socket) return;
    this.#detach();
    // A link made with `redial` (connect's `reconnect`) has a back-off: it dials again.
    const backoff = this.#final ? undefined : this.#backoff;
    const code = event.code ?? ABNORMAL;
    this.#events.emit('close', { code, reason: event.reason ?? '', reconnecting: !!backoff });
    if (backoff) {
      backoff.down();
      void this.#reconnect();
    } else this.#finish(closedError(`the connection closed (code ${code})`));
  }

  /** To 'error' listeners; `otherwise` when there are none. */
  #error(err: unknown, otherwise: (err: unknown) => void): void {
    if (this.#events.has('error')) this.#events.emit('error', err);
    else otherwise(err);
  }

  #sendFrame(frame: string | Uint8Array): void {
    const socket = this.#socket;
    if (this.#final) throw closedError('send');
    if (!socket || socket.readyState !== OPEN) {
      throw new MmdError('ERR_CLOSED', "send: reconnecting; wait for the 'open' event");
    }
    const max = this.#opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
    if (socket.bufferedAmount > max) {
      throw new MmdError('ERR_BACKPRESSURE', `send: over maxBufferedBytes (${max}); retry later`);
    }
    socket.send(frame as string | Uint8Array<ArrayBuffer>); // sndChunks allocates plain ArrayBuffers
  }

  #finish(err: MmdError): void {
    if (this.#final) return;
    this.#final = true;
    this.#ended.abort(err);
    this.#events.emit('end', this.#closedByUser ? undefined : err);
  }

  async #reconnect(): Promise<void> {
    const backoff = this.#backoff!;
    for (let delay; (delay = backoff.next()) !== undefined;) {
      try {
        await sleep(delay, { what: 'reconnect', closed: this.#ended.signal });
      } catch {
        return; // closed for good while waiting
      }
      let socket: WebSocketLike;
      try {
        socket = await this.#opts.redial!(this.#ended.signal);
      } catch {
        continue;
      }
      if (this.#final) return socket.close();
      if (socket.readyState !== OPEN) continue; // closed during the handshake: a failed attempt
      try {
        this.#attach(socket);
        await this.#opts.onOpen?.(this);
      } catch (err) {
        // onOpen is part of connecting, as in connect(): when it fails, so did this attempt.
        // 'error' listeners hear why; without any nothing is thrown, since no listener threw.
        this.#error(err, ignore);
        if (this.#socket !== socket) return; // it closed meanwhile, and its 'close' started over
        this.#detach();
        socket.close();
        continue;
      }
      if (!this.#final && this.#socket === socket) this.#events.emit('open');
      return;
    }
    this.#finish(
      new MmdError('ERR_CONNECT', `gave up after ${backoff.maxRetries} reconnect attempts; check the server`),
    );
    this.#events.emit('close', { code: ABNORMAL, reason: '', reconnecting: false });
  }
}

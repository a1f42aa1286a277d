/**
 * Incoming frames, queued and handed out one message per macrotask.
 *
 * Why: MMDAgent-EX flushes a command's echo and its events together (wire.md §10), and a socket
 * delivers every frame of one read synchronously (`ws`), or several lines share one frame. Had
 * they all been dispatched at once, `await link.waitFor(echo); await link.waitFor(event)` would
 * register the second wait after the event was gone. With one message per macrotask, the
 * promise continuations of code reacting to one message (which run as microtasks) are in place
 * before the next message: that holds for waitFor, `for await` and listeners added in listeners,
 * whatever the batching. A message that arrives while nothing is queued and no dispatch is
 * under way is dispatched at once, so separate reads cost no latency.
 *
 * Frames are kept as they came and read only when their turn comes: with nobody to hand
 * messages to, they are dropped unread (a server hands its link every agent frame).
 */
import { frameLines } from '../line.js';
import { parseMessage, type Message } from '../message.js';
import type { IncomingMessage } from './options.js';

export interface InboxHost {
  /** Anyone to hand a message to (listeners, waits, iterators). */
  wanted(): boolean;
  deliver(msg: IncomingMessage): void;
  /** The socket closed; called in turn, after the messages that came before it. */
  closed(event: { code?: number; reason?: string }, source: unknown): void;
  error(err: unknown): void;
}

type Item = { event: { data: unknown } } | { close: { code?: number; reason?: string }; source: unknown };

export class Inbox {
  #host: InboxHost;
  /** Queued items from #head on; the array is cut back when it runs empty (shift() is linear). */
  #items: Item[] = [];
  #head = 0;
  #lines: string[] = [];
  #next = 0;
  #terminated = true;
  /** A message was dispatched (or a hold began) and the macrotask after it has not run yet. */
  #busy = false;
  #decoder: TextDecoder | undefined;
  #schedule: (fn: () => void) => void;

  /** `schedule` runs a callback as a macrotask; a fuzz test passes its own to drive the queue by hand. */
  constructor(host: InboxHost, schedule: (fn: () => void) => void = macrotaskScheduler()) {
    this.#host = host;
    this.#schedule = schedule;
  }

  /** One frame's event; its `data` (text, or bytes as an ArrayBuffer) is read when its turn comes. */
  frame(event: { data: unknown }): void {
    if (this.#busy || this.#head < this.#items.length || this.#next < this.#lines.length) {
      this.#items.push({ event });
      return;
    }
    // Idle fast path: not even read.
    if (!this.#host.wanted()) return;
    this.#items.push({ event });
    this.#drain();
  }

  /** The socket `source` closed; told to the host in turn, with `source`. */
  close(event: { code?: number; reason?: string }, source: unknown): void {
    this.#items.push({ close: event, source });
    if (!this.#busy) this.#drain();
  }

  /** Dispatches nothing before the next macrotask: code that just got the link subscribes first. */
  hold(): void {
    if (this.#busy) return;
    this.#busy = true;
    this.#schedule(this.#tick);
  }

  /** Drops what is queued, closes excepted (they still say so in turn). */
  clear(): void {
    this.#lines = [];
    this.#next = 0;
    this.#items = this.#items.slice(this.#head).filter((item) => 'close' in item);
    this.#head = 0;
  }

  #tick = (): void => {
    this.#busy = false;
    this.#drain();
  };

  #drain(): void {
    for (;;) {
      if (this.#next < this.#lines.length) {
        const i = this.#next++;
        // Nobody can subscribe while this loop runs: with no one now, the rest of the frame goes.
        if (!this.#host.wanted()) {
          this.#next = this.#lines.length;
          continue;
        }
        const line = this.#lines[i];
        // A line MMDAgent-EX would ignore (no type, e.g. `||`) still arrives, with type ''.
        let msg: Message = { type: '', args: [] };
        try {
          msg = parseMessage(line);
        } catch {}
        const truncated = i === this.#lines.length - 1 && !this.#terminated;
        // Busy first: a listener that makes the peer send synchronously queues behind.
        this.hold();
        this.#host.deliver({ type: msg.type, args: msg.args, line, truncated });
        return;
      }
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
        return;
      }
      const item = this.#items[this.#head++];
      // A queue that never runs empty (a steady stream) must not keep what it handed out.
      if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      if ('close' in item) {
        this.#host.closed(item.close, item.source);
        continue;
      }
      if (!this.#host.wanted()) continue;
      try {
        const data = item.event.data;
        const framed = frameLines(
          typeof data === 'string'
            ? data
            : (this.#decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(data as ArrayBuffer),
        );
        this.#lines = framed.lines;
        this.#terminated = framed.terminated;
        this.#next = 0;
      } catch (err) {
        this.#host.error(err);
      }
    }
  }
}

/**
 * A function that runs its callback as a macrotask, soon: setImmediate where there is one (Node,
 * Bun), else a MessageChannel message (browsers, Deno; setTimeout would be clamped to 4 ms once
 * nested). One callback is pending at a time per inbox.
 */
function macrotaskScheduler(): (fn: () => void) => void {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return (fn) => void setImmediate(fn);
  }
  if (typeof MessageChannel === 'function') {
    let channel: MessageChannel | undefined;
    return (fn) => {
      channel ??= new MessageChannel();
      const port = channel.port1;
      // Listening only while a callback is pending, so an idle port keeps no event loop alive.
      port.onmessage = () => {
        port.onmessage = null;
        fn();
      };
      channel.port2.postMessage(null);
    };
  }
  return (fn) => void setTimeout(fn, 0);
}

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

/**
 * The state lives in the constructor's closure, not in private fields: the methods are bound
 * functions on the instance, which minify to a fraction of `this.#field` code (issue 14's budget).
 */
export class Inbox {
  /** One frame's event; its `data` (text, or bytes as an ArrayBuffer) is read when its turn comes. */
  declare readonly frame: (event: { data: unknown }) => void;
  /** The socket `source` closed; told to the host in turn, with `source`. */
  declare readonly close: (event: { code?: number; reason?: string }, source: unknown) => void;
  /** Dispatches nothing before the next macrotask: code that just got the link subscribes first. */
  declare readonly hold: () => void;
  /** Drops what is queued, closes excepted (they still say so in turn). */
  declare readonly clear: () => void;

  /** `schedule` runs a callback as a macrotask; a fuzz test passes its own to drive the queue by hand. */
  constructor(host: InboxHost, schedule: (fn: () => void) => void = macrotaskScheduler()) {
    /** Queued items from `head` on; the array is cut back when it runs empty (shift() is linear). */
    let items: Item[] = [];
    let head = 0;
    let lines: string[] = [];
    let next = 0;
    let terminated = true;
    /** A message was dispatched (or a hold began) and the macrotask after it has not run yet. */
    let busy = false;
    let decoder: TextDecoder | undefined;
    const tick = () => {
      busy = false;
      drain();
    };
    const hold = () => {
      if (busy) return;
      busy = true;
      schedule(tick);
    };
    const drain = () => {
      for (;;) {
        if (next < lines.length) {
          const i = next++;
          // Nobody can subscribe while this loop runs: with no one now, the rest of the frame goes.
          if (!host.wanted()) {
            next = lines.length;
            continue;
          }
          const line = lines[i];
          // A line MMDAgent-EX would ignore (no type, e.g. `||`) still arrives, with type ''.
          let msg: Message = { type: '', args: [] };
          try {
            msg = parseMessage(line);
          } catch {}
          const truncated = i === lines.length - 1 && !terminated;
          // Busy first: a listener that makes the peer send synchronously queues behind.
          hold();
          host.deliver({ ...msg, line, truncated });
          return;
        }
        if (head === items.length) {
          items = [];
          head = 0;
          return;
        }
        const item = items[head++];
        // A queue that never runs empty (a steady stream) must not keep what it handed out.
        if (head >= 1024 && head * 2 >= items.length) {
          items = items.slice(head);
          head = 0;
        }
        if ('close' in item) {
          host.closed(item.close, item.source);
          continue;
        }
        if (!host.wanted()) continue;
        try {
          const data = item.event.data;
          const framed = frameLines(
            typeof data === 'string'
              ? data
              : (decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(data as ArrayBuffer),
          );
          lines = framed.lines;
          terminated = framed.terminated;
          next = 0;
        } catch (err) {
          host.error(err);
        }
      }
    };
    Object.assign(this, {
      frame: (event: { data: unknown }) => {
        const idle = !busy && head === items.length && next === lines.length;
        // Idle fast path: with nobody to hand it to, not even read.
        if (idle && !host.wanted()) return;
        items.push({ event });
        if (idle) drain();
      },
      close: (event: { code?: number; reason?: string }, source: unknown) => {
        items.push({ close: event, source });
        if (!busy) drain();
      },
      hold,
      clear: () => {
        lines = [];
        next = 0;
        items = items.slice(head).filter((item) => 'close' in item);
        head = 0;
      },
    });
  }
}

/**
 * A function that runs its callback as a macrotask, soon: setImmediate where there is one (Node,
 * Bun), else a MessageChannel message (browsers, Deno; setTimeout would be clamped to 4 ms once
 * nested). One callback is pending at a time per inbox.
 */
function macrotaskScheduler(): (fn: () => void) => void {
  const { setImmediate } = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof setImmediate === 'function') return setImmediate;
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
  return (fn) => setTimeout(fn);
}

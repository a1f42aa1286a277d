/**
 * `for await (const msg of link)`: every message dispatched after the iterator was made, buffered
 * up to a bound (ERR_SLOW_CONSUMER past it, never dropped silently).
 */
import { MmdError } from '../errors.js';
import type { IncomingMessage } from './options.js';

/** The link's side of one iterator. */
export interface Feed {
  push(m: IncomingMessage): void;
  end(err?: unknown): void;
}

type Fail = (err: unknown) => void;

/**
 * An iterator over `feed`'s messages. `subscribe` registers the feed with the link and returns
 * its removal; `ended` is set when the link is already closed (undefined error: a clean end).
 */
export function messageIterator(
  limit: number,
  subscribe: (feed: Feed) => () => void,
  ended?: { err: unknown },
): AsyncIterableIterator<IncomingMessage> {
  const buffer: IncomingMessage[] = [];
  // next() calls waiting for a message, oldest first: callers may call next() without awaiting.
  const waiting: { resolve: (r: IteratorResult<IncomingMessage>) => void; reject: Fail }[] = [];
  let done = false;
  let failure: unknown;
  let stop = () => {};
  const feed: Feed = {
    push: (m) => {
      if (done) return;
      if (waiting.length) return waiting.shift()!.resolve({ value: m, done: false });
      if (buffer.length < limit) {
        buffer.push(m);
        return;
      }
      feed.end(
        new MmdError(
          'ERR_SLOW_CONSUMER',
          `for-await fell ${limit} messages behind: read faster or raise iteratorBufferSize`,
        ),
      );
    },
    end: (err) => {
      if (done) return;
      done = true;
      failure = err;
      stop();
      // The error goes to the oldest waiting call; like later calls, the others are just done.
      if (err && waiting.length) {
        failure = undefined;
        waiting.shift()!.reject(err);
      }
      for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
    },
  };
  if (ended) feed.end(ended.err);
  else stop = subscribe(feed);
  const iterator: AsyncIterableIterator<IncomingMessage> = {
    next: () => {
      if (buffer.length) return Promise.resolve({ value: buffer.shift()!, done: false });
      if (done) {
        const err = failure;
        failure = undefined; // reported once; later calls just say done
        return err ? Promise.reject(err) : Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => void waiting.push({ resolve, reject }));
    },
    return: () => {
      feed.end();
      buffer.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

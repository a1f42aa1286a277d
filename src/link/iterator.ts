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
  const waiting: [resolve: (r: IteratorResult<IncomingMessage>) => void, reject: Fail][] = [];
  let done = false;
  let failure: unknown;
  let stop = () => {};
  // A message, or the end (messages are objects, never undefined).
  const result = (value?: IncomingMessage) => ({ value, done: !value }) as IteratorResult<IncomingMessage>;
  const feed: Feed = {
    push: (m) => {
      if (done) return;
      if (waiting.length) waiting.shift()![0](result(m));
      else if (buffer.length < limit) buffer.push(m);
      else {
        feed.end(
          new MmdError('ERR_SLOW_CONSUMER', `for-await fell ${limit} messages behind: raise iteratorBufferSize`),
        );
      }
    },
    end: (err) => {
      if (done) return;
      done = true;
      failure = err;
      stop();
      // The error goes to the oldest waiting call; like later calls, the others are just done.
      if (err && waiting.length) {
        failure = undefined;
        waiting.shift()![1](err);
      }
      for (const [resolve] of waiting.splice(0)) resolve(result());
    },
  };
  if (ended) feed.end(ended.err);
  else stop = subscribe(feed);
  const iterator: AsyncIterableIterator<IncomingMessage> = {
    next: async () => {
      if (buffer.length) return result(buffer.shift());
      if (done) {
        const err = failure;
        failure = undefined; // reported once; later calls just say done
        if (err) throw err;
        return result();
      }
      return new Promise((resolve, reject) => void waiting.push([resolve, reject]));
    },
    return: async () => {
      feed.end();
      buffer.length = 0;
      return result();
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

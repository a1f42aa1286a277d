/**
 * The one way the SDK waits (AgentLink.waitFor and its iterators' sleeps, reconnect back-off,
 * audio pacing, Sim.waitFor): a promise that settles exactly once, by its own event, its timeout
 * (ERR_TIMEOUT), its AbortSignal (ERR_ABORTED) or its owner closing (ERR_CLOSED, or the owner's
 * own MmdError), and that leaves no timer or listener behind once settled.
 *
 * Timeouts: 0 or more milliseconds; Infinity means none. Timers hold at most 2^31 - 1 ms
 * (~24.8 days) and Node fires a longer one after 1 ms, so longer waits are re-armed in steps and
 * fire when they should.
 */
import { MmdError } from './errors.js';

/** The one default timeout for a wait: the link's waitFor and the simulator's. */
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;

export interface WaitOptions {
  /** 0 or more; Infinity waits without a timeout. NaN or negative: ERR_BAD_INPUT. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PendOptions extends WaitOptions {
  /** What is waited for, as error messages name it, e.g. `waitFor(VALUE_EVENT_SET)`. */
  what: string;
  /**
   * Aborted by the owner when it closes for good. The wait rejects with the abort reason when that
   * is an MmdError (so the owner says why), with ERR_CLOSED otherwise.
   */
  closed?: AbortSignal;
  /** Ends the timeout message, after "timed out after N ms; ". */
  hint?: string;
}

type Stop = (() => void) | void;

const MAX_TIMER_MS = 2 ** 31 - 1;

/** What listen() takes: an AbortSignal, a WebSocket. */
interface Listenable {
  addEventListener(type: string, listener: (event: any) => void): void;
  removeEventListener(type: string, listener: (event: any) => void): void;
}

/**
 * Adds each of `listeners` (by event type) to `target`, if there is one; returns the function that
 * removes them again. The one add/remove pair of the SDK's waits, sockets and signals.
 */
export function listen(target: Listenable | undefined, listeners: Record<string, (event: any) => void>): () => void {
  const each = (method: 'addEventListener' | 'removeEventListener') => {
    for (const type in listeners) target?.[method](type, listeners[type]);
  };
  each('addEventListener');
  return () => each('removeEventListener');
}

/**
 * Calls `fire` after `ms` milliseconds (never for Infinity); returns the cancel function. Longer
 * than a timer can hold is waited for in steps.
 */
export function after(ms: number, fire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (left: number) => {
    if (left === Infinity) return;
    timer = left > MAX_TIMER_MS ? setTimeout(() => arm(left - MAX_TIMER_MS), MAX_TIMER_MS) : setTimeout(fire, left);
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/** Throws ERR_BAD_INPUT unless `ms` is a timeout (0 or more, Infinity included). */
export function checkTimeout(ms: unknown, what: string): asserts ms is number {
  if (!(typeof ms === 'number' && ms >= 0)) {
    throw new MmdError('ERR_BAD_INPUT', `${what} must be >= 0 ms (Infinity: none), got ${String(ms)}`);
  }
}

/**
 * A promise settled by `start` (through the resolve/reject it is given), the timeout, the signal
 * or `closed`, whichever comes first. `start` runs at once and returns its own clean-up, which
 * runs exactly once when the promise settles, however it settles.
 */
export function pend<T>(
  opts: PendOptions,
  start: (resolve: (value: T) => void, reject: (err: unknown) => void) => Stop,
): Promise<T> {
  const { what, signal, closed } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  return new Promise<T>((resolve, reject) => {
    // Nothing is set up yet: a throw here just rejects.
    checkTimeout(timeoutMs, `${what}: timeoutMs`);
    if (closed?.aborted) throw closedError(what, closed);
    if (signal?.aborted) throw abortError(what, signal);
    let done = false;
    let stop: Stop = undefined;
    // The first settle wins: it cleans up, then resolves or rejects.
    const settle =
      <V>(then: (value: V) => void) =>
      (value: V) => {
        if (done) return;
        done = true;
        cancel();
        unlisten();
        unlistenClosed();
        stop?.();
        then(value);
      };
    const fail = settle(reject);
    const cancel = after(timeoutMs, () =>
      fail(
        new MmdError(
          'ERR_TIMEOUT',
          `${what} timed out after ${timeoutMs} ms; ${opts.hint ?? 'raise timeoutMs or check the peer'}`,
        ),
      ),
    );
    const unlisten = listen(signal, { abort: () => fail(abortError(what, signal!)) });
    const unlistenClosed = listen(closed, { abort: () => fail(closedError(what, closed!)) });
    try {
      stop = start(settle(resolve), fail);
    } catch (err) {
      fail(err);
    }
    // Settled inside start(): its clean-up came back after settle() ran, so run it now.
    if (done) stop?.();
  });
}

/**
 * The first value `subscribe` delivers that `match` accepts. `subscribe` registers a listener
 * and returns its unbind, e.g. `(cb) => emitter.on('message', cb)`. A `match` that throws
 * rejects the wait with its error. `started`, if given, is called with the wait's reject once it is
 * registered (not when it was refused at once): to fail it from outside, e.g. when a send fails.
 */
export function waitFor<T>(
  subscribe: (cb: (value: T) => void) => () => void,
  match: (value: T) => boolean,
  opts: PendOptions,
  started?: (reject: (err: unknown) => void) => void,
): Promise<T> {
  return pend<T>(opts, (resolve, reject) => {
    const stop = subscribe((value) => {
      try {
        if (match(value)) resolve(value);
      } catch (err) {
        reject(err);
      }
    });
    started?.(reject);
    return stop;
  });
}

/** Resolves after `ms`; rejects early on the signal or `closed` (no timeout of its own). */
export function sleep(ms: number, opts: Omit<PendOptions, 'timeoutMs' | 'hint'>): Promise<void> {
  return pend<void>({ ...opts, timeoutMs: Infinity }, (resolve) => after(ms, resolve));
}

export function abortError(what: string, signal: AbortSignal): MmdError {
  return new MmdError('ERR_ABORTED', `${what} was aborted by its AbortSignal`, { cause: signal.reason });
}

function closedError(what: string, closed: AbortSignal): MmdError {
  return closed.reason instanceof MmdError
    ? closed.reason
    : new MmdError('ERR_CLOSED', `${what}: closed; connect again to continue`, { cause: closed.reason });
}

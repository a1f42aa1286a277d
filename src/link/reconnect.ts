/**
 * Reconnect policy: jittered exponential back-off, and an attempt count that starts again only
 * after a connection stayed up `minUptimeMs` (partysocket's minUptime), so a server that accepts
 * and drops at once cannot make the link redial in a storm.
 */
import { MmdError } from '../errors.js';
import { RETRY_INTERVAL_MS } from '../limits.js';
import {
  RECONNECT_FACTOR,
  RECONNECT_JITTER,
  RECONNECT_MAX_DELAY_MS,
  RECONNECT_MAX_RETRIES,
  RECONNECT_MIN_UPTIME_MS,
} from './constants.js';
import type { ReconnectOptions } from './options.js';

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, jittered downwards. */
export function reconnectDelay(
  attempt: number,
  opts: Partial<ReconnectOptions> = {},
  random: () => number = Math.random,
): number {
  const min = opts.minDelayMs ?? RETRY_INTERVAL_MS; // DEFAULTS.reconnectMinDelayMs
  const max = opts.maxDelayMs ?? RECONNECT_MAX_DELAY_MS;
  const delay = Math.min(max, min * (opts.factor ?? RECONNECT_FACTOR) ** attempt);
  return delay - delay * (opts.jitter ?? RECONNECT_JITTER) * random();
}

/**
 * Refuses reconnect settings that would make reconnectDelay NaN or negative: the loop would then
 * stop without a word, or spin.
 */
export function checkReconnect(opts: Partial<ReconnectOptions> = {}): void {
  const { minDelayMs = 0, maxDelayMs = 0, factor = 1, jitter = 0, maxRetries = 0, minUptimeMs = 0 } = opts;
  // `!(x >= 0)` also refuses NaN.
  if (
    [minDelayMs, maxDelayMs, factor - 1, jitter, 1 - jitter, maxRetries, minUptimeMs].some((v) => !(v >= 0)) ||
    ![minDelayMs, factor].every(Number.isFinite)
  ) {
    throw new MmdError(
      'ERR_BAD_INPUT',
      'reconnect needs delays, maxRetries and minUptimeMs >= 0, factor >= 1 and jitter 0 to 1',
    );
  }
}

/**
 * The attempt count across drops: `up()` when a connection opens, `down()` when it drops. State in
 * the constructor's closure, as in Inbox: it minifies far better than private fields.
 */
export class Backoff {
  declare readonly up: () => void;
  declare readonly down: () => void;
  /** The delay before the next attempt, or undefined once maxRetries attempts were made. */
  declare readonly next: () => number | undefined;
  declare readonly maxRetries: number;

  constructor(
    opts: Partial<ReconnectOptions> = {},
    now: () => number = () => performance.now(),
    random: () => number = Math.random,
  ) {
    let attempt = 0;
    let upSince: number | undefined;
    const maxRetries = opts.maxRetries ?? RECONNECT_MAX_RETRIES;
    Object.assign(this, {
      maxRetries,
      up: () => void (upSince = now()),
      down: () => {
        if (upSince !== undefined && now() - upSince >= (opts.minUptimeMs ?? RECONNECT_MIN_UPTIME_MS)) attempt = 0;
        upSince = undefined;
      },
      next: () => (attempt < maxRetries ? reconnectDelay(attempt++, opts, random) : undefined),
    });
  }
}

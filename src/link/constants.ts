// The link's numbers. This module imports nothing: esbuild inlines a module's constants into the
// code that uses them only then (issue 14's size budget). options.ts gathers the defaults in DEFAULTS.

/** WebSocket readyState values and close codes (RFC 6455). */
export const OPEN = 1;
export const CLOSING = 2;
export const NO_STATUS = 1005;
export const ABNORMAL = 1006;

export const CONNECT_TIMEOUT_MS = 10_000;
export const RECONNECT_MAX_DELAY_MS = 30_000;
export const RECONNECT_FACTOR = 2;
export const RECONNECT_JITTER = 0.5;
export const RECONNECT_MAX_RETRIES = Infinity;
export const RECONNECT_MIN_UPTIME_MS = 5_000;
export const MAX_BUFFERED_BYTES = 1_048_576;
export const ITERATOR_BUFFER_SIZE = 1024;
export const AUDIO_LEAD_MS = 200;

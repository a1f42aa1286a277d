/**
 * The one error type of the SDK. Every refusal carries a stable string `code` (listed in
 * ERROR_CODES and documented in the README's error table) and a message that says what to do.
 */

export const ERROR_CODES = [
  // lines and messages (wire.md §7, §12)
  'ERR_LINE_TOO_LONG',
  'ERR_FORBIDDEN_CHAR',
  'ERR_LONE_SURROGATE',
  'ERR_EMPTY_LINE',
  'ERR_SND_PREFIX',
  'ERR_AV_PREFIX',
  'ERR_PIPE_IN_FIELD',
  'ERR_EMPTY_TYPE',
  'ERR_EMPTY_ARGUMENT',
  'ERR_TOO_MANY_ARGS',
  'ERR_TRUNCATED',
  'ERR_INVALID_UTF8',
  'ERR_BAD_INPUT',
  // catalog builders (messages.md)
  'ERR_BAD_ARGUMENT',
  // audio (wire.md §8)
  'ERR_SND_CHUNK_SIZE',
  'ERR_ODD_PCM',
  'ERR_SND_HEADER',
  'ERR_SAMPLE_RATE',
  // avatar control (avatar.md)
  'ERR_AVATAR_FIELD',
  'ERR_AVATAR_RANGE',
  'ERR_AVATAR_SYNTAX',
  // .mdf (mdf.md)
  'ERR_MDF_SYNTAX',
  'ERR_MDF_ENV',
  'ERR_MDF_KEY',
  'ERR_MDF_VALUE',
  // sessions (AgentLink, connect)
  'ERR_CLOSED',
  'ERR_TIMEOUT',
  'ERR_ABORTED',
  'ERR_CONNECT',
  'ERR_BACKPRESSURE',
  'ERR_AUDIO_AHEAD',
  // server and relay
  'ERR_NO_AGENT',
  'ERR_INSECURE_BIND',
  'ERR_LISTEN',
  'ERR_FRAME_TOO_LARGE',
  'ERR_BINARY_FRAME',
  'ERR_SLOW_CONSUMER',
  'ERR_UNAUTHORIZED',
  'ERR_ORIGIN',
  'ERR_SERVER_CLOSED',
  'ERR_SERVER_OPTION',
  'ERR_RATE_LIMIT',
  'ERR_LINE_NOT_ALLOWED',
  'ERR_FLEET',
  'ERR_TRANSPORT_CONFLICT',
  // simulator and CLI
  'ERR_SIM_KILLED',
  'ERR_SIM_GAVE_UP',
  'ERR_USAGE',
  'ERR_FILE',
  'ERR_FILE_REFUSED',
  'ERR_FILE_LOCKED',
] as const;

export type MmdErrorCode = (typeof ERROR_CODES)[number];

export class MmdError extends Error {
  readonly code: MmdErrorCode;

  constructor(code: MmdErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MmdError';
    this.code = code;
  }
}

/** True when `err` is an MmdError, optionally with the given code. */
export function isMmdError(err: unknown, code?: MmdErrorCode): err is MmdError {
  return err instanceof MmdError && (code === undefined || err.code === code);
}

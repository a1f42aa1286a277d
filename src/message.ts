// Bus messages `TYPE|arg|arg` (wire.md §7.3–7.4): split the way MMDAgent-EX splits, and built
// only in forms it reads back unchanged.
import { MmdError } from './errors.js';
import { AV_MESSAGE_PREFIX, MAX_ARGS, MAX_LINE_BYTES } from './limits.js';
import { Built } from './built.js';
import { checkWireText, SUSPECT } from './utf8.js';

export interface Message {
  type: string;
  args: string[];
}

/**
 * Splits one line as MMDAgent-EX does: an `__AV_MESSAGE,` prefix is unwrapped first; then `|`
 * separates fields and empty fields collapse (`||LEAD|x` → `LEAD` ['x'], `T||a|b` → `T`
 * ['a','b'], wire.md §7.4 and real-client/hazards.md (j)). No trimming; all arguments are kept,
 * even past MAX_ARGS (the echo carries them all, hazards.md (k)). A trailing run of CR/LF is
 * stripped. Other `__AV…` lines parse like any line (type `__AV_SETMODEL,0`); routing them is
 * the caller's job. Throws ERR_FORBIDDEN_CHAR for CR/LF before the end (several lines: split
 * them with frameLines or LineDecoder first) and ERR_EMPTY_TYPE when no field is left.
 */
export function parseMessage(line: string): Message {
  if (typeof line !== 'string') {
    throw new MmdError('ERR_BAD_INPUT', `parseMessage takes a string, got ${typeof line}`);
  }
  const body = line.replace(/[\r\n]+$/, '');
  const at = body.search(/[\r\n]/);
  if (at >= 0) {
    throw new MmdError('ERR_FORBIDDEN_CHAR', `line break at index ${at}: split lines with frameLines() first`);
  }
  // Empty fields collapse: the first one left is the type.
  const [type, ...args] = (body.startsWith(AV_MESSAGE_PREFIX) ? body.slice(AV_MESSAGE_PREFIX.length) : body)
    .split('|')
    .filter((field) => field);
  if (!type) {
    throw new MmdError(
      'ERR_EMPTY_TYPE',
      `${JSON.stringify(line.slice(0, 40))} has no message type: put one before "|"`,
    );
  }
  return { type, args };
}

/**
 * `TYPE` or `TYPE|a|b` (no `\n`) after checking everything MMDAgent-EX would mangle: ERR_BAD_INPUT
 * (not a {type: string, args: string[]}), ERR_EMPTY_TYPE, ERR_EMPTY_ARGUMENT (it would vanish and
 * shift the rest), ERR_PIPE_IN_FIELD, ERR_FORBIDDEN_CHAR, ERR_LONE_SURROGATE, ERR_TOO_MANY_ARGS
 * (over MAX_ARGS), ERR_LINE_TOO_LONG (over MAX_LINE_BYTES), and types starting with `SND`
 * (ERR_SND_PREFIX) or `__AV` (ERR_AV_PREFIX), which are not read as bus messages (wire.md §7.3,
 * §8.4). `allowReservedType` lifts the last two for a caller that wraps the result in
 * `__AV_MESSAGE,` and checks the length again.
 */
export function formatMessage(msg: Message, options?: { allowReservedType?: boolean }): string {
  if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string' || !Array.isArray(msg.args)) {
    throw new MmdError('ERR_BAD_INPUT', 'a message must be { type: string, args: string[] }');
  }
  const built = Built.lineOf(msg);
  if (built !== undefined) return built;
  const { type, args } = msg;
  const reserved = /^(SND|__AV)/.exec(type)?.[0];
  if (type === '') {
    throw new MmdError('ERR_EMPTY_TYPE', 'the message has no type: put one before "|"');
  }
  if (reserved && !options?.allowReservedType) {
    throw new MmdError(
      reserved === 'SND' ? 'ERR_SND_PREFIX' : 'ERR_AV_PREFIX',
      `type "${type.slice(0, 16)}" starts with ${reserved}: wrap it with avatar.message(msg)`,
    );
  }
  if (args.length > MAX_ARGS) {
    throw new MmdError('ERR_TOO_MANY_ARGS', `${args.length} arguments, over ${MAX_ARGS}: drop or merge some`);
  }
  if (SUSPECT.test(type)) checkWireText(type, 'type');
  let line = type;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'string') {
      throw new MmdError(
        'ERR_BAD_INPUT',
        `argument ${i} is ${arg === null ? 'null' : typeof arg}, not a string (use formatNumber())`,
      );
    }
    if (arg === '') {
      throw new MmdError('ERR_EMPTY_ARGUMENT', `argument ${i} is empty: give it a value`);
    }
    if (SUSPECT.test(arg)) checkWireText(arg, i);
    line = line + '|' + arg; // a rope: flattened once, when the socket writes it
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: most lines need no counting. Every field passed,
  // so checkWireText only counts here (and saves bundling a second counter).
  const bytes = 3 * line.length > MAX_LINE_BYTES ? checkWireText(line, 'line') : 0;
  if (bytes > MAX_LINE_BYTES) {
    throw new MmdError(
      'ERR_LINE_TOO_LONG',
      `message "${type.slice(0, 32)}" is ${bytes} bytes, over ${MAX_LINE_BYTES}: shorten it`,
    );
  }
  return line;
}

/**
 * The shortest decimal text of a finite number that C's atof/atoi read back: never exponent
 * notation (1e-7 → "0.0000001", 1e21 → "1000000000000000000000") and -0 → "0".
 */
export function formatNumber(n: number): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new MmdError(
      'ERR_BAD_ARGUMENT',
      `expected a finite number, got ${typeof n === 'number' ? n : typeof n}; MMDAgent-EX cannot read NaN or Infinity`,
    );
  }
  if (n === 0) return '0';
  const text = String(n);
  const e = text.indexOf('e');
  if (e < 0) return text;
  // String(n) gives the shortest round-trip digits as d[.ddd]e±x; move the point by hand.
  const negative = n < 0;
  const mantissa = text.slice(negative ? 1 : 0, e);
  const digits = mantissa.replace('.', '');
  const point = 1 + Number(text.slice(e + 1)); // digits before the decimal point
  const sign = negative ? '-' : '';
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return sign + digits + '0'.repeat(point - digits.length); // exponent ≥ 21: more places than digits
}

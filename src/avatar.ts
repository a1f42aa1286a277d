/**
 * The avatar-control sub-protocol (avatar.md): builders for `__AV_*` / `__AVCONF_*` lines and the
 * parser MMDAgent-EX applies to them. Lines are returned without `\n`; send them with encodeLine
 * or AgentLink.send. Fields are comma-separated and empty fields collapse, so a field can hold
 * no `,` and can never be empty (avatar.md §1).
 */
import { MmdError } from './errors.js';
import { AV_MESSAGE_PREFIX } from './limits.js';
import { validateLine } from './line.js';
import { formatMessage, formatNumber, parseMessage } from './message.js';
import type { Message } from './message.js';

/** When to suppress audio-derived lip sync (avatar.md §2 `__AVCONF_DISABLEAUTOLIP`). */
export type AutoLipMode = 'NO' | 'ARKIT' | 'AU' | 'ARKIT+AU' | 'AU+ARKIT' | 'ALWAYS';
const AUTO_LIP_MODES: readonly string[] = ['NO', 'ARKIT', 'AU', 'ARKIT+AU', 'AU+ARKIT', 'ALWAYS'];

/** What MMDAgent-EX makes of one `__AV…` line; `ignored` says why it would drop it silently. */
export type AvatarCommand =
  | { kind: 'start' }
  | { kind: 'end' }
  | { kind: 'setModel'; alias: string }
  | { kind: 'disableAutoLip'; mode: AutoLipMode }
  | { kind: 'exMorph'; values: Record<string, number> }
  | { kind: 'action'; n: number }
  | { kind: 'message'; message: Message }
  | { kind: 'ignored'; reason: string };

/** Refuses what the comma tokenizer would split or drop; `forbidden` matches the bad characters. */
function checkField(value: unknown, what: string, forbidden: RegExp, allowed: string): string {
  if (typeof value !== 'string') throw new MmdError('ERR_BAD_INPUT', `${what} must be a string, got ${typeof value}`);
  const bad = value === '' ? -1 : value.search(forbidden);
  if (value === '' || bad >= 0) {
    const found = value === '' ? 'is empty' : `contains ${JSON.stringify(value[bad])} at index ${bad}`;
    throw new MmdError(
      'ERR_AVATAR_FIELD',
      `${what} ${found}: avatar fields are comma-separated and empty ones vanish; ${allowed}`,
    );
  }
  return value;
}

function checked(line: string): string {
  validateLine(line);
  return line;
}

export function avStart(): string {
  return '__AV_START';
}

export function avEnd(): string {
  return '__AV_END';
}

/** `__AV_SETMODEL,<alias>`: the model (a MODEL_ADD alias) whose mouth the audio drives. */
export function avSetModel(alias: string): string {
  checkField(alias, 'model alias', /[,|\r\n\0]/, 'use the alias given to MODEL_ADD');
  return checked(`__AV_SETMODEL,${alias}`);
}

/** `__AVCONF_DISABLEAUTOLIP,<mode>`: `ALWAYS` turns audio lip sync off, `NO` (default) on. */
export function avDisableAutoLip(mode: AutoLipMode): string {
  if (!AUTO_LIP_MODES.includes(mode)) {
    throw new MmdError(
      'ERR_AVATAR_FIELD',
      `auto-lip mode ${typeof mode === 'string' ? JSON.stringify(mode) : typeof mode} is unknown to ` +
        `MMDAgent-EX (it keeps the old setting); use one of ${AUTO_LIP_MODES.join(', ')}`,
    );
  }
  return `__AVCONF_DISABLEAUTOLIP,${mode}`;
}

/**
 * `__AV_EXMORPH,name=value,...`: target weights 0..1 of the shapemap's `EXMORPH_<name>` morphs.
 * Out-of-range values are refused, not clamped. Repeat at least once a second to hold them.
 */
export function avExMorph(values: Record<string, number>): string {
  if (values === null || typeof values !== 'object') {
    throw new MmdError('ERR_BAD_INPUT', 'exMorph takes an object of { name: weight }');
  }
  const command = '__AV_EXMORPH';
  let line = command;
  for (const name in values) {
    if (!Object.prototype.hasOwnProperty.call(values, name)) continue;
    checkField(name, 'morph name', /[,=|\r\n\0]/, 'use the <name> of an EXMORPH_<name> line in the shapemap');
    const v = values[name];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new MmdError(
        'ERR_AVATAR_RANGE',
        `morph "${name}" = ${typeof v === 'number' ? v : typeof v}: use a weight from 0 to 1 (the SDK does not clamp)`,
      );
    }
    line += `,${name}=${formatNumber(v)}`;
  }
  if (line === command) {
    throw new MmdError('ERR_AVATAR_FIELD', 'exMorph needs at least one { name: weight } entry');
  }
  return checked(line);
}

/** `__AV_ACTION,<n>`: plays the shapemap's `ACT<n>` motion on the avatar's model. */
export function avAction(n: number): string {
  if (typeof n !== 'number') throw new MmdError('ERR_BAD_INPUT', `action takes a number, got ${typeof n}`);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new MmdError('ERR_AVATAR_RANGE', `action ${n}: use a whole number ≥ 0 naming an ACT<n> line of the shapemap`);
  }
  return `__AV_ACTION,${n}`;
}

/**
 * `__AV_MESSAGE,TYPE|args`: a bus message sent through the avatar escape hatch, the only way to
 * send types starting with `SND` or `__AV` (wire.md §7.3, §8.4). Works for any other type too.
 */
export function avMessage(msg: Message): string {
  return checked(AV_MESSAGE_PREFIX + formatMessage(msg, { allowReservedType: true }));
}

/** The builders of `__AV_*` / `__AVCONF_*` lines, grouped (each line comes without `\n`). */
export const avatar = {
  start: avStart,
  end: avEnd,
  setModel: avSetModel,
  disableAutoLip: avDisableAutoLip,
  exMorph: avExMorph,
  action: avAction,
  message: avMessage,
};

/** MMDAgent-EX parses only the first 2047 bytes of an avatar line (avatar.md §1). */
const AVATAR_PARSE_BYTES = 2047;

/** The longest prefix of `s` that fits `max` UTF-8 bytes, cut between characters. */
function cutUtf8(s: string, max: number): string {
  if (s.length * 3 <= max) return s;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes > max) return s.slice(0, i);
    if (pair) i++;
  }
  return s;
}

/** C's atof: the longest number prefix after whitespace (C99 hex floats too), 0 if none. */
function atof(s: string): number {
  const hex = /^[\t\n\v\f\r ]*([+-]?)0x([\da-f]*)(?:\.([\da-f]*))?(?:p([+-]?\d+))?/i.exec(s);
  if (hex && (hex[2] || hex[3])) {
    const fraction = hex[3] ?? '';
    const mantissa = parseInt(hex[2] + fraction || '0', 16) / 16 ** fraction.length;
    return (hex[1] === '-' ? -1 : 1) * mantissa * 2 ** Number(hex[4] ?? 0);
  }
  const m = /^[\t\n\v\f\r ]*([+-]?)(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)/i.exec(s);
  if (!m) return 0;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2].toLowerCase();
  return body === 'nan' ? Number.NaN : sign * (body[0] === 'i' ? Infinity : Number(body));
}

const REMOVED = /^__AV(_TRACK|_ARKIT|_AU|_EXBONE|_RECALIBRATE|CONF_ALLOWFARCLOSEMOVE)$/;

/**
 * Reads one `__AV…` line (without terminator) the way MMDAgent-EX does (avatar.md §1–2): the
 * first 2047 bytes, split on `,` CR LF with empty fields collapsing, exact-case names. What it
 * would silently ignore comes back as `{ kind: 'ignored', reason }`. Per-connection state
 * (whether control is on, which models exist) is the caller's: e.g. `exMorph` is reported even
 * though MMDAgent-EX drops it while control is off. Any other line throws ERR_AVATAR_SYNTAX.
 */
export function parseAvatarLine(line: string): AvatarCommand {
  if (typeof line !== 'string')
    throw new MmdError('ERR_BAD_INPUT', `parseAvatarLine takes a string, got ${typeof line}`);
  if (!line.startsWith('__AV')) {
    throw new MmdError(
      'ERR_AVATAR_SYNTAX',
      `"${line.slice(0, 24)}" is not an avatar line (they start with "__AV", wire.md §7.3); parse it with parseMessage`,
    );
  }
  if (line.startsWith(AV_MESSAGE_PREFIX)) {
    try {
      return { kind: 'message', message: parseMessage(line) };
    } catch (err) {
      return { kind: 'ignored', reason: `the wrapped message is unreadable: ${(err as Error).message}` };
    }
  }
  const nul = line.indexOf('\0');
  const fields = cutUtf8(nul < 0 ? line : line.slice(0, nul), AVATAR_PARSE_BYTES)
    .split(/[,\r\n]/)
    .filter((f) => f !== '');
  const name = fields[0];
  switch (name) {
    case '__AV_START':
      return { kind: 'start' };
    case '__AV_END':
      return { kind: 'end' };
    case '__AV_SETMODEL':
      return fields.length === 2
        ? { kind: 'setModel', alias: fields[1] }
        : { kind: 'ignored', reason: `__AV_SETMODEL needs exactly one alias field, got ${fields.length - 1}` };
    case '__AVCONF_DISABLEAUTOLIP': {
      const mode = fields[1];
      if (mode === undefined) return { kind: 'ignored', reason: '__AVCONF_DISABLEAUTOLIP without a mode' };
      return AUTO_LIP_MODES.includes(mode)
        ? { kind: 'disableAutoLip', mode: mode as AutoLipMode }
        : { kind: 'ignored', reason: `unknown auto-lip mode "${mode}" leaves the setting unchanged` };
    }
    case '__AV_EXMORPH': {
      // Fields without both a name and a value are skipped; a line with none still counts.
      const pairs: [string, number][] = [];
      for (let i = 1; i < fields.length; i++) {
        const [key, value] = fields[i].split('=').filter((t) => t !== '');
        if (value !== undefined) pairs.push([key, atof(value)]);
      }
      return { kind: 'exMorph', values: Object.fromEntries(pairs) };
    }
    case '__AV_ACTION': {
      if (fields.length < 2) return { kind: 'ignored', reason: '__AV_ACTION without a number' };
      const m = /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(fields[1]);
      const n = m ? Number(m[1]) : 0;
      return n >= -0x80000000 && n <= 0x7fffffff
        ? { kind: 'action', n: n + 0 }
        : { kind: 'ignored', reason: `action number ${fields[1]} is outside the C int range` };
    }
  }
  return {
    kind: 'ignored',
    reason: REMOVED.test(name)
      ? `${name} was removed from open-source MMDAgent-EX (avatar.md §4)`
      : `unknown avatar command "${name.slice(0, 32)}" (MMDAgent-EX ignores it silently)`,
  };
}

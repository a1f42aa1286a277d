// The one helper behind every command builder. A builder passes `TYPE spec`, one spec letter
// per argument (messages.md §2), the same letters as the parse table:
//   a alias (no `,`)   s string/path   h hexcolor   r rest (may contain `|`: split into arguments)
//   i int   f float   2 vec2   3 vec3/rot3   c color3   C color4   E edge5 (colours 0..1)
//   l csv list   P csv pair   e enum (its words come as the next argument, comma-separated)
//   ? the arguments after it are optional   + the letter before it repeats
// TYPE may carry a fixed first argument (`MENU|ADD`).
import { MmdError } from '../errors.js';
import { formatMessage, formatNumber } from '../message.js';
import type { Message } from '../message.js';
import { MAX_ARGS, MAX_LINE_BYTES } from '../limits.js';
import { Built } from '../built.js';
import { SUSPECT } from '../utf8.js';

const TUPLE: Record<string, number> = { 2: 2, 3: 3, c: 3, C: 4, E: 5, P: 2 };

// Labels and messages are built only here, once something failed.
function fail(type: string, at: number, expected: string, value: unknown): never {
  let shown: unknown = typeof value;
  try {
    shown = typeof value === 'number' ? value : JSON.stringify(value); // throws for a BigInt or a cycle
  } catch {}
  throw new MmdError('ERR_BAD_ARGUMENT', `${at ? `${type} argument ${at}` : type}: expected ${expected}, got ${shown}`);
}

/** Argument `at` (1-based) as wire text, or ERR_BAD_ARGUMENT. */
function field(type: string, at: number, kind: string, v: any, words?: string[]): string {
  // Text kinds first: they are the most common, and a keyed miss on TUPLE is slow.
  if ('asehr'.includes(kind)) {
    if (typeof v !== 'string') fail(type, at, 'a string', v);
    if (kind === 'e' && !words!.includes(v)) fail(type, at, `one of ${words}`, v);
    if (kind === 'a' && v.includes(',')) fail(type, at, 'no "," (MMDAgent-EX splits this argument at commas)', v);
    if (kind === 'h' && !/^[\da-f]{6}([\da-f]{2})?$/i.test(v)) fail(type, at, 'RRGGBB or RRGGBBAA', v);
    return v;
  }
  if (kind === 'i' || kind === 'f' || kind === 'u') {
    if (!(Number.isFinite(v) && (kind !== 'i' || Number.isInteger(v))))
      fail(type, at, kind === 'i' ? 'an integer' : 'a finite number', v);
    if (kind === 'u' && !(v >= 0 && v <= 1)) fail(type, at, 'a colour component from 0 to 1', v);
    return formatNumber(v);
  }
  const size = TUPLE[kind];
  if (!(Array.isArray(v) && (size ? v.length === size : v.length)))
    fail(type, at, size ? `${size} values` : 'a non-empty list', v);
  let text = '';
  // Tuples of unit colour components (c, C, E) are the letters past the digits (2, 3).
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    text +=
      (i ? ',' : '') +
      field(
        type,
        at,
        size && kind !== 'P' ? (kind > '3' && i < 4 ? 'u' : 'f') : typeof x === 'number' ? 'f' : 'a',
        x,
        words,
      );
  }
  return text;
}

// What a plain text argument may hold without a closer look: SUSPECT, and `,` for an alias.
const ALIAS_SUSPECT = /[\0\n\r|,\ud800-\udfff]/;

/**
 * One builder: a pure factory, so that bundlers drop the builders nobody imports. Each call
 * builds and validates one command: ERR_BAD_ARGUMENT for a missing, extra, out-of-order or
 * ill-shaped argument, and formatMessage's wire codes for the rest. The message carries the line
 * it checked, which formatMessage returns as long as the message is unchanged.
 */
export const builder = (id: string, ...enums: string[]) => {
  // Parsed at the first call, not at import: most builders are never called.
  let head: string, spec: string, type: string, fixed: string[], words: string[][], plain: string;
  return (...values: unknown[]): Message => {
    if (!fixed) {
      [head, spec = ''] = id.split(' ');
      [type, ...fixed] = head.split('|');
      words = enums.map((list) => list.split(',')); // splitting at each call costs ~200 ns
      plain = /^[as]+$/.test(spec) && !fixed[0] ? spec : '';
    }
    // Fast path for the commonest shape, every argument a required string (SYNTH_START,
    // MOTION_DELETE, ...): the rest array becomes the arguments as it is. Anything the one regex
    // per argument does not pass goes the general way below, which finds the exact complaint.
    if (plain && values.length === plain.length) {
      let line = head;
      let i = 0;
      for (const v of values) {
        if (typeof v !== 'string' || !v || (plain[i] === 'a' ? ALIAS_SUSPECT : SUSPECT).test(v)) break;
        line += '|' + v;
        i++;
      }
      if (i === values.length && 3 * line.length <= MAX_LINE_BYTES) return new Built(type, values as string[], line);
    }
    const args = fixed[0] ? fixed.slice() : []; // slicing an empty array is a slow runtime call
    let line = head;
    let clean = true; // as far as one regex test per text argument can tell
    let k = 0;
    let e = 0;
    let optional = false;
    for (let i = 0; i < values.length; i++) {
      if (spec[k] === '?') ((optional = true), k++);
      const kind = spec[k];
      const v = values[i];
      if (!kind) fail(type, 0, `at most ${i} arguments`, values);
      if (v === undefined) {
        if (!optional) fail(type, i + 1, 'a value', v);
        if (values.slice(i).some((x) => x !== v))
          fail(type, i + 1, 'a value, since a later optional argument is given', v);
        break;
      }
      let text: string;
      if (kind === 'a' || kind === 's') {
        // One regex for the usual clean string; field() then finds the exact complaint, if any.
        if (typeof v !== 'string' || !v || (kind === 'a' ? ALIAS_SUSPECT : SUSPECT).test(v)) {
          field(type, i + 1, kind, v);
          clean = false;
        }
        text = v as string;
      } else {
        text = field(type, i + 1, kind, v, words[kind === 'e' ? e++ : e]); // the next enum's words
        // Numbers, enum words and hex colours come out clean; `r` text with a `|` is not.
        if ('lPr'.includes(kind) && (!text || SUSPECT.test(text))) clean = false;
      }
      if (kind === 'r') args.push(...text.split('|'));
      else args.push(text);
      line += '|' + text;
      if (spec[k + 1] !== '+') k++;
    }
    if (!(optional || !spec[k] || spec[k] === '?')) fail(type, 0, `${spec.split('?')[0].length} arguments`, values);
    // Anything in doubt goes through formatMessage, for its exact errors and byte count.
    if (!clean || args.length > MAX_ARGS || 3 * line.length > MAX_LINE_BYTES) line = formatMessage({ type, args });
    return new Built(type, args, line);
  };
};

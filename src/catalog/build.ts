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

export const TUPLE: Record<string, number> = { 2: 2, 3: 3, c: 3, C: 4, E: 5, P: 2 };

function check(ok: unknown, what: string, expected: string, value: unknown): void {
  if (ok) return;
  let shown: unknown = typeof value;
  try {
    shown = typeof value === 'number' ? value : JSON.stringify(value); // throws for a BigInt or a cycle
  } catch {}
  throw new MmdError('ERR_BAD_ARGUMENT', `${what}: expected ${expected}, got ${shown}`);
}

function field(what: string, kind: string, v: any, words: string | undefined): string {
  const size = TUPLE[kind];
  if (size || kind === 'l') {
    check(Array.isArray(v) && (size ? v.length === size : v.length), what, size ? `${size} values` : 'a non-empty list', v);
    const unit = kind === 'c' || kind === 'C' || kind === 'E';
    return v
      .map((x: unknown, i: number) => field(what, size && kind !== 'P' ? (unit && i < 4 ? 'u' : 'f') : typeof x === 'number' ? 'f' : 'a', x, words))
      .join(',');
  }
  if (kind === 'i' || kind === 'f' || kind === 'u') {
    check(Number.isFinite(v) && (kind !== 'i' || Number.isInteger(v)), what, kind === 'i' ? 'an integer' : 'a finite number', v);
    check(kind !== 'u' || (v >= 0 && v <= 1), what, 'a colour component from 0 to 1', v);
    return formatNumber(v);
  }
  check(typeof v === 'string', what, 'a string', v);
  check(kind !== 'e' || words!.split(',').includes(v), what, `one of ${words}`, v);
  check(kind !== 'a' || !v.includes(','), what, 'no "," (MMDAgent-EX splits this argument at commas)', v);
  check(kind !== 'h' || /^[\da-f]{6}([\da-f]{2})?$/i.test(v), what, 'RRGGBB or RRGGBBAA', v);
  return v;
}

/**
 * Builds and validates one command: ERR_BAD_ARGUMENT for a missing, extra, out-of-order or
 * ill-shaped argument, and formatMessage's wire codes for the rest.
 */
export function cmd(id: string, values: readonly unknown[], ...enums: string[]): Message {
  const [head, spec = ''] = id.split(' ');
  const args = head.split('|');
  const type = args.shift()!;
  let k = 0;
  let e = 0;
  let optional = false;
  for (let i = 0; i < values.length; i++) {
    if (spec[k] === '?') (optional = true), k++;
    const kind = spec[k];
    const v = values[i];
    const what = `${type} argument ${i + 1}`;
    check(kind, type, `at most ${i} arguments`, values);
    if (v === undefined) {
      check(optional, what, 'a value', v);
      check(values.slice(i).every((x) => x === undefined), what, 'a value, since a later optional argument is given', v);
      break;
    }
    const text = field(what, kind, v, kind === 'e' ? enums[e++] : '');
    args.push(...(kind === 'r' ? text.split('|') : [text]));
    if (spec[k + 1] !== '+') k++;
  }
  check(optional || !spec[k] || spec[k] === '?', type, `${spec.split('?')[0].length} arguments`, values);
  const msg = { type, args };
  formatMessage(msg);
  return msg;
}

/** One builder: a pure factory, so that bundlers drop the builders nobody imports. */
export const builder =
  (id: string, ...enums: string[]) =>
  (...values: unknown[]): Message =>
    cmd(id, values, ...enums);

// How each kind of catalog argument is checked, written and read: the writers builders use and
// the readers parseEvent uses. Which argument type and which spec letter each one serves is said
// by the one table of kinds.ts; this file knows no letters. Each writer and reader is its own
// export, so a bundle keeps only those it uses (a builder its own writers, parseEvent the readers).
import { formatNumber } from '../message.js';
import { SUSPECT } from '../utf8.js';

/** What a value or a wire text should have been (and what it was): writers and readers return it, never throw. */
export class Miss {
  readonly expected: string;
  readonly got: unknown;
  constructor(expected: string, got?: unknown) {
    this.expected = expected;
    this.got = got;
  }
}

/** How a builder checks one argument and writes it as wire text. */
export interface Writer {
  /** The wire text of `v`, or a Miss. `words`: an enum's allowed words. */
  write(v: unknown, words?: readonly string[]): string | Miss;
  /** Plain text: a string this pattern does not match needs no closer look (the builder's fast path). */
  suspect?: RegExp;
  /** The text may break wire rules (`|`, line breaks, empty items), so formatMessage checks the line. */
  raw?: true;
  /** Takes the next enum's words (they follow the builder's id). */
  words?: true;
  /** The rest of the line: a `|` in the text starts another argument. */
  rest?: true;
}

/** How parseEvent reads one argument's wire text. */
export interface Reader {
  /** The typed value of `text`, or a Miss (never throws). */
  read(text: string, words?: readonly string[]): unknown;
  /** Takes every argument left, joined back with `|`. */
  rest?: true;
}

// ---------------------------------------------------------------------------------------------
// Writers

// What a plain text argument may hold without a closer look: SUSPECT, and `,` for an alias.
const ALIAS_SUSPECT = /[\0\n\r|,\ud800-\udfff]/;
const NO_COMMA = 'no "," (MMDAgent-EX splits this argument at commas)';

const string = (v: unknown): string | Miss => (typeof v === 'string' ? v : new Miss('a string', v));
const alias = (v: unknown): string | Miss =>
  typeof v !== 'string' ? new Miss('a string', v) : v.includes(',') ? new Miss(NO_COMMA, v) : v;

function number(v: unknown, integer?: boolean, unit?: boolean): string | Miss {
  if (!(Number.isFinite(v) && (!integer || Number.isInteger(v))))
    return new Miss(integer ? 'an integer' : 'a finite number', v);
  if (unit && !((v as number) >= 0 && (v as number) <= 1)) return new Miss('a colour component from 0 to 1', v);
  return formatNumber(v as number);
}

/** `a,b,c` from an array of `sizes[0]` (or, with two sizes, any of them; none: any non-empty) items. */
function list(v: unknown, item: (x: unknown, i: number) => string | Miss, ...sizes: number[]): string | Miss {
  if (!(Array.isArray(v) && (sizes.length ? sizes.includes(v.length) : v.length)))
    return new Miss(sizes.length ? `${sizes.join(' or ')} values` : 'a non-empty list', v);
  let text = '';
  for (let i = 0; i < v.length; i++) {
    const t = item(v[i], i);
    if (t instanceof Miss) return t;
    text += (i ? ',' : '') + t;
  }
  return text;
}

const float = (x: unknown) => number(x);
const unit = (x: unknown) => number(x, false, true);
/** A csv item: a number, or a string without `,`. */
const item = (x: unknown) => (typeof x === 'number' ? number(x) : alias(x));

/** Every writer has the same shape, so the builder's loop reads their fields through one hidden class. */
const writer = (write: Writer['write'], flags: Omit<Writer, 'write'> = {}): Writer => ({
  write,
  suspect: flags.suspect,
  raw: flags.raw,
  words: flags.words,
  rest: flags.rest,
});

export const writeAlias = /* @__PURE__ */ writer(alias, { suspect: ALIAS_SUSPECT });
export const writeText = /* @__PURE__ */ writer(string, { suspect: SUSPECT });
export const writeRest = /* @__PURE__ */ writer(string, { raw: true, rest: true });
export const writeWord = /* @__PURE__ */ writer(
  (v, words) =>
    typeof v !== 'string' ? new Miss('a string', v) : words!.includes(v) ? v : new Miss(`one of ${words}`, v),
  { words: true },
);
export const writeHex = /* @__PURE__ */ writer((v) =>
  typeof v !== 'string'
    ? new Miss('a string', v)
    : /^[\da-f]{6}([\da-f]{2})?$/i.test(v)
      ? v
      : new Miss('RRGGBB or RRGGBBAA', v),
);
export const writeInt = /* @__PURE__ */ writer((v) => number(v, true));
export const writeFloat = /* @__PURE__ */ writer(float);
export const writeVec2 = /* @__PURE__ */ writer((v) => list(v, float, 2));
export const writeVec3 = /* @__PURE__ */ writer((v) => list(v, float, 3));
export const writeColor3 = /* @__PURE__ */ writer((v) => list(v, unit, 3));
export const writeColor4 = /* @__PURE__ */ writer((v) => list(v, unit, 4));
// the fifth value is a thickness, not a colour component
export const writeEdge5 = /* @__PURE__ */ writer((v) => list(v, (x, i) => (i < 4 ? unit(x) : float(x)), 5));
export const writeCsv = /* @__PURE__ */ writer((v) => list(v, item), { raw: true });
export const writePair = /* @__PURE__ */ writer((v) => list(v, item, 2), { raw: true });
export const writeTextParams = /* @__PURE__ */ writer((v) => list(v, float, 3, 4));
// { phoneme, ms } pairs as parseEvent gives them, or the flat `phoneme, ms, ...` list of the wire
export const writePhonemes = /* @__PURE__ */ writer(
  (v) =>
    Array.isArray(v) && v.some((x) => typeof x === 'object' && x)
      ? list(v, (p: any) => {
          if (!(typeof p === 'object' && p)) return new Miss('{ phoneme, ms } objects', p);
          const phoneme = alias(p.phoneme);
          const ms = number(p.ms);
          return phoneme instanceof Miss ? phoneme : ms instanceof Miss ? ms : `${phoneme},${ms}`;
        })
      : list(v, item),
  { raw: true },
);

// ---------------------------------------------------------------------------------------------
// Readers

const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
// Empty fields collapse, as MMDAgent-EX splits them (messages.md §1).
const items = (text: string) => text.split(',').filter((x) => x !== '');

function numbers(text: string, ...sizes: number[]): number[] | Miss {
  const it = items(text);
  if (!sizes.includes(it.length)) return new Miss(`${sizes.join(' or ')} comma-separated values`);
  return it.every((x) => FLOAT.test(x)) ? it.map(Number) : new Miss('numbers');
}

/** Every reader has the same shape too. */
const reader = (read: Reader['read'], rest?: true): Reader => ({ read, rest });

export const readText = /* @__PURE__ */ reader((t) => t);
export const readRest = /* @__PURE__ */ reader((t) => t, true);
export const readWord = /* @__PURE__ */ reader((t, words) => (words!.includes(t) ? t : new Miss(words!.join(' or '))));
export const readHex = /* @__PURE__ */ reader((t) =>
  /^([0-9a-f]{6}|[0-9a-f]{8})$/i.test(t) ? t : new Miss('RRGGBB or RRGGBBAA'),
);
export const readInt = /* @__PURE__ */ reader((t) => (INT.test(t) ? Number(t) : new Miss('a number')));
export const readFloat = /* @__PURE__ */ reader((t) => (FLOAT.test(t) ? Number(t) : new Miss('a number')));
export const readVec2 = /* @__PURE__ */ reader((t) => numbers(t, 2));
export const readVec3 = /* @__PURE__ */ reader((t) => numbers(t, 3));
export const readVec4 = /* @__PURE__ */ reader((t) => numbers(t, 4));
export const readVec5 = /* @__PURE__ */ reader((t) => numbers(t, 5));
export const readTextParams = /* @__PURE__ */ reader((t) => numbers(t, 3, 4));
export const readCsv = /* @__PURE__ */ reader(items);
export const readPair = /* @__PURE__ */ reader((t) =>
  items(t).length === 2 ? items(t) : new Miss('2 comma-separated values'),
);
export const readPhonemes = /* @__PURE__ */ reader((t) => {
  const it = items(t);
  const pairs = [];
  for (let i = 0; i < it.length; i += 2) {
    if (!FLOAT.test(it[i + 1])) return new Miss('phoneme,milliseconds pairs');
    pairs.push({ phoneme: it[i], ms: Number(it[i + 1]) });
  }
  return pairs.length ? pairs : new Miss('phoneme,milliseconds pairs');
});

// The catalog's argument kinds: the one place that says what each argument `type` of
// protocol/messages.json means. A row of ARG_KINDS gives, for one type: the spec letter that
// stands for it in the generated tables, how a builder checks and writes a value (its writer),
// how parseEvent reads the wire text back (its reader), the TypeScript type the generator writes
// for it, and how a form shows it. Writers and readers are separate exports so that bundles keep
// only what they use: scripts/gen.ts writes each builder's writers into commands.ts and each
// letter's reader into table.ts's READERS, and the rest of this table (types, forms, docs) is for
// tools (the generator, the playground) and is left out of bundles. Nothing else interprets a letter.
//
// Adding a kind: a row here (and its writer/reader, exported), its samples in test/kinds.test.ts,
// then `npm run gen`.
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

/** How a form shows an argument of this kind (what the playground renders). */
export interface FormShape {
  input: 'text' | 'number' | 'select';
  placeholder?: string;
  step?: string;
  min?: number;
  max?: number;
  /** A few words beside the label: what the value looks like. */
  hint: string;
  /** The builder's value for the field's text (the builder then checks it). */
  value(text: string): unknown;
}

/** One argument type of messages.json. */
export interface ArgKind {
  /** Its letter in builder ids and the parse table (several types may share one wire shape). */
  code: string;
  write: Writer;
  read: Reader;
  /**
   * TypeScript type of parseEvent's field, and of a builder's parameter unless tsParam says
   * otherwise. `%words` stands for the union of an enum's words.
   */
  ts: string;
  /** A builder's parameter type when wider: it takes every `ts` value, so a field can go back into a builder. */
  tsParam?: string;
  /** The JS value and its wire form, for docs/messages.md. */
  doc: string;
  form: FormShape;
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

// ---------------------------------------------------------------------------------------------
// The table

const asText = (t: string): unknown => t;
const asNumber = (t: string): unknown => (t.trim() === '' ? Number.NaN : Number(t));
const asNumbers = (t: string): unknown => t.split(',').map(asNumber);
const asList = (t: string): unknown => t.split(',');
const asPairs = (t: string): unknown => {
  const it = t.split(',');
  return Array.from({ length: Math.ceil(it.length / 2) }, (_, i) => ({
    phoneme: it[2 * i],
    ms: asNumber(it[2 * i + 1] ?? ''),
  }));
};
const text = (hint: string, placeholder?: string): FormShape => ({ input: 'text', hint, placeholder, value: asText });
const tuple = (hint: string, placeholder: string): FormShape => ({
  input: 'text',
  hint,
  placeholder,
  value: asNumbers,
});

/** Every argument type of messages.json (except `binary`, which only SND audio lines carry). */
export const ARG_KINDS = {
  alias: {
    code: 'a',
    write: writeAlias,
    read: readText,
    ts: 'string',
    doc: 'a name chosen by the sender (model, motion, timer...): a string without `,`',
    form: /* @__PURE__ */ text('name, no ","'),
  },
  string: {
    code: 's',
    write: writeText,
    read: readText,
    ts: 'string',
    doc: 'free text (a string)',
    form: /* @__PURE__ */ text('text'),
  },
  path: {
    code: 's',
    write: writeText,
    read: readText,
    ts: 'string',
    doc: 'a file path relative to the content folder, or a URL (a string)',
    form: /* @__PURE__ */ text('file path or URL'),
  },
  rest: {
    code: 'r',
    write: writeRest,
    read: readRest,
    ts: 'string',
    doc: 'the rest of the line: a string that may contain `|` (it is split into arguments)',
    form: /* @__PURE__ */ text('rest of the line, may contain "|"'),
  },
  enum: {
    code: 'e',
    write: writeWord,
    read: readWord,
    ts: '%words',
    doc: 'one of the listed words (exact case)',
    form: { input: 'select', hint: 'one of the words', value: asText },
  },
  hexcolor: {
    code: 'h',
    write: writeHex,
    read: readHex,
    ts: 'string',
    doc: '`RRGGBB` or `RRGGBBAA` (a string)',
    form: /* @__PURE__ */ text('hex colour', 'RRGGBB or RRGGBBAA'),
  },
  int: {
    code: 'i',
    write: writeInt,
    read: readInt,
    ts: 'number',
    doc: 'an integer (a number)',
    form: { input: 'number', step: '1', hint: 'integer', value: asNumber },
  },
  float: {
    code: 'f',
    write: writeFloat,
    read: readFloat,
    ts: 'number',
    doc: 'a number, written in the shortest decimal form',
    form: { input: 'number', step: 'any', hint: 'number', value: asNumber },
  },
  vec2: {
    code: '2',
    write: writeVec2,
    read: readVec2,
    ts: 'Vec2',
    doc: '`[x, y]`, written `x,y`',
    form: /* @__PURE__ */ tuple('2 numbers', 'x,y'),
  },
  vec3: {
    code: '3',
    write: writeVec3,
    read: readVec3,
    ts: 'Vec3',
    doc: '`[x, y, z]`, written `x,y,z` (MMD units, about 8 cm each)',
    form: /* @__PURE__ */ tuple('3 numbers', 'x,y,z'),
  },
  rot3: {
    code: '3',
    write: writeVec3,
    read: readVec3,
    ts: 'Vec3',
    doc: '`[rx, ry, rz]` in degrees, written `rx,ry,rz`',
    form: /* @__PURE__ */ tuple('3 angles in degrees', 'rx,ry,rz (degrees)'),
  },
  color3: {
    code: 'c',
    write: writeColor3,
    read: readVec3,
    ts: 'Color3',
    doc: '`[r, g, b]`, each 0..1',
    form: /* @__PURE__ */ tuple('3 components 0–1', 'r,g,b (0–1)'),
  },
  color4: {
    code: 'C',
    write: writeColor4,
    read: readVec4,
    ts: 'Color4',
    doc: '`[r, g, b, a]`, each 0..1',
    form: /* @__PURE__ */ tuple('4 components 0–1', 'r,g,b,a (0–1)'),
  },
  edge5: {
    code: 'E',
    write: writeEdge5,
    read: readVec5,
    ts: 'Edge5',
    doc: '`[r, g, b, a, thickness]`, colour components 0..1',
    form: /* @__PURE__ */ tuple('colour 0–1 and a thickness', 'r,g,b,a,thickness'),
  },
  csv: {
    code: 'l',
    write: writeCsv,
    read: readCsv,
    ts: 'string[]',
    tsParam: 'readonly (string | number)[]',
    doc: 'a non-empty array of items without `,` (numbers are written as numbers), written `a,b,c`',
    form: { input: 'text', hint: 'comma-separated list', placeholder: 'a,b,c', value: asList },
  },
  path2: {
    code: 'P',
    write: writePair,
    read: readPair,
    ts: 'readonly [string, string]',
    doc: 'two paths `[a, b]` in one argument, written `a,b` (MMDAgent-EX tells forms apart by the comma)',
    form: { input: 'text', hint: 'two paths', placeholder: 'floor.png,back.png', value: asList },
  },
  textparams: {
    code: 'T',
    write: writeTextParams,
    read: readTextParams,
    ts: 'TextParams',
    doc: '`[size, margin, linespace, outline?]`, 3 or 4 numbers (1 = default)',
    form: /* @__PURE__ */ tuple('3 or 4 numbers', 'size,margin,linespace[,outline]'),
  },
  phonemes: {
    code: 'q',
    write: writePhonemes,
    read: readPhonemes,
    ts: 'LipsyncPhoneme[]',
    tsParam: 'readonly LipsyncPhoneme[] | readonly (string | number)[]',
    doc:
      '`{ phoneme, ms }[]`, written `phoneme,ms,phoneme,ms,...`; builders also take the flat' +
      ' `[phoneme, ms, ...]` list',
    form: { input: 'text', hint: 'phoneme,ms pairs', placeholder: 'a,150,i,120', value: asPairs },
  },
} satisfies Record<string, ArgKind>;

export type ArgType = keyof typeof ARG_KINDS;

/** The named types the kinds' `ts` refers to, declared in the generated types.ts. */
export const TS_DECLARATIONS = [
  '/** `x,y` (messages.md §2). */',
  'export type Vec2 = readonly [x: number, y: number];',
  '/** `x,y,z`, or `rx,ry,rz` in degrees for rotations (messages.md §2). */',
  'export type Vec3 = readonly [x: number, y: number, z: number];',
  '/** `r,g,b`, each 0..1 (messages.md §2). */',
  'export type Color3 = readonly [r: number, g: number, b: number];',
  '/** `r,g,b,a`, each 0..1 (messages.md §2). */',
  'export type Color4 = readonly [r: number, g: number, b: number, a: number];',
  '/** `r,g,b,a,thickness`, colour components 0..1 (messages.md §2). */',
  'export type Edge5 = readonly [r: number, g: number, b: number, a: number, thickness: number];',
  "/** `TEXTAREA_ADD`'s `size,margin,linespace[,outline]`: 1 = default; an outline other than 0 outlines the text. */",
  'export type TextParams = readonly [size: number, margin: number, linespace: number, outline?: number];',
  '/** One step of a `LIPSYNC_START` sequence: a phoneme (Open JTalk set) held for `ms` milliseconds. */',
  'export interface LipsyncPhoneme {',
  '  phoneme: string;',
  '  ms: number;',
  '}',
];

/** Spec syntax: the arguments after this mark are optional. */
export const OPTIONAL = '?';
/** Spec syntax: the letter before this mark repeats (PROMPT_SHOW's further items). */
export const REPEAT = '+';

// ---------------------------------------------------------------------------------------------
// Reading the table (tools: the generator and the playground)

/** One argument of a catalog entry, as messages.json and the generated CATALOG give it. */
export interface ArgSpec {
  name: string;
  type: string;
  optional: boolean;
  enum?: readonly string[];
  description?: string;
  /** Any number of further values (PROMPT_SHOW's items). */
  variadic?: boolean;
}

/** The kind of an argument type, or a clear error for a type the table does not know. */
export function kindOf(type: string): ArgKind {
  const kind = (ARG_KINDS as Record<string, ArgKind>)[type];
  if (!kind) throw new Error(`argument type "${type}" is not in ARG_KINDS (src/catalog/kinds.ts): add a row there`);
  return kind;
}

/** The spec of some arguments: a letter each, OPTIONAL before the first optional one, REPEAT after a variadic one. */
export function specOf(args: readonly ArgSpec[]): string {
  let spec = '';
  let optional = false;
  for (const a of args) {
    if (a.optional && !optional) ((spec += OPTIONAL), (optional = true));
    if (!a.optional && optional) throw new Error(`required argument ${a.name} after an optional one`);
    spec += kindOf(a.type).code + (a.variadic ? REPEAT : '');
  }
  return spec;
}

/**
 * TypeScript type of an argument: `field` as parseEvent gives it, `param` as a builder takes it,
 * `wire` as its text in MessageArgsMap (an enum's words, else a string).
 */
export function tsTypeOf(arg: ArgSpec, as: 'field' | 'param' | 'wire'): string {
  const kind = kindOf(arg.type);
  const words = (arg.enum ?? []).map((w) => `'${w}'`).join(' | ');
  if (as === 'wire') return kind.write.words ? words : 'string';
  const type = (as === 'param' && kind.tsParam) || kind.ts;
  if (arg.variadic && as === 'field') return `${type}[]`; // a builder takes them spread
  return type.replace('%words', words);
}

/** What a form shows for one argument. */
export interface FormField {
  name: string;
  /** `name (type, optional)`-style words for the label. */
  hint: string;
  input: FormShape['input'];
  /** An enum's words (an optional one may also be left out). */
  options?: readonly string[];
  placeholder?: string;
  step?: string;
  min?: number;
  max?: number;
  required: boolean;
  /** The argument is a form's fixed first word (`MENU|ADD`): shown, not asked for. */
  fixed?: string;
  /** Any number of values, typed `|`-separated in one field. */
  variadic?: boolean;
  description?: string;
}

/** How a form shows `arg`. `fixed`: it is the form's own first word, which the builder's name carries. */
export function formFieldOf(arg: ArgSpec, fixed?: boolean): FormField {
  const { form } = kindOf(arg.type);
  return {
    name: arg.name,
    hint: `${form.hint}${arg.optional ? ', optional' : ''}`,
    input: form.input,
    ...(arg.enum ? { options: arg.enum } : {}),
    ...(arg.variadic
      ? { placeholder: 'more items, separated by |' }
      : form.placeholder
        ? { placeholder: form.placeholder }
        : {}),
    ...(form.step ? { step: form.step } : {}),
    ...(form.min !== undefined ? { min: form.min } : {}),
    ...(form.max !== undefined ? { max: form.max } : {}),
    required: !arg.optional,
    ...(fixed && arg.enum ? { fixed: arg.enum[0] } : {}),
    ...(arg.variadic ? { variadic: true } : {}),
    ...(arg.description ? { description: arg.description } : {}),
  };
}

/**
 * The builder's value for a form field's text, for the builder to check (so every error shown is
 * the SDK's own). A variadic argument gives the list of values to spread.
 */
export function formValueOf(arg: ArgSpec, text: string): unknown {
  if (arg.variadic) return text.split('|').filter((x) => x !== '');
  return kindOf(arg.type).form.value(text);
}

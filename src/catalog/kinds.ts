// The catalog's argument kinds: the one place that says what each argument `type` of
// protocol/messages.json means. A row of ARG_KINDS gives, for one type: the spec letter that
// stands for it in the generated tables, how a builder checks and writes a value (its writer) and
// how parseEvent reads the wire text back (its reader), both from codecs.ts, the TypeScript type
// the generator writes for it, and how a form shows it. scripts/gen.ts writes each builder's
// writers into commands.ts and each letter's reader into table.ts's READERS, so bundles keep only
// the codecs they use; the rest of this table (types, forms, docs) is for tools (the generator, the
// playground) and is left out of bundles. Nothing else interprets a letter.
//
// Adding a kind: a row here (and its writer/reader in codecs.ts), its samples in
// test/kinds.test.ts, then `npm run gen`.
import {
  Miss,
  readCsv,
  readFloat,
  readHex,
  readInt,
  readPair,
  readPhonemes,
  readRest,
  readText,
  readTextParams,
  readVec2,
  readVec3,
  readVec4,
  readVec5,
  readWord,
  writeAlias,
  writeColor3,
  writeColor4,
  writeCsv,
  writeEdge5,
  writeFloat,
  writeHex,
  writeInt,
  writePair,
  writePhonemes,
  writeRest,
  writeText,
  writeTextParams,
  writeVec2,
  writeVec3,
  writeWord,
} from './codecs.js';
import type { Reader, Writer } from './codecs.js';

export { Miss };
export type { Reader, Writer };

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

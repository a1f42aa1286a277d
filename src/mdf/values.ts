// How MMDAgent-EX turns a raw .mdf value into a number or a boolean (mdf.md §3.6). Small on
// purpose: the document class uses it, so it ships with every bundle that parses .mdf text.

/**
 * The number at the start of `text` as C's `atoi` (integer) or `atof` reads it: leading
 * whitespace, an optional sign, digits (and for floats a fraction and exponent). Returns the
 * value and how many characters it used; 0 characters means "no number" (the C functions
 * then give 0). `inf`/`nan`/hex floats, which glibc's atof also takes, are not modelled.
 */
export function leadingNumber(text: string, integer: boolean): [value: number, used: number] {
  const m = (integer ? /^[\t-\r ]*[+-]?\d+/ : /^[\t-\r ]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/).exec(text);
  return m ? [Number(m[0].trim()) || 0, m[0].length] : [0, 0];
}

/** C `atoi` (mdf.md §3.6): leading integer, junk after it ignored, no number → 0. */
export const atoi = (text: string): number => leadingNumber(text, true)[0];

/** C `atof` (mdf.md §3.6): leading decimal number, junk after it ignored, no number → 0. */
export const atof = (text: string): number => leadingNumber(text, false)[0];

/**
 * The components of a vector value (`x,y,z`, `r,g,b,a`, `w,h`), each read with atof. Empty
 * pieces are skipped as strtok skips them, so `1,,2` has two components (mdf.md §3.6).
 * Integer vectors (`w,h`) read each component with atoi.
 */
export function vectorOf(text: string, integer = false): number[] {
  return text
    .split(',')
    .filter((piece) => piece !== '')
    .map(integer ? atoi : atof);
}

/** Which of MMDAgent-EX's boolean conventions a key follows (mdf.md §3.6). */
export type MdfBooleanRule = 'exactTrue' | 'notFalse' | 'yesOrTrue' | 'exclude';

const NOT_FALSE =
  /^Plugin_(?:Remote_(?:EnableServer|EnableClient|ServerMode|ClientMode|AllLog|Speak_16k)|AnyScript_AllLog)$/;
const YES_OR_TRUE = /^Plugin_Remote_EnableLocal(?:Lipsync|Passthrough)$/;

export function booleanRule(key: string): MdfBooleanRule {
  if (NOT_FALSE.test(key)) return 'notFalse';
  if (YES_OR_TRUE.test(key)) return 'yesOrTrue';
  return key.startsWith('exclude_Plugin_') ? 'exclude' : 'exactTrue';
}

/**
 * What MMDAgent-EX makes of `value` as a boolean for `key` (mdf.md §3.6): the Remote mode
 * switches are on unless exactly `false` (so `no`, `0` and an empty value turn them ON); the
 * local lip-sync switches take `true`/`True`/`yes`/`Yes`; `exclude_Plugin_*` takes `yes`/`true`;
 * everything else (Option booleans, `show_caption`, unknown keys) is on only for exactly `true`.
 */
export function mdfBoolean(key: string, value: string): boolean {
  switch (booleanRule(key)) {
    case 'notFalse':
      return value !== 'false';
    case 'yesOrTrue':
      return value === 'true' || value === 'True' || value === 'yes' || value === 'Yes';
    case 'exclude':
      return value === 'yes' || value === 'true';
    default:
      return value === 'true';
  }
}

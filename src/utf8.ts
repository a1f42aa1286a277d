// UTF-8 measuring and the character checks every outgoing line and field share.
// Internal module: line.ts re-exports utf8ByteLength; the checker stays private to the codecs.
import { MmdError } from './errors.js';

export const LF = 0x0a;
export const CR = 0x0d;
const PIPE = 0x7c;

export const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
export const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Where a checked text sits, for error messages: a whole line, the type, or argument `n` (0-based). */
export type FieldRef = 'line' | 'type' | number;

/**
 * UTF-8 byte length of `s` without encoding it. A lone surrogate counts 3 bytes because
 * TextEncoder writes it as U+FFFD.
 */
export const utf8ByteLength = (s: string): number => checkWireText(s);

/**
 * Returns the UTF-8 length of outgoing text after refusing what MMDAgent-EX cannot take:
 * CR/LF end a line early and NUL stalls the parser (wire.md §7.2, §7.5); a lone surrogate
 * would go out as U+FFFD; `|` splits fields (wire.md §7.4) unless the text is a whole line.
 * Without `ref` it only measures: one loop for both, since measuring is the hot path and a
 * check costs one comparison per ASCII unit.
 */
export function checkWireText(s: string, ref?: FieldRef): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (ref !== undefined && (c === LF || c === CR || c === 0 || (c === PIPE && ref !== 'line'))) refuse(s, i, ref);
    } else if (c < 0x800) bytes++;
    else if (isHigh(c) && isLow(s.charCodeAt(i + 1))) i++, (bytes += 2); // 2 code units → 4 bytes
    else {
      if (ref !== undefined && (isHigh(c) || isLow(c))) refuse(s, i, ref);
      bytes += 2;
    }
  }
  return bytes;
}

function refuse(s: string, i: number, ref: FieldRef): never {
  const c = s.charCodeAt(i);
  const where = `${typeof ref === 'number' ? 'argument ' + ref : ref} has ${c ? JSON.stringify(s[i]) : 'NUL'} at index ${i}: `;
  throw c === PIPE
    ? new MmdError('ERR_PIPE_IN_FIELD', where + '"|" splits fields; pass separate arguments')
    : c < 0x80
      ? new MmdError('ERR_FORBIDDEN_CHAR', where + 'MMDAgent-EX ends lines at CR/LF and stalls at NUL; remove it')
      : new MmdError('ERR_LONE_SURROGATE', where + 'it would go out as U+FFFD; fix the string');
}

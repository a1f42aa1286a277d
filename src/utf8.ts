// UTF-8 measuring and the character checks every outgoing line and field share.
// Internal module: line.ts re-exports utf8ByteLength; the checker stays private to the codecs.
import { MmdError } from './errors.js';

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const PIPE = 0x7c;

export const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
export const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * UTF-8 byte length of `s` without encoding it. A lone surrogate counts 3 bytes because
 * TextEncoder writes it as U+FFFD.
 */
export function utf8ByteLength(s: string): number {
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (isHigh(c) && isLow(s.charCodeAt(i + 1))) i++, (bytes += 2); // 2 code units → 4 bytes
    else bytes += 2;
  }
  return bytes;
}

/** Where a checked text sits, for error messages: a whole line, the type, or argument `n` (0-based). */
export type FieldRef = 'line' | 'type' | number;

const describe = (ref: FieldRef) => (typeof ref === 'number' ? `argument ${ref}` : ref);

/**
 * Returns the UTF-8 length of outgoing text after refusing what MMDAgent-EX cannot take:
 * CR/LF end a line early and NUL stalls the parser (wire.md §7.2, §7.5); a lone surrogate
 * would go out as U+FFFD; `|` splits fields (wire.md §7.4) unless the text is a whole line.
 */
export function checkWireText(s: string, ref: FieldRef): number {
  const pipeSplits = ref !== 'line';
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === LF || c === CR || c === NUL) {
        const name = c === LF ? '"\\n"' : c === CR ? '"\\r"' : 'NUL';
        throw new MmdError(
          'ERR_FORBIDDEN_CHAR',
          `${describe(ref)} contains ${name} at index ${i}: MMDAgent-EX ends a line at CR/LF and stalls at NUL (wire.md §7.2, §7.5); remove it or send separate messages`,
        );
      }
      if (c === PIPE && pipeSplits) {
        throw new MmdError(
          'ERR_PIPE_IN_FIELD',
          `${describe(ref)} contains "|" at index ${i}: "|" separates fields and cannot be escaped (wire.md §7.4); pass the parts as separate arguments or replace the "|"`,
        );
      }
    } else if (c < 0x800) bytes += 1;
    else if (isHigh(c) && isLow(s.charCodeAt(i + 1))) i++, (bytes += 2);
    else if (isHigh(c) || isLow(c)) {
      throw new MmdError(
        'ERR_LONE_SURROGATE',
        `${describe(ref)} has a lone UTF-16 surrogate at index ${i}, which would reach MMDAgent-EX as U+FFFD; fix the string (often a cut emoji or a bad slice)`,
      );
    } else bytes += 2;
  }
  return bytes;
}

// UTF-8 measuring and the character checks every outgoing line and field share.
// Internal module: line.ts re-exports utf8ByteLength; the checker stays private to the codecs.
import { MmdError } from './errors.js';

import { CR, LF, PIPE } from './chars.js';

export { CR, LF };

// Surrogates by their top bits: 0xd800-0xdbff (high) and 0xdc00-0xdfff (low); NaN is neither.
export const isHigh = (c: number) => c >> 10 === 0x36;
export const isLow = (c: number) => c >> 10 === 0x37;

/** Where a checked text sits, for error messages: a whole line, the type, or argument `n` (0-based). */
export type FieldRef = 'line' | 'type' | number;

/**
 * UTF-8 byte length of `s` without encoding it. A lone surrogate counts 3 bytes because
 * TextEncoder writes it as U+FFFD.
 */
export function utf8ByteLength(s: string): number {
  // Its own loop, not checkWireText's: that one brings the refusal messages into bundles (.mdf
  // editing, LineDecoder alone) that only measure.
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes++;
    else if (isHigh(c) && isLow(s.charCodeAt(i + 1)))
      (i++, (bytes += 2)); // 2 code units → 4 bytes
    else bytes += 2;
  }
  return bytes;
}

/**
 * Anything checkWireText might refuse. Fields without it (nearly all) skip the per-character
 * scan: one native regex test, and 3 bytes per UTF-16 unit as an upper bound on their size.
 */
export const SUSPECT = /[\0\n\r|\ud800-\udfff]/;

/**
 * Returns the UTF-8 length of outgoing text after refusing what MMDAgent-EX cannot take:
 * CR/LF end a line early and NUL stalls the parser (wire.md §7.2, §7.5); a lone surrogate
 * would go out as U+FFFD; `|` splits fields (wire.md §7.4) unless the text is a whole line.
 */
export function checkWireText(s: string, ref: FieldRef): number {
  // Checks and counts in one pass: a regex search, then utf8ByteLength, made encodeLine ~1.5x slower.
  let bytes = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === LF || c === CR || c === 0 || (c === PIPE && ref !== 'line')) refuse(s, i, ref);
    } else if (c < 0x800) bytes++;
    else if (isHigh(c) && isLow(s.charCodeAt(i + 1)))
      (i++, (bytes += 2)); // 2 code units → 4 bytes
    else {
      if (c >> 11 === 0x1b) refuse(s, i, ref); // any surrogate left is lone
      bytes += 2;
    }
  }
  return bytes;
}

function refuse(s: string, i: number, ref: FieldRef): never {
  const c = s.charCodeAt(i);
  const code = c === PIPE ? 'ERR_PIPE_IN_FIELD' : c < 0x80 ? 'ERR_FORBIDDEN_CHAR' : 'ERR_LONE_SURROGATE';
  const where = typeof ref === 'number' ? 'argument ' + ref : ref;
  const what = c < 0x80 ? JSON.stringify(s[i]) : 'a lone surrogate';
  throw new MmdError(
    code,
    `${where} has ${what} at index ${i}: ${c === PIPE ? 'pass separate arguments' : 'remove it'}`,
  );
}

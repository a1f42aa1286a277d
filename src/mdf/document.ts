// A lossless .mdf document: the text is kept as its physical lines (each with its own line
// ending), so toString() gives back the input byte for byte, and edits touch only their lines.
// Keys and values are read exactly as MMDAgent-EX's KeyValue::load reads them (mdf.md §3).
//
// Byte semantics with a string API: MMDAgent-EX works on UTF-8 bytes (2047-byte line pieces,
// NUL). A document parsed from a string measures lines in UTF-8 bytes. A document parsed from
// bytes that are valid UTF-8 is the same; bytes that are not valid UTF-8 (an old Shift-JIS file,
// say) give an `encoding: 'latin1'` document where every string, keys and values included, has
// one char per byte, so nothing is lost and toBytes() writes the same bytes back.
import { MmdError } from '../errors.js';
import { MDF_MAX_LINE_BYTES } from '../limits.js';
import { utf8ByteLength } from '../utf8.js';
import { brokenEnvAt } from './env.js';
import { atof, atoi, mdfBoolean, vectorOf } from './values.js';

/** One `key=value` line as MMDAgent-EX reads it; line and column are 1-based. */
export interface MdfDefinition {
  key: string;
  value: string;
  line: number;
  column: number;
}

/** One piece of a physical line as ZFile::gets returns it (mdf.md §3.1); start is a 0-based column. */
export interface MdfPiece {
  start: number;
  text: string;
}

interface Definition {
  key: string;
  value: string;
  line: number; // 0-based physical line
  start: number; // 0-based column of the piece
  whole: boolean; // the piece is the whole physical line, so the line can be rewritten in place
}

interface Index {
  all: Definition[];
  last: Map<string, Definition>;
  crlf: number; // lines ending in CRLF, and in a bare LF: the file's own style for new lines
  lf: number;
}

// Any line this short fits the byte limit whatever it holds: one UTF-16 unit is at most 3 bytes.
const ALWAYS_FITS = Math.floor(MDF_MAX_LINE_BYTES / 3);

/**
 * Splits one physical line (with its `\n`, if any) where ZFile::gets splits it: after at most
 * 2047 bytes (mdf.md §3.1). A cut through a multi-byte character leaves U+FFFD in both pieces.
 */
export function linePieces(raw: string, latin1: boolean): MdfPiece[] {
  if (raw.length <= ALWAYS_FITS) return [{ start: 0, text: raw }];
  if (latin1) {
    const pieces: MdfPiece[] = [];
    for (let at = 0; at < raw.length; at += MDF_MAX_LINE_BYTES)
      pieces.push({ start: at, text: raw.slice(at, at + MDF_MAX_LINE_BYTES) });
    return pieces;
  }
  if (utf8ByteLength(raw) <= MDF_MAX_LINE_BYTES) return [{ start: 0, text: raw }];
  const bytes = new TextEncoder().encode(raw);
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const pieces: MdfPiece[] = [];
  for (let at = 0, start = 0; at < bytes.length; at += MDF_MAX_LINE_BYTES) {
    const text = decoder.decode(bytes.subarray(at, at + MDF_MAX_LINE_BYTES));
    pieces.push({ start, text });
    start += text.length;
  }
  return pieces;
}

/**
 * The key and value one piece defines, or undefined for a comment, a line without `=`, or
 * a blank line (KeyValue::loadBuf, mdf.md §3.2): text ends at NUL, trailing CR/LF/TAB/SPACE
 * are dropped, only a `#` in column 1 makes a comment, the first `=` splits, nothing is trimmed.
 */
export function pieceDefinition(text: string): [key: string, value: string] | undefined {
  const nul = text.indexOf('\0');
  if (nul >= 0) text = text.slice(0, nul);
  if (text.charCodeAt(0) === 0x23) return undefined;
  const eq = text.indexOf('=');
  if (eq < 0) return undefined;
  let end = text.length;
  for (
    let c = text.charCodeAt(end - 1);
    c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
    c = text.charCodeAt(--end - 1)
  );
  return [text.slice(0, eq), text.slice(eq + 1, end)];
}

function splitLines(text: string): string[] {
  const lines: string[] = [];
  let at = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
    lines.push(text.slice(at, nl + 1));
    at = nl + 1;
  }
  if (at < text.length) lines.push(text.slice(at));
  return lines;
}

const eolOf = (raw: string) => (raw.endsWith('\r\n') ? '\r\n' : raw.endsWith('\n') ? '\n' : '');

export class MdfDocument {
  /** `utf8`: strings are text. `latin1`: the input bytes were not UTF-8; strings hold one char per byte. */
  readonly encoding: 'utf8' | 'latin1';
  #lines: string[];
  #index: Index | undefined;

  /** Same as parseMdf(text) for a string. */
  constructor(text = '', encoding: 'utf8' | 'latin1' = 'utf8') {
    this.encoding = encoding;
    this.#lines = splitLines(text);
  }

  /** The physical lines, each with its own line ending (the last may have none). */
  rawLines(): readonly string[] {
    return this.#lines;
  }

  /** The effective raw value of `key` (the last definition wins; `%ENV{}` left as written). */
  get(key: string): string | undefined {
    return this.#indexed().last.get(key)?.value;
  }

  has(key: string): boolean {
    return this.#indexed().last.has(key);
  }

  /** Every defined key once, in order of first definition. */
  keys(): string[] {
    return [...this.#indexed().last.keys()];
  }

  /** Every defined key with its effective value, in order of first definition. */
  entries(): [key: string, value: string][] {
    return Array.from(this.#indexed().last, ([key, def]) => [key, def.value]);
  }

  /** Every definition in file order, overridden ones included. */
  definitions(): MdfDefinition[] {
    return this.#indexed().all.map((d) => ({ key: d.key, value: d.value, line: d.line + 1, column: d.start + 1 }));
  }

  /** The value as MMDAgent-EX reads a boolean for this key (mdf.md §3.6); undefined when absent. */
  getBoolean(key: string): boolean | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : mdfBoolean(key, value);
  }

  /** The value as C `atoi` reads it; undefined when absent. */
  getInt(key: string): number | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : atoi(value);
  }

  /** The value as C `atof` reads it; undefined when absent. */
  getNumber(key: string): number | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : atof(value);
  }

  /** The comma-separated components read with atof (empty pieces skipped); undefined when absent. */
  getVector(key: string): number[] | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : vectorOf(value);
  }

  /**
   * Sets `key` to `value`: rewrites the effective (last) definition's line in place, keeping its
   * line ending, or appends `key=value` at the end in the file's own line-ending style. A
   * definition inside a line that MMDAgent-EX splits (over 2047 bytes) is overridden by an
   * appended line instead, since later definitions win. An unclosed `%ENV{` is refused
   * (ERR_MDF_ENV): it would make MMDAgent-EX reject the whole file.
   */
  set(key: string, value: string): this {
    checkKey(key, this.encoding);
    checkValue(key, value, this.encoding);
    if (brokenEnvAt(`${key}=${value}`) >= 0) {
      throw new MmdError(
        'ERR_MDF_ENV',
        `"${key}=..." has a "%ENV{" without "}", which makes MMDAgent-EX ignore the whole file (mdf.md §3.5): ` +
          `close or remove it`,
      );
    }
    const index = this.#indexed();
    const lines = this.#lines;
    const def = index.last.get(key);
    if (def?.whole) {
      const eol = eolOf(lines[def.line]);
      lines[def.line] = fitted(key, value, eol, this.encoding);
      def.value = value;
      return this;
    }
    const eol = index.crlf > index.lf ? '\r\n' : '\n';
    const last = lines.length - 1;
    const gluedToLast = last >= 0 && !lines[last].endsWith('\n');
    const line = fitted(key, value, gluedToLast ? '' : eol, this.encoding);
    if (gluedToLast) lines[last] += eol;
    if ((gluedToLast ? lines[last] : line).endsWith('\r\n')) index.crlf++;
    else index.lf++;
    const added: Definition = { key, value, line: lines.length, start: 0, whole: true };
    lines.push(line);
    index.all.push(added);
    index.last.set(key, added);
    return this;
  }

  /** Removes every definition of `key` (each whole line). Returns whether there was one. */
  delete(key: string): boolean {
    const doomed = this.#indexed().all.filter((d) => d.key === key);
    if (doomed.length === 0) return false;
    const split = doomed.find((d) => !d.whole);
    if (split) {
      throw new MmdError(
        'ERR_MDF_SYNTAX',
        `"${key}" is defined inside line ${split.line + 1}, which is longer than ${MDF_MAX_LINE_BYTES} bytes ` +
          `and which MMDAgent-EX reads in pieces (mdf.md §3.1); split that line by hand first`,
      );
    }
    const gone = new Set(doomed.map((d) => d.line));
    this.#lines = this.#lines.filter((_, i) => !gone.has(i));
    this.#index = undefined;
    return true;
  }

  /** The document text; byte for byte the input when nothing was changed. */
  toString(): string {
    return this.#lines.join('');
  }

  /** The document as bytes: UTF-8, or the original bytes for a `latin1` document. */
  toBytes(): Uint8Array {
    const text = this.toString();
    if (this.encoding === 'utf8') return new TextEncoder().encode(text);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  #indexed(): Index {
    if (this.#index) return this.#index;
    const all: Definition[] = [];
    const last = new Map<string, Definition>();
    const latin1 = this.encoding === 'latin1';
    let crlf = 0;
    let lf = 0;
    this.#lines.forEach((raw, line) => {
      if (raw.endsWith('\r\n')) crlf++;
      else if (raw.endsWith('\n')) lf++;
      const pieces = linePieces(raw, latin1);
      for (const piece of pieces) {
        const kv = pieceDefinition(piece.text);
        if (!kv) continue;
        const def: Definition = { key: kv[0], value: kv[1], line, start: piece.start, whole: pieces.length === 1 };
        all.push(def);
        last.set(def.key, def);
      }
    });
    return (this.#index = { all, last, crlf, lf });
  }
}

/**
 * Parses .mdf text or bytes. Never fails: every input is some document, as it is for
 * MMDAgent-EX. Bytes are decoded as UTF-8 with the BOM kept; bytes that are not valid
 * UTF-8 give a `latin1` document (see MdfDocument.encoding).
 */
export function parseMdf(input: string | Uint8Array): MdfDocument {
  if (typeof input === 'string') return new MdfDocument(input);
  try {
    return new MdfDocument(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input));
  } catch {
    let text = '';
    for (let at = 0; at < input.length; at += 0x2000) text += String.fromCharCode(...input.subarray(at, at + 0x2000));
    return new MdfDocument(text, 'latin1');
  }
}

/**
 * What MMDAgent-EX ends up with after reading `docs` in order (mdf.md §1): the system file
 * first, then the content file(s); later values win key by key, keys a later file does not
 * mention stay. A content file (any but the first) with a `%ENV{` lacking its `}` on a
 * non-comment line is skipped whole, as MMDAgent-EX skips it (mdf.md §2). The result has
 * one `key=value` line per key, in order of first definition.
 */
export function mergeMdf(...docs: MdfDocument[]): MdfDocument {
  const latin1 = docs.some((d) => d.encoding === 'latin1');
  const merged = new Map<string, string>();
  docs.forEach((doc, i) => {
    if (i > 0 && hasBrokenEnv(doc)) return;
    const asBytes = latin1 && doc.encoding === 'utf8';
    for (const [key, value] of doc.entries())
      merged.set(asBytes ? byteString(key) : key, asBytes ? byteString(value) : value);
  });
  let text = '';
  for (const [key, value] of merged) text += `${key}=${value}\n`;
  return new MdfDocument(text, latin1 ? 'latin1' : 'utf8');
}

/** True when a non-comment line has a `%ENV{` without `}`: Option::load then fails (mdf.md §2, §3.5). */
export function hasBrokenEnv(doc: MdfDocument): boolean {
  const latin1 = doc.encoding === 'latin1';
  return doc
    .rawLines()
    .some((raw) =>
      linePieces(raw, latin1).some(
        ({ text }) => text.charCodeAt(0) !== 0x23 && brokenEnvAt(text.split('\0', 1)[0]) >= 0,
      ),
    );
}

function byteString(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte);
  return out;
}

function fitted(key: string, value: string, eol: string, encoding: 'utf8' | 'latin1'): string {
  const line = `${key}=${value}${eol}`;
  const bytes = encoding === 'latin1' ? line.length : utf8ByteLength(line);
  if (bytes > MDF_MAX_LINE_BYTES) {
    throw new MmdError(
      'ERR_MDF_VALUE',
      `the line "${key}=..." would be ${bytes} bytes with its line ending; MMDAgent-EX cuts lines after ` +
        `${MDF_MAX_LINE_BYTES} bytes (mdf.md §3.1): shorten the value`,
    );
  }
  return line;
}

const LINE_BREAK = /[\r\n\0]/;

function checkKey(key: string, encoding: 'utf8' | 'latin1'): void {
  const problem =
    key === ''
      ? 'is empty'
      : key.includes('=')
        ? 'contains "=" (the first "=" ends the key)'
        : LINE_BREAK.test(key)
          ? 'contains a line break or NUL'
          : key.charCodeAt(0) === 0x23
            ? 'starts with "#", which makes the line a comment'
            : /^[ \t]|[ \t]$/.test(key)
              ? 'starts or ends with a space or tab, which MMDAgent-EX keeps as part of the key (mdf.md §3.2)'
              : encoding === 'latin1' && /[^\0-\xff]/.test(key)
                ? 'has characters above U+00FF, but this latin1 document holds one byte per character'
                : undefined;
  if (problem)
    throw new MmdError(
      'ERR_MDF_KEY',
      `key ${JSON.stringify(key)} ${problem}; use a plain key such as "Plugin_Remote_Websocket_Host"`,
    );
}

function checkValue(key: string, value: string, encoding: 'utf8' | 'latin1'): void {
  const problem = LINE_BREAK.test(value)
    ? 'contains a line break or NUL, which would end the line'
    : /[ \t]$/.test(value)
      ? 'ends with a space or tab, which MMDAgent-EX strips from the end of every line (mdf.md §3.2)'
      : encoding === 'latin1' && /[^\0-\xff]/.test(value)
        ? 'has characters above U+00FF, but this latin1 document holds one byte per character'
        : undefined;
  if (problem) throw new MmdError('ERR_MDF_VALUE', `value for "${key}" ${problem}; remove those characters`);
}

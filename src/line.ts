// Line framing as MMDAgent-EX does it (wire.md §7.1–7.2): CR and LF both end a line, and a run of
// them after a line is swallowed, so empty lines never exist.
import { MmdError } from './errors.js';
import { AV_MESSAGE_PREFIX, MAX_FRAME_BYTES, MAX_LINE_BYTES, SND_CONTROL_WORDS, SND_HEADER_BYTES } from './limits.js';
import { checkWireText, CR, isHigh, isLow, LF, utf8ByteLength } from './utf8.js';

export { utf8ByteLength };

/**
 * Throws MmdError unless `line` (without its terminator) can be sent to MMDAgent-EX as is:
 * ERR_EMPTY_LINE, ERR_FORBIDDEN_CHAR (CR, LF, NUL), ERR_LONE_SURROGATE, ERR_LINE_TOO_LONG
 * (over MAX_LINE_BYTES UTF-8 bytes), ERR_SND_PREFIX (starts with `SND` but is not one of the
 * three control words: it would be read as audio, wire.md §8.4), ERR_EMPTY_TYPE (only `|`s, also
 * after `__AV_MESSAGE,`). Other `__AV…` lines are valid.
 */
export function validateLine(line: string): void {
  if (typeof line !== 'string') throw new MmdError('ERR_BAD_INPUT', `a line must be a string, got ${typeof line}`);
  if (line === '') throw new MmdError('ERR_EMPTY_LINE', 'empty line: MMDAgent-EX crashes on it; send nothing');
  const bytes = checkWireText(line, 'line');
  if (bytes > MAX_LINE_BYTES) {
    throw new MmdError('ERR_LINE_TOO_LONG', `line is ${bytes} UTF-8 bytes, over ${MAX_LINE_BYTES}: shorten or split it`);
  }
  if (line.startsWith('SND') && !(SND_CONTROL_WORDS as readonly string[]).includes(line)) {
    throw new MmdError('ERR_SND_PREFIX', `line "${line.slice(0, 16)}" would be read as audio: send "__AV_MESSAGE,<line>"`);
  }
  // No type before the first `|`: what MMDAgent-EX does with it is unrecorded (§7.3), maybe §7.2's NULL path.
  if (/^\|*$/.test(line.startsWith(AV_MESSAGE_PREFIX) ? line.slice(AV_MESSAGE_PREFIX.length) : line)) {
    throw new MmdError('ERR_EMPTY_TYPE', `line "${line.slice(0, 16)}" has no message type: put one before the first "|"`);
  }
}

/** validateLine, then lineFrame. */
export function encodeLine(line: string): string {
  validateLine(line);
  return lineFrame(line);
}

/**
 * The frame for one already valid line: the line and its `\n` (LF only, wire.md §12 rule 3). A
 * line starting with `S` that would be under 7 bytes gets more LFs: MMDAgent-EX holds such input
 * until the next frame (§8.4, hazards.md (i)), and swallows a run of LFs after a line (§7.2).
 */
export function lineFrame(line: string): string {
  return line.charCodeAt(0) === 0x53 && line.length < SND_HEADER_BYTES - 1 ? line.padEnd(SND_HEADER_BYTES, '\n') : line + '\n';
}

/**
 * Splits the text of ONE self-contained WebSocket frame into lines. CR and LF both end a line
 * and empty lines are skipped. `terminated` is false when the last line had no terminator:
 * MMDAgent-EX cuts messages of 2047 bytes or more and drops their `\n` (wire.md §5.1), so a
 * receiver must take the frame, not the newline, as the end of a message.
 */
export function frameLines(payload: string): { lines: string[]; terminated: boolean } {
  if (typeof payload !== 'string') {
    throw new MmdError('ERR_BAD_INPUT', `frameLines takes text, got ${typeof payload}; decode binary frames first`);
  }
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < payload.length; i++) {
    const c = payload.charCodeAt(i);
    if (c !== LF && c !== CR) continue;
    if (i > start) lines.push(payload.slice(start, i));
    start = i + 1;
  }
  const terminated = start === payload.length;
  if (!terminated) lines.push(payload.slice(start));
  return { lines, terminated };
}

/**
 * Incremental line decoder for a stream of text or bytes split anywhere, even inside a UTF-8
 * sequence or between CR and LF. Runs in time linear in the input.
 *
 * - `\n`, `\r\n` and also a lone `\r` end a line, as in MMDAgent-EX's parser (wire.md §7.1; a
 *   real client dispatched `X|1\r` at once, real-client/hazards.md (m)). A line ends at its first
 *   terminator byte, so a CRLF split over two chunks still yields the line once.
 * - Empty lines are skipped: any run of CR/LF counts as one terminator.
 * - Text is never altered: a BOM is kept, invalid UTF-8 becomes U+FFFD (MMDAgent-EX can send cut
 *   UTF-8, wire.md §5.1). A UTF-8 sequence left open by a byte chunk and followed by a string
 *   chunk also becomes U+FFFD; otherwise mixing string and byte chunks works.
 * - A line longer than `maxLineBytes` UTF-8 bytes (default 8191, terminator not counted) makes
 *   push() throw ERR_LINE_TOO_LONG after the whole chunk was read. That line is dropped up to its
 *   next terminator; every other line of the chunk is kept and returned first by the next
 *   push() or end(), so the decoder stays usable and loses nothing else.
 */
export class LineDecoder {
  #maxLineBytes: number;
  #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #text = ''; // the partial line as text (a rope), then
  #raw = new Uint8Array(64); // its bytes not decoded yet: one decode per line, not per chunk
  #rawLength = 0;
  #bytes = 0; // UTF-8 bytes of the partial line: its raw bytes and #text up to #measured
  #measured = 0;
  #dropping = false; // skipping the rest of an oversize line
  #overflowBytes = 0; // size reached by the line dropped during this push
  #held: string[] = []; // lines of a chunk whose push() threw ERR_LINE_TOO_LONG

  constructor(opts?: { maxLineBytes?: number }) {
    const max = opts?.maxLineBytes ?? MAX_FRAME_BYTES;
    if (!(Number.isInteger(max) && max > 0)) throw new MmdError('ERR_BAD_ARGUMENT', `maxLineBytes must be a positive integer, got ${max}`);
    this.#maxLineBytes = max;
  }

  /** Feeds one chunk; returns the lines it completed (without terminators). */
  push(chunk: string | Uint8Array | ArrayBuffer): string[] {
    const lines = this.#held;
    this.#held = [];
    if (typeof chunk === 'string') this.#pushText(chunk, lines);
    else if (chunk instanceof Uint8Array) this.#pushBytes(chunk, lines);
    else if (ArrayBuffer.isView(chunk)) this.#pushBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), lines);
    else if (chunk instanceof ArrayBuffer) this.#pushBytes(new Uint8Array(chunk), lines);
    else {
      this.#held = lines;
      throw new MmdError('ERR_BAD_INPUT', `push() takes text or bytes, got ${chunk === null ? 'null' : typeof chunk}`);
    }
    const size = this.#overflowBytes;
    if (size) {
      this.#overflowBytes = 0;
      this.#held = lines;
      throw new MmdError(
        'ERR_LINE_TOO_LONG',
        `a line over maxLineBytes ${this.#maxLineBytes} (${size}+ bytes) was dropped; raise the limit to keep such lines (the ${lines.length} others come next call)`,
      );
    }
    return lines;
  }

  /**
   * Ends the stream: returns the complete lines still held. Throws ERR_TRUNCATED if a line
   * without terminator is left over; the decoder is reset either way and can be reused.
   */
  end(): string[] {
    const lines = this.#held;
    const partial = this.#settle();
    this.#held = [];
    this.#dropping = false;
    this.#endPart();
    if (partial) {
      throw new MmdError(
        'ERR_TRUNCATED',
        `stream ended inside a line (${partial} byte(s)${lines.length ? `, ${lines.length} whole lines discarded` : ''}); end lines with "\\n"`,
      );
    }
    return lines;
  }

  #pushText(s: string, lines: string[]): void {
    // Bytes held before text: a UTF-8 sequence they leave open becomes U+FFFD. They were
    // counted as bytes, so their text is not measured.
    if (this.#rawLength) this.#measured = (this.#text += (this.#settle(), this.#decodeRaw())).length;
    const start = this.#split(s, this.#maxLineBytes / 3, lines);
    if (start < s.length) this.#add(start ? s.slice(start) : s);
  }

  #pushBytes(b: Uint8Array, lines: string[]): void {
    let last = b.length;
    while (last-- && b[last] !== LF && b[last] !== CR);
    let start = 0;
    for (let i = 0; i <= last; i++) {
      if (b[i] !== LF && b[i] !== CR) continue;
      this.#addRaw(b, start, i);
      this.#endLine(lines);
      start = i + 1;
      // The whole lines up to the last terminator: one decode for all of them once they cannot
      // break the limit (UTF-8 never puts CR or LF inside a character, and invalid bytes decode
      // the same in one piece or line by line). Longer stretches go line by line.
      if (last - start < this.#maxLineBytes) {
        if (last > start) this.#split(this.#decoder.decode(b.subarray(start, last + 1)), Infinity, lines);
        start = last + 1;
        break;
      }
    }
    this.#addRaw(b, start, b.length);
  }

  /**
   * Pushes the lines of `s` that end in it and returns where the text after them begins. A
   * UTF-16 unit is at most 3 UTF-8 bytes, so only lines longer than `maxUnits`, or that end a
   * partial line, are measured.
   */
  #split(s: string, maxUnits: number, lines: string[]): number {
    // indexOf runs natively, several times faster than a charCodeAt loop; CR is rare, so its
    // search mostly ends at once.
    let start = 0;
    let lf = s.indexOf('\n');
    let cr = s.indexOf('\r');
    while (lf >= 0 || cr >= 0) {
      const i = cr < 0 || (lf >= 0 && lf < cr) ? lf : cr;
      if (i - start > maxUnits || this.#text || this.#dropping) {
        if (i > start) this.#add(s.slice(start, i));
        this.#endLine(lines);
      } else if (i > start) lines.push(s.slice(start, i));
      start = i + 1;
      if (i === lf) lf = s.indexOf('\n', start);
      else cr = s.indexOf('\r', start);
    }
    return start;
  }

  /** Holds bytes `from`..`to` of `b` as part of the partial line. */
  #addRaw(b: Uint8Array, from: number, to: number): void {
    if (this.#dropping || from === to) return;
    this.#bytes += to - from;
    if (!this.#fits()) return;
    const length = this.#rawLength + to - from;
    const held = this.#raw;
    if (length > held.length) (this.#raw = new Uint8Array(2 * length)).set(held.subarray(0, this.#rawLength));
    // A few bytes are copied faster one by one than through a subarray view.
    if (to - from > 32) this.#raw.set(b.subarray(from, to), this.#rawLength);
    else for (let i = this.#rawLength; from < to; ) this.#raw[i++] = b[from++];
    this.#rawLength = length;
  }

  #decodeRaw(): string {
    const text = this.#decoder.decode(this.#raw.subarray(0, this.#rawLength));
    this.#rawLength = 0;
    return text;
  }

  #add(text: string): void {
    if (this.#dropping) return;
    this.#text += text;
    this.#fits();
  }

  /**
   * False once the partial line broke the limit: it is dropped. A UTF-16 unit is at most 3
   * UTF-8 bytes, so text is measured only when that bound is over the limit.
   */
  #fits(): boolean {
    const bound = this.#bytes + 3 * (this.#text.length - this.#measured);
    if (bound <= this.#maxLineBytes || this.#settle() <= this.#maxLineBytes) return true;
    this.#overflowBytes = Math.max(this.#overflowBytes, this.#bytes);
    this.#endPart();
    this.#dropping = true;
    return false;
  }

  /** Measures the text added since the last call; returns the exact size of the partial line. */
  #settle(): number {
    const text = this.#text;
    if (text.length > this.#measured) {
      // A surrogate pair split over two chunks is 4 bytes, not two lone ones of 3.
      const rejoined = isLow(text.charCodeAt(this.#measured)) && isHigh(text.charCodeAt(this.#measured - 1)) ? 2 : 0;
      this.#bytes += utf8ByteLength(text.slice(this.#measured)) - rejoined;
      this.#measured = text.length;
    }
    return this.#bytes;
  }

  #endLine(lines: string[]): void {
    if (this.#dropping) this.#dropping = false;
    else if (this.#text || this.#rawLength) {
      lines.push(this.#rawLength ? this.#text + this.#decodeRaw() : this.#text);
      this.#endPart();
    }
  }

  #endPart(): void {
    this.#text = '';
    this.#rawLength = 0;
    this.#bytes = this.#measured = 0;
  }
}

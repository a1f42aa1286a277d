// Line framing as MMDAgent-EX does it (wire.md §7.1–7.2): CR and LF both end a line, and a run of
// them after a line is swallowed, so empty lines never exist.
import { MmdError } from './errors.js';
import { AV_MESSAGE_PREFIX, MAX_FRAME_BYTES, MAX_LINE_BYTES, SND_CONTROL_WORDS, SND_HEADER_BYTES } from './limits.js';
import { CR, LF } from './chars.js';
import { checkWireText, isHigh, isLow, utf8ByteLength } from './utf8.js';

export { utf8ByteLength };

/**
 * Throws MmdError unless `line` (without its terminator) can be sent to MMDAgent-EX as is:
 * ERR_EMPTY_LINE, ERR_FORBIDDEN_CHAR (CR, LF, NUL), ERR_LONE_SURROGATE, ERR_LINE_TOO_LONG
 * (over MAX_LINE_BYTES UTF-8 bytes), ERR_SND_PREFIX (starts with `SND` but is not one of the
 * three control words: it would be read as audio, wire.md §8.4), ERR_EMPTY_TYPE (only `|`s, also
 * after `__AV_MESSAGE,`). Other `__AV…` lines are valid.
 */
export function validateLine(line: string): void {
  if (typeof line !== 'string') throw new MmdError('ERR_BAD_INPUT', `line must be a string, not ${typeof line}`);
  if (line === '') throw new MmdError('ERR_EMPTY_LINE', 'empty line: send nothing');
  const bytes = checkWireText(line, 'line');
  if (bytes > MAX_LINE_BYTES)
    throw new MmdError('ERR_LINE_TOO_LONG', `line is ${bytes} bytes, over ${MAX_LINE_BYTES}: shorten it`);
  if (line.startsWith('SND') && !(SND_CONTROL_WORDS as readonly string[]).includes(line)) {
    throw new MmdError(
      'ERR_SND_PREFIX',
      `"${line.slice(0, 16)}" would be read as audio: prefix it with ${AV_MESSAGE_PREFIX}`,
    );
  }
  // No type before the first `|`: what MMDAgent-EX does with it is unrecorded (§7.3), maybe §7.2's NULL path.
  if (/^\|*$/.test(line.startsWith(AV_MESSAGE_PREFIX) ? line.slice(AV_MESSAGE_PREFIX.length) : line)) {
    throw new MmdError('ERR_EMPTY_TYPE', `"${line.slice(0, 16)}" has no message type: put one before "|"`);
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
  return line.charCodeAt(0) === 0x53 && line.length < SND_HEADER_BYTES - 1
    ? line.padEnd(SND_HEADER_BYTES, '\n')
    : line + '\n';
}

/**
 * Splits the text of ONE self-contained WebSocket frame into lines. CR and LF both end a line
 * and empty lines are skipped. `terminated` is false when the last line had no terminator:
 * MMDAgent-EX cuts messages of 2047 bytes or more and drops their `\n` (wire.md §5.1), so a
 * receiver must take the frame, not the newline, as the end of a message.
 */
export function frameLines(payload: string): { lines: string[]; terminated: boolean } {
  if (typeof payload !== 'string') {
    throw new MmdError('ERR_BAD_INPUT', `frameLines takes text, not ${typeof payload}: decode binary frames first`);
  }
  // A run of CR/LF is one break; a payload ending in one splits off an empty last part.
  const parts = payload.split(/[\r\n]+/);
  const terminated = parts[parts.length - 1] === '';
  const lines = parts.filter((line) => line);
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
 * - A line longer than `maxLineBytes` UTF-8 bytes (default 8191, terminator not counted; bytes
 *   that decode to U+FFFD count as its 3) makes push() throw ERR_LINE_TOO_LONG after the whole
 *   chunk was read. That line is dropped up to its next terminator; every other line of the
 *   chunk is kept and returned first by the next push() or end(), so the decoder stays usable
 *   and loses nothing else.
 */
export class LineDecoder {
  #maxLineBytes: number;
  #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #lines: string[] = []; // complete lines not returned yet
  #text = ''; // the partial line as text (a rope), then
  #raw = new Uint8Array(64); // its bytes not decoded yet: decoded with the chunk that ends the line
  #rawLength = 0;
  #measured = 0; // UTF-16 units of #text measured so far, and
  #bytes = 0; // their UTF-8 size
  #dropping = false; // skipping the rest of an oversize line
  #overflowed = false; // a line was dropped during this push

  constructor(opts?: { maxLineBytes?: number }) {
    const max = opts?.maxLineBytes ?? MAX_FRAME_BYTES;
    if (!(Number.isInteger(max) && max > 0))
      throw new MmdError('ERR_BAD_ARGUMENT', `maxLineBytes must be a positive integer, not ${max}`);
    this.#maxLineBytes = max;
  }

  /** Feeds one chunk; returns the lines it completed (without terminators). */
  push(chunk: string | Uint8Array | ArrayBuffer): string[] {
    if (typeof chunk === 'string') this.#pushText(chunk);
    else if (chunk instanceof Uint8Array) this.#pushBytes(chunk);
    else if (ArrayBuffer.isView(chunk))
      this.#pushBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    else if (chunk instanceof ArrayBuffer) this.#pushBytes(new Uint8Array(chunk));
    else throw new MmdError('ERR_BAD_INPUT', 'push() takes a string or bytes');
    if (this.#overflowed) {
      this.#overflowed = false;
      throw new MmdError(
        'ERR_LINE_TOO_LONG',
        `a line over maxLineBytes ${this.#maxLineBytes} was dropped: raise it to keep such lines; the others ` +
          `come next call`,
      );
    }
    const lines = this.#lines;
    this.#lines = [];
    return lines;
  }

  /**
   * Ends the stream: returns the complete lines still held. Throws ERR_TRUNCATED if a line
   * without terminator is left over (the lines held are then lost with it); the decoder is reset
   * either way and can be reused.
   */
  end(): string[] {
    const lines = this.#lines;
    const partial = this.#settle() + this.#rawLength;
    this.#lines = [];
    this.#endPart();
    if (partial)
      throw new MmdError('ERR_TRUNCATED', `stream ended inside a line (${partial} bytes): end lines with "\\n"`);
    return lines;
  }

  #pushText(s: string): void {
    // Bytes held before text: a UTF-8 sequence they leave open becomes U+FFFD.
    if (this.#rawLength) this.#text += this.#decodeRaw();
    const lines = this.#lines;
    // indexOf runs natively, several times faster than a charCodeAt loop; CR is rare, so its
    // search mostly ends at once.
    let start = 0;
    let lf = s.indexOf('\n');
    let cr = s.indexOf('\r');
    while (lf >= 0 || cr >= 0) {
      const i = cr < 0 || (lf >= 0 && lf < cr) ? lf : cr;
      // A UTF-16 unit is at most 3 UTF-8 bytes: only long lines, and those ending a partial one, are measured.
      if (this.#text || this.#dropping || 3 * (i - start) > this.#maxLineBytes) {
        this.#addText(s.slice(start, i));
        if (!this.#dropping) lines.push(this.#text);
        this.#endPart();
      } else if (i > start) lines.push(s.slice(start, i));
      start = i + 1;
      if (i === lf) lf = s.indexOf('\n', start);
      else cr = s.indexOf('\r', start);
    }
    if (start < s.length) this.#addText(s.slice(start));
  }

  #pushBytes(b: Uint8Array): void {
    let end = b.length;
    while (end && b[end - 1] !== LF && b[end - 1] !== CR) end--;
    if (end) {
      // The bytes held and the chunk's whole lines take one decode (the held buffer grows to fit
      // them): UTF-8 never puts CR or LF inside a character, so invalid bytes decode the same in
      // one piece or line by line.
      if (this.#rawLength) this.#holdBytes(b, 0, end);
      this.#pushText(this.#rawLength ? this.#decodeRaw() : this.#decoder.decode(b.subarray(0, end)));
    }
    if (end < b.length && !this.#dropping) {
      this.#holdBytes(b, end, b.length);
      this.#checkSize();
    }
  }

  /** Appends bytes `from`..`to` of `b` to those held. */
  #holdBytes(b: Uint8Array, from: number, to: number): void {
    const length = this.#rawLength + to - from;
    const held = this.#raw;
    if (length > held.length) (this.#raw = new Uint8Array(2 * length)).set(held.subarray(0, this.#rawLength));
    // A few bytes are copied faster one by one than through a subarray view.
    if (to - from > 32) this.#raw.set(b.subarray(from, to), this.#rawLength);
    else for (let i = this.#rawLength; from < to;) this.#raw[i++] = b[from++];
    this.#rawLength = length;
  }

  #decodeRaw(): string {
    const text = this.#decoder.decode(this.#raw.subarray(0, this.#rawLength));
    this.#rawLength = 0;
    // A partial line never needs more than maxLineBytes; a big chunk decoded with it does not
    // get to keep its copy alive for the life of the decoder.
    if (this.#raw.length > this.#maxLineBytes) this.#raw = new Uint8Array(64);
    return text;
  }

  #addText(text: string): void {
    if (this.#dropping) return;
    this.#text += text;
    this.#checkSize();
  }

  /**
   * Drops the partial line once it is over the limit. Held bytes count one each (they never
   * decode to fewer); text is measured only when 3 bytes a UTF-16 unit could be over.
   */
  #checkSize(): void {
    const max = this.#maxLineBytes - this.#rawLength;
    if (this.#bytes + 3 * (this.#text.length - this.#measured) > max && this.#settle() > max) {
      this.#endPart();
      this.#overflowed = this.#dropping = true;
    }
  }

  /** Measures the text added since the last call; returns the UTF-8 size of all of it. */
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

  /** Forgets the partial line, and that it was being dropped. */
  #endPart(): void {
    this.#text = '';
    this.#rawLength = this.#bytes = this.#measured = 0;
    this.#dropping = false;
  }
}

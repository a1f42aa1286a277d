// What the relay accepts from controllers and what it tells them. Controller frames are checked
// here, completely, before a byte is forwarded: MMDAgent-EX has no way to refuse bad input
// (wire.md §13), so the relay refuses it and says why.
import { MmdError, isMmdError } from '../../errors.js';
import {
  MAX_FRAME_BYTES,
  MAX_LINE_BYTES,
  SND_CONTROL_WORDS,
  SND_HEADER_BYTES,
  SND_MIN_CHUNK_BYTES,
} from '../../limits.js';
import { frameLines, lineFrame, validateLine } from '../../line.js';

/** Relay status lines sent to controllers, in the wire's own `TYPE|args` form. */
export const RELAY_AGENT_CONNECTED = 'RELAY_AGENT_CONNECTED';
export const RELAY_AGENT_DISCONNECTED = 'RELAY_AGENT_DISCONNECTED';
export const RELAY_ERROR = 'RELAY_ERROR';

/**
 * Largest binary frame forwarded to an agent. MMDAgent-EX may still hold up to 6 bytes of a short
 * line starting with `S` (it waits for 7 bytes before deciding whether it is SND, wire.md §8.4,
 * hazards.md (i)), e.g. one the user's own AgentLink sent; a frame must fit the 8191 − pending
 * read window or the agent is disconnected (§6.5).
 */
export const MAX_BINARY_FRAME_BYTES = MAX_FRAME_BYTES - (SND_HEADER_BYTES - 1);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * `RELAY_ERROR|CODE|message`, with the message made into a valid line argument: no `|`, CR, LF
 * or NUL, bounded, cut between code points and without lone surrogates (messages may quote a
 * cut line), so it is valid UTF-8.
 */
export function relayErrorLine(code: string, message: string): string {
  let text = message.slice(0, MAX_LINE_BYTES / 4);
  if (/[\uD800-\uDBFF]$/.test(text) && /^[\uDC00-\uDFFF]/.test(message.slice(text.length))) text = text.slice(0, -1);
  text = text
    .replace(/[|\r\n\0]+/g, ' ')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return `${RELAY_ERROR}|${code}|${text}\n`;
}

export function relayStatusLine(type: string, channel: string): string {
  return `${type}|${channel}\n`;
}

/**
 * The frame that carries one validated line to an agent: lineFrame, which pads a short line
 * starting with `S` so MMDAgent-EX does not hold it back (wire.md §8.4, hazards.md (i)). The
 * SDK's every path to an agent (AgentLink.send, setup, Channel.send, the relay) uses it.
 */
export const agentLineFrame = lineFrame;

/**
 * True when a controller's one-line frame is byte for byte the frame agentLineFrame builds for
 * that line, so it can be forwarded as it came instead of re-encoded. The padding rule is
 * lineFrame's alone: a padded frame is a few bytes and compared whole; otherwise the frame must
 * end in LF and be one byte longer than the line, so controllerLines removed nothing but that LF.
 */
export function isAgentLineFrame(bytes: Uint8Array, line: string): boolean {
  const frame = lineFrame(line);
  if (frame.length !== line.length + 1) return lenientUtf8.decode(bytes) === frame;
  return bytes[bytes.length - 1] === 0x0a && Buffer.byteLength(line) + 1 === bytes.length;
}

/** An agent's frame as text: MMDAgent-EX may cut a character in half (wire.md §5.1), so decode with U+FFFD. */
export function agentText(bytes: Uint8Array): string {
  return lenientUtf8.decode(bytes);
}

/**
 * The lines of one controller text frame, each validated (validateLine, wire.md §12). A frame is
 * self-contained: a last line without `\n` is complete, and nothing is carried into the next
 * frame. Throws MmdError for the first problem, so the frame is refused as a whole.
 */
export function controllerLines(bytes: Uint8Array): string[] {
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new MmdError(
      'ERR_FRAME_TOO_LARGE',
      `frame of ${bytes.length} bytes refused: MMDAgent-EX reads at most ${MAX_FRAME_BYTES} bytes per frame ` +
        `(wire.md §6.5); send fewer lines per frame`,
    );
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new MmdError(
      'ERR_INVALID_UTF8',
      'frame refused: it is not valid UTF-8, which hangs MMDAgent-EX (wire.md §7.5); send text as UTF-8',
    );
  }
  const { lines } = frameLines(text);
  if (lines.length === 0) {
    throw new MmdError(
      'ERR_EMPTY_LINE',
      'frame refused: it holds no line (empty or only CR/LF), which crashes or disconnects MMDAgent-EX (wire.md ' +
        '§6.4, §7.2)',
    );
  }
  lines.forEach((line, i) => {
    try {
      validateLine(line);
    } catch (err) {
      if (isMmdError(err) && lines.length > 1)
        throw new MmdError(err.code, `line ${i + 1} of the frame: ${err.message}`);
      throw err;
    }
  });
  return lines;
}

const CONTROL_WORDS = new Set<string>(SND_CONTROL_WORDS);

/**
 * Checks a controller's binary frame: only whole SND chunks (`SND` + 4-digit even length + PCM)
 * and control words (optionally followed by `\n` or `\r\n`), at most one frame's worth of bytes
 * (wire.md §8.1, §8.2, §12.6–7). Anything else in MMDAgent-EX's text path hangs it (§7.5).
 */
export function checkSndFrame(bytes: Uint8Array): void {
  if (bytes.length === 0) {
    throw new MmdError(
      'ERR_EMPTY_LINE',
      'empty binary frame refused: MMDAgent-EX treats an empty frame as a disconnect (wire.md §6.4)',
    );
  }
  if (bytes.length > MAX_BINARY_FRAME_BYTES) {
    throw new MmdError(
      'ERR_FRAME_TOO_LARGE',
      `binary frame of ${bytes.length} bytes refused: at most ${MAX_BINARY_FRAME_BYTES} bytes per frame ` +
        `(wire.md §6.5, §8.4); send smaller SND chunks (about 1280 bytes is usual)`,
    );
  }
  let at = 0;
  while (at < bytes.length) {
    if (
      bytes.length - at < SND_HEADER_BYTES ||
      bytes[at] !== 0x53 ||
      bytes[at + 1] !== 0x4e ||
      bytes[at + 2] !== 0x44
    ) {
      throw new MmdError(
        'ERR_BINARY_FRAME',
        `binary frame refused at byte ${at}: binary frames must hold only SND chunks ("SND" + 4 digits + PCM) ` +
          `or SNDSTRM/SNDFILE/SNDBRKS (wire.md §8); send text as text frames`,
      );
    }
    const field = String.fromCharCode(bytes[at + 3], bytes[at + 4], bytes[at + 5], bytes[at + 6]);
    if (CONTROL_WORDS.has(`SND${field}`)) {
      at += SND_HEADER_BYTES;
      if (bytes[at] === 0x0d && bytes[at + 1] === 0x0a) at += 2;
      else if (bytes[at] === 0x0a) at += 1;
      continue;
    }
    if (!/^\d{4}$/.test(field)) {
      throw new MmdError(
        'ERR_SND_HEADER',
        `binary frame refused at byte ${at}: "SND${field}" is not SND + 4 digits (wire.md §8.1); zero-pad the ` +
          `length, e.g. SND0960`,
      );
    }
    const length = Number(field);
    if (length < SND_MIN_CHUNK_BYTES || length % 2 !== 0) {
      throw new MmdError(
        'ERR_SND_CHUNK_SIZE',
        `binary frame refused at byte ${at}: SND length ${length} must be even and at least ` +
          `${SND_MIN_CHUNK_BYTES} (16-bit samples, wire.md §8.1)`,
      );
    }
    at += SND_HEADER_BYTES + length;
    if (at > bytes.length) {
      throw new MmdError(
        'ERR_SND_CHUNK_SIZE',
        `binary frame refused: its last SND chunk announces ${length} bytes but the frame ends ` +
          `${at - bytes.length} bytes early; put whole chunks in each frame`,
      );
    }
  }
}

/**
 * Whether a line sent to the agent turns its connection's avatar control on (true), off (false)
 * or neither (undefined): `__AV_START`/`__AV_END` and `AVATAR_CONTROL|ENABLE`/`DISABLE`
 * (avatar.md, messages.md). The server uses it to know when its app owns avatar control.
 */
export function avatarSwitch(frame: string): boolean | undefined {
  const line = frame.replace(/[\r\n]+$/, '');
  if (line === '__AV_START' || line === 'AVATAR_CONTROL|ENABLE') return true;
  if (line === '__AV_END' || line === 'AVATAR_CONTROL|DISABLE') return false;
  return undefined;
}

/** The avatar state an agent line reports: `AVATAR|START` (true), `AVATAR|END` (false), else undefined. */
export function agentAvatarState(bytes: Uint8Array): boolean | undefined {
  // 'A', 'V', 'A' and '|' at 6: a cheap test before anything is decoded.
  if (bytes[0] !== 0x41 || bytes[6] !== 0x7c || bytes.length > 14) return undefined;
  const line = agentText(bytes).replace(/[\r\n]+$/, '');
  return line === 'AVATAR|START' ? true : line === 'AVATAR|END' ? false : undefined;
}

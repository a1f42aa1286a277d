/**
 * Outgoing line encoding, written once: AgentLink.send, its `setup` lines and the server's
 * `setup` option all frame a line here.
 */
import { SND_CONTROL_WORDS } from '../limits.js';
import { encodeLine, lineFrame } from '../line.js';
import { formatMessage, type Message } from '../message.js';

/**
 * The frame for one line: a string is checked as a raw line, a Message is formatted; both get
 * their `\n` (wire.md §12.3-4). Throws MmdError for a line MMDAgent-EX would mishandle.
 */
export function outgoingFrame(msg: Message | string): string {
  if (typeof msg !== 'string') return lineFrame(formatMessage(msg));
  // sndControl() returns its word with the `\n` a raw socket needs; a link adds its own.
  const word = msg.slice(0, -1);
  return encodeLine(msg.endsWith('\n') && (SND_CONTROL_WORDS as readonly string[]).includes(word) ? word : msg);
}

/** The frames of a `setup` list, validated up front so a bad line fails before anything is sent. */
export function setupFrames(setup: readonly (Message | string)[] = []): string[] {
  return setup.map(outgoingFrame);
}

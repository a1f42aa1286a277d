// What a controller may ask of the agent (issue 13). MMDAgent-EX cannot refuse anything (wire.md
// §10.2), and on Linux a lost connection ends it, so lines that end, restart or move the agent's
// connection are refused by default; the relay's own status lines cannot be forged; and a server
// app may narrow the rest per channel (allow/deny by type or by a function, read-only viewers).
import { MmdError } from '../../errors.js';
import { AV_MESSAGE_PREFIX, PEER_DISCONNECTED } from '../../limits.js';

/**
 * Lines refused by default because they end, restart or redirect the agent's connection (or act
 * outside it). A server app may allow a kind by name (`lines.allowUnsafe`). Each one's evidence:
 * - `plugin-disable-remote`: `PLUGIN_DISABLE|Remote` cuts the connection for good (messages.md;
 *   wire.md §4.2, §12), and the Linux app dies with it (real-client/notes.md).
 * - `remote-settings`: `KEYVALUE_SET|Plugin_Remote_*` (the KeyValue store is the .mdf store,
 *   messages.md) re-points the next connection; so does a BUTTON_ADD whose action is
 *   `setkeyvalue,Plugin_Remote_*=…` once somebody clicks it.
 * - `content-switch`: `OPEN_CONTENT` restarts the app with other content, dropping the
 *   connection (wire.md §4.5); a BUTTON_ADD action `play,<content>` does the same on a click.
 * - `quit-key`: `REMOTEKEY_DOWN|Escape` acts as the Esc key, which shuts MMDAgent-EX down
 *   (real-client/notes.md run E ended by Esc).
 * - `execute`: `EXECUTE|<file>` starts a program on the agent's machine (Windows).
 */
export const UNSAFE_LINE_KINDS = [
  'plugin-disable-remote',
  'remote-settings',
  'content-switch',
  'quit-key',
  'execute',
] as const;
export type UnsafeLineKind = (typeof UNSAFE_LINE_KINDS)[number];

/** A controller line as the policy sees it: the bus message MMDAgent-EX would dispatch. */
export interface ControllerLine {
  /** The message type, after any `__AV_MESSAGE,` wrapping; for other `__AV_*` lines the line up to its first `,`. */
  type: string;
  args: string[];
  /** The line as the controller sent it. */
  line: string;
}

/** Who sent a line (ControllerInfo's fields that a policy may use). */
export interface LineSender {
  channel: string;
  remoteAddress: string | undefined;
  readOnly: boolean;
}

export type LineRule = readonly string[] | ((line: ControllerLine, sender: LineSender) => boolean);

/** What controllers may send on a channel. The built-in refusals always apply unless `allowUnsafe` names them. */
export interface LinePolicy {
  /** Only these message types (or lines the function accepts) go through; default: every type. */
  allow?: LineRule;
  /** These types (or lines the function matches) are refused; checked after `allow`. */
  deny?: LineRule;
  /** Unsafe kinds this server app does want controllers to send. */
  allowUnsafe?: readonly UnsafeLineKind[];
}

/** The relay's own line types (frames.ts) and the relay's signal to the agent: never from a controller. */
function isRelayLine(type: string): boolean {
  return type.startsWith('RELAY_') || type === PEER_DISCONNECTED;
}

/** Splits a controller line the way MMDAgent-EX reads it (wire.md §7.3, avatar.md `__AV_MESSAGE`). */
export function controllerLine(line: string): ControllerLine {
  let message = line;
  while (message.startsWith(AV_MESSAGE_PREFIX)) message = message.slice(AV_MESSAGE_PREFIX.length);
  if (message.startsWith('__AV')) {
    const comma = message.indexOf(',');
    return { type: comma < 0 ? message : message.slice(0, comma), args: [], line };
  }
  const [type, ...args] = message.split('|');
  return { type, args, line };
}

/** The unsafe kind a line is, if any. */
export function unsafeKind({ type, args }: ControllerLine): UnsafeLineKind | undefined {
  const first = (args[0] ?? '').trim().toLowerCase();
  switch (type) {
    case 'PLUGIN_DISABLE':
      return first === 'remote' ? 'plugin-disable-remote' : undefined;
    case 'KEYVALUE_SET':
      return first.startsWith('plugin_remote_') ? 'remote-settings' : undefined;
    case 'OPEN_CONTENT':
      return 'content-switch';
    case 'BUTTON_ADD': {
      const action = (args[4] ?? '').trim().toLowerCase();
      if (action.startsWith('play,')) return 'content-switch';
      return /^setkeyvalue,\s*plugin_remote_/.test(action) ? 'remote-settings' : undefined;
    }
    case 'REMOTEKEY_DOWN':
      return first === 'escape' ? 'quit-key' : undefined;
    case 'REMOTEKEY_CHAR':
      return (args[0] ?? '').charCodeAt(0) === 0x1b ? 'quit-key' : undefined;
    case 'EXECUTE':
      return 'execute';
    default:
      return undefined;
  }
}

function matches(rule: LineRule, line: ControllerLine, sender: LineSender): boolean {
  return typeof rule === 'function' ? rule(line, sender) : rule.includes(line.type);
}

function refused(message: string): MmdError {
  return new MmdError('ERR_LINE_NOT_ALLOWED', message);
}

/** Throws ERR_LINE_NOT_ALLOWED for a read-only controller (a viewer): it may watch, not send. */
export function checkMaySend(sender: LineSender): void {
  if (sender.readOnly) {
    throw refused('this controller is read-only (it connected with the viewer token): it may watch but not send');
  }
}

/** Throws ERR_LINE_NOT_ALLOWED unless `sender` may send `raw` to the agent under `policy`. */
export function checkControllerLine(raw: string, policy: LinePolicy | undefined, sender: LineSender): void {
  checkMaySend(sender);
  const line = controllerLine(raw);
  if (isRelayLine(line.type)) {
    throw refused(
      `${line.type} is the relay's own line: controllers cannot send it (it would be echoed to every controller ` +
        `as if the relay said it)`,
    );
  }
  const kind = unsafeKind(line);
  if (kind && !policy?.allowUnsafe?.includes(kind)) {
    throw refused(
      `${line.type} refused: it would end, restart or move MMDAgent-EX's connection (${kind}); the server app ` +
        `may allow it with lines.allowUnsafe: ['${kind}'] (docs/security.md)`,
    );
  }
  if (policy?.allow && !matches(policy.allow, line, sender)) {
    throw refused(`${line.type} is not among the lines this channel allows controllers to send`);
  }
  if (policy?.deny && matches(policy.deny, line, sender)) {
    throw refused(`${line.type} is denied to controllers on this channel`);
  }
}

/** Validates the `lines` option: lists of strings or functions, known unsafe kinds. */
export function checkLinePolicy(policy: unknown, what = 'lines'): LinePolicy | undefined {
  if (policy === undefined) return undefined;
  const bad = (why: string) => new MmdError('ERR_SERVER_OPTION', `${what}: ${why}`);
  if (typeof policy !== 'object' || policy === null) throw bad('must be an object { allow?, deny?, allowUnsafe? }');
  const { allow, deny, allowUnsafe } = policy as LinePolicy;
  for (const [name, rule] of [
    ['allow', allow],
    ['deny', deny],
  ] as const) {
    if (
      rule !== undefined &&
      typeof rule !== 'function' &&
      !(Array.isArray(rule) && rule.every((t) => typeof t === 'string'))
    )
      throw bad(`${name} must be a list of message types or a function (line, sender) => boolean`);
  }
  for (const kind of allowUnsafe ?? []) {
    if (!(UNSAFE_LINE_KINDS as readonly string[]).includes(kind))
      throw bad(`allowUnsafe: unknown kind "${kind}"; the kinds are ${UNSAFE_LINE_KINDS.join(', ')}`);
  }
  return policy as LinePolicy;
}

// Who is knocking, on which channel, and may they come in. Everything here runs on the raw HTTP
// upgrade request, before `ws` touches the socket, so a refusal can be written byte for byte.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { MmdError } from '../../errors.js';

/** The subprotocol prefix a browser controller may use to carry its token (query strings end up in logs). */
export const TOKEN_PROTOCOL_PREFIX = 'mmdagent-token.';

/**
 * A channel is the request path. It travels inside relay lines (`RELAY_AGENT_CONNECTED|/chat`), so
 * it must be a valid line argument: printable ASCII, no `|`, bounded.
 */
const CHANNEL_PATH = /^\/[!-{}~]{0,255}$/;

/**
 * Tokens and secrets: characters that are safe in a query string and in a subprotocol name, and
 * no `-` (see parseTarget).
 */
const CREDENTIAL = /^[A-Za-z0-9_.~]{8,256}$/;

/** A run of `-N` suffixes, as MMDAgent-EX's 429 renaming appends them (wire.md §4.3). */
const RENAME_SUFFIX = /(?:-\d+)+$/;

export interface UpgradeTarget {
  channel: string;
  query: URLSearchParams;
}

/** True for the MMDAgent-EX handshake header (wire.md §3.1). Browsers cannot set custom headers on a WebSocket. */
export function isAgentRequest(req: IncomingMessage): boolean {
  return req.headers['x-app-type'] === 'MMDAgent';
}

/**
 * Splits a request target into channel and query. For agents the 429 renaming appends `-N` at the
 * very end of `Plugin_Remote_Websocket_Directory`, i.e. after the query string when there is one
 * (wire.md §2, §4.3): `/chat?secret=S-1-2` means channel `/chat-1-2` with secret `S`. Moving the
 * suffix back keeps renamed agents working with a secret, which is why secrets may not contain `-`.
 */
export function parseTarget(rawTarget: string, isAgent: boolean): UpgradeTarget | undefined {
  const q = rawTarget.indexOf('?');
  let path = q < 0 ? rawTarget : rawTarget.slice(0, q);
  let search = q < 0 ? '' : rawTarget.slice(q + 1);
  if (isAgent && q >= 0) {
    const suffix = RENAME_SUFFIX.exec(search);
    if (suffix) {
      path += suffix[0];
      search = search.slice(0, suffix.index);
    }
  }
  if (!CHANNEL_PATH.test(path) || path.includes('|')) return undefined;
  return { channel: path, query: new URLSearchParams(search) };
}

/** Validates a channel path given as an option. */
export function checkChannelPath(path: string, what: string): string {
  // `?` and `#` would start a query or fragment: no request could ever reach such a channel.
  if (!CHANNEL_PATH.test(path) || /[|?#]/.test(path)) {
    throw new MmdError(
      'ERR_SERVER_OPTION',
      `${what} "${path}" is not a usable channel path: start it with "/" and use printable ASCII without "|", ` +
        `"?", "#" or spaces (at most 256 characters)`,
    );
  }
  return path;
}

/** Validates an option that is a list of strings or one keyword (`'any'`, `'*'`). */
export function checkList(value: unknown, what: string, keyword: string): void {
  if (value === undefined || value === keyword) return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new MmdError(
      'ERR_SERVER_OPTION',
      `${what} must be an array of strings or '${keyword}', got ${JSON.stringify(value)}: write ` +
        `[${JSON.stringify(String(value))}] for one entry`,
    );
  }
}

/** Validates a token or agent secret given as an option. */
export function checkCredential(value: string, what: string): string {
  if (!CREDENTIAL.test(value)) {
    throw new MmdError(
      'ERR_SERVER_OPTION',
      `${what} must be 8 to 256 characters from A-Z a-z 0-9 _ . ~ (no "-", which MMDAgent-EX's retry renaming ` +
        `appends): generate one with \`node -e ` +
        `"console.log(require('crypto').randomBytes(24).toString('base64url').replace(/-/g, '_'))"\``,
    );
  }
  return value;
}

/** Constant-time comparison, so a token cannot be guessed byte by byte from response timing. */
export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a controller offered: `?token=` or a `mmdagent-token.<T>` subprotocol. */
export function offeredToken(req: IncomingMessage, query: URLSearchParams): { token?: string; protocol?: string } {
  const fromQuery = query.get('token');
  if (fromQuery !== null) return { token: fromQuery };
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return {};
  for (const part of header.split(',')) {
    const protocol = part.trim();
    if (protocol.startsWith(TOKEN_PROTOCOL_PREFIX))
      return { token: protocol.slice(TOKEN_PROTOCOL_PREFIX.length), protocol };
  }
  return {};
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `http://host:port` as browsers write it in `Origin`: IPv6 literals bracketed, no `:80`. */
export function originOf(host: string, port: number, secure = false): string {
  const defaultPort = secure ? 443 : 80;
  const name = host.includes(':') ? `[${host}]` : host;
  return `${secure ? 'https' : 'http'}://${name}${port === defaultPort ? '' : `:${port}`}`;
}

/** The server's own origin under every name a browser may have used to reach it (the default allowedOrigins). */
export function defaultOrigins(host: string, port: number, secure = false): string[] {
  const wildcard = host === '0.0.0.0' || host === '::';
  const names = wildcard
    ? [
        'localhost',
        ...Object.values(networkInterfaces())
          .flat()
          .map((a) => a?.address ?? '127.0.0.1'),
      ]
    : isLoopbackHost(host)
      ? [host, 'localhost', '127.0.0.1', '::1']
      : [host];
  return [...new Set(names.map((h) => originOf(h, port, secure)))];
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  // The exact phrase MMDAgent-EX looks for before retrying on `<path>-N` (wire.md §3.3, §4.3).
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/**
 * Answers an upgrade with a plain HTTP refusal and closes the socket. The 429 answer carries no
 * body, exactly like the response the real client was seen retrying on (real-client/B-429).
 */
export function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  const text = status === 429 ? '' : `${body}\n`;
  const head =
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
    'Connection: close\r\n' +
    (text ? 'Content-Type: text/plain; charset=utf-8\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n`;
  // Destroyed once written: after an upgrade Node no longer tracks the socket, so a peer that
  // keeps its end open would otherwise hold server.close() forever.
  if (socket.writable) socket.once('finish', () => socket.destroy()).end(head + text);
  else socket.destroy();
}

/** The host name of a `Host` header (`name`, `name:port`, `[v6]:port`), lower-cased; undefined if malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 && /^(?::\d{1,5})?$/.test(h.slice(end + 1)) ? h.slice(1, end) : undefined;
  }
  const m = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  return m?.[1];
}

/**
 * The DNS-rebinding check: a page on another site whose name now resolves to 127.0.0.1 reaches a
 * loopback server with its own name in `Host` (issue 13). A loopback server answers only loopback
 * names (any port: a local proxy may sit in front) and those in `allowedHosts`; a server on the
 * network checks only `allowedHosts` when given (its tokens guard it otherwise).
 */
export function hostAllowed(header: string | undefined, bindHost: string, allowed?: readonly string[] | '*'): boolean {
  if (allowed === '*') return true;
  const name = hostName(header);
  if (name !== undefined && allowed?.some((a) => a.toLowerCase() === name)) return true;
  if (isLoopbackHost(bindHost)) return name !== undefined && isLoopbackHost(name);
  return allowed === undefined;
}

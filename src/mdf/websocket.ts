// The three keys that point MMDAgent-EX at a WebSocket server (wire.md §2, mdf.md §4.1).
import { MmdError } from '../errors.js';
import type { MdfDocument } from './document.js';
import { pluginReader } from './env.js';
import { atoi } from './values.js';

export const WS_HOST_KEY = 'Plugin_Remote_Websocket_Host';
export const WS_PORT_KEY = 'Plugin_Remote_Websocket_Port';
export const WS_DIRECTORY_KEY = 'Plugin_Remote_Websocket_Directory';
export const RETRY_COUNT_KEY = 'Plugin_Remote_RetryCount';

/** Defaults when the keys are absent (wire.md §2). */
const DEFAULT_PORT = 80;
const DEFAULT_DIRECTORY = '/';
/** The only port on which MMDAgent-EX uses TLS (wire.md §2, §3.2). */
const TLS_PORT = 443;

export interface WebsocketSettings {
  /** `ws://host:port/dir`, or `wss://` on port 443; an IPv6 host is bracketed. */
  url: string;
  host: string;
  port: number;
  directory: string;
  tls: boolean;
  /** Extra attempts after the first; with 0 MMDAgent-EX gives up after one try (wire.md §4.1). */
  retryCount: number;
}

/**
 * Where MMDAgent-EX will connect, or undefined when WebSocket mode is off (the host key absent
 * or empty, wire.md §2). Values are read as the plugin reads them: port and retry count with
 * atoi, defaults 80, `/` and 0, no trimming. Plugins expand `%ENV{}` on every read; pass `env`
 * to do the same (a value with `%ENV{` and no `env` throws ERR_MDF_ENV rather than guess).
 */
export function websocketSettings(
  doc: MdfDocument,
  env?: Readonly<Record<string, string | undefined>>,
): WebsocketSettings | undefined {
  const read = pluginReader(doc, env, 'websocketSettings');
  const host = read(WS_HOST_KEY);
  if (!host) return undefined;
  const portText = read(WS_PORT_KEY);
  const port = portText === undefined ? DEFAULT_PORT : atoi(portText);
  const directory = read(WS_DIRECTORY_KEY) ?? DEFAULT_DIRECTORY;
  const retryText = read(RETRY_COUNT_KEY);
  const tls = port === TLS_PORT;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `${tls ? 'wss' : 'ws'}://${hostPart}:${port}${directory}`,
    host,
    port,
    directory,
    tls,
    retryCount: retryText === undefined ? 0 : atoi(retryText),
  };
}

export interface WebsocketParts {
  host: string;
  /** Default 80, or 443 when `tls` is true. */
  port?: number;
  /** Default `/`. */
  directory?: string;
  /** Must agree with the port: MMDAgent-EX uses TLS exactly on port 443. */
  tls?: boolean;
}

/**
 * Writes `Plugin_Remote_Websocket_Host`, `_Port` and `_Directory` (and `Plugin_Remote_RetryCount`
 * when `retryCount` is given), each in place if already defined, else appended in that order.
 * Takes a `ws://` / `wss://` URL or its parts. Refuses with ERR_MDF_VALUE what MMDAgent-EX cannot
 * express: TLS on a port other than 443, plain ws on 443 (wire.md §2), credentials, a fragment.
 */
export function setWebsocketSettings(
  doc: MdfDocument,
  target: string | WebsocketParts,
  opts: { retryCount?: number } = {},
): MdfDocument {
  const parts = typeof target === 'string' ? partsOfUrl(target) : target;
  const { host } = parts;
  const port = parts.port ?? (parts.tls ? TLS_PORT : DEFAULT_PORT);
  const directory = parts.directory ?? DEFAULT_DIRECTORY;
  const tls = parts.tls ?? port === TLS_PORT;
  if (tls !== (port === TLS_PORT)) {
    throw new MmdError(
      'ERR_MDF_VALUE',
      tls
        ? `MMDAgent-EX uses TLS (wss) only on port 443 and has no setting for wss on port ${port} (wire.md §2): ` +
            `serve wss on 443, or use plain ws on ${port}`
        : 'MMDAgent-EX always uses TLS (wss) on port 443 and cannot speak plain ws there (wire.md §2): pick ' +
            'another port for ws, or serve wss on 443',
    );
  }
  if (
    !host ||
    /[\s/]|^\[|\]$/.test(host) ||
    (host.includes(':') && !/^[\da-fA-F.]*:[\da-fA-F:.]*:[\da-fA-F.]*(%\S+)?$/.test(host))
  ) {
    throw new MmdError(
      'ERR_MDF_VALUE',
      `WebSocket host ${JSON.stringify(host)} must be a bare host name or IP address (no scheme, port, path or ` +
        `brackets; wire.md §2)`,
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MmdError('ERR_MDF_VALUE', `WebSocket port ${port} is not a TCP port: give an integer from 1 to 65535`);
  }
  if (!directory.startsWith('/')) {
    throw new MmdError(
      'ERR_MDF_VALUE',
      `WebSocket directory ${JSON.stringify(directory)} must start with "/": MMDAgent-EX sends it verbatim as ` +
        `the request target (wire.md §2)`,
    );
  }
  const { retryCount } = opts;
  if (retryCount !== undefined && (!Number.isInteger(retryCount) || retryCount < 0)) {
    throw new MmdError(
      'ERR_MDF_VALUE',
      `retryCount ${retryCount} must be an integer ≥ 0 (extra connection attempts, 0.5 s apart; wire.md §4.1)`,
    );
  }
  doc.set(WS_HOST_KEY, host).set(WS_PORT_KEY, String(port)).set(WS_DIRECTORY_KEY, directory);
  if (retryCount !== undefined) doc.set(RETRY_COUNT_KEY, String(retryCount));
  return doc;
}

function partsOfUrl(url: string): WebsocketParts {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new MmdError('ERR_MDF_VALUE', `${JSON.stringify(url)} is not a URL; write it like ws://127.0.0.1:9001/chat`, {
      cause,
    });
  }
  const tls = parsed.protocol === 'wss:';
  if (!tls && parsed.protocol !== 'ws:') {
    throw new MmdError(
      'ERR_MDF_VALUE',
      `${JSON.stringify(url)} is not a ws:// or wss:// URL; MMDAgent-EX only connects to WebSocket servers`,
    );
  }
  if (parsed.username || parsed.password || parsed.hash) {
    throw new MmdError(
      'ERR_MDF_VALUE',
      `${JSON.stringify(url)} has credentials or a #fragment, which MMDAgent-EX cannot send (wire.md §3.1): ` +
        `remove them`,
    );
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : tls ? TLS_PORT : DEFAULT_PORT,
    directory: parsed.pathname + parsed.search,
    tls,
  };
}

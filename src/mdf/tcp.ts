// The keys of Plugin_Remote's two TCP modes (wire.md §14, mdf.md §4): client mode dials
// Plugin_Remote_Hostname:Plugin_Remote_Port, server mode listens on Plugin_Remote_ListenPort.
// Read as the plugin reads them (extAppStart, RemotePlugin::setup), traps included.
import { MmdError } from '../errors.js';
import type { MdfDocument } from './document.js';
import { pluginReader } from './env.js';
import { atoi } from './values.js';
import { RETRY_COUNT_KEY, WS_HOST_KEY } from './websocket.js';

export const TCP_CLIENT_KEY = 'Plugin_Remote_EnableClient';
export const TCP_CLIENT_OLD_KEY = 'Plugin_Remote_ClientMode';
export const TCP_SERVER_KEY = 'Plugin_Remote_EnableServer';
export const TCP_SERVER_OLD_KEY = 'Plugin_Remote_ServerMode';
export const TCP_HOSTNAME_KEY = 'Plugin_Remote_Hostname';
export const TCP_PORT_KEY = 'Plugin_Remote_Port';
export const TCP_LISTEN_PORT_KEY = 'Plugin_Remote_ListenPort';

/** PLUGIN_REMOTE_DEFAULT_PORT. */
const DEFAULT_PORT = 60001;
const DEFAULT_HOST = 'localhost';

export interface TcpSettings {
  /** Client mode: the app dials `host:port`, `retryCount` more times 0.5 s apart. Undefined when off. */
  client?: { host: string; port: number; retryCount: number };
  /** Server mode: the app listens on `port` (every interface) for up to 20 clients. Undefined when off. */
  server?: { port: number };
  /**
   * Both modes were on with the client pointed at `localhost`/`127.0.0.1` and the listen port:
   * the app switches client mode off (`client` is then undefined).
   */
  selfLoop: boolean;
}

/**
 * What the TCP modes do with this file, or undefined when both are off. A mode switch is on for
 * any value but exactly `false` (`no`, `0` and an empty value turn it ON), under its new or its
 * old name. The listen port defaults to Plugin_Remote_Port only when client mode is on: that key
 * is read in client mode alone, so a server-only file listens on 60001 whatever it says.
 * `%ENV{}` as in websocketSettings(): pass `env`, or ERR_MDF_ENV.
 */
export function tcpSettings(
  doc: MdfDocument,
  env?: Readonly<Record<string, string | undefined>>,
): TcpSettings | undefined {
  const read = pluginReader(doc, env, 'tcpSettings');
  const on = (key: string, old: string) => (read(old) ?? 'false') !== 'false' || (read(key) ?? 'false') !== 'false';
  const clientOn = on(TCP_CLIENT_KEY, TCP_CLIENT_OLD_KEY);
  const serverOn = on(TCP_SERVER_KEY, TCP_SERVER_OLD_KEY);
  if (!clientOn && !serverOn) return undefined;
  const host = read(TCP_HOSTNAME_KEY) ?? DEFAULT_HOST;
  const portText = read(TCP_PORT_KEY);
  const port = clientOn && portText !== undefined ? atoi(portText) : DEFAULT_PORT;
  const listenText = read(TCP_LISTEN_PORT_KEY);
  const listen = listenText !== undefined ? atoi(listenText) : port;
  const selfLoop = clientOn && serverOn && (host === 'localhost' || host === '127.0.0.1') && listen === port;
  const retryText = read(RETRY_COUNT_KEY);
  return {
    ...(clientOn && !selfLoop && { client: { host, port, retryCount: retryText === undefined ? 0 : atoi(retryText) } }),
    ...(serverOn && { server: { port: listen } }),
    selfLoop,
  };
}

export interface TcpParts {
  /** Client mode: where the app dials (`false` switches it off). */
  client?: { host: string; port?: number } | false;
  /** Server mode: where the app listens (`false` switches it off). */
  server?: { port?: number } | false;
}

/**
 * Writes the TCP mode keys, each in place if already defined, else appended: the switch as
 * `true`/`false` (an old-name switch that is on is turned off with it), Hostname and Port for the
 * client, ListenPort for the server (always written: its default depends on client mode). Refuses
 * with ERR_MDF_VALUE what MMDAgent-EX cannot run: a WebSocket host in the file (the modes do not
 * mix, wire.md §14), a client aimed at the app's own listen port (switched off by the app), ports
 * outside 1–65535, a host with a scheme, port or path.
 */
export function setTcpSettings(doc: MdfDocument, parts: TcpParts, opts: { retryCount?: number } = {}): MdfDocument {
  const ws = doc.get(WS_HOST_KEY);
  if (ws !== undefined && ws !== '') {
    throw new MmdError(
      'ERR_MDF_VALUE',
      `${WS_HOST_KEY}=${ws} turns WebSocket mode on, and MMDAgent-EX does not run it together with a TCP mode ` +
        `(wire.md §14): delete that key first (doc.delete('${WS_HOST_KEY}'))`,
    );
  }
  const port = (p: number | undefined, what: string) => {
    const n = p ?? DEFAULT_PORT;
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new MmdError('ERR_MDF_VALUE', `${what} ${String(p)} is not a TCP port: give an integer from 1 to 65535`);
    return n;
  };
  const { client, server } = parts;
  if (client) {
    if (!client.host || /[\s/]|^\[|\]$|^\w+:\/\//.test(client.host)) {
      throw new MmdError(
        'ERR_MDF_VALUE',
        `TCP host ${JSON.stringify(client.host)} must be a bare host name or IP address (no scheme, port or path)`,
      );
    }
    const dial = port(client.port, 'client port');
    const listenPort = server ? port(server.port, 'listen port') : undefined;
    if (listenPort === dial && (client.host === 'localhost' || client.host === '127.0.0.1')) {
      throw new MmdError(
        'ERR_MDF_VALUE',
        `client mode would dial the app's own listen port ${dial}: MMDAgent-EX then switches client mode off; ` +
          'use another port for one of them',
      );
    }
  }
  const { retryCount } = opts;
  if (retryCount !== undefined && (!Number.isInteger(retryCount) || retryCount < 0)) {
    throw new MmdError(
      'ERR_MDF_VALUE',
      `retryCount ${retryCount} must be an integer ≥ 0 (extra attempts, 0.5 s apart)`,
    );
  }
  const switchTo = (key: string, old: string, value: boolean) => {
    doc.set(key, String(value));
    if (!value && doc.get(old) !== undefined && doc.get(old) !== 'false') doc.set(old, 'false');
  };
  if (client !== undefined) {
    switchTo(TCP_CLIENT_KEY, TCP_CLIENT_OLD_KEY, client !== false);
    if (client) doc.set(TCP_HOSTNAME_KEY, client.host).set(TCP_PORT_KEY, String(port(client.port, 'client port')));
  }
  if (server !== undefined) {
    switchTo(TCP_SERVER_KEY, TCP_SERVER_OLD_KEY, server !== false);
    if (server) doc.set(TCP_LISTEN_PORT_KEY, String(port(server.port, 'listen port')));
  }
  if (retryCount !== undefined) doc.set(RETRY_COUNT_KEY, String(retryCount));
  return doc;
}

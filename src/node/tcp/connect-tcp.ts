// connectTcp(): an AgentLink to MMDAgent-EX in TCP server mode (Plugin_Remote_EnableServer,
// wire.md §14), the same session class as over WebSocket. The app accepts up to 20 such clients
// and sends every message to all of them; what they send lands in one shared buffer.
import { connect as netConnect, type Socket } from 'node:net';
import { MmdError } from '../../errors.js';
import { AgentLink } from '../../link/agent-link.js';
import { DEFAULTS, type AgentLinkOptions, type ReconnectOptions } from '../../link/options.js';
import { checkReconnect } from '../../link/reconnect.js';
import { setupFrames } from '../../link/setup.js';
import { abortError, after, checkTimeout } from '../../wait.js';
import { PeerWatch, type TcpSharedWarning } from './peer-watch.js';
import { TcpSocket } from './tcp-socket.js';

/** Plugin_Remote_ListenPort's default (wire.md §14). */
export const TCP_DEFAULT_PORT = 60001;

export interface ConnectTcpOptions extends Omit<AgentLinkOptions, 'redial' | 'reconnect'> {
  /** Where MMDAgent-EX listens; default 127.0.0.1. */
  host?: string;
  /** Plugin_Remote_ListenPort; default 60001. */
  port?: number;
  /** Time allowed for the TCP connection, and again for onOpen (ERR_TIMEOUT); Infinity for none. */
  connectTimeoutMs?: number;
  /** Aborts the first connection attempt, its onOpen included. */
  signal?: AbortSignal;
  /** Redial after a drop (the app restarting), with jittered exponential back-off. Off by default. */
  reconnect?: boolean | Partial<ReconnectOptions>;
  /**
   * Another TCP client connected to the same app, so their bytes share its one input buffer
   * (wire.md §14). Default: a `console.warn` line.
   */
  onSharedBuffer?: (warning: TcpSharedWarning) => void;
}

/**
 * Connects to MMDAgent-EX's TCP server and resolves with an AgentLink once `setup` is sent and
 * `onOpen` has run. Fails with ERR_CONNECT (nothing listens), ERR_TIMEOUT or ERR_ABORTED; with
 * `reconnect`, later drops are redialled and `setup`/`onOpen` run again, as connect() does.
 */
export async function connectTcp(opts: ConnectTcpOptions = {}): Promise<AgentLink> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? TCP_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MmdError(
      'ERR_BAD_ARGUMENT',
      `port must be an integer from 1 to 65535 (Plugin_Remote_ListenPort), got ${port}`,
    );
  }
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  checkTimeout(timeoutMs, 'connectTimeoutMs');
  setupFrames(opts.setup);
  const { reconnect, onSharedBuffer, host: _h, port: _p, signal, connectTimeoutMs: _t, ...rest } = opts;
  if (reconnect) checkReconnect(reconnect === true ? {} : reconnect);
  const where = `${host}:${port}`;
  const warn = onSharedBuffer ?? ((w: TcpSharedWarning) => console.warn(`[mmdagent-ex-remote] warning: ${w.message}`));
  const dial = async (s?: AbortSignal) => {
    const socket = await dialTcp(host, port, timeoutMs, s);
    const watch = new PeerWatch(true, { agent: where }, warn);
    return new TcpSocket(socket, { onMessage: (bytes) => watch.line(bytes) });
  };
  const userOnOpen = opts.onOpen;
  const onOpen = userOnOpen && ((l: AgentLink) => bounded(userOnOpen(l), timeoutMs));
  const first = await dial(signal);
  let link: AgentLink;
  try {
    link = new AgentLink(first, {
      ...rest,
      onOpen,
      ...(reconnect && { redial: dial, reconnect: reconnect === true ? {} : reconnect }),
    });
  } catch (err) {
    first.terminate();
    throw err;
  }
  try {
    await onOpen?.(link);
  } catch (err) {
    link.close();
    throw err;
  }
  return link;
}

/** A connected socket, or ERR_CONNECT / ERR_TIMEOUT / ERR_ABORTED. */
export function dialTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  const where = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(`connect to ${where}`, signal));
    const socket = netConnect({ host, port });
    const settle = (err?: MmdError) => {
      cancel();
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (!err) return resolve(socket);
      socket.destroy();
      reject(err);
    };
    const onConnect = () => settle();
    const onError = (err: NodeJS.ErrnoException) =>
      settle(
        new MmdError(
          'ERR_CONNECT',
          `cannot connect to MMDAgent-EX at ${where} (${err.code ?? err.message}): start it with ` +
            `Plugin_Remote_EnableServer=true and Plugin_Remote_ListenPort=${port}, or check host and port`,
          { cause: err },
        ),
      );
    const onAbort = () => settle(abortError(`connect to ${where}`, signal!));
    const cancel = after(timeoutMs, () =>
      settle(new MmdError('ERR_TIMEOUT', `no TCP connection to ${where} in ${timeoutMs} ms; check host and port`)),
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort);
  });
}

function bounded(value: void | Promise<void>, ms: number): void | Promise<void> {
  return value instanceof Promise && ms !== Infinity
    ? new Promise((resolve, reject) => {
        const cancel = after(ms, () =>
          reject(new MmdError('ERR_TIMEOUT', `onOpen ran over connectTimeoutMs (${ms} ms)`)),
        );
        value.then(resolve, reject).finally(cancel);
      })
    : value;
}

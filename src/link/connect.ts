/**
 * connect(): opens a client WebSocket and wraps it in an AgentLink, with an optional reconnect.
 * The WebSocket class is the given one or the runtime's global; Node's entry passes `ws`
 * (src/node/connect.ts), so this module never imports it.
 */
import { MmdError } from '../errors.js';
import { checkTimeout, listen, pend } from '../wait.js';
import { AgentLink, HELD_FRAMES, ignore, type HeldFrames } from './agent-link.js';
import { ABNORMAL, CLOSING, CONNECT_TIMEOUT_MS, OPEN } from './constants.js';
import { type AgentLinkOptions, type ReconnectOptions, type WebSocketConstructor } from './options.js';
import type { WebSocketLike } from './options.js';
import { checkReconnect } from './reconnect.js';
import { setupFrames } from './setup.js';

const HINT = 'check the server or raise connectTimeoutMs';

export interface ConnectOptions extends Omit<AgentLinkOptions, 'redial' | 'reconnect'> {
  /** The WebSocket class; default `globalThis.WebSocket`, and `ws` in Node (the package's `node` entry). */
  WebSocket?: WebSocketConstructor;
  protocols?: string | string[];
  /** Time allowed for the upgrade, and again for onOpen to settle (ERR_TIMEOUT); Infinity for none. */
  connectTimeoutMs?: number;
  /** Aborts the initial connection attempt, its onOpen included. */
  signal?: AbortSignal;
  /** Reconnect after an unexpected drop, with jittered exponential back-off. Off by default. */
  reconnect?: boolean | Partial<ReconnectOptions>;
}

/**
 * Opens a client connection and resolves with its AgentLink once `setup` is sent and `onOpen`
 * has run. The first attempt fails fast (ERR_CONNECT, ERR_TIMEOUT, ERR_ABORTED); with
 * `reconnect`, later drops are redialled and `setup`/`onOpen` run again: nothing else is replayed.
 */
export async function connect(url: string, opts: ConnectOptions = {}): Promise<AgentLink> {
  const WS = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WS) {
    throw new MmdError(
      'ERR_CONNECT',
      "no WebSocket: pass { WebSocket }, or in Node import connect from 'mmdagent-ex-remote/server'",
    );
  }
  const timeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  checkTimeout(timeoutMs, 'connectTimeoutMs');
  const what = `connect to ${url}`;
  const dial = (signal?: AbortSignal) => openSocket(WS, url, opts.protocols, timeoutMs, what, signal);
  // onOpen runs before connect() resolves and before a reconnected link says 'open': it is part of
  // connecting, bounded by connectTimeoutMs, and by the signal on the first connection.
  const userOnOpen = opts.onOpen;
  const onOpen =
    userOnOpen &&
    ((l: AgentLink, signal?: AbortSignal) => {
      const value = userOnOpen(l);
      return value instanceof Promise
        ? pend<void>(
            { what: `${what}: onOpen`, timeoutMs, signal, hint: HINT },
            (resolve, reject) => void value.then(resolve, reject),
          )
        : value;
    });
  const { reconnect: on, ...rest } = { ...opts, onOpen };
  const reconnect = on === true ? {} : on || undefined;
  // Bad options fail before any socket is opened.
  setupFrames(opts.setup);
  checkReconnect(reconnect);
  const socket = await dial(opts.signal);
  if (socket.readyState !== OPEN) {
    throw new MmdError('ERR_CONNECT', `${url} closed right after the handshake; check the server`);
  }
  let link: AgentLink | undefined;
  try {
    link = new AgentLink(socket, reconnect ? { ...rest, redial: dial, reconnect } : rest);
    await onOpen?.(link, opts.signal);
    return link;
  } catch (err) {
    (link ?? socket).close();
    throw err;
  }
}

function openSocket(
  WS: WebSocketConstructor,
  url: string,
  protocols: string | string[] | undefined,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<WebSocketLike> {
  return pend<WebSocketLike>({ what, timeoutMs, signal, hint: HINT }, (resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket = new WS(url, protocols);
    } catch (err) {
      throw new MmdError('ERR_CONNECT', `cannot open ${url}: ${(err as Error)?.message}; check the URL`, {
        cause: err,
      });
    }
    listen(socket, { error: ignore }); // kept: `ws` emits 'error' after an aborted handshake
    // Node's `ws` emits the frames that came with the handshake in the same tick as 'open': they
    // are held on the socket until its AgentLink takes them over (agent-link.ts #attach).
    const frames: { data: unknown }[] = [];
    const release = listen(socket, { message: (event) => void frames.push(event) });
    (socket as { [HELD_FRAMES]?: HeldFrames })[HELD_FRAMES] = () => (release(), frames);
    let opened = false;
    const unlisten = listen(socket, {
      open: () => {
        opened = true;
        resolve(socket);
      },
      close: (event: { code?: number }) =>
        reject(
          new MmdError(
            'ERR_CONNECT',
            `connection to ${url} failed (code ${event.code ?? ABNORMAL}); check the server and the path`,
          ),
        ),
    });
    // Runs once the attempt settles, however: a timed out or aborted handshake is torn down.
    return () => {
      unlisten();
      if (!opened && socket.readyState < CLOSING) socket.close();
    };
  });
}

/**
 * connect(): opens a client WebSocket and wraps it in an AgentLink, with an optional reconnect.
 * The WebSocket class is the given one or the runtime's global; Node's entry passes `ws`
 * (src/node/connect.ts), so this module never imports it.
 */
import { MmdError } from '../errors.js';
import { abortError, after, checkTimeout } from '../wait.js';
import { AgentLink, HELD_FRAMES, type HeldFrames } from './agent-link.js';
import { DEFAULTS, type AgentLinkOptions, type ReconnectOptions, type WebSocketConstructor } from './options.js';
import type { WebSocketLike } from './options.js';
import { checkReconnect } from './reconnect.js';
import { setupFrames } from './setup.js';

const OPEN = 1;
const CLOSING = 2;
const ABNORMAL = 1006;

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
      "no WebSocket class here: pass { WebSocket }, or in Node import connect from 'mmdagent-ex-remote/server'",
    );
  }
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  checkTimeout(timeoutMs, 'connectTimeoutMs');
  const dial = (signal?: AbortSignal) => openSocket(WS, url, opts.protocols, timeoutMs, signal);
  // onOpen runs before connect() resolves and before a reconnected link says 'open': it is part of connecting.
  const userOnOpen = opts.onOpen;
  const onOpen = userOnOpen && ((l: AgentLink) => bounded(userOnOpen(l), timeoutMs));
  const { reconnect, ...rest } = { ...opts, onOpen };
  // Bad options fail before any socket is opened.
  setupFrames(opts.setup);
  if (reconnect) checkReconnect(reconnect === true ? {} : reconnect);
  const socket = await dial(opts.signal);
  if (socket.readyState !== OPEN) {
    throw new MmdError('ERR_CONNECT', `${url} closed right after the handshake; check the server`);
  }
  let link: AgentLink;
  try {
    link = new AgentLink(
      socket,
      reconnect ? { ...rest, redial: dial, reconnect: reconnect === true ? {} : reconnect } : rest,
    );
  } catch (err) {
    socket.close();
    throw err;
  }
  try {
    await abortable(onOpen?.(link), opts.signal, `connect to ${url}`);
  } catch (err) {
    link.close();
    throw err;
  }
  return link;
}

/** onOpen's result, or ERR_TIMEOUT if it is a promise still pending after `ms`. */
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

/** `value`, or ERR_ABORTED as soon as `signal` aborts while it is a pending promise. */
function abortable(value: void | Promise<void>, signal: AbortSignal | undefined, what: string): void | Promise<void> {
  if (!(value instanceof Promise) || !signal) return value;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(what, signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    value.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function ignore(): void {}

function openSocket(
  WS: WebSocketConstructor,
  url: string,
  protocols: string | string[] | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(`connect to ${url}`, signal));
    let socket: WebSocketLike;
    try {
      socket = new WS(url, protocols);
    } catch (err) {
      return reject(
        new MmdError('ERR_CONNECT', `cannot open ${url}: ${(err as Error)?.message}; check the URL (ws:// or wss://)`, {
          cause: err,
        }),
      );
    }
    socket.addEventListener('error', ignore); // kept: `ws` emits 'error' after an aborted handshake
    // Node's `ws` emits the frames that came with the handshake in the same tick as 'open': they
    // are held on the socket until its AgentLink takes them over (agent-link.ts #attach).
    const held: HeldFrames = { frames: [], hold: (event) => void held.frames.push(event) };
    socket.addEventListener('message', held.hold);
    (socket as { [HELD_FRAMES]?: HeldFrames })[HELD_FRAMES] = held;
    const settle = (err?: MmdError) => {
      cancel();
      signal?.removeEventListener('abort', onAbort);
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('close', onClose);
      if (!err) return resolve(socket);
      if (socket.readyState < CLOSING) socket.close();
      reject(err);
    };
    const onOpen = () => settle();
    const onClose = (event: { code?: number }) =>
      settle(
        new MmdError(
          'ERR_CONNECT',
          `connection to ${url} failed (code ${event.code ?? ABNORMAL}); check the server and the path`,
        ),
      );
    const onAbort = () => settle(abortError(`connect to ${url}`, signal!));
    const cancel = after(timeoutMs, () =>
      settle(
        new MmdError(
          'ERR_TIMEOUT',
          `no WebSocket upgrade from ${url} in ${timeoutMs} ms; check the server or raise connectTimeoutMs`,
        ),
      ),
    );
    socket.addEventListener('open', onOpen);
    socket.addEventListener('close', onClose);
    signal?.addEventListener('abort', onAbort);
  });
}

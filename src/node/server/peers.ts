// The sockets under a channel: corking per tick, and the socket the agent's AgentLink sees.
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from '../ws-socket.js';
import type { WebSocketLike } from '../../link.js';

/** A peer's WebSocket and the TCP socket under it, corked for the rest of a tick (see corkTick). */
export interface Corkable {
  ws: WebSocket;
  socket: Duplex;
  corked: boolean;
}

/**
 * Frames sent to a peer in one tick leave in one system call. `ws` writes every frame on its own
 * (a writev each), which was most of the server's CPU under relay load; a burst of frames read
 * from one socket is now forwarded with one writev once the burst is handled. Order, and
 * `bufferedAmount` (corked bytes count), are unchanged.
 */
export function corkTick(peer: Corkable): void {
  if (peer.corked) return;
  peer.corked = true;
  peer.socket.cork();
  process.nextTick(uncork, peer);
}

function uncork(peer: Corkable): void {
  peer.corked = false;
  peer.socket.uncork();
}

/** Any form `ws` hands a frame over in, as bytes without a copy where possible. */
export function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * A frame as `ws` hands it to a WHATWG 'message' listener, except that text is decoded on the
 * first read of `data`, so a frame nobody reads is never decoded. Binary frames stay a Buffer
 * (AgentLink decodes any byte view alike).
 */
class FrameEvent {
  #bytes: Buffer;
  #binary: boolean;
  #text: string | undefined;
  constructor(bytes: Buffer, binary: boolean) {
    this.#bytes = bytes;
    this.#binary = binary;
  }
  get data(): string | Buffer {
    return this.#binary ? this.#bytes : (this.#text ??= this.#bytes.toString());
  }
}

/**
 * The socket the agent's AgentLink sees. The channel reads every agent frame anyway and passes
 * it on here after the controllers got it, so the link costs nothing per frame while nobody
 * listens to it (AgentLink skips frames it has no consumer for). Everything else is the `ws`
 * socket itself, until detach(): then the link sees a closed socket while the connection stays
 * (a stand-in agent that yields its channel keeps its connection, parked).
 */
export class LinkSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  readonly #ws: WebSocket;
  readonly #send: (data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>) => void;
  #onMessage: ((event: FrameEvent) => void)[] = [];
  #onClose: ((event: any) => void)[] = [];
  #wrapped = new Map<string, Map<(event: any) => void, (event: any) => void>>();
  #detached = false;
  /** `send` is the channel's own path to the agent: one backpressure bound, counted, corked. */
  constructor(ws: WebSocket, send: (data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>) => void) {
    this.#ws = ws;
    this.#send = send;
  }
  get readyState(): number {
    return this.#detached ? CLOSED : this.#ws.readyState;
  }
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }
  send(data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): void {
    this.#send(data);
  }
  close(code?: number, reason?: string): void {
    if (!this.#detached) this.#ws.close(code, reason);
  }
  addEventListener(type: 'message' | 'close' | 'error' | 'open', listener: (event: any) => void): void {
    if (type === 'message') this.#onMessage = [...this.#onMessage, listener];
    else {
      const wrapper = (event: unknown) => void (this.#detached || listener(event));
      this.#wrapped.set(type, (this.#wrapped.get(type) ?? new Map()).set(listener, wrapper));
      this.#ws.addEventListener(type, wrapper);
      if (type === 'close') this.#onClose.push(listener);
    }
  }
  removeEventListener(type: 'message' | 'close' | 'error' | 'open', listener: (event: any) => void): void {
    if (type === 'message') this.#onMessage = this.#onMessage.filter((l) => l !== listener);
    else {
      const wrapper = this.#wrapped.get(type)?.get(listener);
      this.#wrapped.get(type)?.delete(listener);
      if (wrapper) this.#ws.removeEventListener(type, wrapper);
      if (type === 'close') this.#onClose = this.#onClose.filter((l) => l !== listener);
    }
  }
  deliver(bytes: Buffer, binary: boolean): void {
    if (this.#detached) return;
    for (const listener of this.#onMessage) listener(new FrameEvent(bytes, binary));
  }
  /** The link sees its socket close (1000 with `reason`); the connection under it stays open. */
  detach(reason: string): void {
    if (this.#detached) return;
    this.#detached = true;
    for (const listener of this.#onClose) listener({ type: 'close', code: 1000, reason, wasClean: true });
  }
}

const CLOSED = 3;

// A raw TCP connection to MMDAgent-EX (Plugin_Remote's TCP client or server mode, wire.md §14)
// presented as the WebSocket-like object the server's Channel (a `ws` socket) and the core
// AgentLink (a WHATWG socket) already take. TCP has no frames, so the byte stream is cut back
// into the frames MMDAgent-EX would have sent over WebSocket: one message a frame.
import type { Socket } from 'node:net';
import { MAX_AGENT_MESSAGE_BYTES } from '../../limits.js';
import type { RawData } from '../ws-socket.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const NO_STATUS = 1005;
const ABNORMAL = 1006;
const LF = 0x0a;

/**
 * Cuts MMDAgent-EX's outgoing byte stream into its messages. Each message is `TYPE|ARGS\n`
 * formatted into 2048 bytes, so one of 2047 bytes or more loses its `\n` (wire.md §5.1): over
 * WebSocket the frame ends there, over TCP the next message follows at once. A run of 2047 bytes
 * without `\n` is therefore such a cut message, handed out without `\n` (AgentLink then marks it
 * `truncated`). Empty lines (AllLog's `\n\n`, wire.md §5.2) carry nothing and are skipped.
 */
export class MessageSplitter {
  #held: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const buf = this.#held.length ? Buffer.concat([this.#held, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const lf = buf.indexOf(LF, start);
      const end = lf < 0 ? buf.length : lf;
      if (end - start >= MAX_AGENT_MESSAGE_BYTES) {
        out.push(buf.subarray(start, start + MAX_AGENT_MESSAGE_BYTES));
        start += MAX_AGENT_MESSAGE_BYTES;
        continue;
      }
      if (lf < 0) break;
      if (lf > start) out.push(buf.subarray(start, lf + 1));
      start = lf + 1;
    }
    // Copied: the rest must not keep a large chunk alive.
    this.#held = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
    return out;
  }

  /** Bytes of an unfinished message. */
  get pendingBytes(): number {
    return this.#held.length;
  }
}

type Listener = (...args: any[]) => void;
type WhatwgType = 'message' | 'close' | 'error' | 'open';

export interface TcpSocketOptions {
  /** Each message line as it arrives (before any listener), e.g. to watch REMOTE_EVENT_CONNECTED. */
  onMessage?: (bytes: Buffer) => void;
}

/**
 * A net.Socket as a WebSocket. `send` writes what it is given in one write: a whole line (or SND
 * chunk) never leaves in two pieces, which matters because the app keeps one pending-bytes buffer
 * for all its TCP clients (wire.md §14). `close()` ends the stream (FIN): MMDAgent-EX has no close
 * frame to read in TCP mode. `ping()` does nothing; TCP keep-alive keeps idle paths open instead.
 */
export class TcpSocket {
  binaryType = 'arraybuffer';
  readonly socket: Socket;
  #state = OPEN;
  #closedCode = ABNORMAL;
  #splitter = new MessageSplitter();
  #listeners = new Map<string, Set<Listener>>();
  #whatwg = new Map<WhatwgType, Map<Listener, Listener>>();
  #onMessage: ((bytes: Buffer) => void) | undefined;

  /** `socket` may still be connecting: 'open' fires when it is connected (AgentLink needs it open). */
  constructor(socket: Socket, opts: TcpSocketOptions = {}) {
    this.socket = socket;
    this.#onMessage = opts.onMessage;
    if (socket.connecting || socket.destroyed) this.#state = socket.destroyed ? CLOSED : CONNECTING;
    socket.once('connect', () => {
      if (this.#state !== CONNECTING) return;
      this.#state = OPEN;
      this.#fire('open');
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => {
      if (this.#state === CLOSED) return;
      for (const bytes of this.#splitter.push(chunk)) {
        this.#onMessage?.(bytes);
        this.#fire('message', bytes, false);
      }
    });
    // The peer's FIN: the connection is as good as gone; an app that redials at once must find
    // its channel free (Channel.dropClosingAgent looks at readyState).
    socket.on('end', () => {
      if (this.#state === OPEN) this.#state = CLOSING;
    });
    socket.on('error', (err) => this.#fire('error', err));
    socket.on('close', () => {
      this.#state = CLOSED;
      this.#fire('close', this.#closedCode, Buffer.alloc(0));
    });
  }

  get readyState(): number {
    return this.#state;
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** Bytes the app sent that do not yet form a whole message. */
  get pendingBytes(): number {
    return this.#splitter.pendingBytes;
  }

  send(data: string | ArrayBuffer | ArrayBufferView, _options?: { binary: boolean }): void {
    if (this.#state !== OPEN) return;
    const bytes =
      typeof data === 'string'
        ? data
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.socket.write(bytes);
  }

  close(_code?: number, _reason?: string): void {
    if (this.#state >= CLOSING && this.socket.writableEnded) return;
    this.#state = CLOSING;
    this.#closedCode = NO_STATUS;
    this.socket.end();
  }

  terminate(): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSING;
    this.socket.destroy();
  }

  ping(): void {}

  // ---- the `ws` listener surface (Channel) ----

  on(event: string, listener: Listener): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    const once = (...args: unknown[]) => {
      this.off(event, once);
      listener(...args);
    };
    return this.on(event, once);
  }

  // ---- the WHATWG listener surface (AgentLink) ----

  addEventListener(type: WhatwgType, listener: (event: any) => void): void {
    const map = this.#whatwg.get(type) ?? new Map<Listener, Listener>();
    this.#whatwg.set(type, map);
    if (map.has(listener)) return;
    const wrapped: Listener =
      type === 'message'
        ? (bytes: Buffer) => listener({ type, data: toArrayBuffer(bytes) })
        : type === 'close'
          ? (code: number) => listener({ type, code, reason: '', wasClean: code !== ABNORMAL })
          : type === 'error'
            ? (error: unknown) => listener({ type, error })
            : () => listener({ type });
    map.set(listener, wrapped);
    this.on(type, wrapped);
  }

  removeEventListener(type: WhatwgType, listener: (event: any) => void): void {
    const wrapped = this.#whatwg.get(type)?.get(listener);
    if (!wrapped) return;
    this.#whatwg.get(type)!.delete(listener);
    this.off(type, wrapped);
  }

  #fire(event: string, ...args: unknown[]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) listener(...args);
  }
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export type { RawData };

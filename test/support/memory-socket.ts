// An in-memory WebSocket pair with the WHATWG surface (EventTarget events, readyState, send,
// close, binaryType, bufferedAmount), so AgentLink's unit behaviour can be tested in Chromium,
// where the test has no server of its own. Delivery is asynchronous and in order, like a socket.
// Node-only wire behaviour (close codes on the wire, real pacing) is covered by link.node.test.ts.

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export class MemorySocket extends EventTarget {
  readyState = CONNECTING;
  binaryType = 'blob';
  /** Tests set this to simulate a peer that stopped reading. */
  bufferedAmount = 0;
  peer: MemorySocket | undefined;
  /** What this side sent, in order: strings for text frames, copies of bytes for binary ones. */
  readonly sent: (string | Uint8Array)[] = [];
  readonly sentAt: number[] = [];
  /** The argument lists of every close() call. */
  readonly closeCalls: unknown[][] = [];

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== OPEN) throw new Error(`MemorySocket.send in readyState ${this.readyState}`);
    const frame = typeof data === 'string' ? data : copyBytes(data);
    this.sent.push(frame);
    this.sentAt.push(performance.now());
    const peer = this.peer;
    if (peer) queueMicrotask(() => peer.receive(frame));
  }

  close(...args: [code?: number, reason?: string]): void {
    this.closeCalls.push(args);
    if (this.readyState >= CLOSING) return;
    const [code, reason] = args;
    this.readyState = CLOSING;
    const peer = this.peer;
    queueMicrotask(() => {
      this.finish(code ?? 1005, reason ?? '');
      peer?.finish(code ?? 1005, reason ?? '');
    });
  }

  /** The peer's TCP connection is gone without a close frame (code 1006 on both sides). */
  drop(): void {
    const peer = this.peer;
    queueMicrotask(() => {
      this.finish(1006, '');
      peer?.finish(1006, '');
    });
  }

  /** Delivers raw frame data to this side, as if the peer had sent it. */
  receive(frame: string | Uint8Array): void {
    if (this.readyState !== OPEN) return;
    const data = typeof frame === 'string' || this.binaryType !== 'arraybuffer' ? frame : copyBytes(frame).buffer;
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }

  open(): void {
    this.readyState = OPEN;
    this.dispatchEvent(new Event('open'));
  }

  finish(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.dispatchEvent(Object.assign(new Event('close'), { code, reason, wasClean: code !== 1006 }));
  }
}

function copyBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  const view =
    data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return view.slice();
}

/** Two connected sockets, both OPEN. */
export function memoryPair(): [client: MemorySocket, server: MemorySocket] {
  const a = new MemorySocket();
  const b = new MemorySocket();
  a.peer = b;
  b.peer = a;
  a.readyState = OPEN;
  b.readyState = OPEN;
  return [a, b];
}

export type Answer = 'accept' | 'refuse' | 'silent';

/**
 * A WebSocket class for connect(): each `new` asks `answer` what the "server" does, then opens
 * (handing the server side to `onServerSide`), fails like a refused TCP connection, or never answers.
 */
export function memoryWebSocketClass(
  answer: (url: string) => Answer,
  onServerSide: (socket: MemorySocket, url: string) => void = () => {},
) {
  return class extends MemorySocket {
    constructor(url: string) {
      super();
      const what = answer(url);
      if (what === 'silent') return;
      setTimeout(() => {
        if (this.readyState !== CONNECTING) return;
        if (what === 'refuse') return this.finish(1006, '');
        const server = new MemorySocket();
        server.peer = this;
        this.peer = server;
        server.readyState = OPEN;
        onServerSide(server, url);
        this.open();
      }, 1);
    }

    override close(...args: [code?: number, reason?: string]): void {
      if (this.readyState === CONNECTING) {
        this.closeCalls.push(args);
        this.readyState = CLOSING;
        queueMicrotask(() => this.finish(1006, ''));
        return;
      }
      super.close(...args);
    }
  };
}

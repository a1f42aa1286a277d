// A minimal MMDAgent-EX on the wire, written at the TCP level so tests see every byte: the real
// handshake (X-App-Type: MMDAgent, no Origin, wire.md §3.1 / real-client/notes.md), masked text
// frames with one `TYPE|ARGS\n` message each, the echo of every injected line (§10.1; not `__AV*`,
// not SND), a 1-byte pong to an empty ping (§6.2), and an empty close frame read as a disconnect
// (§6.3). RawWsClient is the same socket without the agent behaviour, for controllers.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';

export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

export interface Frame {
  opcode: number;
  payload: Buffer;
  /** The frame's bytes exactly as they came off the socket. */
  raw: Buffer;
}

export interface RawConnectOptions {
  host?: string;
  headers?: Record<string, string>;
  /** Send `X-App-Type: MMDAgent` (default false for RawWsClient, true for FakeAgent). */
  agent?: boolean;
}

/** Sends an upgrade request and returns the raw HTTP response head (and body, for refusals). */
export function upgradeRequest(
  port: number,
  path: string,
  opts: RawConnectOptions = {},
): { socket: Socket; response: Promise<{ head: string; rest: Buffer }> } {
  const host = opts.host ?? '127.0.0.1';
  const socket = tcpConnect({ host, port });
  socket.on('error', () => {});
  const headers: Record<string, string> = {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    ...(opts.agent ? { 'X-App-Type': 'MMDAgent' } : {}),
    Host: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    ...opts.headers,
  };
  socket.write(
    `GET ${path} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`,
  );
  const response = new Promise<{ head: string; rest: Buffer }>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end + 4).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101 ')) return; // a refusal: read the body until the server closes
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ head, rest: buffered.subarray(end + 4) });
    };
    const onClose = () => {
      const text = buffered.toString('utf8');
      if (text.length) resolve({ head: text, rest: Buffer.alloc(0) });
      else reject(new Error(`connection to ${host}:${port}${path} closed without a response`));
    };
    socket.on('data', onData);
    socket.on('close', onClose);
  });
  return { socket, response };
}

export class RawWsClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private pending: Buffer = Buffer.alloc(0);
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  protected constructor(
    readonly socket: Socket,
    readonly responseHead: string,
    rest: Buffer,
    /** Keep bytes that came with the 101 until the next read, as MMDAgent-EX (POCO) does (wire.md §3.4). */
    holdRest = false,
  ) {
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // After the subclass's fields exist: the first frame often shares a TCP read with the 101.
    if (holdRest) this.pending = rest;
    else if (rest.length) queueMicrotask(() => this.onData(rest));
  }

  /** Opens a WebSocket at the TCP level; rejects with the raw response when it is not a 101. */
  static async open(port: number, path: string, opts: RawConnectOptions = {}): Promise<RawWsClient> {
    const { socket, head, rest } = await openRaw(port, path, opts);
    return new RawWsClient(socket, head, rest);
  }

  /** Text of every text frame received so far. */
  get texts(): string[] {
    return this.frames.filter((f) => f.opcode === OP_TEXT).map((f) => f.payload.toString('utf8'));
  }

  waitFrame(match: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const found = this.frames.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.texts.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  waitText(match: string | RegExp | ((t: string) => boolean), timeoutMs = 3000): Promise<string> {
    const test =
      typeof match === 'string'
        ? (t: string) => t === match
        : match instanceof RegExp
          ? (t: string) => match.test(t)
          : match;
    return this.waitFrame((f) => f.opcode === OP_TEXT && test(f.payload.toString('utf8')), timeoutMs).then((f) =>
      f.payload.toString('utf8'),
    );
  }

  sendFrame(opcode: number, payload: Buffer | string): void {
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const mask = randomBytes(4);
    const len = data.length;
    const header =
      len < 126
        ? Buffer.from([0x80 | opcode, 0x80 | len])
        : len < 65536
          ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff])
          : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigLength(len)]);
    const masked = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) masked[i] = data[i] ^ mask[i & 3];
    if (!this.socket.destroyed) this.socket.write(Buffer.concat([header, mask, masked]));
  }

  sendText(payload: Buffer | string): void {
    this.sendFrame(OP_TEXT, payload);
  }

  sendBinary(payload: Buffer): void {
    this.sendFrame(OP_BINARY, payload);
  }

  destroy(): void {
    this.socket.destroy();
  }

  protected onFrame(frame: Frame): void {
    if (frame.opcode === OP_PING) this.sendFrame(OP_PONG, frame.payload);
    if (frame.opcode === OP_CLOSE && !this.isClosed) {
      this.sendFrame(OP_CLOSE, frame.payload.subarray(0, 2));
      this.socket.end();
    }
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const frame = parseFrame(this.pending);
      if (!frame) return;
      this.pending = this.pending.subarray(frame.raw.length);
      this.frames.push(frame);
      this.onFrame(frame);
      for (const w of this.waiters.filter((w) => w.match(frame))) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(frame);
      }
    }
  }
}

export interface FakeAgentOptions extends RawConnectOptions {
  /** Echo injected lines (default true). */
  echo?: boolean;
  /** Answer pings (default true). */
  pong?: boolean;
  /**
   * Hold frames that arrive in the same TCP read as the 101 until more bytes arrive, as the real
   * app does (wire.md §3.4, session-2026-12.md): a server that sends its first frame with the 101
   * stalls there. Default false (the frames are read at once).
   */
  holdEarlyFrames?: boolean;
}

export class FakeAgent extends RawWsClient {
  /** Every line received, in order, as MMDAgent-EX would dispatch it (SND audio excluded). */
  readonly lines: string[] = [];
  /** Binary (audio) frames received. */
  readonly audio: Buffer[] = [];
  echo = true;
  pong = true;

  static async connect(port: number, path = '/chat', opts: FakeAgentOptions = {}): Promise<FakeAgent> {
    const { socket, head, rest } = await openRaw(port, path, { ...opts, agent: true });
    const agent = new FakeAgent(socket, head, rest, opts.holdEarlyFrames ?? false);
    agent.echo = opts.echo ?? true;
    agent.pong = opts.pong ?? true;
    return agent;
  }

  /** Waits for a received line. */
  waitLine(match: string | RegExp, timeoutMs = 3000): Promise<string> {
    const test = (l: string) => (typeof match === 'string' ? l === match : match.test(l));
    return this.waitFrame(
      (f) => (f.opcode === OP_TEXT || f.opcode === OP_BINARY) && splitLines(f.payload.toString('utf8')).some(test),
      timeoutMs,
    ).then(() => this.lines.find(test)!);
  }

  /** Sends one message frame as MMDAgent-EX does: `TYPE|ARGS\n`. */
  say(line: string): void {
    this.sendText(`${line}\n`);
  }

  protected override onFrame(frame: Frame): void {
    const { opcode, payload } = frame;
    if (opcode === OP_PING) {
      // The real client answers an empty ping with one stale byte (wire.md §6.2).
      if (this.pong) this.sendFrame(OP_PONG, payload.length ? payload : Buffer.from([0]));
      return;
    }
    if (opcode === OP_CLOSE) {
      // Empty close payload = "peer disconnected": just drop TCP, never answer (wire.md §5.3, §6.3).
      if (payload.length === 0) this.socket.destroy();
      else this.lines.push(payload.toString('latin1')); // a payload is appended to the text stream (§6.3)
      return;
    }
    if (
      opcode === OP_BINARY &&
      payload.subarray(0, 3).toString('latin1') === 'SND' &&
      /^\d{4}$/.test(payload.subarray(3, 7).toString('latin1'))
    ) {
      this.audio.push(payload);
      return;
    }
    if (opcode !== OP_TEXT && opcode !== OP_BINARY) return;
    for (const line of splitLines(payload.toString('utf8'))) {
      this.lines.push(line);
      if (!this.echo || line.startsWith('SND')) continue;
      if (line.startsWith('__AV_MESSAGE,')) this.say(line.slice('__AV_MESSAGE,'.length));
      else if (!line.startsWith('__AV')) this.say(line);
    }
  }
}

function splitLines(text: string): string[] {
  return text.split(/[\r\n]+/).filter((l) => l.length > 0);
}

async function openRaw(
  port: number,
  path: string,
  opts: RawConnectOptions,
): Promise<{ socket: Socket; head: string; rest: Buffer }> {
  const { socket, response } = upgradeRequest(port, path, opts);
  const { head, rest } = await response;
  if (!head.startsWith('HTTP/1.1 101 ')) {
    socket.destroy();
    throw Object.assign(new Error(`upgrade refused: ${head.split('\r\n')[0]}`), { response: head });
  }
  return { socket, head, rest };
}

function bigLength(len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(len));
  return b;
}

/** One unmasked server frame from the start of `buf`, or undefined when incomplete. */
function parseFrame(buf: Buffer): Frame | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0] & 0x0f;
  let len = buf[1] & 0x7f;
  let at = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    at = 10;
  }
  if (buf[1] & 0x80) at += 4; // servers do not mask; tolerate it anyway for the length
  if (buf.length < at + len) return undefined;
  return { opcode, payload: buf.subarray(at, at + len), raw: buf.subarray(0, at + len) };
}

// The WebSocket client side of the simulated MMDAgent-EX, written against the raw TCP socket.
// `ws` would answer close frames, validate close codes and UTF-8, pong an empty ping with an empty
// payload and refuse oversize frames with a close frame; MMDAgent-EX (POCO) does none of that, so
// the simulator reads and writes frames itself to fail exactly where the real client fails.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { TOO_MANY_REQUESTS } from '../../limits.js';

// RFC 6455 §1.3
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OPCODE_TEXT = 0x1;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** Why one connection attempt failed, in POCO's words (wire.md §3.3). */
export class AttemptFailure extends Error {
  /** The reason phrase contained `Too Many Requests` (wire.md §4.3). */
  readonly tooManyRequests: boolean;
  constructor(message: string) {
    super(message);
    this.tooManyRequests = message.includes(TOO_MANY_REQUESTS);
  }
}

export interface Target {
  host: string;
  port: number;
  path: string;
}

/** MMDAgent-EX speaks TLS if and only if the port is 443 (wire.md §3.2). */
export const TLS_PORT = 443;
/** POCO's client context (wire.md §3.2): this cipher list, and any certificate accepted. */
const TLS_CIPHERS = 'ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH';

/**
 * One handshake as MMDAgent-EX sends it (wire.md §3.1, real-client/notes.md "Handshake"): no
 * Origin, no subprotocol, no extensions, `X-App-Type: MMDAgent`. Resolves with the upgraded socket
 * and any bytes that came with the 101; rejects with AttemptFailure.
 */
export function handshake(
  target: Target,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ socket: Socket; head: Buffer }> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const tls = target.port === TLS_PORT;
    const req = (tls ? tlsRequest : request)({
      host: target.host,
      port: target.port,
      path: target.path,
      agent: false,
      signal,
      // VERIFY_RELAXED with no CA store and an AcceptCertificateHandler: self-signed, expired or
      // mismatched certificates all pass (wire.md §3.2).
      ...(tls ? { rejectUnauthorized: false, ciphers: TLS_CIPHERS } : {}),
      headers: {
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
        'X-App-Type': 'MMDAgent',
      },
    });
    const fail = (message: string) => {
      req.destroy();
      reject(new AttemptFailure(message));
    };
    req.setTimeout(timeoutMs, () => fail('TimeoutException'));
    req.on('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'ECONNREFUSED' ? 'ConnectionRefusedException' : `Exception: ${err.message}`),
    );
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      if (res.statusCode === 200) fail('The server does not understand the WebSocket protocol');
      else if (res.statusCode === 401) fail('Not authorized');
      else fail(`Cannot upgrade to WebSocket connection: ${res.statusMessage ?? ''}`);
    });
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      req.setTimeout(0);
      // POCO's checks (wire.md §3.3): whole-value `Connection: Upgrade`, `Upgrade: websocket`, accept.
      const expected = createHash('sha1')
        .update(key + ACCEPT_GUID)
        .digest('base64');
      const problem =
        res.statusCode !== 101
          ? `Cannot upgrade to WebSocket connection: ${res.statusMessage ?? ''}`
          : String(res.headers.connection).toLowerCase() !== 'upgrade'
            ? 'No Connection: Upgrade header in handshake response'
            : String(res.headers.upgrade).toLowerCase() !== 'websocket'
              ? 'No Upgrade: websocket header in handshake response'
              : res.headers['sec-websocket-accept'] !== expected
                ? 'Invalid or missing Sec-WebSocket-Accept header in handshake response'
                : undefined;
      if (problem !== undefined) {
        socket.destroy();
        reject(new AttemptFailure(problem));
        return;
      }
      socket.setNoDelay(true);
      resolve({ socket, head });
    });
    req.end();
  });
}

/** A client frame: FIN set, masked, as POCO writes it (notes.md "Client → server framing"). */
export function encodeClientFrame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  const extra = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + extra + 4 + len);
  frame[0] = 0x80 | opcode;
  if (extra === 0) frame[1] = 0x80 | len;
  else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  const maskAt = 2 + extra;
  randomBytes(4).copy(frame, maskAt);
  for (let i = 0; i < len; i++) frame[maskAt + 4 + i] = payload[i] ^ frame[maskAt + (i & 3)];
  return frame;
}

export interface FrameHeader {
  opcode: number;
  length: number;
}

/**
 * Incremental reader of server frames. `limit(header)` is asked before a payload is read: POCO
 * refuses a frame by its header alone (wire.md §6.5), so an oversize payload is never buffered.
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    /** Returns false to stop reading (the connection is gone or the reader is dead). */
    private readonly onFrame: (opcode: number, payload: Buffer) => boolean,
    private readonly accept: (header: FrameHeader) => boolean,
  ) {}

  /** Feeds socket bytes; stops early (returns false) when a frame was refused or reading ended. */
  push(chunk: Buffer): boolean {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let at = 0;
    const buf = this.buffer;
    for (;;) {
      if (buf.length - at < 2) break;
      const opcode = buf[at] & 0x0f;
      const masked = (buf[at + 1] & 0x80) !== 0;
      let length = buf[at + 1] & 0x7f;
      let headerBytes = 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        headerBytes = 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        length = Number(buf.readBigUInt64BE(at + 2));
        headerBytes = 10;
      }
      if (!this.accept({ opcode, length })) {
        this.buffer = Buffer.alloc(0);
        return false;
      }
      const maskBytes = masked ? 4 : 0;
      const start = at + headerBytes + maskBytes;
      if (buf.length < start + length) break;
      const payload = buf.subarray(start, start + length);
      if (masked) for (let i = 0; i < length; i++) payload[i] ^= buf[at + headerBytes + (i & 3)];
      at = start + length;
      if (!this.onFrame(opcode, payload)) {
        this.buffer = Buffer.alloc(0);
        return false;
      }
    }
    this.buffer = at === buf.length ? Buffer.alloc(0) : buf.subarray(at);
    return true;
  }
}

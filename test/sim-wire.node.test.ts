// The simulator's own RFC 6455 client framing (src/node/sim/wire.ts) against literal bytes (RFC 6455
// §5.7 examples, real-client/E-ping), against a real `ws` server on 127.0.0.1 (port 0), and the
// handshake failures in POCO's words (wire.md §3.3).
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, TOO_MANY_REQUESTS } from '../src/limits.js';
import {
  AttemptFailure,
  FrameReader,
  OPCODE_CLOSE,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
  encodeClientFrame,
  handshake,
  type FrameHeader,
} from '../src/node/sim/wire.js';
import { refuseUpgrade } from '../src/node/server/upgrade.js';
import { after, describe, it } from './harness.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

const bytes = (...b: number[]) => Buffer.from(b);

/** Unmasks a client frame by hand (RFC 6455 §5.3), checking the header it should carry. */
function unmask(frame: Buffer, headerBytes: number): Buffer {
  const mask = frame.subarray(headerBytes - 4, headerBytes);
  const out = Buffer.alloc(frame.length - headerBytes);
  for (let i = 0; i < out.length; i++) out[i] = frame[headerBytes + i] ^ mask[i % 4];
  return out;
}

/** A reader that records frames, accepting headers up to `limit` bytes. */
function reader(limit = MAX_FRAME_BYTES) {
  const frames: { opcode: number; payload: string }[] = [];
  const headers: FrameHeader[] = [];
  const r = new FrameReader(
    (opcode, payload) => (frames.push({ opcode, payload: payload.toString('latin1') }), true),
    (h) => (headers.push(h), h.length <= limit),
  );
  return { r, frames, headers };
}

describe('encodeClientFrame: masked client frames (RFC 6455 §5.2, real-client/notes.md)', () => {
  it('a short text frame: FIN + opcode, mask bit + 7-bit length, 4 mask bytes, masked payload', () => {
    const frame = encodeClientFrame(OPCODE_TEXT, Buffer.from('HELLO|1\n'));
    expect([frame[0], frame[1], frame.length]).to.deep.equal([0x81, 0x88, 2 + 4 + 8]);
    expect(unmask(frame, 6).toString()).to.equal('HELLO|1\n');
  });

  it('lengths: 125 in 7 bits, 126 and 65535 in 16 bits, 65536 in 64 bits', () => {
    const header = (len: number) => [
      ...encodeClientFrame(OPCODE_TEXT, Buffer.alloc(len, 0x61)).subarray(0, len < 126 ? 2 : len < 65536 ? 4 : 10),
    ];
    expect(header(125)).to.deep.equal([0x81, 0x80 | 125]);
    expect(header(126)).to.deep.equal([0x81, 0xfe, 0x00, 0x7e]);
    expect(header(MAX_FRAME_BYTES)).to.deep.equal([0x81, 0xfe, 0x1f, 0xff]);
    expect(header(65535)).to.deep.equal([0x81, 0xfe, 0xff, 0xff]);
    expect(header(65536)).to.deep.equal([0x81, 0xff, 0, 0, 0, 0, 0, 1, 0, 0]);
    const big = encodeClientFrame(OPCODE_TEXT, Buffer.alloc(65536, 0x61));
    expect(big.length).to.equal(10 + 4 + 65536);
    expect(unmask(big, 14).equals(Buffer.alloc(65536, 0x61))).to.equal(true);
  });

  it(
    'the pong to an empty ping carries one byte, as real-client/E-ping ' + 'recorded: 8A 81 mask 1 byte (wire.md §6.2)',
    () => {
      // What the simulator writes for an empty ping (sim.ts): the recorded frame had header_bytes 6, len 1, payload 00.
      const pong = encodeClientFrame(OPCODE_PONG, Buffer.of(0));
      expect([pong[0], pong[1], pong.length]).to.deep.equal([0x8a, 0x81, 7]);
      expect([...unmask(pong, 6)]).to.deep.equal([0x00]);
      const echoed = encodeClientFrame(OPCODE_PONG, Buffer.from('hb-1'));
      expect([echoed[0], echoed[1], unmask(echoed, 6).toString()]).to.deep.equal([0x8a, 0x84, 'hb-1']);
    },
  );

  it('close and ping opcodes, and an empty payload (mask only)', () => {
    const close = encodeClientFrame(OPCODE_CLOSE, new Uint8Array(0));
    expect([close[0], close[1], close.length]).to.deep.equal([0x88, 0x80, 6]);
    const ping = encodeClientFrame(OPCODE_PING, bytes(1, 2));
    expect([ping[0], ping[1], ...unmask(ping, 6)]).to.deep.equal([0x89, 0x82, 1, 2]);
  });

  it('each frame gets a fresh mask, and the payload given is left as it was', () => {
    const payload = Buffer.from('SAME|LINE\n');
    const masks = new Set<string>();
    for (let i = 0; i < 8; i++) masks.add(encodeClientFrame(OPCODE_TEXT, payload).subarray(2, 6).toString('hex'));
    expect(masks.size).to.be.greaterThan(1);
    expect(payload.toString()).to.equal('SAME|LINE\n');
  });
});

describe('FrameReader: server frames (RFC 6455 §5.7 examples)', () => {
  it('an unmasked text "Hello": 81 05 48 65 6c 6c 6f', () => {
    const { r, frames } = reader();
    expect(r.push(bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f))).to.equal(true);
    expect(frames).to.deep.equal([{ opcode: OPCODE_TEXT, payload: 'Hello' }]);
  });

  it('a masked "Hello": 81 85 37 fa 21 3d 7f 9f 4d 51 58', () => {
    const { r, frames } = reader();
    r.push(bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58));
    expect(frames).to.deep.equal([{ opcode: OPCODE_TEXT, payload: 'Hello' }]);
  });

  it('a fragmented "Hel" + "lo" in one chunk: each fragment is a frame of its own opcode (wire.md §6.1)', () => {
    const { r, frames } = reader();
    r.push(bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f));
    expect(frames).to.deep.equal([
      { opcode: OPCODE_TEXT, payload: 'Hel' },
      { opcode: 0, payload: 'lo' },
    ]);
  });

  it('ping, empty ping, empty close, close with a status code', () => {
    const { r, frames } = reader();
    r.push(bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x89, 0x00, 0x88, 0x00, 0x88, 0x02, 0x03, 0xe8));
    expect(frames).to.deep.equal([
      { opcode: OPCODE_PING, payload: 'Hello' },
      { opcode: OPCODE_PING, payload: '' },
      { opcode: OPCODE_CLOSE, payload: '' },
      { opcode: OPCODE_CLOSE, payload: '\x03\xe8' },
    ]);
  });

  it('a 256-byte frame with a 16-bit length, fed one byte at a time', () => {
    const { r, frames } = reader();
    const frame = Buffer.concat([bytes(0x82, 0x7e, 0x01, 0x00), Buffer.alloc(256, 0x5a)]);
    for (const b of frame) expect(r.push(bytes(b))).to.equal(true);
    expect(frames).to.deep.equal([{ opcode: 0x2, payload: 'Z'.repeat(256) }]);
  });

  it('a frame split across chunks, followed by the start of the next', () => {
    const { r, frames } = reader();
    r.push(bytes(0x81, 0x04, 0x41));
    r.push(bytes(0x42, 0x43, 0x44, 0x81));
    expect(frames).to.deep.equal([{ opcode: OPCODE_TEXT, payload: 'ABCD' }]);
    r.push(bytes(0x01, 0x45));
    expect(frames).to.deep.equal([
      { opcode: OPCODE_TEXT, payload: 'ABCD' },
      { opcode: OPCODE_TEXT, payload: 'E' },
    ]);
  });

  it('stops when onFrame says so: the rest of the chunk is dropped', () => {
    const seen: string[] = [];
    const r = new FrameReader(
      (_op, payload) => (seen.push(payload.toString()), false),
      () => true,
    );
    expect(r.push(bytes(0x81, 0x01, 0x41, 0x81, 0x01, 0x42))).to.equal(false);
    expect(seen).to.deep.equal(['A']);
  });
});

describe('FrameReader: oversize refused from the header alone (wire.md §6.5)', () => {
  it(
    `${MAX_FRAME_BYTES} bytes is accepted (the reader waits for the payload); ` +
      `${MAX_FRAME_BYTES + 1} is refused with no payload sent`,
    () => {
      const ok = reader();
      expect(ok.r.push(bytes(0x81, 0x7e, 0x1f, 0xff))).to.equal(true);
      expect(ok.headers).to.deep.equal([{ opcode: OPCODE_TEXT, length: MAX_FRAME_BYTES }]);
      const big = reader();
      expect(big.r.push(bytes(0x81, 0x7e, 0x20, 0x00))).to.equal(false);
      expect(big.headers).to.deep.equal([{ opcode: OPCODE_TEXT, length: MAX_FRAME_BYTES + 1 }]);
      expect(big.frames).to.deep.equal([]);
    },
  );

  it('a 64-bit length of 4 GiB is refused from its 10 header bytes', () => {
    const { r, frames, headers } = reader();
    expect(r.push(bytes(0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0))).to.equal(false);
    expect(headers).to.deep.equal([{ opcode: 0x2, length: 2 ** 32 }]);
    expect(frames).to.deep.equal([]);
  });

  it('frames before an oversize one in the same chunk are still delivered', () => {
    const { r, frames } = reader(4);
    expect(r.push(bytes(0x81, 0x02, 0x4f, 0x4b, 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f))).to.equal(false);
    expect(frames).to.deep.equal([{ opcode: OPCODE_TEXT, payload: 'OK' }]);
  });
});

describe('encoder and reader against a real ws server (127.0.0.1)', () => {
  it('handshake, a text line each way with a 16-bit length, and a 1-byte pong to an empty ping', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((done) => wss.once('listening', () => done()));
    cleanups.push(() => new Promise<void>((done) => wss.close(() => done())));
    const port = (wss.address() as AddressInfo).port;
    const serverSide = new Promise<{
      appType: unknown;
      texts: string[];
      pongs: Buffer[];
      send(d: string): void;
      ping(): void;
    }>((done) =>
      wss.on('connection', (ws, req) => {
        const texts: string[] = [];
        const pongs: Buffer[] = [];
        ws.on('message', (d) => texts.push(String(d)));
        ws.on('pong', (d) => pongs.push(d));
        cleanups.push(() => ws.terminate());
        done({ appType: req.headers['x-app-type'], texts, pongs, send: (d) => ws.send(d), ping: () => ws.ping() });
      }),
    );
    const { socket, head } = await handshake({ host: '127.0.0.1', port, path: '/chat' }, 2000);
    cleanups.push(() => socket.destroy());
    const server = await serverSide;
    expect(server.appType).to.equal('MMDAgent');

    const got: { opcode: number; payload: Buffer }[] = [];
    let wake = () => {};
    const r = new FrameReader(
      (opcode, payload) => (got.push({ opcode, payload: Buffer.from(payload) }), wake(), true),
      (h) => h.length <= MAX_FRAME_BYTES,
    );
    if (head.length) r.push(head);
    socket.on('data', (c: Buffer) => r.push(c));
    const next = (n: number) => new Promise<void>((done) => ((wake = () => got.length >= n && done()), wake()));

    const long = `SYNTH_START|mei|voice|${'a'.repeat(200)}\n`;
    server.send(long);
    server.ping();
    await next(2);
    expect(got[0].opcode).to.equal(OPCODE_TEXT);
    expect(got[0].payload.toString()).to.equal(long);
    expect([got[1].opcode, got[1].payload.length]).to.deep.equal([OPCODE_PING, 0]);

    socket.write(encodeClientFrame(OPCODE_PONG, Buffer.of(0)));
    socket.write(encodeClientFrame(OPCODE_TEXT, Buffer.from(long)));
    const deadline = Date.now() + 2000;
    while ((server.texts.length < 1 || server.pongs.length < 1) && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 5));
    expect(server.texts).to.deep.equal([long]);
    expect(server.pongs.map((p) => [...p])).to.deep.equal([[0x00]]);
  });
});

describe('handshake failures in POCO words (wire.md §3.3)', () => {
  async function httpServer(onUpgrade: (socket: Socket) => void): Promise<number> {
    const server: Server = createServer((_q, res) => res.end());
    server.on('upgrade', (_req, socket: Socket) => onUpgrade(socket));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    cleanups.push(() => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))));
    return (server.address() as AddressInfo).port;
  }

  async function failure(port: number): Promise<AttemptFailure> {
    try {
      const { socket } = await handshake({ host: '127.0.0.1', port, path: '/chat' }, 2000);
      socket.destroy();
    } catch (err) {
      expect(err).to.be.instanceOf(AttemptFailure);
      return err as AttemptFailure;
    }
    throw new Error('the handshake was expected to fail');
  }

  it(`429 "${TOO_MANY_REQUESTS}" is a renaming failure (wire.md §4.3)`, async () => {
    const err = await failure(await httpServer((s) => refuseUpgrade(s, 429, '')));
    expect([err.message, err.tooManyRequests]).to.deep.equal([
      `Cannot upgrade to WebSocket connection: ${TOO_MANY_REQUESTS}`,
      true,
    ]);
  });

  it('403 is a plain failure with its reason phrase; 401 is "Not authorized"', async () => {
    const forbidden = await failure(await httpServer((s) => refuseUpgrade(s, 403, 'no')));
    expect([forbidden.message, forbidden.tooManyRequests]).to.deep.equal([
      'Cannot upgrade to WebSocket connection: Forbidden',
      false,
    ]);
    const unauthorized = await failure(await httpServer((s) => refuseUpgrade(s, 401, 'token')));
    expect(unauthorized.message).to.equal('Not authorized');
  });

  it('a plain HTTP 200 answer (a server with no upgrade handler)', async () => {
    // Node answers an upgrade request as plain HTTP when nothing listens for 'upgrade'.
    const plain: Server = createServer((_q, res) => res.end('hi'));
    await new Promise<void>((done) => plain.listen(0, '127.0.0.1', done));
    cleanups.push(() => new Promise<void>((done) => (plain.closeAllConnections(), plain.close(() => done()))));
    const err = await failure((plain.address() as AddressInfo).port);
    expect(err.message).to.equal('The server does not understand the WebSocket protocol');
  });

  it('a 101 with a combined Connection value or a wrong accept is refused', async () => {
    const combined = await failure(
      await httpServer((s) =>
        s.end(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n' +
            'Sec-WebSocket-Accept: x\r\n\r\n',
        ),
      ),
    );
    expect(combined.message).to.equal('No Connection: Upgrade header in handshake response');
    const badAccept = await failure(
      await httpServer((s) =>
        s.end(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Accept: bm90IGl0\r\n\r\n',
        ),
      ),
    );
    expect(badAccept.message).to.equal('Invalid or missing Sec-WebSocket-Accept header in handshake response');
  });

  it('a closed port is ConnectionRefusedException', async () => {
    const tcp = createTcpServer();
    await new Promise<void>((done) => tcp.listen(0, '127.0.0.1', done));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise<void>((done) => tcp.close(() => done()));
    expect((await failure(port)).message).to.equal('ConnectionRefusedException');
  });
});

// Issue 12 item 1, over real sockets on 127.0.0.1: the real app flushes a command's echo and its
// events together (wire.md §10), and `ws` delivers every frame of one read synchronously. A
// sequence of waits (`send; await waitFor(echo); await waitFor(event)`) must still see the event,
// whatever the batching: two frames in ONE TCP write, one frame with two lines, separate reads.
// The peers here write raw WebSocket bytes (node:net), so the batching is exactly what the test says.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { after, describe, it } from './harness.js';
import { AgentLink, type IncomingMessage } from '../src/link.js';
import { connect } from '../src/node/connect.js';
import { valueSet } from '../src/catalog/commands.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

const ECHO = 'VALUE_SET|x|1\n';
const EVENT = 'VALUE_EVENT_SET|x\n';

/** One unfragmented text frame; a client's is masked (RFC 6455 §5.3). Payloads here are short. */
function frame(text: string, masked = false): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('short frames only');
  const head = Buffer.from([0x81, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  const key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([head, key, payload.map((b, i) => b ^ key[i % 4])]);
}

/** How the peer answers a line: both frames in one write, one frame of two lines, or two reads. */
type Batching = 'one write' | 'one frame' | 'two reads';

function answer(socket: Socket, batching: Batching, masked: boolean): void {
  if (batching === 'one write') socket.write(Buffer.concat([frame(ECHO, masked), frame(EVENT, masked)]));
  else if (batching === 'one frame') socket.write(frame(ECHO + EVENT, masked));
  else {
    socket.write(frame(ECHO, masked));
    setTimeout(() => socket.write(frame(EVENT, masked)), 20);
  }
}

/** A raw TCP WebSocket server on 127.0.0.1 that answers the first frame it gets as `batching` says. */
async function rawServer(batching: Batching): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = '';
    let upgraded = false;
    socket.on('data', (data) => {
      if (upgraded) return answer(socket, batching, false); // the client's line (masked; not decoded)
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      upgraded = true;
      const key = /sec-websocket-key: *(.+)\r\n/i.exec(head)![1].trim();
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/chat`;
}

/** A `ws` server whose side of each connection is wrapped in an AgentLink, as the server does. */
async function linkServer(): Promise<{ port: number; next: () => Promise<AgentLink> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const links: AgentLink[] = [];
  const waiting: ((l: AgentLink) => void)[] = [];
  wss.on('connection', (ws: WebSocket) => {
    const link = new AgentLink(ws);
    const w = waiting.shift();
    if (w) w(link);
    else links.push(link);
  });
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise((resolve) => wss.close(resolve));
  });
  return {
    port: (wss.address() as AddressInfo).port,
    next: () => new Promise((resolve) => (links.length ? resolve(links.shift()!) : waiting.push(resolve))),
  };
}

/** A raw TCP client playing MMDAgent-EX: upgrades, then answers each frame it gets as `batching` says. */
async function rawAgent(port: number, batching: Batching): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-App-Type: MMDAgent\r\n\r\n',
  );
  let head = '';
  socket.on('data', (data) => {
    if (head.includes('\r\n\r\n')) return answer(socket, batching, true);
    head += data.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    // The server's first frame may ride in the read of its 101 response.
    if (end >= 0 && end + 4 < head.length) answer(socket, batching, true);
  });
  return socket;
}

const BATCHINGS: Batching[] = ['one write', 'one frame', 'two reads'];

/** The patterns users write after sending a line; each resolves with the event's line. */
const PATTERNS: Record<string, (link: AgentLink) => Promise<string>> = {
  'send; await waitFor(echo); await waitFor(event)': async (link) => {
    link.send(valueSet('x', '1'));
    await link.waitFor('VALUE_SET', { timeoutMs: 2000 });
    return (await link.waitFor('VALUE_EVENT_SET', { timeoutMs: 1000 })).line;
  },
  'for await until the echo, then waitFor(event)': async (link) => {
    const messages = link[Symbol.asyncIterator]();
    link.send(valueSet('x', '1'));
    for await (const m of { [Symbol.asyncIterator]: () => messages }) if (m.type === 'VALUE_SET') break;
    return (await link.waitFor('VALUE_EVENT_SET', { timeoutMs: 1000 })).line;
  },
  'a listener on the echo that awaits, then waits for the event': (link) =>
    new Promise<string>((resolve, reject) => {
      const off = link.on('VALUE_SET', async () => {
        off();
        await Promise.resolve(); // any async step before the next wait
        link.waitFor('VALUE_EVENT_SET', { timeoutMs: 1000 }).then((m) => resolve(m.line), reject);
      });
      link.send(valueSet('x', '1'));
    }),
  'a listener added inside the echo listener': (link) =>
    new Promise<string>((resolve) => {
      const off = link.on('VALUE_SET', () => {
        off();
        link.on('VALUE_EVENT_SET', (m: IncomingMessage) => resolve(m.line));
      });
      link.send(valueSet('x', '1'));
    }),
  'request(line, event)': async (link) =>
    (await link.request(valueSet('x', '1'), 'VALUE_EVENT_SET', { timeoutMs: 1000 })).line,
};

describe('a sequence of waits sees every reply, however the peer batched them (issue 12 item 1)', () => {
  for (const batching of BATCHINGS) {
    for (const [name, pattern] of Object.entries(PATTERNS)) {
      it(`connect() link, ${batching}: ${name}`, async () => {
        const link = await connect(await rawServer(batching));
        cleanups.push(() => link.close());
        expect(await pattern(link)).to.equal('VALUE_EVENT_SET|x');
      });
    }
    it(`server-side AgentLink, ${batching}: send; await waitFor(echo); await waitFor(event)`, async () => {
      const server = await linkServer();
      const linkNext = server.next();
      await rawAgent(server.port, batching);
      const link = await linkNext;
      expect(await PATTERNS['send; await waitFor(echo); await waitFor(event)'](link)).to.equal('VALUE_EVENT_SET|x');
      link.close();
    });
  }
});

describe('request()', () => {
  it('waits for one of several types, registered before the line goes out', async () => {
    const link = await connect(await rawServer('one write'));
    cleanups.push(() => link.close());
    const reply = await link.request(valueSet('x', '1'), ['VALUE_EVENT_SET', 'VALUE_EVENT_UNSET'], {
      timeoutMs: 1000,
    });
    // Typed by the catalog: the union of the two types' arguments.
    const alias: string = reply.args[0];
    expect([reply.type, alias]).to.deep.equal(['VALUE_EVENT_SET', 'x']);
    // @ts-expect-error: not a message type of the catalog
    void (() => link.request('X', 'VALUE_EVENT_SETT'));
  });

  it('rejects, without waiting, when the line cannot be sent', async () => {
    const link = await connect(await rawServer('one write'));
    link.close();
    let code: unknown;
    await link.request('VALUE_SET|x|1', 'VALUE_EVENT_SET').catch((err) => (code = err.code));
    expect(code).to.equal('ERR_CLOSED');
  });
});

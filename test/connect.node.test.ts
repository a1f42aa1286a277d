// Node's connect() (src/node/connect.ts): the core client with isomorphic-ws as its default socket
// class, since Node 20 has no global WebSocket. Real `ws` server on 127.0.0.1, port 0.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { connect as coreConnect } from '../src/link.js';
import { connect } from '../src/node/connect.js';
import { after, describe, it, skipIf } from './harness.js';
import { rejectsWith } from './support/codes.js';

const noGlobalWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket === undefined;

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

/** A ws server that records each text frame and sends `greeting` to every new connection. */
async function startServer(greeting: string) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((done) => wss.once('listening', () => done()));
  const frames: string[] = [];
  wss.on('connection', (socket) => {
    socket.on('message', (data) => frames.push(String(data)));
    socket.send(greeting);
  });
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise<void>((done) => wss.close(() => done()));
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/chat`, frames };
}

describe('connect() for Node (real sockets)', () => {
  it('works with no WebSocket option (isomorphic-ws): a line goes out and an agent line comes back', async () => {
    const server = await startServer('MODEL_EVENT_ADD|mei\n');
    const link = await connect(server.url, { setup: ['__AV_START'] });
    cleanups.push(() => link.close());
    const greeting = await link.waitFor('MODEL_EVENT_ADD', { timeoutMs: 2000 });
    expect(greeting.args).to.deep.equal(['mei']);
    link.send('MOTION_ADD|mei|base|wait.vmd');
    const deadline = Date.now() + 2000;
    while (server.frames.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    // wire.md §5.1 / §7.2: one `TYPE|ARGS\n` line per frame.
    expect(server.frames).to.deep.equal(['__AV_START\n', 'MOTION_ADD|mei|base|wait.vmd\n']);
  });

  skipIf(!noGlobalWebSocket, 'this Node has a global WebSocket')(
    'without it the core connect() finds no WebSocket class here (ERR_CONNECT)',
    async () => {
      const server = await startServer('HELLO|1\n');
      await rejectsWith(coreConnect(server.url), 'ERR_CONNECT');
    },
  );

  it('an explicit { WebSocket } class is the one used', async () => {
    const server = await startServer('HELLO|1\n');
    const constructed: string[] = [];
    class CountingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        constructed.push(url);
      }
    }
    const link = await connect(server.url, { WebSocket: CountingWebSocket });
    cleanups.push(() => link.close());
    expect((await link.waitFor((m) => m.type === 'HELLO', { timeoutMs: 2000 })).args).to.deep.equal(['1']);
    expect(constructed).to.deep.equal([server.url]);
  });
});

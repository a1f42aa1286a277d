// Node's connect() (src/node/connect.ts): the core client with isomorphic-ws as its default socket
// class, since Node 20 has no global WebSocket. Real `ws` server on 127.0.0.1, port 0.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { connect as coreConnect } from '../src/link.js';
import { connect } from '../src/node/connect.js';
import * as nodeEntry from '../src/node/index.js';
import * as coreEntry from '../src/index.js';
import { readFileSync } from 'node:fs';
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

describe("the package's entry under the node condition (src/node/index.ts, issue 14)", () => {
  it("package.json maps `mmdagent-ex-remote` under 'node' to the build of src/node/index.ts", () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['.'].node).to.equal('./dist/node/index.js');
  });

  it('exports every name of the core entry, with the Node connect() in place of the core one', () => {
    expect(Object.keys(nodeEntry).sort()).to.deep.equal(Object.keys(coreEntry).sort());
    expect(nodeEntry.connect).to.equal(connect);
    expect(nodeEntry.connect).not.to.equal(coreConnect);
  });

  it('connect() with no WebSocket option reaches a real server on 127.0.0.1 and round-trips a line', async () => {
    const server = await startServer('MODEL_EVENT_ADD|0\n');
    const link = await nodeEntry.connect(server.url);
    cleanups.push(() => link.close());
    const added = await link.request('MOTION_ADD|0|base|wait.vmd', 'MODEL_EVENT_ADD', { timeoutMs: 2000 });
    expect(added.args).to.deep.equal(['0']);
    const deadline = Date.now() + 2000;
    while (server.frames.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(server.frames).to.deep.equal(['MOTION_ADD|0|base|wait.vmd\n']);
  });
});

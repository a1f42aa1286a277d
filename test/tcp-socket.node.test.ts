// TcpSocket and connectTcp() against raw sockets on 127.0.0.1 (wire.md §14): MMDAgent-EX's byte
// stream cut back into its messages, whole lines in one write each, and an AgentLink over TCP.
import { expect } from 'chai';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { isMmdError } from '../src/errors.js';
import { connectTcp, type TcpSharedWarning } from '../src/server.js';
import { MessageSplitter, TcpSocket } from '../src/node/tcp/tcp-socket.js';
import { afterEach, describe, it } from './harness.js';
import { TcpApp } from './support/tcp-app.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const text = (bufs: Buffer[]) => bufs.map((b) => b.toString('latin1'));

describe('MessageSplitter: the app sends TYPE|ARGS\\n, cut at 2047 bytes without \\n (wire.md §5.1)', () => {
  it('gives one message per line whatever the reads, and skips empty lines (AllLog ends in \\n\\n)', () => {
    const s = new MessageSplitter();
    expect(text(s.push(Buffer.from('A|1\nB')))).to.deep.equal(['A|1\n']);
    expect(s.pendingBytes).to.equal(1);
    expect(text(s.push(Buffer.from('|2\n\n\nC\n')))).to.deep.equal(['B|2\n', 'C\n']);
    expect(s.pendingBytes).to.equal(0);
  });

  it('takes 2047 bytes without \\n as a cut message and the bytes after it as the next one', () => {
    const s = new MessageSplitter();
    const cut = `T|${'é'.repeat(1022)}x`; // 2047 bytes
    expect(Buffer.byteLength(cut)).to.equal(2047);
    const bytes = Buffer.from(`${cut}NEXT\n`);
    const out = [...s.push(bytes.subarray(0, 1000)), ...s.push(bytes.subarray(1000))];
    expect(text(out)).to.deep.equal([Buffer.from(cut).toString('latin1'), 'NEXT\n']);
    // 2046 bytes and a \n is a whole message, not a cut one.
    const whole = `T|${'y'.repeat(2044)}`;
    expect(text(s.push(Buffer.from(`${whole}\n`)))).to.deep.equal([`${whole}\n`]);
  });
});

describe('connectTcp(): an AgentLink to MMDAgent-EX in TCP server mode', () => {
  async function appListening(): Promise<{ app: TcpApp; port: number }> {
    const app = new TcpApp();
    open.push({ close: () => app.close() });
    return { app, port: await app.listen() };
  }

  it('sends setup and each line in one write, and gets the echo back', async () => {
    const { app, port } = await appListening();
    const link = await connectTcp({ port, setup: ['SETUP|1'], onSharedBuffer: () => {} });
    open.push({ close: () => link.close() });
    const echo = await link.request('HELLO|tcp', (m) => m.type === 'HELLO');
    expect(echo.line).to.equal('HELLO|tcp');
    const [client] = app.clients;
    // Each line in the write that carries it: no line is ever split over two chunks.
    const chunks = text(app.received.get(client)!);
    for (const chunk of chunks) expect(chunk.endsWith('\n'), JSON.stringify(chunk)).to.equal(true);
    expect(chunks.join('')).to.equal('SETUP|1\nHELLO|tcp\n');
  });

  it('sees REMOTE_EVENT_CONNECTED for itself without a warning, and warns for another client', async () => {
    const { port } = await appListening();
    const warnings: TcpSharedWarning[] = [];
    const link = await connectTcp({ port, onSharedBuffer: (w) => warnings.push(w) });
    open.push({ close: () => link.close() });
    await link.waitFor('REMOTE_EVENT_CONNECTED');
    expect(warnings).to.deep.equal([]);
    const second = link.waitFor('REMOTE_EVENT_CONNECTED');
    const other = await new TcpApp().dial(port);
    open.push({ close: () => other.destroy() });
    await second;
    expect(warnings.map((w) => [w.address, w.others, w.agent])).to.deep.equal([['127.0.0.1', 1, `127.0.0.1:${port}`]]);
  });

  it('redials with reconnect while the app restarts, and sends setup again', async () => {
    const { app, port } = await appListening();
    const link = await connectTcp({
      port,
      setup: ['SETUP|1'],
      reconnect: { minDelayMs: 20 },
      onSharedBuffer: () => {},
    });
    open.push({ close: () => link.close() });
    await app.waitFor(() => app.dispatched.length === 1);
    const reopened = new Promise<void>((resolve) => link.on('open', resolve));
    await app.close();
    await app.listen(port);
    await reopened;
    await app.waitFor(() => app.dispatched.length === 2);
    expect(app.dispatched).to.deep.equal(['SETUP|1', 'SETUP|1']);
  });

  it('fails with ERR_CONNECT when nothing listens, and ERR_TIMEOUT when nothing answers in time', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (free.address() as { port: number }).port;
    await new Promise<void>((r) => free.close(() => r()));
    const refused = await connectTcp({ port }).catch((e) => e);
    expect(isMmdError(refused, 'ERR_CONNECT'), String(refused)).to.equal(true);
    expect(refused.message).to.include('Plugin_Remote_EnableServer=true');
    const bad = await connectTcp({ port: 0 }).catch((e) => e);
    expect(isMmdError(bad, 'ERR_BAD_ARGUMENT'), String(bad)).to.equal(true);
  });

  it('a link closed by the user ends the TCP stream (FIN), which the app reads as the client gone', async () => {
    const server: Server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    open.push({ close: () => new Promise((r) => server.close(r)) });
    const link = await connectTcp({ port: (server.address() as { port: number }).port });
    const peer = await accepted;
    const ended = new Promise<void>((resolve) => peer.once('end', resolve));
    const closed = new Promise<{ code: number }>((resolve) => link.on('close', resolve));
    link.close();
    await ended;
    peer.end();
    expect((await closed).code).to.equal(1005);
  });
});

describe('TcpSocket', () => {
  it('is CONNECTING until its socket connects, then OPEN with an open event; a peer FIN makes it CLOSING', async () => {
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    open.push({ close: () => new Promise((r) => server.close(r)) });
    const ws = new TcpSocket(connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port }));
    expect(ws.readyState).to.equal(0);
    await new Promise<void>((resolve) => ws.addEventListener('open', () => resolve()));
    expect(ws.readyState).to.equal(1);
    const peer = await accepted;
    const got: string[] = [];
    ws.addEventListener('message', (e: { data: ArrayBuffer }) => got.push(Buffer.from(e.data).toString()));
    peer.write('ONE|1\nTW');
    peer.write('O|2\n');
    const closed = new Promise<{ code: number }>((resolve) => ws.addEventListener('close', resolve));
    peer.end();
    expect((await closed).code).to.equal(1006);
    expect(got).to.deep.equal(['ONE|1\n', 'TWO|2\n']);
    expect(ws.readyState).to.equal(3);
  });
});

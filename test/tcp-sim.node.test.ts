// The simulated MMDAgent-EX in Plugin_Remote's TCP modes (wire.md §14), against raw TCP sockets on
// 127.0.0.1 and against the server's TCP transports: the same replies and violations as over
// WebSocket, one input buffer for all clients in tcp-server mode, and a lost connection modelled
// as on WebSocket (docs/sim.md).
import { expect } from 'chai';
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer, startSim, type AgentInfo, type Sim, type SimViolation } from '../src/server.js';
import { afterEach, describe, it } from './harness.js';
import { controller, nextEvent } from './support/server-peers.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const FAST = { timeScale: 0.05 } as const;

/** A raw TCP peer that records what it reads. */
class Peer {
  chunks: Buffer[] = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => this.chunks.push(c));
    socket.on('error', () => {});
    open.push({ close: () => socket.destroy() });
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  async waitText(part: string, timeoutMs = 3000): Promise<void> {
    for (const end = performance.now() + timeoutMs; !this.text.includes(part); await pause(5)) {
      if (performance.now() > end) throw new Error(`no ${JSON.stringify(part)} in ${JSON.stringify(this.text)}`);
    }
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tcpServer(): Promise<{ server: Server; port: number; next: () => Promise<Peer> }> {
  const server = createNetServer();
  const waiting: ((p: Peer) => void)[] = [];
  const arrived: Peer[] = [];
  server.on('connection', (s) => {
    const p = new Peer(s);
    const w = waiting.shift();
    if (w) w(p);
    else arrived.push(p);
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  open.push({ close: () => new Promise((r) => server.close(r)) });
  const next = () => (arrived.length ? Promise.resolve(arrived.shift()!) : new Promise<Peer>((r) => waiting.push(r)));
  return { server, port: (server.address() as { port: number }).port, next };
}

async function sim(opts: Parameters<typeof startSim>[0]): Promise<Sim> {
  const s = await startSim(opts);
  open.push({ close: () => s.stop() });
  return s;
}

async function peerOf(port: number): Promise<Peer> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return new Peer(socket);
}

describe('sim transport tcp-client (Plugin_Remote_EnableClient)', () => {
  it('dials the TCP server and echoes each line byte for byte, one message a write', async () => {
    const { port, next } = await tcpServer();
    const s = await sim({ transport: 'tcp-client', port, ...FAST });
    const peer = await next();
    peer.socket.write('HELLO|tcp\nA||B\n');
    await peer.waitText('A||B\n');
    // Byte for byte, apart from the app's own periodic CURRENT_TIME.
    expect(peer.text.replace(/^CURRENT_TIME\|\d\d\|\d\d\n/gm, '')).to.equal('HELLO|tcp\nA||B\n');
    expect(s.received.map((m) => m.type)).to.deep.equal(['HELLO', 'A']);
    expect(s.violations).to.deep.equal([]);
  });

  it('reports the same parser violations as over WebSocket (a read starting with \\n: stall)', async () => {
    const { port, next } = await tcpServer();
    const s = await sim({ transport: 'tcp-client', port, ...FAST });
    const violation = nextEvent<[SimViolation]>((cb) => s.on('violation', cb));
    (await next()).socket.write('\nFOO\n');
    const [v] = await violation;
    expect(v.kind).to.equal('stall');
    expect(s.status).to.equal('stalled');
  });

  it('reads a write over 8191 bytes as recv() does, in windows beside the pending bytes', async () => {
    const { port, next } = await tcpServer();
    const s = await sim({ transport: 'tcp-client', port, ...FAST });
    const peer = await next();
    const lines = Array.from({ length: 1000 }, (_, i) => `LINE|${String(i).padStart(4, '0')}\n`).join('');
    peer.socket.write(lines); // 10000 bytes in one write
    await peer.waitText('LINE|0999\n', 8000);
    expect(s.received.filter((m) => m.type === 'LINE')).to.have.length(1000);
    expect(s.violations).to.deep.equal([]);
  });

  it('ends the connection when an unfinished line fills the 8191-byte buffer (recv of 0 bytes)', async () => {
    const { port, next } = await tcpServer();
    const s = await sim({ transport: 'tcp-client', port, platform: 'linux', ...FAST });
    (await next()).socket.write('X'.repeat(9000));
    expect((await s.done).status).to.equal('killed');
    expect(s.violations.map((v) => v.kind)).to.deep.equal(['overflow', 'killed']);
  });

  it('linux: dies when the server drops the connection, as over WebSocket (docs/sim.md)', async () => {
    const { port, next } = await tcpServer();
    const s = await sim({ transport: 'tcp-client', port, platform: 'linux', ...FAST });
    (await next()).socket.destroy();
    const outcome = await s.done;
    expect(outcome.status).to.equal('killed');
    expect(s.violations.map((v) => v.kind)).to.deep.equal(['killed']);
  });

  it('windows: redials after a drop, with a fresh connection state (wire.md §9)', async () => {
    const { port, next } = await tcpServer();
    const s = await sim({ transport: 'tcp-client', port, platform: 'windows', ...FAST });
    const first = await next();
    first.socket.write('__AV_START\n');
    await first.waitText('AVATAR|START\n');
    first.socket.destroy();
    const second = await next();
    second.socket.write('AFTER|1\n');
    await second.waitText('AFTER|1\n');
    expect(s.connections).to.equal(2);
    expect(s.state.avatar?.enabled).to.equal(false);
    expect(s.status).to.equal('connected');
  });

  it('gives up with ERR_SIM_GAVE_UP naming the TCP target when nothing listens', async () => {
    const { server, port } = await tcpServer();
    await new Promise((r) => server.close(r));
    const err = await startSim({ transport: 'tcp-client', port, retryCount: 0, ...FAST }).catch((e) => e);
    expect(err.code).to.equal('ERR_SIM_GAVE_UP');
    expect(err.message).to.include(`TCP connect to 127.0.0.1:${port} failed (ECONNREFUSED)`);
  });
});

describe('sim transport tcp-server (Plugin_Remote_EnableServer)', () => {
  it('announces each client to all, echoes to all, and flushes what it said before the first client', async () => {
    const s = await sim({ transport: 'tcp-server', port: 0, ...FAST });
    s.emit('EARLY|1');
    const port = (s as { tcpAddress?: { port: number } }).tcpAddress!.port;
    const a = await peerOf(port);
    await a.waitText('REMOTE_EVENT_CONNECTED|127.0.0.1\n');
    // Queued while nobody listened, sent before the announcement of the first client.
    const early = a.text.indexOf('EARLY|1\n');
    expect(early >= 0 && early < a.text.indexOf('REMOTE_EVENT_CONNECTED'), a.text).to.equal(true);
    const b = await peerOf(port);
    await b.waitText('REMOTE_EVENT_CONNECTED|127.0.0.1\n');
    // Both announcements reach the first client too (the app's periodic CURRENT_TIME may come between).
    for (let i = 0; i < 300 && a.text.split('REMOTE_EVENT_CONNECTED|127.0.0.1\n').length < 3; i++) await pause(10);
    expect(a.text.split('REMOTE_EVENT_CONNECTED|127.0.0.1\n').length).to.equal(3);
    b.socket.write('FROM_B|1\n');
    await a.waitText('FROM_B|1\n');
    await b.waitText('FROM_B|1\n');
    expect(s.violations).to.deep.equal([]);
  });

  it('glues a partial line from one client to the next bytes of another: the interleaved violation', async () => {
    const s = await sim({ transport: 'tcp-server', port: 0, platform: 'windows', ...FAST });
    const port = (s as { tcpAddress?: { port: number } }).tcpAddress!.port;
    const a = await peerOf(port);
    const b = await peerOf(port);
    await b.waitText('REMOTE_EVENT_CONNECTED');
    const violation = nextEvent<[SimViolation]>((cb) => s.on('violation', cb));
    a.socket.write('FO');
    await pause(30);
    b.socket.write('BAR|1\n');
    const [v] = await violation;
    expect(v).to.include({ kind: 'interleaved', rule: 'wire.md §14' });
    await s.waitFor('FOBAR', { timeoutMs: 3000 });
  });

  it('takes __peer_disconnected__ as a plain message: the app checks it only on WebSocket', async () => {
    const s = await sim({ transport: 'tcp-server', port: 0, ...FAST });
    const port = (s as { tcpAddress?: { port: number } }).tcpAddress!.port;
    const a = await peerOf(port);
    a.socket.write('__AV_START\n');
    await a.waitText('AVATAR|START\n');
    a.socket.write('__peer_disconnected__\n');
    await a.waitText('__peer_disconnected__\n');
    await pause(100);
    expect(a.text).to.not.include('AVATAR|END');
    expect(s.state.avatar?.enabled).to.equal(true);
  });

  it('linux: a client leaving is a lost connection, modelled as on WebSocket (docs/sim.md)', async () => {
    const s = await sim({ transport: 'tcp-server', port: 0, platform: 'linux', ...FAST });
    const a = await peerOf((s as { tcpAddress?: { port: number } }).tcpAddress!.port);
    await a.waitText('REMOTE_EVENT_CONNECTED');
    a.socket.destroy();
    expect((await s.done).status).to.equal('killed');
  });
});

describe('the server and the sim over TCP, both ways', () => {
  it('a tcp-client sim becomes the agent of the server option tcp; a controller drives it', async () => {
    const server = await createServer({ port: 0, tcp: [{ port: 0 }], syncGapMs: 20 });
    open.push({ close: () => server.close() });
    const agent = nextEvent<[unknown, AgentInfo]>((cb) => server.on('agent', cb));
    await sim({ transport: 'tcp-client', port: server.tcpAddresses()[0].port, ...FAST });
    await agent;
    const c = await controller(server.url, open);
    c.ws.send('MODEL_DELETE|nobody');
    await c.waitText('MODEL_DELETE|nobody\n');
  });

  it('the server option tcpAgents dials a tcp-server sim and relays its replies', async () => {
    const s = await sim({ transport: 'tcp-server', port: 0, ...FAST });
    const server = await createServer({
      port: 0,
      syncGapMs: 20,
      tcpAgents: [{ port: (s as { tcpAddress?: { port: number } }).tcpAddress!.port }],
    });
    open.push({ close: () => server.close() });
    const c = await controller(server.url, open);
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    c.ws.send('VALUE_SET|x|1');
    await c.waitText('VALUE_EVENT_SET|x\n');
  });
});

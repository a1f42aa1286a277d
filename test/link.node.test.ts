// AgentLink and connect() over REAL sockets on 127.0.0.1: a `ws` WebSocketServer on port 0, and a
// `ws` client that plays MMDAgent-EX (X-App-Type: MMDAgent, one `TYPE|ARGS\n` text frame per
// message, an echo of every line it gets, wire.md §3.1 / §5.1 / §10.1).
import { expect } from 'chai';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage as HttpRequest } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import IsoWebSocket from 'isomorphic-ws';
import { after, describe, it } from './harness.js';
import { rejectsWith } from './support/codes.js';
import { AgentLink, connect as coreConnect, type WebSocketConstructor } from '../src/link.js';
import { connect } from '../src/node/connect.js';
import { MmdError } from '../src/errors.js';
import { FLUSH_GAP_MS, MAX_AGENT_MESSAGE_BYTES, SND_BYTES_PER_SECOND, SND_HEADER_BYTES } from '../src/limits.js';

// Compile-time: the socket classes users hold fit the injected surface without casts.
const wsClass: WebSocketConstructor = WebSocket;
const isoClass: WebSocketConstructor = IsoWebSocket;
const domClass: WebSocketConstructor | undefined = (globalThis as { WebSocket?: typeof globalThis.WebSocket })
  .WebSocket;
void [wsClass, isoClass, domClass];

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

interface Accepted {
  socket: WebSocket;
  request: HttpRequest;
  frames: string[];
}

/** A ws server on a free port; `next()` resolves with the next accepted connection. */
async function startServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  // MMDAgent-EX can send cut, invalid UTF-8 (wire.md §5.1): a strict validator would close with 1007.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, skipUTF8Validation: true, ...options });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const waiting: ((a: Accepted) => void)[] = [];
  const early: Accepted[] = [];
  wss.on('connection', (socket, request) => {
    const accepted = { socket, request, frames: [] as string[] };
    socket.on('message', (data) => accepted.frames.push(data.toString()));
    const w = waiting.shift();
    if (w) w(accepted);
    else early.push(accepted);
  });
  const server = {
    wss,
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/chat`,
    next: () => new Promise<Accepted>((resolve) => (early.length ? resolve(early.shift()!) : waiting.push(resolve))),
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
  cleanups.push(server.close);
  return server;
}

/** A ws client that behaves like MMDAgent-EX on the wire. */
async function fakeAgent(url: string) {
  const socket = new WebSocket(url, { headers: { 'X-App-Type': 'MMDAgent' } });
  const binary: { at: number; bytes: Buffer }[] = [];
  const texts: string[] = [];
  socket.on('message', (data: Buffer, isBinary) => {
    if (isBinary) return binary.push({ at: performance.now(), bytes: data });
    texts.push(data.toString());
    // Echo each line as its own frame, cut like the 2048-byte snprintf buffer (wire.md §5.1).
    for (const line of data.toString().split('\n')) if (line) socket.send(cut(Buffer.from(line + '\n')));
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  cleanups.push(() => socket.terminate());
  return { socket, binary, texts, closed };
}

const cut = (payload: Buffer) =>
  payload.length > MAX_AGENT_MESSAGE_BYTES ? payload.subarray(0, MAX_AGENT_MESSAGE_BYTES) : payload;

/** An AgentLink on the server side of a fake MMDAgent-EX connection. */
async function agentSession() {
  const server = await startServer();
  const accepting = server.next();
  const agent = await fakeAgent(server.url);
  const { socket, request } = await accepting;
  const link = new AgentLink(socket);
  cleanups.push(() => link.close());
  return { server, agent, link, request, serverSocket: socket };
}

describe('AgentLink on a server, facing MMDAgent-EX (real sockets)', () => {
  it('round trip: a sent line comes back as its echo (wire.md §10.1)', async () => {
    const { agent, link, request } = await agentSession();
    expect(request.headers['x-app-type']).to.equal('MMDAgent');
    const echo = link.waitFor((m) => m.type === 'MMDSDK_SYNC', { timeoutMs: 2000 });
    link.send({ type: 'MMDSDK_SYNC', args: ['42'] });
    const m = await echo;
    expect([m.line, m.args, m.truncated]).to.deep.equal(['MMDSDK_SYNC|42', ['42'], false]);
    expect(agent.texts).to.deep.equal(['MMDSDK_SYNC|42\n']);
  });

  it(
    'a 2047-byte cut echo without \\n arrives truncated and is not glued to the ' +
      'next frame (wire.md "Verified" note 1)',
    async () => {
      const { agent, link } = await agentSession();
      const got: { line: string; truncated: boolean }[] = [];
      link.on('message', (m) => got.push({ line: m.line, truncated: m.truncated }));
      const long = 'SYNTH_START|0|mei_voice_normal|' + 'a'.repeat(3000);
      agent.socket.send(cut(Buffer.from(long + '\n'))); // what MMDAgent-EX sends for a long message
      agent.socket.send('NEXT|1\n');
      await link.waitFor((m) => m.type === 'NEXT', { timeoutMs: 2000 });
      expect(got).to.deep.equal([
        { line: long.slice(0, MAX_AGENT_MESSAGE_BYTES), truncated: true },
        { line: 'NEXT|1', truncated: false },
      ]);
    },
  );

  it('a cut inside a UTF-8 character (invalid UTF-8) does not kill the link (wire.md §5.1)', async () => {
    const { agent, link } = await agentSession();
    const got: { type: string; line: string; truncated: boolean }[] = [];
    link.on('message', (m) => got.push({ type: m.type, line: m.line, truncated: m.truncated }));
    const long = Buffer.from('SYNTH_START|0|mei|' + 'あ'.repeat(1000) + '\n'); // 3-byte characters
    const payload = cut(long);
    expect(payload.length).to.equal(MAX_AGENT_MESSAGE_BYTES);
    agent.socket.send(payload, { binary: false }); // ends inside a character
    agent.socket.send(Buffer.from('HELLO\xA0WORLD\n', 'latin1'), { binary: false }); // stray byte (wire.md §7.5)
    agent.socket.send('NEXT|1\n');
    await link.waitFor((m) => m.type === 'NEXT', { timeoutMs: 2000 });
    expect(got).to.have.length(3);
    expect(got[0].type).to.equal('SYNTH_START');
    expect(got[0].truncated).to.equal(true);
    expect(got[0].line.endsWith('\uFFFD')).to.equal(true);
    expect(got[1]).to.deep.equal({ type: 'HELLO\uFFFDWORLD', line: 'HELLO\uFFFDWORLD', truncated: false });
    expect(link.connected).to.equal(true);
  });

  it('sendAudio paces SND chunks in real time with flush gaps (wire.md §8.1, "Verified" note 3)', async () => {
    const { agent, link } = await agentSession();
    const ms = 480;
    const pcm = new Int16Array((ms * SND_BYTES_PER_SECOND) / 2000);
    for (let i = 0; i < pcm.length; i++) pcm[i] = i; // a ramp, so order is checkable
    const started = performance.now();
    await link.sendAudio(pcm, { leadMs: 0 });
    const sendMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 50));
    const chunks = agent.binary;
    expect(chunks).to.have.length(12);
    expect(chunks.every((c) => c.bytes.subarray(0, SND_HEADER_BYTES).toString() === 'SND1280')).to.equal(true);
    const received = Buffer.concat(chunks.map((c) => c.bytes.subarray(SND_HEADER_BYTES)));
    expect(Buffer.compare(received, Buffer.from(pcm.buffer))).to.equal(0);
    // The last chunk leaves once the others have played: ≥ 80 % of their duration.
    expect(sendMs).to.be.at.least(0.8 * (ms - 40));
    expect(chunks.at(-1)!.at - chunks[0].at).to.be.at.least(0.8 * (ms - 40));
    const gaps = chunks
      .slice(1)
      .map((c, i) => c.at - chunks[i].at)
      .sort((a, b) => a - b);
    expect(gaps[gaps.length >> 1]).to.be.at.least(FLUSH_GAP_MS);
  });

  it('close() sends a close frame with no status: the peer sees 1005 (wire.md §6.3)', async () => {
    const { agent, link } = await agentSession();
    const closes: number[] = [];
    link.on('close', (e) => closes.push(e.code));
    link.close();
    expect(await agent.closed).to.equal(1005);
    await new Promise((r) => setTimeout(r, 20));
    expect(closes).to.deep.equal([1005]);
    expect(() => link.send('A')).to.throw(MmdError);
  });

  it('a peer that disappears settles pending waits with ERR_CLOSED', async () => {
    const { agent, link } = await agentSession();
    const wait = link.waitFor('MODEL_EVENT_ADD', { timeoutMs: 5000 });
    agent.socket.terminate(); // MMDAgent-EX never sends a close frame (wire.md §5.3)
    await rejectsWith(wait, 'ERR_CLOSED');
  });
});

describe('connect() from Node (real sockets)', () => {
  it('opens a link with isomorphic-ws by default; closing it shows 1005 on the server', async () => {
    const server = await startServer();
    const accepting = server.next();
    const link = await connect(server.url, { setup: ['__AV_START'] });
    cleanups.push(() => link.close());
    const { socket, frames } = await accepting;
    const event = link.waitFor('MODEL_EVENT_ADD', { timeoutMs: 2000 });
    socket.send('MODEL_EVENT_ADD|mei\n');
    expect((await event).args).to.deep.equal(['mei']);
    link.send('MOTION_ADD|mei|base|wait.vmd');
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 20));
    link.close();
    expect(await closed).to.equal(1005);
    expect(frames).to.deep.equal(['__AV_START\n', 'MOTION_ADD|mei|base|wait.vmd\n']);
  });

  it('frames the server sends with the handshake reach listeners added right after connect() resolves', async () => {
    // Regression: `ws` emits such frames in the same tick as 'open', before connect() resolved,
    // so a relay's greeting (sent on connection) used to be lost in Node (never in browsers).
    const server = await startServer();
    server.wss.on('connection', (socket) => {
      socket.send('GREETING|1\n');
      socket.send('GREETING|2\n');
    });
    for (let round = 0; round < 5; round++) {
      const link = await connect(server.url);
      cleanups.push(() => link.close());
      const seen: string[] = [];
      link.on('message', (m) => seen.push(m.line));
      await link.waitFor((m) => m.line === 'GREETING|2', { timeoutMs: 2000 });
      expect(seen).to.deep.equal(['GREETING|1', 'GREETING|2']);
      link.close();
    }
  });

  it(
    'a server that sends and closes right after the handshake: ERR_CONNECT, or a link ' +
      'that delivers the frames before it closes',
    async () => {
      const server = await startServer();
      server.wss.on('connection', (socket) => {
        socket.send('BYE|1\n');
        socket.send('BYE|2\n');
        socket.close();
      });
      for (let round = 0; round < 10; round++) {
        const seen: string[] = [];
        try {
          const link = await connect(server.url);
          link.on('message', (m) => seen.push(m.line));
          await new Promise<void>((resolve) => link.on('close', () => resolve()));
          expect(seen).to.deep.equal(['BYE|1', 'BYE|2']);
        } catch (err) {
          expect((err as MmdError).code, String(err)).to.equal('ERR_CONNECT');
          expect((err as MmdError).message).to.contain('right after the handshake');
        }
      }
    },
  );

  it('times out (ERR_TIMEOUT) against a server that accepts TCP and never answers the upgrade', async () => {
    const sockets: Socket[] = [];
    const ended: Socket[] = [];
    const tcp: TcpServer = createTcpServer((s) => {
      sockets.push(s);
      s.resume(); // read (and ignore) the upgrade request, so the end of the connection is seen
      s.on('close', () => ended.push(s));
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => tcp.close(resolve)));
    const { port } = tcp.address() as { port: number };
    const started = performance.now();
    const err = await rejectsWith(connect(`ws://127.0.0.1:${port}/chat`, { connectTimeoutMs: 150 }), 'ERR_TIMEOUT');
    expect(performance.now() - started).to.be.at.least(0.8 * 150);
    expect(err.message).to.contain('connectTimeoutMs');
    // The half-open attempt is torn down, not left behind.
    await new Promise((r) => setTimeout(r, 50));
    expect(sockets).to.have.length(1);
    expect(ended).to.deep.equal(sockets);
  });

  it('rejects with ERR_CONNECT when the port is closed', async () => {
    const tcp = createTcpServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const { port } = tcp.address() as { port: number };
    await new Promise((resolve) => tcp.close(resolve));
    await rejectsWith(connect(`ws://127.0.0.1:${port}/chat`), 'ERR_CONNECT');
  });

  it('rejects with ERR_CONNECT when the upgrade is refused (429, wire.md §4.3)', async () => {
    const server = await startServer({ verifyClient: (_info, done) => done(false, 429, 'Too Many Requests') });
    await rejectsWith(connect(server.url), 'ERR_CONNECT');
  });

  it('the core connect() without a WebSocket class says what to do', async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      const err = await rejectsWith(coreConnect('ws://127.0.0.1:1/chat'), 'ERR_CONNECT');
      expect(err.message).to.contain("import connect from 'mmdagent-ex-remote/server'");
    } finally {
      if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
    }
  });

  it('a reconnection that drops right after its frames delivers them before its close event', async () => {
    const server = await startServer();
    let connections = 0;
    server.wss.on('connection', (socket) => {
      const n = ++connections;
      if (n === 1 || n > 6) return;
      socket.send(`BYE|${n}\n`);
      socket.send(`BYE|${n}b\n`);
      socket.terminate();
    });
    const first = server.next();
    const link = await connect(server.url, { reconnect: { minDelayMs: 10, jitter: 0, factor: 1 } });
    cleanups.push(() => link.close());
    const events: string[] = [];
    link.on('message', (m) => events.push(m.line));
    link.on('close', (e) => events.push(`close ${e.reconnecting}`));
    const stable = new Promise<void>((resolve) => link.on('open', () => connections > 6 && resolve()));
    (await first).socket.terminate();
    await stable;
    const expected = ['close true'];
    for (let n = 2; n <= 6; n++) expected.push(`BYE|${n}`, `BYE|${n}b`, 'close true');
    expect(events).to.deep.equal(expected);
    link.close();
  });

  it('reconnects after the server drops it and re-sends setup; nothing else is replayed', async () => {
    const server = await startServer();
    const first = server.next();
    let opened = 0;
    const link = await connect(server.url, {
      setup: ['__AV_START', '__AV_SETMODEL,mei'],
      onOpen: (l) => {
        opened++;
        l.send({ type: 'MMDSDK_SYNC', args: [String(opened)] });
      },
      reconnect: { minDelayMs: 20, jitter: 0 },
    });
    cleanups.push(() => link.close());
    const a = await first;
    link.send('ONLY_ON_FIRST');
    await new Promise((r) => setTimeout(r, 20));
    const wait = link.waitFor('MODEL_EVENT_ADD', { timeoutMs: 5000 });
    const reopened = new Promise<void>((resolve) => link.on('open', resolve));
    const second = server.next();
    a.socket.terminate();
    const b = await second;
    await reopened;
    await new Promise((r) => setTimeout(r, 30));
    expect(a.frames).to.deep.equal(['__AV_START\n', '__AV_SETMODEL,mei\n', 'MMDSDK_SYNC|1\n', 'ONLY_ON_FIRST\n']);
    // Setup and onOpen ran again on the new connection (wire.md §12.9); nothing else was replayed.
    expect(b.request.url).to.equal('/chat');
    expect(b.frames).to.deep.equal(['__AV_START\n', '__AV_SETMODEL,mei\n', 'MMDSDK_SYNC|2\n']);
    expect(opened).to.equal(2);
    b.socket.send('MODEL_EVENT_ADD|mei\n');
    expect((await wait).args).to.deep.equal(['mei']); // the wait survived the drop
    link.close();
  });
});

/** An HTTP server whose first WebSocket upgrade is accepted and later ones are held unanswered. */
async function stallingServer(upgradeDelayMs = 0) {
  const wss = new WebSocketServer({ noServer: true });
  const http = createHttpServer();
  const stalled: Socket[] = [];
  const stalledClosed: Socket[] = [];
  let upgrades = 0;
  http.on('upgrade', (request, socket: Socket, head) => {
    if (upgrades++ === 0) {
      setTimeout(
        () => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)),
        upgradeDelayMs,
      );
      return;
    }
    stalled.push(socket);
    socket.resume(); // read, so that the client's end of the connection is seen
    socket.on('end', () => stalledClosed.push(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const connections: WebSocket[] = [];
  wss.on('connection', (ws) => connections.push(ws));
  cleanups.push(() => {
    for (const s of stalled) s.destroy();
    for (const c of wss.clients) c.terminate();
    return new Promise((resolve) => http.close(resolve));
  });
  return {
    url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/chat`,
    connections,
    stalled,
    stalledClosed,
  };
}

describe('connect() and reconnection: found in review (each test failed before its fix)', () => {
  it('bad setup lines and bad reconnect settings fail before any socket is opened', async () => {
    const server = await startServer();
    let connections = 0;
    server.wss.on('connection', () => connections++);
    await rejectsWith(connect(server.url, { setup: ['BAD\nLINE'] }), 'ERR_FORBIDDEN_CHAR');
    await rejectsWith(connect(server.url, { reconnect: { minDelayMs: NaN } }), 'ERR_BAD_INPUT');
    await new Promise((r) => setTimeout(r, 50));
    expect(connections).to.equal(0);
  });

  it('connectTimeoutMs: Infinity waits for a slow upgrade (it used to fire after 1 ms)', async () => {
    const server = await stallingServer(50);
    const link = await connect(server.url, { connectTimeoutMs: Infinity });
    cleanups.push(() => link.close());
    expect(link.connected).to.equal(true);
    link.close();
  });

  it('close() during a redial tears the half-open connection down at once', async () => {
    const server = await stallingServer();
    // connectTimeoutMs: a regression fails, not hangs
    const link = await connect(server.url, { connectTimeoutMs: 3000, reconnect: { minDelayMs: 10, jitter: 0 } });
    cleanups.push(() => link.close());
    const dropped = new Promise<void>((resolve) => link.on('close', (e) => e.reconnecting && resolve()));
    server.connections[0].terminate();
    await dropped;
    while (!server.stalled.length) await new Promise((r) => setTimeout(r, 10)); // the redial waits for its upgrade
    link.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(server.stalledClosed).to.deep.equal(server.stalled);
  });

  it(
    'a reconnection whose onOpen fails is a failed attempt: its socket is closed, the link dials again, ' +
      "nothing is thrown without an 'error' listener",
    async () => {
      const server = await startServer();
      let calls = 0;
      const link = await connect(server.url, {
        onOpen: async () => {
          if (++calls === 2) throw new MmdError('ERR_TIMEOUT', 'state not restored');
        },
        reconnect: { minDelayMs: 20, jitter: 0 },
      });
      cleanups.push(() => link.close());
      const first = await server.next();
      const second = server.next();
      const third = server.next();
      const reopened = new Promise<void>((resolve) => link.on('open', resolve));
      first.socket.terminate();
      const failed = await second;
      await new Promise((resolve) => failed.socket.on('close', resolve)); // closed by the link
      await third;
      await reopened;
      expect(calls).to.equal(3);
      expect(link.connected).to.equal(true);
      link.close();
    },
  );

  it("a reconnection's onOpen failure reaches 'error' listeners", async () => {
    const server = await startServer();
    let calls = 0;
    const link = await connect(server.url, {
      onOpen: () => {
        if (++calls === 2) throw new MmdError('ERR_TIMEOUT', 'state not restored');
      },
      reconnect: { minDelayMs: 20, jitter: 0 },
    });
    cleanups.push(() => link.close());
    const errors: unknown[] = [];
    link.on('error', (err) => errors.push(err));
    const first = await server.next();
    const reopened = new Promise<void>((resolve) => link.on('open', resolve));
    first.socket.terminate();
    await reopened;
    expect(errors.map((e) => (e as MmdError).message)).to.deep.equal(['state not restored']);
    link.close();
  });

  it("close() during a reconnection's onOpen: no 'open' event after it", async () => {
    const server = await startServer();
    let calls = 0;
    const link = await connect(server.url, {
      onOpen: async (l) => {
        if (++calls === 2) {
          l.close();
          await new Promise((r) => setTimeout(r, 10));
        }
      },
      reconnect: { minDelayMs: 20, jitter: 0 },
    });
    cleanups.push(() => link.close());
    const events: string[] = [];
    link.on('open', () => events.push('open'));
    link.on('close', (e) => events.push(`close ${e.reconnecting}`));
    const first = await server.next();
    first.socket.terminate();
    while (calls < 2) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(events).to.deep.equal(['close true', 'close false']);
    expect(link.closed).to.equal(true);
  });
});

// The server against a wire-level MMDAgent-EX (test/support/fake-agent.ts) and `ws` controllers,
// all on real sockets on 127.0.0.1. Section numbers refer to ../shared/protocol/wire.md.
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as connectTcp, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { isMmdError } from '../src/errors.js';
import { MAX_FRAME_BYTES, MAX_LINE_BYTES, PEER_DISCONNECTED } from '../src/limits.js';
import { SERVER_DEFAULTS, createServer, startSim, type MmdServer, type ServerOptions } from '../src/server.js';
import type { AgentLink } from '../src/link.js';
import { validateLine } from '../src/line.js';
import { relayErrorLine } from '../src/node/server/frames.js';
import { resolveInside } from '../src/node/server/static.js';
import { defaultOrigins, parseTarget } from '../src/node/server/upgrade.js';
import { after, afterEach, describe, it } from './harness.js';
import { FakeAgent, OP_BINARY, OP_CLOSE, OP_TEXT, RawWsClient, upgradeRequest } from './support/fake-agent.js';
import { controller as peerController } from './support/server-peers.js';

const open: { close(): unknown }[] = [];
const servers: MmdServer[] = [];

async function start(opts: ServerOptions = {}): Promise<MmdServer> {
  const server = await createServer({ port: 0, syncTimeoutMs: 300, ...opts });
  servers.push(server);
  return server;
}

async function agentOn(server: MmdServer, path = '/chat', opts = {}): Promise<FakeAgent> {
  const agent = await FakeAgent.connect(server.address().port, path, opts);
  open.push({ close: () => agent.destroy() });
  return agent;
}

/** An agent that has finished the sync step, i.e. the server announced it. */
async function readyAgent(server: MmdServer, path = '/chat', opts = {}): Promise<FakeAgent> {
  const channel = parseTarget(path, true)!.channel;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no agent became ready on ${channel}`)), 5000);
    const off = server.on('agent', (_link, info) => {
      if (info.channel === channel) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
  const agent = await agentOn(server, path, opts);
  await ready;
  return agent;
}

const controller = (url: string, opts: Parameters<typeof peerController>[2] = {}) => peerController(url, open, opts);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

afterEach(async () => {
  for (const o of open.splice(0)) o.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('SERVER_DEFAULTS', () => {
  it('holds every policy number, frozen, with safe values', () => {
    expect(Object.isFrozen(SERVER_DEFAULTS)).to.equal(true);
    expect(SERVER_DEFAULTS).to.include({ host: '127.0.0.1', port: 9001, path: '/chat', peerDisconnected: true });
    // ws must never close a real agent for size (1009): MMDAgent-EX frames are at most 2047 bytes
    // (§5.1), 8 KiB at most; and a fake agent must not make the server hold megabytes (issue 13).
    expect(SERVER_DEFAULTS.agentMaxPayloadBytes).to.be.within(MAX_FRAME_BYTES * 2, 64 * 1024);
    // Controllers get an error line for frames between 8191 bytes and ws's own limit.
    expect(SERVER_DEFAULTS.controllerMaxPayloadBytes).to.be.greaterThan(MAX_FRAME_BYTES);
    expect(SERVER_DEFAULTS.syncTimeoutMs).to.be.within(100, 5000);
    expect(SERVER_DEFAULTS.heartbeatMs).to.be.within(1000, 60_000);
    for (const key of [
      'controllerMaxBufferedBytes',
      'agentMaxBufferedBytes',
      'controllerFramesPerSecond',
      'maxControllersPerChannel',
      'maxChannels',
      'closeTimeoutMs',
    ] as const) {
      expect(SERVER_DEFAULTS[key], key).to.be.a('number').and.greaterThan(0);
    }
  });
});

describe('listening', () => {
  it('port 0 picks a free port; url and address report it', async () => {
    const server = await start({ path: '/shop1' });
    const { port, address } = server.address();
    expect(port).to.be.greaterThan(0);
    expect(address).to.equal('127.0.0.1');
    expect(server.url).to.equal(`ws://127.0.0.1:${port}/shop1`);
    expect(server.httpUrl).to.equal(`http://127.0.0.1:${port}/`);
  });

  it('a taken port rejects with ERR_LISTEN and says what to do', async () => {
    const first = await start();
    const err = await createServer({ port: first.address().port }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMmdError(err, 'ERR_LISTEN'), String(err)).to.equal(true);
    expect((err as Error).message).to.match(/EADDRINUSE.*another port/);
  });

  it('refuses a non-loopback bind without a token (ERR_INSECURE_BIND), before binding anything', async () => {
    const err = await createServer({ host: '0.0.0.0', port: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMmdError(err, 'ERR_INSECURE_BIND'), String(err)).to.equal(true);
    expect((err as Error).message).to.match(/token/);
  });

  it('refuses bad options with ERR_SERVER_OPTION', async () => {
    for (const opts of [
      { path: 'chat' },
      { path: '/a|b' },
      { token: 'short' },
      { agentSecret: 'has-a-dash-in-it' },
      { port: 70000 },
    ]) {
      const err = await createServer({ port: 0, ...opts }).then(
        (s) => s.close(),
        (e: unknown) => e,
      );
      expect(isMmdError(err, 'ERR_SERVER_OPTION'), JSON.stringify(opts)).to.equal(true);
    }
  });

  it("host 'localhost' is reachable on 127.0.0.1 and on ::1", async () => {
    const server = await start({ host: 'localhost' });
    const port = server.address().port;
    const agent = await FakeAgent.connect(port, '/chat', { host: '127.0.0.1' });
    open.push({ close: () => agent.destroy() });
    expect(agent.responseHead).to.match(/^HTTP\/1\.1 101 /);
    const families = server.addresses().map((a) => a.address);
    if (!families.includes('::1')) {
      console.log('# skipped the ::1 half: this machine has no IPv6 loopback');
      return;
    }
    const c = await controller(`ws://[::1]:${port}/chat`);
    await c.waitText(/^RELAY_AGENT_/);
  });
});

describe('relay', () => {
  it('a controller line reaches the agent as a frame of its own, and the echo comes back (§10.1)', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    c.ws.send('SYNTH_START|0|mei_voice_normal|こんにちは');
    await agent.waitLine('SYNTH_START|0|mei_voice_normal|こんにちは');
    const frame = agent.frames.find((f) => f.payload.toString().startsWith('SYNTH_START'))!;
    expect(frame.opcode).to.equal(OP_TEXT);
    expect(frame.payload.toString()).to.equal('SYNTH_START|0|mei_voice_normal|こんにちは\n');
    await c.waitText('SYNTH_START|0|mei_voice_normal|こんにちは\n');
  });

  it('several lines in one controller frame become one frame each; the last needs no \\n', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    c.ws.send('KEY|1\r\nKEY|2\nKEY|3');
    await agent.waitLine('KEY|3');
    const payloads = agent.frames.map((f) => f.payload.toString()).filter((p) => p.startsWith('KEY'));
    expect(payloads).to.deep.equal(['KEY|1\n', 'KEY|2\n', 'KEY|3\n']);
  });

  it('every agent frame goes to every controller of its channel, and only there', async () => {
    const server = await start();
    const agent = await readyAgent(server, '/shop1');
    const other = await readyAgent(server, '/shop2');
    const c1 = await controller(server.url.replace('/chat', '/shop1'));
    const c2 = await controller(server.url.replace('/chat', '/shop1'));
    const c3 = await controller(server.url.replace('/chat', '/shop2'));
    agent.say('RECOG_EVENT_STOP|hello');
    await c1.waitText('RECOG_EVENT_STOP|hello\n');
    await c2.waitText('RECOG_EVENT_STOP|hello\n');
    other.say('ONLY_SHOP2|x');
    await c3.waitText('ONLY_SHOP2|x\n');
    expect(c3.texts).not.to.include('RECOG_EVENT_STOP|hello\n');
    expect(c1.texts).not.to.include('ONLY_SHOP2|x\n');
  });

  it('a cut 2047-byte echo without \\n is forwarded unchanged (Verified note 1)', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_CONNECTED/);
    const cut = `LONG2100|${'x'.repeat(2038)}`;
    agent.sendText(cut);
    expect(await c.waitText(cut)).to.have.length(2047);
  });

  it('invalid UTF-8 from the agent does not close it (no 1007); controllers get U+FFFD (§5.1)', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_CONNECTED/);
    // A Japanese character cut after its first two bytes, as MMDAgent-EX's 2047-byte cut can do.
    agent.sendText(Buffer.concat([Buffer.from('CUT|'), Buffer.from('こ').subarray(0, 2), Buffer.from('\n')]));
    expect(await c.waitText(/^CUT\|/)).to.equal('CUT|\uFFFD\n');
    agent.say('STILL_HERE|1');
    await c.waitText('STILL_HERE|1\n');
    expect(agent.isClosed).to.equal(false);
    expect(agent.frames.filter((f) => f.opcode === OP_CLOSE)).to.have.length(0);
  });

  it('binary SND frames from a controller are checked and forwarded byte for byte (§8.1)', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_CONNECTED/);
    const pcm = Buffer.alloc(960, 7);
    const chunk = Buffer.concat([Buffer.from('SND0960'), pcm, Buffer.from('SND0004'), Buffer.from([1, 2, 3, 4])]);
    c.ws.send(chunk);
    await agent.waitFrame((f) => f.opcode === OP_BINARY);
    expect(agent.audio[0].equals(chunk)).to.equal(true);
    c.ws.send(Buffer.from('SNDBRKS\n'));
    await agent.waitFrame((f) => f.payload.toString('latin1') === 'SNDBRKS\n');
  });

  it(
    'a short line starting with S is padded with LFs so MMDAgent-EX does not hold it back (§8.4, hazards.md ' + '(i))',
    async () => {
      const server = await start();
      const agent = await readyAgent(server);
      const c = await controller(server.url);
      c.ws.send('STOP');
      const frame = await agent.waitFrame((f) => f.payload.toString().startsWith('STOP'));
      // 7 bytes: dispatched at once, the LF run swallowed (§7.2)
      expect(frame.payload.toString()).to.equal('STOP\n\n\n');
      c.ws.send('START|x');
      await agent.waitFrame((f) => f.payload.toString() === 'START|x\n');
    },
  );

  it(
    'setup lines, channel.send() and the agent link pad short S lines the same way (§8.4, hazards.md ' + '(i))',
    async () => {
      const server = await start({ setup: ['STOP', { type: 'SX', args: [] }] });
      const agent = await readyAgent(server);
      const channel = server.channel('/chat');
      channel.send('STOP');
      channel.send({ type: 'S', args: ['1'] });
      channel.agent!.send('SABCD');
      channel.agent!.send({ type: 'SX', args: [] });
      await agent.waitFrame((f) => f.payload.toString().startsWith('SX') && agent.frames.length > 6);
      const payloads = agent.frames.map((f) => f.payload.toString());
      expect(payloads.slice(1)).to.deep.equal([
        'STOP\n\n\n',
        'SX\n\n\n\n\n',
        'STOP\n\n\n',
        'S|1\n\n\n\n',
        'SABCD\n\n',
        'SX\n\n\n\n\n',
      ]);
    },
  );

  it('binary frames stay 6 bytes under 8191, in case a short S line is still pending (§6.5, §8.4)', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_CONNECTED/);
    const chunk = (n: number) => Buffer.concat([Buffer.from(`SND${String(n).padStart(4, '0')}`), Buffer.alloc(n)]);
    c.ws.send(chunk(8180)); // 8187 bytes
    expect(await c.waitText(/^RELAY_ERROR\|/)).to.match(/^RELAY_ERROR\|ERR_FRAME_TOO_LARGE\|/);
    c.ws.send(chunk(8178)); // 8185 bytes
    await agent.waitFrame((f) => f.opcode === OP_BINARY && f.payload.length === 8185);
  });

  it('the audio control words may also come as text lines (§8.2)', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    c.ws.send('SNDFILE');
    await agent.waitFrame((f) => f.payload.toString() === 'SNDFILE\n');
  });
});

describe('relayErrorLine', () => {
  it('cuts a long message at a code-point boundary and replaces lone surrogates, so the line is valid (§7.5)', () => {
    for (let pad = 0; pad < 4; pad++) {
      const line = relayErrorLine('ERR_X', 'a'.repeat(pad) + '\u{1F600}'.repeat(MAX_LINE_BYTES));
      expect(() => validateLine(line.slice(0, -1)), JSON.stringify(line.slice(-8))).not.to.throw();
    }
    expect(relayErrorLine('ERR_X', 'a\uD800b|c\ud83d')).to.equal('RELAY_ERROR|ERR_X|a\uFFFDb c\uFFFD\n');
  });
});

describe('controller mistakes are refused with an error line and never reach the agent', () => {
  const cases: [string, string | Buffer, boolean, string][] = [
    ['a frame over 8191 bytes (§6.5)', `BIG|${'x'.repeat(MAX_FRAME_BYTES)}`, false, 'ERR_FRAME_TOO_LARGE'],
    ['a line over 2046 bytes (§7.7)', `LONG|${'x'.repeat(MAX_LINE_BYTES)}`, false, 'ERR_LINE_TOO_LONG'],
    ['an empty frame (§6.4)', '', false, 'ERR_EMPTY_LINE'],
    ['a frame of only CR/LF (§7.2)', '\r\n\r', false, 'ERR_EMPTY_LINE'],
    ['invalid UTF-8 (§7.5)', Buffer.from([0x48, 0x49, 0xa0, 0x0a]), false, 'ERR_INVALID_UTF8'],
    ['a NUL byte (§7.5)', 'NUL|a\0b', false, 'ERR_FORBIDDEN_CHAR'],
    ['a line starting with SND (§8.4)', 'SNDX|1', false, 'ERR_SND_PREFIX'],
    ['a line with no message type (§7.3)', '||', false, 'ERR_EMPTY_TYPE'],
    ['__AV_MESSAGE, with no message type (§7.3)', '__AV_MESSAGE,|', false, 'ERR_EMPTY_TYPE'],
    [
      'binary that is not SND (§7.5)',
      Buffer.from([0x00, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60]),
      true,
      'ERR_BINARY_FRAME',
    ],
    ['an SND header without 4 digits (§8.1)', Buffer.from('SND96xx'), true, 'ERR_SND_HEADER'],
    ['an odd SND length (§8.1)', Buffer.concat([Buffer.from('SND0003'), Buffer.alloc(3)]), true, 'ERR_SND_CHUNK_SIZE'],
    ['a partial SND chunk', Buffer.concat([Buffer.from('SND0960'), Buffer.alloc(100)]), true, 'ERR_SND_CHUNK_SIZE'],
    ['an empty binary frame (§6.4)', Buffer.alloc(0), true, 'ERR_EMPTY_LINE'],
  ];
  for (const [what, payload, binary, code] of cases) {
    it(what, async () => {
      const server = await start();
      const agent = await readyAgent(server);
      const c = await controller(server.url);
      await c.waitText(/^RELAY_AGENT_CONNECTED/);
      const framesBefore = agent.frames.length;
      c.ws.send(payload, { binary });
      const line = await c.waitText(/^RELAY_ERROR\|/);
      expect(line.startsWith(`RELAY_ERROR|${code}|`), line).to.equal(true);
      expect(line.split('|')).to.have.length(3); // the message is a valid argument: no '|' (§7.4)
      expect(line.indexOf('\n')).to.equal(line.length - 1);
      // The agent got nothing, and still works: the next good line is the next frame it sees.
      c.ws.send('PROBE|1');
      await agent.waitLine('PROBE|1');
      expect(agent.frames.slice(framesBefore).map((f) => f.payload.toString())).to.deep.equal(['PROBE|1\n']);
      expect(agent.isClosed).to.equal(false);
    });
  }

  it('a multi-line frame with one bad line is refused whole', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    c.ws.send('GOOD|1\nSNDX|2\nGOOD|3\n');
    expect(await c.waitText(/^RELAY_ERROR\|/)).to.match(/^RELAY_ERROR\|ERR_SND_PREFIX\|line 2 of the frame/);
    c.ws.send('PROBE|1');
    await agent.waitLine('PROBE|1');
    expect(agent.lines).not.to.include('GOOD|1');
  });

  it('with no agent: ERR_NO_AGENT, and channel.send() throws ERR_NO_AGENT', async () => {
    const server = await start();
    const c = await controller(server.url);
    await c.waitText('RELAY_AGENT_DISCONNECTED|/chat\n');
    c.ws.send('HELLO|1');
    expect(await c.waitText(/^RELAY_ERROR\|/)).to.match(
      /^RELAY_ERROR\|ERR_NO_AGENT\|no MMDAgent-EX is connected on \/chat/,
    );
    expect(() => server.channel('/chat').send('HELLO|1'))
      .to.throw()
      .with.property('code', 'ERR_NO_AGENT');
  });

  it('a flood beyond controllerFramesPerSecond is refused with one ERR_RATE_LIMIT line per second', async () => {
    const server = await start({ controllerFramesPerSecond: 20 });
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_CONNECTED/);
    for (let i = 0; i < 50; i++) c.ws.send(`FLOOD|${i}`);
    await c.waitText(/^RELAY_ERROR\|ERR_RATE_LIMIT\|/);
    await agent.waitLine('FLOOD|19');
    await sleep(100);
    expect(agent.lines.filter((l) => l.startsWith('FLOOD'))).to.have.length(20);
    expect(c.texts.filter((t) => t.startsWith('RELAY_ERROR'))).to.have.length(1);
    expect(server.stats().rateLimitedFrames).to.equal(30);
  });
});

describe('agents', () => {
  it(
    'a second agent on a busy channel gets exactly "429 Too Many Requests"; /chat-1 and /chat-1-2 are accepted ' +
      '(§4.3)',
    async () => {
      const server = await start();
      await readyAgent(server, '/chat');
      const { socket, response } = upgradeRequest(server.address().port, '/chat', { agent: true });
      open.push({ close: () => socket.destroy() });
      const { head } = await response;
      expect(head.startsWith('HTTP/1.1 429 Too Many Requests\r\n'), head).to.equal(true);
      await readyAgent(server, '/chat-1');
      await readyAgent(server, '/chat-1-2');
      expect(
        server
          .channels()
          .filter((c) => c.agent)
          .map((c) => c.path),
      ).to.deep.equal(['/chat', '/chat-1', '/chat-1-2']);
    },
  );

  it('sends the sync line first, then setup once its echo is back, on every connection (§3.4)', async () => {
    const server = await start({
      setup: ['__AV_START', { type: 'KEYVALUE_SET', args: ['mode', 'x'] }, 'SNDFILE'],
      syncTimeoutMs: 5000,
    });
    for (let round = 0; round < 2; round++) {
      const agent = await readyAgent(server);
      await agent.waitLine('SNDFILE');
      const payloads = agent.frames.map((f) => f.payload.toString());
      expect(payloads[0]).to.match(/^MMDSDK_SYNC\|[0-9a-f]{12}\n$/);
      expect(payloads.slice(1)).to.deep.equal(['__AV_START\n', 'KEYVALUE_SET|mode|x\n', 'SNDFILE\n']);
      agent.destroy(); // a reconnect: state is gone, so setup must come again
      await agent.closed;
      await sleep(50);
    }
  });

  it('falls back to sending setup after syncTimeoutMs when the sync echo never comes', async () => {
    const server = await start({ setup: ['__AV_START'], syncTimeoutMs: 200 });
    const t0 = performance.now();
    const agent = await agentOn(server, '/chat', { echo: false });
    await agent.waitLine('__AV_START');
    expect(performance.now() - t0).to.be.greaterThan(150);
    expect(server.channel('/chat').agent).not.to.equal(undefined);
  });

  it('the sync echo is not forwarded to controllers; a stale prefix in front of it still counts (§7.6)', async () => {
    const server = await start({ syncTimeoutMs: 5000 });
    const c = await controller(server.url);
    const agent = await agentOn(server, '/chat', { echo: false });
    const sync = await agent.waitLine(/^MMDSDK_SYNC\|/);
    agent.sendText(`\x03\xe8${sync}\n`);
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    expect(c.texts.some((t) => t.includes('MMDSDK_SYNC'))).to.equal(false);
  });

  it('sends __peer_disconnected__ as a frame of its own when the last controller leaves (§10.4)', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const c1 = await controller(server.url);
    const c2 = await controller(server.url);
    c1.ws.close();
    await c1.closed;
    await sleep(100);
    expect(agent.frames.some((f) => f.payload.toString().includes(PEER_DISCONNECTED))).to.equal(false);
    c2.ws.terminate(); // an abrupt disconnect counts too
    const frame = await agent.waitFrame((f) => f.payload.toString().includes(PEER_DISCONNECTED));
    expect(frame.payload.toString()).to.equal('__peer_disconnected__\n');
    expect(agent.isClosed).to.equal(false);
  });

  it('peerDisconnected: false keeps __peer_disconnected__ back', async () => {
    const server = await start({ peerDisconnected: false });
    const agent = await readyAgent(server);
    const c = await controller(server.url);
    c.ws.close();
    await c.closed;
    agent.say('AFTER|1'); // the echo round trip shows the server had time to react
    await sleep(150);
    expect(agent.frames.some((f) => f.payload.toString().includes(PEER_DISCONNECTED))).to.equal(false);
  });

  it('an agent with an Origin header is refused with 403, never 429 (§3.1)', async () => {
    const server = await start();
    const { socket, response } = upgradeRequest(server.address().port, '/chat', {
      agent: true,
      headers: { Origin: 'http://evil.example' },
    });
    open.push({ close: () => socket.destroy() });
    expect((await response).head).to.match(/^HTTP\/1\.1 403 Forbidden\r\n[^]*\r\n\r\nERR_ORIGIN: /);
  });

  it('agentSecret: required in the query; a 429-renamed path with the secret still works (§2, §4.3)', async () => {
    const secret = 's3cretSECRET_s3cret';
    const server = await start({ agentSecret: secret });
    const port = server.address().port;
    const missing = upgradeRequest(port, '/chat', { agent: true });
    open.push({ close: () => missing.socket.destroy() });
    const { head } = await missing.response;
    expect(head).to.match(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(head).to.contain('secret');
    await readyAgent(server, `/chat?secret=${secret}`);
    // What MMDAgent-EX requests after a 429: the suffix lands after the query string.
    const renamed = await agentOn(server, `/chat?secret=${secret}-1`);
    expect(renamed.responseHead).to.match(/^HTTP\/1\.1 101 /);
    await sleep(50);
    expect(server.channels().map((c) => c.path)).to.include('/chat-1');
  });

  it('parseTarget moves the rename suffix back from the query to the path', () => {
    expect(parseTarget('/chat?secret=abc-1-2', true)).to.deep.include({ channel: '/chat-1-2' });
    expect(parseTarget('/chat?secret=abc-1-2', true)!.query.get('secret')).to.equal('abc');
    expect(parseTarget('/chat-3', true)).to.deep.include({ channel: '/chat-3' });
    expect(parseTarget('/chat?token=abc-1', false)!.query.get('token')).to.equal('abc-1');
    expect(parseTarget('/a|b', false)).to.equal(undefined);
    expect(parseTarget('chat', false)).to.equal(undefined);
  });

  it('pings agents but never drops one that does not answer (§5.3, §6.2)', async () => {
    const server = await start({ heartbeatMs: 100 });
    const agent = await readyAgent(server, '/chat', { pong: false });
    await sleep(450);
    expect(agent.frames.filter((f) => f.opcode === 0x9).length).to.be.greaterThan(1);
    expect(agent.isClosed).to.equal(false);
  });

  it('terminates a controller that misses a pong', async () => {
    const server = await start({ heartbeatMs: 100 });
    const c = await controller(server.url, { autoPong: false });
    const { code } = await c.closed;
    expect(code).to.equal(1006);
    expect(server.stats().deadControllerTerminations).to.equal(1);
  });
});

describe('security', () => {
  it('with a token, controllers need ?token= or the mmdagent-token.<T> subprotocol (401 otherwise)', async () => {
    const token = 'tok_abcdefgh12345678';
    const server = await start({ token });
    const missing = await controller(server.url).then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(missing).to.equal(401);
    const wrong = await controller(`${server.url}?token=nope_nope_nope`).then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(wrong).to.equal(401);
    const byQuery = await controller(`${server.url}?token=${token}`);
    await byQuery.waitText(/^RELAY_AGENT_/);
    const byProtocol = await controller(server.url, { protocols: [`mmdagent-token.${token}`] });
    expect(byProtocol.ws.protocol).to.equal(`mmdagent-token.${token}`);
    // Agents do not use the token (MMDAgent-EX cannot send one safely); they use agentSecret.
    await readyAgent(server);
  });

  it('the 401 body says what to do', async () => {
    const server = await start({ token: 'tok_abcdefgh12345678' });
    const { socket, response } = upgradeRequest(server.address().port, '/chat');
    open.push({ close: () => socket.destroy() });
    const { head } = await response;
    expect(head).to.match(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(head).to.match(/\r\n\r\nERR_UNAUTHORIZED: controller token missing or wrong: .*\?token=/);
  });

  it('browser controllers must come from an allowed origin (403 otherwise); no Origin = not a browser', async () => {
    const server = await start();
    const port = server.address().port;
    const evil = await controller(server.url, { headers: { Origin: 'http://evil.example' } }).then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(evil).to.equal(403);
    await controller(server.url, { headers: { Origin: `http://127.0.0.1:${port}` } });
    await controller(server.url, { headers: { Origin: `http://localhost:${port}` } });
    await controller(server.url);
    const any = await start({ allowedOrigins: '*' });
    await controller(any.url, { headers: { Origin: 'http://elsewhere.example' } });
    const listed = await start({ allowedOrigins: ['http://app.example:8080'] });
    await controller(listed.url, { headers: { Origin: 'http://app.example:8080' } });
  });

  it('default origins: the server under each of its names; a wildcard bind adds every local address', () => {
    expect(defaultOrigins('127.0.0.1', 9001)).to.deep.equal([
      'http://127.0.0.1:9001',
      'http://localhost:9001',
      'http://[::1]:9001',
    ]);
    expect(defaultOrigins('192.168.1.5', 80)).to.deep.equal(['http://192.168.1.5']); // browsers omit the default port
    const wildcard = defaultOrigins('0.0.0.0', 9001);
    expect(wildcard).to.include('http://127.0.0.1:9001').and.include('http://localhost:9001');
    expect(wildcard).not.to.include('http://0.0.0.0:9001');
  });

  it('channels: a list limits the paths to those and their -N renames (404 otherwise)', async () => {
    const server = await start({ channels: ['/chat'] });
    await readyAgent(server, '/chat-2');
    const status = await controller(server.url.replace('/chat', '/other')).then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(status).to.equal(404);
  });
});

describe('back-pressure', () => {
  it('a controller that stops reading is closed as a slow consumer; the agent and others stay', async () => {
    const server = await start({ controllerMaxBufferedBytes: 64 * 1024, closeTimeoutMs: 200 });
    const agent = await readyAgent(server);
    const slow = await RawWsClient.open(server.address().port, '/chat');
    open.push({ close: () => slow.destroy() });
    const fast = await controller(server.url);
    await fast.waitText(/^RELAY_AGENT_CONNECTED/);
    slow.socket.pause();
    const line = `FLOOD|${'x'.repeat(2000)}`;
    for (let i = 0; i < 20_000 && server.stats().slowConsumerDisconnects === 0; i++) {
      agent.say(line);
      if (i % 200 === 199) await sleep(5);
    }
    expect(server.stats().slowConsumerDisconnects).to.equal(1);
    for (let i = 0; i < 100 && server.channel('/chat').controllers > 1; i++) await sleep(20);
    expect(server.channel('/chat').controllers).to.equal(1);
    slow.socket.resume();
    await slow.closed;
    agent.say('AFTER|1');
    await fast.waitText('AFTER|1\n', 10_000);
    expect(agent.isClosed).to.equal(false);
  });

  it('lines toward an agent that does not read are refused with ERR_BACKPRESSURE; the agent stays', async () => {
    const server = await start({ agentMaxBufferedBytes: 32 * 1024, controllerFramesPerSecond: 100_000 });
    const agent = await readyAgent(server, '/chat', { echo: false });
    agent.socket.pause();
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_CONNECTED/);
    const line = `FILL|${'x'.repeat(2000)}`;
    for (let i = 0; i < 20_000 && !c.texts.some((t) => t.startsWith('RELAY_ERROR')); i++) {
      c.ws.send(line);
      if (i % 50 === 49) await sleep(5);
    }
    expect(await c.waitText(/^RELAY_ERROR\|/, 10_000)).to.match(/^RELAY_ERROR\|ERR_BACKPRESSURE\|/);
    // channel.send() follows the same bound (the agent is still not reading, so the buffer only grows).
    let thrown: unknown;
    for (let i = 0; i < 100 && !thrown; i++) {
      try {
        server.channel('/chat').send(`FILL|${'y'.repeat(2000)}`);
      } catch (err) {
        thrown = err;
      }
    }
    expect(isMmdError(thrown, 'ERR_BACKPRESSURE'), String(thrown)).to.equal(true);
    agent.socket.resume();
    expect(agent.isClosed).to.equal(false);
  });
});

describe("the agent link handed to server.on('agent')", () => {
  async function session(opts: ServerOptions = {}) {
    const server = await start(opts);
    const linked = new Promise<AgentLink>((resolve) => server.on('agent', (l) => resolve(l)));
    const agent = await readyAgent(server);
    const link = await linked;
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_CONNECTED/);
    /** The agent says `line`; resolves once a controller got it, i.e. the server has handled it. */
    const say = async (line: string) => {
      agent.say(line);
      await c.waitText(`${line}\n`);
    };
    return { server, agent, link, c, say };
  }

  it(
    'delivers agent lines to waitFor, an iterator and listeners, also one added after some frames (idle fast ' +
      'path)',
    async () => {
      const { link, say } = await session();
      await say('UNHEARD|1'); // nobody listens: skipped unread
      const waited = link.waitFor('MODEL_EVENT_ADD');
      await say('MODEL_EVENT_ADD|mei');
      expect((await waited).line).to.equal('MODEL_EVENT_ADD|mei');
      const it = link[Symbol.asyncIterator]();
      await say('ONLY_ITER|1');
      await say('ONLY_ITER|2');
      expect((await it.next()).value.line).to.equal('ONLY_ITER|1');
      expect((await it.next()).value.line).to.equal('ONLY_ITER|2');
      await it.return!();
      await say('UNHEARD|2');
      const seen: string[] = [];
      link.on('message', (m) => seen.push(m.line));
      await say('HEARD|1');
      const late: string[] = [];
      link.on('MOTION_EVENT_ADD', (m) => late.push(m.line));
      await say('MOTION_EVENT_ADD|mei|base');
      expect(seen).to.deep.equal(['HEARD|1', 'MOTION_EVENT_ADD|mei|base']);
      expect(late).to.deep.equal(['MOTION_EVENT_ADD|mei|base']);
    },
  );

  it('a listener that throws is reported as a server error; the process, agent and relay go on', async () => {
    const { server, agent, link, c, say } = await session();
    const errors: unknown[] = [];
    server.on('error', (err) => errors.push(err));
    link.on('message', () => {
      throw new Error('a bug in user code');
    });
    await say('BOOM|1');
    await sleep(20);
    await say('BOOM|2');
    await sleep(20);
    expect(errors.map(String)).to.deep.equal(['Error: a bug in user code', 'Error: a bug in user code']);
    expect(agent.isClosed).to.equal(false);
    expect(c.ws.readyState).to.equal(WebSocket.OPEN);
  });

  it("its sends follow the channel's agentMaxBufferedBytes and are counted, as channel.send is", async () => {
    const { server, link } = await session({ agentMaxBufferedBytes: 32 });
    const before = server.stats().framesToAgents;
    link.send('SHORT|1');
    server.channel('/chat').send('SHORT|2');
    expect(server.stats().framesToAgents).to.equal(before + 2);
    const long = `LONG|${'x'.repeat(40)}`; // over the bound by itself: refused, not queued
    expect(
      isMmdError(
        catchError(() => link.send(long)),
        'ERR_BACKPRESSURE',
      ),
    ).to.equal(true);
    expect(
      isMmdError(
        catchError(() => server.channel('/chat').send(long)),
        'ERR_BACKPRESSURE',
      ),
    ).to.equal(true);
    expect(server.stats().framesToAgents).to.equal(before + 2);
  });

  it('a sync echo that comes after syncTimeoutMs is still kept from controllers and the link (§3.4)', async () => {
    const server = await start({ syncTimeoutMs: 100 });
    const c = await controller(server.url);
    const linked = new Promise<AgentLink>((resolve) => server.on('agent', (l) => resolve(l)));
    const agent = await agentOn(server, '/chat', { echo: false });
    const sync = await agent.waitLine(/^MMDSDK_SYNC\|/);
    const link = await linked;
    const seen: string[] = [];
    link.on('message', (m) => seen.push(m.line));
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    agent.say('BEFORE|1');
    agent.say(sync);
    agent.say('AFTER|1');
    await c.waitText('AFTER|1\n');
    expect(c.texts.filter((t) => t.includes('MMDSDK_SYNC'))).to.deep.equal([]);
    expect(seen).to.deep.equal(['BEFORE|1', 'AFTER|1']);
  });
});

describe('close()', () => {
  it('agents get an EMPTY close frame (§6.3), controllers 1001; waits reject ERR_CLOSED; idempotent', async () => {
    const server = await createServer({ port: 0, syncTimeoutMs: 300 });
    const ready = new Promise<import('../src/link.js').AgentLink>((resolve) =>
      server.on('agent', (link) => resolve(link)),
    );
    const agent = await FakeAgent.connect(server.address().port, '/chat');
    open.push({ close: () => agent.destroy() });
    const link = await ready;
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_CONNECTED/);
    const pending = link
      .waitFor((m) => m.type === 'NEVER_COMES', { timeoutMs: 10_000 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const closing = server.close();
    expect(server.close()).to.equal(closing);
    await closing;
    const close = agent.frames.find((f) => f.opcode === OP_CLOSE)!;
    expect(close.raw.equals(Buffer.from([0x88, 0x00]))).to.equal(true);
    expect(isMmdError(await pending, 'ERR_CLOSED')).to.equal(true);
    expect((await c.closed).code).to.equal(1001);
    expect(agent.isClosed).to.equal(true);
    await server.close();
  });

  it('resolves within the bounded wait even when a peer never finishes the close handshake', async () => {
    const server = await createServer({ port: 0, closeTimeoutMs: 300 });
    const deaf = await RawWsClient.open(server.address().port, '/chat');
    open.push({ close: () => deaf.destroy() });
    deaf.socket.pause();
    const t0 = performance.now();
    await server.close();
    expect(performance.now() - t0).to.be.below(3000);
  });

  it('refuses new connections while closing and frees the port', async () => {
    const server = await createServer({ port: 0 });
    const port = server.address().port;
    await server.close();
    const again = await createServer({ port });
    await again.close();
  });
});

describe('HTTP', () => {
  function get(
    server: MmdServer,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.address().port, path, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('GET /channels lists channels with agent state and controller count', async () => {
    const server = await start();
    await readyAgent(server, '/shop1');
    await controller(server.url.replace('/chat', '/shop1'));
    await controller(server.url.replace('/chat', '/shop2'));
    const res = await get(server, '/channels');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    const { channels } = JSON.parse(res.body) as {
      channels: { path: string; agent: boolean; agentSince: string | null; controllers: number }[];
    };
    const byPath = Object.fromEntries(channels.map((c) => [c.path, c]));
    expect(byPath['/shop1']).to.include({ agent: true, controllers: 1 });
    expect(Date.parse(byPath['/shop1'].agentSince!)).to.be.closeTo(Date.now(), 10_000);
    expect(byPath['/shop2']).to.include({ agent: false, agentSince: null, controllers: 1 });
    expect(byPath['/chat']).to.include({ agent: false, controllers: 0 });
    expect(server.channels()).to.deep.equal(channels);
  });

  it(
    'GET /channels is readable cross-origin only by origins allowed as controllers (a page from disk: ' + 'null)',
    async () => {
      const server = await start({ allowedOrigins: ['null'] });
      const fromDisk = await get(server, '/channels', { Origin: 'null' });
      expect(fromDisk.status).to.equal(200);
      expect(fromDisk.headers['access-control-allow-origin']).to.equal('null');
      const other = await get(server, '/channels', { Origin: 'https://evil.example' });
      expect(other.headers['access-control-allow-origin']).to.equal(undefined);
      const sameOriginDefault = await start();
      const own = `http://127.0.0.1:${sameOriginDefault.address().port}`;
      expect(
        (await get(sameOriginDefault, '/channels', { Origin: own })).headers['access-control-allow-origin'],
      ).to.equal(own);
      expect(
        (await get(sameOriginDefault, '/channels', { Origin: 'null' })).headers['access-control-allow-origin'],
      ).to.equal(undefined);
    },
  );

  it('GET /channels needs the token when one is set', async () => {
    const token = 'tok_abcdefgh12345678';
    const server = await start({ token });
    expect((await get(server, '/channels')).status).to.equal(401);
    expect((await get(server, `/channels?token=${token}`)).status).to.equal(200);
    expect((await get(server, '/channels', { Authorization: `Bearer ${token}` })).status).to.equal(200);
  });

  it('playground: / redirects to /playground/, files have content types, unknown paths 404', async () => {
    const server = await start({ playground: true });
    const root = await get(server, '/');
    expect(root.status).to.equal(302);
    expect(root.headers.location).to.equal('/playground/');
    const index = await get(server, '/playground/');
    expect(index.status).to.equal(200);
    expect(index.headers['content-type']).to.equal('text/html; charset=utf-8');
    expect((await get(server, '/playground/no-such-file.js')).status).to.equal(404);
    expect((await get(server, '/playground/../package.json')).status).to.equal(404);
    expect((await get(server, '/playground/%2e%2e/package.json')).status).to.equal(404);
    expect((await get(server, '/dist/%2e%2e%2fpackage.json')).status).to.equal(404);
    expect((await get(server, '/elsewhere')).status).to.equal(404);
  });

  it('without playground, / is a 404 that explains what the server is', async () => {
    const server = await start();
    const res = await get(server, '/');
    expect(res.status).to.equal(404);
    expect(res.body).to.match(/mmdagent-ex-remote/);
  });

  it('resolveInside keeps every path inside its folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmd-static-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'a.js'), '');
      expect(resolveInside(dir, '/sub/a.js')).to.equal(join(dir, 'sub', 'a.js'));
      for (const bad of ['/../x', '/%2e%2e/x', '/sub/../../x', '/..%2fx', '/a%00b', '/..\\x', '/%E0%A4%A', '/C:/x']) {
        expect(resolveInside(dir, bad), bad).to.equal(undefined);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('events', () => {
  it('on() returns an unsubscribe function; channel events fire too; a throwing listener breaks nothing', async () => {
    const server = await start();
    const seen: string[] = [];
    const errors: unknown[] = [];
    server.on('error', (e) => errors.push(e));
    server.on('controller', () => {
      throw new Error('listener bug');
    });
    const off = server.on('controller', (info) => seen.push(`controller ${info.channel}`));
    // @ts-expect-error a misspelled event name does not compile
    server.on('agnet', () => undefined);
    // @ts-expect-error nor does a listener with the wrong arguments
    server.on('agentLeft', (link: number) => link);
    server.channel('/chat').on('agent', (_link, info) => seen.push(`agent ${info.channel}`));
    server.on('agentLeft', (info) => seen.push(`agentLeft ${info.channel}`));
    server.on('controllerLeft', (info) => seen.push(`controllerLeft ${info.code}`));
    const c = await controller(server.url);
    await c.waitText(/^RELAY_AGENT_/);
    off();
    await controller(server.url);
    const agent = await readyAgent(server);
    agent.destroy();
    await sleep(100);
    c.ws.close(1000);
    await c.closed;
    await sleep(50);
    expect(seen).to.deep.equal(['controller /chat', 'agent /chat', 'agentLeft /chat', 'controllerLeft 1000']);
    expect(errors).to.have.length(2);
  });

  it('refused upgrades are reported (for logs) and counted', async () => {
    const server = await start();
    const refused: number[] = [];
    server.on('refused', (info) => refused.push(info.status));
    await readyAgent(server);
    const { socket, response } = upgradeRequest(server.address().port, '/chat', { agent: true });
    open.push({ close: () => socket.destroy() });
    await response;
    expect(refused).to.deep.equal([429]);
    expect(server.stats().refusedUpgrades).to.equal(1);
  });
});

describe('robustness', () => {
  it('garbage and abrupt disconnects on the HTTP port never crash the server', async () => {
    const server = await start();
    const agent = await readyAgent(server);
    const port = server.address().port;
    const { connect } = await import('node:net');
    for (const junk of [
      'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n',
      '\x16\x03\x01\x02\x00',
    ]) {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => {});
      s.write(junk);
      setTimeout(() => s.destroy(), 20);
    }
    // an upgrade abandoned half way
    const half = upgradeRequest(port, '/chat');
    half.response.catch(() => undefined);
    half.socket.destroy();
    await sleep(100);
    const c = await controller(server.url);
    c.ws.send('STILL|ok');
    await agent.waitLine('STILL|ok');
  });

  it('a port held by another program also gives ERR_LISTEN', async () => {
    const blocker = createNetServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const port = (blocker.address() as { port: number }).port;
      const err = await createServer({ port }).then(
        (s) => s.close(),
        (e: unknown) => e,
      );
      expect(isMmdError(err, 'ERR_LISTEN')).to.equal(true);
    } finally {
      blocker.close();
    }
  });
});

describe('with the simulated MMDAgent-EX (Linux mode: it dies at any lost connection)', () => {
  it('a relay session full of controller mistakes leaves it alive and without a single violation', async () => {
    const server = await start({ setup: ['__AV_START'], syncTimeoutMs: 3000 });
    const ready = new Promise<void>((resolve) => server.on('agent', () => resolve()));
    const sim = await startSim({ url: server.url, platform: 'linux', timeScale: 0.1 });
    open.push({ close: () => void sim.stop() });
    const c = await controller(server.url);
    await ready;
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    const bad: (string | Buffer)[] = [
      'SNDX|1',
      '\r\n',
      Buffer.from([0x41, 0xa0, 0x0a]),
      '\nLEADING|1',
      `BIG|${'x'.repeat(3000)}`,
    ];
    for (const frame of bad) c.ws.send(frame, { binary: false });
    c.ws.send(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), { binary: true });
    c.ws.send('STOP'); // short S line: padded, so nothing stays pending
    // the largest binary frame allowed
    c.ws.send(Buffer.concat([Buffer.from('SND8178'), Buffer.alloc(8178)]), { binary: true });
    c.ws.send('SYNTH_START|0|mei_voice_normal|hello');
    await c.waitText('SYNTH_START|0|mei_voice_normal|hello\n', 5000);
    await c.waitText('STOP\n', 5000);
    expect(c.texts.filter((t) => t.startsWith('RELAY_ERROR|'))).to.have.length(5);
    c.ws.close();
    await c.closed;
    // setup turned avatar control on, so the server keeps __peer_disconnected__ back (issue 12 item 2).
    server.channel('/chat').send('END_PROBE|1');
    await sim.waitFor((m) => m.type === 'END_PROBE', { timeoutMs: 5000 });
    expect(sim.received.some((m) => m.type === PEER_DISCONNECTED)).to.equal(false);
    expect(sim.violations).to.deep.equal([]);
    expect(sim.status).to.equal('connected');
  });

  it('a second simulated agent is refused with 429 and lands on /chat-1 (§4.3)', async () => {
    const server = await start();
    const first = await startSim({ url: server.url, platform: 'linux', timeScale: 0.1 });
    open.push({ close: () => void first.stop() });
    const second = await startSim({ url: server.url, platform: 'linux', retryCount: 2, timeScale: 0.1 });
    open.push({ close: () => void second.stop() });
    for (let i = 0; i < 100 && server.channels().filter((ch) => ch.agent).length < 2; i++) await sleep(20);
    expect(
      server
        .channels()
        .filter((ch) => ch.agent)
        .map((ch) => ch.path),
    ).to.deep.equal(['/chat', '/chat-1']);
    expect(first.violations.concat(second.violations)).to.deep.equal([]);
  });

  it('server.close() ends a Linux MMDAgent-EX, as documented', async () => {
    const server = await createServer({ port: 0, syncTimeoutMs: 300 });
    const sim = await startSim({ url: server.url, platform: 'linux', timeScale: 0.1 });
    open.push({ close: () => void sim.stop() });
    await server.close();
    const outcome = await sim.done;
    expect(outcome.status).to.equal('killed');
  });
});

after(async () => {
  for (const o of open.splice(0)) o.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('server: found in review (each test failed before its fix)', () => {
  it(
    'an MMDAgent-EX that drops TCP and redials at once gets its channel again, not a 429 and a rename to -1 ' +
      '(wire.md §4.3)',
    async () => {
      const server = await start();
      const refused: number[] = [];
      server.on('refused', (info) => refused.push(info.status));
      const left: string[] = [];
      server.on('agentLeft', (info) => left.push(info.channel));
      for (let i = 0; i < 5; i++) {
        const first = await agentOn(server);
        await first.waitLine(/^MMDSDK_SYNC\|/);
        first.destroy(); // no close frame (wire.md §5.3), and the redial comes in the same loop turn
        const again = await agentOn(server);
        await again.waitLine(/^MMDSDK_SYNC\|/);
        again.destroy();
        await new Promise((r) => setTimeout(r, 30));
      }
      expect(refused).to.deep.equal([]);
      expect(left.length).to.be.at.most(10); // each connection left at most once: no double agentLeft
      expect(server.stats().agents).to.equal(0);
    },
  );

  it('handshakes that ws refuses (a bad Sec-WebSocket-Key) leave no channel behind to fill maxChannels', async () => {
    const server = await start({ maxChannels: 3 });
    const port = server.address().port;
    for (let i = 0; i < 4; i++) {
      const { response } = upgradeRequest(port, `/junk${i}`, {
        agent: true,
        headers: { 'Sec-WebSocket-Key': 'not-a-key' },
      });
      expect((await response).head).to.match(/^HTTP\/1.1 400 /);
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(server.channels().map((c) => c.path)).to.deep.equal(['/chat']);
    await readyAgent(server, '/shop');
  });

  it('server.close() finishes while a refused peer keeps its end of the connection open', async () => {
    const server = await start({ closeTimeoutMs: 300 });
    const port = server.address().port;
    await readyAgent(server);
    // A peer that reads its 429 and never closes its end (half-open allowed).
    const socket = connectTcp({ host: '127.0.0.1', port, allowHalfOpen: true });
    open.push({ close: () => socket.destroy() });
    socket.on('error', () => {});
    socket.write(
      `GET /chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: ` +
        `Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-App-Type: ` +
        `MMDAgent\r\n\r\n`,
    );
    await new Promise<void>((resolve) =>
      socket.on('data', (d: Buffer) => d.toString('latin1').startsWith('HTTP/1.1 429 ') && resolve()),
    );
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).to.be.below(2000);
  });

  it("an 'error' listener that throws is logged, not recursed into until the process dies", async () => {
    const server = await start();
    const thrown: unknown[] = [];
    server.on('agent', () => {
      throw new Error('app bug');
    });
    server.on('error', (err) => {
      thrown.push(err);
      throw new Error('logger down');
    });
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      await readyAgent(server);
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      console.error = original;
    }
    expect(thrown.map((e) => (e as Error).message)).to.deep.equal(['app bug']);
    expect(logged.some((args) => String(args[1]).includes('logger down'))).to.equal(true);
  });

  it(
    'a string where a list is expected (allowedOrigins, channels) is ERR_SERVER_OPTION, and no port stays ' + 'bound',
    async () => {
      for (const bad of [{ allowedOrigins: 'null' }, { channels: '/chat' }, { allowedOrigins: [7] }]) {
        const err = await createServer({ port: 0, ...(bad as unknown as ServerOptions) }).then(
          (s) => (servers.push(s), undefined),
          (e: unknown) => e,
        );
        expect(isMmdError(err, 'ERR_SERVER_OPTION'), String(err)).to.equal(true);
        expect((err as Error).message).to.contain('array of strings');
      }
    },
  );
});

describe('server: policy numbers', () => {
  it('NaN, zero or negative policy numbers are ERR_SERVER_OPTION (a NaN heartbeat fired every 1 ms)', async () => {
    for (const bad of [
      { heartbeatMs: NaN },
      { syncTimeoutMs: -1 },
      { maxChannels: 0 },
      { controllerFramesPerSecond: '5' },
    ]) {
      const err = await createServer({ port: 0, ...(bad as unknown as ServerOptions) }).then(
        (s) => (servers.push(s), undefined),
        (e: unknown) => e,
      );
      expect(isMmdError(err, 'ERR_SERVER_OPTION'), `${JSON.stringify(bad)}: ${err}`).to.equal(true);
      expect((err as Error).message).to.contain(Object.keys(bad)[0]);
    }
  });
});

describe('server: refusals in logs', () => {
  it("a refused request's path is reported without its query, which may carry a token or secret", async () => {
    const server = await start({ token: 'controller_token_1' });
    const paths: string[] = [];
    server.on('refused', (info) => paths.push(info.path));
    const port = server.address().port;
    for (const path of ['/bad|path?token=controller_token_1', '/chat?token=wrong_token_1234']) {
      const { response } = upgradeRequest(port, path);
      await response;
    }
    expect(paths.join(' ')).not.to.contain('token=');
    expect(paths).to.have.length(2);
  });
});

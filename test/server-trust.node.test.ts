// The trust boundary (issue 13) on real sockets on 127.0.0.1: what a controller may make the
// relay do to the agent, and who may be the agent. Each test failed on the code before its fix.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { isMmdError } from '../src/errors.js';
import { connect as connectTcp, type Socket } from 'node:net';
import { createServer, startSim, type MmdServer, type RefusedInfo, type ServerOptions } from '../src/server.js';
import { afterEach, describe, it, skipIf } from './harness.js';
import { FakeAgent } from './support/fake-agent.js';
import { controller, nextEvent, sleep, tcpRelay } from './support/server-peers.js';

const open: { close(): unknown }[] = [];
const hasSs = (() => {
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function start(opts: ServerOptions = {}): Promise<MmdServer> {
  const server = await createServer({ port: 0, ...opts });
  open.push({ close: () => server.close() });
  return server;
}

async function withAgent(opts: ServerOptions = {}): Promise<{ server: MmdServer; agent: FakeAgent }> {
  const server = await start(opts);
  const ready = nextEvent((cb) => server.on('agent', cb));
  const agent = await FakeAgent.connect(server.address().port, '/chat');
  open.push({ close: () => agent.destroy() });
  await ready;
  return { server, agent };
}

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe('what a controller may send', () => {
  it(
    'PLUGIN_DISABLE|Remote, plain or wrapped, and KEYVALUE_SET of Plugin_Remote_* never reach a Linux ' + 'agent',
    async () => {
      const server = await start({ syncTimeoutMs: 3000 });
      const ready = nextEvent((cb) => server.on('agent', cb));
      const sim = await startSim({ url: server.url, platform: 'linux', timeScale: 0.1 });
      open.push({ close: () => sim.stop() });
      await ready;
      const c = await controller(server.url, open);
      await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
      for (const line of [
        'PLUGIN_DISABLE|Remote',
        '__AV_MESSAGE,PLUGIN_DISABLE|Remote',
        'KEYVALUE_SET|Plugin_Remote_Websocket_Host|evil.example',
      ]) {
        c.ws.send(line);
        expect(await c.waitText(/^RELAY_ERROR\|/)).to.match(/^RELAY_ERROR\|ERR_LINE_NOT_ALLOWED\|/);
        c.texts.length = 0;
      }
      c.ws.send('PROBE|1');
      await sim.waitFor((m) => m.type === 'PROBE', { timeoutMs: 5000 });
      expect(sim.received.map((m) => m.type)).to.not.include.members(['PLUGIN_DISABLE', 'KEYVALUE_SET']);
      expect(sim.status).to.equal('connected');
    },
  );

  it("a forged relay line (RELAY_AGENT_DISCONNECTED) is refused; no other controller sees 'agent left'", async () => {
    const { server, agent } = await withAgent();
    const forger = await controller(server.url, open);
    const victim = await controller(server.url, open);
    await victim.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    forger.ws.send('RELAY_AGENT_DISCONNECTED|/chat');
    expect(await forger.waitText(/^RELAY_ERROR\|/)).to.match(/^RELAY_ERROR\|ERR_LINE_NOT_ALLOWED\|/);
    forger.ws.send('AFTER|1');
    await victim.waitText('AFTER|1\n');
    expect(victim.texts).to.not.include('RELAY_AGENT_DISCONNECTED|/chat\n');
    expect(agent.lines).to.not.include('RELAY_AGENT_DISCONNECTED|/chat');
  });

  it('lines.allowUnsafe lets the app allow a kind; a per-channel function narrows by type', async () => {
    const { server, agent } = await withAgent({
      lines: (channel) => (channel === '/chat' ? { allowUnsafe: ['remote-settings'], deny: ['MODEL_DELETE'] } : {}),
    });
    const c = await controller(server.url, open);
    c.ws.send('KEYVALUE_SET|Plugin_Remote_Websocket_Directory|/chat');
    await agent.waitLine('KEYVALUE_SET|Plugin_Remote_Websocket_Directory|/chat');
    c.ws.send('MODEL_DELETE|0');
    expect(await c.waitText(/^RELAY_ERROR\|/)).to.match(/^RELAY_ERROR\|ERR_LINE_NOT_ALLOWED\|MODEL_DELETE is denied/);
  });

  it('a viewer (viewerToken) sees the agent but may send nothing, text or audio', async () => {
    const { server, agent } = await withAgent({ token: 'operator_token', viewerToken: 'viewer_token' });
    const viewer = await controller(`${server.url}?token=viewer_token`, open);
    await viewer.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    viewer.ws.send('SYNTH_START|0|mei_voice_normal|hi');
    expect(await viewer.waitText(/^RELAY_ERROR\|/)).to.contain('read-only');
    viewer.texts.length = 0;
    viewer.ws.send(Buffer.concat([Buffer.from('SND0002'), Buffer.alloc(2)]), { binary: true });
    expect(await viewer.waitText(/^RELAY_ERROR\|/)).to.contain('read-only');
    agent.say('EVENT|1');
    await viewer.waitText('EVENT|1\n');
    const operator = await controller(`${server.url}?token=operator_token`, open);
    operator.ws.send('OK|1');
    await agent.waitLine('OK|1');
    expect(agent.lines).to.not.include('SYNTH_START|0|mei_voice_normal|hi');
  });

  it('rate limits count lines, not frames: one controller cannot push thousands of lines a second', async () => {
    const { server, agent } = await withAgent({ controllerLinesPerSecond: 100, channelLinesPerSecond: 150 });
    const c = await controller(server.url, open);
    const frame = Array.from({ length: 50 }, (_, i) => `L|${i}`).join('\n');
    for (let i = 0; i < 10; i++) c.ws.send(frame); // 10 frames, 500 lines, well under 200 frames/s
    expect(await c.waitText(/^RELAY_ERROR\|/)).to.match(/^RELAY_ERROR\|ERR_RATE_LIMIT\|more than 100 lines/);
    c.ws.send('END|1');
    await sleep(200);
    expect(agent.lines.filter((l) => l.startsWith('L|'))).to.have.length(100);
    // The channel's budget is shared: a second controller gets the 50 lines left, not 100.
    const d = await controller(server.url, open);
    d.ws.send(frame);
    d.ws.send(frame);
    expect(await d.waitText(/^RELAY_ERROR\|/)).to.match(/lines on \/chat \(all its controllers together\)/);
    await sleep(100);
    expect(agent.lines.filter((l) => l.startsWith('L|'))).to.have.length(150);
  });
});

describe('who may be the agent', () => {
  it('off loopback, a token alone is not enough: no agent secret is refused at start, naming the option', async () => {
    const err = await createServer({ host: '0.0.0.0', port: 0, token: 'operator_token' }).then(
      (s) => (open.push({ close: () => s.close() }), undefined),
      (e: unknown) => e,
    );
    expect(isMmdError(err, 'ERR_INSECURE_BIND'), String(err)).to.equal(true);
    expect((err as Error).message)
      .to.contain('agentSecret')
      .and.contain('--agent-secret');
  });

  it(
    'an agent frame announcing more than agentMaxPayloadBytes ends that connection at once, and nothing stays ' +
      'held',
    async () => {
      const server = await start();
      const agents = await Promise.all(
        Array.from({ length: 8 }, (_, i) => FakeAgent.connect(server.address().port, `/fake${i}`)),
      );
      for (const agent of agents) {
        open.push({ close: () => agent.destroy() });
        // A masked text frame announcing 16 MiB, and the first 64 KiB of it (what held 16 MiB each before).
        const header = Buffer.from([0x81, 0x80 | 127, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4]);
        agent.socket.write(Buffer.concat([header, Buffer.alloc(64 * 1024, 0x41)]));
      }
      await Promise.race([
        Promise.all(agents.map((a) => a.closed)),
        sleep(3000).then(() => {
          throw new Error('a fake agent holding a partial 16 MiB frame was kept');
        }),
      ]);
      for (let i = 0; i < 50 && server.stats().agents > 0; i++) await sleep(20);
      expect(server.stats().agents).to.equal(0);
    },
  );

  it(
    'a zombie agent (behind a relay that stopped forwarding) loses its channel to a new agent once it missed a ' +
      'pong',
    async () => {
      const server = await start({ heartbeatMs: 100, agentProbeMs: 5000 });
      const relay = await tcpRelay(server.address().port);
      open.push({ close: () => relay.close() });
      const ready = nextEvent((cb) => server.on('agent', cb));
      const zombie = await FakeAgent.connect(relay.port, '/chat');
      open.push({ close: () => zombie.destroy() });
      await ready;
      relay.pause(); // no FIN, no RST: the peer just stops answering
      await sleep(350);
      const again = nextEvent((cb) => server.on('agent', cb));
      const restarted = await FakeAgent.connect(server.address().port, '/chat'); // a 429 rejects here
      open.push({ close: () => restarted.destroy() });
      await again;
      expect(server.stats().deadAgentTakeovers).to.equal(1);
      const c = await controller(server.url, open);
      c.ws.send('TO_THE_LIVE_ONE|1');
      await restarted.waitLine('TO_THE_LIVE_ONE|1');
    },
  );

  it(
    'a new agent probes the holder first: a zombie loses the channel at once, without waiting for a ' + 'heartbeat',
    async () => {
      const server = await start({ agentProbeMs: 300 }); // heartbeat at its default, 30 s
      const relay = await tcpRelay(server.address().port);
      open.push({ close: () => relay.close() });
      const ready = nextEvent((cb) => server.on('agent', cb));
      const zombie = await FakeAgent.connect(relay.port, '/chat');
      open.push({ close: () => zombie.destroy() });
      await ready;
      relay.pause();
      const started = performance.now();
      const restarted = await FakeAgent.connect(server.address().port, '/chat'); // a 429 rejects here
      open.push({ close: () => restarted.destroy() });
      expect(performance.now() - started).to.be.within(250, 2000);
      expect(server.stats().deadAgentTakeovers).to.equal(1);
    },
  );

  it('a live agent that answers its pings keeps its channel: the next one still gets 429', async () => {
    const server = await start({ heartbeatMs: 100 });
    const ready = nextEvent((cb) => server.on('agent', cb));
    const live = await FakeAgent.connect(server.address().port, '/chat');
    open.push({ close: () => live.destroy() });
    await ready;
    await sleep(350);
    const second = await FakeAgent.connect(server.address().port, '/chat').then(
      () => '',
      (e: { response: string }) => e.response,
    );
    expect(second).to.match(/^HTTP\/1\.1 429 /);
    expect(live.isClosed).to.equal(false);
  });

  skipIf(!hasSs, 'needs ss (iproute2) to read socket timers')(
    'agent sockets have TCP keepalive on (a peer gone without a FIN is found by the kernel too)',
    async () => {
      const server = await start({ agentKeepAliveMs: 15_000 });
      const ready = nextEvent((cb) => server.on('agent', cb));
      const agent = await FakeAgent.connect(server.address().port, '/chat');
      open.push({ close: () => agent.destroy() });
      await ready;
      const port = server.address().port;
      const out = execFileSync('ss', ['-tnoH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
      expect(out).to.match(/timer:\(keepalive,/);
    },
  );
});

describe('connections before the handshake', () => {
  function silentSocket(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const socket = connectTcp({ host: '127.0.0.1', port }, () =>
        resolve({ socket, closed: new Promise((r) => socket.once('close', () => r(performance.now() - started))) }),
      );
      socket.on('error', () => {});
      socket.once('error', reject);
      open.push({ close: () => socket.destroy() });
    });
  }

  it('a socket that sends nothing is closed after handshakeTimeoutMs (it was held ~90 s)', async () => {
    const server = await start({ handshakeTimeoutMs: 300 });
    const { closed } = await silentSocket(server.address().port);
    const after = await Promise.race([closed, sleep(3000).then(() => Infinity)]);
    expect(after).to.be.below(2500);
  });

  it('connections still in their handshake are capped per address and in total; the refusal is reported', async () => {
    const server = await start({ maxPendingPerAddress: 10, maxPendingConnections: 50, handshakeTimeoutMs: 500 });
    const refused = nextEvent<[RefusedInfo]>((cb) => server.on('refused', cb));
    const silent = await Promise.all(Array.from({ length: 10 }, () => silentSocket(server.address().port)));
    const over = await silentSocket(server.address().port);
    expect(await Promise.race([over.closed, sleep(1000).then(() => Infinity)])).to.be.below(400);
    expect((await refused)[0]).to.include({ kind: 'connection', status: 0, remoteAddress: '127.0.0.1' });
    expect(server.stats().refusedConnections).to.equal(1);
    await Promise.all(silent.map((s) => s.closed)); // the handshake timeout frees them
    const agent = await FakeAgent.connect(server.address().port, '/chat');
    open.push({ close: () => agent.destroy() });
  });

  it("'refused' reports are throttled, and the next one says how many were held back", async () => {
    const server = await start({ refusalReportsPerSecond: 2 });
    const reports: RefusedInfo[] = [];
    server.on('refused', (info) => reports.push(info));
    const tries = Array.from({ length: 8 }, () =>
      FakeAgent.connect(server.address().port, '/bad|path').catch(() => {}),
    );
    await Promise.all(tries);
    expect(reports).to.have.length(2);
    await sleep(1100);
    await FakeAgent.connect(server.address().port, '/bad|path').catch(() => {});
    expect(reports).to.have.length(3);
    expect(reports[2].suppressed).to.equal(6);
  });
});

// An agent's life on a channel, as the real MMDAgent-EX showed it (issue 12): controllers coming
// and going must not undo the server app's setup, and the app hears about avatar control.
// Against the simulated MMDAgent-EX on 127.0.0.1.
import { expect } from 'chai';
import { avatar } from '../src/avatar.js';
import { PEER_DISCONNECTED } from '../src/limits.js';
import {
  createServer,
  startSim,
  type AgentInfo,
  type AvatarInfo,
  type ControllerLeftInfo,
  type MmdServer,
  type ServerOptions,
} from '../src/server.js';
import { afterEach, describe, it } from './harness.js';
import { FakeAgent } from './support/fake-agent.js';
import { HoldingAgent, controller, nextEvent, sleep, tcpRelay } from './support/server-peers.js';

const open: { close(): unknown }[] = [];

async function start(opts: ServerOptions = {}): Promise<MmdServer> {
  const server = await createServer({ port: 0, syncTimeoutMs: 3000, ...opts });
  open.push({ close: () => server.close() });
  return server;
}

async function until(done: () => boolean, timeoutMs = 3000): Promise<void> {
  for (const end = performance.now() + timeoutMs; !done(); await sleep(10)) {
    if (performance.now() > end) throw new Error(`not so within ${timeoutMs} ms`);
  }
}

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe('a controller leaving (issue 12 item 2, wire.md §10.4)', () => {
  it("never switches off the avatar control the server app's setup turned on", async () => {
    const server = await start({ setup: [avatar.start(), avatar.setModel('0')] });
    const avatarOn = nextEvent<[AvatarInfo]>((cb) => server.on('avatar', cb));
    const sim = await startSim({ url: server.url, platform: 'linux', timeScale: 0.1 });
    open.push({ close: () => sim.stop() });
    const [on] = await avatarOn;
    expect(on).to.deep.equal({ channel: '/chat', enabled: true, ownedByServer: true });
    const changes: AvatarInfo[] = [];
    server.on('avatar', (info) => changes.push(info));
    const left = nextEvent<[ControllerLeftInfo]>((cb) => server.on('controllerLeft', cb));
    const c = await controller(server.url, open);
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    c.ws.close();
    const [info] = await left;
    expect(info).to.include({ remaining: 0, peerDisconnectedSent: false });
    // A round trip, then as long again as the real app takes to answer (AVATAR|END ~90 ms).
    server.channel('/chat').send('PROBE|1');
    await sim.waitFor((m) => m.type === 'PROBE', { timeoutMs: 5000 });
    await sleep(300);
    expect(sim.received.some((m) => m.type === PEER_DISCONNECTED)).to.equal(false);
    expect(changes).to.deep.equal([]);
    expect(server.channel('/chat').avatarEnabled).to.equal(true);
    expect(sim.violations).to.deep.equal([]);
  });

  it('still tells the agent when the controllers owned avatar control, and the app hears it go off', async () => {
    const server = await start();
    const ready = nextEvent((cb) => server.on('agent', cb));
    const sim = await startSim({ url: server.url, platform: 'linux', timeScale: 0.1 });
    open.push({ close: () => sim.stop() });
    await ready;
    const c = await controller(server.url, open);
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    const on = nextEvent<[AvatarInfo]>((cb) => server.on('avatar', cb));
    c.ws.send('__AV_START');
    expect((await on)[0]).to.deep.equal({ channel: '/chat', enabled: true, ownedByServer: false });
    const off = nextEvent<[AvatarInfo]>((cb) => server.channel('/chat').on('avatar', cb));
    const left = nextEvent<[ControllerLeftInfo]>((cb) => server.on('controllerLeft', cb));
    c.ws.close();
    expect((await left)[0]).to.include({ remaining: 0, peerDisconnectedSent: true });
    expect((await off)[0]).to.deep.equal({ channel: '/chat', enabled: false, ownedByServer: false });
    expect(server.channel('/chat').avatarEnabled).to.equal(false);
  });

  it('an avatar.end() sent by the app hands the decision back: the next last leave sends the line', async () => {
    const server = await start({ setup: [avatar.start()] });
    const ready = nextEvent((cb) => server.on('agent', cb));
    const sim = await startSim({ url: server.url, platform: 'linux', timeScale: 0.1 });
    open.push({ close: () => sim.stop() });
    await ready;
    server.channel('/chat').send(avatar.end());
    const c = await controller(server.url, open);
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    const left = nextEvent<[ControllerLeftInfo]>((cb) => server.on('controllerLeft', cb));
    c.ws.close();
    expect((await left)[0]).to.include({ peerDisconnectedSent: true });
    await sim.waitFor((m) => m.type === PEER_DISCONNECTED, { timeoutMs: 5000 });
  });
});

describe('the first frame after the handshake (issue 12 item 3, wire.md §3.4)', () => {
  it('through a TCP relay, the sync line does not ride in the read of the 101, so its echo comes at once', async () => {
    const server = await start({ syncTimeoutMs: 1500 });
    const relay = await tcpRelay(server.address().port);
    open.push({ close: () => relay.close() });
    const started = performance.now();
    const ready = nextEvent((cb) => server.on('agent', cb), undefined, 5000);
    const agent = await HoldingAgent.connectHolding(relay.port);
    open.push({ close: () => agent.destroy() });
    await ready;
    const elapsed = performance.now() - started;
    // Held back, the sync would be echoed only when setup or a ping came, after syncTimeoutMs.
    expect(agent.heldBytes).to.equal(0);
    expect(agent.lines[0]).to.match(/^MMDSDK_SYNC\|[0-9a-f]{12}$/);
    expect(elapsed).to.be.below(1000);
  });

  it("sends the sync line at the agent's first frame, without waiting for the gap", async () => {
    const server = await start({ syncGapMs: 10_000 });
    const ready = nextEvent((cb) => server.on('agent', cb), undefined, 5000);
    const agent = await HoldingAgent.connectHolding(server.address().port);
    open.push({ close: () => agent.destroy() });
    agent.say('PLUGIN_EVENT_ENABLE|Remote'); // the real app's start-up burst (real-client/notes.md)
    await ready;
    expect(agent.lines[0]).to.match(/^MMDSDK_SYNC\|/);
  });
});

describe('a stand-in agent (issue 12 item 4: npm start, then a real MMDAgent-EX)', () => {
  it(
    'yields its channel to a real MMDAgent-EX (no 429, no /chat-1) and takes it back when that one ' + 'leaves',
    async () => {
      const server = await start({ standIn: true });
      const standInReady = nextEvent<[unknown, AgentInfo]>((cb) => server.on('agent', cb));
      const sim = await startSim({ url: server.standInUrl(), platform: 'linux', timeScale: 0.1 });
      open.push({ close: () => sim.stop() });
      expect((await standInReady)[1]).to.deep.equal({ channel: '/chat', standIn: true });
      const c = await controller(server.url, open);
      await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
      const realReady = nextEvent<[unknown, AgentInfo]>((cb) => server.on('agent', cb));
      const real = await FakeAgent.connect(server.address().port, '/chat'); // rejects on a 429
      open.push({ close: () => real.destroy() });
      expect((await realReady)[1]).to.deep.equal({ channel: '/chat', standIn: false });
      const relayLines = () => c.texts.filter((t) => t.startsWith('RELAY_'));
      await until(() => relayLines().length >= 3);
      expect(relayLines()).to.deep.equal([
        'RELAY_AGENT_CONNECTED|/chat\n',
        'RELAY_AGENT_DISCONNECTED|/chat\n',
        'RELAY_AGENT_CONNECTED|/chat\n',
      ]);
      expect(server.channels().map((ch) => [ch.path, ch.agent, ch.standIn])).to.deep.equal([['/chat', true, false]]);
      c.ws.send('HELLO|real');
      await real.waitLine('HELLO|real');
      const back = nextEvent<[unknown, AgentInfo]>((cb) => server.on('agent', cb));
      real.destroy();
      expect((await back)[1]).to.deep.equal({ channel: '/chat', standIn: true });
      await until(() => relayLines().length >= 5);
      expect(relayLines().slice(3)).to.deep.equal([
        'RELAY_AGENT_DISCONNECTED|/chat\n',
        'RELAY_AGENT_CONNECTED|/chat\n',
      ]);
      c.ws.send('HELLO|sim');
      await sim.waitFor((m) => m.type === 'HELLO', { timeoutMs: 5000 });
      expect(sim.received.filter((m) => m.type === 'HELLO').map((m) => m.args)).to.deep.equal([['sim']]);
      expect(sim.status).to.equal('connected');
      expect(sim.violations).to.deep.equal([]);
    },
  );

  it('a stand-in arriving while a real MMDAgent-EX holds the channel waits for it to leave', async () => {
    const server = await start({ standIn: true });
    const real = await FakeAgent.connect(server.address().port, '/chat');
    open.push({ close: () => real.destroy() });
    await nextEvent((cb) => server.on('agent', cb));
    const sim = await startSim({ url: server.standInUrl(), platform: 'linux', timeScale: 0.1 });
    open.push({ close: () => sim.stop() });
    await sleep(300);
    expect(server.channels().map((ch) => [ch.path, ch.standIn])).to.deep.equal([['/chat', false]]);
    const back = nextEvent<[unknown, AgentInfo]>((cb) => server.on('agent', cb));
    real.destroy();
    expect((await back)[1]).to.include({ standIn: true });
  });

  it('the stand-in URL carries a per-process secret: a wrong one is 401, and it needs the standIn option', async () => {
    const server = await start({ standIn: true });
    const url = new URL(server.standInUrl('/shop1'));
    expect(url.pathname).to.equal('/shop1');
    const refused = await FakeAgent.connect(server.address().port, '/chat?standin=0123456789abcdef').then(
      () => '',
      (e: { response: string }) => e.response,
    );
    expect(refused).to.match(/^HTTP\/1\.1 401 /);
    const plain = await start();
    expect(() => plain.standInUrl()).to.throw(/standIn/);
  });
});

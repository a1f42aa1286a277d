// The server's TCP transports (wire.md §14) against a byte-exact fake of the app's TCP modes on
// 127.0.0.1: an app in TCP client mode dialling `tcp`, an app in TCP server mode dialled through
// `tcpAgents` (and redialled when it restarts), one transport per channel, and the warning when
// another client shares the app's one input buffer.
import { expect } from 'chai';
import { connect } from 'node:net';
import { isMmdError } from '../src/errors.js';
import {
  createServer,
  type AgentInfo,
  type MmdServer,
  type RefusedInfo,
  type ServerOptions,
  type TcpSharedWarning,
} from '../src/server.js';
import { afterEach, describe, it } from './harness.js';
import { FakeAgent, upgradeRequest } from './support/fake-agent.js';
import { controller, nextEvent, sleep } from './support/server-peers.js';
import { TcpApp } from './support/tcp-app.js';

const open: { close(): unknown }[] = [];

async function start(opts: ServerOptions = {}): Promise<MmdServer> {
  const server = await createServer({ port: 0, syncTimeoutMs: 3000, syncGapMs: 20, ...opts });
  open.push({ close: () => server.close() });
  return server;
}

function app(): TcpApp {
  const a = new TcpApp();
  open.push({ close: () => a.close() });
  return a;
}

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe('MMDAgent-EX as a TCP client (server option tcp)', () => {
  it('becomes the agent of its channel: sync line, setup, relay both ways, byte for byte', async () => {
    const server = await start({ tcp: [{ port: 0 }], setup: ['SETUP|1'] });
    const agentEvent = nextEvent<[unknown, AgentInfo]>((cb) => server.on('agent', cb));
    const c = await controller(server.url, open);
    await c.waitText('RELAY_AGENT_DISCONNECTED|/chat\n');
    const a = app();
    const socket = await a.dial(server.tcpAddresses()[0].port);
    const [, info] = await agentEvent;
    expect(info).to.deep.equal({ channel: '/chat', standIn: false });
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    c.ws.send('HELLO|world');
    await a.waitFor(() => a.dispatched.includes('HELLO|world'));
    // The echo comes back over TCP and reaches the controller as a frame of its own.
    await c.waitText('HELLO|world\n');
    const bytes = a.bytesFrom(socket).toString('latin1');
    expect(bytes).to.match(/^MMDSDK_SYNC\|[0-9a-f]{12}\nSETUP\|1\nHELLO\|world\n$/);
    expect(server.channel('/chat').agent).to.not.equal(undefined);
  });

  it('a 2047-byte message without its \\n (the app cut it) reaches controllers apart from the next one', async () => {
    const server = await start({ tcp: [{ port: 0 }] });
    const agentEvent = nextEvent((cb) => server.on('agent', cb));
    const a = app();
    await a.dial(server.tcpAddresses()[0].port);
    const [link] = (await agentEvent) as [import('../src/link.js').AgentLink];
    const c = await controller(server.url, open);
    await c.waitText('RELAY_AGENT_CONNECTED|/chat\n');
    const got: { line: string; truncated: boolean }[] = [];
    link.on('message', (m) => got.push({ line: m.line, truncated: m.truncated }));
    const cut = `LONG|${'x'.repeat(2042)}`; // 2047 bytes: snprintf into 2048 left no room for \n (wire.md §5.1)
    a.broadcast(`${cut}NEXT|1\n`);
    await c.waitText('NEXT|1\n');
    expect(c.texts).to.include(cut);
    await a.waitFor(() => got.length >= 2);
    expect(got).to.deep.equal([
      { line: cut, truncated: true },
      { line: 'NEXT|1', truncated: false },
    ]);
  });

  it('refuses a TCP agent on a channel a WebSocket agent holds (ERR_TRANSPORT_CONFLICT), keeps the first', async () => {
    const server = await start({ tcp: [{ port: 0 }] });
    const ws = await FakeAgent.connect(server.address().port, '/chat');
    open.push({ close: () => ws.socket.destroy() });
    await ws.waitLine(/^MMDSDK_SYNC\|/);
    const refused = nextEvent<[RefusedInfo]>((cb) => server.on('refused', cb));
    const a = app();
    const socket = await a.dial(server.tcpAddresses()[0].port);
    const [info] = await refused;
    expect(info.kind).to.equal('agent');
    expect(info.status).to.equal(409);
    expect(info.reason).to.match(/^ERR_TRANSPORT_CONFLICT: \/chat already has an MMDAgent-EX over WebSocket/);
    await new Promise((resolve) => socket.once('close', resolve));
    expect(a.bytesFrom(socket).length).to.equal(0);
    expect(ws.socket.destroyed).to.equal(false);
  });

  it('answers a WebSocket agent on a channel a TCP agent holds with 429 and says why', async () => {
    const server = await start({ tcp: [{ port: 0 }] });
    const agentEvent = nextEvent((cb) => server.on('agent', cb));
    await app().dial(server.tcpAddresses()[0].port);
    await agentEvent;
    const refused = nextEvent<[RefusedInfo]>((cb) => server.on('refused', cb));
    const { socket, response } = upgradeRequest(server.address().port, '/chat', { agent: true });
    open.push({ close: () => socket.destroy() });
    const { head } = await response;
    expect(head.startsWith('HTTP/1.1 429 Too Many Requests\r\n'), head).to.equal(true);
    const [info] = await refused;
    expect(info.reason).to.match(/^ERR_TRANSPORT_CONFLICT: \/chat already has an MMDAgent-EX over TCP/);
  });

  it('refuses options that would run one channel twice or expose the agent to the network', async () => {
    const conflict = await createServer({ port: 0, tcp: [{ port: 0 }], tcpAgents: [{ port: 1 }] }).catch((e) => e);
    expect(isMmdError(conflict, 'ERR_TRANSPORT_CONFLICT'), String(conflict)).to.equal(true);
    const exposed = await createServer({ port: 0, tcp: [{ port: 0, host: '0.0.0.0' }] }).catch((e) => e);
    expect(isMmdError(exposed, 'ERR_INSECURE_BIND'), String(exposed)).to.equal(true);
    const bad = await createServer({ port: 0, tcp: [{ port: 70000 }] }).catch((e) => e);
    expect(isMmdError(bad, 'ERR_SERVER_OPTION'), String(bad)).to.equal(true);
  });
});

describe('MMDAgent-EX as a TCP server (server option tcpAgents)', () => {
  it('is dialled, becomes the agent, and is redialled after the app restarts', async () => {
    const a = app();
    const port = await a.listen();
    const agents: AgentInfo[] = [];
    const server = await start({ tcpAgents: [{ port, channel: '/tcp' }] });
    server.on('agent', (_l, info) => agents.push(info));
    await a.waitFor(() => agents.length === 1);
    expect(agents[0]).to.deep.equal({ channel: '/tcp', standIn: false });
    const c = await controller(server.url.replace(/\/chat$/, '/tcp'), open);
    c.ws.send('PING_TCP|1');
    await c.waitText('PING_TCP|1\n');
    const left = nextEvent((cb) => server.on('agentLeft', cb));
    await a.close();
    await left;
    await sleep(100);
    await a.listen(port);
    await a.waitFor(() => agents.length === 2, 8000);
    await c.waitText('RELAY_AGENT_CONNECTED|/tcp\n');
  });

  it('warns (event and log line) when another client joins the app: its input buffer is shared', async () => {
    const a = app();
    const port = await a.listen();
    const server = await start({ tcpAgents: [{ port }] });
    const warned = nextEvent<[TcpSharedWarning]>((cb) => server.on('tcpWarning', cb));
    await nextEvent((cb) => server.on('agent', cb));
    const logged: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void logged.push(args.join(' '));
    const other = connect({ host: '127.0.0.1', port });
    open.push({ close: () => other.destroy() });
    const [w] = await warned.finally(() => (console.warn = warn));
    expect(w).to.include({ channel: '/chat', address: '127.0.0.1', others: 1 });
    expect(w.message).to.include('ONE pending-bytes buffer');
    expect(logged.some((l) => l.includes('another TCP client (127.0.0.1)'))).to.equal(true);
  });
});

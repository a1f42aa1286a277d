// GET /healthz and GET /metrics (src/node/server/observe.ts) on a real server on 127.0.0.1, with a
// wire-level agent and a `ws` controller moving frames through one channel.
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { createServer, type MmdServer } from '../src/node/server/server.js';
import { metricsText } from '../src/node/server/observe.js';
import { afterEach, describe, it } from './harness.js';
import { FakeAgent } from './support/fake-agent.js';

const servers: MmdServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function get(server: MmdServer, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(new URL(path, server.httpUrl), { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('GET /healthz', () => {
  it('answers 200 without a token, so a proxy can probe a token-protected server', async () => {
    const server = await createServer({ port: 0, token: 'token000' });
    servers.push(server);
    expect(await get(server, '/healthz')).to.include({ status: 200 });
    expect((await get(server, '/channels')).status).to.equal(401);
  });
});

describe('GET /metrics', () => {
  it('needs the controller token like /channels, and says how to give it', async () => {
    const server = await createServer({ port: 0, token: 'token000' });
    servers.push(server);
    const refused = await get(server, '/metrics');
    expect(refused.status).to.equal(401);
    expect(refused.text).to.match(/GET \/metrics needs the controller token/);
    expect((await get(server, '/metrics', { Authorization: 'Bearer token000' })).status).to.equal(200);
  });

  it('counts, per channel, the agent, controllers, frames each way and refusals', async () => {
    const server = await createServer({ port: 0, syncTimeoutMs: 300 });
    servers.push(server);
    const port = server.address().port;
    const ready = new Promise<void>((resolve) => server.on('agent', () => resolve()));
    const agent = await FakeAgent.connect(port, '/shop1');
    await ready;
    const controller = new WebSocket(`ws://127.0.0.1:${port}/shop1`);
    await new Promise((resolve, reject) => controller.once('open', resolve).once('error', reject));
    const echoed = new Promise<void>((resolve) =>
      controller.on('message', (d) => String(d).startsWith('VALUE_SET|k|1') && resolve()),
    );
    controller.send('VALUE_SET|k|1\n');
    await echoed;
    controller.send('bad|\u0000line\n'); // refused: a NUL byte would cut the line in MMDAgent-EX
    await new Promise((r) => setTimeout(r, 50));
    const { status, type, text } = await get(server, '/metrics');
    expect(status).to.equal(200);
    expect(type).to.match(/^text\/plain; version=0\.0\.4/);
    const value = (series: string) => {
      const m = new RegExp(`^${series.replace(/[{}"/]/g, '\\$&')} (\\d+)$`, 'm').exec(text);
      if (!m) throw new Error(`no ${series} in\n${text}`);
      return Number(m[1]);
    };
    expect(value('mmdr_channel_agent{channel="/shop1"}')).to.equal(1);
    expect(value('mmdr_channel_controllers{channel="/shop1"}')).to.equal(1);
    expect(value('mmdr_channel_frames_to_agent_total{channel="/shop1"}')).to.be.greaterThan(0);
    expect(value('mmdr_channel_frames_to_controllers_total{channel="/shop1"}')).to.be.greaterThan(0);
    expect(value('mmdr_channel_refused_frames_total{channel="/shop1"}')).to.equal(1);
    expect(value('mmdr_agents')).to.equal(1);
    expect(value('mmdr_controllers')).to.equal(1);
    controller.close();
    agent.destroy();
  });

  it('escapes label values as the exposition format requires', () => {
    const stats = Object.fromEntries(
      [
        'channels',
        'agents',
        'controllers',
        'refusedUpgrades',
        'slowConsumerDisconnects',
        'deadControllerTerminations',
        'refusedControllerFrames',
        'rateLimitedFrames',
        'framesToAgents',
        'framesToControllers',
        'socketErrors',
      ].map((k) => [k, 0]),
    ) as never;
    const channel = {
      info: () => ({ path: '/a"b\\c', agent: false, agentSince: null, controllers: 0, standIn: false }),
      traffic: { framesToAgent: 0, framesToControllers: 0, refusedFrames: 0 },
    };
    expect(metricsText(stats, [channel])).to.include('mmdr_channel_agent{channel="/a\\"b\\\\c"} 0\n');
  });
});

describe('GET /healthz and the Host check', () => {
  it('answers a health check that sends no Host header (HAProxy sends HTTP/1.0 without one)', async () => {
    const { connect } = await import('node:net');
    const server = await createServer({ port: 0 });
    servers.push(server);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: server.address().port }, () =>
        s.end('GET /healthz HTTP/1.0\r\n\r\n'),
      );
      let text = '';
      s.on('data', (d) => (text += d));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    expect(answer).to.match(/^HTTP\/1\.1 200 /);
  });
});

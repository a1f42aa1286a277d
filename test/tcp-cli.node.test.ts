// The CLI's TCP flags: `serve --tcp-port N[/CH] --tcp-agent H:P[/CH]` and the .mdf lines it prints
// for them, and `sim --transport tcp-client|tcp-server` in-process against raw sockets on 127.0.0.1.
import { expect } from 'chai';
import { connect, createServer as createNetServer } from 'node:net';
import { parseServeArgs } from '../src/node/cli/serve.js';
import { runSimCli } from '../src/node/cli/sim.js';
import { tcpBannerLines } from '../src/node/tcp/banner.js';
import { describe, it } from './harness.js';

function capture(signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), signal }, out, err };
}

describe('serve --tcp-port / --tcp-agent', () => {
  it('become the tcp and tcpAgents options, each on --path unless a channel follows', () => {
    const parsed = parseServeArgs(['--tcp-port', '0', '--tcp-agent', '127.0.0.1:60001/tcp']);
    expect(parsed).to.not.equal('help');
    const { options } = parsed as Exclude<typeof parsed, 'help'>;
    expect(options.tcp).to.deep.equal([{ port: 0 }]);
    expect(options.tcpAgents).to.deep.equal([{ host: '127.0.0.1', port: 60001, channel: '/tcp' }]);
    for (const bad of [
      ['--tcp-port', 'x'],
      ['--tcp-port', '70000'],
      ['--tcp-agent', 'nohost'],
      ['--tcp-agent', 'h:0'],
    ]) {
      expect(() => parseServeArgs(bad), bad.join(' ')).to.throw(/--tcp-/);
    }
  });

  it('print the .mdf lines for each TCP mode, with ListenPort spelled out', () => {
    const lines = tcpBannerLines([{ port: 50123 }], {
      path: '/chat',
      tcp: [{ port: 0 }],
      tcpAgents: [{ port: 50001, channel: '/tcp' }],
    });
    expect(lines).to.include.members([
      '  Plugin_Remote_EnableClient=true',
      '  Plugin_Remote_Hostname=127.0.0.1',
      '  Plugin_Remote_Port=50123',
      '  Plugin_Remote_EnableServer=true',
      '  Plugin_Remote_ListenPort=50001',
    ]);
  });
});

describe('sim --transport', () => {
  it('tcp-client dials --host:--port and logs the bytes; usage errors exit 2', async () => {
    const server = createNetServer((s) => s.write('HELLO|cli\n'));
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (server.address() as { port: number }).port;
    const stop = new AbortController();
    const { io, out } = capture(stop.signal);
    const run = runSimCli(['--transport', 'tcp-client', '--port', String(port), '--time-scale', '0.05'], io);
    for (let i = 0; i < 200 && !out.some((l) => l.includes('-> HELLO|cli')); i++)
      await new Promise((r) => setTimeout(r, 10));
    stop.abort();
    expect(await run).to.equal(0);
    expect(out.some((l) => l.includes('HELLO|cli'))).to.equal(true);
    server.close();
    for (const args of [
      ['--transport', 'tcp'],
      ['--transport', 'tcp-client', '--url', 'ws://127.0.0.1:1/chat'],
      ['--url', 'ws://127.0.0.1:1/chat', '--port', '1'],
    ]) {
      expect(await runSimCli(args, capture().io), args.join(' ')).to.equal(2);
    }
  });

  it('tcp-server listens on --port 0 and answers a client', async () => {
    const stop = new AbortController();
    const { io, out } = capture(stop.signal);
    const run = runSimCli(['--transport', 'tcp-server', '--port', '0', '--time-scale', '0.05'], io);
    let port = 0;
    for (let i = 0; i < 200 && !port; i++) {
      const m = out.join('\n').match(/tcp-server\/127\.0\.0\.1:(\d+)/);
      if (m) port = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 10));
    }
    const socket = connect({ host: '127.0.0.1', port });
    let got = '';
    socket.on('data', (d) => (got += d));
    for (let i = 0; i < 200 && !got.includes('REMOTE_EVENT_CONNECTED|127.0.0.1\n'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(got).to.include('REMOTE_EVENT_CONNECTED|127.0.0.1\n');
    socket.destroy();
    stop.abort();
    await run;
  });
});

// Examples 6 and 7 (the guide's two programs over TCP), driven through their run() against the
// simulated MMDAgent-EX in each TCP mode on 127.0.0.1. They import the built package (dist/).
import { expect } from 'chai';
import { startSim, type Sim } from '../src/server.js';
import { run as runPrint } from '../examples/tcp-print-messages.js';
import { run as runTestMessage } from '../examples/tcp-send-test-message.js';
import { afterEach, describe, it } from './harness.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    log: (l: string) => void lines.push(l),
    async waitFor(test: (l: string) => boolean, timeoutMs = 5000): Promise<void> {
      for (const end = performance.now() + timeoutMs; !lines.some(test); await new Promise((r) => setTimeout(r, 10)))
        if (performance.now() > end) throw new Error(`no such line; got:\n${lines.join('\n')}`);
    },
  };
}

async function sim(opts: Parameters<typeof startSim>[0]): Promise<Sim> {
  const s = await startSim({ platform: 'windows', timeScale: 0.05, retryCount: 20, ...opts } as never);
  open.push({ close: () => s.stop() });
  return s;
}

describe('example 6: tcp-print-messages', () => {
  it('client mode: MMDAgent-EX dials it; every message is printed', async () => {
    const out = recorder();
    const app = await runPrint({ mode: 'client', port: 0, log: out.log });
    open.push(app);
    const s = await sim({ transport: 'tcp-client', port: app.port });
    await out.waitFor((l) => l === 'MMDAgent-EX connected over TCP');
    s.emit('RECOG_EVENT_STOP|hello');
    await out.waitFor((l) => l === 'RECOG_EVENT_STOP|hello');
  });

  it('server mode: it dials MMDAgent-EX; every message is printed', async () => {
    const s = (await sim({ transport: 'tcp-server', port: 0 })) as Sim & { tcpAddress: { port: number } };
    const out = recorder();
    const app = await runPrint({ mode: 'server', port: s.tcpAddress.port, log: out.log });
    open.push(app);
    await out.waitFor((l) => l === 'REMOTE_EVENT_CONNECTED|127.0.0.1');
  });
});

describe('example 7: tcp-send-test-message', () => {
  for (const mode of ['client', 'server'] as const) {
    it(`${mode} mode: TEST_MESSAGE goes out and its echo comes back`, async () => {
      const out = recorder();
      let app: Awaited<ReturnType<typeof runTestMessage>>;
      if (mode === 'client') {
        app = await runTestMessage({ mode, port: 0, everyMs: 50, log: out.log });
        open.push(app);
        await sim({ transport: 'tcp-client', port: app.port });
      } else {
        const s = (await sim({ transport: 'tcp-server', port: 0 })) as Sim & { tcpAddress: { port: number } };
        app = await runTestMessage({ mode, port: s.tcpAddress.port, everyMs: 50, log: out.log });
        open.push(app);
      }
      await out.waitFor((l) => l === 'TEST_MESSAGE');
      expect(out.lines).to.include('> TEST_MESSAGE');
    });
  }
});

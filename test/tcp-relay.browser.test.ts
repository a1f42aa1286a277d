// A controller in real Chromium through the relay to MMDAgent-EX over TCP (issue 16): the plugin in
// test/support/wtr-server-plugin.mjs runs a simulated MMDAgent-EX in TCP client mode (channel
// /tcp-client, dialling the server's `tcp` port) and one in TCP server mode (channel /tcp-server,
// dialled through `tcpAgents`). The browser sees the same relay as for a WebSocket agent.
import { expect } from 'chai';
import { connect } from '../src/link.js';
import { describe, skipIf } from './harness.js';

interface TestServerInfo {
  url: string | null;
  tcp?: { client: string; server: string };
}
const info = ((await import('virtual:test-server' as string)) as { default: TestServerInfo }).default;
const base = info.url?.replace(/\/chat$/, '');

describe('relay to a TCP agent: a controller in Chromium', () => {
  for (const mode of ['client', 'server'] as const) {
    skipIf(!info.tcp || !base, 'no TCP agents: run `npm run build` so that dist/server.js has them')(
      `drives MMDAgent-EX in TCP ${mode} mode: a command and its event make the round trip`,
      async () => {
        const link = await connect(`${base}${info.tcp![mode]}`);
        try {
          await link.waitFor((m) => m.type === 'RELAY_AGENT_CONNECTED', { timeoutMs: 8000 }).catch(() => undefined);
          const name = `b${Math.random().toString(36).slice(2, 8)}`;
          const event = await link.request(`VALUE_SET|${name}|1`, (m) => m.type === 'VALUE_EVENT_SET', {
            timeoutMs: 8000,
          });
          expect(event.args).to.deep.equal([name]);
        } finally {
          link.close();
        }
      },
    );
  }
});

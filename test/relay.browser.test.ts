// A controller in real Chromium through the relay, to the simulated MMDAgent-EX that
// test/support/wtr-server-plugin.mjs starts next to the built server (dist/node/server.js).
// The page's own origin is the test runner's, which the plugin allows (allowedOrigins: '*').
import { expect } from 'chai';
import { connect } from '../src/link.js';
import { describe, it } from './harness.js';

interface TestServerInfo {
  url: string | null;
  httpUrl: string | null;
  path: string;
}
// A string-typed specifier: the plugin serves this virtual module (no .d.ts needed).
const info = ((await import('virtual:test-server' as string)) as { default: TestServerInfo }).default;

function serverUrl(): string {
  if (!info.url) throw new Error('no test server: run `npm run build` so that dist/node/server.js exists');
  return info.url;
}

/** A native browser WebSocket with its text frames collected. */
async function openController(
  url: string,
): Promise<{ ws: WebSocket; texts: string[]; waitText(test: (t: string) => boolean, what: string): Promise<string> }> {
  const ws = new WebSocket(url);
  const texts: string[] = [];
  ws.addEventListener('message', (e) => texts.push(typeof e.data === 'string' ? e.data : '<binary>'));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), { once: true });
  });
  const waitText = async (test: (t: string) => boolean, what: string) => {
    const end = Date.now() + 8000;
    for (;;) {
      const found = texts.find(test);
      if (found !== undefined) return found;
      if (Date.now() > end) throw new Error(`no ${what} within 8 s; got ${JSON.stringify(texts.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { ws, texts, waitText };
}

describe('relay: a controller in Chromium', () => {
  it(
    'is told the agent is there, and a line makes the round trip ' +
      'through the simulated MMDAgent-EX (wire.md §10.1)',
    async () => {
      const c = await openController(serverUrl());
      try {
        await c.waitText((t) => t === `RELAY_AGENT_CONNECTED|${info.path}\n`, 'RELAY_AGENT_CONNECTED');
        const probe = `BROWSER_PROBE|${Math.random().toString(36).slice(2)}`;
        c.ws.send(probe);
        expect(await c.waitText((t) => t === `${probe}\n`, 'the echo')).to.equal(`${probe}\n`);
      } finally {
        c.ws.close();
      }
    },
  );

  it('gets a RELAY_ERROR line for a line MMDAgent-EX must never see, and the channel keeps working', async () => {
    const c = await openController(serverUrl());
    try {
      c.ws.send('SNDX|1'); // would be read as audio (wire.md §8.4)
      const error = await c.waitText((t) => t.startsWith('RELAY_ERROR|'), 'RELAY_ERROR');
      expect(error).to.match(/^RELAY_ERROR\|ERR_SND_PREFIX\|[^|\r\n]+\n$/);
      c.ws.send(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7])); // binary that is not SND
      await c.waitText((t) => t.startsWith('RELAY_ERROR|ERR_BINARY_FRAME|'), 'ERR_BINARY_FRAME');
      c.ws.send('AFTER_ERRORS|ok');
      await c.waitText((t) => t === 'AFTER_ERRORS|ok\n', 'the echo after the errors');
    } finally {
      c.ws.close();
    }
  });

  it('works through AgentLink (connect with the native WebSocket): send, waitFor the echo, close', async () => {
    const link = await connect(serverUrl());
    try {
      const echo = link.waitFor((m) => m.type === 'LINK_PROBE', { timeoutMs: 8000 });
      link.send({ type: 'LINK_PROBE', args: ['a', 'b'] });
      const msg = await echo;
      expect(msg.args).to.deep.equal(['a', 'b']);
      expect(msg.truncated).to.equal(false);
    } finally {
      link.close();
    }
  });
});

// Servers the playground's browser tests drive besides the shared one (wtr-server-plugin.mjs),
// all built from dist/server.js on 127.0.0.1:
//  - `operator`: channels /shop1 (a simulated MMDAgent-EX) and /shop2 (empty), allowing any
//    origin; GET /__playground/restart closes it and listens again on the same port with a new
//    simulator, as a server restart does (the page must reconnect by itself).
//  - `strict`: the defaults a deployment keeps (its own origin only) plus a controller token, so
//    the page's refusal diagnosis can be checked.
// The page reads the addresses from the virtual module `virtual:playground-servers`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const serverEntry = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
export const STRICT_TOKEN = 'playgroundtoken1';

export function playgroundServersPlugin() {
  let mod;
  let operator;
  let operatorSim;
  let strict;
  let port = 0;
  const info = { operator: null, strict: null };

  async function startOperator() {
    operator = await mod.createServer({ host: '127.0.0.1', port, path: '/shop1', allowedOrigins: '*' });
    port = operator.address().port;
    operator.channel('/shop2');
    const url = `ws://127.0.0.1:${port}`;
    info.operator = { url, httpUrl: `http://127.0.0.1:${port}/` };
    operatorSim = await mod.startSim({ url: `${url}/shop1`, platform: 'windows', retryCount: 20 });
  }

  async function stopOperator() {
    await operatorSim?.stop?.();
    await operator?.close?.();
  }

  return {
    name: 'mmdagent-playground-servers',
    async serverStart() {
      if (!existsSync(serverEntry)) return;
      mod = await import(pathToFileURL(serverEntry).href);
      if (typeof mod.createServer !== 'function' || typeof mod.startSim !== 'function') return;
      await startOperator();
      strict = await mod.createServer({ host: '127.0.0.1', port: 0, path: '/chat', token: STRICT_TOKEN });
      info.strict = { url: `ws://127.0.0.1:${strict.address().port}`, token: STRICT_TOKEN };
    },
    async serverStop() {
      await stopOperator();
      await strict?.close?.();
    },
    resolveImport({ source }) {
      if (source === 'virtual:playground-servers') return '/__virtual/playground-servers.js';
    },
    async serve(context) {
      if (context.path === '/__virtual/playground-servers.js') {
        return { body: `export default ${JSON.stringify(info)};`, type: 'js' };
      }
      if (context.path === '/__playground/restart' && operator) {
        await stopOperator();
        // Down for a moment, as a restart is: the page sees its connection drop and dials into nothing.
        await new Promise((resolve) => setTimeout(resolve, 700));
        await startOperator();
        return { body: JSON.stringify({ restarted: true }), type: 'json' };
      }
    },
  };
}

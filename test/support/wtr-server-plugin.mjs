// A @web/test-runner plugin that gives browser tests a live server on 127.0.0.1: it starts the
// built Node server (dist/server.js) with a simulated MMDAgent-EX when the run begins and
// hands its address to the page through the virtual module `virtual:test-server`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const serverEntry = fileURLToPath(new URL('../../dist/server.js', import.meta.url));

export function browserTestServerPlugin() {
  let server;
  let sim;
  let info = { url: null, httpUrl: null, path: '/chat' };
  return {
    name: 'mmdagent-test-server',
    async serverStart() {
      if (!existsSync(serverEntry)) return;
      const mod = await import(pathToFileURL(serverEntry).href);
      if (typeof mod.createServer !== 'function') return;
      server = await mod.createServer({
        host: '127.0.0.1',
        port: 0,
        path: '/chat',
        playground: true,
        allowedOrigins: '*',
      });
      const { port } = server.address();
      info = { url: `ws://127.0.0.1:${port}/chat`, httpUrl: `http://127.0.0.1:${port}/`, path: '/chat' };
      if (typeof mod.startSim === 'function') {
        sim = await mod.startSim({ url: info.url, platform: 'windows', retryCount: 20 });
      }
    },
    async serverStop() {
      await sim?.stop?.();
      await server?.close?.();
    },
    resolveImport({ source }) {
      if (source === 'virtual:test-server') return '/__virtual/test-server.js';
    },
    serve(context) {
      if (context.path === '/__virtual/test-server.js') {
        return { body: `export default ${JSON.stringify(info)};`, type: 'js' };
      }
    },
  };
}

// A @web/test-runner plugin that gives browser tests a live server on 127.0.0.1: it starts the
// built Node server (dist/server.js) with a simulated MMDAgent-EX when the run begins and
// hands its address to the page through the virtual module `virtual:test-server`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const serverEntry = fileURLToPath(new URL('../../dist/server.js', import.meta.url));

export function browserTestServerPlugin() {
  let server;
  let sim;
  const tcpSims = [];
  let info = { url: null, httpUrl: null, path: '/chat' };
  return {
    name: 'mmdagent-test-server',
    async serverStart() {
      if (!existsSync(serverEntry)) return;
      const mod = await import(pathToFileURL(serverEntry).href);
      if (typeof mod.createServer !== 'function') return;
      // Plugin_Remote's TCP modes (issue 16): a sim in TCP server mode that the server dials, and
      // (below) one in TCP client mode that dials the server; absent from an older build.
      const tcpServerSim = await mod
        .startSim({ transport: 'tcp-server', port: 0, platform: 'windows' })
        .catch(() => {});
      const tcp = tcpServerSim?.tcpAddress
        ? {
            tcp: [{ port: 0, channel: '/tcp-client' }],
            tcpAgents: [{ port: tcpServerSim.tcpAddress.port, channel: '/tcp-server' }],
          }
        : {};
      if (!tcp.tcp) await tcpServerSim?.stop?.();
      else tcpSims.push(tcpServerSim);
      server = await mod.createServer({
        ...tcp,
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
      if (tcp.tcp) {
        const port = server.tcpAddresses()[0].port;
        tcpSims.push(await mod.startSim({ transport: 'tcp-client', port, platform: 'windows', retryCount: 20 }));
        info.tcp = { client: '/tcp-client', server: '/tcp-server' };
      }
    },
    async serverStop() {
      await sim?.stop?.();
      for (const s of tcpSims) await s.stop();
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

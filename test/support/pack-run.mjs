// What test/pack-runtimes.node.test.ts runs in Node, Deno and Bun inside the scratch app, with the
// package resolved as that runtime resolves it (its own `exports` conditions).
//   pack-run.mjs <ws-url>   the conformance suite, the connect() round trip against <ws-url>
//   pack-run.mjs server     the `./server` entry in this runtime: a server and the simulator,
//                           then a connect() round trip through them
// Prints one JSON line: { runtime, results: [{ name, ok, error?, skipped? }] }.
import * as lib from 'mmdagent-ex-remote';
import { conformance } from './pack-conformance.mjs';

const deno = globalThis.Deno;
const args = deno ? deno.args : process.argv.slice(2);
const runtime = deno ? 'deno' : globalThis.Bun ? 'bun' : 'node';
const results = [];

async function viaServer() {
  const { createServer, startSim } = await import('mmdagent-ex-remote/server');
  const server = await createServer({ host: '127.0.0.1', port: 0, path: '/chat' });
  try {
    const sim = await startSim({ url: server.url, platform: 'windows' });
    try {
      results.push(...(await conformance(lib, { url: server.url, only: ['connect'] })));
    } finally {
      await sim.stop();
    }
  } finally {
    await server.close();
  }
}

async function viaRequire() {
  // require() of an ES module needs Node ≥ 20.19 (22.12 on the 22 line); older ones have no such feature
  if (!process.features?.require_module) {
    results.push({ name: 'require()', ok: true, skipped: `require(esm) is not available in Node ${process.version}` });
    return;
  }
  const { createRequire } = await import('node:module');
  const required = createRequire(import.meta.url)('mmdagent-ex-remote');
  for (const r of await conformance(required, { only: ['framing', 'builder'] })) {
    results.push({ ...r, name: `require(): ${r.name}` });
  }
}

try {
  if (args[0] === 'server') await viaServer();
  else {
    results.push(...(await conformance(lib, { url: args[0] })));
    if (runtime === 'node') await viaRequire();
  }
} catch (err) {
  results.push({ name: 'runner', ok: false, error: String((err && err.stack) || err) });
}
console.log(JSON.stringify({ runtime, results }));
// Leave at once: a socket the runtime keeps half-open must not hold the test up.
if (deno) deno.exit(0);
else process.exit(0);

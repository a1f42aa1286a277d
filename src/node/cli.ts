// The `mmdagent-ex-remote` program (package.json "bin" → dist/node/cli.js). The commands live in
// cli/: main.ts dispatches, io.ts holds the parser and the output every command shares.
import { setFlagsFromString } from 'node:v8';
import { main } from './cli/main.js';

// A relay's per-line objects die young. With V8's allocation-site pretenuring, sites it tenured
// while many connections were being set up kept old-space garbage pointing at young objects: at
// 1,000 agents, 1.1-2 MB promoted per scavenge and pauses 2-4x a plain ws forwarder's, which set
// the delivery p99 (issue 17; bench/server-host.ts runs the benchmark servers the same way).
setFlagsFromString('--no-allocation-site-pretenuring');

process.channel?.unref(); // npm start's IPC channel (scripts/start.mjs) must not keep this process alive
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Should a stray handle keep the loop alive, leave anyway once output had time to flush.
setTimeout(() => process.exit(code), 2000).unref();

// The `mmdagent-ex-remote` program (package.json "bin" → dist/node/cli.js). The commands live in
// cli/: main.ts dispatches, io.ts holds the parser and the output every command shares.
import { main } from './cli/main.js';

process.channel?.unref(); // npm start's IPC channel (scripts/start.mjs) must not keep this process alive
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Should a stray handle keep the loop alive, leave anyway once output had time to flush.
setTimeout(() => process.exit(code), 2000).unref();

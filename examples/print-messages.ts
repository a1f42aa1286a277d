// Example 1 — the first program of MMDAgent-EX's WebSocket guide: a server on port 9001 that
// prints every message MMDAgent-EX sends.
//
//   npx tsx examples/print-messages.ts [--port 9001] [--host 127.0.0.1]     (or PORT=9001)
//
// Point MMDAgent-EX at it with these .mdf lines (examples/README.md):
//   Plugin_Remote_Websocket_Host=localhost
//   Plugin_Remote_Websocket_Port=9001
//   Plugin_Remote_Websocket_Directory=/chat
//   Plugin_Remote_RetryCount=60
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createServer, type MmdServer } from 'mmdagent-ex-remote/server';

export interface PrintOptions {
  port?: number;
  host?: string;
  /** Where lines go; default console.log. */
  log?: (line: string) => void;
}

export async function run(opts: PrintOptions = {}): Promise<MmdServer> {
  const log = opts.log ?? console.log;
  // Every path is a channel, so MMDAgent-EX may use any Plugin_Remote_Websocket_Directory.
  const server = await createServer({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 9001 });
  server.on('agent', (link, info) => {
    log(`MMDAgent-EX connected on ${info.channel}`);
    // One message per line, exactly as it arrived (a cut echo of 2047+ bytes is marked).
    link.on('message', (msg) => log(msg.truncated ? `${msg.line} [cut at 2047 bytes]` : msg.line));
  });
  server.on('agentLeft', (info) => log(`MMDAgent-EX left ${info.channel}`));
  log(`listening on ${server.url} (any path works as the channel)`);
  return server;
}

function isMain(): boolean {
  return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
}

if (isMain()) {
  const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
  const server = await run({ port: Number(values.port ?? process.env.PORT ?? 9001), host: values.host });
  process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
}

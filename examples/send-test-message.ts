// Example 2 — the second program of MMDAgent-EX's WebSocket guide: print every message, and send
// `TEST_MESSAGE` to MMDAgent-EX every 2 seconds. MMDAgent-EX echoes it back (wire.md §10.1), so
// each one shows up in the printed stream too.
//
//   npx tsx examples/send-test-message.ts [--port 9001] [--every 2000]     (or PORT=9001)
//
// .mdf lines: see examples/README.md (the same as example 1).
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createServer, type AgentLink, type MmdServer } from 'mmdagent-ex-remote/server';

export interface TestMessageOptions {
  port?: number;
  host?: string;
  /** Milliseconds between two TEST_MESSAGE lines; default 2000. */
  everyMs?: number;
  log?: (line: string) => void;
}

export interface TestMessageServer {
  server: MmdServer;
  close(): Promise<void>;
}

export async function run(opts: TestMessageOptions = {}): Promise<TestMessageServer> {
  const log = opts.log ?? console.log;
  const server = await createServer({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 9001 });
  const agents = new Set<AgentLink>();
  server.on('agent', (link, info) => {
    log(`MMDAgent-EX connected on ${info.channel}`);
    agents.add(link);
    link.on('message', (msg) => log(msg.line));
    link.on('close', () => agents.delete(link));
  });
  const timer = setInterval(() => {
    for (const link of agents) {
      try {
        link.send('TEST_MESSAGE');
        log('> TEST_MESSAGE');
      } catch (err) {
        // The link closed between two ticks: it will leave `agents` on its close event.
        log(`not sent: ${(err as Error).message}`);
      }
    }
  }, opts.everyMs ?? 2000);
  log(`listening on ${server.url}; sending TEST_MESSAGE every ${(opts.everyMs ?? 2000) / 1000} s`);
  return {
    server,
    async close() {
      clearInterval(timer);
      await server.close();
    },
  };
}

function isMain(): boolean {
  return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
}

if (isMain()) {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, every: { type: 'string' } },
  });
  const app = await run({
    port: Number(values.port ?? process.env.PORT ?? 9001),
    host: values.host,
    everyMs: values.every ? Number(values.every) : undefined,
  });
  process.once('SIGINT', () => void app.close().then(() => process.exit(0)));
}

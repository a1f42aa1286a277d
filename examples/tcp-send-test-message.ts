// Example 7 — program 2 of MMDAgent-EX's guide over Plugin_Remote's raw TCP (wire.md §14): print
// every message and send `TEST_MESSAGE` every 2 seconds; MMDAgent-EX echoes it back. The .mdf
// lines for each mode are in examples/tcp-print-messages.ts.
//
//   npx tsx examples/tcp-send-test-message.ts --mode client [--port 60001] [--every 2000]
//   npx tsx examples/tcp-send-test-message.ts --mode server [--host 127.0.0.1] [--port 60001]
//
// In TCP server mode the app reads ALL its TCP clients into one buffer: if another program is
// connected too, its half-written lines can glue onto ours. Each line here leaves in one write, and
// connectTcp warns when the app announces another client (REMOTE_EVENT_CONNECTED).
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { connectTcp, createServer, type AgentLink } from 'mmdagent-ex-remote/server';

export interface TcpTestMessageOptions {
  mode?: 'client' | 'server';
  port?: number;
  host?: string;
  everyMs?: number;
  log?: (line: string) => void;
}

export async function run(opts: TcpTestMessageOptions = {}): Promise<{ port: number; close(): Promise<void> }> {
  const log = opts.log ?? console.log;
  const links = new Set<AgentLink>();
  const adopt = (link: AgentLink) => {
    links.add(link);
    link.on('message', (msg) => log(msg.line));
    link.on('close', (e) => void (e.reconnecting || links.delete(link)));
  };
  const timer = setInterval(() => {
    for (const link of links) {
      if (!link.connected) continue; // a reconnecting link: its next connection gets the next one
      link.send('TEST_MESSAGE');
      log('> TEST_MESSAGE');
    }
  }, opts.everyMs ?? 2000);
  let port = opts.port ?? 60001;
  let stop: () => Promise<void>;
  if (opts.mode === 'server') {
    const link = await connectTcp({ host: opts.host, port, reconnect: true });
    adopt(link);
    stop = async () => link.close();
  } else {
    const server = await createServer({ port: 0, tcp: [{ port }] });
    server.on('agent', (link) => adopt(link));
    port = server.tcpAddresses()[0].port;
    stop = () => server.close();
  }
  log(
    `${opts.mode === 'server' ? 'dialled' : 'listening on'} TCP port ${port}; ` +
      `TEST_MESSAGE every ${(opts.everyMs ?? 2000) / 1000} s`,
  );
  return {
    port,
    async close() {
      clearInterval(timer);
      await stop();
    },
  };
}

function isMain(): boolean {
  return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
}

if (isMain()) {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      every: { type: 'string' },
    },
  });
  const app = await run({
    mode: values.mode === 'server' ? 'server' : 'client',
    port: Number(values.port ?? process.env.PORT ?? 60001),
    host: values.host,
    everyMs: values.every ? Number(values.every) : undefined,
  });
  process.once('SIGINT', () => void app.close().then(() => process.exit(0)));
}

// Example 6 — program 1 of MMDAgent-EX's guide over Plugin_Remote's raw TCP instead of WebSocket
// (wire.md §14): print every message MMDAgent-EX sends. Two ways round:
//
//   npx tsx examples/tcp-print-messages.ts --mode client [--port 60001]
//     MMDAgent-EX in TCP client mode dials this program. Its .mdf (and no Plugin_Remote_Websocket_Host):
//       Plugin_Remote_EnableClient=true
//       Plugin_Remote_Hostname=127.0.0.1
//       Plugin_Remote_Port=60001
//       Plugin_Remote_RetryCount=60
//
//   npx tsx examples/tcp-print-messages.ts --mode server [--host 127.0.0.1] [--port 60001]
//     MMDAgent-EX in TCP server mode; this program dials it, and again whenever it restarts:
//       Plugin_Remote_EnableServer=true
//       Plugin_Remote_ListenPort=60001
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { connectTcp, createServer, type AgentLink } from 'mmdagent-ex-remote/server';

export interface TcpPrintOptions {
  /** `client`: MMDAgent-EX dials us (default); `server`: we dial MMDAgent-EX. */
  mode?: 'client' | 'server';
  /** client mode: the port we listen on (0: any free one); server mode: the app's ListenPort. Default 60001. */
  port?: number;
  /** server mode: where MMDAgent-EX runs; default 127.0.0.1. */
  host?: string;
  log?: (line: string) => void;
}

export interface TcpPrinter {
  /** client mode: the port MMDAgent-EX must dial. */
  port: number;
  close(): Promise<void>;
}

export async function run(opts: TcpPrintOptions = {}): Promise<TcpPrinter> {
  const log = opts.log ?? console.log;
  const print = (link: AgentLink) =>
    link.on('message', (msg) => log(msg.truncated ? `${msg.line} [cut at 2047 bytes]` : msg.line));
  if (opts.mode === 'server') {
    const port = opts.port ?? 60001;
    // `reconnect`: dial again while the app restarts; setup lines would be re-sent each time.
    const link = await connectTcp({ host: opts.host, port, reconnect: true });
    log(`connected to MMDAgent-EX at ${opts.host ?? '127.0.0.1'}:${port}`);
    print(link);
    return { port, close: async () => link.close() };
  }
  // The WebSocket side (port 0: any free one) serves controllers; the app is the agent of /chat.
  const server = await createServer({ port: 0, tcp: [{ port: opts.port ?? 60001 }] });
  server.on('agent', (link) => {
    log('MMDAgent-EX connected over TCP');
    print(link);
  });
  server.on('agentLeft', () => log('MMDAgent-EX left'));
  const { port } = server.tcpAddresses()[0];
  log(`waiting for MMDAgent-EX on TCP port ${port}`);
  return { port, close: () => server.close() };
}

function isMain(): boolean {
  return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
}

if (isMain()) {
  const { values } = parseArgs({
    options: { mode: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
  });
  const mode = values.mode === 'server' ? 'server' : 'client';
  const app = await run({ mode, port: Number(values.port ?? process.env.PORT ?? 60001), host: values.host });
  process.once('SIGINT', () => void app.close().then(() => process.exit(0)));
}

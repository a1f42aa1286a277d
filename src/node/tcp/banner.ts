// What `mmdagent-ex-remote serve --tcp-port / --tcp-agent` prints: the .mdf lines that make a
// real MMDAgent-EX use the TCP transport this server offers (wire.md §14, mdf.md §4).
import type { TcpAgentOptions, TcpListenOptions } from './server-tcp.js';

export function tcpBannerLines(
  addresses: readonly { port: number }[],
  opts: { tcp?: readonly TcpListenOptions[]; tcpAgents?: readonly TcpAgentOptions[]; path: string },
): string[] {
  const lines: string[] = [];
  (opts.tcp ?? []).forEach((t, i) => {
    lines.push(
      '',
      `For MMDAgent-EX in TCP client mode (agent of ${t.channel ?? opts.path}), these lines instead:`,
      '  Plugin_Remote_EnableClient=true',
      `  Plugin_Remote_Hostname=${t.host && t.host !== 'localhost' ? t.host : '127.0.0.1'}`,
      `  Plugin_Remote_Port=${addresses[i]?.port ?? t.port}`,
      '  Plugin_Remote_RetryCount=60',
      '(without Plugin_Remote_Websocket_Host: MMDAgent-EX does not run WebSocket and TCP together.)',
    );
  });
  for (const a of opts.tcpAgents ?? []) {
    const port = a.port ?? 60001;
    lines.push(
      '',
      `Dialling MMDAgent-EX in TCP server mode at ${a.host ?? '127.0.0.1'}:${port} ` +
        `(agent of ${a.channel ?? opts.path}),`,
      'again whenever it restarts; its .mdf needs:',
      '  Plugin_Remote_EnableServer=true',
      `  Plugin_Remote_ListenPort=${port}`,
      '(ListenPort explicitly: without client mode the app ignores Plugin_Remote_Port and listens on 60001.)',
    );
  }
  return lines;
}

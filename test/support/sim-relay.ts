// A plain TCP relay on 127.0.0.1, as a proxy or an SSH tunnel sits between a server and
// MMDAgent-EX. Bytes from the server that arrive within `coalesceMs` of each other go on in one
// write, so the `101` and a frame the server sent right after it reach the app in one read: the
// case where the real app holds the frame back until more data arrives (wire.md §3.4,
// real-client/session-2026-12.md "Early-frame hold-back"). Bytes from the app pass at once.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface TcpRelay {
  readonly port: number;
  url(path?: string): string;
  /**
   * Stops forwarding in both directions but keeps every connection open and acknowledged, as a
   * proxy in front of an app that vanished without a FIN (a zombie agent, issue 13).
   */
  freeze(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number, opts: { coalesceMs?: number } = {}): Promise<TcpRelay> {
  const coalesceMs = opts.coalesceMs ?? 20;
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((app) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [app, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        app.destroy();
        upstream.destroy();
      });
    }
    app.on('data', (chunk: Buffer) => void (frozen || upstream.write(chunk)));
    let pending: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => {
      if (frozen) return;
      pending.push(chunk);
      if (pending.length > 1) return;
      setTimeout(() => {
        const bytes = Buffer.concat(pending);
        pending = [];
        if (!app.destroyed && !frozen) app.write(bytes);
      }, coalesceMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = '/chat') => `ws://127.0.0.1:${port}${path}`,
    freeze: () => void (frozen = true),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

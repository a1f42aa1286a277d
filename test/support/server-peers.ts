// Controllers for the server's tests: a `ws` client that records every text frame and waits for
// one, on 127.0.0.1 only. Each test file passes its own list of things to close after a test.
import { connect as connectTcp, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { FakeAgent, upgradeRequest } from './fake-agent.js';

export interface Controller {
  ws: WebSocket;
  texts: string[];
  waitText(match: string | RegExp, timeoutMs?: number): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

export function controller(
  url: string,
  open: { close(): unknown }[],
  opts: { protocols?: string[]; headers?: Record<string, string>; autoPong?: boolean } = {},
): Promise<Controller> {
  const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, autoPong: opts.autoPong ?? true });
  open.push({ close: () => ws.terminate() });
  const texts: string[] = [];
  const waiters: { test: (t: string) => boolean; resolve: (t: string) => void }[] = [];
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? `<binary ${(data as Buffer).length}>` : data.toString();
    texts.push(text);
    for (const w of waiters.filter((w) => w.test(text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(text);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const waitText = (match: string | RegExp, timeoutMs = 3000) => {
    const test = (t: string) => (typeof match === 'string' ? t === match : match.test(t));
    const found = texts.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no text ${match} within ${timeoutMs} ms; got ${JSON.stringify(texts.slice(-5))}`)),
        timeoutMs,
      );
      waiters.push({
        test,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, texts, waitText, closed }));
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.once('error', reject);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with the first event `on` reports that passes `test`, or rejects after `timeoutMs`. */
export function nextEvent<T extends unknown[]>(
  on: (cb: (...args: T) => void) => () => void,
  test: (...args: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = on((...args) => {
      if (!test(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

/**
 * A plain TCP relay on 127.0.0.1, as a proxy or an SSH tunnel is: bytes in, bytes out, each read
 * forwarded as one write (so what the server writes in one go reaches the client in one read).
 * `pause()` stops forwarding in both directions without closing anything (a peer that vanished).
 */
export async function tcpRelay(targetPort: number): Promise<{ port: number; pause(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let paused = false;
  const server = createNetServer((client) => {
    const upstream = connectTcp({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (b) => void (paused || upstream.write(b)));
    upstream.on('data', (b) => void (paused || client.write(b)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    pause: () => void (paused = true),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A FakeAgent that treats bytes arriving in the same read as the 101 as MMDAgent-EX's socket
 * library does: they wait until more data comes (wire.md §3.4, session-2026-12.md).
 */
export class HoldingAgent extends FakeAgent {
  static async connectHolding(port: number, path = '/chat'): Promise<HoldingAgent> {
    const { socket, response } = upgradeRequest(port, path, { agent: true });
    const { head, rest } = await response;
    if (!head.startsWith('HTTP/1.1 101 ')) throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`);
    const agent = new HoldingAgent(socket, head, Buffer.alloc(0));
    agent.heldBytes = rest.length;
    if (rest.length) {
      const deliver = (agent as unknown as { onData(chunk: Buffer): void }).onData.bind(agent);
      socket.prependOnceListener('data', () => deliver(rest));
    }
    return agent;
  }

  /** How many bytes came with the 101 and were held back. */
  heldBytes = 0;
}

// A plain `ws` server on 127.0.0.1 (port 0) standing in for the user's server in the simulator's
// tests. It records every upgrade request and every frame the simulated MMDAgent-EX sends, and
// can refuse upgrades with any status line (429 Too Many Requests for wire.md §4.3).
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

export interface Received {
  text: string;
  bytes: Buffer;
  at: number;
  connection: number;
}

export class SimPeer {
  readonly requests: Array<{ path: string; headers: IncomingMessage['headers']; rawHeaders: string[]; at: number }> =
    [];
  readonly frames: Received[] = [];
  readonly sockets: WebSocket[] = [];
  /** Called as soon as a connection is up, in the same tick as the 101 was written. */
  onConnect: (ws: WebSocket) => void = () => {};
  /** Answer for each upgrade request: undefined → accept, else the status line to refuse with. */
  refuse: (path: string, n: number) => string | undefined = () => undefined;
  private readonly wss = new WebSocketServer({ noServer: true, skipUTF8Validation: true, perMessageDeflate: false });
  private waiters: Array<() => void> = [];
  private readonly raw = new Set<Duplex>();

  private constructor(private readonly server: Server) {}

  /** `tls`: serve wss (HTTPS) with this key and certificate, as a TLS server or a terminating proxy would. */
  static async start(port = 0, opts: { tls?: { key: string; cert: string } } = {}): Promise<SimPeer> {
    const notFound = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(404).end();
    const server = opts.tls ? createTlsServer(opts.tls, notFound) : createServer(notFound);
    const peer = new SimPeer(server);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => peer.onUpgrade(req, socket, head));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return peer;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/chat'): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** The secure URL; MMDAgent-EX can reach it only when the port is 443 (wire.md §3.2). */
  wssUrl(path = '/chat'): string {
    return `wss://127.0.0.1:${this.port}${path}`;
  }

  /** The server side of the latest connection. */
  get ws(): WebSocket {
    const ws = this.sockets.at(-1);
    if (!ws) throw new Error('no connection yet');
    return ws;
  }

  texts(connection?: number): string[] {
    return this.frames.filter((f) => connection === undefined || f.connection === connection).map((f) => f.text);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.raw.add(socket);
    socket.on('close', () => this.raw.delete(socket));
    const path = req.url ?? '';
    this.requests.push({ path, headers: req.headers, rawHeaders: req.rawHeaders, at: performance.now() });
    const refusal = this.refuse(path, this.requests.length);
    if (refusal !== undefined) {
      socket.end(`HTTP/1.1 ${refusal}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      this.notify();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = this.sockets.length;
      this.sockets.push(ws);
      ws.on('error', () => {});
      ws.on('message', (data: Buffer) => {
        this.frames.push({ text: data.toString('utf8'), bytes: Buffer.from(data), at: performance.now(), connection });
        this.notify();
      });
      this.onConnect(ws);
      this.notify();
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when `ready()` holds, checking after every peer event and every 5 ms; rejects after `timeoutMs`. */
  until<T>(ready: () => T | undefined | false, timeoutMs = 3000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const poll = setInterval(() => check(), 5);
      const timer = setTimeout(() => {
        settled = true;
        clearInterval(poll);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.texts())}`));
      }, timeoutMs);
      const check = () => {
        if (settled) return;
        const value = ready();
        if (value !== undefined && value !== false) {
          settled = true;
          clearTimeout(timer);
          clearInterval(poll);
          resolve(value);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** The first frame text (of connection `connection`, from index `from`) equal to `text` or matching it. */
  frame(match: string | RegExp, opts: { from?: number; timeoutMs?: number } = {}): Promise<Received> {
    const test = (t: string) => (typeof match === 'string' ? t === match : match.test(t));
    return this.until(() => this.frames.slice(opts.from ?? 0).find((f) => test(f.text)), opts.timeoutMs, String(match));
  }

  connection(n: number, timeoutMs = 3000): Promise<WebSocket> {
    return this.until(() => this.sockets[n], timeoutMs, `connection ${n}`);
  }

  /** Sends one text frame exactly as given (bytes or string), without any validation. */
  send(data: string | Buffer, opts: { binary?: boolean } = {}): void {
    this.ws.send(data, { binary: opts.binary ?? false });
  }

  /** Drops every TCP connection without a close frame. */
  dropAll(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    for (const s of this.raw) s.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 with nothing listening (connections are refused). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

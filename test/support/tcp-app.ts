// A byte-exact stand-in for MMDAgent-EX's TCP modes (wire.md §14), at the socket level so tests see
// every byte: ONE StreamParser for all clients (the app's single pending-bytes buffer), the echo
// of every dispatched line to every client (one write per message), `REMOTE_EVENT_CONNECTED|<ip>`
// to all clients (the newcomer included) when its server accepts one, and
// `REMOTE_EVENT_DISCONNECTED|<ip>` to the rest when one leaves.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { StreamParser } from '../../src/stream-parser.js';

export class TcpApp {
  readonly parser = new StreamParser();
  /** Every byte received, per client, in order. */
  readonly received = new Map<Socket, Buffer[]>();
  /** Lines dispatched to the bus (what the app would act on), in order. */
  readonly dispatched: string[] = [];
  readonly clients = new Set<Socket>();
  #server: Server | undefined;

  /** TCP server mode (Plugin_Remote_EnableServer): listens on 127.0.0.1. */
  async listen(port = 0): Promise<number> {
    const server = createServer((socket) => this.#add(socket, true));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => resolve());
    });
    this.#server = server;
    return (server.address() as { port: number }).port;
  }

  /** TCP client mode (Plugin_Remote_EnableClient): dials the server; no announcement (m_hostname unset). */
  async dial(port: number): Promise<Socket> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    this.#add(socket, false);
    return socket;
  }

  /** Bytes received from `socket` so far, as one buffer. */
  bytesFrom(socket: Socket): Buffer {
    return Buffer.concat(this.received.get(socket) ?? []);
  }

  /** Writes a message to every client, one write each, as the app's send loop does. */
  broadcast(text: string | Buffer): void {
    for (const c of this.clients) c.write(text);
  }

  async waitFor(test: () => boolean, timeoutMs = 3000): Promise<void> {
    for (const end = performance.now() + timeoutMs; !test(); await new Promise((r) => setTimeout(r, 5))) {
      if (performance.now() > end) throw new Error(`fake TCP app: not so within ${timeoutMs} ms`);
    }
  }

  /** Stops listening and drops every client (the app quitting). */
  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #add(socket: Socket, announce: boolean): void {
    this.clients.add(socket);
    this.received.set(socket, []);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.received.get(socket)!.push(chunk);
      for (const event of this.parser.pushFrame(chunk)) {
        if (event.kind !== 'line' || event.route !== 'message') continue;
        this.dispatched.push(event.line);
        this.broadcast(`${event.line}\n`);
      }
    });
    socket.on('close', () => {
      if (!this.clients.delete(socket)) return;
      if (announce) this.broadcast('REMOTE_EVENT_DISCONNECTED|127.0.0.1\n');
    });
    if (announce) this.broadcast('REMOTE_EVENT_CONNECTED|127.0.0.1\n');
  }
}

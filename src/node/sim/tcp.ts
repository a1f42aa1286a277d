// The simulated MMDAgent-EX in Plugin_Remote's TCP modes (wire.md §14): `tcp-client` dials a TCP
// server as Plugin_Remote_EnableClient does, `tcp-server` listens as Plugin_Remote_EnableServer
// does. The process is the same Sim as over WebSocket (same parser, bus, replies, violations);
// a private loopback bridge turns its one WebSocket into the TCP side:
// - each message frame the sim sends is one write to the TCP client(s), as the app's send loop;
// - TCP bytes reach the sim as frames cut like the app's recv(): at most 8191 minus the pending
//   bytes (read from a shadow StreamParser fed the same bytes), so no WebSocket frame rule is
//   ever broken; pending bytes that reach 8191 end the connection (recv of 0 bytes), reported as
//   the WebSocket `overflow`;
// - `__peer_disconnected__` means nothing over TCP (the app checks it only on WebSocket), so a
//   read starting with it is handed over behind `__AV_MESSAGE,`: dispatched and echoed as plain;
// - tcp-server: one input buffer for all clients, as the app's (a partial line from one client
//   glued to another's bytes is the `interleaved` violation), every message to every client,
//   messages queued while no client is connected flushed to the first one, and
//   `REMOTE_EVENT_CONNECTED|<ip>` / `REMOTE_EVENT_DISCONNECTED|<ip>` on the bus.
// What a lost TCP connection does to the real Linux app is not recorded: it is modelled as the
// WebSocket case (docs/sim.md): `linux` dies at the first lost connection (in tcp-server mode: any
// client leaving), `windows` redials (tcp-client) or goes on (tcp-server).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Server as NetServer } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MmdError } from '../../errors.js';
import { AV_MESSAGE_PREFIX, MAX_FRAME_BYTES, PEER_DISCONNECTED } from '../../limits.js';
import { StreamParser } from '../../stream-parser.js';
import { Sim, startSim as startWebSocketSim } from './sim.js';
import type { SimOptions, SimViolationKind } from './types.js';

export type SimTransport = 'websocket' | 'tcp-client' | 'tcp-server';

export interface TcpSimOptions extends Omit<SimOptions, 'url' | 'handshakeTimeoutMs'> {
  transport: 'tcp-client' | 'tcp-server';
  /** tcp-client: Plugin_Remote_Hostname; tcp-server: the address to listen on. Default 127.0.0.1. */
  host?: string;
  /** tcp-client: Plugin_Remote_Port; tcp-server: Plugin_Remote_ListenPort (0: any free port). Default 60001. */
  port?: number;
}

export type WebSocketSimOptions = SimOptions & { transport?: 'websocket' };

/** A Sim in a TCP mode: `tcpAddress` is where it listens (tcp-server) or what it dials (tcp-client). */
export interface TcpSim extends Sim {
  readonly transport: 'tcp-client' | 'tcp-server';
  readonly tcpAddress: { address: string; port: number };
}

const DEFAULT_TCP_PORT = 60001;
/** Messages the app keeps for a TCP server without clients; beyond this the oldest go. */
const MAX_BACKLOG = 4096;
/** The app's client limit (PLUGIN_REMOTE_MAXCLIENT); a 21st client is accepted and never served. */
const MAX_CLIENTS = 20;
const PD = Buffer.from(PEER_DISCONNECTED);
const AV = Buffer.from(AV_MESSAGE_PREFIX);

/**
 * Creates a simulated MMDAgent-EX and waits for its first connection: over WebSocket (`url`, the
 * default transport) or in a TCP mode (`transport: 'tcp-client' | 'tcp-server'`, `host`, `port`).
 * A tcp-server sim is "connected" once it listens. Rejects with ERR_SIM_GAVE_UP, or ERR_USAGE.
 */
export function startSim(opts: TcpSimOptions): Promise<TcpSim>;
export function startSim(opts: WebSocketSimOptions): Promise<Sim>;
export function startSim(opts: WebSocketSimOptions | TcpSimOptions): Promise<Sim>;
export async function startSim(opts: WebSocketSimOptions | TcpSimOptions): Promise<Sim> {
  const transport = (opts as { transport?: unknown })?.transport;
  if (transport === undefined || transport === 'websocket') return startWebSocketSim(opts as SimOptions);
  const tcp = opts as TcpSimOptions;
  const sim = await createSim(tcp);
  try {
    await sim.start();
  } catch (err) {
    await sim.stop();
    throw err;
  }
  return sim;
}

/**
 * A Sim not started yet (call start()), for code that subscribes to its first connection's
 * events (the CLI): over WebSocket a plain `new Sim`, in a TCP mode one with its bridge open.
 */
export function createSim(opts: TcpSimOptions): Promise<TcpSim>;
export function createSim(opts: WebSocketSimOptions | TcpSimOptions): Promise<Sim>;
export async function createSim(opts: WebSocketSimOptions | TcpSimOptions): Promise<Sim> {
  const transport = (opts as { transport?: unknown })?.transport;
  if (transport === undefined || transport === 'websocket') return new Sim(opts as SimOptions);
  if (transport !== 'tcp-client' && transport !== 'tcp-server') {
    throw new MmdError(
      'ERR_USAGE',
      `transport must be 'websocket', 'tcp-client' or 'tcp-server', got ${JSON.stringify(transport)}`,
    );
  }
  const tcp = opts as TcpSimOptions;
  const port = tcp.port ?? DEFAULT_TCP_PORT;
  if (!Number.isInteger(port) || port < (transport === 'tcp-server' ? 0 : 1) || port > 65535) {
    throw new MmdError('ERR_USAGE', `port must be a TCP port (0 to 65535, 0 only to listen), got ${String(tcp.port)}`);
  }
  const bridge = new Bridge(transport, tcp.host ?? '127.0.0.1', port);
  await bridge.open();
  const { transport: _t, host: _h, port: _p, ...rest } = tcp;
  let sim: Sim;
  try {
    sim = new Sim({ ...rest, url: bridge.url });
  } catch (err) {
    await bridge.close();
    throw err;
  }
  bridge.attach(sim);
  Object.defineProperties(sim, {
    transport: { value: transport, enumerable: true },
    tcpAddress: { value: bridge.tcpAddress(), enumerable: true },
  });
  return sim as TcpSim;
}

/** The loopback WebSocket server the Sim talks to, and the TCP side it stands for. */
class Bridge {
  readonly #mode: 'tcp-client' | 'tcp-server';
  readonly #host: string;
  readonly #port: number;
  readonly #http: HttpServer = createHttpServer();
  readonly #wss = new WebSocketServer({ noServer: true, skipUTF8Validation: true, perMessageDeflate: false });
  /** Same bytes as the sim's parser gets: its pending count sizes each read, as recv()'s room does. */
  readonly #shadow = new StreamParser();
  #sim: Sim | undefined;
  #ws: WebSocket | undefined;
  #listener: NetServer | undefined;
  /** tcp-client: the one connection; tcp-server: every served client. */
  readonly #clients = new Set<Socket>();
  readonly #unserved = new Set<Socket>();
  #backlog: Buffer[] = [];
  #early: [Socket, Buffer][] = [];
  #ready = false;
  /** The client whose bytes are pending in the shared buffer (tcp-server). */
  #pendingFrom: Socket | undefined;
  #lastFrom: Socket | undefined;
  #closed = false;
  url = '';

  constructor(mode: 'tcp-client' | 'tcp-server', host: string, port: number) {
    this.#mode = mode;
    this.#host = host;
    this.#port = port;
  }

  async open(): Promise<void> {
    if (this.#mode === 'tcp-server') await this.#listen();
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    this.#http.on('upgrade', (req, socket, head) => void this.#upgrade(req, socket as Socket, head));
    const { port } = this.#http.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}/${this.#mode}/${this.#host}:${this.tcpAddress().port}`;
  }

  tcpAddress(): { address: string; port: number } {
    if (this.#listener) {
      const a = this.#listener.address() as AddressInfo;
      return { address: a.address, port: a.port };
    }
    return { address: this.#host, port: this.#port };
  }

  attach(sim: Sim): void {
    this.#sim = sim;
    void sim.done.then(() => this.close());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of [...this.#clients, ...this.#unserved]) c.destroy();
    this.#ws?.terminate();
    const listener = this.#listener;
    await Promise.all([
      new Promise<void>((resolve) => this.#http.close(() => resolve())),
      listener ? new Promise<void>((resolve) => listener.close(() => resolve())) : undefined,
    ]);
    this.#wss.close();
  }

  // ---- the sim's side ----

  async #upgrade(req: import('node:http').IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    if (this.#closed || this.#ws) return void socket.destroy();
    if (this.#mode === 'tcp-client') {
      const where = `${this.#host}:${this.#port}`;
      try {
        const tcp = await dial(this.#host, this.#port);
        this.#addClient(tcp);
      } catch (err) {
        // The reason phrase is what the sim reports for the attempt (POCO's exception text).
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        socket.end(
          `HTTP/1.1 503 TCP connect to ${where} failed (${code})\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
        return;
      }
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#simConnected(ws));
  }

  #simConnected(ws: WebSocket): void {
    this.#ws = ws;
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => this.#fromSim(data));
    ws.on('close', () => this.#simDropped(ws));
    // Bytes the TCP peer sent meanwhile wait until the sim has read the 101 on its own: bytes in
    // the same read as the 101 would be held back as POCO holds them (wire.md §3.4), which is a
    // WebSocket matter, not a TCP one. The sim counts the connection once it read the 101.
    const sim = this.#sim;
    const before = sim?.connections ?? 0;
    const flush = () => {
      if (this.#ws !== ws) return;
      if (sim && sim.connections === before && ws.readyState === ws.OPEN) return void setTimeout(flush, 1);
      this.#ready = true;
      for (const [socket, chunk] of this.#early.splice(0)) this.#fromClient(socket, chunk);
    };
    flush();
  }

  /** One message the app sends: one write to every client (wire.md §14), or kept until one comes. */
  #fromSim(message: Buffer): void {
    if (this.#clients.size === 0) {
      if (this.#mode === 'tcp-server') {
        this.#backlog.push(message);
        if (this.#backlog.length > MAX_BACKLOG) this.#backlog.shift();
      }
      return;
    }
    for (const c of this.#clients) c.write(message);
  }

  /** The sim dropped its connection (stop, crash, a hazard that ends it): its TCP side goes too. */
  #simDropped(ws: WebSocket): void {
    if (this.#ws !== ws) return;
    this.#ws = undefined;
    this.#ready = false;
    if (this.#mode === 'tcp-client') {
      for (const c of this.#clients) c.destroy();
      return;
    }
    // tcp-server: the client whose bytes caused it is the one the app drops.
    if (this.#sim && ['stopped', 'killed', 'crashed', 'gave-up'].includes(this.#sim.status)) return;
    this.#lastFrom?.destroy();
  }

  // ---- the TCP side ----

  async #listen(): Promise<void> {
    const listener = createNetServer((socket) => this.#accepted(socket));
    listener.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      listener.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new MmdError(
            'ERR_LISTEN',
            `the simulated MMDAgent-EX cannot listen on ${this.#host} port ${this.#port} ` +
              `(${err.code ?? err.message}): ` +
              'pick another port (0 for any free one)',
            { cause: err },
          ),
        ),
      );
      listener.listen({ host: this.#host, port: this.#port, exclusive: true }, () => resolve());
    });
    this.#listener = listener;
  }

  #accepted(socket: Socket): void {
    socket.on('error', () => {});
    if (this.#closed || !this.#ws) return void socket.destroy();
    if (this.#clients.size >= MAX_CLIENTS) {
      this.#unserved.add(socket);
      socket.on('close', () => this.#unserved.delete(socket));
      return;
    }
    this.#addClient(socket);
    for (const message of this.#backlog.splice(0)) socket.write(message);
    this.#sim?.emit(`REMOTE_EVENT_CONNECTED|${ipv4(socket.remoteAddress)}`);
  }

  #addClient(socket: Socket): void {
    socket.setNoDelay(true);
    this.#clients.add(socket);
    socket.on('data', (chunk: Buffer) => this.#fromClient(socket, chunk));
    socket.on('close', () => this.#clientGone(socket));
  }

  /** Bytes from a client, handed to the sim as the app's recv() calls would read them. */
  #fromClient(socket: Socket, chunk: Buffer): void {
    const ws = this.#ws;
    if (this.#closed) return;
    if (!ws || !this.#ready) return void this.#early.push([socket, chunk]);
    if (this.#pendingFrom && this.#pendingFrom !== socket && this.#shadow.pendingBytes > 0) {
      this.#violate(
        'interleaved',
        'wire.md §14',
        `bytes from one TCP client arrived while ${this.#shadow.pendingBytes} bytes of another client's unfinished ` +
          'line were pending: MMDAgent-EX keeps ONE input buffer for all its TCP clients and glues them together; ' +
          'write whole lines in one write, and do not share an app between programs',
      );
    }
    this.#lastFrom = socket;
    let rest = chunk;
    while (rest.length > 0) {
      const room = MAX_FRAME_BYTES - this.#shadow.pendingBytes;
      // The prefix rides inside the read window: the piece shrinks to leave room for it.
      const plain = this.#shadow.pendingBytes === 0 && startsLikePeerDisconnected(rest);
      // recv() with no room returns 0: the app drops the client. The sim reports it as over WebSocket.
      const piece = rest.subarray(0, Math.max(1, plain ? room - AV.length : room));
      rest = rest.subarray(piece.length);
      const frame = plain ? Buffer.concat([AV, piece]) : piece;
      // A refused frame never reaches the sim's parser, so not the shadow's either.
      if (room > 0) this.#shadow.pushFrame(frame);
      ws.send(frame, { binary: false }); // text, as the app's reads are; not validated
      if (room <= 0) break;
    }
    this.#pendingFrom = this.#shadow.pendingBytes > 0 ? socket : undefined;
  }

  #clientGone(socket: Socket): void {
    if (!this.#clients.delete(socket)) return;
    if (this.#pendingFrom === socket) this.#pendingFrom = undefined;
    const sim = this.#sim;
    if (this.#closed || !sim || !this.#ws) return;
    if (this.#mode === 'tcp-client' || sim.platform === 'linux') {
      // The app's removeClient tears the client's avatar down, which kills the Linux build over
      // WebSocket; over TCP it is modelled the same (docs/sim.md). The sim sees its connection lost.
      this.#ws.terminate();
      return;
    }
    sim.emit(`REMOTE_EVENT_DISCONNECTED|${ipv4(socket.remoteAddress)}`);
  }

  #violate(kind: SimViolationKind, rule: string, message: string): void {
    // Sim.violate is the one place a violation is recorded and announced; it is not public API.
    const sink = this.#sim as unknown as { violate?: (k: SimViolationKind, r: string, m: string) => void };
    if (typeof sink?.violate === 'function') sink.violate(kind, rule, message);
  }
}

function startsLikePeerDisconnected(piece: Buffer): boolean {
  const n = Math.min(piece.length, PD.length);
  return n > 0 && piece.subarray(0, n).equals(PD.subarray(0, n));
}

/** The client's address as the app's inet_ntop(AF_INET) writes it. */
function ipv4(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    socket.setTimeout(10_000, () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

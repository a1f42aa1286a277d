// The server's TCP transports (wire.md §14): MMDAgent-EX in TCP client mode dials a port of this
// server (`tcp`), or this server dials MMDAgent-EX in TCP server mode (`tcpAgents`). Either way
// the connection becomes the agent of a channel through the same Channel.acceptAgent a WebSocket
// agent takes: the sync line, `setup`, the relay to controllers, the one-agent rule and events.
// A channel has one agent over one transport: a second one, over either, is refused and told why.
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { MmdError } from '../../errors.js';
import type { Emitter } from '../../emitter.js';
import { RETRY_INTERVAL_MS } from '../../limits.js';
import type { Channel } from '../server/channel.js';
import type { RefusedInfo, ServerEvents } from '../server/server.js';
import { checkChannelPath, isLoopbackHost } from '../server/upgrade.js';
import type { WebSocket } from '../ws-socket.js';
import { TCP_DEFAULT_PORT, dialTcp } from './connect-tcp.js';
import { PeerWatch, type TcpSharedWarning } from './peer-watch.js';
import { TcpSocket } from './tcp-socket.js';

/** MMDAgent-EX as a TCP client (`Plugin_Remote_EnableClient`): it dials this port. */
export interface TcpListenOptions {
  /** Its `Plugin_Remote_Port`; 0 picks a free port (see server.tcpAddresses()). */
  port: number;
  /**
   * Default 127.0.0.1. The app cannot present a secret over TCP, so any other address would let
   * anyone on the network be the agent: refused (ERR_INSECURE_BIND); tunnel to loopback instead.
   */
  host?: string;
  /** The channel it becomes the agent of; default the server's `path` (`/chat`). */
  channel?: string;
}

/** MMDAgent-EX as a TCP server (`Plugin_Remote_EnableServer`): this server dials it, and redials. */
export interface TcpAgentOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Its `Plugin_Remote_ListenPort`; default 60001. */
  port?: number;
  /** The channel it becomes the agent of; default the server's `path` (`/chat`). */
  channel?: string;
}

/** What the server gives its TCP transports. */
export interface TcpHost {
  channel(path: string): Channel;
  report(err: unknown): void;
  readonly policy: { readonly path: string; readonly closeTimeoutMs: number };
  readonly events: Pick<Emitter<ServerEvents>, 'emit'>;
}

export interface TcpTransports {
  /** Where the `tcp` listeners listen, in option order. */
  addresses(): AddressInfo[];
  /** Why a WebSocket agent on `path` is refused, when a TCP agent holds it; undefined otherwise. */
  busyReason(path: string): string | undefined;
  close(): Promise<void>;
}

/** Redial pauses: MMDAgent-EX's own retry interval, doubling up to this while the app restarts. */
const MAX_REDIAL_MS = 5_000;
/** A connection that stayed up this long starts the pauses again from the shortest. */
const STABLE_MS = 5_000;
/** RefusedInfo.status for a TCP agent refused: TCP has no status line, the connection is just ended. */
export const TCP_REFUSED_STATUS = 409;

export async function startTcp(
  host: TcpHost,
  opts: { tcp?: readonly TcpListenOptions[]; tcpAgents?: readonly TcpAgentOptions[] },
): Promise<TcpTransports | undefined> {
  const listens = opts.tcp ?? [];
  const dials = opts.tcpAgents ?? [];
  if (!Array.isArray(listens) || !Array.isArray(dials)) {
    throw new MmdError('ERR_SERVER_OPTION', 'tcp and tcpAgents are lists: [{ port, channel }]');
  }
  if (listens.length === 0 && dials.length === 0) return undefined;
  const seen = new Map<string, string>();
  const claim = (channel: string | undefined, what: string): string => {
    const path = checkChannelPath(channel ?? host.policy.path, `${what} channel`);
    const other = seen.get(path);
    if (other) {
      throw new MmdError(
        'ERR_TRANSPORT_CONFLICT',
        `${what} and ${other} both want channel ${path}, which has one agent at a time: give each its own channel`,
      );
    }
    seen.set(path, what);
    return path;
  };
  const listenSpecs = listens.map((l, i) => {
    const what = `tcp[${i}]`;
    if (!Number.isInteger(l?.port) || l.port < 0 || l.port > 65535)
      throw new MmdError('ERR_SERVER_OPTION', `${what}.port must be 0 to 65535 (MMDAgent-EX's Plugin_Remote_Port)`);
    const h = l.host ?? '127.0.0.1';
    if (!isLoopbackHost(h)) {
      throw new MmdError(
        'ERR_INSECURE_BIND',
        `${what}: listening for TCP agents on ${h} lets anyone on the network be the agent (MMDAgent-EX cannot ` +
          'present a secret over TCP): bind 127.0.0.1 and reach it through a tunnel (ssh -L), or use WebSocket ' +
          'with agentSecret',
      );
    }
    return { host: h, port: l.port, path: claim(l.channel, what) };
  });
  const dialSpecs = dials.map((d, i) => {
    const what = `tcpAgents[${i}]`;
    const port = d?.port ?? TCP_DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new MmdError(
        'ERR_SERVER_OPTION',
        `${what}.port must be 1 to 65535 (MMDAgent-EX's Plugin_Remote_ListenPort)`,
      );
    return { host: d.host ?? '127.0.0.1', port, path: claim(d.channel, what) };
  });
  const transports = new Transports(host);
  try {
    for (const spec of listenSpecs) await transports.listen(spec);
  } catch (err) {
    await transports.close();
    throw err;
  }
  for (const spec of dialSpecs) transports.dial(spec);
  return transports;
}

interface Spec {
  host: string;
  port: number;
  path: string;
}

class Transports implements TcpTransports {
  readonly #host: TcpHost;
  readonly #servers: NetServer[] = [];
  /** Channel path → the TCP agent holding it, and where it came from. */
  readonly #agents = new Map<string, { ws: TcpSocket; where: string }>();
  readonly #sockets = new Set<Socket>();
  readonly #stop = new AbortController();

  constructor(host: TcpHost) {
    this.#host = host;
  }

  addresses(): AddressInfo[] {
    return this.#servers.map((s) => s.address() as AddressInfo);
  }

  busyReason(path: string): string | undefined {
    const agent = this.#agents.get(path);
    if (!agent) return undefined;
    return (
      `ERR_TRANSPORT_CONFLICT: ${path} already has an MMDAgent-EX over TCP (${agent.where}); a channel has one ` +
      'agent over one transport: point this one at another channel'
    );
  }

  listen(spec: Spec): Promise<void> {
    const server = createNetServer({ allowHalfOpen: false });
    server.on('connection', (socket) => {
      this.#arrived(socket, spec, `${spec.host}:${(server.address() as AddressInfo).port}`, false);
    });
    server.on('error', (err) => this.#host.report(err));
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: spec.host, port: spec.port, exclusive: true }, () => {
        server.off('error', reject);
        this.#servers.push(server);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw new MmdError(
        'ERR_LISTEN',
        `cannot listen for TCP agents on ${spec.host} port ${spec.port} (${err.code ?? err.message}): ` +
          (err.code === 'EADDRINUSE'
            ? 'another program (maybe MMDAgent-EX in TCP server mode) listens there: pick another port'
            : 'check the host and port'),
        { cause: err },
      );
    });
  }

  /** Dials MMDAgent-EX's TCP server for good: again after every drop, while the app restarts. */
  dial(spec: Spec): void {
    const where = `${spec.host}:${spec.port}`;
    const run = async () => {
      let failures = 0;
      let toldBusy = false;
      while (!this.#stop.signal.aborted) {
        let busy = false;
        try {
          busy = this.#host.channel(spec.path).refusesAgent(false);
        } catch (err) {
          this.#host.report(err); // maxChannels reached: try again later
          await this.#pause(MAX_REDIAL_MS);
          continue;
        }
        if (busy) {
          // Not even dialled: connecting would add a client to the app (and its shared buffer) for nothing.
          if (!toldBusy) this.#refuse(spec.path, where, undefined);
          toldBusy = true;
          await this.#pause(RETRY_INTERVAL_MS);
          continue;
        }
        toldBusy = false;
        let socket: Socket;
        try {
          socket = await dialTcp(spec.host, spec.port, 10_000, this.#stop.signal);
        } catch {
          await this.#pause(Math.min(MAX_REDIAL_MS, RETRY_INTERVAL_MS * 2 ** failures++));
          continue;
        }
        const since = performance.now();
        const ws = this.#arrived(socket, spec, where, true);
        if (ws) await new Promise<void>((resolve) => ws.on('close', () => resolve()));
        if (performance.now() - since >= STABLE_MS) failures = 0;
        await this.#pause(Math.min(MAX_REDIAL_MS, RETRY_INTERVAL_MS * 2 ** failures++));
      }
    };
    run().catch((err: unknown) => this.#host.report(err));
  }

  async close(): Promise<void> {
    this.#stop.abort();
    const stopped = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const { ws } of this.#agents.values()) ws.close();
    const deadline = performance.now() + this.#host.policy.closeTimeoutMs;
    while (this.#sockets.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(stopped);
  }

  /** A TCP connection to MMDAgent-EX, either way: the channel's agent, or refused. */
  #arrived(socket: Socket, spec: Spec, where: string, dialled: boolean): TcpSocket | undefined {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {}); // 'close' follows
    if (this.#stop.signal.aborted) {
      socket.destroy();
      return undefined;
    }
    let channel: Channel;
    try {
      channel = this.#host.channel(spec.path);
    } catch (err) {
      // More channels than maxChannels: the app is told nothing better than a closed connection.
      this.#host.report(err);
      socket.destroy();
      return undefined;
    }
    // The same app redialling at once after a drop must find its channel free (as for WebSocket).
    channel.dropClosingAgent();
    if (channel.refusesAgent(false)) {
      this.#refuse(spec.path, where, socket.remoteAddress);
      socket.end();
      return undefined;
    }
    const agent = dialled ? where : `${socket.remoteAddress}:${socket.remotePort} on ${where}`;
    const watch = new PeerWatch(dialled, { agent: where, channel: spec.path }, (warning) => {
      console.warn(`[mmdagent-ex-remote] warning: ${warning.message}`);
      this.#host.events.emit('tcpWarning', warning);
    });
    const ws = new TcpSocket(socket, { onMessage: (bytes) => watch.line(bytes) });
    this.#agents.set(spec.path, { ws, where: agent });
    ws.on('close', () => {
      if (this.#agents.get(spec.path)?.ws === ws) this.#agents.delete(spec.path);
    });
    channel.acceptAgent(ws as unknown as WebSocket, socket, false);
    return ws;
  }

  #refuse(path: string, where: string, remoteAddress: string | undefined): void {
    const holder = this.#agents.get(path);
    const reason = holder
      ? `${path} already has an MMDAgent-EX over TCP (${holder.where}); the TCP agent at ${where} was refused: ` +
        'one agent per channel'
      : `ERR_TRANSPORT_CONFLICT: ${path} already has an MMDAgent-EX over WebSocket; the TCP agent at ${where} was ` +
        'refused: a channel has one agent over one transport, give the TCP one its own channel';
    // Told once per refusal (a dialler tells once per busy spell), so nothing is suppressed.
    const info = { status: TCP_REFUSED_STATUS, reason, path, kind: 'agent' as const, remoteAddress, suppressed: 0 };
    this.#host.events.emit('refused', info satisfies Omit<RefusedInfo, 'suppressed'>);
  }

  #pause(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}

export type { TcpSharedWarning };

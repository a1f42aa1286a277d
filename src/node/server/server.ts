/**
 * createServer(): the WebSocket server MMDAgent-EX connects to, with channels, a relay for
 * controllers (browsers, scripts) and the playground's static files.
 *
 * Channels: any request path is a channel (unless `channels` lists the allowed ones), so many
 * MMDAgent-EX terminals can share one server (`/shop1`, `/shop2`, ...). When a list is given,
 * its paths and their `-N` renames (`/chat-1`, `/chat-1-2`, wire.md §4.3) are accepted.
 *
 * Agents are never dropped without need: on Linux the real MMDAgent-EX dies the moment its
 * connection is lost (real-client/notes.md), and a close frame with a payload corrupts its next
 * connection (wire.md §6.3, §7.6). So no close frame with a payload, no UTF-8 validation by `ws`
 * (1007), a payload limit it can never reach (1009), and no termination for a missed pong.
 * Stopping the server (close()) sends agents an empty close frame: that ends a Linux MMDAgent-EX.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { MmdError } from '../../errors.js';
import type { AgentLink } from '../../link.js';
import { setupFrames } from '../../link/setup.js';
import { Emitter } from '../../emitter.js';
import { Channel } from './channel.js';
import type { ChannelEvents, ChannelHost, ChannelInfo, ServerStats } from './channel.js';
import { checkLinePolicy, type LinePolicy } from './commands.js';
import { ConnectionGate, ReportThrottle } from './gate.js';
import { HeartbeatSweep } from './heartbeat.js';
import { handleRequest, hostRefusal } from './http.js';
import { isNoSuchAddress, listenError, waitUntil } from './listen.js';
import type { MmdServer, RefusedInfo, ServerEvents, ServerOptions } from './options.js';
import { resolvePolicy, type Policy } from './policy.js';
import { startTcp, type TcpTransports } from '../tcp/server-tcp.js';
import { joinFleet, type FleetMember } from '../fleet/registry.js';
import { findPackageRoot, type StaticMount } from './static.js';
import {
  TOKEN_PROTOCOL_PREFIX,
  checkChannelPath,
  checkCredential,
  checkList,
  defaultOrigins,
  hostAllowed,
  isAgentRequest,
  isLoopbackHost,
  offeredToken,
  parseTarget,
  refuseUpgrade,
  sameSecret,
} from './upgrade.js';

export { Channel } from './channel.js';
export type {
  AgentInfo,
  AgentLeftInfo,
  AvatarInfo,
  ChannelEvents,
  ChannelInfo,
  ControllerInfo,
  ControllerLeftInfo,
  ServerStats,
} from './channel.js';
export type { ServerPolicy } from './policy.js';
export { UNSAFE_LINE_KINDS } from './commands.js';
export type { ControllerLine, LinePolicy, LineRule, LineSender, UnsafeLineKind } from './commands.js';
export { RELAY_AGENT_CONNECTED, RELAY_AGENT_DISCONNECTED, RELAY_ERROR } from './frames.js';
export { SERVER_DEFAULTS } from './policy.js';
export { TOKEN_PROTOCOL_PREFIX } from './upgrade.js';

export type { MmdServer, RefusedInfo, ServerEvents, ServerOptions } from './options.js';

export async function createServer(options: ServerOptions = {}): Promise<MmdServer> {
  const server = new RelayServer(options);
  await server.listen();
  try {
    server.tcp = await startTcp(server, options);
  } catch (err) {
    await server.close();
    throw err;
  }
  if (options.fleet) {
    try {
      server.fleet = await joinFleet(server, options.fleet);
    } catch (err) {
      await server.close();
      throw err;
    }
  }
  return server;
}

class RelayServer implements MmdServer, ChannelHost {
  readonly policy: Policy;
  readonly counters: ServerStats = {
    channels: 0,
    agents: 0,
    controllers: 0,
    refusedUpgrades: 0,
    slowConsumerDisconnects: 0,
    deadControllerTerminations: 0,
    deadAgentTakeovers: 0,
    refusedConnections: 0,
    refusedControllerFrames: 0,
    rateLimitedFrames: 0,
    framesToAgents: 0,
    framesToControllers: 0,
    socketErrors: 0,
  };
  readonly setupFrames: string[];
  readonly events: Emitter<ServerEvents>;
  readonly options: ServerOptions;
  private readonly allowedPaths: RegExp[] | undefined;
  private readonly channelMap = new Map<string, Channel>();
  private readonly httpServers: HttpServer[] = [];
  private readonly agentWss: WebSocketServer;
  private readonly controllerWss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  readonly mounts: StaticMount[] = [];
  origins: Set<string> | '*' = new Set();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  private readonly gate: ConnectionGate;
  private readonly refusalThrottle: ReportThrottle;
  /** Made per process, never configured: only code holding this server can start a stand-in. */
  private readonly standInSecret: string | undefined;
  tcp: TcpTransports | undefined;
  fleet: FleetMember | undefined;

  constructor(options: ServerOptions) {
    this.options = options;
    this.policy = resolvePolicy(options);
    this.gate = new ConnectionGate(this.policy);
    this.refusalThrottle = new ReportThrottle(this.policy.refusalReportsPerSecond);
    checkChannelPath(this.policy.path, 'path');
    if (options.token !== undefined) checkCredential(options.token, 'token');
    if (options.agentSecret !== undefined) checkCredential(options.agentSecret, 'agentSecret');
    // Hex: the 429 renaming appends `-N` after the query (wire.md §4.3), so no `-` inside.
    this.standInSecret = options.standIn ? randomBytes(18).toString('hex') : undefined;
    if (options.tls !== undefined && !(options.tls?.cert && options.tls?.key)) {
      throw new MmdError(
        'ERR_SERVER_OPTION',
        'tls needs { cert, key }: the PEM of a certificate and of its private key',
      );
    }
    if (!isLoopbackHost(this.policy.host) && options.token === undefined) {
      throw new MmdError(
        'ERR_INSECURE_BIND',
        `listening on ${this.policy.host} exposes the relay to the network: pass a controller token (token ` +
          `option, --token) or bind 127.0.0.1 (see docs/security.md)`,
      );
    }
    // Without it, anyone may connect first as the agent, read every controller's lines and answer
    // with forged events, while the real app is pushed to <path>-1 (issue 13).
    if (!isLoopbackHost(this.policy.host) && options.agentSecret === undefined) {
      throw new MmdError(
        'ERR_INSECURE_BIND',
        `listening on ${this.policy.host} lets anyone on the network be the agent: pass an agent secret ` +
          `(agentSecret option, --agent-secret) and set Plugin_Remote_Websocket_Directory=/chat?secret=<it>, or ` +
          `bind 127.0.0.1 (see docs/security.md)`,
      );
    }
    if (options.viewerToken !== undefined) {
      checkCredential(options.viewerToken, 'viewerToken');
      if (options.token === undefined || options.viewerToken === options.token)
        throw new MmdError(
          'ERR_SERVER_OPTION',
          'viewerToken needs a token for full controllers, different from it: without one every controller may ' +
            'send anyway',
        );
    }
    if (typeof options.lines !== 'function') checkLinePolicy(options.lines);
    checkList(options.channels, 'channels', 'any');
    checkList(options.allowedOrigins, 'allowedOrigins', '*');
    checkList(options.allowedHosts, 'allowedHosts', '*');
    this.allowedPaths =
      options.channels === undefined || options.channels === 'any'
        ? undefined
        : options.channels.map((p) => new RegExp(`^${escapeRegExp(checkChannelPath(p, 'channel'))}(?:-\\d+)*$`));
    this.setupFrames = setupFrames(options.setup);
    // The emitter already hands a listener's error to 'error' listeners; what is left (no 'error'
    // listener, or one that threw) is logged: an exception here would end every Linux agent.
    this.events = new Emitter<ServerEvents>({ unhandled: logError });
    const common = {
      noServer: true,
      skipUTF8Validation: true,
      perMessageDeflate: false,
      clientTracking: false,
    } as const;
    this.agentWss = new WebSocketServer({ ...common, maxPayload: this.policy.agentMaxPayloadBytes });
    this.controllerWss = new WebSocketServer({
      ...common,
      maxPayload: this.policy.controllerMaxPayloadBytes,
      // Select the token subprotocol the browser offered, or it fails the connection.
      handleProtocols: (protocols) => [...protocols].find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX)) ?? false,
    });
    this.agentWss.on('error', (err) => this.report(err));
    this.controllerWss.on('error', (err) => this.report(err));
    if (options.playground) {
      const root = findPackageRoot(import.meta.url);
      if (root) {
        this.mounts.push(
          { prefix: '/playground/', root: join(root, 'playground') },
          { prefix: '/dist/', root: join(root, 'dist') },
        );
      }
    }
  }

  // ---- public API --------------------------------------------------------------------------

  get url(): string {
    return `${this.options.tls ? 'wss' : 'ws'}://${this.displayHost()}:${this.address().port}${this.policy.path}`;
  }

  get httpUrl(): string {
    return `${this.options.tls ? 'https' : 'http'}://${this.displayHost()}:${this.address().port}/`;
  }

  standInUrl(path: string = this.policy.path): string {
    if (!this.standInSecret) {
      throw new MmdError('ERR_SERVER_OPTION', 'standInUrl() needs createServer({ standIn: true })');
    }
    const base = this.url.slice(0, this.url.length - this.policy.path.length);
    const secret = this.options.agentSecret === undefined ? '' : `&secret=${this.options.agentSecret}`;
    return `${base}${checkChannelPath(path, 'path')}?standin=${this.standInSecret}${secret}`;
  }

  address(): AddressInfo {
    return this.addresses()[0];
  }

  addresses(): AddressInfo[] {
    return this.httpServers
      .map((s) => s.address())
      .filter((a): a is AddressInfo => typeof a === 'object' && a !== null);
  }

  channel(path: string): Channel {
    const channel = this.channelFor(checkChannelPath(path, 'channel path'));
    if (!channel)
      throw new MmdError('ERR_SERVER_OPTION', `more than ${this.policy.maxChannels} channels: raise maxChannels`);
    channel.pinned = true;
    return channel;
  }

  channels(): ChannelInfo[] {
    return [...this.channelMap.values()].map((c) => c.info()).sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  channelObjects(): Iterable<Channel> {
    return this.channelMap.values();
  }

  stats(): ServerStats {
    return { ...this.counters, channels: this.channelMap.size };
  }

  tcpAddresses(): AddressInfo[] {
    return this.tcp?.addresses() ?? [];
  }

  on<K extends keyof ServerEvents>(event: K, cb: (...args: ServerEvents[K]) => void): () => void {
    return this.events.on(event, cb);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- ChannelHost ---------------------------------------------------------------------------

  linePolicy(channel: string): LinePolicy | undefined {
    const lines = this.options.lines;
    return typeof lines === 'function' ? checkLinePolicy(lines(channel), `lines(${channel})`) : lines;
  }

  emit<K extends keyof ChannelEvents>(event: K, ...args: ChannelEvents[K]): void {
    this.events.emit(event, ...(args as ServerEvents[K]));
  }

  release(channel: Channel): void {
    if (channel.empty && !channel.pinned && this.channelMap.get(channel.path) === channel)
      this.channelMap.delete(channel.path);
  }

  readonly report = (err: unknown): void => {
    if (this.events.has('error')) this.events.emit('error', err);
    else logError(err);
  };

  // ---- listening -----------------------------------------------------------------------------

  async listen(): Promise<void> {
    const { host, port } = this.policy;
    const hosts = host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
    // With port 0 the second address must get the first one's port; retry if that one is taken there.
    for (let attempt = 0; ; attempt++) {
      try {
        const first = await this.listenOn(hosts[0], port);
        const bound = (first.address() as AddressInfo).port;
        for (const h of hosts.slice(1)) {
          try {
            await this.listenOn(h, bound);
          } catch (err) {
            if (isNoSuchAddress(err)) continue; // no IPv6 loopback on this machine
            throw err;
          }
        }
        break;
      } catch (err) {
        await Promise.all(this.httpServers.splice(0).map((s) => new Promise((r) => s.close(r))));
        if (port === 0 && attempt < 4 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw listenError(err, hosts, port);
      }
    }
    const port0 = this.address().port;
    const allowed = this.options.allowedOrigins;
    if (allowed === '*') this.origins = '*';
    else if (allowed) this.origins = new Set(allowed.map((o) => o.toLowerCase()));
    else {
      this.origins = new Set(defaultOrigins(host, port0, this.options.tls !== undefined));
    }
    this.channelFor(this.policy.path)!.pinned = true;
    this.heartbeatTimer = new HeartbeatSweep(this.policy.heartbeatMs, () => this.channelMap.values()).start();
  }

  private listenOn(host: string, port: number): Promise<HttpServer> {
    const tls = this.options.tls;
    let http: HttpServer;
    try {
      // A connection that has not sent its request within the handshake timeout is closed (Node
      // checks every connectionsCheckingInterval); silent sockets were held ~90 s (issue 13).
      const timeouts = {
        headersTimeout: this.policy.handshakeTimeoutMs,
        requestTimeout: this.policy.handshakeTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, this.policy.handshakeTimeoutMs),
      };
      http = tls
        ? createHttpsServer({
            cert: tls.cert,
            key: tls.key,
            handshakeTimeout: this.policy.handshakeTimeoutMs,
            ...timeouts,
          })
        : createHttpServer(timeouts);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return Promise.reject(
        new MmdError(
          'ERR_SERVER_OPTION',
          `tls: the certificate or key cannot be used (${why}); pass PEM text or Buffers`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen({ host, port, exclusive: true }, () => {
        http.off('error', reject);
        http.on('error', (err) => this.report(err));
        // With TLS, what upgrades (req.socket) is the TLS socket; the raw one before it is bounded by
        // the TLS handshake timeout.
        http.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => this.onConnection(socket));
        http.on('request', (req, res) => {
          this.gate.done(req.socket as Socket);
          res.on('error', () => this.counters.socketErrors++);
          handleRequest(this, req, res);
        });
        http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
        http.on('clientError', (_err, socket) => {
          if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          else socket.destroy();
        });
        this.httpServers.push(http);
        resolve(http);
      });
    });
  }

  private displayHost(): string {
    const host = this.policy.host === '0.0.0.0' ? '127.0.0.1' : this.policy.host === '::' ? '::1' : this.policy.host;
    return host.includes(':') ? `[${host}]` : host;
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private onConnection(socket: Socket): void {
    const refusal = this.gate.admit(socket);
    if (refusal === undefined) return;
    this.counters.refusedConnections++;
    socket.on('error', () => this.counters.socketErrors++);
    socket.destroy();
    this.reportRefusal({
      status: 0,
      reason: refusal,
      path: '',
      kind: 'connection',
      remoteAddress: socket.remoteAddress,
    });
  }

  private reportRefusal(info: Omit<RefusedInfo, 'suppressed'>): void {
    const suppressed = this.refusalThrottle.take();
    if (suppressed !== undefined) this.events.emit('refused', { ...info, suppressed });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The raw socket can fail before ws owns it (a client resetting mid-handshake).
    socket.on('error', () => this.counters.socketErrors++);
    const isAgent = isAgentRequest(req);
    const kind = isAgent ? 'agent' : 'controller';
    // Without the query: it may carry ?token= or ?secret=, and refusals end up in logs.
    const refuse = (status: number, reason: string, path = (req.url ?? '').split('?')[0]) => {
      this.counters.refusedUpgrades++;
      this.gate.done(req.socket);
      refuseUpgrade(socket, status, reason);
      this.reportRefusal({ status, reason, path, kind, remoteAddress: req.socket.remoteAddress });
    };
    if (this.closing)
      return refuse(503, 'ERR_SERVER_CLOSED: the server is shutting down; connect again once it is back');
    if (!hostAllowed(req.headers.host, this.policy.host, this.options.allowedHosts))
      return refuse(403, hostRefusal(req.headers.host));
    const target = parseTarget(req.url ?? '/', isAgent);
    if (!target) return refuse(404, 'not a channel path: use "/" followed by printable ASCII without "|" (e.g. /chat)');
    const { channel: path, query } = target;
    if (this.allowedPaths && !this.allowedPaths.some((re) => re.test(path))) {
      return refuse(404, `no channel ${path} on this server`, path);
    }
    if (isAgent) {
      // Real MMDAgent-EX sends no Origin (wire.md §3.1); a request with one comes from a browser page.
      if (req.headers.origin !== undefined)
        return refuse(
          403,
          'ERR_ORIGIN: an MMDAgent-EX connection carries no Origin header; browsers connect as controllers ' +
            '(without X-App-Type)',
          path,
        );
      if (this.options.agentSecret !== undefined && !sameSecret(query.get('secret'), this.options.agentSecret)) {
        return refuse(
          401,
          `ERR_UNAUTHORIZED: agent secret missing or wrong: set ` +
            `Plugin_Remote_Websocket_Directory=${path}?secret=<agentSecret>`,
          path,
        );
      }
      const offeredStandIn = query.get('standin');
      const standIn = offeredStandIn !== null;
      if (standIn && !(this.standInSecret && sameSecret(offeredStandIn, this.standInSecret))) {
        return refuse(401, 'ERR_UNAUTHORIZED: stand-in secret wrong: connect with server.standInUrl()', path);
      }
      // MMDAgent-EX redials at once after a drop, often before `ws` reports the old socket closed;
      // a 429 then would move it to `<path>-1` (wire.md §4.3), away from its app and controllers.
      this.channelMap.get(path)?.dropClosingAgent();
      // One that vanished without a FIN keeps its channel until it misses a pong; then a new agent
      // (the restarted app) takes it instead of landing on <path>-1 (issue 13).
      // A TCP agent answers no pings (tcp-socket.ts): only WebSocket agents are judged by pongs.
      const heldOverTcp = this.tcp?.busyReason(path) !== undefined;
      if (!standIn && !heldOverTcp) this.channelMap.get(path)?.dropDeadAgent();
      const channel = this.channelFor(path);
      if (!channel)
        return refuse(
          503,
          `too many channels (${this.policy.maxChannels}): close unused ones or raise maxChannels`,
          path,
        );
      const accept = () => {
        // "Too Many Requests" makes MMDAgent-EX retry on `<path>-N` (wire.md §4.3).
        if (channel.refusesAgent(standIn))
          return refuse(429, this.tcp?.busyReason(path) ?? `${path} already has an MMDAgent-EX`, path);
        releaseOnFailure(socket, channel, this);
        this.agentWss.handleUpgrade(req, socket, head, (ws) => {
          this.gate.done(req.socket);
          this.track(ws);
          channel.acceptAgent(ws, socket, standIn);
        });
      };
      if (standIn || heldOverTcp || !channel.refusesAgent(false)) return accept();
      // Before a 429 sends this app to <path>-1, make sure the one holding the channel is alive: a
      // restarted app finds its old connection still open when the old one vanished without a FIN.
      void channel.probeAgent(this.policy.agentProbeMs).then(() => {
        if (socket.destroyed || this.closing) return;
        channel.dropDeadAgent();
        accept();
      });
      return;
    }
    const offered = offeredToken(req, query).token;
    const viewer = this.options.viewerToken !== undefined && sameSecret(offered, this.options.viewerToken);
    if (this.options.token !== undefined && !viewer && !sameSecret(offered, this.options.token)) {
      return refuse(
        401,
        'ERR_UNAUTHORIZED: controller token missing or wrong: connect with ?token=<token> or the subprotocol ' +
          'mmdagent-token.<token>',
        path,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && this.origins !== '*' && !this.origins.has(origin.toLowerCase())) {
      return refuse(
        403,
        `ERR_ORIGIN: origin ${origin} is not allowed: open the page from this server, or start it with ` +
          `allowedOrigins including ${origin}`,
        path,
      );
    }
    const channel = this.channelFor(path);
    if (!channel)
      return refuse(
        503,
        `too many channels (${this.policy.maxChannels}): close unused ones or raise maxChannels`,
        path,
      );
    if (channel.controllers >= this.policy.maxControllersPerChannel) {
      return refuse(
        503,
        `${path} already has ${this.policy.maxControllersPerChannel} controllers: close one or raise ` +
          `maxControllersPerChannel`,
        path,
      );
    }
    releaseOnFailure(socket, channel, this);
    this.controllerWss.handleUpgrade(req, socket, head, (ws) => {
      this.gate.done(req.socket);
      this.track(ws);
      channel.acceptController(ws, socket, req.socket.remoteAddress, viewer);
    });
  }

  private channelFor(path: string): Channel | undefined {
    let channel = this.channelMap.get(path);
    if (!channel) {
      if (this.channelMap.size >= this.policy.maxChannels) return undefined;
      channel = new Channel(path, this);
      this.channelMap.set(path, channel);
    }
    return channel;
  }

  private track(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
  }

  // ---- shutdown ----------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.tcp?.close();
    await this.fleet?.close();
    const stopped = this.httpServers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.httpServers) s.closeIdleConnections();
    for (const channel of this.channelMap.values()) channel.closeAll();
    await waitUntil(() => this.sockets.size === 0, this.policy.closeTimeoutMs);
    for (const ws of this.sockets) ws.terminate();
    for (const s of this.httpServers) s.closeAllConnections();
    await Promise.all(stopped);
    this.agentWss.close();
    this.controllerWss.close();
  }
}

/**
 * A handshake that `ws` refuses (a bad key, a peer gone) never reaches its callback: the channel
 * made for it must not stay, or enough of them lock every new path out (maxChannels).
 */
function releaseOnFailure(socket: Duplex, channel: Channel, host: { release(channel: Channel): void }): void {
  socket.once('close', () => host.release(channel)); // a no-op while the channel is in use
}

function logError(err: unknown): void {
  console.error('[mmdagent-ex-remote] error:', err);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export type { AgentLink };

// One channel = one request path: at most one MMDAgent-EX (the agent) and any number of
// controllers. The relay rules live here; sockets are accepted by server.ts.
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from '../ws-socket.js';
import { Emitter } from '../../emitter.js';
import { MmdError, isMmdError } from '../../errors.js';
import { PEER_DISCONNECTED } from '../../limits.js';
import { AgentLink } from '../../link.js';
import type { Message } from '../../message.js';
import {
  RELAY_AGENT_CONNECTED,
  RELAY_AGENT_DISCONNECTED,
  agentAvatarState,
  agentLineFrame,
  agentText,
  avatarSwitch,
  checkSndFrame,
  controllerLines,
  isAgentLineFrame,
  relayErrorLine,
  relayStatusLine,
} from './frames.js';
import { checkControllerLine, checkMaySend } from './commands.js';
import { LinkSocket, corkTick, rawBytes, type Corkable } from './peers.js';
import { RateWindow, checkAgentRoom, isSlowConsumer } from './policy.js';
import type { ChannelEvents, ChannelHost, ChannelInfo, ChannelTraffic, ControllerInfo } from './types.js';

export type {
  AgentInfo,
  AgentLeftInfo,
  AvatarInfo,
  ChannelEvents,
  ChannelHost,
  ChannelInfo,
  ChannelTraffic,
  ControllerInfo,
  ControllerLeftInfo,
  ServerStats,
} from './types.js';

interface AgentPeer extends Corkable {
  /** Connected as the stand-in (server.standInUrl): yields its channel to a real MMDAgent-EX. */
  standIn: boolean;
  link?: AgentLink;
  linkSocket?: LinkSocket;
  since?: Date;
  /** The sync line until its echo is seen, or LATE_SYNC_FRAMES agent frames after the agent is ready. */
  syncLine?: string;
  syncTimer?: ReturnType<typeof setTimeout>;
  /** The sync line went out (after the agent's first frame or syncGapMs). */
  syncSent?: boolean;
  lateSyncFrames: number;
  /** The server app switched avatar control on (setup or its own sends) and not off since. */
  serverAvatar: boolean;
  /** Avatar control as the agent last reported it; a new connection starts with it off (wire.md §9.2). */
  avatar: boolean;
  /** A ping is out without its pong yet; `missedPongs` counts heartbeats that found one still out. */
  pingOut: boolean;
  missedPongs: number;
  /** Called at the next pong (probeAgent). */
  onPong: (() => void)[];
}

interface ControllerPeer extends Corkable {
  info: ControllerInfo;
  alive: boolean;
  leaving: boolean;
  rate: RateWindow;
  lineRate: RateWindow;
  /** When this controller was last told it is over a rate: at most once a second. */
  rateToldAt: number;
}

const OPEN = 1;

/**
 * Agent frames after a sync timeout that may still carry the sync echo (a busy MMDAgent-EX answers
 * late). Bounded so that an echo that never comes costs nothing for good.
 */
const LATE_SYNC_FRAMES = 1024;

export class Channel {
  readonly path: string;
  private readonly host: ChannelHost;
  private readonly emitter: Emitter<ChannelEvents>;
  private agentPeer: AgentPeer | undefined;
  /** Lines all controllers of this channel may send per second, together. */
  private readonly lineRate: RateWindow;
  /** A stand-in waiting while a real MMDAgent-EX holds the channel. */
  private parked: AgentPeer | undefined;
  private readonly controllerPeers = new Set<ControllerPeer>();
  /** Kept while the user holds it (server.channel()) or it is the configured path. */
  pinned = false;
  /** Frames this channel carried since it was created, for GET /metrics. */
  readonly traffic: ChannelTraffic = { framesToAgent: 0, framesToControllers: 0, refusedFrames: 0 };

  constructor(path: string, host: ChannelHost) {
    this.path = path;
    this.host = host;
    this.emitter = new Emitter<ChannelEvents>({ unhandled: host.report });
    this.lineRate = new RateWindow(host.policy.channelLinesPerSecond);
  }

  /** The connected MMDAgent-EX, once its setup was sent; undefined otherwise. */
  get agent(): AgentLink | undefined {
    return this.agentPeer?.link;
  }

  /** When the current agent became ready. */
  get agentSince(): Date | undefined {
    return this.agentPeer?.since;
  }

  /** The agent's avatar control as it last reported it (AVATAR|START / END); false without an agent. */
  get avatarEnabled(): boolean {
    return this.agentPeer?.avatar ?? false;
  }

  /** True while an agent holds the channel, ready or still syncing (a second one gets 429). */
  get busy(): boolean {
    return this.agentPeer !== undefined;
  }

  get controllers(): number {
    return this.controllerPeers.size;
  }

  get empty(): boolean {
    return !this.agentPeer && !this.parked && this.controllerPeers.size === 0;
  }

  info(): ChannelInfo {
    return {
      path: this.path,
      agent: this.agent !== undefined,
      agentSince: this.agentSince?.toISOString() ?? null,
      controllers: this.controllers,
      standIn: this.agent !== undefined && this.agentPeer!.standIn,
    };
  }

  on<K extends keyof ChannelEvents>(event: K, cb: (...args: ChannelEvents[K]) => void): () => void {
    return this.emitter.on(event, cb);
  }

  /**
   * Sends one validated line to the agent as a frame of its own, through its AgentLink. Throws
   * ERR_NO_AGENT without a ready agent, ERR_BACKPRESSURE when the agent's send buffer is full, or
   * the line's own error.
   */
  send(msg: Message | string): void {
    this.readyAgent().link!.send(msg);
  }

  // ---- agent -------------------------------------------------------------------------------

  /**
   * A new MMDAgent-EX connection. It first gets `MMDSDK_SYNC|<nonce>`; once the echo is back (the
   * reassembly buffer is clean and POCO's handshake buffer is flushed, wire.md §3.4, §12) or
   * `syncTimeoutMs` passed, the setup lines follow and the agent is announced.
   */
  acceptAgent(ws: WebSocket, socket: Duplex, standIn = false): void {
    const peer: AgentPeer = {
      ws,
      socket,
      corked: false,
      standIn,
      lateSyncFrames: LATE_SYNC_FRAMES,
      serverAvatar: false,
      avatar: false,
      pingOut: false,
      missedPongs: 0,
      onPong: [],
    };
    this.host.counters.agents++;
    // A vanished peer (no FIN) is found by the kernel too, not only by our pings (issue 13).
    (socket as Partial<Socket>).setKeepAlive?.(true, this.host.policy.agentKeepAliveMs);
    ws.on('error', () => this.host.counters.socketErrors++);
    ws.on('pong', () => {
      peer.pingOut = false;
      peer.missedPongs = 0;
      for (const done of peer.onPong.splice(0)) done();
    });
    ws.on('message', (data, isBinary) => this.onAgentFrame(peer, rawBytes(data), isBinary));
    ws.on('close', () => this.onAgentClose(peer));
    const current = this.agentPeer;
    if (standIn && current) {
      this.parked = peer; // a real MMDAgent-EX holds the channel: wait until it leaves
      return;
    }
    if (current?.standIn) this.yieldStandIn(current);
    this.attachAgent(peer);
  }

  /**
   * Whether a new agent must be answered 429 (wire.md §4.3). A real MMDAgent-EX takes the channel
   * from a stand-in; a stand-in arriving while a real one is there waits, parked (one at most).
   */
  refusesAgent(standIn: boolean): boolean {
    const current = this.agentPeer;
    if (!current) return false;
    return standIn ? current.standIn || this.parked !== undefined : !current.standIn;
  }

  /** Makes `peer` the channel's agent: the sync step, then setup and the announcement. */
  private attachAgent(peer: AgentPeer): void {
    this.agentPeer = peer;
    peer.syncLine = `MMDSDK_SYNC|${randomBytes(6).toString('hex')}`;
    peer.syncSent = false;
    peer.lateSyncFrames = LATE_SYNC_FRAMES;
    peer.serverAvatar = peer.avatar = false;
    // Nothing may ride in the handshake's read: MMDAgent-EX's socket library keeps bytes that came
    // with the 101 where its select() cannot see them until more data arrives (wire.md §3.4;
    // through a TCP relay the sync stalled 1.5 s, session-2026-12.md). The agent's first frame
    // proves that read is over; a reconnecting app sends none, so a gap bounds the wait.
    peer.syncTimer = setTimeout(() => this.sendSync(peer), this.host.policy.syncGapMs);
  }

  /** The stand-in steps aside for a real MMDAgent-EX: the app and controllers see it leave; its connection stays. */
  private yieldStandIn(peer: AgentPeer): void {
    clearTimeout(peer.syncTimer);
    this.agentPeer = undefined;
    this.parked = peer;
    this.announceLeft(peer);
    peer.linkSocket?.detach('the stand-in yielded its channel to MMDAgent-EX');
    peer.link = peer.linkSocket = peer.since = undefined;
  }

  private sendSync(peer: AgentPeer): void {
    if (peer.syncSent) return;
    peer.syncSent = true;
    clearTimeout(peer.syncTimer);
    if (this.agentPeer !== peer || peer.ws.readyState !== OPEN) return;
    peer.syncTimer = setTimeout(() => this.agentReady(peer), this.host.policy.syncTimeoutMs);
    this.sendRawToAgent(peer, `${peer.syncLine}\n`);
  }

  private agentReady(peer: AgentPeer): void {
    if (peer.link || this.agentPeer !== peer || peer.ws.readyState !== OPEN) return;
    clearTimeout(peer.syncTimer);
    // Per-connection state is lost on every reconnect (wire.md §9.1), so setup goes to every connection.
    for (const frame of this.host.setupFrames) {
      peer.serverAvatar = avatarSwitch(frame) ?? peer.serverAvatar;
      this.sendRawToAgent(peer, frame);
    }
    peer.linkSocket = new LinkSocket(peer.ws, (data) => this.sendFromLink(peer, data));
    // No bound of the link's own: every send reaches sendFromLink, where the policy's one rule applies.
    peer.link = new AgentLink(peer.linkSocket, { maxBufferedBytes: Infinity });
    // A user's listener that throws must not reach the process: that would end every Linux agent.
    peer.link.on('error', this.host.report);
    peer.since = new Date();
    this.broadcast(relayStatusLine(RELAY_AGENT_CONNECTED, this.path));
    const info = { channel: this.path, standIn: peer.standIn };
    this.host.emit('agent', peer.link, info);
    this.emitter.emit('agent', peer.link, info);
  }

  private onAgentFrame(peer: AgentPeer, bytes: Buffer, isBinary: boolean): void {
    if (bytes.length === 0 || this.agentPeer !== peer) return; // a parked stand-in, or one let go
    if (!peer.syncSent) this.sendSync(peer);
    if (peer.syncLine !== undefined) {
      if (bytes.includes(peer.syncLine)) {
        // Our own sync echo (maybe with stale bytes in front, wire.md §7.6), even a late one: not
        // the controllers' or the link's business.
        peer.syncLine = undefined;
        this.agentReady(peer);
        return;
      }
      if (peer.link && --peer.lateSyncFrames === 0) peer.syncLine = undefined;
    }
    // MMDAgent-EX sends text; its text may be cut inside a character (wire.md §5.1). Valid
    // frames are forwarded as they are, others re-encoded with U+FFFD.
    const payload = !isBinary && isUtf8(bytes) ? bytes : Buffer.from(agentText(bytes));
    for (const c of this.controllerPeers) this.sendToController(c, payload);
    peer.linkSocket?.deliver(bytes, isBinary);
    const avatar = agentAvatarState(bytes);
    if (avatar !== undefined && this.agentPeer === peer) {
      peer.avatar = avatar;
      const info = { channel: this.path, enabled: avatar, ownedByServer: peer.serverAvatar };
      this.host.emit('avatar', info);
      this.emitter.emit('avatar', info);
    }
  }

  /**
   * Lets go of an agent that missed its pongs, so a new one (the same app restarted, say) takes
   * the channel instead of being sent to `<path>-1` (issue 13). An agent is never dropped for a
   * missed pong alone: only when another wants its channel. It gets the empty close frame the
   * real app expects (wire.md §6.3), and is terminated if nothing answers within closeTimeoutMs.
   */
  dropDeadAgent(): boolean {
    const peer = this.agentPeer;
    if (!peer || peer.missedPongs === 0) return false;
    this.host.counters.deadAgentTakeovers++;
    this.onAgentClose(peer);
    peer.ws.close();
    setTimeout(() => peer.ws.terminate(), this.host.policy.closeTimeoutMs).unref();
    return true;
  }

  /**
   * Pings the agent and waits up to `timeoutMs` for its pong; without one, it counts as a missed
   * pong (dropDeadAgent then lets it go). The real app answers within its 10 ms select loop
   * (wire.md §5.4, §6.2). Resolves whether or not there is an agent to probe.
   */
  probeAgent(timeoutMs: number): Promise<void> {
    const peer = this.agentPeer;
    if (!peer || peer.ws.readyState !== OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        peer.onPong = peer.onPong.filter((f) => f !== done);
        peer.missedPongs++;
        resolve();
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      peer.onPong.push(done);
      peer.ws.ping();
    });
  }

  /**
   * Lets go at once of an agent whose connection is already closing (its FIN was read), so that
   * the same MMDAgent-EX, reconnecting right away, finds the channel free.
   */
  dropClosingAgent(): void {
    const peer = this.agentPeer;
    if (!peer || peer.ws.readyState === OPEN) return;
    this.onAgentClose(peer);
    peer.ws.terminate();
  }

  private onAgentClose(peer: AgentPeer): void {
    clearTimeout(peer.syncTimer);
    if (this.parked === peer) {
      this.parked = undefined;
      this.host.counters.agents--;
      this.host.release(this);
      return;
    }
    if (this.agentPeer !== peer) return;
    this.agentPeer = undefined;
    this.host.counters.agents--;
    this.announceLeft(peer);
    const standIn = this.parked;
    if (standIn?.ws.readyState === OPEN) {
      this.parked = undefined;
      this.attachAgent(standIn); // back on its channel once the real MMDAgent-EX has left
    }
    this.host.release(this);
  }

  private announceLeft(peer: AgentPeer): void {
    if (!peer.link || !peer.since) return;
    this.broadcast(relayStatusLine(RELAY_AGENT_DISCONNECTED, this.path));
    const info = { channel: this.path, since: peer.since };
    this.host.emit('agentLeft', info);
    this.emitter.emit('agentLeft', info);
  }

  /** The ready agent, or ERR_NO_AGENT. */
  private readyAgent(): AgentPeer {
    const peer = this.agentPeer;
    if (!peer?.link || peer.ws.readyState !== OPEN) {
      throw new MmdError(
        'ERR_NO_AGENT',
        `no MMDAgent-EX is connected on ${this.path}: start it with ` +
          `Plugin_Remote_Websocket_Directory=${this.path}, or wait for ${RELAY_AGENT_CONNECTED}`,
      );
    }
    return peer;
  }

  /** What the agent's AgentLink sends (lines, setup, audio): the same bound and counters as the relay's. */
  private sendFromLink(peer: AgentPeer, data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): void {
    const text = typeof data === 'string';
    this.checkAgentRoom(peer, text ? Buffer.byteLength(data) : data.byteLength);
    if (text) peer.serverAvatar = avatarSwitch(data) ?? peer.serverAvatar;
    this.sendRawToAgent(peer, data, !text);
  }

  /** A controller's validated text frame that already is one agent line frame: its own bytes go out. */
  private sendFrameToAgent(frame: Buffer): void {
    const peer = this.readyAgent();
    this.checkAgentRoom(peer, frame.length);
    this.sendRawToAgent(peer, frame);
  }

  /** Whole lines, each as its own frame; all or nothing, so a refused batch leaves no half behind. */
  private sendLinesToAgent(lines: readonly string[]): void {
    const peer = this.readyAgent();
    let bytes = 0;
    const frames = lines.map(agentLineFrame);
    for (const frame of frames) bytes += Buffer.byteLength(frame);
    this.checkAgentRoom(peer, bytes);
    for (const frame of frames) this.sendRawToAgent(peer, frame);
  }

  private checkAgentRoom(peer: AgentPeer, bytes: number): void {
    checkAgentRoom(this.host.policy, this.path, peer.ws.bufferedAmount, bytes);
  }

  private sendRawToAgent(
    peer: AgentPeer,
    data: string | Buffer | ArrayBuffer | ArrayBufferView<ArrayBuffer>,
    binary = false,
  ): void {
    corkTick(peer);
    peer.ws.send(data, { binary });
    this.host.counters.framesToAgents++;
    this.traffic.framesToAgent++;
  }

  // ---- controllers -------------------------------------------------------------------------

  acceptController(ws: WebSocket, socket: Duplex, remoteAddress: string | undefined, readOnly = false): void {
    const policy = this.host.policy;
    const peer: ControllerPeer = {
      ws,
      socket,
      corked: false,
      info: { channel: this.path, remoteAddress, readOnly },
      alive: true,
      leaving: false,
      rate: new RateWindow(policy.controllerFramesPerSecond),
      lineRate: new RateWindow(policy.controllerLinesPerSecond),
      rateToldAt: -Infinity,
    };
    this.controllerPeers.add(peer);
    this.host.counters.controllers++;
    ws.on('error', () => this.host.counters.socketErrors++);
    ws.on('pong', () => (peer.alive = true));
    ws.on('message', (data, isBinary) => this.onControllerFrame(peer, rawBytes(data), isBinary));
    ws.on('close', (code, reason) => this.onControllerClose(peer, code, reason.toString()));
    this.sendToController(
      peer,
      relayStatusLine(this.agent ? RELAY_AGENT_CONNECTED : RELAY_AGENT_DISCONNECTED, this.path),
    );
    this.host.emit('controller', peer.info);
    this.emitter.emit('controller', peer.info);
  }

  private onControllerFrame(peer: ControllerPeer, bytes: Buffer, isBinary: boolean): void {
    peer.alive = true;
    if (peer.leaving || !this.withinRate(peer, peer.rate, 1, 'frames')) return;
    try {
      if (isBinary) {
        checkMaySend(peer.info);
        checkSndFrame(bytes);
        const agent = this.readyAgent();
        this.checkAgentRoom(agent, bytes.length);
        this.sendRawToAgent(agent, bytes, true);
      } else {
        const lines = controllerLines(bytes);
        const policy = this.host.linePolicy(this.path);
        for (const line of lines) checkControllerLine(line, policy, peer.info);
        // Lines, not frames: one frame may hold hundreds, and the agent digests lines (issue 13).
        const n = lines.length;
        if (
          !this.withinRate(peer, peer.lineRate, n, 'lines') ||
          !this.withinRate(peer, this.lineRate, n, 'channel lines')
        )
          return;
        if (lines.length === 1 && isAgentLineFrame(bytes, lines[0])) this.sendFrameToAgent(bytes);
        else this.sendLinesToAgent(lines);
      }
    } catch (err) {
      this.host.counters.refusedControllerFrames++;
      this.traffic.refusedFrames++;
      const code = isMmdError(err) ? err.code : 'ERR_BAD_INPUT';
      this.sendToController(peer, relayErrorLine(code, err instanceof Error ? err.message : String(err)));
    }
  }

  /**
   * Takes `units` from `window` for this controller's frame. A refused frame is counted; the
   * controller is told at most once a second, whichever window refused it.
   */
  private withinRate(peer: ControllerPeer, window: RateWindow, units: number, what: string): boolean {
    const now = performance.now();
    if (window.take(units, now) === 'ok') return true;
    this.host.counters.rateLimitedFrames++;
    this.traffic.refusedFrames++;
    if (now - peer.rateToldAt >= 1000) {
      peer.rateToldAt = now;
      const scope = what === 'channel lines' ? `lines on ${this.path} (all its controllers together)` : what;
      this.sendToController(
        peer,
        relayErrorLine(
          'ERR_RATE_LIMIT',
          `more than ${window.perSecond} ${scope} in one second: frames are refused until the second is over; ` +
            `MMDAgent-EX digests about a thousand lines a second, and a sustained stream also delays its own ` +
            `output (wire.md §5.4)`,
        ),
      );
    }
    return false;
  }

  private onControllerClose(peer: ControllerPeer, code: number, reason: string): void {
    if (!this.controllerPeers.delete(peer)) return;
    this.host.counters.controllers--;
    const peerDisconnectedSent = this.controllerPeers.size === 0 && this.tellPeerDisconnected();
    const info = { ...peer.info, code, reason, remaining: this.controllerPeers.size, peerDisconnectedSent };
    this.host.emit('controllerLeft', info);
    this.emitter.emit('controllerLeft', info);
    this.host.release(this);
  }

  /**
   * `__peer_disconnected__` makes MMDAgent-EX switch avatar control off (AVATAR|END, wire.md
   * §10.4; session-2026-12.md): sent only when the server app does not own avatar control, so a
   * controller's leaving never undoes what the app set up (its lip-sync would stop for good).
   */
  private tellPeerDisconnected(): boolean {
    const agent = this.agentPeer;
    if (!agent?.link || !this.host.policy.peerDisconnected || agent.serverAvatar || agent.ws.readyState !== OPEN)
      return false;
    // A frame of its own: MMDAgent-EX recognises it only at the start of a frame (wire.md §10.4).
    try {
      this.checkAgentRoom(agent, PEER_DISCONNECTED.length + 1);
      this.sendRawToAgent(agent, `${PEER_DISCONNECTED}\n`);
      return true;
    } catch (err) {
      this.host.report(err);
      return false;
    }
  }

  private broadcast(line: string): void {
    for (const c of this.controllerPeers) this.sendToController(c, line);
  }

  private sendToController(peer: ControllerPeer, data: string | Buffer): void {
    if (peer.leaving || peer.ws.readyState !== OPEN) return;
    if (isSlowConsumer(this.host.policy, peer.ws.bufferedAmount)) {
      this.dropSlowController(peer, this.host.policy.controllerMaxBufferedBytes);
      return;
    }
    corkTick(peer);
    peer.ws.send(data, { binary: false });
    this.host.counters.framesToControllers++;
    this.traffic.framesToControllers++;
  }

  /**
   * Policy for a controller that does not read: close 1008 with the reason, and terminate it if
   * the close frame (queued behind its backlog) cannot get through within closeTimeoutMs.
   */
  private dropSlowController(peer: ControllerPeer, limit: number): void {
    peer.leaving = true;
    this.host.counters.slowConsumerDisconnects++;
    peer.ws.close(1008, `slow consumer: more than ${limit} bytes unread (ERR_SLOW_CONSUMER)`);
    setTimeout(() => peer.ws.terminate(), this.host.policy.closeTimeoutMs).unref();
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** One heartbeat tick (wire.md §5.3, §12.11). */
  heartbeat(): void {
    for (const c of this.controllerPeers) {
      if (c.leaving) continue;
      if (!c.alive) {
        this.host.counters.deadControllerTerminations++;
        c.leaving = true;
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
    // Keeps idle proxies open. MMDAgent-EX answers (an empty ping gets a 1-byte pong, wire.md
    // §6.2); a missing pong never costs the agent its connection.
    for (const agent of [this.agentPeer, this.parked]) {
      if (agent?.ws.readyState !== OPEN) continue;
      if (agent.pingOut) agent.missedPongs++;
      agent.pingOut = true;
      agent.ws.ping();
    }
  }

  /** Server shutdown: controllers get 1001; the agent an EMPTY close frame (wire.md §6.3). */
  closeAll(): void {
    for (const c of this.controllerPeers) {
      c.leaving = true;
      c.ws.close(1001, 'server shutting down');
    }
    const agent = this.agentPeer;
    if (agent) {
      clearTimeout(agent.syncTimer);
      // AgentLink.close() settles its pending waits with ERR_CLOSED and closes without a status code.
      if (agent.link) agent.link.close();
      else agent.ws.close();
    }
    this.parked?.ws.close();
  }
}

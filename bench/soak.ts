// Soak of the relay server: an agent and controllers exchange numbered messages for a bounded
// time while peers come and go, vanish halfway through a frame, send garbage and oversized
// frames, and stall. Checked: every well-formed message between live peers arrives exactly once
// and in order, every garbage frame is refused with the right RELAY_ERROR code, the process
// raises no unhandled error, no socket or channel leaks, and (with --expose-gc) the heap returns
// to its baseline.
//
//   node --import tsx bench/soak.ts [--seconds 60] [--seed S]
//
// test/soak.node.test.ts runs the same soak for a few seconds. Everything is on 127.0.0.1, port 0.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { createServer } from '../src/server.js';
import type { MmdServer, ServerOptions, ServerStats } from '../src/server.js';
import { rng } from './data.js';

export interface SoakOptions {
  durationMs: number;
  seed?: number;
  /** Server policy overrides (the soak sets a few of its own, see SOAK_POLICY). */
  server?: Partial<ServerOptions>;
  log?: (line: string) => void;
  /** Called while the server is up with no peer: before the first one connects and after the last one left. */
  idle?: (phase: 'start' | 'end', server: MmdServer) => void | Promise<void>;
  /** Breaks the soak on purpose, to show its checks catch it: the agent skips a number, or a controller repeats one. */
  inject?: 'agent-skips' | 'controller-repeats';
}

export interface SoakReport {
  seed: number;
  durationMs: number;
  /** Numbered messages sent: agent → controllers (each once, fanned out) and controllers → agent. */
  agentMessages: number;
  controllerMessages: number;
  /** Deliveries checked for order and uniqueness, in both directions. */
  deliveriesVerified: number;
  agentConnects: number;
  controllerConnects: number;
  garbageFrames: number;
  oversizeFrames: number;
  midFrameVanishes: number;
  cleanDisconnects: number;
  stalls: number;
  stalledDropped: number;
  /** Bursts of 3000 agent messages (over 30 ticks) sent while a controller was stalled (long runs only). */
  floods: number;
  refusedUpgrades: number;
  /** Well-formed frames refused with ERR_NO_AGENT while the agent was being replaced (not lost: refused). */
  noAgentRefusals: number;
  serverStats: ServerStats;
  violations: string[];
}

/** Policy numbers that let the soak reach the slow-consumer and heartbeat paths in seconds. */
const SOAK_POLICY: Partial<ServerOptions> = {
  heartbeatMs: 2000,
  controllerMaxBufferedBytes: 256 * 1024,
  syncTimeoutMs: 1000,
  closeTimeoutMs: 500,
};

const CHANNEL = '/soak';
const FLOOD_PAD = 'f'.repeat(1500);
const TICK_MS = 10;

/** A masked client frame header claiming `length` payload bytes, plus only `sent` of them. */
function partialFrame(length: number, sent: number): Buffer {
  const header =
    length < 126 ? Buffer.from([0x81, 0x80 | length]) : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]);
  return Buffer.concat([header, randomBytes(4), Buffer.alloc(sent, 0x41)]);
}

/** Frames the relay must refuse, each with the RELAY_ERROR code it must answer (server relay.ts, wire.md §12). */
const GARBAGE: readonly { name: string; data: Buffer; binary: boolean; code: string }[] = [
  { name: 'invalid UTF-8 lead', data: Buffer.from([0x48, 0x49, 0xc0, 0x0a]), binary: false, code: 'ERR_INVALID_UTF8' },
  { name: 'stray continuation', data: Buffer.from([0x41, 0x80, 0x42, 0x0a]), binary: false, code: 'ERR_INVALID_UTF8' },
  {
    name: 'lone surrogate bytes',
    data: Buffer.from([0x41, 0xed, 0xa0, 0x80, 0x0a]),
    binary: false,
    code: 'ERR_INVALID_UTF8',
  },
  { name: '0xFF', data: Buffer.from([0xff, 0xfe, 0x0a]), binary: false, code: 'ERR_INVALID_UTF8' },
  { name: 'only LF', data: Buffer.from('\n'), binary: false, code: 'ERR_EMPTY_LINE' },
  { name: 'only CRLF', data: Buffer.from('\r\n\r\n'), binary: false, code: 'ERR_EMPTY_LINE' },
  { name: 'NUL', data: Buffer.from('A\0B\n'), binary: false, code: 'ERR_FORBIDDEN_CHAR' },
  { name: 'SND prefix', data: Buffer.from('SNDX|a\n'), binary: false, code: 'ERR_SND_PREFIX' },
  { name: 'SND garbage digits', data: Buffer.from('SND12x4abcd\n'), binary: false, code: 'ERR_SND_PREFIX' },
  { name: 'long line', data: Buffer.from(`LONG|${'x'.repeat(3000)}\n`), binary: false, code: 'ERR_LINE_TOO_LONG' },
  {
    name: 'frame over 8191',
    data: Buffer.from('FILL|abcdefgh\n'.repeat(700)),
    binary: false,
    code: 'ERR_FRAME_TOO_LARGE',
  },
  { name: 'binary text', data: Buffer.from('hello\n'), binary: true, code: 'ERR_BINARY_FRAME' },
  { name: 'binary SND garbage', data: Buffer.from('SND12x4abcd'), binary: true, code: 'ERR_SND_HEADER' },
  { name: 'binary odd SND', data: Buffer.from('SND0003abc'), binary: true, code: 'ERR_SND_CHUNK_SIZE' },
  { name: 'binary cut SND', data: Buffer.from('SND0960abcd'), binary: true, code: 'ERR_SND_CHUNK_SIZE' },
  { name: 'empty binary', data: Buffer.alloc(0), binary: true, code: 'ERR_EMPTY_LINE' },
];

type PeerEnd = 'open' | 'closed' | 'vanished' | 'dropped';

class Soak {
  readonly violations: string[] = [];
  readonly random: () => number;
  readonly report: Omit<SoakReport, 'serverStats' | 'violations' | 'seed' | 'durationMs'> = {
    agentMessages: 0,
    controllerMessages: 0,
    deliveriesVerified: 0,
    agentConnects: 0,
    controllerConnects: 0,
    garbageFrames: 0,
    oversizeFrames: 0,
    midFrameVanishes: 0,
    cleanDisconnects: 0,
    stalls: 0,
    stalledDropped: 0,
    floods: 0,
    refusedUpgrades: 0,
    noAgentRefusals: 0,
  };
  readonly agents: SoakAgent[] = [];
  readonly controllers: SoakController[] = [];
  readonly controllerById = new Map<number, SoakController>();
  /** Highest seq any agent got from each controller: across agents, seqs only grow (exactly once, in order). */
  readonly lastFromController = new Map<number, number>();
  readonly rawSockets = new Set<Socket>();
  agent: SoakAgent | undefined;
  nextEpoch = 1;
  nextController = 1;
  stopping = false; // chaos is over; traffic drains
  closing = false; // teardown: no more reconnects

  /**
   * Long runs stall readers long enough, and flood them, to fill the kernel buffers and reach the slow-consumer
   * limit.
   */
  readonly maxStallMs: number;
  readonly long: boolean;

  constructor(
    readonly url: string,
    readonly port: number,
    seed: number,
    durationMs: number,
    readonly inject?: SoakOptions['inject'],
  ) {
    this.random = rng(seed);
    this.maxStallMs = Math.min(20_000, Math.max(2500, durationMs / 3));
    this.long = durationMs >= 20_000;
  }

  violation(what: string): void {
    if (this.violations.length < 50) this.violations.push(what);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)];
  }

  startAgent(): void {
    const agent = new SoakAgent(this, this.nextEpoch++);
    this.agents.push(agent);
    this.agent = agent;
  }

  startController(kind: ControllerKind): SoakController {
    const c = new SoakController(this, this.nextController++, kind);
    this.controllers.push(c);
    this.controllerById.set(c.id, c);
    return c;
  }

  /** A peer that completes the upgrade, starts a frame, and drops the TCP connection halfway through it. */
  rawHalfFrame(asAgent: boolean): Promise<void> {
    return new Promise((resolve) => {
      const socket = tcpConnect({ host: '127.0.0.1', port: this.port });
      this.rawSockets.add(socket);
      const done = () => (this.rawSockets.delete(socket), socket.destroy(), resolve());
      socket.on('error', done);
      socket.on('close', done);
      socket.write(
        `GET ${CHANNEL} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ` +
          `${randomBytes(16).toString('base64')}\r\n${asAgent ? 'X-App-Type: MMDAgent\r\n' : ''}\r\n`,
      );
      let head = '';
      socket.on('data', (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        if (head.startsWith('HTTP/1.1 101')) {
          this.report.midFrameVanishes++;
          socket.write(partialFrame(200, 1 + Math.floor(this.random() * 150)));
        } else this.report.refusedUpgrades++;
        done();
      });
    });
  }
}

class SoakAgent {
  readonly ws: WebSocket;
  ready = false;
  sent = 0;
  ticks = 0;
  floodLeft = 0;
  end: PeerEnd = 'open';
  /** Per controller: messages that it sent while knowing this agent, and the last seq of those. */
  readonly fromControllers = new Map<number, { mine: number; last: number }>();

  constructor(
    readonly soak: Soak,
    readonly epoch: number,
  ) {
    this.ws = new WebSocket(soak.url, { headers: { 'X-App-Type': 'MMDAgent' }, perMessageDeflate: false });
    this.ws.on('error', () => {});
    this.ws.on('open', () => soak.report.agentConnects++);
    this.ws.on('unexpected-response', (_req, res) => {
      // 429: the previous agent is still being released; MMDAgent-EX retries too (wire.md §4.3)
      soak.report.refusedUpgrades++;
      res.resume();
      this.end = 'closed';
      if (!soak.closing && soak.agent === this)
        setTimeout(() => !soak.closing && soak.agent === this && soak.startAgent(), 100);
    });
    this.ws.on('message', (data: Buffer) => this.onFrame(data.toString('utf8')));
    this.ws.on('close', () => {
      if (this.end === 'open') this.end = 'closed';
    });
  }

  onFrame(text: string): void {
    for (const line of text.split('\n')) {
      if (!line) continue;
      if (line.startsWith('MMDSDK_SYNC|'))
        this.ws.send(`${line}\n`); // the echo (wire.md §10.1)
      else if (line === 'SOAK_READY') {
        this.ready = true;
        this.hello();
      } else if (line.startsWith('SOAK_C|')) {
        const [, cid, seq, seen] = line.split('|');
        this.onControllerMessage(Number(cid), Number(seq), Number(seen));
      } else if (line !== '__peer_disconnected__')
        this.soak.violation(`agent ${this.epoch} got an unexpected line ${JSON.stringify(line.slice(0, 60))}`);
    }
  }

  /**
   * Checked on arrival, in O(1) state: seqs from one controller only grow across all agents; the
   * ones it sent knowing this agent are consecutive from the first it sent to it (no gap).
   */
  onControllerMessage(cid: number, seq: number, seen: number): void {
    const soak = this.soak;
    soak.report.deliveriesVerified++;
    const last = soak.lastFromController.get(cid) ?? 0;
    if (seq <= last)
      soak.violation(`agent ${this.epoch}: controller ${cid} message #${seq} after #${last} (repeated or reordered)`);
    soak.lastFromController.set(cid, Math.max(seq, last));
    if (seen !== this.epoch) {
      // sent before the controller heard of this agent: in flight while the previous one went away
      if (seen > this.epoch)
        soak.violation(`agent ${this.epoch} got a message controller ${cid} sent for later agent ${seen}`);
      return;
    }
    const range = soak.controllerById.get(cid)?.sentInEpoch.get(seen);
    const rec = this.fromControllers.get(cid) ?? { mine: 0, last: 0 };
    if (!range || seq !== range[0] + rec.mine)
      soak.violation(
        `agent ${this.epoch}: controller ${cid} message #${seq}, expected ` +
          `#${range ? range[0] + rec.mine : '(none)'} (lost or reordered)`,
      );
    rec.mine++;
    rec.last = seq;
    this.fromControllers.set(cid, rec);
  }

  /** Tells controllers who this agent is and how many messages came before, so they know what comes next. */
  hello(): void {
    this.ws.send(`SOAK_HELLO|${this.epoch}|${this.sent}\n`);
  }

  tick(): void {
    if (!this.ready || this.ws.readyState !== WebSocket.OPEN) return;
    if (++this.ticks % 20 === 0) this.hello(); // for controllers that joined since
    const burst = Math.min(100, this.floodLeft);
    this.floodLeft -= burst;
    for (let i = 0; i < burst; i++) this.ws.send(`SOAK_A|${this.epoch}|${++this.sent}|${FLOOD_PAD}\n`);
    this.soak.report.agentMessages += burst;
    for (let i = 0; i < 3; i++) {
      const pad = 'p'.repeat(Math.floor(this.soak.random() * 1500));
      if (this.soak.inject === 'agent-skips' && this.ticks === 50 && i === 0) this.sent++;
      this.ws.send(`SOAK_A|${this.epoch}|${++this.sent}|${pad}\n`);
      this.soak.report.agentMessages++;
    }
  }

  /**
   * `n` extra numbered messages of 1.5 KB, 100 per tick: a reader keeps up with 150 KB per tick,
   * a stalled one falls behind by megabytes.
   */
  flood(n: number): void {
    this.floodLeft += n;
    this.soak.report.floods++;
  }

  /** Dies halfway through writing a frame: a header for 300 bytes, then 40 of them, then the TCP socket goes. */
  vanish(): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    this.end = 'vanished';
    this.ready = false;
    this.soak.report.midFrameVanishes++;
    if (!socket) return void this.ws.terminate();
    socket.write(partialFrame(300, 40));
    socket.destroy();
  }
}

type ControllerKind = 'good' | 'garbage' | 'oversize';

class SoakController {
  readonly ws: WebSocket;
  seq = 0;
  epochSeen = 0;
  agentUp = false;
  end: PeerEnd = 'open';
  stalled = false;
  wasStalled = false;
  repeated = false;
  closeCode = 0;
  /** Seqs sent while having seen agent epoch e: always one contiguous range [first, last]. */
  readonly sentInEpoch = new Map<number, [number, number]>();
  /** Agent messages per agent epoch: first and last seq received (contiguity is checked as they come). */
  readonly fromAgent = new Map<number, { first: number; last: number }>();
  readonly hellos = new Set<number>();
  /** After a hello and before any message of that agent: the seq its next message must have. */
  readonly nextFromAgent = new Map<number, number>();
  readonly errorCodes: string[] = [];
  readonly expectedCodes: string[] = [];

  constructor(
    readonly soak: Soak,
    readonly id: number,
    readonly kind: ControllerKind,
  ) {
    this.ws = new WebSocket(soak.url, { perMessageDeflate: false });
    this.ws.on('error', () => {});
    this.ws.on('open', () => soak.report.controllerConnects++);
    this.ws.on('message', (data: Buffer) => this.onFrame(data.toString('utf8')));
    this.ws.on('close', (code) => {
      this.closeCode = code;
      if (this.end === 'open') this.end = code === 1000 || code === 1001 ? 'closed' : 'dropped';
      if (this.end === 'dropped' && this.wasStalled) soak.report.stalledDropped++;
    });
  }

  get open(): boolean {
    return this.end === 'open' && this.ws.readyState === WebSocket.OPEN;
  }

  onFrame(text: string): void {
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [type, a, b] = line.split('|');
      if (type === 'SOAK_A') this.onAgentMessage(Number(a), Number(b));
      else if (type === 'SOAK_HELLO') this.onHello(Number(a), Number(b));
      else if (type === 'RELAY_AGENT_DISCONNECTED') this.agentUp = false;
      else if (type === 'RELAY_ERROR') {
        if (this.kind === 'garbage') this.errorCodes.push(a);
        else if (a === 'ERR_NO_AGENT') this.soak.report.noAgentRefusals++;
        else
          this.soak.violation(
            `controller ${this.id} (${this.kind}) had a well-formed frame refused: ${line.slice(0, 200)}`,
          );
      } else if (type !== 'RELAY_AGENT_CONNECTED')
        this.soak.violation(`controller ${this.id} got an unexpected line ${JSON.stringify(line.slice(0, 60))}`);
    }
  }

  onHello(epoch: number, sentBefore: number): void {
    this.epochSeen = epoch;
    this.agentUp = true;
    this.hellos.add(epoch);
    if (!this.fromAgent.has(epoch)) this.nextFromAgent.set(epoch, sentBefore + 1);
  }

  onAgentMessage(epoch: number, seq: number): void {
    this.soak.report.deliveriesVerified++;
    const rec = this.fromAgent.get(epoch);
    if (!rec) {
      // the agent's hello said how many came before: the next one must follow it
      const next = this.nextFromAgent.get(epoch);
      if (next !== undefined && seq !== next)
        this.soak.violation(
          `controller ${this.id}: first message of agent ${epoch} is #${seq}, its hello announced #${next}`,
        );
      this.fromAgent.set(epoch, { first: seq, last: seq });
      return;
    }
    if (seq !== rec.last + 1)
      this.soak.violation(
        `controller ${this.id}: agent ${epoch} message #${seq} after #${rec.last} (lost, repeated or reordered)`,
      );
    rec.last = seq;
  }

  tick(): void {
    if (this.kind !== 'good' || !this.open || !this.agentUp) return;
    const seq =
      this.soak.inject === 'controller-repeats' && this.seq === 30 && this.id === 1 && !this.repeated
        ? ((this.repeated = true), this.seq)
        : ++this.seq;
    const range = this.sentInEpoch.get(this.epochSeen);
    if (range) range[1] = seq;
    else this.sentInEpoch.set(this.epochSeen, [seq, seq]);
    this.ws.send(`SOAK_C|${this.id}|${seq}|${this.epochSeen}\n`);
    this.soak.report.controllerMessages++;
  }

  sendGarbage(): void {
    if (!this.open) return;
    const g = this.soak.pick(GARBAGE);
    this.expectedCodes.push(g.code);
    this.ws.send(g.data, { binary: g.binary });
    this.soak.report.garbageFrames++;
  }

  /** A frame over the server's controller payload limit: `ws` closes the connection with 1009. */
  sendOversize(): void {
    if (!this.open) return;
    this.ws.send(Buffer.alloc(70 * 1024, 0x41));
    this.soak.report.oversizeFrames++;
  }

  stall(ms: number): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (!socket || !this.open) return;
    this.stalled = this.wasStalled = true;
    this.soak.report.stalls++;
    socket.pause();
    setTimeout(() => this.unstall(), ms);
  }

  unstall(): void {
    if (!this.stalled) return;
    this.stalled = false;
    (this.ws as unknown as { _socket?: Socket })._socket?.resume();
  }

  vanish(): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    this.end = 'vanished';
    this.soak.report.midFrameVanishes++;
    if (!socket) return void this.ws.terminate();
    socket.write(partialFrame(120, 17));
    socket.destroy();
  }

  leave(): void {
    if (!this.open) return;
    this.end = 'closed';
    this.soak.report.cleanDisconnects++;
    this.ws.close(1000);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > timeoutMs) return false;
    await sleep(20);
  }
  return true;
}

type ChaosKind =
  | 'join'
  | 'leave'
  | 'vanish'
  | 'half-frame'
  | 'half-frame-agent'
  | 'garbage'
  | 'oversize'
  | 'stall'
  | 'agent-vanish'
  | 'flood';

/** Weights of the chaos steps; the first steps of a run go once through every kind, in this order. */
const CHAOS: readonly [ChaosKind, number][] = [
  ['garbage', 20],
  ['join', 15],
  ['stall', 7],
  ['half-frame', 10],
  ['oversize', 5],
  ['leave', 10],
  ['agent-vanish', 3],
  ['vanish', 8],
  ['half-frame-agent', 7],
  ['flood', 3],
];
const CHAOS_WEIGHT = CHAOS.reduce((n, [, w]) => n + w, 0);

/** One chaos step: new peers, departures, vanishing mid-frame, garbage, oversized frames, stalls. */
function chaos(s: Soak, step: number): void {
  let kind = CHAOS[step % CHAOS.length][0];
  if (step >= CHAOS.length) {
    let r = s.random() * CHAOS_WEIGHT;
    kind = CHAOS.find(([, w]) => (r -= w) < 0)?.[0] ?? 'join';
  }
  const live = s.controllers.filter((c) => c.open && c.kind === 'good' && !c.stalled);
  if (kind === 'join') s.startController('good');
  else if (kind === 'leave' && live.length > 3) s.pick(live).leave();
  else if (kind === 'vanish' && live.length > 3) s.pick(live).vanish();
  else if (kind === 'half-frame') void s.rawHalfFrame(false);
  else if (kind === 'half-frame-agent')
    void s.rawHalfFrame(true); // while an agent holds the channel: 429
  else if (kind === 'garbage') {
    const garbage = s.controllers.filter((c) => c.open && c.kind === 'garbage');
    if (garbage.length < 2) {
      const c = s.startController('garbage');
      c.ws.once('open', () => c.sendGarbage());
    }
    for (const c of garbage) c.sendGarbage();
  } else if (kind === 'oversize') {
    const c = s.startController('oversize');
    c.ws.once('open', () => c.sendOversize());
  } else if (kind === 'stall' && live.length > 1) s.pick(live).stall(500 + Math.floor(s.random() * s.maxStallMs));
  else if (kind === 'flood' && s.long && s.controllers.some((c) => c.stalled))
    s.agent?.flood(3000); // past the kernel buffers: the slow-consumer limit
  else if (kind === 'agent-vanish' && s.agent?.ready) {
    // the agent dies mid-frame, a raw agent takes the free channel and dies mid-frame too, a new agent comes
    s.agent.vanish();
    void s.rawHalfFrame(true).then(() => !s.closing && s.startAgent());
  }
}

/** Checks both directions once traffic has stopped and drained (see the module comment). */
function verify(s: Soak): void {
  const finalAgent = s.agent && s.agent.end === 'open' && s.agent.ready ? s.agent : undefined;
  if (!finalAgent) s.violation('no live agent at the end of the soak');
  for (const c of s.controllers.filter((c) => c.kind === 'good')) {
    // the server may drop a reader only if it stopped reading (slow consumer or missed pongs)
    if (c.end === 'dropped' && !c.wasStalled)
      s.violation(`controller ${c.id} was dropped (code ${c.closeCode}) though it kept reading`);
    // controller → agent: order and gaps were checked on arrival; the live pair must be complete
    const range = finalAgent && c.sentInEpoch.get(finalAgent.epoch);
    if (finalAgent && range && c.end === 'open') {
      const mine = finalAgent.fromControllers.get(c.id)?.mine ?? 0;
      if (mine !== range[1] - range[0] + 1)
        s.violation(
          `agent ${finalAgent.epoch} got ${mine} of the ${range[1] - range[0] + 1} messages live controller ` +
            `${c.id} sent it`,
        );
    }
    // agent → controller: the live pair must be complete (contiguity was checked on arrival)
    if (finalAgent && c.end === 'open' && c.hellos.has(finalAgent.epoch)) {
      const rec = c.fromAgent.get(finalAgent.epoch);
      if ((rec?.last ?? 0) !== finalAgent.sent)
        s.violation(
          `controller ${c.id} got agent ${finalAgent.epoch}'s messages up to #${rec?.last ?? 0} of ${finalAgent.sent}`,
        );
    }
  }
  for (const c of s.controllers.filter((c) => c.kind === 'garbage' && c.end === 'open')) {
    if (c.errorCodes.join() !== c.expectedCodes.join())
      s.violation(
        `garbage controller ${c.id}: refusals ${c.errorCodes.join(',')} for expected ${c.expectedCodes.join(',')}`,
      );
  }
  for (const c of s.controllers.filter((c) => c.kind === 'oversize' && c.end !== 'open')) {
    if (c.closeCode !== 1009) s.violation(`oversize controller ${c.id} was closed with ${c.closeCode}, not 1009`);
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const seed = opts.seed ?? Date.now() % 2 ** 31;
  const log = opts.log ?? (() => {});
  const server: MmdServer = await createServer({
    host: '127.0.0.1',
    port: 0,
    path: CHANNEL,
    setup: ['SOAK_READY'],
    ...SOAK_POLICY,
    ...opts.server,
  });
  const s = new Soak(server.url, server.address().port, seed, opts.durationMs, opts.inject);
  const onUncaught = (err: unknown) =>
    s.violation(`uncaught exception: ${err instanceof Error ? err.stack : String(err)}`);
  const onRejection = (err: unknown) =>
    s.violation(`unhandled rejection: ${err instanceof Error ? err.stack : String(err)}`);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  server.on('error', (err) => s.violation(`server error event: ${err instanceof Error ? err.message : String(err)}`));
  let t0 = performance.now();
  try {
    await opts.idle?.('start', server);
    s.startAgent();
    for (let i = 0; i < 4; i++) s.startController('good');
    if (!(await until(() => s.agent?.ready === true && s.controllers.every((c) => c.open), 5000)))
      s.violation('the first agent and controllers did not get ready within 5 s');
    t0 = performance.now();
    let nextChaos = performance.now() + 100;
    let step = 0;
    let nextLog = performance.now() + 10_000;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        if (now - t0 >= opts.durationMs) return void (clearInterval(timer), resolve());
        s.agent?.tick();
        for (const c of s.controllers) c.tick();
        if (now >= nextChaos) ((nextChaos = now + 50 + s.random() * 150), chaos(s, step++));
        if (now >= nextLog)
          ((nextLog = now + 10_000),
            log(
              `soak: ${Math.round((now - t0) / 1000)} s, ` +
                `${s.report.agentMessages + s.report.controllerMessages} messages, ${s.violations.length} ` +
                `violation(s)`,
            ));
      }, TICK_MS);
    });
    // stop the chaos, let the stalled read again, and wait until the live pairs have drained
    s.stopping = true;
    for (const c of s.controllers) c.unstall();
    await until(() => s.agent?.ready === true, 5000);
    const agent = s.agent;
    const drained = () =>
      !!agent &&
      s.controllers.every((c) => {
        if (c.kind !== 'good' || c.end !== 'open') return true;
        const range = c.sentInEpoch.get(agent.epoch);
        const toAgent = !range || (agent.fromControllers.get(c.id)?.last ?? 0) >= range[1];
        return toAgent && (!c.hellos.has(agent.epoch) || c.fromAgent.get(agent.epoch)?.last === agent.sent);
      }) &&
      s.controllers.every(
        (c) => c.kind !== 'garbage' || c.end !== 'open' || c.errorCodes.length >= c.expectedCodes.length,
      );
    await until(drained, 10_000);
    verify(s);
    if (s.report.agentMessages === 0 || s.report.controllerMessages === 0)
      s.violation('the soak exchanged no messages in one of the directions');
  } finally {
    s.stopping = s.closing = true;
    for (const c of s.controllers) (c.unstall(), c.end === 'open' && (c.end = 'closed'), c.ws.close());
    for (const a of s.agents) a.ws.close();
    for (const socket of s.rawSockets) socket.destroy();
    const released = await until(() => server.stats().agents === 0 && server.stats().controllers === 0, 5000);
    if (!released) s.violation(`server still holds peers after every client closed: ${JSON.stringify(server.stats())}`);
    await opts.idle?.('end', server);
    const channels = server.channels();
    if (channels.length !== 1 || channels[0].path !== CHANNEL || channels[0].agent || channels[0].controllers !== 0) {
      s.violation(`channels left behind: ${JSON.stringify(channels)}`);
    }
    await server.close();
    await sleep(50); // let late socket errors surface while the watchers are still installed
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  }
  return {
    seed,
    durationMs: Math.round(performance.now() - t0),
    ...s.report,
    serverStats: server.stats(),
    violations: s.violations,
  };
}

// ---------------------------------------------------------------- CLI: the 60 s soak with a heap check

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function main(argv: string[]): Promise<number> {
  const seconds = Number(argv[argv.indexOf('--seconds') + 1] ?? 60);
  const seedArg = argv.includes('--seed') ? Number(argv[argv.indexOf('--seed') + 1]) : undefined;
  const durationMs = (argv.includes('--seconds') ? seconds : 60) * 1000;
  // warm-up: load every module and JIT the paths once, so the baseline is not the cold heap
  await runSoak({ durationMs: 1500, seed: 1 });
  // the heap of the live server with no peer, before and after the run (leaks in channels, peers, timers)
  let baseline = 0;
  let after = 0;
  const idle = async (phase: 'start' | 'end') => {
    await sleep(100);
    if (phase === 'start') baseline = heapAfterGc();
    else after = heapAfterGc();
  };
  const report = await runSoak({ durationMs, seed: seedArg, log: console.log, idle });
  const growth = after - baseline;
  const tolerance = Math.max(4 * 1024 * 1024, baseline * 0.25);
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const { violations, serverStats, ...counts } = report;
  console.log(`soak ${report.durationMs} ms, seed ${report.seed}`);
  for (const [k, v] of Object.entries(counts))
    if (k !== 'seed' && k !== 'durationMs') console.log(`  ${k.padEnd(20)} ${v}`);
  console.log(`  server stats         ${JSON.stringify(serverStats)}`);
  console.log(
    `  heap after GC        live server with no peer: before ${mb(baseline)}, after ${mb(after)}, growth ` +
      `${mb(growth)} (tolerance ${mb(tolerance)})`,
  );
  if (growth > tolerance) violations.push(`heap grew by ${mb(growth)} after GC, over the ${mb(tolerance)} tolerance`);
  for (const v of violations) console.log(`VIOLATION ${v}`);
  console.log(violations.length ? `soak FAILED with ${violations.length} violation(s)` : 'soak passed');
  return violations.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    // the heap check needs --expose-gc: run again with it
    const again = spawnSync(
      process.execPath,
      ['--expose-gc', ...process.execArgv, process.argv[1], ...process.argv.slice(2)],
      { stdio: 'inherit' },
    );
    process.exit(again.status ?? 1);
  }
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => (console.error(err), process.exit(2)),
  );
}

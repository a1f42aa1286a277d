// Every number the relay enforces and every decision made with one: back-pressure toward the
// agent and toward controllers, rates, sizes. Changing how much the server tolerates is this file,
// its test (test/policy.node.test.ts) and docs/server.md's policy table.
import { MmdError } from '../../errors.js';

/** The numbers behind every server policy; defaults in SERVER_DEFAULTS. */
export interface ServerPolicy {
  /** Time to wait for the echo of the sync line before sending `setup` anyway (wire.md §3.4, §12). */
  syncTimeoutMs: number;
  /**
   * Quiet time after the 101 before the sync line goes out, unless the agent sends a frame first:
   * bytes in the handshake's read are held back by MMDAgent-EX (wire.md §3.4 advises ~100 ms).
   */
  syncGapMs: number;
  /** Ping period: controllers that missed the previous pong are terminated; agents are only pinged (wire.md §5.3). */
  heartbeatMs: number;
  /**
   * Largest frame `ws` accepts from an agent (1009 beyond). MMDAgent-EX never sends more than
   * 8 KiB (2047 bytes per message, wire.md §5.1); the bound keeps what a fake agent can make the
   * server hold small (24 partial 16 MiB frames once took 390 MiB, issue 13).
   */
  agentMaxPayloadBytes: number;
  /** Largest frame `ws` accepts from a controller (1009 beyond); frames over 8191 bytes get an error line first. */
  controllerMaxPayloadBytes: number;
  /** A controller whose unsent data exceeds this is a slow consumer: closed with 1008. */
  controllerMaxBufferedBytes: number;
  /** Lines toward an agent whose unsent data would exceed this are refused to their sender; the agent stays. */
  agentMaxBufferedBytes: number;
  /** Frames a controller may send per second; the rest of that second is refused with one error line. */
  controllerFramesPerSecond: number;
  /** Lines a controller may send per second (a frame may hold many); beyond, its frames are refused. */
  controllerLinesPerSecond: number;
  /** Lines all controllers of one channel may send per second together: about what MMDAgent-EX digests. */
  channelLinesPerSecond: number;
  maxControllersPerChannel: number;
  maxChannels: number;
  /** A connection must have sent its whole request (the upgrade) within this; silent ones are closed. */
  handshakeTimeoutMs: number;
  /** Connections not yet through their handshake, in total: kept well below the process's descriptors. */
  maxPendingConnections: number;
  /** The same, from one address. */
  maxPendingPerAddress: number;
  /** 'refused' events a second at most; the next one says how many were held back. */
  refusalReportsPerSecond: number;
  /** A new agent finding its channel taken waits this long for the holder's pong before the 429. */
  agentProbeMs: number;
  /** TCP keepalive idle time on agent sockets: a peer gone without a FIN is found by the kernel too. */
  agentKeepAliveMs: number;
  /** close(): time allowed for sockets to finish their close handshake before they are terminated. */
  closeTimeoutMs: number;
  /** Send `__peer_disconnected__` to the agent when its last controller leaves (wire.md §10.4). */
  peerDisconnected: boolean;
}

/** Every default and policy number of the server, in one place. */
export const SERVER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 9001,
  path: '/chat',
  syncTimeoutMs: 1500,
  syncGapMs: 100,
  heartbeatMs: 30_000,
  agentMaxPayloadBytes: 16 * 1024,
  controllerMaxPayloadBytes: 64 * 1024,
  controllerMaxBufferedBytes: 1024 * 1024,
  agentMaxBufferedBytes: 256 * 1024,
  controllerFramesPerSecond: 200,
  controllerLinesPerSecond: 500,
  channelLinesPerSecond: 1000,
  maxControllersPerChannel: 64,
  maxChannels: 1024,
  agentKeepAliveMs: 15_000,
  agentProbeMs: 1000,
  handshakeTimeoutMs: 10_000,
  maxPendingConnections: 512,
  maxPendingPerAddress: 128,
  refusalReportsPerSecond: 20,
  closeTimeoutMs: 2000,
  peerDisconnected: true,
} satisfies ServerPolicy & { host: string; port: number; path: string });

export type Policy = typeof SERVER_DEFAULTS;

/**
 * SERVER_DEFAULTS with the options' policy keys over them. Numbers must be above 0: NaN or a
 * negative limit would switch a protection off (a NaN heartbeat fires every 1 ms).
 */
export function resolvePolicy(options: Partial<Record<keyof Policy, unknown>>): Policy {
  const picked = Object.fromEntries(
    Object.entries(options).filter(([k, v]) => k in SERVER_DEFAULTS && v !== undefined),
  );
  const policy = { ...SERVER_DEFAULTS, ...picked } as Policy;
  for (const [key, value] of Object.entries(policy)) {
    const fallback = SERVER_DEFAULTS[key as keyof Policy];
    if (typeof fallback === 'number' && key !== 'port' && !(typeof value === 'number' && value > 0)) {
      throw new MmdError(
        'ERR_SERVER_OPTION',
        `${key} must be a number above 0, got ${value}: leave it out for the default ${fallback}`,
      );
    }
  }
  if (!Number.isInteger(policy.port) || policy.port < 0 || policy.port > 65535) {
    throw new MmdError('ERR_SERVER_OPTION', `port ${policy.port} is not a TCP port: use 0 (any free port) to 65535`);
  }
  return policy;
}

/**
 * The one back-pressure rule toward an agent, for every path (relay, Channel.send, the agent's
 * AgentLink, setup, `__peer_disconnected__`): `bytes` more may be queued while the total stays
 * within agentMaxBufferedBytes. A frame that exactly fills the limit is accepted.
 */
export function checkAgentRoom(policy: ServerPolicy, channel: string, buffered: number, bytes: number): void {
  const limit = policy.agentMaxBufferedBytes;
  if (buffered + bytes > limit) {
    throw new MmdError(
      'ERR_BACKPRESSURE',
      `MMDAgent-EX on ${channel} is not reading fast enough (${buffered} bytes waiting, ${bytes} more refused, ` +
        `limit ${limit}): slow down and retry`,
    );
  }
}

/**
 * A controller is a slow consumer once what it has not taken is already over
 * controllerMaxBufferedBytes. Unlike toward the agent, the next frame is not counted: nothing is
 * refused here, a state is detected, and one socket read of agent frames (up to 64 KiB) is corked
 * for the rest of its tick, so counting ahead would drop a controller that reads at full speed.
 */
export function isSlowConsumer(policy: ServerPolicy, buffered: number): boolean {
  return buffered > policy.controllerMaxBufferedBytes;
}

/** What a RateWindow says about one more unit. */
export type RateVerdict = 'ok' | 'first-refusal' | 'refused';

/**
 * A fixed one-second window counting units (frames or lines). The first refusal of a window is
 * told apart so the sender gets one error line per second, not one per refused unit.
 */
export class RateWindow {
  #start = -Infinity;
  #used = 0;
  #refusedInWindow = false;

  constructor(readonly perSecond: number) {}

  /** Takes `units` at time `now` (ms): all of them, or none when they would exceed the window. */
  take(units: number, now: number): RateVerdict {
    if (now - this.#start >= 1000) {
      this.#start = now;
      this.#used = 0;
      this.#refusedInWindow = false;
    }
    if (this.#used + units <= this.perSecond) {
      this.#used += units;
      return 'ok';
    }
    if (this.#refusedInWindow) return 'refused';
    this.#refusedInWindow = true;
    return 'first-refusal';
  }
}

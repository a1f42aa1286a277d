// The shapes a channel shares with its server and reports to the app: counters, event payloads,
// what GET /channels lists, and what a channel needs from its host.
import type { AgentLink } from '../../link.js';
import type { Channel } from './channel.js';
import type { LinePolicy } from './commands.js';
import type { ServerPolicy } from './policy.js';

export interface ServerStats {
  channels: number;
  agents: number;
  controllers: number;
  refusedUpgrades: number;
  slowConsumerDisconnects: number;
  deadControllerTerminations: number;
  /** Agents that had missed their pongs and were let go because a new agent wanted their channel. */
  deadAgentTakeovers: number;
  /** Connections closed at once because too many were still in their handshake (ConnectionGate). */
  refusedConnections: number;
  refusedControllerFrames: number;
  rateLimitedFrames: number;
  framesToAgents: number;
  framesToControllers: number;
  socketErrors: number;
}

export interface ChannelTraffic {
  framesToAgent: number;
  /** One per controller a frame was delivered to. */
  framesToControllers: number;
  /** Controller frames refused (invalid, not allowed, over the rate). */
  refusedFrames: number;
}

export interface AgentInfo {
  channel: string;
  /** The agent is the stand-in (server.standInUrl), which yields to a real MMDAgent-EX. */
  standIn: boolean;
}
export interface AgentLeftInfo {
  channel: string;
  since: Date;
}
export interface ControllerInfo {
  channel: string;
  remoteAddress: string | undefined;
  /** Connected with the viewer token: sees everything, may send nothing. */
  readOnly: boolean;
}
export interface ControllerLeftInfo extends ControllerInfo {
  code: number;
  reason: string;
  /** Controllers still on the channel; 0 when this was the last one. */
  remaining: number;
  /**
   * Whether `__peer_disconnected__` went to the agent because of this leave: only when it was the
   * last controller, `peerDisconnected` is on, and the server app does not own avatar control.
   */
  peerDisconnectedSent: boolean;
}
/** The agent's avatar control as the agent reported it (`AVATAR|START` / `AVATAR|END`, wire.md §10.3). */
export interface AvatarInfo {
  channel: string;
  enabled: boolean;
  /** True while the server app (setup, the agent's AgentLink, channel.send) has avatar control on. */
  ownedByServer: boolean;
}

export interface ChannelEvents {
  agent: [link: AgentLink, info: AgentInfo];
  agentLeft: [info: AgentLeftInfo];
  controller: [info: ControllerInfo];
  controllerLeft: [info: ControllerLeftInfo];
  /** The agent switched avatar control on or off (after `__AV_START`, `__AV_END`, `__peer_disconnected__`...). */
  avatar: [info: AvatarInfo];
}

/** What GET /channels and server.channels() report for each channel. */
export interface ChannelInfo {
  path: string;
  agent: boolean;
  /** ISO time the current agent became ready, or null. */
  agentSince: string | null;
  controllers: number;
  /** The agent is the stand-in (a simulator that yields to a real MMDAgent-EX). */
  standIn: boolean;
}

/** What channels share with their server. */
export interface ChannelHost {
  readonly policy: ServerPolicy;
  readonly counters: ServerStats;
  readonly setupFrames: readonly string[];
  /** The command policy for controllers on `channel` (commands.ts); undefined: only the built-in refusals. */
  linePolicy(channel: string): LinePolicy | undefined;
  /** Server-wide events (the channel also emits its own). */
  emit<K extends keyof ChannelEvents>(event: K, ...args: ChannelEvents[K]): void;
  /** Called when a channel may have become empty. */
  release(channel: Channel): void;
  /** Errors nobody can be told about directly (a listener threw, a notice could not be sent). */
  report(err: unknown): void;
}

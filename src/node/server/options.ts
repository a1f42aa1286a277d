// What createServer takes and what it returns: the options, the server's events and its interface.
import type { AddressInfo } from 'node:net';
import type { Message } from '../../message.js';
import type { FleetOptions } from '../fleet/registry.js';
import type { TcpAgentOptions, TcpListenOptions } from '../tcp/server-tcp.js';
import type { TcpSharedWarning } from '../tcp/peer-watch.js';
import type { Channel } from './channel.js';
import type { LinePolicy } from './commands.js';
import type { ServerPolicy } from './policy.js';
import type { ChannelEvents, ChannelInfo, ServerStats } from './types.js';

export interface ServerOptions extends Partial<ServerPolicy> {
  /** Default 127.0.0.1. `localhost` listens on both 127.0.0.1 and ::1. A non-loopback host needs `token`. */
  host?: string;
  /** Default 9001; 0 picks a free port. */
  port?: number;
  /** The channel printed for users (server.url). Default `/chat`. */
  path?: string;
  /** 'any' (default): every path is a channel. A list: only those paths and their `-N` renames. */
  channels?: 'any' | readonly string[];
  /** Lines sent to every new MMDAgent-EX connection after the sync line (wire.md §9, §12.9). */
  setup?: readonly (Message | string)[];
  /** Serve the playground: `/` → `/playground/`, `/playground/*`, `/dist/*`. */
  playground?: boolean;
  /** Controllers must present it as `?token=` or as the subprotocol `mmdagent-token.<token>`. */
  token?: string;
  /** Origins browser controllers may come from; default the server's own; '*' allows any. */
  allowedOrigins?: readonly string[] | '*';
  /** Agents must connect with `?secret=<agentSecret>` in Plugin_Remote_Websocket_Directory. */
  agentSecret?: string;
  /**
   * Host names (without port) requests may carry besides this server's own; '*' allows any. A
   * loopback server otherwise answers only loopback names (DNS rebinding, docs/security.md).
   */
  allowedHosts?: readonly string[] | '*';
  /** Controllers presenting this instead of `token` are read-only viewers: they see everything and send nothing. */
  viewerToken?: string;
  /**
   * What controllers may send (allow/deny by type or function, and unsafe kinds to allow), for
   * every channel or per channel. Lines that end or move the agent's connection and the relay's
   * own lines are refused whatever this says, unless `allowUnsafe` names their kind.
   */
  lines?: LinePolicy | ((channel: string) => LinePolicy | undefined);
  /**
   * Accept a stand-in agent (a simulator, as `npm start` runs) at server.standInUrl(): it holds a
   * channel only until a real MMDAgent-EX arrives there, and takes it back when that one leaves.
   */
  standIn?: boolean;
  /**
   * MMDAgent-EX as a TCP client (`Plugin_Remote_EnableClient=true`, `Plugin_Remote_Port=<port>`):
   * listen on each port and make the app that dials in the agent of `channel` (default `path`).
   */
  tcp?: readonly TcpListenOptions[];
  /**
   * MMDAgent-EX as a TCP server (`Plugin_Remote_EnableServer=true`): dial each and make it the agent
   * of `channel` (default `path`), redialling while the app restarts.
   */
  tcpAgents?: readonly TcpAgentOptions[];
  /**
   * Join a fleet of processes behind a proxy (docs/deploy.md): publish this process's channels to
   * Redis, and answer GET /channels for every live process (`?local=1`: this one only).
   */
  fleet?: FleetOptions;
  /**
   * Serve `wss://` and `https://` with this certificate and key (PEM). MMDAgent-EX speaks TLS when
   * its Plugin_Remote_Websocket_Port is 443, and only then (wire.md §3.2): listen on 443 for it.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface RefusedInfo {
  /** The HTTP status answered; 0 for a connection closed before its request (over a connection cap). */
  status: number;
  reason: string;
  path: string;
  kind: 'agent' | 'controller' | 'connection';
  remoteAddress: string | undefined;
  /** Refusals not reported since the previous report (at most refusalReportsPerSecond are). */
  suppressed: number;
}

export interface ServerEvents extends ChannelEvents {
  /**
   * An upgrade was answered with an HTTP error (401, 403, 404, 429, 503), or a connection was closed
   * over a cap (status 0). At most refusalReportsPerSecond a second; `suppressed` counts the rest.
   */
  refused: [info: RefusedInfo];
  /** Another TCP client joined a TCP agent's app: their bytes share its one input buffer (wire.md §14). */
  tcpWarning: [warning: TcpSharedWarning];
  /** A listener threw, or something failed that has nobody else to tell. */
  error: [err: unknown];
}

export interface MmdServer {
  /** `ws://host:port/path` for the configured path. */
  readonly url: string;
  /** `http://host:port/`, where the playground and GET /channels are served. */
  readonly httpUrl: string;
  /** The first listening address. */
  address(): AddressInfo;
  /** Every listening address (two for `localhost` when the machine has IPv6 loopback). */
  addresses(): AddressInfo[];
  /** The channel for `path` (created if needed, kept while the server runs). */
  channel(path: string): Channel;
  /**
   * The URL for the stand-in agent on `path` (default the configured path): it carries a secret
   * made for this server process. Needs the `standIn` option; ERR_SERVER_OPTION otherwise.
   */
  standInUrl(path?: string): string;
  channels(): ChannelInfo[];
  stats(): ServerStats;
  /** Where the `tcp` listeners listen (option order); empty without them. */
  tcpAddresses(): AddressInfo[];
  on<K extends keyof ServerEvents>(event: K, cb: (...args: ServerEvents[K]) => void): () => void;
  /** Graceful and idempotent: see the module comment; ends a Linux MMDAgent-EX. */
  close(): Promise<void>;
}

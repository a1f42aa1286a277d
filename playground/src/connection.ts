// One controller connection with its own reconnect loop: the state is always visible (connecting,
// open, retrying in N s, failed with a cause), and a server restart is ridden out with jittered
// back-off. The SDK's connect() dials once per attempt; the loop is here so the page can show it.
import { connect, reconnectDelay, type AgentLink, type IncomingMessage } from '../../src/index.js';
import { describeError } from './dom.js';
import { diagnose, type Cause } from './channels.js';
import { shown } from './address.js';

export type ConnState =
  | { kind: 'idle' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open'; since: Date }
  | { kind: 'retrying'; attempt: number; inMs: number; why: string; cause?: Cause }
  | { kind: 'failed'; code: string; why: string; cause?: Cause };

export interface ConnectionEvents {
  state(s: ConnState): void;
  message(m: IncomingMessage): void;
  /** A new link is open (first time and after every reconnection). */
  open(link: AgentLink): void;
}

/** Back-off: 0.5 s doubling to 10 s; a connection must stay up this long before the count resets. */
export const RETRY = { minDelayMs: 500, maxDelayMs: 10_000, factor: 2, jitter: 0.3 };
export const MIN_UPTIME_MS = 5_000;

export class Connection {
  link: AgentLink | null = null;
  url = '';
  state: ConnState = { kind: 'idle' };
  #attempt = 0;
  #timer = 0;
  #generation = 0;
  #openedAt = 0;
  #ev: ConnectionEvents;

  constructor(events: ConnectionEvents) {
    this.#ev = events;
  }

  get open(): boolean {
    return this.state.kind === 'open' && !!this.link;
  }

  #set(s: ConnState): void {
    this.state = s;
    this.#ev.state(s);
  }

  /**
   * Connects to `url` (closing any current link). `retry`: keep trying with back-off when the first
   * attempt fails (used on load and after drops); a press of Connect reports the first failure.
   */
  start(url: string, retry = false): void {
    this.stop(false);
    this.url = url;
    this.#attempt = 0;
    void this.#dial(++this.#generation, retry);
  }

  /** Closes the link and ends any retry loop. */
  stop(report = true): void {
    this.#generation++;
    clearTimeout(this.#timer);
    const link = this.link;
    this.link = null;
    link?.close();
    if (report) this.#set({ kind: 'idle' });
  }

  async #dial(gen: number, retry: boolean): Promise<void> {
    this.#set({ kind: 'connecting', attempt: this.#attempt });
    let link: AgentLink;
    try {
      const { url, protocols } = tokenAsProtocol(this.url);
      link = await connect(url, { connectTimeoutMs: 8000, protocols });
    } catch (err) {
      if (gen !== this.#generation) return;
      const { code, message } = describeError(err);
      const found = await diagnose(this.url);
      if (gen !== this.#generation) return;
      const why = `${shown(message)}. ${found.text}`;
      // A closed port is worth retrying (a restart); an origin or token refusal will not heal by itself.
      if (retry && (found.cause === 'unreachable' || found.cause === 'unknown'))
        return this.#retry(gen, why, found.cause);
      this.#set({ kind: 'failed', code, why, cause: found.cause });
      return;
    }
    if (gen !== this.#generation) {
      link.close();
      return;
    }
    this.link = link;
    this.#openedAt = Date.now();
    link.on('message', (m: IncomingMessage) => {
      if (gen === this.#generation) this.#ev.message(m);
    });
    link.on('close', () => {
      if (gen !== this.#generation || this.link !== link) return;
      this.link = null;
      // Only a connection that stayed up resets the count: a server that accepts and drops at once
      // is not redialled every half second forever.
      if (Date.now() - this.#openedAt >= MIN_UPTIME_MS) this.#attempt = 0;
      this.#retry(gen, 'the connection closed', 'unreachable');
    });
    this.#set({ kind: 'open', since: new Date() });
    this.#ev.open(link);
  }

  #retry(gen: number, why: string, cause: Cause): void {
    const inMs = Math.round(reconnectDelay(this.#attempt, RETRY));
    this.#attempt++;
    this.#set({ kind: 'retrying', attempt: this.#attempt, inMs, why, cause });
    this.#timer = window.setTimeout(() => {
      if (gen === this.#generation) void this.#dial(gen, true);
    }, inMs);
  }

  /** Dial now instead of waiting for the back-off timer. */
  retryNow(): void {
    if (this.state.kind !== 'retrying') return;
    clearTimeout(this.#timer);
    void this.#dial(this.#generation, true);
  }
}

/**
 * The controller token goes in the WebSocket subprotocol (`mmdagent-token.<token>`, which the
 * server accepts) instead of the URL, so it stays out of server and proxy logs (issue 13).
 */
export function tokenAsProtocol(address: string): { url: string; protocols: string[] } {
  const url = new URL(address);
  const token = url.searchParams.get('token');
  if (token === null) return { url: address, protocols: [] };
  url.searchParams.delete('token');
  return { url: url.href, protocols: [`mmdagent-token.${token}`] };
}

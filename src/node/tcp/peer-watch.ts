// The shared-buffer hazard of Plugin_Remote's TCP modes (wire.md §14): the app appends what any
// of its TCP clients sends to ONE pending-bytes buffer, so a partial line from one client is glued
// to the next bytes of another. This SDK writes whole lines in one write each; another program on
// the same app may not. The app announces each client of its TCP server with
// `REMOTE_EVENT_CONNECTED|<ip>` to every client (the newcomer included: it is on the client list
// before the bus message goes out), so one that is not ours means the buffer is shared.

export const REMOTE_EVENT_CONNECTED = 'REMOTE_EVENT_CONNECTED';
export const REMOTE_EVENT_DISCONNECTED = 'REMOTE_EVENT_DISCONNECTED';

export interface TcpSharedWarning {
  /** Where MMDAgent-EX is (`host:port`), or the local listen address for an app that dialled in. */
  agent: string;
  /** The channel of a server's TCP agent; undefined for connectTcp(). */
  channel?: string;
  /** The other client's address as the app reports it (IPv4). */
  address: string;
  /** Other TCP clients the app announced on this connection and did not yet report gone. */
  others: number;
  message: string;
}

const CONNECTED = Buffer.from(`${REMOTE_EVENT_CONNECTED}|`);
const DISCONNECTED = Buffer.from(`${REMOTE_EVENT_DISCONNECTED}|`);

/**
 * Watches one connection's incoming lines. `ownAnnounced`: true when we dialled the app's TCP
 * server (its first REMOTE_EVENT_CONNECTED on this connection is ours); false when the app
 * dialled us (its client mode announces nothing, so every one is another client of its server).
 */
export class PeerWatch {
  #ownPending: boolean;
  #others = 0;

  constructor(
    ownAnnounced: boolean,
    private readonly where: { agent: string; channel?: string },
    private readonly warn: (warning: TcpSharedWarning) => void,
  ) {
    this.#ownPending = ownAnnounced;
  }

  get others(): number {
    return this.#others;
  }

  line(bytes: Uint8Array): void {
    if (startsWith(bytes, CONNECTED)) {
      if (this.#ownPending) {
        this.#ownPending = false;
        return;
      }
      this.#others++;
      const address = addressOf(bytes, CONNECTED.length);
      this.warn({
        ...this.where,
        address,
        others: this.#others,
        message:
          `another TCP client (${address}) connected to MMDAgent-EX at ${this.where.agent}: the app keeps ONE ` +
          'pending-bytes buffer for all its TCP clients, so a line that reaches it in two pieces is glued to the ' +
          "other client's bytes (wire.md §14). This SDK writes whole lines in one write; make sure the other " +
          'program does too, or give each program its own MMDAgent-EX',
      });
    } else if (startsWith(bytes, DISCONNECTED) && this.#others > 0) this.#others--;
  }
}

function startsWith(bytes: Uint8Array, prefix: Buffer): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function addressOf(bytes: Uint8Array, from: number): string {
  let end = bytes.length;
  while (end > from && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  return Buffer.from(bytes.subarray(from, end)).toString('utf8');
}

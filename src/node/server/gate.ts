// What a connection may cost before it has said who it is (issue 13): 1,100 silent sockets once
// took every descriptor, and the simulated agent gave up for good with nothing logged. Connections
// that have not finished a WebSocket handshake are capped in total and per address, and held at
// most handshakeTimeoutMs (Node's headersTimeout); refusals are reported, throttled.
import type { Socket } from 'node:net';
import { RateWindow, type ServerPolicy } from './policy.js';

/** Counts connections until their upgrade completes (or they close), and refuses beyond the caps. */
export class ConnectionGate {
  #pending = new Map<Socket, ReturnType<typeof setTimeout>>();
  #byAddress = new Map<string, number>();

  constructor(private readonly policy: ServerPolicy) {}

  /** Why `socket` is refused, or undefined when it may go on (it is then counted until upgraded or closed). */
  admit(socket: Socket): string | undefined {
    const address = socket.remoteAddress ?? '';
    const fromAddress = this.#byAddress.get(address) ?? 0;
    if (this.#pending.size >= this.policy.maxPendingConnections)
      return (
        `more than ${this.policy.maxPendingConnections} connections are still in their handshake: raise ` +
        `maxPendingConnections, or find who opens them`
      );
    if (fromAddress >= this.policy.maxPendingPerAddress)
      return (
        `more than ${this.policy.maxPendingPerAddress} connections from ${address} are still in their ` +
        `handshake: raise maxPendingPerAddress`
      );
    // Node's headersTimeout covers a request that started; a socket that never sends a byte is ours.
    const timer = setTimeout(() => socket.destroy(), this.policy.handshakeTimeoutMs);
    timer.unref();
    this.#pending.set(socket, timer);
    this.#byAddress.set(address, fromAddress + 1);
    socket.once('close', () => this.done(socket));
    return undefined;
  }

  /** The socket sent its request (an upgrade, or plain HTTP) or is closing: it no longer counts. */
  done(socket: Socket): void {
    const timer = this.#pending.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#pending.delete(socket);
    const address = socket.remoteAddress ?? '';
    const left = (this.#byAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#byAddress.set(address, left);
    else this.#byAddress.delete(address);
  }

  get pending(): number {
    return this.#pending.size;
  }
}

/**
 * Lets through at most `perSecond` reports a second; the next one let through says how many were
 * held back meanwhile, so a flood is still visible in a log without flooding it.
 */
export class ReportThrottle {
  #window: RateWindow;
  #held = 0;

  constructor(perSecond: number) {
    this.#window = new RateWindow(perSecond);
  }

  /** The number of reports held back before this one, or undefined when this one is held back too. */
  take(now = performance.now()): number | undefined {
    if (this.#window.take(1, now) !== 'ok') {
      this.#held++;
      return undefined;
    }
    const held = this.#held;
    this.#held = 0;
    return held;
  }
}

// The server's one heartbeat timer, spread over the period. Pinging every connection at once
// (one sweep per period) stalled the event loop for tens of ms at 1,000 channels: 2,000 ping
// writes, then 2,000 pongs read, while every agent line waited behind them (issue 17's p99).
// Each channel instead keeps a fixed slot, so it is still visited exactly once per period, and a
// controller still has a whole period to answer its ping.

/** What the sweep visits: a channel (Channel.heartbeat pings its agent and controllers). */
export interface Beating {
  heartbeat(): void;
}

/** A tick at most this often; short periods (tests) get fewer slices. */
const MIN_TICK_MS = 50;
/** Slices per period: 1,000 channels make about 16 per tick. */
const MAX_SLICES = 64;

export class HeartbeatSweep {
  readonly slices: number;
  readonly tickMs: number;
  readonly #channels: () => Iterable<Beating>;
  readonly #slotOf = new WeakMap<Beating, number>();
  #nextSlot = 0;
  #tick = 0;

  constructor(periodMs: number, channels: () => Iterable<Beating>) {
    this.slices = Math.max(1, Math.min(MAX_SLICES, Math.floor(periodMs / MIN_TICK_MS)));
    this.tickMs = Math.max(1, Math.round(periodMs / this.slices));
    this.#channels = channels;
  }

  /** Visits the channels of this tick's slot; a channel seen for the first time gets the next slot in turn. */
  tick(): void {
    const slot = this.#tick;
    this.#tick = (this.#tick + 1) % this.slices;
    for (const channel of this.#channels()) {
      let own = this.#slotOf.get(channel);
      if (own === undefined) {
        own = this.#nextSlot;
        this.#nextSlot = (this.#nextSlot + 1) % this.slices;
        this.#slotOf.set(channel, own);
      }
      if (own === slot) channel.heartbeat();
    }
  }

  /** Ticks every tickMs until clearInterval(the returned timer); never keeps the process alive. */
  start(): ReturnType<typeof setInterval> {
    return setInterval(() => this.tick(), this.tickMs).unref();
  }
}

// The simulated clock: every delay of the sim is scaled by `timeScale`, and every timer is
// tracked in a set so that an ended sim (or a lost connection) leaves nothing armed behind.
export type TimerSet = Set<ReturnType<typeof setTimeout>>;

export class Clock {
  /** The sim's own timers; a connection keeps its own set, cleared when it is dropped. */
  readonly timers: TimerSet = new Set();
  private readonly wakers = new Set<() => void>();
  private readonly createdAt = performance.now();

  constructor(
    readonly timeScale: number,
    private readonly ended: () => boolean,
  ) {}

  /** Simulated milliseconds since the sim was created. */
  now(): number {
    return this.wallMs() / this.timeScale;
  }

  /** Wall-clock milliseconds since the sim was created. */
  wallMs(): number {
    return performance.now() - this.createdAt;
  }

  /** Runs `fn` after `ms` simulated ms; the timer is cancelled with its set (the sim's or a connection's). */
  after(ms: number, fn: () => void, set: TimerSet = this.timers): () => void {
    // An ended sim arms nothing: a timer left behind (the 30 s CURRENT_TIME tick re-arms itself)
    // would keep the user's process alive after stop().
    if (this.ended()) return () => {};
    const timer = setTimeout(() => {
      set.delete(timer);
      fn();
    }, ms * this.timeScale);
    set.add(timer);
    return () => {
      clearTimeout(timer);
      set.delete(timer);
    };
  }

  /** Resolves after `ms` simulated ms, or at once when the sim ends. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.wakers.delete(wake);
        resolve();
      };
      this.wakers.add(wake);
      this.after(ms, wake);
    });
  }

  /** Cancels every timer of the sim and wakes every sleeper (the sim has ended). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of [...this.wakers]) wake();
  }
}

export function clearTimers(set: TimerSet): void {
  for (const t of set) clearTimeout(t);
  set.clear();
}

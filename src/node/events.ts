// A tiny typed event emitter: `on()` returns its unsubscribe function, and a listener that throws
// never stops the others or the relay (its error goes to `report`).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Listener[]>();
  private reporting = false;

  constructor(private readonly report: (err: unknown) => void) {}

  on<K extends keyof Events>(event: K, cb: (...args: Events[K]) => void): () => void {
    // Copy on write, so an emit in progress keeps the list it started with.
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), cb as Listener]);
    let subscribed = true;
    return () => {
      // Its own registration only: the same function added twice stays on until both are undone.
      const list = this.listeners.get(event)!;
      const at = subscribed ? list.indexOf(cb as Listener) : -1;
      if (at >= 0)
        this.listeners.set(
          event,
          list.filter((_, i) => i !== at),
        );
      subscribed = false;
    };
  }

  has(event: keyof Events): boolean {
    return (this.listeners.get(event)?.length ?? 0) > 0;
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const cb of this.listeners.get(event) ?? []) {
      try {
        cb(...args);
      } catch (err) {
        // `report` may emit again (the server's 'error' event): a listener that throws there too
        // would otherwise recurse until the stack overflows and the process dies.
        if (this.reporting) console.error('[mmdagent-ex-remote] an error listener threw:', err);
        else {
          this.reporting = true;
          try {
            this.report(err);
          } finally {
            this.reporting = false;
          }
        }
      }
    }
  }
}

/**
 * The one event emitter of the SDK (AgentLink, the server, its channels, the simulator), on the
 * nanoevents model: `on()` returns the function that undoes that one registration.
 *
 * Rules, also in the README ("Events"):
 * - Listeners run synchronously, in the order they were added. An emit uses the list it started
 *   with: a listener added during an emit hears the next one, one removed still hears this one.
 * - The same function added twice is two registrations; each unbind removes its own only, and
 *   calling an unbind again does nothing.
 * - A listener that throws stops neither the emit nor the other listeners. Its error is emitted
 *   as 'error' when the emitter has 'error' listeners; otherwise (and when an 'error' listener
 *   throws) it goes to the owner's `unhandled` hook, which by default rethrows it from a
 *   microtask, so it surfaces as an uncaught exception (Node) or in `window.onerror` and is
 *   never lost.
 */

/** Undoes one `on()` registration. */
export type Unbind = () => void;

// Listener arguments vary per event; the public signatures below keep them typed.
type Listener = (...args: unknown[]) => void;

export interface EmitterOptions {
  /** Where a listener's error goes when nobody listens to 'error'. Default: rethrow from a microtask. */
  unhandled?: (err: unknown) => void;
}

/** `Events` maps each event name to its argument tuple, e.g. `{ close: [code: number] }`. */
export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  #listeners = new Map<keyof Events, Listener[]>();
  #total = 0;
  #unhandled: (err: unknown) => void;

  constructor(opts: EmitterOptions = {}) {
    this.#unhandled = opts.unhandled ?? rethrowLater;
  }

  on<K extends keyof Events>(event: K, cb: (...args: Events[K]) => void): Unbind {
    this.#set(event, [...this.#list(event), cb as unknown as Listener]);
    let bound = true;
    return () => {
      if (!bound) return;
      bound = false;
      const list = this.#list(event);
      const at = list.indexOf(cb as unknown as Listener);
      this.#set(
        event,
        list.filter((_, i) => i !== at),
      );
    };
  }

  /** True when anyone listens to `event`. */
  has(event: keyof Events): boolean {
    return this.count(event) > 0;
  }

  /** Listeners of `event`, or of every event when none is given. */
  count(event?: keyof Events): number {
    return event === undefined ? this.#total : this.#list(event).length;
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    this.prepare(event)(...args);
  }

  /**
   * An emit whose listeners are fixed now and which runs when the returned function is called:
   * for an owner that decides who hears an event before any listener of another event runs.
   */
  prepare<K extends keyof Events>(event: K): (...args: Events[K]) => void {
    const list = this.#list(event);
    return (...args) => {
      for (const cb of list) {
        try {
          cb(...args);
        } catch (err) {
          if (event !== 'error' && this.has('error' as keyof Events)) {
            this.emit('error' as K, ...([err] as unknown[] as Events[K]));
          } else this.#report(err);
        }
      }
    };
  }

  #report(err: unknown): void {
    try {
      this.#unhandled(err);
    } catch (hookErr) {
      rethrowLater(hookErr);
    }
  }

  #list(event: keyof Events): Listener[] {
    return this.#listeners.get(event) ?? [];
  }

  #set(event: keyof Events, list: Listener[]): void {
    this.#total += list.length - this.count(event);
    if (list.length) this.#listeners.set(event, list);
    else this.#listeners.delete(event);
  }
}

/** Throws `err` from a microtask: reported as uncaught, without unwinding the caller. */
export function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

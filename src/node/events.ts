// The server's emitter is the core one (src/emitter.ts). Its owner passes `report`: where a
// listener's error goes when nobody listens to 'error' (the server logs it rather than crash).
import { Emitter as CoreEmitter } from '../emitter.js';

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> extends CoreEmitter<Events> {
  constructor(report: (err: unknown) => void) {
    let reporting = false;
    super({
      unhandled: (err) => {
        // `report` may emit 'error' again: a listener that throws there too would otherwise go
        // round until the stack overflows and the process dies.
        if (reporting) return console.error('[mmdagent-ex-remote] an error listener threw:', err);
        reporting = true;
        try {
          report(err);
        } finally {
          reporting = false;
        }
      },
    });
  }
}

// Internal: not re-exported by index.ts, so only the SDK's own builders can make one.
import type { Message } from './message.js';

/**
 * A message a catalog builder checked, with its line, so that sending it formats nothing twice.
 * Internal (index.ts does not export it), so no caller can attach a line of its own. Type and
 * args stay plain and writable; a private copy of them tells whether they still give that line.
 */
export class Built implements Message {
  declare type: string; // plain own properties, set in the constructor (`declare` emits no field)
  declare args: string[];
  #type: string;
  #args: string[];
  #line: string;

  constructor(type: string, args: string[], line: string) {
    this.type = this.#type = type;
    this.args = args;
    this.#args = args.slice();
    this.#line = line;
  }

  /** The checked line of `m` if a builder made it and nothing was changed since, else undefined. */
  static lineOf(m: Message): string | undefined {
    // instanceof first: it is cheap, and a brand check that misses on a plain message (the common
    // case) costs ~10 % of formatMessage. The brand check still decides, since an object made
    // from Built.prototype passes instanceof but has no private fields.
    if (!(m instanceof Built) || !(#type in m) || m.type !== m.#type) return;
    const now = m.args;
    const then = m.#args;
    if (now.length !== then.length) return;
    for (let i = 0; i < then.length; i++) if (now[i] !== then[i]) return;
    return m.#line;
  }
}

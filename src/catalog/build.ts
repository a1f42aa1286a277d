// The one helper behind every command builder. A builder passes its TYPE and its spec: one
// writer of kinds.ts per argument, OPTIONAL before the optional ones and REPEAT after a variadic
// one (the writers themselves, not their letters, so that a bundle keeps only those it uses).
// TYPE may carry a fixed first argument (`MENU|ADD`); the words of each enum argument follow the
// spec, comma-separated.
import { MmdError } from '../errors.js';
import { formatMessage } from '../message.js';
import type { Message } from '../message.js';
import { MAX_ARGS, MAX_LINE_BYTES } from '../limits.js';
import { Built } from '../built.js';
import { SUSPECT } from '../utf8.js';
import { Miss } from './codecs.js';
import type { Writer } from './codecs.js';
import { OPTIONAL, REPEAT } from './kinds.js';

// Labels and messages are built only here, once something failed.
function fail(type: string, at: number, expected: string, value: unknown): never {
  let shown: unknown = typeof value;
  try {
    shown = typeof value === 'number' ? value : JSON.stringify(value); // throws for a BigInt or a cycle
  } catch {}
  throw new MmdError('ERR_BAD_ARGUMENT', `${at ? `${type} argument ${at}` : type}: expected ${expected}, got ${shown}`);
}

/**
 * One builder: a pure factory, so that bundlers drop the builders nobody imports. Each call
 * builds and validates one command: ERR_BAD_ARGUMENT for a missing, extra, out-of-order or
 * ill-shaped argument, and formatMessage's wire codes for the rest. The message carries the line
 * it checked, which formatMessage returns as long as the message is unchanged.
 */
export const builder = (head: string, spec: readonly (Writer | string)[], ...enums: string[]) => {
  // Read at the first call, not at import: most builders are never called.
  let type: string, fixed: string[], words: string[][];
  let writers: Writer[], required: number, repeat: boolean, plain: RegExp[] | undefined;
  return (...values: unknown[]): Message => {
    if (!writers) {
      [type, ...fixed] = head.split('|');
      words = enums.map((list) => list.split(',')); // splitting at each call costs ~200 ns
      writers = spec.filter((w): w is Writer => typeof w !== 'string');
      required = spec.includes(OPTIONAL) ? spec.indexOf(OPTIONAL) : writers.length;
      repeat = spec[spec.length - 1] === REPEAT;
      plain =
        !fixed[0] && required === writers.length && writers.every((w) => w.suspect)
          ? writers.map((w) => w.suspect!)
          : undefined;
    }
    // Fast path for the commonest shape, every argument a required string (SYNTH_START,
    // MOTION_DELETE, ...): the rest array becomes the arguments as it is. Anything the one regex
    // per argument does not pass goes the general way below, which finds the exact complaint.
    if (plain && values.length === plain.length) {
      let line = head;
      let i = 0;
      for (const v of values) {
        if (typeof v !== 'string' || !v || plain[i].test(v)) break;
        line += '|' + v;
        i++;
      }
      if (i === values.length && 3 * line.length <= MAX_LINE_BYTES) return new Built(type, values as string[], line);
    }
    const args = fixed[0] ? fixed.slice() : []; // slicing an empty array is a slow runtime call
    let line = head;
    let clean = true; // as far as one regex test per text argument can tell
    let given = 0;
    let e = 0;
    for (let i = 0; i < values.length; i++, given++) {
      const w = i < writers.length ? writers[i] : repeat ? writers[writers.length - 1] : undefined;
      const v = values[i];
      if (!w) fail(type, 0, `at most ${i} arguments`, values);
      if (v === undefined) {
        if (i < required) fail(type, i + 1, 'a value', v);
        if (values.slice(i).some((x) => x !== v))
          fail(type, i + 1, 'a value, since a later optional argument is given', v);
        break;
      }
      let text: string | Miss;
      if (w.suspect) {
        // One regex for the usual clean string; the writer then finds the exact complaint, if any.
        text = v as string;
        if (typeof v !== 'string' || !v || w.suspect.test(v)) {
          const checked = w.write(v);
          if (checked instanceof Miss) fail(type, i + 1, checked.expected, checked.got);
          clean = false;
        }
      } else {
        text = w.write(v, w.words ? words[e++] : undefined);
        if (text instanceof Miss) fail(type, i + 1, text.expected, text.got);
        // Numbers, enum words and hex colours come out clean; lists and the rest of a line may not.
        if (w.raw && (!text || SUSPECT.test(text))) clean = false;
      }
      if (w.rest) args.push(...text.split('|'));
      else args.push(text);
      line += '|' + text;
    }
    if (given < required) fail(type, 0, `${required} arguments`, values);
    // Anything in doubt goes through formatMessage, for its exact errors and byte count.
    if (!clean || args.length > MAX_ARGS || 3 * line.length > MAX_LINE_BYTES) line = formatMessage({ type, args });
    return new Built(type, args, line);
  };
};

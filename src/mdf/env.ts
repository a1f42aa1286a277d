// `%ENV{NAME}` references (mdf.md §3.5). Expansion is always an explicit call with an
// environment the caller passes in: core code never reads process.env.
import { MmdError } from '../errors.js';
import { utf8ByteLength } from '../utf8.js';

const OPEN = '%ENV{';

/** MMDAgent_replaceEnvDup works in a 2048-byte buffer: a longer result is "too long" (mdf.md §3.5). */
const ENV_RESULT_MAX_BYTES = 2048;

/**
 * Replacements before we call an expansion runaway. A terminating expansion of a ≤ 2048-byte
 * text needs far fewer; this only bounds contrived chains that neither repeat nor grow.
 */
const ENV_MAX_STEPS = 4096;

/**
 * Index of the first `%ENV{` that has no closing `}`, or -1. Such a reference makes
 * MMDAgent-EX's Option parser reject the whole file (mdf.md §2, §3.5), whatever the environment.
 */
export function brokenEnvAt(text: string): number {
  for (let at = text.indexOf(OPEN); at >= 0;) {
    const close = text.indexOf('}', at + OPEN.length);
    if (close < 0) return at;
    at = text.indexOf(OPEN, close + 1);
  }
  return -1;
}

/**
 * Expands `%ENV{NAME}` in `text` as MMDAgent-EX does (mdf.md §3.5): an unset variable gives
 * the empty string, several references are allowed, and the search restarts from the start
 * after every replacement, so references inside a variable's value are expanded too.
 * Throws ERR_MDF_ENV for a `%ENV{` without `}`, a result over 2048 bytes, and a
 * self-referencing chain (where MMDAgent-EX would loop forever).
 */
export function expandEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  if (!text.includes(OPEN)) return text;
  // Kept up to date per replacement instead of re-measured: the references are ASCII, so only a
  // surrogate pair formed across a value's edge makes this an overestimate (re-measured then).
  let bytes = utf8ByteLength(text);
  // Brent's cycle detection: a repeated text means MMDAgent-EX loops forever. One saved text,
  // re-saved at powers of two, instead of a set of every text: O(1) memory, and texts of
  // different lengths compare in O(1), so a growing chain costs no hashing.
  let saved = text;
  let power = 1;
  let sinceSaved = 0;
  for (let steps = 0; ; steps++) {
    const at = text.indexOf(OPEN);
    if (at < 0) return text;
    const close = text.indexOf('}', at + OPEN.length);
    if (close < 0) {
      throw new MmdError(
        'ERR_MDF_ENV',
        `"%ENV{" at index ${at} of ${JSON.stringify(clip(text))} has no closing "}"; MMDAgent-EX rejects the ` +
          `whole .mdf file for this (mdf.md §3.5): add the "}" or remove the reference`,
      );
    }
    const name = text.slice(at + OPEN.length, close);
    const found = Object.hasOwn(env, name) ? env[name] : undefined;
    const value = typeof found === 'string' ? found : '';
    text = text.slice(0, at) + value + text.slice(close + 1);
    bytes += utf8ByteLength(value) - (close + 1 - at);
    if (bytes > ENV_RESULT_MAX_BYTES && (bytes = utf8ByteLength(text)) > ENV_RESULT_MAX_BYTES) {
      throw new MmdError(
        'ERR_MDF_ENV',
        `expanding %ENV{${name}} makes the text longer than ${ENV_RESULT_MAX_BYTES} bytes, which MMDAgent-EX ` +
          `rejects as too long (mdf.md §3.5): shorten the variable's value`,
      );
    }
    if (text === saved || steps >= ENV_MAX_STEPS) {
      throw new MmdError(
        'ERR_MDF_ENV',
        `%ENV{${name}} refers back to itself (directly or through other variables), so MMDAgent-EX would loop ` +
          `forever expanding it (mdf.md §3.5): break the cycle in the environment`,
      );
    }
    if (++sinceSaved === power) ((saved = text), (power *= 2), (sinceSaved = 0));
  }
}

const clip = (text: string) => (text.length > 80 ? `${text.slice(0, 77)}...` : text);

/**
 * Reads a plugin's keys as MMDAgent-EX's plugins do: `%ENV{}` expanded on every read, from the
 * `env` given. Without `env`, a value using `%ENV{` throws ERR_MDF_ENV rather than guess; `caller`
 * names the function to pass it to.
 */
export function pluginReader(
  doc: { get(key: string): string | undefined },
  env: Readonly<Record<string, string | undefined>> | undefined,
  caller: string,
): (key: string) => string | undefined {
  return (key) => {
    const raw = doc.get(key);
    if (raw === undefined || !raw.includes('%ENV{')) return raw;
    if (!env) {
      throw new MmdError(
        'ERR_MDF_ENV',
        `${key} uses %ENV{}, which MMDAgent-EX expands from its environment: pass that environment as ` +
          `${caller}(doc, env)`,
      );
    }
    return expandEnv(raw, env);
  };
}

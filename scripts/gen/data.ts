// The catalog data the generator reads (protocol/messages.json) and the naming rules every output
// shares. What an argument type means is not decided here: src/catalog/kinds.ts says it.
import { readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArgSpec } from '../../src/catalog/kinds.js';

/** The repository, or `--root=<dir>` holding the same layout (tests check a stale copy that way). */
const rootFlag = process.argv.find((a) => a.startsWith('--root='))?.slice('--root='.length);
export const root = rootFlag ? resolve(rootFlag) + sep : fileURLToPath(new URL('../..', import.meta.url));

/** A repository file as text with LF line ends (a Windows checkout may have CRLF). */
export const read = (file: string): string => readFileSync(root + file, 'utf8').replace(/\r\n/g, '\n');

/** One entry of protocol/messages.json: a message, or one form of a message with several. */
export interface Entry {
  name: string;
  direction: 'command' | 'event';
  area: string;
  module: string;
  documented: boolean;
  form?: string;
  /** What joins the arguments, when not `|` (the `__AV*` lines). */
  separator?: string;
  example: string;
  args: ArgSpec[];
}

export const entries: Entry[] = JSON.parse(read('protocol/messages.json'));

/** `SND*` are audio frames and `__AV*` avatar lines (wire.md §8, avatar.md): not bus messages. */
export const isWireLine = (m: Entry): boolean => m.name.startsWith('SND') || m.name.startsWith('__AV');
/** Dropped by MMDAgent-EX when they come over the socket (wire.md §10.1): no builder. */
export const isDropped = (m: Entry): boolean => m.name.startsWith('RECOG_RECORD');
/** The bus messages: everything a builder can send or parseEvent can read. */
export const messages = entries.filter((m) => !isWireLine(m));
/** Commands that get a builder. */
export const buildable = messages.filter((m) => m.direction === 'command' && !isDropped(m));

/** The forms of each bus message, by type, in data order. */
export const byName = new Map<string, Entry[]>();
for (const m of messages) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);

const camel = (s: string) => s.toLowerCase().replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Forms chosen by a fixed first word (`MENU|ADD`, `RECOG_MODIFY|GAIN`): the word, else undefined. */
export const headWord = (m: Entry): string | undefined => {
  const first = m.args[0];
  return m.form && first?.type === 'enum' && first.enum?.length === 1 && first.enum[0] === m.form ? m.form : undefined;
};

/** A builder's parameters: the arguments after a fixed first word. */
export const params = (m: Entry): ArgSpec[] => (headWord(m) ? m.args.slice(1) : m.args);

/**
 * camelCase of the type; a message with several forms gets the first form under the plain name
 * and the others with the form appended, and a form chosen by a first word takes that word.
 */
export function builderName(m: Entry): string {
  const forms = byName.get(m.name)!;
  if (headWord(m) || (forms.length > 1 && forms[0] !== m)) return camel(`${m.name}_${m.form}`);
  return camel(m.name);
}

/** `TYPE|<a>[|<b>[|<c>]]`, nested optionals as in messages.md. */
export function usageOf(m: Entry): string {
  const sep = m.separator ?? '|';
  return (
    m.name +
    m.args.reduceRight((acc, a) => {
      const part = `${sep}<${a.name}${a.enum ? ': ' + a.enum.join('/') : ''}>`;
      return a.optional ? `[${part}${acc}]` : part + acc;
    }, '')
  );
}

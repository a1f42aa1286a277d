// parseEvent: names and types the arguments of any known message, from the packed TABLE (spec
// letters looked up in READERS, the kinds of kinds.ts). Never throws on content: an unknown type
// or a message that fits none of its forms comes back as an UnknownEvent, so a newer MMDAgent-EX
// cannot break a client.
import type { Message } from '../message.js';
import { Miss } from './codecs.js';
import type { Reader } from './codecs.js';
import { OPTIONAL, REPEAT } from './kinds.js';
import { READERS, TABLE } from './table.js';
import type { AgentEvent, UnknownEvent } from './types.js';

interface Form {
  form?: string;
  readers: Reader[];
  /** Arguments before the first optional one. */
  required: number;
  /** The last reader takes every argument left, as an array (PROMPT_SHOW's items). */
  repeat: boolean;
  names: string[];
  /** Allowed words of each enum argument, by argument index. */
  words: (string[] | undefined)[];
}

let forms: Map<string, Form[]> | undefined;

function load(): Map<string, Form[]> {
  const map = new Map<string, Form[]>();
  for (const line of TABLE.split('\n')) {
    const [id, code, ...args] = line.split(' ');
    const [type, form] = id.split(':');
    const spec = code === '-' ? '' : code;
    const letters = spec.replace(OPTIONAL, '').replace(REPEAT, '');
    if (!map.has(type)) map.set(type, []);
    map.get(type)!.push({
      form,
      readers: Array.from(letters, (letter) => READERS[letter]),
      required: spec.includes(OPTIONAL) ? spec.indexOf(OPTIONAL) : letters.length,
      repeat: spec.endsWith(REPEAT),
      names: args.map((a) => a.split('=')[0]),
      words: args.map((a) => a.split('=')[1]?.split(',')),
    });
  }
  return map;
}

/** The fields of `args` under `f`, or why they do not fit. */
function match(f: Form, args: string[]): Record<string, unknown> | string {
  const fields: Record<string, unknown> = {};
  const last = f.readers.length - 1;
  for (let i = 0; i < args.length; i++) {
    const reader = f.readers[i];
    if (!reader) return `${args.length} arguments, at most ${i} expected`;
    const name = f.names[i];
    if (reader.rest) {
      fields[name] = args.slice(i).join('|');
      return fields;
    }
    if (f.repeat && i === last) {
      fields[name] = args.slice(i);
      return fields;
    }
    const value = reader.read(args[i], f.words[i]);
    if (value instanceof Miss) return `argument ${i + 1} (${name}): expected ${value.expected}, got "${args[i]}"`;
    fields[name] = value;
  }
  if (args.length < f.required) return `${args.length} arguments, at least ${f.required} expected`;
  if (f.repeat && args.length <= last) fields[f.names[last]] = []; // a variadic tail is always an array
  return fields;
}

/**
 * Names and types the arguments of a message from MMDAgent-EX (any event, and any command,
 * since commands come back as echoes: messages.md §1). `known: false` with a `reason` for an
 * unknown type or arguments that fit none of the message's forms; never throws.
 */
export function parseEvent(msg: Message): AgentEvent | UnknownEvent {
  const { type, args } = msg;
  const candidates = (forms ??= load()).get(type);
  if (!candidates) return { type, known: false, args, reason: `unknown message type "${type}"` };
  const reasons: string[] = [];
  for (const f of candidates) {
    const fields = match(f, args);
    if (typeof fields === 'string') reasons.push(f.form ? `form ${f.form}: ${fields}` : fields);
    else return { type, ...(f.form ? { form: f.form } : {}), known: true, args, ...fields } as AgentEvent;
  }
  return { type, known: false, args, reason: `${type}: ${reasons.join('; ')}` };
}

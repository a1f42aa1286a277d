// parseEvent: names and types the arguments of any known message, from the packed TABLE
// (spec letters as in build.ts). Never throws on content: an unknown type or a message that
// fits none of its forms comes back as an UnknownEvent, so a newer MMDAgent-EX cannot break a
// client.
import type { Message } from '../message.js';
import { TABLE } from './table.js';
import type { AgentEvent, UnknownEvent } from './types.js';

interface Form {
  form?: string;
  spec: string;
  names: string[];
  /** Allowed words of each enum argument, by argument index. */
  words: (string[] | undefined)[];
}

let forms: Map<string, Form[]> | undefined;

function load(): Map<string, Form[]> {
  const map = new Map<string, Form[]>();
  for (const line of TABLE.split('\n')) {
    const [id, spec, ...args] = line.split(' ');
    const [type, form] = id.split(':');
    const names = args.map((a) => a.split('=')[0]);
    const words = args.map((a) => a.split('=')[1]?.split(','));
    if (!map.has(type)) map.set(type, []);
    map.get(type)!.push({ form, spec: spec === '-' ? '' : spec, names, words });
  }
  return map;
}

const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
const HEX = /^([0-9a-f]{6}|[0-9a-f]{8})$/i;
const TUPLE: Record<string, number> = { 2: 2, 3: 3, c: 3, C: 4, E: 5, P: 2 };

/** The fields of `args` under `f`, or why they do not fit. */
function match(f: Form, args: string[]): Record<string, unknown> | string {
  const fields: Record<string, unknown> = {};
  let k = 0;
  let optional = false;
  let i = 0;
  for (; i < args.length; i++) {
    if (f.spec[k] === '?') ((optional = true), k++);
    const kind = f.spec[k];
    if (!kind) return `${args.length} arguments, at most ${i} expected`;
    const name = f.names[i];
    const v = args[i];
    const what = `argument ${i + 1} (${name})`;
    let value: unknown = v;
    if (kind === 'r') {
      fields[name] = args.slice(i).join('|');
      return fields;
    }
    if (f.spec[k + 1] === '+') {
      fields[name] = args.slice(i);
      return fields;
    }
    if (kind === 'i' || kind === 'f') {
      if (!(kind === 'i' ? INT : FLOAT).test(v)) return `${what}: expected a number, got "${v}"`;
      value = Number(v);
    } else if (kind === 'e') {
      if (!f.words[i]!.includes(v)) return `${what}: expected ${f.words[i]!.join(' or ')}, got "${v}"`;
    } else if (kind === 'h') {
      if (!HEX.test(v)) return `${what}: expected RRGGBB or RRGGBBAA, got "${v}"`;
    } else if (kind === 'l' || TUPLE[kind]) {
      // Empty fields collapse, as MMDAgent-EX splits them (messages.md §1).
      const items = v.split(',').filter((x) => x !== '');
      const size = TUPLE[kind];
      if (size && items.length !== size) return `${what}: expected ${size} comma-separated values, got "${v}"`;
      if (kind === 'l' || kind === 'P') value = items;
      else {
        value = items.map(Number);
        if (!items.every((x) => FLOAT.test(x))) return `${what}: expected numbers, got "${v}"`;
      }
    }
    fields[name] = value;
    k++;
  }
  if (f.spec[k] === '?') ((optional = true), k++);
  if (f.spec[k] && !optional) return `${args.length} arguments, at least ${f.spec.replace(/\?.*/, '').length} expected`;
  if (f.spec[k + 1] === '+') fields[f.names[i]] = []; // a variadic tail is always an array
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

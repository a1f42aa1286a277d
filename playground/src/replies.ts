// What a command should bring back, and whether it did. MMDAgent-EX has no request ids: the echo
// comes first, then the events the catalog pairs with the command (`X_Y` → `X_EVENT_Y`, a
// `*_START` that runs for a while → its `*_EVENT_STOP`, `MENU|ADD` → `MENU_EVENT|ADD`).
import { CATALOG } from '../../src/catalog/spec.js';
import { plural } from './dom.js';
import { splitType, type Entry } from './log.js';
import type { AgentState } from './state.js';

const EVENTS = new Set(CATALOG.filter((e) => e.direction === 'event').map((e) => e.name));
/** Args whose first argument is a model alias: an unknown one is the usual reason nothing comes back. */
const MODEL_FIRST = new Set(
  CATALOG.filter((e) => e.direction === 'command' && e.args[0]?.name === 'modelAlias').map((e) => e.name),
);

/** The two replies whose names do not pair by that rule (messages.md, the commands' entries). */
const UNPAIRED: Record<string, string[]> = {
  MODEL_CHANGE_ASYNC: ['MODEL_EVENT_CHANGE'],
  TIMER_CANCEL: ['TIMER_EVENT_CANCELLED'],
};

export const REPLY_WAIT_MS = 5000;

/** The event types a command line is answered with (catalog pairs), in order. */
export function expectedEvents(line: string): string[] {
  if (line === '__AV_START') return ['AVATAR|START'];
  if (line === '__AV_END') return ['AVATAR|END'];
  if (line.startsWith('__AV')) return [];
  const [type, rest] = splitType(line);
  if (UNPAIRED[type]) return UNPAIRED[type];
  const form = rest.split('|')[1];
  if (EVENTS.has(`${type}_EVENT`) && form) return [`${type}_EVENT|${form}`];
  const out: string[] = [];
  const parts = type.split('_');
  for (let i = 1; i < parts.length; i++) {
    const ev = `${parts.slice(0, i).join('_')}_EVENT_${parts.slice(i).join('_')}`;
    if (EVENTS.has(ev)) out.push(ev);
  }
  if (type.endsWith('_START')) {
    const stop = out[0]?.replace(/_START$/, '_STOP');
    if (stop && EVENTS.has(stop)) out.push(stop);
  }
  return out;
}

/** Words for a form: what comes back after sending it. */
export function expectationText(type: string): string {
  const ev = expectedEvents(type === 'MENU' ? 'MENU|ADD' : type);
  if (type === 'MENU') return 'Comes back: the echo, then MENU_EVENT with the same sub-command.';
  return ev.length
    ? `Comes back: the echo, then ${ev.join(', then ')} (when MMDAgent-EX accepts it).`
    : 'Comes back: only the echo; this command sends no event (messages.md).';
}

interface Pending {
  entry: Entry;
  /** A status line beside the Send button that repeats the row's reply (the log may be off-screen). */
  mirror: HTMLElement | undefined;
  line: string;
  first: string | undefined;
  expected: string[];
  sentAt: number;
  echoMs: number | null;
  got: string[];
  timer: number;
}

export class Replies {
  #pending: Pending[] = [];
  #state: AgentState;
  /** Whether an agent is on the channel, for the reason given when nothing came. */
  agentPresent: () => boolean;

  #changed: () => void;

  constructor(state: AgentState, agentPresent: () => boolean, changed: () => void) {
    this.#state = state;
    this.agentPresent = agentPresent;
    this.#changed = changed;
  }

  /** Starts watching for the reply of a sent row. */
  sent(entry: Entry, mirror?: HTMLElement): void {
    const expected = expectedEvents(entry.line);
    const p: Pending = {
      entry,
      mirror,
      line: entry.line,
      first: entry.line.startsWith('__AV') ? undefined : entry.line.split('|')[1],
      expected,
      sentAt: performance.now(),
      echoMs: null,
      got: [],
      timer: 0,
    };
    p.timer = window.setTimeout(() => this.#finish(p), REPLY_WAIT_MS);
    this.#pending.push(p);
    this.#show(p, 'waiting…');
  }

  /** Matches an incoming line to the oldest pending send it answers. */
  received(line: string): void {
    const [type, rest] = splitType(line);
    const args = rest.split('|').slice(1);
    const now = performance.now();
    if (type === 'RELAY_ERROR') {
      // The server refused a line instead of passing it on; it names no line, and it answers at
      // once, so it belongs to the oldest send that has heard nothing yet.
      const p = this.#pending.find((x) => x.echoMs === null && x.got.length === 0);
      if (!p) return;
      clearTimeout(p.timer);
      this.#pending = this.#pending.filter((x) => x !== p);
      this.#show(p, `refused by the server: ${args[0] ?? ''} ${args.slice(1).join('|')}`.trim(), 'bad');
      return;
    }
    for (const p of this.#pending) {
      if (p.echoMs === null && line === p.line && !line.startsWith('__AV')) {
        p.echoMs = now - p.sentAt;
        this.#progress(p);
        return;
      }
      const id = type === 'AVATAR' || type.endsWith('_EVENT') ? `${type}|${args[0]}` : type;
      if (!p.expected.includes(id) || p.got.some((g) => g.startsWith(`${id} `))) continue;
      if (p.first !== undefined && args[0] !== undefined && !type.endsWith('_EVENT') && args[0] !== p.first) continue;
      p.got.push(`${id} ${Math.round(now - p.sentAt)} ms`);
      this.#progress(p);
      if (p.got.length === p.expected.length) this.#finish(p);
      return;
    }
  }

  #progress(p: Pending): void {
    const parts = [p.echoMs !== null ? `echo ${Math.round(p.echoMs)} ms` : '', ...p.got].filter(Boolean);
    this.#show(p, `← ${parts.join(' · ')}`, 'ok');
  }

  #finish(p: Pending): void {
    clearTimeout(p.timer);
    this.#pending = this.#pending.filter((x) => x !== p);
    const secs = `${REPLY_WAIT_MS / 1000} s`;
    if (p.echoMs === null && p.got.length === 0) {
      const why = this.agentPresent()
        ? 'MMDAgent-EX may be busy or the relay dropped the line'
        : 'no agent is connected on this channel';
      this.#show(p, `nothing within ${secs}: ${why}`, 'bad');
      return;
    }
    if (p.got.length === p.expected.length) {
      if (!p.expected.length) {
        const echo = p.echoMs !== null ? `echo ${Math.round(p.echoMs)} ms` : 'no echo';
        this.#show(p, `← ${echo}; this command sends no event`, 'ok');
      }
      return;
    }
    const missing = p.expected.filter((e) => !p.got.some((g) => g.startsWith(`${e} `)));
    const type = splitType(p.line)[0];
    const models = this.#state.models;
    let why = 'MMDAgent-EX only logs a rejected command (wrong path, argument count or alias)';
    if (MODEL_FIRST.has(type) && p.first !== undefined && models.length && !models.includes(p.first))
      why =
        `unknown model alias "${p.first}"? ` +
        `the agent reported ${plural(models.length, 'model')}: ${models.join(', ')}`;
    else if (MODEL_FIRST.has(type) && p.first !== undefined && !models.length && p.first !== '0')
      why = `unknown model alias "${p.first}"? the simulator's model is 0`;
    const done = [p.echoMs !== null ? `echo ${Math.round(p.echoMs)} ms` : '', ...p.got].filter(Boolean).join(' · ');
    this.#show(p, `${done ? `← ${done}; ` : ''}no ${missing.join(', ')} within ${secs}: ${why}`, 'warn');
  }

  #show(p: Pending, text: string, kind = ''): void {
    for (const r of [p.entry.reply, p.mirror]) {
      if (!r) continue;
      r.textContent = r === p.mirror ? `${p.line.slice(0, 60)} ${text}` : text;
      r.dataset.state = kind;
    }
    this.#changed();
  }

  clear(): void {
    for (const p of this.#pending) clearTimeout(p.timer);
    this.#pending = [];
  }
}

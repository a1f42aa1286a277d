// Variables, key-values, timers and plugins (messages.md "Variables", "Timers", "Plugins").
// Their events come in the echo's flush (transcripts.md finding 1, part1 #28–#35, #47, #48).
import { seconds } from './world.js';
import { LOADED_PLUGINS } from './world.js';
import type { Handlers, World } from './world.js';

const TIMER_TAIL_MS = 80; // part1 #28: 1.58 s for 1.5 s

const OPERATORS = {
  EQ: (x: number, y: number) => x === y,
  NE: (x: number, y: number) => x !== y,
  LE: (x: number, y: number) => x <= y,
  LT: (x: number, y: number) => x < y,
  GE: (x: number, y: number) => x >= y,
  GT: (x: number, y: number) => x > y,
};
const isOperator = (op: string): op is keyof typeof OPERATORS => Object.hasOwn(OPERATORS, op);

export function systemBehaviours(w: World): Handlers {
  const { bus } = w;
  const variables = () => w.plugins.has('Variables');

  const subFsts = new Set<string>();
  const subFstStart = (a: string[]) => {
    if (a.length !== 2 || !w.plugins.has('VIManager') || subFsts.has(a[0])) return;
    subFsts.add(a[0]);
    bus.post('SUBFST_EVENT_START', a[0]);
  };

  const timerEnd = (kind: 'STOP' | 'CANCEL') => (a: string[]) => {
    if (!variables() || a.length < 1) return;
    const timer = w.timers.get(a[0]);
    timer?.cancel();
    w.timers.delete(a[0]);
    if (kind === 'CANCEL') bus.post('TIMER_EVENT_CANCELLED', a[0]);
    else if (timer) bus.post('TIMER_EVENT_STOP', a[0]);
  };

  return {
    TIMER_START: (a) => {
      if (!variables() || a.length < 2) return;
      const alias = a[0];
      const old = w.timers.get(alias);
      if (old) {
        old.cancel();
        bus.post('TIMER_EVENT_CANCELLED', alias);
      }
      bus.post('TIMER_EVENT_START', alias);
      // Checked every 0.1 s (messages.md, Timers).
      const ms = Math.ceil(seconds(a[1]) * 10) * 100 + TIMER_TAIL_MS;
      const cancel = bus.after(ms, () => {
        w.timers.delete(alias);
        bus.post('TIMER_EVENT_STOP', alias);
      });
      w.timers.set(alias, { cancel });
    },
    TIMER_STOP: timerEnd('STOP'),
    TIMER_CANCEL: timerEnd('CANCEL'),
    VALUE_SET: (a) => {
      if (!variables() || a.length < 2) return;
      w.values.set(a[0], a.length >= 3 ? `${a[1]}|${a[2]}` : a[1]);
      bus.post('VALUE_EVENT_SET', a[0]);
    },
    VALUE_UNSET: (a) => {
      if (!variables() || a.length < 1) return;
      w.values.delete(a[0]);
      bus.post('VALUE_EVENT_UNSET', a[0]);
    },
    VALUE_EVAL: (a) => {
      const stored = w.values.get(a[0] ?? '');
      const op = a[1] ?? '';
      if (!variables() || a.length < 3 || stored === undefined || !isOperator(op)) return;
      const range = stored.split('|');
      const low = Number.parseFloat(range[0]) || 0;
      const value = range.length === 2 ? low + Math.random() * ((Number.parseFloat(range[1]) || 0) - low) : low;
      const result = OPERATORS[op](value, Number.parseFloat(a[2]) || 0);
      bus.post('VALUE_EVENT_EVAL', a[0], op, a[2], result ? 'TRUE' : 'FALSE');
    },
    VALUE_GET: (a) => {
      const value = w.values.get(a[0] ?? '');
      if (variables() && value !== undefined) bus.post('VALUE_EVENT_GET', a[0], value);
    },
    KEYVALUE_SET: (a) => {
      if (a.length === 2) w.keyValues.set(a[0], a[1]);
    },
    // Each plugin reacts to its own name only: a plugin the app did not load answers nothing.
    PLUGIN_ENABLE: (a) => {
      if (a.length !== 1 || !LOADED_PLUGINS.includes(a[0])) return;
      if (!w.plugins.has(a[0]) || a[0] === 'Remote') bus.post('PLUGIN_EVENT_ENABLE', a[0]);
      w.plugins.add(a[0]);
    },
    // Sub-FSTs run FST files the sim does not read: one runs until SUBFST_STOP (messages.md SUBFST_START).
    SUBFST_START: (a) => subFstStart(a),
    SUBFST_START_IF: (a) => subFstStart(a),
    SUBFST_STOP: (a) => {
      if (a.length === 1 && w.plugins.has('VIManager') && subFsts.delete(a[0])) bus.post('SUBFST_EVENT_STOP', a[0]);
    },
    PLUGIN_DISABLE: (a) => {
      if (!w.plugins.delete(a[0] ?? '')) return;
      bus.post('PLUGIN_EVENT_DISABLE', a[0]);
      if (a[0] === 'Remote') bus.remoteDisabled();
    },
  };
}

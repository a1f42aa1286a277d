// The simulator's behaviours (src/node/sim/behaviours/) against a recording host, without
// sockets: each reply is typed by the catalog, and the compile-time checks below fail
// `npm run typecheck` if that typing is ever lost (a @ts-expect-error that no longer errs is an error).
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { Behaviour } from '../src/node/sim/behaviours/index.js';
import type { LinkState, SimHost } from '../src/node/sim/behaviours/index.js';
import { typedBus } from '../src/node/sim/behaviours/world.js';
import type { Bus, Handlers } from '../src/node/sim/behaviours/world.js';
import type { Message } from '../src/message.js';

/** A host whose clock is driven by hand: `run(ms)` fires every timer due within `ms`. */
export function recordingHost(link?: Partial<LinkState>) {
  const posted: string[] = [];
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const host: SimHost = {
    post: (m: Message) => {
      posted.push(m.args.length ? `${m.type}|${m.args.join('|')}` : m.type);
      behaviour.handle(m);
    },
    after: (ms, fn) => {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => void (t.live = false);
    },
    link: { enabled: false, model: undefined, autoLip: 'NO', audioMode: 'SNDSTRM', ...link },
    now: () => now,
    remoteDisabled: () => {},
  };
  const behaviour = new Behaviour(host);
  const run = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      now = due.at;
      due.fn();
    }
    timers = timers.filter((t) => t.live);
    now = until;
  };
  /** Handles `line` as the app does after its echo; returns what was posted, running the clock `ms`. */
  const send = (line: string, ms = 0) => {
    const from = posted.length;
    const [type, ...args] = line.split('|').filter((f) => f !== '');
    behaviour.handle({ type, args });
    run(ms);
    return posted.slice(from);
  };
  return { behaviour, posted, run, send, host };
}

describe('sim behaviours: typed by the catalog (issue 11)', () => {
  it('a misspelt event name, a wrong argument count or an unknown command fails to compile', () => {
    const { host, posted } = recordingHost();
    const bus: Bus = typedBus(host);
    bus.post('MODEL_EVENT_ADD', '0');
    bus.post('MENU_EVENT', 'SETITEM', 'm', '0');
    bus.post('INFOTEXT_EVENT_SHOW');
    // @ts-expect-error misspelt event name
    bus.post('MODEL_EVNT_ADD', '0');
    // @ts-expect-error an argument too many
    bus.post('MODEL_EVENT_ADD', '0', 'extra');
    // @ts-expect-error an argument missing
    bus.post('MOTION_EVENT_ADD', '0');
    // @ts-expect-error a word the catalog does not allow
    bus.post('AVATAR', 'BEGIN');
    // @ts-expect-error the SETITEM form needs an id
    bus.post('MENU_EVENT', 'SETITEM', 'm');
    const handlers: Handlers = {
      MODEL_ADD: () => {},
      // @ts-expect-error not a command the catalog knows
      MODEL_ADDD: () => {},
    };
    expect(Object.keys(handlers)).to.have.length(2);
    // The lines that do compile are the wire lines; the ones that do not still run here.
    expect(posted.slice(0, 3)).to.deep.equal(['MODEL_EVENT_ADD|0', 'MENU_EVENT|SETITEM|m|0', 'INFOTEXT_EVENT_SHOW']);
  });

  it('leaves out optional arguments that were not given, never sending "undefined"', () => {
    const { host, posted } = recordingHost();
    typedBus(host).post('NOTIFY_SHOW', 'hi', undefined);
    expect(posted).to.deep.equal(['NOTIFY_SHOW|hi']);
  });
});

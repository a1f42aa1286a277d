// The simulator's behaviours (src/node/sim/behaviours/) against a recording host, without
// sockets: each reply is typed by the catalog, and the compile-time checks below fail
// `npm run typecheck` if that typing is ever lost (a @ts-expect-error that no longer errs is an error).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { describe, it } from './harness.js';
import { Behaviour, phonemes, speechMs } from '../src/node/sim/behaviours/index.js';
import type { LinkState, SimHost } from '../src/node/sim/behaviours/index.js';
import { typedBus } from '../src/node/sim/behaviours/world.js';
import type { Bus, Handlers } from '../src/node/sim/behaviours/world.js';
import type { Message } from '../src/message.js';

/**
 * A host whose clock is driven by hand: `run(ms)` fires every timer due within `ms`. Posts go
 * through one FIFO main loop, as in the Sim (a reply comes after what was already queued).
 */
export function recordingHost(link?: Partial<LinkState>) {
  const posted: string[] = [];
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const queue: Message[] = [];
  let looping = false;
  const loop = (fn: () => void) => {
    if (looping) return fn();
    looping = true;
    try {
      fn();
      for (let m = queue.shift(); m; m = queue.shift()) {
        posted.push(m.args.length ? `${m.type}|${m.args.join('|')}` : m.type);
        behaviour.handle(m);
      }
    } finally {
      looping = false;
    }
  };
  const host: SimHost = {
    post: (m: Message) => loop(() => queue.push(m)),
    after: (ms, fn) => {
      const t = { at: now + ms, fn: () => loop(fn), live: true };
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
    loop(() => behaviour.handle({ type, args }));
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

describe('sim behaviours: every command of messages.md (issue 12 item 5)', () => {
  it('each command is answered by a behaviour or listed in docs/sim.md as answered with the echo only', () => {
    const data = JSON.parse(readFileSync('protocol/messages.json', 'utf8')) as Array<{
      name: string;
      direction: string;
      module: string;
    }>;
    const doc = readFileSync('docs/sim.md', 'utf8');
    const table = doc.slice(doc.indexOf('### Commands answered with the echo only'), doc.indexOf('## Options'));
    const listed = new Set([...table.matchAll(/`([A-Z_0-9]+)`/g)].map((m) => m[1]));
    const { behaviour } = recordingHost();
    // The stream parser's own lines (__AV*, SND*) are acted on by the connection, tested in sim.node.test.ts.
    const commands = data.filter((m) => m.direction === 'command' && !m.module.includes('stream parser'));
    expect(commands.length).to.be.greaterThan(50);
    const neither = commands.filter((m) => !behaviour.answers(m.name) && !listed.has(m.name)).map((m) => m.name);
    const both = commands.filter((m) => behaviour.answers(m.name) && listed.has(m.name)).map((m) => m.name);
    expect(neither, 'answer these or list them in docs/sim.md').to.deep.equal([]);
    expect(both, 'answered, yet listed as echo only').to.deep.equal([]);
  });

  it('MODEL_BINDFACE / UNBINDFACE / BINDBONE / UNBINDBONE reply at once (session-60-steps.real.json 5–8)', () => {
    const { send } = recordingHost();
    expect(send('MODEL_BINDFACE|0|頬全消し|1|0.5')).to.deep.equal(['MODEL_EVENT_BINDFACE|0|頬全消し']);
    expect(send('MODEL_UNBINDFACE|0|頬全消し')).to.deep.equal(['MODEL_EVENT_UNBINDFACE|0|頬全消し']);
    expect(send('MODEL_UNBINDFACE|0|頬全消し'), 'no binding any more').to.deep.equal([]);
    expect(send('MODEL_BINDFACE|Smile|0|100|0|smile|0.0|1.0')).to.deep.equal(['MODEL_EVENT_BINDFACE|Smile|0|smile']);
    expect(send('MODEL_BINDBONE|0|頭|0,0,0|0,30,0')).to.deep.equal(['MODEL_EVENT_BINDBONE|0|頭']);
    expect(send('MODEL_BINDBONE|K|0|1|0|首|0,0,0|0,-30,0|0,0,0|0,30,0')).to.deep.equal(['MODEL_EVENT_BINDBONE|0|首']);
    expect(send('MODEL_UNBINDBONE|0|頭')).to.deep.equal(['MODEL_EVENT_UNBINDBONE|0|頭']);
    expect(send('MODEL_BINDFACE|nomodel|smile|1'), 'unknown model').to.deep.equal([]);
    expect(send('MODEL_BINDBONE|0|頭|0,0,0'), 'wrong count').to.deep.equal([]);
  });

  it('WINDOWOVERLAY_* and WINDOWFRAME_* (steps 48–49; messages.md)', () => {
    const { send } = recordingHost();
    expect(send('WINDOWOVERLAY_ADD|ov|images/floor_green.png|0.2|0|TOP_RIGHT|0.02')).to.deep.equal([
      'WINDOWOVERLAY_EVENT_ADD|ov',
    ]);
    expect(send('WINDOWOVERLAY_HIDE|ov')).to.deep.equal(['WINDOWOVERLAY_EVENT_HIDE|ov']);
    expect(send('WINDOWOVERLAY_SHOW|ov')).to.deep.equal(['WINDOWOVERLAY_EVENT_SHOW|ov']);
    expect(send('WINDOWOVERLAY_DELETE|ov')).to.deep.equal(['WINDOWOVERLAY_EVENT_DELETE|ov']);
    expect(send('WINDOWOVERLAY_DELETE|ov'), 'gone').to.deep.equal([]);
    expect(send('WINDOWOVERLAY_ADD|ov|x.png'), 'needs 6 arguments').to.deep.equal([]);
    expect(send('WINDOWFRAME_ADD|f|images/frame.png')).to.deep.equal(['WINDOWFRAME_EVENT_ADD|f']);
    expect(send('WINDOWFRAME_DELETE|f')).to.deep.equal(['WINDOWFRAME_EVENT_DELETE|f']);
  });

  it('BUTTON_DELETE answers 460 ms later (step 51); SUBFST_*; REMOTEKEY_CHAR gives KEY', () => {
    const { send, run, posted } = recordingHost();
    expect(send('BUTTON_ADD|b1|1|-1,1|images/floor_green.png|message,MY_BUTTON_PRESSED|ON')).to.deep.equal([
      'BUTTON_EVENT_ADD|b1',
    ]);
    expect(send('BUTTON_DELETE|b1', 450)).to.deep.equal([]);
    run(20);
    expect(posted.at(-1)).to.equal('BUTTON_EVENT_DELETE|b1');
    expect(send('SUBFST_START|s|extra.fst')).to.deep.equal(['SUBFST_EVENT_START|s']);
    expect(send('SUBFST_STOP|s')).to.deep.equal(['SUBFST_EVENT_STOP|s']);
    expect(send('SUBFST_STOP|s'), 'not running').to.deep.equal([]);
    expect(send('REMOTEKEY_CHAR|d')).to.deep.equal(['KEY|d']);
  });

  it(
    'PLUGIN_ENABLE of a plugin the content did not load gives ' + 'the echo only (each plugin answers its own name)',
    () => {
      const { send } = recordingHost();
      expect(send('PLUGIN_ENABLE|Julius')).to.deep.equal([]);
      expect(send('PLUGIN_DISABLE|Audio')).to.deep.equal(['PLUGIN_EVENT_DISABLE|Audio']);
      expect(send('PLUGIN_ENABLE|Audio')).to.deep.equal(['PLUGIN_EVENT_ENABLE|Audio']);
    },
  );
});

describe('sim behaviours: speech as recorded with a real-time sink (issue 12 item 6)', () => {
  it('short text: SYNTH_EVENT_STOP goes out before LIPSYNC_EVENT_START (step 59, おわり)', () => {
    const { send } = recordingHost();
    expect(send('SYNTH_START|0|mei_voice_normal|おわり', 100).map((l) => l.split('|')[0])).to.deep.equal([
      'SYNTH_EVENT_START',
      'LIPSYNC_START',
      'SYNTH_EVENT_STOP',
      'LIPSYNC_EVENT_START',
    ]);
  });

  it('long text: LIPSYNC_EVENT_STOP 200 ms after the phonemes, SYNTH_EVENT_STOP 780 ms after that (step 0)', () => {
    const { send, run, posted } = recordingHost();
    const started = send('SYNTH_START|0|mei_voice_normal|こんにちは、エスディーケーです', 100);
    const sequence = started
      .find((l) => l.startsWith('LIPSYNC_START|'))!
      .split('|')[2]
      .split(',');
    const ms = sequence.filter((_, i) => i % 2 === 1).reduce((sum, d) => sum + Number(d), 0);
    run(ms + 199);
    expect(posted.at(-1)).to.equal('LIPSYNC_EVENT_START|0');
    run(1);
    expect(posted.at(-1)).to.equal('LIPSYNC_EVENT_STOP|0');
    run(779);
    expect(posted.at(-1)).to.equal('LIPSYNC_EVENT_STOP|0');
    run(1);
    expect(posted.at(-1)).to.equal('SYNTH_EVENT_STOP|0');
  });

  it('SYNTH_STOP: two LIPSYNC_STOP, then LIPSYNC_EVENT_STOP before SYNTH_EVENT_STOP (step 2)', () => {
    const { send } = recordingHost();
    send('SYNTH_START|0|mei_voice_normal|これはとても長い文章です。途中で止めます。', 500);
    expect(send('SYNTH_STOP|0', 300)).to.deep.equal([
      'LIPSYNC_STOP|0',
      'LIPSYNC_STOP|0',
      'LIPSYNC_EVENT_STOP|0',
      'SYNTH_EVENT_STOP|0',
    ]);
  });

  it('phonemes are read from the kana in Open JTalk names, and from letters for English', () => {
    const names = (text: string) =>
      phonemes(text)
        .split(',')
        .filter((_, i) => i % 2 === 0);
    expect(names('こんにちは、エスディーケーです')).to.deep.equal(
      'k o N n i ch i h a pau e s u d e i i k e e d e s U'.split(' '),
    );
    expect(names('ちょっと')).to.deep.equal(['ch', 'o', 'cl', 't', 'o']);
    expect(names('Hello!')).to.deep.equal(['hh', 'eh', 'l', 'l', 'aa']);
    for (const text of ['はい。', '本日は晴天なり', 'Hi.']) {
      const ms = phonemes(text)
        .split(',')
        .filter((_, i) => i % 2 === 1)
        .map(Number);
      expect(ms.every((d) => d > 0)).to.equal(true);
      expect(ms.reduce((a, b) => a + b, 0)).to.equal(speechMs(text));
    }
  });
});

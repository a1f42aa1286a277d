// The server's typed emitter (src/node/events.ts): on() hands back its own unsubscribe, listeners
// run in the order they were added, a throwing listener goes to `report` and never stops the
// others, and an emit in progress keeps the listener list it started with (copy on write).
import { expect } from 'chai';
import { Emitter } from '../src/node/events.js';
import { describe, it } from './harness.js';

type Events = { line: [text: string, at: number]; close: [] };

function emitter() {
  const reported: unknown[] = [];
  return { events: new Emitter<Events>((err) => reported.push(err)), reported };
}

describe('Emitter: subscribe and unsubscribe', () => {
  it('passes every argument to every listener, in the order they were added', () => {
    const { events } = emitter();
    const calls: string[] = [];
    events.on('line', (text, at) => calls.push(`a:${text}:${at}`));
    events.on('line', (text, at) => calls.push(`b:${text}:${at}`));
    events.on('line', (text, at) => calls.push(`c:${text}:${at}`));
    events.emit('line', 'MOTION_EVENT_ADD|mei', 7);
    expect(calls).to.deep.equal(['a:MOTION_EVENT_ADD|mei:7', 'b:MOTION_EVENT_ADD|mei:7', 'c:MOTION_EVENT_ADD|mei:7']);
  });

  it('the function on() returns removes that listener only, and calling it again is harmless', () => {
    const { events } = emitter();
    const calls: string[] = [];
    events.on('line', () => calls.push('a'));
    const offB = events.on('line', () => calls.push('b'));
    events.on('line', () => calls.push('c'));
    offB();
    offB();
    events.emit('line', 'x', 0);
    expect(calls).to.deep.equal(['a', 'c']);
  });

  it('the same function added twice is two subscriptions: each unsubscribe removes one (bug: one removed both)', () => {
    const { events } = emitter();
    const calls: string[] = [];
    const cb = () => calls.push('x');
    const first = events.on('line', cb);
    const second = events.on('line', cb);
    first();
    first(); // a second call must not take the other subscription with it
    events.emit('line', 'a', 0);
    expect(calls).to.deep.equal(['x']);
    second();
    events.emit('line', 'b', 1);
    expect(calls).to.deep.equal(['x']);
    expect(events.has('line')).to.equal(false);
  });

  it('events are separate: a listener hears only its own event', () => {
    const { events } = emitter();
    const calls: string[] = [];
    events.on('close', () => calls.push('close'));
    events.on('line', (text) => calls.push(text));
    events.emit('close');
    events.emit('line', 'L', 1);
    expect(calls).to.deep.equal(['close', 'L']);
  });

  it('has() says whether anyone listens, and follows unsubscribes', () => {
    const { events } = emitter();
    expect(events.has('line')).to.equal(false);
    const off = events.on('line', () => {});
    expect([events.has('line'), events.has('close')]).to.deep.equal([true, false]);
    off();
    expect(events.has('line')).to.equal(false);
  });

  it('emitting an event nobody listens to does nothing and reports nothing', () => {
    const { events, reported } = emitter();
    events.emit('close');
    expect(reported).to.deep.equal([]);
  });
});

describe('Emitter: a throwing listener', () => {
  it('goes to report() and the listeners after it still run; emit() itself does not throw', () => {
    const { events, reported } = emitter();
    const calls: string[] = [];
    const boom = new Error('listener bug');
    events.on('line', () => calls.push('before'));
    events.on('line', () => {
      throw boom;
    });
    events.on('line', () => calls.push('after'));
    expect(() => events.emit('line', 'x', 0)).not.to.throw();
    expect(calls).to.deep.equal(['before', 'after']);
    expect(reported).to.deep.equal([boom]);
  });

  it('reports each failure of each emit, whatever was thrown', () => {
    const { events, reported } = emitter();
    events.on('close', () => {
      throw 'a string';
    });
    events.on('close', () => {
      throw undefined;
    });
    events.emit('close');
    events.emit('close');
    expect(reported).to.deep.equal(['a string', undefined, 'a string', undefined]);
  });
});

describe('Emitter: changes during an emit (copy on write)', () => {
  it('a listener that unsubscribes itself runs this time and never again', () => {
    const { events } = emitter();
    const calls: string[] = [];
    const off = events.on('line', (text) => {
      calls.push(`once:${text}`);
      off();
    });
    events.on('line', (text) => calls.push(`always:${text}`));
    events.emit('line', '1', 0);
    events.emit('line', '2', 0);
    expect(calls).to.deep.equal(['once:1', 'always:1', 'always:2']);
  });

  it('a listener removed by an earlier one still runs in the emit already under way, not in the next', () => {
    const { events } = emitter();
    const calls: string[] = [];
    events.on('line', (text) => {
      calls.push(`first:${text}`);
      offSecond();
    });
    const offSecond = events.on('line', (text) => calls.push(`second:${text}`));
    events.emit('line', '1', 0);
    events.emit('line', '2', 0);
    expect(calls).to.deep.equal(['first:1', 'second:1', 'first:2']);
  });

  it('a listener added during an emit waits for the next emit', () => {
    const { events } = emitter();
    const calls: string[] = [];
    let added = false;
    events.on('line', (text) => {
      calls.push(`outer:${text}`);
      if (!added) {
        added = true;
        events.on('line', (t) => calls.push(`inner:${t}`));
      }
    });
    events.emit('line', '1', 0);
    events.emit('line', '2', 0);
    expect(calls).to.deep.equal(['outer:1', 'outer:2', 'inner:2']);
  });

  it('an emit from inside a listener runs the current list in full before the outer emit goes on', () => {
    const { events } = emitter();
    const calls: string[] = [];
    events.on('line', (text) => {
      calls.push(`a:${text}`);
      if (text === 'outer') events.emit('line', 'nested', 0);
    });
    events.on('line', (text) => calls.push(`b:${text}`));
    events.emit('line', 'outer', 0);
    expect(calls).to.deep.equal(['a:outer', 'a:nested', 'b:nested', 'b:outer']);
  });
});

describe('Emitter: a report that emits again', () => {
  it('a listener that throws while the report is being emitted goes to console.error, not round again (bug: stack overflow)', () => {
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      type E = { line: [string]; error: [unknown] };
      const events: Emitter<E> = new Emitter<E>((err) => events.emit('error', err));
      events.on('error', () => {
        throw new Error('logger down');
      });
      events.on('line', () => {
        throw new Error('app bug');
      });
      events.emit('line', 'x');
    } finally {
      console.error = original;
    }
    expect(logged.map((args) => (args[1] as Error).message)).to.deep.equal(['logger down']);
  });
});

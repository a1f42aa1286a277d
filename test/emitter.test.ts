// The one emitter (src/emitter.ts), in Node and Chromium: on() returns the unbind of that one
// registration, listeners run in order on the list the emit started with, and a throwing listener
// goes to 'error' listeners, else to the `unhandled` hook (default: rethrown from a microtask).
import { expect } from 'chai';
import { Emitter, rethrowLater } from '../src/emitter.js';
import { describe, it, isBrowser } from './harness.js';

type Events = { line: [text: string, at: number]; close: []; error: [err: unknown] };

function emitter() {
  const unhandled: unknown[] = [];
  return { events: new Emitter<Events>({ unhandled: (err) => unhandled.push(err) }), unhandled };
}

/** Runs `fn` and collects what is thrown as uncaught during the next macrotask. */
async function uncaught(fn: () => void): Promise<unknown[]> {
  const got: unknown[] = [];
  if (isBrowser) {
    // Mocha fails the test from window.onerror: take it over for the while.
    const w = globalThis as unknown as { onerror: unknown };
    const saved = w.onerror;
    w.onerror = (_msg: unknown, _src: unknown, _line: unknown, _col: unknown, err: unknown) => {
      got.push(err);
      return true;
    };
    try {
      fn();
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      w.onerror = saved;
    }
  } else {
    const proc = (globalThis as unknown as { process: NodeJS.Process }).process;
    const listeners = proc.listeners('uncaughtException');
    proc.removeAllListeners('uncaughtException');
    const onError = (err: unknown) => void got.push(err);
    proc.on('uncaughtException', onError);
    try {
      fn();
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      proc.off('uncaughtException', onError);
      for (const l of listeners) proc.on('uncaughtException', l);
    }
  }
  return got;
}

describe('Emitter: types', () => {
  it('event names and argument tuples are checked at compile time', () => {
    const { events } = emitter();
    events.on('line', (text: string, at: number) => void [text, at]);
    // @ts-expect-error: no such event
    events.on('lines', () => {});
    // @ts-expect-error: 'line' passes a string first, not a number
    events.on('line', (text: number) => void text);
    // @ts-expect-error: missing the second argument
    events.emit('line', 'x');
    // @ts-expect-error: 'close' takes no argument
    events.emit('close', 1);
    events.emit('line', 'x', 1);
    events.emit('close');
  });
});

describe('Emitter: on() and its unbind', () => {
  it('passes every argument to every listener, in the order they were added', () => {
    const { events } = emitter();
    const calls: string[] = [];
    events.on('line', (text, at) => calls.push(`a:${text}:${at}`));
    events.on('line', (text, at) => calls.push(`b:${text}:${at}`));
    events.emit('line', 'MOTION_EVENT_ADD|0|base', 7);
    expect(calls).to.deep.equal(['a:MOTION_EVENT_ADD|0|base:7', 'b:MOTION_EVENT_ADD|0|base:7']);
  });

  it('the same function added twice is two registrations; each unbind removes its own only, once', () => {
    const { events } = emitter();
    const calls: string[] = [];
    const cb = (text: string) => void calls.push(text);
    const first = events.on('line', cb);
    const second = events.on('line', cb);
    events.emit('line', '1', 0);
    first();
    first(); // a second call must not take the other registration with it
    events.emit('line', '2', 0);
    second();
    events.emit('line', '3', 0);
    expect(calls).to.deep.equal(['1', '1', '2']);
    expect(events.has('line')).to.equal(false);
  });

  it('has() and count() follow registrations per event and in total', () => {
    const { events } = emitter();
    const off = events.on('line', () => {});
    events.on('close', () => {});
    events.on('close', () => {});
    expect([events.has('line'), events.count('close'), events.count(), events.has('error')]).to.deep.equal([
      true,
      2,
      3,
      false,
    ]);
    off();
    expect([events.has('line'), events.count()]).to.deep.equal([false, 2]);
  });

  it('an emit uses the list it started with: added listeners hear the next emit, removed ones this one', () => {
    const { events } = emitter();
    const calls: string[] = [];
    let offB = () => {};
    events.on('line', (text) => {
      calls.push(`a:${text}`);
      offB();
      events.on('line', (t) => calls.push(`new:${t}`));
    });
    offB = events.on('line', (text) => calls.push(`b:${text}`));
    events.emit('line', '1', 0);
    events.emit('line', '2', 0);
    expect(calls).to.deep.equal(['a:1', 'b:1', 'a:2', 'new:2']);
  });
});

describe('Emitter: emits inside emits', () => {
  it('an emit from inside a listener runs its whole list before the outer emit goes on', () => {
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

  it("a hook that emits 'error' again, whose listener throws again, ends at the hook (no stack overflow)", () => {
    const logged: unknown[] = [];
    type E = { line: [string]; error: [unknown] };
    // As the server's channels do: their hook reports to an emitter whose own hook logs.
    const outer = new Emitter<E>({ unhandled: (err) => logged.push(err) });
    const inner = new Emitter<E>({ unhandled: (err) => outer.emit('error', err) });
    outer.on('error', () => {
      throw new Error('logger down');
    });
    inner.on('line', () => {
      throw new Error('app bug');
    });
    inner.emit('line', 'x');
    expect(logged.map((e) => (e as Error).message)).to.deep.equal(['logger down']);
  });
});

describe('Emitter: prepare', () => {
  it('fixes the listeners when called and runs them when its result is called', () => {
    const { events } = emitter();
    const calls: string[] = [];
    events.on('line', (text) => calls.push(`old:${text}`));
    const toNow = events.prepare('line');
    events.on('line', (text) => calls.push(`new:${text}`));
    toNow('x', 0);
    expect(calls).to.deep.equal(['old:x']);
    events.prepare('close')(); // nobody: nothing happens
  });
});

describe('Emitter: a listener that throws', () => {
  it("goes to 'error' listeners, and the listeners after it still run", () => {
    const { events, unhandled } = emitter();
    const calls: string[] = [];
    const errors: unknown[] = [];
    const boom = new Error('listener bug');
    events.on('error', (err) => errors.push(err));
    events.on('line', () => {
      throw boom;
    });
    events.on('line', () => calls.push('after'));
    expect(() => events.emit('line', 'x', 0)).not.to.throw();
    expect([calls, errors, unhandled]).to.deep.equal([['after'], [boom], []]);
  });

  it("goes to the unhandled hook when nobody listens to 'error', and when an 'error' listener throws", () => {
    const { events, unhandled } = emitter();
    events.on('close', () => {
      throw 'first';
    });
    events.emit('close');
    events.on('error', () => {
      throw 'second';
    });
    events.emit('close');
    expect(unhandled).to.deep.equal(['first', 'second']);
  });

  it('is rethrown from a microtask by default: never lost, never thrown into emit()', async () => {
    const events = new Emitter<Events>();
    const boom = new Error('nobody listens');
    events.on('close', () => {
      throw boom;
    });
    const got = await uncaught(() => expect(() => events.emit('close')).not.to.throw());
    expect(got).to.deep.equal([boom]);
  });

  it('a hook that throws is rethrown from a microtask too', async () => {
    const events = new Emitter<Events>({
      unhandled: () => {
        throw new Error('hook down');
      },
    });
    events.on('close', () => {
      throw new Error('listener');
    });
    const got = await uncaught(() => events.emit('close'));
    expect(got.map((e) => (e as Error).message)).to.deep.equal(['hook down']);
  });

  it('rethrowLater throws after the current task', async () => {
    const got = await uncaught(() => rethrowLater('late'));
    expect(got).to.deep.equal(['late']);
  });
});

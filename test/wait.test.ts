// The one wait helper (src/wait.ts), in Node and Chromium: settles once, by its event, timeout,
// signal or owner closing; leaves nothing behind; Infinity and huge timeouts never fire early.
import { expect } from 'chai';
import { MmdError } from '../src/errors.js';
import { Emitter } from '../src/emitter.js';
import { DEFAULT_WAIT_TIMEOUT_MS, after, pend, sleep, waitFor } from '../src/wait.js';
import { rejectsWith } from './support/codes.js';
import { describe, it } from './harness.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function source() {
  const events = new Emitter<{ value: [number] }>();
  const subscribe = (cb: (v: number) => void) => events.on('value', cb);
  return { events, subscribe };
}

describe('waitFor', () => {
  it('resolves with the first value the predicate accepts, and unbinds', async () => {
    const { events, subscribe } = source();
    const p = waitFor(subscribe, (v) => v > 1, { what: 'test' });
    events.emit('value', 1);
    events.emit('value', 2);
    events.emit('value', 3);
    expect(await p).to.equal(2);
    expect(events.count()).to.equal(0);
  });

  it('a predicate that throws rejects with its error', async () => {
    const { events, subscribe } = source();
    const boom = new Error('bad predicate');
    const p = waitFor(
      subscribe,
      () => {
        throw boom;
      },
      { what: 'test' },
    );
    events.emit('value', 1);
    let got: unknown;
    await p.catch((err) => (got = err));
    expect(got).to.equal(boom);
    expect(events.count()).to.equal(0);
  });

  it('times out with ERR_TIMEOUT naming what it waited for, and unbinds', async () => {
    const { events, subscribe } = source();
    const err = await rejectsWith(
      waitFor(subscribe, () => true, { what: 'waitFor(X)', timeoutMs: 5 }),
      'ERR_TIMEOUT',
    );
    expect(err.message).to.match(/^waitFor\(X\) timed out after 5 ms; /);
    expect(events.count()).to.equal(0);
  });

  it('Infinity and timeouts beyond 2^31 - 1 ms do not fire early (bug: Node clamps them to 1 ms)', async () => {
    const { events, subscribe } = source();
    let settled = 0;
    const waits = [Infinity, 2 ** 31, 2 ** 40].map((timeoutMs) =>
      waitFor(subscribe, (v) => v === timeoutMs, { what: 'long', timeoutMs }).finally(() => settled++),
    );
    await tick(30);
    expect(settled).to.equal(0);
    for (const ms of [Infinity, 2 ** 31, 2 ** 40]) events.emit('value', ms);
    expect(await Promise.all(waits)).to.deep.equal([Infinity, 2 ** 31, 2 ** 40]);
  });

  it('rejects NaN and negative timeouts with ERR_BAD_INPUT, before subscribing', async () => {
    const { events, subscribe } = source();
    await rejectsWith(
      waitFor(subscribe, () => true, { what: 'x', timeoutMs: NaN }),
      'ERR_BAD_INPUT',
    );
    await rejectsWith(
      waitFor(subscribe, () => true, { what: 'x', timeoutMs: -1 }),
      'ERR_BAD_INPUT',
    );
    expect(events.count()).to.equal(0);
  });

  it('`started` gets the reject once the wait is registered; a wait refused at once never calls it', async () => {
    const { events, subscribe } = source();
    let fail: ((err: unknown) => void) | undefined;
    const p = waitFor(
      subscribe,
      () => true,
      { what: 'x' },
      (reject) => (fail = reject),
    );
    expect(events.count()).to.equal(1);
    fail!(new MmdError('ERR_CLOSED', 'from outside'));
    await rejectsWith(p, 'ERR_CLOSED');
    expect(events.count()).to.equal(0);
    let called = false;
    const refused = waitFor(
      subscribe,
      () => true,
      { what: 'x', signal: AbortSignal.abort() },
      () => (called = true),
    );
    await rejectsWith(refused, 'ERR_ABORTED');
    expect(called).to.equal(false);
  });

  it('has one default timeout, finite', () => {
    expect(DEFAULT_WAIT_TIMEOUT_MS).to.equal(30_000);
  });
});

describe('pend: signal and owner closing', () => {
  it('an AbortSignal rejects with ERR_ABORTED, its reason as cause; an aborted one at once', async () => {
    const ac = new AbortController();
    const p = pend({ what: 'x', signal: ac.signal }, () => {});
    ac.abort('stop');
    const err = await rejectsWith(p, 'ERR_ABORTED');
    expect(err.cause).to.equal('stop');
    await rejectsWith(
      pend({ what: 'x', signal: ac.signal }, () => {}),
      'ERR_ABORTED',
    );
  });

  it('`closed` rejects with ERR_CLOSED, or with the MmdError the owner aborted it with', async () => {
    const plain = new AbortController();
    const a = pend({ what: 'x', closed: plain.signal }, () => {});
    plain.abort();
    await rejectsWith(a, 'ERR_CLOSED');
    const own = new AbortController();
    const b = pend({ what: 'x', closed: own.signal }, () => {});
    const why = new MmdError('ERR_SIM_GAVE_UP', 'gave up');
    own.abort(why);
    let got: unknown;
    await b.catch((err) => (got = err));
    expect(got).to.equal(why);
    await rejectsWith(
      pend({ what: 'x', closed: plain.signal }, () => {}),
      'ERR_CLOSED',
    );
  });

  it('runs the clean-up exactly once however it settles, also when start() settles at once', async () => {
    let stops = 0;
    const ac = new AbortController();
    const p = pend<number>({ what: 'x', signal: ac.signal }, (resolve) => {
      resolve(1);
      return () => stops++;
    });
    expect(await p).to.equal(1);
    ac.abort();
    expect(stops).to.equal(1);
    const q = pend<number>({ what: 'x', timeoutMs: 1 }, () => () => stops++);
    await rejectsWith(q, 'ERR_TIMEOUT');
    expect(stops).to.equal(2);
  });

  it('a start() that throws rejects with its error', async () => {
    const boom = new Error('start');
    let got: unknown;
    await pend({ what: 'x' }, () => {
      throw boom;
    }).catch((err) => (got = err));
    expect(got).to.equal(boom);
  });
});

describe('after and sleep', () => {
  it('after() fires once after the delay and can be cancelled', async () => {
    const fired: string[] = [];
    after(1, () => fired.push('a'));
    const cancel = after(1, () => fired.push('b'));
    cancel();
    after(Infinity, () => fired.push('never'));
    await tick(20);
    expect(fired).to.deep.equal(['a']);
  });

  it('sleep() resolves after the delay, and rejects when aborted first', async () => {
    const t0 = performance.now();
    await sleep(15, { what: 'sleep' });
    expect(performance.now() - t0).to.be.at.least(14);
    const ac = new AbortController();
    const p = sleep(10_000, { what: 'sleep', signal: ac.signal });
    ac.abort();
    await rejectsWith(p, 'ERR_ABORTED');
  });
});

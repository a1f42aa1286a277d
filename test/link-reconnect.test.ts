// Reconnect policy (src/link/reconnect.ts): the attempt count starts again only after a connection
// stayed up minUptimeMs, so a server that accepts and drops at once is not redialled in a storm.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { Backoff, reconnectDelay } from '../src/link/reconnect.js';
import { DEFAULTS, connect } from '../src/link.js';
import { memoryWebSocketClass } from './support/memory-socket.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Backoff', () => {
  const opts = { minDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0 };

  it('a connection dropped before minUptimeMs keeps the count: the delays keep growing', () => {
    let now = 0;
    const backoff = new Backoff({ ...opts, minUptimeMs: 5000 }, () => now);
    const delays: number[] = [];
    backoff.up();
    for (let i = 0; i < 4; i++) {
      now += 100; // up for 100 ms, then dropped
      backoff.down();
      delays.push(backoff.next()!);
      backoff.up();
    }
    expect(delays).to.deep.equal([100, 200, 400, 800]);
  });

  it('a connection that stayed up minUptimeMs starts the count again', () => {
    let now = 0;
    const backoff = new Backoff({ ...opts, minUptimeMs: 5000 }, () => now);
    backoff.up();
    backoff.down();
    expect([backoff.next(), backoff.next()]).to.deep.equal([100, 200]);
    backoff.up();
    now += 5000;
    backoff.down();
    expect(backoff.next()).to.equal(100);
  });

  it('failed attempts and short connections both count towards maxRetries', () => {
    let now = 0;
    const backoff = new Backoff({ ...opts, maxRetries: 2, minUptimeMs: 5000 }, () => now);
    backoff.down();
    expect(backoff.next()).to.equal(100);
    backoff.up();
    now += 10;
    backoff.down();
    expect([backoff.next(), backoff.next()]).to.deep.equal([200, undefined]);
  });

  it('has its default in DEFAULTS, and reconnectDelay agrees with it', () => {
    expect(DEFAULTS.reconnectMinUptimeMs).to.equal(5000);
    const backoff = new Backoff(
      opts,
      () => 0,
      () => 0,
    );
    expect(backoff.next()).to.equal(reconnectDelay(0, opts, () => 0));
  });
});

describe('connect with reconnect: a server that accepts and drops at once', () => {
  /** Dials counted over `ms` against a server that drops every connection as soon as it opens. */
  async function dialsIn(ms: number, minUptimeMs: number): Promise<number> {
    let dials = 0;
    const WebSocket = memoryWebSocketClass(
      () => (dials++, 'accept'),
      (server) => setTimeout(() => server.drop(), 0),
    );
    const link = await connect('ws://agent/chat', {
      WebSocket,
      reconnect: { minDelayMs: 5, maxDelayMs: 10_000, factor: 2, jitter: 0, minUptimeMs },
    });
    await tick(ms);
    link.close();
    return dials;
  }

  it('is redialled with growing delays, not every minDelayMs (bug: the count reset on every open)', async () => {
    // 5, 10, 20, 40, 80 ms apart: about 6 dials in 250 ms. minUptimeMs 0 is the old behaviour, a
    // dial every ~5 ms: run side by side, under the same load, it dials several times as often.
    const [kept, reset] = await Promise.all([dialsIn(250, 1000), dialsIn(250, 0)]);
    expect(kept).to.be.within(3, 8);
    expect(reset).to.be.at.least(2 * kept);
  });
});

// The server's policy module (src/node/server/policy.ts): defaults, option checks, and the one
// arithmetic for back-pressure both ways and for rates, tested at their boundaries.
import { expect } from 'chai';
import { isMmdError } from '../src/errors.js';
import {
  RateWindow,
  SERVER_DEFAULTS,
  checkAgentRoom,
  isSlowConsumer,
  resolvePolicy,
} from '../src/node/server/policy.js';
import { describe, it } from './harness.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('resolvePolicy', () => {
  it('takes the defaults, and the options over them, ignoring keys that are not policy', () => {
    const policy = resolvePolicy({ heartbeatMs: 5, token: 'x' } as never);
    expect(policy.heartbeatMs).to.equal(5);
    expect(policy.syncTimeoutMs).to.equal(SERVER_DEFAULTS.syncTimeoutMs);
    expect(policy).to.not.have.property('token');
  });

  it('refuses numbers that would switch a protection off (NaN, 0, negative) with ERR_SERVER_OPTION', () => {
    for (const value of [Number.NaN, 0, -1, '5']) {
      const err = thrown(() => resolvePolicy({ agentMaxBufferedBytes: value }));
      expect(isMmdError(err, 'ERR_SERVER_OPTION'), String(value)).to.equal(true);
      expect((err as Error).message).to.contain('agentMaxBufferedBytes');
    }
  });

  it('accepts port 0 (any free port) and refuses what is not a TCP port', () => {
    expect(resolvePolicy({ port: 0 }).port).to.equal(0);
    for (const port of [-1, 65536, 1.5]) {
      expect(
        isMmdError(
          thrown(() => resolvePolicy({ port })),
          'ERR_SERVER_OPTION',
        ),
        String(port),
      ).to.equal(true);
    }
  });
});

describe('back-pressure', () => {
  const policy = resolvePolicy({ agentMaxBufferedBytes: 1000, controllerMaxBufferedBytes: 500 });

  it('toward the agent, a frame that exactly fills the limit passes and one byte more is refused', () => {
    expect(thrown(() => checkAgentRoom(policy, '/chat', 990, 10))).to.equal(undefined);
    const err = thrown(() => checkAgentRoom(policy, '/chat', 990, 11));
    expect(isMmdError(err, 'ERR_BACKPRESSURE')).to.equal(true);
    expect((err as Error).message)
      .to.contain('/chat')
      .and.contain('limit 1000');
  });

  it('counts the frame itself: an empty buffer still refuses a frame larger than the limit', () => {
    // The old link check (bufferedAmount > max) let this through; the channel's refused it.
    expect(
      isMmdError(
        thrown(() => checkAgentRoom(policy, '/chat', 0, 1001)),
        'ERR_BACKPRESSURE',
      ),
    ).to.equal(true);
  });

  it('a controller is a slow consumer once its backlog is over the limit (a state, not a refusal)', () => {
    expect(isSlowConsumer(policy, 500)).to.equal(false);
    expect(isSlowConsumer(policy, 501)).to.equal(true);
  });
});

describe('RateWindow', () => {
  it('allows perSecond units in a second, answers the first refusal once, and opens a new window after 1000 ms', () => {
    const rate = new RateWindow(3);
    expect([1, 2, 3, 4, 5].map((i) => rate.take(1, i))).to.deep.equal(['ok', 'ok', 'ok', 'first-refusal', 'refused']);
    expect(rate.take(1, 1000)).to.equal('refused'); // window started at 1: still open at 1000
    expect(rate.take(1, 1001)).to.equal('ok');
  });

  it('takes a batch whole or not at all', () => {
    const rate = new RateWindow(10);
    expect(rate.take(8, 0)).to.equal('ok');
    expect(rate.take(3, 1)).to.equal('first-refusal');
    expect(rate.take(2, 2)).to.equal('ok'); // the refused batch took nothing
    expect(rate.take(1, 3)).to.equal('refused');
  });
});

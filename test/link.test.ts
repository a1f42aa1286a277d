// AgentLink over an in-memory WebSocket-like pair (test/support/memory-socket.ts): the unit
// behaviour, in Node and in Chromium. Real sockets, close codes on the wire and pacing against a
// real peer are in link.node.test.ts.
import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import { rejectsWith } from './support/codes.js';
import {
  AgentLink,
  DEFAULTS,
  connect,
  reconnectDelay,
  type IncomingMessage,
  type LinkCloseEvent,
} from '../src/link.js';
import { MmdError } from '../src/errors.js';
import {
  FLUSH_GAP_MS,
  MAX_FRAME_BYTES,
  PEER_DISCONNECTED,
  RETRY_INTERVAL_MS,
  SND_BUFFER_SECONDS,
  SND_BYTES_PER_SECOND,
} from '../src/limits.js';
import { StreamParser } from '../src/stream-parser.js';
import { validateLine } from '../src/line.js';
import { MemorySocket, memoryPair, memoryWebSocketClass, type Answer } from './support/memory-socket.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets the link dispatch what it holds: one message per macrotask (src/link/inbox.ts), so a few tasks. */
const drained = async () => {
  for (let i = 0; i < 10; i++) await tick();
};

function throwsWith(fn: () => unknown, code: string): MmdError {
  try {
    fn();
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(MmdError);
    expect((err as MmdError).code).to.equal(code);
    return err as MmdError;
  }
  throw new Error(`expected a throw with ${code}`);
}

function linked(opts?: ConstructorParameters<typeof AgentLink>[1]) {
  const [mine, peer] = memoryPair();
  const link = new AgentLink(mine, opts);
  return { link, socket: mine, peer };
}

function collect(link: AgentLink): IncomingMessage[] {
  const got: IncomingMessage[] = [];
  link.on('message', (m) => got.push(m));
  return got;
}

describe('DEFAULTS', () => {
  it('holds every lifecycle default in one frozen object', () => {
    expect(Object.isFrozen(DEFAULTS)).to.equal(true);
    expect(Object.keys(DEFAULTS).sort()).to.deep.equal([
      'audioGapMs',
      'audioLeadMs',
      'connectTimeoutMs',
      'iteratorBufferSize',
      'maxBufferedBytes',
      'reconnectFactor',
      'reconnectJitter',
      'reconnectMaxDelayMs',
      'reconnectMaxRetries',
      'reconnectMinDelayMs',
      'reconnectMinUptimeMs',
      'waitTimeoutMs',
    ]);
  });

  it('has values that fit the wire limits', () => {
    expect(DEFAULTS.reconnectMinDelayMs).to.equal(RETRY_INTERVAL_MS); // wire.md §4.1
    expect(DEFAULTS.reconnectMaxDelayMs).to.be.greaterThan(DEFAULTS.reconnectMinDelayMs);
    expect(DEFAULTS.reconnectFactor).to.be.greaterThan(1);
    expect(DEFAULTS.reconnectJitter).to.be.within(0, 1);
    expect(DEFAULTS.audioGapMs).to.be.greaterThan(FLUSH_GAP_MS); // wire.md "Verified" note 3
    expect(DEFAULTS.audioLeadMs).to.be.below(SND_BUFFER_SECONDS * 1000); // wire.md §8.3
    expect(DEFAULTS.maxBufferedBytes).to.be.at.least(MAX_FRAME_BYTES);
    expect(Number.isFinite(DEFAULTS.waitTimeoutMs)).to.equal(true);
    expect(Number.isFinite(DEFAULTS.connectTimeoutMs)).to.equal(true);
    expect(DEFAULTS.iteratorBufferSize).to.be.greaterThan(0);
  });
});

describe('reconnectDelay', () => {
  it('grows exponentially from the minimum and stops at the cap', () => {
    const none = { jitter: 0 };
    expect(reconnectDelay(0, none)).to.equal(DEFAULTS.reconnectMinDelayMs);
    expect(reconnectDelay(1, none)).to.equal(DEFAULTS.reconnectMinDelayMs * DEFAULTS.reconnectFactor);
    expect(reconnectDelay(50, none)).to.equal(DEFAULTS.reconnectMaxDelayMs);
  });

  it('jitters downwards by at most the jitter fraction', () => {
    expect(reconnectDelay(0, { minDelayMs: 1000, jitter: 0.5 }, () => 0)).to.equal(1000);
    expect(reconnectDelay(0, { minDelayMs: 1000, jitter: 0.5 }, () => 0.999999)).to.be.closeTo(500, 0.01);
  });

  it('always stays within [cap·(1−jitter), cap]', () => {
    fc.assert(
      fc.property(
        fc.nat(60),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, jitter, r) => {
          const cap = Math.min(
            DEFAULTS.reconnectMaxDelayMs,
            DEFAULTS.reconnectMinDelayMs * DEFAULTS.reconnectFactor ** attempt,
          );
          const d = reconnectDelay(attempt, { jitter }, () => r);
          return d <= cap && d >= cap * (1 - jitter) - 1e-9;
        },
      ),
    );
  });
});

describe('AgentLink: wrapping a socket', () => {
  it('sets binaryType to arraybuffer', () => {
    const { socket } = linked();
    expect(socket.binaryType).to.equal('arraybuffer');
  });

  it('refuses a socket that is not open', () => {
    const socket = new MemorySocket();
    throwsWith(() => new AgentLink(socket), 'ERR_CLOSED');
  });

  it('sends the setup lines at once, validated', () => {
    const { socket } = linked({ setup: ['__AV_START', { type: 'MMDSDK_SYNC', args: ['1'] }] });
    expect(socket.sent).to.deep.equal(['__AV_START\n', 'MMDSDK_SYNC|1\n']);
    const [bad] = memoryPair();
    throwsWith(() => new AgentLink(bad, { setup: ['OK', 'A\nB'] }), 'ERR_FORBIDDEN_CHAR');
    expect(bad.sent).to.deep.equal([]); // all lines validated before any is sent
  });
});

describe('AgentLink: send', () => {
  it('sends one line per text frame with its \\n (wire.md §12.3)', () => {
    const { link, socket } = linked();
    link.send('MODEL_ADD|mei|model/mei/mei.pmd');
    link.send({ type: 'MOTION_ADD', args: ['mei', 'action', 'a.vmd'] });
    expect(socket.sent).to.deep.equal(['MODEL_ADD|mei|model/mei/mei.pmd\n', 'MOTION_ADD|mei|action|a.vmd\n']);
  });

  it('refuses invalid lines before anything reaches the socket (wire.md §12.4)', () => {
    const { link, socket } = linked();
    throwsWith(() => link.send(''), 'ERR_EMPTY_LINE');
    throwsWith(() => link.send('A\nB'), 'ERR_FORBIDDEN_CHAR');
    throwsWith(() => link.send('X|' + 'a'.repeat(2045)), 'ERR_LINE_TOO_LONG');
    throwsWith(() => link.send('SNDXYZ1'), 'ERR_SND_PREFIX'); // wire.md §8.4
    throwsWith(() => link.send({ type: 'A', args: ['x|y'] }), 'ERR_PIPE_IN_FIELD');
    throwsWith(() => link.send({ type: 'A', args: [''] }), 'ERR_EMPTY_ARGUMENT');
    expect(socket.sent).to.deep.equal([]);
  });

  it(
    'every frame it sends for a short line starting with S is dispatched at once, so ' +
      '__peer_disconnected__ still starts a frame (wire.md §8.4, §10.4, hazards.md (i))',
    () => {
      const lines = ['S', 'SX', 'STOP', 'SABCD', 'S\u00e9', 'S|1', 'SABCDE', '\u00c9'];
      const messages = [
        { type: 'STOP', args: [] },
        { type: 'S', args: ['1'] },
        { type: 'SAB', args: ['c'] },
      ];
      const { link, socket } = linked({ setup: ['STOP', { type: 'SX', args: [] }] });
      for (const line of lines) link.send(line);
      for (const msg of messages) link.send(msg);
      const expected = ['STOP', 'SX', ...lines, ...messages.map((m) => [m.type, ...m.args].join('|'))];
      expect(socket.sent).to.have.length(expected.length);
      socket.sent.forEach((frame, i) => {
        const parser = new StreamParser();
        const events = parser.pushFrame(frame);
        expect(events, JSON.stringify(frame)).to.deep.equal([{ kind: 'line', line: expected[i], route: 'message' }]);
        expect(parser.pendingBytes, JSON.stringify(frame)).to.equal(0);
        expect(parser.pushFrame(`${PEER_DISCONNECTED}\n`)[0]).to.deep.equal({ kind: 'peer-disconnected' });
      });
    },
  );

  it(
    'refuses lines with no message type (ERR_EMPTY_TYPE), as parseMessage does; an ' +
      'empty type with arguments is up to the caller',
    () => {
      const { link, socket } = linked();
      for (const line of ['|', '||', '|||', '__AV_MESSAGE,', '__AV_MESSAGE,|', '__AV_MESSAGE,||']) {
        throwsWith(() => validateLine(line), 'ERR_EMPTY_TYPE');
        throwsWith(() => link.send(line), 'ERR_EMPTY_TYPE');
      }
      expect(socket.sent).to.deep.equal([]);
      for (const line of ['A|', 'A||', '__AV_MESSAGE,A', '__AV_MESSAGE,A|', '__AV_START']) link.send(line);
      expect(socket.sent).to.have.length(5);
    },
  );

  it('throws ERR_CLOSED instead of dropping once closed', () => {
    const { link, socket } = linked();
    link.close();
    throwsWith(() => link.send('A'), 'ERR_CLOSED');
    expect(socket.sent).to.deep.equal([]);
  });

  it('throws ERR_BACKPRESSURE when the socket buffers more than maxBufferedBytes', () => {
    const { link, socket } = linked({ maxBufferedBytes: 100 });
    socket.bufferedAmount = 100;
    link.send('A'); // at the bound: still sent
    socket.bufferedAmount = 101;
    const err = throwsWith(() => link.send('B'), 'ERR_BACKPRESSURE');
    expect(err.message).to.contain('maxBufferedBytes');
    expect(socket.sent).to.deep.equal(['A\n']);
  });
});

describe('AgentLink: incoming frames', () => {
  it('parses each frame into messages with their raw line', async () => {
    const { link, peer } = linked();
    const got = collect(link);
    peer.send('MOTION_EVENT_DELETE|mei|action\n');
    peer.send('KEY|1\nKEY|2\n'); // several lines in one frame (wire.md §7.2)
    peer.send('__AV_MESSAGE,AV_TEST|x|y\n'); // real-client/notes.md (E)
    await drained();
    expect(got.map((m) => [m.type, m.args, m.line, m.truncated])).to.deep.equal([
      ['MOTION_EVENT_DELETE', ['mei', 'action'], 'MOTION_EVENT_DELETE|mei|action', false],
      ['KEY', ['1'], 'KEY|1', false],
      ['KEY', ['2'], 'KEY|2', false],
      ['AV_TEST', ['x', 'y'], '__AV_MESSAGE,AV_TEST|x|y', false],
    ]);
  });

  it(
    'flags a frame cut without \\n as truncated and never glues it to the ' + 'next (wire.md "Verified" note 1)',
    async () => {
      const { link, peer } = linked();
      const got = collect(link);
      const cut = ('SYNTH_START|0|mei_voice_normal|' + 'あ'.repeat(700)).slice(0, 700); // ≈ 2047 bytes, no \n
      peer.send(cut);
      peer.send('NEXT|1\n');
      await drained();
      expect(got).to.have.length(2);
      expect(got[0].line).to.equal(cut);
      expect(got[0].type).to.equal('SYNTH_START');
      expect(got[0].truncated).to.equal(true);
      expect(got[1]).to.deep.include({ type: 'NEXT', line: 'NEXT|1', truncated: false });
    },
  );

  it('decodes binary frames as UTF-8; invalid bytes become U+FFFD, nothing throws', async () => {
    const { link, peer } = linked();
    const got = collect(link);
    const errors: unknown[] = [];
    link.on('error', (e) => errors.push(e));
    peer.send(new Uint8Array([0x48, 0x49, 0xa0, 0x7c, 0x78, 0x0a])); // "HI\xA0|x\n" (wire.md §7.5)
    peer.send(new TextEncoder().encode('OK|ü\n'));
    await drained();
    expect(got.map((m) => [m.type, m.args])).to.deep.equal([
      ['HI\uFFFD', ['x']],
      ['OK', ['ü']],
    ]);
    expect(errors).to.deep.equal([]);
  });

  it(
    'delivers a typeless line with type "" and skips empty lines (AllLog ' + 'frames end with \\n\\n, wire.md §5.2)',
    async () => {
      const { link, peer } = linked();
      const got = collect(link);
      peer.send('||\n');
      peer.send('[log] x\n\n');
      await drained();
      expect(got.map((m) => [m.type, m.line])).to.deep.equal([
        ['', '||'],
        ['[log] x', '[log] x'],
      ]);
    },
  );

  it('dispatches in frame order, type listeners before message listeners, one message per task', async () => {
    const { link, peer } = linked();
    const order: string[] = [];
    link.on('message', (m) => order.push('message:' + m.line));
    link.on('KEY', (m) => {
      order.push('KEY:' + m.line);
      // A task boundary comes before the next message, so reactions to this one are in place.
      setTimeout(() => order.push('task after ' + m.line), 0);
      queueMicrotask(() => order.push('microtask after ' + m.line));
    });
    peer.send('KEY|1\nKEY|2\n');
    await drained();
    // (Where the timer's task falls against the link's own is up to the runtime.)
    expect(order.filter((e) => !e.startsWith('task'))).to.deep.equal([
      'KEY:KEY|1',
      'message:KEY|1',
      'microtask after KEY|1',
      'KEY:KEY|2',
      'message:KEY|2',
      'microtask after KEY|2',
    ]);
  });

  it('keeps a peer line named like a link event away from link event listeners', async () => {
    const { link, peer } = linked();
    const closes: unknown[] = [];
    link.on('close', (e) => closes.push(e));
    const got = collect(link);
    peer.send('close|now\n');
    await drained();
    expect(closes).to.deep.equal([]);
    expect(got.map((m) => m.type)).to.deep.equal(['close']);
  });
});

describe('AgentLink: idle fast path', () => {
  /** A frame whose data getter counts how often it is read. */
  function counted(socket: MemorySocket, text: string, reads: { n: number }): void {
    const event = new Event('message');
    Object.defineProperty(event, 'data', { get: () => (reads.n++, text) });
    socket.dispatchEvent(event);
  }

  it('does not read frames while nobody consumes messages; reads every frame once someone does', async () => {
    const { link, socket } = linked();
    await drained(); // a new link holds its first task for the code that got it
    const reads = { n: 0 };
    const closes: unknown[] = [];
    link.on('close', (e) => closes.push(e)); // not a message consumer
    counted(socket, 'A|1\n', reads);
    expect(reads.n).to.equal(0);
    const typed: string[] = [];
    const offTyped = link.on('MODEL_EVENT_ADD', (m) => typed.push(m.line));
    counted(socket, 'MODEL_EVENT_ADD|mei\n', reads);
    expect([reads.n, typed]).to.deep.equal([1, ['MODEL_EVENT_ADD|mei']]);
    offTyped();
    // B comes in the task of that dispatch: held, and dropped unread when its turn finds nobody.
    counted(socket, 'B|1\n', reads);
    await drained();
    expect(reads.n).to.equal(1);
    const waited = link.waitFor((m) => m.type === 'C');
    counted(socket, 'C|1\n', reads);
    expect(reads.n).to.equal(2);
    expect((await waited).line).to.equal('C|1');
    await drained();
    counted(socket, 'D|1\n', reads);
    const it = link[Symbol.asyncIterator]();
    counted(socket, 'E|1\n', reads);
    expect(reads.n).to.equal(3);
    expect((await it.next()).value.line).to.equal('E|1');
    await it.return!();
    await drained();
    counted(socket, 'F|1\n', reads);
    expect(reads.n).to.equal(3);
    link.close();
  });
});

describe('AgentLink: on', () => {
  it('returns an unsubscribe function; unsubscribing twice is harmless', async () => {
    const { link, peer } = linked();
    const got: string[] = [];
    const off = link.on('MOTION_EVENT_DELETE', (m) => got.push(m.args[1]));
    peer.send('MOTION_EVENT_DELETE|mei|a\n');
    await drained();
    off();
    off();
    peer.send('MOTION_EVENT_DELETE|mei|b\n');
    await drained();
    expect(got).to.deep.equal(['a']);
  });

  it(
    'the same listener added twice is two subscriptions: each unsubscribe ' + 'removes one (bug: one removed both)',
    async () => {
      const { link, peer } = linked();
      const got: string[] = [];
      const cb = (m: { args: string[] }) => got.push(m.args[1]);
      const first = link.on('MOTION_EVENT_DELETE', cb);
      const second = link.on('MOTION_EVENT_DELETE', cb);
      first();
      first(); // a second call must not take the other subscription with it
      peer.send('MOTION_EVENT_DELETE|mei|a\n');
      await drained();
      expect(got).to.deep.equal(['a']);
      second();
      peer.send('MOTION_EVENT_DELETE|mei|b\n');
      await drained();
      expect(got).to.deep.equal(['a']);
      link.close();
    },
  );

  it('types listeners through the catalog; a misspelt type does not compile', () => {
    const { link } = linked();
    link.on('MOTION_EVENT_DELETE', (m) => {
      const motion: string = m.args[1];
      const type: 'MOTION_EVENT_DELETE' = m.type;
      return [motion, type];
    });
    link.on('RECOG_EVENT_STOP', (m) => m.args[0].toUpperCase());
    // @ts-expect-error misspelt message type
    link.on('MOTION_EVENT_DELET', () => {});
    // @ts-expect-error MOTION_EVENT_DELETE has two arguments
    link.on('MOTION_EVENT_DELETE', (m) => m.args[2].length);
    // @ts-expect-error a close listener gets a LinkCloseEvent, not a message
    link.on('close', (m: IncomingMessage) => m.line);
  });

  it('a throwing listener does not stop the others; the error goes to error listeners', async () => {
    const { link, peer } = linked();
    const seen: string[] = [];
    const errors: unknown[] = [];
    const boom = new Error('listener bug');
    link.on('error', (e) => errors.push(e));
    link.on('MODEL_EVENT_ADD', () => {
      throw boom;
    });
    link.on('MODEL_EVENT_ADD', () => seen.push('second'));
    link.on('message', () => seen.push('message'));
    peer.send('MODEL_EVENT_ADD|mei\n');
    await drained();
    expect(seen).to.deep.equal(['second', 'message']);
    expect(errors).to.deep.equal([boom]);
  });

  it('a listener may unsubscribe itself during dispatch without skipping the next one', async () => {
    const { link, peer } = linked();
    const seen: string[] = [];
    const off = link.on('message', () => {
      seen.push('first');
      off();
    });
    link.on('message', () => seen.push('second'));
    peer.send('A\n');
    peer.send('B\n');
    await drained();
    expect(seen).to.deep.equal(['first', 'second', 'second']);
  });
});

describe('AgentLink: waitFor', () => {
  it('resolves with the next message of a type, typed by the catalog', async () => {
    const { link, peer } = linked();
    const wait = link.waitFor('MOTION_EVENT_DELETE', { timeoutMs: 1000 });
    peer.send('OTHER\n');
    peer.send('MOTION_EVENT_DELETE|mei|action\n');
    const m = await wait;
    const motion: string = m.args[1];
    expect(motion).to.equal('action');
  });

  it('resolves with the first message a predicate accepts (e.g. a sync echo, wire.md §12)', async () => {
    const { link, peer } = linked();
    const wait = link.waitFor((m) => m.type === 'MMDSDK_SYNC' && m.args[0] === '7');
    peer.send('MMDSDK_SYNC|6\n');
    peer.send('MMDSDK_SYNC|7\n');
    expect((await wait).line).to.equal('MMDSDK_SYNC|7');
  });

  it('rejects with ERR_TIMEOUT after timeoutMs', async () => {
    const { link } = linked();
    const err = await rejectsWith(link.waitFor('MODEL_EVENT_ADD', { timeoutMs: 20 }), 'ERR_TIMEOUT');
    expect(err.message).to.contain('MODEL_EVENT_ADD');
  });

  it('refuses a timeoutMs that is NaN or negative (ERR_BAD_INPUT); Infinity waits without a timeout', async () => {
    const { link, peer } = linked();
    for (const timeoutMs of [NaN, -1, -Infinity]) {
      await rejectsWith(link.waitFor('MODEL_EVENT_ADD', { timeoutMs }), 'ERR_BAD_INPUT');
    }
    await rejectsWith(linked({ waitTimeoutMs: NaN }).link.waitFor('MODEL_EVENT_ADD'), 'ERR_BAD_INPUT');
    const forever = link.waitFor('MODEL_EVENT_ADD', { timeoutMs: Infinity });
    await tick(20);
    peer.send('MODEL_EVENT_ADD|mei\n');
    expect((await forever).args).to.deep.equal(['mei']);
  });

  it('uses the link-wide waitTimeoutMs', async () => {
    const { link } = linked({ waitTimeoutMs: 10 });
    await rejectsWith(link.waitFor('MODEL_EVENT_ADD'), 'ERR_TIMEOUT');
  });

  it('rejects with ERR_ABORTED when the signal aborts, before or during the wait', async () => {
    const { link } = linked();
    await rejectsWith(link.waitFor('MODEL_EVENT_ADD', { signal: AbortSignal.abort() }), 'ERR_ABORTED');
    const ctl = new AbortController();
    const wait = link.waitFor('MODEL_EVENT_ADD', { signal: ctl.signal });
    ctl.abort(new Error('user gave up'));
    const err = await rejectsWith(wait, 'ERR_ABORTED');
    expect((err.cause as Error).message).to.equal('user gave up');
  });

  it('rejects every pending wait with ERR_CLOSED on close(), and new waits at once', async () => {
    const { link } = linked();
    const a = link.waitFor('MODEL_EVENT_ADD');
    const b = link.waitFor(() => false, { timeoutMs: Infinity });
    link.close();
    await rejectsWith(a, 'ERR_CLOSED');
    await rejectsWith(b, 'ERR_CLOSED');
    await rejectsWith(link.waitFor('MODEL_EVENT_ADD'), 'ERR_CLOSED');
  });

  it('rejects with ERR_CLOSED when the peer closes', async () => {
    const { link, peer } = linked();
    const wait = link.waitFor('MODEL_EVENT_ADD');
    peer.close();
    await rejectsWith(wait, 'ERR_CLOSED');
    expect(link.closed).to.equal(true);
  });

  it("rejects with the predicate's own error when it throws", async () => {
    const { link, peer } = linked();
    const bug = new Error('predicate bug');
    const wait = link.waitFor(() => {
      throw bug;
    });
    peer.send('A\n');
    try {
      await wait;
      expect.fail('should reject');
    } catch (err) {
      expect(err).to.equal(bug);
    }
  });
});

describe('AgentLink: request', () => {
  it('sends the line and resolves with the first reply of one of the types', async () => {
    const { link, peer, socket } = linked();
    peer.addEventListener('message', () => peer.send('VALUE_SET|x|1\nVALUE_EVENT_SET|x\n'));
    const reply = await link.request('VALUE_SET|x|1', ['VALUE_EVENT_SET', 'VALUE_EVENT_UNSET'], { timeoutMs: 1000 });
    expect([socket.sent, reply.line]).to.deep.equal([['VALUE_SET|x|1\n'], 'VALUE_EVENT_SET|x']);
    link.close();
  });

  it('sends nothing when the wait is refused at once (aborted signal, bad timeout, closed link)', async () => {
    const { link, socket } = linked();
    await rejectsWith(link.request('A|1', 'VALUE_EVENT_SET', { signal: AbortSignal.abort() }), 'ERR_ABORTED');
    await rejectsWith(link.request('A|1', 'VALUE_EVENT_SET', { timeoutMs: -1 }), 'ERR_BAD_INPUT');
    link.close();
    await rejectsWith(link.request('A|1', 'VALUE_EVENT_SET'), 'ERR_CLOSED');
    expect(socket.sent).to.deep.equal([]);
  });

  it('a line that cannot be sent rejects with its error and leaves no wait behind', async () => {
    const { link, socket } = linked();
    await rejectsWith(
      link.request('A|\n', (m) => m.type === 'A'),
      'ERR_FORBIDDEN_CHAR',
    );
    socket.bufferedAmount = DEFAULTS.maxBufferedBytes + 1;
    await rejectsWith(link.request('A|1', 'VALUE_EVENT_SET'), 'ERR_BACKPRESSURE');
    expect(socket.sent).to.deep.equal([]);
    link.close();
  });
});

describe('AgentLink: async iteration', () => {
  it('yields every message in order and ends cleanly after close()', async () => {
    const { link, peer } = linked();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const m of link) seen.push(m.line);
    })();
    peer.send('A\nB\n');
    peer.send('C\n');
    await drained();
    link.close();
    await loop;
    expect(seen).to.deep.equal(['A', 'B', 'C']);
  });

  it('delivers buffered messages, then fails with ERR_CLOSED when the peer closes', async () => {
    const { link, peer } = linked();
    const it = link[Symbol.asyncIterator]();
    peer.send('A\n');
    peer.close();
    await drained();
    expect((await it.next()).value.line).to.equal('A');
    await rejectsWith(it.next(), 'ERR_CLOSED');
    expect((await it.next()).done).to.equal(true);
  });

  it('fails with ERR_SLOW_CONSUMER when it falls iteratorBufferSize messages behind', async () => {
    const { link, peer } = linked({ iteratorBufferSize: 3 });
    const it = link[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) peer.send(`M|${i}\n`);
    await drained();
    const lines = [(await it.next()).value.line, (await it.next()).value.line, (await it.next()).value.line];
    expect(lines).to.deep.equal(['M|0', 'M|1', 'M|2']);
    const err = await rejectsWith(it.next(), 'ERR_SLOW_CONSUMER');
    expect(err.message).to.contain('iteratorBufferSize');
  });

  it('stops buffering when the loop breaks', async () => {
    const { link, peer } = linked({ iteratorBufferSize: 1 });
    peer.send('A\n');
    for await (const m of link) {
      expect(m.line).to.equal('A');
      break;
    }
    const errors: unknown[] = [];
    link.on('error', (e) => errors.push(e));
    peer.send('B\nC\nD\n'); // would overflow a still-registered iterator
    await drained();
    expect(errors).to.deep.equal([]);
  });

  it('settles concurrent next() calls in order: messages first, then done on close()', async () => {
    const { link, peer } = linked();
    const it = link[Symbol.asyncIterator]();
    const [a, b, c] = [it.next(), it.next(), it.next()];
    peer.send('A\nB\n');
    await drained();
    expect((await a).value.line).to.equal('A');
    expect((await b).value.line).to.equal('B');
    link.close();
    expect(await Promise.race([c, tick(50).then(() => 'pending')])).to.deep.equal({ value: undefined, done: true });
  });

  it(
    'concurrent next() calls waiting when the peer closes: the first fails ' + 'with ERR_CLOSED, the rest are done',
    async () => {
      const { link, peer } = linked();
      const it = link[Symbol.asyncIterator]();
      const [a, b] = [it.next(), it.next()];
      peer.close();
      await rejectsWith(Promise.race([a, tick(50).then(() => 'pending')]), 'ERR_CLOSED');
      expect(await Promise.race([b, tick(50).then(() => 'pending')])).to.deep.equal({ value: undefined, done: true });
    },
  );

  it('an iterator made after the link closed is done at once', async () => {
    const { link } = linked();
    link.close();
    expect((await link[Symbol.asyncIterator]().next()).done).to.equal(true);
  });
});

describe('AgentLink: close', () => {
  it('closes the socket with no status code and no reason (wire.md §6.3), once', async () => {
    const { link, socket } = linked();
    const closes: LinkCloseEvent[] = [];
    link.on('close', (e) => closes.push(e));
    link.close();
    link.close();
    expect(socket.closeCalls).to.deep.equal([[]]);
    await drained();
    expect(closes).to.deep.equal([{ code: 1005, reason: '', reconnecting: false }]);
    expect(link.connected).to.equal(false);
    expect(link.closed).to.equal(true);
  });

  it('reports a peer close with its code', async () => {
    const { link, socket } = linked();
    const closes: LinkCloseEvent[] = [];
    link.on('close', (e) => closes.push(e));
    socket.drop();
    await drained();
    expect(closes).to.deep.equal([{ code: 1006, reason: '', reconnecting: false }]);
    link.close(); // idempotent after the peer closed too
    expect(socket.closeCalls).to.deep.equal([]);
  });

  it('ignores frames that arrive after close()', async () => {
    const { link, socket } = linked();
    const got = collect(link);
    link.close();
    socket.dispatchEvent(Object.assign(new Event('message'), { data: 'LATE\n' }));
    expect(got).to.deep.equal([]);
  });
});

describe('AgentLink: sendAudio', () => {
  const pcm = (ms: number, value = 0) => new Int16Array((ms * SND_BYTES_PER_SECOND) / 2000).fill(value);
  const header = (frame: string | Uint8Array) => new TextDecoder().decode((frame as Uint8Array).subarray(0, 7));

  it('sends SND chunks as binary frames, in order (wire.md §8.1)', async () => {
    const { link, socket } = linked();
    await link.sendAudio(pcm(100), { realtime: false });
    expect(socket.sent.every((f) => f instanceof Uint8Array)).to.equal(true);
    expect(socket.sent.map(header)).to.deep.equal(['SND1280', 'SND1280', 'SND0640']);
  });

  it('paces in real time by default and leaves gaps over FLUSH_GAP_MS (wire.md "Verified" note 3)', async () => {
    const { link, socket } = linked();
    const started = performance.now();
    await link.sendAudio(pcm(400), { leadMs: 0 });
    const elapsed = performance.now() - started;
    // The last chunk goes out when the audio before it has played: ≥ 80 % of 360 ms.
    expect(elapsed).to.be.at.least(0.8 * 360);
    const gaps = socket.sentAt.slice(1).map((t, i) => t - socket.sentAt[i]);
    expect(Math.min(...gaps)).to.be.at.least(FLUSH_GAP_MS);
  });

  it('keeps gaps between chunks even when sending ahead of real time', async () => {
    const { link, socket } = linked();
    await link.sendAudio(pcm(200), { realtime: false });
    const gaps = socket.sentAt.slice(1).map((t, i) => t - socket.sentAt[i]);
    expect(Math.min(...gaps)).to.be.at.least(FLUSH_GAP_MS);
    expect(link.audioAheadMs).to.be.greaterThan(0);
  });

  it('never runs more than SND_BUFFER_SECONDS ahead, across calls (wire.md §8.3)', async () => {
    const { link } = linked({ maxBufferedBytes: Infinity });
    const started = performance.now();
    await link.sendAudio(pcm(30_000), { realtime: false, gapMs: 0, chunkBytes: 4096 });
    await link.sendAudio(pcm(30_500), { realtime: false, gapMs: 0, chunkBytes: 4096 });
    const elapsed = performance.now() - started;
    expect(link.audioAheadMs).to.be.at.most(SND_BUFFER_SECONDS * 1000);
    expect(elapsed).to.be.at.least(0.8 * 500); // the last 0.5 s had to wait for playback
  });

  it('refuses a lead beyond the 60 s buffer with ERR_AUDIO_AHEAD, sending nothing', async () => {
    const { link, socket } = linked();
    await rejectsWith(link.sendAudio(pcm(40), { leadMs: SND_BUFFER_SECONDS * 1000 }), 'ERR_AUDIO_AHEAD');
    await rejectsWith(link.sendAudio(pcm(40), { leadMs: -1 }), 'ERR_AUDIO_AHEAD');
    expect(socket.sent).to.deep.equal([]);
  });

  it('rejects odd PCM before sending anything', async () => {
    const { link, socket } = linked();
    await rejectsWith(link.sendAudio(new Uint8Array(3)), 'ERR_ODD_PCM');
    expect(socket.sent).to.deep.equal([]);
  });

  it('never interleaves two calls', async () => {
    const { link, socket } = linked();
    const a = link.sendAudio(pcm(80, 0x0101), { realtime: false, gapMs: 0 });
    const b = link.sendAudio(pcm(80, 0x0202), { realtime: false, gapMs: 0 });
    await Promise.all([a, b]);
    expect(socket.sent.map((f) => (f as Uint8Array)[7])).to.deep.equal([1, 1, 2, 2]);
  });

  it('stops with ERR_ABORTED when aborted mid-stream', async () => {
    const { link, socket } = linked();
    const ctl = new AbortController();
    const run = link.sendAudio(pcm(400), { leadMs: 0, signal: ctl.signal });
    await tick(50);
    ctl.abort();
    await rejectsWith(run, 'ERR_ABORTED');
    const count = socket.sent.length;
    expect(count).to.be.within(1, 9);
    await tick(60);
    expect(socket.sent.length).to.equal(count);
  });

  it('stops with ERR_CLOSED when the link closes mid-stream', async () => {
    const { link, socket } = linked();
    const run = link.sendAudio(pcm(400), { leadMs: 0 });
    await tick(30);
    link.close();
    await rejectsWith(run, 'ERR_CLOSED');
    expect(socket.sent.length).to.be.below(10);
  });

  it('throws ERR_BACKPRESSURE rather than queueing when the socket is full', async () => {
    const { link, socket } = linked({ maxBufferedBytes: 1000 });
    socket.bufferedAmount = 5000;
    await rejectsWith(link.sendAudio(pcm(40)), 'ERR_BACKPRESSURE');
    expect(socket.sent).to.deep.equal([]);
  });
});

describe('connect (injected WebSocket class)', () => {
  function fakeServer(answers: Answer[]) {
    const servers: MemorySocket[] = [];
    const dialled: string[] = [];
    const WebSocket = memoryWebSocketClass(
      (url) => {
        dialled.push(url);
        return answers.shift() ?? 'accept';
      },
      (server) => servers.push(server),
    );
    return { WebSocket, servers, dialled };
  }

  it('opens a link over the given class and sends setup, then runs onOpen', async () => {
    const { WebSocket, servers } = fakeServer(['accept']);
    const order: string[] = [];
    const link = await connect('ws://agent/chat', {
      WebSocket,
      setup: ['__AV_START'],
      onOpen: (l) => {
        order.push('onOpen');
        l.send('HELLO');
      },
    });
    await drained();
    expect(order).to.deep.equal(['onOpen']);
    expect(link.connected).to.equal(true);
    expect(servers[0].peer!.sent).to.deep.equal(['__AV_START\n', 'HELLO\n']);
    link.close();
  });

  it('bounds onOpen by connectTimeoutMs: ERR_TIMEOUT, and the link is closed', async () => {
    const { WebSocket, servers } = fakeServer(['accept']);
    let opened: AgentLink | undefined;
    const started = performance.now();
    const err = await rejectsWith(
      connect('ws://agent/chat', {
        WebSocket,
        connectTimeoutMs: 50,
        onOpen: (l) => new Promise<void>(() => void (opened = l)),
      }),
      'ERR_TIMEOUT',
    );
    expect(performance.now() - started).to.be.at.least(40);
    expect(err.message).to.contain('onOpen');
    expect(opened!.closed).to.equal(true);
    await drained();
    expect(servers[0].readyState).to.equal(3);
  });

  it('refuses a connectTimeoutMs that is NaN or negative (ERR_BAD_INPUT)', async () => {
    const { WebSocket } = fakeServer(['accept', 'accept']);
    await rejectsWith(connect('ws://agent/chat', { WebSocket, connectTimeoutMs: NaN }), 'ERR_BAD_INPUT');
    await rejectsWith(connect('ws://agent/chat', { WebSocket, connectTimeoutMs: -5 }), 'ERR_BAD_INPUT');
  });

  it('rejects with ERR_CONNECT when the connection is refused', async () => {
    const { WebSocket } = fakeServer(['refuse']);
    const err = await rejectsWith(connect('ws://agent/chat', { WebSocket }), 'ERR_CONNECT');
    expect(err.message).to.contain('ws://agent/chat');
  });

  it('rejects with ERR_TIMEOUT when nothing answers, and closes the socket', async () => {
    const { WebSocket } = fakeServer(['silent']);
    await rejectsWith(connect('ws://agent/chat', { WebSocket, connectTimeoutMs: 20 }), 'ERR_TIMEOUT');
  });

  it('rejects with ERR_ABORTED when the signal aborts', async () => {
    const { WebSocket } = fakeServer(['silent']);
    const ctl = new AbortController();
    const pending = connect('ws://agent/chat', { WebSocket, signal: ctl.signal });
    ctl.abort();
    await rejectsWith(pending, 'ERR_ABORTED');
  });

  it('the signal also aborts a pending onOpen: ERR_ABORTED, and the link is closed (bug: onOpen ran on)', async () => {
    const { WebSocket } = fakeServer(['accept']);
    const ctl = new AbortController();
    let opened: AgentLink | undefined;
    const pending = connect('ws://agent/chat', {
      WebSocket,
      signal: ctl.signal,
      connectTimeoutMs: 5000,
      onOpen: (l) => {
        opened = l;
        return new Promise<void>(() => {}); // waits for an answer that never comes
      },
    });
    await tick(10);
    ctl.abort();
    await rejectsWith(pending, 'ERR_ABORTED');
    expect(opened!.closed).to.equal(true);
  });

  it('reconnects after a drop, re-sends setup, keeps waits, and emits close/open', async () => {
    const { WebSocket, servers } = fakeServer(['accept', 'refuse', 'accept']);
    const events: string[] = [];
    const link = await connect('ws://agent/chat', {
      WebSocket,
      setup: ['__AV_START'],
      reconnect: { minDelayMs: 5, maxDelayMs: 20, jitter: 0 },
    });
    link.on('close', (e) => events.push(`close:${e.code}:${e.reconnecting}`));
    link.on('open', () => events.push('open'));
    const wait = link.waitFor('MODEL_EVENT_ADD', { timeoutMs: 2000 });
    servers[0].drop();
    await new Promise<void>((resolve) => link.on('open', () => resolve()));
    expect(events).to.deep.equal(['close:1006:true', 'open']);
    expect(servers).to.have.length(2);
    expect(servers[1].peer!.sent).to.deep.equal(['__AV_START\n']);
    servers[1].send('MODEL_EVENT_ADD|mei\n');
    expect((await wait).args).to.deep.equal(['mei']);
    link.close();
    await drained();
    expect(events.at(-1)).to.equal('close:1005:false');
  });

  it('throws ERR_CLOSED from send while reconnecting, instead of queueing', async () => {
    const { WebSocket, servers } = fakeServer(['accept', 'silent']);
    const link = await connect('ws://agent/chat', {
      WebSocket,
      connectTimeoutMs: 1000,
      reconnect: { minDelayMs: 5, jitter: 0 },
    });
    servers[0].drop();
    await drained();
    const err = throwsWith(() => link.send('A'), 'ERR_CLOSED');
    expect(err.message).to.contain('reconnecting');
    link.close();
  });

  it('gives up after maxRetries and closes for good', async () => {
    const { WebSocket, servers } = fakeServer(['accept', 'refuse', 'refuse']);
    const link = await connect('ws://agent/chat', {
      WebSocket,
      reconnect: { minDelayMs: 1, jitter: 0, maxRetries: 2 },
    });
    const wait = link.waitFor('X' as 'MODEL_EVENT_ADD', { timeoutMs: 5000 });
    const closed = new Promise<LinkCloseEvent>((resolve) => link.on('close', (e) => !e.reconnecting && resolve(e)));
    servers[0].drop();
    await rejectsWith(wait, 'ERR_CONNECT');
    expect((await closed).reconnecting).to.equal(false);
    expect(link.closed).to.equal(true);
  });

  it('a link closed while it waits to reconnect stays closed', async () => {
    const { WebSocket, servers, dialled } = fakeServer(['accept']);
    const link = await connect('ws://agent/chat', { WebSocket, reconnect: { minDelayMs: 30, jitter: 0 } });
    servers[0].drop();
    await tick();
    link.close();
    await tick(60);
    expect(dialled).to.have.length(1);
    expect(link.closed).to.equal(true);
  });
});

describe('AgentLink: found in review (each test failed before its fix)', () => {
  it(
    'a waitFor, a message listener or a for-await started inside a listener is for ' +
      'the next message, not the one being handled',
    async () => {
      const { link, peer } = linked();
      let waited: Promise<IncomingMessage> | undefined;
      let iterator: AsyncIterator<IncomingMessage> | undefined;
      const heard: string[] = [];
      const off = link.on('RECOG_EVENT_STOP', () => {
        off();
        waited = link.waitFor('RECOG_EVENT_STOP');
        link.on('message', (m) => heard.push(m.line));
        iterator = link[Symbol.asyncIterator]();
      });
      peer.send('RECOG_EVENT_STOP|first\n');
      await drained();
      expect(heard).to.deep.equal([]);
      peer.send('RECOG_EVENT_STOP|second\n');
      await drained();
      expect((await waited!).args).to.deep.equal(['second']);
      expect(heard).to.deep.equal(['RECOG_EVENT_STOP|second']);
      expect((await iterator!.next()).value.line).to.equal('RECOG_EVENT_STOP|second');
      link.close();
    },
  );

  it('a for-await ended inside a listener does not get the message being handled', async () => {
    const { link, peer } = linked();
    const iterator = link[Symbol.asyncIterator]();
    link.on('MOTION_EVENT_DELETE', () => void iterator.return!());
    peer.send('MOTION_EVENT_DELETE|mei|greet\n');
    await drained();
    expect(await iterator.next()).to.deep.equal({ value: undefined, done: true });
    link.close();
  });

  it('a timeout beyond what a timer holds (2^31 ms and more) waits instead of firing at once', async () => {
    const { link, peer } = linked();
    const wait = link.waitFor('MODEL_EVENT_ADD', { timeoutMs: 2 ** 31 });
    await tick(30);
    peer.send('MODEL_EVENT_ADD|mei\n');
    expect((await wait).args).to.deep.equal(['mei']);
    link.close();
  });

  it('sendAudio refuses a gapMs that would switch pacing off (NaN, negative)', async () => {
    const { link } = linked();
    for (const gapMs of [NaN, -1]) await rejectsWith(link.sendAudio(new Int16Array(160), { gapMs }), 'ERR_BAD_INPUT');
    link.close();
  });

  it('reconnect settings that make no delay are refused at once (the loop would stop or spin)', () => {
    const redial = () => new Promise<never>(() => {});
    for (const reconnect of [
      { minDelayMs: NaN },
      { factor: 0.5 },
      { jitter: 2 },
      { maxRetries: -1 },
      { maxDelayMs: -5 },
    ]) {
      const [mine] = memoryPair();
      const err = throwsWith(() => new AgentLink(mine, { redial, reconnect }), 'ERR_BAD_INPUT');
      expect(err.message).to.contain('reconnect needs');
    }
  });

  it('a binary frame keeps a leading BOM, as a text frame does', async () => {
    const { link, peer } = linked();
    const got = collect(link);
    peer.send('\ufeffX|1\n');
    peer.send(new TextEncoder().encode('\ufeffX|2\n'));
    await drained();
    expect(got.map((m) => m.type)).to.deep.equal(['\ufeffX', '\ufeffX']);
    link.close();
  });
});

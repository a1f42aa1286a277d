// Dispatch one message per macrotask (src/link/inbox.ts), in Node and Chromium, over the in-memory
// socket: frames delivered back to back, several lines in one frame, and a close behind them.
// The same over real sockets, with the batching written byte for byte: link-batching.node.test.ts.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { AgentLink } from '../src/link.js';
import { memoryPair } from './support/memory-socket.js';

function linked() {
  const [mine, peer] = memoryPair();
  return { link: new AgentLink(mine), peer };
}

describe('AgentLink dispatch: a sequence of waits misses nothing', () => {
  it('echo and event sent back to back: a waitFor made after the first resolved gets the event', async () => {
    const { link, peer } = linked();
    link.send('VALUE_SET|x|1');
    peer.send('VALUE_SET|x|1\n');
    peer.send('VALUE_EVENT_SET|x\n');
    await link.waitFor('VALUE_SET', { timeoutMs: 1000 });
    expect((await link.waitFor('VALUE_EVENT_SET', { timeoutMs: 500 })).line).to.equal('VALUE_EVENT_SET|x');
    link.close();
  });

  it('echo and event in one frame: the same', async () => {
    const { link, peer } = linked();
    peer.send('VALUE_SET|x|1\nVALUE_EVENT_SET|x\n');
    await link.waitFor('VALUE_SET', { timeoutMs: 1000 });
    expect((await link.waitFor('VALUE_EVENT_SET', { timeoutMs: 500 })).args).to.deep.equal(['x']);
    link.close();
  });

  it('a chain of several awaits between two waits still gets the next message', async () => {
    const { link, peer } = linked();
    peer.send('A|1\nB|1\n');
    await link.waitFor((m) => m.type === 'A', { timeoutMs: 1000 });
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect((await link.waitFor((m) => m.type === 'B', { timeoutMs: 500 })).line).to.equal('B|1');
    link.close();
  });

  it('a close behind queued messages comes after them: a wait made in between still gets its message', async () => {
    const { link, peer } = linked();
    const events: string[] = [];
    link.on('close', () => events.push('close'));
    peer.send('A|1\nB|1\n');
    peer.close();
    await link.waitFor((m) => m.type === 'A', { timeoutMs: 1000 });
    const b = await link.waitFor((m) => m.type === 'B', { timeoutMs: 500 });
    events.push(b.line);
    await new Promise((r) => setTimeout(r, 20));
    expect(events).to.deep.equal(['B|1', 'close']);
  });

  it('a wait does not see a message dispatched before it was made', async () => {
    const { link, peer } = linked();
    const seen: string[] = [];
    link.on('message', (m) => seen.push(m.line));
    peer.send('A|1\n');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).to.deep.equal(['A|1']);
    let code: unknown;
    await link.waitFor((m) => m.type === 'A', { timeoutMs: 30 }).catch((err) => (code = err.code));
    expect(code).to.equal('ERR_TIMEOUT');
    link.close();
  });

  it('keeps order across thousands of queued messages', async () => {
    const { link, peer } = linked();
    const n = 3000;
    const got: number[] = [];
    const done = new Promise<void>((resolve) =>
      link.on('message', (m) => {
        got.push(Number(m.args[0]));
        if (got.length === n) resolve();
      }),
    );
    for (let i = 0; i < n; i += 10) {
      peer.send(Array.from({ length: 10 }, (_, k) => `N|${i + k}\n`).join(''));
    }
    await done;
    expect(got).to.deep.equal(Array.from({ length: n }, (_, i) => i));
    link.close();
  });
});

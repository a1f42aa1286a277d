// The simulated MMDAgent-EX as a process (src/node/sim/sim.ts): its handshake, connect series,
// lost connections, life and CLI, against a plain `ws` server on 127.0.0.1 (test/support/sim-peer.ts).
// Failure modes from real-client/hazards.md, notes.md and wire.md.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { isMmdError } from '../src/errors.js';
import { Sim, startSim } from '../src/node/sim/sim.js';
import { runSimCli } from '../src/node/cli/sim.js';
import { SimPeer, delay, freePort } from './support/sim-peer.js';
import { PERIODIC, SCALE, withSim } from './support/sim-harness.js';

describe('sim: handshake (wire.md §3.1, real-client/notes.md "Handshake")', () => {
  it('sends X-App-Type: MMDAgent and no Origin, subprotocol, extensions or User-Agent', async () => {
    await withSim({}, async ({ peer }) => {
      const req = peer.requests[0];
      expect(req.path).to.equal('/chat');
      expect(req.headers['x-app-type']).to.equal('MMDAgent');
      expect(req.headers['sec-websocket-version']).to.equal('13');
      expect(req.headers.host).to.equal(`127.0.0.1:${peer.port}`);
      for (const h of ['origin', 'sec-websocket-protocol', 'sec-websocket-extensions', 'user-agent', 'cookie']) {
        expect(req.headers, h).not.to.have.property(h);
      }
    });
  });

  it(
    'sends nothing on connect without a content preset, and ' + 'the recorded start-up burst with content "example"',
    async () => {
      await withSim({}, async ({ peer }) => {
        await delay(40);
        expect(peer.texts().filter((t) => !PERIODIC.test(t))).to.deep.equal([]);
      });
      await withSim({ content: 'example' }, async ({ peer }) => {
        const last = await peer.frame('PLUGIN_EVENT_ENABLE|Remote\n');
        const texts = peer.texts().filter((t) => !t.startsWith('CURRENT_TIME'));
        // transcripts.md part1 #0: 27 frames before CURRENT_TIME, in this order
        expect(texts).to.have.length(27);
        expect(texts.slice(0, 6)).to.deep.equal([
          'PLUGIN_EVENT_ENABLE|Variables\n',
          'PLUGIN_EVENT_ENABLE|Open_JTalk\n',
          'PLUGIN_EVENT_ENABLE|TextArea\n',
          'PLUGIN_EVENT_ENABLE|VIManager\n',
          'STAGE|images/floor_green.png,images/back_white.png\n',
          'MODEL_ADD|0|gene/Gene_light.pmd\n',
        ]);
        expect(texts).to.include('MENU|SETITEM|Gene|0|頬なし|MODEL_BINDFACE|0|頬全消し|1\n');
        expect(texts.at(-2)).to.equal('MOTION_EVENT_ADD|0|base\n');
        expect(last.text).to.equal(texts.at(-1));
      });
    },
  );

  it(
    'with content "example", a line sent at once is echoed after the ' +
      'whole start-up burst, CURRENT_TIME included (issue 12 item 6)',
    async () => {
      await withSim({ content: 'example' }, async ({ peer }) => {
        peer.send('MMDSDK_SYNC|1\n'); // right after the sim has read the 101, as a server's sync
        await peer.frame('MMDSDK_SYNC|1\n');
        const texts = peer.texts();
        const echo = texts.indexOf('MMDSDK_SYNC|1\n');
        // session-2026-12.md: the burst (27 lines and the first CURRENT_TIME) all came before the sync's echo.
        expect(echo).to.equal(28);
        expect(texts.slice(0, echo).filter((t) => t.startsWith('CURRENT_TIME|'))).to.have.length(1);
        expect(texts.slice(0, echo)).to.include('MOTION_EVENT_ADD|0|base\n');
        expect(texts.slice(0, echo)).to.include('PLUGIN_EVENT_ENABLE|Remote\n');
      });
    },
  );

  it('answers an empty ping with a 1-byte pong and echoes a ping payload (wire.md §6.2)', async () => {
    await withSim({}, async ({ peer, sim }) => {
      const pongs: Buffer[] = [];
      peer.ws.on('pong', (data: Buffer) => pongs.push(data));
      peer.ws.ping();
      peer.ws.ping('hb-1');
      await peer.until(() => pongs.length === 2);
      expect(pongs[0]).to.deep.equal(Buffer.of(0));
      expect(pongs[1].toString()).to.equal('hb-1');
      expect(sim.violations).to.deep.equal([]);
    });
  });
});

describe('sim: lost connections (wire.md §4.4, §7.6, §9)', () => {
  it('linux (default): the first lost connection kills it; no reconnect', async () => {
    await withSim({}, async ({ peer, sim }) => {
      const errors: string[] = [];
      sim.on('error', (e) => errors.push(e.code));
      peer.ws.terminate();
      const outcome = await sim.done;
      expect(outcome.status).to.equal('killed');
      expect(sim.status).to.equal('killed');
      expect(errors).to.deep.equal(['ERR_SIM_KILLED']);
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['killed']);
      await delay(60);
      expect(peer.requests).to.have.length(1);
    });
  });

  it('windows: reconnects at once; avatar state resets, global state and pending bytes survive', async () => {
    await withSim({ platform: 'windows' }, async ({ peer, sim, exchange }) => {
      await exchange(
        '__AV_START\n__AV_SETMODEL,0\nSNDFILE\nKEYVALUE_SET|k|v\nMODEL_ADD|m2|a.pmd\n',
        'MODEL_EVENT_ADD|m2\n',
        0,
      );
      expect(sim.state.avatar).to.deep.equal({ enabled: true, model: '0', autoLip: 'NO', audioMode: 'SNDFILE' });
      peer.send('PART');
      await peer.until(() => sim.state.pendingBytes === 4);
      peer.ws.terminate();
      await peer.until(() => sim.connections === 2);
      expect(peer.requests.map((r) => r.path)).to.deep.equal(['/chat', '/chat']);
      expect(sim.state.avatar).to.deep.equal({ enabled: false, model: undefined, autoLip: 'NO', audioMode: 'SNDSTRM' });
      expect(sim.state.keyValues.k).to.equal('v');
      expect(sim.state.models).to.have.property('m2');
      const from = peer.frames.length;
      peer.send('IAL|x\n');
      await peer.frame('PARTIAL|x\n', { from });
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it(
    'windows: gives up when the server is gone for a whole series; ' +
      'the error comes through done and the error event',
    async () => {
      const peer = await SimPeer.start();
      const sim = new Sim({ url: peer.url(), platform: 'windows', retryCount: 2, timeScale: SCALE });
      const statuses: string[] = [];
      sim.on('status', (s) => statuses.push(s));
      try {
        await sim.start();
        await peer.close();
        const outcome = await sim.done;
        expect(outcome.status).to.equal('gave-up');
        expect(outcome.error?.code).to.equal('ERR_SIM_GAVE_UP');
        expect(statuses).to.deep.equal(['connected', 'reconnecting', 'gave-up']);
      } finally {
        await sim.stop();
        await peer.close().catch(() => undefined);
      }
    },
  );
});

describe('sim: connect series (wire.md §4.1–4.3)', () => {
  it('refused: 1 + retryCount attempts 0.5 s apart, then startSim rejects with ERR_SIM_GAVE_UP', async () => {
    const port = await freePort();
    const sim = new Sim({ url: `ws://127.0.0.1:${port}/chat`, retryCount: 3, timeScale: 0.2 });
    const times: number[] = [];
    sim.on('attempt', (a) => {
      expect(a.error).to.equal('ConnectionRefusedException');
      times.push(performance.now());
    });
    const err = await sim.start().then(
      () => expect.fail('start() should reject'),
      (e: unknown) => e,
    );
    expect(isMmdError(err, 'ERR_SIM_GAVE_UP')).to.equal(true);
    expect(sim.status).to.equal('gave-up');
    expect(times).to.have.length(4);
    for (let i = 1; i < 4; i++) expect(times[i] - times[i - 1]).to.be.within(500 * 0.2 - 5, 500 * 0.2 + 100);
  });

  it('429 Too Many Requests renames the path cumulatively: /chat → /chat-1 → /chat-1-2, 0.2 s apart', async () => {
    const peer = await SimPeer.start();
    peer.refuse = (_path, n) => (n <= 2 ? '429 Too Many Requests' : undefined);
    const sim = await startSim({ url: peer.url(), timeScale: 0.2 });
    try {
      expect(peer.requests.map((r) => r.path)).to.deep.equal(['/chat', '/chat-1', '/chat-1-2']);
      expect(sim.path).to.equal('/chat-1-2');
      const gap = peer.requests[1].at - peer.requests[0].at;
      expect(gap).to.be.within(200 * 0.2 - 5, 200 * 0.2 + 50);
      expect(gap).to.be.below(500 * 0.2 - 5); // shorter than the pause after a refusal
    } finally {
      await sim.stop();
      await peer.close();
    }
  });

  it('only the reason phrase counts: a 429 without it is an ordinary failure (0.5 s, no rename)', async () => {
    const peer = await SimPeer.start();
    peer.refuse = (_path, n) => (n === 1 ? '429 Slow Down' : undefined);
    const sim = await startSim({ url: peer.url(), timeScale: 0.2 });
    try {
      expect(peer.requests.map((r) => r.path)).to.deep.equal(['/chat', '/chat']);
      expect(peer.requests[1].at - peer.requests[0].at).to.be.above(500 * 0.2 - 5);
    } finally {
      await sim.stop();
      await peer.close();
    }
  });

  it('a refused attempt shifts the number: refused, then 429 → /chat-2', async () => {
    const port = await freePort();
    const sim = new Sim({ url: `ws://127.0.0.1:${port}/chat`, timeScale: 0.2 });
    let peer: SimPeer | undefined;
    const listening = new Promise<void>((resolve) => {
      const off = sim.on('attempt', () => {
        off();
        void SimPeer.start(port).then((p) => {
          peer = p;
          p.refuse = (_path, n) => (n === 1 ? '429 Too Many Requests' : undefined);
          resolve();
        });
      });
    });
    try {
      await sim.start();
      await listening;
      expect(peer!.requests.map((r) => r.path)).to.deep.equal(['/chat', '/chat-2']);
    } finally {
      await sim.stop();
      await peer?.close();
    }
  });

  it('a new series after a drop starts again from the configured path (windows)', async () => {
    const peer = await SimPeer.start();
    peer.refuse = (path) => (path === '/chat' ? '429 Too Many Requests' : undefined);
    const sim = await startSim({ url: peer.url(), platform: 'windows', timeScale: SCALE });
    try {
      await peer.connection(0);
      peer.ws.terminate();
      await peer.connection(1);
      expect(peer.requests.map((r) => r.path)).to.deep.equal(['/chat', '/chat-1', '/chat', '/chat-1']);
    } finally {
      await sim.stop();
      await peer.close();
    }
  });

  it('rejects a bad url with ERR_USAGE; pending waitFor() calls reject when the sim ends', async () => {
    for (const url of ['not a url', 'wss://127.0.0.1:9001/chat', 'http://127.0.0.1/']) {
      expect(() => new Sim({ url }), url)
        .to.throw()
        .with.property('code', 'ERR_USAGE');
    }
    const peer = await SimPeer.start();
    const sim = await startSim({ url: peer.url(), timeScale: SCALE });
    try {
      const aborter = new AbortController();
      const aborted = sim.waitFor('X', { signal: aborter.signal });
      aborter.abort();
      const killed = sim.waitFor('X');
      (await peer.connection(0)).terminate();
      expect(await aborted.catch((e: { code: string }) => e.code)).to.equal('ERR_ABORTED');
      expect(await killed.catch((e: { code: string }) => e.code)).to.equal('ERR_SIM_KILLED');
      expect(await sim.waitFor('X').catch((e: { code: string }) => e.code)).to.equal('ERR_SIM_KILLED');
    } finally {
      await sim.stop();
      await peer.close();
    }
  });

  it('stop() closes the TCP connection without a close frame (wire.md §5.3)', async () => {
    const peer = await SimPeer.start();
    const sim = await startSim({ url: peer.url(), timeScale: SCALE });
    try {
      const ws = await peer.connection(0);
      const code = new Promise<number>((resolve) => ws.once('close', resolve));
      await sim.stop();
      expect(await code).to.equal(1006);
      expect((await sim.done).status).to.equal('stopped');
      expect(sim.violations).to.deep.equal([]);
    } finally {
      await peer.close();
    }
  });
});

describe('sim CLI (runSimCli)', () => {
  it('logs frames both ways and exits 1 when the sim is killed', async () => {
    const peer = await SimPeer.start();
    const out: string[] = [];
    const err: string[] = [];
    try {
      const run = runSimCli(['--url', peer.url(), '--time-scale', String(SCALE)], {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
      });
      await peer.connection(0);
      await peer.until(() => out.some((l) => l.includes('connected to')));
      peer.send('HELLO|1\n');
      await peer.frame('HELLO|1\n');
      await delay(20);
      peer.ws.terminate();
      expect(await run).to.equal(1);
      expect(out.some((l) => l.includes('<- text HELLO|1\\n'))).to.equal(true);
      expect(out.some((l) => l.includes('-> HELLO|1\\n'))).to.equal(true);
      expect(err.some((l) => l.includes('VIOLATION killed'))).to.equal(true);
    } finally {
      await peer.close();
    }
  });

  it('exits 0 on SIGINT, and 2 with ERR_USAGE on bad arguments', async () => {
    const peer = await SimPeer.start();
    try {
      const run = runSimCli([`--url=${peer.url()}`, '--platform', 'windows'], { out: () => {}, err: () => {} });
      await peer.connection(0);
      process.emit('SIGINT');
      expect(await run).to.equal(0);
    } finally {
      await peer.close();
    }
    const err: string[] = [];
    const url = `--url=ws://127.0.0.1:9/chat`; // never dialled: the usage error comes first
    expect(await runSimCli([url, '--platform', 'mac'], { out: () => {}, err: (s) => err.push(s) })).to.equal(2);
    expect(err[0]).to.match(/^ERR_USAGE: (sim: )?--platform must be linux or windows/);
    expect(await runSimCli([], { out: () => {}, err: (s) => err.push(s) })).to.equal(2);
  });
});

describe('sim: found in review (each test failed before its fix)', () => {
  const probe = async (scenario: string) => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/sim-exit-probe.ts', scenario], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const started = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => (child.kill(), resolve(null)), 10_000);
      child.on('exit', (c) => (clearTimeout(timer), resolve(c)));
    });
    return { code, out: out.trim(), seconds: (performance.now() - started) / 1000 };
  };

  it(
    'waitFor with timeoutMs: Infinity waits (bug: Node clamped ' +
      'the timer and it rejected after ~6 ms); stop() ends it',
    async () => {
      await withSim({}, async ({ sim }) => {
        let settled: unknown;
        const wait = sim.waitFor('NEVER_COMES', { timeoutMs: Infinity }).then(
          (m) => (settled = m),
          (err: { code: string }) => (settled = err.code),
        );
        await delay(60);
        expect(settled).to.equal(undefined);
        await sim.stop();
        await wait;
        expect(settled).to.equal('ERR_CLOSED');
      });
    },
  );

  it('start() after stop() rejects with ERR_CLOSED and leaves no timer behind: the process exits', async () => {
    const run = await probe('stop-then-start');
    expect(run.out).to.equal('start rejected ERR_CLOSED');
    expect(run.code, `still running after ${run.seconds.toFixed(1)} s`).to.equal(0);
  });

  it(
    "stop() from a 'status' listener while connecting: start() " +
      'rejects with ERR_CLOSED and nothing is armed after it',
    async () => {
      const run = await probe('stop-in-status-listener');
      expect(run.out).to.equal('start rejected ERR_CLOSED');
      expect(run.code, `still running after ${run.seconds.toFixed(1)} s`).to.equal(0);
    },
  );

  it('sim --help prints the usage on stdout with status 0, like serve --help and mdf --help', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const status = await runSimCli(['--help'], {
      out: (l: string) => void out.push(l),
      err: (l: string) => void err.push(l),
    });
    expect(status).to.equal(0);
    expect(out.join('\n')).to.match(/usage: mmdagent-ex-remote sim/);
    expect(err).to.deep.equal([]);
  });
});

describe('sim: PLUGIN_DISABLE|Remote on windows', () => {
  it('ends as gave-up with ERR_SIM_GAVE_UP, a failure, not as a clean stop() (bug: it ended as stopped)', async () => {
    await withSim({ platform: 'windows' }, async ({ peer, sim }) => {
      const wait = sim.waitFor('NEVER_COMES', { timeoutMs: 5000 }).catch((err: unknown) => err);
      peer.send('PLUGIN_DISABLE|Remote\n');
      const outcome = await sim.done;
      expect(outcome.status).to.equal('gave-up');
      expect(isMmdError(outcome.error, 'ERR_SIM_GAVE_UP')).to.equal(true);
      expect(isMmdError(await wait, 'ERR_SIM_GAVE_UP')).to.equal(true);
      expect(sim.violations.map((v) => v.kind)).to.include('remote-disabled');
    });
  });
});

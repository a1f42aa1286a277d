// The simulated MMDAgent-EX against a plain `ws` server on 127.0.0.1 (test/support/sim-peer.ts).
// Expected sequences come from protocol/real-client/transcripts.md (cited per test) and the
// failure modes from real-client/hazards.md and wire.md. All delays run at SCALE of real time.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { isMmdError } from '../src/errors.js';
import { Sim, startSim } from '../src/node/sim/sim.js';
import type { SimOptions } from '../src/node/sim/sim.js';
import { runSimCli } from '../src/node/cli/sim.js';
import { phonemes, speechMs } from '../src/node/sim/behaviours/index.js';
import { SimPeer, delay, freePort } from './support/sim-peer.js';
import { startRelay } from './support/sim-relay.js';

const SCALE = 0.05;
const PERIODIC = /^(CURRENT_TIME|AVATAR_EVENT_IDLE)\|/;

interface Ctx {
  peer: SimPeer;
  sim: Sim;
  /** Sends `line` and returns the non-periodic frames that follow once `last` arrived and `quietMs` passed. */
  exchange(line: string | Buffer, last: string | RegExp, quietMs?: number): Promise<string[]>;
}

async function withSim(opts: Partial<SimOptions>, body: (ctx: Ctx) => Promise<void>): Promise<void> {
  const peer = await SimPeer.start();
  let sim: Sim | undefined;
  try {
    sim = await startSim({ url: peer.url(), timeScale: SCALE, ...opts });
    await peer.connection(0);
    const exchange = async (line: string | Buffer, last: string | RegExp, quietMs = 40) => {
      const from = peer.frames.length;
      peer.send(line);
      await peer.frame(last, { from });
      await delay(quietMs);
      return peer
        .texts()
        .slice(from)
        .filter((t) => !PERIODIC.test(t));
    };
    await body({ peer, sim, exchange });
  } finally {
    await sim?.stop();
    await peer.close();
  }
}

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

  it('sends nothing on connect without a content preset, and the recorded start-up burst with content "example"', async () => {
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
  });

  it('with content "example", a line sent at once is echoed after the whole start-up burst, CURRENT_TIME included (issue 12 item 6)', async () => {
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
  });

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

describe('sim: echo rules (wire.md §10.1, real-client/hazards.md (j), notes.md)', () => {
  it('echoes each message as its own TYPE|ARGS\\n text frame, after the echo delay', async () => {
    await withSim({ timeScale: 0.2 }, async ({ peer, exchange }) => {
      const sentAt = performance.now();
      expect(await exchange('TEST_MESSAGE\n', 'TEST_MESSAGE\n')).to.deep.equal(['TEST_MESSAGE\n']);
      const echo = peer.frames.find((f) => f.text === 'TEST_MESSAGE\n')!;
      // 170 ms recorded median × 0.2 = 34 ms; well inside the 102–280 ms × 0.2 range
      expect(echo.at - sentAt).to.be.within(20, 100);
      expect(await exchange('KEY|1\nKEY|2\n', 'KEY|2\n')).to.deep.equal(['KEY|1\n', 'KEY|2\n']);
      expect(await exchange('CRLF_TEST|1\r\n', 'CRLF_TEST|1\n')).to.deep.equal(['CRLF_TEST|1\n']);
      expect(await exchange('NOARGS\n', 'NOARGS\n')).to.deep.equal(['NOARGS\n']);
    });
  });

  it('keeps empty fields in the echo, drops a leading |, and acts on the collapsed form', async () => {
    await withSim({}, async ({ exchange }) => {
      expect(await exchange('A||B|C\n', 'A||B|C\n')).to.deep.equal(['A||B|C\n']);
      expect(await exchange('||LEAD|x\n', 'LEAD|x\n')).to.deep.equal(['LEAD|x\n']);
      expect(await exchange('VALUE_SET|vv||7\n', 'VALUE_EVENT_SET|vv\n')).to.deep.equal([
        'VALUE_SET|vv||7\n',
        'VALUE_EVENT_SET|vv\n',
      ]);
      expect(await exchange('VALUE_GET|vv\n', 'VALUE_EVENT_GET|vv|7\n')).to.deep.equal([
        'VALUE_GET|vv\n',
        'VALUE_EVENT_GET|vv|7\n',
      ]);
    });
  });

  it('does not echo __AV* lines or RECOG_RECORD*, unwraps __AV_MESSAGE, echoes unknown types', async () => {
    await withSim({}, async ({ sim, exchange }) => {
      expect(await exchange('__AV_START\n', 'AVATAR|START\n')).to.deep.equal(['AVATAR|START\n']);
      expect(await exchange('__AV_SETMODEL,0\nRECOG_RECORD_START|x\nSYNC|1\n', 'SYNC|1\n')).to.deep.equal(['SYNC|1\n']);
      expect(await exchange('__AV_MESSAGE,AV_TEST|x|y\n', 'AV_TEST|x|y\n')).to.deep.equal(['AV_TEST|x|y\n']);
      expect(await exchange('FOO_BAR|1|2\n', 'FOO_BAR|1|2\n')).to.deep.equal(['FOO_BAR|1|2\n']);
      expect(sim.received.map((m) => m.type)).to.deep.equal(['SYNC', 'AV_TEST', 'FOO_BAR']);
      expect(sim.received[1].args).to.deep.equal(['x', 'y']);
    });
  });

  it('holds a lone short S-line until the next frame (wire.md §8.4, hazards.md (i))', async () => {
    await withSim({}, async ({ peer, exchange }) => {
      peer.send('STOP\n');
      await delay(60);
      expect(peer.texts().filter((t) => !PERIODIC.test(t))).to.deep.equal([]);
      expect(await exchange('PROBE_2|x\n', 'PROBE_2|x\n')).to.deep.equal(['STOP\n', 'PROBE_2|x\n']);
    });
  });

  it('cuts an echo of 2047 bytes or more to 2047 bytes without \\n, and reports the long line (hazards.md (g))', async () => {
    await withSim({}, async ({ peer, sim }) => {
      peer.send(`LONG2100|${'x'.repeat(2090)}\n`);
      const echo = await peer.frame(/^LONG2100\|/);
      expect(echo.bytes.length).to.equal(2047);
      expect(echo.text).to.equal(`LONG2100|${'x'.repeat(2038)}`);
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['long-line']);
      expect(sim.violations[0].rule).to.equal('wire.md §7.7');
      expect(sim.status).to.equal('connected');
    });
  });

  it('cuts inside a multi-byte character, sending invalid UTF-8 as the real app does (wire.md §5.1)', async () => {
    await withSim({}, async ({ sim, peer }) => {
      sim.emit({ type: 'CUT', args: ['x'.repeat(2042) + 'あい'] }); // 'CUT|' + 2042 + 3 + 3 bytes
      const frame = await peer.frame(/^CUT\|/);
      expect(frame.bytes.length).to.equal(2047);
      expect(frame.bytes.subarray(-1)).to.deep.equal(Buffer.from('あ').subarray(0, 1));
    });
  });
});

describe('sim: command event sequences (real-client/transcripts.md)', () => {
  it('MODEL_ADD / MODEL_CHANGE / MODEL_DELETE (part1b #1, #3, #4), silent on unknown or duplicate alias (part1 #2, part1b #5)', async () => {
    await withSim({}, async ({ exchange, sim }) => {
      expect(await exchange('MODEL_ADD|m2|glasses/glasses.pmd|8,0,0\n', 'MODEL_EVENT_ADD|m2\n')).to.deep.equal([
        'MODEL_ADD|m2|glasses/glasses.pmd|8,0,0\n',
        'MODEL_EVENT_ADD|m2\n',
      ]);
      expect(
        await exchange('MOTION_ADD|m2|base|motions/wait/01_Wait.vmd|FULL|LOOP\n', 'MOTION_EVENT_ADD|m2|base\n'),
      ).to.deep.equal(['MOTION_ADD|m2|base|motions/wait/01_Wait.vmd|FULL|LOOP\n', 'MOTION_EVENT_ADD|m2|base\n']);
      expect(await exchange('MODEL_CHANGE|m2|gene/Gene_light.pmd\n', 'MODEL_EVENT_CHANGE|m2\n')).to.deep.equal([
        'MODEL_CHANGE|m2|gene/Gene_light.pmd\n',
        'MODEL_EVENT_CHANGE|m2\n',
      ]);
      expect(await exchange('MODEL_DELETE|m2\n', 'MODEL_EVENT_DELETE|m2\n')).to.deep.equal([
        'MODEL_DELETE|m2\n',
        'MOTION_EVENT_DELETE|m2|base\n',
        'MODEL_EVENT_DELETE|m2\n',
      ]);
      expect(
        await exchange('MODEL_CHANGE|m2|glasses/glasses.pmd\n', 'MODEL_CHANGE|m2|glasses/glasses.pmd\n', 60),
      ).to.have.length(1);
      expect(
        await exchange('MODEL_ADD|0|glasses/glasses.pmd\n', 'MODEL_ADD|0|glasses/glasses.pmd\n', 60),
      ).to.have.length(1);
      expect(sim.state.models['0'].file).to.equal('gene/Gene_light.pmd');
    });
  });

  it('MOTION_ADD ONCE ends with MOTION_EVENT_DELETE after the configured length; LOOP, CHANGE, DELETE, missing file (part1 #4–#8)', async () => {
    await withSim(
      { motions: { 'motions/action/ojigi.vmd': 2000, 'nosuchfile.vmd': null } },
      async ({ peer, exchange }) => {
        const from = peer.frames.length;
        expect(
          await exchange('MOTION_ADD|0|act|motions/action/ojigi.vmd|PART|ONCE\n', 'MOTION_EVENT_DELETE|0|act\n'),
        ).to.deep.equal([
          'MOTION_ADD|0|act|motions/action/ojigi.vmd|PART|ONCE\n',
          'MOTION_EVENT_ADD|0|act\n',
          'MOTION_EVENT_DELETE|0|act\n',
        ]);
        const [add, del] = ['MOTION_EVENT_ADD|0|act\n', 'MOTION_EVENT_DELETE|0|act\n'].map((t) =>
          peer.frames.slice(from).find((f) => f.text === t)!,
        );
        expect(del.at - add.at).to.be.within(2000 * SCALE - 5, 2000 * SCALE + 100);
        expect(
          await exchange('MOTION_ADD|0|act2|motions/action/thinking.vmd|PART|LOOP\n', 'MOTION_EVENT_ADD|0|act2\n', 150),
        ).to.have.length(2);
        expect(
          await exchange('MOTION_CHANGE|0|act2|motions/action/wavehand.vmd\n', 'MOTION_EVENT_CHANGE|0|act2\n'),
        ).to.have.length(2);
        expect(await exchange('MOTION_ACCELERATE|0|act2|0.5|1.0\n', 'MOTION_EVENT_ACCELERATE|0|act2\n')).to.have.length(
          2,
        );
        expect(await exchange('MOTION_DELETE|0|act2\n', 'MOTION_EVENT_DELETE|0|act2\n')).to.deep.equal([
          'MOTION_DELETE|0|act2\n',
          'MOTION_EVENT_DELETE|0|act2\n',
        ]);
        expect(
          await exchange(
            'MOTION_ADD|0|nf|nosuchfile.vmd|PART|ONCE\n',
            'MOTION_ADD|0|nf|nosuchfile.vmd|PART|ONCE\n',
            150,
          ),
        ).to.have.length(1);
        expect(await exchange('MOTION_ADD|nobody|x|a.vmd\n', 'MOTION_ADD|nobody|x|a.vmd\n', 60)).to.have.length(1);
      },
    );
  });

  it('MOVE_START / MOVE_STOP, TURN_START then ROTATE_START ends the turn (part1 #9–#13)', async () => {
    await withSim({}, async ({ exchange }) => {
      expect(await exchange('MOVE_START|0|0,0,5|GLOBAL|5.0\n', 'MOVE_EVENT_STOP|0\n')).to.deep.equal([
        'MOVE_START|0|0,0,5|GLOBAL|5.0\n',
        'MOVE_EVENT_START|0\n',
        'MOVE_EVENT_STOP|0\n',
      ]);
      expect(await exchange('MOVE_START|0|0,0,-20|GLOBAL|2.0\n', 'MOVE_EVENT_START|0\n')).to.have.length(2);
      expect(await exchange('MOVE_STOP|0\n', 'MOVE_EVENT_STOP|0\n')).to.deep.equal([
        'MOVE_STOP|0\n',
        'MOVE_EVENT_STOP|0\n',
      ]);
      expect(await exchange('TURN_START|0|20,0,0\n', 'TURN_EVENT_START|0\n')).to.have.length(2);
      expect(await exchange('ROTATE_START|0|0,90,0|LOCAL|45\n', 'ROTATE_EVENT_STOP|0\n')).to.deep.equal([
        'ROTATE_START|0|0,90,0|LOCAL|45\n',
        'TURN_EVENT_STOP|0\n',
        'ROTATE_EVENT_START|0\n',
        'ROTATE_EVENT_STOP|0\n',
      ]);
    });
  });

  it('move/turn/rotate take the recorded times: default approach ≈ 11 s, rotation at a speed about half the nominal time (part1 #12–#14)', async () => {
    const scale = 0.02;
    await withSim({ timeScale: scale }, async ({ peer, exchange }) => {
      const gap = async (line: string, first: string, last: string) => {
        const from = peer.frames.length;
        peer.send(line);
        const a = await peer.frame(first, { from });
        const b = await peer.frame(last, { from });
        return (b.at - a.at) / scale;
      };
      // #12: a default-speed turn had not ended 9.5 s later.
      await exchange('TURN_START|0|20,0,0\n', 'TURN_EVENT_START|0\n', 9500 * scale);
      expect(peer.texts()).not.to.include('TURN_EVENT_STOP|0\n');
      // #13: 90° at 45°/s ended 1.05 s after ROTATE_EVENT_START; the running turn ends first.
      expect(
        await gap('ROTATE_START|0|0,90,0|LOCAL|45\n', 'ROTATE_EVENT_START|0\n', 'ROTATE_EVENT_STOP|0\n'),
      ).to.be.within(700, 1800);
      expect(peer.texts()).to.include('TURN_EVENT_STOP|0\n');
      // #14: a default-speed move over 2 units took 11.1 s.
      expect(await gap('MOVE_START|0|0,0,2\n', 'MOVE_EVENT_START|0\n', 'MOVE_EVENT_STOP|0\n')).to.be.within(
        10000,
        13000,
      );
    });
  });

  it('SYNTH_START ends as recorded with a real-time sink: short text stops at once, long text ~0.8 s after the lip-sync (issue 12 item 6)', async () => {
    await withSim({ timeScale: 0.1 }, async ({ peer, exchange }) => {
      const types = (seq: string[]) => seq.map((t) => t.trim().split('|').slice(0, 2).join('|'));
      // session-60-steps.real.json step 59 (おわり, 380 ms of phonemes): SYNTH_EVENT_STOP before LIPSYNC_EVENT_START.
      const short = await exchange('SYNTH_START|0|mei_voice_normal|おわり\n', 'LIPSYNC_EVENT_STOP|0\n');
      expect(types(short)).to.deep.equal([
        'SYNTH_START|0',
        'SYNTH_EVENT_START|0',
        'LIPSYNC_START|0',
        'SYNTH_EVENT_STOP|0',
        'LIPSYNC_EVENT_START|0',
        'LIPSYNC_EVENT_STOP|0',
      ]);
      // Step 0 (2100 ms of phonemes): LIPSYNC_EVENT_STOP, then SYNTH_EVENT_STOP 0.78 s later.
      const from = peer.frames.length;
      const long = await exchange(
        'SYNTH_START|0|mei_voice_normal|こんにちは、エスディーケーです\n',
        'SYNTH_EVENT_STOP|0\n',
      );
      expect(types(long)).to.deep.equal([
        'SYNTH_START|0',
        'SYNTH_EVENT_START|0',
        'LIPSYNC_START|0',
        'LIPSYNC_EVENT_START|0',
        'LIPSYNC_EVENT_STOP|0',
        'SYNTH_EVENT_STOP|0',
      ]);
      const at = (t: string) => peer.frames.slice(from).find((f) => f.text === t)!.at;
      expect(at('SYNTH_EVENT_STOP|0\n') - at('LIPSYNC_EVENT_STOP|0\n')).to.be.within(60, 130); // 780 ms × 0.1
      // Real phoneme names (Open JTalk's set), not invented vowels: k,o,N,n,i,ch,i,… pau … s,U
      const sequence = long[2].trim().split('|')[2].split(',');
      expect(sequence.filter((_, i) => i % 2 === 0).slice(0, 7)).to.deep.equal(['k', 'o', 'N', 'n', 'i', 'ch', 'i']);
      expect(sequence).to.include('pau');
      expect(sequence.at(-2)).to.equal('U');
    });
  });

  it('speech length follows the recorded chars → ms table within 10 % (transcripts.md finding 7)', () => {
    const table: Array<[string, number]> = [
      ['はい。', 325],
      ['こんにちは、今日はいい天気ですね。', 2530],
      ['はい、わかりました。', 1585],
      [
        '本日はお越しいただきありがとうございます。私はジーンです。何かお手伝いできることがあれば、いつでも声をかけてくださいね。',
        9605,
      ],
      ['Hello! My name is gene. How can I help you?', 2920],
    ];
    for (const [text, ms] of table) {
      expect(Math.abs(speechMs(text) - ms) / ms, text).to.be.below(0.1);
      const durations = phonemes(text)
        .split(',')
        .filter((_, i) => i % 2 === 1)
        .map(Number);
      expect(
        durations.reduce((a, b) => a + b, 0),
        text,
      ).to.equal(speechMs(text));
    }
  });

  it('SYNTH_START with an unknown voice gives only the echo; SYNTH_STOP mid-utterance (part1b #11, part1 #20)', async () => {
    await withSim({}, async ({ exchange }) => {
      expect(
        await exchange('SYNTH_START|0|no_such_voice|テスト\n', 'SYNTH_START|0|no_such_voice|テスト\n', 100),
      ).to.have.length(1);
      await exchange(
        'SYNTH_START|0|mei_voice_normal|本日はお越しいただきありがとうございます。\n',
        'LIPSYNC_EVENT_START|0\n',
        0,
      );
      expect(await exchange('SYNTH_STOP|0\n', 'SYNTH_EVENT_STOP|0\n')).to.deep.equal([
        'SYNTH_STOP|0\n',
        'LIPSYNC_STOP|0\n',
        'LIPSYNC_STOP|0\n',
        'LIPSYNC_EVENT_STOP|0\n',
        'SYNTH_EVENT_STOP|0\n',
      ]);
    });
  });

  it('a new SYNTH_START while speaking ends the old utterance first (part1b #8)', async () => {
    await withSim({}, async ({ exchange }) => {
      await exchange(
        'SYNTH_START|0|mei_voice_normal|本日はお越しいただきありがとうございます。\n',
        'LIPSYNC_EVENT_START|0\n',
        0,
      );
      const seq = await exchange('SYNTH_START|0|mei_voice_normal|はい、わかりました。\n', /^SYNTH_EVENT_STOP/, 0);
      const rest = await exchange('SYNC|1\n', 'SYNTH_EVENT_STOP|0\n');
      expect([...seq, ...rest].map((t) => t.split('|')[0]).filter((t) => t !== 'SYNC\n' && t !== 'SYNC')).to.deep.equal(
        [
          'SYNTH_START',
          'LIPSYNC_STOP',
          'LIPSYNC_EVENT_STOP',
          'SYNTH_EVENT_STOP',
          'SYNTH_EVENT_START',
          'LIPSYNC_START',
          'LIPSYNC_EVENT_START',
          'LIPSYNC_EVENT_STOP',
          'SYNTH_EVENT_STOP',
        ],
      );
    });
  });

  it('LIPSYNC_START / LIPSYNC_STOP (part1 #21–#23)', async () => {
    await withSim({}, async ({ exchange }) => {
      expect(await exchange('LIPSYNC_START|0|a,200,i,200,u,200,e,200,o,200\n', 'LIPSYNC_EVENT_STOP|0\n')).to.deep.equal(
        ['LIPSYNC_START|0|a,200,i,200,u,200,e,200,o,200\n', 'LIPSYNC_EVENT_START|0\n', 'LIPSYNC_EVENT_STOP|0\n'],
      );
      await exchange('LIPSYNC_START|0|a,500,i,500,u,500,e,500,o,500\n', 'LIPSYNC_EVENT_START|0\n', 0);
      expect(await exchange('LIPSYNC_STOP|0\n', 'LIPSYNC_EVENT_STOP|0\n', 150)).to.deep.equal([
        'LIPSYNC_STOP|0\n',
        'LIPSYNC_EVENT_STOP|0\n',
      ]);
    });
  });

  it('SPEAK_START / SPEAK_STOP, SOUND_START / SOUND_STOP (part1 #24–#27, part1b #12)', async () => {
    await withSim({ sounds: { 'test1s.wav': 1000, 'test4s.wav': 4000 } }, async ({ exchange, peer }) => {
      const from = peer.frames.length;
      expect(await exchange('SPEAK_START|0|test1s.wav\n', 'SOUND_EVENT_STOP|__speak__0\n')).to.deep.equal([
        'SPEAK_START|0|test1s.wav\n',
        'AVATAR|START\n',
        'SPEAK_EVENT_START|0\n',
        'SOUND_START|__speak__0|test1s.wav\n',
        'SOUND_EVENT_START|__speak__0\n',
        'SPEAK_EVENT_STOP|0\n',
        'SOUND_EVENT_STOP|__speak__0\n',
      ]);
      // session-60-steps.real.json 55–56: the player's stop comes ~1.2 s after SPEAK_EVENT_STOP (was 0.23 s).
      const at = (t: string) => peer.frames.slice(from).find((f) => f.text === t)!.at;
      expect(at('SOUND_EVENT_STOP|__speak__0\n') - at('SPEAK_EVENT_STOP|0\n')).to.be.within(1000 * SCALE, 1500 * SCALE);
      expect(await exchange('SPEAK_STOP|0\n', 'SPEAK_EVENT_STOP|0\n')).to.deep.equal([
        'SPEAK_STOP|0\n',
        'SPEAK_EVENT_STOP|0\n',
      ]);
      expect(await exchange('SOUND_START|snd1|test4s.wav\n', 'SOUND_EVENT_START|snd1\n', 0)).to.have.length(2);
      expect(await exchange('SOUND_STOP|snd1\n', 'SOUND_EVENT_STOP|snd1\n')).to.deep.equal([
        'SOUND_STOP|snd1\n',
        'SOUND_EVENT_STOP|snd1\n',
      ]);
    });
  });

  it('TIMER_START counts down; restart cancels; TIMER_STOP (part1 #28–#30, part1b #10)', async () => {
    await withSim({}, async ({ peer, exchange, sim }) => {
      const sentAt = performance.now();
      expect(await exchange('TIMER_START|t1|1.5\n', 'TIMER_EVENT_STOP|t1\n')).to.deep.equal([
        'TIMER_START|t1|1.5\n',
        'TIMER_EVENT_START|t1\n',
        'TIMER_EVENT_STOP|t1\n',
      ]);
      // 1.75 s after the command in the real app; echo 170 + 1500 + 80 here
      expect(peer.frames.find((f) => f.text === 'TIMER_EVENT_STOP|t1\n')!.at - sentAt).to.be.within(
        1700 * SCALE,
        1800 * SCALE + 100,
      );
      await exchange('TIMER_START|t3|5\n', 'TIMER_EVENT_START|t3\n', 0);
      expect(await exchange('TIMER_START|t3|0.5\n', 'TIMER_EVENT_STOP|t3\n')).to.deep.equal([
        'TIMER_START|t3|0.5\n',
        'TIMER_EVENT_CANCELLED|t3\n',
        'TIMER_EVENT_START|t3\n',
        'TIMER_EVENT_STOP|t3\n',
      ]);
      await exchange('TIMER_START|t2|10\n', 'TIMER_EVENT_START|t2\n', 0);
      expect(sim.state.timers).to.deep.equal(['t2']);
      expect(await exchange('TIMER_STOP|t2\n', 'TIMER_EVENT_STOP|t2\n')).to.deep.equal([
        'TIMER_STOP|t2\n',
        'TIMER_EVENT_STOP|t2\n',
      ]);
    });
  });

  it('VALUE_SET / EVAL / UNSET, KEYVALUE_SET and display commands without events (part1 #31–#39)', async () => {
    await withSim({}, async ({ exchange, sim }) => {
      expect(await exchange('VALUE_SET|v1|3\n', 'VALUE_EVENT_SET|v1\n')).to.have.length(2);
      expect(await exchange('VALUE_EVAL|v1|GE|2\n', 'VALUE_EVENT_EVAL|v1|GE|2|TRUE\n')).to.have.length(2);
      expect(await exchange('VALUE_EVAL|v1|LT|2\n', 'VALUE_EVENT_EVAL|v1|LT|2|FALSE\n')).to.have.length(2);
      expect(await exchange('VALUE_UNSET|v1\n', 'VALUE_EVENT_UNSET|v1\n')).to.have.length(2);
      for (const line of [
        'VALUE_EVAL|v1|GE|2',
        'KEYVALUE_SET|TestKey|hello',
        'CAMERA|0,13,0|0,0,0|30.0|27.0|1.0',
        'LIGHTCOLOR|1.0,0.9,0.8',
        'LIGHTDIRECTION|0.5,1.0,0.5',
        'STAGE|images/floor_block.png,images/back_white.png',
        'PROMPT_SHOW|Continue?|Yes|No',
      ]) {
        expect(await exchange(`${line}\n`, `${line}\n`, 50), line).to.deep.equal([`${line}\n`]);
      }
      expect(sim.state.keyValues.TestKey).to.equal('hello');
    });
  });

  it('TEXTAREA, CAPTION, MENU, PLUGIN_DISABLE/ENABLE reply in the same order (part1 #40–#48)', async () => {
    await withSim({}, async ({ exchange }) => {
      const pairs: Array<[string, string]> = [
        ['TEXTAREA_ADD|ta1|10,5|1,1,1|0,0,0,0.5|1,1,1,1|0,20,0', 'TEXTAREA_EVENT_ADD|ta1'],
        ['TEXTAREA_SET|ta1|Hello_world', 'TEXTAREA_EVENT_SET|ta1'],
        ['TEXTAREA_DELETE|ta1', 'TEXTAREA_EVENT_DELETE|ta1'],
        ['CAPTION_SETSTYLE|cs1|default|1,0.5,0,1', 'CAPTION_EVENT_SETSTYLE|cs1'],
        ['CAPTION_START|cap2|cs1|Second_caption|3.0|CENTER|0.5|300', 'CAPTION_EVENT_START|cap2'],
        ['CAPTION_STOP|cap2', 'CAPTION_EVENT_STOP|cap2'],
        ['MENU|ADD|mymenu', 'MENU_EVENT|ADD|mymenu'],
        ['MENU|SETITEM|mymenu|0|Wave|MOTION_ADD|0|act|wave.vmd', 'MENU_EVENT|SETITEM|mymenu|0'],
        ['PLUGIN_DISABLE|Audio', 'PLUGIN_EVENT_DISABLE|Audio'],
        ['PLUGIN_ENABLE|Audio', 'PLUGIN_EVENT_ENABLE|Audio'],
      ];
      for (const [command, event] of pairs) {
        expect(await exchange(`${command}\n`, `${event}\n`, 20), command).to.deep.equal([`${command}\n`, `${event}\n`]);
      }
      expect(
        await exchange('CAPTION_START|cap1|cs1|Hello_world|3.0|CENTER|0.5|60\n', 'CAPTION_EVENT_STOP|cap1\n'),
      ).to.have.length(3);
    });
  });

  it('MODEL_(UN)BINDFACE/BONE and WINDOWOVERLAY_ADD/DELETE: the event follows the echo (issue 12 item 5; bug: echo only)', async () => {
    await withSim({}, async ({ exchange }) => {
      const steps: Array<[string, string]> = [
        ['MODEL_BINDFACE|0|頬全消し|1|0.5', 'MODEL_EVENT_BINDFACE|0|頬全消し'],
        ['MODEL_UNBINDFACE|0|頬全消し', 'MODEL_EVENT_UNBINDFACE|0|頬全消し'],
        ['MODEL_BINDBONE|0|頭|0,0,0|0,30,0', 'MODEL_EVENT_BINDBONE|0|頭'],
        ['MODEL_UNBINDBONE|0|頭', 'MODEL_EVENT_UNBINDBONE|0|頭'],
        ['WINDOWOVERLAY_ADD|ov|images/floor_green.png|0.2|0|TOP_RIGHT|0.02', 'WINDOWOVERLAY_EVENT_ADD|ov'],
        ['WINDOWOVERLAY_DELETE|ov', 'WINDOWOVERLAY_EVENT_DELETE|ov'],
      ];
      for (const [line, event] of steps) {
        expect(await exchange(`${line}\n`, `${event}\n`, 10), line).to.deep.equal([`${line}\n`, `${event}\n`]);
      }
    });
  });

  it('__AV_ACTION,1 issues MOTION_ADD|0|__action0|… from the shapemap, and a new action deletes the running one (issue 12 item 6)', async () => {
    await withSim({ motions: { 'gene/motion/01_happy.vmd': 3000 } }, async ({ exchange, peer }) => {
      peer.send('__AV_SETMODEL,0\n');
      // session-60-steps.real.json step 56: MOTION_ADD and its MOTION_EVENT_ADD 114 ms after the line.
      expect(await exchange('__AV_ACTION,1\n', 'MOTION_EVENT_ADD|0|__action0\n', 10)).to.deep.equal([
        'MOTION_ADD|0|__action0|gene/motion/01_happy.vmd|PART|ONCE|ON|OFF\n',
        'MOTION_EVENT_ADD|0|__action0\n',
      ]);
      expect(await exchange('__AV_ACTION,1\n', 'MOTION_EVENT_DELETE|0|__action0\n', 10)).to.deep.equal([
        'MOTION_ADD|0|__action1|gene/motion/01_happy.vmd|PART|ONCE|ON|OFF\n',
        'MOTION_DELETE|0|__action0\n',
        'MOTION_EVENT_ADD|0|__action1\n',
        'MOTION_EVENT_DELETE|0|__action0\n',
      ]);
      // An action the shapemap does not define does nothing (avatar.md __AV_ACTION).
      expect(await exchange('__AV_ACTION,7\nSYNC|1\n', 'SYNC|1\n', 20)).to.deep.equal(['SYNC|1\n']);
    });
  });

  it('AVATAR_CONTROL, __AV_START/__AV_END (part1 #49–#56)', async () => {
    await withSim({}, async ({ exchange, sim }) => {
      expect(await exchange('AVATAR_CONTROL|DISABLE\n', 'AVATAR_EVENT_CONTROL|DISABLED\n')).to.deep.equal([
        'AVATAR_CONTROL|DISABLE\n',
        'AVATAR_EVENT_CONTROL|DISABLED\n',
      ]);
      expect(await exchange('AVATAR_CONTROL|ENABLE\n', 'AVATAR_EVENT_CONTROL|ENABLED\n')).to.deep.equal([
        'AVATAR_CONTROL|ENABLE\n',
        'AVATAR|START\n',
        'AVATAR_EVENT_CONTROL|ENABLED\n',
      ]);
      expect(await exchange('__AV_START\n', 'AVATAR|START\n')).to.deep.equal(['AVATAR|START\n']);
      expect(sim.state.keyValues.Avatar_mode).to.equal('1.000000');
      expect(await exchange('__AV_EXMORPH,mouthSmile_L=0.8\n__AV_END\n', 'AVATAR|END\n')).to.deep.equal([
        'AVATAR|END\n',
      ]);
      expect(sim.state.avatar?.enabled).to.equal(false);
    });
  });

  it('sim.emit() sends a user event to the server and runs a command through the sim itself', async () => {
    await withSim({}, async ({ peer, sim }) => {
      sim.emit('RECOG_EVENT_STOP|hello');
      await peer.frame('RECOG_EVENT_STOP|hello\n');
      const from = peer.frames.length;
      sim.emit({ type: 'TIMER_START', args: ['t', '0.1'] });
      await peer.frame('TIMER_EVENT_STOP|t\n', { from });
      expect(
        peer
          .texts()
          .slice(from)
          .filter((t) => !PERIODIC.test(t)),
      ).to.deep.equal(['TIMER_START|t|0.1\n', 'TIMER_EVENT_START|t\n', 'TIMER_EVENT_STOP|t\n']);
      expect(() => sim.emit('|'))
        .to.throw()
        .with.property('code', 'ERR_EMPTY_TYPE');
    });
  });

  it('a conversation loop: waitFor() sees the server reply to an emitted recognition result', async () => {
    await withSim({}, async ({ peer, sim }) => {
      peer.ws.on('message', (data: Buffer) => {
        if (data.toString() === 'RECOG_EVENT_STOP|hello\n') peer.send('SYNTH_START|0|mei_voice_normal|Hi!\n');
      });
      const reply = sim.waitFor('SYNTH_START', { timeoutMs: 1000 });
      sim.emit('RECOG_EVENT_STOP|hello');
      expect((await reply).args).to.deep.equal(['0', 'mei_voice_normal', 'Hi!']);
      await sim.waitFor('NEVER', { timeoutMs: 30 }).then(
        () => expect.fail('waitFor should time out'),
        (err) => expect(err.code).to.equal('ERR_TIMEOUT'),
      );
    });
  });
});

describe('sim: periodic traffic (transcripts.md finding 5)', () => {
  it('AVATAR_EVENT_IDLE|START 15 s after the last frame, STOP after the next echo; CURRENT_TIME every 30 s', async () => {
    await withSim({ timeScale: 0.01 }, async ({ peer }) => {
      const idle = await peer.frame('AVATAR_EVENT_IDLE|START\n', { timeoutMs: 1000 });
      expect(idle.at - peer.requests[0].at).to.be.within(140, 300); // 15 s × 0.01
      const from = peer.frames.length;
      peer.send('IDLE_PROBE|1\n');
      await peer.frame('AVATAR_EVENT_IDLE|STOP\n', { from });
      expect(peer.texts().slice(from)).to.deep.equal(['IDLE_PROBE|1\n', 'AVATAR_EVENT_IDLE|STOP\n']);
      await peer.until(() => peer.texts().filter((t) => t.startsWith('CURRENT_TIME|')).length >= 2, 1500);
      expect(peer.texts().find((t) => t.startsWith('CURRENT_TIME|'))).to.match(/^CURRENT_TIME\|\d\d\|\d\d\n$/);
    });
  });

  it('holds output back while frames keep arriving less than 10 ms apart (wire.md §5.4, hazards.md (p))', async () => {
    await withSim({ timeScale: 1 }, async ({ peer }) => {
      const sends: number[] = [];
      peer.send('FIRST|1\n');
      sends.push(performance.now());
      for (let i = 0; i < 100; i++) {
        await delay(2);
        peer.send(`PACE|${i}\n`);
        sends.push(performance.now());
      }
      const first = await peer.frame('FIRST|1\n');
      // Earliest moment the queue may open: the echo is due 170 ms after FIRST, and no frame may
      // have arrived in the 10 ms before (timers in this process can stretch the 2 ms pauses).
      const due = sends[0] + 170;
      const candidates = [due, ...sends.filter((t) => t >= due - 10).map((t) => t + 10)].sort((a, b) => a - b);
      // (1e-6: `(t + 10) - 10` can round below t, which would count t against its own candidate)
      const opens = candidates.find((c) => c >= due && !sends.some((t) => t > c - 10 + 1e-6 && t <= c))!;
      expect(first.at).to.be.at.least(opens - 2);
      expect(sends.at(-1)! - sends[0]).to.be.above(200); // the stream outlasted the echo delay
      await peer.frame('PACE|99\n');
    });
  });
});

describe('sim: avatar and audio per connection (wire.md §8.3, §9)', () => {
  it('counts SND audio only while a loaded model is attached; flags odd lengths', async () => {
    await withSim({}, async ({ peer, sim, exchange }) => {
      const chunk = (n: number) => Buffer.concat([Buffer.from(`SND${String(n).padStart(4, '0')}`), Buffer.alloc(n)]);
      peer.send(chunk(1280), { binary: true });
      await exchange('SYNC|1\n', 'SYNC|1\n', 0);
      expect(sim.state.audio).to.include({ chunks: 1, bytes: 0, discardedBytes: 1280 });
      peer.send('__AV_SETMODEL,nobody\n');
      peer.send(chunk(640), { binary: true });
      await exchange('SYNC|2\n', 'SYNC|2\n', 0);
      expect(sim.state.audio).to.include({ chunks: 2, bytes: 0, discardedBytes: 1920 });
      peer.send('__AV_START\n__AV_SETMODEL,0\nSNDFILE\n');
      await peer.frame('AVATAR|START\n');
      peer.send(Buffer.concat([chunk(3200), chunk(3200)]), { binary: true });
      peer.send('SNDBRKS\n');
      await exchange('SYNC|3\n', 'SYNC|3\n', 0);
      expect(sim.state.audio).to.deep.equal({ chunks: 4, bytes: 6400, ms: 200, discardedBytes: 1920, breaks: 1 });
      expect(sim.state.avatar).to.deep.equal({ enabled: true, model: '0', autoLip: 'NO', audioMode: 'SNDFILE' });
      expect(sim.violations).to.deep.equal([]);
      peer.send(chunk(3), { binary: true });
      await exchange('SYNC|4\n', 'SYNC|4\n', 0);
      expect(sim.violations.map((v) => [v.kind, v.rule])).to.deep.equal([['odd-snd', 'wire.md §8.1']]);
    });
  });

  it('__AV_* lines take effect at once, in stream order with SND audio (wire.md §7.3, avatar.md §1, §8.3)', async () => {
    await withSim({}, async ({ peer, sim, exchange }) => {
      const chunk = (n: number) => Buffer.concat([Buffer.from(`SND${String(n).padStart(4, '0')}`), Buffer.alloc(n)]);
      // The same frame: the Remote thread attaches the model before it reads the chunk after it.
      peer.send(Buffer.concat([Buffer.from('__AV_SETMODEL,0\n'), chunk(640)]), { binary: true });
      // The next frame, sent at once.
      peer.send(chunk(320), { binary: true });
      await exchange('SYNC|1\n', 'SYNC|1\n', 0);
      expect(sim.state.audio).to.include({ chunks: 2, bytes: 960, discardedBytes: 0 });
      // A chunk before the line in the same frame still finds no model of this connection's avatar.
      peer.send(Buffer.concat([chunk(64), Buffer.from('__AV_SETMODEL,m9\n'), chunk(128)]), { binary: true });
      await exchange('SYNC|2\n', 'SYNC|2\n', 0);
      expect(sim.state.audio).to.include({ chunks: 4, bytes: 1024, discardedBytes: 128 });
      // m9 does not exist until MODEL_ADD reaches the core; then the stored alias attaches (avatar.md __AV_SETMODEL).
      await exchange('MODEL_ADD|m9|gene/Gene_light.pmd\n', 'MODEL_EVENT_ADD|m9\n', 0);
      peer.send(chunk(256), { binary: true });
      await exchange('SYNC|3\n', 'SYNC|3\n', 0);
      expect(sim.state.audio).to.include({ chunks: 5, bytes: 1280, discardedBytes: 128 });
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('__AV_START switches control on at once; AVATAR|START still goes out on a later frame, before an echo would (transcripts.md part1 #51)', async () => {
    await withSim({ timeScale: 1 }, async ({ peer, sim }) => {
      const from = peer.frames.length;
      const sentAt = performance.now();
      peer.send('__AV_START\nAV_PROBE|1\n');
      await delay(5);
      expect(sim.state.avatar?.enabled).to.equal(true);
      expect(sim.state.keyValues.Avatar_mode).to.equal('1.000000');
      expect(peer.frames.length).to.equal(from); // nothing yet: the bus message waits for the main loop
      const start = await peer.frame('AVATAR|START\n', { from });
      expect(start.at - sentAt).to.be.within(14, 120); // recorded 14–72 ms
      const echo = await peer.frame('AV_PROBE|1\n', { from });
      expect(echo.at).to.be.above(start.at);
    });
  });

  it('__peer_disconnected__ at the start of a frame disables the avatar, and is echoed (wire.md §10.4)', async () => {
    await withSim({}, async ({ exchange }) => {
      await exchange('__AV_START\n', 'AVATAR|START\n', 0);
      const seq = await exchange('__peer_disconnected__\n', 'AVATAR_EVENT_CONTROL|DISABLED\n');
      expect(seq).to.have.members(['AVATAR|END\n', '__peer_disconnected__\n', 'AVATAR_EVENT_CONTROL|DISABLED\n']);
      expect(seq.at(-1)).to.equal('AVATAR_EVENT_CONTROL|DISABLED\n');
      expect(seq.indexOf('AVATAR|END\n')).to.be.below(seq.indexOf('AVATAR_EVENT_CONTROL|DISABLED\n'));
    });
  });
});

describe('sim: violations and how the real client fails (real-client/hazards.md)', () => {
  it('(a) a frame of only \\n crashes it: violation, status crashed, connection dropped', async () => {
    await withSim({}, async ({ peer, sim }) => {
      const closed = new Promise((resolve) => peer.ws.once('close', resolve));
      peer.send('\n');
      const outcome = await sim.done;
      expect(outcome.status).to.equal('crashed');
      expect(outcome.error?.code).to.equal('ERR_SIM_KILLED');
      expect(sim.violations.map((v) => [v.kind, v.rule])).to.deep.equal([['crash', 'wire.md §7.2']]);
      await closed;
    });
  });

  it('(c) a frame starting with \\n then text stalls it: no echo, but idle events still go out', async () => {
    await withSim({ timeScale: 0.01 }, async ({ peer, sim }) => {
      peer.send('\nPROBE|1\n');
      await peer.until(() => sim.status === 'stalled');
      peer.send('PROBE_2|x\n');
      await peer.frame('AVATAR_EVENT_IDLE|START\n', { timeoutMs: 1000 });
      expect(peer.texts().filter((t) => t.startsWith('PROBE'))).to.deep.equal([]);
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['stall']);
    });
  });

  it('(c) a stalled buffer overflows: the next frame that does not fit drops the connection', async () => {
    await withSim({ platform: 'windows' }, async ({ peer, sim }) => {
      peer.send('NUL|a\0b\n');
      for (let i = 0; i < 9; i++) peer.send(`FILL|${'y'.repeat(994)}\n`);
      await peer.connection(1);
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['stall', 'overflow']);
      expect(sim.state.pendingBytes).to.equal(8 + 8 * 1000); // the pending bytes stay (wire.md §7.6)
    });
  });

  it('(d) invalid UTF-8 hangs it: no more input and no more output, even idle events', async () => {
    await withSim({ timeScale: 0.01 }, async ({ peer, sim }) => {
      peer.send(Buffer.from([0x42, 0x41, 0x44, 0x7c, 0x41, 0xff, 0xfe, 0x42, 0x0a]));
      await peer.until(() => sim.status === 'hung');
      const count = peer.frames.length;
      peer.send('PROBE_2|x\n');
      await delay(400); // idle would fire at 150 ms
      expect(peer.frames.length).to.equal(count);
      expect(sim.violations.map((v) => [v.kind, v.rule])).to.deep.equal([['hang', 'wire.md §7.5']]);
    });
  });

  it('a broken multi-byte sequence that does not hang is reported as invalid-utf8', async () => {
    await withSim({}, async ({ peer, sim }) => {
      peer.send(Buffer.from([0x58, 0x7c, 0xe3, 0x41, 0x42, 0x43, 0x0a]));
      await peer.frame(/^X\|/);
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['invalid-utf8']);
    });
  });

  it('a cut character that swallows the LF dispatches the line with the next one glued, and echoes its bytes (wire.md §7.5)', async () => {
    await withSim({}, async ({ peer, sim }) => {
      // E3 takes `\nB` as its continuation bytes: one line `X|<E3 0A 42>|1`, ended by the second LF.
      peer.send(Buffer.from([0x58, 0x7c, 0xe3, 0x0a, 0x42, 0x7c, 0x31, 0x0a]));
      const echo = await peer.frame(/^X\|/);
      expect([...echo.bytes]).to.deep.equal([0x58, 0x7c, 0xe3, 0x0a, 0x42, 0x7c, 0x31, 0x0a]);
      expect(sim.received.at(-1)).to.deep.equal({ type: 'X', args: ['\ufffd\nB', '1'] });
      // A `|` inside the cut character is no delimiter: the whole line is the type.
      peer.send(Buffer.from([0x41, 0xe3, 0x0a, 0x7c, 0x78, 0x0a, 0x4e, 0x45, 0x58, 0x54, 0x7c, 0x32, 0x0a]));
      await peer.frame('NEXT|2\n');
      expect(sim.received.slice(-2)).to.deep.equal([
        { type: 'A\ufffd\n|x', args: [] },
        { type: 'NEXT', args: ['2'] },
      ]);
      expect(sim.violations.map((v) => [v.kind, v.rule])).to.deep.equal([
        ['invalid-utf8', 'wire.md §7.5'],
        ['invalid-utf8', 'wire.md §7.5'],
      ]);
      expect(sim.status).to.equal('connected');
    });
  });

  it('(e) an empty frame drops the connection; on linux the process is killed', async () => {
    await withSim({}, async ({ peer, sim }) => {
      peer.send('');
      const outcome = await sim.done;
      expect(outcome.status).to.equal('killed');
      expect(outcome.error?.code).to.equal('ERR_SIM_KILLED');
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['empty-frame', 'killed']);
      await delay(50);
      expect(peer.requests).to.have.length(1);
    });
  });

  it('(f) a frame over 8191 bytes drops the connection and the frame (windows: reconnects)', async () => {
    await withSim({ platform: 'windows' }, async ({ peer, sim }) => {
      peer.send(`LONG9000|${'x'.repeat(8990)}\n`);
      await peer.until(() => sim.connections === 2);
      expect(sim.violations.map((v) => [v.kind, v.rule])).to.deep.equal([['oversize-frame', 'wire.md §6.5']]);
      expect(peer.texts().some((t) => t.startsWith('LONG9000'))).to.equal(false);
      expect(sim.connections).to.equal(2);
    });
  });

  it('(g2) an 8000-byte line crashes it', async () => {
    await withSim({}, async ({ peer, sim }) => {
      peer.send(`LONG8000|${'x'.repeat(7990)}\n`);
      expect((await sim.done).status).to.equal('crashed');
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['long-line', 'crash']);
    });
  });

  it('(h2) SNDXYZ1\\n leaves a lone \\n that crashes it', async () => {
    await withSim({}, async ({ peer, sim }) => {
      peer.send('SNDXYZ1\n');
      expect((await sim.done).status).to.equal('crashed');
    });
  });

  it('(o2) a close frame with code 4000 is read as text and hangs it; no close reply is sent', async () => {
    await withSim({}, async ({ peer, sim }) => {
      let closeReplied = false;
      peer.ws.on('close', () => (closeReplied = true));
      peer.ws.close(4000);
      await peer.until(() => sim.status === 'hung');
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['close-code', 'hang']);
      await delay(50);
      expect(closeReplied).to.equal(false);
    });
  });

  it('(o) an empty close frame drops the connection: no violation on windows, a reconnect', async () => {
    await withSim({ platform: 'windows' }, async ({ peer, sim }) => {
      peer.ws.close();
      await peer.connection(1);
      expect(sim.violations).to.deep.equal([]);
    });
  });

  it('close code 1000 leaves its bytes pending, glued to the next connection\'s first line (notes.md "Stale-bytes bug")', async () => {
    await withSim({ platform: 'windows' }, async ({ peer, sim }) => {
      peer.ws.close(1000, 'bye');
      await peer.until(() => sim.state.pendingBytes === 5);
      peer.ws.terminate();
      await peer.connection(1);
      // After the sim has read the 101: a frame in the same read would be held back (wire.md §3.4).
      await peer.until(() => sim.connections === 2);
      peer.send('TEST_MESSAGE\n');
      const echo = await peer.frame(/TEST_MESSAGE\n$/);
      expect(echo.bytes.subarray(0, 1)).to.deep.equal(Buffer.of(0x03));
      expect(sim.violations.map((v) => v.kind)).to.deep.equal(['close-code', 'invalid-utf8']);
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

  it('windows: gives up when the server is gone for a whole series; the error comes through done and the error event', async () => {
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
  });
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

  it('waitFor with timeoutMs: Infinity waits (bug: Node clamped the timer and it rejected after ~6 ms); stop() ends it', async () => {
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
  });

  it('start() after stop() rejects with ERR_CLOSED and leaves no timer behind: the process exits', async () => {
    const run = await probe('stop-then-start');
    expect(run.out).to.equal('start rejected ERR_CLOSED');
    expect(run.code, `still running after ${run.seconds.toFixed(1)} s`).to.equal(0);
  });

  it("stop() from a 'status' listener while connecting: start() rejects with ERR_CLOSED and nothing is armed after it", async () => {
    const run = await probe('stop-in-status-listener');
    expect(run.out).to.equal('start rejected ERR_CLOSED');
    expect(run.code, `still running after ${run.seconds.toFixed(1)} s`).to.equal(0);
  });

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

describe('sim: output held back by a dense stream (hazards.md (p))', () => {
  it('flushes only after a 10 ms pause in the incoming frames, however long the stream runs (bug: it flushed every 1.08 s anyway)', async () => {
    await withSim({ timeScale: 1 }, async ({ peer, sim }) => {
      await delay(50);
      const flushedAt: number[] = [];
      sim.on('sent', () => flushedAt.push(performance.now()));
      const sentAt: number[] = [];
      const end = performance.now() + 1400;
      while (performance.now() < end) {
        peer.send(`PACE|${sentAt.length}\n`);
        sentAt.push(performance.now());
        await delay(3);
      }
      await peer.frame(`PACE|${sentAt.length - 1}\n`, { timeoutMs: 3000 });
      // The sim writes only once 10 ms passed since it last read a frame: at every write the
      // peer's last send is that long ago, or the pause came just before that send, which the sim
      // had not read yet (a stall of the shared event loop makes such pauses; the sim may flush
      // in them, and only then).
      for (const t of flushedAt) {
        const i = sentAt.filter((s) => s <= t).length - 1;
        const pause = Math.max(t - (sentAt[i] ?? -Infinity), (sentAt[i] ?? Infinity) - (sentAt[i - 1] ?? -Infinity));
        expect(
          pause,
          `a write at +${(t - sentAt[0]).toFixed(0)} ms with no pause in the stream before it`,
        ).to.be.at.least(9.5);
      }
      expect(flushedAt.length).to.be.greaterThan(0);
    });
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

describe('sim: a frame in the handshake read is held back (wire.md §3.4, issue 12 item 3)', () => {
  const run = async (opts: { relay: boolean; gapMs: number }) => {
    const peer = await SimPeer.start();
    const relay = opts.relay ? await startRelay(peer.port, { coalesceMs: 20 }) : undefined;
    // The frame goes out in the same tick as the 101 (as a server that greets at once), or after a gap.
    peer.onConnect = (ws) => {
      const greet = () => ws.send('VALUE_SET|x|1\n');
      if (opts.gapMs === 0) greet();
      else setTimeout(greet, opts.gapMs);
    };
    const sim = await startSim({ url: relay?.url() ?? peer.url(), timeScale: SCALE });
    return { peer, sim, relay };
  };

  it('through a TCP relay, the frame sent with the 101 waits until the next frame arrives', async () => {
    const { peer, sim, relay } = await run({ relay: true, gapMs: 0 });
    try {
      await delay(300); // ≥ 30 echo delays at this scale
      expect(peer.texts()).to.deep.equal([]);
      expect(sim.received).to.deep.equal([]);
      peer.send('VALUE_GET|x\n');
      await peer.frame('VALUE_EVENT_GET|x|1\n');
      expect(peer.texts().filter((t) => !PERIODIC.test(t))).to.deep.equal([
        'VALUE_SET|x|1\n',
        'VALUE_EVENT_SET|x\n',
        'VALUE_GET|x\n',
        'VALUE_EVENT_GET|x|1\n',
      ]);
    } finally {
      await sim.stop();
      await relay?.close();
      await peer.close();
    }
  });

  it('the same frame sent after a gap longer than the relay coalesces is answered at once', async () => {
    const { peer, sim, relay } = await run({ relay: true, gapMs: 60 });
    try {
      await peer.frame('VALUE_EVENT_SET|x\n', { timeoutMs: 1000 });
      expect(sim.violations).to.deep.equal([]);
    } finally {
      await sim.stop();
      await relay?.close();
      await peer.close();
    }
  });
});

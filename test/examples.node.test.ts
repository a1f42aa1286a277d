// The examples, driven in-process through their exported run() against the simulated
// MMDAgent-EX on free ports of 127.0.0.1. The examples import the built package
// (`mmdagent-ex-remote`, `mmdagent-ex-remote/server` → dist/), so this runs after a build.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from './harness.js';
import { startSim, type Sim } from '../src/server.js';
import { run as runPrint } from '../examples/print-messages.js';
import { run as runTestMessage } from '../examples/send-test-message.js';
import { run as runDialogue, reply } from '../examples/dialogue-loop.js';
import { run as runStreamWav, wavToPcm16k } from '../examples/stream-wav.js';
import { run as runConsole } from '../examples/operator-console.js';
import { makeTestWav, parseWav } from '../examples/wav.js';
import { createServer } from 'mmdagent-ex-remote/server';

const TIME_SCALE = 0.05;

/** Collects printed lines and waits for one to match. */
function recorder() {
  const lines: string[] = [];
  const waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  return {
    lines,
    log(line: string) {
      lines.push(line);
      for (const w of [...waiters]) if (w.test(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
    },
    waitFor(match: string | RegExp, timeoutMs = 5000): Promise<string> {
      const test = (l: string) => (typeof match === 'string' ? l === match : match.test(l));
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line ${match} within ${timeoutMs} ms; got:\n${lines.join('\n')}`)),
          timeoutMs,
        );
        waiters.push({ test, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
  };
}

const sims: Sim[] = [];
async function sim(url: string): Promise<Sim> {
  const s = await startSim({ url, platform: 'windows', timeScale: TIME_SCALE, retryCount: 20 });
  sims.push(s);
  return s;
}
async function stopSims() {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
}

describe('example 1: print-messages (MMDAgent-EX guide, program 1)', () => {
  const out = recorder();
  let server: Awaited<ReturnType<typeof runPrint>>;
  before(async () => {
    server = await runPrint({ port: 0, log: out.log });
  });
  after(async () => {
    await stopSims();
    await server?.close();
  });

  it('prints every message the agent sends, one line each, as it arrived', async () => {
    const agent = await sim(server.url);
    await out.waitFor('MMDAgent-EX connected on /chat');
    agent.emit('RECOG_EVENT_STOP|hello');
    agent.emit('MY_EVENT|a|b');
    await out.waitFor('RECOG_EVENT_STOP|hello');
    await out.waitFor('MY_EVENT|a|b');
    expect(out.lines.indexOf('RECOG_EVENT_STOP|hello')).to.be.lessThan(out.lines.indexOf('MY_EVENT|a|b'));
  });
});

describe('example 2: send-test-message (MMDAgent-EX guide, program 2)', () => {
  const out = recorder();
  let app: Awaited<ReturnType<typeof runTestMessage>>;
  before(async () => {
    app = await runTestMessage({ port: 0, everyMs: 100, log: out.log });
  });
  after(async () => {
    await stopSims();
    await app?.close();
  });

  it('sends TEST_MESSAGE periodically and prints its echo (wire.md §10.1)', async () => {
    const agent = await sim(app.server.url);
    const received = await agent.waitFor('TEST_MESSAGE', { timeoutMs: 3000 });
    expect(received).to.deep.equal({ type: 'TEST_MESSAGE', args: [] });
    await out.waitFor('> TEST_MESSAGE');
    await out.waitFor('TEST_MESSAGE'); // the echo, printed like every other message
    const second = await agent.waitFor('TEST_MESSAGE', { timeoutMs: 3000 });
    expect(second.type).to.equal('TEST_MESSAGE');
  });
});

describe('example 3: dialogue-loop', () => {
  it('answers RECOG_EVENT_STOP with SYNTH_START and sees SYNTH_EVENT_STOP', async () => {
    const out = recorder();
    const server = await runDialogue({ port: 0, speechTimeoutMs: 10_000, log: out.log });
    try {
      const agent = await sim(server.url);
      await out.waitFor('MMDAgent-EX connected on /chat');
      const synth = agent.waitFor('SYNTH_START', { timeoutMs: 5000 });
      agent.emit('RECOG_EVENT_STOP|こんにちは');
      expect(await synth).to.deep.equal({ type: 'SYNTH_START', args: ['0', 'mei_voice_normal', 'こんにちは。'] });
      await out.waitFor('done speaking', 10_000);
      expect(out.lines).to.include('heard: こんにちは');
      expect(out.lines).to.include('saying: こんにちは。');
    } finally {
      await stopSims();
      await server.close();
    }
  });

  it('reports a timeout when the synthesis never ends (unknown voice: only the echo comes back)', async () => {
    const out = recorder();
    const server = await runDialogue({ port: 0, voice: 'no_such_voice', speechTimeoutMs: 400, log: out.log });
    try {
      const agent = await sim(server.url);
      await out.waitFor('MMDAgent-EX connected on /chat');
      agent.emit('RECOG_EVENT_STOP|hello');
      const line = await out.waitFor(/^no SYNTH_EVENT_STOP\|0 within/, 5000);
      expect(line).to.contain('no_such_voice');
      expect(out.lines).not.to.include('done speaking');
    } finally {
      await stopSims();
      await server.close();
    }
  });

  it('has a placeholder reply that never produces a line break or "|"', () => {
    expect(reply('hello')).to.equal('こんにちは。');
    expect(reply('')).to.equal('もう一度お願いします。');
    expect(reply('天気')).to.equal('「天気」ですね。');
  });
});

describe('example 4: stream-wav', () => {
  it('streams a WAV as paced SND chunks that the agent counts with the right duration', async () => {
    const out = recorder();
    const wav = makeTestWav(1, 44100); // 44.1 kHz on purpose: the SDK resamples to 16 kHz
    const app = await runStreamWav({ port: 0, wav, log: out.log });
    try {
      const started = Date.now();
      const agent = await sim(app.server.url);
      const report = await app.firstStream;
      const elapsed = Date.now() - started;
      expect(report.channel).to.equal('/chat');
      expect(report.bytes).to.equal(32000); // 1 s of 16 kHz 16-bit mono (wire.md §8.1)
      expect(report.durationMs).to.equal(1000);
      expect(report.chunks).to.equal(25); // 1280-byte chunks (40 ms)
      const audio = agent.state.audio;
      expect(audio.chunks).to.equal(report.chunks);
      expect(audio.bytes).to.equal(report.bytes);
      expect(audio.ms).to.equal(1000);
      expect(audio.discardedBytes).to.equal(0); // __AV_SETMODEL came first (wire.md §8.3)
      expect(audio.breaks).to.equal(1); // SNDBRKS after the last chunk
      expect(agent.state.avatar?.model).to.equal('0');
      // Paced in real time, not dumped: the stream took most of the audio's duration.
      expect(elapsed).to.be.greaterThan(800);
      expect(agent.violations).to.deep.equal([]);
    } finally {
      await stopSims();
      await app.close();
    }
  });

  it('reads PCM WAVs of other shapes: stereo 24-bit is mixed to mono', () => {
    const frames = 4;
    const bytes = new Uint8Array(44 + frames * 6);
    const v = new DataView(bytes.buffer);
    const ascii = (at: number, s: string) => [...s].forEach((c, i) => (bytes[at + i] = c.charCodeAt(0)));
    ascii(0, 'RIFF');
    v.setUint32(4, 36 + frames * 6, true);
    ascii(8, 'WAVE');
    ascii(12, 'fmt ');
    v.setUint32(16, 16, true);
    v.setUint16(20, 1, true);
    v.setUint16(22, 2, true);
    v.setUint32(24, 8000, true);
    v.setUint32(28, 8000 * 6, true);
    v.setUint16(32, 6, true);
    v.setUint16(34, 24, true);
    ascii(36, 'data');
    v.setUint32(40, frames * 6, true);
    const put24 = (at: number, x: number) => (
      (bytes[at] = x & 0xff),
      (bytes[at + 1] = (x >> 8) & 0xff),
      (bytes[at + 2] = (x >> 16) & 0xff)
    );
    put24(44, 0x400000); // left +0.5
    put24(47, 0x400000); // right +0.5
    put24(50, 0xc00000); // left -0.5
    put24(53, 0x000000); // right 0
    const wav = parseWav(bytes);
    expect([wav.sampleRate, wav.channels, wav.bitsPerSample]).to.deep.equal([8000, 2, 24]);
    expect(Array.from(wav.samples.slice(0, 2))).to.deep.equal([0.5, -0.25]);
    expect(wavToPcm16k(bytes).length).to.equal(8); // 8 kHz → 16 kHz doubles the samples
  });

  it('refuses what is not a WAV with a message that says what to do', () => {
    expect(() => parseWav(new TextEncoder().encode('ID3 not a wav file'))).to.throw(/convert it to PCM WAV/);
  });
});

describe('example 5: operator-console through the relay', () => {
  it('lists the channels, operates the one picked, and refuses bad lines before sending', async () => {
    const server = await createServer({ host: '127.0.0.1', port: 0 });
    const base = `ws://127.0.0.1:${server.address().port}`;
    const input = new PassThrough();
    const out = recorder();
    try {
      const shop1 = await sim(`${base}/shop1`);
      const shop2 = await sim(`${base}/shop2`);
      // A sim is connected when startSim resolves; the server lists it once its sync step is done.
      const deadline = Date.now() + 5000;
      while (server.channels().filter((c) => c.agent).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const app = await runConsole({ url: server.httpUrl, input, log: out.log });
      await out.waitFor(/^pick a channel/);
      expect(
        out.lines.some((l) => /\d\) \/shop1 +MMDAgent-EX since/.test(l)),
        out.lines.join('\n'),
      ).to.equal(true);
      expect(out.lines.some((l) => /\d\) \/shop2 +MMDAgent-EX since/.test(l))).to.equal(true);
      input.write('/shop2\n');
      await out.waitFor('* MMDAgent-EX is on /shop2');

      const atShop2 = shop2.waitFor('VALUE_SET', { timeoutMs: 3000 });
      input.write('VALUE_SET|x|1\n');
      expect(await atShop2).to.deep.equal({ type: 'VALUE_SET', args: ['x', '1'] });
      await out.waitFor('< VALUE_SET|x|1'); // the echo, back through the relay
      await out.waitFor(/^< VALUE_EVENT_SET\|x$/);

      input.write('SNDX|1\n'); // would be read as audio (wire.md §8.4): refused by the SDK
      await out.waitFor(/^! not sent \(ERR_SND_PREFIX\)/);

      // Console commands stay in the console: :help answers here, a mistyped one is not sent.
      const early = shop2.received.length;
      input.write(':help\n');
      await out.waitFor(/^console commands/);
      input.write(':chanels\n');
      await out.waitFor('! unknown console command :chanels (not sent); :help lists them');
      // MMDAgent-EX collapses the empty field (messages.md §1): sent, with the playground's warning.
      const collapsed = shop2.waitFor('VALUE_SET', { timeoutMs: 3000 });
      input.write('VALUE_SET||x\n');
      await out.waitFor(/^! warning, sent as typed: ERR_EMPTY_ARGUMENT/);
      await collapsed;
      expect(shop2.received.slice(early).map((m) => m.type)).to.deep.equal(['VALUE_SET']);

      input.write(':use /shop1\n');
      await out.waitFor('* MMDAgent-EX is on /shop1');
      const atShop1 = shop1.waitFor('KEYVALUE_SET', { timeoutMs: 3000 });
      input.write('KEYVALUE_SET|Mood|happy\n');
      expect(await atShop1).to.deep.equal({ type: 'KEYVALUE_SET', args: ['Mood', 'happy'] });
      expect(shop2.state.keyValues).not.to.have.property('Mood');

      input.write(':quit\n');
      await app.done;
      expect(shop1.violations).to.deep.equal([]);
      expect(shop2.violations).to.deep.equal([]);
    } finally {
      input.end();
      await stopSims();
      await server.close();
    }
  });
});

describe('examples run as one-command programs (npx tsx examples/<file>.ts)', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const tsx = (args: string[]) =>
    spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });

  it('print-messages: listens on --port, prints what the agent sends, exits 0 on Ctrl-C', async () => {
    const child = tsx(['examples/print-messages.ts', '--port', '0']);
    const out = recorder();
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      buffered += s;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      lines.forEach(out.log);
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => out.log(`stderr: ${s}`));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = (await out.waitFor(/^listening on ws:\/\/127\.0\.0\.1:\d+\/chat/, 15_000)).split(' ')[2];
      const agent = await sim(url);
      await out.waitFor('MMDAgent-EX connected on /chat');
      agent.emit('RECOG_EVENT_STOP|from a child process');
      await out.waitFor('RECOG_EVENT_STOP|from a child process');
      await stopSims();
      child.kill('SIGINT');
      expect(await exit).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('wav.ts writes a test WAV that parseWav reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmd-wav-'));
    try {
      const file = join(dir, 'test.wav');
      const child = tsx(['examples/wav.ts', file, '0.5', '22050']);
      expect(await new Promise((resolve) => child.on('exit', resolve))).to.equal(0);
      const wav = parseWav(new Uint8Array(readFileSync(file)));
      expect([wav.sampleRate, wav.channels, wav.bitsPerSample, wav.samples.length]).to.deep.equal([
        22050, 1, 16, 11025,
      ]);
      expect(Math.max(...wav.samples)).to.be.greaterThan(0.3); // not silence: the avatar has something to lip-sync
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

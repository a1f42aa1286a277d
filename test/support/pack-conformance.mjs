// The conformance suite that test/pack-runtimes.node.test.ts runs against the installed package in
// Node, Deno, Bun, Chromium and Firefox. Plain JavaScript taking the package's namespace as an
// argument, so the very same checks run in every runtime without a TypeScript step, whether the
// package came in by `import`, `require`, a bundler, the CDN file or the classic-script global.
// It returns results instead of throwing, so each runtime can report every failure at once.

const LINE_TIMEOUT_MS = 8000;

function same(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

function refuses(lib, fn, code, what) {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof lib.MmdError)) throw new Error(`${what}: threw something that is not an MmdError: ${err}`);
    same(err.code, code, `${what}: error code`);
    return;
  }
  throw new Error(`${what}: did not throw ${code}`);
}

const CHECKS = {
  framing(lib) {
    same(lib.encodeLine('SYNTH_START|0|v|hi'), 'SYNTH_START|0|v|hi\n', 'encodeLine');
    // "Aあ\n" with the three bytes of あ split over two chunks, as a socket may deliver them
    const decoder = new lib.LineDecoder();
    same(decoder.push(new Uint8Array([0x41, 0xe3, 0x81])), [], 'LineDecoder, first half');
    same(decoder.push(new Uint8Array([0x82, 0x0a])), ['Aあ'], 'LineDecoder, second half');
    refuses(lib, () => lib.encodeLine(''), 'ERR_EMPTY_LINE', 'encodeLine of an empty line');
  },
  messages(lib) {
    const msg = lib.parseMessage('MOTION_ADD|0|wave|motion/wave.vmd');
    same({ type: msg.type, args: msg.args }, { type: 'MOTION_ADD', args: ['0', 'wave', 'motion/wave.vmd'] }, 'parse');
    same(lib.formatMessage(msg), 'MOTION_ADD|0|wave|motion/wave.vmd', 'format of what was parsed');
    refuses(lib, () => lib.formatMessage({ type: 'A', args: ['x|y'] }), 'ERR_PIPE_IN_FIELD', 'a | in a field');
  },
  builder(lib) {
    same(
      lib.formatMessage(lib.synthStart('0', 'mei_voice_normal', 'こんにちは')),
      'SYNTH_START|0|mei_voice_normal|こんにちは',
      'synthStart',
    );
    refuses(lib, () => lib.synthStart('0', 'mei_voice_normal', 'a|b'), 'ERR_PIPE_IN_FIELD', 'synthStart with a |');
  },
  parseEvent(lib) {
    const ev = lib.parseEvent(lib.parseMessage('MOTION_EVENT_DELETE|0|wave'));
    same([ev.known, ev.type, ev.modelAlias, ev.motionAlias], [true, 'MOTION_EVENT_DELETE', '0', 'wave'], 'parseEvent');
    same(lib.parseEvent(lib.parseMessage('NOT_IN_THE_CATALOG|x')).known, false, 'an unknown event');
  },
  mdf(lib) {
    const text = '\ufeff# settings\r\nPlugin_Remote_Websocket_Port=9001\r\nkeep = spaces\r\n';
    const doc = lib.parseMdf(text);
    same(doc.toString(), text, 'byte-for-byte round trip');
    same(doc.get('keep '), ' spaces', 'no trimming around =');
    doc.set('Plugin_Remote_Websocket_Port', '9002');
    same(
      doc.toString(),
      '\ufeff# settings\r\nPlugin_Remote_Websocket_Port=9002\r\nkeep = spaces\r\n',
      'set keeps everything else',
    );
  },
  async connect(lib, url) {
    // No WebSocket class passed: the runtime's own (or `ws` under Node's `node` condition).
    const link = await lib.connect(url);
    try {
      // The server's relay tells each controller whether MMDAgent-EX is there, and again when it comes.
      await link.waitFor('RELAY_AGENT_CONNECTED', { timeoutMs: LINE_TIMEOUT_MS });
      const token = `t${Math.random().toString(36).slice(2, 10)}`;
      // MMDAgent-EX (here the simulator behind the server's relay) echoes every message it takes.
      const echo = link.waitFor((m) => m.type === 'SYNTH_START' && m.args[2] === token, {
        timeoutMs: LINE_TIMEOUT_MS,
      });
      link.send(lib.synthStart('0', 'mei_voice_normal', token));
      const ev = lib.parseEvent(await echo);
      same([ev.type, ev.voiceAlias, ev.text], ['SYNTH_START', 'mei_voice_normal', token], 'the echo, parsed');
    } finally {
      link.close();
    }
  },
};

export const CHECK_NAMES = Object.keys(CHECKS);

/**
 * Runs every check against `lib` (the package's namespace). `url` is a WebSocket URL of a server
 * with the simulator behind it; without one the connect() round trip is reported as not run.
 * `only` limits the run to the named checks.
 */
export async function conformance(lib, { url, only } = {}) {
  const results = [];
  for (const [name, check] of Object.entries(CHECKS)) {
    if (only && !only.includes(name)) continue;
    if (name === 'connect' && !url) {
      results.push({ name, ok: false, error: 'no server URL was given' });
      continue;
    }
    try {
      await check(lib, url);
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, error: String((err && err.stack) || err) });
    }
  }
  return results;
}

// The core entry (`mmdagent-ex-remote`): the public API that README.md "What is in the box" and
// DESIGN.md "Core API" promise, and nothing internal or Node-only. Loading this file in Chromium
// is itself the check that the entry pulls in no `ws` and no Node built-in.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import * as core from '../src/index.js';

const api = core as unknown as Record<string, unknown>;

// Name → typeof, per README.md "What is in the box" (Core) and DESIGN.md "Core API".
const PUBLIC: Record<string, string> = {
  // Framing
  LineDecoder: 'function',
  encodeLine: 'function',
  validateLine: 'function',
  frameLines: 'function',
  utf8ByteLength: 'function',
  // Messages
  parseMessage: 'function',
  formatMessage: 'function',
  formatNumber: 'function',
  // Catalog
  commands: 'object',
  synthStart: 'function',
  motionAdd: 'function',
  modelAdd: 'function',
  parseEvent: 'function',
  // Avatar
  avatar: 'object',
  parseAvatarLine: 'function',
  // Audio
  sndChunks: 'function',
  SndDecoder: 'function',
  sndControl: 'function',
  toPcm16k: 'function',
  Pcm16kResampler: 'function',
  pcmDurationMs: 'function',
  // .mdf
  parseMdf: 'function',
  MdfDocument: 'function',
  lintMdf: 'function',
  mergeMdf: 'function',
  expandEnv: 'function',
  websocketSettings: 'function',
  setWebsocketSettings: 'function',
  // Session
  AgentLink: 'function',
  connect: 'function',
  DEFAULTS: 'object',
  // Simulation support
  StreamParser: 'function',
  // Errors and limits
  MmdError: 'function',
  isMmdError: 'function',
  ERROR_CODES: 'object',
  MAX_LINE_BYTES: 'number',
  MAX_FRAME_BYTES: 'number',
  MAX_ARGS: 'number',
  SND_CONTROL_WORDS: 'object',
  PEER_DISCONNECTED: 'string',
};

// Internal helpers of the codecs: only the SDK's own builders may make a Built (src/built.ts), and
// checkWireText and its character tables stay private to the codecs (src/utf8.ts).
const INTERNAL = ['Built', 'checkWireText', 'SUSPECT', 'isHigh', 'isLow', 'LF', 'CR', 'builder', 'field', 'fail'];

// What only the `./server` entry (src/server.ts, Node) has.
const NODE_ONLY = [
  'createServer',
  'startSim',
  'Sim',
  'SERVER_DEFAULTS',
  'Channel',
  'RELAY_AGENT_CONNECTED',
  'RELAY_AGENT_DISCONNECTED',
  'RELAY_ERROR',
  'TOKEN_PROTOCOL_PREFIX',
];

describe('core entry (src/index.ts)', () => {
  it('exports the documented public API with the right kinds', () => {
    for (const [name, kind] of Object.entries(PUBLIC)) {
      expect(name in core, `${name} is exported`).to.equal(true);
      expect(typeof api[name], name).to.equal(kind);
    }
  });

  it('does not export the internals (Built, checkWireText, ...)', () => {
    for (const name of INTERNAL) expect(name in core, name).to.equal(false);
  });

  it('does not export anything Node-only (createServer, startSim, ...)', () => {
    for (const name of NODE_ONLY) expect(name in core, name).to.equal(false);
  });

  it('has no default export (named exports only, for tree shaking)', () => {
    expect('default' in core).to.equal(false);
  });

  it('the commands namespace holds the same builders as the named exports', () => {
    const commands = core.commands as unknown as Record<string, unknown>;
    expect(Object.keys(commands).length).to.be.greaterThan(50);
    for (const [name, fn] of Object.entries(commands)) {
      expect(typeof fn, name).to.equal('function');
      expect(api[name], name).to.equal(fn);
    }
  });

  it('avatar has the documented methods (README.md, Avatar row)', () => {
    for (const name of ['start', 'end', 'setModel', 'disableAutoLip', 'exMorph', 'action', 'message']) {
      expect(typeof (core.avatar as unknown as Record<string, unknown>)[name], `avatar.${name}`).to.equal('function');
    }
    expect(core.avatar.start()).to.equal('__AV_START'); // avatar.md
  });

  it('MdfDocument and AgentLink carry the documented methods (DESIGN.md Core API)', () => {
    for (const name of ['get', 'set', 'delete', 'keys', 'toString']) {
      expect(
        typeof (core.MdfDocument.prototype as unknown as Record<string, unknown>)[name],
        `MdfDocument#${name}`,
      ).to.equal('function');
    }
    for (const name of ['send', 'sendAudio', 'on', 'waitFor', 'close']) {
      expect(
        typeof (core.AgentLink.prototype as unknown as Record<string, unknown>)[name],
        `AgentLink#${name}`,
      ).to.equal('function');
    }
    expect(typeof core.AgentLink.prototype[Symbol.asyncIterator]).to.equal('function');
    for (const name of ['push', 'end']) {
      expect(
        typeof (core.LineDecoder.prototype as unknown as Record<string, unknown>)[name],
        `LineDecoder#${name}`,
      ).to.equal('function');
    }
  });

  it('the exported pieces work together end to end: builder → line → parse', () => {
    const line = core.encodeLine(core.formatMessage(core.synthStart('mei', 'mei_voice_normal', 'Hello.')));
    expect(line).to.equal('SYNTH_START|mei|mei_voice_normal|Hello.\n'); // wire.md §5.1, messages.md
    const [decoded] = new core.LineDecoder().push(line);
    expect(core.parseMessage(decoded)).to.deep.equal({
      type: 'SYNTH_START',
      args: ['mei', 'mei_voice_normal', 'Hello.'],
    });
  });

  it('DEFAULTS is frozen (no caller can change it for everyone); ERROR_CODES lists the wire-text codes', () => {
    expect(Object.isFrozen(core.DEFAULTS)).to.equal(true);
    expect(core.ERROR_CODES).to.include('ERR_PIPE_IN_FIELD');
    expect(core.ERROR_CODES).to.include('ERR_LONE_SURROGATE');
  });
});

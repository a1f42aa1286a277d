// Real .mdf files from public MMDAgent(-EX) content (../shared/corpus/mdf/, see its README):
// each round-trips byte for byte and lints exactly as listed here.
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, skip } from './harness.js';
import { lintMdf, parseMdf, websocketSettings } from '../src/mdf/index.js';
import type { MdfDiagnostic } from '../src/mdf/index.js';

const corpus = fileURLToPath(new URL('../../shared/corpus/mdf/', import.meta.url));
const present = existsSync(corpus);

type Expected = [code: MdfDiagnostic['code'], severity: MdfDiagnostic['severity'], line: number, column: number];

const expected: Record<string, Expected[]> = {
  'example__demo_Gene_en_demo.mdf': [],
  'example__demo_Uka_ja_demo.mdf': [],
  'example__example_motion_example_motion.mdf': [],
  // No Plugin_Remote_RetryCount: one connection attempt only (wire.md §4.1).
  'example__example_websocket_example_websocket.mdf': [['MDF_RETRY_ZERO', 'warning', 1, 1]],
  'example__main.mdf': [],
  'mmdagent_MMDAgent_Example.mdf': [
    // camera_rotation is clamped to 0.001…1000: 0.0 becomes 0.001 (mdf.md §5.1), invisible, so info
    ['MDF_OUT_OF_RANGE', 'info', 53, 17],
    ['MDF_OUT_OF_RANGE', 'info', 53, 21],
    ['MDF_OUT_OF_RANGE', 'info', 53, 25],
    // fps_position is an MMDAgent 1.x key that MMDAgent-EX no longer reads
    ['MDF_UNKNOWN_KEY', 'info', 65, 1],
    // the long-standing typo of lipsync_priority
    ['MDF_UNKNOWN_KEY', 'warning', 95, 1],
    ['MDF_IGNORED_KEY', 'info', 115, 1],
  ],
};

describe('mdf corpus (../shared/corpus/mdf/)', () => {
  if (!present) {
    skip(
      'the real .mdf corpus',
      `not found at ${corpus}; check out ../shared next to this repository to run these tests`,
    );
    return;
  }
  const files = readdirSync(corpus)
    .filter((f) => f.endsWith('.mdf'))
    .sort();

  it('has exactly the files this test knows', () => {
    expect(files).to.deep.equal(Object.keys(expected).sort());
  });

  for (const file of files) {
    const bytes = new Uint8Array(readFileSync(corpus + file));

    it(`${file}: round-trips byte for byte (bytes and text)`, () => {
      const doc = parseMdf(bytes);
      expect(doc.encoding).to.equal('utf8');
      expect(doc.toBytes()).to.deep.equal(bytes);
      const text = new TextDecoder().decode(bytes);
      expect(parseMdf(text).toString()).to.equal(text);
    });

    it(`${file}: lints as expected`, () => {
      expect(lintMdf(parseMdf(bytes)).map((d): Expected => [d.code, d.severity, d.line, d.column])).to.deep.equal(
        expected[file] ?? [],
      );
    });
  }

  it('the typo in MMDAgent_Example.mdf gets a "did you mean" fix', () => {
    const doc = parseMdf(readFileSync(`${corpus}mmdagent_MMDAgent_Example.mdf`));
    const typo = lintMdf(doc).find((d) => d.line === 95);
    expect(typo?.message).to.contain('Did you mean "lipsync_priority"?');
    expect(typo?.fix).to.equal('lipsync_priority=100.0');
  });

  it('example_websocket.mdf points at ws://localhost:9001/chat', () => {
    const doc = parseMdf(readFileSync(`${corpus}example__example_websocket_example_websocket.mdf`));
    expect(websocketSettings(doc)).to.deep.equal({
      url: 'ws://localhost:9001/chat',
      host: 'localhost',
      port: 9001,
      directory: '/chat',
      tls: false,
      retryCount: 0,
    });
  });

  it('editing a CRLF file without final newline keeps its style (mdf.md §4.2)', () => {
    const doc = parseMdf(readFileSync(`${corpus}example__example_websocket_example_websocket.mdf`));
    const before = doc.toString();
    doc.set('Plugin_Remote_Websocket_Port', '9002').set('Plugin_Remote_RetryCount', '60');
    expect(doc.toString()).to.equal(`${before.replace('Port=9001', 'Port=9002')}\r\nPlugin_Remote_RetryCount=60`);
    expect(lintMdf(doc)).to.deep.equal([]);
  });
});

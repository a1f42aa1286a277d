// One lint fixture per diagnostic code, with the exact diagnostics expected (code, severity,
// line, column). Runs in Node and in Chromium.
import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import { MdfDocument, MDF_DIAGNOSTIC_CODES, lintMdf, mdfKeySpec, parseMdf } from '../src/mdf/index.js';
import { MDF_DIAGNOSTIC_HELP, MDF_KEY_NOTES } from '../src/mdf/notes.js';
import type { MdfDiagnostic } from '../src/mdf/index.js';
import { MDF_MAX_LINE_BYTES } from '../src/limits.js';

type Expected = [code: MdfDiagnostic['code'], severity: MdfDiagnostic['severity'], line: number, column: number];

const WS = 'Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_RetryCount=60\n';
const brief = (d: MdfDiagnostic): Expected => [d.code, d.severity, d.line, d.column];
const lint = (input: string | Uint8Array) => lintMdf(parseMdf(input));

const fixtures: Record<MdfDiagnostic['code'], [input: string | Uint8Array, expected: Expected[], fix?: string]> = {
  // mdf.md §3.1
  MDF_BOM: ['\ufeffshow_fps=false\n', [['MDF_BOM', 'error', 1, 1]]],
  MDF_NOT_UTF8: [
    new Uint8Array([0x78, 0x3d, 0x82, 0xa0, 0x0a]),
    [
      ['MDF_NOT_UTF8', 'warning', 1, 1],
      ['MDF_UNKNOWN_KEY', 'info', 1, 1],
    ],
  ],
  MDF_LINE_TOO_LONG: [
    `x=${'y'.repeat(MDF_MAX_LINE_BYTES)}\n`,
    [
      ['MDF_UNKNOWN_KEY', 'info', 1, 1],
      ['MDF_LINE_TOO_LONG', 'error', 1, MDF_MAX_LINE_BYTES + 1],
    ],
  ],
  MDF_NUL: ['show_fps=true\0false\n', [['MDF_NUL', 'warning', 1, 14]]],
  MDF_LONE_CR: [
    'show_fps=false\rfull_screen=true\n',
    [
      ['MDF_BAD_BOOLEAN', 'warning', 1, 10],
      ['MDF_LONE_CR', 'error', 1, 15],
    ],
  ],
  // mdf.md §3.2
  MDF_NO_EQUALS: [
    'Plugin_Remote_RetryCount 60\n  # an indented note without equals is harmless\n',
    [['MDF_NO_EQUALS', 'warning', 1, 1]],
  ],
  MDF_EMPTY_KEY: ['=1\n', [['MDF_EMPTY_KEY', 'warning', 1, 1]]],
  MDF_INDENTED_COMMENT: ['  #show_fps=false\n', [['MDF_INDENTED_COMMENT', 'warning', 1, 1]]],
  MDF_INLINE_COMMENT: [
    'show_fps=false # no fps\n',
    [
      ['MDF_INLINE_COMMENT', 'warning', 1, 10],
      ['MDF_BAD_BOOLEAN', 'warning', 1, 10],
    ],
  ],
  MDF_KEY_SPACES: ['show_fps = false\n', [['MDF_KEY_SPACES', 'error', 1, 1]], 'show_fps=false'],
  // keys (mdf.md §3.3–§3.4, §4–§5)
  MDF_UNKNOWN_KEY: [
    'lypsync_priority=100.0\nmy_fst_variable=1\nPlugin_Remote_Foo=1\n',
    [
      ['MDF_UNKNOWN_KEY', 'warning', 1, 1],
      ['MDF_UNKNOWN_KEY', 'info', 2, 1],
      ['MDF_UNKNOWN_KEY', 'warning', 3, 1],
    ],
    'lipsync_priority=100.0',
  ],
  MDF_IGNORED_KEY: ['shadow_mapping_light_first=true\n', [['MDF_IGNORED_KEY', 'info', 1, 1]]],
  MDF_DUPLICATE_KEY: ['show_fps=true\nshow_fps=false\n', [['MDF_DUPLICATE_KEY', 'warning', 1, 1]]],
  MDF_TOO_MANY_KEYS: [
    Array.from({ length: 4097 }, (_, i) => `v${i}=1\n`).join(''),
    [['MDF_TOO_MANY_KEYS', 'warning', 4097, 1]],
  ],
  MDF_ENV_SYNTAX: [
    '#%ENV{ in a comment is harmless\nlog_file=%ENV{HOME/log.txt\n',
    [['MDF_ENV_SYNTAX', 'error', 2, 10]],
  ],
  // values (mdf.md §3.6)
  MDF_BAD_NUMBER: [
    'max_num_model=ten\nbullet_fps=60fps\n',
    [
      ['MDF_BAD_NUMBER', 'error', 1, 15],
      ['MDF_BAD_NUMBER', 'warning', 2, 14],
    ],
    'bullet_fps=60',
  ],
  MDF_BAD_VECTOR: [
    'window_size=600\nstage_size=1,2,3,4\ncampus_color=0.1,blue,0.3\n',
    [
      ['MDF_BAD_VECTOR', 'error', 1, 13],
      ['MDF_BAD_VECTOR', 'warning', 2, 12],
      ['MDF_BAD_VECTOR', 'warning', 3, 18],
    ],
  ],
  MDF_BAD_BOOLEAN: ['use_shadow=off\n', [['MDF_BAD_BOOLEAN', 'warning', 1, 12]], 'use_shadow=false'],
  MDF_BOOLEAN_TRAP: [
    'Plugin_Remote_EnableServer=no\nfull_screen=True\nPlugin_Remote_EnableLocalLipsync=on\nexclude_Plugin_Audio=1\n',
    [
      ['MDF_BOOLEAN_TRAP', 'error', 1, 28],
      ['MDF_BOOLEAN_TRAP', 'error', 2, 13],
      ['MDF_BOOLEAN_TRAP', 'error', 3, 34],
      ['MDF_BOOLEAN_TRAP', 'error', 4, 22],
    ],
    'Plugin_Remote_EnableServer=false',
  ],
  MDF_BAD_VALUE: [
    'Plugin_Julius_lang=fr\ndisablePlugin=Plugin_Audio\n',
    [
      ['MDF_BAD_VALUE', 'warning', 1, 20],
      ['MDF_BAD_VALUE', 'warning', 2, 15],
    ],
  ],
  MDF_OUT_OF_RANGE: [
    'light_intensity=1.5\ncamera_rotation=0.0,-30,0\n',
    [
      ['MDF_OUT_OF_RANGE', 'warning', 1, 17],
      ['MDF_OUT_OF_RANGE', 'info', 2, 17],
      ['MDF_OUT_OF_RANGE', 'warning', 2, 21],
      ['MDF_OUT_OF_RANGE', 'info', 2, 25],
    ],
  ],
  MDF_BAD_PORT: [`${WS}Plugin_Remote_Websocket_Port=70000\n`, [['MDF_BAD_PORT', 'error', 3, 30]]],
  // Remote (wire.md §2, §4.1, §14; mdf.md §4.1)
  MDF_WS_HOST: [
    `Plugin_Remote_Websocket_Host=ws://localhost:9001\nPlugin_Remote_RetryCount=60\n`,
    [['MDF_WS_HOST', 'error', 1, 30]],
    'Plugin_Remote_Websocket_Host=localhost',
  ],
  MDF_WS_NO_HOST: [
    'Plugin_Remote_Websocket_Port=9001\nPlugin_Remote_Websocket_Directory=/chat\n',
    [['MDF_WS_NO_HOST', 'warning', 1, 1]],
  ],
  MDF_WS_DIRECTORY: [
    `${WS}Plugin_Remote_Websocket_Directory=chat\n`,
    [['MDF_WS_DIRECTORY', 'error', 3, 35]],
    'Plugin_Remote_Websocket_Directory=/chat',
  ],
  MDF_WS_TLS: [`${WS}Plugin_Remote_Websocket_Port=443\n`, [['MDF_WS_TLS', 'info', 3, 30]]],
  MDF_WS_AND_TCP: [`${WS}Plugin_Remote_EnableServer=true\n`, [['MDF_WS_AND_TCP', 'error', 3, 1]]],
  MDF_TCP_SELF_LOOP: [
    'Plugin_Remote_EnableServer=true\nPlugin_Remote_EnableClient=true\nPlugin_Remote_RetryCount=60\n',
    [['MDF_TCP_SELF_LOOP', 'error', 2, 1]],
    'Plugin_Remote_ListenPort=60002',
  ],
  MDF_TCP_LISTEN_PORT: [
    'Plugin_Remote_EnableServer=true\nPlugin_Remote_Port=50001\n',
    [['MDF_TCP_LISTEN_PORT', 'warning', 2, 1]],
    'Plugin_Remote_ListenPort=50001',
  ],
  MDF_RETRY_ZERO: [
    'Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_RetryCount=0\n',
    [['MDF_RETRY_ZERO', 'warning', 2, 26]],
    'Plugin_Remote_RetryCount=60',
  ],
  MDF_REMOTE_DISABLED: [`${WS}disablePlugin=Audio,Remote\n`, [['MDF_REMOTE_DISABLED', 'error', 3, 1]]],
};

describe('mdf lint: one fixture per diagnostic code', () => {
  it('every code has a fixture and a help line; every note is for a known key', () => {
    expect(Object.keys(fixtures).sort()).to.deep.equal([...MDF_DIAGNOSTIC_CODES].sort());
    expect(Object.keys(MDF_DIAGNOSTIC_HELP).sort()).to.deep.equal([...MDF_DIAGNOSTIC_CODES].sort());
    for (const key of Object.keys(MDF_KEY_NOTES)) expect(mdfKeySpec(key), key).to.not.equal(undefined);
  });

  for (const [code, [input, expected, fix]] of Object.entries(fixtures)) {
    it(code, () => {
      // 4097 user variables are also 4097 MDF_UNKNOWN_KEY infos; only the count matters there.
      const found = lint(input).filter((d) => code !== 'MDF_TOO_MANY_KEYS' || d.code === code);
      expect(found.map(brief)).to.deep.equal(expected);
      for (const d of found) {
        expect(d.message.length, d.code).to.be.greaterThan(20);
      }
      if (fix) expect(found.filter((d) => d.code === code).map((d) => d.fix)).to.include(fix);
    });
  }
});

describe('mdf lint: behaviour', () => {
  it('a clean file has no diagnostics', () => {
    expect(
      lint(
        `# comment\r\n\r\n${WS}Plugin_Remote_Websocket_Port=9001\nPlugin_Remote_Websocket_Directory=/chat\n` +
          `show_fps=false\ncamera_transition=0,13,0\n`,
      ),
    ).to.deep.equal([]);
  });

  it('an empty file and a comment-only file are clean', () => {
    expect(lint('')).to.deep.equal([]);
    expect(lint('#\n# x=1\n\n')).to.deep.equal([]);
  });

  it('a BOM before a comment is a warning (the comment line becomes text)', () => {
    expect(lint('\ufeff# note\nshow_fps=true\n').map(brief)).to.deep.equal([['MDF_BOM', 'warning', 1, 1]]);
  });

  it('a value with %ENV{} is not type-checked', () => {
    expect(lint('show_fps=%ENV{FPS}\nmax_num_model=%ENV{N}\n')).to.deep.equal([]);
  });

  it('the mode switch trap: empty, 0 and no all turn TCP server mode on', () => {
    for (const value of ['', '0', 'no', 'False']) {
      const found = lint(`Plugin_Remote_EnableServer=${value}\n`);
      expect(
        found.map((d) => d.code),
        value,
      ).to.deep.equal(['MDF_BOOLEAN_TRAP']);
      expect(found[0].message).to.contain('ON');
    }
  });

  it('IPv6 hosts are bare literals; a host:port is not', () => {
    expect(lint('Plugin_Remote_Websocket_Host=::1\nPlugin_Remote_RetryCount=1\n')).to.deep.equal([]);
    expect(lint('Plugin_Remote_Websocket_Host=fe80::1%eth0\nPlugin_Remote_RetryCount=1\n')).to.deep.equal([]);
    expect(lint('Plugin_Remote_Websocket_Host=[::1]\nPlugin_Remote_RetryCount=1\n').map((d) => d.code)).to.deep.equal([
      'MDF_WS_HOST',
    ]);
    expect(lint('Plugin_Remote_Websocket_Host=cafe:80\nPlugin_Remote_RetryCount=1\n').map((d) => d.code)).to.deep.equal(
      ['MDF_WS_HOST'],
    );
  });

  it('enablePlugin=Remote wins over disablePlugin', () => {
    expect(lint(`${WS}disablePlugin=ALL\nenablePlugin=Remote\n`)).to.deep.equal([]);
  });

  it('property: lint never throws and reports positions inside the document', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array()), (input) => {
        const doc = parseMdf(input);
        const lines = doc.rawLines();
        for (const d of lintMdf(doc)) {
          expect(d.line).to.be.within(1, Math.max(1, lines.length));
          expect(d.column).to.be.at.least(1);
          expect(['error', 'warning', 'info']).to.include(d.severity);
        }
      }),
    );
  });

  it('lints a document after edits', () => {
    const doc = new MdfDocument('show_fps=yes\n');
    expect(lintMdf(doc).map((d) => d.code)).to.deep.equal(['MDF_BOOLEAN_TRAP']);
    doc.set('show_fps', 'true');
    expect(lintMdf(doc)).to.deep.equal([]);
  });
});

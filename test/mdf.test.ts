// .mdf document, %ENV, merge, WebSocket settings, schema. Runs in Node and in Chromium.
import { expect } from 'chai';
import fc from 'fast-check';
import { describe, it } from './harness.js';
import { codeOf } from './support/codes.js';
import { MmdError } from '../src/errors.js';
import { MDF_MAX_LINE_BYTES } from '../src/limits.js';
import {
  MdfDocument,
  expandEnv,
  mdfSetting,
  mergeMdf,
  parseMdf,
  setWebsocketSettings,
  websocketSettings,
} from '../src/mdf/index.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const entries = (text: string) => parseMdf(text).entries();

describe('mdf: reading lines as MMDAgent-EX does (mdf.md §3)', () => {
  it('only a "#" in column 1 makes a comment (§3.2.2)', () => {
    expect(entries('#a=1\n  #b=2\n\t#c=3\n')).to.deep.equal([
      ['  #b', '2'],
      ['\t#c', '3'],
    ]);
  });

  it('splits at the first "=", later "=" stay in the value; no "=" → ignored (§3.2.3)', () => {
    expect(entries('url=ws://h/?a=b=c\njust text\n')).to.deep.equal([['url', 'ws://h/?a=b=c']]);
  });

  it('does not trim keys or values: a spaced key is another key (§3.2.4)', () => {
    const doc = parseMdf('Plugin_Remote_Websocket_Port = 9001\n  lead=x\n');
    expect(doc.has('Plugin_Remote_Websocket_Port')).to.equal(false);
    expect(doc.get('Plugin_Remote_Websocket_Port ')).to.equal(' 9001');
    expect(doc.get('  lead')).to.equal('x');
  });

  it('strips trailing CR, LF, TAB and SPACE only at the end of the line (§3.2.1)', () => {
    expect(entries('a=1 \t \r\nb= x y\t\n')).to.deep.equal([
      ['a', '1'],
      ['b', ' x y'],
    ]);
  });

  it('"key=" defines an empty value; "=value" defines the empty key (§3.2.5)', () => {
    const doc = parseMdf('k=\n=v\n');
    expect(doc.has('k')).to.equal(true);
    expect(doc.get('k')).to.equal('');
    expect(doc.get('')).to.equal('v');
  });

  it('later duplicates win; keys are case-sensitive (§3.3)', () => {
    const doc = parseMdf('a=1\nA=2\na=3\n');
    expect(doc.get('a')).to.equal('3');
    expect(doc.get('A')).to.equal('2');
    expect(doc.keys()).to.deep.equal(['a', 'A']);
    expect(doc.definitions().map((d) => [d.key, d.value, d.line, d.column])).to.deep.equal([
      ['a', '1', 1, 1],
      ['A', '2', 2, 1],
      ['a', '3', 3, 1],
    ]);
  });

  it('a last line without a final newline is still read (§3.1)', () => {
    expect(parseMdf('a=1\nb=2').get('b')).to.equal('2');
  });

  it('only "\\n" ends a line: CR-only text is one line (§3.1)', () => {
    const doc = parseMdf('a=1\rb=2\r');
    expect(doc.rawLines()).to.have.length(1);
    expect(doc.get('a')).to.equal('1\rb=2');
  });

  it('a NUL ends the text of its line (§3.1)', () => {
    expect(entries('a=1\0b=2\nc=3\n')).to.deep.equal([
      ['a', '1'],
      ['c', '3'],
    ]);
  });

  it('a BOM is glued to the first key (§3.1)', () => {
    const doc = parseMdf('\ufeffPlugin_Remote_Websocket_Host=h\n');
    expect(doc.has('Plugin_Remote_Websocket_Host')).to.equal(false);
    expect(doc.keys()).to.deep.equal(['\ufeffPlugin_Remote_Websocket_Host']);
    expect(parseMdf('\ufeff#comment=1\n').keys()).to.deep.equal(['\ufeff#comment']);
  });

  it('cuts lines after 2047 bytes; the rest is read as another line (§3.1)', () => {
    const filler = 'x'.repeat(MDF_MAX_LINE_BYTES - 2);
    const doc = parseMdf(`a=${filler}b=2\nc=3\n`);
    expect(doc.get('a')).to.equal(filler);
    expect(doc.get('b')).to.equal('2');
    expect(doc.get('c')).to.equal('3');
    expect(doc.definitions().find((d) => d.key === 'b')?.column).to.equal(MDF_MAX_LINE_BYTES + 1);
  });

  it('counts the 2047 bytes in UTF-8, line ending included', () => {
    const exact = `a=${'é'.repeat((MDF_MAX_LINE_BYTES - 3) / 2)}\n`; // 2 + 2044 + 1 = 2047 bytes
    expect(utf8(exact).length).to.equal(MDF_MAX_LINE_BYTES);
    expect(parseMdf(`${exact}`).definitions()).to.have.length(1);
    const over = `a=${'é'.repeat((MDF_MAX_LINE_BYTES - 3) / 2)}.z=1\n`; // "." is byte 2047
    expect(parseMdf(over).get('z')).to.equal('1');
    expect(parseMdf(over).get('a')).to.match(/é\.$/);
    // CRLF: a 2046-byte body plus "\r\n" is 2048 bytes, so "\n" alone is the next piece: harmless.
    const crlf = `b=${'y'.repeat(MDF_MAX_LINE_BYTES - 3)}\r\n`;
    expect(parseMdf(crlf).get('b')).to.equal('y'.repeat(MDF_MAX_LINE_BYTES - 3));
  });

  it('a cut through a multi-byte character leaves U+FFFD, never a throw', () => {
    const text = `a=${'x'.repeat(MDF_MAX_LINE_BYTES - 3)}€=2\n`; // "€" is 3 bytes and straddles the cut
    const doc = parseMdf(text);
    expect(doc.get('a')).to.equal(`${'x'.repeat(MDF_MAX_LINE_BYTES - 3)}\ufffd`);
    expect(doc.get('\ufffd\ufffd')).to.equal('2');
    expect(doc.toString()).to.equal(text);
  });
});

describe('mdf: lossless round trip', () => {
  const cases: Record<string, string> = {
    empty: '',
    lf: 'a=1\nb=2\n',
    crlf: '#c\r\na=1\r\n\r\nb=2\r\n',
    mixed: 'a=1\r\nb=2\n\nc=3\r\n',
    'no final newline': 'a=1\r\nb=2',
    bom: '\ufeff# x\r\na=1',
    'odd spacing': '  a = 1 \t\n\t\n   \n# x \n=\n==\n',
    'cr only': 'a=1\rb=2\r',
    unicode: 'ユーザー=こんにちは 🌸\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: toString() and toBytes() give back the input`, () => {
      expect(parseMdf(text).toString()).to.equal(text);
      expect(parseMdf(utf8(text)).toBytes()).to.deep.equal(utf8(text));
    });
  }

  it('bytes that are not UTF-8 give a latin1 document that round-trips exactly', () => {
    const sjis = new Uint8Array([0x61, 0x3d, 0x82, 0xa0, 0x0d, 0x0a, 0x62, 0x3d, 0x31, 0xff]);
    const doc = parseMdf(sjis);
    expect(doc.encoding).to.equal('latin1');
    expect(doc.get('a')).to.equal('\x82\xa0');
    expect(doc.toBytes()).to.deep.equal(sjis);
    doc.set('b', '2');
    expect(Array.from(doc.toBytes())).to.deep.equal([0x61, 0x3d, 0x82, 0xa0, 0x0d, 0x0a, 0x62, 0x3d, 0x32]);
    expect(codeOf(() => doc.set('c', '€'))).to.equal('ERR_MDF_VALUE');
  });

  it('a BOM survives bytes in and bytes out', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x3d, 0x31]);
    const doc = parseMdf(bytes);
    expect(doc.encoding).to.equal('utf8');
    expect(doc.toBytes()).to.deep.equal(bytes);
  });

  it('property: parseMdf(x).toString() === x for random documents', () => {
    const eol = fc.constantFrom('\n', '\r\n', '\r', '');
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom('#', '=', ' ', '\t', '%ENV{', '}', '\ufeff', '\0'),
    );
    const line = fc
      .tuple(fc.array(piece, { maxLength: 6 }), eol)
      .map(([parts, end]) => parts.join('').replace(/\n/g, '') + end);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const text = lines.join('');
        const doc = parseMdf(text);
        expect(doc.toString()).to.equal(text);
        expect(doc.rawLines().join('')).to.equal(text);
        expect(parseMdf(utf8(text)).toBytes()).to.deep.equal(utf8(text));
      }),
    );
  });

  it('property: any string or bytes parse, read and edit without anything but MmdError', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array()),
        fc.string(),
        fc.string(),
        (input, key, value) => {
          const doc = parseMdf(input);
          doc.keys();
          doc.get(key);
          try {
            doc.set(key, value);
            expect(doc.get(key)).to.equal(value);
            doc.delete(key);
          } catch (err) {
            if (!(err instanceof MmdError)) throw err;
          }
        },
      ),
    );
  });
});

describe('mdf: editing', () => {
  it('set rewrites the effective (last) definition in place, keeping its line ending', () => {
    const doc = parseMdf('# c\r\na=1\r\nb=2\r\na=3\r\nz=9');
    doc.set('a', 'new');
    expect(doc.toString()).to.equal('# c\r\na=1\r\nb=2\r\na=new\r\nz=9');
    doc.set('z', '0');
    expect(doc.toString()).to.equal('# c\r\na=1\r\nb=2\r\na=new\r\nz=0');
  });

  it('set appends in the file style, adding a line break first when the file lacks one', () => {
    expect(parseMdf('a=1\r\nb=2\r\n').set('c', '3').toString()).to.equal('a=1\r\nb=2\r\nc=3\r\n');
    expect(parseMdf('a=1\nb=2\n').set('c', '3').toString()).to.equal('a=1\nb=2\nc=3\n');
    expect(parseMdf('a=1\r\nb=2').set('c', '3').toString()).to.equal('a=1\r\nb=2\r\nc=3');
    expect(parseMdf('').set('c', '3').toString()).to.equal('c=3\n');
    expect(parseMdf('a=1\r\nb=2\nc=2\r\n').set('d', '4').toString()).to.equal('a=1\r\nb=2\nc=2\r\nd=4\r\n');
  });

  it('several appends keep following the file style', () => {
    const doc = parseMdf('a=1\r\nb=2\r\nc=3\n');
    doc.set('x', '1').set('y', '2').set('a', '0');
    expect(doc.toString()).to.equal('a=0\r\nb=2\r\nc=3\nx=1\r\ny=2\r\n');
    const glued = parseMdf('a=1\nb=2').set('c', '3').set('d', '4');
    expect(glued.toString()).to.equal('a=1\nb=2\nc=3\nd=4');
  });

  it('a BOM-glued first key is another key, so set appends', () => {
    const doc = parseMdf('\ufeffa=1\n');
    doc.set('a', '2');
    expect(doc.toString()).to.equal('\ufeffa=1\na=2\n');
  });

  it('a definition inside an over-long line is overridden by an appended line', () => {
    const text = `a=${'x'.repeat(MDF_MAX_LINE_BYTES - 2)}b=2\n`;
    const doc = parseMdf(text).set('b', '3');
    expect(doc.toString()).to.equal(`${text}b=3\n`);
    expect(doc.get('b')).to.equal('3');
    expect(codeOf(() => doc.delete('a'))).to.equal('ERR_MDF_SYNTAX');
  });

  it('delete removes every definition and nothing else', () => {
    const doc = parseMdf('a=1\r\n#a=0\r\nb=2\r\na=3\r\n');
    expect(doc.delete('a')).to.equal(true);
    expect(doc.toString()).to.equal('#a=0\r\nb=2\r\n');
    expect(doc.delete('a')).to.equal(false);
    expect(doc.has('a')).to.equal(false);
  });

  it('refuses keys MMDAgent-EX would read differently (ERR_MDF_KEY)', () => {
    for (const key of ['', 'a=b', 'a\nb', 'a\rb', 'a\0b', '#a', ' a', 'a ', 'a\t']) {
      expect(
        codeOf(() => parseMdf('').set(key, 'v')),
        JSON.stringify(key),
      ).to.equal('ERR_MDF_KEY');
    }
  });

  it('refuses values that would break or lose part of the line (ERR_MDF_VALUE)', () => {
    for (const value of ['a\nb', 'a\r', 'a\0', 'trailing ', 'tab\t']) {
      expect(
        codeOf(() => parseMdf('').set('k', value)),
        JSON.stringify(value),
      ).to.equal('ERR_MDF_VALUE');
    }
    expect(codeOf(() => parseMdf('').set('k', 'x'.repeat(MDF_MAX_LINE_BYTES)))).to.equal('ERR_MDF_VALUE');
    // k= + 2044 + \n
    expect(codeOf(() => parseMdf('').set('k', 'x'.repeat(MDF_MAX_LINE_BYTES - 3)))).to.equal('no error');
    expect(codeOf(() => parseMdf('').set('k', 'x'.repeat(MDF_MAX_LINE_BYTES - 2)))).to.equal('ERR_MDF_VALUE');
  });

  it('property: set then get gives the value and leaves every other line untouched', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
    const value = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((v) => !/[\r\n\0]|[ \t]$/.test(v));
    const line = fc.oneof(
      fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
      fc.string({ maxLength: 10 }).map((s) => `#${s.replace(/[\r\n]/g, '')}`),
      fc.constant(''),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 15 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        key,
        value,
        (lines, eol, finalEol, k, v) => {
          const text = lines.join(eol) + (finalEol && lines.length ? eol : '');
          const before = parseMdf(text);
          const target = before
            .definitions()
            .filter((d) => d.key === k)
            .pop();
          const doc = parseMdf(text).set(k, v);
          expect(doc.get(k)).to.equal(v);
          const after = doc.rawLines();
          const old = before.rawLines();
          if (target) {
            expect(after).to.have.length(old.length);
            old.forEach((raw, i) =>
              i === target.line - 1 ? expect(raw).to.not.equal(undefined) : expect(after[i]).to.equal(raw),
            );
          } else {
            expect(after).to.have.length(old.length + 1);
            old.forEach((raw, i) => expect(after[i].startsWith(raw)).to.equal(true));
            expect(after.slice(0, -2)).to.deep.equal(old.slice(0, -1));
          }
          for (const [other, val] of before.entries()) if (other !== k) expect(doc.get(other)).to.equal(val);
        },
      ),
    );
  });
});

describe('mdf: typed accessors follow each key’s convention (mdf.md §3.6)', () => {
  it('Remote mode switches are ON unless exactly "false": no, 0 and empty turn them on', () => {
    const doc = parseMdf(
      'Plugin_Remote_EnableServer=no\nPlugin_Remote_EnableClient=0\nPlugin_Remote_AllLog=\n' +
        'Plugin_Remote_ServerMode=false\nPlugin_AnyScript_AllLog=off\n',
    );
    expect(doc.getBoolean('Plugin_Remote_EnableServer')).to.equal(true);
    expect(doc.getBoolean('Plugin_Remote_EnableClient')).to.equal(true);
    expect(doc.getBoolean('Plugin_Remote_AllLog')).to.equal(true);
    expect(doc.getBoolean('Plugin_Remote_ServerMode')).to.equal(false);
    expect(doc.getBoolean('Plugin_AnyScript_AllLog')).to.equal(true);
    expect(doc.getBoolean('Plugin_Remote_ClientMode')).to.equal(undefined);
  });

  it('Option booleans and show_caption are on only for exactly "true"', () => {
    const doc = parseMdf('full_screen=True\nshow_fps=true\nshow_caption=yes\nuser_var=true\n');
    expect(doc.getBoolean('full_screen')).to.equal(false);
    expect(doc.getBoolean('show_fps')).to.equal(true);
    expect(doc.getBoolean('show_caption')).to.equal(false);
    expect(doc.getBoolean('user_var')).to.equal(true);
  });

  it('local lip-sync takes true/True/yes/Yes; exclude_Plugin_ takes yes/true', () => {
    const doc = parseMdf(
      'Plugin_Remote_EnableLocalLipsync=Yes\nPlugin_Remote_EnableLocalPassthrough=YES\nexclude_Plugin_Audio=True\n' +
        'exclude_Plugin_Julius=yes\n',
    );
    expect(doc.getBoolean('Plugin_Remote_EnableLocalLipsync')).to.equal(true);
    expect(doc.getBoolean('Plugin_Remote_EnableLocalPassthrough')).to.equal(false);
    expect(doc.getBoolean('exclude_Plugin_Audio')).to.equal(false);
    expect(doc.getBoolean('exclude_Plugin_Julius')).to.equal(true);
  });

  it('numbers read as atoi/atof: leading number, junk ignored, none → 0', () => {
    const doc = parseMdf('p=9001abc\nq=abc\nr= -1.5e2x\ns=.5\nv=1,,2.5,x\n');
    expect(doc.getInt('p')).to.equal(9001);
    expect(doc.getInt('q')).to.equal(0);
    expect(doc.getInt('r')).to.equal(-1);
    expect(doc.getNumber('r')).to.equal(-150);
    expect(doc.getNumber('s')).to.equal(0.5);
    expect(doc.getVector('v')).to.deep.equal([1, 2.5, 0]);
    expect(doc.getInt('absent')).to.equal(undefined);
  });

  it('mdfSetting gives what MMDAgent-EX uses: defaults, clamping, vector fallback', () => {
    const doc = parseMdf(
      'camera_rotation=-30,0,0\nwindow_size=600\nlight_intensity=2\nbullet_fps=60\nPlugin_Remote_Port=50001\n' +
        'motion_capture_max_minutes=0\n',
    );
    expect(mdfSetting(doc, 'camera_rotation')).to.deep.equal([0.001, 0.001, 0.001]);
    expect(mdfSetting(doc, 'window_size')).to.deep.equal([1024, 900]);
    expect(mdfSetting(doc, 'light_intensity')).to.equal(1);
    expect(mdfSetting(doc, 'bullet_fps')).to.equal(60);
    expect(mdfSetting(doc, 'show_fps')).to.equal(true);
    expect(mdfSetting(doc, 'cartoon_edge_width')).to.equal(0.7);
    expect(mdfSetting(doc, 'Plugin_Remote_ListenPort')).to.equal(50001);
    expect(mdfSetting(parseMdf(''), 'Plugin_Remote_ListenPort')).to.equal(60001);
    expect(mdfSetting(doc, 'motion_capture_max_minutes')).to.equal(10);
    expect(mdfSetting(doc, 'Plugin_Remote_Websocket_Host')).to.equal(undefined);
    expect(mdfSetting(parseMdf('x=%ENV{X}'), 'x', { X: 'y' })).to.equal('y');
    expect(codeOf(() => mdfSetting(parseMdf('x=%ENV{X}'), 'x'))).to.equal('ERR_MDF_ENV');
  });
});

describe('mdf: %ENV{NAME} (mdf.md §3.5)', () => {
  it('replaces every reference; unset gives the empty string', () => {
    expect(expandEnv('%ENV{H}:%ENV{P}/%ENV{NONE}x', { H: 'host', P: '9001' })).to.equal('host:9001/x');
    expect(expandEnv('no refs', {})).to.equal('no refs');
  });

  it('expands references inside values, as the search restarts from the start', () => {
    expect(expandEnv('%ENV{A}', { A: '<%ENV{B}>', B: 'b' })).to.equal('<b>');
  });

  it('never reads inherited properties as variables', () => {
    expect(expandEnv('[%ENV{__proto__}%ENV{toString}]', {})).to.equal('[]');
  });

  it('throws ERR_MDF_ENV for an unclosed reference', () => {
    expect(codeOf(() => expandEnv('a%ENV{HOME', { HOME: '/' }))).to.equal('ERR_MDF_ENV');
  });

  it('throws ERR_MDF_ENV, without hanging, for a self-reference', () => {
    expect(codeOf(() => expandEnv('%ENV{A}', { A: '%ENV{A}' }))).to.equal('ERR_MDF_ENV');
    expect(codeOf(() => expandEnv('x%ENV{A}', { A: '%ENV{B}', B: '%ENV{A}' }))).to.equal('ERR_MDF_ENV');
  });

  it('throws ERR_MDF_ENV when the result passes 2048 bytes (a growing cycle ends here too)', () => {
    expect(codeOf(() => expandEnv('%ENV{A}', { A: 'ab%ENV{A}' }))).to.equal('ERR_MDF_ENV');
    expect(codeOf(() => expandEnv('%ENV{A}', { A: 'é'.repeat(1025) }))).to.equal('ERR_MDF_ENV');
    expect(expandEnv('%ENV{A}', { A: 'é'.repeat(1024) })).to.have.length(1024);
  });

  it('get() keeps %ENV{} as written', () => {
    expect(parseMdf('h=%ENV{HOST}\n').get('h')).to.equal('%ENV{HOST}');
  });
});

describe('mdf: merging system and content files (mdf.md §1)', () => {
  it('later files win key by key; unmentioned keys stay', () => {
    const system = parseMdf('Plugin_Remote_Websocket_Host=a\nshow_fps=false\n');
    const content = parseMdf('# c\r\nPlugin_Remote_Websocket_Host=b\r\nx=1\r\n');
    const merged = mergeMdf(system, content);
    expect(merged.entries()).to.deep.equal([
      ['Plugin_Remote_Websocket_Host', 'b'],
      ['show_fps', 'false'],
      ['x', '1'],
    ]);
    expect(merged.toString()).to.equal('Plugin_Remote_Websocket_Host=b\nshow_fps=false\nx=1\n');
  });

  it('skips a content file with a broken %ENV{ on a non-comment line, but never the system file (§2)', () => {
    const system = parseMdf('a=%ENV{X\nb=1\n');
    const broken = parseMdf('b=2\nno equals %ENV{ here\n');
    const commented = parseMdf('#%ENV{\nb=3\n');
    expect(mergeMdf(system, broken).entries()).to.deep.equal([
      ['a', '%ENV{X'],
      ['b', '1'],
    ]);
    expect(mergeMdf(system, broken, commented).get('b')).to.equal('3');
  });

  it('merging with a latin1 document keeps bytes', () => {
    const merged = mergeMdf(parseMdf('a=é\n'), parseMdf(new Uint8Array([0x62, 0x3d, 0xff])));
    expect(merged.encoding).to.equal('latin1');
    expect(Array.from(merged.toBytes())).to.deep.equal([0x61, 0x3d, 0xc3, 0xa9, 0x0a, 0x62, 0x3d, 0xff, 0x0a]);
  });
});

describe('mdf: WebSocket settings (wire.md §2, §4.1)', () => {
  it('off when the host key is absent or empty; port and directory alone do nothing', () => {
    expect(websocketSettings(parseMdf('Plugin_Remote_Websocket_Port=9001\n'))).to.equal(undefined);
    expect(websocketSettings(parseMdf('Plugin_Remote_Websocket_Host=\n'))).to.equal(undefined);
  });

  it('defaults: port 80, directory "/", retry 0', () => {
    expect(websocketSettings(parseMdf('Plugin_Remote_Websocket_Host=example.com'))).to.deep.equal({
      url: 'ws://example.com:80/',
      host: 'example.com',
      port: 80,
      directory: '/',
      tls: false,
      retryCount: 0,
    });
  });

  it('reads the port with atoi, TLS iff 443, brackets IPv6', () => {
    const doc = parseMdf(
      'Plugin_Remote_Websocket_Host=::1\r\nPlugin_Remote_Websocket_Port=443x\r\n' +
        'Plugin_Remote_Websocket_Directory=/chat?room=1\r\nPlugin_Remote_RetryCount=60\r\n',
    );
    expect(websocketSettings(doc)).to.deep.equal({
      url: 'wss://[::1]:443/chat?room=1',
      host: '::1',
      port: 443,
      directory: '/chat?room=1',
      tls: true,
      retryCount: 60,
    });
    const spaced = parseMdf('Plugin_Remote_Websocket_Host=h\nPlugin_Remote_Websocket_Port = 9001\n');
    expect(websocketSettings(spaced)?.port).to.equal(80);
  });

  it('expands %ENV{} only from an environment passed in', () => {
    const doc = parseMdf('Plugin_Remote_Websocket_Host=%ENV{WSHOST}\n');
    expect(codeOf(() => websocketSettings(doc))).to.equal('ERR_MDF_ENV');
    expect(websocketSettings(doc, { WSHOST: 'h' })?.url).to.equal('ws://h:80/');
    expect(websocketSettings(doc, {})).to.equal(undefined);
  });

  it('setWebsocketSettings writes the three keys in place or appended, in the file style', () => {
    const doc = parseMdf('# remote\r\nPlugin_Remote_Websocket_Port=80\r\nshow_fps=false');
    setWebsocketSettings(doc, 'ws://127.0.0.1:9001/chat', { retryCount: 60 });
    expect(doc.toString()).to.equal(
      '# remote\r\nPlugin_Remote_Websocket_Port=9001\r\nshow_fps=false\r\n' +
        'Plugin_Remote_Websocket_Host=127.0.0.1\r\nPlugin_Remote_Websocket_Directory=/chat\r\n' +
        'Plugin_Remote_RetryCount=60',
    );
    expect(websocketSettings(doc)?.url).to.equal('ws://127.0.0.1:9001/chat');
  });

  it('round-trips URLs MMDAgent-EX can express', () => {
    for (const [url, expected] of [
      ['wss://example.com/chat', 'wss://example.com:443/chat'],
      ['ws://[::1]:9001/a?b=c', 'ws://[::1]:9001/a?b=c'],
      ['ws://h', 'ws://h:80/'],
    ]) {
      expect(websocketSettings(setWebsocketSettings(parseMdf(''), url))?.url).to.equal(expected);
    }
    const parts = setWebsocketSettings(parseMdf(''), { host: 'h', tls: true });
    expect(websocketSettings(parts)?.url).to.equal('wss://h:443/');
  });

  it('refuses what MMDAgent-EX cannot express (ERR_MDF_VALUE)', () => {
    for (const target of ['wss://h:8443/', 'ws://h:443/', 'http://h/', 'ws://u:p@h/', 'ws://h/#x', 'not a url']) {
      expect(
        codeOf(() => setWebsocketSettings(parseMdf(''), target)),
        target,
      ).to.equal('ERR_MDF_VALUE');
    }
    for (const parts of [
      { host: '' },
      { host: 'h:9001' },
      { host: 'cafe:80' },
      { host: 'h', port: 0 },
      { host: 'h', directory: 'chat' },
      { host: 'h', port: 8443, tls: true },
    ]) {
      expect(
        codeOf(() => setWebsocketSettings(parseMdf(''), parts)),
        JSON.stringify(parts),
      ).to.equal('ERR_MDF_VALUE');
    }
    expect(codeOf(() => setWebsocketSettings(parseMdf(''), 'ws://h/', { retryCount: -1 }))).to.equal('ERR_MDF_VALUE');
  });

  it('MdfDocument can also be constructed from text', () => {
    expect(new MdfDocument('a=1').get('a')).to.equal('1');
  });
});

// tcpSettings / setTcpSettings (src/mdf/tcp.ts): the TCP modes' keys read as Plugin_Remote reads
// them (wire.md §14, mdf.md §4): the "anything but exactly false is on" switches, old names, the
// listen port's client-mode-only default, the self-loop switch-off; and the lint on the same rules.
import { expect } from 'chai';
import { isMmdError } from '../src/errors.js';
import { lintMdf, mdfSetting, parseMdf, setTcpSettings, tcpSettings } from '../src/index.js';
import { describe, it } from './harness.js';

const codes = (text: string) => lintMdf(parseMdf(text)).map((d) => d.code);

describe('tcpSettings: what the TCP modes do with a file', () => {
  it('is undefined with both modes off (missing or exactly "false")', () => {
    expect(tcpSettings(parseMdf('Plugin_Remote_EnableClient=false\n'))).to.equal(undefined);
    expect(tcpSettings(parseMdf('# nothing\n'))).to.equal(undefined);
  });

  it('takes any value but exactly "false" as on, under the new or the old name', () => {
    for (const value of ['no', '0', '', 'False', 'true']) {
      const s = tcpSettings(parseMdf(`Plugin_Remote_EnableClient=${value}\nPlugin_Remote_Port=50001\n`));
      expect(s?.client, value).to.deep.equal({ host: 'localhost', port: 50001, retryCount: 0 });
    }
    expect(tcpSettings(parseMdf('Plugin_Remote_ServerMode=yes\n'))?.server).to.deep.equal({ port: 60001 });
  });

  it('listens on Plugin_Remote_Port only when client mode is on (the key is read in client mode alone)', () => {
    const alone = parseMdf('Plugin_Remote_EnableServer=true\nPlugin_Remote_Port=50001\n');
    expect(tcpSettings(alone)?.server).to.deep.equal({ port: 60001 });
    expect(mdfSetting(alone, 'Plugin_Remote_ListenPort')).to.equal(60001);
    const both = parseMdf(
      'Plugin_Remote_EnableServer=true\nPlugin_Remote_EnableClient=true\nPlugin_Remote_Hostname=10.0.0.2\n' +
        'Plugin_Remote_Port=50001\n',
    );
    expect(tcpSettings(both)).to.deep.equal({
      client: { host: '10.0.0.2', port: 50001, retryCount: 0 },
      server: { port: 50001 },
      selfLoop: false,
    });
  });

  it('drops client mode when it would dial its own listen port on localhost / 127.0.0.1', () => {
    const doc = parseMdf('Plugin_Remote_EnableServer=true\nPlugin_Remote_EnableClient=true\n');
    expect(tcpSettings(doc)).to.deep.equal({ server: { port: 60001 }, selfLoop: true });
  });
});

describe('setTcpSettings: writes what the app will run', () => {
  it('writes the switch, host and port for the client and ListenPort for the server', () => {
    const doc = setTcpSettings(parseMdf('Plugin_Remote_ClientMode=yes\n'), { client: false, server: { port: 50001 } });
    expect(doc.toString()).to.equal(
      'Plugin_Remote_ClientMode=false\nPlugin_Remote_EnableClient=false\nPlugin_Remote_EnableServer=true\n' +
        'Plugin_Remote_ListenPort=50001\n',
    );
    expect(tcpSettings(doc)).to.deep.equal({ server: { port: 50001 }, selfLoop: false });
    const client = setTcpSettings(parseMdf(''), { client: { host: '127.0.0.1', port: 9101 } }, { retryCount: 60 });
    expect(tcpSettings(client)?.client).to.deep.equal({ host: '127.0.0.1', port: 9101, retryCount: 60 });
    expect(codes(client.toString())).to.deep.equal([]);
  });

  it('refuses a WebSocket host in the file, a self-loop, bad ports and hosts (ERR_MDF_VALUE)', () => {
    const cases: [string, Parameters<typeof setTcpSettings>[1]][] = [
      ['Plugin_Remote_Websocket_Host=localhost\n', { server: { port: 50001 } }],
      ['', { client: { host: 'localhost', port: 50001 }, server: { port: 50001 } }],
      ['', { server: { port: 0 } }],
      ['', { client: { host: 'tcp://x', port: 1 } }],
    ];
    for (const [text, parts] of cases) {
      const err = (() => {
        try {
          setTcpSettings(parseMdf(text), parts);
        } catch (e) {
          return e;
        }
      })();
      expect(isMmdError(err, 'ERR_MDF_VALUE'), JSON.stringify(parts)).to.equal(true);
    }
  });
});

describe('lint of the TCP modes', () => {
  it('warns that client mode without retries dials once, and flags "no" as on', () => {
    expect(codes('Plugin_Remote_EnableClient=true\n')).to.deep.equal(['MDF_RETRY_ZERO']);
    expect(codes('Plugin_Remote_EnableServer=no\n')).to.deep.equal(['MDF_BOOLEAN_TRAP']);
  });
});

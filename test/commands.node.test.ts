// The controllers' command policy (src/node/server/commands.ts): which lines end or move the
// agent's connection, the relay's own lines, allow/deny rules and read-only viewers (issue 13).
import { expect } from 'chai';
import { isMmdError } from '../src/errors.js';
import {
  checkControllerLine,
  checkLinePolicy,
  controllerLine,
  unsafeKind,
  type LinePolicy,
  type LineSender,
} from '../src/node/server/commands.js';
import { describe, it } from './harness.js';

const sender: LineSender = { channel: '/chat', remoteAddress: '127.0.0.1', readOnly: false };

function refusal(line: string, policy?: LinePolicy, from: LineSender = sender): string | undefined {
  try {
    checkControllerLine(line, policy, from);
    return undefined;
  } catch (err) {
    expect(isMmdError(err, 'ERR_LINE_NOT_ALLOWED'), String(err)).to.equal(true);
    return (err as Error).message;
  }
}

describe('lines that end or move the agent connection (refused by default)', () => {
  const cases: [string, string][] = [
    ['PLUGIN_DISABLE|Remote', 'plugin-disable-remote'],
    ['PLUGIN_DISABLE|remote', 'plugin-disable-remote'],
    ['__AV_MESSAGE,PLUGIN_DISABLE|Remote', 'plugin-disable-remote'],
    ['__AV_MESSAGE,__AV_MESSAGE,PLUGIN_DISABLE|Remote', 'plugin-disable-remote'],
    ['KEYVALUE_SET|Plugin_Remote_Websocket_Host|evil.example', 'remote-settings'],
    ['KEYVALUE_SET|plugin_remote_websocket_directory|/x', 'remote-settings'],
    ['BUTTON_ADD|b|1.0|0,0|i.png|setkeyvalue,Plugin_Remote_Websocket_Port=443|ON', 'remote-settings'],
    ['OPEN_CONTENT|../other/main.mdf', 'content-switch'],
    ['BUTTON_ADD|b|1.0|0,0|i.png|play,../other/main.mdf|ON', 'content-switch'],
    ['REMOTEKEY_DOWN|Escape', 'quit-key'],
    ['REMOTEKEY_CHAR|\u001b', 'quit-key'],
    ['EXECUTE|notepad.exe', 'execute'],
  ];
  for (const [line, kind] of cases) {
    it(`${JSON.stringify(line)} is ${kind}, refused, and the message names how to allow it`, () => {
      expect(unsafeKind(controllerLine(line))).to.equal(kind);
      expect(refusal(line)).to.contain(`allowUnsafe: ['${kind}']`);
      expect(refusal(line, { allowUnsafe: [kind as never] })).to.equal(undefined);
    });
  }

  it('leaves their harmless neighbours alone', () => {
    for (const line of [
      'PLUGIN_DISABLE|Julius',
      'PLUGIN_ENABLE|Remote',
      'KEYVALUE_SET|Mood|happy',
      'BUTTON_ADD|b1|1.0|-1,1|images/btn.png|message,MY_BUTTON_PRESSED|ON',
      'REMOTEKEY_DOWN|Up',
      'REMOTEKEY_CHAR|d',
      '__AV_START',
      'SYNTH_START|0|mei_voice_normal|hello',
    ])
      expect(refusal(line), line).to.equal(undefined);
  });
});

describe("the relay's own lines", () => {
  it('RELAY_* and __peer_disconnected__ are refused from controllers, also wrapped, whatever the policy allows', () => {
    const everything: LinePolicy = { allow: () => true, allowUnsafe: [] };
    for (const line of [
      'RELAY_AGENT_DISCONNECTED|/chat',
      'RELAY_ERROR|ERR_NO_AGENT|gone',
      'RELAY_AGENT_CONNECTED|/chat',
      '__AV_MESSAGE,RELAY_AGENT_DISCONNECTED|/chat',
      '__peer_disconnected__',
    ])
      expect(refusal(line, everything), line).to.contain("relay's own line");
  });
});

describe('a channel policy', () => {
  it('allow lists types; deny refuses after it; both may be functions that see the sender', () => {
    const policy: LinePolicy = { allow: ['SYNTH_START', 'MOTION_ADD'], deny: ['MOTION_ADD'] };
    expect(refusal('SYNTH_START|0|v|hi', policy)).to.equal(undefined);
    expect(refusal('MOTION_ADD|0|m|f.vmd', policy)).to.contain('denied');
    expect(refusal('MODEL_DELETE|0', policy)).to.contain('not among');
    const byAddress: LinePolicy = { deny: (_line, from) => from.remoteAddress !== '127.0.0.1' };
    expect(refusal('X|1', byAddress)).to.equal(undefined);
    expect(refusal('X|1', byAddress, { ...sender, remoteAddress: '10.0.0.9' })).to.contain('denied');
  });

  it('matches the type inside __AV_MESSAGE, and an __AV_ line by its name', () => {
    expect(controllerLine('__AV_MESSAGE,SNDX|1')).to.deep.include({ type: 'SNDX', args: ['1'] });
    expect(controllerLine('__AV_SETMODEL,0')).to.deep.include({ type: '__AV_SETMODEL', args: [] });
    expect(refusal('__AV_MESSAGE,MOTION_ADD|0|m|f.vmd', { deny: ['MOTION_ADD'] })).to.contain('denied');
  });

  it('a read-only viewer may send nothing', () => {
    expect(refusal('SYNTH_START|0|v|hi', undefined, { ...sender, readOnly: true })).to.contain('read-only');
  });

  it('checkLinePolicy refuses what is not a policy, with ERR_SERVER_OPTION', () => {
    for (const bad of [5, { allow: 'SYNTH_START' }, { allowUnsafe: ['everything'] }]) {
      let err: unknown;
      try {
        checkLinePolicy(bad);
      } catch (e) {
        err = e;
      }
      expect(isMmdError(err, 'ERR_SERVER_OPTION'), JSON.stringify(bad)).to.equal(true);
    }
  });
});

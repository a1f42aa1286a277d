// The relay's frame rules (src/node/server/frames.ts) that are not covered by the fuzz targets:
// forwarding a controller frame as it came, and reading avatar control off lines both ways.
import { expect } from 'chai';
import { lineFrame } from '../src/line.js';
import { agentAvatarState, avatarSwitch, isAgentLineFrame } from '../src/node/server/frames.js';
import { describe, it } from './harness.js';

const bytes = (s: string) => Buffer.from(s);

describe('isAgentLineFrame: a controller frame forwarded byte for byte only when it is lineFrame(line)', () => {
  it('a plain line and its LF', () => {
    expect(isAgentLineFrame(bytes('SYNTH_START|0|v|hi\n'), 'SYNTH_START|0|v|hi')).to.equal(true);
    expect(isAgentLineFrame(bytes('SYNTH_START|0|v|hi'), 'SYNTH_START|0|v|hi')).to.equal(false);
    expect(isAgentLineFrame(bytes('SYNTH_START|0|v|hi\r\n'), 'SYNTH_START|0|v|hi')).to.equal(false);
  });

  it("a short S line: only lineFrame's own padding (the rule lives in line.ts alone)", () => {
    expect(lineFrame('STOP')).to.equal('STOP\n\n\n');
    expect(isAgentLineFrame(bytes('STOP\n\n\n'), 'STOP')).to.equal(true);
    expect(isAgentLineFrame(bytes('STOP\n'), 'STOP')).to.equal(false); // would be held back (§8.4)
    expect(isAgentLineFrame(bytes('STOP\r\n\n'), 'STOP')).to.equal(false);
  });
});

describe('avatar control', () => {
  it('avatarSwitch reads the lines that turn it on or off, with or without their LF', () => {
    expect(
      ['__AV_START\n', 'AVATAR_CONTROL|ENABLE', '__AV_END', 'AVATAR_CONTROL|DISABLE\n', 'X|1'].map(avatarSwitch),
    ).to.deep.equal([true, true, false, false, undefined]);
  });

  it('agentAvatarState reads AVATAR|START and AVATAR|END from agent frames only', () => {
    expect(agentAvatarState(bytes('AVATAR|START\n'))).to.equal(true);
    expect(agentAvatarState(bytes('AVATAR|END\n'))).to.equal(false);
    expect(agentAvatarState(bytes('AVATAR_EVENT_IDLE|START\n'))).to.equal(undefined);
    expect(agentAvatarState(bytes('AVATAR|STARTED\n'))).to.equal(undefined);
  });
});

// Outgoing line encoding (src/link/setup.ts), used by AgentLink.send, its setup, and the server's setup.
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { codeOf } from './support/codes.js';
import { outgoingFrame, setupFrames } from '../src/link/setup.js';
import { sndControl } from '../src/audio.js';
import { AgentLink } from '../src/link.js';
import { memoryPair } from './support/memory-socket.js';

describe('outgoingFrame', () => {
  it('frames a raw line and a Message with one \\n', () => {
    expect(outgoingFrame('MOTION_ADD|0|base|wait.vmd')).to.equal('MOTION_ADD|0|base|wait.vmd\n');
    expect(outgoingFrame({ type: 'VALUE_SET', args: ['x', '1'] })).to.equal('VALUE_SET|x|1\n');
  });

  it("takes sndControl()'s frame (the word and its \\n) as the word (bug: ERR_FORBIDDEN_CHAR)", () => {
    for (const word of ['SNDSTRM', 'SNDFILE', 'SNDBRKS'] as const) {
      expect(outgoingFrame(sndControl(word))).to.equal(`${word}\n`);
    }
  });

  it('refuses any other line that carries its own \\n, and two \\n after a control word', () => {
    expect(codeOf(() => outgoingFrame('VALUE_SET|x|1\n'))).to.equal('ERR_FORBIDDEN_CHAR');
    expect(codeOf(() => outgoingFrame('SNDFILE\n\n'))).to.equal('ERR_FORBIDDEN_CHAR');
    expect(codeOf(() => outgoingFrame('SNDFILEX\n'))).to.equal('ERR_FORBIDDEN_CHAR');
  });

  it('setupFrames validates the whole list up front', () => {
    expect(setupFrames(['__AV_START', { type: 'A', args: ['1'] }])).to.deep.equal(['__AV_START\n', 'A|1\n']);
    expect(setupFrames()).to.deep.equal([]);
    expect(codeOf(() => setupFrames(['OK', 'BAD|\n|x']))).to.equal('ERR_FORBIDDEN_CHAR');
  });
});

describe('AgentLink.send with sndControl (issue 12 item 7)', () => {
  it("link.send(sndControl('SNDFILE')) sends the word as one frame", () => {
    const [mine] = memoryPair();
    const link = new AgentLink(mine);
    link.send(sndControl('SNDFILE'));
    link.send('SNDBRKS');
    expect(mine.sent).to.deep.equal(['SNDFILE\n', 'SNDBRKS\n']);
    link.close();
  });
});

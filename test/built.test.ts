// Built: the line a catalog builder checked is reused only while the message still gives that
// line; any change sends formatMessage back to checking (src/built.ts, message.ts).
import { expect } from 'chai';
import { describe, it } from './harness.js';
import { Built } from '../src/built.js';
import { synthStart } from '../src/catalog/index.js';
import { formatMessage } from '../src/message.js';
import type { Message } from '../src/message.js';

const LINE = 'SYNTH_START|mei|mei_voice_normal|Hello.';
const fresh = () => new Built('SYNTH_START', ['mei', 'mei_voice_normal', 'Hello.'], LINE);

describe('Built.lineOf', () => {
  it('returns the line of an unchanged built message', () => {
    expect(Built.lineOf(fresh())).to.equal(LINE);
  });

  it('returns the stored line, not a re-formatted one (so formatMessage formats nothing twice)', () => {
    // A line that the fields would never format to shows the stored one is what comes back.
    const m = new Built('A', ['b'], 'STORED');
    expect(Built.lineOf(m)).to.equal('STORED');
    expect(formatMessage(m)).to.equal('STORED');
  });

  it('a builder gives a Built whose line formatMessage returns (messages.md, SYNTH_START)', () => {
    const m = synthStart('mei', 'mei_voice_normal', 'Hello.');
    expect(m).to.be.instanceOf(Built);
    expect(Built.lineOf(m)).to.equal(LINE);
  });

  it('type and args are plain, enumerable own properties (spread and JSON see them)', () => {
    const m = fresh();
    expect(Object.keys(m).sort()).to.deep.equal(['args', 'type']);
    expect(JSON.parse(JSON.stringify(m))).to.deep.equal({
      type: 'SYNTH_START',
      args: ['mei', 'mei_voice_normal', 'Hello.'],
    });
  });

  it('is undefined after the type changes, and the line again once it is changed back', () => {
    const m = fresh();
    m.type = 'SYNTH_STOP';
    expect(Built.lineOf(m)).to.equal(undefined);
    m.type = 'SYNTH_START';
    expect(Built.lineOf(m)).to.equal(LINE);
  });

  it('is undefined after any one argument changes', () => {
    for (let i = 0; i < 3; i++) {
      const m = fresh();
      m.args[i] += 'x';
      expect(Built.lineOf(m), `argument ${i}`).to.equal(undefined);
    }
  });

  it('is undefined when args grow or shrink', () => {
    const longer = fresh();
    longer.args.push('extra');
    expect(Built.lineOf(longer)).to.equal(undefined);
    const shorter = fresh();
    shorter.args.pop();
    expect(Built.lineOf(shorter)).to.equal(undefined);
    const emptied = fresh();
    emptied.args.length = 0;
    expect(Built.lineOf(emptied)).to.equal(undefined);
  });

  it('is undefined after args is replaced by other values; an equal copy still gives the same line', () => {
    const m = fresh();
    m.args = ['mei', 'mei_voice_normal', 'Bye.'];
    expect(Built.lineOf(m)).to.equal(undefined);
    const same = fresh();
    same.args = same.args.slice();
    expect(Built.lineOf(same)).to.equal(LINE);
  });

  it('sees changes made through the array passed to the constructor (it keeps a private copy)', () => {
    const args = ['mei', 'mei_voice_normal', 'Hello.'];
    const m = new Built('SYNTH_START', args, LINE);
    args[2] = 'Changed.';
    expect(m.args[2]).to.equal('Changed.');
    expect(Built.lineOf(m)).to.equal(undefined);
  });

  it('is undefined for a plain object with the same fields, and for one that copies a Built', () => {
    const plain: Message = { type: 'SYNTH_START', args: ['mei', 'mei_voice_normal', 'Hello.'] };
    expect(Built.lineOf(plain)).to.equal(undefined);
    expect(Built.lineOf({ ...fresh() })).to.equal(undefined);
  });

  it('is undefined (no TypeError) for an object made from Built.prototype without its private fields', () => {
    const forged = Object.assign(Object.create(Object.getPrototypeOf(fresh())), { type: 'X', args: [] }) as Message;
    expect(Built.lineOf(forged)).to.equal(undefined);
  });
});

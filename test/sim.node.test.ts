import { expect } from 'chai';
import { describe, it } from './harness.js';
import { startSim } from '../src/node/sim.js';
import { SimPeer } from './support/sim-peer.js';

describe('sim smoke', () => {
  it('connects and echoes', async () => {
    const peer = await SimPeer.start();
    const sim = await startSim({ url: peer.url(), timeScale: 0.05 });
    await peer.connection(0);
    peer.send('TEST_MESSAGE\n');
    const f = await peer.frame('TEST_MESSAGE\n');
    expect(f.text).to.equal('TEST_MESSAGE\n');
    await sim.stop();
    await peer.close();
  });
});

// Child-process probe for test/sim.node.test.ts: runs one scenario against a SimPeer and prints
// what start() did. The test then checks that this process EXITS on its own: a timer a stopped
// sim left behind would keep it alive.
import { Sim } from '../../src/node/sim/sim.js';
import { SimPeer } from './sim-peer.js';

const scenario = process.argv[2];
const peer = await SimPeer.start();
const sim = new Sim({ url: peer.url(), timeScale: 0.05, content: 'example' });
if (scenario === 'stop-then-start') await sim.stop();
if (scenario === 'stop-in-status-listener') sim.on('status', (s) => s === 'connected' && void sim.stop());
try {
  await sim.start();
  console.log('start resolved');
} catch (err) {
  console.log(`start rejected ${(err as { code?: string }).code}`);
}
await sim.stop();
await peer.close();

// The connection gate (src/node/server/gate.ts): caps on connections still in their handshake,
// the handshake timer, and the throttle for refusal reports. Real sockets on 127.0.0.1.
import { expect } from 'chai';
import { createServer as createNetServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { ConnectionGate, ReportThrottle } from '../src/node/server/gate.js';
import { resolvePolicy } from '../src/node/server/policy.js';
import { after, before, describe, it } from './harness.js';

let server: Server;
const accepted: Socket[] = [];

before(async () => {
  server = createNetServer((s) => void accepted.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

after(async () => {
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
});

async function serverSide(): Promise<Socket> {
  const before = accepted.length;
  const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  client.on('error', () => {});
  while (accepted.length === before) await new Promise((r) => setTimeout(r, 5));
  return accepted[accepted.length - 1];
}

describe('ConnectionGate', () => {
  it('admits up to maxPendingPerAddress from one address, and one more once a socket is done', async () => {
    const gate = new ConnectionGate(resolvePolicy({ maxPendingPerAddress: 2, maxPendingConnections: 10 }));
    const [a, b, c] = [await serverSide(), await serverSide(), await serverSide()];
    expect(gate.admit(a)).to.equal(undefined);
    expect(gate.admit(b)).to.equal(undefined);
    expect(gate.admit(c)).to.contain('maxPendingPerAddress');
    gate.done(a);
    gate.done(a); // twice is harmless
    expect(gate.pending).to.equal(1);
    expect(gate.admit(c)).to.equal(undefined);
  });

  it('caps the total too, and a socket that closes stops counting', async () => {
    const gate = new ConnectionGate(resolvePolicy({ maxPendingPerAddress: 10, maxPendingConnections: 1 }));
    const [a, b] = [await serverSide(), await serverSide()];
    expect(gate.admit(a)).to.equal(undefined);
    expect(gate.admit(b)).to.contain('maxPendingConnections');
    a.destroy();
    await new Promise((r) => a.once('close', r));
    expect(gate.pending).to.equal(0);
  });

  it('destroys a socket still pending after handshakeTimeoutMs, and not one that is done', async () => {
    const gate = new ConnectionGate(resolvePolicy({ handshakeTimeoutMs: 50 }));
    const [silent, talking] = [await serverSide(), await serverSide()];
    gate.admit(silent);
    gate.admit(talking);
    gate.done(talking);
    await new Promise((r) => setTimeout(r, 150));
    expect(silent.destroyed).to.equal(true);
    expect(talking.destroyed).to.equal(false);
  });
});

describe('ReportThrottle', () => {
  it('lets perSecond reports through a second and tells the next one how many it held back', () => {
    const throttle = new ReportThrottle(2);
    expect([0, 1, 2, 3].map((t) => throttle.take(t))).to.deep.equal([0, 0, undefined, undefined]);
    expect(throttle.take(1000)).to.equal(2);
    expect(throttle.take(1001)).to.equal(0);
  });
});

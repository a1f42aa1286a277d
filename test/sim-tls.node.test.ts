// The simulated MMDAgent-EX over TLS (issue 13, wire.md §3.2): TLS if and only if the port is 443,
// any certificate accepted. The certificate is made here with the openssl CLI (node:crypto cannot
// make X.509 certificates); the full session needs 127.0.0.1:443, which needs the right to bind it.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, skipIf } from './harness.js';
import { Sim, startSim } from '../src/node/sim/sim.js';
import { SimPeer } from './support/sim-peer.js';

/** A fresh self-signed key and certificate for 127.0.0.1, or why there is none. */
function makeCert(): { key: string; cert: string } | string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ]),
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch (err) {
    return `the openssl CLI is needed to make a test certificate (${(err as Error).message.split('\n')[0]})`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Undefined when 127.0.0.1:443 can be bound here, else why not. */
async function port443(): Promise<string | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      resolve(`127.0.0.1:443 cannot be bound here (${err.code}); run as a user allowed to bind port 443`),
    );
    server.listen(443, '127.0.0.1', () => server.close(() => resolve(undefined)));
  });
}

const cert = makeCert();
const noCert = typeof cert === 'string' ? cert : undefined;
const no443 = noCert ?? (await port443());
const tls = typeof cert === 'string' ? undefined : cert;

describe('sim: wss:// on port 443 as MMDAgent-EX (wire.md §3.2, issue 13)', () => {
  skipIf(no443 !== undefined, no443 ?? '')(
    'a full session over TLS with a self-signed certificate: handshake, echo, events, avatar, audio',
    async () => {
      const peer = await SimPeer.start(443, { tls });
      let sim: Sim | undefined;
      try {
        sim = await startSim({ url: 'wss://127.0.0.1/chat', timeScale: 0.05 });
        await peer.connection(0);
        await peer.until(() => sim!.connections === 1);
        // POCO leaves the default port out of Host (wire.md §3.1).
        expect(peer.requests[0].headers.host).to.equal('127.0.0.1');
        expect(peer.requests[0].headers['x-app-type']).to.equal('MMDAgent');
        peer.send('VALUE_SET|x|1\n');
        await peer.frame('VALUE_EVENT_SET|x\n');
        peer.send('__AV_START\n__AV_SETMODEL,0\n');
        await peer.frame('AVATAR|START\n');
        peer.send(Buffer.concat([Buffer.from('SND0640'), Buffer.alloc(640)]), { binary: true });
        await peer.until(() => sim!.state.audio.bytes === 640);
        // CURRENT_TIME comes whenever the clock's minute turns (messages.md): not part of the reply.
        const replies = peer.texts().filter((t) => !t.startsWith('CURRENT_TIME|'));
        expect(replies.slice(0, 2)).to.deep.equal(['VALUE_SET|x|1\n', 'VALUE_EVENT_SET|x\n']);
        expect(sim.violations).to.deep.equal([]);
        // ws://host:443 is the same setting (Plugin_Remote_Websocket_Port=443): TLS too.
        peer.refuse = (path) => (path === '/chat' ? '429 Too Many Requests' : undefined);
        const second = await startSim({ url: 'ws://127.0.0.1:443/chat', timeScale: 0.05, retryCount: 1 });
        expect(second.path).to.equal('/chat-1'); // /chat is taken: 429, renamed, over TLS
        await second.stop();
      } finally {
        await sim?.stop();
        await peer.close();
      }
    },
  );

  skipIf(noCert !== undefined, noCert ?? '')(
    'no TLS on any other port: against a TLS server on another port the handshake fails and the sim gives up',
    async () => {
      const peer = await SimPeer.start(0, { tls });
      try {
        const err = await startSim({ url: peer.url(), timeScale: 0.05, retryCount: 0 }).catch((e: unknown) => e);
        expect(err).to.have.property('code', 'ERR_SIM_GAVE_UP');
        expect(peer.sockets).to.have.length(0);
      } finally {
        await peer.close();
      }
    },
  );

  it('refuses wss:// with a port other than 443: the app cannot be configured so', () => {
    for (const url of ['wss://127.0.0.1:9001/chat', 'wss://127.0.0.1:8443/']) {
      expect(() => new Sim({ url }), url)
        .to.throw()
        .with.property('code', 'ERR_USAGE');
    }
    expect(() => new Sim({ url: 'wss://127.0.0.1/chat' })).not.to.throw();
    expect(() => new Sim({ url: 'wss://127.0.0.1:443/chat' })).not.to.throw();
  });
});

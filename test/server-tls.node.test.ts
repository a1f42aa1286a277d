// createServer({ tls }) (issue 13, wss:// as MMDAgent-EX's guide describes): a whole session over
// TLS with a certificate made in the test by the openssl CLI, on real sockets on 127.0.0.1.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { isMmdError } from '../src/errors.js';
import { createServer, type MmdServer } from '../src/node/server/server.js';
import { after, before, describe, skipIf } from './harness.js';
import { hasProgram, makeCert } from './support/processes.js';

const haveOpenssl = hasProgram('openssl', ['version']);
const live = skipIf(!haveOpenssl, 'the openssl CLI is not installed (it makes the test certificate)');

describe('createServer({ tls })', () => {
  let dir = '';
  let cert: Buffer;
  let key: Buffer;
  const servers: MmdServer[] = [];
  before(() => {
    if (!haveOpenssl) return;
    dir = mkdtempSync(join(tmpdir(), 'mmdr-tls-'));
    makeCert(dir);
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  live('serves wss:// and https://: an agent and a controller meet over TLS', async () => {
    const server = await createServer({ port: 0, tls: { cert, key }, syncTimeoutMs: 300, playground: false });
    servers.push(server);
    expect(server.url).to.match(/^wss:\/\/127\.0\.0\.1:\d+\/chat$/);
    expect(server.httpUrl).to.match(/^https:\/\//);

    // The agent: like MMDAgent-EX, X-App-Type and no Origin, echoing what it is sent (wire.md §10.1).
    const ready = new Promise<void>((resolve) => server.on('agent', () => resolve()));
    const agent = new WebSocket(server.url, { ca: cert, headers: { 'X-App-Type': 'MMDAgent' } });
    agent.on('message', (data) => agent.send(String(data)));
    await ready;

    const controller = new WebSocket(server.url, { ca: cert, origin: server.httpUrl.replace(/\/$/, '') });
    await new Promise((resolve, reject) => controller.once('open', resolve).once('error', reject));
    const echo = new Promise<string>((resolve) =>
      controller.on('message', (d) => String(d).startsWith('VALUE_SET') && resolve(String(d))),
    );
    controller.send('VALUE_SET|tls|1\n');
    expect(await echo).to.equal('VALUE_SET|tls|1\n');

    const listing = await new Promise<string>((resolve, reject) => {
      const req = request(new URL('/channels', server.httpUrl), { ca: cert }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d));
        res.on('end', () => resolve(text));
      });
      req.once('error', reject);
      req.end();
    });
    expect(JSON.parse(listing).channels[0]).to.include({ path: '/chat', agent: true, controllers: 1 });
    agent.close();
    controller.close();
  });

  live('refuses a plain WebSocket on its TLS port without harm to the server', async () => {
    const server = await createServer({ port: 0, tls: { cert, key }, playground: false });
    servers.push(server);
    const plain = new WebSocket(server.url.replace('wss:', 'ws:'), { headers: { 'X-App-Type': 'MMDAgent' } });
    await new Promise<void>((resolve) => {
      plain.once('error', () => resolve());
      plain.once('close', () => resolve());
    });
    expect(server.channels()[0]).to.include({ agent: false });
  });

  live('refuses a certificate or key it cannot use, with ERR_SERVER_OPTION, before binding', async () => {
    for (const tls of [{ cert, key: Buffer.from('not a key') }, { cert: '', key }, {} as never]) {
      const err = await createServer({ port: 0, tls }).catch((e: unknown) => e);
      expect(isMmdError(err, 'ERR_SERVER_OPTION'), String(err)).to.equal(true);
    }
  });
});

// The server's HTTP surface (issue 13): the Host check against DNS rebinding, /channels answering
// GET and HEAD only, and a playground that cannot be framed and runs only its own scripts.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type MmdServer, type ServerOptions } from '../src/server.js';
import { afterEach, describe, it } from './harness.js';
import { controller } from './support/server-peers.js';

const open: { close(): unknown }[] = [];

async function start(opts: ServerOptions = {}): Promise<MmdServer> {
  const server = await createServer({ port: 0, ...opts });
  open.push({ close: () => server.close() });
  return server;
}

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function get(
  server: MmdServer,
  path: string,
  opts: { method?: string; host?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.address().port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.host ? { Host: opts.host } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('Host check (DNS rebinding)', () => {
  it(
    'a loopback server answers loopback names on any port and refuses other names, for HTTP and ' + 'upgrades',
    async () => {
      const server = await start();
      const port = server.address().port;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost:8080'])
        expect((await get(server, '/channels', { host })).status, host).to.equal(200);
      const rebound = await get(server, '/channels', { host: `evil.example:${port}` });
      expect(rebound.status).to.equal(403);
      expect(rebound.body).to.contain('allowedHosts');
      const status = await controller(server.url, open, { headers: { Host: `evil.example:${port}` } }).then(
        () => 101,
        (e: { status: number }) => e.status,
      );
      expect(status).to.equal(403);
    },
  );

  it('allowedHosts adds names, and "*" turns the check off', async () => {
    const named = await start({ allowedHosts: ['mmd.lan'] });
    expect((await get(named, '/channels', { host: 'mmd.lan:9001' })).status).to.equal(200);
    expect((await get(named, '/channels', { host: 'other.lan' })).status).to.equal(403);
    const any = await start({ allowedHosts: '*' });
    expect((await get(any, '/channels', { host: 'evil.example' })).status).to.equal(200);
  });
});

describe('/channels methods', () => {
  it('answers GET and HEAD; anything else is 405 with Allow', async () => {
    const server = await start();
    const head = await get(server, '/channels', { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.body).to.equal('');
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await get(server, '/channels', { method });
      expect(res.status, method).to.equal(405);
      expect(res.headers.allow).to.equal('GET, HEAD');
    }
  });
});

describe('the playground page', () => {
  it('cannot be framed and runs only its own scripts: its inline script by hash, nothing injected', async () => {
    const server = await start({ playground: true });
    const page = await get(server, '/playground/');
    expect(page.status).to.equal(200);
    expect(page.headers['x-frame-options']).to.equal('DENY');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).to.contain("frame-ancestors 'none'").and.contain("object-src 'none'");
    const html = readFileSync(new URL('../playground/index.html', import.meta.url), 'utf8');
    for (const m of html.matchAll(/<script\b(?![^>]*\bsrc\s*=)[^>]*>([\s\S]*?)<\/script>/gi)) {
      expect(csp).to.contain(`'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
    }
    expect(csp)
      .to.not.contain("'unsafe-inline' 'self' blob:")
      .and.not.match(/script-src[^;]*unsafe-inline/);
  });
});

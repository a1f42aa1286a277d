// The playground's static files (src/node/server/static.ts) served by a real http server on 127.0.0.1
// (port 0) over a temporary folder. The test server hands serveStatic the raw request path (no URL
// normalisation), so every traversal attempt reaches resolveInside exactly as a client wrote it.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  contentTypeOf,
  findPackageRoot,
  resolveInside,
  sendText,
  serveStatic,
  type StaticMount,
} from '../src/node/server/static.js';
import { after, before, describe, it } from './harness.js';

const SECRET = 'TOP SECRET: outside the mount';
const APP_JS = 'export const answer = 42;\n';
const INDEX_HTML = '<!doctype html><title>playground</title>\n';

let dir: string;
let root: string;
let server: Server;
let port: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mmd-static-test-'));
  root = join(dir, 'playground');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'index.html'), INDEX_HTML);
  writeFileSync(join(root, 'app.js'), APP_JS);
  writeFileSync(join(root, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(join(root, 'sub', 'style.css'), 'p{}');
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  mkdirSync(join(dir, 'playground-evil'));
  writeFileSync(join(dir, 'playground-evil', 'x.txt'), SECRET);
  const mounts: StaticMount[] = [{ prefix: '/playground/', root }];
  server = createServer((req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    if (!serveStatic(req, res, pathname, mounts)) sendText(res, 418, 'no mount here', { 'X-Test': 'fallthrough' });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function fetchRaw(path: string, method = 'GET'): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

describe('contentTypeOf', () => {
  it('maps the playground file kinds, ignoring the case of the extension', () => {
    expect(contentTypeOf('/a/index.html')).to.equal('text/html; charset=utf-8');
    expect(contentTypeOf('INDEX.HTML')).to.equal('text/html; charset=utf-8');
    expect(contentTypeOf('app.js')).to.equal('text/javascript; charset=utf-8');
    expect(contentTypeOf('app.mjs')).to.equal('text/javascript; charset=utf-8');
    expect(contentTypeOf('browser.js.map')).to.equal('application/json; charset=utf-8');
    expect(contentTypeOf('index.d.ts')).to.equal('text/plain; charset=utf-8');
    expect(contentTypeOf('icon.svg')).to.equal('image/svg+xml');
    expect(contentTypeOf('lip.wasm')).to.equal('application/wasm');
  });

  it('anything else, including no extension, is application/octet-stream (never sniffed)', () => {
    expect(contentTypeOf('model.pmx')).to.equal('application/octet-stream');
    expect(contentTypeOf('Makefile')).to.equal('application/octet-stream');
    expect(contentTypeOf('.html/x')).to.equal('application/octet-stream');
  });
});

describe('findPackageRoot', () => {
  it('finds this package from a module inside it (src/node/ under tsx)', () => {
    const expected = resolve(fileURLToPath(new URL('..', import.meta.url)));
    expect(findPackageRoot(new URL('../src/node/server/static.ts', import.meta.url).href)).to.equal(expected);
  });

  it("walks past other packages' package.json (node_modules/ws) to ours", () => {
    const expected = resolve(fileURLToPath(new URL('..', import.meta.url)));
    expect(findPackageRoot(new URL('../node_modules/ws/lib/websocket.js', import.meta.url).href)).to.equal(expected);
  });

  it('walks past an unreadable package.json, and answers undefined when none above is ours', () => {
    const top = mkdtempSync(join(tmpdir(), 'mmd-root-test-'));
    try {
      mkdirSync(join(top, 'pkg', 'broken', 'lib'), { recursive: true });
      writeFileSync(join(top, 'pkg', 'package.json'), JSON.stringify({ name: 'mmdagent-ex-remote' }));
      writeFileSync(join(top, 'pkg', 'broken', 'package.json'), '{ not json');
      expect(findPackageRoot(pathToFileURL(join(top, 'pkg', 'broken', 'lib', 'x.js')).href)).to.equal(join(top, 'pkg'));
      writeFileSync(join(top, 'pkg', 'package.json'), JSON.stringify({ name: 'someone-else' }));
      expect(findPackageRoot(pathToFileURL(join(top, 'pkg', 'broken', 'lib', 'x.js')).href)).to.equal(undefined);
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });
});

describe('resolveInside', () => {
  it('maps paths below the mount to files inside the folder', () => {
    expect(resolveInside(root, '/app.js')).to.equal(join(root, 'app.js'));
    expect(resolveInside(root, 'sub/style.css')).to.equal(join(root, 'sub', 'style.css'));
    expect(resolveInside(root, '/sub/../app.js')).to.equal(join(root, 'app.js'));
    expect(resolveInside(root, '/my%20file.js')).to.equal(join(root, 'my file.js'));
    expect(resolveInside(root, '//etc/hostname')).to.equal(join(root, 'etc', 'hostname'));
  });

  it('refuses every way out of the folder, and malformed escapes', () => {
    for (const bad of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/sub/../../secret.txt',
      '/../playground-evil/x.txt',
      '/..\\secret.txt',
      '/%5c..%5csecret.txt',
      '/app.js%00.html',
      '/app.js\0',
      '/C:/Windows/win.ini',
      '/c:%5cWindows',
      '/%ff',
      '/%E0%A4%A',
      '/..',
    ]) {
      expect(resolveInside(root, bad), bad).to.equal(undefined);
    }
  });
});

describe('serveStatic over a real http server', () => {
  it('serves a file with its content type, exact length, no-cache and nosniff', async () => {
    const r = await fetchRaw('/playground/app.js');
    expect(r.status).to.equal(200);
    expect(r.body).to.equal(APP_JS);
    expect(r.headers['content-type']).to.equal('text/javascript; charset=utf-8');
    expect(r.headers['content-length']).to.equal(String(Buffer.byteLength(APP_JS)));
    expect(r.headers['cache-control']).to.equal('no-cache');
    expect(r.headers['x-content-type-options']).to.equal('nosniff');
  });

  it('a path ending in "/" serves that folder\'s index.html; the query string plays no part', async () => {
    const top = await fetchRaw('/playground/?token=abc');
    expect([top.status, top.body, top.headers['content-type']]).to.deep.equal([
      200,
      INDEX_HTML,
      'text/html; charset=utf-8',
    ]);
    const sub = await fetchRaw('/playground/sub/');
    expect([sub.status, sub.body]).to.deep.equal([200, '<p>sub</p>']);
  });

  it('HEAD answers the headers with no body', async () => {
    const r = await fetchRaw('/playground/app.js', 'HEAD');
    expect([r.status, r.body, r.headers['content-length']]).to.deep.equal([200, '', String(Buffer.byteLength(APP_JS))]);
  });

  it('other methods get 405 with Allow: GET, HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await fetchRaw('/playground/app.js', method);
      expect([r.status, r.headers.allow, r.body], method).to.deep.equal([
        405,
        'GET, HEAD',
        'only GET and HEAD are served here\n',
      ]);
    }
  });

  it('a missing file, or a folder named without its "/", is a plain-text 404 naming the path', async () => {
    const missing = await fetchRaw('/playground/nope.js');
    expect([missing.status, missing.body, missing.headers['content-type']]).to.deep.equal([
      404,
      'not found: /playground/nope.js\n',
      'text/plain; charset=utf-8',
    ]);
    expect(missing.headers['x-content-type-options']).to.equal('nosniff');
    const folder = await fetchRaw('/playground/sub');
    expect(folder.status).to.equal(404);
  });

  it('paths outside every mount fall through to the caller (serveStatic returns false)', async () => {
    for (const path of ['/', '/playground', '/playground-evil/x.txt', '/secret.txt']) {
      const r = await fetchRaw(path);
      expect([r.status, r.headers['x-test'], r.body], path).to.deep.equal([418, 'fallthrough', 'no mount here\n']);
    }
  });

  it('refuses path traversal with 404 and never sends a byte of the file outside', async () => {
    for (const path of [
      '/playground/../secret.txt',
      '/playground/%2e%2e/secret.txt',
      '/playground/%2E%2E%2Fsecret.txt',
      '/playground/..%2fsecret.txt',
      '/playground/sub/../../secret.txt',
      '/playground/../playground-evil/x.txt',
      '/playground/..\\secret.txt',
      '/playground/%5c..%5csecret.txt',
      '/playground/app.js%00.html',
      '/playground/C:/x',
      '/playground/C:%5cWindows%5cwin.ini',
      '/playground/%ff',
    ]) {
      const r = await fetchRaw(path);
      expect(r.status, path).to.equal(404);
      expect(r.body, path).to.equal(`not found: ${path}\n`);
    }
  });
});

// The playground's files: `/playground/*` from the package's playground/ folder and `/dist/*` from
// dist/. Read-only, GET/HEAD only, and no path may leave its folder.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, relative, resolve, isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The package root: the nearest folder above `moduleUrl` whose package.json is ours. The server
 * runs from src/node/ under tsx and from dist/node/ (or a chunk below it) once built.
 */
export function findPackageRoot(moduleUrl: string): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mmdagent-ex-remote') return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Maps a URL path below a mount point to a file inside `root`, or undefined when the path is
 * malformed or would leave the folder (`..`, encoded `%2e%2e`, backslashes, NUL, drive letters).
 */
export function resolveInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.includes(':')) return undefined;
  const base = resolve(root);
  const file = resolve(base, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  const rel = relative(base, file);
  if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) return undefined;
  return file;
}

export interface StaticMount {
  prefix: string; // e.g. '/playground/'
  root: string;
}

/** Serves one file, or answers 404/405. Returns false when no mount matches the path (the caller answers). */
export function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  mounts: readonly StaticMount[],
): boolean {
  const mount = mounts.find((m) => pathname.startsWith(m.prefix));
  if (!mount) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'only GET and HEAD are served here', { Allow: 'GET, HEAD' });
    return true;
  }
  let file = resolveInside(mount.root, pathname.slice(mount.prefix.length - 1));
  if (file && pathname.endsWith('/')) file = join(file, 'index.html');
  const stat = file ? statOrUndefined(file) : undefined;
  if (!file || !stat?.isFile()) {
    sendText(res, 404, `not found: ${pathname}`);
    return true;
  }
  if (extname(file).toLowerCase() === '.html') {
    const html = readFileSync(file);
    res.writeHead(200, {
      'Content-Type': contentTypeOf(file),
      'Content-Length': html.length,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...pageSecurityHeaders(html.toString('utf8')),
    });
    res.end(req.method === 'HEAD' ? undefined : html);
    return true;
  }
  res.writeHead(200, {
    'Content-Type': contentTypeOf(file),
    'Content-Length': stat.size,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
  return true;
}

/**
 * Headers for a served page: it may not be framed (clickjacking: a framed playground passes the
 * Origin check, issue 13), and it runs only its own scripts — files from this server, its inline
 * scripts by hash, and the blob: the microphone's AudioWorklet is loaded from. It may connect
 * anywhere: the playground is pointed at other servers with ?server=.
 */
export function pageSecurityHeaders(html: string): Record<string, string> {
  const inline = [...html.matchAll(/<script\b(?![^>]*\bsrc\s*=)[^>]*>([\s\S]*?)<\/script>/gi)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`,
  );
  const csp = [
    "default-src 'self'",
    `script-src 'self' blob: ${inline.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    'connect-src * ws: wss: http: https:',
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  return { 'Content-Security-Policy': csp.join('; '), 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' };
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  const text = `${body}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function statOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

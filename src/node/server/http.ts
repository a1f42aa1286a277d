// The plain HTTP side of the server: health, the channel list, metrics and the playground's files.
// Upgrades (WebSockets) are server.ts's; both pass the Host check (upgrade.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FleetMember } from '../fleet/registry.js';
import type { Channel } from './channel.js';
import { metricsText } from './observe.js';
import type { ServerOptions } from './options.js';
import type { Policy } from './policy.js';
import { sendText, serveStatic, type StaticMount } from './static.js';
import type { ChannelInfo, ServerStats } from './types.js';
import { hostAllowed, sameSecret } from './upgrade.js';

/** What the HTTP side reads from its server. */
export interface HttpFront {
  readonly options: ServerOptions;
  readonly policy: Policy;
  readonly origins: Set<string> | '*';
  readonly mounts: readonly StaticMount[];
  readonly fleet: FleetMember | undefined;
  stats(): ServerStats;
  channels(): ChannelInfo[];
  channelObjects(): Iterable<Channel>;
}

/** Answers one plain HTTP request: /healthz, /channels, /metrics, the playground's files, or 404. */
export function handleRequest(front: HttpFront, req: IncomingMessage, res: ServerResponse): void {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://server.invalid');
  } catch {
    sendText(res, 400, 'malformed request target');
    return;
  }
  const path = url.pathname;
  if (path === '/healthz') {
    // For a proxy's health check: says only that this process serves, so it needs no token and
    // no Host check (HAProxy's check sends no Host; nothing here is worth a rebinding attack).
    sendText(res, 200, 'ok');
    return;
  }
  if (!hostAllowed(req.headers.host, front.policy.host, front.options.allowedHosts)) {
    sendText(res, 403, hostRefusal(req.headers.host));
    return;
  }
  if (path === '/channels' && req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, `${req.method} ${path}: only GET and HEAD are answered here`, { Allow: 'GET, HEAD' });
    return;
  }
  if (path === '/channels' || path === '/metrics') {
    if (
      front.options.token !== undefined &&
      !sameSecret(url.searchParams.get('token') ?? bearer(req), front.options.token)
    ) {
      sendText(
        res,
        401,
        `ERR_UNAUTHORIZED: GET ${path} needs the controller token: ?token=<token> or Authorization: Bearer <token>`,
      );
      return;
    }
    if (path === '/metrics') {
      const text = metricsText(front.stats(), front.channelObjects());
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(text);
      return;
    }
    if (front.fleet && url.searchParams.get('local') !== '1') {
      front.fleet.channels().then(
        (channels) => answerChannels(front, req, res, channels),
        (err: unknown) => sendText(res, 503, `ERR_FLEET: ${err instanceof Error ? err.message : String(err)}`),
      );
      return;
    }
    answerChannels(front, req, res, front.channels());
    return;
  }
  serveFiles(front, req, res, path);
}

function answerChannels(
  front: HttpFront,
  req: IncomingMessage,
  res: ServerResponse,
  channels: readonly object[],
): void {
  {
    const body = `${JSON.stringify({ channels })}\n`;
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      Vary: 'Origin',
    };
    // Pages this server accepts as controllers may read the list from another origin too (the
    // playground opened from disk has the origin `null`); other origins still cannot.
    const origin = req.headers.origin;
    if (origin !== undefined && (front.origins === '*' || front.origins.has(origin.toLowerCase())))
      headers['Access-Control-Allow-Origin'] = origin;
    res.writeHead(200, headers);
    res.end(body);
  }
}

function serveFiles(front: HttpFront, req: IncomingMessage, res: ServerResponse, path: string): void {
  if (front.options.playground) {
    if (path === '/' || path === '/playground') {
      res.writeHead(302, { Location: '/playground/', 'Content-Length': 0 });
      res.end();
      return;
    }
    if (serveStatic(req, res, path, front.mounts)) return;
  }
  sendText(
    res,
    404,
    `not found: ${path}. This is an mmdagent-ex-remote server: WebSocket channels at ` +
      `ws://<host>:<port>/<channel>, GET /channels lists ` +
      `them${front.options.playground ? ', the playground is at /playground/' : ''}`,
  );
}

export function hostRefusal(host: string | undefined): string {
  return (
    `ERR_ORIGIN: Host ${JSON.stringify(host ?? '')} is not a name of this server (a page on another site ` +
    `may have made its name point here): use http://127.0.0.1:<port>/, or start the server with allowedHosts ` +
    `including that name`
  );
}

function bearer(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : null;
}

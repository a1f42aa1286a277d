// Where the page points: the server field, the channel field and the URL parameters.
//   ?server=ws://host:port   the server (default: the page's own server, else ws://127.0.0.1:9001)
//   ?channel=/shop1          the channel (default: the one GET /channels shows with an agent)
//   ?connect=1               connect on load (default when the page is served by a server)
//   ?token=T                 the controller token of a server started with --token
import { $, stored } from './dom.js';

export const params = new URLSearchParams(location.search);

/**
 * True when a mmdagent-ex-remote server served this page and no other server was asked for: its
 * own address is then the server, and the page connects by itself.
 */
export const servedByServer =
  /^https?:$/.test(location.protocol) && location.pathname.startsWith('/playground/') && !params.has('server');

export function defaultServerUrl(): string {
  const given = params.get('server');
  if (given) return given;
  const token = params.get('token') ? `/?token=${encodeURIComponent(params.get('token')!)}` : '';
  if (servedByServer) return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${token}`;
  return stored('mmd-playground-server') || 'ws://127.0.0.1:9001';
}

/** Connect on load: asked for, or the page came from the server (it then knows where to go). */
export function connectOnLoad(): boolean {
  const asked = params.get('connect');
  if (asked !== null) return asked !== '0' && asked !== 'false';
  return servedByServer;
}

/** The server field as a URL, or an error that says what to type. */
export function serverBase(raw = $<HTMLInputElement>('server-url').value.trim()): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('Type the server as ws://host:port, for example ws://127.0.0.1:9001.');
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw new Error('The server address must start with ws:// or wss://.');
  return url;
}

export function normalizeChannel(raw: string): string {
  const path = raw.trim() || '/';
  return path.startsWith('/') ? path : `/${path}`;
}

export function channelPath(): string {
  return normalizeChannel($<HTMLInputElement>('channel').value);
}

/** ws://host:port/<channel>, keeping a `?token=` typed into the server field. */
export function controllerUrl(channel = channelPath(), base = serverBase()): string {
  const url = new URL(base.href);
  url.pathname = channel;
  return url.href;
}

/** The http(s) twin of the server address (for GET /channels), keeping its `?token=`. */
export function httpUrl(path: string, base = serverBase()): string {
  const url = new URL(base.href);
  url.protocol = base.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = path;
  return url.href;
}

/** A URL for the screen and the log: a controller token is not shown. */
export function shown(url: string): string {
  return url.replace(/([?&]token=)[^&#\s]*/g, '$1…');
}

/** The page's origin as the server sees it (pages opened from disk send "null"). */
export function pageOrigin(): string {
  return location.protocol === 'file:' ? '"null" (opened from disk)' : location.origin;
}

/** The server address as remembered between visits: never with its token (issue 13). */
export function withoutToken(address: string): string {
  try {
    const url = new URL(address);
    if (!url.searchParams.has('token')) return address;
    url.searchParams.delete('token');
    return url.href;
  } catch {
    return address.replace(/([?&])token=[^&#]*&?/g, '$1').replace(/[?&]$/, '');
  }
}

// GET /channels, and why a connection failed. A browser learns nothing from a refused WebSocket
// (no status, no reason), so the cause is found by asking the same server over HTTP.
import { httpUrl, pageOrigin, serverBase, shown } from './address.js';

export interface ChannelInfo {
  path: string;
  agent: boolean;
  since: string | null;
  controllers: number;
}

/** The server's `{ channels: [{ path, agent, agentSince, controllers }] }`. */
export function normalizeChannels(json: unknown): ChannelInfo[] {
  const list = (json as { channels?: unknown })?.channels;
  if (!Array.isArray(list)) return [];
  return list.map((c: Record<string, unknown>) => ({
    path: String(c.path ?? ''),
    agent: c.agent === true,
    since: typeof c.agentSince === 'string' ? c.agentSince : null,
    controllers: typeof c.controllers === 'number' ? c.controllers : 0,
  }));
}

export async function fetchChannels(base = serverBase()): Promise<ChannelInfo[]> {
  const res = await fetch(httpUrl('/channels', base), { cache: 'no-store' });
  if (res.status === 401) throw new Error('the server needs the controller token (open the page with ?token=<token>)');
  if (!res.ok) throw new Error(`GET /channels answered ${res.status} ${res.statusText}`.trim());
  return normalizeChannels(await res.json());
}

/** The channel to open when none was asked for: the one with an agent, else the first one. */
export function pickChannel(channels: ChannelInfo[]): string | undefined {
  return (channels.find((c) => c.agent) ?? channels[0])?.path || undefined;
}

export type Cause = 'unreachable' | 'token' | 'refused' | 'channel' | 'unknown';

/**
 * Why `url` could not be opened, in words. Order matters: a closed port answers nothing at all
 * (not even an opaque reply); a server that answers but hides /channels from this page refuses
 * its origin or wants a token; a readable 401 is the token.
 */
export async function diagnose(url: string): Promise<{ cause: Cause; text: string }> {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    return { cause: 'unknown', text: 'The address is not a URL.' };
  }
  const host = base.host;
  const list = httpUrl('/channels', base);
  const own = httpUrl('/playground/', base).replace(/\?.*$/, '');
  try {
    await fetch(list, { mode: 'no-cors', cache: 'no-store' });
  } catch {
    return {
      cause: 'unreachable',
      text: `Nothing answers at ${host}: start the server (npm start) or check the address and port.`,
    };
  }
  let res: Response;
  try {
    res = await fetch(list, { cache: 'no-store' });
  } catch {
    const tokenNote = base.searchParams.has('token')
      ? 'or the token in the address is wrong'
      : 'or it needs a controller token (open the page with ?token=<token>)';
    return {
      cause: 'refused',
      text:
        `The server at ${host} answers but refused this page: it may not allow this page's origin ` +
        `${pageOrigin()} (open the playground at ${own}, or start the server with --allow-origin), ${tokenNote}.`,
    };
  }
  if (res.status === 401) {
    return {
      cause: 'token',
      text: base.searchParams.has('token')
        ? `The server at ${host} refused the controller token: check the token (npm start prints it).`
        : `The server at ${host} needs a controller token: open the page with ?token=<token> (npm start prints it).`,
    };
  }
  if (res.ok) {
    return {
      cause: 'channel',
      text:
        `The server at ${host} lets this page in, but not on ${shown(base.pathname)}: ` +
        'check the channel (it may allow only some paths).',
    };
  }
  return { cause: 'unknown', text: `The server at ${host} answered ${res.status}: check the server and the path.` };
}

/**
 * One view of a fleet of server processes (docs/deploy.md): each process writes its channel list
 * to Redis under its own key with an expiry, and refreshes it well before the expiry. A process
 * that dies stops refreshing, so its key, and its channels, leave the list within `ttlMs`. Any
 * process can then answer GET /channels for the whole fleet by reading every key.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MmdError } from '../../errors.js';
import { RespClient, type RespValue } from './resp.js';

/** The registry's lifecycle defaults, in one place. */
export const FLEET_DEFAULTS = Object.freeze({
  /** A dead process's channels leave the list after at most this long. */
  ttlMs: 5_000,
  /** Refreshes per ttl: three, so two lost writes in a row still keep a live process listed. */
  refreshesPerTtl: 3,
  /** Key prefix, so several fleets can share one Redis. */
  prefix: 'mmdagent-ex-remote:fleet',
});

export interface FleetChannelInfo {
  path: string;
  agent: boolean;
  agentSince: string | null;
  controllers: number;
  /** The id of the process that holds the channel. */
  process: string;
}

export interface FleetOptions {
  /** redis://host:port[/db] */
  redis: string;
  /** This process's name in the fleet (default: host name, pid and a random suffix). */
  id?: string;
  ttlMs?: number;
  prefix?: string;
}

export interface ChannelSource {
  channels(): readonly { path: string; agent: boolean; agentSince: string | null; controllers: number }[];
}

export interface FleetMember {
  readonly id: string;
  /** Every live process's channels, sorted by path. Rejects with ERR_FLEET when Redis is unreachable. */
  channels(): Promise<FleetChannelInfo[]>;
  /** Publishes this process's channels now (also done on a timer). */
  publish(): Promise<void>;
  /** Stops publishing and removes this process's entry. */
  close(): Promise<void>;
}

/** Joins the fleet registry: resolves once the first entry is written, or rejects with ERR_FLEET. */
export async function joinFleet(source: ChannelSource, opts: FleetOptions): Promise<FleetMember> {
  const ttlMs = opts.ttlMs ?? FLEET_DEFAULTS.ttlMs;
  if (!(Number.isInteger(ttlMs) && ttlMs >= 300)) {
    throw new MmdError('ERR_FLEET', `ttlMs must be a whole number of milliseconds, at least 300; got ${ttlMs}`);
  }
  const prefix = opts.prefix ?? FLEET_DEFAULTS.prefix;
  const id = opts.id ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  if (!/^[\w.:-]{1,100}$/.test(id))
    throw new MmdError('ERR_FLEET', `fleet id ${JSON.stringify(id)}: use letters, digits, . : _ -`);
  const key = `${prefix}:${id}`;
  const client = new RespClient(opts.redis);
  await client.ready;

  const publish = async (): Promise<void> => {
    const body = JSON.stringify({ id, channels: source.channels() });
    await client.command(['SET', key, body, 'PX', ttlMs]);
  };
  await publish().catch((err: unknown) => {
    client.close();
    throw err;
  });

  let lastError: unknown;
  const timer = setInterval(
    () => {
      publish().then(
        () => (lastError = undefined),
        (err: unknown) => (lastError = err),
      );
    },
    Math.floor(ttlMs / FLEET_DEFAULTS.refreshesPerTtl),
  );
  timer.unref();

  return {
    id,
    publish,
    async channels() {
      if (lastError !== undefined) throw lastError;
      const keys = await scanKeys(client, `${prefix}:*`);
      if (keys.length === 0) return [];
      const values = (await client.command(['MGET', ...keys])) as (string | null)[];
      const out: FleetChannelInfo[] = [];
      for (const value of values) {
        if (value === null) continue; // expired between SCAN and MGET
        const entry = parseEntry(value);
        if (entry === undefined) continue;
        for (const ch of entry.channels) out.push({ ...ch, process: entry.id });
      }
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async close() {
      clearInterval(timer);
      await client.command(['DEL', key]).catch(() => {});
      client.close();
    },
  };
}

async function scanKeys(client: RespClient, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await client.command(['SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000])) as [
      string,
      RespValue[],
    ];
    for (const k of batch) keys.push(String(k));
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

function parseEntry(value: string): { id: string; channels: Omit<FleetChannelInfo, 'process'>[] } | undefined {
  try {
    const entry = JSON.parse(value) as { id?: unknown; channels?: unknown };
    if (typeof entry.id !== 'string' || !Array.isArray(entry.channels)) return undefined;
    return entry as { id: string; channels: Omit<FleetChannelInfo, 'process'>[] };
  } catch {
    // Another program's key under our prefix: not ours to list.
    return undefined;
  }
}

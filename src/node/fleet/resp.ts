/**
 * The few Redis commands the fleet registry needs, over one TCP connection in RESP2
 * (https://redis.io/docs/latest/develop/reference/protocol-spec/). Written here rather than taken
 * as a dependency because the package promises no runtime dependencies beyond `ws`, and the
 * registry uses five commands. Replies are matched to commands in order, as RESP guarantees;
 * every pending command is rejected when the connection ends, so nothing waits forever.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { MmdError } from '../../errors.js';

export type RespValue = string | number | null | RespValue[];

interface Pending {
  resolve(value: RespValue): void;
  reject(err: Error): void;
}

/** `redis://host:port[/db]` → where to connect. Only loopback or named hosts; no auth in the URL. */
export function parseRedisUrl(url: string): { host: string; port: number; db: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MmdError('ERR_FLEET', `not a Redis URL: ${JSON.stringify(url)}; use redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:') {
    throw new MmdError('ERR_FLEET', `the fleet registry URL must start with redis://, got ${JSON.stringify(url)}`);
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new MmdError('ERR_FLEET', `bad Redis database in ${url}`);
  return { host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u.port || 6379), db };
}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Parses one reply from `buf` at `at`. Returns the value and where it ended, or undefined when
 * the reply is not complete yet. Error replies come back as MmdError values, not thrown, so the
 * caller can reject just the command they belong to.
 */
export function decodeReply(buf: Buffer, at = 0): { value: RespValue | MmdError; end: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const head = buf.toString('utf8', at + 1, eol);
  switch (buf[at]) {
    case 0x2b: // +simple
      return { value: head, end: eol + 2 };
    case 0x2d: // -error
      return { value: new MmdError('ERR_FLEET', `Redis answered: ${head}`), end: eol + 2 };
    case 0x3a: // :integer
      return { value: Number(head), end: eol + 2 };
    case 0x24: {
      // $bulk
      const len = Number(head);
      if (len < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + len + 2) return undefined;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + len), end: eol + 2 + len + 2 };
    }
    case 0x2a: {
      // *array
      const n = Number(head);
      if (n < 0) return { value: null, end: eol + 2 };
      const items: RespValue[] = [];
      let end = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = decodeReply(buf, end);
        if (item === undefined) return undefined;
        if (item.value instanceof MmdError) return { value: item.value, end: item.end };
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      return { value: new MmdError('ERR_FLEET', `not a Redis reply (first byte ${buf[at]})`), end: buf.length };
  }
}

/** One connection to Redis; `command()` resolves with the reply or rejects with ERR_FLEET. */
export class RespClient {
  private readonly socket: Socket;
  private readonly pending: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;
  private connected = false;
  readonly ready: Promise<void>;

  constructor(url: string, timeoutMs = 5_000) {
    const { host, port, db } = parseRedisUrl(url);
    this.socket = tcpConnect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.setTimeout(timeoutMs);
    this.ready = new Promise<void>((resolve, reject) => {
      this.socket.once('connect', () => {
        this.connected = true;
        this.socket.setTimeout(0);
        resolve();
      });
      this.socket.once('error', reject);
      this.socket.once('timeout', () => reject(new Error(`no answer within ${timeoutMs} ms`)));
    }).catch((err: Error) => {
      this.socket.destroy();
      this.fail(
        new MmdError(
          'ERR_FLEET',
          `cannot reach Redis at ${host}:${port} (${err.message}): start redis-server or fix --fleet-redis`,
          { cause: err },
        ),
      );
      throw this.failure;
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Before 'connect', `ready` reports the failure with what to do; after it, this does.
    this.socket.on('error', (err) => {
      if (this.connected) this.fail(new MmdError('ERR_FLEET', `Redis connection failed: ${err.message}`));
    });
    this.socket.on('close', () => {
      if (this.connected) this.fail(new MmdError('ERR_FLEET', 'the Redis connection closed'));
    });
    if (db !== 0) void this.command(['SELECT', db]).catch(() => {});
  }

  command(args: readonly (string | number)[]): Promise<RespValue> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<RespValue>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.fail(new MmdError('ERR_FLEET', 'the fleet registry was closed'));
    this.socket.end();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let at = 0;
    for (;;) {
      const reply = at < this.buffered.length ? decodeReply(this.buffered, at) : undefined;
      if (reply === undefined) break;
      at = reply.end;
      const waiter = this.pending.shift();
      if (waiter === undefined) continue;
      if (reply.value instanceof MmdError) waiter.reject(reply.value);
      else waiter.resolve(reply.value);
    }
    this.buffered = this.buffered.subarray(at);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }
}

// The sim's options checked once, and its Plugin_Remote_* settings derived from the url: the app
// has a host, a port and a directory, no scheme, and speaks TLS if and only if the port is 443
// (wire.md §3.2). So wss:// means port 443, and ws://host:443 speaks TLS as well.
import { MmdError } from '../../errors.js';
import type { SimOptions, SimPlatform } from './types.js';
import { TLS_PORT } from './wire.js';

export interface CheckedOptions {
  host: string;
  port: string;
  /** Plugin_Remote_Websocket_Directory: the path with its query. */
  directory: string;
  retryCount: number;
  timeScale: number;
  platform: SimPlatform;
}

/** Throws ERR_USAGE for an option the app could not have. */
export function checkOptions(opts: SimOptions): CheckedOptions {
  const url = URL.canParse(String(opts?.url)) ? new URL(opts.url) : undefined;
  const port = url?.port || (url?.protocol === 'wss:' ? String(TLS_PORT) : '80');
  if ((url?.protocol !== 'ws:' && url?.protocol !== 'wss:') || (url.protocol === 'wss:' && port !== String(TLS_PORT))) {
    throw new MmdError(
      'ERR_USAGE',
      `sim url must be ws://host:port/path, or wss://host/path for TLS on port 443 (MMDAgent-EX uses TLS ` +
        `only on port 443, wire.md §3.2), got ${String(opts?.url)}`,
    );
  }
  const retryCount = opts.retryCount ?? 3;
  const timeScale = opts.timeScale ?? 1;
  if (!Number.isInteger(retryCount) || retryCount < 0) {
    throw new MmdError('ERR_USAGE', `retryCount must be a whole number ≥ 0, got ${retryCount}`);
  }
  if (!(timeScale > 0)) throw new MmdError('ERR_USAGE', `timeScale must be > 0, got ${timeScale}`);
  if (opts.platform !== undefined && opts.platform !== 'linux' && opts.platform !== 'windows') {
    throw new MmdError('ERR_USAGE', `platform must be 'linux' or 'windows', got ${String(opts.platform)}`);
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    directory: `${url.pathname}${url.search}`,
    retryCount,
    timeScale,
    platform: opts.platform ?? 'linux',
  };
}

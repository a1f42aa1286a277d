// `mmdagent-ex-remote serve`: the server MMDAgent-EX connects to, with the relay for controllers,
// the playground and (--sim) a simulated MMDAgent-EX; prints the .mdf lines for a real one.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { MmdError } from '../../errors.js';
import { createServer, startSim, type MmdServer, type ServerOptions, type Sim } from '../../server.js';
import { tcpBannerLines } from '../tcp/banner.js';
import { EXIT_OK, parseCommand, stopRequested, usageError, type CliIo } from './io.js';

export const SERVE_USAGE = `usage: mmdagent-ex-remote serve [options]
  run the server MMDAgent-EX connects to, with the relay for controllers and the playground
  --host H               address to listen on (default 127.0.0.1; anything else needs --token and --agent-secret)
  --port N               0 to 65535, 0 picks a free port (default 9001)
  --path /P              the channel MMDAgent-EX is told to use (default /chat)
  --token T              controllers must present it (?token= or the subprotocol mmdagent-token.T)
  --agent-secret S       MMDAgent-EX must connect with ?secret=S in its Directory
  --viewer-token V       controllers presenting V instead of --token are read-only viewers
  --allow-origin O       let browser pages from origin O connect (repeatable; null for a page opened from disk; *)
  --allow-host NAME      answer requests for host name NAME too (repeatable; *), e.g. behind a proxy
  --sim                  also run a simulated MMDAgent-EX on the channel
  --tcp-port N[/CH]      take MMDAgent-EX in TCP client mode dialling port N (0: any free one) as the agent of
                         channel CH (default --path)
  --tcp-agent H:P[/CH]   dial MMDAgent-EX in TCP server mode at H:P as the agent of CH, again when it restarts
  --no-playground        do not serve the playground
  --cert FILE --key FILE serve wss:// and https:// (PEM files); MMDAgent-EX uses TLS only on port 443
  --fleet-redis URL      join a fleet behind a proxy: list every process's channels via Redis (docs/deploy.md)
  --fleet-id ID          this process's name in the fleet (default: host name and pid)
  -h, --help             this text
Stops on Ctrl-C, SIGTERM, SIGHUP and (Windows) Ctrl-Break.`;

const SPEC = {
  name: 'serve',
  usage: SERVE_USAGE,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    path: { type: 'string' },
    token: { type: 'string' },
    'agent-secret': { type: 'string' },
    'viewer-token': { type: 'string' },
    'allow-origin': { type: 'string', multiple: true },
    'allow-host': { type: 'string', multiple: true },
    sim: { type: 'boolean' },
    'tcp-port': { type: 'string' },
    'tcp-agent': { type: 'string' },
    'no-playground': { type: 'boolean' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'fleet-redis': { type: 'string' },
    'fleet-id': { type: 'string' },
  },
} as const;

export interface ServeArgs {
  options: ServerOptions & { host: string; port: number; path: string; playground: boolean };
  sim: boolean;
}

export function parseServeArgs(args: string[]): ServeArgs | 'help' {
  const parsed = parseCommand(args, SPEC);
  if (parsed.help) return 'help';
  const v = parsed.values;
  let port = 9001;
  if (v.port !== undefined) {
    port = /^\d{1,5}$/.test(v.port) ? Number(v.port) : NaN;
    if (!(port <= 65535)) throw usageError(SPEC, `--port must be 0 to 65535, got ${JSON.stringify(v.port)}`);
  }
  const origins = v['allow-origin'];
  const hosts = v['allow-host'];
  if ((v.cert === undefined) !== (v.key === undefined)) {
    throw usageError(SPEC, '--cert and --key go together: the PEM files of a certificate and of its private key');
  }
  if (v['fleet-id'] !== undefined && v['fleet-redis'] === undefined) {
    throw usageError(SPEC, '--fleet-id goes with --fleet-redis redis://HOST:PORT');
  }
  // `N` or `N/CHANNEL`, `HOST:PORT` or `HOST:PORT/CHANNEL`: each TCP agent defaults to --path.
  const tcpPort = v['tcp-port'] === undefined ? undefined : /^(\d{1,5})(\/.*)?$/.exec(v['tcp-port']);
  if (v['tcp-port'] !== undefined && !(tcpPort && Number(tcpPort[1]) <= 65535))
    throw usageError(
      SPEC,
      `--tcp-port must be N or N/CHANNEL, N from 0 to 65535, got ${JSON.stringify(v['tcp-port'])}`,
    );
  const tcpAgent = v['tcp-agent'] === undefined ? undefined : /^(.+?):(\d{1,5})(\/.*)?$/.exec(v['tcp-agent']);
  if (v['tcp-agent'] !== undefined && !(tcpAgent && Number(tcpAgent[2]) >= 1 && Number(tcpAgent[2]) <= 65535))
    throw usageError(SPEC, `--tcp-agent must be HOST:PORT or HOST:PORT/CHANNEL, got ${JSON.stringify(v['tcp-agent'])}`);
  return {
    options: {
      host: v.host ?? '127.0.0.1',
      ...(tcpPort && { tcp: [{ port: Number(tcpPort[1]), ...(tcpPort[2] && { channel: tcpPort[2] }) }] }),
      ...(tcpAgent && {
        tcpAgents: [
          {
            host: tcpAgent[1].replace(/^\[(.*)\]$/, '$1'),
            port: Number(tcpAgent[2]),
            ...(tcpAgent[3] && { channel: tcpAgent[3] }),
          },
        ],
      }),
      port,
      path: v.path ?? '/chat',
      playground: !v['no-playground'],
      ...(v.token !== undefined && { token: v.token }),
      ...(v['agent-secret'] !== undefined && { agentSecret: v['agent-secret'] }),
      ...(v['viewer-token'] !== undefined && { viewerToken: v['viewer-token'] }),
      ...(origins && { allowedOrigins: origins.includes('*') ? '*' : origins }),
      ...(hosts && { allowedHosts: hosts.includes('*') ? '*' : hosts }),
      ...(v.cert !== undefined && v.key !== undefined && { tls: { cert: readPem(v.cert), key: readPem(v.key) } }),
      ...(v['fleet-redis'] !== undefined && {
        fleet: { redis: v['fleet-redis'], ...(v['fleet-id'] !== undefined && { id: v['fleet-id'] }) },
      }),
    },
    sim: v.sim === true,
  };
}

/**
 * The address MMDAgent-EX should dial: the bound one, or for a wildcard bind some address of this
 * machine. Never `localhost`: where it resolves to ::1 first, the app cannot reach 127.0.0.1.
 */
export function dialHost(host: string): string {
  if (host === 'localhost') return '127.0.0.1';
  if (host !== '0.0.0.0' && host !== '::') return host;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  return external?.address ?? '127.0.0.1';
}

function readPem(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new MmdError('ERR_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
}

const stamp = () => new Date().toTimeString().slice(0, 8);

export async function serve(args: string[], io: CliIo): Promise<number> {
  const parsed = parseServeArgs(args);
  if (parsed === 'help') {
    io.out(SERVE_USAGE);
    return EXIT_OK;
  }
  const { options, sim: withSim } = parsed;
  const stop = stopRequested(io); // before the first await: a stop during start-up is not lost
  try {
    // The simulated agent is a stand-in: a real MMDAgent-EX using the printed lines takes its channel
    // (the one the playground shows) instead of being renamed to /chat-1, and it comes back after.
    const server = await createServer({ ...options, ...(withSim && { standIn: true }) });
    const log = (s: string) => io.out(`[${stamp()}] ${s}`);
    server.on('agent', (_link, info) =>
      log(`agent connected on ${info.channel}${info.standIn ? ' (the simulated MMDAgent-EX)' : ''}`),
    );
    server.on('agentLeft', (info) => log(`agent disconnected from ${info.channel}`));
    server.on('controller', (info) => log(`controller connected on ${info.channel} from ${info.remoteAddress ?? '?'}`));
    server.on('controllerLeft', (info) =>
      log(`controller left ${info.channel} (${info.code}${info.reason ? ` ${info.reason}` : ''})`),
    );
    server.on('refused', (info) => log(`refused ${info.kind} on ${info.path}: ${info.status} (${info.reason})`));
    server.on('error', (err) => log(`error: ${err instanceof Error ? err.message : String(err)}`));

    io.out(banner(server, options, withSim).join('\n'));
    let sim: Sim | undefined;
    if (withSim) {
      try {
        // `windows` so that the simulated agent reconnects instead of "dying" like the Linux build.
        sim = await startSim({ url: server.standInUrl(), platform: 'windows', retryCount: 20 });
        log('simulated MMDAgent-EX started (--sim)');
      } catch (err) {
        log(`the simulated MMDAgent-EX did not start: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await stop.stopped;
    // npm start's wrapper (scripts/start.mjs) passes a SIGINT on unless it hears this.
    process.send?.('stopping');
    log('stopping...');
    await sim?.stop();
    await server.close();
    log('stopped');
    return EXIT_OK;
  } finally {
    stop.dispose();
  }
}

export function banner(server: MmdServer, options: ServeArgs['options'], withSim = false): string[] {
  const port = server.address().port;
  const directory = `${options.path}${options.agentSecret ? `?secret=${options.agentSecret}` : ''}`;
  const lines = [`mmdagent-ex-remote serving ${server.url}`];
  if (options.playground) lines.push(`playground: ${playgroundUrl(server, options)}`);
  if (options.token)
    lines.push(
      `controllers must present the token: ${server.url}?token=<token> (or the subprotocol mmdagent-token.<token>)`,
    );
  if (options.viewerToken) lines.push('controllers presenting the viewer token may watch and send nothing');
  if (options.tls && port !== 443) {
    lines.push(
      `warning: MMDAgent-EX speaks TLS only when its Plugin_Remote_Websocket_Port is 443 (wire.md §3.2); ` +
        `on ${port} it will send plain WebSocket and fail: use --port 443`,
    );
  }
  lines.push(
    '',
    'To point a real MMDAgent-EX at this server, put these lines in its .mdf:',
    `  Plugin_Remote_Websocket_Host=${dialHost(options.host)}`,
    `  Plugin_Remote_Websocket_Port=${port}`,
    `  Plugin_Remote_Websocket_Directory=${directory}`,
    '  Plugin_Remote_RetryCount=60',
    '(RetryCount=60 gives it about 30 s to find the server; with 0 it tries only once.)',
    ...(withSim
      ? [
          `A real MMDAgent-EX using these lines takes ${options.path} from the simulated one (the playground`,
          'follows it), and the simulated one comes back when it leaves.',
        ]
      : []),
    ...tcpBannerLines(server.tcpAddresses(), options),
    'Note: stopping this server ends a Linux MMDAgent-EX, which exits when its connection drops.',
    'Press Ctrl-C to stop.',
    '',
  );
  return lines;
}

/** The playground opened on the served channel (`?channel=`), with the token when there is one. */
export function playgroundUrl(server: MmdServer, options: ServeArgs['options']): string {
  const query = new URLSearchParams();
  if (options.token) query.set('token', options.token);
  query.set('channel', options.path);
  return `${server.httpUrl}playground/?${query.toString().replace(/%2F/g, '/')}`;
}

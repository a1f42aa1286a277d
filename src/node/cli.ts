// `mmdagent-ex-remote`: serve (server + playground [+ a simulated agent]), sim, mdf.
import { readFileSync, realpathSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MmdError, isMmdError } from '../errors.js';
import { runMdfCli } from './mdf-cli.js';
import { createServer, type MmdServer, type ServerOptions } from './server.js';
import { runSimCli } from './sim-cli.js';
import { startSim, type Sim } from './sim.js';
import { findPackageRoot } from './static.js';
import { isLoopbackHost } from './upgrade.js';

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  /** Stops `serve` when aborted (tests); without it, serve stops on Ctrl-C. */
  signal?: AbortSignal;
}

const EXIT_OK = 0;
const EXIT_FAIL = 1;
const EXIT_USAGE = 2;

export const USAGE = `usage: mmdagent-ex-remote <command> [options]

commands:
  serve [--host H] [--port N] [--path /chat] [--token T] [--agent-secret S] [--allow-origin O]...
        [--sim] [--no-playground]
        run the server MMDAgent-EX connects to, with the relay for controllers and the playground
        (defaults: --host 127.0.0.1 --port 9001 --path /chat; a non-loopback --host needs --token;
        browser pages from other origins need --allow-origin, e.g. null for a page opened from disk)
  sim --url ws://HOST:PORT/PATH [--platform linux|windows] [--retry N]
        run a simulated MMDAgent-EX against a server
  mdf lint|get|set|delete|explain FILE ...
        check or edit an MMDAgent-EX .mdf file
  --help, --version`;

const consoleIo: CliIo = {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
};

/** Runs one command line (without `node` and the script) and resolves to the exit code. */
export async function main(argv: string[], io: CliIo = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return EXIT_OK;
      case '--version':
      case '-v':
        io.out(version());
        return EXIT_OK;
      case 'serve':
        return await serve(rest, io);
      case 'sim':
        return await runSimCli(rest, io);
      case 'mdf':
        // runMdfCli ends its writes with "\n" itself; io.out/err write whole lines.
        return await runMdfCli(rest, {
          out: (s) => io.out(s.replace(/\n$/, '')),
          err: (s) => io.err(s.replace(/\n$/, '')),
        });
      default:
        io.err(command === undefined ? USAGE : `unknown command ${JSON.stringify(command)} (ERR_USAGE)\n${USAGE}`);
        return EXIT_USAGE;
    }
  } catch (err) {
    if (isMmdError(err, 'ERR_USAGE')) {
      io.err(err.message);
      return EXIT_USAGE;
    }
    io.err(isMmdError(err) ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err));
    return EXIT_FAIL;
  }
}

function version(): string {
  const root = findPackageRoot(import.meta.url);
  if (!root) return 'unknown';
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

interface ServeArgs {
  options: ServerOptions & { host: string; port: number; path: string };
  sim: boolean;
}

function parseServeArgs(args: string[]): ServeArgs {
  const parsed: ServeArgs = { options: { host: '127.0.0.1', port: 9001, path: '/chat', playground: true }, sim: false };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v.startsWith('--')) throw new MmdError('ERR_USAGE', `${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--host':
        parsed.options.host = value();
        break;
      case '--port': {
        const v = value();
        const port = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
        if (!(port >= 0 && port <= 65535)) throw new MmdError('ERR_USAGE', `--port must be 0 to 65535, got ${v}`);
        parsed.options.port = port;
        break;
      }
      case '--path':
        parsed.options.path = value();
        break;
      case '--token':
        parsed.options.token = value();
        break;
      case '--agent-secret':
        parsed.options.agentSecret = value();
        break;
      case '--allow-origin': {
        const origin = value();
        const list = parsed.options.allowedOrigins;
        parsed.options.allowedOrigins = origin === '*' || list === '*' ? '*' : [...(list ?? []), origin];
        break;
      }
      case '--sim':
        parsed.sim = true;
        break;
      case '--no-playground':
        parsed.options.playground = false;
        break;
      default:
        throw new MmdError('ERR_USAGE', `unknown option ${args[i]} for serve\n${USAGE}`);
    }
  }
  return parsed;
}

/** The address MMDAgent-EX should dial: the bound one, or for a wildcard bind some address of this machine. */
function dialHost(host: string): string {
  if (host === 'localhost') return '127.0.0.1';
  if (host !== '0.0.0.0' && host !== '::') return host;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  return external?.address ?? '127.0.0.1';
}

const stamp = () => new Date().toTimeString().slice(0, 8);

async function serve(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE);
    return EXIT_OK;
  }
  const { options, sim: withSim } = parseServeArgs(args);
  const server = await createServer(options);
  const log = (s: string) => io.out(`[${stamp()}] ${s}`);
  server.on('agent', (_link, info) => log(`agent connected on ${info.channel}`));
  server.on('agentLeft', (info) => log(`agent disconnected from ${info.channel}`));
  server.on('controller', (info) => log(`controller connected on ${info.channel} from ${info.remoteAddress ?? '?'}`));
  server.on('controllerLeft', (info) =>
    log(`controller left ${info.channel} (${info.code}${info.reason ? ` ${info.reason}` : ''})`),
  );
  server.on('refused', (info) => log(`refused ${info.kind} on ${info.path}: ${info.status} (${info.reason})`));
  server.on('error', (err) => log(`error: ${err instanceof Error ? err.message : String(err)}`));

  printBanner(server, options, io);
  let sim: Sim | undefined;
  if (withSim) {
    const secret = options.agentSecret ? `?secret=${options.agentSecret}` : '';
    try {
      // `windows` so that the simulated agent reconnects instead of "dying" like the Linux build.
      sim = await startSim({ url: `${server.url}${secret}`, platform: 'windows', retryCount: 20 });
      log('simulated MMDAgent-EX started (--sim)');
    } catch (err) {
      log(`the simulated MMDAgent-EX did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  await stopRequested(io);
  // npm start's wrapper (scripts/start.mjs) passes a SIGINT on unless it hears this.
  process.send?.('stopping');
  log('stopping...');
  await sim?.stop();
  await server.close();
  log('stopped');
  return EXIT_OK;
}

function printBanner(server: MmdServer, options: ServeArgs['options'], io: CliIo): void {
  const port = server.address().port;
  const directory = `${options.path}${options.agentSecret ? `?secret=${options.agentSecret}` : ''}`;
  const lines = [`mmdagent-ex-remote serving ${server.url}`];
  if (options.playground) {
    const token = options.token ? `?token=${encodeURIComponent(options.token)}` : '';
    lines.push(`playground: ${server.httpUrl}playground/${token}`);
  }
  if (options.token)
    lines.push(
      `controllers must present the token: ${server.url}?token=<token> (or the subprotocol mmdagent-token.<token>)`,
    );
  if (!isLoopbackHost(options.host) && !options.agentSecret) {
    lines.push(
      'warning: any host that can reach this port may connect as MMDAgent-EX; consider --agent-secret (docs/security.md)',
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
    'Note: stopping this server ends a Linux MMDAgent-EX, which exits when its connection drops.',
    'Press Ctrl-C to stop.',
    '',
  );
  io.out(lines.join('\n'));
}

/** Resolves on io.signal, or on Ctrl-C: SIGINT/SIGTERM, and on Windows SIGBREAK and the end of a console stdin. */
function stopRequested(io: CliIo): Promise<void> {
  return new Promise((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const signals: NodeJS.Signals[] =
      process.platform === 'win32' ? ['SIGINT', 'SIGTERM', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];
    const done = () => {
      for (const s of signals) process.off(s, done);
      process.stdin.off('end', done);
      if (process.platform === 'win32' && process.stdin.isTTY) process.stdin.pause();
      resolve();
    };
    for (const s of signals) process.on(s, done);
    if (process.platform === 'win32' && process.stdin.isTTY) {
      process.stdin.on('end', done);
      process.stdin.resume();
    }
  });
}

/** True when this file is the program node was started with (also through npm's bin symlink). */
function isEntry(): boolean {
  try {
    return (
      process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.channel?.unref(); // npm start's IPC channel (scripts/start.mjs) must not keep this process alive
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
  // Should a stray handle keep the loop alive, leave anyway once output had time to flush.
  setTimeout(() => process.exit(code), 2000).unref();
}

// `mmdagent-ex-remote`: serve (server + playground [+ a simulated agent]), sim, mdf.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MmdError } from '../../errors.js';
import { findPackageRoot } from '../server/static.js';
import { EXIT_OK, consoleIo, reportFailure, type CliIo } from './io.js';

export type { CliIo } from './io.js';

export const USAGE = `usage: mmdagent-ex-remote <command> [options]

commands:
  serve [--host H] [--port N] [--path /chat] [--token T] [--agent-secret S] [--allow-origin O]...
        [--sim] [--no-playground]
        run the server MMDAgent-EX connects to, with the relay for controllers and the playground
        (defaults: --host 127.0.0.1 --port 9001 --path /chat; a non-loopback --host needs --token;
        browser pages from other origins need --allow-origin, e.g. null for a page opened from disk)
  sim --url ws://HOST:PORT/PATH [--platform linux|windows] [--retry N] [--time-scale F] [--content example|none]
        run a simulated MMDAgent-EX against a server
  mdf lint|get|set|delete|explain FILE ...
        check or edit an MMDAgent-EX .mdf file
  --help, --version
'mmdagent-ex-remote <command> --help' describes each command's options.`;

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
      // Loaded on demand: `mdf` needs neither ws nor the server, and starts faster without them.
      case 'serve':
        return await (await import('./serve.js')).serve(rest, io);
      case 'sim':
        return await (await import('./sim.js')).runSimCli(rest, io);
      case 'mdf':
        return await (await import('./mdf.js')).runMdfCli(rest, io);
      default: {
        const what = command?.startsWith('-') ? 'option' : 'command';
        const message = command === undefined ? 'no command given' : `unknown ${what} ${JSON.stringify(command)}`;
        return reportFailure(io, new MmdError('ERR_USAGE', message), USAGE);
      }
    }
  } catch (err) {
    return reportFailure(io, err);
  }
}

function version(): string {
  const root = findPackageRoot(import.meta.url);
  if (!root) return 'unknown';
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

// `mmdagent-ex-remote sim --url ws://127.0.0.1:9001/chat [--platform linux|windows] [--retry N]
// [--time-scale F] [--content example]`: a simulated MMDAgent-EX that logs every frame both ways.
import { MmdError, isMmdError } from '../errors.js';
import { Sim } from './sim.js';
import type { SimOptions, SimPlatform } from './sim.js';

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

const USAGE =
  'usage: mmdagent-ex-remote sim --url ws://HOST:PORT/PATH [--platform linux|windows] [--retry N] [--time-scale F] [--content example|none]';

function parseArgs(args: string[]): SimOptions {
  const opts: Partial<SimOptions> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new MmdError('ERR_USAGE', `${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--url':
        opts.url = value();
        break;
      case '--platform': {
        const p = value();
        if (p !== 'linux' && p !== 'windows')
          throw new MmdError('ERR_USAGE', `--platform must be linux or windows, got ${p}`);
        opts.platform = p as SimPlatform;
        break;
      }
      case '--retry':
        opts.retryCount = Number(value());
        break;
      case '--time-scale':
        opts.timeScale = Number(value());
        break;
      case '--content': {
        const c = value();
        if (c !== 'example' && c !== 'none')
          throw new MmdError('ERR_USAGE', `--content must be example or none, got ${c}`);
        opts.content = c;
        break;
      }
      default:
        throw new MmdError('ERR_USAGE', `unknown argument ${args[i]}\n${USAGE}`);
    }
  }
  if (opts.url === undefined) throw new MmdError('ERR_USAGE', `--url is required\n${USAGE}`);
  return opts as SimOptions;
}

/** A frame made readable: control bytes escaped, SND audio summarised. */
function show(bytes: Uint8Array): string {
  const head = String.fromCharCode(...bytes.subarray(0, 7));
  if (/^SND\d{4}$/.test(head)) return `${head} <${bytes.length - 7} bytes of audio>`;
  const text = new TextDecoder().decode(bytes.length > 400 ? bytes.subarray(0, 400) : bytes);
  const escaped = JSON.stringify(text).slice(1, -1);
  return bytes.length > 400 ? `${escaped}… (${bytes.length} bytes)` : escaped;
}

const OPCODES: Record<number, string> = { 0: 'cont', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

/** Runs until the sim ends or SIGINT; 0 after a clean stop, 1 when it was killed, crashed or gave up, 2 on bad usage. */
export async function runSimCli(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(USAGE); // asked for, as `serve --help` and `mdf --help`: stdout and status 0
    return 0;
  }
  let sim: Sim;
  try {
    sim = new Sim(parseArgs(args));
  } catch (err) {
    io.err(isMmdError(err) ? `${err.code}: ${err.message}` : String(err));
    return 2;
  }
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(3)}]`;
  sim.on('attempt', (a) =>
    io.out(
      `${stamp()} connect ${a.path} (attempt ${a.attempt + 1}/${sim.retryCount + 1})${a.error ? `: failed: ${a.error}` : ': ok'}`,
    ),
  );
  sim.on('connect', (c) => io.out(`${stamp()} connected to ${c.path} (connection ${c.connection}, ${sim.platform})`));
  sim.on('disconnect', (d) => io.out(`${stamp()} disconnected: ${d.reason}`));
  sim.on('frame', (f) => io.out(`${stamp()} <- ${OPCODES[f.opcode] ?? `op${f.opcode}`} ${show(f.bytes)}`));
  sim.on('sent', (text) => io.out(`${stamp()} -> ${JSON.stringify(text).slice(1, -1)}`));
  sim.on('violation', (v) => io.err(`${stamp()} VIOLATION ${v.kind} (${v.rule}): ${v.message}`));
  sim.on('status', (s) => io.out(`${stamp()} status ${s}`));
  sim.on('error', (e) => io.err(`${stamp()} ${e.code}: ${e.message}`));

  const onSigint = () => void sim.stop();
  process.once('SIGINT', onSigint);
  try {
    await sim.start().catch(() => undefined); // the failure is reported through the 'error' event
    const outcome = await sim.done;
    return outcome.status === 'stopped' ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

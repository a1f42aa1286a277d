// `mmdagent-ex-remote sim --url ws://127.0.0.1:9001/chat [--platform linux|windows] [--retry N]
// [--time-scale F] [--content example|none]`: a simulated MMDAgent-EX that logs every frame both ways.
import type { Sim, SimOptions } from '../../server.js';
import { createSim, type TcpSimOptions } from '../sim/tcp.js';
import { EXIT_FAIL, EXIT_OK, parseCommand, reportFailure, stopRequested, usageError, type CliIo } from './io.js';

export type { CliIo } from './io.js';

export const SIM_USAGE = `usage: mmdagent-ex-remote sim --url ws://HOST:PORT/PATH [options]
       mmdagent-ex-remote sim --transport tcp-client|tcp-server [--host H] --port N [options]
  run a simulated MMDAgent-EX against a server; logs every frame both ways
  --url URL              where to connect (required over WebSocket)
  --transport T          websocket (default); tcp-client dials --host:--port (Plugin_Remote_EnableClient);
                         tcp-server listens on --host:--port, 0 for any free port (Plugin_Remote_EnableServer)
  --host H --port N      the TCP address (default 127.0.0.1 and 60001)
  --platform P           linux (dies on a lost connection, like the Linux build) or windows (reconnects); default linux
  --retry N              Plugin_Remote_RetryCount: N more attempts, 0.5 s apart (whole number >= 0; default 3)
  --time-scale F         stretch every recorded delay by F (> 0; default 1)
  --content C            example (the example content's start-up burst) or none (default)
  -h, --help             this text
Stops on Ctrl-C, SIGTERM and (Windows) Ctrl-Break; exit 0 after a clean stop, 1 when killed or gave up.`;

const SPEC = {
  name: 'sim',
  usage: SIM_USAGE,
  options: {
    url: { type: 'string' },
    transport: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    platform: { type: 'string' },
    retry: { type: 'string' },
    'time-scale': { type: 'string' },
    content: { type: 'string' },
  },
} as const;

function simOptions(args: string[]): SimOptions | TcpSimOptions | 'help' {
  const parsed = parseCommand(args, SPEC);
  if (parsed.help) return 'help';
  const { url, platform, retry, content, 'time-scale': timeScale, transport, host, port } = parsed.values;
  const tcp = transport === 'tcp-client' || transport === 'tcp-server' ? transport : undefined;
  if (transport !== undefined && transport !== 'websocket' && !tcp) {
    throw usageError(SPEC, `--transport must be websocket, tcp-client or tcp-server, got ${JSON.stringify(transport)}`);
  }
  if (tcp && url !== undefined) throw usageError(SPEC, `--url is for WebSocket; ${tcp} takes --host and --port`);
  if (!tcp && (host !== undefined || port !== undefined))
    throw usageError(SPEC, '--host and --port go with --transport tcp-client|tcp-server');
  if (port !== undefined && !/^\d{1,5}$/.test(port))
    throw usageError(SPEC, `--port must be 0 to 65535, got ${JSON.stringify(port)}`);
  if (!tcp && url === undefined) throw usageError(SPEC, '--url is required');
  if (platform !== undefined && platform !== 'linux' && platform !== 'windows') {
    throw usageError(SPEC, `--platform must be linux or windows, got ${JSON.stringify(platform)}`);
  }
  if (content !== undefined && content !== 'example' && content !== 'none') {
    throw usageError(SPEC, `--content must be example or none, got ${JSON.stringify(content)}`);
  }
  // Number('') is 0: an empty --retry would silently mean "try once".
  if (retry !== undefined && !/^\d{1,6}$/.test(retry)) {
    throw usageError(SPEC, `--retry must be a whole number >= 0, got ${JSON.stringify(retry)}`);
  }
  const scale = timeScale === undefined ? undefined : /^\d*\.?\d+(e[+-]?\d+)?$/i.test(timeScale) ? +timeScale : NaN;
  if (scale !== undefined && !(scale > 0 && Number.isFinite(scale))) {
    throw usageError(SPEC, `--time-scale must be a number > 0, got ${JSON.stringify(timeScale)}`);
  }
  return {
    ...(tcp
      ? { transport: tcp, ...(host !== undefined && { host }), ...(port !== undefined && { port: Number(port) }) }
      : { url: url! }),
    ...(platform && { platform }),
    ...(retry !== undefined && { retryCount: Number(retry) }),
    ...(scale !== undefined && { timeScale: scale }),
    ...(content && { content }),
  };
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

/**
 * Runs until the sim ends or is stopped: 0 after a clean stop, 1 when it was killed, crashed or
 * gave up, 2 on bad usage.
 */
export async function runSimCli(args: string[], io: CliIo): Promise<number> {
  let sim: Sim;
  try {
    const options = simOptions(args);
    if (options === 'help') {
      io.out(SIM_USAGE);
      return EXIT_OK;
    }
    sim = await createSim(options);
  } catch (err) {
    return reportFailure(io, err);
  }
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(3)}]`;
  sim.on('attempt', (a) => {
    const outcome = a.error ? `: failed: ${a.error}` : ': ok';
    io.out(`${stamp()} connect ${a.path} (attempt ${a.attempt + 1}/${sim.retryCount + 1})${outcome}`);
  });
  sim.on('connect', (c) => io.out(`${stamp()} connected to ${c.path} (connection ${c.connection}, ${sim.platform})`));
  sim.on('disconnect', (d) => io.out(`${stamp()} disconnected: ${d.reason}`));
  sim.on('frame', (f) => io.out(`${stamp()} <- ${OPCODES[f.opcode] ?? `op${f.opcode}`} ${show(f.bytes)}`));
  sim.on('sent', (text) => io.out(`${stamp()} -> ${JSON.stringify(text).slice(1, -1)}`));
  sim.on('violation', (v) => io.err(`${stamp()} VIOLATION ${v.kind} (${v.rule}): ${v.message}`));
  sim.on('status', (s) => io.out(`${stamp()} status ${s}`));
  sim.on('error', (e) => io.err(`${stamp()} ${e.code}: ${e.message}`));

  const stop = stopRequested(io);
  void stop.stopped.then(() => sim.stop());
  try {
    await sim.start().catch(() => undefined); // the failure is reported through the 'error' event
    const outcome = await sim.done;
    return outcome.status === 'stopped' ? EXIT_OK : EXIT_FAIL;
  } finally {
    stop.dispose();
  }
}

// Lightweight wire peers for the relay and scale benchmarks: raw `ws` clients that behave like
// MMDAgent-EX where it matters to the relay (the X-App-Type header, echoing the sync line), and
// the parent side of bench/server-host.ts.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { HostKind, HostReply, HostRequest, HostSample } from './server-host.js';

export interface Host {
  kind: HostKind;
  port: number;
  url(path: string): string;
  memory(): Promise<NodeJS.MemoryUsage>;
  /** The server process's CPU time so far, and its event-loop delay since the previous sample. */
  sample(): Promise<HostSample>;
  stop(): Promise<void>;
}

const HOST_SCRIPT = fileURLToPath(new URL('./server-host.ts', import.meta.url));

/**
 * Forks a server process (with --expose-gc) and resolves once it listens. With BENCH_CPU_PROF=<dir>
 * in the environment, each server process profiles its CPU between its first and second `sample()`
 * (the scale benchmark's load phase) and writes the profile there.
 */
export function startHost(kind: HostKind, options: object = {}): Promise<Host> {
  const child: ChildProcess = fork(HOST_SCRIPT, [kind, JSON.stringify(options)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<HostReply>((resolve, reject) => {
      const onMessage = (m: HostReply) => {
        if ('error' in m) return console.error(`[${kind} server] ${m.error}`);
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(m);
      };
      const onExit = (code: number | null) => reject(new Error(`${kind} server process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ask = (request: HostRequest) => {
    const reply = next();
    child.send(request);
    return reply;
  };
  return next().then((reply) => {
    const port = (reply as { port: number }).port;
    return {
      kind,
      port,
      url: (path: string) => `ws://127.0.0.1:${port}${path}`,
      memory: async () => ((await ask('memory')) as { memory: NodeJS.MemoryUsage }).memory,
      sample: async () => ((await ask('sample')) as { sample: HostSample }).sample,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.send('stop' satisfies HostRequest);
        }),
    };
  });
}

/**
 * Opens a client; `onMessage` is attached at once, because `ws` may deliver a frame that came with the handshake
 * before `await` returns.
 */
function open(
  url: string,
  onMessage: (ws: WebSocket, data: Buffer, isBinary: boolean) => void,
  headers?: Record<string, string>,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.on('message', (data: Buffer, isBinary) => onMessage(ws, data, isBinary));
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {}); // a benchmark peer reports through its counters, never crashes
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

/** What a peer does with each text frame it receives, set per phase. */
export type OnText = (text: string) => void;

export interface Peer {
  ws: WebSocket;
  onText: OnText;
}

/**
 * An agent: connects with `X-App-Type: MMDAgent` and echoes the server's `MMDSDK_SYNC|…` line
 * as MMDAgent-EX echoes what it receives (wire.md §3.4), so our server readies it at once.
 */
export async function connectAgent(url: string): Promise<Peer> {
  const peer = { onText: () => {} } as Partial<Peer> as Peer; // ws is set below, before anyone reads it
  peer.ws = await open(
    url,
    (ws, data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text.startsWith('MMDSDK_SYNC|')) ws.send(text);
      else peer.onText(text);
    },
    { 'X-App-Type': 'MMDAgent' },
  );
  return peer;
}

/**
 * A controller, resolved once the relay says the channel's agent is ready (our server sends
 * RELAY_AGENT_CONNECTED; the minimal forwarder says nothing, its agent is ready on connect).
 */
export async function connectController(url: string, kind: HostKind): Promise<Peer> {
  const peer = { onText: () => {} } as Partial<Peer> as Peer; // ws is set below, before anyone reads it
  let ready: () => void = () => {};
  const isReady = kind === 'forwarder' ? Promise.resolve() : new Promise<void>((resolve) => (ready = resolve));
  peer.ws = await open(url, (_ws, data) => {
    const text = data.toString();
    if (text.startsWith('RELAY_')) {
      if (text.startsWith('RELAY_AGENT_CONNECTED|')) ready();
      else if (text.startsWith('RELAY_ERROR|')) console.error(`relay refused a frame: ${text.trimEnd()}`);
      return;
    }
    peer.onText(text);
  });
  await isReady;
  return peer;
}

/** Closes peers and waits for their sockets to be gone. */
export function closeAll(peers: readonly Peer[]): Promise<void> {
  return Promise.all(
    peers.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.ws.readyState === WebSocket.CLOSED) return resolve();
          p.ws.once('close', () => resolve());
          p.ws.terminate();
        }),
    ),
  ).then(() => undefined);
}

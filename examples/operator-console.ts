// Example 5 — an operator console for several terminals. Each MMDAgent-EX (shop1, shop2, ...)
// connects to one server on its own channel; the operator lists the channels, picks one, types
// lines and sees what comes back, through the server's relay.
//
//   npx tsx examples/operator-console.ts [--url http://127.0.0.1:9001] [--channel /shop1] [--token T]
//
// Try it without MMDAgent-EX: `npm start -- --path /shop1` in one terminal, then this.
// Terminals: in each content's .mdf, Plugin_Remote_Websocket_Directory=/shop1 (or /shop2, ...).
// Console commands: `:channels` lists again, `:use /shop2` switches, `:help` lists these, `:quit`
// leaves (Ctrl-D too); any other `:` line is answered here and never sent. Every other line is sent
// as it is, after the SDK's validation (a bad line is refused here, with the reason, and never
// reaches MMDAgent-EX); a line MMDAgent-EX would misread (`A||B`: empty fields collapse) is sent
// with a warning, as the playground does.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { formatMessage } from 'mmdagent-ex-remote';
import { connect, type AgentLink } from 'mmdagent-ex-remote/server';

export interface ChannelInfo {
  path: string;
  agent: boolean;
  agentSince: string | null;
  controllers: number;
}

export interface ConsoleOptions {
  /** The server, as http://host:port or ws://host:port; default http://127.0.0.1:9001. */
  url?: string;
  /** Channel to open; default: the only one with an agent, else ask. */
  channel?: string;
  /** Controller token, when the server requires one. */
  token?: string;
  /** Typed lines; default process.stdin. */
  input?: NodeJS.ReadableStream;
  log?: (line: string) => void;
}

export interface OperatorConsole {
  /** Resolves when the operator quits or the input ends. */
  done: Promise<void>;
  /** The current channel's link (changes with `:use`). */
  readonly link: AgentLink | undefined;
  close(): void;
}

function bases(url: string): { http: URL; ws: URL } {
  const http = new URL(url);
  http.protocol = http.protocol === 'wss:' || http.protocol === 'https:' ? 'https:' : 'http:';
  const ws = new URL(http.href);
  ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  return { http, ws };
}

/** GET /channels: every channel, whether an MMDAgent-EX is on it, and how many controllers. */
export async function listChannels(url: string, token?: string): Promise<ChannelInfo[]> {
  const target = new URL('/channels', bases(url).http);
  if (token) target.searchParams.set('token', token);
  const res = await fetch(target);
  if (!res.ok) throw new Error(`GET ${target.pathname} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { channels: ChannelInfo[] }).channels;
}

const HELP = [
  'console commands (never sent to MMDAgent-EX):',
  '  :channels      list the channels again',
  '  :use /shop2    operate another channel',
  '  :help          this list',
  '  :quit          leave (Ctrl-D too)',
  'any other line is sent as it is, e.g. SYNTH_START|0|mei_voice_normal|Hello.',
];

/**
 * Why MMDAgent-EX would misread a valid line, or undefined: empty fields collapse and shift the
 * later arguments, and only 10 arguments are kept (messages.md §1).
 */
export function lineWarning(line: string): string | undefined {
  if (line.startsWith('__AV') || /^SND(STRM|FILE|BRKS)$/.test(line)) return undefined;
  const [type, ...args] = line.split('|');
  try {
    formatMessage({ type, args });
    return undefined;
  } catch (err) {
    const e = err as { code?: string; message: string };
    return `${e.code ? `${e.code}: ` : ''}${e.message}`;
  }
}

function describe(c: ChannelInfo, i: number): string {
  const agent = c.agent
    ? `MMDAgent-EX since ${c.agentSince ? new Date(c.agentSince).toLocaleTimeString() : '?'}`
    : 'no MMDAgent-EX';
  return `  ${i + 1}) ${c.path.padEnd(12)} ${agent}, ${c.controllers} controller${c.controllers === 1 ? '' : 's'}`;
}

export async function run(opts: ConsoleOptions = {}): Promise<OperatorConsole> {
  const log = opts.log ?? console.log;
  const url = opts.url ?? 'http://127.0.0.1:9001';
  const lines = createInterface({ input: opts.input ?? process.stdin, terminal: false });
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  lines.on('line', (l) => (queue.push(l), wake?.()));
  lines.on('close', () => ((ended = true), wake?.()));
  const nextLine = async (): Promise<string | undefined> => {
    while (!queue.length && !ended) await new Promise<void>((r) => (wake = r));
    return queue.shift();
  };

  const showChannels = async (): Promise<ChannelInfo[]> => {
    const channels = await listChannels(url, opts.token);
    log(channels.length ? 'channels:' : 'no channels yet (no MMDAgent-EX has connected)');
    channels.forEach((c, i) => log(describe(c, i)));
    return channels;
  };

  const pick = async (channels: ChannelInfo[]): Promise<string | undefined> => {
    if (opts.channel) return opts.channel;
    const withAgent = channels.filter((c) => c.agent);
    if (withAgent.length === 1) return withAgent[0].path;
    log(`pick a channel (1-${channels.length}, or type a path like /shop1):`);
    const answer = (await nextLine())?.trim();
    if (!answer) return undefined;
    return /^\d+$/.test(answer) ? channels[Number(answer) - 1]?.path : answer.startsWith('/') ? answer : `/${answer}`;
  };

  let link: AgentLink | undefined;
  const open = async (path: string) => {
    link?.close();
    const target = new URL(path, bases(url).ws);
    if (opts.token) target.searchParams.set('token', opts.token);
    // Whether an MMDAgent-EX is on the channel: read from GET /channels once open, then kept up
    // to date by the relay's RELAY_AGENT_CONNECTED / RELAY_AGENT_DISCONNECTED lines.
    let agentOn: boolean | undefined;
    const agentIs = (on: boolean) => {
      if (agentOn === on) return;
      agentOn = on;
      log(on ? `* MMDAgent-EX is on ${path}` : `* no MMDAgent-EX on ${path} (lines are refused until one connects)`);
    };
    const listen = (current: AgentLink) => {
      link = current;
      current.on('message', (msg) => {
        if (msg.type === 'RELAY_AGENT_CONNECTED') agentIs(true);
        else if (msg.type === 'RELAY_AGENT_DISCONNECTED') agentIs(false);
        else if (msg.type === 'RELAY_ERROR') log(`! ${msg.args[0]}: ${msg.args.slice(1).join('|')}`);
        else log(`< ${msg.line}`);
      });
      current.on('close', (e) => {
        if (link === current && !e.reconnecting) log(`* connection to ${path} closed`);
      });
    };
    await connect(target.href, { onOpen: listen });
    const known = (await listChannels(url, opts.token).catch(() => [])).find((c) => c.path === path);
    if (known && agentOn === undefined) agentIs(known.agent);
    log(`* operating ${path} (type lines to send; :channels, :use /path, :help, :quit)`);
  };

  const loop = async () => {
    const first = await pick(await showChannels());
    if (!first) return log('no channel chosen');
    await open(first);
    for (let line = await nextLine(); line !== undefined; line = await nextLine()) {
      const text = line.trim();
      if (!text) continue;
      if (text === ':quit' || text === ':q') break;
      if (text === ':channels') {
        await showChannels().catch((err: Error) => log(`! ${err.message}`));
        continue;
      }
      if (text.startsWith(':use ')) {
        const path = text.slice(5).trim();
        await open(path.startsWith('/') ? path : `/${path}`).catch((err: Error) => log(`! ${err.message}`));
        continue;
      }
      if (text === ':help' || text === ':?') {
        HELP.forEach((h) => log(h));
        continue;
      }
      if (text.startsWith(':')) {
        // No MMDAgent-EX message starts with ':': a mistyped console command must not reach it.
        log(`! unknown console command ${text.split(/\s/)[0]} (not sent); :help lists them`);
        continue;
      }
      try {
        if (!link) throw new Error('not connected');
        link.send(text);
        log(`> ${text}`);
        const warning = lineWarning(text);
        if (warning) log(`! warning, sent as typed: ${warning}`);
      } catch (err) {
        const e = err as { code?: string; message: string };
        log(`! not sent${e.code ? ` (${e.code})` : ''}: ${e.message}`);
      }
    }
  };

  const done = loop().finally(() => {
    lines.close();
    link?.close();
  });
  return {
    done,
    get link() {
      return link;
    },
    close() {
      ended = true;
      wake?.();
      lines.close();
      link?.close();
    },
  };
}

function isMain(): boolean {
  return !!process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
}

if (isMain()) {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, channel: { type: 'string' }, token: { type: 'string' } },
  });
  const app = await run({ url: values.url ?? process.env.MMD_SERVER, channel: values.channel, token: values.token });
  process.once('SIGINT', () => app.close());
  await app.done.catch((err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  });
}

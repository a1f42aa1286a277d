// `npm start` end to end: the entry point runs as a child process (server + playground + one
// simulated MMDAgent-EX), prints where it listens and the .mdf lines, serves, relays, and stops
// cleanly with exit code 0 on Ctrl-C (SIGINT to its process group, as a terminal sends it) and
// on SIGTERM. The CLI's Windows console paths (SIGBREAK, end of a console stdin) need a real
// console and are not exercised here.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it, skipIf } from './harness.js';
import { connect } from '../src/server.js';
import { FakeAgent } from './support/fake-agent.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'node', 'cli.js');
const startScript = join(root, 'scripts', 'start.mjs');
const cliSource = join(root, 'src', 'node', 'cli.ts');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * scripts/start.mjs when the build is current (what `npm start` runs after `npm test`'s build);
 * otherwise the CLI it would launch, from the sources, so that this test never rebuilds dist/
 * under other runs and still tests the current code.
 */
function entryPoint(): { args: string[]; via: string } {
  // As scripts/start.mjs decides whether to build.
  const outputs = [cli, join(root, 'dist', 'browser.js'), join(root, 'dist', 'playground.js')];
  const sources = [join(root, 'src'), join(root, 'playground', 'src')].filter((d) => existsSync(d));
  const fresh =
    outputs.every((f) => existsSync(f)) &&
    Math.max(...sources.map(newestMtime)) <= Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  return fresh
    ? { args: [startScript], via: 'scripts/start.mjs' }
    : { args: ['--import', 'tsx', cliSource, 'serve', '--sim'], via: 'src/node/cli.ts serve --sim' };
}

interface Running {
  child: ChildProcess;
  output: () => string;
  httpUrl: string;
  port: number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

/**
 * Kills what `start()` launched: the whole process group on POSIX. Killing only scripts/start.mjs
 * orphaned its CLI child, which kept this file's stdout pipes open, so the test file never exited
 * (CI hung after every test had passed).
 */
function killAll(child: ChildProcess): void {
  if (process.platform !== 'win32' && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
      return;
    } catch {
      // the group is already gone
    }
  }
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function start(extra: string[] = []): Promise<Running> {
  const { args } = entryPoint();
  // detached: its own process group, so SIGINT can go to the whole group like a terminal's Ctrl-C.
  const child = spawn(process.execPath, [...args, '--port', '0', ...extra], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  children.add(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => (children.delete(child), resolve({ code, signal }))),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 15 s; output:\n${out}`)), 15_000);
    const look = () => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m && m[1] !== '0') (clearTimeout(timer), resolve(m[0]));
    };
    child.stdout!.on('data', look);
    void exit.then(({ code }) => reject(new Error(`exited (${code}) before printing its URL; output:\n${out}`)));
  });
  return { child, output: () => out, httpUrl: url, port: Number(new URL(url).port), exit };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function withinMs<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('npm start (server + playground + simulated MMDAgent-EX)', () => {
  after(() => {
    for (const child of children) killAll(child);
  });

  it('prints its URL and .mdf lines, serves the playground and /channels, relays, stops on Ctrl-C with 0', async () => {
    const app = await start();
    try {
      const out = () => app.output();
      await until(
        async () => (/Plugin_Remote_Websocket_Directory=\/chat/.test(out()) ? true : undefined),
        'the .mdf lines',
        5000,
      );
      // Not localhost: where it resolves to ::1 first, MMDAgent-EX cannot reach a server on 127.0.0.1.
      expect(out()).to.contain('Plugin_Remote_Websocket_Host=127.0.0.1\n');
      expect(out()).to.contain(`Plugin_Remote_Websocket_Port=${app.port}`);
      expect(out()).to.contain('Plugin_Remote_Websocket_Directory=/chat');
      expect(out()).to.contain('Plugin_Remote_RetryCount=60');

      // The simulated MMDAgent-EX shows up as the agent of /chat.
      const channel = await until(async () => {
        const res = await fetch(new URL('/channels', app.httpUrl));
        const { channels } = (await res.json()) as { channels: { path: string; agent: boolean }[] };
        return channels.find((c) => c.path === '/chat' && c.agent);
      }, 'an agent on /chat in GET /channels');
      expect(channel.agent).to.equal(true);

      const page = await fetch(new URL('/playground/', app.httpUrl));
      expect(page.status).to.equal(200);
      const scripts = [...(await page.text()).matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
      expect(scripts).not.to.deep.equal([]);
      // Every script the page loads is served (checked on a current build: dist/ is what they come from).
      if (entryPoint().via === 'scripts/start.mjs') {
        for (const src of scripts) {
          expect((await fetch(new URL(src, page.url))).status, src).to.equal(200);
        }
      }

      // A controller round trip through the relay: the line reaches the agent and its echo comes back.
      const link = await connect(`ws://127.0.0.1:${app.port}/chat`);
      try {
        const echo = link.waitFor((m) => m.type === 'VALUE_SET' && m.args[0] === 'start_test', { timeoutMs: 5000 });
        const event = link.waitFor((m) => m.type === 'VALUE_EVENT_SET' && m.args[0] === 'start_test', {
          timeoutMs: 5000,
        });
        link.send('VALUE_SET|start_test|1');
        expect((await echo).line).to.equal('VALUE_SET|start_test|1');
        expect((await event).line).to.equal('VALUE_EVENT_SET|start_test');
      } finally {
        link.close();
      }

      // Ctrl-C: the terminal signals the whole foreground group (scripts/start.mjs and the CLI).
      if (process.platform === 'win32') app.child.kill('SIGINT');
      else process.kill(-app.child.pid!, 'SIGINT');
      const { code } = await withinMs(app.exit, 8000, 'a clean exit after Ctrl-C');
      expect(code, out()).to.equal(0);
    } finally {
      killAll(app.child);
    }
  });

  // Windows has no SIGTERM delivery to a child; the CLI's console paths there are Ctrl-C,
  // Ctrl-Break (SIGBREAK) and the end of a console stdin, which need a real console.
  skipIf(process.platform === 'win32', 'Windows delivers no SIGTERM to a child')(
    'stops cleanly on SIGTERM sent to it alone (service managers, `kill <pid>`), leaving the port free',
    async () => {
      const app = await start();
      try {
        await until(async () => {
          const res = await fetch(new URL('/channels', app.httpUrl));
          const { channels } = (await res.json()) as { channels: { path: string; agent: boolean }[] };
          return channels.find((c) => c.path === '/chat' && c.agent);
        }, 'the simulated agent');
        app.child.kill('SIGTERM'); // the entry process only: npm start's wrapper must pass it on
        const { code } = await withinMs(app.exit, 8000, 'a clean exit after SIGTERM');
        expect(code, app.output()).to.equal(0);
        await until(
          async () =>
            await fetch(new URL('/channels', app.httpUrl)).then(
              () => undefined,
              () => true,
            ),
          'the port to close',
          3000,
        );
      } finally {
        killAll(app.child);
      }
    },
  );
});

describe('npm start: signals to the whole process group', () => {
  after(() => {
    for (const child of children) killAll(child);
  });

  for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
    skipIf(process.platform === 'win32', 'Windows has no process groups to signal')(
      `${signal} to the group (terminal closed, systemctl stop) stops both with exit 0 (bug: the CLI died of it)`,
      async () => {
        const app = await start();
        try {
          await until(() => agentOn(app.httpUrl, '/chat'), 'the simulated agent');
          process.kill(-app.child.pid!, signal);
          const { code } = await withinMs(app.exit, 8000, `a clean exit after ${signal}`);
          expect(code, app.output()).to.equal(0);
          expect(app.output()).to.match(/stopped/);
        } finally {
          killAll(app.child);
        }
      },
    );
  }
});

describe('npm start: SIGINT sent to the wrapper alone', () => {
  after(() => {
    for (const child of children) killAll(child);
  });

  skipIf(process.platform === 'win32', 'Windows delivers no POSIX signal to a single process')(
    'is passed on after a moment, so `kill -INT <pid>` stops both (bug: the server kept running)',
    async () => {
      const app = await start();
      try {
        app.child.kill('SIGINT'); // the wrapper only, not the process group
        const { code } = await withinMs(app.exit, 8000, 'an exit after SIGINT to the wrapper');
        expect(code, app.output()).to.equal(0);
        await until(
          async () =>
            await fetch(new URL('/channels', app.httpUrl)).then(
              () => undefined,
              () => true,
            ),
          'the port to close',
          3000,
        );
      } finally {
        killAll(app.child);
      }
    },
  );
});

async function agentOn(httpUrl: string, path: string): Promise<true | undefined> {
  const res = await fetch(new URL('/channels', httpUrl));
  const { channels } = (await res.json()) as { channels: { path: string; agent: boolean }[] };
  return channels.some((c) => c.path === path && c.agent) ? true : undefined;
}

describe('npm start: one channel for the .mdf lines, the playground and a real MMDAgent-EX (issue 12 #4)', () => {
  after(() => {
    for (const child of children) killAll(child);
  });

  it('--path /shop1 puts the .mdf lines, the playground URL (?channel=) and the sim on /shop1', async () => {
    const app = await start(['--path', '/shop1']);
    try {
      await until(async () => (/Plugin_Remote_RetryCount/.test(app.output()) ? true : undefined), 'the .mdf lines');
      expect(app.output()).to.contain('  Plugin_Remote_Websocket_Directory=/shop1\n');
      expect(app.output()).to.match(/playground: http:\/\/127\.0\.0\.1:\d+\/playground\/\?channel=\/shop1\n/);
      await until(() => agentOn(app.httpUrl, '/shop1'), 'the simulated agent on /shop1');
    } finally {
      killAll(app.child);
    }
  });

  it('a real MMDAgent-EX takes the channel of the playground (bug: 429, /chat-1); the sim comes back', async () => {
    const app = await start();
    try {
      await until(() => agentOn(app.httpUrl, '/chat'), 'the simulated agent on /chat');
      const out = app.output();
      const directory = /^ {2}Plugin_Remote_Websocket_Directory=(\S+)$/m.exec(out)![1];
      const port = Number(/^ {2}Plugin_Remote_Websocket_Port=(\d+)$/m.exec(out)![1]);
      const channel = new URL(/playground: (\S+)/.exec(out)![1]).searchParams.get('channel');
      expect(channel).to.equal(directory);

      const real = await FakeAgent.connect(port, directory); // a refusal (429) would throw here
      try {
        expect(real.responseHead).to.match(/^HTTP\/1\.1 101/);
        const shown = async () => {
          const res = await fetch(new URL('/channels', app.httpUrl));
          const { channels } = (await res.json()) as {
            channels: { path: string; agent: boolean; agentSince: string | null; standIn?: boolean }[];
          };
          return channels.find((c) => c.path === channel);
        };
        // Ready (its sync echoed) and not the stand-in: the real agent holds the channel.
        await until(async () => {
          const info = await shown();
          return info?.agentSince && info.standIn === false ? true : undefined;
        }, 'the real agent on the channel');
        // A controller on the playground's channel reaches the real MMDAgent-EX, not the simulator.
        const link = await connect(`ws://127.0.0.1:${app.port}${channel}`);
        try {
          const replies: string[] = [];
          link.on('message', (m) => void replies.push(m.line));
          link.send('VALUE_SET|takeover|1');
          await real.waitLine('VALUE_SET|takeover|1', 5000).catch((err: Error) => {
            throw new Error(`${err.message}\ncontroller got ${JSON.stringify(replies)}\noutput:\n${app.output()}`);
          });
        } finally {
          link.close();
        }
        expect(
          (await fetch(new URL('/channels', app.httpUrl)).then((r) => r.json())).channels.map(
            (c: { path: string }) => c.path,
          ),
        ).not.to.include(`${channel}-1`);
      } finally {
        real.destroy();
      }
      // It left: the simulated agent is back and answers (the fake agent only echoes; the sim also sends the event).
      await until(async () => {
        const res = await fetch(new URL('/channels', app.httpUrl));
        const { channels } = (await res.json()) as { channels: { path: string; agent: boolean; standIn?: boolean }[] };
        return channels.find((c) => c.path === channel && c.agent && c.standIn) ? true : undefined;
      }, 'the simulated agent back on the channel');
      const link = await connect(`ws://127.0.0.1:${app.port}${channel}`);
      try {
        const event = link.waitFor((m) => m.type === 'VALUE_EVENT_SET' && m.args[0] === 'back', { timeoutMs: 5000 });
        link.send('VALUE_SET|back|1');
        await event;
      } finally {
        link.close();
      }
    } finally {
      killAll(app.child);
    }
  });
});

// `mmdagent-ex-remote sim` (src/node/cli/sim.ts) as a real process and in-process: how it stops,
// and arguments it must refuse.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSimCli } from '../src/node/cli/sim.js';
import { createServer } from '../src/server.js';
import { describe, it, skipIf } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

describe('sim CLI: stopping', () => {
  skipIf(process.platform === 'win32', 'Windows delivers no SIGTERM to a child')(
    'as a real process, SIGTERM stops it cleanly with exit 0 (bug: only SIGINT did; SIGTERM killed it)',
    async () => {
      const server = await createServer({ port: 0, playground: false });
      try {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(root, 'src/node/cli.ts'), 'sim', '--url', server.url, '--platform', 'windows'],
          { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d));
        child.stderr.on('data', (d: Buffer) => (output += d));
        const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
          child.on('exit', (code, signal) => resolve({ code, signal })),
        );
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`not connected within 15 s:\n${output}`)), 15_000);
          server.on('agent', () => (clearTimeout(timer), resolve()));
        });
        child.kill('SIGTERM');
        expect(await exit, output).to.deep.equal({ code: 0, signal: null });
        expect(output).to.match(/status stopped/);
      } finally {
        await server.close();
      }
    },
  );

  it('in-process, SIGBREAK (Windows Ctrl-Break) stops it too, with exit 0', async () => {
    const server = await createServer({ port: 0, playground: false });
    try {
      const { io } = capture();
      const connected = new Promise((resolve) => server.on('agent', resolve));
      const run = runSimCli(['--url', server.url, '--platform', 'windows'], io);
      await connected;
      process.emit('SIGBREAK' as 'SIGINT');
      const late = new Promise((resolve) => setTimeout(() => resolve('still running after 5 s'), 5000).unref());
      expect(await Promise.race([run, late])).to.equal(0);
    } finally {
      await server.close();
    }
  });
});

describe('sim CLI: arguments', () => {
  for (const [args, message] of [
    [['--retry', ''], /--retry must be a whole number >= 0, got ""/],
    [['--retry=-1'], /--retry must be a whole number/],
    [['--retry', '2.5'], /--retry must be a whole number/],
    [['--time-scale', ''], /--time-scale must be a number > 0/],
    [['--time-scale', '0'], /--time-scale must be a number > 0/],
    [['--content', 'full'], /--content must be example or none/],
  ] as const) {
    it(`${args.join(' ')} is refused with ERR_USAGE and exit 2 (bug: --retry '' meant 0)`, async () => {
      const { io, err } = capture();
      expect(await runSimCli(['--url', 'ws://127.0.0.1:9/chat', ...args], io)).to.equal(2);
      expect(err.join('\n'))
        .to.match(/^ERR_USAGE: sim: /)
        .and.match(message);
    });
  }
});

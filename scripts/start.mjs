// `npm start`: build when the build is missing or older than the sources, then run
// `mmdagent-ex-remote serve --sim` (server + playground + one simulated MMDAgent-EX).
// Arguments after `--` are passed on: `npm start -- --port 9002 --path /shop1`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'node', 'cli.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

// What the server and the page it serves load, and the sources they are built from.
const outputs = [cli, join(root, 'dist', 'browser.js'), join(root, 'dist', 'playground.js')];
const sources = ['src', 'playground/src'].map((d) => join(root, d)).filter((d) => existsSync(d));

function needsBuild() {
  if (!outputs.every((f) => existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  return Math.max(...sources.map(newestMtime)) > built;
}

if (needsBuild()) {
  console.log('mmdagent-ex-remote: building (first run or sources changed)...');
  // npm_execpath is npm's own JS entry, so this works the same on Windows and POSIX.
  const npm = process.env.npm_execpath;
  const result = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error('mmdagent-ex-remote: the build failed; see the output above.');
    process.exit(result.status ?? 1);
  }
}

// The IPC channel only carries the CLI's "stopping" notice (below).
const child = spawn(process.execPath, [cli, 'serve', '--sim', ...process.argv.slice(2)], {
  cwd: root,
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
});
// A stop signal may reach the child directly as well: Ctrl-C and Ctrl-Break in a console (it
// shares the console and process group), a closing terminal's SIGHUP, `systemctl stop`'s SIGTERM
// to the whole cgroup. Passing it on too would be a second signal, which the CLI takes as "exit
// now". So it is passed on only if the child has not said it is stopping by then: the signal was
// sent to this wrapper alone (`kill <pid>`, a process manager that signals one process).
let stopping = false;
child.on('message', (m) => {
  if (m === 'stopping') stopping = true;
});
for (const signal of ['SIGINT', 'SIGBREAK', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null && !stopping) child.kill(signal);
    }, 500).unref();
  });
}
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 2)));

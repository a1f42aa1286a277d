// The package as a user receives it: `npm pack` of this repository (dist/ as the last build left it)
// installed into an empty app in a temporary folder. The pack tests, the size budgets and the bench
// all measure that app, never the source tree (issue 14).
//
// The install is offline: `npm install <tarball> --offline` with the tarball's dependencies (`ws`,
// `isomorphic-ws`) copied in from this repository's node_modules first, so npm finds them satisfied
// and asks no registry (a fresh CI cache holds their tarballs but not the metadata npm would need).
//
// scripts/test-node.mjs makes one app for the whole run and passes it on in MMD_PACKED_APP; a test
// file run alone makes its own and removes it on exit. `node --import tsx test/support/pack-app.ts`
// makes one and prints its folder (for the runner and for poking at by hand).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const PACKAGE = 'mmdagent-ex-remote';

export interface PackedApp {
  /** The temporary folder holding everything below. */
  dir: string;
  /** The `npm pack` output. */
  tarball: string;
  /** The scratch app: package.json, node_modules/mmdagent-ex-remote installed from the tarball. */
  app: string;
  /** The installed package inside the app. */
  installed: string;
  /** Paths inside the tarball, as `npm pack --json` listed them. */
  files: string[];
}

/** Runs npm the way the current npm does (npm_execpath under `npm test`), on every platform. */
export function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const execPath = process.env.npm_execpath;
  const viaNode = execPath !== undefined && /\.c?js$/.test(execPath);
  return spawnSync(viaNode ? process.execPath : 'npm', viaNode ? [execPath, ...args] : args, {
    cwd,
    encoding: 'utf8',
    shell: !viaNode && process.platform === 'win32',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
}

function must(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0) {
    throw new Error(`${what} failed (status ${result.status}):\n${result.stderr || ''}${result.stdout || ''}`);
  }
  return result.stdout;
}

/** A package and the packages it depends on, transitively, as this repository installed them. */
function dependencyClosure(names: string[], seen = new Set<string>()): Set<string> {
  for (const name of names) {
    if (seen.has(name)) continue;
    const manifest = join(repoRoot, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) throw new Error(`${name} is not installed here: run npm install`);
    seen.add(name);
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> };
    dependencyClosure(Object.keys(pkg.dependencies ?? {}), seen);
  }
  return seen;
}

/** Links a package of this repository's node_modules into the app (a junction on Windows: no admin needed). */
export function linkFromRepo(app: string, name: string): void {
  const target = join(app, 'node_modules', name);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules', name), target, 'junction');
}

/** Packs this repository and installs the tarball into a new scratch app under `dir`. */
export function createPackedApp(dir = mkdtempSync(join(tmpdir(), 'mmd-pack-'))): PackedApp {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(repoRoot, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before the pack tests');
  }
  // --ignore-scripts: prepack would rebuild, and dist/ is what this run has just built and tests.
  const packed = must(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], repoRoot), 'npm pack');
  const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const tarball = join(dir, info.filename);
  const app = join(dir, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'scratch-app', private: true, type: 'module' })}\n`,
  );
  const ours = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of dependencyClosure(Object.keys(ours.dependencies ?? {}))) {
    cpSync(join(repoRoot, 'node_modules', name), join(app, 'node_modules', name), { recursive: true });
  }
  must(
    npm(['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], app),
    `npm install --offline ${info.filename} into the scratch app`,
  );
  const packedApp: PackedApp = {
    dir,
    tarball,
    app,
    installed: join(app, 'node_modules', PACKAGE),
    files: info.files.map((f) => f.path),
  };
  writeFileSync(join(dir, 'packed.json'), JSON.stringify(packedApp, null, 2));
  return packedApp;
}

let cached: PackedApp | undefined;

/** The run's packed app (MMD_PACKED_APP), or one made for this process and removed when it exits. */
export function packedApp(): PackedApp {
  if (cached) return cached;
  const shared = process.env.MMD_PACKED_APP;
  if (shared && existsSync(join(shared, 'packed.json'))) {
    cached = JSON.parse(readFileSync(join(shared, 'packed.json'), 'utf8')) as PackedApp;
    return cached;
  }
  cached = createPackedApp();
  const dir = cached.dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return cached;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const made = createPackedApp(process.argv[2]);
  process.stdout.write(`${made.dir}\n`);
}

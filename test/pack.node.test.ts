// The package as users receive it (issue 14): what `npm pack` puts in the tarball, the ecosystem's
// own checks of it (publint, @arethetypeswrong/cli), its types in a strict app under every module
// resolution TypeScript offers for ESM, and a lockfile that `npm install` leaves as it is.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { describe, it } from './harness.js';
import { linkFromRepo, npm, packedApp, repoRoot } from './support/pack-app.js';

const app = packedApp();
const manifest = JSON.parse(readFileSync(join(app.installed, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
};
const shipped = new Set(app.files);

/** Every file an `exports` condition or `bin` names. */
function targets(): string[] {
  const out: string[] = [];
  for (const value of Object.values(manifest.exports)) {
    if (typeof value === 'string') out.push(value);
    else out.push(...Object.values(value));
  }
  out.push(...Object.values(manifest.bin));
  return [...new Set(out)].map((p) => p.replace(/^\.\//, ''));
}

describe('the tarball', () => {
  it('holds every file that exports and bin name, the licence, the docs and the examples', () => {
    const missing = targets().filter((t) => !shipped.has(t));
    expect(missing, 'exports/bin targets missing from the tarball').to.deep.equal([]);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'examples/README.md', 'dist/types/index.d.ts']) {
      expect(shipped.has(f), f).to.equal(true);
    }
    expect(readFileSync(join(app.installed, 'LICENSE'), 'utf8')).to.match(/^MIT License/);
  });

  it('ships no sources, tests, build intermediates or temporary folders', () => {
    const stray = app.files.filter((f) =>
      /^(src|test|build|bench|scripts|\.tmp|node_modules|playground\/src)\//.test(f),
    );
    expect(stray).to.deep.equal([]);
  });

  it('keeps the module structure for bundlers: one unminified ES module per source module', () => {
    for (const f of ['dist/index.js', 'dist/line.js', 'dist/message.js', 'dist/server.js', 'dist/node/index.js']) {
      expect(shipped.has(f), f).to.equal(true);
    }
    const line = readFileSync(join(app.installed, 'dist', 'line.js'), 'utf8');
    expect(line.split('\n').length, 'dist/line.js is not minified').to.be.greaterThan(20);
  });

  it('the bin starts with exactly one hashbang', () => {
    const bin = readFileSync(join(app.installed, Object.values(manifest.bin)[0]), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).to.equal(true);
    expect(bin.indexOf('#!', 2)).to.equal(-1);
  });

  it('every source map resolves: its sources are inside it, and every sourceMappingURL names a shipped map', () => {
    const maps = app.files.filter((f) => f.endsWith('.map'));
    expect(maps.length, 'the minified bundles ship their maps').to.be.greaterThan(0);
    for (const file of maps) {
      const map = JSON.parse(readFileSync(join(app.installed, file), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      expect(map.sourcesContent?.length, `${file}: sourcesContent`).to.equal(map.sources.length);
      map.sourcesContent!.forEach((content, i) => expect(content, `${file}: ${map.sources[i]}`).to.be.a('string'));
    }
    for (const file of app.files.filter((f) => f.endsWith('.js'))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(app.installed, file), 'utf8'))?.[1];
      if (url === undefined) continue;
      const target = join(file, '..', url).replaceAll('\\', '/');
      expect(shipped.has(target), `${file} points at ${target}`).to.equal(true);
    }
  });

  it('is built by npm pack (prepack) and by an install from git (prepare, the one script npm runs there)', () => {
    expect(manifest.scripts.prepack).to.match(/scripts\/build\.mjs/);
    expect(manifest.scripts.prepare).to.match(/scripts\/build\.mjs .*--if-missing/);
  });
});

describe("the ecosystem's checks of the tarball", () => {
  it('publint: no errors, no warnings, no suggestions', async () => {
    const bytes = readFileSync(app.tarball);
    const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const { messages, pkg } = await publint({ pack: { tarball }, level: 'suggestion', strict: true });
    const text = messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`);
    expect(text).to.deep.equal([]);
  });

  it('@arethetypeswrong/cli (ESM-only profile): every entry resolves its types under node16 and bundler', () => {
    const cli = join(repoRoot, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const result = spawnSync(process.execPath, [cli, app.tarball, '--profile', 'esm-only', '--no-color'], {
      encoding: 'utf8',
    });
    expect(result.status, `${result.stdout}\n${result.stderr}`).to.equal(0);
  });
});

// Under every ESM resolution of TypeScript, strict, skipLibCheck off, and without @types/ws: the
// published .d.ts files must not need it (TS7016 before). `./server` needs @types/node (it is a
// Node API); the core alone needs nothing but the DOM lib.
const USE_ALL = `import { connect, synthStart, parseEvent, MmdError, type AgentLink } from 'mmdagent-ex-remote';
import { createServer, startSim, type MmdServer } from 'mmdagent-ex-remote/server';
export async function main(): Promise<void> {
  const server: MmdServer = await createServer({ port: 0 });
  const sim = await startSim({ url: server.url });
  const link: AgentLink = await connect(server.url);
  link.send(synthStart('0', 'mei_voice_normal', 'hi'));
  const ev = parseEvent(await link.waitFor('SYNTH_START'));
  if (ev.known && ev.type === 'SYNTH_START') console.log(ev.text, sim.violations, MmdError);
}
`;
const USE_CORE = `import { connect, encodeLine, LineDecoder, parseMdf, type AgentLink } from 'mmdagent-ex-remote';
export async function main(): Promise<AgentLink> {
  new LineDecoder().push(new TextEncoder().encode(encodeLine('A|b')));
  parseMdf('A=1\\n').get('A');
  return connect('ws://127.0.0.1:9001/chat');
}
`;

const TYPE_SETUPS = [
  { name: 'NodeNext', module: 'nodenext', moduleResolution: 'nodenext', file: 'all.ts', types: ['node'] },
  { name: 'Bundler', module: 'esnext', moduleResolution: 'bundler', file: 'all.ts', types: ['node'] },
  { name: 'Preserve', module: 'preserve', moduleResolution: 'bundler', file: 'all.ts', types: ['node'] },
  {
    name: 'Bundler, core only, no @types/node',
    module: 'esnext',
    moduleResolution: 'bundler',
    file: 'core.ts',
    types: [],
  },
];

describe('types in a strict app (skipLibCheck: false, no @types/ws)', () => {
  const dir = join(app.app, 'typecheck');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'all.ts'), USE_ALL);
  writeFileSync(join(dir, 'core.ts'), USE_CORE);
  linkFromRepo(app.app, '@types/node');
  linkFromRepo(app.app, 'undici-types'); // @types/node's own dependency

  it('@types/ws is not reachable from the app (so the check below can fail)', () => {
    expect(existsSync(join(app.app, 'node_modules', '@types', 'ws'))).to.equal(false);
  });

  for (const setup of TYPE_SETUPS) {
    it(`${setup.name}: the package's types check`, () => {
      const config = join(dir, `tsconfig.${setup.name.replace(/\W+/g, '-')}.json`);
      const compilerOptions = {
        module: setup.module,
        moduleResolution: setup.moduleResolution,
        target: 'es2022',
        lib: ['es2022', 'dom'],
        types: setup.types,
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      };
      writeFileSync(config, JSON.stringify({ compilerOptions, files: [setup.file] }, null, 2));
      const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = spawnSync(process.execPath, [tsc, '-p', config], { cwd: dir, encoding: 'utf8' });
      expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0);
    });
  }
});

describe('the lockfile', () => {
  it('npm install leaves package-lock.json as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmd-lock-'));
    try {
      for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(repoRoot, f), join(dir, f));
      const result = npm(['install', '--package-lock-only', '--offline', '--ignore-scripts'], dir);
      expect(result.status, `npm install --package-lock-only --offline: ${result.stderr}`).to.equal(0);
      const after = readFileSync(join(dir, 'package-lock.json'), 'utf8');
      const before = readFileSync(join(repoRoot, 'package-lock.json'), 'utf8');
      expect(
        after === before,
        'npm install rewrites package-lock.json: run npm install and commit the lockfile',
      ).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

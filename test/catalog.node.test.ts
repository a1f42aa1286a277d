// Node-only checks of the catalog: generated files are fresh, and the catalog tree-shakes.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from './harness.js';
import { bundleEntry as bundle } from './support/bundle-size.js';
import { parseEvent } from '../src/catalog/index.js';
import { CATALOG } from '../src/catalog/spec.js';
import { parseMessage } from '../src/message.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const gen = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen.ts', ...args], { cwd: root, encoding: 'utf8' });

const GENERATED = [
  'src/catalog/types.ts',
  'src/catalog/commands.ts',
  'src/catalog/table.ts',
  'src/catalog/spec.ts',
  'docs/messages.md',
  'playground/catalog.js',
];

describe('catalog generation (npm run gen)', () => {
  it('every generated file matches protocol/messages.json and kinds.ts (run npm run gen)', () => {
    const run = gen('--check');
    expect(run.stderr, run.stderr).to.equal('');
    expect(run.status).to.equal(0);
  });

  it('--check names each stale file and exits 1; a run without it writes them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmd-gen-'));
    try {
      cpSync(join(root, 'protocol'), join(dir, 'protocol'), { recursive: true });
      for (const file of GENERATED) {
        mkdirSync(join(dir, file, '..'), { recursive: true });
        cpSync(join(root, file), join(dir, file));
      }
      expect(gen('--check', `--root=${dir}`).status).to.equal(0);
      // a new description shows in the docs, the full entries and the playground, not in the types
      const data = readFileSync(join(dir, 'protocol/messages.json'), 'utf8');
      const changed = data.replace('"description": "new, unique alias"', '"description": "a new, unique alias"');
      expect(changed).not.to.equal(data);
      writeFileSync(join(dir, 'protocol/messages.json'), changed);
      const stale = gen('--check', `--root=${dir}`);
      expect(stale.status).to.equal(1);
      expect(stale.stderr).to.contain('npm run gen');
      const named = GENERATED.filter((f) => stale.stderr.includes(f));
      expect(named).to.deep.equal(['src/catalog/spec.ts', 'docs/messages.md', 'playground/catalog.js']);
      expect(gen(`--root=${dir}`).status).to.equal(0);
      expect(gen('--check', `--root=${dir}`).status).to.equal(0);
      expect(readFileSync(join(dir, 'docs/messages.md'), 'utf8')).to.contain('a new, unique alias');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CATALOG holds every entry of protocol/messages.json, in order', () => {
    const data: { name: string; form?: string; direction: string }[] = JSON.parse(
      readFileSync(join(root, 'protocol/messages.json'), 'utf8'),
    );
    const key = (e: { name: string; form?: string; direction: string }) => `${e.direction} ${e.name}:${e.form ?? ''}`;
    expect(CATALOG.map(key)).to.deep.equal(data.map(key));
  });
});

describe('catalog tree-shaking', () => {
  it('one builder does not pull in the other builders, the parse table or parseEvent', async () => {
    const one = await bundle("export { synthStart } from './src/index.ts'");
    const message = await bundle("export { formatMessage, formatNumber } from './src/message.ts'");
    console.log(
      `  synthStart alone: ${one.bytes} B min, ${one.gzip} B gzip ` +
        `(formatMessage+formatNumber alone: ${message.bytes} B, ${message.gzip} B gzip)`,
    );
    expect(one.code).to.contain('SYNTH_START');
    for (const other of ['MODEL_ADD', 'MOTION_EVENT_DELETE', 'modelAlias', 'PLUGIN_EVENT_ENABLE'])
      expect(one.code).not.to.contain(other);
    // what the builder adds on top of the wire codec it needs: the shared helper (with its fast
    // path for all-string commands, ~200 B for ~30 % more builder speed) and itself
    expect(one.bytes - message.bytes).to.be.below(2100);
  });

  it('parseEvent does not pull in the builders', async () => {
    const parse = await bundle("export { parseEvent } from './src/index.ts'");
    const all = await bundle("export * from './src/catalog/index.ts'");
    const builders = await bundle("export { commands } from './src/index.ts'");
    console.log(
      `  parseEvent: ${parse.bytes} B min, ${parse.gzip} B gzip; ` +
        `all builders: ${builders.bytes} B, ${builders.gzip} B gzip; whole catalog: ${all.bytes} B, ${all.gzip} B gzip`,
    );
    expect(parse.code).not.to.contain('MmdError');
    expect(parse.code).not.to.contain('ERR_BAD_ARGUMENT');
    // measured 3 406 B and 7 903 B before the kinds table (kinds.ts): +300 B each for readers and
    // writers as objects of one table rather than one switch, and the { phoneme, ms } pairs
    expect(parse.gzip).to.be.below(3800);
    expect(all.gzip).to.be.below(8700);
  });
});

describe('catalog against the real app', () => {
  it('every frame MMDAgent-EX sent in the recordings parses as known (real-client/transcripts.md)', () => {
    const md = readFileSync(`${root}protocol/real-client/transcripts.md`, 'utf8');
    // table rows: | # | t | ← c2s | `FRAME\n` |, with "|" escaped as "\|"
    const frames = [...md.matchAll(/^\| \d+ \| [^|]+ \| ← c2s \| `(.*)\\n` \|$/gm)].map((m) =>
      m[1].replace(/\\\|/g, '|'),
    );
    expect(frames.length).to.be.above(200);
    const unknown = new Set<string>();
    for (const frame of frames) {
      const ev = parseEvent(parseMessage(frame));
      if (!ev.known) unknown.add(`${frame}: ${ev.reason}`);
    }
    // the recording sent these two made-up types on purpose, and they came back as echoes
    expect([...unknown].map((u) => u.split('|')[0]).sort()).to.deep.equal(['FOO_BAR', 'IDLE_PROBE']);
  });
});

// `npm run bench [-- NAME ...] [--quick] [--write]`: runs the benchmarks (all, or those named),
// prints a table per benchmark with ratio, target and PASS/MISS, and with --write puts the
// tables into docs/performance.md between its results markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineLine, markdownTable, sink, textTable, verdict } from './lib.js';
import type { Mode, Table } from './lib.js';

type Bench = (mode: Mode) => Promise<Table[]>;

export const BENCHES: Record<string, () => Promise<Bench>> = {
  line: async () => (await import('./line.js')).run,
  message: async () => (await import('./message.js')).run,
  audio: async () => (await import('./audio.js')).run,
  relay: async () => (await import('./relay.js')).run,
  scale: async () => (await import('./scale.js')).run,
  fleet: async () => (await import('./fleet.js')).run,
  bundle: async () => (await import('./bundle.js')).run,
};

const DOC = fileURLToPath(new URL('../docs/performance.md', import.meta.url));
const BEGIN = '<!-- bench:results -->';
const END = '<!-- /bench:results -->';

async function main(argv: string[]): Promise<void> {
  const flags = argv.filter((a) => a.startsWith('--'));
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknownFlag = flags.find((f) => f !== '--quick' && f !== '--write');
  const unknownName = names.find((n) => !(n in BENCHES));
  if (unknownFlag || unknownName) {
    console.error(
      `unknown ${unknownFlag ? `flag ${unknownFlag}` : `benchmark ${unknownName}`}; usage: npm run bench -- ` +
        `[${Object.keys(BENCHES).join('|')} ...] [--quick] [--write]`,
    );
    process.exit(2);
  }
  const mode: Mode = flags.includes('--quick') ? 'quick' : 'full';
  const selected = names.length ? names : Object.keys(BENCHES);
  console.log(`mmdagent-ex-remote benchmarks (${mode}) on ${machineLine()}\n`);
  const tables: Table[] = [];
  const started = performance.now();
  for (const name of selected) {
    const t0 = performance.now();
    const bench = await BENCHES[name]();
    for (const table of await bench(mode)) {
      tables.push(table);
      console.log(textTable(table));
    }
    console.log(`  (${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  const rows = tables.flatMap((t) => t.rows);
  const missed = rows.filter((r) => verdict(r) === 'MISS');
  const judged = rows.filter((r) => verdict(r) !== 'info');
  console.log(
    `${judged.length - missed.length}/${judged.length} targets met` +
      (missed.length ? `; missed: ${missed.map((r) => r.name).join('; ')}` : ''),
  );
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s (checksum ${sink()})`);
  if (flags.includes('--write')) writeDoc(tables, mode, selected);
}

function writeDoc(tables: Table[], mode: Mode, selected: string[]): void {
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC} lacks the ${BEGIN} … ${END} markers`);
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench${mode === 'quick' ? ' -- --quick' : ''}`;
  const subset = selected.length < Object.keys(BENCHES).length ? ` (${selected.join(', ')})` : '';
  const body = [
    `Measured ${date} with \`${command}\`${subset} on ${machineLine()}.`,
    ...tables.map(markdownTable),
  ].join('\n\n');
  writeFileSync(DOC, `${doc.slice(0, from + BEGIN.length)}\n${body}\n${doc.slice(to)}`);
  console.log(`wrote ${DOC}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}

// Timing, statistics and table helpers shared by every benchmark. Contenders run interleaved
// (A B C, A B C, ...) so that drift in CPU frequency or GC pressure hits all of them alike, and
// every figure is the median of several rounds after a warm-up.
import { cpus } from 'node:os';

/** full: the published figures; quick: a short run for development; smoke: the test suite's proof that it runs. */
export type Mode = 'full' | 'quick' | 'smoke';

/** A target on a ratio: `>= 0.7` means ours must reach at least 0.7× the baseline's figure. */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface Row {
  name: string;
  /** Our figure, formatted. */
  ours: string;
  /** The baseline's figure, formatted; '' when the row has none. */
  baseline: string;
  ratio?: number;
  target?: Target;
  note?: string;
}

export interface Table {
  title: string;
  rows: Row[];
  /** What was measured and how, printed under the table. */
  notes: string[];
}

export type Verdict = 'PASS' | 'MISS' | 'info';

export function verdict(row: Row): Verdict {
  if (!row.target || row.ratio === undefined || !Number.isFinite(row.ratio)) return 'info';
  const { op, value } = row.target;
  return (op === '>=' ? row.ratio >= value : row.ratio <= value) ? 'PASS' : 'MISS';
}

// Results land here so the JIT cannot prove them unused; run.ts prints it once at the end.
let sinkValue = 0;
export function consume(x: number): void {
  sinkValue = (sinkValue + x) | 0;
}
export function sink(): number {
  return sinkValue;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** One workload run once; returns a number derived from the output (consumed, and compared across contenders). */
export type Contender = () => number;

export interface ThroughputOptions {
  /** Rounds measured after warm-up; the median is reported. */
  rounds: number;
  /** Target duration of one contender's round, in ms; sets the repetitions per round. */
  roundMs: number;
}

export const throughputOptions: Record<Mode, ThroughputOptions> = {
  full: { rounds: 7, roundMs: 120 },
  quick: { rounds: 3, roundMs: 40 },
  smoke: { rounds: 1, roundMs: 1 },
};

/**
 * Median time of one run of each contender, in ms. Checks first that every contender returns
 * the same checksum (same data, same output), then warms up and calibrates the repetitions so a
 * round lasts about `roundMs`, then measures interleaved rounds.
 */
export function timeContenders(contenders: Record<string, Contender>, opts: ThroughputOptions): Record<string, number> {
  const names = Object.keys(contenders);
  const checks = names.map((n) => contenders[n]());
  if (checks.some((c) => c !== checks[0])) {
    throw new Error(`contenders disagree on the output: ${names.map((n, i) => `${n}=${checks[i]}`).join(', ')}`);
  }
  const reps: Record<string, number> = {};
  for (const name of names) {
    const fn = contenders[name];
    // Warm-up doubles as calibration: run until ~roundMs has passed at least twice over.
    let n = 0;
    const start = performance.now();
    do {
      consume(fn());
      n++;
    } while (performance.now() - start < Math.max(2 * opts.roundMs, 1) && n < 1e6);
    const per = (performance.now() - start) / n;
    reps[name] = Math.max(1, Math.round(opts.roundMs / Math.max(per, 1e-6)));
  }
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < opts.rounds; r++) {
    for (const name of names) {
      const fn = contenders[name];
      const k = reps[name];
      const start = performance.now();
      for (let i = 0; i < k; i++) consume(fn());
      samples[name].push((performance.now() - start) / k);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

// ---- formatting ----------------------------------------------------------------------------

export function fmtRate(perSecond: number, unit: string): string {
  if (!Number.isFinite(perSecond)) return String(perSecond);
  if (perSecond >= 1e9) return `${(perSecond / 1e9).toFixed(2)} G${unit}/s`;
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M${unit}/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k${unit}/s`;
  return `${perSecond.toFixed(1)} ${unit}/s`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

export function fmtBytes(bytes: number): string {
  if (Math.abs(bytes) >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
  if (Math.abs(bytes) >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${Math.round(bytes)} B`;
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined) return '';
  if (!Number.isFinite(r)) return String(r);
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

export function fmtTarget(t: Target | undefined): string {
  return t ? `${t.op === '>=' ? '≥' : '≤'} ${t.value}×` : '';
}

const HEAD = ['measurement', 'ours', 'baseline', 'ratio', 'target', 'result'];

function cells(row: Row): string[] {
  return [
    row.name,
    row.ours,
    row.baseline,
    fmtRatio(row.ratio),
    fmtTarget(row.target),
    verdict(row) === 'info' ? '' : verdict(row),
  ];
}

/** A fixed-width text table for the terminal. */
export function textTable(t: Table): string {
  const body = t.rows.map(cells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [`## ${t.title}`, line(HEAD), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const [i, r] of body.entries()) {
    out.push(line(r));
    if (t.rows[i].note) out.push(`    ${t.rows[i].note}`);
  }
  for (const n of t.notes) out.push(`  * ${n}`);
  return out.join('\n');
}

/** The same table in Markdown, for docs/performance.md. */
export function markdownTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`### ${t.title}`, '', `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`];
  for (const row of t.rows) {
    const c = cells(row).map(esc);
    if (row.note) c[0] += ` (${esc(row.note)})`;
    out.push(`| ${c.join(' | ')} |`);
  }
  if (t.notes.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export function machineLine(): string {
  const cpu = cpus();
  return (
    `Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ` +
    `${cpu[0]?.model.trim() ?? 'unknown CPU'}`
  );
}

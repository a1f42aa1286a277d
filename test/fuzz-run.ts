// Fuzzes every parser with generated inputs (test/support/fuzz-gen.ts): only MmdError may be
// thrown, no input may take over the time bound, round trips must hold.
//
//   node --import tsx test/fuzz-run.ts [--count N] [--seed S] [--only name[,name]] [--bound MS]
//
// Each target runs in a worker thread watched from here, so an input that never returns (a real
// hang, which no in-thread timer can catch) is reported too: the worker publishes the index of
// the input it is on, and the watcher regenerates that input from the seed to print it.
// Deterministic: the same seed gives the same inputs. Exits 1 on any failure.
import fc from 'fast-check';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { FUZZ_TARGETS, TIME_BOUND_MS, fuzzProperty, show, timed } from './support/fuzz-gen.js';

interface Job {
  name: string;
  count: number;
  seed: number;
  bound: number;
  progress: SharedArrayBuffer;
}

interface Outcome {
  name: string;
  parser: string;
  runs: number;
  failed: boolean;
  ms: number;
  report?: string;
}

/** The watcher declares a hang when the input index has not moved for this long. */
const HANG_MS = 10_000;

function runJob(job: Job): Outcome {
  const target = FUZZ_TARGETS.find((t) => t.name === job.name)!;
  const progress = new Int32Array(job.progress);
  const check = timed(target.check, job.bound);
  let runs = 0;
  const property = fc.property(target.arbitrary, (input) => {
    Atomics.store(progress, 0, ++runs);
    check(input);
  });
  const t0 = performance.now();
  const details = fc.check(property, {
    numRuns: job.count,
    seed: job.seed,
    endOnFailure: false,
    markInterruptAsFailure: true,
  });
  const ms = performance.now() - t0;
  Atomics.store(progress, 0, -1); // done: shrinking is over, nothing more to watch
  let report: string | undefined;
  if (details.failed) {
    const [input] = details.counterexample ?? [undefined];
    const err = details.errorInstance;
    report = [
      `seed ${details.seed}, path "${details.counterexamplePath}", failed after ${details.numRuns} run(s), ` +
        `${details.numShrinks} shrink(s)`,
      `minimal input: ${show(input)}`,
      `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      `replay: node --import tsx test/fuzz-run.ts --only ${job.name} --seed ${job.seed} --count ${job.count}`,
    ].join('\n  ');
  }
  return { name: target.name, parser: target.parser, runs: details.numRuns, failed: details.failed, ms, report };
}

function parseArgs(argv: string[]): { count: number; seed: number; only?: string[]; bound: number } {
  const opts = {
    count: 100_000,
    seed: Date.now() % 2 ** 31,
    only: undefined as string[] | undefined,
    bound: TIME_BOUND_MS,
  };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const number = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${argv[i]} needs a whole number, got ${value}`);
      i++;
      return n;
    };
    if (argv[i] === '--count') opts.count = number();
    else if (argv[i] === '--seed') opts.seed = number();
    else if (argv[i] === '--bound') opts.bound = number();
    else if (argv[i] === '--only') ((opts.only = value.split(',')), i++);
    else throw new Error(`unknown option ${argv[i]}; use --count N, --seed S, --only name[,name], --bound MS`);
  }
  const unknown = opts.only?.filter((n) => !FUZZ_TARGETS.some((t) => t.name === n));
  if (unknown?.length)
    throw new Error(`no target ${unknown.join(', ')}; targets: ${FUZZ_TARGETS.map((t) => t.name).join(', ')}`);
  return opts;
}

// Node 20 does not pass tsx's loader on to workers: the worker registers it, then loads this file.
const TSX_API = new URL('../node_modules/tsx/dist/esm/api/index.mjs', import.meta.url).href;
const REGISTER = `import { register } from ${JSON.stringify(TSX_API)}; register();`;
const BOOT = `${REGISTER} await import(${JSON.stringify(import.meta.url)});`;
const WORKER_BOOT = new URL(`data:text/javascript,${encodeURIComponent(BOOT)}`);

/** Runs one job in a worker; resolves with its outcome or a hang report. */
function watch(job: Job): Promise<Outcome> {
  const target = FUZZ_TARGETS.find((t) => t.name === job.name)!;
  const progress = new Int32Array(job.progress);
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_BOOT, { workerData: job });
    const t0 = performance.now();
    let last = 0;
    let lastMove = t0;
    const timer = setInterval(() => {
      const at = Atomics.load(progress, 0);
      if (at !== last) return void ((last = at), (lastMove = performance.now()));
      if (at < 0 || performance.now() - lastMove < HANG_MS) return;
      clearInterval(timer);
      void worker.terminate();
      // regenerate input number `at` from the same seed (fast-check's sample draws the same values);
      // past `count` the hang came while shrinking an earlier failure, whose input is not known here
      const input =
        at <= job.count
          ? show(fc.sample(fuzzProperty(target), { seed: job.seed, numRuns: at })[at - 1][0])
          : 'a shrunk input (hang while shrinking a failure)';
      resolve({
        name: target.name,
        parser: target.parser,
        runs: Math.min(at, job.count),
        failed: true,
        ms: performance.now() - t0,
        report: `input ${at} did not return within ${HANG_MS} ms (hang), seed ${job.seed}\n  input: ${input}`,
      });
    }, 250);
    worker.once('message', (outcome: Outcome) => (clearInterval(timer), resolve(outcome)));
    worker.once('error', (err) => (clearInterval(timer), reject(err)));
  });
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const targets = FUZZ_TARGETS.filter((t) => !opts.only || opts.only.includes(t.name));
  console.log(`fuzz: seed ${opts.seed}, ${opts.count} inputs per target, bound ${opts.bound} ms per input`);
  const outcomes: Outcome[] = [];
  for (const t of targets) {
    const outcome = await watch({
      name: t.name,
      count: opts.count,
      seed: opts.seed,
      bound: opts.bound,
      progress: new SharedArrayBuffer(4),
    });
    outcomes.push(outcome);
    const rate = Math.round(outcome.runs / (outcome.ms / 1000));
    console.log(
      `${outcome.failed ? 'FAIL' : 'ok  '} ${t.name.padEnd(18)} ${t.parser.padEnd(16)} ` +
        `${String(outcome.runs).padStart(8)} inputs ${(outcome.ms / 1000).toFixed(1).padStart(6)} s ` +
        `${String(rate).padStart(8)} inputs/s`,
    );
    if (outcome.report) console.log(`  ${outcome.report}`);
  }
  console.log('per parser:');
  const parsers = [...new Set(outcomes.map((o) => o.parser))];
  for (const p of parsers) {
    const mine = outcomes.filter((o) => o.parser === p);
    const runs = mine.reduce((n, o) => n + o.runs, 0);
    const ms = mine.reduce((n, o) => n + o.ms, 0);
    const failures = mine.filter((o) => o.failed).length;
    console.log(
      `  ${p.padEnd(16)} ${String(runs).padStart(8)} inputs, ${failures} failure(s), ` +
        `${Math.round(runs / (ms / 1000))} inputs/s`,
    );
  }
  const failed = outcomes.filter((o) => o.failed).length;
  console.log(
    failed
      ? `${failed} target(s) FAILED (seed ${opts.seed})`
      : `all ${outcomes.length} targets passed (seed ${opts.seed})`,
  );
  return failed ? 1 : 0;
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
} else {
  parentPort!.postMessage(runJob(workerData as Job));
}

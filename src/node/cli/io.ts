// What every command of `mmdagent-ex-remote` shares: where its output goes (CliIo), its exit
// codes, the one argument parser (node:util parseArgs) and how a long-running command is stopped.
import { parseArgs } from 'node:util';
import { MmdError, isMmdError } from '../../errors.js';

/** Where a command writes and what stops it. `out`/`err` take whole lines, without their "\n". */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Stops `serve` and `sim` when aborted (tests, embedding); without it, see stopRequested(). */
  signal?: AbortSignal;
}

export const EXIT_OK = 0;
/** Problems found, a key absent, a failure. */
export const EXIT_FAIL = 1;
/** The command was called the wrong way (ERR_USAGE). */
export const EXIT_USAGE = 2;

export const consoleIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  /** As typed after `mmdagent-ex-remote`, e.g. `serve` or `mdf set`: named in every error. */
  name: string;
  usage: string;
  options: O;
  /** Positional arguments allowed (default none). */
  positionals?: { min: number; max: number };
  /** Positionals may look like negative numbers (`-0.5,1,0` as an .mdf value) instead of short options. */
  dashValues?: boolean;
}

type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string;
};

export type Parsed<O extends Record<string, OptionSpec>> =
  { help: true } | { help: false; values: Values<O>; positionals: string[] };

export function usageError(spec: { name: string }, message: string): MmdError {
  return new MmdError('ERR_USAGE', `${spec.name}: ${message} (see mmdagent-ex-remote ${spec.name} --help)`);
}

/**
 * The one parser of every command: node:util's parseArgs, plus `--help`/`-h` on each command,
 * errors that name the command, and the strict checks done here on parseArgs' tokens so that a
 * positional may start with a dash where the command allows it.
 */
export function parseCommand<O extends Record<string, OptionSpec>>(args: string[], spec: CommandSpec<O>): Parsed<O> {
  const options = { ...spec.options, help: { type: 'boolean', short: 'h' } } as Record<string, OptionSpec>;
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const terminator = tokens.find((t) => t.kind === 'option-terminator')?.index ?? args.length;
  const asksHelp = (t: (typeof tokens)[number]) =>
    t.kind === 'option' && t.index < terminator && (args[t.index] === '-h' || args[t.index] === '--help');
  if (tokens.some(asksHelp)) return { help: true };
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const seenAsPositional = new Set<number>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    const raw = args[token.index];
    if (spec.dashValues && /^-[\d.]/.test(raw)) {
      // A short-option group like -0.5 comes as several tokens of one argument.
      if (!seenAsPositional.has(token.index)) positionals.push(raw);
      seenAsPositional.add(token.index);
      continue;
    }
    const known = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (!known) throw usageError(spec, `unknown option ${token.rawName}`);
    if (known.type === 'boolean') {
      if (token.inlineValue) throw usageError(spec, `${token.rawName} takes no value`);
      values[token.name] = true;
      continue;
    }
    // parseArgs (not strict) takes the next argument whatever it is; `--port --host` is a mistake.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
      throw usageError(spec, `${token.rawName} needs a value (write ${token.rawName}=VALUE for one starting with -)`);
    }
    if (known.multiple) values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), token.value];
    else values[token.name] = token.value;
  }
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (positionals.length > max) {
    throw usageError(spec, max === 0 ? `unexpected argument ${JSON.stringify(positionals[0])}` : 'too many arguments');
  }
  if (positionals.length < min) throw usageError(spec, 'missing arguments');
  return { help: false, values: values as Values<O>, positionals };
}

/** Prints a failure the way every command does, and gives its exit code. */
export function reportFailure(io: CliIo, err: unknown, usage?: string): number {
  if (isMmdError(err, 'ERR_USAGE')) {
    io.err(`ERR_USAGE: ${err.message}`);
    if (usage) io.err(usage);
    return EXIT_USAGE;
  }
  io.err(isMmdError(err) ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err));
  return EXIT_FAIL;
}

/**
 * Resolves when the command should stop: on `io.signal`, or without one on Ctrl-C (SIGINT),
 * SIGTERM (service managers, `kill`), SIGHUP (the terminal closed), and on Windows Ctrl-Break
 * (SIGBREAK) and the end of a console's input. The listeners go after the first, so a second
 * Ctrl-C ends the process at once.
 */
export function stopRequested(io: CliIo): { stopped: Promise<string>; dispose(): void } {
  let dispose = () => {};
  const stopped = new Promise<string>((resolve) => {
    if (io.signal) {
      const onAbort = () => resolve('abort');
      if (io.signal.aborted) return resolve('abort');
      io.signal.addEventListener('abort', onAbort, { once: true });
      dispose = () => io.signal?.removeEventListener('abort', onAbort);
      return;
    }
    const windowsConsole = process.platform === 'win32' && process.stdin.isTTY;
    // SIGBREAK is only ever raised on Windows; listening for it elsewhere is allowed and harmless.
    // SIGHUP: the terminal closed (on Windows, the console window), which would otherwise kill the
    // process without the clean close its agent and controllers are owed.
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGBREAK', 'SIGHUP'];
    const handlers = signals.map((s) => [s, () => (dispose(), resolve(s))] as const);
    const onEnd = () => (dispose(), resolve('end of input'));
    dispose = () => {
      for (const [s, h] of handlers) process.off(s, h);
      if (windowsConsole) process.stdin.off('end', onEnd).pause();
    };
    for (const [s, h] of handlers) process.on(s, h);
    if (windowsConsole) process.stdin.on('end', onEnd).resume();
  });
  return { stopped, dispose: () => dispose() };
}

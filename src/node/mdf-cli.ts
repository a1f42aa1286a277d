// `mmdagent-ex-remote mdf lint|get|set|delete ...`: the .mdf tools on files. Files are read and
// written as bytes, so everything the edit does not touch (BOM, CRLF, non-UTF-8 bytes) stays.
import { readFile, writeFile } from 'node:fs/promises';
import { MmdError, isMmdError } from '../errors.js';
import type { MdfDocument } from '../mdf/document.js';
import { parseMdf } from '../mdf/document.js';
import { MDF_DIAGNOSTIC_CODES, lintMdf } from '../mdf/lint.js';
import type { MdfDiagnosticCode } from '../mdf/lint.js';
import { MDF_DIAGNOSTIC_HELP, MDF_KEY_NOTES } from '../mdf/notes.js';
import { mdfKeySpec } from '../mdf/schema.js';

const USAGE = `usage: mdf lint FILE...         report problems (exit 1 if any error)
       mdf get FILE KEY          print the effective raw value of KEY
       mdf set FILE KEY VALUE    set KEY in place, keeping the rest of the file byte for byte
       mdf delete FILE KEY       remove every line that defines KEY
       mdf explain CODE|KEY      what a lint code means, or what MMDAgent-EX does with a key
`;

/** Exit codes: 0 ok, 1 problems found / key absent / failure, 2 bad usage. */
const EXIT_OK = 0;
const EXIT_FAIL = 1;
const EXIT_USAGE = 2;

export interface MdfCliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Runs one `mdf` subcommand (`args` starts with it) and resolves to the exit code. */
export async function runMdfCli(args: string[], io: MdfCliIo): Promise<number> {
  const [command, ...rest] = args;
  const arity: Record<string, number> = { get: 2, set: 3, delete: 2, explain: 1 };
  if (command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return EXIT_OK;
  }
  const known = command === 'lint' || Object.hasOwn(arity, command ?? '');
  if (!known || (command === 'lint' ? rest.length === 0 : rest.length !== arity[command])) {
    io.err(command === undefined || known ? USAGE : `mdf: unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (command === 'explain') return explain(rest[0], io);
  try {
    if (command === 'lint') return await lint(rest, io);
    const [file, argKey, argValue = ''] = rest;
    const doc = await load(file);
    // A latin1 document (not UTF-8) holds one char per byte: arguments go in as their UTF-8
    // bytes, and values come out decoded as UTF-8 for the terminal.
    const bytes = doc.encoding === 'latin1';
    const key = bytes ? Buffer.from(argKey, 'utf8').toString('latin1') : argKey;
    const value = bytes ? Buffer.from(argValue, 'utf8').toString('latin1') : argValue;
    if (command === 'get') {
      const found = doc.get(key);
      if (found === undefined) {
        io.err(`mdf: ${file}: ${JSON.stringify(argKey)} is not defined\n`);
        return EXIT_FAIL;
      }
      io.out(`${bytes ? Buffer.from(found, 'latin1').toString('utf8') : found}\n`);
      return EXIT_OK;
    }
    if (command === 'set') doc.set(key, value);
    else if (!doc.delete(key)) {
      io.err(`mdf: ${file}: ${JSON.stringify(argKey)} is not defined; nothing to delete\n`);
      return EXIT_FAIL;
    }
    await save(file, doc);
    return EXIT_OK;
  } catch (err) {
    io.err(`mdf: ${isMmdError(err) ? `${err.code}: ${err.message}` : String(err)}\n`);
    return EXIT_FAIL;
  }
}

async function lint(files: string[], io: MdfCliIo): Promise<number> {
  let errors = 0;
  let warnings = 0;
  let unreadable = 0;
  for (const file of files) {
    let doc: MdfDocument;
    try {
      doc = await load(file);
    } catch (err) {
      io.err(`mdf: ${(err as MmdError).message}\n`);
      unreadable++;
      continue;
    }
    for (const d of lintMdf(doc)) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      io.out(`${file}:${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}${d.fix ? ` (fix: ${d.fix})` : ''}\n`);
    }
  }
  io.out(
    `${files.length} file${files.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`,
  );
  return errors + unreadable > 0 ? EXIT_FAIL : EXIT_OK;
}

function explain(topic: string, io: MdfCliIo): number {
  if ((MDF_DIAGNOSTIC_CODES as readonly string[]).includes(topic)) {
    io.out(`${topic}: ${MDF_DIAGNOSTIC_HELP[topic as MdfDiagnosticCode]}\n`);
    return EXIT_OK;
  }
  const spec = mdfKeySpec(topic);
  if (!spec) {
    io.err(
      `mdf: ${JSON.stringify(topic)} is neither a lint code nor a key MMDAgent-EX reads (unknown keys are FST global variables)\n`,
    );
    return EXIT_FAIL;
  }
  const range = spec.min !== undefined ? `, range ${spec.min}…${spec.max}${spec.option ? ' (clamped)' : ''}` : '';
  const values = spec.values ? `, values ${spec.values.join('|')}` : '';
  const note = Object.hasOwn(MDF_KEY_NOTES, topic) ? `\n  ${MDF_KEY_NOTES[topic]}` : '';
  io.out(
    `${topic}: ${spec.type}, default ${spec.default === undefined ? '(unset)' : JSON.stringify(spec.default)}${range}${values}${note}\n`,
  );
  return EXIT_OK;
}

async function load(file: string): Promise<MdfDocument> {
  try {
    return parseMdf(await readFile(file));
  } catch (cause) {
    throw new MmdError('ERR_FILE', `cannot read ${file}: ${(cause as Error).message}; check the path`, { cause });
  }
}

async function save(file: string, doc: MdfDocument): Promise<void> {
  try {
    await writeFile(file, doc.toBytes());
  } catch (cause) {
    throw new MmdError(
      'ERR_FILE',
      `cannot write ${file}: ${(cause as Error).message}; check that the file is writable`,
      { cause },
    );
  }
}

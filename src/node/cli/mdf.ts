// `mmdagent-ex-remote mdf lint|get|set|delete|explain`: the .mdf tools on files. Files are read
// and written as bytes, so everything the edit does not touch (BOM, CRLF, non-UTF-8 bytes) stays.
import { MmdError } from '../../errors.js';
import { parseMdf, type MdfDocument } from '../../mdf/document.js';
import { MDF_DIAGNOSTIC_CODES, lintMdf, type MdfDiagnosticCode } from '../../mdf/lint.js';
import { MDF_DIAGNOSTIC_HELP, MDF_KEY_NOTES } from '../../mdf/notes.js';
import { mdfKeySpec } from '../../mdf/schema.js';
import { editMdfFile, readMdfBytes } from './mdf-file.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, parseCommand, reportFailure, type CliIo } from './io.js';

export type { CliIo } from './io.js';

export const MDF_USAGE = `usage: mdf lint FILE...         report problems (exit 1 if any error)
       mdf get FILE KEY          print the effective raw value of KEY
       mdf set FILE KEY VALUE    set KEY in place, keeping the rest of the file byte for byte
       mdf delete FILE KEY       remove every line that defines KEY
       mdf explain CODE|KEY      what a lint code means, or what MMDAgent-EX does with a key
(a VALUE may start with -; write -- before arguments that would otherwise read as options)`;

/** Positional arguments after the subcommand. */
const ARITY: Record<string, { min: number; max: number }> = {
  lint: { min: 1, max: Infinity },
  get: { min: 2, max: 2 },
  set: { min: 3, max: 3 },
  delete: { min: 2, max: 2 },
  explain: { min: 1, max: 1 },
};

/** Runs one `mdf` subcommand (`args` starts with it) and resolves to the exit code. */
export async function runMdfCli(args: string[], io: CliIo): Promise<number> {
  const [command] = args;
  if (command === 'help' || command === '--help' || command === '-h') {
    io.out(MDF_USAGE);
    return EXIT_OK;
  }
  if (command === undefined || !Object.hasOwn(ARITY, command)) {
    io.err(
      `ERR_USAGE: mdf: ${command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`}`,
    );
    io.err(MDF_USAGE);
    return EXIT_USAGE;
  }
  let positionals: string[];
  try {
    const spec = {
      name: `mdf ${command}`,
      usage: MDF_USAGE,
      options: {},
      positionals: ARITY[command],
      dashValues: true,
    };
    const parsed = parseCommand(args.slice(1), spec);
    if (parsed.help) {
      io.out(MDF_USAGE);
      return EXIT_OK;
    }
    positionals = parsed.positionals;
  } catch (err) {
    return reportFailure(io, err, MDF_USAGE);
  }
  if (command === 'explain') return explain(positionals[0], io);
  try {
    if (command === 'lint') return await lint(positionals, io);
    const [file, argKey, argValue = ''] = positionals;
    // A latin1 document (not UTF-8) holds one char per byte: arguments go in as their UTF-8
    // bytes, and values come out decoded as UTF-8 for the terminal.
    const inDoc = (doc: MdfDocument, s: string) => (doc.encoding === 'latin1' ? Buffer.from(s).toString('latin1') : s);
    if (command === 'get') {
      const doc = await load(file);
      const found = doc.get(inDoc(doc, argKey));
      if (found === undefined) {
        io.err(`mdf: ${file}: ${JSON.stringify(argKey)} is not defined`);
        return EXIT_FAIL;
      }
      io.out(doc.encoding === 'latin1' ? Buffer.from(found, 'latin1').toString('utf8') : found);
      return EXIT_OK;
    }
    let absent = false;
    await editMdfFile(file, (bytes) => {
      const doc = parseMdf(bytes);
      if (command === 'set') doc.set(inDoc(doc, argKey), inDoc(doc, argValue));
      else if (!doc.delete(inDoc(doc, argKey))) return void (absent = true);
      return doc.toBytes();
    });
    if (absent) {
      io.err(`mdf: ${file}: ${JSON.stringify(argKey)} is not defined; nothing to delete`);
      return EXIT_FAIL;
    }
    return EXIT_OK;
  } catch (err) {
    return reportFailure({ ...io, err: (line) => io.err(`mdf: ${line}`) }, err);
  }
}

async function lint(files: string[], io: CliIo): Promise<number> {
  let errors = 0;
  let warnings = 0;
  let unreadable = 0;
  for (const file of files) {
    let doc: MdfDocument;
    try {
      doc = await load(file);
    } catch (err) {
      io.err(`mdf: ${(err as MmdError).code}: ${(err as MmdError).message}`);
      unreadable++;
      continue;
    }
    for (const d of lintMdf(doc)) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      io.out(`${file}:${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}${d.fix ? ` (fix: ${d.fix})` : ''}`);
    }
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const refused = unreadable > 0 ? `, ${unreadable} not read` : '';
  io.out(`${plural(files.length, 'file')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}${refused}`);
  return errors + unreadable > 0 ? EXIT_FAIL : EXIT_OK;
}

function explain(topic: string, io: CliIo): number {
  if ((MDF_DIAGNOSTIC_CODES as readonly string[]).includes(topic)) {
    io.out(`${topic}: ${MDF_DIAGNOSTIC_HELP[topic as MdfDiagnosticCode]}`);
    return EXIT_OK;
  }
  const spec = mdfKeySpec(topic);
  if (!spec) {
    io.err(
      `mdf: ${JSON.stringify(topic)} is neither a lint code nor a key MMDAgent-EX reads ` +
        '(unknown keys are FST global variables)',
    );
    return EXIT_FAIL;
  }
  const range = spec.min !== undefined ? `, range ${spec.min}…${spec.max}${spec.option ? ' (clamped)' : ''}` : '';
  const values = spec.values ? `, values ${spec.values.join('|')}` : '';
  const note = Object.hasOwn(MDF_KEY_NOTES, topic) ? `\n  ${MDF_KEY_NOTES[topic]}` : '';
  const fallback = spec.default === undefined ? '(unset)' : JSON.stringify(spec.default);
  io.out(`${topic}: ${spec.type}, default ${fallback}${range}${values}${note}`);
  return EXIT_OK;
}

async function load(file: string): Promise<MdfDocument> {
  return parseMdf(await readMdfBytes(file));
}

// No line over 120 characters in hand-written code. Prettier wraps code at 120 columns but leaves
// long strings and comments alone, so this check covers what it cannot. Generated files (a
// "Generated ... Do not edit" header), fixtures and Markdown are not hand-written code.
//
//   node --import tsx scripts/line-length.ts [--max 120]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIRS = ['src', 'scripts', 'test', 'bench', 'examples', 'playground', 'deploy', '.ci'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'fixtures', '.tmp', 'coverage']);
const CODE = /\.(ts|mts|cts|js|mjs|cjs|html|css)$/;

/** A file that says it is generated in its first lines. */
export const isGenerated = (text: string) => /generated\b[^\n]*\bdo not edit/i.test(text.split('\n', 5).join('\n'));

/** `path:line: N characters` for each line of `text` longer than `max` (counted in code points). */
export function longLines(path: string, text: string, max = 120): string[] {
  if (isGenerated(text)) return [];
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const length = [...line].length;
    if (length > max) out.push(`${path}:${i + 1}: ${length} characters (max ${max})`);
  });
  return out;
}

function files(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return SKIP_DIRS.has(name) ? [] : files(path);
    return CODE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function main(argv: string[]): number {
  const at = argv.indexOf('--max');
  const max = at >= 0 ? Number(argv[at + 1]) : 120;
  const top = readdirSync(ROOT).filter((name) => CODE.test(name) && statSync(join(ROOT, name)).isFile());
  const all = [...top.map((name) => join(ROOT, name)), ...DIRS.flatMap((d) => files(join(ROOT, d)))];
  const found = all.flatMap((f) => longLines(relative(ROOT, f).split('\\').join('/'), readFileSync(f, 'utf8'), max));
  for (const line of found) console.error(line);
  if (found.length > 0) console.error(`${found.length} line(s) over ${max} characters: wrap them by hand.`);
  return found.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1]))
  process.exitCode = main(process.argv.slice(2));

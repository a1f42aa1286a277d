// The public API surface, read from the emitted declaration files of the two package entries
// (index.d.ts, server.d.ts): every exported name with its declaration text, plus the internal
// declarations those texts refer to. Comments, `export`/`declare` keywords and import paths are
// normalized away and everything is sorted, so moving code between files changes nothing here
// while any change of a name or a type does. TypeScript 7 has no JS API, hence a small scanner.
//
//   node --import tsx scripts/api-surface.ts            print the surface of src/
//   node --import tsx scripts/api-surface.ts --check    compare with test/fixtures/api-surface.txt
//   node --import tsx scripts/api-surface.ts --write    update that snapshot (say why in the commit)
//   --types DIR                                         read DIR instead of emitting from src/
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ENTRIES: Record<string, string> = { '.': 'index.d.ts', './server': 'server.d.ts' };
const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SNAPSHOT = join(ROOT, 'test', 'fixtures', 'api-surface.txt');

/** Emits the declarations of src/ into a new temporary directory (never dist/); returns its types dir. */
export function emitDeclarations(root = ROOT): { typesDir: string; cleanup: () => void; log: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'api-surface-'));
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const args = [tsc, '-p', join(root, 'tsconfig.json'), '--outDir', join(tmp, 'build')];
  const run = spawnSync(process.execPath, [...args, '--declarationDir', join(tmp, 'types')], {
    cwd: root,
    encoding: 'utf8',
  });
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  // A type error elsewhere still emits declarations; only a missing entry makes the surface unknowable.
  const typesDir = join(tmp, 'types');
  for (const entry of Object.values(ENTRIES)) {
    if (!existsSync(join(typesDir, entry))) {
      cleanup();
      throw new Error(`tsc emitted no ${entry}:\n${run.stdout}${run.stderr}`);
    }
  }
  return { typesDir, cleanup, log: `${run.stdout}${run.stderr}` };
}

// ---- scanning a .d.ts into top-level statements, comments removed ----

/** Splits declaration text into top-level statements without comments. */
export function statements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let i = 0;
  const n = text.length;
  const flush = () => {
    const s = cur.trim();
    if (s) out.push(s);
    cur = '';
  };
  while (i < n) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < n && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      cur += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    cur += c;
    i++;
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') {
      depth--;
      // A class, interface, namespace or enum ends at its closing brace, at the end of its line.
      if (depth === 0 && c === '}' && /^[ \t]*(\r?\n|$)/.test(text.slice(i, i + 200)) && isBlock(cur)) flush();
    } else if (c === ';' && depth === 0) flush();
  }
  flush();
  return out;
}

const KEYWORDS = 'function|const\\s+enum|const|let|var|class|interface|type|enum|namespace|module';
const DECL = new RegExp(
  String.raw`^(?:export\s+)?(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(${KEYWORDS})\s+([\w$]+)`,
);

function isBlock(stmt: string): boolean {
  const m = DECL.exec(stmt.trim());
  return m !== null && /^(class|interface|namespace|module|enum|const\s+enum)$/.test(m[1]);
}

// ---- modules: declarations, imports and exports ----

type Target =
  | { kind: 'decl'; file: string; name: string; typeOnly: boolean }
  | { kind: 'namespace'; file: string; typeOnly: boolean }
  | { kind: 'external'; module: string; name: string; typeOnly: boolean };

interface Module {
  file: string;
  decls: Map<string, string[]>;
  imports: Map<string, { from: string; name: string }>;
  reexports: { name: string; from: string | null; imported: string; typeOnly: boolean }[];
  stars: { from: string; as: string | null; typeOnly: boolean }[];
}

function specifiers(list: string): { name: string; alias: string; typeOnly: boolean }[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(type\s+)?([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(s);
      if (!m) throw new Error(`cannot read export specifier: ${s}`);
      return { name: m[2], alias: m[3] ?? m[2], typeOnly: Boolean(m[1]) };
    });
}

class Program {
  readonly modules = new Map<string, Module>();
  constructor(readonly dir: string) {}

  /** The declaring file of a relative specifier; null for a package; undefined if missing and not `strict`. */
  resolveModule(fromFile: string, spec: string, strict = true): string | null | undefined {
    if (!spec.startsWith('.')) return null;
    const base = resolve(dirname(fromFile), spec).replace(/\.(js|mjs|cjs|ts)$/, '');
    for (const candidate of [`${base}.d.ts`, join(base, 'index.d.ts')]) if (existsSync(candidate)) return candidate;
    if (strict) throw new Error(`${relative(this.dir, fromFile)}: cannot resolve '${spec}'`);
    return undefined;
  }

  module(file: string): Module {
    const known = this.modules.get(file);
    if (known) return known;
    const mod: Module = { file, decls: new Map(), imports: new Map(), reexports: [], stars: [] };
    this.modules.set(file, mod);
    for (const stmt of statements(readFileSync(file, 'utf8'))) {
      let m: RegExpExecArray | null;
      if ((m = /^import\s+(type\s+)?([\s\S]*?)\s+from\s+['"]([^'"]+)['"]/.exec(stmt))) {
        const clause = m[2];
        const named = /\{([\s\S]*)\}/.exec(clause);
        if (named) for (const s of specifiers(named[1])) mod.imports.set(s.alias, { from: m[3], name: s.name });
        const ns = /\*\s+as\s+([\w$]+)/.exec(clause);
        if (ns) mod.imports.set(ns[1], { from: m[3], name: '*' });
        const def = /^([\w$]+)/.exec(clause);
        if (def && def[1] !== 'type') mod.imports.set(def[1], { from: m[3], name: 'default' });
      } else if ((m = /^import\s+['"]/.exec(stmt))) {
        // a side-effect import declares nothing
      } else if ((m = /^export\s+(type\s+)?\*\s+(?:as\s+([\w$]+)\s+)?from\s+['"]([^'"]+)['"]/.exec(stmt))) {
        mod.stars.push({ from: m[3], as: m[2] ?? null, typeOnly: Boolean(m[1]) });
      } else if ((m = /^export\s+(type\s+)?\{([\s\S]*?)\}\s*(?:from\s+['"]([^'"]+)['"])?\s*;?$/.exec(stmt))) {
        for (const s of specifiers(m[2])) {
          mod.reexports.push({
            name: s.alias,
            from: m[3] ?? null,
            imported: s.name,
            typeOnly: Boolean(m[1]) || s.typeOnly,
          });
        }
      } else if ((m = /^export\s+default\s+([\w$]+)\s*;$/.exec(stmt))) {
        mod.reexports.push({ name: 'default', from: null, imported: m[1], typeOnly: false });
      } else if ((m = DECL.exec(stmt))) {
        const name = /^(?:export\s+)?(?:declare\s+)?default\s/.test(stmt) ? 'default' : m[2];
        const list = mod.decls.get(m[2]) ?? [];
        list.push(stmt);
        mod.decls.set(m[2], list);
        if (/^export\s/.test(stmt)) {
          mod.reexports.push({ name, from: null, imported: m[2], typeOnly: false });
        }
      } else {
        throw new Error(`${relative(this.dir, file)}: unrecognised statement: ${stmt.slice(0, 80)}`);
      }
    }
    // One name declared by several exported statements (overloads, merged declarations) is one export.
    const seen = new Set<string>();
    mod.reexports = mod.reexports.filter((r) => {
      const key = `${r.name}\0${r.from}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    return mod;
  }

  /** What `name` means inside `file` (a local declaration or an import), or null. */
  local(file: string, name: string, typeOnly = false, strict = true): Target | null {
    const mod = this.module(file);
    if (mod.decls.has(name)) return { kind: 'decl', file, name, typeOnly };
    const imp = mod.imports.get(name);
    if (!imp) return null;
    const target = this.resolveModule(file, imp.from, strict);
    if (target === undefined) return null;
    if (target === null) return { kind: 'external', module: imp.from, name: imp.name, typeOnly };
    if (imp.name === '*') return { kind: 'namespace', file: target, typeOnly };
    const t = this.exports(target).get(imp.name);
    return t ? { ...t, typeOnly: t.typeOnly || typeOnly } : null;
  }

  readonly #exports = new Map<string, Map<string, Target>>();

  /** Every export of a module, followed through re-exports to the declaring module. */
  exports(file: string): Map<string, Target> {
    const known = this.#exports.get(file);
    if (known) return known;
    const out = new Map<string, Target>();
    this.#exports.set(file, out); // a cycle sees the partial map rather than looping
    const mod = this.module(file);
    for (const r of mod.reexports) {
      let t: Target | null;
      if (r.from === null) t = this.local(file, r.imported, r.typeOnly);
      else {
        const target = this.resolveModule(file, r.from);
        if (!target) t = { kind: 'external', module: r.from, name: r.imported, typeOnly: r.typeOnly };
        else {
          const found = this.exports(target).get(r.imported);
          t = found ? { ...found, typeOnly: found.typeOnly || r.typeOnly } : null;
        }
      }
      if (!t) throw new Error(`${relative(this.dir, file)}: export '${r.name}' resolves to nothing`);
      out.set(r.name, t);
    }
    for (const s of mod.stars) {
      const target = this.resolveModule(file, s.from);
      if (s.as !== null) {
        out.set(s.as, target ? { kind: 'namespace', file: target, typeOnly: s.typeOnly } : externalNs(s));
        continue;
      }
      if (!target) continue; // `export *` of a package: not ours to describe
      for (const [name, t] of this.exports(target)) {
        if (name !== 'default' && !out.has(name)) out.set(name, { ...t, typeOnly: t.typeOnly || s.typeOnly });
      }
    }
    return out;
  }
}

function externalNs(s: { from: string; typeOnly: boolean }): Target {
  return { kind: 'external', module: s.from, name: '*', typeOnly: s.typeOnly };
}

// ---- rendering ----

/** Declaration text as it reads to a user: no `export`/`declare`, no import paths, tidy lines. */
export function normalize(stmt: string): string {
  return (
    stmt
      .replace(/^export\s+/, '')
      .replace(/^declare\s+/, '')
      .replace(/\bimport\(\s*(['"])[^'"]*\1\s*\)\./g, '')
      .split('\n')
      .map((l) => l.trimEnd())
      // Private members are in .d.ts files only to make a class nominal; they are not API.
      .filter((l) => l.trim() !== '' && !/^\s+private (static )?(readonly )?(get |set )?[\w$]+(\(\))?;$/.test(l))
      .join('\n')
  );
}

/** Names a declaration refers to: capitalised identifiers, `typeof x`, and `import("m").X`. */
function references(stmt: string): { module: string | null; name: string }[] {
  const refs: { module: string | null; name: string }[] = [];
  for (const m of stmt.matchAll(/\bimport\(\s*(['"])([^'"]*)\1\s*\)\.([\w$]+)/g)) {
    refs.push({ module: m[2], name: m[3] });
  }
  const code = stmt
    .replace(/\bimport\(\s*(['"])[^'"]*\1\s*\)\.[\w$]+/g, ' ')
    .replace(/(['"`])(?:\\.|(?!\1)[^\\])*\1/g, "''");
  for (const m of code.matchAll(/(?<![\w$.#])([A-Z][\w$]*)\b/g)) refs.push({ module: null, name: m[1] });
  for (const m of code.matchAll(/\btypeof\s+([\w$]+)/g)) refs.push({ module: null, name: m[1] });
  return refs;
}

interface Block {
  name: string;
  text: string;
}

/** The normalized surface of the entries under `typesDir`, as sorted text. */
export function apiSurface(typesDir: string, entries: Record<string, string> = ENTRIES): string {
  const program = new Program(typesDir);
  const listing: string[] = [];
  const byId = new Map<string, Block>(); // declaration identity (file#name) -> its block
  const publicIds = new Set<string>();
  const queue: { file: string; name: string }[] = [];

  const blockOf = (t: Target & { kind: 'decl' }): Block => {
    const id = `${t.file}#${t.name}`;
    let b = byId.get(id);
    if (!b) {
      const stmts = program.module(t.file).decls.get(t.name) ?? [];
      b = { name: t.name, text: stmts.map(normalize).join('\n') };
      byId.set(id, b);
      queue.push({ file: t.file, name: t.name });
    }
    return b;
  };

  const exported: { entry: string; name: string; target: Target }[] = [];
  const visitNs = new Set<string>();
  const walk = (entry: string, prefix: string, file: string) => {
    for (const [name, target] of program.exports(file)) {
      exported.push({ entry, name: prefix + name, target });
      if (target.kind === 'namespace' && !visitNs.has(`${entry}\0${target.file}`)) {
        visitNs.add(`${entry}\0${target.file}`);
        walk(entry, `${prefix}${name}.`, target.file);
      }
    }
  };
  for (const [entry, file] of Object.entries(entries)) walk(entry, '', join(typesDir, file));
  for (const e of exported) if (e.target.kind === 'decl') publicIds.add(`${e.target.file}#${e.target.name}`);

  const rows: { entry: string; name: string; target: Target; block: Block | null }[] = exported.map((e) => ({
    ...e,
    block: e.target.kind === 'decl' ? blockOf(e.target) : null,
  }));
  // Follow references from public declarations to the internal ones they expose.
  for (let q = queue.shift(); q; q = queue.shift()) {
    const stmts = program.module(q.file).decls.get(q.name) ?? [];
    for (const ref of stmts.flatMap(references)) {
      let t: Target | null = null;
      if (ref.module === null) t = ref.name === q.name ? null : program.local(q.file, ref.name, false, false);
      else {
        const target = program.resolveModule(q.file, ref.module, false);
        t = target ? (program.exports(target).get(ref.name) ?? null) : null;
      }
      if (t?.kind === 'decl') blockOf(t);
    }
  }

  // Display keys: the name, numbered when distinct texts share it; identical texts are one block.
  const key = new Map<Block, string>();
  const groups = new Map<string, Map<string, Block[]>>();
  for (const [id, b] of byId) {
    const label = publicIds.has(id) ? b.name : `(internal) ${b.name}`;
    const texts = groups.get(label) ?? new Map<string, Block[]>();
    texts.set(b.text, [...(texts.get(b.text) ?? []), b]);
    groups.set(label, texts);
  }
  const blocks: string[] = [];
  for (const [label, texts] of groups) {
    [...texts.keys()].sort(cmp).forEach((text, i) => {
      const k = i === 0 ? label : `${label} [${i + 1}]`;
      for (const b of texts.get(text)!) key.set(b, k);
      blocks.push(`== ${k}\n${text}`);
    });
  }
  for (const r of rows) {
    // `export type` matters only for a value (a class, function, const, enum): it loses its run-time half.
    const flags = r.target.typeOnly && hasValue(program, r.target) ? ' (type-only)' : '';
    let what: string;
    if (r.target.kind === 'decl') {
      const k = key.get(r.block!)!;
      what = k === r.name ? '' : ` = ${k}`;
    } else if (r.target.kind === 'namespace') what = ' = namespace';
    else what = ` = '${r.target.module}'.${r.target.name}`;
    listing.push(`@ ${r.entry} ${r.name}${what}${flags}`);
  }
  const head = [
    '# Public API surface of the package entries, from their emitted .d.ts (scripts/api-surface.ts).',
    '# An intentional change: node --import tsx scripts/api-surface.ts --write, with the reason in the commit.',
  ];
  return [...head, '', ...listing.sort(cmp), '', ...blocks.sort(cmp), ''].join('\n');
}

function hasValue(program: Program, t: Target): boolean {
  if (t.kind !== 'decl') return true;
  const stmts = program.module(t.file).decls.get(t.name) ?? [];
  return stmts.some((stmt) => !/^(interface|type)$/.test(DECL.exec(stmt)![1]));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---- diff ----

function sections(surface: string): { listing: Set<string>; blocks: Map<string, string[]> } {
  const listing = new Set<string>();
  const blocks = new Map<string, string[]>();
  let cur: string[] | null = null;
  for (const line of surface.split('\n')) {
    if (line.startsWith('@ ')) listing.add(line);
    else if (line.startsWith('== ')) blocks.set(line.slice(3), (cur = []));
    else if (cur && line !== '') cur.push(line);
  }
  return { listing, blocks };
}

/** A line diff of two short texts (longest common subsequence), as `-`/`+`/` ` lines. */
function lineDiff(a: string[], b: string[]): string[] {
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) (out.push(`  ${a[i++]}`), j++);
    else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}

/** What changed from `before` to `after`, readably; '' when the surfaces are the same. */
export function diffSurface(before: string, after: string): string {
  const a = sections(before);
  const b = sections(after);
  const out: string[] = [];
  const gone = [...a.listing].filter((l) => !b.listing.has(l));
  const added = [...b.listing].filter((l) => !a.listing.has(l));
  if (gone.length || added.length) {
    out.push('Exports (entry, name, = declaration when it differs from the name):');
    for (const l of gone) out.push(`- ${l.slice(2)}`);
    for (const l of added) out.push(`+ ${l.slice(2)}`);
  }
  for (const [k, lines] of a.blocks) {
    const now = b.blocks.get(k);
    if (!now) out.push(`Declaration removed: ${k}`, ...lines.map((l) => `- ${l}`));
    else if (now.join('\n') !== lines.join('\n')) {
      const diff = lineDiff(lines, now);
      out.push(`Declaration changed: ${k}`, ...diff.filter((l, i, all) => near(all, i)), ...listChange(diff));
    }
  }
  for (const [k, lines] of b.blocks)
    if (!a.blocks.has(k)) out.push(`Declaration added: ${k}`, ...lines.map((l) => `+ ${l}`));
  return out.join('\n');
}

/** For one long line changed inside a list (a tuple of codes, a union), the items that came and went. */
function listChange(diff: string[]): string[] {
  const gone = diff.filter((l) => l.startsWith('- '));
  const came = diff.filter((l) => l.startsWith('+ '));
  if (gone.length !== 1 || came.length !== 1 || gone[0].length < 120) return [];
  const items = (l: string) =>
    new Set(
      l
        .slice(2)
        .split(/[\s,|[\]();]+/)
        .filter(Boolean),
    );
  const [a, b] = [items(gone[0]), items(came[0])];
  const removed = [...a].filter((x) => !b.has(x));
  const added = [...b].filter((x) => !a.has(x));
  return [`  (in that line: ${[...removed.map((x) => `-${x}`), ...added.map((x) => `+${x}`)].join(' ')})`];
}

/** Keeps changed lines and two lines of context around them. */
function near(all: string[], i: number): boolean {
  for (let d = -2; d <= 2; d++) if (all[i + d] !== undefined && all[i + d][0] !== ' ') return true;
  return false;
}

// ---- command line ----

function main(argv: string[]): number {
  const at = argv.indexOf('--types');
  let typesDir = at >= 0 ? argv[at + 1] : undefined;
  let cleanup = () => {};
  if (!typesDir) ({ typesDir, cleanup } = emitDeclarations());
  try {
    const surface = apiSurface(resolve(typesDir));
    if (argv.includes('--write')) {
      writeFileSync(SNAPSHOT, surface);
      console.log(`wrote ${relative(process.cwd(), SNAPSHOT)}`);
    } else if (argv.includes('--check')) {
      const diff = diffSurface(readFileSync(SNAPSHOT, 'utf8'), surface);
      if (diff) {
        console.error(`The public API differs from ${relative(process.cwd(), SNAPSHOT)}:\n${diff}`);
        return 1;
      }
      console.log('public API unchanged');
    } else process.stdout.write(surface);
    return 0;
  } finally {
    cleanup();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = main(process.argv.slice(2));

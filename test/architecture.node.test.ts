// The layering rules of DESIGN.md, checked on the import graph read from the sources:
// - the core (src/ outside src/node/) imports no `ws`, `isomorphic-ws` or Node built-in, and no
//   src/node/ file; only src/node/ and the `./server` entry (src/server.ts) reach Node code;
// - the playground's browser sources follow the same rule as the core;
// - the link (src/link.ts, src/link/) takes the catalog's types only, so a bundle using AgentLink
//   does not carry the catalog: no run-time import of it, directly or through other modules;
// - no run-time import cycle (type-only imports are erased, so they cannot form one);
// - scripts/ does not import from test/;
// - the pure core keeps no mutable state at module level (top-level `let`/`var`).
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Edge {
  /** A repository path ('src/line.ts') for our files, else the bare specifier ('ws', 'node:fs'). */
  to: string;
  external: boolean;
  /** Erased at run time: `import type`, `export type`. */
  typeOnly: boolean;
}
type Graph = Map<string, Edge[]>;

/** Removes comments and the contents of template literals (generated code is not an import). */
function stripComments(src: string): string {
  let out = '';
  for (let i = 0; i < src.length;) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c && !(c !== '`' && src[j] === '\n')) j += src[j] === '\\' ? 2 : 1;
      out += c === '`' ? '``' : src.slice(i, j + 1);
      i = j + 1;
    } else out += src[i++];
  }
  return out;
}

const CLAUSE = String.raw`(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)`;
const STATIC = new RegExp(String.raw`^[ \t]*(import|export)\s+(type\s+)?(${CLAUSE})\s*from\s*(['"])([^'"\n]+)\4`, 'gm');
const BARE = /^[ \t]*import\s*(['"])([^'"\n]+)\1/gm;
const DYNAMIC = /\bimport\(\s*(['"])([^'"\n]+)\1\s*\)/g;

/** Every module specifier a source file imports or re-exports, and whether it survives compilation. */
export function parseImports(source: string): { spec: string; typeOnly: boolean }[] {
  const code = stripComments(source);
  const out: { spec: string; typeOnly: boolean }[] = [];
  // `import { type A }` is kept as `import {}` under verbatimModuleSyntax: it still loads the module.
  for (const m of code.matchAll(STATIC)) out.push({ spec: m[5], typeOnly: Boolean(m[2]) });
  for (const m of code.matchAll(BARE)) out.push({ spec: m[2], typeOnly: false });
  for (const m of code.matchAll(DYNAMIC)) out.push({ spec: m[2], typeOnly: false });
  return out;
}

/** Builds the graph of `files` (repository path -> source); `exists` says whether a path is a file. */
export function buildGraph(files: Map<string, string>, exists: (path: string) => boolean): Graph {
  const graph: Graph = new Map();
  for (const [from, source] of files) {
    const edges = parseImports(source).map(({ spec, typeOnly }): Edge => {
      if (!spec.startsWith('.')) return { to: spec, external: true, typeOnly };
      const base = posix.normalize(posix.join(posix.dirname(from), spec));
      const stem = base.replace(/\.(m|c)?js$/, '');
      const candidates = [base, `${stem}.ts`, `${stem}.mts`, `${stem}.tsx`, `${stem}/index.ts`];
      return { to: candidates.find(exists) ?? base, external: false, typeOnly };
    });
    graph.set(from, edges);
  }
  return graph;
}

const NODE_ONLY = new Set(['ws', 'isomorphic-ws']);
const isNodeBuiltin = (spec: string) =>
  spec.startsWith('node:') || builtinModules.includes(spec) || builtinModules.includes(spec.split('/')[0]);
const isCore = (p: string) => p.startsWith('src/') && !p.startsWith('src/node/') && p !== 'src/server.ts';
const isBrowser = (p: string) => p.startsWith('playground/src/');
const isNodeFile = (p: string) => p.startsWith('src/node/');
const isLink = (p: string) => p === 'src/link.ts' || p.startsWith('src/link/');
const isCatalog = (p: string) => p.startsWith('src/catalog/');

// The core's layers, bottom up (DESIGN.md "Dependencies point one way"): a file imports its own
// layer or lower ones. src/node/ sits on top of the core, and the ./server entry on top of it.
const LAYERS: [number, RegExp][] = [
  [0, /^src\/(errors|limits|utf8|chars)\.ts$/],
  [1, /^src\/(line|message|built|audio|stream-parser|emitter|wait)\.ts$|^src\/mdf\//],
  [2, /^src\/catalog\/|^src\/avatar\.ts$/],
  [3, /^src\/link(\.ts$|\/)/],
  [4, /^src\/index\.ts$/],
  // The CLI is an app of the package: it may use the entries (matched before the rest of src/node/).
  [7, /^src\/node\/cli(\.ts$|\/)/],
  [5, /^src\/node\//],
  [6, /^src\/server\.ts$/],
];
/** The layer of a source file; a core file the table does not know is an error to fix here. */
const layerOf = (p: string) => LAYERS.find(([, re]) => re.test(p))?.[0];

/** Run-time import cycles among our own files, each as a list of paths. */
export function runtimeCycles(graph: Graph): string[][] {
  // Tarjan's strongly connected components over the run-time edges.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const next = (v: string) =>
    (graph.get(v) ?? []).filter((e) => !e.external && !e.typeOnly && graph.has(e.to)).map((e) => e.to);
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next(v).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Every files a module loads at run time, itself included. */
function runtimeClosure(graph: Graph, start: string): Set<string> {
  const seen = new Set([start]);
  const todo = [start];
  for (let v = todo.pop(); v !== undefined; v = todo.pop()) {
    for (const e of graph.get(v) ?? []) {
      if (!e.external && !e.typeOnly && !seen.has(e.to)) (seen.add(e.to), todo.push(e.to));
    }
  }
  return seen;
}

/** The DESIGN rules broken by `graph`, one readable line each. */
export function violations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [from, edges] of graph) {
    if (from.startsWith('src/') && layerOf(from) === undefined) {
      out.push(`${from} is in no layer: add it to LAYERS in test/architecture.node.test.ts`);
    }
    for (const e of edges) {
      const how = e.typeOnly ? 'imports (type only)' : 'imports';
      // An import of src/node/ from the core has its own message below.
      const [up, down] = [layerOf(from), e.external || (isNodeFile(e.to) && isCore(from)) ? undefined : layerOf(e.to)];
      if (up !== undefined && down !== undefined && down > up) {
        out.push(`${from} ${how} ${e.to}, a higher layer: imports point down (docs/architecture.md)`);
      }
      if (isCore(from) || isBrowser(from)) {
        if (e.external && (NODE_ONLY.has(e.to) || isNodeBuiltin(e.to))) {
          out.push(`${from} ${how} '${e.to}': Node code belongs under src/node/, reached through ./server`);
        } else if (!e.external && e.to.startsWith('src/node/')) {
          out.push(`${from} ${how} ${e.to}: only src/node/ and the ./server entry may reach src/node/`);
        }
      }
      if (isLink(from) && !e.external && isCatalog(e.to) && !e.typeOnly) {
        out.push(`${from} imports ${e.to} at run time: the link takes the catalog's types only (import type)`);
      }
      if (from.startsWith('scripts/') && !e.external && e.to.startsWith('test/')) {
        out.push(`${from} imports ${e.to}: scripts/ must not depend on test/`);
      }
    }
    if (isLink(from)) {
      const reached = [...runtimeClosure(graph, from)].filter(isCatalog).sort();
      if (reached.length) out.push(`${from} loads the catalog at run time through its imports: ${reached.join(', ')}`);
    }
  }
  for (const cycle of runtimeCycles(graph)) out.push(`run-time import cycle: ${cycle.join(' <-> ')}`);
  return out;
}

/** Top-level `let`/`var` names: module state, which the pure core must not have. */
export function moduleState(source: string): string[] {
  return [...stripComments(source).matchAll(/^(?:export\s+)?(?:let|var)\s+([\w$]+)/gm)].map((m) => m[1]);
}

// Written once from constant data on first use, so no caller can observe it: not state.
const LAZY_CACHES = new Set(['src/catalog/parse.ts#forms']);

/** Core files that keep mutable state at module level, as `path#name`. */
export function coreState(files: Map<string, string>): string[] {
  return [...files]
    .filter(([path]) => isCore(path))
    .flatMap(([path, source]) => moduleState(source).map((name) => `${path}#${name}`))
    .filter((id) => !LAZY_CACHES.has(id));
}

function walk(dir: string, keep: (path: string) => boolean): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return walk(path, keep);
    return keep(path) ? [path] : [];
  });
}

const code = (p: string) => /\.(ts|mts|tsx|js|mjs)$/.test(p) && !p.endsWith('.d.ts');
const exists = (p: string) => existsSync(join(ROOT, p)) && statSync(join(ROOT, p)).isFile();

describe('architecture (the import graph of DESIGN.md)', () => {
  const paths = [...walk('src', code), ...walk('scripts', code), ...walk('playground/src', code)];
  const sources = new Map(paths.map((p) => [p, readFileSync(join(ROOT, p), 'utf8')]));
  const graph = buildGraph(sources, exists);

  it('reads a graph with the entries and the link in it', () => {
    for (const p of ['src/index.ts', 'src/server.ts', 'src/line.ts']) expect(graph.has(p), p).to.equal(true);
    expect([...graph.keys()].some(isLink)).to.equal(true);
    expect(graph.get('src/index.ts')!.length).to.be.greaterThan(5);
  });

  it('imports resolve to files that exist', () => {
    const missing = [...graph].flatMap(([from, edges]) =>
      edges.filter((e) => !e.external && !exists(e.to)).map((e) => `${from} -> ${e.to}`),
    );
    expect(missing).to.deep.equal([]);
  });

  it('keeps the DESIGN rules: pure core, Node only under src/node/, link takes catalog types, no cycles', () => {
    expect(violations(graph)).to.deep.equal([]);
  });
  it('keeps no mutable state at module level in the pure core', () => {
    expect(coreState(sources)).to.deep.equal([]);
  });
});

describe('architecture checker, on synthetic graphs', () => {
  const check = (files: Record<string, string>) => {
    const map = new Map(Object.entries(files));
    return violations(buildGraph(map, (p) => map.has(p)));
  };

  it('finds module-level state in the core only', () => {
    const files = new Map([
      ['src/message.ts', 'const A = 1;\nlet checkedType: string | undefined;\nfunction f() {\n  let local = 0;\n}'],
      ['src/wait.ts', '// let inComment = 1;\nexport var legacy = 2;'],
      ['src/node/server/server.ts', 'let nodeSideIsFine = 0;'],
    ]);
    expect(coreState(files)).to.deep.equal(['src/message.ts#checkedType', 'src/wait.ts#legacy']);
  });

  it('passes a graph that keeps the rules', () => {
    const ok = check({
      'src/index.ts': "export * from './line.js';\nexport * from './link.js';\nexport * from './catalog/index.js';",
      'src/server.ts': "export * from './node/server.js';\nexport { connect } from './node/connect.js';",
      'src/line.ts': "import { MmdError } from './errors.js';",
      'src/errors.ts': '// `import x from "node:fs"` in a comment is not an import\nexport class MmdError {}',
      'src/link.ts': "import type { X } from './catalog/types.js';\nimport { encodeLine } from './line.js';",
      'src/catalog/index.ts': "export * from './types.js';\nimport { line } from '../line.js';",
      'src/catalog/types.ts': "import type { Y } from './index.js'; // a type-only cycle is erased",
      'src/node/server.ts': "import { WebSocketServer } from 'ws';\nimport { createServer } from 'node:http';",
      'src/node/connect.ts': "import WebSocket from 'ws';\nimport { AgentLink } from '../link.js';",
      'scripts/gen.ts': "import { x } from '../src/catalog/index.js';\nconst t = `import a from '../test/b.js'`;",
    });
    expect(ok).to.deep.equal([]);
  });

  it('reports each kind of violation', () => {
    const TYPES_ONLY = "the link takes the catalog's types only (import type)";
    const CATALOG = 'src/catalog/a.ts, src/catalog/index.ts, src/catalog/types.ts';
    const UPWARD = 'a higher layer: imports point down (docs/architecture.md)';
    const bad = check({
      'src/index.ts': "export * from './line.js';",
      'src/line.ts': "import { Buffer } from 'buffer';\nimport {\n  type WebSocket,\n} from 'ws';",
      'src/audio.ts': "const fs = await import('node:fs');",
      'src/avatar.ts': "import { relay } from './node/server/frames.js';",
      'src/link/agent-link.ts': "import { type X } from '../catalog/types.js';\nimport { w } from '../wait.js';",
      'src/wait.ts': "import { commands } from './catalog/index.js';",
      'src/catalog/index.ts': "import { a } from './a.js';",
      'src/catalog/a.ts': "export { b } from './index.js';",
      'src/catalog/types.ts': '',
      'src/node/server/frames.ts': "import { WebSocket } from 'ws';\nimport { main } from '../cli/main.js';",
      'src/node/cli/main.ts': '',
      'scripts/gen.ts': "import { fixture } from '../test/support/codes.js';",
      'test/support/codes.ts': '',
      'playground/src/main.ts': "import { readFile } from 'node:fs/promises';",
      'src/stray.ts': '',
    });
    expect(bad).to.deep.equal([
      "src/line.ts imports 'buffer': Node code belongs under src/node/, reached through ./server",
      "src/line.ts imports 'ws': Node code belongs under src/node/, reached through ./server",
      "src/audio.ts imports 'node:fs': Node code belongs under src/node/, reached through ./server",
      'src/avatar.ts imports src/node/server/frames.ts: only src/node/ and the ./server entry may reach src/node/',
      `src/link/agent-link.ts imports src/catalog/types.ts at run time: ${TYPES_ONLY}`,
      `src/link/agent-link.ts loads the catalog at run time through its imports: ${CATALOG}`,
      `src/wait.ts imports src/catalog/index.ts, ${UPWARD}`,
      `src/node/server/frames.ts imports src/node/cli/main.ts, ${UPWARD}`,
      'scripts/gen.ts imports test/support/codes.ts: scripts/ must not depend on test/',
      "playground/src/main.ts imports 'node:fs/promises': Node code belongs under src/node/, reached through ./server",
      'src/stray.ts is in no layer: add it to LAYERS in test/architecture.node.test.ts',
      'run-time import cycle: src/catalog/a.ts <-> src/catalog/index.ts',
    ]);
  });
});

// Bundles what `tsc` emitted into build/ (see TOOLCHAIN.md: the rollup TypeScript plugin does not
// work with TypeScript 7). Outputs, all under dist/:
//  - dist/*.js, dist/node/**.js: unminified ES modules, one per source module (preserveModules), for
//    bundlers and Node. Keeping the module structure is what lets a user's bundler drop what the app
//    does not import (issue 14: one flattened, minified file trimmed to 10.7 KB where 6 KB was possible).
//    `ws` and Node built-ins stay external. No source maps: the code is the compiler's readable output.
//  - dist/browser.js (single-file ESM for CDNs) and dist/browser.iife.js (classic script, global
//    `MmdRemote`): the core entry, minified, with source maps that carry the TypeScript sources inside
//    them, so they resolve without files the package does not ship. Any import rollup cannot resolve
//    fails the build, so `ws` or a Node built-in can never slip into them.
// MMD_BUILD_DIR / MMD_DIST_DIR redirect input and output: scripts/build.mjs builds into a temporary
// folder and swaps it in, so a running `npm start` never loses dist/.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import playground from './playground/rollup.config.mjs';

const BUILD = resolve(process.env.MMD_BUILD_DIR || 'build');
const DIST = resolve(process.env.MMD_DIST_DIR || 'dist');

// Every entry of the package (package.json `exports` and `bin`), as tsc emitted it. An entry whose
// file is absent (a source being moved right now) is left out rather than failing the others.
const ENTRIES = [
  'index.js', // `mmdagent-ex-remote` (browser, Deno, Bun, bundlers)
  'node/index.js', // `mmdagent-ex-remote` under the `node` condition: the core with a `ws` default for connect()
  'server.js', // `mmdagent-ex-remote/server`
  'node/cli.js', // the `mmdagent-ex-remote` bin
]
  .map((file) => join(BUILD, file))
  .filter((file) => existsSync(file));

const failOnUnresolved = (warning, warn) => {
  if (warning.code === 'UNRESOLVED_IMPORT') {
    throw new Error(`browser bundle: cannot resolve ${warning.exporter ?? warning.message}`);
  }
  warn(warning);
};

// The CLI is the package's `bin`: npm (and its Windows .cmd shims) need a hashbang, exactly one.
const cliHashbang = {
  name: 'cli-hashbang',
  renderChunk(code, chunk) {
    const id = chunk.facadeModuleId ?? '';
    if (!chunk.isEntry || !id.endsWith(join('node', 'cli.js')) || code.startsWith('#!')) return null;
    return { code: `#!/usr/bin/env node\n${code}`, map: null };
  },
};

// Feeds rollup tsc's source map of each module with the TypeScript text inside it, so the maps of
// the minified bundles point at src/*.ts and carry their content (nothing to resolve on disk).
const tscSourceMaps = {
  name: 'tsc-source-maps',
  load(id) {
    if (!id.startsWith(BUILD) || !existsSync(`${id}.map`)) return null;
    const map = JSON.parse(readFileSync(`${id}.map`, 'utf8'));
    const base = resolve(dirname(id), map.sourceRoot || '');
    map.sourcesContent = map.sources.map((source) => readFileSync(resolve(base, source), 'utf8'));
    map.sources = map.sources.map((source) => resolve(base, source));
    map.sourceRoot = undefined;
    return { code: readFileSync(id, 'utf8'), map };
  },
};

const nodeExternal = (id) =>
  id === 'ws' || id === 'isomorphic-ws' || id.startsWith('node:') || builtinModules.includes(id);

export default [
  {
    input: ENTRIES,
    output: {
      dir: DIST,
      format: 'es',
      preserveModules: true,
      preserveModulesRoot: BUILD,
      entryFileNames: '[name].js',
      sourcemap: false,
    },
    external: nodeExternal,
    plugins: [cliHashbang],
  },
  {
    input: join(BUILD, 'index.js'),
    output: [
      {
        file: join(DIST, 'browser.js'),
        format: 'es',
        sourcemap: true,
        plugins: [terser({ module: true })],
      },
      // A classic-script build (global `MmdRemote`) for pages opened from disk: browsers refuse
      // ES modules from file:// URLs, and the playground must work that way too.
      {
        file: join(DIST, 'browser.iife.js'),
        format: 'iife',
        name: 'MmdRemote',
        sourcemap: true,
        plugins: [terser()],
      },
    ],
    plugins: [tscSourceMaps, nodeResolve({ browser: true, preferBuiltins: false })],
    onwarn: failOnUnresolved,
  },
  // dist/playground.js: the playground page's script, bundled from playground/src with the SDK sources.
  playground,
];

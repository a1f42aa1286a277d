// Bundles what `tsc` emitted into build/ (see TOOLCHAIN.md: the rollup TypeScript plugin does not
// work with TypeScript 7). Two outputs:
//  - dist/browser.js (ESM) and dist/browser.iife.js (classic script): the core entry, minified. Any import rollup
//    cannot resolve fails the build, so `ws` or a Node built-in can never slip into it.
//  - dist/node/*.js: the core, `./server` and the CLI for Node, with `ws` and built-ins external.
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const failOnUnresolved = (warning, warn) => {
  if (warning.code === 'UNRESOLVED_IMPORT') {
    throw new Error(`browser bundle: cannot resolve ${warning.exporter ?? warning.message}`);
  }
  warn(warning);
};

const nodeInputs = Object.fromEntries(
  [
    ['index', 'build/index.js'],
    ['server', 'build/server.js'],
    ['cli', 'build/node/cli.js'],
  ].filter(([, file]) => existsSync(file)),
);

// The CLI is the package's `bin`: npm (and its Windows .cmd shims) need a hashbang, exactly one.
const cliHashbang = {
  name: 'cli-hashbang',
  renderChunk(code, chunk) {
    if (!chunk.isEntry || chunk.name !== 'cli' || code.startsWith('#!')) return null;
    return { code: `#!/usr/bin/env node\n${code}`, map: null };
  },
};

const nodeExternal = (id) =>
  id === 'ws' || id === 'isomorphic-ws' || id.startsWith('node:') || builtinModules.includes(id);

export default [
  {
    input: 'build/index.js',
    output: [
      { file: 'dist/browser.js', format: 'es', sourcemap: true, plugins: [terser({ module: true })] },
      // A classic-script build (global `MmdRemote`) for pages opened from disk: browsers refuse
      // ES modules from file:// URLs, and the playground must work that way too.
      { file: 'dist/browser.iife.js', format: 'iife', name: 'MmdRemote', sourcemap: true, plugins: [terser()] },
    ],
    plugins: [nodeResolve({ browser: true, preferBuiltins: false })],
    onwarn: failOnUnresolved,
  },
  {
    input: nodeInputs,
    output: {
      dir: 'dist/node',
      format: 'es',
      sourcemap: true,
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
    },
    external: nodeExternal,
    plugins: [nodeResolve({ preferBuiltins: true }), cliHashbang],
  },
];

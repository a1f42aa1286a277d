// The playground's bundle: playground/src/main.ts and the SDK it imports from src/, as one classic
// script (dist/playground.js). A classic script, not a module, because browsers refuse ES modules
// from file:// URLs and the page must work when opened from disk. The TypeScript is stripped by
// esbuild (a dev dependency already), since the rollup TypeScript plugin does not work with
// TypeScript 7 (TOOLCHAIN.md); type-checking is tsc's job (tsconfig.test.json includes playground/src).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

/** Sources import each other as `./x.js` (NodeNext style): map that to the `.ts` file beside it. */
const typescript = {
  name: 'playground-typescript',
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.') || !source.endsWith('.js')) return null;
    const ts = resolve(dirname(importer), `${source.slice(0, -3)}.ts`);
    return existsSync(ts) ? ts : null;
  },
  async transform(code, id) {
    if (!id.endsWith('.ts')) return null;
    const out = await transform(code, { loader: 'ts', target: 'es2020', sourcemap: true, sourcefile: id });
    return { code: out.code, map: out.map };
  },
};

// scripts/build.mjs builds into a temporary folder and swaps it in (MMD_DIST_DIR), like the SDK's outputs.
const DIST = resolve(process.env.MMD_DIST_DIR || 'dist');

export default {
  input: fileURLToPath(new URL('./src/main.ts', import.meta.url)),
  output: { file: join(DIST, 'playground.js'), format: 'iife', sourcemap: true },
  plugins: [typescript],
  onwarn(warning, warn) {
    if (warning.code === 'UNRESOLVED_IMPORT') throw new Error(`playground bundle: cannot resolve ${warning.exporter}`);
    warn(warning);
  },
};

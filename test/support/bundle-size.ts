// Bundle one entry line in memory as an app's bundler would (esbuild, minified, ESM, browser)
// and measure it. Shared by the size-budget and tree-shaking tests (Node only).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export const gzipSize = (code: string): number => gzipSync(code, { level: 9 }).length;

/** `contents` is resolved from the repository root, e.g. `export { encodeLine } from './src/index.ts'`. */
export async function bundleEntry(contents: string): Promise<{ code: string; bytes: number; gzip: number }> {
  const result = await build({
    stdin: { contents, resolveDir: repoRoot, loader: 'ts' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return { code, bytes: code.length, gzip: gzipSize(code) };
}

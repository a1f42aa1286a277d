// The conformance suite in real browsers (Chromium, Firefox) against the installed package, three
// ways a page gets it: bundled from node_modules by a bundler (esbuild), the single-file ESM for
// CDNs (dist/browser.js) and the classic script (dist/browser.iife.js, global `MmdRemote`).
// The page comes from a small static server on 127.0.0.1; puppeteer-core drives the browsers that
// are installed on the machine (Chromium over CDP, Firefox over WebDriver BiDi) and downloads none.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import type { CheckResult } from './pack-conformance.mjs';
import type { PackedApp } from './pack-app.js';

const here = fileURLToPath(new URL('.', import.meta.url));

export interface BrowserSpec {
  name: 'chromium' | 'firefox';
  executablePath: string | undefined;
  /** Why it cannot run here, when it cannot. */
  missing?: string;
}

function firstExisting(paths: (string | undefined)[]): string | undefined {
  return paths.find((p): p is string => !!p && existsSync(p));
}

export function browsers(): BrowserSpec[] {
  const chromium = firstExisting([process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']);
  const firefox = firstExisting([process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox']);
  return [
    {
      name: 'chromium',
      executablePath: chromium,
      missing: chromium ? undefined : 'no Chromium here (apt-get install chromium, or set CHROME_PATH)',
    },
    {
      name: 'firefox',
      executablePath: firefox,
      missing: firefox ? undefined : 'no Firefox here (apt-get install firefox-esr, or set FIREFOX_PATH)',
    },
  ];
}

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>mmdagent-ex-remote conformance</title>
<script src="browser.iife.js"></script>
<script type="module">
  import { conformance } from './pack-conformance.mjs';
  const url = new URLSearchParams(location.search).get('ws');
  const tag = (label, results) => results.map((r) => ({ ...r, name: label + ': ' + r.name }));
  const all = [];
  try {
    all.push(...tag('bundled', await (await import('./bundled.js')).run(url)));
    all.push(...tag('dist/browser.js', await conformance(await import('./browser.js'), { url })));
    all.push(...tag('dist/browser.iife.js', await conformance(window.MmdRemote, { url })));
  } catch (err) {
    all.push({ name: 'page', ok: false, error: String((err && err.stack) || err) });
  }
  window.__conformance = all;
</script>
`;

/** Writes the page into `<app>/www`: the bundle made from the installed package and the two shipped files. */
export async function writePage(app: PackedApp): Promise<string> {
  const www = join(app.app, 'www');
  mkdirSync(www, { recursive: true });
  copyFileSync(join(here, 'pack-conformance.mjs'), join(www, 'pack-conformance.mjs'));
  writeFileSync(
    join(www, 'entry.mjs'),
    "import * as lib from 'mmdagent-ex-remote';\nimport { conformance } from './pack-conformance.mjs';\n" +
      'export const run = (url) => conformance(lib, { url });\n',
  );
  await build({
    entryPoints: [join(www, 'entry.mjs')],
    outfile: join(www, 'bundled.js'),
    absWorkingDir: app.app,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
  });
  for (const file of ['browser.js', 'browser.iife.js'])
    copyFileSync(join(app.installed, 'dist', file), join(www, file));
  writeFileSync(join(www, 'index.html'), PAGE);
  return www;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
};

/** Serves `root` read-only on 127.0.0.1. */
export async function serveStatic(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^[/\\]+/, '');
    const file = join(root, path || 'index.html');
    if (path.includes('..') || !existsSync(file) || !TYPES[extname(file)]) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)], 'cache-control': 'no-store' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** Opens the page in one browser and returns what the suite reported there. */
export async function runInBrowser(spec: BrowserSpec, pageUrl: string): Promise<CheckResult[]> {
  const browser: Browser = await puppeteer.launch({
    browser: spec.name === 'firefox' ? 'firefox' : 'chrome',
    executablePath: spec.executablePath,
    headless: true,
    timeout: 120_000, // Firefox takes 10+ s to start on a loaded 2-core machine
    protocolTimeout: 120_000,
    args:
      spec.name === 'chromium'
        ? [
            '--no-sandbox',
            '--disable-gpu',
            '--no-first-run',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
          ]
        : [],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    await page.goto(pageUrl);
    await page.waitForFunction('window.__conformance !== undefined', { timeout: 60_000 });
    const results = (await page.evaluate('window.__conformance')) as CheckResult[];
    return errors.length ? [...results, { name: 'page errors', ok: false, error: errors.join('\n') }] : results;
  } finally {
    await browser.close();
  }
}

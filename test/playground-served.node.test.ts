// The playground as a server serves it (`npm start`), opened from that server's own origin in
// real browsers driven by puppeteer-core: Chromium, and Firefox when it is installed. What only a
// same-origin page can show: it opens the channel that has an agent by itself (`--path /shop1`),
// takes `?channel=` and `?token=`, and names the token when a token-protected server refuses it.
// Also writes screenshots at 1280 and 360 px to .tmp/ for a person to look at (never committed).
// Needs a build (dist/playground.js); servers and simulators on 127.0.0.1.
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createServer, startSim, type MmdServer, type Sim } from '../src/server.js';
import { after, before, describe, skipIf } from './harness.js';
import { browsers } from './support/pack-browser.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'playgroundtoken1';
const built = existsSync(`${root}dist/playground.js`);

async function state(page: Page, id: string): Promise<{ state: string; text: string }> {
  return page.$eval(`#${id}`, (el) => ({ state: (el as HTMLElement).dataset.state ?? '', text: el.textContent ?? '' }));
}

async function settled(page: Page): Promise<{ state: string; text: string }> {
  await page.waitForFunction(
    () => ['ok', 'bad'].includes(document.getElementById('conn-status')!.dataset.state ?? ''),
    { timeout: 15_000 },
  );
  return state(page, 'conn-status');
}

for (const spec of browsers()) {
  describe(`playground served by the server, in ${spec.name}`, () => {
    const it = skipIf(!!spec.missing || !built, spec.missing ?? 'no build (dist/playground.js): npm run build');
    let browser: Browser | undefined;
    let shop: MmdServer;
    let locked: MmdServer;
    const sims: Sim[] = [];

    before(async () => {
      if (spec.missing || !built) return;
      // As `npm start -- --path /shop1`: the agent is on /shop1; an empty /chat also exists.
      shop = await createServer({ host: '127.0.0.1', port: 0, path: '/shop1', playground: true });
      shop.channel('/chat');
      sims.push(await startSim({ url: shop.url, platform: 'windows', retryCount: 20 }));
      locked = await createServer({ host: '127.0.0.1', port: 0, path: '/chat', playground: true, token: TOKEN });
      sims.push(await startSim({ url: locked.url, platform: 'windows', retryCount: 20 }));
      browser = await puppeteer.launch({
        browser: spec.name === 'firefox' ? 'firefox' : 'chrome',
        executablePath: spec.executablePath,
        headless: true,
        args: spec.name === 'chromium' ? ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] : [],
      });
    });

    after(async () => {
      await browser?.close();
      for (const sim of sims) await sim.stop();
      await shop?.close();
      await locked?.close();
    });

    const open = async (server: MmdServer, query = '', width = 1280, height = 900) => {
      if (!browser) return undefined;
      const page = await browser.newPage();
      await page.setViewport({ width, height });
      await page.goto(`${server.httpUrl}playground/${query}`);
      return page;
    };

    it('connects by itself to the channel that has the agent, and the .mdf panel says it', async () => {
      const page = (await open(shop))!;
      const port = new URL(shop.url).port;
      expect(await settled(page)).to.deep.equal({ state: 'ok', text: `connected to ws://127.0.0.1:${port}/shop1` });
      expect(await page.$eval('#mdf-lines', (el) => (el as HTMLTextAreaElement).value)).to.contain(
        'Plugin_Remote_Websocket_Directory=/shop1',
      );
      await page.waitForFunction(() => document.getElementById('agent-status')!.dataset.state === 'ok');
      // The screenshots a person looks at (the page after a send and its reply).
      await page.$eval('#command-form', (f) => (f as HTMLFormElement).requestSubmit());
      await page.waitForFunction(() => /SYNTH_EVENT_START/.test(document.getElementById('command-last')!.textContent!));
      mkdirSync(`${root}.tmp`, { recursive: true });
      await page.screenshot({ path: `${root}.tmp/playground-${spec.name}-1280.png` });
      await page.setViewport({ width: 360, height: 800 });
      await page.screenshot({ path: `${root}.tmp/playground-${spec.name}-360.png`, fullPage: true });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(360);
      await page.close();
    });

    it('opens the channel given as ?channel=, and says an empty one has no agent yet', async () => {
      const page = (await open(shop, '?channel=/chat'))!;
      expect((await settled(page)).text).to.match(/^connected to ws:\/\/127\.0\.0\.1:\d+\/chat$/);
      await page.waitForFunction(() => document.getElementById('agent-status')!.dataset.state === 'bad');
      expect((await state(page, 'agent-status')).text).to.equal('no agent on this channel yet');
      await page.close();
    });

    it('names the token when a token-protected server refuses the page, and connects with ?token=', async () => {
      let page = (await open(locked))!;
      expect((await settled(page)).state).to.equal('bad');
      const error = await page.$eval('#server-url-error', (el) => el.textContent ?? '');
      expect(error).to.match(/needs a controller token: open the page with \?token=<token>/);
      expect(error).not.to.match(/origin/);
      await page.close();

      page = (await open(locked, '?token=wrongtoken99'))!;
      expect((await settled(page)).state).to.equal('bad');
      expect(await page.$eval('#server-url-error', (el) => el.textContent ?? '')).to.match(
        /refused the controller token/,
      );
      await page.close();

      page = (await open(locked, `?token=${TOKEN}`))!;
      const ok = await settled(page);
      expect(ok.state).to.equal('ok');
      expect(ok.text).to.match(/\/chat\?token=…$/); // the token is not shown
      await page.close();
    });
  });
}

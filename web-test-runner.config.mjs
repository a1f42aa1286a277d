// Browser half of `npm test`: every test/*.test.ts that is not *.node.test.ts runs in Debian's
// headless Chromium (*.browser.test.ts run only here).
// See TOOLCHAIN.md for why each flag is here.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { browserTestServerPlugin } from './test/support/wtr-server-plugin.mjs';
import { playgroundServersPlugin } from './test/support/wtr-playground-plugin.mjs';

export default {
  files: ['test/**/*.test.ts', '!test/**/*.node.test.ts'],
  nodeResolve: { browser: true },
  port: Number(process.env.WTR_PORT || 0) || undefined,
  concurrency: 2,
  testFramework: { config: { timeout: 20000 } },
  testsFinishTimeout: 240000,
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), browserTestServerPlugin(), playgroundServersPlugin()],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--disable-dev-shm-usage',
        ],
      },
    }),
  ],
};

// The playground page in real Chromium, against the live server + simulated MMDAgent-EX that
// test/support/wtr-server-plugin.mjs starts. The page is loaded in an iframe from the test
// runner's own origin (same origin, so the test can read its DOM) and pointed at the server with
// `?server=...` — the same path a page opened from disk takes. Needs a build (dist/).
import { expect } from 'chai';
import { after, before, describe, it } from './harness.js';
import { CATALOG } from '../src/catalog/spec.js';
import { hasRow, openPlayground, pickCommand, rows, setValue, until, type Page } from './support/playground-page.js';

interface TestServerInfo {
  url: string | null;
  httpUrl: string | null;
  path: string;
}
// A string-typed specifier: the plugin serves this virtual module (no .d.ts needed).
const info = ((await import('virtual:test-server' as string)) as { default: TestServerInfo }).default;

describe('playground page', () => {
  let page: Page;
  const serverBase = () => info.url!.replace(/\/chat$/, '');

  before(async () => {
    expect(info.url, 'the test server did not start: build first (npx tsc && npx rollup -c)').to.be.a('string');
    page = await openPlayground(
      `server=${encodeURIComponent(serverBase())}&channel=${encodeURIComponent(info.path)}&connect=1`,
    );
  });
  after(() => page?.frame.remove());

  it('loads the bundle and the command list', () => {
    expect(page.$('sdk-missing').hidden).to.equal(true);
    expect(page.doc.documentElement.dataset.playground, 'dist/playground.js').to.equal('ready');
    expect(page.$<HTMLSelectElement>('command-select').options.length).to.be.greaterThan(90);
  });

  it('shows the connection and the agent as connected', async () => {
    await until(() => page.$('conn-status').dataset.state === 'ok', 'the connection');
    expect(page.$('conn-status').textContent).to.equal(`connected to ${info.url}`);
    await until(() => page.$('agent-status').dataset.state === 'ok', 'the agent status');
    expect(page.$('agent-status').textContent).to.match(/^connected/);
    // The page may join while the simulated agent is still in its sync handshake (the server then
    // says RELAY_AGENT_DISCONNECTED first), and /channels can turn the status green before the
    // relay's RELAY_AGENT_CONNECTED line arrives: wait for the line itself.
    await until(() => hasRow(page, 'in', `RELAY_AGENT_CONNECTED|${info.path}`), 'the relay line RELAY_AGENT_CONNECTED');
  });

  it('sends a command from its generated form and logs the echo and the events (messages.md §1)', async () => {
    pickCommand(page, 'SYNTH_START');
    // Prefilled from the catalog example; the simulated content's model is `0`.
    expect(page.$<HTMLInputElement>('arg-1').value).to.equal('mei_voice_normal');
    setValue(page, 'arg-0', '0');
    setValue(page, 'arg-2', 'Hi.');
    expect(page.$('command-preview').textContent).to.equal('SYNTH_START|0|mei_voice_normal|Hi.');
    expect(page.$<HTMLButtonElement>('command-send').disabled).to.equal(false);
    page.$('command-send').click();
    expect(hasRow(page, 'out', 'SYNTH_START|0|mei_voice_normal|Hi.')).to.equal(true);
    await until(() => hasRow(page, 'in', 'SYNTH_START|0|mei_voice_normal|Hi.'), 'the echo');
    await until(() => hasRow(page, 'in', 'SYNTH_EVENT_START|0'), 'SYNTH_EVENT_START');
    await until(() => hasRow(page, 'in', 'SYNTH_EVENT_STOP|0'), 'SYNTH_EVENT_STOP', 15000);
    const texts = rows(page).map((r) => `${r.dir} ${r.text}`);
    expect(texts.indexOf('in SYNTH_START|0|mei_voice_normal|Hi.')).to.be.lessThan(
      texts.indexOf('in SYNTH_EVENT_START|0'),
    );
  });

  it('sends a raw line and logs its echo and event', async () => {
    setValue(page, 'raw-line', 'VALUE_SET|pg|1');
    expect(page.$('raw-error').hidden).to.equal(true);
    page.$('raw-send').click();
    expect(hasRow(page, 'out', 'VALUE_SET|pg|1')).to.equal(true);
    await until(() => hasRow(page, 'in', 'VALUE_SET|pg|1'), 'the echo');
    await until(() => hasRow(page, 'in', 'VALUE_EVENT_SET|pg'), 'VALUE_EVENT_SET');
    // Screen readers get one polite summary every few seconds, not every row.
    const summary = await until(
      () =>
        /^\d+ new messages?, last /.test(page.$('log-announcer').textContent!) && page.$('log-announcer').textContent,
      'the summary',
      6000,
    );
    expect(summary).to.match(/, last \S+/);
  });

  it('shows the SDK error for an invalid raw line and sends nothing (wire.md §8.4, §12)', async () => {
    const before = rows(page).filter((r) => r.dir === 'out').length;
    setValue(page, 'raw-line', 'SNDX|1');
    expect(page.$('raw-error').hidden).to.equal(false);
    expect(page.$('raw-error').textContent).to.match(/^ERR_SND_PREFIX /);
    expect(page.$<HTMLButtonElement>('raw-send').disabled).to.equal(true);
    expect(page.$('raw-line').getAttribute('aria-invalid')).to.equal('true');
    page.$<HTMLFormElement>('raw-form').requestSubmit(); // Enter in the field: still nothing
    // A valid line whose empty field MMDAgent-EX would collapse (messages.md §1): a note, not a refusal.
    setValue(page, 'raw-line', 'VALUE_SET||x');
    expect(page.$('raw-error').hidden).to.equal(true);
    expect(page.$('raw-warning').hidden).to.equal(false);
    expect(page.$('raw-warning').textContent).to.match(/^ERR_EMPTY_ARGUMENT /);
    setValue(page, 'raw-line', 'SNDX|1');
    await new Promise((r) => setTimeout(r, 100));
    expect(rows(page).filter((r) => r.dir === 'out').length).to.equal(before);
  });

  it('shows the builder error next to an invalid form and sends nothing', async () => {
    const before = rows(page).filter((r) => r.dir === 'out').length;
    pickCommand(page, 'CAMERA (parameters)');
    setValue(page, 'arg-0', 'a,b,c');
    expect(page.$('command-error').textContent).to.match(/^ERR_BAD_ARGUMENT CAMERA argument 1/);
    expect(page.$<HTMLButtonElement>('command-send').disabled).to.equal(true);
    expect(page.$('command-preview').textContent).to.equal('');

    pickCommand(page, 'SYNTH_START');
    setValue(page, 'arg-0', '');
    expect(page.$('command-error').textContent).to.match(/^ERR_EMPTY_ARGUMENT /);
    expect(page.$('arg-0').getAttribute('aria-invalid')).to.equal('true');
    page.$<HTMLFormElement>('command-form').requestSubmit();

    pickCommand(page, 'MOTION_ADD');
    setValue(page, 'arg-3', ''); // range left out while repeat (after it) is given
    expect(page.$('command-error').textContent).to.match(/^ERR_BAD_ARGUMENT MOTION_ADD argument 4\b.*later optional/);
    await new Promise((r) => setTimeout(r, 100));
    expect(rows(page).filter((r) => r.dir === 'out').length).to.equal(before);
  });

  it('drives the avatar: __AV_START is answered by AVATAR|START (avatar.md §2)', async () => {
    page.$('av-start').click();
    expect(hasRow(page, 'out', '__AV_START')).to.equal(true);
    await until(() => hasRow(page, 'in', 'AVATAR|START'), 'AVATAR|START');
    page.$('av-setmodel').click();
    expect(hasRow(page, 'out', '__AV_SETMODEL,0')).to.equal(true);
    const autolip = page.$<HTMLSelectElement>('av-autolip');
    autolip.value = 'ALWAYS';
    page.$('av-autolip-send').click();
    expect(hasRow(page, 'out', '__AVCONF_DISABLEAUTOLIP,ALWAYS')).to.equal(true);
    setValue(page, 'av-morph-value', '0.5');
    await until(() => hasRow(page, 'out', '__AV_EXMORPH,smile=0.5'), 'the ex-morph line');
  });

  it('filters, pauses, copies and clears the log', async () => {
    setValue(page, 'log-filter', 'value_');
    const visible = rows(page).filter((r) => !r.hidden);
    expect(visible.length).to.be.greaterThan(0);
    expect(visible.every((r) => /VALUE_/.test(r.text))).to.equal(true);
    setValue(page, 'log-filter', '');

    page.$('log-pause').click();
    expect(page.$('log-pause').getAttribute('aria-pressed')).to.equal('true');
    const count = rows(page).length;
    setValue(page, 'raw-line', 'VALUE_SET|paused|1');
    page.$('raw-send').click();
    await until(() => /Paused: [1-9]/.test(page.$('log-note').textContent!), 'the held-back count');
    expect(rows(page).length).to.equal(count);
    page.$('log-pause').click();
    expect(hasRow(page, 'out', 'VALUE_SET|paused|1')).to.equal(true);

    // Copy as text: capture what the page hands to the clipboard (headless Chromium has no
    // clipboard to read back).
    let copied = '';
    Object.defineProperty(page.win.navigator.clipboard, 'writeText', {
      configurable: true,
      value: async (t: string) => void (copied = t),
    });
    page.$('log-copy').click();
    await until(() => page.$('log-note').textContent === 'Log copied as text.', 'the copy');
    const lines = copied.split('\n');
    expect(lines.length).to.equal(rows(page).length);
    expect(lines.filter((l) => !/^\d\d:\d\d:\d\d\.\d{3} (in   |out  |note )\S/.test(l))).to.deep.equal([]);
    expect(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} out  VALUE_SET\|pg\|1$/.test(l))).to.equal(true);
    expect(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} in   VALUE_EVENT_SET\|pg$/.test(l))).to.equal(true);

    page.$('log-clear').click();
    expect(rows(page).length).to.equal(0);
  });

  it('shows the .mdf lines that point MMDAgent-EX at this server (wire.md §2)', () => {
    const port = new URL(info.url!).port;
    expect(page.$<HTMLTextAreaElement>('mdf-lines').value.split(/\r?\n/)).to.deep.equal([
      'Plugin_Remote_Websocket_Host=127.0.0.1',
      `Plugin_Remote_Websocket_Port=${port}`,
      `Plugin_Remote_Websocket_Directory=${info.path}`,
      'Plugin_Remote_RetryCount=60',
    ]);
  });

  it('lists the channels from GET /channels, or says why it cannot', async () => {
    page.$('channels-refresh').click();
    const status = await until(
      () =>
        /Updated|Could not/.test(page.$('channel-list-status').textContent!) &&
        page.$('channel-list-status').textContent,
      'the channel list',
    );
    const res = await fetch(new URL('/channels', info.httpUrl!)).catch(() => undefined);
    if (res?.ok) {
      // The server allows this origin to read the list: the picker must show the agent.
      expect(status).to.match(/^Updated/);
      const labels = [...page.$<HTMLSelectElement>('channel-list').options].map((o) => o.textContent);
      expect(labels.some((l) => l!.startsWith(`${info.path} — agent connected`))).to.equal(true);
    } else {
      // Cross-origin without CORS: the page says so in words instead of failing silently.
      expect(status).to.match(
        /^Could not list channels: .*Check the server address\. This page's origin .* may be refused/,
      );
    }
  });

  it('streams the microphone or explains in words why it cannot', async () => {
    page.$('mic-start').click();
    // The avatar is prepared first: audio is dropped until a model is set (wire.md §8.3).
    expect(hasRow(page, 'out', 'SNDSTRM')).to.equal(true);
    const state = await until(
      () => /^(streaming|error|unsupported)/.test(page.$('mic-state').textContent!) && page.$('mic-state').textContent,
      'the microphone state',
    );
    if (state.startsWith('streaming')) {
      page.$('mic-stop').click();
      expect(page.$('mic-state').textContent).to.equal('stopped');
    } else {
      expect(page.$('mic-error').textContent).to.match(
        /permission was denied|No microphone was found|could not be opened|secure pages/,
      );
    }
  });

  it('closes the connection on Disconnect and disables sending', async () => {
    page.$('disconnect-btn').click();
    expect(page.$('conn-status').dataset.state).to.equal('idle');
    expect(page.$<HTMLButtonElement>('raw-send').disabled).to.equal(true);
    expect(page.$<HTMLButtonElement>('say-send').disabled).to.equal(true);
    expect(page.$<HTMLButtonElement>('connect-btn').disabled).to.equal(false);
  });
});

describe('playground page: accessibility and layout', () => {
  let page: Page;
  before(async () => {
    page = await openPlayground(`server=${encodeURIComponent('ws://127.0.0.1:9')}`, 360);
  });
  after(() => page?.frame.remove());

  it('labels every control', () => {
    const controls = [...page.doc.querySelectorAll('input, select, textarea, button')] as HTMLElement[];
    const unlabelled = controls.filter((el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
      if (el.tagName === 'BUTTON') return !el.textContent!.trim();
      return !(el as HTMLInputElement).labels?.length;
    });
    expect(unlabelled.map((el) => el.id || el.outerHTML.slice(0, 60))).to.deep.equal([]);
  });

  it('has a polite log summary and a log region', () => {
    // The log region wraps the list, so the rows keep their list semantics (axe: listitem).
    expect(page.$('log-scroll').getAttribute('role')).to.equal('log');
    expect(page.$('log-list').tagName).to.equal('OL');
    expect(page.$('log-announcer').getAttribute('aria-live')).to.equal('polite');
  });

  it('fits a 360 px wide window in one column', () => {
    expect(page.doc.documentElement.scrollWidth).to.be.at.most(360);
    const conn = page.$('connection').getBoundingClientRect();
    const log = page.$('log').getBoundingClientRect();
    expect(Math.round(log.left)).to.equal(Math.round(conn.left));
    expect(log.top).to.be.greaterThan(conn.bottom - 1);
  });

  it('says in words why it cannot connect: a closed port is not blamed on the origin', async () => {
    page.$('connect-btn').click();
    await until(() => page.$('conn-status').dataset.state === 'bad', 'the failure');
    expect(page.$('server-url-error').hidden).to.equal(false);
    const text = page.$('server-url-error').textContent!;
    expect(text).to.match(/^ERR_(CONNECT|TIMEOUT) .*ws:\/\/127\.0\.0\.1:9\/chat.*Nothing answers at 127\.0\.0\.1:9/);
    expect(text).not.to.match(/origin/);
  });
});

describe('playground command forms', () => {
  it('offers every command form that has an SDK builder, from the catalog', async () => {
    const page = await openPlayground(`server=${encodeURIComponent('ws://127.0.0.1:9')}&connect=0`);
    try {
      const labels = [...page.$<HTMLSelectElement>('command-select').options].map((o) => o.textContent);
      const expected = CATALOG.filter((e) => e.direction === 'command' && e.builder).map((e) =>
        e.form ? `${e.name} (${e.form})` : e.name,
      );
      expect(labels).to.deep.equal(expected);
    } finally {
      page.frame.remove();
    }
  });
});

describe('playground modules', () => {
  it('mic level: silence reads 0, a full-scale tone 1, a -30 dBFS tone half way', async () => {
    const { level } = await import('../playground/src/audio.js');
    const tone = (amp: number) => Float32Array.from({ length: 2048 }, (_, i) => amp * Math.sin(i / 3));
    expect(level(new Float32Array(2048))).to.equal(0);
    expect(level(tone(Math.SQRT2))).to.be.closeTo(1, 0.001);
    expect(level(tone(4))).to.equal(1); // clipped input does not overflow the meter
    expect(level(tone(Math.SQRT2 * 10 ** (-30 / 20)))).to.be.closeTo(0.5, 0.01);
  });

  it('hides a controller token wherever it stands in a URL or a message', async () => {
    const { shown } = await import('../playground/src/address.js');
    expect(shown('ws://h:1/chat?token=abc')).to.equal('ws://h:1/chat?token=…');
    expect(shown('connection to ws://h:1/chat?token=abc failed (code 1006)')).to.equal(
      'connection to ws://h:1/chat?token=… failed (code 1006)',
    );
  });

  it('shows the catalog description under each argument, without playground/catalog.js', async () => {
    const page = await openPlayground(`server=${encodeURIComponent('ws://127.0.0.1:9')}&connect=0`);
    try {
      pickCommand(page, 'SYNTH_START');
      expect(page.$('arg-0-hint').textContent).to.equal('model that lip-syncs; also the speaker id');
      expect(page.$<HTMLMeterElement>('mic-level').labels.length).to.equal(1);
    } finally {
      page.frame.remove();
    }
  });
});

describe('playground replies', () => {
  it('pairs each command with the events the catalog names for it', async () => {
    const { expectedEvents } = await import('../playground/src/replies.js');
    expect(expectedEvents('MOTION_ADD|0|a|b.vmd')).to.deep.equal(['MOTION_EVENT_ADD']);
    expect(expectedEvents('SYNTH_START|0|v|Hi.')).to.deep.equal(['SYNTH_EVENT_START', 'SYNTH_EVENT_STOP']);
    expect(expectedEvents('MENU|ADD|m')).to.deep.equal(['MENU_EVENT|ADD']);
    expect(expectedEvents('__AV_START')).to.deep.equal(['AVATAR|START']);
    expect(expectedEvents('TIMER_CANCEL|t')).to.deep.equal(['TIMER_EVENT_CANCELLED']);
    expect(expectedEvents('MODEL_CHANGE_ASYNC|0|m.pmd')).to.deep.equal(['MODEL_EVENT_CHANGE']);
    expect(expectedEvents('CAMERA|0,0,0|0,0,0|1|27')).to.deep.equal([]);
  });
});

// The playground as an operator's console (issue 15), in real Chromium against live servers with
// simulated MMDAgent-EXs: test/support/wtr-server-plugin.mjs (/chat) and wtr-playground-plugin.mjs
// (an operator server with /shop1 + an empty /shop2 that can be restarted, and a strict server
// with a token and its own origin only). Needs a build (dist/).
import { expect } from 'chai';
import { sendKeys } from '@web/test-runner-commands';
import { after, before, describe, it } from './harness.js';
import {
  axeFindings,
  findRow,
  hasRow,
  openPlayground,
  pick,
  pickCommand,
  rows,
  setValue,
  until,
  type Page,
} from './support/playground-page.js';

interface Servers {
  operator: { url: string; httpUrl: string } | null;
  strict: { url: string; token: string } | null;
}
// A string-typed specifier: the plugin serves this virtual module (no .d.ts needed).
const servers = ((await import('virtual:playground-servers' as string)) as { default: Servers }).default;

const outCount = (page: Page) => rows(page).filter((r) => r.dir === 'out').length;
const sendRaw = (page: Page, text: string) => {
  setValue(page, 'raw-line', text);
  page.$<HTMLFormElement>('raw-form').requestSubmit();
};

describe('playground console: the first minutes', () => {
  let page: Page;
  before(async () => {
    expect(servers.operator, 'the playground servers did not start: build first').to.be.an('object');
    // No ?channel=: the page asks GET /channels and opens the channel that has an agent.
    page = await openPlayground(`server=${encodeURIComponent(servers.operator!.url)}&connect=1`);
    await until(() => page.$('conn-status').dataset.state === 'ok', 'the connection');
  });
  after(() => page?.frame.remove());

  it('connects by itself to the channel with an agent, and the .mdf panel says that channel', async () => {
    expect(page.$('conn-status').textContent).to.equal(`connected to ${servers.operator!.url}/shop1`);
    expect(page.$<HTMLInputElement>('channel').value).to.equal('/shop1');
    expect(page.$<HTMLTextAreaElement>('mdf-lines').value).to.contain('Plugin_Remote_Websocket_Directory=/shop1');
    await until(() => page.$('agent-status').dataset.state === 'ok', 'the agent status');
  });

  it("fills model aliases with the simulator's model 0, not the catalog's mei, and says what comes back", () => {
    pickCommand(page, 'MOTION_ADD');
    expect(page.$<HTMLInputElement>('arg-0').value).to.equal('0');
    expect(page.$('command-expect').textContent).to.match(/the echo, then MOTION_EVENT_ADD/);
    pickCommand(page, 'CAMERA (parameters)');
    expect(page.$('command-expect').textContent).to.match(/only the echo/);
    // Arguments are numbered from 1 on the form, as in every error message.
    expect(page.doc.querySelector('label[for="arg-0"]')!.textContent).to.match(/^1 · position/);
  });

  it('shows on the sent row the reply, with its latency', async () => {
    sendRaw(page, 'VALUE_SET|latency|1');
    const row = await until(
      () => /VALUE_EVENT_SET \d+ ms/.test(findRow(page, 'out', 'VALUE_SET|latency|1')?.reply ?? '') && true,
      'the reply on the row',
    );
    expect(row).to.equal(true);
    expect(findRow(page, 'out', 'VALUE_SET|latency|1')!.reply).to.match(/^← echo \d+ ms · VALUE_EVENT_SET \d+ ms$/);
  });

  it('says when nothing came within 5 s, and why (an unknown model alias)', async () => {
    sendRaw(page, 'MOTION_ADD|mei|wave|motions/wave.vmd');
    const reply = await until(
      () =>
        /within 5 s/.test(findRow(page, 'out', 'MOTION_ADD|mei|wave|motions/wave.vmd')?.reply ?? '') &&
        findRow(page, 'out', 'MOTION_ADD|mei|wave|motions/wave.vmd')!.reply,
      'the timeout note',
      9000,
    );
    expect(reply).to.match(/^← echo \d+ ms; no MOTION_EVENT_ADD within 5 s: unknown model alias "mei"\?/);
  });

  it('keeps the avatar state: motions, speaking, avatar control', async () => {
    sendRaw(page, 'MOTION_ADD|0|wave|motions/wave.vmd|PART|LOOP');
    await until(() => /0:wave/.test(page.$('state-motions').textContent!), 'the motion in the state panel');
    expect(page.$('state-models').textContent).to.equal('0');
    sendRaw(page, 'SYNTH_START|0|mei_voice_normal|Hi.');
    await until(() => page.$('state-speaking').textContent === '0', 'speaking');
    await until(() => page.$('state-speaking').textContent === 'no', 'speaking ends', 15000);
    page.$('av-start').click();
    await until(() => page.$('state-avatar').textContent === 'on', 'avatar control on');
    page.$('av-end').click();
    await until(() => page.$('state-avatar').textContent === 'off', 'avatar control off');
  });

  it('injects what the user says as RECOG_EVENT_STOP', async () => {
    setValue(page, 'user-text', 'hello there');
    page.$<HTMLFormElement>('user-form').requestSubmit();
    expect(hasRow(page, 'out', 'RECOG_EVENT_STOP|hello there')).to.equal(true);
    await until(() => hasRow(page, 'in', 'RECOG_EVENT_STOP|hello there'), 'the echo');
    setValue(page, 'user-text', 'a|b');
    page.$<HTMLFormElement>('user-form').requestSubmit();
    expect(page.$('user-error').textContent).to.match(/^ERR_PIPE_IN_FIELD /);
  });
});

describe('playground console: the log', () => {
  let page: Page;
  before(async () => {
    page = await openPlayground(`server=${encodeURIComponent(servers.operator!.url)}&channel=/shop1&connect=1`);
    await until(() => page.$('conn-status').dataset.state === 'ok', 'the connection');
    sendRaw(page, 'VALUE_SET|logged|1');
    await until(() => hasRow(page, 'in', 'VALUE_EVENT_SET|logged'), 'the event');
  });
  after(() => page?.frame.remove());

  it('filters by direction and by kind', () => {
    pick(page, 'log-dir', 'out');
    let shown = rows(page).filter((r) => !r.hidden);
    expect(shown.length).to.be.greaterThan(0);
    expect(shown.every((r) => r.dir === 'out')).to.equal(true);
    pick(page, 'log-dir', '');
    pick(page, 'log-kind', 'event');
    shown = rows(page).filter((r) => !r.hidden);
    expect(shown.map((r) => r.text)).to.include('VALUE_EVENT_SET|logged');
    expect(shown.every((r) => r.el.dataset.kind === 'event')).to.equal(true);
    pick(page, 'log-kind', '');
    expect(rows(page).every((r) => !r.hidden)).to.equal(true);
  });

  it("shows parseEvent's named fields in the parsed view", () => {
    const row = findRow(page, 'in', 'VALUE_EVENT_SET|logged')!;
    expect(row.fields).to.equal('variableAlias=logged');
    expect(getComputedStyle(row.el.querySelector('.fields')!).display).to.equal('none');
    const parsed = page.$<HTMLInputElement>('log-parsed');
    parsed.checked = true;
    parsed.dispatchEvent(new Event('change', { bubbles: true }));
    expect(getComputedStyle(row.el.querySelector('.fields')!).display).not.to.equal('none');
  });

  it('recalls sent lines with the up arrow, and keeps snippets', () => {
    const box = page.$<HTMLTextAreaElement>('raw-line');
    setValue(page, 'raw-line', '');
    box.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true, cancelable: true }));
    expect(box.value).to.equal('VALUE_SET|logged|1');
    setValue(page, 'raw-line', 'KEYVALUE_SET|Mood|happy');
    page.$('snippet-save').click();
    const options = [...page.$<HTMLSelectElement>('snippet-list').options].map((o) => o.value);
    expect(options).to.include('KEYVALUE_SET|Mood|happy');
    setValue(page, 'raw-line', '');
    pick(page, 'snippet-list', 'KEYVALUE_SET|Mood|happy');
    expect(box.value).to.equal('KEYVALUE_SET|Mood|happy');
    page.$('snippet-delete').click();
    expect([...page.$<HTMLSelectElement>('snippet-list').options].map((o) => o.value)).not.to.include(
      'KEYVALUE_SET|Mood|happy',
    );
  });

  it('exports the session as JSONL with time and direction', async () => {
    let blob: Blob | undefined;
    const urls = (page.win as unknown as { URL: { createObjectURL(b: Blob): string } }).URL;
    const real = urls.createObjectURL;
    urls.createObjectURL = (b: Blob) => ((blob = b), 'blob:null/test');
    try {
      page.$('log-export').click();
    } finally {
      urls.createObjectURL = real;
    }
    const lines = (await blob!.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines.length).to.equal(rows(page).length);
    expect(lines.every((l) => !Number.isNaN(Date.parse(l.t)) && ['in', 'out', 'note'].includes(l.dir))).to.equal(true);
    expect(lines).to.deep.include({
      t: lines.find((l) => l.line === 'VALUE_SET|logged|1')!.t,
      dir: 'out',
      line: 'VALUE_SET|logged|1',
    });
  });

  it('imports a JSONL session and replays its sent lines against the channel', async () => {
    const t = Date.now();
    const jsonl = [
      { t: new Date(t).toISOString(), dir: 'out', line: 'VALUE_SET|replayed|1' },
      { t: new Date(t + 5).toISOString(), dir: 'in', line: 'VALUE_EVENT_SET|replayed' },
      { t: new Date(t + 50).toISOString(), dir: 'out', line: 'VALUE_SET|replayed|2' },
    ]
      .map((r) => JSON.stringify(r))
      .concat(['not json'])
      .join('\n');
    const input = page.$<HTMLInputElement>('log-import');
    const files = new DataTransfer();
    files.items.add(new File([jsonl], 'session.jsonl', { type: 'application/x-ndjson' }));
    input.files = files.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    await until(
      () => /2 sent lines to replay, 1 unreadable line skipped/.test(page.$('replay-status').textContent!),
      'the import',
    );
    expect(page.$<HTMLButtonElement>('replay-btn').disabled).to.equal(false);
    page.$('replay-btn').click();
    await until(() => hasRow(page, 'out', 'VALUE_SET|replayed|2'), 'the replay');
    await until(() => hasRow(page, 'in', 'VALUE_EVENT_SET|replayed'), 'its events');
    expect(outCount(page)).to.be.greaterThan(2);
  });
});

describe('playground console: fixes', () => {
  let page: Page;
  before(async () => {
    page = await openPlayground(`server=${encodeURIComponent(servers.operator!.url)}&channel=/shop1&connect=1`);
    await until(() => page.$('conn-status').dataset.state === 'ok', 'the connection');
  });
  after(() => page?.frame.remove());

  it('refuses avatar lines MMDAgent-EX would ignore or the SDK refuses, and leading-space lines', () => {
    const before = outCount(page);
    const refused: [string, RegExp][] = [
      ['__AVfoo', /^ERR_AVATAR_SYNTAX unknown avatar command "__AVfoo"/],
      ['__AV_EXMORPH,smile=2', /^ERR_AVATAR_RANGE /],
      [' MOTION_ADD|0|a|b.vmd', /^ERR_BAD_INPUT the line starts with a space/],
    ];
    for (const [line, error] of refused) {
      setValue(page, 'raw-line', line);
      expect(page.$('raw-error').textContent, line).to.match(error);
      expect(page.$<HTMLButtonElement>('raw-send').disabled, line).to.equal(true);
      page.$<HTMLFormElement>('raw-form').requestSubmit();
    }
    expect(outCount(page)).to.equal(before);
  });

  it('sends pasted multi-line text as separate lines', async () => {
    setValue(page, 'raw-line', 'VALUE_SET|multi|1\nVALUE_SET|multi|2\n');
    expect(page.$('raw-send').textContent).to.equal('Send 2 lines');
    page.$<HTMLFormElement>('raw-form').requestSubmit();
    expect(hasRow(page, 'out', 'VALUE_SET|multi|1')).to.equal(true);
    expect(hasRow(page, 'out', 'VALUE_SET|multi|2')).to.equal(true);
    await until(() => hasRow(page, 'in', 'VALUE_EVENT_SET|multi'), 'the events');
  });

  it('refuses "1e" in an optional number field with a message instead of leaving it out', async () => {
    pickCommand(page, 'MOTION_ADD');
    const priority = page.$<HTMLInputElement>('arg-7');
    expect(priority.type).to.equal('number');
    priority.focus();
    await sendKeys({ type: '1e' });
    priority.dispatchEvent(new Event('input', { bubbles: true }));
    expect(priority.validity.badInput).to.equal(true);
    expect(page.$('command-error').textContent).to.match(
      /^ERR_BAD_ARGUMENT MOTION_ADD argument 8 \(priority\): not a number/,
    );
    expect(priority.getAttribute('aria-invalid')).to.equal('true');
    expect(page.$<HTMLButtonElement>('command-send').disabled).to.equal(true);
    expect(page.$('command-preview').textContent).to.equal('');
  });

  it('numbers arguments from 1 with their name everywhere, and marks only the bad field', () => {
    pickCommand(page, 'SYNTH_START');
    setValue(page, 'arg-1', '');
    expect(page.$('command-error').textContent).to.match(/^ERR_EMPTY_ARGUMENT SYNTH_START argument 2 \(voiceAlias\)/);
    setValue(page, 'arg-1', 'v');
    setValue(page, 'arg-2', 'a|b');
    expect(page.$('command-error').textContent).to.match(/argument 3 \(text\)/);
    const marked = [...page.doc.querySelectorAll('#command-args [aria-invalid="true"]')].map((x) => x.id);
    expect(marked).to.deep.equal(['arg-2']);
    pickCommand(page, 'CAMERA (parameters)');
    setValue(page, 'arg-1', '1,2');
    expect(page.$('command-error').textContent).to.match(/^ERR_BAD_ARGUMENT CAMERA argument 2 \(rotation\)/);
    expect([...page.doc.querySelectorAll('#command-args [aria-invalid="true"]')].map((x) => x.id)).to.deep.equal([
      'arg-1',
    ]);
  });

  it('keeps the keyboard focus on Connect/Disconnect', async () => {
    const disconnect = page.$<HTMLButtonElement>('disconnect-btn');
    disconnect.focus();
    disconnect.click();
    expect(page.doc.activeElement?.id).to.equal('connect-btn');
    page.$('connect-btn').click();
    expect(page.doc.activeElement?.id).to.equal('disconnect-btn');
    await until(() => page.$('conn-status').dataset.state === 'ok', 'the connection');
  });

  it('moves the connection when a channel is picked, and an empty channel is not an agent that left', async () => {
    await until(
      () => [...page.$<HTMLSelectElement>('channel-list').options].some((o) => o.value === '/shop2'),
      'the list',
    );
    pick(page, 'channel-list', '/shop2');
    await until(() => page.$('conn-status').textContent === `connected to ${servers.operator!.url}/shop2`, '/shop2');
    expect(page.$<HTMLTextAreaElement>('mdf-lines').value).to.contain('Plugin_Remote_Websocket_Directory=/shop2');
    await until(() => hasRow(page, 'in', /^RELAY_AGENT_DISCONNECTED\|\/shop2/), 'the join status line');
    expect(page.$('agent-status').textContent).to.equal('no agent on this channel yet');
    expect(findRow(page, 'in', /^RELAY_AGENT_DISCONNECTED\|\/shop2/)!.text).to.contain('on joining: no MMDAgent-EX');
    expect(rows(page).some((r) => /agent left/.test(r.text))).to.equal(false);
  });

  it("puts the server's refusal on the refused row", async () => {
    sendRaw(page, 'VALUE_SET|refused|1'); // on /shop2, which has no agent
    const reply = await until(
      () =>
        (findRow(page, 'out', 'VALUE_SET|refused|1')?.reply ?? '').startsWith('refused') &&
        findRow(page, 'out', 'VALUE_SET|refused|1')!.reply,
      'the refusal on the row',
    );
    expect(reply).to.match(/^refused by the server: ERR_NO_AGENT no MMDAgent-EX is connected on \/shop2/);
    expect(page.$('raw-last').textContent).to.contain('refused by the server: ERR_NO_AGENT');
  });

  it('draws one red marker for a relay error row', async () => {
    sendRaw(page, 'VALUE_SET|nobody|1'); // on /shop2, which has no agent
    const row = await until(() => findRow(page, 'in', /^RELAY_ERROR\|ERR_NO_AGENT/), 'the relay error');
    expect(row.reply === '' && row.el.classList.contains('row-error')).to.equal(true);
    const bars = [row.el, ...row.el.querySelectorAll<HTMLElement>('*')].filter(
      (x) => getComputedStyle(x).borderLeftWidth !== '0px' && getComputedStyle(x).borderLeftStyle !== 'none',
    );
    expect(bars.map((x) => x.className)).to.deep.equal([]);
    await until(
      () => findRow(page, 'out', 'VALUE_SET|nobody|1')!.reply.startsWith('refused by the server: ERR_NO_AGENT'),
      'why',
    );
  });

  it('has no serious or critical axe-core finding, connected and with rows in the log', async () => {
    expect(rows(page).length).to.be.greaterThan(3);
    expect(await axeFindings(page)).to.deep.equal([]);
  });
});

describe('playground console: several channels and reconnecting', () => {
  let page: Page;
  before(async () => {
    page = await openPlayground(`server=${encodeURIComponent(servers.operator!.url)}&channel=/shop1&connect=1`);
    await until(() => page.$('conn-status').dataset.state === 'ok', 'the connection');
  });
  after(() => page?.frame.remove());

  const card = (path: string) => page.doc.querySelector<HTMLElement>(`#grid-list li[data-path="${path}"]`);

  it('shows a card per channel with its status, watches several, opens one in the console', async () => {
    await until(() => card('/shop1') && card('/shop2'), 'the cards');
    expect(card('/shop1')!.querySelector('.pill')!.textContent).to.match(/^agent/);
    expect(card('/shop2')!.querySelector('.pill')!.textContent).to.equal('no agent');
    expect(card('/shop1')!.classList.contains('current')).to.equal(true);
    for (const path of ['/shop1', '/shop2']) (card(path)!.querySelector('button') as HTMLButtonElement).click();
    await until(() => card('/shop1')!.querySelector('.last')!.textContent !== '', 'the watch of /shop1');
    await until(() => /RELAY_AGENT_DISCONNECTED/.test(card('/shop2')!.querySelector('.last')!.textContent!), '/shop2');
    expect(card('/shop2')!.querySelector('button')!.getAttribute('aria-pressed')).to.equal('true');
    (card('/shop2')!.querySelectorAll('button')[1] as HTMLButtonElement).click();
    await until(
      () => page.$('conn-status').textContent === `connected to ${servers.operator!.url}/shop2`,
      'the switch',
    );
    pick(page, 'channel-list', '/shop1');
    await until(() => page.$('conn-status').textContent === `connected to ${servers.operator!.url}/shop1`, 'back');
  });

  it('reconnects after a server restart with a visible state, and refreshes the channel list', async () => {
    const listedBefore = page.$('channel-list-status').textContent;
    const seen = new Set<string>();
    const watch = setInterval(() => seen.add(page.$('conn-status').textContent!), 20);
    try {
      const restarted = fetch('/__playground/restart');
      await until(() => [...seen].some((s) => /^(retrying in|reconnecting)/.test(s)), 'the retry state');
      await restarted;
      await until(() => page.$('conn-status').dataset.state === 'ok', 'the reconnection', 15000);
    } finally {
      clearInterval(watch);
    }
    expect(hasRow(page, 'note', /^connection to .*\/shop1 lost/)).to.equal(true);
    await until(() => page.$('channel-list-status').textContent !== listedBefore, 'a fresh channel list');
    await until(() => hasRow(page, 'in', 'RELAY_AGENT_CONNECTED|/shop1'), 'the agent back', 15000);
  });
});

describe('playground console: connection errors and the narrow layout', () => {
  it('blames the origin or the token when a server refuses the page, not a closed port', async () => {
    const page = await openPlayground(`server=${encodeURIComponent(servers.strict!.url)}&channel=/chat&connect=0`);
    try {
      page.$('connect-btn').click();
      await until(() => page.$('conn-status').dataset.state === 'bad', 'the failure');
      const text = page.$('server-url-error').textContent!;
      expect(text).to.match(/answers but refused this page: it may not allow this page's origin http:\/\/[\w.]+:\d+ /);
      expect(text).to.match(/needs a controller token \(open the page with \?token=<token>\)/);
      expect(text).not.to.match(/Nothing answers/);
    } finally {
      page.frame.remove();
    }
  });

  it('at 360 px puts the composer right above the log, and has no serious axe-core finding', async () => {
    const page = await openPlayground(
      `server=${encodeURIComponent(servers.operator!.url)}&channel=/shop1&connect=1`,
      360,
    );
    try {
      await until(() => page.$('conn-status').dataset.state === 'ok', 'the connection');
      expect(page.doc.documentElement.scrollWidth).to.be.at.most(360);
      const composer = page.$('composer').getBoundingClientRect();
      const log = page.$('log').getBoundingClientRect();
      expect(log.top).to.be.greaterThan(composer.bottom - 1);
      expect(log.top - composer.bottom).to.be.lessThan(24);
      expect(await axeFindings(page)).to.deep.equal([]);
    } finally {
      page.frame.remove();
    }
  });
});

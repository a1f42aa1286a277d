// The playground: a controller console for the mmdagent-ex-remote relay. Built by rollup into
// dist/playground.js (a classic script, so the page also works opened from disk).
import { formatMessage, type IncomingMessage, type Message } from '../../src/index.js';
import {
  channelPath,
  connectOnLoad,
  controllerUrl,
  defaultServerUrl,
  normalizeChannel,
  params,
  servedByServer,
  shown,
  withoutToken,
} from './address.js';
import { AvatarControls } from './avatar.js';
import { Microphone } from './audio.js';
import { fetchChannels, pickChannel, type ChannelInfo } from './channels.js';
import { Composer } from './composer.js';
import { Connection, type ConnState } from './connection.js';
import { $, clockTime, describeError, plural, setPill, showError, stored } from './dom.js';
import { ChannelGrid } from './grid.js';
import { Log } from './log.js';
import { renderMdf, wireMdf } from './mdf.js';
import { RawBox } from './raw.js';
import { Replies } from './replies.js';
import { AgentState } from './state.js';

const CHANNELS_EVERY_MS = 10_000; // the channel list and grid refresh this often while the page is visible
const REPLAY_GAP_MAX_MS = 1000; // replay keeps the recorded pauses, but none longer than this

// Tells the page's inline check that the bundle ran (index.html shows a banner otherwise).
document.documentElement.dataset.playground = 'ready';

const log = new Log();
const state = new AgentState();
let agentPresent = false;
/** The next relay status line is the one the server sends on joining (not a change). */
let joining = false;
let replayTimer = 0;

const conn = new Connection({ state: onState, message: onIncoming, open: onOpen });
const replies = new Replies(
  state,
  () => agentPresent,
  () => log.follow(),
);
const composer = new Composer(state, updateButtons);
const raw = new RawBox(updateButtons);
const avatarControls = new AvatarControls((line, box) => send(line, box));
const mic = new Microphone(
  () => conn.link,
  () =>
    avatarControls.line(() => '__AV_START') &&
    avatarControls.line(() => `__AV_SETMODEL,${avatarControls.model()}`) &&
    send('SNDSTRM', $('mic-error')),
  updateButtons,
);
const grid = new ChannelGrid((path) => switchChannel(path));

// ------------------------------------------------------------------ sending

/** Sends a line or Message through the SDK (validated there) and logs it; false when refused. */
function send(what: Message | string, errorBox?: HTMLElement, mirror?: HTMLElement): boolean {
  const link = conn.link;
  if (!link) {
    if (errorBox) showError(errorBox, new Error('Not connected: connect to a channel first.'));
    return false;
  }
  try {
    const line = typeof what === 'string' ? what : formatMessage(what);
    link.send(what);
    const entry = log.add('out', line);
    replies.sent(entry, mirror);
    if (errorBox) showError(errorBox, null);
    return true;
  } catch (err) {
    const { code, message } = describeError(err);
    if (errorBox) showError(errorBox, err);
    else log.add('note', `not sent: ${code} ${message}`);
    return false;
  }
}

// ------------------------------------------------------------------ status

function setAgent(kind: 'idle' | 'ok' | 'busy' | 'bad', text: string): void {
  setPill($('agent-status'), kind, text);
}

function onIncoming(msg: IncomingMessage): void {
  const line = msg.line;
  let extra = msg.truncated ? '(cut by MMDAgent-EX at 2047 bytes)' : '';
  if (msg.type === 'RELAY_AGENT_CONNECTED') {
    agentPresent = true;
    setAgent('ok', `connected since ${clockTime(new Date())}`);
  } else if (msg.type === 'RELAY_AGENT_DISCONNECTED') {
    agentPresent = false;
    if (joining) {
      setAgent('bad', 'no agent on this channel yet');
      extra = '(on joining: no MMDAgent-EX on this channel yet)';
    } else {
      setAgent('bad', 'agent left the channel');
      state.reset();
    }
  } else if (msg.type === 'RELAY_ERROR' && msg.args[0] === 'ERR_NO_AGENT') {
    agentPresent = false;
    setAgent('bad', 'no agent on this channel');
  } else if (!msg.type.startsWith('RELAY_') && !agentPresent) {
    agentPresent = true;
    setAgent('ok', 'connected');
  }
  if (msg.type.startsWith('RELAY_AGENT_')) joining = false;
  log.add('in', line, extra);
  replies.received(line);
  state.feed(msg.type, msg.args);
}

function onOpen(): void {
  joining = true;
  agentPresent = false;
  setAgent('busy', 'checking…');
  log.add('note', `connected to ${shown(conn.url)}`);
  renderMdf(new URL(conn.url).pathname);
  void refreshChannels();
}

function onState(s: ConnState): void {
  const pill = $('conn-status');
  showError($('server-url-error'), null);
  switch (s.kind) {
    case 'idle':
      setPill(pill, 'idle', 'not connected');
      break;
    case 'connecting':
      setPill(pill, 'busy', s.attempt ? `reconnecting (attempt ${s.attempt})…` : 'connecting…');
      break;
    case 'open':
      setPill(pill, 'ok', `connected to ${shown(conn.url)}`);
      break;
    case 'retrying':
      setPill(pill, 'busy', `retrying in ${(s.inMs / 1000).toFixed(1)} s (attempt ${s.attempt})`);
      $('retry-why').textContent = s.why;
      break;
    case 'failed':
      setPill(pill, 'bad', `failed${s.code ? ` (${s.code})` : ''}`);
      showError($('server-url-error'), { code: s.code, message: s.why });
      break;
  }
  if (s.kind !== 'retrying') $('retry-why').textContent = '';
  $('retry-now').hidden = s.kind !== 'retrying';
  if (s.kind !== 'open') {
    mic.stop('stopped');
    avatarControls.stopHold();
    replies.clear();
    if (s.kind !== 'connecting') {
      agentPresent = false;
      setAgent('idle', 'unknown');
    }
  }
  if (s.kind === 'retrying' && s.attempt === 1) log.add('note', `connection to ${shown(conn.url)} lost: ${s.why}`);
  updateButtons();
}

function updateButtons(): void {
  const open = conn.open;
  const active = conn.state.kind !== 'idle' && conn.state.kind !== 'failed';
  const connectBtn = $<HTMLButtonElement>('connect-btn');
  const disconnectBtn = $<HTMLButtonElement>('disconnect-btn');
  // A pressed button that disables itself drops the keyboard focus to the page: hand it over.
  const focused = document.activeElement;
  connectBtn.disabled = active;
  disconnectBtn.disabled = !active;
  if (focused === connectBtn && active) disconnectBtn.focus();
  if (focused === disconnectBtn && !active) connectBtn.focus();
  $<HTMLButtonElement>('command-send').disabled = !open || $('command-send').dataset.valid !== 'true';
  $<HTMLButtonElement>('raw-send').disabled = !open || $('raw-send').dataset.valid !== 'true';
  $<HTMLButtonElement>('replay-btn').disabled = !open || ($('replay-btn').dataset.ready !== 'true' && !replayTimer);
  for (const id of ['say-send', 'say-stop', 'user-send', 'av-start', 'av-end', 'av-setmodel', 'av-autolip-send'])
    $<HTMLButtonElement>(id).disabled = !open;
  $<HTMLInputElement>('av-morph-value').disabled = !open;
  $<HTMLButtonElement>('mic-start').disabled = !open || !!mic.mic;
}

// ------------------------------------------------------------------ channels

let lastChannels: ChannelInfo[] = [];

async function refreshChannels(): Promise<ChannelInfo[] | undefined> {
  const select = $<HTMLSelectElement>('channel-list');
  const status = $('channel-list-status');
  status.textContent = 'Loading…';
  let channels: ChannelInfo[];
  try {
    channels = await fetchChannels();
  } catch (err) {
    status.textContent = `Could not list channels: ${describeError(err).message}. Check the server address.`;
    return undefined;
  }
  lastChannels = channels;
  select.textContent = '';
  select.append(
    new Option(channels.length ? `(${plural(channels.length, 'channel')}: pick one)` : '(no channels yet)', ''),
  );
  for (const c of channels) {
    const since = c.since ? ` since ${clockTime(new Date(c.since))}` : '';
    const agent = c.agent ? `agent connected${since}` : 'no agent';
    const label = `${c.path} — ${agent}, ${plural(c.controllers, 'controller')}`;
    select.append(new Option(label, c.path));
  }
  const current = conn.link ? new URL(conn.url).pathname : channelPath();
  if (channels.some((c) => c.path === current)) select.value = current;
  status.textContent = `Updated at ${clockTime(new Date())}.`;
  grid.update(channels, current);
  return channels;
}

/** Picking a channel while connected moves the connection there (the .mdf panel follows). */
function switchChannel(path: string): void {
  $<HTMLInputElement>('channel').value = path;
  stored('mmd-playground-channel', path);
  renderMdf();
  if (conn.state.kind !== 'idle' && conn.state.kind !== 'failed') connectNow(true);
  grid.update(lastChannels, path);
}

function connectNow(retry = false): void {
  let url: string;
  try {
    url = controllerUrl();
  } catch (err) {
    showError($('server-url-error'), err);
    $('server-url').setAttribute('aria-invalid', 'true');
    return;
  }
  $('server-url').removeAttribute('aria-invalid');
  stored('mmd-playground-server', withoutToken($<HTMLInputElement>('server-url').value.trim()));
  state.reset();
  conn.start(url, retry);
}

function disconnectNow(): void {
  const was = conn.link;
  conn.stop();
  if (was) log.add('note', 'disconnected');
  stopReplay();
}

// ------------------------------------------------------------------ say, user says, replay

function say(e: Event): void {
  e.preventDefault();
  const model = $<HTMLInputElement>('say-model').value.trim();
  const voice = $<HTMLInputElement>('say-voice').value.trim();
  const text = $<HTMLTextAreaElement>('say-text').value.replace(/\r?\n/g, ' ').trim();
  try {
    send(formatMessage({ type: 'SYNTH_START', args: [model, voice, text] }), $('say-error'));
  } catch (err) {
    showError($('say-error'), err);
  }
}

function userSays(e: Event): void {
  e.preventDefault();
  const text = $<HTMLInputElement>('user-text').value.trim();
  try {
    // What a speech recogniser reports when the user stops speaking: a dialogue program reacts to it.
    if (send(formatMessage({ type: 'RECOG_EVENT_STOP', args: [text] }), $('user-error')))
      $<HTMLInputElement>('user-text').select();
  } catch (err) {
    showError($('user-error'), err);
  }
}

function stopReplay(): void {
  clearTimeout(replayTimer);
  replayTimer = 0;
  $('replay-btn').textContent = 'Replay sent lines';
  updateButtons();
}

/** Sends an imported session's `out` lines again, with its pauses (capped). */
function replay(): void {
  if (replayTimer) return stopReplay();
  const rows = log.imported.filter((r) => r.dir === 'out');
  let i = 0;
  $('replay-btn').textContent = 'Stop replay';
  const step = () => {
    const row = rows[i];
    if (!row || !conn.open) {
      $('replay-status').textContent = `Replayed ${i} of ${plural(rows.length, 'line')}.`;
      return stopReplay();
    }
    send(row.line, $('replay-error'));
    i++;
    $('replay-status').textContent = `Replaying: ${i} of ${rows.length} sent.`;
    const next = rows[i];
    const gap = next ? Math.min(REPLAY_GAP_MAX_MS, Math.max(0, Date.parse(next.t) - Date.parse(row.t) || 0)) : 0;
    replayTimer = window.setTimeout(step, gap);
  };
  replayTimer = window.setTimeout(step, 0);
  updateButtons();
}

// ------------------------------------------------------------------ wiring

async function init(): Promise<void> {
  $<HTMLInputElement>('server-url').value = defaultServerUrl();
  const asked = params.get('channel');
  if (asked) $<HTMLInputElement>('channel').value = normalizeChannel(asked);
  else if (!servedByServer && stored('mmd-playground-channel'))
    $<HTMLInputElement>('channel').value = stored('mmd-playground-channel')!;

  $('connect-form').addEventListener('submit', (e) => {
    e.preventDefault();
    stored('mmd-playground-channel', channelPath());
    connectNow(false);
  });
  $('disconnect-btn').addEventListener('click', disconnectNow);
  $('retry-now').addEventListener('click', () => conn.retryNow());
  $('channels-refresh').addEventListener('click', () => void refreshChannels());
  $('channel-list').addEventListener('change', () => {
    const v = $<HTMLSelectElement>('channel-list').value;
    if (v) switchChannel(v);
  });
  $('server-url').addEventListener('input', () => renderMdf());
  $('channel').addEventListener('input', () => renderMdf());

  $('command-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const msg = composer.validate();
    if (msg) send(msg, $('command-error'), $('command-last'));
  });
  $('raw-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const lines = raw.validate();
    if (!lines) return;
    let sent = 0;
    for (const line of lines) if (send(line, $('raw-error'), $('raw-last'))) sent++;
    if (sent) raw.remember(lines.slice(0, sent));
    if (sent === lines.length) $<HTMLTextAreaElement>('raw-line').select();
  });
  raw.validate();
  $('say-form').addEventListener('submit', say);
  $('say-stop').addEventListener('click', () =>
    send(formatMessage({ type: 'SYNTH_STOP', args: [$<HTMLInputElement>('say-model').value.trim()] }), $('say-error')),
  );
  $('user-form').addEventListener('submit', userSays);
  $('replay-btn').addEventListener('click', replay);
  document.addEventListener('playground:update', updateButtons);
  state.onChange(() => {
    state.render();
    // The say box and the avatar's model follow the agent's first model while they hold the default.
    for (const id of ['say-model', 'av-model']) {
      const input = $<HTMLInputElement>(id);
      if (input.dataset.touched !== 'true') input.value = state.defaultModel();
    }
  });
  for (const id of ['say-model', 'av-model']) $(id).addEventListener('input', () => ($(id).dataset.touched = 'true'));
  state.render();
  wireMdf();
  renderMdf();
  onState(conn.state);

  const listable = servedByServer || params.has('server');
  if (listable) {
    const list = await refreshChannels();
    // Served by a server without ?channel=: open the channel that has an agent.
    const pick = list && pickChannel(list);
    if (!asked && pick) {
      $<HTMLInputElement>('channel').value = pick;
      renderMdf();
    }
  }
  if (connectOnLoad()) connectNow(true);
  window.setInterval(() => {
    if (document.visibilityState === 'visible' && (listable || conn.state.kind !== 'idle')) void refreshChannels();
  }, CHANNELS_EVERY_MS);
}

void init();

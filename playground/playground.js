// The playground: a controller page for the mmdagent-ex-remote relay.
// A classic script (no `import`): browsers refuse ES modules from file:// URLs, and the page must
// work when opened from disk against any server. It uses the SDK through the global `MmdRemote`
// that ../dist/browser.iife.js defines, so every line it sends is validated by the SDK itself.
'use strict';

(function playground() {
  const sdk = globalThis.MmdRemote;
  const $ = (id) => document.getElementById(id);
  if (!sdk) {
    $('sdk-missing').hidden = false;
    return;
  }

  const LOG_LIMIT = 1500; // rows kept on screen; older ones scroll away
  const HELD_LIMIT = 5000; // rows held back while paused
  const ANNOUNCE_EVERY_MS = 2500; // screen-reader summary at most this often
  const MORPH_SEND_EVERY_MS = 100; // slider drags send at most this often
  const MORPH_HOLD_EVERY_MS = 500; // MMDAgent-EX lets an ex-morph go after 1 s (avatar.md)
  const MIC_SEND_SAMPLES = 640; // 40 ms of 16 kHz audio per send, the chunk size the docs recommend

  const state = {
    link: null,
    linkUrl: '',
    connecting: false,
    entries: [], // rendered log entries, oldest first
    held: [], // entries that arrived while paused
    heldDropped: 0,
    paused: false,
    filter: '',
    unannounced: 0,
    lastAnnounced: null,
    announceTimer: 0,
    morphTimer: 0,
    morphLastSent: 0,
    holdTimer: 0,
    mic: null,
  };

  // ---------------------------------------------------------------- helpers

  /** `code: message` for an MmdError, the message alone otherwise. */
  function describeError(err) {
    if (err && typeof err === 'object' && typeof err.code === 'string') return { code: err.code, message: err.message };
    return { code: '', message: err instanceof Error ? err.message : String(err) };
  }

  function showError(el, err) {
    if (!err) {
      el.hidden = true;
      el.textContent = '';
      return;
    }
    const { code, message } = describeError(err);
    el.textContent = '';
    if (code) {
      const c = document.createElement('code');
      c.textContent = code;
      el.append(c, ' ');
    }
    el.append(message);
    el.hidden = false;
  }

  function setPill(el, kind, text) {
    el.dataset.state = kind;
    el.textContent = text;
  }

  function clockTime(date) {
    const p = (n, w = 2) => String(n).padStart(w, '0');
    return `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}`;
  }

  async function copyText(text) {
    // The async clipboard needs a secure context (not every http:// address is one); fall back to
    // a selection copy, which works from file:// and plain http too.
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch {
      // fall through to the selection copy
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }

  // ---------------------------------------------------------------- addresses

  const params = new URLSearchParams(location.search);

  /** Remembered settings; storage may be blocked (privacy settings, some file:// setups). */
  function stored(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key);
      localStorage.setItem(key, value);
    } catch {
      // remembering is only a convenience
    }
    return null;
  }
  const servedByRelay = /^https?:$/.test(location.protocol) && location.pathname.startsWith('/playground/');

  function defaultServerUrl() {
    if (params.get('server')) return params.get('server');
    // A server with a controller token: open the page as /playground/?token=... (kept in the address).
    const token = params.get('token') ? `/?token=${encodeURIComponent(params.get('token'))}` : '';
    if (servedByRelay) return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${token}`;
    return stored('mmd-playground-server') || 'ws://127.0.0.1:9001';
  }

  /** The server field as a URL, or an error that says what to type. */
  function serverBase() {
    const raw = $('server-url').value.trim();
    let url;
    try {
      url = new URL(raw);
    } catch {
      throw new Error('Type the server as ws://host:port, for example ws://127.0.0.1:9001.');
    }
    if (url.protocol === 'http:' || url.protocol === 'https:')
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
      throw new Error('The server address must start with ws:// or wss://.');
    return url;
  }

  function channelPath() {
    const raw = $('channel').value.trim() || '/';
    return raw.startsWith('/') ? raw : `/${raw}`;
  }

  /** ws://host:port/<channel>, keeping a `?token=` typed into the server field. */
  function controllerUrl() {
    const base = serverBase();
    const url = new URL(base.href);
    url.pathname = channelPath();
    return url.href;
  }

  /** The http(s) twin of the server address, for GET /channels. */
  function httpUrl(path) {
    const base = serverBase();
    const url = new URL(base.href);
    url.protocol = base.protocol === 'wss:' ? 'https:' : 'http:';
    url.pathname = path;
    return url.href;
  }

  /**
   * Why a server may refuse this page: browsers send the page's origin, and the server accepts
   * only its own by default (pages opened from disk have the origin "null"). Empty when the page
   * came from that server.
   */
  function originHint() {
    let own;
    try {
      own = httpUrl('/playground/');
    } catch {
      return '';
    }
    if (location.origin === new URL(own).origin) return '';
    const origin = location.protocol === 'file:' ? '"null" (opened from disk)' : location.origin;
    return ` This page's origin ${origin} may be refused by the server: open the playground at ${own}, or allow this origin on the server (allowedOrigins).`;
  }

  /** A URL for the screen and the log: a controller token is not shown. */
  function shown(url) {
    return url.replace(/([?&]token=)[^&#]*/, '$1…');
  }

  // ---------------------------------------------------------------- status

  function setAgent(kind, text) {
    setPill($('agent-status'), kind, text);
  }

  function setConnection(kind, text) {
    setPill($('conn-status'), kind, text);
    const connected = !!state.link;
    $('connect-btn').disabled = state.connecting || connected;
    $('disconnect-btn').disabled = !(state.connecting || connected);
    updateSendButtons();
  }

  // ---------------------------------------------------------------- channels

  /** Accepts the server's /channels JSON (an array, or `{ channels: [...] }`) in a forgiving way. */
  function normalizeChannels(json) {
    const list = Array.isArray(json) ? json : Array.isArray(json && json.channels) ? json.channels : [];
    return list.map((c) => {
      const path = c.channel || c.path || c.name || '';
      const agent = c.agent && typeof c.agent === 'object' ? c.agent : null;
      const connected = !!(agent ? (agent.connected ?? true) : (c.agentConnected ?? c.agent));
      const since = (agent && agent.since) || c.agentSince || c.since || null;
      const controllers =
        typeof c.controllers === 'number' ? c.controllers : Array.isArray(c.controllers) ? c.controllers.length : 0;
      return { path, connected, since, controllers };
    });
  }

  async function fetchChannels() {
    const res = await fetch(httpUrl('/channels'), { cache: 'no-store' });
    if (!res.ok) throw new Error(`GET /channels answered ${res.status} ${res.statusText}`.trim());
    return normalizeChannels(await res.json());
  }

  async function refreshChannels() {
    const select = $('channel-list');
    const status = $('channel-list-status');
    status.textContent = 'Loading…';
    let channels;
    try {
      channels = await fetchChannels();
    } catch (err) {
      status.textContent = `Could not list channels: ${describeError(err).message}. Check the server address.${originHint()}`;
      return undefined;
    }
    select.textContent = '';
    const first = document.createElement('option');
    first.value = '';
    first.textContent = channels.length
      ? `(${channels.length} channel${channels.length === 1 ? '' : 's'}: pick one)`
      : '(no channels yet)';
    select.append(first);
    for (const c of channels) {
      const o = document.createElement('option');
      o.value = c.path;
      const since = c.since ? ` since ${clockTime(new Date(c.since))}` : '';
      o.textContent = `${c.path} — ${c.connected ? `agent connected${since}` : 'no agent'}, ${c.controllers} controller${c.controllers === 1 ? '' : 's'}`;
      select.append(o);
    }
    status.textContent = `Updated at ${clockTime(new Date())}.`;
    const current = channels.find((c) => c.path === channelPath());
    if (current && current.path) select.value = current.path;
    if (state.link) applyChannelInfo(current);
    return channels;
  }

  function applyChannelInfo(c) {
    if (!c) return;
    if (c.connected) setAgent('ok', c.since ? `connected since ${clockTime(new Date(c.since))}` : 'connected');
    else setAgent('bad', 'no agent on this channel');
  }

  // ---------------------------------------------------------------- log

  function typeClass(type) {
    if (type.startsWith('RELAY_ERROR')) return 'error';
    if (type.startsWith('RELAY_')) return 'relay';
    if (type.includes('_EVENT_') || type.endsWith('_EVENT') || type === 'AVATAR' || type === 'CURRENT_TIME')
      return 'event';
    return 'command';
  }

  /** Adds one entry: `dir` is 'in', 'out' or 'note'; `line` the wire text (or a description of binary data). */
  function logLine(dir, line, extra) {
    const bar = line.indexOf('|');
    const comma = line.startsWith('__AV') ? line.indexOf(',') : -1;
    const cut = dir === 'note' ? -1 : bar >= 0 ? bar : comma;
    const entry = {
      time: new Date(),
      dir,
      type: cut >= 0 ? line.slice(0, cut) : line,
      rest: cut >= 0 ? line.slice(cut) : '',
      extra: extra || '',
      text: line,
      el: null,
    };
    if (dir === 'in') (state.unannounced++, (state.lastAnnounced = entry));
    if (state.paused) {
      state.held.push(entry);
      if (state.held.length > HELD_LIMIT) (state.held.shift(), state.heldDropped++);
      updateLogNote();
      return;
    }
    render([entry]);
    scheduleAnnouncement();
  }

  function rowFor(entry) {
    const li = document.createElement('li');
    const t = document.createElement('span');
    t.className = 't';
    t.textContent = clockTime(entry.time);
    const d = document.createElement('span');
    d.className = `dir ${entry.dir}`;
    d.textContent = entry.dir === 'in' ? 'in' : entry.dir === 'out' ? 'out' : '·';
    const m = document.createElement('span');
    m.className = 'msg';
    const ty = document.createElement('span');
    ty.className = `ty ${entry.dir === 'note' ? 'note' : typeClass(entry.type)}`;
    ty.textContent = entry.type;
    m.append(ty);
    if (entry.rest) {
      const a = document.createElement('span');
      a.className = 'a';
      a.textContent = entry.rest;
      m.append(a);
    }
    if (entry.extra) m.append(` ${entry.extra}`);
    if (entry.type.startsWith('RELAY_ERROR')) li.className = 'error';
    li.append(t, d, m);
    li.hidden = !matches(entry);
    entry.el = li;
    return li;
  }

  function render(batch) {
    const list = $('log-list');
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    const frag = document.createDocumentFragment();
    for (const e of batch) {
      frag.append(rowFor(e));
      state.entries.push(e);
    }
    list.append(frag);
    while (state.entries.length > LOG_LIMIT) state.entries.shift().el.remove();
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function matches(entry) {
    return (
      !state.filter ||
      entry.text.toLowerCase().includes(state.filter) ||
      entry.extra.toLowerCase().includes(state.filter)
    );
  }

  function applyFilter() {
    state.filter = $('log-filter').value.trim().toLowerCase();
    for (const e of state.entries) e.el.hidden = !matches(e);
    updateLogNote();
  }

  function updateLogNote() {
    const parts = [];
    if (state.paused)
      parts.push(
        `Paused: ${state.held.length} new held back${state.heldDropped ? ` (${state.heldDropped} oldest dropped)` : ''}.`,
      );
    if (state.filter)
      parts.push(`Showing ${state.entries.filter((e) => !e.el.hidden).length} of ${state.entries.length} rows.`);
    $('log-note').textContent = parts.join(' ');
  }

  /** At most one polite summary per ANNOUNCE_EVERY_MS, so a busy agent does not drown a screen reader. */
  function scheduleAnnouncement() {
    if (state.announceTimer || !state.unannounced) return;
    state.announceTimer = setTimeout(() => {
      state.announceTimer = 0;
      if (!state.unannounced || !state.lastAnnounced) return;
      const n = state.unannounced;
      state.unannounced = 0;
      $('log-announcer').textContent =
        `${n} new message${n === 1 ? '' : 's'}, last ${state.lastAnnounced.text.slice(0, 80)}`;
    }, ANNOUNCE_EVERY_MS);
  }

  function togglePause() {
    state.paused = !state.paused;
    const btn = $('log-pause');
    btn.setAttribute('aria-pressed', String(state.paused));
    btn.textContent = state.paused ? 'Resume' : 'Pause';
    if (!state.paused && state.held.length) {
      const held = state.held;
      state.held = [];
      state.heldDropped = 0;
      render(held.slice(-LOG_LIMIT));
      scheduleAnnouncement();
    }
    updateLogNote();
  }

  function clearLog() {
    state.entries = [];
    state.held = [];
    state.heldDropped = 0;
    $('log-list').textContent = '';
    updateLogNote();
  }

  async function copyLog() {
    const text = state.entries
      .filter((e) => !e.el.hidden)
      .map((e) => `${clockTime(e.time)} ${e.dir.padEnd(5)}${e.text}${e.extra ? ` ${e.extra}` : ''}`)
      .join('\n');
    const ok = await copyText(text);
    $('log-note').textContent = ok ? 'Log copied as text.' : 'Copy failed: select the rows and copy them by hand.';
  }

  // ---------------------------------------------------------------- connection

  function isOpen() {
    return !!state.link;
  }

  /** Sends a line or Message through the SDK (validated there) and logs it; returns false on refusal. */
  function send(lineOrMessage, errorEl) {
    if (!state.link) {
      if (errorEl) showError(errorEl, new Error('Not connected: connect to a channel first.'));
      return false;
    }
    try {
      const line = typeof lineOrMessage === 'string' ? lineOrMessage : sdk.formatMessage(lineOrMessage);
      state.link.send(lineOrMessage);
      logLine('out', line);
      if (errorEl) showError(errorEl, null);
      return true;
    } catch (err) {
      if (errorEl) showError(errorEl, err);
      else logLine('note', `not sent: ${describeError(err).code} ${describeError(err).message}`);
      return false;
    }
  }

  function onIncoming(msg) {
    const line = typeof msg.line === 'string' ? msg.line : sdk.formatMessage(msg);
    logLine('in', line, msg.truncated ? '(cut by MMDAgent-EX at 2047 bytes)' : '');
    if (msg.type === 'RELAY_AGENT_CONNECTED') setAgent('ok', `connected since ${clockTime(new Date())}`);
    else if (msg.type === 'RELAY_AGENT_DISCONNECTED') setAgent('bad', 'agent left the channel');
    else if (msg.type === 'RELAY_ERROR' && msg.args[0] === 'ERR_NO_AGENT') setAgent('bad', 'no agent on this channel');
    else if ($('agent-status').dataset.state !== 'ok' && !msg.type.startsWith('RELAY_')) setAgent('ok', 'connected');
  }

  async function connectNow() {
    showError($('server-url-error'), null);
    let url;
    try {
      url = controllerUrl();
    } catch (err) {
      showError($('server-url-error'), err);
      $('server-url').setAttribute('aria-invalid', 'true');
      return;
    }
    $('server-url').removeAttribute('aria-invalid');
    state.connecting = true;
    setConnection('busy', 'connecting…');
    let link;
    try {
      link = await sdk.connect(url);
    } catch (err) {
      state.connecting = false;
      const { code, message } = describeError(err);
      setConnection('bad', `failed${code ? ` (${code})` : ''}`);
      showError($('server-url-error'), { code, message: `${shown(message)}.${originHint()}` });
      return;
    }
    if (!state.connecting) {
      link.close(); // Disconnect was pressed while connecting
      return;
    }
    state.connecting = false;
    state.link = link;
    state.linkUrl = url;
    stored('mmd-playground-server', $('server-url').value.trim());
    link.on('message', onIncoming);
    link.on('close', () => {
      if (state.link !== link) return;
      state.link = null;
      stopMic('stopped');
      stopHold();
      setConnection('bad', 'closed');
      setAgent('idle', 'unknown');
      logLine('note', `connection to ${shown(url)} closed`);
    });
    setConnection('ok', `connected to ${shown(url)}`);
    setAgent('idle', 'checking…');
    logLine('note', `connected to ${shown(url)}`);
    renderMdf();
    refreshChannels().then((list) => {
      if (!list && $('agent-status').dataset.state === 'idle') setAgent('idle', 'unknown (no channel list)');
      else if (list && !list.some((c) => c.path === channelPath()) && $('agent-status').dataset.state === 'idle')
        setAgent('bad', 'no agent on this channel');
    });
  }

  function disconnectNow() {
    const link = state.link;
    state.connecting = false;
    state.link = null;
    stopMic('stopped');
    stopHold();
    if (link) {
      link.close();
      logLine('note', 'disconnected');
    }
    setConnection('idle', 'not connected');
    setAgent('idle', 'unknown');
  }

  // ---------------------------------------------------------------- composer

  /**
   * The composer's forms: one entry per command form ({ name, form?, area, builder, example,
   * args: [{ name, type, optional, enum?, description?, fixed?, variadic? }] }), from
   * playground/catalog.js (generated from the SDK's catalog), built and validated by the SDK's
   * builders so every error shown is the SDK's own MmdError.
   */
  function catalogCommands() {
    const list = Array.isArray(globalThis.MmdPlaygroundCatalog) ? globalThis.MmdPlaygroundCatalog : [];
    return list.filter((m) => builderOf(m)).map((m) => ({ ...m, label: m.form ? `${m.name} (${m.form})` : m.name }));
  }

  function builderOf(entry) {
    const fn = (sdk.commands && sdk.commands[entry.builder]) || sdk[entry.builder];
    return typeof fn === 'function' ? fn : null;
  }

  const commandList = catalogCommands();
  let currentCommand = null;

  function buildCommandSelect() {
    const select = $('command-select');
    select.textContent = '';
    const groups = new Map();
    for (const [i, c] of commandList.entries()) {
      if (!groups.has(c.area)) {
        const g = document.createElement('optgroup');
        g.label = c.area || 'other';
        groups.set(c.area, g);
        select.append(g);
      }
      const o = document.createElement('option');
      o.value = String(i);
      o.textContent = c.label;
      groups.get(c.area).append(o);
    }
    const start = commandList.findIndex((c) => c.name === 'SYNTH_START');
    if (start >= 0) select.value = String(start);
    buildArgFields();
  }

  const ARG_HINTS = {
    vec2: 'x,y',
    vec3: 'x,y,z',
    rot3: 'rx,ry,rz (degrees)',
    color3: 'r,g,b (0–1)',
    color4: 'r,g,b,a (0–1)',
    edge5: 'r,g,b,a,thickness',
    hexcolor: 'RRGGBB or RRGGBBAA',
    csv: 'a,b,c',
  };

  function buildArgFields() {
    const box = $('command-args');
    box.querySelectorAll('.field').forEach((f) => f.remove());
    currentCommand = commandList[Number($('command-select').value)] || null;
    $('command-doc').textContent = currentCommand
      ? currentCommand.example && `Example: ${currentCommand.example}`
      : 'The command list (catalog.js) did not load; use the raw line below.';
    box.classList.toggle('none', !currentCommand || currentCommand.args.length === 0);
    if (!currentCommand) return validateCommand();
    currentCommand.args.forEach((arg, i) => {
      const field = document.createElement('div');
      field.className = 'field';
      const id = `arg-${i}`;
      if (arg.fixed) {
        const p = document.createElement('p');
        p.className = 'hint';
        p.append(`${arg.name}: `);
        const c = document.createElement('code');
        c.textContent = arg.enum[0];
        p.append(c, ' (fixed by this form)');
        field.append(p);
        box.append(field);
        return;
      }
      const label = document.createElement('label');
      label.htmlFor = id;
      label.append(arg.name, ' ');
      const type = document.createElement('span');
      type.className = 'type';
      type.textContent = `${arg.type}${arg.optional ? ', optional' : ''}`;
      label.append(type);
      let input;
      if (arg.type === 'enum' && Array.isArray(arg.enum)) {
        input = document.createElement('select');
        if (arg.optional) input.append(new Option('(leave out)', ''));
        for (const v of arg.enum) input.append(new Option(v, v));
      } else {
        input = document.createElement('input');
        input.type = arg.type === 'int' || arg.type === 'float' ? 'number' : 'text';
        if (arg.type === 'int') input.step = '1';
        if (arg.type === 'float') input.step = 'any';
        input.autocomplete = 'off';
        input.spellcheck = false;
        if (ARG_HINTS[arg.type]) input.placeholder = ARG_HINTS[arg.type];
        if (arg.variadic) input.placeholder = 'more items, separated by |';
      }
      input.id = id;
      input.dataset.index = String(i);
      // Start from the catalog's example, so the form is valid and shows what a value looks like.
      const sample = exampleArgs(currentCommand)[i];
      if (sample !== undefined && !arg.variadic) input.value = sample;
      else if (arg.variadic) input.value = exampleArgs(currentCommand).slice(i).join('|');
      if (!arg.optional) input.required = true;
      field.append(label, input);
      if (arg.description) {
        const hint = document.createElement('p');
        hint.className = 'hint';
        hint.id = `${id}-hint`;
        hint.textContent = arg.description;
        input.setAttribute('aria-describedby', `${id}-hint command-error`);
        field.append(hint);
      } else {
        input.setAttribute('aria-describedby', 'command-error');
      }
      box.append(field);
    });
    validateCommand();
  }

  function exampleArgs(entry) {
    if (!entry.example) return [];
    try {
      return sdk.parseMessage(entry.example).args;
    } catch {
      return [];
    }
  }

  const NUMBERS = { vec2: 2, vec3: 3, rot3: 3, color3: 3, color4: 4, edge5: 5 };

  /** A form field's text as the value the builder takes (numbers, tuples, lists), so the SDK checks it. */
  function builderValue(arg, text) {
    if (arg.type === 'int' || arg.type === 'float') return text.trim() === '' ? Number.NaN : Number(text);
    if (NUMBERS[arg.type]) return text.split(',').map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
    if (arg.type === 'csv') return text.split(',');
    return text;
  }

  /** The form as a Message (trailing empty optionals left out), or throws the SDK's MmdError. */
  function commandFromForm() {
    if (!currentCommand) throw new Error('No command selected.');
    const values = [];
    const args = currentCommand.args;
    // Optional arguments can only be left out from the end: MMDAgent-EX splits on `|` and
    // collapses empty fields, so a gap would shift every later argument (messages.md §1). The
    // builder refuses a gap, so an empty optional before a filled one shows its error.
    let last = args.length - 1;
    while (last >= 0 && args[last].optional && !args[last].fixed && $(`arg-${last}`).value === '') last--;
    for (let i = 0; i <= last; i++) {
      const arg = args[i];
      if (arg.fixed) continue;
      const text = $(`arg-${i}`).value;
      if (arg.variadic) values.push(...text.split('|').filter((x) => x !== ''));
      else values.push(text === '' && arg.optional ? undefined : builderValue(arg, text));
    }
    return builderOf(currentCommand)(...values);
  }

  function validateCommand() {
    let msg = null;
    let error = null;
    try {
      msg = commandFromForm();
    } catch (err) {
      error = err;
    }
    const fields = $('command-args').querySelectorAll('input, select');
    // The SDK's message names the argument; also mark empty required fields for a quick look.
    fields.forEach((f) => f.setAttribute('aria-invalid', String(!!error && f.required && f.value === '')));
    $('command-preview').textContent = msg ? sdk.formatMessage(msg) : '';
    showError($('command-error'), currentCommand ? error : null);
    $('command-send').dataset.valid = String(!!msg);
    updateSendButtons();
    return msg;
  }

  /**
   * A raw line passes validateLine (the line rules) yet may still be misread as a message: empty
   * fields collapse and shift later arguments, and only 10 arguments are kept (messages.md §1).
   * Shown as a note, not a refusal: the raw box is also for experiments.
   */
  function messageLevelProblem(line) {
    if (!line || line.startsWith('__AV') || /^SND(STRM|FILE|BRKS)$/.test(line)) return null;
    const [type, ...args] = line.split('|');
    try {
      sdk.formatMessage({ type, args });
      return null;
    } catch (err) {
      return { code: err.code, message: `${err.message} (sent as typed, if you press Send)` };
    }
  }

  function validateRaw() {
    const line = $('raw-line').value;
    let error = null;
    if (line !== '') {
      try {
        sdk.validateLine(line);
      } catch (err) {
        error = err;
      }
    }
    showError($('raw-error'), error);
    showError($('raw-warning'), error ? null : messageLevelProblem(line));
    $('raw-line').setAttribute('aria-invalid', String(!!error));
    $('raw-send').dataset.valid = String(line !== '' && !error);
    updateSendButtons();
    return line !== '' && !error ? line : null;
  }

  function updateSendButtons() {
    const open = isOpen();
    $('command-send').disabled = !open || $('command-send').dataset.valid !== 'true';
    $('raw-send').disabled = !open || $('raw-send').dataset.valid !== 'true';
    for (const id of ['say-send', 'say-stop', 'av-start', 'av-end', 'av-setmodel', 'av-autolip-send'])
      $(id).disabled = !open;
    $('av-morph-value').disabled = !open;
    $('mic-start').disabled = !open || !!state.mic;
  }

  // ---------------------------------------------------------------- say and avatar

  function say(event) {
    event.preventDefault();
    const model = $('say-model').value.trim();
    const voice = $('say-voice').value.trim();
    const text = $('say-text').value.replace(/\r?\n/g, ' ').trim();
    try {
      const msg =
        typeof sdk.synthStart === 'function'
          ? sdk.synthStart(model, voice, text)
          : { type: 'SYNTH_START', args: [model, voice, text] };
      sdk.formatMessage(msg);
      send(msg, $('say-error'));
    } catch (err) {
      showError($('say-error'), err);
    }
  }

  function sayStop() {
    const model = $('say-model').value.trim();
    try {
      const msg = typeof sdk.synthStop === 'function' ? sdk.synthStop(model) : { type: 'SYNTH_STOP', args: [model] };
      send(msg, $('say-error'));
    } catch (err) {
      showError($('say-error'), err);
    }
  }

  /** Builds an avatar line with the SDK (which validates it) and sends it. */
  function sendAvatar(build) {
    try {
      return send(build(sdk.avatar), $('av-error'));
    } catch (err) {
      showError($('av-error'), err);
      return false;
    }
  }

  function morphLine() {
    const name = $('av-morph-name').value.trim();
    return (av) => av.exMorph({ [name]: Number($('av-morph-value').value) });
  }

  function onMorphInput() {
    $('av-morph-out').value = $('av-morph-value').value;
    // Send the latest value at most every MORPH_SEND_EVERY_MS while the slider moves.
    const wait = state.morphLastSent + MORPH_SEND_EVERY_MS - Date.now();
    if (state.morphTimer) return;
    state.morphTimer = setTimeout(
      () => {
        state.morphTimer = 0;
        state.morphLastSent = Date.now();
        sendAvatar(morphLine());
      },
      Math.max(0, wait),
    );
  }

  function stopHold() {
    clearInterval(state.holdTimer);
    state.holdTimer = 0;
    if ($('av-morph-hold')) $('av-morph-hold').checked = false;
  }

  function onHoldChange() {
    clearInterval(state.holdTimer);
    state.holdTimer = 0;
    if ($('av-morph-hold').checked) {
      if (!sendAvatar(morphLine())) return stopHold();
      state.holdTimer = setInterval(() => {
        if (!sendAvatar(morphLine())) stopHold();
      }, MORPH_HOLD_EVERY_MS);
    }
  }

  // ---------------------------------------------------------------- microphone

  // The capture worklet batches render quanta (128 frames) into ~2048-sample blocks, so the page
  // gets ~25 messages a second instead of ~375.
  const WORKLET_SOURCE = `
    registerProcessor('mmd-capture', class extends AudioWorkletProcessor {
      constructor() { super(); this.buf = new Float32Array(2048); this.n = 0; }
      process(inputs) {
        const ch = inputs[0] && inputs[0][0];
        if (ch) {
          let i = 0;
          while (i < ch.length) {
            const k = Math.min(ch.length - i, this.buf.length - this.n);
            this.buf.set(ch.subarray(i, i + k), this.n);
            this.n += k; i += k;
            if (this.n === this.buf.length) { this.port.postMessage(this.buf, [this.buf.buffer]); this.buf = new Float32Array(2048); this.n = 0; }
          }
        }
        return true;
      }
    });`;

  function setMic(kind, text) {
    setPill($('mic-state'), kind, text);
    $('mic-stop').disabled = !state.mic;
    updateSendButtons();
  }

  function micErrorText(err) {
    const name = err && err.name;
    if (name === 'NotAllowedError' || name === 'SecurityError')
      return 'Microphone permission was denied. Allow the microphone for this page in the browser’s site settings, then press Start again.';
    if (name === 'NotFoundError' || name === 'OverconstrainedError')
      return 'No microphone was found. Connect one (or enable it in the system settings) and try again.';
    if (name === 'NotReadableError' || name === 'AbortError')
      return 'The microphone could not be opened; another program may be using it.';
    return describeError(err).message;
  }

  async function startMic() {
    showError($('mic-error'), null);
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') {
      showError(
        $('mic-error'),
        new Error(
          'This browser gives no microphone access to this page. Browsers allow it only on secure pages: open the playground from http://127.0.0.1 or http://localhost (or https).',
        ),
      );
      setMic('bad', 'unsupported');
      return;
    }
    const AudioCtx = window.AudioContext || window.webkitAudioContext;
    if (!AudioCtx) {
      showError($('mic-error'), new Error('This browser has no Web Audio API, which the microphone stream needs.'));
      setMic('bad', 'unsupported');
      return;
    }
    const alias = $('av-model').value.trim();
    // Audio is discarded until the connection's avatar has a model (wire.md §8.3), so set it up first.
    const ready =
      sendAvatar((av) => av.start()) && sendAvatar((av) => av.setModel(alias)) && send('SNDSTRM', $('mic-error'));
    if (!ready) {
      setMic('bad', 'not started');
      return;
    }
    const mic = {
      stream: null,
      ctx: null,
      nodes: [],
      resampler: null,
      pending: [],
      pendingSamples: 0,
      sentBytes: 0,
      stopped: false,
    };
    state.mic = mic;
    setMic('busy', 'requesting permission…');
    try {
      mic.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
      });
    } catch (err) {
      state.mic = null;
      showError($('mic-error'), new Error(micErrorText(err)));
      setMic('bad', 'error');
      return;
    }
    if (mic.stopped) return releaseMic(mic);
    try {
      mic.ctx = new AudioCtx();
      mic.resampler = new sdk.Pcm16kResampler(mic.ctx.sampleRate);
      const source = mic.ctx.createMediaStreamSource(mic.stream);
      const mute = mic.ctx.createGain();
      mute.gain.value = 0; // the graph must reach the destination to run, but we do not want to hear ourselves
      let capture;
      try {
        const url = URL.createObjectURL(new Blob([WORKLET_SOURCE], { type: 'text/javascript' }));
        await mic.ctx.audioWorklet.addModule(url);
        URL.revokeObjectURL(url);
        capture = new AudioWorkletNode(mic.ctx, 'mmd-capture', {
          numberOfInputs: 1,
          numberOfOutputs: 1,
          channelCount: 1,
          channelCountMode: 'explicit',
        });
        capture.port.onmessage = (e) => onMicSamples(mic, e.data);
      } catch {
        // No AudioWorklet (older browsers, some file:// setups): the deprecated ScriptProcessor still works.
        capture = mic.ctx.createScriptProcessor(2048, 1, 1);
        capture.onaudioprocess = (e) => onMicSamples(mic, e.inputBuffer.getChannelData(0).slice());
      }
      source.connect(capture);
      capture.connect(mute);
      mute.connect(mic.ctx.destination);
      mic.nodes = [source, capture, mute];
      if (mic.ctx.state === 'suspended') await mic.ctx.resume();
    } catch (err) {
      releaseMic(mic);
      state.mic = null;
      showError($('mic-error'), err);
      setMic('bad', 'error');
      return;
    }
    if (mic.stopped) return releaseMic(mic);
    const track = mic.stream.getAudioTracks()[0];
    if (track) track.addEventListener('ended', () => stopMic('stopped', 'The microphone was disconnected.'));
    setMic('ok', `streaming (${Math.round(mic.ctx.sampleRate / 100) / 10} kHz → 16 kHz)`);
  }

  function onMicSamples(mic, samples) {
    if (mic.stopped || !state.link) return;
    const pcm = mic.resampler.push(samples);
    if (pcm.length === 0) return;
    mic.pending.push(pcm);
    mic.pendingSamples += pcm.length;
    if (mic.pendingSamples < MIC_SEND_SAMPLES) return;
    // Send whole 40 ms chunks and carry the rest, so every SND chunk has the recommended size.
    const all = new Int16Array(mic.pendingSamples);
    let at = 0;
    for (const p of mic.pending) (all.set(p, at), (at += p.length));
    const whole = all.length - (all.length % MIC_SEND_SAMPLES);
    const joined = all.subarray(0, whole);
    mic.pending = whole < all.length ? [all.slice(whole)] : [];
    mic.pendingSamples = all.length - whole;
    try {
      // Paced by the SDK (a small lead, gaps that let MMDAgent-EX flush its output, wire.md §5.4).
      const sent = state.link.sendAudio(joined);
      if (sent && typeof sent.catch === 'function') sent.catch((err) => stopMic('bad', err));
      mic.sentBytes += joined.length * 2;
      $('mic-sent').textContent = `${(mic.sentBytes / 32000).toFixed(1)} s sent`;
    } catch (err) {
      stopMic('bad', err);
    }
  }

  function releaseMic(mic) {
    mic.stopped = true;
    for (const n of mic.nodes) {
      try {
        n.disconnect();
      } catch {
        // already disconnected
      }
    }
    if (mic.stream) for (const t of mic.stream.getTracks()) t.stop();
    if (mic.ctx && mic.ctx.state !== 'closed') mic.ctx.close().catch(() => {});
  }

  /** `how`: 'stopped' (by the user or the connection) or 'bad' with an error to show. */
  function stopMic(how, err) {
    const mic = state.mic;
    if (!mic) return;
    state.mic = null;
    releaseMic(mic);
    if (how === 'bad') {
      showError($('mic-error'), err);
      setMic('bad', 'error');
    } else {
      if (err) showError($('mic-error'), new Error(err));
      setMic('idle', 'stopped');
    }
  }

  // ---------------------------------------------------------------- .mdf lines

  function renderMdf() {
    let text = '';
    let error = null;
    try {
      const url = new URL(serverBase().href);
      url.pathname = channelPath();
      url.search = '';
      if (typeof sdk.parseMdf === 'function' && typeof sdk.setWebsocketSettings === 'function') {
        const doc = sdk.parseMdf('');
        sdk.setWebsocketSettings(doc, url.href, { retryCount: 60 });
        text = doc.toString();
      } else {
        const port = url.port || (url.protocol === 'wss:' ? '443' : '80');
        text = [
          `Plugin_Remote_Websocket_Host=${url.hostname.replace(/^\[|\]$/g, '')}`,
          `Plugin_Remote_Websocket_Port=${port}`,
          `Plugin_Remote_Websocket_Directory=${url.pathname}`,
          'Plugin_Remote_RetryCount=60',
        ].join('\n');
      }
    } catch (err) {
      error = err;
    }
    $('mdf-lines').value = text.replace(/\r?\n$/, '');
    showError($('mdf-error'), error);
    $('mdf-copy').disabled = !text;
  }

  // ---------------------------------------------------------------- wiring

  function init() {
    $('server-url').value = defaultServerUrl();
    if (params.get('channel')) $('channel').value = params.get('channel');
    else if (!servedByRelay && stored('mmd-playground-channel')) $('channel').value = stored('mmd-playground-channel');

    $('connect-form').addEventListener('submit', (e) => {
      e.preventDefault();
      stored('mmd-playground-channel', channelPath());
      connectNow();
    });
    $('disconnect-btn').addEventListener('click', disconnectNow);
    $('channels-refresh').addEventListener('click', refreshChannels);
    $('channel-list').addEventListener('change', () => {
      const v = $('channel-list').value;
      if (!v) return;
      $('channel').value = v;
      renderMdf();
    });
    $('server-url').addEventListener('input', renderMdf);
    $('channel').addEventListener('input', renderMdf);

    $('log-filter').addEventListener('input', applyFilter);
    $('log-pause').addEventListener('click', togglePause);
    $('log-clear').addEventListener('click', clearLog);
    $('log-copy').addEventListener('click', copyLog);

    buildCommandSelect();
    $('command-select').addEventListener('change', buildArgFields);
    $('command-args').addEventListener('input', validateCommand);
    $('command-args').addEventListener('change', validateCommand);
    $('command-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const msg = validateCommand();
      if (msg) send(msg, $('command-error'));
    });
    $('raw-line').addEventListener('input', validateRaw);
    $('raw-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const line = validateRaw();
      if (line !== null && send(line, $('raw-error'))) {
        $('raw-line').select();
      }
    });
    validateRaw();

    $('say-form').addEventListener('submit', say);
    $('say-stop').addEventListener('click', sayStop);
    $('av-start').addEventListener('click', () => sendAvatar((av) => av.start()));
    $('av-end').addEventListener('click', () => sendAvatar((av) => av.end()));
    $('av-setmodel').addEventListener('click', () => sendAvatar((av) => av.setModel($('av-model').value.trim())));
    $('av-autolip-send').addEventListener('click', () => sendAvatar((av) => av.disableAutoLip($('av-autolip').value)));
    $('av-morph-value').addEventListener('input', onMorphInput);
    $('av-morph-hold').addEventListener('change', onHoldChange);

    $('mic-start').addEventListener('click', startMic);
    $('mic-stop').addEventListener('click', () => stopMic('stopped'));

    $('mdf-copy').addEventListener('click', async () => {
      const ok = await copyText($('mdf-lines').value);
      $('mdf-copied').textContent = ok ? 'Copied.' : 'Copy failed: select the text and copy it by hand.';
    });

    renderMdf();
    setConnection('idle', 'not connected');
    setMic('idle', 'idle');
    if (servedByRelay || params.get('server')) refreshChannels();
    if (params.get('connect') === '1') connectNow();
  }

  init();
})();

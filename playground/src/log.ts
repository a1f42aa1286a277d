// The live log: one row per line in or out, filters by direction, kind and text, a parsed view
// (parseEvent's named fields), pause, copy, and export/import as JSONL.
import { parseEvent, parseMessage } from '../../src/index.js';
import { $, clockTime, copyText, download, el, plural } from './dom.js';

export type Dir = 'in' | 'out' | 'note';
export type Kind = 'command' | 'event' | 'relay' | 'error' | 'note';

export interface Entry {
  time: Date;
  dir: Dir;
  kind: Kind;
  type: string;
  line: string;
  extra: string;
  el: HTMLLIElement | null;
  /** Out rows: where the reply (or its absence) is written. */
  reply: HTMLSpanElement | null;
}

/** One exported row: `{"t":"2026-12-07T11:00:00.000Z","dir":"out","line":"VALUE_SET|a|1"}`. */
export interface Exported {
  t: string;
  dir: Dir;
  line: string;
}

const LOG_LIMIT = 1500; // rows kept on screen; older ones scroll away
const HELD_LIMIT = 5000; // rows held back while paused
const ANNOUNCE_EVERY_MS = 2500; // screen-reader summary at most this often

export function kindOf(dir: Dir, type: string): Kind {
  if (dir === 'note') return 'note';
  if (type.startsWith('RELAY_ERROR')) return 'error';
  if (type.startsWith('RELAY_')) return 'relay';
  if (type.includes('_EVENT_') || type.endsWith('_EVENT') || type === 'AVATAR' || type === 'CURRENT_TIME')
    return 'event';
  return 'command';
}

/** The type and the rest of a wire line: `TYPE|a|b` or `__AV_X,a,b`. */
export function splitType(line: string): [string, string] {
  const bar = line.indexOf('|');
  const comma = line.startsWith('__AV') ? line.indexOf(',') : -1;
  const cut = bar >= 0 && (comma < 0 || bar < comma) ? bar : comma;
  return cut >= 0 ? [line.slice(0, cut), line.slice(cut)] : [line, ''];
}

/** parseEvent's named fields of a line, as `name=value` text. */
export function parsedText(line: string): string {
  if (line.startsWith('__AV')) return '';
  let ev: Record<string, unknown>;
  try {
    ev = parseEvent(parseMessage(line)) as unknown as Record<string, unknown>;
  } catch {
    return '';
  }
  if (ev.known === false) return `not in the catalog: ${String(ev.reason)}`;
  const parts: string[] = [];
  if (ev.form) parts.push(`form=${String(ev.form)}`);
  for (const [k, v] of Object.entries(ev)) {
    if (k === 'type' || k === 'known' || k === 'args' || k === 'form') continue;
    parts.push(`${k}=${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
  }
  return parts.join('  ');
}

export class Log {
  entries: Entry[] = [];
  held: Entry[] = [];
  heldDropped = 0;
  paused = false;
  imported: Exported[] = [];
  /** The view follows new rows while the reader is at the bottom (scrolling up stops it). */
  #follow = true;
  #unannounced = 0;
  #last: Entry | null = null;
  #announceTimer = 0;

  constructor() {
    $('log-filter').addEventListener('input', () => this.applyFilter());
    $('log-dir').addEventListener('change', () => this.applyFilter());
    $('log-kind').addEventListener('change', () => this.applyFilter());
    $('log-parsed').addEventListener('change', () => {
      $('log-list').classList.toggle('parsed', $<HTMLInputElement>('log-parsed').checked);
    });
    $('log-pause').addEventListener('click', () => this.togglePause());
    $('log-clear').addEventListener('click', () => this.clear());
    $('log-copy').addEventListener('click', () => void this.copy());
    $('log-export').addEventListener('click', () => this.exportFile());
    $('log-import').addEventListener('change', () => void this.importFile());
    const box = $('log-scroll');
    box.addEventListener('scroll', () => {
      this.#follow = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    });
  }

  /** Keeps the newest row in view after rows were added or grew (a reply written into a row). */
  follow(): void {
    const box = $('log-scroll');
    if (this.#follow) box.scrollTop = box.scrollHeight;
  }

  add(dir: Dir, line: string, extra = ''): Entry {
    const type = dir === 'note' ? line : splitType(line)[0];
    const entry: Entry = { time: new Date(), dir, kind: kindOf(dir, type), type, line, extra, el: null, reply: null };
    if (dir === 'in') ((this.#unannounced += 1), (this.#last = entry));
    if (this.paused) {
      this.held.push(entry);
      if (this.held.length > HELD_LIMIT) (this.held.shift(), this.heldDropped++);
      this.updateNote();
    } else {
      this.#render([entry]);
      this.#scheduleAnnouncement();
    }
    return entry;
  }

  #row(entry: Entry): HTMLLIElement {
    const [type, rest] = entry.dir === 'note' ? [entry.line, ''] : splitType(entry.line);
    const msg = el('span', 'msg', el('span', `ty k-${entry.kind}`, type));
    if (rest) msg.append(el('span', 'a', rest));
    if (entry.extra) msg.append(` ${entry.extra}`);
    const li = el(
      'li',
      entry.kind === 'error' ? 'row-error' : '',
      el('span', 't', clockTime(entry.time)),
      el('span', `dir ${entry.dir}`, entry.dir === 'note' ? '·' : entry.dir),
      msg,
    );
    if (entry.dir !== 'note') {
      const parsed = parsedText(entry.line);
      if (parsed) li.append(el('span', 'fields', parsed));
    }
    if (entry.dir === 'out') {
      entry.reply = el('span', 'reply');
      li.append(entry.reply);
    }
    li.dataset.dir = entry.dir;
    li.dataset.kind = entry.kind;
    li.hidden = !this.#matches(entry);
    entry.el = li;
    return li;
  }

  #render(batch: Entry[]): void {
    const frag = document.createDocumentFragment();
    for (const e of batch) {
      frag.append(this.#row(e));
      this.entries.push(e);
    }
    $('log-list').append(frag);
    while (this.entries.length > LOG_LIMIT) this.entries.shift()!.el!.remove();
    this.follow();
  }

  #matches(e: Entry): boolean {
    const dir = $<HTMLSelectElement>('log-dir').value;
    const kind = $<HTMLSelectElement>('log-kind').value;
    const text = $<HTMLInputElement>('log-filter').value.trim().toLowerCase();
    if (dir && e.dir !== dir) return false;
    if (kind && e.kind !== kind) return false;
    return !text || e.line.toLowerCase().includes(text) || e.extra.toLowerCase().includes(text);
  }

  applyFilter(): void {
    for (const e of this.entries) e.el!.hidden = !this.#matches(e);
    this.updateNote();
  }

  updateNote(text?: string): void {
    const parts: string[] = [];
    if (this.paused) {
      const dropped = this.heldDropped ? ` (${this.heldDropped} oldest dropped)` : '';
      parts.push(`Paused: ${this.held.length} new held back${dropped}.`);
    }
    const shownRows = this.entries.filter((e) => !e.el!.hidden).length;
    if (shownRows !== this.entries.length) parts.push(`Showing ${shownRows} of ${this.entries.length} rows.`);
    if (text) parts.push(text);
    $('log-note').textContent = parts.join(' ');
  }

  /** At most one polite summary per ANNOUNCE_EVERY_MS, so a busy agent does not drown a screen reader. */
  #scheduleAnnouncement(): void {
    if (this.#announceTimer || !this.#unannounced) return;
    this.#announceTimer = window.setTimeout(() => {
      this.#announceTimer = 0;
      if (!this.#unannounced || !this.#last) return;
      const n = this.#unannounced;
      this.#unannounced = 0;
      $('log-announcer').textContent = `${plural(n, 'new message')}, last ${this.#last.line.slice(0, 80)}`;
    }, ANNOUNCE_EVERY_MS);
  }

  togglePause(): void {
    this.paused = !this.paused;
    const btn = $('log-pause');
    btn.setAttribute('aria-pressed', String(this.paused));
    btn.textContent = this.paused ? 'Resume' : 'Pause';
    if (!this.paused && this.held.length) {
      const held = this.held;
      this.held = [];
      this.heldDropped = 0;
      this.#render(held.slice(-LOG_LIMIT));
      this.#scheduleAnnouncement();
    }
    this.updateNote();
  }

  clear(): void {
    this.entries = [];
    this.held = [];
    this.heldDropped = 0;
    $('log-list').textContent = '';
    this.updateNote();
  }

  async copy(): Promise<void> {
    const text = this.entries
      .filter((e) => !e.el!.hidden)
      .map((e) => `${clockTime(e.time)} ${e.dir.padEnd(5)}${e.line}${e.extra ? ` ${e.extra}` : ''}`)
      .join('\n');
    const ok = await copyText(text);
    this.updateNote(ok ? 'Log copied as text.' : 'Copy failed: select the rows and copy them by hand.');
  }

  /** JSONL, one `{t, dir, line}` per row, oldest first: what import and replay read back. */
  toJsonl(): string {
    return (
      this.entries.map((e) => JSON.stringify({ t: e.time.toISOString(), dir: e.dir, line: e.line })).join('\n') + '\n'
    );
  }

  exportFile(): void {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    download(`mmdagent-session-${stamp}.jsonl`, this.toJsonl(), 'application/x-ndjson');
    this.updateNote(`Exported ${plural(this.entries.length, 'row')}.`);
  }

  /** Reads a JSONL export; its `out` lines can then be replayed. Bad lines are counted, not fatal. */
  static parseJsonl(text: string): { rows: Exported[]; bad: number } {
    const rows: Exported[] = [];
    let bad = 0;
    for (const raw of text.split(/\r?\n/)) {
      if (!raw.trim()) continue;
      try {
        const r = JSON.parse(raw) as Partial<Exported>;
        if (
          typeof r.line === 'string' &&
          typeof r.t === 'string' &&
          (r.dir === 'in' || r.dir === 'out' || r.dir === 'note')
        )
          rows.push({ t: r.t, dir: r.dir, line: r.line });
        else bad++;
      } catch {
        bad++;
      }
    }
    return { rows, bad };
  }

  async importFile(): Promise<void> {
    const input = $<HTMLInputElement>('log-import');
    const file = input.files?.[0];
    if (!file) return;
    const { rows, bad } = Log.parseJsonl(await file.text());
    this.imported = rows;
    const out = rows.filter((r) => r.dir === 'out').length;
    $('replay-status').textContent =
      `${file.name}: ${plural(out, 'sent line')} to replay${bad ? `, ${plural(bad, 'unreadable line')} skipped` : ''}.`;
    $<HTMLButtonElement>('replay-btn').dataset.ready = String(out > 0);
    input.value = '';
    document.dispatchEvent(new Event('playground:update'));
  }
}

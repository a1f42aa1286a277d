// Several channels at once: a card per channel of GET /channels with its agent and controllers,
// and a watch connection per card that keeps the agent state and the last line live.
import type { IncomingMessage } from '../../src/index.js';
import { controllerUrl } from './address.js';
import type { ChannelInfo } from './channels.js';
import { Connection } from './connection.js';
import { $, clockTime, el, plural, setPill } from './dom.js';

interface Card {
  info: ChannelInfo;
  root: HTMLLIElement;
  pill: HTMLSpanElement;
  last: HTMLSpanElement;
  watch: HTMLButtonElement;
  conn: Connection | null;
  agent: boolean;
}

export class ChannelGrid {
  #cards = new Map<string, Card>();
  #open: (path: string) => void;
  #current = '';
  #ids = 0;

  constructor(open: (path: string) => void) {
    this.#open = open;
  }

  /** Updates the cards from a fresh channel list; watched channels stay watched. */
  update(channels: ChannelInfo[], current: string): void {
    this.#current = current;
    const list = $('grid-list');
    const seen = new Set<string>();
    for (const info of channels) {
      seen.add(info.path);
      let card = this.#cards.get(info.path);
      if (!card) {
        card = this.#card(info);
        this.#cards.set(info.path, card);
        list.append(card.root);
      }
      card.info = info;
      if (!card.conn) card.agent = info.agent;
      this.#paint(card);
    }
    for (const [path, card] of this.#cards) {
      if (seen.has(path) || card.conn) continue;
      card.root.remove();
      this.#cards.delete(path);
    }
    $('grid-empty').hidden = this.#cards.size > 0;
  }

  #card(info: ChannelInfo): Card {
    const pill = el('span', 'pill');
    const last = el('span', 'hint last');
    const watch = el('button', 'secondary', 'Watch');
    watch.type = 'button';
    watch.setAttribute('aria-pressed', 'false');
    const open = el('button', 'secondary', 'Open in console');
    open.type = 'button';
    const title = el('h3', '', info.path);
    const root = el('li', 'card', title, pill, el('span', 'hint ctl'), last, el('div', 'row', watch, open));
    root.dataset.path = info.path;
    const card: Card = { info, root, pill, last, watch, conn: null, agent: info.agent };
    // Each button's name ends with its card's channel ("Watch /shop1"), the visible words first (WCAG 2.5.3).
    const id = `card-${++this.#ids}`;
    title.id = `${id}-title`;
    watch.id = `${id}-watch`;
    open.id = `${id}-open`;
    watch.setAttribute('aria-labelledby', `${watch.id} ${title.id}`);
    open.setAttribute('aria-labelledby', `${open.id} ${title.id}`);
    watch.addEventListener('click', () => this.#toggleWatch(card));
    open.addEventListener('click', () => this.#open(card.info.path));
    return card;
  }

  #paint(card: Card): void {
    const since = card.info.since && card.agent ? ` since ${clockTime(new Date(card.info.since))}` : '';
    setPill(card.pill, card.agent ? 'ok' : 'bad', card.agent ? `agent${since}` : 'no agent');
    card.root.querySelector('.ctl')!.textContent = plural(card.info.controllers, 'controller');
    card.root.classList.toggle('current', card.info.path === this.#current);
  }

  #toggleWatch(card: Card): void {
    if (card.conn) {
      card.conn.stop();
      card.conn = null;
      card.watch.setAttribute('aria-pressed', 'false');
      card.watch.textContent = 'Watch';
      card.last.textContent = '';
      return;
    }
    card.watch.setAttribute('aria-pressed', 'true');
    card.watch.textContent = 'Stop watching';
    const conn = new Connection({
      state: (s) => {
        if (s.kind === 'retrying') card.last.textContent = `reconnecting in ${(s.inMs / 1000).toFixed(1)} s`;
        if (s.kind === 'failed') card.last.textContent = `cannot watch: ${s.why}`;
      },
      open: () => (card.last.textContent = 'watching'),
      message: (m: IncomingMessage) => {
        if (m.type === 'RELAY_AGENT_CONNECTED') card.agent = true;
        else if (m.type === 'RELAY_AGENT_DISCONNECTED') card.agent = false;
        else if (!m.type.startsWith('RELAY_')) card.agent = true;
        card.last.textContent = `${clockTime(new Date())} ${m.line.slice(0, 80)}`;
        this.#paint(card);
      },
    });
    card.conn = conn;
    conn.start(controllerUrl(card.info.path), true);
  }

  stopAll(): void {
    for (const card of this.#cards.values()) if (card.conn) this.#toggleWatch(card);
  }
}

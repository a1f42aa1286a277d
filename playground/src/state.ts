// The agent's state as this page has seen it: models, motions running, who is speaking, avatar
// control. Built only from the events that came in, so it starts empty for a page that joins
// late; form defaults fall back to the simulator's content (model alias `0`).
import { $, el } from './dom.js';

/** The model alias of the content the simulator ships (mmdagent-ex/example), used until one is reported. */
export const FALLBACK_MODEL = '0';

export class AgentState {
  models: string[] = [];
  motions = new Map<string, Set<string>>();
  speaking = new Set<string>();
  avatar: 'on' | 'off' | 'unknown' = 'unknown';
  control: 'enabled' | 'disabled' | 'unknown' = 'unknown';
  #listeners: (() => void)[] = [];

  onChange(cb: () => void): void {
    this.#listeners.push(cb);
  }

  /** The alias forms start with. */
  defaultModel(): string {
    return this.models[0] ?? FALLBACK_MODEL;
  }

  reset(): void {
    this.models = [];
    this.motions.clear();
    this.speaking.clear();
    this.avatar = 'unknown';
    this.control = 'unknown';
    this.#changed();
  }

  /** Reads one incoming message; returns true when the state changed. */
  feed(type: string, args: string[]): boolean {
    const [a, b] = args;
    switch (type) {
      case 'MODEL_EVENT_ADD':
        if (a === undefined || this.models.includes(a)) return false;
        this.models.push(a);
        break;
      case 'MODEL_EVENT_DELETE':
        if (a === undefined) return false;
        this.models = this.models.filter((m) => m !== a);
        this.motions.delete(a);
        break;
      case 'MOTION_EVENT_ADD':
        if (a === undefined || b === undefined) return false;
        if (!this.models.includes(a)) this.models.push(a);
        if (!this.motions.has(a)) this.motions.set(a, new Set());
        this.motions.get(a)!.add(b);
        break;
      case 'MOTION_EVENT_DELETE':
        if (a === undefined || b === undefined) return false;
        this.motions.get(a)?.delete(b);
        break;
      case 'SYNTH_EVENT_START':
      case 'SPEAK_EVENT_START':
      case 'LIPSYNC_EVENT_START':
        if (a === undefined) return false;
        this.speaking.add(a);
        break;
      case 'SYNTH_EVENT_STOP':
      case 'SPEAK_EVENT_STOP':
      case 'LIPSYNC_EVENT_STOP':
        if (a === undefined) return false;
        this.speaking.delete(a);
        break;
      case 'AVATAR':
        if (a !== 'START' && a !== 'END') return false;
        this.avatar = a === 'START' ? 'on' : 'off';
        break;
      case 'AVATAR_EVENT_CONTROL':
        if (a !== 'ENABLED' && a !== 'DISABLED') return false;
        this.control = a === 'ENABLED' ? 'enabled' : 'disabled';
        break;
      default:
        return false;
    }
    this.#changed();
    return true;
  }

  #changed(): void {
    for (const cb of this.#listeners) cb();
  }

  /** Renders the state panel. */
  render(): void {
    const dl = $('state-list');
    dl.textContent = '';
    const row = (term: string, value: string, id: string) => {
      const dd = el('dd', '', value);
      dd.id = id;
      dl.append(el('div', '', el('dt', '', term), dd));
    };
    row(
      'Models',
      this.models.length ? this.models.join(', ') : `none reported (forms use ${FALLBACK_MODEL})`,
      'state-models',
    );
    const motions = [...this.motions].flatMap(([m, set]) => [...set].map((x) => `${m}:${x}`));
    row('Motions running', motions.length ? motions.join(', ') : 'none seen', 'state-motions');
    row('Speaking', this.speaking.size ? [...this.speaking].join(', ') : 'no', 'state-speaking');
    row('Avatar control', this.avatar === 'unknown' ? 'unknown (send __AV_START)' : this.avatar, 'state-avatar');
    if (this.control !== 'unknown') row('AVATAR_CONTROL', this.control, 'state-control');
  }
}

// Avatar control: AVATAR_CONTROL, the `__AV_*` lines of the stream parser and
// `__peer_disconnected__` (avatar.md, wire.md §9, §10.3–10.4). The `__AV_*` lines act at once on
// the Remote thread; the bus messages they cause go out from the main loop a little later.
import { parseAvatarLine } from '../../../avatar.js';
import type { World } from './world.js';

const T = {
  avatarFade: 833, // avatar.md __AV_END: 25-frame leaving period
  avatarOff: 90, // part1 #49
  // session-60-steps.real.json step 56: MOTION_ADD|0|__action0|… 114 ms after __AV_ACTION,1.
  action: 110,
};
const ACTION_SLOTS = 10; // __action0 … __action9 (avatar.md __AV_ACTION)

/**
 * Each model file's shapemap `ACT<n>` lines: action number → the motion file MOTION_ADD names.
 * The one recorded line (session-2026-12.md: `__AV_ACTION,1` on Gene) is the default.
 */
export type ShapeMapActions = Record<string, Record<number, string>>;
export const DEFAULT_ACTIONS: ShapeMapActions = { 'gene/Gene_light.pmd': { 1: 'gene/motion/01_happy.vmd' } };

export class AvatarBehaviour {
  constructor(
    private readonly w: World,
    private readonly actions: ShapeMapActions = DEFAULT_ACTIONS,
  ) {}

  /**
   * `__AV_START` / `__AV_END`: the state changes now; AVATAR|START or END (sent even when the state
   * is unchanged) goes on the bus now or, from the Remote thread, `eventAfterMs` later.
   */
  setAvatar(on: boolean, eventAfterMs = 0): void {
    const link = this.w.bus.link;
    if (!link) return;
    link.enabled = on;
    this.w.keyValues.set('Avatar_mode', on ? '1.000000' : '0.000000');
    this.w.bus.later(eventAfterMs, 'AVATAR', on ? 'START' : 'END');
  }

  /** AVATAR_CONTROL and `__peer_disconnected__` (wire.md §10.3–10.4); events as in setAvatar. */
  avatarControl(on: boolean, eventAfterMs = 0): void {
    const link = this.w.bus.link;
    if (!link) return;
    if (on) {
      if (!link.enabled) this.setAvatar(true, eventAfterMs);
      this.w.bus.later(eventAfterMs, 'AVATAR_EVENT_CONTROL', 'ENABLED');
      return;
    }
    const wasOn = link.enabled;
    if (wasOn) this.setAvatar(false, eventAfterMs);
    this.w.bus.later(eventAfterMs + (wasOn ? T.avatarFade : T.avatarOff), 'AVATAR_EVENT_CONTROL', 'DISABLED');
  }

  /** True when SND audio would be played: the connection's model alias names a loaded model (wire.md §8.3). */
  get audioAttached(): boolean {
    const alias = this.w.bus.link?.model;
    return alias !== undefined && this.w.models.has(alias);
  }

  /** An `__AV_*` line from the stream, acted on at once; bus messages it causes come `eventAfterMs` later. */
  line(line: string, eventAfterMs: number): void {
    const link = this.w.bus.link;
    if (!link) return;
    const command = parseAvatarLine(line);
    switch (command.kind) {
      case 'start':
        return this.setAvatar(true, eventAfterMs);
      case 'end':
        return this.setAvatar(false, eventAfterMs);
      case 'setModel':
        link.model = command.alias;
        return;
      case 'disableAutoLip':
        link.autoLip = command.mode;
        return;
      case 'action':
        return this.action(link.model, command.n);
      default:
        return; // exmorph (morph weights are not modelled), unknown: nothing on the wire
    }
  }

  /**
   * `__AV_ACTION,<n>`: the first free `__action<k>` slot plays the shapemap's ACT<n> motion, and
   * every other running action slot is deleted (avatar.md __AV_ACTION). No shapemap line: nothing.
   */
  private action(alias: string | undefined, n: number): void {
    const model = this.w.live(alias);
    const file = model && this.actions[model.file]?.[n];
    if (!model || file === undefined) return;
    const slots = Array.from({ length: ACTION_SLOTS }, (_, k) => `__action${k}`);
    const free = slots.find((s) => !model.motions.has(s));
    if (free === undefined) return;
    const running = slots.filter((s) => model.motions.has(s));
    const { bus } = this.w;
    bus.after(
      T.action,
      () => {
        bus.post('MOTION_ADD', alias!, free, file, 'PART', 'ONCE', 'ON', 'OFF');
        for (const slot of running) bus.post('MOTION_DELETE', alias!, slot);
      },
      'connection',
    );
  }
}

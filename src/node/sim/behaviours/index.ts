// What the simulated MMDAgent-EX does with each bus message: the events, their order and their
// delays as recorded from the real app (real-client/transcripts.md, "t" columns; delays below are
// the recorded gap after the echo). Where no transcript exists, messages.md is followed.
// Failures are silent as in the real app: an unknown alias or a wrong argument count gives the
// echo and nothing else (transcripts.md, finding 3).
import type { Message } from '../message.js';

/** State of the avatar of the live connection (wire.md §9.1); reset on every reconnect. */
export interface LinkState {
  enabled: boolean;
  model: string | undefined;
  autoLip: string;
  audioMode: 'SNDSTRM' | 'SNDFILE';
}

export interface SimHost {
  /** Puts a message on the bus: sent to the server (when connected) and handled here too. */
  post(msg: Message): void;
  /** Runs `fn` after `ms` simulated milliseconds; connection-scoped timers die with the connection. */
  after(ms: number, fn: () => void, scope?: 'global' | 'connection'): () => void;
  readonly link: LinkState | undefined;
  /** Simulated milliseconds since some fixed point (wall clock divided by the time scale). */
  now(): number;
  /** `PLUGIN_DISABLE|Remote`: the network thread ends for good (messages.md PLUGIN_DISABLE). */
  remoteDisabled(): void;
}

export interface BehaviourOptions {
  /** Models loaded at start, alias → file (default: `0` → gene/Gene_light.pmd, as the example content). */
  models?: Record<string, string>;
  /** Voice aliases the TTS plugins know; others give only the echo (transcripts.md part1b #11). */
  voices?: readonly string[];
  /** Motion file → length in ms; `null` = file missing (echo only). The sim reads no .vmd files. */
  motions?: Record<string, number | null>;
  /** Length of a motion file not listed in `motions` (default 2000 ms, the 60-frame ojigi.vmd). */
  defaultMotionMs?: number;
  /** Sound/wav file → length in ms; `null` = file missing. */
  sounds?: Record<string, number | null>;
  /** Length of a sound file not listed in `sounds` (default 1000 ms). */
  defaultSoundMs?: number;
}

export const DEFAULT_MODELS: Record<string, string> = { '0': 'gene/Gene_light.pmd' };
export const DEFAULT_VOICES = ['normal', 'angry', 'bashful', 'happy', 'sad', 'fast', 'slow', 'high', 'low']
  .map((v) => `mei_voice_${v}`)
  .concat(['normal', 'fast', 'slow', 'high', 'low'].map((v) => `slt_voice_${v}`));
const DEFAULT_PLUGINS = [
  'Variables',
  'Open_JTalk',
  'TextArea',
  'VIManager',
  'Flite_plus_hts_engine',
  'Audio',
  'Remote',
];
const MAX_MODELS = 10; // max_num_model default (messages.md MODEL_ADD)

/** Delays in ms after the echo, from transcripts.md (the part1/part1b entry is named). */
const T = {
  modelEvent: 50, // part1b #1 MODEL_EVENT_ADD
  modelChange: 200, // part1b #3
  modelDelete: 585, // part1b #4
  motionDelete: 100, // part1 #8
  accelerateExtra: 500, // part1 #7: 1.53 s for a 1.0 s acceleration
  synthPrepare: 100, // part1 #16/#18: SYNTH_EVENT_START 0–230 ms after the echo
  speechTail: 200, // finding 7: both stops about 200–310 ms after LIPSYNC_START + sum of durations
  lipsyncStop: 130, // part1 #20, #23
  restartSpeech: 226, // part1b #8
  speakStart: 220, // part1 #24
  speakTail: 100, // messages.md SPEAK_START: audio length + 0.1 s
  soundStart: 150, // part1 #25/#27
  soundTail: 180, // part1 #27: stop 1.18 s after start for a 1 s file
  soundStop: 110, // part1 #26
  timerTail: 80, // part1 #28: 1.58 s for 1.5 s
  moveTail: 170, // part1 #9: 1.17 s for 5 units at 5 units/s
  // The built-in smooth approach (no speed given): part1 #14 moved 2 units in 11.1 s and the
  // turn of #12 had not ended after 9.5 s; taken as one fixed time for moves, turns and rotations.
  defaultApproach: 11_100,
  rotateSpeedFactor: 0.525, // part1 #13: 90° at 45°/s ended after 1.05 s, about half the nominal 2 s
  assumedTurnDegrees: 90, // TURN_START gives a point, not an angle; the sim does not track heading
  avatarFade: 833, // avatar.md __AV_END: 25-frame leaving period
  avatarOff: 90, // part1 #49
  frameMs: 1000 / 30,
};

interface Running {
  cancel: () => void;
}
interface Motion {
  file: string;
  once: boolean;
  end?: () => void;
}
interface Model {
  file: string;
  position: number[];
  motions: Map<string, Motion>;
  lipsync?: () => void;
  move?: { from: number[]; to: number[]; startedAt: number; ms: number; cancel: () => void };
  turn?: { kind: 'TURN' | 'ROTATE'; cancel: () => void };
  deleting?: boolean;
}
interface Speech {
  cancel: () => void;
}

const msg = (type: string, ...args: string[]): Message => ({ type, args });
const vec3 = (s: string | undefined): number[] | undefined => {
  const parts = s?.split(',').filter((p) => p !== '');
  return parts?.length === 3 ? parts.map((p) => Number.parseFloat(p) || 0) : undefined;
};
const seconds = (s: string | undefined) => Math.max(0, Number.parseFloat(s ?? '') || 0);

/**
 * Length in ms of the phoneme sequence the TTS plugins produce for `text`, fitted to the recorded
 * table (transcripts.md finding 7): about 163 ms per wide (Japanese) character and 72 ms per
 * ASCII character, minus 164 ms (はい。→ 325, 17 chars → 2530, 60 chars → 9605; 43 ASCII → 2920).
 */
export function speechMs(text: string): number {
  let ms = -164;
  for (const ch of text) ms += ch.charCodeAt(0) < 0x80 ? 72 : 163;
  return Math.max(200, Math.round(ms));
}

/** A plausible `LIPSYNC_START` sequence (phoneme,ms,...) whose durations sum to speechMs(text). */
export function phonemes(text: string): string {
  const chars = [...text].filter((c) => c.trim() !== '');
  const total = speechMs(text);
  const n = Math.max(1, Math.min(chars.length, 100));
  const each = Math.floor(total / n);
  const vowels = 'aiueo';
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(vowels[i % 5], String(i === n - 1 ? total - each * (n - 1) : each));
  return parts.join(',');
}

export class Behaviour {
  readonly models = new Map<string, Model>();
  readonly values = new Map<string, string>();
  readonly keyValues = new Map<string, string>();
  readonly timers = new Map<string, Running>();
  readonly plugins = new Set(DEFAULT_PLUGINS);
  private readonly speech = new Map<string, Speech>();
  private readonly speaking = new Map<string, Running>();
  private readonly sounds = new Map<string, Running>();
  private readonly textAreas = new Set<string>();
  private readonly captionStyles = new Set<string>(['_default']);
  private readonly captions = new Map<string, Running>();
  private readonly menus = new Set<string>();
  private readonly buttons = new Set<string>();
  private readonly voices: ReadonlySet<string>;

  constructor(
    private readonly host: SimHost,
    private readonly opts: BehaviourOptions = {},
  ) {
    this.voices = new Set(opts.voices ?? DEFAULT_VOICES);
    for (const [alias, file] of Object.entries(opts.models ?? DEFAULT_MODELS)) {
      this.models.set(alias, { file, position: [0, 0, 0], motions: new Map() });
    }
  }

  /** Acts on one bus message (already echoed by the caller). Arguments are the collapsed form. */
  handle(m: Message): void {
    const a = m.args;
    const model = this.models.get(a[0] ?? '');
    const live = model && !model.deleting ? model : undefined;
    switch (m.type) {
      case 'MODEL_ADD':
        return this.modelAdd(a);
      case 'MODEL_CHANGE':
      case 'MODEL_CHANGE_ASYNC':
        if (a.length !== 2 || !live) return;
        live.file = a[1];
        this.host.after(T.modelChange, () => this.host.post(msg('MODEL_EVENT_CHANGE', a[0])));
        return;
      case 'MODEL_DELETE':
        if (a.length !== 1 || !live) return;
        live.deleting = true;
        this.host.after(T.modelDelete, () => this.modelDelete(a[0], live));
        return;
      case 'MOTION_ADD':
        return this.motionAdd(a, live);
      case 'MOTION_CHANGE':
        return this.motionChange(a, live);
      case 'MOTION_DELETE': {
        const motion = live?.motions.get(a[1]);
        if (a.length !== 2 || !live || !motion) return;
        motion.end?.();
        this.host.after(T.motionDelete, () => {
          if (live.motions.get(a[1]) !== motion) return;
          live.motions.delete(a[1]);
          this.host.post(msg('MOTION_EVENT_DELETE', a[0], a[1]));
        });
        return;
      }
      case 'MOTION_ACCELERATE':
        if (a.length < 3 || a.length > 5 || !live?.motions.has(a[1])) return;
        this.host.after(seconds(a[3]) * 1000 + T.accelerateExtra, () =>
          this.host.post(msg('MOTION_EVENT_ACCELERATE', a[0], a[1])),
        );
        return;
      case 'MOTION_RESET':
      case 'MOTION_CONFIGURE':
        if (!live?.motions.has(a[1])) return;
        if (m.type === 'MOTION_RESET') this.restartMotion(a[0], a[1], live.motions.get(a[1])!);
        this.host.post(msg(m.type === 'MOTION_RESET' ? 'MOTION_EVENT_RESET' : 'MOTION_EVENT_CONFIGURE', a[0], a[1]));
        return;
      case 'MOVE_START':
        return this.moveStart(a, live);
      case 'MOVE_STOP':
        if (live?.move) this.endMove(a[0], live, true);
        return;
      case 'TURN_START':
      case 'ROTATE_START':
        return this.turnStart(m.type === 'TURN_START' ? 'TURN' : 'ROTATE', a, live);
      case 'TURN_STOP':
      case 'ROTATE_STOP':
        if (live?.turn?.kind === m.type.slice(0, -5)) this.endTurn(a[0], live);
        return;
      case 'SYNTH_START':
        return this.synthStart(a);
      case 'SYNTH_STOP':
        return this.synthStop(a[0]);
      case 'LIPSYNC_START':
        return this.lipsyncStart(a, live);
      case 'LIPSYNC_STOP':
        if (!live?.lipsync) return;
        live.lipsync();
        live.lipsync = undefined;
        this.host.after(T.lipsyncStop, () => this.host.post(msg('LIPSYNC_EVENT_STOP', a[0])));
        return;
      case 'SPEAK_START':
        return this.speakStart(a, live);
      case 'SPEAK_STOP': {
        if (a.length !== 1) return;
        const speaking = this.speaking.get(a[0]);
        this.host.post(msg('SPEAK_EVENT_STOP', a[0]));
        if (speaking) {
          speaking.cancel();
          this.speaking.delete(a[0]);
          this.host.post(msg('SOUND_STOP', `__speak__${a[0]}`));
        }
        return;
      }
      case 'SOUND_START':
        return this.soundStart(a);
      case 'SOUND_STOP': {
        const sound = this.sounds.get(a[0]);
        if (!sound || !this.plugins.has('Audio')) return;
        sound.cancel();
        this.sounds.delete(a[0]);
        this.host.after(T.soundStop, () => this.host.post(msg('SOUND_EVENT_STOP', a[0])));
        return;
      }
      case 'TIMER_START':
        return this.timerStart(a);
      case 'TIMER_STOP':
      case 'TIMER_CANCEL': {
        if (!this.plugins.has('Variables') || a.length < 1) return;
        const timer = this.timers.get(a[0]);
        timer?.cancel();
        this.timers.delete(a[0]);
        if (m.type === 'TIMER_CANCEL') this.host.post(msg('TIMER_EVENT_CANCELLED', a[0]));
        else if (timer) this.host.post(msg('TIMER_EVENT_STOP', a[0]));
        return;
      }
      case 'VALUE_SET':
        if (!this.plugins.has('Variables') || a.length < 2) return;
        this.values.set(a[0], a.length >= 3 ? `${a[1]}|${a[2]}` : a[1]);
        this.host.post(msg('VALUE_EVENT_SET', a[0]));
        return;
      case 'VALUE_UNSET':
        if (!this.plugins.has('Variables') || a.length < 1) return;
        this.values.delete(a[0]);
        this.host.post(msg('VALUE_EVENT_UNSET', a[0]));
        return;
      case 'VALUE_EVAL':
        return this.valueEval(a);
      case 'VALUE_GET': {
        const value = this.values.get(a[0] ?? '');
        if (this.plugins.has('Variables') && value !== undefined) this.host.post(msg('VALUE_EVENT_GET', a[0], value));
        return;
      }
      case 'KEYVALUE_SET':
        if (a.length === 2) this.keyValues.set(a[0], a[1]);
        return;
      case 'TEXTAREA_ADD':
        if (a.length < 6 || this.textAreas.has(a[0]) || !this.plugins.has('TextArea')) return;
        this.textAreas.add(a[0]);
        this.host.post(msg('TEXTAREA_EVENT_ADD', a[0]));
        return;
      case 'TEXTAREA_SET':
      case 'TEXTAREA_DELETE':
        if (!this.textAreas.has(a[0] ?? '')) return;
        if (m.type === 'TEXTAREA_DELETE') this.textAreas.delete(a[0]);
        this.host.post(msg(m.type.replace('_', '_EVENT_'), a[0]));
        return;
      case 'CAPTION_SETSTYLE':
        if (a.length !== 3 && a.length !== 6) return;
        this.captionStyles.add(a[0]);
        this.host.post(msg('CAPTION_EVENT_SETSTYLE', a[0]));
        return;
      case 'CAPTION_START':
        return this.captionStart(a);
      case 'CAPTION_STOP': {
        const caption = this.captions.get(a[0] ?? '');
        if (!caption) return;
        caption.cancel();
        this.captions.delete(a[0]);
        this.host.post(msg('CAPTION_EVENT_STOP', a[0]));
        return;
      }
      case 'MENU':
        return this.menu(a);
      case 'INFOTEXT_FILE':
      case 'INFOTEXT_STRING':
        if (a.length >= 3 && a.length <= 6) this.host.post(msg('INFOTEXT_EVENT_SHOW'));
        return;
      case 'BUTTON_ADD':
        if (a.length !== 6) return;
        this.buttons.add(a[0]);
        this.host.post(msg('BUTTON_EVENT_ADD', a[0]));
        return;
      case 'BUTTON_DELETE':
        if (this.buttons.delete(a[0] ?? '')) this.host.post(msg('BUTTON_EVENT_DELETE', a[0]));
        return;
      case 'PLUGIN_ENABLE':
        if (a.length !== 1) return;
        if (!this.plugins.has(a[0]) || a[0] === 'Remote') this.host.post(msg('PLUGIN_EVENT_ENABLE', a[0]));
        this.plugins.add(a[0]);
        return;
      case 'PLUGIN_DISABLE':
        if (!this.plugins.delete(a[0] ?? '')) return;
        this.host.post(msg('PLUGIN_EVENT_DISABLE', a[0]));
        if (a[0] === 'Remote') this.host.remoteDisabled();
        return;
      case 'AVATAR_CONTROL':
        if (a[0] === 'ENABLE') this.avatarControl(true);
        else if (a[0] === 'DISABLE') this.avatarControl(false);
        return;
    }
  }

  // ---- avatar control (avatar.md §2, §3) ----

  /**
   * `__AV_START` / `__AV_END`: the state changes now; AVATAR|START or END (sent even when the state
   * is unchanged) goes on the bus now or, from the Remote thread, `eventAfterMs` later.
   */
  setAvatar(on: boolean, eventAfterMs = 0): void {
    const link = this.host.link;
    if (!link) return;
    link.enabled = on;
    this.keyValues.set('Avatar_mode', on ? '1.000000' : '0.000000');
    this.later(eventAfterMs, msg('AVATAR', on ? 'START' : 'END'));
  }

  /** AVATAR_CONTROL and `__peer_disconnected__` (wire.md §10.3–10.4); events as in setAvatar. */
  avatarControl(on: boolean, eventAfterMs = 0): void {
    const link = this.host.link;
    if (!link) return;
    if (on) {
      if (!link.enabled) this.setAvatar(true, eventAfterMs);
      this.later(eventAfterMs, msg('AVATAR_EVENT_CONTROL', 'ENABLED'));
      return;
    }
    const wasOn = link.enabled;
    if (wasOn) this.setAvatar(false, eventAfterMs);
    this.later(eventAfterMs + (wasOn ? T.avatarFade : T.avatarOff), msg('AVATAR_EVENT_CONTROL', 'DISABLED'));
  }

  /** Posts now, or after `ms` unless the connection is gone by then. */
  private later(ms: number, m: Message): void {
    if (ms > 0) this.host.after(ms, () => this.host.post(m), 'connection');
    else this.host.post(m);
  }

  /** True when SND audio would be played: the connection's model alias names a loaded model (wire.md §8.3). */
  get audioAttached(): boolean {
    const alias = this.host.link?.model;
    return alias !== undefined && this.models.has(alias);
  }

  // ---- models and motions ----

  private modelAdd(a: string[]): void {
    if (a.length < 2 || a.length > 7 || this.models.has(a[0]) || this.models.size >= MAX_MODELS) return;
    this.models.set(a[0], { file: a[1], position: vec3(a[2]) ?? [0, 0, 0], motions: new Map() });
    this.host.after(T.modelEvent, () => this.host.post(msg('MODEL_EVENT_ADD', a[0])));
  }

  private modelDelete(alias: string, model: Model): void {
    for (const [name, motion] of model.motions) {
      motion.end?.();
      this.host.post(msg('MOTION_EVENT_DELETE', alias, name));
    }
    if (model.lipsync) {
      model.lipsync();
      this.host.post(msg('LIPSYNC_EVENT_STOP', alias));
    }
    model.move?.cancel();
    model.turn?.cancel();
    this.models.delete(alias);
    this.host.post(msg('MODEL_EVENT_DELETE', alias));
  }

  private motionMs(file: string): number | null {
    const known = this.opts.motions?.[file];
    return known === undefined ? (this.opts.defaultMotionMs ?? 2000) : known;
  }

  private motionAdd(a: string[], model: Model | undefined): void {
    if (a.length < 3 || a.length > 8 || !model || this.motionMs(a[2]) === null) return;
    model.motions.get(a[1])?.end?.();
    const motion: Motion = { file: a[2], once: a[4] !== 'LOOP' };
    model.motions.set(a[1], motion);
    this.host.post(msg('MOTION_EVENT_ADD', a[0], a[1]));
    this.restartMotion(a[0], a[1], motion);
  }

  private motionChange(a: string[], model: Model | undefined): void {
    const motion = model?.motions.get(a[1]);
    if (a.length !== 3 || !motion || this.motionMs(a[2]) === null) return;
    motion.file = a[2];
    this.host.post(msg('MOTION_EVENT_CHANGE', a[0], a[1]));
    this.restartMotion(a[0], a[1], motion);
  }

  /** A ONCE motion ends by itself after the file's length (transcripts.md part1 #4). */
  private restartMotion(modelAlias: string, name: string, motion: Motion): void {
    motion.end?.();
    if (!motion.once) return;
    motion.end = this.host.after(this.motionMs(motion.file) ?? 0, () => {
      const model = this.models.get(modelAlias);
      if (model?.motions.get(name) !== motion) return;
      model.motions.delete(name);
      this.host.post(msg('MOTION_EVENT_DELETE', modelAlias, name));
    });
  }

  // ---- move / turn / rotate ----

  private moveStart(a: string[], model: Model | undefined): void {
    const v = vec3(a[1]);
    if (a.length < 2 || a.length > 4 || !model || !v) return;
    if (model.move) this.endMove(a[0], model, true);
    const from = model.position;
    const to = a[2] === 'LOCAL' ? from.map((x, i) => x + v[i]) : v;
    const distance = Math.hypot(to[0] - from[0], to[1] - from[1], to[2] - from[2]);
    const speed = Number.parseFloat(a[3] ?? '');
    this.host.post(msg('MOVE_EVENT_START', a[0]));
    if (distance === 0) {
      this.host.post(msg('MOVE_EVENT_STOP', a[0]));
      return;
    }
    const ms = speed > 0 ? (distance / speed) * 1000 + T.moveTail : T.defaultApproach;
    const cancel = this.host.after(ms, () => this.endMove(a[0], model, false));
    model.move = { from, to, startedAt: this.host.now(), ms, cancel };
  }

  private endMove(alias: string, model: Model, early: boolean): void {
    const move = model.move;
    if (!move) return;
    move.cancel();
    // An interrupted move leaves the model part of the way (wall-clock estimate is good enough).
    const done = early ? Math.min(1, (this.host.now() - move.startedAt) / move.ms) : 1;
    model.position = move.from.map((x, i) => x + (move.to[i] - x) * done);
    model.move = undefined;
    this.host.post(msg('MOVE_EVENT_STOP', alias));
  }

  private turnStart(kind: 'TURN' | 'ROTATE', a: string[], model: Model | undefined): void {
    const v = vec3(a[1]);
    if (a.length < 2 || a.length > 4 || !model || !v) return;
    if (model.turn) this.endTurn(a[0], model);
    const degrees = kind === 'ROTATE' ? Math.max(...v.map(Math.abs)) : T.assumedTurnDegrees;
    const speed = Number.parseFloat(a[3] ?? '');
    const ms = speed > 0 ? (degrees / speed) * 1000 * T.rotateSpeedFactor : T.defaultApproach;
    this.host.post(msg(`${kind}_EVENT_START`, a[0]));
    model.turn = { kind, cancel: this.host.after(ms, () => this.endTurn(a[0], model)) };
  }

  private endTurn(alias: string, model: Model): void {
    const turn = model.turn;
    if (!turn) return;
    turn.cancel();
    model.turn = undefined;
    this.host.post(msg(`${turn.kind}_EVENT_STOP`, alias));
  }

  // ---- speech ----

  private synthStart(a: string[]): void {
    if (a.length < 3 || !this.voices.has(a[1])) return;
    const [alias, , text] = a;
    const start = () => {
      this.host.post(msg('SYNTH_EVENT_START', alias));
      this.host.post(msg('LIPSYNC_START', alias, phonemes(text)));
      const stop = this.host.after(speechMs(text) + T.speechTail, () => {
        this.speech.delete(alias);
        this.host.post(msg('SYNTH_EVENT_STOP', alias));
      });
      this.speech.set(alias, { cancel: stop });
    };
    const running = this.speech.get(alias);
    if (running) {
      // A new utterance for the same model ends the old one first (transcripts.md part1b #8).
      running.cancel();
      this.host.post(msg('LIPSYNC_STOP', alias));
      const restart = this.host.after(T.restartSpeech, () => {
        this.host.post(msg('SYNTH_EVENT_STOP', alias));
        start();
      });
      this.speech.set(alias, { cancel: restart });
      return;
    }
    const begin = this.host.after(T.synthPrepare, start);
    this.speech.set(alias, { cancel: begin });
  }

  private synthStop(alias: string | undefined): void {
    const running = this.speech.get(alias ?? '');
    if (!alias || !running) return;
    running.cancel();
    // Both TTS plugins answer with a LIPSYNC_STOP (transcripts.md part1 #20).
    this.host.post(msg('LIPSYNC_STOP', alias));
    this.host.post(msg('LIPSYNC_STOP', alias));
    const stop = this.host.after(T.lipsyncStop, () => {
      this.speech.delete(alias);
      this.host.post(msg('SYNTH_EVENT_STOP', alias));
    });
    this.speech.set(alias, { cancel: stop });
  }

  private lipsyncStart(a: string[], model: Model | undefined): void {
    if (a.length !== 2 || !model) return;
    if (model.lipsync) {
      model.lipsync();
      this.host.post(msg('LIPSYNC_EVENT_STOP', a[0]));
    }
    const fields = a[1].split(',');
    let total = 0;
    for (let i = 1; i < fields.length; i += 2) total += Number.parseFloat(fields[i]) || 0;
    this.host.post(msg('LIPSYNC_EVENT_START', a[0]));
    model.lipsync = this.host.after(total + T.speechTail, () => {
      model.lipsync = undefined;
      this.host.post(msg('LIPSYNC_EVENT_STOP', a[0]));
    });
  }

  private soundMs(file: string): number | null {
    const known = this.opts.sounds?.[file];
    return known === undefined ? (this.opts.defaultSoundMs ?? 1000) : known;
  }

  private speakStart(a: string[], model: Model | undefined): void {
    const ms = this.soundMs(a[1] ?? '');
    if (a.length !== 2 || !model || ms === null) return;
    const [alias, file] = a;
    this.speaking.get(alias)?.cancel();
    const stop = this.host.after(T.speakStart + ms + T.speakTail, () => {
      this.speaking.delete(alias);
      this.host.post(msg('SPEAK_EVENT_STOP', alias));
    });
    const begin = this.host.after(T.speakStart, () => {
      this.host.post(msg('AVATAR', 'START'));
      this.host.post(msg('SPEAK_EVENT_START', alias));
      this.host.post(msg('SOUND_START', `__speak__${alias}`, file));
    });
    this.speaking.set(alias, {
      cancel: () => {
        begin();
        stop();
      },
    });
  }

  private soundStart(a: string[]): void {
    const ms = this.soundMs(a[1] ?? '');
    if (a.length !== 2 || ms === null || !this.plugins.has('Audio')) return;
    const alias = a[0];
    this.sounds.get(alias)?.cancel();
    const begin = this.host.after(T.soundStart, () => this.host.post(msg('SOUND_EVENT_START', alias)));
    const end = this.host.after(T.soundStart + ms + T.soundTail, () => {
      this.sounds.delete(alias);
      this.host.post(msg('SOUND_EVENT_STOP', alias));
    });
    this.sounds.set(alias, {
      cancel: () => {
        begin();
        end();
      },
    });
  }

  // ---- variables, timers ----

  private timerStart(a: string[]): void {
    if (!this.plugins.has('Variables') || a.length < 2) return;
    const alias = a[0];
    const old = this.timers.get(alias);
    if (old) {
      old.cancel();
      this.host.post(msg('TIMER_EVENT_CANCELLED', alias));
    }
    this.host.post(msg('TIMER_EVENT_START', alias));
    // Checked every 0.1 s (messages.md, Timers).
    const ms = Math.ceil(seconds(a[1]) * 10) * 100 + T.timerTail;
    this.timers.set(alias, {
      cancel: this.host.after(ms, () => {
        this.timers.delete(alias);
        this.host.post(msg('TIMER_EVENT_STOP', alias));
      }),
    });
  }

  private valueEval(a: string[]): void {
    const stored = this.values.get(a[0] ?? '');
    if (!this.plugins.has('Variables') || a.length < 3 || stored === undefined) return;
    const range = stored.split('|');
    const value =
      range.length === 2
        ? (Number.parseFloat(range[0]) || 0) +
          Math.random() * ((Number.parseFloat(range[1]) || 0) - (Number.parseFloat(range[0]) || 0))
        : Number.parseFloat(stored) || 0;
    const other = Number.parseFloat(a[2]) || 0;
    const results: Record<string, boolean> = {
      EQ: value === other,
      NE: value !== other,
      LE: value <= other,
      LT: value < other,
      GE: value >= other,
      GT: value > other,
    };
    const result = results[a[1]];
    if (result === undefined) return;
    this.host.post(msg('VALUE_EVENT_EVAL', a[0], a[1], a[2], result ? 'TRUE' : 'FALSE'));
  }

  // ---- screen ----

  private captionStart(a: string[]): void {
    if (a.length !== 7 || !this.captionStyles.has(a[1])) return;
    const alias = a[0];
    this.captions.get(alias)?.cancel();
    this.host.post(msg('CAPTION_EVENT_START', alias));
    const ms = seconds(a[6]) * T.frameMs;
    this.captions.set(alias, {
      cancel: this.host.after(ms, () => {
        this.captions.delete(alias);
        this.host.post(msg('CAPTION_EVENT_STOP', alias));
      }),
    });
  }

  private menu(a: string[]): void {
    const [sub, alias, id] = a;
    if (sub === 'ADD' && alias !== undefined && !this.menus.has(alias)) {
      this.menus.add(alias);
      this.host.post(msg('MENU_EVENT', 'ADD', alias));
    } else if (sub === 'DELETE' && alias !== undefined && this.menus.delete(alias)) {
      this.host.post(msg('MENU_EVENT', 'DELETE', alias));
    } else if ((sub === 'SETITEM' || sub === 'DELETEITEM') && this.menus.has(alias) && id !== undefined) {
      this.host.post(msg('MENU_EVENT', sub, alias, id));
    }
  }
}

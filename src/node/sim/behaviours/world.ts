// The state every behaviour area shares (models, values, plugins...), and the typed bus they
// reply on. Replies are typed by the catalog (src/catalog, messages.json): `bus.post` takes a
// message type the catalog knows and exactly its arguments, so a misspelt event name or a wrong
// argument count fails to compile. Incoming commands stay plain strings: the real app checks
// their argument counts itself, and an unexpected count gives the echo only (transcripts.md,
// finding 3), so every handler checks them as the app does.
import type { CommandType, KnownMessageType, MessageArgsMap } from '../../../catalog/index.js';
import type { Message } from '../../../message.js';

/** State of the avatar of the live connection (wire.md §9.1); reset on every reconnect. */
export interface LinkState {
  enabled: boolean;
  model: string | undefined;
  autoLip: string;
  audioMode: 'SNDSTRM' | 'SNDFILE';
}

/** What the simulated process offers the behaviours (implemented by the Sim). */
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

/** The bus as the behaviours see it: replies typed by the catalog. */
export interface Bus {
  post<K extends KnownMessageType>(type: K, ...args: MessageArgsMap[K]): void;
  /** Posts after `ms` simulated ms (now for 0), unless the connection is gone by then. */
  later<K extends KnownMessageType>(ms: number, type: K, ...args: MessageArgsMap[K]): void;
  after(ms: number, fn: () => void, scope?: 'global' | 'connection'): () => void;
  readonly link: LinkState | undefined;
  now(): number;
  remoteDisabled(): void;
}

/** One area's commands: a key the catalog does not know as a command fails to compile. */
export type Handlers = { readonly [K in CommandType]?: (args: string[]) => void };

export interface Running {
  cancel: () => void;
}
export interface Motion {
  file: string;
  once: boolean;
  end?: () => void;
}
export interface Model {
  file: string;
  position: number[];
  motions: Map<string, Motion>;
  lipsync?: () => void;
  move?: { from: number[]; to: number[]; startedAt: number; ms: number; cancel: () => void };
  turn?: { kind: 'TURN' | 'ROTATE'; cancel: () => void };
  deleting?: boolean;
  /** Morphs and bones bound to values (MODEL_BINDFACE / MODEL_BINDBONE). */
  boundFaces: Set<string>;
  boundBones: Set<string>;
}

export const DEFAULT_MODELS: Record<string, string> = { '0': 'gene/Gene_light.pmd' };
/** The plugins the recorded example content loads (transcripts.md part1 #0). */
export const LOADED_PLUGINS: readonly string[] = [
  'Variables',
  'Open_JTalk',
  'TextArea',
  'VIManager',
  'Flite_plus_hts_engine',
  'Audio',
  'Remote',
];

export function typedBus(host: SimHost): Bus {
  // Optional trailing arguments left out are absent, never `undefined`.
  const post = (type: string, args: readonly (string | undefined)[]) =>
    host.post({ type, args: args.filter((a): a is string => a !== undefined) });
  return {
    post: (type, ...args) => post(type, args),
    later: (ms, type, ...args) => {
      if (ms > 0) host.after(ms, () => post(type, args), 'connection');
      else post(type, args);
    },
    after: (ms, fn, scope) => host.after(ms, fn, scope),
    get link() {
      return host.link;
    },
    now: () => host.now(),
    remoteDisabled: () => host.remoteDisabled(),
  };
}

export function newModel(file: string, position: number[] = [0, 0, 0]): Model {
  return { file, position, motions: new Map(), boundFaces: new Set(), boundBones: new Set() };
}

/** The simulated app's global state; it outlives connections (wire.md §9). */
export class World {
  readonly models = new Map<string, Model>();
  readonly values = new Map<string, string>();
  readonly keyValues = new Map<string, string>();
  readonly timers = new Map<string, Running>();
  readonly plugins = new Set(LOADED_PLUGINS);

  constructor(
    readonly bus: Bus,
    readonly opts: BehaviourOptions,
  ) {
    for (const [alias, file] of Object.entries(opts.models ?? DEFAULT_MODELS)) this.models.set(alias, newModel(file));
  }

  /** The model `alias` names, unless it is being deleted. */
  live(alias: string | undefined): Model | undefined {
    const model = this.models.get(alias ?? '');
    return model && !model.deleting ? model : undefined;
  }

  /** Length of a motion file in ms, or null when the file is missing. */
  motionMs(file: string): number | null {
    const known = this.opts.motions?.[file];
    return known === undefined ? (this.opts.defaultMotionMs ?? 2000) : known;
  }

  soundMs(file: string): number | null {
    const known = this.opts.sounds?.[file];
    return known === undefined ? (this.opts.defaultSoundMs ?? 1000) : known;
  }
}

export const vec3 = (s: string | undefined): number[] | undefined => {
  const parts = s?.split(',').filter((p) => p !== '');
  return parts?.length === 3 ? parts.map((p) => Number.parseFloat(p) || 0) : undefined;
};
export const seconds = (s: string | undefined) => Math.max(0, Number.parseFloat(s ?? '') || 0);

// Every key of mdf.md §4–§5 with its type, source default and range. Kept compact because it
// ships in the browser bundle when lint or mdfSetting is used; it tree-shakes away otherwise.
// The longer docs notes live in notes.ts.
import { MmdError } from '../errors.js';
import type { MdfDocument } from './document.js';
import { expandEnv } from './env.js';
import { atof, atoi, mdfBoolean, vectorOf } from './values.js';
import { tcpSettings } from './tcp.js';

/**
 * bool: Option boolean, exactly `true` is on. flag: on unless exactly `false`. yes: `true`/`True`/
 * `yes`/`Yes` on. exclude: `yes`/`true` on. int/float: atoi/atof. int2/float3/float4: vectors.
 * port: atoi, must be 1–65535. plugins: `ALL`, `NONE` or a comma list. enum: one of `values`.
 * ignored: accepted but never read. runtime: written by MMDAgent-EX itself (mdf.md §5.3).
 */
export type MdfValueType =
  | 'bool'
  | 'flag'
  | 'yes'
  | 'exclude'
  | 'int'
  | 'float'
  | 'int2'
  | 'float3'
  | 'float4'
  | 'port'
  | 'string'
  | 'path'
  | 'plugins'
  | 'enum'
  | 'ignored'
  | 'runtime';

export interface MdfKeySpec {
  key: string;
  type: MdfValueType;
  /** What the source uses when the key is absent, as a raw value; undefined = unset. */
  default?: string;
  /** Option keys are clamped to [min, max] (mdf.md §3.6); other keys have no range. */
  min?: number;
  max?: number;
  /** The values an enum key understands. */
  values?: readonly string[];
  /** True for the typed core (Option) keys, read by Option::load (mdf.md §2). */
  option: boolean;
}

type Row = [type: MdfValueType, dflt?: string, min?: number, max?: number];

const UNIT: [number, number] = [0, 1];
const POSITIVE: [number, number] = [0.001, 1000];

// mdf.md §5.1 (Option keys), in the order of the table.
const OPTION: Record<string, Row> = {
  log_file: ['path', ''],
  use_stdinout: ['bool', 'false'],
  window_size: ['int2', '1024,900', 1, 16384],
  full_screen: ['bool', 'false'],
  show_fps: ['bool', 'true'],
  transparent_window: ['bool', 'false'],
  transparent_color: ['float3', '0.0,1.0,0.0', ...UNIT],
  transparent_pixmap: ['bool', 'false'],
  max_num_model: ['int', '10', 1, 1024],
  cartoon_edge_width: ['float', '0.7', ...POSITIVE],
  cartoon_edge_step: ['float', '1.2', 1, 10],
  cartoon_edge_selected_color: ['float4', '1.0,0.0,0.0,1.0', ...UNIT],
  light_edge: ['bool', 'true'],
  parallel_skinning_numthreads: ['int', '1', 1, 4],
  camera_transition: ['float3', '0.0,13.0,0.0', -10000, 10000],
  camera_rotation: ['float3', '0.0,0.0,0.0', ...POSITIVE],
  camera_distance: ['float', '100.0', 0, 100000],
  camera_fovy: ['float', '16.0', 0, 180],
  max_multi_sampling: ['int', '4', 0, 32],
  stage_size: ['float3', '25.0,25.0,40.0', ...POSITIVE],
  campus_color: ['float3', '0.0,0.0,0.2', ...UNIT],
  light_direction: ['float4', '0.5,1.0,0.5,0.0'],
  light_intensity: ['float', '0.6', ...UNIT],
  light_color: ['float3', '1.0,1.0,1.0', ...UNIT],
  diffusion_postfilter: ['bool', 'false'],
  diffusion_postfilter_intensity: ['float', '0.6', ...UNIT],
  diffusion_postfilter_scale: ['float', '1.0', 0, 5],
  use_shadow: ['bool', 'true'],
  use_shadow_mapping: ['bool', 'false'],
  doppel_shadow: ['bool', 'false'],
  doppel_shadow_color: ['float3', '0.5,0.5,0.5', ...UNIT],
  doppel_shadow_offset: ['float3', '-0.5,-0.3,0.0'],
  shadow_density: ['float', '0.5', ...UNIT],
  bullet_fps: ['int', '120', 1, 120],
  use_cartoon_rendering: ['bool', 'true'],
  use_mmd_like_cartoon: ['bool', 'true'],
  bullet_floor: ['bool', 'true'],
  gravity_factor: ['float', '10.0', 0, 1024],
  display_comment_time: ['float', '0', 0, 30],
  shadow_mapping_texture_size: ['int', '2048', 1, 8192],
  shadow_mapping_self_density: ['float', '1.0', ...UNIT],
  shadow_mapping_floor_density: ['float', '0.5', ...UNIT],
  shadow_mapping_light_first: ['ignored'],
  show_button: ['bool', 'true'],
  log_size: ['int2', '80,30', 1, 4096],
  log_position: ['float3', '-17.5,3.0,-15.0'],
  log_scale: ['float', '1.0', ...POSITIVE],
  motion_adjust_time: ['float', '0.0'], // declared −10…10 but the setter does not clamp
  lipsync_priority: ['float', '100.0', -1000, 1000],
  rotate_step: ['float', '4.5', 0.001, 180],
  translate_step: ['float', '0.5', ...POSITIVE],
  distance_step: ['float', '4.0', ...POSITIVE],
  fovy_step: ['float', '1.0', ...POSITIVE],
  http_server: ['bool', 'true'],
  http_server_port: ['int', '50000', 0, 65535],
};

// mdf.md §4 and §5.2–§5.3 (KeyValue keys read by plugins and the core).
const KEYVALUE: Record<string, Row> = {
  Plugin_Remote_Websocket_Host: ['string'],
  Plugin_Remote_Websocket_Port: ['port', '80'],
  Plugin_Remote_Websocket_Directory: ['string', '/'],
  Plugin_Remote_RetryCount: ['int', '0'],
  Plugin_Remote_AllLog: ['flag', 'false'],
  Plugin_Remote_EnableClient: ['flag', 'false'],
  Plugin_Remote_ClientMode: ['flag', 'false'],
  Plugin_Remote_Hostname: ['string', 'localhost'],
  Plugin_Remote_Port: ['port', '60001'],
  Plugin_Remote_EnableServer: ['flag', 'false'],
  Plugin_Remote_ServerMode: ['flag', 'false'],
  Plugin_Remote_ListenPort: ['port'], // default: Plugin_Remote_Port, else 60001 (see mdfSetting)
  Plugin_Remote_EnableLocalLipsync: ['yes', 'false'],
  Plugin_Remote_EnableLocalPassthrough: ['yes', 'false'],
  Plugin_Remote_Record_Wave_Dir: ['path'],
  Plugin_Remote_Record_Wave_Limit: ['int', '120'],
  Plugin_Remote_Speak_16k: ['flag', 'false'],
  Plugin_Remote_RotationRateBody: ['ignored'],
  Plugin_Remote_RotationRateNeck: ['ignored'],
  Plugin_Remote_RotationRateHead: ['ignored'],
  Plugin_Remote_MoveRateUpDown: ['ignored'],
  Plugin_Remote_MoveRateSlide: ['ignored'],
  disablePlugin: ['plugins'],
  enablePlugin: ['plugins'],
  motion_capture_max_minutes: ['int', '10'],
  Plugin_Julius_conf: ['enum'],
  Plugin_Julius_lang: ['enum', 'ja'],
  Plugin_Julius_wordspacing: ['enum'],
  Plugin_Julius_logfile: ['path'],
  show_caption: ['bool', 'true'],
  Plugin_AnyScript_Command: ['string'],
  Plugin_AnyScript_Command1: ['string'],
  Plugin_AnyScript_Command2: ['string'],
  Plugin_AnyScript_Command3: ['string'],
  Plugin_AnyScript_Command4: ['string'],
  Plugin_AnyScript_Command5: ['string'],
  Plugin_AnyScript_Command6: ['string'],
  Plugin_AnyScript_Command7: ['string'],
  Plugin_AnyScript_Command8: ['string'],
  Plugin_AnyScript_Command9: ['string'],
  Plugin_AnyScript_AllLog: ['flag', 'false'],
  ContentFile: ['path'],
  Plugin_RabbitMQ_ConfigFile: ['path'],
  Avatar_mode: ['runtime'],
  Julius_MaxVol: ['runtime'],
  _RequestedURL: ['runtime'],
};

const ENUM_VALUES: Record<string, readonly string[]> = {
  Plugin_Julius_conf: ['dnn', 'gmm'],
  Plugin_Julius_lang: ['ja', 'en'],
  Plugin_Julius_wordspacing: ['no', 'yes', 'Yes', 'true', 'True', 'on', 'On', 'comma', 'Comma'],
};

const EXCLUDE_PREFIX = 'exclude_Plugin_';

/** Every known key name (the `exclude_Plugin_<X>` family is matched by prefix, not listed). */
export const MDF_KEYS: readonly string[] = /* @__PURE__ */ Object.keys(OPTION).concat(Object.keys(KEYVALUE));

/** The schema entry of `key`, or undefined for a key MMDAgent-EX does not read (a user variable). */
export function mdfKeySpec(key: string): MdfKeySpec | undefined {
  const option = Object.hasOwn(OPTION, key);
  const row = option
    ? OPTION[key]
    : Object.hasOwn(KEYVALUE, key)
      ? KEYVALUE[key]
      : key.startsWith(EXCLUDE_PREFIX) && key.length > EXCLUDE_PREFIX.length
        ? (['exclude'] as Row)
        : undefined;
  if (!row) return undefined;
  const [type, dflt, min, max] = row;
  const spec: MdfKeySpec = { key, type, option };
  if (dflt !== undefined) spec.default = dflt;
  if (min !== undefined) spec.min = min;
  if (max !== undefined) spec.max = max;
  if (Object.hasOwn(ENUM_VALUES, key)) spec.values = ENUM_VALUES[key];
  return spec;
}

/** Number of components of a vector type, 0 for scalars. */
export const vectorSize = (type: MdfValueType): number =>
  type === 'int2' ? 2 : type === 'float3' ? 3 : type === 'float4' ? 4 : 0;

export const clampTo = (value: number, spec: MdfKeySpec): number =>
  Math.min(spec.max ?? Infinity, Math.max(spec.min ?? -Infinity, value));

/** A setting's value as MMDAgent-EX uses it. */
export type MdfValue = string | number | boolean | number[];

/**
 * The value MMDAgent-EX actually uses for `key`, typed by the schema: the source default when
 * the key is absent, booleans by the key's own convention, numbers by atoi/atof, Option values
 * clamped to their range, a vector with too few components left at its default (mdf.md §3.6).
 * Unknown keys give their raw string. Undefined when absent and without a default. `%ENV{}` is
 * expanded from `env`; a value using it without `env` throws ERR_MDF_ENV.
 */
export function mdfSetting(
  doc: MdfDocument,
  key: string,
  env?: Readonly<Record<string, string | undefined>>,
): MdfValue | undefined {
  const spec = mdfKeySpec(key);
  let raw = doc.get(key);
  if (raw?.includes('%ENV{')) {
    if (!env)
      throw new MmdError(
        'ERR_MDF_ENV',
        `${key} uses %ENV{}, which MMDAgent-EX expands from its environment: pass that environment as ` +
          `mdfSetting(doc, key, env)`,
      );
    raw = expandEnv(raw, env);
  }
  if (!spec) return raw;
  // Plugin_Remote_Port is read only in client mode (RemotePlugin::setup): without it, 60001.
  if (key === 'Plugin_Remote_ListenPort' && raw === undefined)
    return tcpSettings(doc, env)?.server?.port ?? mdfSetting(doc, 'Plugin_Remote_Port', env);
  // 0 → internal default
  if (key === 'motion_capture_max_minutes' && raw !== undefined && atoi(raw) === 0) raw = undefined;
  const value = raw ?? spec.default;
  if (value === undefined) return undefined;
  // Defaults are assigned directly; only values read from a file go through the clamping setters.
  const clamp = (n: number) => (raw === undefined ? n : clampTo(n, spec));
  switch (spec.type) {
    case 'bool':
    case 'flag':
    case 'yes':
    case 'exclude':
      return mdfBoolean(key, value);
    case 'int':
    case 'port':
      return clamp(atoi(value));
    case 'float':
      return clamp(atof(value));
    case 'int2':
    case 'float3':
    case 'float4': {
      const size = vectorSize(spec.type);
      const integer = spec.type === 'int2';
      const parts = vectorOf(value, integer);
      return parts.length < size ? vectorOf(spec.default ?? '', integer) : parts.slice(0, size).map(clamp);
    }
    default:
      return value;
  }
}

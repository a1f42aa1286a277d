// Regenerates the typed catalog and its documentation from committed copies of the protocol
// reference (src/catalog/messages.json, messages.md, transcripts.md, copied from
// ../shared/protocol so that builds and tests never reach outside the repo):
//   src/catalog/types.ts     MessageArgsMap, CommandType, EventType, AgentEvent... (types only)
//   src/catalog/commands.ts  one builder per command form
//   src/catalog/table.ts     the packed table parseEvent reads
//   src/catalog/spec.ts      the full entries for tests and tools (not exported from the entry)
//   docs/messages.md         one section per message, with what the real app did
// Usage: node scripts/gen-catalog.mjs [--check]   (--check: list stale outputs and exit 1)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file) => readFileSync(root + file, 'utf8').replace(/\r\n/g, '\n');
const entries = JSON.parse(read('protocol/messages.json'));

// ---------------------------------------------------------------------------------------------
// Which entries are `TYPE|ARGS` bus messages, and how each argument is encoded

/** `SND*` are audio frames and `__AV*` avatar lines (wire.md §8, avatar.md): not bus messages. */
const isWireLine = (m) => m.name.startsWith('SND') || m.name.startsWith('__AV');
/** Dropped by MMDAgent-EX when they come over the socket (wire.md §10.1): no builder. */
const isDropped = (m) => m.name.startsWith('RECOG_RECORD');
const messages = entries.filter((m) => !isWireLine(m));

const byName = new Map();
for (const m of messages) {
  if (!byName.has(m.name)) byName.set(m.name, []);
  byName.get(m.name).push(m);
}

/** PROMPT_SHOW's `itemN` stands for any number of further items. */
const isVariadic = (a) => a.name === 'itemN';

/**
 * One letter per argument, shared by builders (src/catalog/build.ts) and parseEvent
 * (src/catalog/parse.ts); `?` starts the optional ones, `+` repeats the letter before it.
 */
function kindOf(a) {
  if (a.name === 'floorAndBackImages') return 'P'; // exactly two images: MMDAgent-EX tells the forms apart by the comma
  const k = {
    alias: 'a',
    string: 's',
    path: 's',
    hexcolor: 'h',
    rest: 'r',
    enum: 'e',
    int: 'i',
    float: 'f',
    vec2: '2',
    vec3: '3',
    rot3: '3',
    color3: 'c',
    color4: 'C',
    edge5: 'E',
    csv: 'l',
  }[a.type];
  if (!k) throw new Error(`no kind for argument type ${a.type}`);
  return isVariadic(a) ? k + '+' : k;
}

function specOf(args) {
  let spec = '';
  let optional = false;
  for (const a of args) {
    if (a.optional && !optional) {
      spec += '?';
      optional = true;
    }
    if (!a.optional && optional) throw new Error('a required argument after an optional one');
    spec += kindOf(a);
  }
  return spec;
}

const enumType = (a) => a.enum.map((e) => `'${e}'`).join(' | ');

/** TypeScript type of a builder parameter. */
function paramType(a) {
  switch (kindOf(a).replace('+', '')) {
    case 'i':
    case 'f':
      return 'number';
    case '2':
      return 'Vec2';
    case '3':
      return 'Vec3';
    case 'c':
      return 'Color3';
    case 'C':
      return 'Color4';
    case 'E':
      return 'Edge5';
    case 'l':
      return 'readonly (string | number)[]';
    case 'P':
      return 'readonly [string, string]';
    case 'e':
      return enumType(a);
    default:
      return 'string';
  }
}

/** TypeScript type of a parsed field. */
function fieldType(a) {
  switch (kindOf(a)) {
    case 'l':
      return 'string[]';
    case 's+':
      return 'string[]';
    default:
      return paramType(a);
  }
}

// ---------------------------------------------------------------------------------------------
// Builder names: camelCase of the type; a message with several forms gets the first form under
// the plain name and the others with the form appended. Forms chosen by a fixed first word
// (MENU|ADD, RECOG_MODIFY|GAIN) take that word into the name and out of the parameters.

const camel = (s) => s.toLowerCase().replace(/_+([a-z0-9])/g, (_, c) => c.toUpperCase());
const headWord = (m) =>
  m.form && m.args[0]?.type === 'enum' && m.args[0].enum.length === 1 && m.args[0].enum[0] === m.form
    ? m.form
    : undefined;

function builderName(m) {
  const forms = byName.get(m.name);
  if (headWord(m) || (forms.length > 1 && forms[0] !== m)) return camel(`${m.name}_${m.form}`);
  return camel(m.name);
}

// ---------------------------------------------------------------------------------------------
// src/catalog/types.ts

function argsTuple(m) {
  const parts = m.args.map((a) => {
    const t = a.type === 'enum' ? enumType(a) : 'string';
    if (a.type === 'rest')
      return a.optional ? `...${a.name}: string[]` : `${a.name}: string, ...${a.name}More: string[]`;
    if (isVariadic(a)) return `...${a.name}: string[]`;
    return `${a.name}${a.optional ? '?' : ''}: ${t}`;
  });
  return `[${parts.join(', ')}]`;
}

function eventShape(m, multi) {
  const fields = [`type: '${m.name}'`];
  if (multi) fields.push(`form: '${m.form}'`);
  fields.push('known: true', 'args: string[]');
  for (const a of m.args) fields.push(`${a.name}${a.optional && !isVariadic(a) ? '?' : ''}: ${fieldType(a)}`);
  return `{ ${fields.join('; ')} }`;
}

function typesTs() {
  const out = [];
  const names = (dir) => [...byName].filter(([, f]) => f[0].direction === dir).map(([n]) => `'${n}'`);
  out.push(
    '// Generated by scripts/gen-catalog.mjs from src/catalog/messages.json. Do not edit.',
    '',
    '/**',
    ' * Arguments of every known MMDAgent-EX message, as the wire strings after the type',
    ' * (messages.md). Optional trailing arguments are optional elements; messages with several',
    ' * forms are a union of tuples. Enumerated arguments are their literal words.',
    ' */',
    'export interface MessageArgsMap {',
    ...[...byName].map(([name, forms]) => `  ${name}: ${forms.map(argsTuple).join(' | ')};`),
    '}',
    '',
    '/** Messages a server sends to MMDAgent-EX (they are also echoed back, messages.md §1). */',
    `export type CommandType =\n  | ${names('command').join('\n  | ')};`,
    '',
    '/** Messages MMDAgent-EX emits on its own. */',
    `export type EventType =\n  | ${names('event').join('\n  | ')};`,
    '',
    'export type KnownMessageType = keyof MessageArgsMap;',
    '',
    '/** MMDAgent-EX discards `RECOG_RECORD*` lines that come over the socket (wire.md §10.1). */',
    'export type SendableCommandType = Exclude<CommandType, `RECOG_RECORD${string}`>;',
    '',
    '/** `x,y` (messages.md §2). */',
    'export type Vec2 = readonly [x: number, y: number];',
    '/** `x,y,z`, or `rx,ry,rz` in degrees for rotations (messages.md §2). */',
    'export type Vec3 = readonly [x: number, y: number, z: number];',
    '/** `r,g,b`, each 0..1 (messages.md §2). */',
    'export type Color3 = readonly [r: number, g: number, b: number];',
    '/** `r,g,b,a`, each 0..1 (messages.md §2). */',
    'export type Color4 = readonly [r: number, g: number, b: number, a: number];',
    '/** `r,g,b,a,thickness`, colour components 0..1 (messages.md §2). */',
    'export type Edge5 = readonly [r: number, g: number, b: number, a: number, thickness: number];',
    '',
    '/** Every prefix of a tuple: optional arguments can only be left out from the end. */',
    'export type OptionalTail<T extends readonly unknown[]> = T extends readonly [...infer Head, unknown] ? OptionalTail<Head> | T : [];',
    '',
    '/**',
    ' * What parseEvent returns for each known message: named fields (numbers as numbers, vectors',
    ' * as tuples, lists as arrays, `rest` joined back with `|`) plus the raw `args`. Messages with',
    ' * several forms carry `form`.',
    ' */',
    'export interface AgentEventMap {',
    ...[...byName].map(
      ([name, forms]) => `  ${name}: ${forms.map((m) => eventShape(m, forms.length > 1)).join('\n    | ')};`,
    ),
    '}',
    '',
    '/** A known message from MMDAgent-EX, discriminated on `type` (and `form`) once `known` is true. */',
    'export type AgentEvent = AgentEventMap[KnownMessageType];',
    '',
    '/** A message of a type this catalog does not know, or one that does not fit its entry. */',
    'export interface UnknownEvent {',
    '  type: string;',
    '  known: false;',
    '  args: string[];',
    '  /** Why it was not recognised, e.g. "unknown message type" or "argument 3 (range): expected FULL or PART". */',
    '  reason: string;',
    '}',
    '',
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// src/catalog/commands.ts

/** `TYPE|<a>[|<b>[|<c>]]`, nested optionals as in messages.md. */
function usageOf(m) {
  const sep = m.separator ?? '|';
  return (
    m.name +
    m.args.reduceRight((acc, a) => {
      const part = `${sep}<${a.name}${a.enum ? ': ' + a.enum.join('/') : ''}>`;
      return a.optional ? `[${part}${acc}]` : part + acc;
    }, '')
  );
}

function jsdoc(m, indent = '') {
  const lines = [`\`${usageOf(m)}\`${m.form ? ` (form ${m.form})` : ''}; messages.md \`${m.name}\`.`];
  if (!m.documented) lines.push('Not in the official docs: behaviour read from the source (messages.md).');
  lines.push(`@example ${builderName(m)}(...) // ${m.example}`);
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`).join('\n')}\n${indent} */`;
}

function builderTs(m) {
  const head = headWord(m);
  const args = head ? m.args.slice(1) : m.args;
  const req = [];
  const opt = [];
  let variadic = '';
  for (const a of args) {
    if (isVariadic(a)) variadic = `...${a.name}: string[]`;
    else (a.optional ? opt : req).push(`${a.name}: ${paramType(a)}`);
  }
  const params = [...req];
  if (opt.length) params.push(`...OptionalTail<[${opt.join(', ')}]>`);
  if (variadic) params.push(variadic);
  const enums = args
    .filter((a) => a.type === 'enum')
    .map((a) => `, '${a.enum.join(',')}'`)
    .join('');
  const spec = specOf(args);
  const id = `${head ? `${m.name}|${head}` : m.name}${spec ? ' ' + spec : ''}`;
  return `${jsdoc(m)}\nexport const ${builderName(m)}: (...a: [${params.join(', ')}]) => Message =\n  /* @__PURE__ */ builder('${id}'${enums});\n`;
}

function commandsTs() {
  const out = [
    '// Generated by scripts/gen-catalog.mjs from src/catalog/messages.json. Do not edit.',
    '// One builder per command form. Each returns a Message that formatMessage accepts, or throws',
    '// MmdError (ERR_BAD_ARGUMENT for a value of the wrong shape, or the wire code). No builder',
    '// exists for RECOG_RECORD_START/STOP (MMDAgent-EX drops them when they come over the socket,',
    '// wire.md §10.1), nor for the __AV*/SND* lines (see avatar.ts and audio.ts).',
    "import type { Message } from '../message.js';",
    "import { builder } from './build.js';",
    "import type { Color3, Color4, Edge5, OptionalTail, Vec2, Vec3 } from './types.js';",
    '',
  ];
  for (const m of messages) if (m.direction === 'command' && !isDropped(m)) out.push(builderTs(m));
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// src/catalog/table.ts: `NAME[:form] spec name name=ENUM,WORDS ...`, one line per form

function tableLine(m) {
  const forms = byName.get(m.name);
  const names = m.args.map((a) => (a.type === 'enum' ? `${a.name}=${a.enum.join(',')}` : a.name));
  return [`${m.name}${forms.length > 1 ? ':' + m.form : ''}`, specOf(m.args) || '-', ...names].join(' ');
}

function tableTs() {
  const lines = messages.map(tableLine);
  return [
    '// Generated by scripts/gen-catalog.mjs from src/catalog/messages.json. Do not edit.',
    '// One line per message form: `TYPE[:form] spec arg arg=ENUM,WORDS ...`; spec letters are',
    '// explained in build.ts. Kept as one string so that it costs little and is read only when',
    '// parseEvent is first called.',
    `export const TABLE = ${JSON.stringify(lines.join('\n'))};`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// src/catalog/spec.ts

function specTs() {
  const rows = entries.map((m) => ({
    name: m.name,
    direction: m.direction,
    area: m.area,
    module: m.module,
    documented: m.documented,
    ...(m.form ? { form: m.form } : {}),
    kind: isWireLine(m) ? 'wire-line' : 'message',
    ...(!isWireLine(m) && m.direction === 'command' && !isDropped(m) ? { builder: builderName(m) } : {}),
    ...(!isWireLine(m) ? { spec: specOf(m.args) } : {}),
    example: m.example,
    args: m.args.map((a) => ({
      name: a.name,
      type: a.type,
      optional: a.optional,
      ...(a.enum ? { enum: a.enum } : {}),
    })),
  }));
  return [
    '// Generated by scripts/gen-catalog.mjs from src/catalog/messages.json. Do not edit.',
    '// Every catalog entry, for tests and tools. Not exported from the package entry (the runtime',
    '// uses the packed table in table.ts).',
    'export interface CatalogArg { name: string; type: string; optional: boolean; enum?: string[] }',
    'export interface CatalogEntry {',
    "  name: string; direction: 'command' | 'event'; area: string; module: string; documented: boolean;",
    "  form?: string; kind: 'message' | 'wire-line'; builder?: string; spec?: string; example: string; args: CatalogArg[];",
    '}',
    `export const CATALOG: CatalogEntry[] = ${JSON.stringify(rows, null, 1)};`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// docs/messages.md

/** Notes of one section of messages.md: the bullets after the example line. */
function notesFromMessagesMd() {
  const notes = new Map();
  let key;
  let after = false;
  for (const line of read('protocol/messages.md').split('\n')) {
    const h = /^### `([^`]+)`(?: — form \*([^*]+)\*)?/.exec(line);
    if (h) {
      key = `${h[1]}:${h[2] ?? ''}`;
      notes.set(key, []);
      after = false;
    } else if (/^##? /.test(line)) key = undefined;
    else if (key && line.startsWith('* example:')) after = true;
    else if (key && after && line.startsWith('* ')) notes.get(key).push(line.slice(2));
    else if (key && after && line.trim() && !line.startsWith('*')) notes.get(key).push(line.trim());
  }
  return notes;
}

/** Recorded sessions of transcripts.md, keyed by the type of the command that was sent. */
function recordings() {
  const byType = new Map();
  let cur;
  for (const line of read('protocol/real-client/transcripts.md').split('\n')) {
    const h = /^### (part\w+ #\d+): (.*)$/.exec(line);
    if (h) {
      cur = { id: h[1], title: h[2], sent: [], rows: [], note: '' };
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('Sent: ')) {
      cur.sent.push(line.slice(6));
      const type = line.slice(7).split(/[|,\\`]/)[0];
      if (!byType.has(type)) byType.set(type, []);
      if (!byType.get(type).includes(cur)) byType.get(type).push(cur);
    } else if (/^\| \d/.test(line)) cur.rows.push(line);
    else if (line.startsWith('Note: ')) cur.note = line.slice(6);
    else if (/^##? /.test(line)) cur = undefined;
  }
  return byType;
}

const PERIODIC = /^`(CURRENT_TIME|AVATAR_EVENT_IDLE)\\\|/;

/** "echo after 135 ms, then MOTION_EVENT_ADD (135 ms), MOTION_EVENT_DELETE (2116 ms)". */
function summary(r) {
  const echoes = r.sent.map((x) => x.replace(/\|/g, '\\|'));
  let echo;
  const caused = [];
  for (const row of r.rows) {
    const cells = row.split(/ \| /);
    const frame = cells[3].replace(/ \|$/, '');
    if (echoes.includes(frame)) echo ??= cells[1];
    else if (!PERIODIC.test(frame)) {
      const type = frame.slice(1).split(/\\[|n]/)[0];
      const last = caused[caused.length - 1];
      if (last?.type === type) last.n++;
      else caused.push({ type, t: cells[1], n: 1 });
    }
  }
  const head = echo ? `echo after ${echo} ms` : 'no echo';
  const list = caused.map((c) => `\`${c.type}\`${c.n > 1 ? ` ×${c.n}` : ''} (${c.t} ms)`);
  return caused.length ? `${head}, then ${list.join(', ')}` : `${head}, nothing else`;
}

function docsMd() {
  const notes = notesFromMessagesMd();
  const recs = recordings();
  const esc = (s) => s.replace(/\|/g, '\\|');
  const out = [
    '# MMDAgent-EX messages',
    '',
    '<!-- Generated by `node scripts/gen-catalog.mjs` from src/catalog/messages.json, messages.md and',
    '     transcripts.md (copies of ../shared/protocol). Do not edit; a test fails when it is stale. -->',
    '',
    'Every message of the remote protocol, with the SDK builder that sends it and the fields',
    '`parseEvent` gives back. "Recorded" tables show what the real MMDAgent-EX did when the command',
    'was sent (protocol/real-client/transcripts.md: Linux build, about 8 frames per second; `t` is ms',
    'after the command was written). "Result" sums a table up: the echo, then the other frames in',
    'order (periodic `CURRENT_TIME`/`AVATAR_EVENT_IDLE` left out); a frame can be a late event of an',
    'earlier command, which the quoted note then says.',
    '',
    'Rules that hold for all of them (messages.md §1, wire.md §10):',
    '',
    '* **Every command is echoed** back before the events it causes, so every command type can also',
    '  arrive from MMDAgent-EX; `parseEvent` knows them all.',
    '* **Failures are silent.** A bad alias, a missing file or a wrong argument count only logs inside',
    '  MMDAgent-EX: you get the echo and nothing else. Wait for completion events with a timeout.',
    '* Arguments cannot be empty and cannot contain `|`, CR or LF; builders refuse such values',
    '  (`ERR_BAD_ARGUMENT` or the wire error code) before anything is sent.',
    '* `RECOG_RECORD_START`/`RECOG_RECORD_STOP` are dropped when they come over the socket: they',
    '  are listed (MMDAgent-EX itself can emit them) but have no builder.',
    '* `__AV*` and `SND*` lines are not bus messages: they are built by `avatar` and the audio',
    '  helpers, never echoed, and listed at the end for completeness.',
    "* Entries marked **not in the official docs** come from reading MMDAgent-EX's source; notes",
    '  marked [inferred] were derived from the code, not tested.',
    '',
    'Argument types: `alias` and `string` are JS strings (aliases may not contain `,`), `int`/`float`',
    'are numbers (written in the shortest decimal form), `vec2`/`vec3`/`rot3` are number tuples,',
    '`color3`/`color4` tuples of 0..1 components, `edge5` is `[r, g, b, a, thickness]`, `hexcolor`',
    'is `RRGGBB` or `RRGGBBAA`, `csv` is an array (items without `,`), `rest` is a string that may',
    'contain `|` (it is split into arguments), `enum` is one of the listed words.',
    '',
  ];
  let area;
  const seen = new Set();
  const sections = [...entries.filter((m) => !isWireLine(m)), ...entries.filter(isWireLine)];
  for (const m of sections) {
    const wire = isWireLine(m);
    if (wire && area !== 'wire') {
      area = 'wire';
      out.push(
        '## Wire-level lines (not bus messages)',
        '',
        'Built by `avatar` (`__AV*`) and the audio helpers (`SND*`); see avatar.md and wire.md §8. Never echoed.',
        '',
      );
    } else if (!wire && m.area !== area) {
      area = m.area;
      out.push(`## ${area}`, '');
    }
    out.push(`### \`${m.name}\`${m.form ? ` — form *${m.form}*` : ''}`, '');
    const dir = m.direction === 'command' ? 'command (to MMDAgent-EX)' : 'event (from MMDAgent-EX)';
    const flags = [dir, m.module];
    if (!m.documented) flags.push('**not in the official docs**');
    out.push(flags.join(' · '), '');
    out.push('```', usageOf(m), '```', '');
    if (!wire) {
      if (m.direction === 'command' && !isDropped(m))
        out.push(
          `Builder: \`${builderName(m)}(${(headWord(m) ? m.args.slice(1) : m.args).map((a) => (isVariadic(a) ? '...' : '') + a.name + (a.optional && !isVariadic(a) ? '?' : '')).join(', ')})\``,
          '',
        );
      else if (isDropped(m))
        out.push('No builder: MMDAgent-EX drops `RECOG_RECORD*` lines that come over the socket (wire.md §10.1).', '');
    }
    if (m.args.length) {
      out.push('| argument | type | optional | meaning |', '|---|---|---|---|');
      for (const a of m.args) {
        const t = a.enum ? `${a.type}: ${a.enum.map((e) => `\`${e}\``).join(' ')}` : a.type;
        out.push(`| \`${esc(a.name)}\` | ${esc(t)} | ${a.optional ? 'yes' : ''} | ${esc(a.description ?? '')} |`);
      }
      out.push('');
    }
    out.push(`Example: \`${m.example}\``, '');
    const n = notes.get(`${m.name}:${m.form ?? ''}`) ?? [];
    if (n.length) out.push(...n.map((l) => `* ${l}`), '');
    if (!seen.has(m.name) && m.direction === 'command') {
      seen.add(m.name);
      const rs = recs.get(m.name) ?? [];
      for (const r of rs) {
        out.push(
          `Recorded (${r.id}): sent ${r.sent.join(', ')}`,
          '',
          '| t (ms) | frame from MMDAgent-EX |',
          '|---|---|',
        );
        const echo = r.sent.map((s) => s.replace(/\|/g, '\\|'));
        for (const row of r.rows) {
          const cells = row.split(/ \| /);
          const frame = cells[3].replace(/ \|$/, '');
          const tag = echo.includes(frame)
            ? ' (echo)'
            : PERIODIC.test(frame)
              ? ' (periodic, not caused by the command)'
              : '';
          out.push(`| ${cells[1]} | ${frame}${tag} |`);
        }
        if (!r.rows.length) out.push('| — | nothing |');
        out.push('');
        out.push(`Result: ${summary(r)}.`, '');
        if (r.note) out.push(`> ${r.note}`, '');
      }
      if (!rs.length) out.push('Not recorded against the real app.', '');
    }
    if (m.direction === 'event' && !seen.has(m.name)) {
      seen.add(m.name);
      const after = [...recs.values()]
        .flat()
        .filter(
          (r, i, all) =>
            all.indexOf(r) === i &&
            r.rows.some((row) => row.includes(`| \`${m.name}\\|`) || row.includes(`| \`${m.name}\\n`)),
        );
      if (after.length)
        out.push(`Seen in the recordings after: ${after.map((r) => `${r.id} (${r.title})`).join('; ')}.`, '');
      else out.push('Not seen in the recordings.', '');
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

const outputs = {
  'src/catalog/types.ts': typesTs(),
  'src/catalog/commands.ts': commandsTs(),
  'src/catalog/table.ts': tableTs(),
  'src/catalog/spec.ts': specTs(),
  'docs/messages.md': docsMd(),
};

const check = process.argv.includes('--check');
let stale = false;
for (const [file, text] of Object.entries(outputs)) {
  let old = '';
  try {
    old = read(file);
  } catch {}
  if (old === text) continue;
  stale = true;
  if (check) console.error(`${file} is out of date: run node scripts/gen-catalog.mjs`);
  else {
    writeFileSync(root + file, text);
    console.log(`wrote ${file}`);
  }
}
if (check && stale) process.exit(1);

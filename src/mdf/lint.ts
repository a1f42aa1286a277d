// Lint for .mdf files: what MMDAgent-EX will really do with each line, where that differs from
// what the line seems to say (mdf.md §3–§5, wire.md §2, §4.1, §14).
import { MDF_MAX_LINE_BYTES } from '../limits.js';
import type { MdfDocument } from './document.js';
import { linePieces, pieceDefinition } from './document.js';
import { brokenEnvAt } from './env.js';
import type { MdfKeySpec } from './schema.js';
import { MDF_KEYS, clampTo, mdfKeySpec, vectorSize } from './schema.js';
import { booleanRule, leadingNumber, mdfBoolean } from './values.js';
import { checkRemote, q } from './lint-remote.js';

/** Each kind of problem has its own stable code; MDF_DIAGNOSTIC_HELP (notes.ts) explains each. */
export const MDF_DIAGNOSTIC_CODES = [
  'MDF_BOM',
  'MDF_NOT_UTF8',
  'MDF_LINE_TOO_LONG',
  'MDF_NUL',
  'MDF_LONE_CR',
  'MDF_NO_EQUALS',
  'MDF_EMPTY_KEY',
  'MDF_INDENTED_COMMENT',
  'MDF_INLINE_COMMENT',
  'MDF_KEY_SPACES',
  'MDF_UNKNOWN_KEY',
  'MDF_IGNORED_KEY',
  'MDF_DUPLICATE_KEY',
  'MDF_TOO_MANY_KEYS',
  'MDF_ENV_SYNTAX',
  'MDF_BAD_NUMBER',
  'MDF_BAD_VECTOR',
  'MDF_BAD_BOOLEAN',
  'MDF_BOOLEAN_TRAP',
  'MDF_BAD_VALUE',
  'MDF_OUT_OF_RANGE',
  'MDF_BAD_PORT',
  'MDF_WS_HOST',
  'MDF_WS_NO_HOST',
  'MDF_WS_DIRECTORY',
  'MDF_WS_TLS',
  'MDF_WS_AND_TCP',
  'MDF_TCP_SELF_LOOP',
  'MDF_TCP_LISTEN_PORT',
  'MDF_RETRY_ZERO',
  'MDF_REMOTE_DISABLED',
] as const;

export type MdfDiagnosticCode = (typeof MDF_DIAGNOSTIC_CODES)[number];

export interface MdfDiagnostic {
  code: MdfDiagnosticCode;
  severity: 'error' | 'warning' | 'info';
  /** 1-based physical line. */
  line: number;
  /** 1-based, in UTF-16 code units of the line (what editors count). */
  column: number;
  message: string;
  /** What to write instead, when there is one obvious fix. */
  fix?: string;
}

/** KEYVALUE_MAXNUM: more distinct keys than this are silently dropped (mdf.md §3.4). */
const MAX_KEYS = 4096;

export interface Def {
  key: string;
  value: string;
  line: number;
  column: number;
  valueColumn: number;
}

const TRUTHY = /^(?:true|yes|on|1|y|enabled?)$/i;
const FALSY = /^(?:false|no|off|0|n|disabled?|)$/i;

/**
 * Every problem found in `doc`, sorted by position. Unknown keys are legal (they are global
 * variables for FST scripts), so MDF_UNKNOWN_KEY is a warning only when the key looks like a
 * typo of a known key or sits in the Plugin_Remote_ namespace, and info otherwise.
 */
export function lintMdf(doc: MdfDocument): MdfDiagnostic[] {
  const out: MdfDiagnostic[] = [];
  const report = (
    code: MdfDiagnosticCode,
    severity: MdfDiagnostic['severity'],
    line: number,
    column: number,
    message: string,
    fix?: string,
  ) => {
    out.push(
      fix === undefined ? { code, severity, line, column, message } : { code, severity, line, column, message, fix },
    );
  };
  const latin1 = doc.encoding === 'latin1';
  const defs: Def[] = [];

  if (latin1)
    report(
      'MDF_NOT_UTF8',
      'warning',
      1,
      1,
      'the file is not valid UTF-8; MMDAgent-EX reads .mdf text as UTF-8, so non-ASCII text will be garbled',
      'save the file as UTF-8',
    );

  doc.rawLines().forEach((raw, i) => {
    const line = i + 1;
    const pieces = linePieces(raw, latin1);
    if (pieces.length > 1) {
      report(
        'MDF_LINE_TOO_LONG',
        'error',
        line,
        pieces[1].start + 1,
        `line is longer than ${MDF_MAX_LINE_BYTES} bytes; MMDAgent-EX cuts it there and reads the rest as another line`,
        'shorten the line',
      );
    }
    const bom = i === 0 ? bomLength(raw, latin1) : 0;
    if (bom > 0) {
      const kv = raw.charCodeAt(bom) === 0x23 ? undefined : pieceDefinition(raw.slice(bom));
      const known = kv !== undefined && mdfKeySpec(kv[0]) !== undefined;
      report(
        'MDF_BOM',
        known ? 'error' : 'warning',
        1,
        1,
        `the file starts with a UTF-8 byte order mark, which MMDAgent-EX keeps as part of the first ` +
          `line${known ? `, so ${q(kv[0])} is not recognised` : ''}`,
        'save the file without BOM, or put a blank line first',
      );
    }
    for (const { start, text } of pieces) {
      const nul = text.indexOf('\0');
      if (nul >= 0)
        report(
          'MDF_NUL',
          'warning',
          line,
          start + nul + 1,
          'NUL byte: MMDAgent-EX ignores the rest of the line',
          'remove the NUL byte',
        );
      const body = nul >= 0 ? text.slice(0, nul) : text;
      if (body.charCodeAt(start === 0 ? bom : 0) === 0x23) continue;
      const content = body.replace(/[\r\n\t ]+$/, '');
      const cr = content.indexOf('\r');
      if (cr >= 0)
        report(
          'MDF_LONE_CR',
          'error',
          line,
          start + cr + 1,
          'a carriage return that is not part of CRLF does not end a line for MMDAgent-EX: the text after it ' +
            'belongs to the same line',
          'use LF or CRLF line endings',
        );
      const broken = brokenEnvAt(content);
      if (broken >= 0)
        report(
          'MDF_ENV_SYNTAX',
          'error',
          line,
          start + broken + 1,
          '"%ENV{" has no closing "}": MMDAgent-EX then ignores this WHOLE file',
          'close the reference with "}"',
        );
      const kv = pieceDefinition(text);
      if (!kv) {
        if (start === 0 && content !== '' && !/^[ \t]*#/.test(content))
          report(
            'MDF_NO_EQUALS',
            'warning',
            line,
            start + 1,
            'line has no "=", so MMDAgent-EX ignores it',
            'write key=value, or start the line with "#" to make it a comment',
          );
        continue;
      }
      if (start === 0 && bom > 0) continue; // reported as MDF_BOM
      const [key, value] = kv;
      const column = start + 1;
      defs.push({ key, value, line, column, valueColumn: column + key.length + 1 });
    }
  });

  const last = new Map<string, Def>();
  for (const def of defs) last.set(def.key, def);
  if (last.size > MAX_KEYS)
    report(
      'MDF_TOO_MANY_KEYS',
      'warning',
      defs[defs.length - 1].line,
      1,
      `${last.size} distinct keys; MMDAgent-EX keeps at most ${MAX_KEYS} (fewer in practice) and silently ` +
        `drops the rest`,
    );

  for (const def of defs) {
    const { key, line, column } = def;
    const spec = mdfKeySpec(key);
    const trimmed = key.trim();
    if (last.get(key) !== def) {
      report(
        'MDF_DUPLICATE_KEY',
        'warning',
        line,
        column,
        `${q(key)} is defined again on line ${last.get(key)!.line}, and the later value wins`,
        'delete one of the two lines',
      );
    } else if (key === '') {
      report(
        'MDF_EMPTY_KEY',
        'warning',
        line,
        column,
        'line starts with "=", which defines a key with an empty name',
        'put the key name before "="',
      );
    } else if (/^[ \t]+#/.test(key)) {
      report(
        'MDF_INDENTED_COMMENT',
        'warning',
        line,
        column,
        'only a "#" in column 1 starts a comment; this line defines a key instead',
        'move the "#" to column 1',
      );
    } else if (trimmed !== key) {
      const known = mdfKeySpec(trimmed) !== undefined;
      report(
        'MDF_KEY_SPACES',
        known ? 'error' : 'warning',
        line,
        column,
        `key ${q(key)} has spaces around it, which MMDAgent-EX keeps, so ${q(trimmed)} stays undefined`,
        `${trimmed}=${def.value.trim()}`,
      );
    } else if (!spec) {
      reportUnknown(def, report);
    } else {
      if (/[ \t]#/.test(def.value))
        report(
          'MDF_INLINE_COMMENT',
          'warning',
          line,
          def.valueColumn,
          `there are no inline comments: the value of ${key} is ${q(def.value)}`,
          'put the comment on its own line starting with "#"',
        );
      checkValue(spec, def, report);
    }
  }

  checkRemote(doc, last, report);
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

export type Report = (
  code: MdfDiagnosticCode,
  severity: MdfDiagnostic['severity'],
  line: number,
  column: number,
  message: string,
  fix?: string,
) => void;

function reportUnknown(def: Def, report: Report): void {
  const near = closestKey(def.key);
  const remote = def.key.startsWith('Plugin_Remote_');
  const message = `${q(def.key)} is not a key MMDAgent-EX reads; it is only a global variable for FST scripts`;
  if (near)
    report(
      'MDF_UNKNOWN_KEY',
      'warning',
      def.line,
      def.column,
      `${message}. Did you mean ${q(near)}?`,
      `${near}=${def.value}`,
    );
  else
    report(
      'MDF_UNKNOWN_KEY',
      remote ? 'warning' : 'info',
      def.line,
      def.column,
      remote ? `${message}; Plugin_Remote has no such setting` : message,
    );
}

function checkValue(spec: MdfKeySpec, def: Def, report: Report): void {
  const { key, value, line, valueColumn: column } = def;
  if (value.includes('%ENV{')) return; // its value depends on the environment
  switch (spec.type) {
    case 'bool':
    case 'flag':
    case 'yes':
    case 'exclude':
      return checkBoolean(key, value, line, column, report);
    case 'ignored':
      return report(
        'MDF_IGNORED_KEY',
        'info',
        def.line,
        def.column,
        `MMDAgent-EX accepts ${key} but no longer reads it`,
        'delete the line',
      );
    case 'int':
    case 'float':
    case 'port': {
      const n = checkNumber(key, value, spec.type === 'float' ? 'float' : 'int', line, column, report);
      if (n !== undefined && spec.type === 'port' && (n < 1 || n > 65535)) {
        report(
          'MDF_BAD_PORT',
          'error',
          line,
          column,
          `${key}=${value} is port ${n}, which is not a TCP port (1–65535)`,
        );
      } else if (n !== undefined) checkRange(spec, n, value, line, column, report);
      return;
    }
    case 'int2':
    case 'float3':
    case 'float4':
      return checkVector(spec, value, line, column, report);
    case 'enum':
      if (spec.values && !spec.values.includes(value))
        report(
          'MDF_BAD_VALUE',
          'warning',
          line,
          column,
          `${key} understands ${spec.values.join(', ')}; ${q(value)} is not one of them`,
        );
      return;
    case 'plugins':
      if (/(^|,)Plugin_/.test(value))
        report(
          'MDF_BAD_VALUE',
          'warning',
          line,
          column,
          `${key} takes plugin names without the "Plugin_" prefix (e.g. Remote for Plugin_Remote)`,
          `${key}=${value.replace(/(^|,)Plugin_/g, '$1')}`,
        );
      return;
  }
}

function checkBoolean(key: string, value: string, line: number, column: number, report: Report): void {
  const rule = booleanRule(key);
  const on = mdfBoolean(key, value);
  const canonical =
    rule === 'exclude'
      ? ['yes', 'true', 'no', 'false']
      : rule === 'yesOrTrue'
        ? ['true', 'True', 'yes', 'Yes', 'false', 'False', 'no', 'No']
        : ['true', 'false'];
  if (canonical.includes(value)) return;
  const looks = TRUTHY.test(value) ? true : FALSY.test(value) ? false : undefined;
  const state = on ? 'ON' : 'OFF';
  const rules = {
    exactTrue: 'only exactly "true" is on',
    notFalse: 'anything but exactly "false" is on',
    yesOrTrue: 'only true, True, yes or Yes are on',
    exclude: 'only yes or true exclude the plugin',
  };
  if (looks !== undefined && looks !== on) {
    report(
      'MDF_BOOLEAN_TRAP',
      'error',
      line,
      column,
      `${key}=${value} turns it ${state}: for this key ${rules[rule]}`,
      `${key}=${looks ? (rule === 'exclude' ? 'yes' : 'true') : 'false'}`,
    );
  } else {
    report(
      'MDF_BAD_BOOLEAN',
      'warning',
      line,
      column,
      `${key}=${q(value)} reads as ${state} (${rules[rule]})`,
      `${key}=${on ? (rule === 'exclude' ? 'yes' : 'true') : 'false'}`,
    );
  }
}

function checkNumber(
  key: string,
  text: string,
  kind: 'int' | 'float',
  line: number,
  column: number,
  report: Report,
): number | undefined {
  const [n, used] = leadingNumber(text, kind === 'int');
  if (used === 0) {
    report(
      'MDF_BAD_NUMBER',
      'error',
      line,
      column,
      `${key}=${q(text)} is not a number; MMDAgent-EX reads it as 0 (C ${kind === 'int' ? 'atoi' : 'atof'})`,
    );
    return undefined;
  }
  if (used < text.length)
    report(
      'MDF_BAD_NUMBER',
      'warning',
      line,
      column + used,
      `${key}: MMDAgent-EX reads only the leading ${kind === 'int' ? 'integer' : 'number'} ${n} and ignores ` +
        `${q(text.slice(used))}`,
      `${key}=${n}`,
    );
  return n;
}

function checkRange(spec: MdfKeySpec, n: number, text: string, line: number, column: number, report: Report): void {
  const clamped = clampTo(n, spec);
  if (clamped === n) return;
  // A floor of 0.001 means "positive"; 0 becoming 0.001 changes nothing anyone can see.
  const severity = spec.min === 0.001 && n >= 0 && n < spec.min ? 'info' : 'warning';
  report(
    'MDF_OUT_OF_RANGE',
    severity,
    line,
    column,
    `${spec.key} value ${text.trim()} is outside ${spec.min}…${spec.max}; MMDAgent-EX clamps it to ${clamped}`,
    `use a value from ${spec.min} to ${spec.max}`,
  );
}

function checkVector(spec: MdfKeySpec, value: string, line: number, column: number, report: Report): void {
  const size = vectorSize(spec.type);
  const integer = spec.type === 'int2';
  const pieces = value.split(',');
  const parts = pieces.filter((p) => p !== '');
  if (parts.length < size) {
    report(
      'MDF_BAD_VECTOR',
      'error',
      line,
      column,
      `${spec.key} needs ${size} comma-separated numbers but has ${parts.length}; MMDAgent-EX then keeps the ` +
        `default ${spec.default}`,
    );
    return;
  }
  if (parts.length > size)
    report(
      'MDF_BAD_VECTOR',
      'warning',
      line,
      column,
      `${spec.key} takes ${size} numbers; the ${parts.length - size} extra are ignored`,
    );
  let at = column;
  for (const piece of pieces) {
    if (piece !== '') {
      const [n, used] = leadingNumber(piece, integer);
      if (used < piece.length)
        report(
          'MDF_BAD_VECTOR',
          'warning',
          line,
          at,
          `${spec.key}: component ${q(piece)} is not a plain ${integer ? 'integer' : 'number'}; MMDAgent-EX ` +
            `reads it as ${n}`,
        );
      else checkRange(spec, n, piece, line, at, report);
    }
    at += piece.length + 1;
  }
}

function bomLength(raw: string, latin1: boolean): number {
  if (latin1) return raw.startsWith('\xef\xbb\xbf') ? 3 : 0;
  return raw.charCodeAt(0) === 0xfeff ? 1 : 0;
}

/** The known key within a small edit distance of `key` (or equal ignoring case), if any. */
function closestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  const limit = key.length < 8 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const known of MDF_KEYS) {
    if (known.toLowerCase() === lower) return known;
    if (Math.abs(known.length - key.length) >= bestDistance) continue;
    const d = editDistance(key, known, bestDistance);
    if (d < bestDistance) ((best = known), (bestDistance = d));
  }
  return best;
}

/** Levenshtein distance, giving up (returning `cap`) once it must be at least `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, row[j]);
    }
    if (rowMin >= cap) return cap;
    prev = row;
  }
  return prev[b.length];
}

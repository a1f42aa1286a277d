// Plausible LIPSYNC_START sequences (`phoneme,ms,...`) from the text, in the phoneme sets the
// real TTS plugins use: Open JTalk's for Japanese (`k,95,o,105,N,40,...`, `pau` at 、。, `cl` for
// っ, a devoiced `U` in です/ます) and Flite's for ASCII (`hh,85,ax,40,...`), as recorded in
// transcripts.md finding 7 and session-60-steps.real.json. Kana are read as written; kanji have
// no dictionary here, so each becomes two made-up morae. Durations are scaled so the sequence
// lasts speechMs(text), the length fitted to the recorded table.

/** Length in ms of the sequence the TTS plugins produce for `text` (transcripts.md finding 7 fit). */
export function speechMs(text: string): number {
  let ms = -164;
  for (const ch of text) ms += ch.charCodeAt(0) < 0x80 ? 72 : 163;
  return Math.max(200, Math.round(ms));
}

type Phone = [name: string, ms: number];

// Typical unscaled durations (ms), read off the recorded sequences.
const CONSONANT_MS: Record<string, number> = {
  k: 80,
  ky: 95,
  g: 55,
  gy: 60,
  s: 90,
  sh: 100,
  z: 65,
  j: 70,
  t: 60,
  ch: 95,
  ts: 110,
  d: 40,
  n: 50,
  ny: 55,
  h: 90,
  hy: 90,
  f: 80,
  b: 50,
  by: 55,
  p: 70,
  py: 75,
  m: 55,
  my: 60,
  y: 45,
  r: 30,
  ry: 40,
  w: 40,
  v: 60,
};
const VOWEL_MS = 85;
const FINAL_VOWEL_MS = 150;
const PAUSE_MS = 400;

const ROWS: Record<string, string> = {
  あいうえお: '',
  かきくけこ: 'k',
  がぎぐげご: 'g',
  さしすせそ: 's',
  ざじずぜぞ: 'z',
  たちつてと: 't',
  だぢづでど: 'd',
  なにぬねの: 'n',
  はひふへほ: 'h',
  ばびぶべぼ: 'b',
  ぱぴぷぺぽ: 'p',
  まみむめも: 'm',
  らりるれろ: 'r',
};
const SPECIAL: Record<string, string> = {
  し: 'sh i',
  じ: 'j i',
  ち: 'ch i',
  ぢ: 'j i',
  つ: 'ts u',
  づ: 'z u',
  ふ: 'f u',
  や: 'y a',
  ゆ: 'y u',
  よ: 'y o',
  わ: 'w a',
  を: 'o',
  ゔ: 'v u',
  ぁ: 'a',
  ぃ: 'i',
  ぅ: 'u',
  ぇ: 'e',
  ぉ: 'o',
};
const KANA = new Map<string, string[]>();
for (const [row, c] of Object.entries(ROWS)) {
  [...row].forEach((k, i) => KANA.set(k, c ? [c, 'aiueo'[i]] : ['aiueo'[i]]));
}
for (const [k, v] of Object.entries(SPECIAL)) KANA.set(k, v.split(' '));
const SMALL_Y: Record<string, string> = { ゃ: 'a', ゅ: 'u', ょ: 'o' };
const PAUSES = new Set([...'、。，．！？!?,.…']);
const MADE_UP_CONSONANTS = ['k', 's', 't', 'n', 'h', 'm', 'r', 'g', 'd', 'b'];

const hiragana = (ch: string) => {
  const c = ch.charCodeAt(0);
  return c >= 0x30a1 && c <= 0x30f4 ? String.fromCharCode(c - 0x60) : ch;
};
const isVowel = (p: string) => 'aiueoAIUEO'.includes(p) && p.length === 1;

function japanese(chars: string[]): Phone[] {
  const out: Phone[] = [];
  const push = (...names: string[]) => {
    for (const n of names)
      out.push([n, isVowel(n) ? VOWEL_MS : n === 'N' ? 45 : n === 'cl' ? 70 : (CONSONANT_MS[n] ?? 60)]);
  };
  for (let i = 0; i < chars.length; i++) {
    const ch = hiragana(chars[i]);
    const next = hiragana(chars[i + 1] ?? '');
    if (PAUSES.has(ch)) {
      if (out.length && out.at(-1)![0] !== 'pau') out.push(['pau', PAUSE_MS]);
      continue;
    }
    if (ch === 'ん') push('N');
    else if (ch === 'っ') push('cl');
    else if (ch === 'ー') {
      const vowel = [...out].reverse().find(([p]) => isVowel(p));
      if (vowel) push(vowel[0]);
    } else if (KANA.has(ch)) {
      const mora = [...KANA.get(ch)!];
      if (SMALL_Y[next] && mora.length === 2) {
        // きゃ → ky a, しゃ → sh a, ちゃ → ch a, じゃ → j a
        const c = mora[0];
        mora.splice(0, 2, c.length === 2 || c === 'j' ? c : `${c}y`, SMALL_Y[next]);
        i++;
      }
      // す at the end of a phrase is devoiced: です → d e s U (recorded).
      if (mora.join('') === 'su' && (PAUSES.has(next) || next === '')) mora[1] = 'U';
      push(...mora);
    } else if (/\p{Script=Han}/u.test(ch)) {
      const cp = ch.codePointAt(0)!;
      push(
        MADE_UP_CONSONANTS[cp % 10],
        'aiueo'[(cp >> 3) % 5],
        MADE_UP_CONSONANTS[(cp >> 4) % 10],
        'aiueo'[(cp >> 6) % 5],
      );
    }
  }
  // The last vowel before a pause or the end is held longer (…,e,170).
  for (let i = 0; i < out.length; i++) {
    const after = out[i + 1]?.[0];
    if (isVowel(out[i][0]) && (after === undefined || after === 'pau')) out[i][1] = FINAL_VOWEL_MS;
  }
  return out;
}

const ENGLISH: Array<[RegExp, string]> = [
  [/^(th|sh|ch|ng)/, '$1'],
  [/^ee/, 'iy'],
  [/^oo/, 'uw'],
  [/^ow/, 'aw'],
  [/^a/, 'ae'],
  [/^e/, 'eh'],
  [/^i/, 'ih'],
  [/^o/, 'aa'],
  [/^u/, 'ah'],
  [/^y/, 'y'],
  [/^h/, 'hh'],
  [/^j/, 'jh'],
  [/^[cq]/, 'k'],
  [/^x/, 'k s'],
  [/^([bdfgklmnprstvwz])/, '$1'],
];

function english(text: string): Phone[] {
  const out: Phone[] = [];
  let rest = text.toLowerCase();
  while (rest.length > 0) {
    if (/^[.,!?;:]/.test(rest)) {
      if (out.length && out.at(-1)![0] !== 'pau') out.push(['pau', 170]);
      rest = rest.slice(1);
      continue;
    }
    const rule = ENGLISH.find(([re]) => re.test(rest));
    if (!rule) {
      rest = rest.slice(1); // spaces, digits, symbols: nothing to say
      continue;
    }
    const m = rest.match(rule[0])!;
    for (const p of m[0].replace(rule[0], rule[1]).split(' ')) out.push([p, /^[aeiou]/.test(p) ? 110 : 70]);
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** A plausible `LIPSYNC_START` sequence for `text`; its durations sum to speechMs(text). */
export function phonemes(text: string): string {
  const chars = [...text];
  const ascii = chars.every((c) => c.charCodeAt(0) < 0x80);
  let phones = ascii ? english(text) : japanese(chars);
  while (phones.at(-1)?.[0] === 'pau') phones.pop();
  if (phones.length === 0) phones = [['a', 100]];
  const total = speechMs(text);
  const raw = phones.reduce((sum, [, ms]) => sum + ms, 0);
  const parts: string[] = [];
  let used = 0;
  phones.forEach(([name, ms], i) => {
    const last = i === phones.length - 1;
    // Multiples of 5 ms, as the real plugins give; the last one takes what is left.
    const scaled = last ? total - used : Math.max(5, Math.round((ms * total) / raw / 5) * 5);
    used += scaled;
    parts.push(name, String(scaled));
  });
  return parts.join(',');
}

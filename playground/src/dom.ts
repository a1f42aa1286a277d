// Small DOM helpers shared by every panel.

export function $<E extends HTMLElement = HTMLElement>(id: string): E {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: #${id} is missing from index.html`);
  return el as E;
}

/** Creates an element with a class and children (text or nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  ...children: (string | Node)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

export interface Shown {
  code: string;
  message: string;
}

/** `{ code, message }` of an MmdError (or anything with a string code), the message alone otherwise. */
export function describeError(err: unknown): Shown {
  if (err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string') {
    return { code: (err as { code: string }).code, message: String((err as { message?: unknown }).message ?? '') };
  }
  return { code: '', message: err instanceof Error ? err.message : String(err) };
}

/** Shows `CODE message` in an error box, or hides it for a null error. */
export function showError(box: HTMLElement, err: unknown): void {
  box.textContent = '';
  if (err === null || err === undefined) {
    box.hidden = true;
    return;
  }
  const { code, message } = describeError(err);
  if (code) box.append(el('code', '', code), ' ');
  box.append(message);
  box.hidden = false;
}

export function setPill(pill: HTMLElement, kind: 'idle' | 'ok' | 'busy' | 'bad', text: string): void {
  pill.dataset.state = kind;
  pill.textContent = text;
}

export function clockTime(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}`;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Remembered settings; storage may be blocked (privacy settings, some file:// setups). */
export function stored(key: string, value?: string): string | null {
  try {
    if (value === undefined) return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch {
    // remembering is only a convenience
  }
  return null;
}

export async function copyText(text: string): Promise<boolean> {
  // The async clipboard needs a secure context (not every http:// address is one); fall back to a
  // selection copy, which works from file:// and plain http too.
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the selection copy
  }
  const area = el('textarea', 'visually-hidden');
  area.value = text;
  area.setAttribute('readonly', '');
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** Hands a file to the browser's download. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

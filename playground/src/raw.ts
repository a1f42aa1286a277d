// The raw-line box: what MMDAgent-EX would read, checked before it is sent. Several lines (typed
// or pasted) go as separate lines; ArrowUp/ArrowDown walk the lines sent before; snippets are
// saved lines kept in this browser.
import { avExMorph, formatMessage, MmdError, parseAvatarLine, validateLine } from '../../src/index.js';
import { $, showError, stored } from './dom.js';

const HISTORY_LIMIT = 200;

/**
 * Why one raw line must not be sent, or null. On top of the SDK's line rules: avatar lines
 * MMDAgent-EX would ignore (`__AVfoo`) or that the SDK builders refuse (`__AV_EXMORPH,smile=2`),
 * and a word after leading spaces (MMDAgent-EX would read the type with the spaces).
 */
export function rawLineError(line: string): Error | null {
  try {
    validateLine(line);
  } catch (err) {
    return err as Error;
  }
  if (/^\s+\S/.test(line)) {
    return new MmdError(
      'ERR_BAD_INPUT',
      `the line starts with a space: MMDAgent-EX would read the type as "${line.split('|')[0]}"; ` +
        'remove the leading space',
    );
  }
  if (line.startsWith('__AV')) {
    const av = parseAvatarLine(line);
    if (av.kind === 'ignored') return new MmdError('ERR_AVATAR_SYNTAX', `${av.reason}; nothing would happen`);
    if (av.kind === 'exMorph') {
      try {
        avExMorph(av.values);
      } catch (err) {
        return err as Error;
      }
    }
  }
  return null;
}

/**
 * A line that passes the line rules yet may be misread as a message: empty fields collapse and
 * shift later arguments, and only 10 arguments are kept (messages.md §1). A note, not a refusal.
 */
export function rawLineWarning(line: string): Error | null {
  if (!line || line.startsWith('__AV') || /^SND(STRM|FILE|BRKS)$/.test(line)) return null;
  const [type, ...args] = line.split('|');
  try {
    formatMessage({ type, args });
    return null;
  } catch (err) {
    return Object.assign(new Error(`${(err as Error).message} (sent as typed, if you press Send)`), {
      code: (err as MmdError).code,
    });
  }
}

/** The box's lines: one per line break; blank lines are skipped. */
export function rawLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}

export class RawBox {
  history: string[] = [];
  #at = -1;
  #draft = '';
  #snippets: string[] = [];
  #onUpdate: () => void;

  constructor(onUpdate: () => void) {
    this.#onUpdate = onUpdate;
    const box = $<HTMLTextAreaElement>('raw-line');
    box.addEventListener('input', () => this.validate());
    box.addEventListener('keydown', (e) => this.#key(e));
    try {
      this.#snippets = JSON.parse(stored('mmd-playground-snippets') || '[]') as string[];
    } catch {
      this.#snippets = [];
    }
    this.#renderSnippets();
    $('snippet-save').addEventListener('click', () => this.saveSnippet());
    $('snippet-delete').addEventListener('click', () => this.deleteSnippet());
    $('snippet-list').addEventListener('change', () => {
      const v = $<HTMLSelectElement>('snippet-list').value;
      if (v) this.set(v);
    });
  }

  set(text: string): void {
    const box = $<HTMLTextAreaElement>('raw-line');
    box.value = text;
    this.validate();
  }

  /** The lines to send, or null when one of them is refused (the error is shown). */
  validate(): string[] | null {
    const text = $<HTMLTextAreaElement>('raw-line').value;
    const lines = rawLines(text);
    let error: Error | null = null;
    let warning: Error | null = null;
    lines.forEach((line, i) => {
      const prefix = lines.length > 1 ? `line ${i + 1}: ` : '';
      const e = rawLineError(line);
      if (e && !error) error = Object.assign(new Error(prefix + e.message), { code: (e as MmdError).code });
      const w = e ? null : rawLineWarning(line);
      if (w && !warning) warning = Object.assign(new Error(prefix + w.message), { code: (w as MmdError).code });
    });
    showError($('raw-error'), error);
    showError($('raw-warning'), error ? null : warning);
    $('raw-line').setAttribute('aria-invalid', String(!!error));
    $('raw-send').textContent = lines.length > 1 ? `Send ${lines.length} lines` : 'Send line';
    const ok = lines.length > 0 && !error;
    $('raw-send').dataset.valid = String(ok);
    this.#onUpdate();
    return ok ? lines : null;
  }

  remember(lines: string[]): void {
    for (const l of lines) if (this.history[this.history.length - 1] !== l) this.history.push(l);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    this.#at = -1;
  }

  /** Enter sends, Shift+Enter adds a line; ArrowUp/Down on the first/last line walk the history. */
  #key(e: KeyboardEvent): void {
    const box = e.target as HTMLTextAreaElement;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $<HTMLFormElement>('raw-form').requestSubmit();
      return;
    }
    const before = box.value.slice(0, box.selectionStart);
    const after = box.value.slice(box.selectionEnd);
    if (e.key === 'ArrowUp' && !before.includes('\n') && this.history.length) {
      e.preventDefault();
      if (this.#at === -1) ((this.#draft = box.value), (this.#at = this.history.length));
      this.#at = Math.max(0, this.#at - 1);
      this.set(this.history[this.#at]);
    } else if (e.key === 'ArrowDown' && !after.includes('\n') && this.#at !== -1) {
      e.preventDefault();
      this.#at++;
      if (this.#at >= this.history.length) ((this.#at = -1), this.set(this.#draft));
      else this.set(this.history[this.#at]);
    }
  }

  #renderSnippets(): void {
    const list = $<HTMLSelectElement>('snippet-list');
    list.textContent = '';
    list.append(new Option(this.#snippets.length ? '(pick a saved line)' : '(no saved lines yet)', ''));
    for (const s of this.#snippets) list.append(new Option(s, s));
    stored('mmd-playground-snippets', JSON.stringify(this.#snippets));
  }

  saveSnippet(): void {
    const text = $<HTMLTextAreaElement>('raw-line').value.trim();
    if (!text || this.#snippets.includes(text)) return;
    this.#snippets.push(text);
    this.#renderSnippets();
    $('snippet-status').textContent = 'Saved.';
  }

  deleteSnippet(): void {
    const v = $<HTMLSelectElement>('snippet-list').value;
    if (!v) return;
    this.#snippets = this.#snippets.filter((s) => s !== v);
    this.#renderSnippets();
    $('snippet-status').textContent = 'Deleted.';
  }
}

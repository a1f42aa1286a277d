// The command forms: one per catalog command form with an SDK builder, fields by argument kind,
// values checked by the builder itself, errors numbered from 1 with the argument's name and the
// bad field marked, and what the command brings back shown before it is sent.
import { CATALOG, type CatalogEntry } from '../../src/catalog/spec.js';
import { commands, formatMessage, MmdError, parseMessage, type Message } from '../../src/index.js';
import { $, el, showError } from './dom.js';
import { formFieldOf, formValueOf, type ArgSpec } from '../../src/catalog/kinds.js';
import { expectationText } from './replies.js';
import type { AgentState } from './state.js';

type Builder = (...args: unknown[]) => Message;

interface Form extends CatalogEntry {
  label: string;
  build: Builder;
}

/** One argument as the catalog gives it (the generated CATALOG marks fixed words, variadics, descriptions). */
type Arg = ArgSpec & { fixed?: true };

export function commandForms(): Form[] {
  const table = commands as unknown as Record<string, Builder | undefined>;
  return CATALOG.filter((e) => e.direction === 'command' && e.builder && typeof table[e.builder] === 'function').map(
    (e) => ({
      ...e,
      label: e.form ? `${e.name} (${e.form})` : e.name,
      build: table[e.builder!]!,
    }),
  );
}

const argOf = (f: Form, i: number): Arg => f.args[i] as Arg;
/** `MENU|ADD|...`: the form's own word is part of what the builder sends, not a field. */
const isFixed = (f: Form, i: number) =>
  (f.args[i] as Arg).fixed === true ||
  (i === 0 && !!f.form && f.args[0]?.enum?.length === 1 && f.args[0].enum[0] === f.form);
/** `PROMPT_SHOW`'s further items: any number of arguments (spec letter followed by `+`). */
const isVariadic = (f: Form, i: number) =>
  (f.args[i] as Arg).variadic === true || (f.spec ?? '').replace(/\?/g, '')[i + 1] === '+';
const isModelArg = (name: string) => /^(model|parentModel)Alias$/.test(name) || name === 'modelAlias';

/**
 * The SDK numbers arguments from 1 in builder errors (ERR_BAD_ARGUMENT) and from 0 in line-level
 * ones (formatMessage): the page says `argument N (name)` from 1 everywhere and returns the index.
 */
export function renumber(err: unknown, form: Form): { error: unknown; index: number } {
  if (!(err instanceof Error)) return { error: err, index: -1 };
  const code = (err as MmdError).code;
  const m = /\bargument (\d+)\b( \([^)]*\))?/.exec(err.message);
  if (!m) return { error: err, index: -1 };
  const index = code === 'ERR_BAD_ARGUMENT' ? Number(m[1]) - 1 : Number(m[1]);
  const name = form.args[index]?.name;
  const text = `argument ${index + 1}${name ? ` (${name})` : ''}`;
  const fixed = Object.assign(new Error(err.message.replace(m[0], text)), { code });
  return { error: fixed, index };
}

export class Composer {
  forms = commandForms();
  current: Form | null = null;
  #state: AgentState;
  #modelDefault: string;
  #onUpdate: () => void;

  constructor(state: AgentState, onUpdate: () => void) {
    this.#state = state;
    this.#onUpdate = onUpdate;
    this.#modelDefault = state.defaultModel();
    this.#buildSelect();
    $('command-select').addEventListener('change', () => this.buildFields());
    $('command-args').addEventListener('input', () => this.validate());
    $('command-args').addEventListener('change', () => this.validate());
    // Fields still showing the old default follow the agent's first model once it reports one.
    state.onChange(() => {
      const next = state.defaultModel();
      if (next === this.#modelDefault) return;
      const old = this.#modelDefault;
      this.#modelDefault = next;
      this.current?.args.forEach((a, i) => {
        const input = document.getElementById(`arg-${i}`) as HTMLInputElement | null;
        if (input && isModelArg(a.name) && input.value === old) input.value = next;
      });
      this.validate();
    });
  }

  #buildSelect(): void {
    const select = $<HTMLSelectElement>('command-select');
    select.textContent = '';
    const groups = new Map<string, HTMLOptGroupElement>();
    this.forms.forEach((f, i) => {
      if (!groups.has(f.area)) {
        const g = el('optgroup');
        g.label = f.area || 'other';
        groups.set(f.area, g);
        select.append(g);
      }
      groups.get(f.area)!.append(new Option(f.label, String(i)));
    });
    const start = this.forms.findIndex((f) => f.name === 'SYNTH_START');
    if (start >= 0) select.value = String(start);
    this.buildFields();
  }

  /** Starting values: the catalog example, with model aliases taken from the agent's state. */
  #startValues(f: Form): string[] {
    let values: string[] = [];
    try {
      values = parseMessage(f.example).args;
    } catch {
      values = [];
    }
    return values.map((v, i) => (f.args[i] && isModelArg(f.args[i].name) ? this.#state.defaultModel() : v));
  }

  buildFields(): void {
    const box = $('command-args');
    box.querySelectorAll('.field').forEach((x) => x.remove());
    const f = this.forms[Number($<HTMLSelectElement>('command-select').value)] ?? null;
    this.current = f;
    $('command-doc').textContent = f?.example ? `Example: ${f.example}` : '';
    $('command-expect').textContent = f ? expectationText(f.name) : '';
    box.classList.toggle('none', !f || f.args.length === 0);
    if (!f) return void this.validate();
    const start = this.#startValues(f);
    f.args.forEach((_, i) => {
      const arg = { ...argOf(f, i), ...(isVariadic(f, i) ? { variadic: true } : {}) };
      // The catalog's argument-kind table says how each kind is shown (src/catalog/kinds.ts).
      const shape = formFieldOf(arg, isFixed(f, i));
      const field = el('div', 'field');
      const id = `arg-${i}`;
      if (shape.fixed !== undefined) {
        const word = el('code', '', shape.fixed);
        field.append(el('p', 'hint', `${i + 1} · ${arg.name}: `, word, ' (fixed by this form)'));
        box.append(field);
        return;
      }
      const label = el('label', '', `${i + 1} · ${arg.name} `, el('span', 'type', shape.hint));
      label.htmlFor = id;
      let input: HTMLInputElement | HTMLSelectElement;
      if (shape.options) {
        input = el('select');
        if (!shape.required) input.append(new Option('(leave out)', ''));
        for (const v of shape.options) input.append(new Option(v, v));
      } else {
        input = el('input');
        input.type = shape.input === 'number' ? 'number' : 'text';
        if (shape.step) input.step = shape.step;
        if (shape.min !== undefined) input.min = String(shape.min);
        if (shape.max !== undefined) input.max = String(shape.max);
        input.autocomplete = 'off';
        input.spellcheck = false;
        if (shape.placeholder) input.placeholder = shape.placeholder;
      }
      input.id = id;
      input.dataset.index = String(i);
      if (shape.variadic) input.value = start.slice(i).join('|');
      else if (start[i] !== undefined) input.value = start[i];
      input.required = shape.required;
      field.append(label, input);
      if (shape.description) {
        const hint = el('p', 'hint', shape.description);
        hint.id = `${id}-hint`;
        field.append(hint);
        input.setAttribute('aria-describedby', `${id}-hint command-error`);
      } else {
        input.setAttribute('aria-describedby', 'command-error');
      }
      box.append(field);
    });
    this.validate();
  }

  /** The form as a Message, or throws with the index of the field at fault. */
  #fromForm(f: Form): Message {
    const field = (i: number) => document.getElementById(`arg-${i}`) as HTMLInputElement;
    // A number field holding text the browser cannot read ("1e") reports an empty value: refuse it
    // instead of leaving the argument out.
    f.args.forEach((a, i) => {
      if (!isFixed(f, i) && field(i).validity?.badInput) {
        throw Object.assign(
          new MmdError(
            'ERR_BAD_ARGUMENT',
            `${f.name} argument ${i + 1} (${a.name}): not a number; type one like 2, 0.5 or 1e3`,
          ),
          { index: i },
        );
      }
    });
    // Optional arguments can only be left out from the end: MMDAgent-EX collapses empty fields, so a
    // gap would shift every later one (messages.md §1). The builder refuses a gap.
    let last = f.args.length - 1;
    while (last >= 0 && f.args[last].optional && !isFixed(f, last) && field(last).value === '') last--;
    const values: unknown[] = [];
    for (let i = 0; i <= last; i++) {
      const arg = f.args[i];
      if (isFixed(f, i)) continue;
      const text = field(i).value;
      if (text === '' && !arg.optional) {
        throw Object.assign(
          new MmdError('ERR_EMPTY_ARGUMENT', `${f.name} argument ${i + 1} (${arg.name}) is empty: give it a value`),
          { index: i },
        );
      }
      if (isVariadic(f, i)) values.push(...(formValueOf({ ...arg, variadic: true }, text) as unknown[]));
      else values.push(text === '' && arg.optional ? undefined : formValueOf(arg, text));
    }
    return f.build(...values);
  }

  validate(): Message | null {
    const f = this.current;
    let msg: Message | null = null;
    let error: unknown = null;
    let index = -1;
    if (f) {
      try {
        msg = this.#fromForm(f);
        formatMessage(msg);
      } catch (err) {
        msg = null;
        const given = (err as { index?: number }).index;
        ({ error, index } = given === undefined ? renumber(err, f) : { error: err, index: given });
      }
    }
    $('command-args')
      .querySelectorAll('input, select')
      .forEach((x) => x.setAttribute('aria-invalid', String(Number((x as HTMLElement).dataset.index) === index)));
    $('command-preview').textContent = msg ? formatMessage(msg) : '';
    showError($('command-error'), f ? error : null);
    $('command-send').dataset.valid = String(!!msg);
    this.#onUpdate();
    return msg;
  }
}

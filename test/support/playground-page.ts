// Helpers for the playground's browser tests: the page in a same-origin iframe, its log rows,
// and axe-core run inside it.

export async function until<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Page {
  frame: HTMLIFrameElement;
  win: Window & { axe?: { run(ctx: unknown, opts: unknown): Promise<AxeResults> } };
  doc: Document;
  $<E extends HTMLElement = HTMLElement>(id: string): E;
}

interface AxeResults {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
}

export async function openPlayground(query: string, width = 1200, height = 900): Promise<Page> {
  const frame = document.createElement('iframe');
  frame.style.width = `${width}px`;
  frame.style.height = `${height}px`;
  frame.src = `/playground/index.html?${query}`;
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  const win = frame.contentWindow as Page['win'];
  const doc = frame.contentDocument!;
  return { frame, win, doc, $: <E extends HTMLElement>(id: string) => doc.getElementById(id) as E };
}

export interface Row {
  dir: string;
  text: string;
  hidden: boolean;
  reply: string;
  fields: string;
  el: HTMLLIElement;
}

export function rows(page: Page): Row[] {
  return [...page.doc.querySelectorAll<HTMLLIElement>('#log-list li')].map((li) => ({
    dir: li.querySelector('.dir')!.className.replace('dir ', ''),
    text: li.querySelector('.msg')!.textContent!,
    hidden: li.hidden === true,
    reply: li.querySelector('.reply')?.textContent ?? '',
    fields: li.querySelector('.fields')?.textContent ?? '',
    el: li,
  }));
}

export const findRow = (page: Page, dir: string, text: string | RegExp) =>
  rows(page).find((r) => r.dir === dir && (typeof text === 'string' ? r.text === text : text.test(r.text)));
export const hasRow = (page: Page, dir: string, text: string | RegExp) => !!findRow(page, dir, text);

export function setValue(page: Page, id: string, value: string) {
  const el = page.$<HTMLInputElement>(id);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

export function pick(page: Page, id: string, value: string) {
  const select = page.$<HTMLSelectElement>(id);
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

export function pickCommand(page: Page, label: string) {
  const select = page.$<HTMLSelectElement>('command-select');
  const option = [...select.options].find((o) => o.textContent === label);
  if (!option) throw new Error(`no command ${label} in the composer`);
  pick(page, 'command-select', option.value);
}

/** axe-core's serious and critical findings on the page, as `rule: selector` strings. */
export async function axeFindings(page: Page): Promise<string[]> {
  if (!page.win.axe) {
    const script = page.doc.createElement('script');
    script.src = '/node_modules/axe-core/axe.min.js';
    const loaded = new Promise((resolve, reject) => {
      script.onload = resolve;
      script.onerror = () => reject(new Error('axe-core did not load: npm install'));
    });
    page.doc.head.append(script);
    await loaded;
  }
  const result = await page.win.axe!.run(page.doc, { resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}`));
}

// One test API for both runtimes: Node's built-in runner (`node --test`) and mocha inside
// @web/test-runner's Chromium. Test files import describe/it from here and assertions from chai,
// so the same codec tests run unchanged in Node and in the browser.
type Fn = () => void | Promise<void>;
interface Api {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: Fn): void;
  before(fn: Fn): void;
  after(fn: Fn): void;
  beforeEach(fn: Fn): void;
  afterEach(fn: Fn): void;
}

const g = globalThis as unknown as Partial<Api>;
const nodeTest = 'node:test'; // kept out of a literal import so the browser never resolves it
const api: Api = typeof g.describe === 'function' ? (g as Api) : ((await import(nodeTest)) as Api);

export const { describe, it, before, after, beforeEach, afterEach } = api;
export const isBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';

/** Registers a test that is reported as skipped (not passed), with the reason, in both runners. */
export function skip(name: string, reason: string): void {
  const label = `${name} (skipped: ${reason})`;
  if (typeof g.describe === 'function') (g.it as unknown as { skip(n: string, f: Fn): void }).skip(label, () => {});
  else (api.it as unknown as (n: string, o: { skip: string }, f: Fn) => void)(name, { skip: reason }, () => {});
}

/** `skipIf(cond, reason)('name', fn)`: the test is skipped, with its reason, when `cond` holds. */
export function skipIf(condition: boolean, reason: string): (name: string, fn: Fn) => void {
  return condition ? (name) => skip(name, reason) : it;
}

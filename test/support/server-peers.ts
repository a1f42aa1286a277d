// Controllers for the server's tests: a `ws` client that records every text frame and waits for
// one, on 127.0.0.1 only. Each test file passes its own list of things to close after a test.
import { WebSocket } from 'ws';

export interface Controller {
  ws: WebSocket;
  texts: string[];
  waitText(match: string | RegExp, timeoutMs?: number): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

export function controller(
  url: string,
  open: { close(): unknown }[],
  opts: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<Controller> {
  const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers });
  open.push({ close: () => ws.terminate() });
  const texts: string[] = [];
  const waiters: { test: (t: string) => boolean; resolve: (t: string) => void }[] = [];
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? `<binary ${(data as Buffer).length}>` : data.toString();
    texts.push(text);
    for (const w of waiters.filter((w) => w.test(text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(text);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const waitText = (match: string | RegExp, timeoutMs = 3000) => {
    const test = (t: string) => (typeof match === 'string' ? t === match : match.test(t));
    const found = texts.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no text ${match} within ${timeoutMs} ms; got ${JSON.stringify(texts.slice(-5))}`)),
        timeoutMs,
      );
      waiters.push({
        test,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, texts, waitText, closed }));
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.once('error', reject);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with the first event `on` reports that passes `test`, or rejects after `timeoutMs`. */
export function nextEvent<T extends unknown[]>(
  on: (cb: (...args: T) => void) => () => void,
  test: (...args: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = on((...args) => {
      if (!test(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

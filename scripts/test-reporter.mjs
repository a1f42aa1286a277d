// The console half of `npm run test:node` (scripts/test-node.mjs keeps the full TAP in a file):
// one line per test file, every failure in full with what its file printed, every skip with its
// reason, lines a test prints with a leading "» " (reports such as the size table), and a closing
// count line "tests: N passed, N failed, N skipped".
import { relative } from 'node:path';

const root = process.cwd();
const name = (file) => (file ? relative(root, file).replaceAll('\\', '/') : '(runner)');
const indent = (text, by = '    ') =>
  String(text)
    .split('\n')
    .map((l) => by + l)
    .join('\n');

function errorText(error) {
  if (!error) return 'failed';
  const cause = error.cause ?? error;
  const text = cause?.stack ?? cause?.message ?? String(cause);
  // Node's own frames say nothing about the test; keep the message and the test's frames.
  return text
    .split('\n')
    .filter((l) => !/\(node:internal\//.test(l) && !/node:internal\//.test(l))
    .slice(0, 30)
    .join('\n');
}

export default async function* summary(source) {
  const files = new Map();
  const file = (f) => {
    const key = name(f);
    if (!files.has(key)) files.set(key, { passed: 0, failed: 0, skipped: 0, output: [], failures: [], suites: [] });
    return files.get(key);
  };
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const started = Date.now();

  for await (const { type, data } of source) {
    if (type === 'test:stdout' || type === 'test:stderr') {
      const f = file(data.file);
      for (const line of data.message.split('\n')) {
        if (line.startsWith('» ')) yield `  ${line.slice(2)}\n`;
        else if (line.trim()) f.output.push(line);
      }
      f.output.splice(0, Math.max(0, f.output.length - 40));
      continue;
    }
    const isFileLevel = data?.file && data.name === data.file && data.nesting === 0;
    if (type === 'test:complete' && isFileLevel) {
      const f = file(data.file);
      if (!data.details.passed && f.failed === 0) {
        // A hook of a suite failed, or the file did not load or exited, with no failing test to show.
        const whole = f.suites.length
          ? f.suites
          : [{ test: '(the file itself)', error: errorText(data.details.error) }];
        f.failed += whole.length;
        totals.failed += whole.length;
        f.failures.push(...whole);
      }
      const counts = [`${f.passed} passed`, f.failed && `${f.failed} failed`, f.skipped && `${f.skipped} skipped`];
      const seconds = (data.details.duration_ms / 1000).toFixed(1);
      yield `${f.failed ? '✖' : '✔'} ${name(data.file)}  ${counts.filter(Boolean).join(', ')} (${seconds} s)\n`;
      for (const failure of f.failures) yield `  ✖ ${failure.test}\n${indent(failure.error)}\n`;
      if (f.failures.length && f.output.length)
        yield `  what the file printed (last lines):\n${indent(f.output.join('\n'))}\n`;
      continue;
    }
    if (type === 'test:fail' && data.details?.type === 'suite') {
      file(data.file).suites.push({ test: data.name, error: errorText(data.details.error) });
      continue;
    }
    if ((type !== 'test:pass' && type !== 'test:fail') || isFileLevel || data.details?.type === 'suite') continue;
    const f = file(data.file);
    if (data.skip !== undefined || data.todo !== undefined) {
      f.skipped++;
      totals.skipped++;
      const reason = typeof data.skip === 'string' ? data.skip : typeof data.todo === 'string' ? data.todo : '';
      yield `  - skipped: ${data.name}${reason ? ` (${reason})` : ''}\n`;
    } else if (type === 'test:pass') {
      f.passed++;
      totals.passed++;
    } else {
      f.failed++;
      totals.failed++;
      f.failures.push({ test: data.name, error: errorText(data.details.error) });
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  yield `\n${files.size} files in ${seconds} s; the full TAP is in ${process.env.MMD_TAP_FILE ?? 'the TAP file'}\n`;
  yield `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`;
}

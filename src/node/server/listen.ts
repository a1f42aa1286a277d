// Small helpers for listening and shutting down: what a failed listen means, and a bounded wait.
import { MmdError } from '../../errors.js';

export function isNoSuchAddress(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT';
}

export function listenError(err: unknown, hosts: string[], port: number): MmdError {
  if (err instanceof MmdError) return err; // already says what to do (a bad tls option)
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${hosts.join(' and ')} port ${port}`;
  const advice =
    code === 'EADDRINUSE'
      ? 'another program already listens there: stop it, or pick another port (--port N, or 0 for any free port)'
      : code === 'EACCES'
        ? 'this user may not listen there: use a port above 1023'
        : code === 'EADDRNOTAVAIL'
          ? 'that host is not an address of this machine: use 127.0.0.1'
          : 'check the host and port';
  return new MmdError('ERR_LISTEN', `cannot listen on ${where} (${code ?? String(err)}): ${advice}`, { cause: err });
}

export function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const started = performance.now();
    const check = () => {
      if (done() || performance.now() - started >= timeoutMs) resolve();
      else setTimeout(check, 10);
    };
    check();
  });
}

import { MmdError, type MmdErrorCode } from '../../src/errors.js';

/** The MmdError code `fn` throws, or 'no error'; anything else thrown is a bug and propagates. */
export function codeOf(fn: () => unknown): MmdErrorCode | 'no error' {
  try {
    fn();
  } catch (err) {
    if (err instanceof MmdError) return err.code;
    throw err;
  }
  return 'no error';
}

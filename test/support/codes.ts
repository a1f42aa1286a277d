import { expect } from 'chai';
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

/** Awaits `promise` and expects it to reject with an MmdError of `code`; returns that error. */
export async function rejectsWith(promise: Promise<unknown>, code: MmdErrorCode): Promise<MmdError> {
  try {
    await promise;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(MmdError);
    expect((err as MmdError).code).to.equal(code);
    return err as MmdError;
  }
  throw new Error(`expected a rejection with ${code}`);
}

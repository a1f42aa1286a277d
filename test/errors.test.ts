import { expect } from 'chai';
import { describe, it } from './harness.js';
import { ERROR_CODES, MmdError, isMmdError } from '../src/errors.js';

describe('MmdError', () => {
  it('carries a stable code, a message and a cause', () => {
    const cause = new Error('inner');
    const err = new MmdError('ERR_TIMEOUT', 'waited 10 ms for X; raise timeoutMs', { cause });
    expect(err).to.be.instanceOf(Error);
    expect(err.name).to.equal('MmdError');
    expect(err.code).to.equal('ERR_TIMEOUT');
    expect(err.message).to.contain('timeoutMs');
    expect(err.cause).to.equal(cause);
  });

  it('isMmdError narrows by code', () => {
    const err = new MmdError('ERR_CLOSED', 'closed');
    expect(isMmdError(err)).to.equal(true);
    expect(isMmdError(err, 'ERR_CLOSED')).to.equal(true);
    expect(isMmdError(err, 'ERR_TIMEOUT')).to.equal(false);
    expect(isMmdError(new Error('x'))).to.equal(false);
  });

  it('codes are unique and all follow the ERR_ naming', () => {
    expect(new Set(ERROR_CODES).size).to.equal(ERROR_CODES.length);
    for (const code of ERROR_CODES) expect(code).to.match(/^ERR_[A-Z0-9_]+$/);
  });

  it('rejects unknown codes at compile time', () => {
    // @ts-expect-error not a documented code
    const err = new MmdError('ERR_NOPE', 'x');
    expect(err.code).to.equal('ERR_NOPE');
  });
});

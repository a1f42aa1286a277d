// The playground's controller token (issue 13): sent as the `mmdagent-token.<token>` subprotocol
// rather than in the URL (query strings end up in server and proxy logs), and never remembered in
// localStorage with the server address.
import { expect } from 'chai';
import { withoutToken } from '../playground/src/address.js';
import { tokenAsProtocol } from '../playground/src/connection.js';
import { describe, it } from './harness.js';

describe('playground: the controller token', () => {
  it('moves ?token= out of the URL into the subprotocol', () => {
    expect(tokenAsProtocol('ws://127.0.0.1:9001/shop1?token=abc_123')).to.deep.equal({
      url: 'ws://127.0.0.1:9001/shop1',
      protocols: ['mmdagent-token.abc_123'],
    });
    expect(tokenAsProtocol('ws://127.0.0.1:9001/shop1?x=1&token=t0ken.1')).to.deep.equal({
      url: 'ws://127.0.0.1:9001/shop1?x=1',
      protocols: ['mmdagent-token.t0ken.1'],
    });
    expect(tokenAsProtocol('ws://127.0.0.1:9001/shop1')).to.deep.equal({
      url: 'ws://127.0.0.1:9001/shop1',
      protocols: [],
    });
  });

  it('remembers the server address without its token', () => {
    expect(withoutToken('ws://127.0.0.1:9001/?token=secret1')).to.equal('ws://127.0.0.1:9001/');
    expect(withoutToken('ws://127.0.0.1:9001/?a=1&token=secret1')).to.equal('ws://127.0.0.1:9001/?a=1');
    expect(withoutToken('ws://127.0.0.1:9001')).to.equal('ws://127.0.0.1:9001');
    expect(withoutToken('not a url?token=secret1')).to.not.include('secret1');
  });
});

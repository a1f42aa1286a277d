// RESP2 encoding and decoding (src/node/fleet/resp.ts) with literal bytes, and a live round trip
// against a real redis-server on 127.0.0.1 (installed by .ci/run).
import { expect } from 'chai';
import { MmdError, isMmdError } from '../src/errors.js';
import { RespClient, decodeReply, encodeCommand, parseRedisUrl } from '../src/node/fleet/resp.js';
import { after, before, describe, it, skipIf } from './harness.js';
import { freePort, hasProgram, startRedis } from './support/processes.js';

const haveRedis = hasProgram('redis-server', ['--version']);

describe('fleet/resp codec', () => {
  it('encodes a command as an array of bulk strings, counting UTF-8 bytes', () => {
    expect(encodeCommand(['SET', 'k', 'é', 'PX', 5]).toString('utf8')).to.equal(
      '*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$2\r\nPX\r\n$1\r\n5\r\n',
    );
  });

  it('decodes each reply type, and says when a reply is not complete yet', () => {
    expect(decodeReply(Buffer.from('+OK\r\n'))).to.deep.equal({ value: 'OK', end: 5 });
    expect(decodeReply(Buffer.from(':42\r\n'))).to.deep.equal({ value: 42, end: 5 });
    expect(decodeReply(Buffer.from('$-1\r\n'))).to.deep.equal({ value: null, end: 5 });
    expect(decodeReply(Buffer.from('$2\r\né\r\n'))).to.deep.equal({ value: 'é', end: 8 });
    expect(decodeReply(Buffer.from('*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n'))?.value).to.deep.equal(['0', ['a']]);
    expect(decodeReply(Buffer.from('$5\r\nab'))).to.equal(undefined);
    expect(decodeReply(Buffer.from('*2\r\n$1\r\n0\r\n'))).to.equal(undefined);
    const err = decodeReply(Buffer.from('-WRONGTYPE bad\r\n'))?.value;
    expect(err).to.be.instanceOf(MmdError);
    expect((err as MmdError).code).to.equal('ERR_FLEET');
  });

  it('reads redis:// URLs and refuses anything else with ERR_FLEET', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).to.deep.equal({ host: '127.0.0.1', port: 6380, db: 2 });
    expect(parseRedisUrl('redis://[::1]')).to.deep.equal({ host: '::1', port: 6379, db: 0 });
    for (const bad of ['http://127.0.0.1:6379', 'nonsense', 'redis://127.0.0.1/x']) {
      expect(() => parseRedisUrl(bad))
        .to.throw(MmdError)
        .with.property('code', 'ERR_FLEET');
    }
  });
});

describe('fleet/resp client', () => {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  before(async () => {
    if (haveRedis) redis = await startRedis();
  });
  after(async () => redis?.stop());
  const live = skipIf(!haveRedis, 'redis-server is not installed (apt-get install redis-server; .ci/run does)');

  live('answers commands in order, replies split across reads included', async () => {
    const c = new RespClient(redis!.url);
    await c.ready;
    const big = 'x'.repeat(200_000); // arrives in several TCP reads
    const replies = await Promise.all([
      c.command(['SET', 'a', big]),
      c.command(['GET', 'a']),
      c.command(['INCR', 'n']),
      c.command(['GET', 'missing']),
    ]);
    expect(replies).to.deep.equal(['OK', big, 1, null]);
    const wrongType = await c.command(['INCR', 'a']).catch((err: unknown) => err);
    expect(isMmdError(wrongType, 'ERR_FLEET')).to.equal(true);
    c.close();
  });

  live('an error reply rejects only its own command', async () => {
    const c = new RespClient(redis!.url);
    const [bad, good] = await Promise.allSettled([c.command(['NOSUCHCOMMAND']), c.command(['PING'])]);
    expect(bad.status).to.equal('rejected');
    expect(isMmdError((bad as PromiseRejectedResult).reason, 'ERR_FLEET')).to.equal(true);
    expect(good).to.deep.equal({ status: 'fulfilled', value: 'PONG' });
    c.close();
  });

  it('rejects ready and every command with ERR_FLEET when nothing listens, and says what to do', async () => {
    const c = new RespClient(`redis://127.0.0.1:${await freePort()}`);
    const pending = c.command(['PING']);
    const [ready, cmd] = await Promise.allSettled([c.ready, pending]);
    for (const r of [ready, cmd]) {
      expect(r.status).to.equal('rejected');
      expect(isMmdError((r as PromiseRejectedResult).reason, 'ERR_FLEET')).to.equal(true);
    }
    expect(String((ready as PromiseRejectedResult).reason.message)).to.match(/start redis-server/);
    await c.command(['PING']).then(
      () => expect.fail('a closed client must reject'),
      (err: unknown) => expect(isMmdError(err, 'ERR_FLEET')).to.equal(true),
    );
  });
});

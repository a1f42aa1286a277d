// The fleet registry (src/node/fleet/registry.ts) against a real redis-server on 127.0.0.1:
// every member sees every member's channels, and a member that stops refreshing (a dead process)
// leaves the list within its ttl.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMmdError } from '../src/errors.js';
import { FLEET_DEFAULTS, joinFleet, type ChannelSource } from '../src/node/fleet/registry.js';
import { after, before, describe, it, skipIf } from './harness.js';
import { freePort, hasProgram, startRedis } from './support/processes.js';

const haveRedis = hasProgram('redis-server', ['--version']);
const live = skipIf(!haveRedis, 'redis-server is not installed (apt-get install redis-server; .ci/run does)');

function source(paths: string[]): ChannelSource {
  return {
    channels: () => paths.map((path) => ({ path, agent: true, agentSince: null, controllers: 0 })),
  };
}

describe('fleet/registry', () => {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  before(async () => {
    if (haveRedis) redis = await startRedis();
  });
  after(async () => redis?.stop());

  it('writes its defaults down in one place', () => {
    expect(FLEET_DEFAULTS).to.deep.equal({ ttlMs: 5000, refreshesPerTtl: 3, prefix: 'mmdagent-ex-remote:fleet' });
    expect(Object.isFrozen(FLEET_DEFAULTS)).to.equal(true);
  });

  live('lists the channels of every live member, sorted, with the process that holds each', async () => {
    const prefix = `t${Date.now()}`;
    const a = await joinFleet(source(['/shop2', '/shop1']), { redis: redis!.url, id: 'a', prefix });
    const b = await joinFleet(source(['/shop3']), { redis: redis!.url, id: 'b', prefix });
    try {
      const seen = await b.channels();
      expect(seen.map((c) => `${c.process}${c.path}`)).to.deep.equal(['a/shop1', 'a/shop2', 'b/shop3']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  live('a member that closes leaves at once; a process killed mid-run leaves within its ttl', async () => {
    const prefix = `t${Date.now()}x`;
    const paths = ['/a'];
    const keeper = await joinFleet(source(['/keep']), { redis: redis!.url, id: 'keeper', prefix, ttlMs: 600 });
    const leaver = await joinFleet(source(paths), { redis: redis!.url, id: 'leaver', prefix, ttlMs: 600 });
    const doomed = await joinInChild(redis!.url, prefix);
    try {
      expect((await keeper.channels()).map((c) => c.path)).to.deep.equal(['/a', '/doomed', '/keep']);
      paths.push('/b');
      await leaver.publish();
      expect((await keeper.channels()).map((c) => c.path)).to.deep.equal(['/a', '/b', '/doomed', '/keep']);
      await leaver.close();
      expect((await keeper.channels()).map((c) => c.path)).to.deep.equal(['/doomed', '/keep']);
      // Still listed while it refreshes (past one ttl), gone within a ttl of SIGKILL.
      await new Promise((r) => setTimeout(r, 800));
      expect((await keeper.channels()).map((c) => c.path)).to.deep.equal(['/doomed', '/keep']);
      doomed.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 700));
      expect((await keeper.channels()).map((c) => c.path)).to.deep.equal(['/keep']);
    } finally {
      doomed.kill('SIGKILL');
      await keeper.close();
    }
  });

  it('refuses to join without Redis, with ERR_FLEET and what to do', async () => {
    const err = await joinFleet(source([]), { redis: `redis://127.0.0.1:${await freePort()}` }).catch(
      (e: unknown) => e,
    );
    expect(isMmdError(err, 'ERR_FLEET')).to.equal(true);
    expect((err as Error).message).to.match(/redis-server|--fleet-redis/);
  });

  it('refuses a ttl too short to refresh and an id Redis keys should not hold', async () => {
    for (const opts of [{ ttlMs: 10 }, { ttlMs: Number.NaN }, { id: 'a b' }, { id: '' }]) {
      const err = await joinFleet(source([]), { redis: 'redis://127.0.0.1:1', ...opts }).catch((e: unknown) => e);
      expect(isMmdError(err, 'ERR_FLEET'), JSON.stringify(opts)).to.equal(true);
    }
  });
});

/** A member in another process, as a fleet's server process would be; resolves once it has joined. */
async function joinInChild(redisUrl: string, prefix: string): Promise<ChildProcess> {
  const registry = pathToFileURL(fileURLToPath(new URL('../src/node/fleet/registry.ts', import.meta.url))).href;
  const code = `
    const { joinFleet } = await import(${JSON.stringify(registry)});
    const src = { channels: () => [{ path: '/doomed', agent: true, agentSince: null, controllers: 0 }] };
    const options = { redis: ${JSON.stringify(redisUrl)}, id: 'doomed', prefix: ${JSON.stringify(prefix)}, ttlMs: 600 };
    await joinFleet(src, options);
    console.log('joined');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('joined') && resolve());
    child.once('exit', (c) => reject(new Error(`the member process exited (${c}) before joining`)));
  });
  return child;
}

// Fleet: the scale load (bench/scale-load.ts: agents × 10 lines/s, one controller each) against
// one server process directly (the baseline), the same process behind HAProxy with
// deploy/haproxy.cfg (the proxy's own cost), and two processes behind it (scaling out on this
// 2-core machine). Every figure is a ratio against the baseline measured in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startHost, type Host } from './clients.js';
import { fmtBytes, fmtMs, type Mode, type Row, type Table } from './lib.js';
import { driveLoad, type ScaleResult } from './scale.js';

const SIZES: Record<Mode, { agents: number; seconds: number; warmup: number }> = {
  full: { agents: 1000, seconds: 10, warmup: 2 },
  quick: { agents: 1000, seconds: 3, warmup: 1 },
  smoke: { agents: 5, seconds: 0.3, warmup: 0.2 },
};
const CONFIG = fileURLToPath(new URL('../deploy/haproxy.cfg', import.meta.url));

interface Proxy {
  port: number;
  rss(): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function untilListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = tcpConnect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`HAProxy did not listen on ${port}`);
}

/** HAProxy with deploy/haproxy.cfg in front of `hosts` (the config names two or three). */
async function startProxy(hosts: readonly Host[]): Promise<Proxy> {
  const port = await freePort();
  const addr = (h: Host) => `127.0.0.1:${h.port}`;
  const env = {
    ...process.env,
    MMDR_BIND: `127.0.0.1:${port}`,
    MMDR_R1: addr(hosts[0]!),
    // One process: both ring entries point at it, so every channel reaches it.
    MMDR_R2: addr(hosts[1] ?? hosts[0]!),
  };
  const child = spawn('haproxy', ['-db', '-f', CONFIG], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await untilListening(port);
  // Let the first health checks mark the servers up.
  await new Promise((r) => setTimeout(r, 1200));
  return {
    port,
    rss: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const sumMemory = async (hosts: readonly Host[]): Promise<NodeJS.MemoryUsage> => {
  const all = await Promise.all(hosts.map((h) => h.memory()));
  const sum = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  for (const m of all) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += m[k];
  return sum;
};

type Setup = 'direct' | 'proxy, 1 process' | 'proxy, 2 processes';

async function fleetRun(
  setup: Setup,
  size: (typeof SIZES)[Mode],
): Promise<ScaleResult & { proxyRss?: number; processes: number }> {
  const processes = setup === 'proxy, 2 processes' ? 2 : 1;
  const hosts: Host[] = [];
  for (let i = 0; i < processes; i++) hosts.push(await startHost('ours', { maxChannels: size.agents + 16 }));
  const proxy = setup === 'direct' ? undefined : await startProxy(hosts);
  try {
    const base = proxy ? `ws://127.0.0.1:${proxy.port}` : hosts[0]!.url('');
    const result = await driveLoad(base, 'ours', size.agents, size.seconds, size.warmup, () => sumMemory(hosts));
    return { ...result, proxyRss: proxy?.rss(), processes };
  } finally {
    await proxy?.stop();
    await Promise.all(hosts.map((h) => h.stop()));
  }
}

export async function run(mode: Mode): Promise<Table[]> {
  if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).error) {
    return [
      {
        title: 'Fleet',
        rows: [],
        notes: ['skipped: haproxy is not installed (apt-get install haproxy; .ci/run installs it)'],
      },
    ];
  }
  const size = SIZES[mode];
  const direct = await fleetRun('direct', size);
  const proxied = await fleetRun('proxy, 1 process', size);
  const two = await fleetRun('proxy, 2 processes', size);
  const rate = (r: ScaleResult) => r.received / size.seconds;
  const perConnection = (r: ScaleResult) => (r.idle.rss - r.before.rss) / (r.connected * 2);
  const row = (name: string, r: ScaleResult, base: ScaleResult, baseName: string): Row[] => [
    {
      name: `${name}: delivery`,
      ours: `${r.received}/${r.sent} lines`,
      baseline: `${baseName}: ${base.received}/${base.sent}`,
      ratio: r.sent ? r.received / r.sent : NaN,
      target: { op: '>=', value: 1 },
    },
    {
      name: `${name}: throughput`,
      ours: `${Math.round(rate(r))} lines/s`,
      baseline: `${baseName}: ${Math.round(rate(base))} lines/s`,
      ratio: rate(r) / rate(base),
    },
    {
      name: `${name}: delivery p99`,
      ours: fmtMs(r.p99),
      baseline: `${baseName}: ${fmtMs(base.p99)}`,
      ratio: r.p99 / base.p99,
      note: `p50 ${fmtMs(r.p50)} vs ${fmtMs(base.p50)}; load generator lag p99 ${fmtMs(r.loadLagP99)}`,
    },
  ];
  const rows: Row[] = [
    ...row('proxy, 1 process', proxied, direct, 'direct'),
    ...row('proxy, 2 processes', two, proxied, 'proxy, 1 process'),
    {
      name: 'server RSS per idle connection (all processes)',
      ours: fmtBytes(perConnection(two)),
      baseline: `1 process: ${fmtBytes(perConnection(proxied))}`,
      ratio: perConnection(two) / perConnection(proxied),
    },
    {
      name: 'HAProxy RSS under load',
      ours: fmtBytes(two.proxyRss ?? 0),
      baseline: `${direct.connected * 2} client + ${direct.connected * 2} server connections`,
      note: `${fmtBytes((two.proxyRss ?? 0) / (direct.connected * 4))} per proxied socket`,
    },
  ];
  return [
    {
      title: `Fleet: ${size.agents} agents × 10 lines/s behind HAProxy (deploy/haproxy.cfg)`,
      rows,
      notes: [
        'Same load as the scale benchmark; the proxy routes by channel with consistent hashing, so each agent ' +
          'meets its controller in one process.',
        'Ratios: throughput and delivery = higher is better; p99 = lower is better. Proxy rows compare against ' +
          'direct connections to one process; the two-process rows against one process behind the same proxy. On ' +
          "this machine's 2 shared cores, the load generator, HAProxy and the server processes compete for the " +
          'same CPUs, so scale-out shows the cost of the extra hop more than the gain of a second core.',
      ],
    },
  ];
}

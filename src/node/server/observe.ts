/**
 * What operators and load balancers read (docs/deploy.md): GET /healthz for a proxy's health
 * check, and GET /metrics in Prometheus's text exposition format
 * (https://prometheus.io/docs/instrumenting/exposition_formats/).
 */
import type { ChannelInfo, ChannelTraffic, ServerStats } from './channel.js';

export interface ObservedChannel {
  info(): ChannelInfo;
  readonly traffic: ChannelTraffic;
}

/** Prometheus label values escape backslash, double quote and newline. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const PROCESS_COUNTERS: readonly [keyof ServerStats, string, 'gauge' | 'counter', string][] = [
  ['channels', 'mmdr_channels', 'gauge', 'Channels this process holds.'],
  ['agents', 'mmdr_agents', 'gauge', 'MMDAgent-EX connections open.'],
  ['controllers', 'mmdr_controllers', 'gauge', 'Controller connections open.'],
  ['refusedUpgrades', 'mmdr_refused_upgrades_total', 'counter', 'Upgrades answered with an HTTP error.'],
  ['slowConsumerDisconnects', 'mmdr_slow_consumer_disconnects_total', 'counter', 'Controllers closed for not reading.'],
  ['refusedControllerFrames', 'mmdr_refused_controller_frames_total', 'counter', 'Controller frames refused.'],
  ['rateLimitedFrames', 'mmdr_rate_limited_frames_total', 'counter', 'Controller frames over the rate limit.'],
  ['framesToAgents', 'mmdr_frames_to_agents_total', 'counter', 'Frames sent to agents.'],
  ['framesToControllers', 'mmdr_frames_to_controllers_total', 'counter', 'Frames sent to controllers.'],
  ['socketErrors', 'mmdr_socket_errors_total', 'counter', 'Socket errors (peers that vanished, resets).'],
];

const CHANNEL_SERIES: readonly [string, 'gauge' | 'counter', string, (c: ObservedChannel) => number][] = [
  ['mmdr_channel_agent', 'gauge', 'Whether an agent is connected (1) or not (0).', (c) => (c.info().agent ? 1 : 0)],
  ['mmdr_channel_controllers', 'gauge', 'Controllers connected.', (c) => c.info().controllers],
  ['mmdr_channel_frames_to_agent_total', 'counter', 'Frames sent to the agent.', (c) => c.traffic.framesToAgent],
  [
    'mmdr_channel_frames_to_controllers_total',
    'counter',
    'Frames delivered to controllers (one per controller).',
    (c) => c.traffic.framesToControllers,
  ],
  ['mmdr_channel_refused_frames_total', 'counter', 'Controller frames refused.', (c) => c.traffic.refusedFrames],
];

/** The whole /metrics body for one process. */
export function metricsText(stats: ServerStats, channels: Iterable<ObservedChannel>): string {
  const out: string[] = [];
  for (const [key, name, type, help] of PROCESS_COUNTERS) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${stats[key]}`);
  }
  const list = [...channels];
  for (const [name, type, help, read] of CHANNEL_SERIES) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const c of list) out.push(`${name}{channel="${label(c.info().path)}"} ${read(c)}`);
  }
  return `${out.join('\n')}\n`;
}

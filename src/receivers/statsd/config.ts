// Config of the `statsd` receiver, in the shape of the Collector's statsdreceiver plus a few
// Switchyard bounds (series cap, sample cap, TCP line length, gauge persistence).
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration, durationMs, splitEndpoint } from '../../config/types.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:8125';
export const DEFAULT_UNIX_ENDPOINT = '/var/run/statsd-receiver.sock';
export const DEFAULT_SOCKET_PERMISSIONS = '0622';
export const DEFAULT_MAX_SERIES = 100_000;
export const DEFAULT_MAX_SAMPLES = 1_000_000;
export const DEFAULT_MAX_LINE_LENGTH = 65_536;
export const DEFAULT_MAX_SET_MEMBERS = 100_000;
export const DEFAULT_PERCENTILES: readonly number[] = [0, 10, 50, 90, 95, 100];
export const DEFAULT_HISTOGRAM_MAX_SIZE = 160;

export type Transport = 'udp' | 'tcp' | 'unixgram';
export type MappedStatsdType = 'timing' | 'timer' | 'histogram' | 'distribution';
export type ObserverType = 'gauge' | 'summary' | 'histogram' | 'disabled';

const MappingEntry = Type.Object(
  {
    statsd_type: Type.Union(
      [Type.Literal('timing'), Type.Literal('timer'), Type.Literal('histogram'), Type.Literal('distribution')],
      { description: 'timing/timer = `|ms` lines; histogram/distribution = `|h` and `|d` lines (one shared setting)' },
    ),
    observer_type: Type.Union(
      [Type.Literal('gauge'), Type.Literal('summary'), Type.Literal('histogram'), Type.Literal('disabled')],
      {
        description:
          'gauge: every sample is a Gauge point; summary: weighted quantiles; histogram: delta exponential histogram; disabled: drop (counted)',
      },
    ),
    histogram: Type.Optional(
      Type.Object(
        {
          max_size: Type.Optional(
            Type.Integer({
              minimum: 3,
              maximum: 16_384,
              default: DEFAULT_HISTOGRAM_MAX_SIZE,
              description: 'Most buckets per range of the exponential histogram',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    summary: Type.Optional(
      Type.Object(
        {
          percentiles: Type.Optional(
            Type.Array(Type.Number({ minimum: 0, maximum: 100 }), {
              minItems: 1,
              description: 'Percentiles (0-100) reported by a summary',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const StatsdReceiverConfigSchema = Type.Object(
  {
    endpoint: Type.Optional(
      Type.String({
        minLength: 1,
        default: DEFAULT_ENDPOINT,
        description: `host:port for udp/tcp (port 0 picks a free port); a socket path for unixgram (default ${DEFAULT_UNIX_ENDPOINT})`,
      }),
    ),
    transport: Type.Optional(
      Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('unixgram')], {
        default: 'udp',
        description: 'udp, tcp (newline-delimited lines) or unixgram (needs the optional npm package unix-dgram)',
      }),
    ),
    socket_permissions: Type.Optional(
      Type.String({
        pattern: '^0?[0-7]{3}$',
        default: DEFAULT_SOCKET_PERMISSIONS,
        description: 'File mode of the unixgram socket, octal',
      }),
    ),
    aggregation_interval: Type.Optional(Duration('How often aggregated metrics are sent down the pipeline', '60s')),
    enable_metric_type: Type.Optional(
      Type.Boolean({ default: false, description: 'Add the attribute metric_type (counter, gauge, timing, ...)' }),
    ),
    enable_simple_tags: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Accept tags without a value (`#flag`); otherwise such lines are refused',
      }),
    ),
    is_monotonic_counter: Type.Optional(Type.Boolean({ default: false, description: 'Mark counter Sums monotonic' })),
    enable_ip_only_aggregation: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'With ignore_host: false, aggregate per client IP instead of per IP and port',
      }),
    ),
    ignore_host: Type.Optional(
      Type.Boolean({
        description:
          'Aggregate the lines of all clients together, as one StatsD server does (default true, or false when ' +
          'enable_ip_only_aggregation is set). false: one resource per client with client.address (and client.port)',
      }),
    ),
    timer_histogram_mapping: Type.Optional(
      Type.Array(MappingEntry, {
        description:
          'How timers and histograms are turned into OTLP. A type without an entry is disabled. Default: timer and histogram as gauge',
      }),
    ),
    persist_gauges: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Keep gauges across intervals and report them every interval (Etsy statsd); false resets them each interval (Collector)',
      }),
    ),
    gauge_expiry: Type.Optional(
      Duration(
        'With persist_gauges: a gauge not written for this long is no longer reported (0 = kept until restart, as Etsy statsd)',
        '0s',
      ),
    ),
    max_series_per_interval: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: DEFAULT_MAX_SERIES,
        description: 'Distinct series held per interval; lines for new series beyond it are refused (series_limit)',
      }),
    ),
    max_samples_per_interval: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: DEFAULT_MAX_SAMPLES,
        description: 'Raw samples kept per interval by gauge and summary observers; beyond it refused (sample_limit)',
      }),
    ),
    max_set_members: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: DEFAULT_MAX_SET_MEMBERS,
        description: 'Distinct members tracked per set and interval; new members beyond it are refused (set_limit)',
      }),
    ),
    max_line_length: Type.Optional(
      Type.Integer({
        minimum: 16,
        maximum: 16 * 1024 * 1024,
        default: DEFAULT_MAX_LINE_LENGTH,
        description: 'TCP only: longest line in bytes; longer lines are refused (line_too_long)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type StatsdReceiverConfig = Static<typeof StatsdReceiverConfigSchema>;

export function createDefaultStatsdConfig(): StatsdReceiverConfig {
  return {
    endpoint: DEFAULT_ENDPOINT,
    transport: 'udp',
    aggregation_interval: '60s',
    timer_histogram_mapping: [
      { statsd_type: 'timer', observer_type: 'gauge' },
      { statsd_type: 'histogram', observer_type: 'gauge' },
    ],
  };
}

export type Observer =
  | { readonly kind: 'gauge' }
  | { readonly kind: 'summary'; readonly percentiles: readonly number[] }
  | { readonly kind: 'histogram'; readonly maxSize: number }
  | { readonly kind: 'disabled' };

export interface ResolvedStatsdConfig {
  readonly transport: Transport;
  /** udp/tcp only. */
  readonly host: string;
  readonly port: number;
  /** unixgram only. */
  readonly path: string;
  readonly socketMode: number;
  readonly intervalMs: number;
  readonly enableMetricType: boolean;
  readonly enableSimpleTags: boolean;
  readonly isMonotonicCounter: boolean;
  readonly ipOnly: boolean;
  /** Aggregate across clients: no client identity in the key or the resource. */
  readonly ignoreHost: boolean;
  readonly timer: Observer;
  readonly histogram: Observer;
  readonly persistGauges: boolean;
  /** Persisted gauges are dropped after this many flushes without a write; 0 = never. */
  readonly gaugeExpiryIntervals: number;
  readonly maxSeries: number;
  readonly maxSamples: number;
  readonly maxSetMembers: number;
  readonly maxLineLength: number;
}

function observerOf(e: Static<typeof MappingEntry>): Observer {
  switch (e.observer_type) {
    case 'gauge':
      return { kind: 'gauge' };
    case 'summary':
      return {
        kind: 'summary',
        percentiles: [...(e.summary?.percentiles ?? DEFAULT_PERCENTILES)].sort((a, b) => a - b),
      };
    case 'histogram':
      return { kind: 'histogram', maxSize: e.histogram?.max_size ?? DEFAULT_HISTOGRAM_MAX_SIZE };
    case 'disabled':
      return { kind: 'disabled' };
    default: {
      const never: never = e.observer_type;
      throw new Error(`unknown observer_type ${String(never)}`);
    }
  }
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:\s/]+):(\d{1,5})$/;

export function resolveStatsdConfig(c: StatsdReceiverConfig): ResolvedStatsdConfig {
  const transport = c.transport ?? 'udp';
  const defaults = createDefaultStatsdConfig();
  let timer: Observer = { kind: 'disabled' };
  let histogram: Observer = { kind: 'disabled' };
  for (const e of c.timer_histogram_mapping ?? defaults.timer_histogram_mapping ?? []) {
    switch (e.statsd_type) {
      case 'timing':
      case 'timer':
        timer = observerOf(e);
        break;
      case 'histogram':
      case 'distribution':
        histogram = observerOf(e);
        break;
      default: {
        const never: never = e.statsd_type;
        throw new Error(`unknown statsd_type ${String(never)}`);
      }
    }
  }
  let host = '';
  let port = 0;
  let path = '';
  const endpoint = c.endpoint ?? (transport === 'unixgram' ? DEFAULT_UNIX_ENDPOINT : DEFAULT_ENDPOINT);
  if (transport === 'unixgram') {
    path = endpoint === DEFAULT_ENDPOINT ? DEFAULT_UNIX_ENDPOINT : endpoint;
  } else {
    ({ host, port } = splitEndpoint(endpoint));
  }
  return {
    transport,
    host,
    port,
    path,
    socketMode: Number.parseInt(c.socket_permissions ?? DEFAULT_SOCKET_PERMISSIONS, 8),
    intervalMs: durationMs(c.aggregation_interval ?? '60s'),
    enableMetricType: c.enable_metric_type ?? false,
    enableSimpleTags: c.enable_simple_tags ?? false,
    isMonotonicCounter: c.is_monotonic_counter ?? false,
    ipOnly: c.enable_ip_only_aggregation ?? false,
    ignoreHost: c.ignore_host ?? !(c.enable_ip_only_aggregation ?? false),
    timer,
    histogram,
    persistGauges: c.persist_gauges ?? false,
    gaugeExpiryIntervals: Math.ceil(
      durationMs(c.gauge_expiry ?? '0s') / Math.max(1, durationMs(c.aggregation_interval ?? '60s')),
    ),
    maxSeries: c.max_series_per_interval ?? DEFAULT_MAX_SERIES,
    maxSamples: c.max_samples_per_interval ?? DEFAULT_MAX_SAMPLES,
    maxSetMembers: c.max_set_members ?? DEFAULT_MAX_SET_MEMBERS,
    maxLineLength: c.max_line_length ?? DEFAULT_MAX_LINE_LENGTH,
  };
}

/** Cross-field checks (the schema checked shapes and ranges). */
export function validateStatsdConfig(c: StatsdReceiverConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const transport = c.transport ?? 'udp';
  if (c.ignore_host === true && c.enable_ip_only_aggregation === true) {
    problems.push({
      path: ['enable_ip_only_aggregation'],
      message: 'aggregating per client IP needs ignore_host: false (ignore_host: true aggregates all clients together)',
    });
  }
  if (c.gauge_expiry !== undefined && durationMs(c.gauge_expiry) > 0 && c.persist_gauges !== true) {
    problems.push({
      path: ['gauge_expiry'],
      message: 'applies only with persist_gauges: true (gauges reset every interval otherwise)',
    });
  }
  if (c.endpoint !== undefined) {
    if (transport === 'unixgram') {
      if (c.endpoint !== DEFAULT_ENDPOINT && HOST_PORT.test(c.endpoint) && !c.endpoint.includes('/')) {
        problems.push({ path: ['endpoint'], message: `transport unixgram needs a socket path, got "${c.endpoint}"` });
      }
    } else {
      const m = HOST_PORT.exec(c.endpoint);
      if (m === null || Number(m[2]) > 65_535) {
        problems.push({
          path: ['endpoint'],
          message: `transport ${transport} needs host:port (e.g. ${DEFAULT_ENDPOINT}), got "${c.endpoint}"`,
        });
      }
    }
  }
  if (c.aggregation_interval !== undefined && durationMs(c.aggregation_interval) < 1) {
    problems.push({ path: ['aggregation_interval'], message: 'must be at least 1ms' });
  }
  const seen = new Map<string, number>();
  (c.timer_histogram_mapping ?? []).forEach((e, i) => {
    const group = e.statsd_type === 'timer' || e.statsd_type === 'timing' ? 'timer' : 'histogram';
    const prev = seen.get(group);
    if (prev !== undefined) {
      problems.push({
        path: ['timer_histogram_mapping', i, 'statsd_type'],
        message: `${e.statsd_type} is already mapped by entry ${prev} (timing/timer and histogram/distribution share one setting)`,
      });
    }
    seen.set(group, i);
    if (e.histogram !== undefined && e.observer_type !== 'histogram') {
      problems.push({
        path: ['timer_histogram_mapping', i, 'histogram'],
        message: `only used with observer_type: histogram (this entry is ${e.observer_type})`,
      });
    }
    if (e.summary !== undefined && e.observer_type !== 'summary') {
      problems.push({
        path: ['timer_histogram_mapping', i, 'summary'],
        message: `only used with observer_type: summary (this entry is ${e.observer_type})`,
      });
    }
  });
  return problems;
}

// prometheus exporter config (the Collector's prometheusexporter shape, plus the bounds used
// to render exponential histograms as classic ones).
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration, durationMs, Endpoint } from '../../config/types.js';
import { labelName } from '../../prometheus/naming.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:9464';

/** Classic bounds for exponential histograms by default: the SDKs' default explicit bounds. */
export const DEFAULT_EXPO_BUCKETS: readonly number[] = [
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
];

export const PrometheusConfigSchema = Type.Object(
  {
    endpoint: Endpoint('host:port to serve /metrics on (port 0 picks a free port)', DEFAULT_ENDPOINT),
    namespace: Type.String({
      default: '',
      description: 'Prefix for every metric name (joined with "_"); not applied to target_info.',
    }),
    const_labels: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: 'Labels added to every series, over any label of the same name.',
    }),
    send_timestamps: Type.Boolean({
      default: false,
      description: "Write each sample's timestamp (the point's time); otherwise the scraper stamps the scrape time.",
    }),
    metric_expiration: Duration('Series not updated for this long disappear from /metrics.', '5m'),
    resource_to_telemetry_conversion: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'Add every resource attribute as a label on every series.',
        }),
      },
      { additionalProperties: false, default: { enabled: false } },
    ),
    enable_open_metrics: Type.Boolean({
      default: false,
      description:
        'Answer scrapers that accept application/openmetrics-text with OpenMetrics 1.0 (with _created, # UNIT and # EOF).',
    }),
    enable_native_histograms: Type.Boolean({
      default: false,
      description:
        'Offer the protobuf exposition (what Prometheus asks for with --enable-feature=native-histograms); exponential histograms are native histograms in it.',
    }),
    add_metric_suffixes: Type.Boolean({
      default: true,
      description: 'Append unit, _total (monotonic sums) and _ratio (gauges with unit 1) suffixes to metric names.',
    }),
    exponential_histogram_buckets: Type.Array(Type.Number(), {
      default: [...DEFAULT_EXPO_BUCKETS],
      minItems: 1,
      description:
        'Classic bucket bounds (strictly increasing, finite) at which exponential histograms are rendered. Counts are exact where a bound is an exponential bucket boundary (e.g. powers of two), otherwise a lower bound.',
    }),
  },
  { additionalProperties: false },
);

export type PrometheusExporterConfig = Static<typeof PrometheusConfigSchema>;

export function createDefaultConfig(): PrometheusExporterConfig {
  return {
    endpoint: DEFAULT_ENDPOINT,
    namespace: '',
    const_labels: {},
    send_timestamps: false,
    metric_expiration: '5m',
    resource_to_telemetry_conversion: { enabled: false },
    enable_open_metrics: false,
    enable_native_histograms: false,
    add_metric_suffixes: true,
    exponential_histogram_buckets: [...DEFAULT_EXPO_BUCKETS],
  };
}

export function validate(cfg: PrometheusExporterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (durationMs(cfg.metric_expiration) <= 0) {
    problems.push({ path: ['metric_expiration'], message: 'must be greater than 0 (e.g. 5m)' });
  }
  const b = cfg.exponential_histogram_buckets;
  for (let i = 0; i < b.length; i++) {
    const v = b[i] as number;
    if (!Number.isFinite(v)) {
      problems.push({
        path: ['exponential_histogram_buckets', i],
        message: 'must be a finite number (+Inf is implied)',
      });
    } else if (i > 0 && v <= (b[i - 1] as number)) {
      problems.push({ path: ['exponential_histogram_buckets', i], message: 'bounds must be strictly increasing' });
    }
  }
  for (const k of Object.keys(cfg.const_labels)) {
    if (k.startsWith('__')) {
      problems.push({
        path: ['const_labels', k],
        message: 'label names starting with "__" are reserved to Prometheus; use a name like "tenant"',
      });
    } else if (labelName(k) !== k) {
      problems.push({
        path: ['const_labels', k],
        message: `not a valid Prometheus label name; allowed: [a-zA-Z_][a-zA-Z0-9_]* not starting with a single "_"${labelName(k) === undefined ? '' : ` (did you mean "${labelName(k)}"?)`}`,
      });
    }
  }
  if (cfg.namespace !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(cfg.namespace)) {
    problems.push({ path: ['namespace'], message: 'must match [a-zA-Z_:][a-zA-Z0-9_:]* (e.g. my_app)' });
  }
  return problems;
}

// prometheusremotewrite exporter config (the Collector's prometheusremotewriteexporter shape).
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import {
  defaultHelperConfig,
  helperConfigProperties,
  validateHeaders,
  validateHelperConfig,
} from '../../helpers/exporterhelper/index.js';
import { ClientTlsSettings, defaultClientTls, validateClientTls } from '../../helpers/exporterhelper/tls.js';
import { labelName } from '../../prometheus/naming.js';

const Enabled = (description: string, value: boolean) =>
  Type.Object(
    { enabled: Type.Boolean({ default: value, description }) },
    { additionalProperties: false, default: { enabled: value } },
  );

export const DEFAULT_CLASSIC_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export const PrwExporterConfigSchema = Type.Object(
  {
    endpoint: Type.String({
      default: '',
      description: 'Full URL of the remote write receiver, e.g. http://127.0.0.1:9090/api/v1/write.',
    }),
    headers: Type.Record(Type.String(), Type.String(), {
      default: {},
      'x-sensitive': true,
      description:
        'Headers added to every request (values are secrets). Content-Type, Content-Encoding, X-Prometheus-Remote-Write-Version cannot be overridden.',
    }),
    tls: ClientTlsSettings,
    namespace: Type.String({ default: '', description: 'Prefix of every metric name (joined with `_`).' }),
    external_labels: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: 'Labels added to every series (a label the series already has wins).',
    }),
    resource_to_telemetry_conversion: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'Copy every resource attribute onto every series as a label.',
        }),
      },
      { additionalProperties: false, default: { enabled: false } },
    ),
    add_metric_suffixes: Type.Boolean({
      default: true,
      description: 'Append unit, `_total` and `_ratio` suffixes to metric names.',
    }),
    protobuf_message: Type.Union(
      [Type.Literal('prometheus.WriteRequest'), Type.Literal('io.prometheus.write.v2.Request')],
      {
        default: 'prometheus.WriteRequest',
        description:
          'Remote write 1.0 (prometheus.WriteRequest) or 2.0 (io.prometheus.write.v2.Request; falls back to 1.0 when the receiver answers 415 or does not confirm what it wrote).',
      },
    ),
    send_metadata: Type.Boolean({
      default: false,
      description: 'Send MetricMetadata (type, help, unit) for each metric family in every request.',
    }),
    max_batch_size_bytes: Type.Integer({
      minimum: 1024,
      default: 3_000_000,
      description: 'Upper bound of one request body before compression; larger batches are split.',
    }),
    target_info: Enabled(
      'Write a `target_info` series (value 1) per resource with its non-identifying attributes.',
      true,
    ),
    export_created_metric: Enabled(
      'Write a `<name>_created` series (start time, in seconds) for counters, histograms and summaries.',
      false,
    ),
    exponential_histograms: Type.Object(
      {
        mode: Type.Union([Type.Literal('native'), Type.Literal('classic')], {
          default: 'native',
          description:
            'native: send native histograms (needs a receiver with native histograms enabled); classic: `_bucket`/`_sum`/`_count` series at `classic_bounds`.',
        }),
        classic_bounds: Type.Array(Type.Number(), {
          default: [...DEFAULT_CLASSIC_BOUNDS],
          description: 'Ascending upper bounds used by mode classic (`+Inf` is implicit).',
        }),
      },
      { additionalProperties: false, default: { mode: 'native', classic_bounds: [...DEFAULT_CLASSIC_BOUNDS] } },
    ),
    label_cache: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: "Cache each series' encoded labels across exports." }),
        max_series: Type.Integer({
          minimum: 1,
          default: 200_000,
          description: 'Entries kept; the least recently used are evicted beyond this.',
        }),
      },
      { additionalProperties: false, default: { enabled: true, max_series: 200_000 } },
    ),
    ...helperConfigProperties,
  },
  { additionalProperties: false },
);

export type PrwExporterConfig = Static<typeof PrwExporterConfigSchema>;

export function createDefaultConfig(): PrwExporterConfig {
  const helper = defaultHelperConfig();
  return {
    endpoint: '',
    headers: {},
    tls: defaultClientTls(),
    namespace: '',
    external_labels: {},
    resource_to_telemetry_conversion: { enabled: false },
    add_metric_suffixes: true,
    protobuf_message: 'prometheus.WriteRequest',
    send_metadata: false,
    max_batch_size_bytes: 3_000_000,
    target_info: { enabled: true },
    export_created_metric: { enabled: false },
    exponential_histograms: { mode: 'native', classic_bounds: [...DEFAULT_CLASSIC_BOUNDS] },
    label_cache: { enabled: true, max_series: 200_000 },
    ...helper,
    // One consumer keeps batches in order: a receiver such as Prometheus refuses a sample older
    // than the newest one of its series (400 out of order), which parallel batches can cause.
    sending_queue: { ...helper.sending_queue, num_consumers: 1 },
  };
}

export const RESERVED_HEADERS = [
  'user-agent',
  'content-type',
  'content-encoding',
  'content-length',
  'x-prometheus-remote-write-version',
  'transfer-encoding',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'expect',
];

export function validate(cfg: PrwExporterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (cfg.endpoint === '') {
    problems.push({ path: ['endpoint'], message: 'required (e.g. http://127.0.0.1:9090/api/v1/write)' });
  } else {
    try {
      const u = new URL(cfg.endpoint);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        problems.push({ path: ['endpoint'], message: `unsupported scheme "${u.protocol}": use http:// or https://` });
      }
      if (u.username !== '' || u.password !== '') {
        problems.push({
          path: ['endpoint'],
          message: 'credentials in the URL are not allowed: use headers (Authorization)',
        });
      }
    } catch {
      problems.push({
        path: ['endpoint'],
        message: `not a valid URL: "${cfg.endpoint}" (e.g. http://127.0.0.1:9090/api/v1/write)`,
      });
    }
  }
  for (const [k, v] of Object.entries(cfg.external_labels)) {
    if (labelName(k) !== k || k.startsWith('__')) {
      problems.push({
        path: ['external_labels', k],
        message: 'not a valid label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with __',
      });
    }
    if (v === '') problems.push({ path: ['external_labels', k], message: 'empty label values are not allowed' });
  }
  const b = cfg.exponential_histograms.classic_bounds;
  for (let i = 1; i < b.length; i++) {
    if ((b[i] as number) <= (b[i - 1] as number)) {
      problems.push({
        path: ['exponential_histograms', 'classic_bounds', i],
        message: 'bounds must be strictly ascending',
      });
      break;
    }
  }
  problems.push(...validateHeaders(cfg.headers, RESERVED_HEADERS, { grpc: false }));
  problems.push(...validateClientTls(cfg.tls));
  problems.push(...validateHelperConfig(cfg));
  return problems;
}

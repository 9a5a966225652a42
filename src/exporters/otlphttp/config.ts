// otlphttp exporter config (the Collector's otlphttpexporter shape).
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import {
  defaultHelperConfig,
  helperConfigProperties,
  validateHeaders,
  validateHelperConfig,
} from '../../helpers/exporterhelper/index.js';
import { ClientTlsSettings, defaultClientTls, validateClientTls } from '../../helpers/exporterhelper/tls.js';
import { SIGNALS, type Signal } from '../../pdata/model.js';
import { CompressionParams, CompressionSetting, defaultCompressionParams } from '../compression.js';

const url = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));

export const OtlpHttpConfigSchema = Type.Object(
  {
    endpoint: Type.String({
      default: '',
      description: 'Base URL (http:// or https://); /v1/traces, /v1/metrics or /v1/logs is appended per signal.',
    }),
    traces_endpoint: url('Full URL for traces, used as is (overrides endpoint).'),
    metrics_endpoint: url('Full URL for metrics, used as is (overrides endpoint).'),
    logs_endpoint: url('Full URL for logs, used as is (overrides endpoint).'),
    encoding: Type.Union([Type.Literal('proto'), Type.Literal('json')], {
      default: 'proto',
      description: 'Body encoding: proto (application/x-protobuf) or json (application/json).',
    }),
    compression: CompressionSetting,
    compression_params: CompressionParams,
    headers: Type.Record(Type.String(), Type.String(), {
      default: {},
      'x-sensitive': true,
      description: 'Headers added to every request (values are secrets: redacted in print-config and logs).',
    }),
    tls: ClientTlsSettings,
    ...helperConfigProperties,
  },
  { additionalProperties: false },
);

export type OtlpHttpExporterConfig = Static<typeof OtlpHttpConfigSchema>;

export function createDefaultConfig(): OtlpHttpExporterConfig {
  return {
    endpoint: '',
    encoding: 'proto',
    compression: 'gzip',
    compression_params: defaultCompressionParams(),
    headers: {},
    tls: defaultClientTls(),
    ...defaultHelperConfig(),
  };
}

/** Headers the exporter sets itself. */
export const RESERVED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'expect',
];

const SIGNAL_KEY = { traces: 'traces_endpoint', metrics: 'metrics_endpoint', logs: 'logs_endpoint' } as const;

/** The URL a signal is sent to, or undefined when neither its own nor the base endpoint is set. */
export function signalUrl(cfg: OtlpHttpExporterConfig, signal: Signal): string | undefined {
  const own = cfg[SIGNAL_KEY[signal]];
  if (own !== undefined && own !== '') return own;
  if (cfg.endpoint === '') return undefined;
  const base = cfg.endpoint.endsWith('/') ? cfg.endpoint.slice(0, -1) : cfg.endpoint;
  return `${base}/v1/${signal}`;
}

function checkUrl(value: string, path: string): ConfigProblem[] {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return [{ path: [path], message: `not a valid URL: "${value}" (expected e.g. http://127.0.0.1:4318)` }];
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return [{ path: [path], message: `unsupported scheme "${u.protocol}": use http:// or https://` }];
  }
  if (u.username !== '' || u.password !== '') {
    return [{ path: [path], message: 'credentials in the URL are not allowed: use headers (e.g. Authorization)' }];
  }
  return [];
}

export function validate(cfg: OtlpHttpExporterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (cfg.endpoint === '' && SIGNALS.every((s) => (cfg[SIGNAL_KEY[s]] ?? '') === '')) {
    problems.push({
      path: ['endpoint'],
      message:
        'required (e.g. http://127.0.0.1:4318), unless traces_endpoint, metrics_endpoint or logs_endpoint is set',
    });
  }
  if (cfg.endpoint !== '') problems.push(...checkUrl(cfg.endpoint, 'endpoint'));
  for (const s of SIGNALS) {
    const v = cfg[SIGNAL_KEY[s]];
    if (v !== undefined && v !== '') problems.push(...checkUrl(v, SIGNAL_KEY[s]));
  }
  problems.push(...validateHeaders(cfg.headers, RESERVED_HEADERS, { grpc: false }));
  problems.push(...validateClientTls(cfg.tls));
  problems.push(...validateHelperConfig(cfg));
  return problems;
}

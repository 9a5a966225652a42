// Config of the `prometheusremotewrite` receiver (the Collector contrib receiver's shape:
// `endpoint`, default localhost:9090, path /api/v1/write), plus body limits and state bounds.
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration, durationMs, Endpoint, splitEndpoint } from '../../config/types.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:9090';
export const WRITE_PATH = '/api/v1/write';

export const PrwReceiverConfigSchema = Type.Object(
  {
    endpoint: Endpoint('host:port to listen on (POST /api/v1/write); port 0 picks a free port', DEFAULT_ENDPOINT),
    max_request_body_size: Type.Integer({
      minimum: 1024,
      default: 10 * 1024 * 1024,
      description: 'Largest compressed body accepted, in bytes (413 above it).',
    }),
    max_decompressed_size: Type.Integer({
      minimum: 1024,
      default: 64 * 1024 * 1024,
      description: 'Largest decompressed WriteRequest accepted, in bytes (413 above it).',
    }),
    max_series: Type.Integer({
      minimum: 1,
      default: 100_000,
      description: 'Series whose start time / last value are remembered (least recently seen evicted).',
    }),
    series_ttl: Duration('Forget a series not seen for this long (its next point starts a new cumulative run).', '15m'),
    histogram_assembly_timeout: Duration(
      'How long the parts of a classic histogram or summary point (_bucket, _sum, _count) may take to arrive across requests; then what has arrived is sent on.',
      '10s',
    ),
    max_metadata: Type.Integer({
      minimum: 1,
      default: 10_000,
      description: 'Metric families whose metadata (type, help, unit) is remembered across requests.',
    }),
  },
  { additionalProperties: false },
);

export type PrwReceiverConfig = Static<typeof PrwReceiverConfigSchema>;

export function createDefaultConfig(): PrwReceiverConfig {
  return {
    endpoint: DEFAULT_ENDPOINT,
    max_request_body_size: 10 * 1024 * 1024,
    max_decompressed_size: 64 * 1024 * 1024,
    max_series: 100_000,
    series_ttl: '15m',
    histogram_assembly_timeout: '10s',
    max_metadata: 10_000,
  };
}

export interface ResolvedPrwReceiverConfig {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  readonly maxSeries: number;
  readonly ttlMs: number;
  readonly assemblyTimeoutMs: number;
  readonly maxMetadata: number;
}

export function resolve(cfg: PrwReceiverConfig): ResolvedPrwReceiverConfig {
  const { host, port } = splitEndpoint(cfg.endpoint);
  return {
    host,
    port,
    maxBodyBytes: cfg.max_request_body_size,
    maxDecompressedBytes: cfg.max_decompressed_size,
    maxSeries: cfg.max_series,
    ttlMs: durationMs(cfg.series_ttl),
    assemblyTimeoutMs: durationMs(cfg.histogram_assembly_timeout),
    maxMetadata: cfg.max_metadata,
  };
}

export function validate(cfg: PrwReceiverConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (durationMs(cfg.series_ttl) <= 0)
    problems.push({ path: ['series_ttl'], message: 'must be greater than 0 (e.g. 15m)' });
  if (durationMs(cfg.histogram_assembly_timeout) <= 0)
    problems.push({ path: ['histogram_assembly_timeout'], message: 'must be greater than 0 (e.g. 10s)' });
  return problems;
}

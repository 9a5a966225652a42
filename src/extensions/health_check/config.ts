// Config of the health_check extension (the contrib Collector's shape).
import { type Static, Type } from '@sinclair/typebox';
import { Duration, Endpoint } from '../../config/types.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:13133';
export const DEFAULT_PATH = '/';

export const HealthCheckConfigSchema = Type.Object(
  {
    endpoint: Endpoint('host:port to serve on (127.0.0.1 by default; port 0 picks a free port).', DEFAULT_ENDPOINT),
    path: Type.String({
      pattern: '^/',
      default: DEFAULT_PATH,
      description: 'URL path of the health check; `?verbose` adds per-component statuses.',
    }),
    check_collector_pipeline: Type.Object(
      {
        enabled: Type.Optional(Type.Boolean({ default: false })),
        interval: Type.Optional(Duration('Ignored.', '5m')),
        exporter_failure_threshold: Type.Optional(Type.Integer({ minimum: 0, default: 5 })),
      },
      {
        default: { enabled: false, interval: '5m', exporter_failure_threshold: 5 },
        additionalProperties: false,
        description:
          'Deprecated and ignored (as in the Collector, it never worked as expected): health follows ' +
          'component status reporting instead.',
      },
    ),
  },
  { additionalProperties: false },
);

export type HealthCheckConfig = Static<typeof HealthCheckConfigSchema>;

export function defaultHealthCheckConfig(): HealthCheckConfig {
  return {
    endpoint: DEFAULT_ENDPOINT,
    path: DEFAULT_PATH,
    check_collector_pipeline: { enabled: false, interval: '5m', exporter_failure_threshold: 5 },
  };
}

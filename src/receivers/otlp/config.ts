// Config of the `otlp` receiver (Collector shape): `protocols.grpc` and `protocols.http`.
// A protocol key that is present (even with a null value, `grpc:`) is enabled with defaults for
// whatever it leaves out; an absent key is disabled. At least one protocol must be enabled.
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration, durationMs, Endpoint, splitEndpoint } from '../../config/types.js';
import type { Signal } from '../../pdata/model.js';
import { OTLP_HTTP_PATHS } from '../../transport/grpc.js';

export const DEFAULT_GRPC_ENDPOINT = '127.0.0.1:4317';
export const DEFAULT_HTTP_ENDPOINT = '127.0.0.1:4318';
export const DEFAULT_MAX_RECV_MSG_SIZE_MIB = 4;
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 20 * 1024 * 1024;

const UrlPath = (what: string, def: string) =>
  Type.Optional(Type.String({ pattern: '^/[^?#\\s]*$', description: `URL path for ${what}`, default: def }));

const GrpcProtocolObject = Type.Object(
  {
    endpoint: Type.Optional(
      Endpoint('host:port to listen on for OTLP/gRPC (port 0 picks a free port)', DEFAULT_GRPC_ENDPOINT),
    ),
    max_recv_msg_size_mib: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1024,
        default: DEFAULT_MAX_RECV_MSG_SIZE_MIB,
        description:
          'Largest request message accepted, in MiB, before and after decompression (RESOURCE_EXHAUSTED above it)',
      }),
    ),
    max_concurrent_streams: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2 ** 31 - 1,
        default: DEFAULT_MAX_CONCURRENT_STREAMS,
        description: 'HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: concurrent RPCs per connection',
      }),
    ),
    stream_timeout: Type.Optional(
      Duration('Longest time a client may take to send one request message; 0 disables', '30s'),
    ),
  },
  { additionalProperties: false },
);

const CorsObject = Type.Object(
  {
    allowed_origins: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: 'Origins allowed to send cross-origin requests; `*` inside an entry matches any characters',
      }),
    ),
    allowed_headers: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description:
          'Request headers allowed besides Content-Type, Content-Encoding, Accept and Accept-Encoding; `*` allows any',
      }),
    ),
    max_age: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: 0,
        description: 'Seconds a browser may cache a preflight answer; 0 = unset',
      }),
    ),
  },
  { additionalProperties: false },
);

const HttpProtocolObject = Type.Object(
  {
    endpoint: Type.Optional(
      Endpoint('host:port to listen on for OTLP/HTTP (port 0 picks a free port)', DEFAULT_HTTP_ENDPOINT),
    ),
    traces_url_path: UrlPath('traces', OTLP_HTTP_PATHS.traces),
    metrics_url_path: UrlPath('metrics', OTLP_HTTP_PATHS.metrics),
    logs_url_path: UrlPath('logs', OTLP_HTTP_PATHS.logs),
    max_request_body_size: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2 ** 31 - 1,
        default: DEFAULT_MAX_REQUEST_BODY_SIZE,
        description: 'Largest request body in bytes, checked on the body as sent and again after decompression (413)',
      }),
    ),
    read_header_timeout: Type.Optional(Duration('Time allowed to receive the request headers', '10s')),
    read_timeout: Type.Optional(Duration('Time allowed to receive a whole request; 0 disables', '30s')),
    idle_timeout: Type.Optional(Duration('How long an idle keep-alive connection stays open', '5s')),
    cors: Type.Optional(Type.Unsafe<Static<typeof CorsObject> | null>({ ...CorsObject, nullable: true })),
  },
  { additionalProperties: false },
);

export type GrpcProtocolConfig = Static<typeof GrpcProtocolObject>;
export type HttpProtocolConfig = Static<typeof HttpProtocolObject>;
export type CorsConfig = Static<typeof CorsObject>;

// `nullable` (rather than a union with null) keeps the per-field defaults usable by a validator
// that fills defaults: defaults inside anyOf branches are ignored (and refused by ajv's strict mode).
export const OtlpReceiverConfigSchema = Type.Object(
  {
    protocols: Type.Object(
      {
        grpc: Type.Optional(
          Type.Unsafe<GrpcProtocolConfig | null>({
            ...GrpcProtocolObject,
            nullable: true,
            description: 'OTLP over gRPC; present (even empty) = enabled',
          }),
        ),
        http: Type.Optional(
          Type.Unsafe<HttpProtocolConfig | null>({
            ...HttpProtocolObject,
            nullable: true,
            description: 'OTLP over HTTP/1.1 (protobuf and JSON); present (even empty) = enabled',
          }),
        ),
      },
      { additionalProperties: false, description: 'Protocols to serve; at least one' },
    ),
  },
  { additionalProperties: false },
);

export type OtlpReceiverConfig = Static<typeof OtlpReceiverConfigSchema>;

export function createDefaultOtlpConfig(): OtlpReceiverConfig {
  return { protocols: {} };
}

// ------------------------------------------------------------------ resolved (all defaults applied)

export interface ResolvedGrpcConfig {
  readonly host: string;
  readonly port: number;
  readonly maxRecvMsgBytes: number;
  readonly maxConcurrentStreams: number;
  /** 0 = none. */
  readonly streamTimeoutMs: number;
}

export interface ResolvedCorsConfig {
  readonly allowedOrigins: readonly RegExp[];
  /** Lower-case header names; undefined means any. */
  readonly allowedHeaders: ReadonlySet<string> | undefined;
  readonly maxAge: number;
}

export interface ResolvedHttpConfig {
  readonly host: string;
  readonly port: number;
  readonly paths: Readonly<Record<Signal, string>>;
  readonly maxRequestBodySize: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly cors: ResolvedCorsConfig | undefined;
}

export interface ResolvedOtlpConfig {
  readonly grpc: ResolvedGrpcConfig | undefined;
  readonly http: ResolvedHttpConfig | undefined;
}

const BASE_CORS_HEADERS = ['content-type', 'content-encoding', 'accept', 'accept-encoding'];

function originPattern(origin: string): RegExp {
  const parts = origin.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 'i');
}

/** Apply defaults to a config that passed the schema (null protocol = all defaults). */
export function resolveOtlpConfig(config: OtlpReceiverConfig): ResolvedOtlpConfig {
  const protocols = config.protocols ?? {};
  let grpc: ResolvedGrpcConfig | undefined;
  if (protocols.grpc !== undefined) {
    const g = protocols.grpc ?? {};
    const { host, port } = splitEndpoint(g.endpoint ?? DEFAULT_GRPC_ENDPOINT);
    grpc = {
      host,
      port,
      maxRecvMsgBytes: Math.floor((g.max_recv_msg_size_mib ?? DEFAULT_MAX_RECV_MSG_SIZE_MIB) * 1024 * 1024),
      maxConcurrentStreams: g.max_concurrent_streams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
      streamTimeoutMs: durationMs(g.stream_timeout ?? '30s'),
    };
  }
  let http: ResolvedHttpConfig | undefined;
  if (protocols.http !== undefined) {
    const h = protocols.http ?? {};
    const { host, port } = splitEndpoint(h.endpoint ?? DEFAULT_HTTP_ENDPOINT);
    let cors: ResolvedCorsConfig | undefined;
    if (h.cors !== undefined && h.cors !== null) {
      const headers = h.cors.allowed_headers ?? [];
      cors = {
        allowedOrigins: (h.cors.allowed_origins ?? []).map(originPattern),
        allowedHeaders: headers.includes('*')
          ? undefined
          : new Set([...BASE_CORS_HEADERS, ...headers.map((x) => x.toLowerCase())]),
        maxAge: h.cors.max_age ?? 0,
      };
    }
    http = {
      host,
      port,
      paths: {
        traces: h.traces_url_path ?? OTLP_HTTP_PATHS.traces,
        metrics: h.metrics_url_path ?? OTLP_HTTP_PATHS.metrics,
        logs: h.logs_url_path ?? OTLP_HTTP_PATHS.logs,
      },
      maxRequestBodySize: h.max_request_body_size ?? DEFAULT_MAX_REQUEST_BODY_SIZE,
      headersTimeoutMs: durationMs(h.read_header_timeout ?? '10s'),
      requestTimeoutMs: durationMs(h.read_timeout ?? '30s'),
      keepAliveTimeoutMs: durationMs(h.idle_timeout ?? '5s'),
      cors,
    };
  }
  return { grpc, http };
}

/** Cross-field checks (the schema checked shapes and ranges). */
export function validateOtlpConfig(config: OtlpReceiverConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const protocols = config.protocols ?? {};
  if (protocols.grpc === undefined && protocols.http === undefined) {
    problems.push({
      path: ['protocols'],
      message:
        'no protocol enabled: add `grpc:` and/or `http:` under protocols (an empty key enables it with defaults)',
    });
    return problems;
  }
  const r = resolveOtlpConfig(config);
  if (r.http !== undefined) {
    const seen = new Map<string, string>();
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      const key = `${signal}_url_path`;
      const path = r.http.paths[signal];
      const other = seen.get(path);
      if (other !== undefined) {
        problems.push({
          path: ['protocols', 'http', key],
          message: `"${path}" is also ${other}: each signal needs its own path`,
        });
      }
      seen.set(path, key);
    }
    if (r.http.requestTimeoutMs > 0 && r.http.headersTimeoutMs > r.http.requestTimeoutMs) {
      problems.push({
        path: ['protocols', 'http', 'read_header_timeout'],
        message: 'must not be longer than read_timeout',
      });
    }
  }
  if (r.grpc !== undefined && r.http !== undefined && r.grpc.port !== 0 && r.grpc.port === r.http.port) {
    if (r.grpc.host === r.http.host) {
      problems.push({
        path: ['protocols', 'http', 'endpoint'],
        message: `same address as protocols.grpc.endpoint (${r.grpc.host}:${r.grpc.port}): use different ports`,
      });
    }
  }
  return problems;
}

// otlp (gRPC) exporter config (the Collector's otlpexporter shape).
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import {
  defaultHelperConfig,
  helperConfigProperties,
  validateHeaders,
  validateHelperConfig,
} from '../../helpers/exporterhelper/index.js';
import { ClientTlsSettings, defaultClientTls, validateClientTls } from '../../helpers/exporterhelper/tls.js';
import { CompressionParams, CompressionSetting, defaultCompressionParams } from '../compression.js';

export const OtlpGrpcConfigSchema = Type.Object(
  {
    endpoint: Type.String({
      default: '',
      description:
        'host:port of the OTLP/gRPC server. An http:// prefix means plaintext (h2c), https:// means TLS; without a scheme, tls.insecure decides.',
    }),
    compression: CompressionSetting,
    compression_params: CompressionParams,
    headers: Type.Record(Type.String(), Type.String(), {
      default: {},
      'x-sensitive': true,
      description: 'Metadata sent with every call (values are secrets: redacted in print-config and logs).',
    }),
    tls: ClientTlsSettings,
    ...helperConfigProperties,
  },
  { additionalProperties: false },
);

export type OtlpGrpcExporterConfig = Static<typeof OtlpGrpcConfigSchema>;

export function createDefaultConfig(): OtlpGrpcExporterConfig {
  return {
    endpoint: '',
    compression: 'gzip',
    compression_params: defaultCompressionParams(),
    headers: {},
    tls: defaultClientTls(),
    ...defaultHelperConfig(),
  };
}

/** Metadata the exporter sets itself. */
export const RESERVED_METADATA = ['content-type', 'te', 'user-agent', 'host', 'connection', 'transfer-encoding'];

export interface ParsedEndpoint {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** `http://host:port` or `https://host:port`, for http2.connect. */
  readonly authority: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):(\d{1,5})$/;

/** Parse `[http://|https://]host:port`; a string is an error message. */
export function parseEndpoint(endpoint: string, insecure: boolean): ParsedEndpoint | string {
  let rest = endpoint;
  let secure = !insecure;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(endpoint);
  if (scheme !== null) {
    const s = (scheme[1] as string).toLowerCase();
    if (s !== 'http' && s !== 'https') return `unsupported scheme "${s}://": use host:port, http:// or https://`;
    secure = s === 'https';
    rest = endpoint.slice(scheme[0].length);
    if (rest.endsWith('/')) rest = rest.slice(0, -1);
  }
  const m = HOST_PORT.exec(rest);
  if (m === null) return `"${endpoint}" is not host:port (e.g. 127.0.0.1:4317)`;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `port ${port} is out of range`;
  const host = m[1] as string;
  return {
    host: host.startsWith('[') ? host.slice(1, -1) : host,
    port,
    secure,
    authority: `${secure ? 'https' : 'http'}://${host}:${port}`,
  };
}

export function validate(cfg: OtlpGrpcExporterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (cfg.endpoint === '') {
    problems.push({ path: ['endpoint'], message: 'required: host:port of the OTLP/gRPC server (e.g. 127.0.0.1:4317)' });
  } else {
    const ep = parseEndpoint(cfg.endpoint, cfg.tls.insecure);
    if (typeof ep === 'string') problems.push({ path: ['endpoint'], message: ep });
  }
  problems.push(...validateHeaders(cfg.headers, RESERVED_METADATA, { grpc: true }));
  problems.push(...validateClientTls(cfg.tls));
  problems.push(...validateHelperConfig(cfg));
  return problems;
}

// The otlp (gRPC) exporter factory.
import type { CreateSettings, Exporter, ExporterFactory } from '../../component/component.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, OtlpGrpcConfigSchema, type OtlpGrpcExporterConfig, validate } from './config.js';
import { createOtlpGrpcExporter } from './exporter.js';

export const otlpExporterFactory: ExporterFactory<OtlpGrpcExporterConfig> = {
  kind: 'exporter',
  type: 'otlp',
  description: 'Sends OTLP over gRPC (raw HTTP/2, gzip) with a sending queue, retries and timeouts.',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: OtlpGrpcConfigSchema,
  createDefaultConfig,
  validate,
  create<S extends Signal>(settings: CreateSettings, config: OtlpGrpcExporterConfig, signal: S): Exporter<S> {
    return createOtlpGrpcExporter(settings, config, signal);
  },
};

// The otlphttp exporter factory.
import type { CreateSettings, Exporter, ExporterFactory } from '../../component/component.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, OtlpHttpConfigSchema, type OtlpHttpExporterConfig, validate } from './config.js';
import { createOtlpHttpExporter } from './exporter.js';

export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  kind: 'exporter',
  type: 'otlphttp',
  description: 'Sends OTLP over HTTP (protobuf or JSON, gzip) with a sending queue, retries and timeouts.',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: OtlpHttpConfigSchema,
  createDefaultConfig,
  validate,
  create<S extends Signal>(settings: CreateSettings, config: OtlpHttpExporterConfig, signal: S): Exporter<S> {
    return createOtlpHttpExporter(settings, config, signal);
  },
};

// The prometheusremotewrite exporter factory.
import type { CreateSettings, Exporter, ExporterFactory } from '../../component/component.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, type PrwExporterConfig, PrwExporterConfigSchema, validate } from './config.js';
import { createPrwExporter } from './exporter.js';

export const prometheusRemoteWriteExporterFactory: ExporterFactory<PrwExporterConfig> = {
  kind: 'exporter',
  type: 'prometheusremotewrite',
  description: 'Sends metrics with Prometheus remote write 1.0 (protobuf + snappy), batched by size, with retries.',
  stability: { metrics: 'alpha' },
  configSchema: PrwExporterConfigSchema,
  createDefaultConfig,
  validate,
  create<S extends Signal>(settings: CreateSettings, config: PrwExporterConfig, signal: S): Exporter<S> {
    return createPrwExporter(settings, config, signal);
  },
};

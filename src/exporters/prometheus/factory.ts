// The prometheus exporter factory.
import type { CreateSettings, Exporter, ExporterFactory } from '../../component/component.js';
import { permanentError } from '../../component/errors.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, PrometheusConfigSchema, type PrometheusExporterConfig, validate } from './config.js';
import { createPrometheusExporter } from './exporter.js';

export const prometheusExporterFactory: ExporterFactory<PrometheusExporterConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  description: 'Serves metrics on /metrics for Prometheus to scrape (text 0.0.4 or OpenMetrics 1.0).',
  stability: { metrics: 'development' },
  configSchema: PrometheusConfigSchema,
  createDefaultConfig,
  validate,
  create<S extends Signal>(settings: CreateSettings, config: PrometheusExporterConfig, signal: S): Exporter<S> {
    if (signal !== 'metrics') throw permanentError('SY_INTERNAL', `the prometheus exporter does not support ${signal}`);
    return createPrometheusExporter(settings, config) as unknown as Exporter<S>;
  },
};

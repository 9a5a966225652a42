// The debug exporter factory.
import type { CreateSettings, Exporter, ExporterFactory } from '../../component/component.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, DebugConfigSchema, type DebugExporterConfig } from './config.js';
import { createDebugExporter } from './exporter.js';

export const debugExporterFactory: ExporterFactory<DebugExporterConfig> = {
  kind: 'exporter',
  type: 'debug',
  description: 'Writes received data to stdout: a summary, one line per item, or every field.',
  stability: { traces: 'development', metrics: 'development', logs: 'development' },
  configSchema: DebugConfigSchema,
  createDefaultConfig,
  create<S extends Signal>(settings: CreateSettings, config: DebugExporterConfig, signal: S): Exporter<S> {
    return createDebugExporter(settings, config, signal);
  },
};

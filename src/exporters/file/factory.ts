// The file exporter factory.
import type { CreateSettings, Exporter, ExporterFactory } from '../../component/component.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, FileConfigSchema, type FileExporterConfig, validate } from './config.js';
import { createFileExporter } from './exporter.js';

export const fileExporterFactory: ExporterFactory<FileExporterConfig> = {
  kind: 'exporter',
  type: 'file',
  description: 'Appends OTLP/JSON lines (or length-prefixed protobuf) to a file, with optional rotation.',
  stability: { traces: 'alpha', metrics: 'alpha', logs: 'alpha' },
  configSchema: FileConfigSchema,
  createDefaultConfig,
  validate,
  create<S extends Signal>(settings: CreateSettings, config: FileExporterConfig, signal: S): Exporter<S> {
    return createFileExporter(settings, config, signal);
  },
};

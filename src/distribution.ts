// The components this build of Switchyard ships: what `switchyard components` prints, what the
// config layer resolves types against, and what config.schema.json is generated from.
import type { Distribution } from './config/index.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { fileExporterFactory } from './exporters/file/factory.js';
import { otlpExporterFactory } from './exporters/otlp/factory.js';
import { otlpHttpExporterFactory } from './exporters/otlphttp/factory.js';
import { prometheusExporterFactory } from './exporters/prometheus/factory.js';
import { prometheusRemoteWriteExporterFactory } from './exporters/prometheusremotewrite/factory.js';
import { healthCheckExtensionFactory } from './extensions/health_check/factory.js';
import { batchProcessorFactory } from './processors/batch/factory.js';
import { memoryLimiterProcessorFactory } from './processors/memory_limiter/index.js';
import { viewsProcessorFactory } from './processors/views/factory.js';
import { otlpReceiverFactory } from './receivers/otlp/factory.js';
import { prometheusReceiverFactory } from './receivers/prometheus/factory.js';
import { prometheusRemoteWriteReceiverFactory } from './receivers/prometheusremotewrite/factory.js';
import { statsdReceiverFactory } from './receivers/statsd/factory.js';

export const distribution: Distribution = {
  receivers: [
    otlpReceiverFactory,
    statsdReceiverFactory,
    prometheusReceiverFactory,
    prometheusRemoteWriteReceiverFactory,
  ],
  processors: [batchProcessorFactory, memoryLimiterProcessorFactory, viewsProcessorFactory],
  exporters: [
    otlpExporterFactory,
    otlpHttpExporterFactory,
    debugExporterFactory,
    fileExporterFactory,
    prometheusExporterFactory,
    prometheusRemoteWriteExporterFactory,
  ],
  extensions: [healthCheckExtensionFactory],
};

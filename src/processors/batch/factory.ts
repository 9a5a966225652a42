// The `batch` processor factory.
import type { ProcessorFactory } from '../../component/component.js';
import { BatchProcessor } from './batch_processor.js';
import { type BatchConfig, BatchConfigSchema, defaultBatchConfig, validateBatchConfig } from './config.js';

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  description: 'Groups data into batches by size and time, and splits oversized batches.',
  configSchema: BatchConfigSchema,
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  createDefaultConfig: defaultBatchConfig,
  validate: validateBatchConfig,
  create(settings, config, signal, next) {
    return new BatchProcessor(settings, config, signal, next);
  },
};

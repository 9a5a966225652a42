// Config of the batch processor: schema (shapes, ranges, defaults) and cross-field checks.
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration } from '../../config/types.js';

export const DEFAULT_SEND_BATCH_SIZE = 8192;
export const DEFAULT_SEND_BATCH_MAX_SIZE = 0;
export const DEFAULT_TIMEOUT = '200ms';
export const DEFAULT_METADATA_CARDINALITY_LIMIT = 1000;

export const BatchConfigSchema = Type.Object(
  {
    send_batch_size: Type.Integer({
      minimum: 0,
      default: DEFAULT_SEND_BATCH_SIZE,
      description:
        'Items (spans, metric data points, log records) after which a batch is sent regardless of the timeout. ' +
        'A trigger, not a limit: see send_batch_max_size.',
    }),
    send_batch_max_size: Type.Integer({
      minimum: 0,
      default: DEFAULT_SEND_BATCH_MAX_SIZE,
      description:
        'Upper bound on items per sent batch; larger batches are split. 0 = no limit. ' +
        'When set, must be >= send_batch_size.',
    }),
    timeout: Duration(
      'Time after which a non-empty batch is sent regardless of size. 0 = send immediately ' +
        '(send_batch_size is then ignored; send_batch_max_size still splits).',
      DEFAULT_TIMEOUT,
    ),
    metadata_keys: Type.Array(Type.String(), {
      default: [],
      description: 'Client metadata keys to batch by (accepted for Collector compatibility; not implemented yet).',
    }),
    metadata_cardinality_limit: Type.Integer({
      minimum: 0,
      default: DEFAULT_METADATA_CARDINALITY_LIMIT,
      description: 'Limit on distinct metadata_keys value combinations (accepted; unused until metadata_keys is).',
    }),
  },
  { additionalProperties: false },
);

export type BatchConfig = Static<typeof BatchConfigSchema>;

export function defaultBatchConfig(): BatchConfig {
  return {
    send_batch_size: DEFAULT_SEND_BATCH_SIZE,
    send_batch_max_size: DEFAULT_SEND_BATCH_MAX_SIZE,
    timeout: DEFAULT_TIMEOUT,
    metadata_keys: [],
    metadata_cardinality_limit: DEFAULT_METADATA_CARDINALITY_LIMIT,
  };
}

export function validateBatchConfig(config: BatchConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.send_batch_max_size > 0 && config.send_batch_max_size < config.send_batch_size) {
    problems.push({
      path: ['send_batch_max_size'],
      message:
        `must be greater than or equal to send_batch_size (${config.send_batch_size}), ` +
        `or 0 for no limit; got ${config.send_batch_max_size}`,
    });
  }
  return problems;
}

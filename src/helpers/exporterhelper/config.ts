// Config of the exporter helper: the `timeout`, `retry_on_failure` and `sending_queue` blocks every
// queued exporter embeds (Collector exporterhelper names and defaults), their TypeBox schemas, the
// resolved (millisecond) form the helper runs on, and the cross-field checks.
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration, durationMs } from '../../config/types.js';

/** `timeout`: time limit of one export attempt; `0` = no limit. */
export const TimeoutSettings = Duration(
  'Time limit of one export attempt (enforced with an AbortSignal); 0 = no limit.',
  '5s',
);

export const DEFAULT_RETRY = {
  enabled: true,
  initial_interval: '5s',
  max_interval: '30s',
  multiplier: 1.5,
  randomization_factor: 0.5,
  max_elapsed_time: '300s',
} as const;

/** `retry_on_failure`: exponential backoff with jitter for retryable failures. */
export const RetrySettings = Type.Object(
  {
    enabled: Type.Boolean({ default: DEFAULT_RETRY.enabled, description: 'Retry retryable failures.' }),
    initial_interval: Duration('Wait before the first retry.', DEFAULT_RETRY.initial_interval),
    max_interval: Duration('Upper bound of the backoff interval (before jitter).', DEFAULT_RETRY.max_interval),
    multiplier: Type.Number({
      minimum: 1,
      default: DEFAULT_RETRY.multiplier,
      description: 'Growth factor of the interval after each retry.',
    }),
    randomization_factor: Type.Number({
      minimum: 0,
      maximum: 1,
      default: DEFAULT_RETRY.randomization_factor,
      description: 'Jitter: each wait is drawn from interval × [1 − f, 1 + f].',
    }),
    max_elapsed_time: Duration(
      'Give up (and drop the data, counted) when the next attempt would start later than this after the first; 0 = retry forever.',
      DEFAULT_RETRY.max_elapsed_time,
    ),
  },
  { additionalProperties: false, default: { ...DEFAULT_RETRY }, description: 'Retries of failed exports.' },
);
export type RetryConfig = Static<typeof RetrySettings>;

export const DEFAULT_QUEUE = {
  enabled: true,
  num_consumers: 10,
  queue_size: 1000,
  sizer: 'requests',
  block_on_overflow: false,
} as const;

/** `sending_queue`: the bounded in-memory queue in front of the sender. */
export const QueueSettings = Type.Object(
  {
    enabled: Type.Boolean({
      default: DEFAULT_QUEUE.enabled,
      description: 'Queue batches and acknowledge them once queued; false = the caller waits for the export.',
    }),
    num_consumers: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: DEFAULT_QUEUE.num_consumers,
      description: 'Concurrent exports drawn from the queue.',
    }),
    queue_size: Type.Integer({
      minimum: 1,
      default: DEFAULT_QUEUE.queue_size,
      description: 'Capacity, in units of `sizer` (queued and in-flight batches both count).',
    }),
    sizer: Type.Union([Type.Literal('requests'), Type.Literal('items'), Type.Literal('bytes')], {
      default: DEFAULT_QUEUE.sizer,
      description:
        'What `queue_size` counts: requests (batches), items (spans, metric points, log records) or bytes (of the encoded protobuf requests: bounds the memory the queue can hold).',
    }),
    block_on_overflow: Type.Boolean({
      default: DEFAULT_QUEUE.block_on_overflow,
      description: 'When full, make the caller wait for space instead of refusing with SY_QUEUE_FULL.',
    }),
  },
  { additionalProperties: false, default: { ...DEFAULT_QUEUE }, description: 'The sending queue.' },
);
export type QueueConfig = Static<typeof QueueSettings>;

/** The three helper blocks, to spread into an exporter's `Type.Object({...})`. */
export const helperConfigProperties = {
  timeout: TimeoutSettings,
  retry_on_failure: RetrySettings,
  sending_queue: QueueSettings,
} as const;

/** The helper part of an exporter config, as validated by the schema. */
export interface ExporterHelperConfig {
  readonly timeout: string;
  readonly retry_on_failure: RetryConfig;
  readonly sending_queue: QueueConfig;
}

/** What `createExporter` accepts: any block left out takes its defaults (each field likewise). */
export interface HelperSettings {
  readonly timeout?: string;
  readonly retry_on_failure?: Partial<RetryConfig>;
  readonly sending_queue?: Partial<QueueConfig>;
}

/** Fresh default helper config (for an exporter's `createDefaultConfig`). */
export function defaultHelperConfig(): ExporterHelperConfig {
  return { timeout: '5s', retry_on_failure: { ...DEFAULT_RETRY }, sending_queue: { ...DEFAULT_QUEUE } };
}

/** Helper settings for exporters without queue, retry or timeout (debug, file). */
export const DIRECT_SETTINGS: HelperSettings = {
  timeout: '0',
  retry_on_failure: { enabled: false },
  sending_queue: { enabled: false },
};

/** The helper config in milliseconds. */
export interface ResolvedHelperConfig {
  readonly timeoutMs: number;
  readonly retry: {
    readonly enabled: boolean;
    readonly initialIntervalMs: number;
    readonly maxIntervalMs: number;
    readonly multiplier: number;
    readonly randomizationFactor: number;
    readonly maxElapsedMs: number;
  };
  readonly queue: {
    readonly enabled: boolean;
    readonly numConsumers: number;
    readonly capacity: number;
    readonly sizer: 'requests' | 'items' | 'bytes';
    readonly blockOnOverflow: boolean;
  };
}

export function resolveHelperConfig(s: HelperSettings): ResolvedHelperConfig {
  const r = { ...DEFAULT_RETRY, ...s.retry_on_failure };
  const q = { ...DEFAULT_QUEUE, ...s.sending_queue };
  return {
    timeoutMs: durationMs(s.timeout ?? '5s'),
    retry: {
      enabled: r.enabled,
      initialIntervalMs: durationMs(r.initial_interval),
      maxIntervalMs: durationMs(r.max_interval),
      multiplier: r.multiplier,
      randomizationFactor: r.randomization_factor,
      maxElapsedMs: durationMs(r.max_elapsed_time),
    },
    queue: {
      enabled: q.enabled,
      numConsumers: Math.max(1, Math.floor(q.num_consumers)),
      capacity: Math.max(1, Math.floor(q.queue_size)),
      sizer: q.sizer,
      blockOnOverflow: q.block_on_overflow,
    },
  };
}

/** Cross-field checks of the helper blocks (the schema already checked shapes and ranges). */
export function validateHelperConfig(cfg: ExporterHelperConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const r = cfg.retry_on_failure;
  if (r.enabled) {
    const initial = durationMs(r.initial_interval);
    const max = durationMs(r.max_interval);
    if (initial <= 0) {
      problems.push({
        path: ['retry_on_failure', 'initial_interval'],
        message: 'must be greater than 0 when retry_on_failure is enabled (e.g. 5s)',
      });
    }
    if (max < initial) {
      problems.push({
        path: ['retry_on_failure', 'max_interval'],
        message: `must be at least initial_interval (${r.initial_interval}), got ${r.max_interval}`,
      });
    }
  }
  return problems;
}

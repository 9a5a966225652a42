// The exporter helper's public surface.
export { ExponentialBackoff } from './backoff.js';
export {
  DEFAULT_QUEUE,
  DEFAULT_RETRY,
  DIRECT_SETTINGS,
  defaultHelperConfig,
  type ExporterHelperConfig,
  type HelperSettings,
  helperConfigProperties,
  type QueueConfig,
  QueueSettings,
  type ResolvedHelperConfig,
  type RetryConfig,
  RetrySettings,
  resolveHelperConfig,
  TimeoutSettings,
  validateHelperConfig,
} from './config.js';
export {
  createExporter,
  DEFAULT_DRAIN_TIMEOUT_MS,
  type DropReason,
  type ExporterOptions,
  type PartialSendResult,
  type SendFn,
  type SendOutcome,
} from './exporter.js';
export {
  decodeRetryInfo,
  decodeRpcStatus,
  encodeFailure,
  encodeRpcStatus,
  MAX_RESPONSE_BYTES,
  parseJsonStatus,
  parseRetryAfter,
  perBatch,
  RETRY_INFO_TYPE_URL,
  type RpcStatus,
  readBounded,
  USER_AGENT,
  validateHeaders,
} from './wire.js';

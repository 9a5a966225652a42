// Typed pipeline errors. Every error a consumer throws is either permanent (never retried) or
// retryable (retried with backoff by exporters; answered 503/UNAVAILABLE by receivers).
// Codes are stable and listed in docs/errors.md.

export type ErrorCode =
  | 'SY_DECODE' // malformed request body
  | 'SY_UNSUPPORTED_MEDIA_TYPE' // unknown content type or encoding
  | 'SY_TOO_LARGE' // body or decompressed body over the limit
  | 'SY_MEMORY_LIMIT' // memory_limiter refused the data
  | 'SY_QUEUE_FULL' // an exporter's sending queue is full
  | 'SY_SHUTTING_DOWN' // the component is shutting down
  | 'SY_EXPORT_PERMANENT' // the destination rejected the data for good (400, 413, INVALID_ARGUMENT...)
  | 'SY_EXPORT_RETRYABLE' // the destination failed transiently (429, 502-504, UNAVAILABLE, network)
  | 'SY_TIMEOUT' // an export attempt exceeded its timeout
  | 'SY_RETRIES_EXHAUSTED' // retry_on_failure.max_elapsed_time passed
  | 'SY_INTERNAL'; // a bug: an unexpected exception inside a component

export class PipelineError extends Error {
  readonly code: ErrorCode;
  readonly permanent: boolean;
  /** Server-advised delay before retrying, when known (Retry-After / RetryInfo). */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { permanent: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.permanent = opts.permanent;
    this.retryAfterMs = clampRetryDelay(opts.retryAfterMs);
  }
}

/** The longest server-advised retry delay honoured: one hour. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/** A usable retry delay: NaN -> undefined, negative -> 0, anything over an hour (Infinity
 * included, e.g. a 400-digit Retry-After) -> one hour. */
export function clampRetryDelay(ms: number | undefined): number | undefined {
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  return Math.min(MAX_RETRY_DELAY_MS, Math.max(0, ms));
}

export function permanentError(code: ErrorCode, message: string, cause?: unknown): PipelineError {
  return new PipelineError(code, message, { permanent: true, cause });
}

export function retryableError(
  code: ErrorCode,
  message: string,
  retryAfterMs?: number,
  cause?: unknown,
): PipelineError {
  return new PipelineError(code, message, { permanent: false, retryAfterMs, cause });
}

/** Unknown errors are retryable, as in the Collector: only a declared permanent error is final. */
export function isPermanent(err: unknown): boolean {
  return err instanceof PipelineError && err.permanent;
}

export function errorCode(err: unknown): ErrorCode {
  return err instanceof PipelineError ? err.code : 'SY_INTERNAL';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Receiver helper: the bookkeeping every receiver shares. It hands a batch to the next consumer
// and counts the outcome (accepted / refused items, per transport), counts requests rejected
// before their items could be counted, classifies consumer errors (permanent vs retryable,
// server-advised delay), and rate-limits warn logs so that a flood of bad input costs one line per
// reason per interval, never one per request.
import type { Logger } from 'pino';
import type { Consumer, CreateSettings, Host } from '../component/component.js';
import { clampRetryDelay, errorCode, errorMessage, isPermanent, PipelineError } from '../component/errors.js';
import { formatComponentId } from '../component/id.js';
import { type Batch, itemNoun } from '../pdata/batch.js';
import type { Signal } from '../pdata/model.js';
import type { Counter, CounterSeries } from '../telemetry/metrics.js';
import { RateLimitedLog } from '../telemetry/ratelimit.js';

/** Why a request was rejected before its items were counted (the `reason` label). */
export type BadRequestReason =
  | 'decode' // malformed body (protobuf, JSON, gzip)
  | 'too_large' // body or decompressed body over the limit
  | 'unsupported_media_type' // content type or content encoding not accepted
  | 'memory_limit' // refused up front by the memory guard
  | 'method' // HTTP method not allowed
  | 'not_found' // unknown path, or a signal this receiver has no pipeline for
  | 'timeout' // the client did not send the request in time
  | 'internal'; // a bug while handling the request

/** Request outcomes for `otelcol_receiver_requests_total`. */
export type RequestOutcome = 'success' | 'refused' | 'bad_request';

/** The result of handing a batch to the pipeline. */
export type ConsumeOutcome =
  | { readonly ok: true; readonly items: number }
  | {
      readonly ok: false;
      readonly items: number;
      readonly error: unknown;
      readonly message: string;
      /** Never retry (the pipeline rejected the data for good). */
      readonly permanent: boolean;
      /** The memory limiter refused the data (answered 503/UNAVAILABLE with a retry delay). */
      readonly memoryLimit: boolean;
      /** Server-advised delay before a retry, when the error carries one. */
      readonly retryAfterMs: number | undefined;
      /** The `reason` label: the error code without its `SY_` prefix, lower case. */
      readonly reason: string;
    };

export type FailedConsume = Extract<ConsumeOutcome, { ok: false }>;

/** Default delay advised to clients refused by the memory limiter when it names none. */
export const DEFAULT_MEMORY_RETRY_MS = 1000;

const SIGNALS_ORDER: readonly Signal[] = ['traces', 'metrics', 'logs'];

/** Classify what a consumer threw. Unknown errors are retryable, as in the Collector. */
export function classifyConsumeError(err: unknown, items: number): FailedConsume {
  const code = errorCode(err);
  const memoryLimit = code === 'SY_MEMORY_LIMIT';
  const permanent = isPermanent(err);
  let retryAfterMs = err instanceof PipelineError ? err.retryAfterMs : undefined;
  if (memoryLimit && !permanent && retryAfterMs === undefined) retryAfterMs = DEFAULT_MEMORY_RETRY_MS;
  return {
    ok: false,
    items,
    error: err,
    message: errorMessage(err),
    permanent,
    memoryLimit: memoryLimit && !permanent,
    retryAfterMs,
    reason: code.slice(3).toLowerCase(),
  };
}

/** Options for a ReceiverHelper: one per receiver instance and transport. */
export interface ReceiverHelperOptions {
  readonly settings: CreateSettings;
  /** `http`, `grpc`, `udp`, `tcp`... (the `transport` label). */
  readonly transport: string;
  /** Rate-limited log interval (default 10 s). */
  readonly logIntervalMs?: number;
}

interface SignalCounters {
  readonly accepted: CounterSeries;
  readonly refusedCounter: Counter;
  readonly refused: Map<string, CounterSeries>;
}

/**
 * Counts and logs for one receiver and transport. Series are bound once, so the hot path is a
 * property increment.
 */
export class ReceiverHelper {
  readonly receiver: string;
  readonly transport: string;
  readonly log: RateLimitedLog;
  /** The un-throttled component logger (start-up, shutdown). */
  readonly logger: Logger;
  private readonly signals: Record<Signal, SignalCounters>;
  private readonly badRequestsCounter: Counter;
  private readonly badRequests = new Map<BadRequestReason, CounterSeries>();
  private readonly requests: Record<RequestOutcome, CounterSeries>;

  constructor(opts: ReceiverHelperOptions) {
    const { settings, transport } = opts;
    const metrics = settings.metrics;
    this.receiver = formatComponentId(settings.id);
    this.transport = transport;
    this.logger = settings.logger;
    this.log = new RateLimitedLog(settings.logger, opts.logIntervalMs ?? 10_000);
    const labels = { receiver: this.receiver, transport };
    const signals = {} as Record<Signal, SignalCounters>;
    for (const signal of SIGNALS_ORDER) {
      const noun = itemNoun(signal);
      const accepted = metrics.counter(
        `otelcol_receiver_accepted_${noun}_total`,
        `Number of ${noun.replace('_', ' ')} successfully pushed into the pipeline.`,
      );
      const refusedCounter = metrics.counter(
        `otelcol_receiver_refused_${noun}_total`,
        `Number of ${noun.replace('_', ' ')} that could not be pushed into the pipeline.`,
      );
      signals[signal] = { accepted: accepted.with(labels), refusedCounter, refused: new Map() };
    }
    this.signals = signals;
    this.badRequestsCounter = metrics.counter(
      'switchyard_receiver_bad_requests_total',
      'Requests rejected before their items could be counted (malformed, too large, unsupported, refused early).',
    );
    const requests = metrics.counter(
      'otelcol_receiver_requests_total',
      'Requests received, by outcome: success, refused (the pipeline rejected the data), bad_request.',
    );
    this.requests = {
      success: requests.with({ ...labels, outcome: 'success' }),
      refused: requests.with({ ...labels, outcome: 'refused' }),
      bad_request: requests.with({ ...labels, outcome: 'bad_request' }),
    };
  }

  /**
   * Hand a batch to the next consumer and count the outcome. Never throws: a failure comes back
   * classified, for the transport to map onto its status codes.
   */
  async consume<S extends Signal>(consumer: Consumer<S>, batch: Batch<S>): Promise<ConsumeOutcome> {
    const items = batch.itemCount;
    const counters = this.signals[batch.signal];
    try {
      await consumer.consume(batch);
    } catch (err) {
      const failed = classifyConsumeError(err, items);
      this.refused(batch.signal, failed.reason, items);
      this.requests.refused.add();
      this.log.warn(
        `refused:${batch.signal}:${failed.reason}`,
        { signal: batch.signal, transport: this.transport, reason: failed.reason, permanent: failed.permanent, items },
        `pipeline refused data: ${failed.message}`,
      );
      return failed;
    }
    counters.accepted.add(items);
    this.requests.success.add();
    return { ok: true, items };
  }

  /** Count items refused outside `consume` (e.g. a receiver dropping part of a request). */
  refused(signal: Signal, reason: string, items: number): void {
    const counters = this.signals[signal];
    let series = counters.refused.get(reason);
    if (series === undefined) {
      series = counters.refusedCounter.with({ receiver: this.receiver, transport: this.transport, reason });
      counters.refused.set(reason, series);
    }
    series.add(items);
  }

  /** Count a request rejected before its items were counted, and log it (rate-limited). */
  badRequest(reason: BadRequestReason, message: string, fields: Record<string, unknown> = {}): void {
    let series = this.badRequests.get(reason);
    if (series === undefined) {
      series = this.badRequestsCounter.with({ receiver: this.receiver, transport: this.transport, reason });
      this.badRequests.set(reason, series);
    }
    series.add();
    this.requests.bad_request.add();
    const f = { transport: this.transport, reason, ...fields };
    if (reason === 'internal') this.log.error(`bad:${reason}`, f, `internal error handling a request: ${message}`);
    else this.log.warn(`bad:${reason}`, f, `rejected a request: ${message}`);
  }

  /** Log something unexpected (rate-limited per key). */
  warn(key: string, fields: Record<string, unknown>, message: string): void {
    this.log.warn(key, { transport: this.transport, ...fields }, message);
  }
}

/** The memory guard's verdict for a request about to be read: a delay in ms, or undefined. */
export function memoryRefusal(host: Host | undefined): number | undefined {
  if (host === undefined) return undefined;
  const guard = host.memoryGuard();
  if (guard === undefined) return undefined;
  const ms = guard.refuseFor();
  if (ms === undefined) return undefined;
  return Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_MEMORY_RETRY_MS;
}

/** Retry-After header value: whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil((clampRetryDelay(ms) ?? 0) / 1000)));
}

// The exporter helper (the Collector's exporterhelper): an exporter author writes one function
// that sends a batch once; the helper wraps it in
//
//   consume -> sending_queue -> retry (backoff + jitter, Retry-After) -> timeout (AbortSignal) -> send
//
// and accounts for every item: sent, failed with a reason, or refused at the queue. Failures are
// logged once per reason per interval, never per item.
import type { Logger } from 'pino';
import type { CreateSettings, Exporter, Host } from '../../component/component.js';
import { errorMessage, PipelineError, permanentError, retryableError } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import { Batch, itemNoun } from '../../pdata/batch.js';
import { DecodeError } from '../../pdata/errors.js';
import type { Signal } from '../../pdata/model.js';
import type { Counter, CounterSeries, GaugeSeries } from '../../telemetry/metrics.js';
import { RateLimitedLog } from '../../telemetry/ratelimit.js';
import { ExponentialBackoff } from './backoff.js';
import { type HelperSettings, type ResolvedHelperConfig, resolveHelperConfig } from './config.js';
import { encodeFailure } from './wire.js';

/** What a send may report besides plain success: the destination accepted the request but
 * rejected some items (OTLP partial success). Those are counted as failed, never retried. */
export interface PartialSendResult {
  readonly rejectedItems: number;
  readonly message: string;
  /** The `reason` label for the rejected items (default `partial_success`). */
  readonly reason?: 'partial_success' | 'write_error';
}

/**
 * Send one batch, once. Resolve when the destination accepted it; reject with a PipelineError
 * (permanent or retryable, with `retryAfterMs` when the destination advised a delay). Stop
 * promptly when `signal` aborts (attempt timeout or shutdown); the helper stops waiting at that
 * moment either way.
 */
export type SendFn<S extends Signal> = (batch: Batch<S>, signal: AbortSignal) => Promise<SendOutcome>;

/** `void` so that a plain `async () => {}` is a valid send. */
// biome-ignore lint/suspicious/noConfusingVoidType: a send that returns nothing must type-check
export type SendOutcome = void | PartialSendResult;

export interface ExporterOptions {
  /** Called by `start` (e.g. open a file). A rejection fails the start. */
  readonly start?: (host: Host) => Promise<void>;
  /** Called once, after the queue has drained (e.g. close connections, flush a file). */
  readonly shutdown?: () => Promise<void>;
  /** How long `shutdown` waits for the queue to drain before dropping the rest (default 10 s). */
  readonly drainTimeoutMs?: number;
  /** Source of randomness for the backoff jitter (tests). */
  readonly random?: () => number;
  /** Interval of the per-reason rate-limited warn log (default 10 s). */
  readonly logIntervalMs?: number;
  /** A consumer taking a batch from the queue also takes the batches queued behind it, up to
   * this many items in all, and sends them as one (fewer, larger requests when the queue backs
   * up). Order is kept. Default: off. */
  readonly mergeQueuedItems?: number;
}

/** Why items were counted in `otelcol_exporter_send_failed_*` (the `reason` label). */
export type DropReason =
  | 'permanent' // the destination rejected the data for good
  | 'retries_exhausted' // the next retry would have passed retry_on_failure.max_elapsed_time
  | 'retry_disabled' // a retryable failure with retry_on_failure disabled
  | 'timeout' // the attempt timed out and retry_on_failure is disabled
  | 'shutdown' // failed or still queued while shutting down
  | 'partial_success' // the destination accepted the request but rejected these items
  | 'write_error'; // a local sink (stdout, file) failed to write; reported by the send, not thrown

export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Build an exporter around `send`. `consume` resolves once the batch is queued (or, with the
 * queue disabled, once it was sent) and rejects with `SY_QUEUE_FULL` (retryable) when the queue
 * is full, `SY_SHUTTING_DOWN` after shutdown began, `SY_TOO_LARGE` (permanent) for a batch bigger
 * than the whole queue.
 */
export function createExporter<S extends Signal>(
  settings: CreateSettings,
  signal: S,
  helperConfig: HelperSettings,
  send: SendFn<S>,
  opts: ExporterOptions = {},
): Exporter<S> {
  return new HelperExporter(settings, signal, resolveHelperConfig(helperConfig), send, opts);
}

interface Entry<S extends Signal> {
  readonly batch: Batch<S>;
  readonly cost: number;
}

interface Waiter<S extends Signal> extends Entry<S> {
  readonly resolve: () => void;
  readonly reject: (err: PipelineError) => void;
  /** Set once the waiter was answered (space, shutdown or its wait expired). */
  done: boolean;
}

/** How long a producer may wait for queue space with block_on_overflow when `timeout` is 0. */
const DEFAULT_BLOCK_WAIT_MS = 5000;

/** FIFO with O(1) amortised shift. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

class HelperExporter<S extends Signal> implements Exporter<S> {
  readonly mutatesData = false;

  private readonly name: string;
  private readonly noun: string;
  private readonly logger: Logger;
  private readonly log: RateLimitedLog;
  private readonly drainTimeoutMs: number;
  private readonly random: () => number;

  private readonly sent: CounterSeries;
  private readonly failedCounter: Counter;
  private readonly failed = new Map<DropReason, CounterSeries>();
  private readonly enqueueFailed: CounterSeries;
  private readonly queueSize: GaugeSeries | undefined;

  private readonly queue = new Fifo<Entry<S>>();
  private readonly waiters = new Fifo<Waiter<S>>();
  /** Queue capacity in use: queued plus in-flight entries (capacity is freed when an export ends). */
  private used = 0;
  /** Queue consumers running. */
  private consumers = 0;
  /** Deliveries in progress (queue consumers plus direct sends). */
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly sleepers = new Set<() => void>();

  private stopping = false;
  private readonly stop = new AbortController();
  private shutdownPromise: Promise<void> | undefined;
  private host: Host | undefined;
  private degraded = false;

  constructor(
    private readonly settings: CreateSettings,
    readonly signal: S,
    private readonly cfg: ResolvedHelperConfig,
    private readonly send: SendFn<S>,
    private readonly opts: ExporterOptions,
  ) {
    this.name = formatComponentId(settings.id);
    this.noun = itemNoun(signal);
    // The service binds kind, name and signal on the component logger already.
    this.logger = settings.logger;
    this.log = new RateLimitedLog(this.logger, opts.logIntervalMs ?? 10_000);
    this.drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.random = opts.random ?? Math.random;

    const m = settings.metrics;
    const noun = this.noun;
    const words = noun.replace('_', ' ');
    const labels = { exporter: this.name };
    this.sent = m
      .counter(`otelcol_exporter_sent_${noun}_total`, `Number of ${words} successfully sent to the destination.`)
      .with(labels);
    this.failedCounter = m.counter(
      `otelcol_exporter_send_failed_${noun}_total`,
      `Number of ${words} the exporter failed to send, by reason (permanent, retries_exhausted, retry_disabled, timeout, shutdown, partial_success, write_error).`,
    );
    this.enqueueFailed = m
      .counter(
        `otelcol_exporter_enqueue_failed_${noun}_total`,
        `Number of ${words} refused by the sending queue (full, shutting down, too large).`,
      )
      .with(labels);
    if (cfg.queue.enabled) {
      const qLabels = { exporter: this.name, data_type: signal };
      this.queueSize = m
        .gauge('otelcol_exporter_queue_size', 'Current size of the sending queue, in units of its sizer.')
        .with(qLabels);
      this.queueSize.set(0);
      m.gauge('otelcol_exporter_queue_capacity', 'Capacity of the sending queue, in units of its sizer.')
        .with(qLabels)
        .set(cfg.queue.capacity);
    }
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    if (this.opts.start !== undefined) await this.opts.start(host);
  }

  shutdown(): Promise<void> {
    if (this.shutdownPromise === undefined) this.shutdownPromise = this.doShutdown();
    return this.shutdownPromise;
  }

  async consume(batch: Batch<S>): Promise<void> {
    const items = batch.itemCount;
    // Empty envelopes carry nothing to deliver (the Collector's queue ignores them too).
    if (items === 0) return;
    if (this.stopping) {
      this.enqueueFailed.add(items);
      throw retryableError('SY_SHUTTING_DOWN', `exporter ${this.name} is shutting down`);
    }
    const q = this.cfg.queue;
    if (!q.enabled) {
      this.active++;
      try {
        await this.deliver(batch);
      } finally {
        this.active--;
        this.checkIdle();
      }
      return;
    }
    let cost: number;
    try {
      cost = queueCost(q.sizer, batch);
    } catch (err) {
      this.enqueueFailed.add(items);
      throw encodeFailure(err, this.signal);
    }
    if (cost > q.capacity) {
      this.enqueueFailed.add(items);
      throw permanentError(
        'SY_TOO_LARGE',
        `exporter ${this.name}: a batch of ${items} ${this.noun} (${cost} ${q.sizer}) is larger than the whole sending queue (queue_size ${q.capacity} ${q.sizer})`,
      );
    }
    while (this.waiters.peek()?.done === true) this.waiters.shift();
    if (this.waiters.length === 0 && this.used + cost <= q.capacity) {
      this.enqueue({ batch, cost });
      return;
    }
    if (!q.blockOnOverflow) {
      this.enqueueFailed.add(items);
      this.log.warn(
        'queue_full',
        { exporter: this.name, queue_size: this.used, queue_capacity: q.capacity },
        'sending queue is full; refusing data (the sender should retry)',
      );
      throw retryableError('SY_QUEUE_FULL', `exporter ${this.name}: sending queue is full`);
    }
    // The wait is bounded (by `timeout`), as the Collector bounds it by the request deadline:
    // a producer never waits forever, and a flush at shutdown cannot deadlock behind a stuck
    // destination.
    const waitMs = Math.min(this.cfg.timeoutMs > 0 ? this.cfg.timeoutMs : DEFAULT_BLOCK_WAIT_MS, MAX_TIMER_MS);
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter<S> = {
        batch,
        cost,
        done: false,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      timer = setTimeout(() => {
        if (waiter.done) return;
        waiter.done = true;
        this.enqueueFailed.add(items);
        reject(retryableError('SY_QUEUE_FULL', `exporter ${this.name}: sending queue stayed full for ${waitMs} ms`));
      }, waitMs);
      timer.unref();
      this.waiters.push(waiter);
    });
  }

  // ------------------------------------------------------------------ queue

  private enqueue(entry: Entry<S>): void {
    this.used += entry.cost;
    this.queue.push(entry);
    this.queueSize?.set(this.used);
    this.pump();
  }

  private pump(): void {
    while (this.consumers < this.cfg.queue.numConsumers) {
      const entry = this.takeQueued();
      if (entry === undefined) break;
      this.consumers++;
      this.active++;
      void this.runEntry(entry);
    }
  }

  /** The next queued batch, merged with those behind it when `mergeQueuedItems` allows. */
  private takeQueued(): Entry<S> | undefined {
    const first = this.queue.shift();
    const limit = this.opts.mergeQueuedItems;
    if (first === undefined || limit === undefined) return first;
    let items = first.batch.itemCount;
    let next = this.queue.peek();
    if (next === undefined || items + next.batch.itemCount > limit) return first;
    const parts = [first.batch];
    let cost = first.cost;
    while (next !== undefined && items + next.batch.itemCount <= limit) {
      this.queue.shift();
      parts.push(next.batch);
      items += next.batch.itemCount;
      cost += next.cost;
      next = this.queue.peek();
    }
    return { batch: Batch.merge(first.batch.signal, parts), cost };
  }

  private async runEntry(entry: Entry<S>): Promise<void> {
    try {
      await this.deliver(entry.batch);
    } catch {
      // Counted and logged by deliver; with a queue, nobody is waiting for the result.
    } finally {
      this.consumers--;
      this.active--;
      this.release(entry.cost);
      this.pump();
      this.checkIdle();
    }
  }

  private release(cost: number): void {
    this.used -= cost;
    const cap = this.cfg.queue.capacity;
    for (let w = this.waiters.peek(); w !== undefined; w = this.waiters.peek()) {
      if (w.done) {
        this.waiters.shift();
        continue;
      }
      if (this.used + w.cost > cap) break;
      this.waiters.shift();
      w.done = true;
      this.used += w.cost;
      this.queue.push({ batch: w.batch, cost: w.cost });
      w.resolve();
    }
    this.queueSize?.set(this.used);
  }

  // ------------------------------------------------------------------ retry + timeout

  /** Send with retries. Resolves on success; otherwise counts the failure and throws it. */
  private async deliver(batch: Batch<S>): Promise<void> {
    const items = batch.itemCount;
    const r = this.cfg.retry;
    const backoff = r.enabled ? new ExponentialBackoff(r, this.random) : undefined;
    const started = performance.now();
    let attempts = 0;
    for (;;) {
      let err: PipelineError;
      attempts++;
      try {
        const outcome = await this.attempt(batch);
        this.succeeded(items, outcome);
        return;
      } catch (e) {
        err = normalizeError(e);
      }
      if (err.permanent) {
        this.failedItems(items, 'permanent', err);
        throw err;
      }
      if (this.stopping) {
        this.failedItems(items, 'shutdown', err);
        throw retryableError('SY_SHUTTING_DOWN', `exporter ${this.name} shut down: ${err.message}`, undefined, err);
      }
      if (backoff === undefined) {
        this.failedItems(items, err.code === 'SY_TIMEOUT' ? 'timeout' : 'retry_disabled', err);
        throw err;
      }
      let delay = backoff.next();
      if (err.retryAfterMs !== undefined && err.retryAfterMs > delay) delay = err.retryAfterMs;
      const elapsed = performance.now() - started;
      if (r.maxElapsedMs > 0 && elapsed + delay > r.maxElapsedMs) {
        this.failedItems(items, 'retries_exhausted', err);
        throw retryableError(
          'SY_RETRIES_EXHAUSTED',
          `exporter ${this.name}: no more retries left after ${attempts} attempt(s) in ${Math.round(elapsed)} ms: ${err.message}`,
          undefined,
          err,
        );
      }
      await this.sleep(delay);
    }
  }

  /** One attempt, bounded by the timeout and cut short by the shutdown deadline. */
  private async attempt(batch: Batch<S>): Promise<SendOutcome> {
    const stop = this.stop.signal;
    if (stop.aborted) throw stop.reason;
    const ac = new AbortController();
    const onStop = (): void => ac.abort(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    const timeoutMs = this.cfg.timeoutMs;
    const timer =
      timeoutMs > 0
        ? setTimeout(
            () => ac.abort(retryableError('SY_TIMEOUT', `export attempt timed out after ${timeoutMs} ms`)),
            Math.min(timeoutMs, MAX_TIMER_MS),
          )
        : undefined;
    try {
      let sending: Promise<SendOutcome>;
      try {
        sending = this.send(batch, ac.signal);
      } catch (e) {
        sending = Promise.reject(e);
      }
      return await raceAbort(sending, ac.signal);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
  }

  /** Wait `ms`; returns early when shutdown begins (retries are cut short). */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.min(ms, MAX_TIMER_MS));
      this.sleepers.add(wake);
    });
  }

  // ------------------------------------------------------------------ accounting

  private succeeded(items: number, outcome: SendOutcome): void {
    let rejected = 0;
    if (outcome !== undefined && outcome.rejectedItems > 0) {
      rejected = Math.min(items, Math.floor(outcome.rejectedItems));
      const reason = outcome.reason ?? 'partial_success';
      this.failedSeries(reason).add(rejected);
      this.log.warn(
        reason,
        { exporter: this.name, reason, rejected },
        reason === 'partial_success'
          ? `destination accepted the request but rejected ${rejected} ${this.noun}: ${outcome.message}`
          : `${rejected} ${this.noun} could not be written: ${outcome.message}`,
      );
    }
    this.sent.add(items - rejected);
    if (this.degraded) {
      this.degraded = false;
      this.host?.reportStatus(this.settings.id, 'exporter', 'ok');
    }
  }

  private failedItems(items: number, reason: DropReason, err: PipelineError): void {
    this.failedSeries(reason).add(items);
    const queued = this.cfg.queue.enabled;
    this.log.warn(
      reason,
      { exporter: this.name, reason, items, code: err.code, error: err.message },
      queued
        ? `exporting failed (${reason}); dropping ${items} ${this.noun}`
        : `exporting failed (${reason}); returning the error to the caller`,
    );
    if (reason !== 'permanent' && reason !== 'shutdown' && !this.degraded) {
      this.degraded = true;
      this.host?.reportStatus(this.settings.id, 'exporter', 'recoverable_error', err.message);
    }
  }

  private failedSeries(reason: DropReason): CounterSeries {
    let s = this.failed.get(reason);
    if (s === undefined) {
      s = this.failedCounter.with({ exporter: this.name, reason });
      this.failed.set(reason, s);
    }
    return s;
  }

  // ------------------------------------------------------------------ shutdown

  private isIdle(): boolean {
    return this.active === 0 && this.queue.length === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async doShutdown(): Promise<void> {
    this.stopping = true;
    // Producers blocked on a full queue are refused.
    for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) {
      if (w.done) continue;
      w.done = true;
      this.enqueueFailed.add(w.batch.itemCount);
      w.reject(retryableError('SY_SHUTTING_DOWN', `exporter ${this.name} is shutting down`));
    }
    // Batches waiting for a retry get one last attempt now.
    for (const wake of [...this.sleepers]) wake();
    if (!this.isIdle()) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.drainTimeoutMs);
      });
      const drained = await Promise.race([this.whenIdle().then(() => true), deadline]);
      clearTimeout(timer);
      if (!drained) {
        let dropped = 0;
        let batches = 0;
        for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) {
          dropped += e.batch.itemCount;
          batches++;
          this.used -= e.cost;
        }
        if (dropped > 0) this.failedSeries('shutdown').add(dropped);
        this.queueSize?.set(this.used);
        this.logger.warn(
          { exporter: this.name, reason: 'shutdown', items: dropped, batches, in_flight: this.active },
          `sending queue not drained within ${this.drainTimeoutMs} ms; dropped ${dropped} queued ${this.noun} and aborting exports in flight`,
        );
        this.stop.abort(
          retryableError('SY_SHUTTING_DOWN', `exporter ${this.name} shut down before the export finished`),
        );
        await this.whenIdle();
      }
    }
    try {
      if (this.opts.shutdown !== undefined) await this.opts.shutdown();
    } catch (err) {
      this.logger.error({ exporter: this.name, error: errorMessage(err) }, 'exporter shutdown failed');
    }
  }
}

/** Every failure as a PipelineError: unknown errors are retryable (as in the Collector), except
 * data that cannot be decoded, which would fail the same way every time. */
function normalizeError(e: unknown): PipelineError {
  if (e instanceof PipelineError) return e;
  if (e instanceof DecodeError) return permanentError('SY_DECODE', e.message, e);
  return retryableError('SY_EXPORT_RETRYABLE', errorMessage(e), undefined, e);
}

/** Settle with `p`, or reject with `signal.reason` as soon as `signal` aborts. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** What one batch takes of a queue measured in `sizer` units. Bytes are those of the protobuf
 * encoding, which the batch caches (the received bytes when nothing changed it). */
function queueCost(sizer: 'requests' | 'items' | 'bytes', batch: Batch<Signal>): number {
  switch (sizer) {
    case 'requests':
      return 1;
    case 'items':
      return batch.itemCount;
    case 'bytes':
      return batch.toProto().byteLength;
    default:
      throw new Error(`unknown sizer ${String(sizer)}`);
  }
}

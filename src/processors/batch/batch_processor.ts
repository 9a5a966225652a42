// The batch processor: collects batches and sends them on when `send_batch_size` items are
// pending or `timeout` has passed, split to at most `send_batch_max_size` items.
//
// Like the Collector's, it acknowledges data (consume resolves) once it is pending, before it is
// exported: a downstream failure cannot be reported to the sender any more, so it is logged
// (rate-limited) and counted in switchyard_processor_batch_refused_downstream_items_total{reason}.
// Sends run one at a time, in arrival order. While a send is in flight, at most about
// 2 x max(send_batch_size, send_batch_max_size) items wait; beyond that consume() waits for the
// send to finish, so a slow consumer downstream slows the sender instead of growing memory.
import type { Consumer, CreateSettings, Host, Processor } from '../../component/component.js';
import { errorCode, errorMessage, isPermanent, retryableError } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import { durationMs } from '../../config/types.js';
import { type ProcessorItemCounters, processorItemCounters } from '../../helpers/processorhelper.js';
import { Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import type { Counter, CounterSeries, HistogramSeries } from '../../telemetry/metrics.js';
import { RateLimitedLog } from '../../telemetry/ratelimit.js';
import type { BatchConfig } from './config.js';
import { chunkBatch } from './split.js';

/** Bucket bounds (items) of otelcol_processor_batch_batch_send_size, as the Collector's. */
export const SEND_SIZE_BOUNDS: readonly number[] = [
  10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 20_000, 30_000,
  50_000, 100_000,
];
/** Bucket bounds (bytes) of otelcol_processor_batch_batch_send_size_bytes. */
export const SEND_BYTES_BOUNDS: readonly number[] = [
  10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 20_000, 30_000,
  50_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 700_000, 800_000, 900_000, 1_000_000, 2_000_000,
  3_000_000, 4_000_000, 5_000_000, 6_000_000, 7_000_000, 8_000_000, 9_000_000,
];

type Trigger = 'size' | 'timeout' | 'shutdown';

interface Instruments {
  readonly items: ProcessorItemCounters;
  readonly sizeTrigger: CounterSeries;
  readonly timeoutTrigger: CounterSeries;
  readonly sendSize: HistogramSeries;
  readonly sendBytes: HistogramSeries;
  readonly dropped: Counter;
}

export class BatchProcessor<S extends Signal> implements Processor<S> {
  readonly mutatesData = false;

  private readonly sendBatchSize: number;
  /** Items per sent batch; Infinity when send_batch_max_size is 0. */
  private readonly maxSize: number;
  private readonly timeoutMs: number;
  private readonly highWater: number;
  private readonly name: string;
  private readonly m: Instruments;
  private readonly failLog: RateLimitedLog;

  private pending: Batch<S>[] = [];
  private pendingItems = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerFired = false;
  private closed = false;
  /** The running send loop, if any. */
  private sending: Promise<void> | undefined;
  private waiters: Array<() => void> = [];
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: BatchConfig,
    private readonly signal: S,
    private readonly next: Consumer<S>,
  ) {
    this.sendBatchSize = config.send_batch_size;
    this.maxSize = config.send_batch_max_size > 0 ? config.send_batch_max_size : Number.POSITIVE_INFINITY;
    this.timeoutMs = durationMs(config.timeout);
    this.highWater = 2 * Math.max(config.send_batch_size, config.send_batch_max_size, 1);
    this.name = formatComponentId(settings.id);
    this.failLog = new RateLimitedLog(settings.logger, 10_000);
    const labels = { processor: this.name };
    const reg = settings.metrics;
    this.m = {
      items: processorItemCounters(settings, signal),
      sizeTrigger: reg
        .counter(
          'otelcol_processor_batch_batch_size_trigger_send_total',
          'Batches sent because send_batch_size was reached.',
        )
        .with(labels),
      timeoutTrigger: reg
        .counter('otelcol_processor_batch_timeout_trigger_send_total', 'Batches sent because the timeout passed.')
        .with(labels),
      sendSize: reg
        .histogram(
          'otelcol_processor_batch_batch_send_size',
          'Items (spans, metric points, log records) per sent batch.',
          SEND_SIZE_BOUNDS,
        )
        .with(labels),
      sendBytes: reg
        .histogram(
          'otelcol_processor_batch_batch_send_size_bytes',
          'Protobuf bytes per sent batch (only batches still in wire form are measured).',
          SEND_BYTES_BOUNDS,
        )
        .with(labels),
      dropped: reg.counter(
        'switchyard_processor_batch_refused_downstream_items_total',
        'Items the batch processor had acknowledged and the next consumer then refused (reason = error code). With several exporters some may still have delivered them; each exporter counts its own losses in otelcol_exporter_*.',
      ),
    };
  }

  async start(_host: Host): Promise<void> {
    if (this.config.metadata_keys.length > 0) {
      this.settings.logger.warn(
        { metadata_keys: this.config.metadata_keys },
        'metadata_keys is accepted but not implemented yet: all data is batched together',
      );
    }
  }

  async consume(batch: Batch<S>): Promise<void> {
    if (this.closed) throw retryableError('SY_SHUTTING_DOWN', `processor ${this.name} is shut down`);
    const n = batch.itemCount;
    this.m.items.incoming.add(n);
    this.pending.push(batch);
    this.pendingItems += n;
    // Start the timeout with the first pending item (not while a timeout flush is under way).
    if (this.timer === undefined && !this.timerFired && this.timeoutMs > 0) this.armTimer();
    this.pump();
    if (this.sending !== undefined && this.pendingItems >= this.highWater) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Flushes everything pending (split to send_batch_max_size), waits for the sends, then
   * refuses further data. Safe to call twice and without start. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise === undefined) {
      this.closed = true;
      this.clearTimer();
      this.pump();
      this.shutdownPromise = (this.sending ?? Promise.resolve()).then(() => this.releaseWaiters(true));
    }
    return this.shutdownPromise;
  }

  /** Items waiting to be sent (tests, status pages). */
  get pendingCount(): number {
    return this.pendingItems;
  }

  private pump(): void {
    if (this.sending !== undefined) return;
    if (this.ready() === undefined) return;
    this.sending = this.sendLoop().finally(() => {
      this.sending = undefined;
      // Data may have arrived and become ready while the last send finished.
      if (this.ready() !== undefined) this.pump();
    });
  }

  /** Why pending data should go now, or undefined when it should wait. */
  private ready(): Trigger | undefined {
    if (this.pending.length === 0) return undefined;
    if (this.closed) return 'shutdown';
    if (this.pendingItems >= this.sendBatchSize) return 'size';
    if (this.timerFired || this.timeoutMs === 0) return 'timeout';
    return undefined;
  }

  private async sendLoop(): Promise<void> {
    for (let trigger = this.ready(); trigger !== undefined; trigger = this.ready()) {
      const batch = this.take();
      if (this.pending.length === 0) {
        this.clearTimer();
      } else if (trigger === 'size' && !this.closed && this.timeoutMs > 0) {
        this.armTimer(); // as the Collector: the timeout restarts after a size-triggered send
      }
      this.releaseWaiters(false);
      await this.send(batch, trigger);
    }
  }

  /** Take up to maxSize items off the front of the pending list, splitting a batch that
   * straddles the limit (its remaining pieces stay at the front, in order). */
  private take(): Batch<S> {
    const parts: Batch<S>[] = [];
    let n = 0;
    while (this.pending.length > 0) {
      const head = this.pending[0] as Batch<S>;
      if (n + head.itemCount <= this.maxSize) {
        parts.push(head);
        this.pending.shift();
        n += head.itemCount;
        continue;
      }
      const room = this.maxSize - n;
      if (room === 0) break;
      const pieces = chunkBatch(head, room, this.maxSize);
      this.pending.splice(0, 1, ...pieces);
      parts.push(pieces[0] as Batch<S>);
      this.pending.shift();
      n += room;
      break;
    }
    this.pendingItems -= n;
    const merged = Batch.merge(this.signal, parts);
    // A merge of decoded requests reuses the parts' objects: keep their read-only mark.
    if (merged !== parts[0] && !merged.hasProto && parts.some((p) => p.readOnly)) merged.markReadOnly();
    return merged;
  }

  private async send(batch: Batch<S>, trigger: Trigger): Promise<void> {
    const n = batch.itemCount;
    this.m.items.outgoing.add(n);
    this.m.sendSize.record(n);
    if (batch.hasProto) this.m.sendBytes.record(batch.toProto().byteLength);
    if (trigger === 'size') this.m.sizeTrigger.add();
    else if (trigger === 'timeout') this.m.timeoutTrigger.add();
    try {
      await this.next.consume(batch);
    } catch (err) {
      const reason = errorCode(err);
      this.m.dropped.add(n, { processor: this.name, otel_signal: this.signal, reason });
      this.failLog.warn(
        reason,
        { err: errorMessage(err), code: reason, permanent: isPermanent(err), items: n },
        'next consumer refused a batch the batch processor had already acknowledged; the items are dropped',
      );
    }
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerFired = true;
      this.pump();
    }, this.timeoutMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerFired = false;
  }

  private releaseWaiters(all: boolean): void {
    if (this.waiters.length === 0 || (!all && this.pendingItems >= this.highWater)) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

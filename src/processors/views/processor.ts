// The views processor: applies OpenTelemetry SDK-style views to metric streams inside the pipeline.
// Unselected metrics pass straight through (the batch itself when nothing is selected); selected streams are
// absorbed into the view engine and emitted once per `interval` (and on shutdown) as one batch.
import type { Consumer, CreateSettings, Host, Processor } from '../../component/component.js';
import { errorCode, errorMessage, isPermanent, retryableError } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import { durationMs } from '../../config/types.js';
import { type ProcessorItemCounters, processorItemCounters } from '../../helpers/processorhelper.js';
import { Batch, countItems } from '../../pdata/batch.js';
import type { ExportMetricsServiceRequest, Signal } from '../../pdata/model.js';
import type { Counter, CounterSeries } from '../../telemetry/metrics.js';
import { RateLimitedLog } from '../../telemetry/ratelimit.js';
import type { ViewsConfig } from './config.js';
import { compileView, type DropReason, type EngineStats, type LossyReason, ViewEngine } from './engine.js';

export interface ViewsProcessorOptions {
  /** Clock for emission timestamps (Unix ns); default the wall clock. */
  readonly now?: () => bigint;
  /** Do not start the emission timer (tests drive `flush()`). */
  readonly manualFlush?: boolean;
}

const wallClockNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

export class ViewsProcessor<S extends Signal> implements Processor<S> {
  readonly mutatesData = false;
  readonly engine: ViewEngine;
  private readonly name: string;
  private readonly items: ProcessorItemCounters;
  private readonly dropped: Counter;
  private readonly droppedBy = new Map<string, CounterSeries>();
  private readonly overflowPoints: CounterSeries;
  private readonly lossy: Counter;
  private readonly lossyBy = new Map<string, CounterSeries>();
  private readonly resets: CounterSeries;
  private readonly emitted: CounterSeries;
  private readonly warn: RateLimitedLog;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    settings: CreateSettings,
    config: ViewsConfig,
    private readonly signal: S,
    private readonly next: Consumer<S>,
    private readonly opts: ViewsProcessorOptions = {},
  ) {
    this.name = formatComponentId(settings.id);
    this.items = processorItemCounters(settings, signal);
    this.warn = new RateLimitedLog(settings.logger, 10_000);
    const reg = settings.metrics;
    const labels = { processor: this.name };
    this.dropped = reg.counter(
      'switchyard_processor_views_dropped_points_total',
      'Metric points a view did not aggregate, by reason (drop_aggregation, unconvertible, no_value, ' +
        'no_recorded_value, out_of_order, input_limit, view_conflict, downstream).',
    );
    this.overflowPoints = reg
      .counter(
        'switchyard_processor_views_overflow_points_total',
        'Metric points aggregated into the otel.metric.overflow=true series because an output metric reached its cardinality limit.',
      )
      .with(labels);
    this.lossy = reg.counter(
      'switchyard_processor_views_lossy_points_total',
      'Distribution points converted with loss of bucket precision (rebucket, explicit_to_exponential, exponential_to_explicit).',
    );
    this.resets = reg
      .counter('switchyard_processor_views_resets_total', 'Resets detected in cumulative input series.')
      .with(labels);
    this.emitted = reg
      .counter('switchyard_processor_views_emitted_points_total', 'Points the views processor emitted from its state.')
      .with(labels);
    const series = reg.gauge('switchyard_processor_views_series', 'Series held in state (kind = input or output).');
    const inSeries = series.with({ ...labels, kind: 'input' });
    const outSeries = series.with({ ...labels, kind: 'output' });
    series.onCollect(() => {
      const st = this.engine.stats();
      inSeries.set(st.inputSeries);
      outSeries.set(st.outputSeries);
    });
    this.intervalMs = durationMs(config.interval);
    const expiryEpochs = Math.max(1, Math.ceil(durationMs(config.state_expiry) / this.intervalMs));
    this.engine = new ViewEngine({
      views: config.views.map((v, i) => compileView(v, i, config.cardinality_limit)),
      expiryEpochs,
      now: opts.now ?? wallClockNs,
      hooks: {
        dropped: (reason, n, metric) => this.countDropped(reason, n, metric),
        overflow: (n, metric) => {
          this.overflowPoints.add(n);
          this.warn.warn(
            `overflow:${metric}`,
            { metric },
            'output metric reached its cardinality limit; new series go to the otel.metric.overflow=true series',
          );
        },
        lossy: (reason, n) => this.countLossy(reason, n),
        reset: () => this.resets.add(),
      },
    });
  }

  private countDropped(reason: DropReason | 'downstream', n: number, metric: string): void {
    let c = this.droppedBy.get(reason);
    if (c === undefined) {
      c = this.dropped.with({ processor: this.name, reason });
      this.droppedBy.set(reason, c);
    }
    c.add(n);
    if (reason !== 'no_recorded_value' && reason !== 'drop_aggregation') {
      this.warn.warn(reason, { reason, metric, points: n }, 'views processor dropped metric points');
    }
  }

  private countLossy(reason: LossyReason, n: number): void {
    let c = this.lossyBy.get(reason);
    if (c === undefined) {
      c = this.lossy.with({ processor: this.name, reason });
      this.lossyBy.set(reason, c);
    }
    c.add(n);
  }

  stats(): EngineStats {
    return this.engine.stats();
  }

  async start(_host: Host): Promise<void> {
    if (this.opts.manualFlush === true || this.signal !== 'metrics' || this.engine.views.length === 0) return;
    this.timer = setInterval(() => {
      // emit() handles refusals downstream; anything else is a bug: log it, keep the timer running.
      this.flush().catch((err: unknown) =>
        this.warn.warn(
          'emit_bug',
          { err: errorMessage(err) },
          'views processor failed to emit; will retry next interval',
        ),
      );
    }, this.intervalMs);
    this.timer.unref();
  }

  async consume(batch: Batch<S>): Promise<void> {
    if (this.closed) throw retryableError('SY_SHUTTING_DOWN', `processor ${this.name} is shut down`);
    const n = batch.itemCount;
    this.items.incoming.add(n);
    if (this.signal !== 'metrics' || this.engine.views.length === 0) {
      this.items.outgoing.add(n);
      await this.next.consume(batch);
      return;
    }
    const req = batch.request() as ExportMetricsServiceRequest;
    const { passthrough } = this.engine.process(req);
    if (passthrough === req) {
      this.items.outgoing.add(n);
      await this.next.consume(batch);
      return;
    }
    const left = countItems('metrics', passthrough);
    if (left === 0) return;
    const out = Batch.fromRequest('metrics', passthrough) as unknown as Batch<S>;
    // The pass-through request shares the input's objects: keep its read-only mark.
    if (batch.readOnly) out.markReadOnly();
    this.items.outgoing.add(left);
    await this.next.consume(out);
  }

  /** Emits what the views hold now (one batch). Concurrent calls share one emission. */
  flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    this.flushing = this.emit().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async emit(): Promise<void> {
    const req = this.engine.flush();
    if (req === undefined) return;
    const n = countItems('metrics', req);
    if (n === 0) return;
    this.emitted.add(n);
    this.items.outgoing.add(n);
    try {
      await this.next.consume(Batch.fromRequest('metrics', req) as unknown as Batch<S>);
    } catch (err) {
      const reason = errorCode(err);
      this.countDropped('downstream', n, '*');
      this.warn.warn(
        `downstream:${reason}`,
        { err: errorMessage(err), code: reason, permanent: isPermanent(err), points: n },
        'next consumer refused points the views processor emitted; they are dropped',
      );
    }
  }

  /** Emits what is held, then refuses further data. Safe to call twice and without start. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise === undefined) {
      this.closed = true;
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      const pending = this.flushing ?? Promise.resolve();
      this.shutdownPromise = pending.then(() => (this.engine.views.length > 0 ? this.flush() : undefined));
    }
    return this.shutdownPromise;
  }
}

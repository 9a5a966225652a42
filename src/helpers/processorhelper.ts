// The processor helper: the author writes a pure function over a batch; the helper counts
// items in and out, treats `undefined` as "drop this batch", calls `next` and propagates errors.
// (The Collector's processorhelper idea: "the function MUST NOT call the next component".)
import type { Consumer, CreateSettings, Host, Processor } from '../component/component.js';
import { errorMessage, PipelineError, permanentError, retryableError } from '../component/errors.js';
import { formatComponentId } from '../component/id.js';
import type { Batch } from '../pdata/batch.js';
import type { Signal } from '../pdata/model.js';
import type { CounterSeries } from '../telemetry/metrics.js';
import { RateLimitedLog } from '../telemetry/ratelimit.js';

/** What a processor does to one batch: return it (changed or not), return a new batch, or
 * return `undefined` to drop it (filtered). Throw a PipelineError to refuse it. */
export type ProcessFn<S extends Signal> = (batch: Batch<S>) => Batch<S> | undefined | Promise<Batch<S> | undefined>;

export interface ProcessorOptions {
  /** Whether `fn` changes the batch it receives (the fanout then hands it a batch it owns). */
  readonly mutatesData: boolean;
  readonly start?: (host: Host) => Promise<void>;
  /** Called once, however many times the processor is shut down. */
  readonly shutdown?: () => Promise<void>;
}

/** The item counters every processor keeps, bound to `{processor, otel_signal}`. */
export interface ProcessorItemCounters {
  readonly incoming: CounterSeries;
  readonly outgoing: CounterSeries;
}

export function processorItemCounters(settings: CreateSettings, signal: Signal): ProcessorItemCounters {
  const labels = { processor: formatComponentId(settings.id), otel_signal: signal };
  return {
    incoming: settings.metrics
      .counter(
        'otelcol_processor_incoming_items_total',
        'Items (spans, metric points, log records) passed to a processor.',
      )
      .with(labels),
    outgoing: settings.metrics
      .counter(
        'otelcol_processor_outgoing_items_total',
        'Items (spans, metric points, log records) a processor passed on.',
      )
      .with(labels),
  };
}

/**
 * Build a Processor from a pure function. Errors thrown by `fn` that are not PipelineErrors are
 * bugs: they are logged (rate-limited) and turned into permanent `SY_INTERNAL` errors, since
 * retrying the same batch through the same code would fail the same way. Errors from `next`
 * propagate unchanged. After shutdown, `consume` refuses with a retryable `SY_SHUTTING_DOWN`.
 */
export function createProcessor<S extends Signal>(
  settings: CreateSettings,
  signal: S,
  next: Consumer<S>,
  fn: ProcessFn<S>,
  opts: ProcessorOptions,
): Processor<S> {
  const counters = processorItemCounters(settings, signal);
  const bugLog = new RateLimitedLog(settings.logger, 10_000);
  let stopped = false;
  let shutdownPromise: Promise<void> | undefined;

  return {
    mutatesData: opts.mutatesData,
    async start(host: Host): Promise<void> {
      if (opts.start !== undefined) await opts.start(host);
    },
    shutdown(): Promise<void> {
      stopped = true;
      if (shutdownPromise === undefined)
        shutdownPromise = opts.shutdown === undefined ? Promise.resolve() : opts.shutdown();
      return shutdownPromise;
    },
    async consume(batch: Batch<S>): Promise<void> {
      if (stopped) {
        throw retryableError('SY_SHUTTING_DOWN', `processor ${formatComponentId(settings.id)} is shut down`);
      }
      counters.incoming.add(batch.itemCount);
      let out: Batch<S> | undefined;
      try {
        out = await fn(batch);
      } catch (err) {
        if (err instanceof PipelineError) throw err;
        bugLog.warn(
          'internal',
          { err: errorMessage(err) },
          'processor function threw an unexpected error; batch refused',
        );
        throw permanentError('SY_INTERNAL', `processor ${formatComponentId(settings.id)}: ${errorMessage(err)}`, err);
      }
      if (out === undefined) return;
      counters.outgoing.add(out.itemCount);
      await next.consume(out);
    },
  };
}

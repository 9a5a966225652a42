// The memory_limiter processor and the admission guard it shares with receivers.
//
// Instances with the same component id (one per pipeline) share one checker, as in the
// Collector: the checker starts with the first started instance and stops with the last.
import type { Consumer, CreateSettings, MemoryGuard, Processor } from '../../component/component.js';
import { retryableError } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import { createProcessor } from '../../helpers/processorhelper.js';
import { itemNoun } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import { type CheckerGauges, MemoryChecker, type MemoryLimiterDeps } from './checker.js';
import type { MemoryLimiterConfig } from './config.js';

/** Every started checker, across factories: what the shared guard reflects. */
const active = new Set<MemoryChecker>();

const guard: MemoryGuard = {
  refuseFor(): number | undefined {
    let delay: number | undefined;
    for (const c of active) {
      const d = c.refuseFor();
      if (d !== undefined && (delay === undefined || d > delay)) delay = d;
    }
    return delay;
  },
};

/**
 * The admission guard for receivers: refuses (with a retry delay) while any started
 * memory_limiter is over its soft limit. Undefined while no memory_limiter is running.
 */
export function sharedMemoryGuard(): MemoryGuard | undefined {
  return active.size === 0 ? undefined : guard;
}

function checkerGauges(settings: CreateSettings): CheckerGauges {
  const reg = settings.metrics;
  return {
    usage: reg.gauge(
      'switchyard_memory_limiter_usage_bytes',
      'Memory the limiter measured (V8 heapUsed + external), bytes.',
    ),
    limit: reg.gauge(
      'switchyard_memory_limiter_limit_bytes',
      'The memory limiter hard and soft limits (label limit), bytes.',
    ),
    refusing: reg.gauge('switchyard_memory_limiter_refusing', '1 while the memory limiter refuses data, else 0.'),
  };
}

/** Checkers by component id (and config, so a reload with new limits gets a new checker). */
export class CheckerRegistry {
  private readonly entries = new Map<string, { checker: MemoryChecker; refs: number }>();

  constructor(private readonly deps?: MemoryLimiterDeps) {}

  acquire(settings: CreateSettings, config: MemoryLimiterConfig): MemoryChecker {
    const key = this.key(settings, config);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const checker = new MemoryChecker({
        name: formatComponentId(settings.id),
        config,
        logger: settings.logger,
        gauges: checkerGauges(settings),
        deps: this.deps,
      });
      entry = { checker, refs: 0 };
      this.entries.set(key, entry);
    }
    entry.refs++;
    if (entry.refs === 1) {
      entry.checker.start();
      active.add(entry.checker);
    }
    return entry.checker;
  }

  release(settings: CreateSettings, config: MemoryLimiterConfig): void {
    const key = this.key(settings, config);
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    entry.refs--;
    if (entry.refs <= 0) {
      entry.checker.stop();
      active.delete(entry.checker);
      this.entries.delete(key);
    }
  }

  private key(settings: CreateSettings, config: MemoryLimiterConfig): string {
    return `${formatComponentId(settings.id)}\u0000${JSON.stringify(config)}`;
  }
}

export function createMemoryLimiter<S extends Signal>(
  settings: CreateSettings,
  config: MemoryLimiterConfig,
  signal: S,
  next: Consumer<S>,
  registry: CheckerRegistry,
): Processor<S> {
  const name = formatComponentId(settings.id);
  const noun = itemNoun(signal);
  const refused = settings.metrics
    .counter(`otelcol_processor_refused_${noun}_total`, `${noun.replace('_', ' ')} refused by the memory limiter.`)
    .with({ processor: name });
  let checker: MemoryChecker | undefined;
  let unsubscribe: (() => void) | undefined;

  return createProcessor(
    settings,
    signal,
    next,
    (batch) => {
      const delay = checker?.refuseFor();
      if (checker === undefined || delay === undefined) return batch;
      refused.add(batch.itemCount);
      throw retryableError('SY_MEMORY_LIMIT', checker.message, delay);
    },
    {
      mutatesData: false,
      start: async (host) => {
        if (checker !== undefined) return;
        const c = registry.acquire(settings, config);
        checker = c;
        const report = (refusing: boolean, message: string) =>
          host.reportStatus(
            settings.id,
            'processor',
            refusing ? 'recoverable_error' : 'ok',
            refusing ? message : undefined,
          );
        unsubscribe = c.onChange(report);
        if (c.refusing) report(true, c.message);
      },
      shutdown: async () => {
        unsubscribe?.();
        unsubscribe = undefined;
        if (checker !== undefined) registry.release(settings, config);
        checker = undefined;
      },
    },
  );
}

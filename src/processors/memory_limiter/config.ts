// Config of the memory_limiter processor: schema (shapes, ranges, defaults) and cross-field checks.
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration, durationMs } from '../../config/types.js';

export const DEFAULT_CHECK_INTERVAL = '1s';
export const DEFAULT_MIN_GC_INTERVAL_WHEN_SOFT_LIMITED = '10s';
export const DEFAULT_MIN_GC_INTERVAL_WHEN_HARD_LIMITED = '0';

export const MemoryLimiterConfigSchema = Type.Object(
  {
    check_interval: Duration('Time between memory measurements; must be > 0.', DEFAULT_CHECK_INTERVAL),
    limit_mib: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Hard limit, MiB of measured memory. Takes precedence over limit_percentage.',
    }),
    spike_limit_mib: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'Expected growth between checks, MiB; soft limit = limit_mib - spike_limit_mib. 0 = 20% of limit_mib.',
    }),
    limit_percentage: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 0,
      description: 'Hard limit as a percentage of the memory available (container limit, else total memory).',
    }),
    spike_limit_percentage: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 0,
      description: 'Spike allowance as a percentage of the memory available. 0 = 20% of the limit.',
    }),
    min_gc_interval_when_soft_limited: Duration(
      'Minimum time between forced GCs while memory is above the soft limit.',
      DEFAULT_MIN_GC_INTERVAL_WHEN_SOFT_LIMITED,
    ),
    min_gc_interval_when_hard_limited: Duration(
      'Minimum time between forced GCs above the hard limit; grows by backoff while GC does not help.',
      DEFAULT_MIN_GC_INTERVAL_WHEN_HARD_LIMITED,
    ),
  },
  { additionalProperties: false },
);

export type MemoryLimiterConfig = Static<typeof MemoryLimiterConfigSchema>;

export function defaultMemoryLimiterConfig(): MemoryLimiterConfig {
  return {
    check_interval: DEFAULT_CHECK_INTERVAL,
    limit_mib: 0,
    spike_limit_mib: 0,
    limit_percentage: 0,
    spike_limit_percentage: 0,
    min_gc_interval_when_soft_limited: DEFAULT_MIN_GC_INTERVAL_WHEN_SOFT_LIMITED,
    min_gc_interval_when_hard_limited: DEFAULT_MIN_GC_INTERVAL_WHEN_HARD_LIMITED,
  };
}

export function validateMemoryLimiterConfig(c: MemoryLimiterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (durationMs(c.check_interval) <= 0) {
    problems.push({
      path: ['check_interval'],
      message: `must be greater than zero (e.g. 1s); got ${c.check_interval}`,
    });
  }
  if (durationMs(c.min_gc_interval_when_soft_limited) < durationMs(c.min_gc_interval_when_hard_limited)) {
    problems.push({
      path: ['min_gc_interval_when_soft_limited'],
      message: `must be at least min_gc_interval_when_hard_limited (${c.min_gc_interval_when_hard_limited})`,
    });
  }
  if (c.limit_mib === 0 && c.limit_percentage === 0) {
    problems.push({
      path: ['limit_mib'],
      message: 'set limit_mib (MiB) or limit_percentage (% of available memory); both are 0',
    });
  }
  if (c.limit_mib > 0 && c.spike_limit_mib >= c.limit_mib) {
    problems.push({
      path: ['spike_limit_mib'],
      message: `must be smaller than limit_mib (${c.limit_mib}); got ${c.spike_limit_mib}`,
    });
  }
  if (c.limit_mib === 0 && c.limit_percentage > 0 && c.spike_limit_percentage >= c.limit_percentage) {
    problems.push({
      path: ['spike_limit_percentage'],
      message: `must be smaller than limit_percentage (${c.limit_percentage}); got ${c.spike_limit_percentage}`,
    });
  }
  return problems;
}

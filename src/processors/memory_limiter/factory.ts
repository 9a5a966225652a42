// The `memory_limiter` processor factory.
import type { ProcessorFactory } from '../../component/component.js';
import type { MemoryLimiterDeps } from './checker.js';
import {
  defaultMemoryLimiterConfig,
  type MemoryLimiterConfig,
  MemoryLimiterConfigSchema,
  validateMemoryLimiterConfig,
} from './config.js';
import { CheckerRegistry, createMemoryLimiter } from './memory_limiter.js';

/** A memory_limiter factory; tests inject the memory readings, GC and ticker through `deps`. */
export function createMemoryLimiterProcessorFactory(deps?: MemoryLimiterDeps): ProcessorFactory<MemoryLimiterConfig> {
  const registry = new CheckerRegistry(deps);
  return {
    kind: 'processor',
    type: 'memory_limiter',
    description: 'Refuses data (retryable) while memory use is above a soft limit, so senders back off.',
    configSchema: MemoryLimiterConfigSchema,
    stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
    createDefaultConfig: defaultMemoryLimiterConfig,
    validate: validateMemoryLimiterConfig,
    create(settings, config, signal, next) {
      return createMemoryLimiter(settings, config, signal, next, registry);
    },
  };
}

export const memoryLimiterProcessorFactory = createMemoryLimiterProcessorFactory();

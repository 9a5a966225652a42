// memory_limiter: the processor factory and the admission guard shared with receivers.
export {
  computeLimits,
  defaultReadUsage,
  defaultTotalMemory,
  type MemoryLimiterDeps,
  type MemoryLimits,
} from './checker.js';
export { type MemoryLimiterConfig, MemoryLimiterConfigSchema } from './config.js';
export { createMemoryLimiterProcessorFactory, memoryLimiterProcessorFactory } from './factory.js';
export { sharedMemoryGuard } from './memory_limiter.js';

// The memory checker behind memory_limiter: measures memory every check_interval, decides
// whether data must be refused, and forces a GC (when exposed) with backoff.
//
// What is measured: V8 heap in use + `external` (`process.memoryUsage()`: heapUsed + external).
// Buffers and other ArrayBuffers - where protobuf payloads live - are counted in `external`
// (`arrayBuffers` is a part of it, so it is not added again). RSS is not used: it includes code,
// stacks and heap the allocator keeps after a collection, so it lags behind frees and would keep
// the limiter refusing long after the data is gone. Expect RSS to sit some tens of MiB above the
// measured value (as the Collector's Go heap figure sits below its RSS).
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Logger } from 'pino';
import { durationMs } from '../../config/types.js';
import type { Gauge } from '../../telemetry/metrics.js';
import type { MemoryLimiterConfig } from './config.js';

const MIB = 1024 * 1024;
/** Upper bound of the forced-GC backoff while GC does not bring memory under the hard limit. */
export const MAX_GC_BACKOFF_MS = 30_000;
/** Smallest retry delay advised to refused clients. */
export const MIN_RETRY_AFTER_MS = 1000;

/** Where the checker gets its readings; injectable for tests. */
export interface MemoryLimiterDeps {
  /** Bytes in use now. Default: heapUsed + external. */
  readonly readUsage?: () => number;
  /** Bytes available to the process, for the *_percentage settings. Default: the container
   * limit (process.constrainedMemory()) when it is a real limit, else os.totalmem(). */
  readonly totalMemory?: () => number;
  /** Forces a full GC. Default: the runtime's gc (exposed at start-up, see runtimeGc). */
  readonly gc?: () => void;
  /** Milliseconds clock. Default: Date.now. */
  readonly now?: () => number;
  /** Runs `fn` every `ms` until the returned function is called. Default: an unref'd setInterval. */
  readonly every?: (ms: number, fn: () => void) => () => void;
}

export function defaultReadUsage(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export function defaultTotalMemory(): number {
  const total = os.totalmem();
  // constrainedMemory() is 0 / undefined without a limit, or ~2^64 for an unlimited cgroup.
  const limit = process.constrainedMemory?.();
  return typeof limit === 'number' && limit > 0 && limit < total ? limit : total;
}

function defaultEvery(ms: number, fn: () => void): () => void {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
}

export interface MemoryLimits {
  readonly hardBytes: number;
  readonly softBytes: number;
  /** Which setting the limits came from. */
  readonly from: 'limit_mib' | 'limit_percentage';
  /** The available memory the percentages applied to (limit_percentage only). */
  readonly totalBytes?: number;
}

/** Hard and soft limits in bytes (limit_mib wins over limit_percentage; spike defaults to 20%). */
export function computeLimits(c: MemoryLimiterConfig, totalMemory: () => number): MemoryLimits {
  if (c.limit_mib > 0) {
    const hard = c.limit_mib * MIB;
    const spike = c.spike_limit_mib > 0 ? c.spike_limit_mib * MIB : Math.floor(hard / 5);
    return { hardBytes: hard, softBytes: hard - spike, from: 'limit_mib' };
  }
  const total = totalMemory();
  const hard = Math.floor((total * c.limit_percentage) / 100);
  const spike =
    c.spike_limit_percentage > 0 ? Math.floor((total * c.spike_limit_percentage) / 100) : Math.floor(hard / 5);
  return { hardBytes: hard, softBytes: Math.max(0, hard - spike), from: 'limit_percentage', totalBytes: total };
}

export interface CheckerGauges {
  readonly usage: Gauge;
  readonly limit: Gauge;
  readonly refusing: Gauge;
}

export interface MemoryCheckerOptions {
  /** Component id (`memory_limiter[/name]`), the `processor` label of the gauges. */
  readonly name: string;
  readonly config: MemoryLimiterConfig;
  readonly logger: Logger;
  readonly gauges: CheckerGauges;
  readonly deps?: MemoryLimiterDeps;
}

/** Called when the checker starts or stops refusing. */
export type RefusalListener = (refusing: boolean, message: string) => void;

export class MemoryChecker {
  readonly limits: MemoryLimits;
  readonly checkIntervalMs: number;
  private readonly minGcSoftMs: number;
  private readonly minGcHardMs: number;
  private readonly readUsage: () => number;
  private readonly gc: (() => void) | undefined;
  private readonly now: () => number;
  private readonly every: (ms: number, fn: () => void) => () => void;
  private readonly logger: Logger;
  private readonly labels: { readonly processor: string };
  private readonly gauges: CheckerGauges;
  private readonly listeners = new Set<RefusalListener>();

  private usage = 0;
  private mustRefuse = false;
  private refusalMessage = '';
  private lastGc = Number.NEGATIVE_INFINITY;
  /** Earliest time the next forced GC above the hard limit may run, and the current backoff. */
  private hardGcAllowedAt = Number.NEGATIVE_INFINITY;
  private hardGcBackoffMs: number;
  private stopTicker: (() => void) | undefined;

  constructor(opts: MemoryCheckerOptions) {
    const deps = opts.deps ?? {};
    this.readUsage = deps.readUsage ?? defaultReadUsage;
    this.gc = deps.gc ?? runtimeGc();
    this.now = deps.now ?? Date.now;
    this.every = deps.every ?? defaultEvery;
    this.logger = opts.logger;
    this.gauges = opts.gauges;
    this.labels = { processor: opts.name };
    this.limits = computeLimits(opts.config, deps.totalMemory ?? defaultTotalMemory);
    this.checkIntervalMs = durationMs(opts.config.check_interval);
    this.minGcSoftMs = durationMs(opts.config.min_gc_interval_when_soft_limited);
    this.minGcHardMs = durationMs(opts.config.min_gc_interval_when_hard_limited);
    this.hardGcBackoffMs = this.minGcHardMs;
  }

  /** Measure now, then every check_interval. */
  start(): void {
    if (this.stopTicker !== undefined) return;
    const { hardBytes, softBytes, from, totalBytes } = this.limits;
    const heapLimit = v8.getHeapStatistics().heap_size_limit;
    this.logger.info(
      {
        limit_mib: mib(hardBytes),
        soft_limit_mib: mib(softBytes),
        from,
        total_memory_mib: totalBytes === undefined ? undefined : mib(totalBytes),
        check_interval_ms: this.checkIntervalMs,
        forced_gc: this.gc !== undefined,
      },
      'memory limiter configured (measuring V8 heapUsed + external)',
    );
    if (softBytes > heapLimit) {
      this.logger.warn(
        { soft_limit_mib: mib(softBytes), heap_size_limit_mib: mib(heapLimit) },
        "the soft limit is above V8's heap limit: a heap-heavy load can crash the process before the limiter " +
          'refuses data; raise --max-old-space-size or lower the limit',
      );
    }
    this.gauges.limit.set(hardBytes, { ...this.labels, limit: 'hard' });
    this.gauges.limit.set(softBytes, { ...this.labels, limit: 'soft' });
    this.check();
    this.stopTicker = this.every(this.checkIntervalMs, () => this.check());
  }

  stop(): void {
    this.stopTicker?.();
    this.stopTicker = undefined;
    this.gauges.usage.remove(this.labels);
    this.gauges.refusing.remove(this.labels);
    this.gauges.limit.remove({ ...this.labels, limit: 'hard' });
    this.gauges.limit.remove({ ...this.labels, limit: 'soft' });
  }

  get refusing(): boolean {
    return this.mustRefuse;
  }

  /** The last measured usage, bytes. */
  get usageBytes(): number {
    return this.usage;
  }

  /** Why data is refused (for the error returned to senders). */
  get message(): string {
    return this.refusalMessage;
  }

  /** The delay a refused sender should wait: the next measurement, at least one second. */
  retryAfterMs(): number {
    return Math.max(this.checkIntervalMs, MIN_RETRY_AFTER_MS);
  }

  /** While refusing: the delay, in ms, a sender should wait. */
  refuseFor(): number | undefined {
    return this.mustRefuse ? this.retryAfterMs() : undefined;
  }

  onChange(listener: RefusalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One measurement: update the state and the gauges. Never throws. */
  check(): void {
    let usage: number;
    try {
      usage = this.readUsage();
    } catch (err) {
      this.logger.error({ err: String(err) }, 'reading memory usage failed; keeping the previous state');
      return;
    }
    const { hardBytes, softBytes } = this.limits;
    const now = this.now();

    if (usage >= hardBytes) {
      if (this.gc !== undefined && now >= this.hardGcAllowedAt) {
        this.logger.warn(
          { usage_mib: mib(usage), limit_mib: mib(hardBytes) },
          'memory above the hard limit; forcing a GC',
        );
        usage = this.forceGc(usage, now);
        // GC rarely helps when live data (queues, pending batches) holds the memory: back off.
        this.hardGcBackoffMs =
          usage >= hardBytes
            ? Math.min(MAX_GC_BACKOFF_MS, Math.max(this.hardGcBackoffMs * 2, this.checkIntervalMs))
            : this.minGcHardMs;
        this.hardGcAllowedAt = now + this.hardGcBackoffMs;
      }
    } else {
      this.hardGcBackoffMs = this.minGcHardMs;
      this.hardGcAllowedAt = Number.NEGATIVE_INFINITY;
    }

    const was = this.mustRefuse;
    let refuse = usage >= softBytes;
    // While refusing, nothing allocates and V8 may never collect on its own: keep forcing a GC
    // (at most every min_gc_interval_when_soft_limited) or the refusal could last forever.
    if (refuse && this.gc !== undefined && now - this.lastGc >= this.minGcSoftMs) {
      this.logger.info(
        { usage_mib: mib(usage), soft_limit_mib: mib(softBytes) },
        'memory above the soft limit; forcing a GC',
      );
      usage = this.forceGc(usage, now);
      refuse = usage >= softBytes;
    }

    this.usage = usage;
    this.mustRefuse = refuse;
    this.gauges.usage.set(usage, this.labels);
    this.gauges.refusing.set(refuse ? 1 : 0, this.labels);

    if (refuse) {
      this.refusalMessage =
        `memory usage ${mib(usage)} MiB is above the soft limit ${mib(softBytes)} MiB ` +
        `(hard limit ${mib(hardBytes)} MiB); data refused, retry later`;
    }
    if (refuse && !was) {
      this.logger.warn(
        { usage_mib: mib(usage), soft_limit_mib: mib(softBytes) },
        'memory above the soft limit; refusing data',
      );
      this.notify(true);
    } else if (!refuse && was) {
      this.logger.info(
        { usage_mib: mib(usage), soft_limit_mib: mib(softBytes) },
        'memory back below the soft limit; accepting data',
      );
      this.notify(false);
    }
  }

  private forceGc(before: number, now: number): number {
    try {
      this.gc?.();
    } catch (err) {
      this.logger.error({ err: String(err) }, 'forced GC failed');
      return before;
    }
    this.lastGc = now;
    let after: number;
    try {
      after = this.readUsage();
    } catch {
      return before;
    }
    this.logger.info({ before_mib: mib(before), after_mib: mib(after) }, 'memory after forced GC');
    return after;
  }

  private notify(refusing: boolean): void {
    for (const l of this.listeners) {
      try {
        l(refusing, this.refusalMessage);
      } catch (err) {
        this.logger.error({ err: String(err) }, 'memory limiter listener failed');
      }
    }
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}

/** V8's full GC: `globalThis.gc` when node runs with --expose-gc, else exposed at run time
 * through the V8 flag (the function is taken from a fresh context, where the flag applies).
 * Undefined where neither works. */
export function runtimeGc(): (() => void) | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  try {
    v8.setFlagsFromString('--expose_gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { Ajv } from 'ajv';
import type { ComponentStatus, Consumer, CreateSettings, Host, Processor } from '../../component/component.js';
import { PipelineError } from '../../component/errors.js';
import { Batch } from '../../pdata/batch.js';
import type { ExportTraceServiceRequest, Signal } from '../../pdata/model.js';
import { silentLogger } from '../../telemetry/logger.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';
import { type MemoryLimiterConfig, MemoryLimiterConfigSchema } from './config.js';
import {
  computeLimits,
  createMemoryLimiterProcessorFactory,
  defaultReadUsage,
  defaultTotalMemory,
  memoryLimiterProcessorFactory,
  sharedMemoryGuard,
} from './index.js';

const MiB = 1024 * 1024;

function traces(n: number): Batch<'traces'> {
  const req: ExportTraceServiceRequest = {
    resourceSpans: [
      {
        schemaUrl: '',
        scopeSpans: [
          {
            schemaUrl: '',
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: new Uint8Array(16),
              spanId: new Uint8Array(8),
              traceState: '',
              parentSpanId: new Uint8Array(),
              flags: 0,
              name: `s${i}`,
              kind: 1,
              startTimeUnixNano: 0n,
              endTimeUnixNano: 1n,
              attributes: [],
              droppedAttributesCount: 0,
              events: [],
              droppedEventsCount: 0,
              links: [],
              droppedLinksCount: 0,
            })),
          },
        ],
      },
    ],
  };
  return Batch.fromRequest('traces', req);
}

class Sink<S extends Signal> implements Consumer<S> {
  readonly mutatesData = false;
  items = 0;
  async consume(batch: Batch<S>): Promise<void> {
    this.items += batch.itemCount;
  }
}

class FakeHost implements Host {
  readonly reports: Array<{ id: string; status: ComponentStatus; error?: string }> = [];
  reportStatus(id: { type: string; name: string }, _kind: string, status: ComponentStatus, error?: string): void {
    this.reports.push({ id: id.name === '' ? id.type : `${id.type}/${id.name}`, status, ...(error ? { error } : {}) });
  }
  healthy = () => true;
  statuses = () => [];
  memoryGuard = () => sharedMemoryGuard();
}

/** A memory_limiter with a fake memory reading, GC, clock and ticker. */
function rig(cfg: Partial<MemoryLimiterConfig>, name = '') {
  const state = { usage: 0, now: 0, gcs: 0, ticks: 0, afterGc: undefined as number | undefined };
  let tick: (() => void) | undefined;
  const factory = createMemoryLimiterProcessorFactory({
    readUsage: () => state.usage,
    totalMemory: () => 1000 * MiB,
    gc: () => {
      state.gcs++;
      if (state.afterGc !== undefined) state.usage = state.afterGc;
    },
    now: () => state.now,
    every: (_ms, fn) => {
      state.ticks++;
      tick = fn;
      return () => {
        tick = undefined;
      };
    },
  });
  const reg = new MetricsRegistry();
  const settings: CreateSettings = {
    id: { type: 'memory_limiter', name },
    kind: 'processor',
    logger: silentLogger(),
    metrics: reg,
  };
  const config: MemoryLimiterConfig = { ...factory.createDefaultConfig(), limit_mib: 100, ...cfg };
  const make = <S extends Signal>(signal: S): { p: Processor<S>; sink: Sink<S> } => {
    const sink = new Sink<S>();
    return { p: factory.create(settings, config, signal, sink), sink };
  };
  return {
    state,
    reg,
    make,
    /** Set the reading and run one check. */
    measure(usageMiB: number) {
      state.usage = usageMiB * MiB;
      assert.ok(tick, 'the checker is running');
      tick();
    },
    running: () => tick !== undefined,
  };
}

const refusedWith = (delay: number) => (e: unknown) => {
  assert.ok(e instanceof PipelineError);
  assert.equal(e.code, 'SY_MEMORY_LIMIT');
  assert.equal(e.permanent, false);
  assert.equal(e.retryAfterMs, delay);
  assert.match(e.message, /above the soft limit 80 MiB/);
  return true;
};

describe('memory_limiter processor', () => {
  it('refuses above the soft limit, resumes below it, and counts what it refused', async () => {
    const r = rig({});
    const { p, sink } = r.make('traces');
    const host = new FakeHost();
    r.state.usage = 50 * MiB;
    await p.start(host);
    await p.consume(traces(3));
    assert.equal(sink.items, 3);

    r.measure(85); // soft limit = 100 - 20% = 80 MiB
    await assert.rejects(p.consume(traces(4)), refusedWith(1000));
    await assert.rejects(p.consume(traces(2)), refusedWith(1000));
    assert.equal(sink.items, 3);
    assert.equal(r.reg.counter('otelcol_processor_refused_spans_total', '').get({ processor: 'memory_limiter' }), 6);
    assert.deepEqual(host.reports.at(-1)?.status, 'recoverable_error');
    assert.equal(r.reg.gauge('switchyard_memory_limiter_refusing', '').get({ processor: 'memory_limiter' }), 1);
    assert.equal(
      r.reg.gauge('switchyard_memory_limiter_usage_bytes', '').get({ processor: 'memory_limiter' }),
      85 * MiB,
    );

    r.measure(79);
    await p.consume(traces(5));
    assert.equal(sink.items, 8);
    assert.deepEqual(host.reports.at(-1), { id: 'memory_limiter', status: 'ok' });
    assert.equal(r.reg.gauge('switchyard_memory_limiter_refusing', '').get({ processor: 'memory_limiter' }), 0);
    const limit = r.reg.gauge('switchyard_memory_limiter_limit_bytes', '');
    assert.equal(limit.get({ processor: 'memory_limiter', limit: 'hard' }), 100 * MiB);
    assert.equal(limit.get({ processor: 'memory_limiter', limit: 'soft' }), 80 * MiB);
    await p.shutdown();
  });

  it('measures once at start: data is refused from the first consume when already over', async () => {
    const r = rig({ spike_limit_mib: 10 });
    r.state.usage = 95 * MiB;
    const { p } = r.make('logs');
    await p.start(new FakeHost());
    await assert.rejects(p.consume(Batch.fromRequest('logs', { resourceLogs: [] })), PipelineError);
    await p.shutdown();
  });

  it('shares one checker per component id and feeds the shared admission guard', async () => {
    assert.equal(sharedMemoryGuard(), undefined, 'no limiter running');
    const r = rig({ check_interval: '2s' }, 'shared');
    const a = r.make('traces');
    const b = r.make('logs');
    await a.p.start(new FakeHost());
    await b.p.start(new FakeHost());
    assert.equal(r.state.ticks, 1, 'one checker for both pipelines');
    const guard = sharedMemoryGuard();
    assert.ok(guard);
    assert.equal(guard.refuseFor(), undefined);
    r.measure(90);
    assert.equal(guard.refuseFor(), 2000, 'retry after the next check');
    await assert.rejects(b.p.consume(Batch.fromRequest('logs', { resourceLogs: [] })), PipelineError);
    r.measure(10);
    assert.equal(guard.refuseFor(), undefined);
    await a.p.shutdown();
    assert.ok(r.running(), 'still used by the logs pipeline');
    assert.ok(sharedMemoryGuard());
    await b.p.shutdown();
    await b.p.shutdown();
    assert.equal(r.running(), false);
    assert.equal(sharedMemoryGuard(), undefined, 'the guard goes with the last limiter');
    assert.equal(
      r.reg.gauge('switchyard_memory_limiter_usage_bytes', '').get({ processor: 'memory_limiter/shared' }),
      0,
    );
  });

  it('forces a GC above the hard limit, backing off while it does not help', async () => {
    const r = rig({});
    const { p } = r.make('metrics');
    await p.start(new FakeHost());
    assert.equal(r.state.gcs, 0);
    r.measure(120);
    assert.equal(r.state.gcs, 1, 'GC above the hard limit');
    r.measure(120);
    assert.equal(r.state.gcs, 1, 'no GC again right away');
    r.state.now += 1000;
    r.measure(120);
    assert.equal(r.state.gcs, 2, 'after check_interval');
    r.state.now += 1000;
    r.measure(120);
    assert.equal(r.state.gcs, 2, 'backoff doubled to 2s');
    r.state.now += 1000;
    r.measure(120);
    assert.equal(r.state.gcs, 3);
    r.state.now += 60_000;
    r.measure(50);
    assert.equal(r.state.gcs, 3, 'no GC below the soft limit');
    await p.shutdown();
  });

  it('forces a GC when crossing the soft limit (at most every min_gc_interval_when_soft_limited) and resumes when it helps', async () => {
    const r = rig({});
    const { p } = r.make('traces');
    await p.start(new FakeHost());
    r.state.now = 60_000;
    r.state.afterGc = 40 * MiB;
    r.measure(85);
    assert.equal(r.state.gcs, 1);
    await p.consume(traces(1)); // GC brought it back under the soft limit
    r.state.afterGc = undefined;
    r.state.now += 1000;
    r.measure(85);
    assert.equal(r.state.gcs, 1, 'within 10s of the last GC');
    await assert.rejects(p.consume(traces(1)), PipelineError);
    await p.shutdown();
  });

  it('keeps forcing a GC while refusing, so refusal ends once the garbage is collected', async () => {
    const r = rig({});
    const { p } = r.make('traces');
    await p.start(new FakeHost());
    r.state.now = 60_000;
    r.measure(85); // above the soft limit (80 MiB); this GC does not help
    assert.equal(r.state.gcs, 1);
    await assert.rejects(p.consume(traces(1)), PipelineError);
    r.state.now += 5_000;
    r.measure(85);
    assert.equal(r.state.gcs, 1, 'no GC within min_gc_interval_when_soft_limited');
    r.state.now += 6_000;
    r.state.afterGc = 10 * MiB; // now the heap is garbage that a full GC frees
    r.measure(85);
    assert.equal(r.state.gcs, 2, 'GC again while still refusing');
    await p.consume(traces(1));
    await p.shutdown();
  });

  it('shuts down safely without start, and refuses after shutdown', async () => {
    const { p } = rig({}).make('traces');
    await p.shutdown();
    await p.shutdown();
    await assert.rejects(p.consume(traces(1)), (e) => e instanceof PipelineError && e.code === 'SY_SHUTTING_DOWN');
  });
});

describe('memory_limiter limits and config', () => {
  const base = memoryLimiterProcessorFactory.createDefaultConfig();
  const total = () => 1000 * MiB;

  it('computes limits: limit_mib wins, spike defaults to 20%, percentages of available memory', () => {
    assert.deepEqual(computeLimits({ ...base, limit_mib: 100 }, total), {
      hardBytes: 100 * MiB,
      softBytes: 80 * MiB,
      from: 'limit_mib',
    });
    assert.equal(computeLimits({ ...base, limit_mib: 100, spike_limit_mib: 30 }, total).softBytes, 70 * MiB);
    assert.equal(computeLimits({ ...base, limit_mib: 100, limit_percentage: 50 }, total).hardBytes, 100 * MiB);
    assert.deepEqual(computeLimits({ ...base, limit_percentage: 50 }, total), {
      hardBytes: 500 * MiB,
      softBytes: 400 * MiB,
      from: 'limit_percentage',
      totalBytes: 1000 * MiB,
    });
    assert.equal(
      computeLimits({ ...base, limit_percentage: 50, spike_limit_percentage: 10 }, total).softBytes,
      400 * MiB,
    );
    assert.equal(
      computeLimits({ ...base, limit_percentage: 80, spike_limit_percentage: 25 }, total).softBytes,
      550 * MiB,
    );
  });

  it('reads real memory by default', () => {
    const m = process.memoryUsage();
    assert.ok(defaultReadUsage() >= m.heapUsed);
    assert.ok(defaultTotalMemory() > 0);
    assert.ok(defaultTotalMemory() < 2 ** 53, 'an unlimited cgroup is not taken as the limit');
  });

  it('validates cross-field rules', () => {
    const v = memoryLimiterProcessorFactory.validate;
    assert.ok(v);
    const paths = (c: Partial<MemoryLimiterConfig>) => v({ ...base, ...c }).map((p) => p.path.join('.'));
    assert.deepEqual(paths({}), ['limit_mib'], 'a limit is required');
    assert.deepEqual(paths({ limit_mib: 100 }), []);
    assert.deepEqual(paths({ limit_percentage: 80, spike_limit_percentage: 20 }), []);
    assert.deepEqual(paths({ limit_mib: 100, check_interval: '0' }), ['check_interval']);
    assert.deepEqual(paths({ limit_mib: 100, spike_limit_mib: 100 }), ['spike_limit_mib']);
    assert.deepEqual(paths({ limit_percentage: 20, spike_limit_percentage: 20 }), ['spike_limit_percentage']);
    assert.deepEqual(
      paths({ limit_mib: 100, min_gc_interval_when_soft_limited: '1s', min_gc_interval_when_hard_limited: '5s' }),
      ['min_gc_interval_when_soft_limited'],
    );
  });

  it('has schema defaults equal to the default config, and rejects unknown keys and bad ranges', () => {
    assert.deepEqual(Value.Create(MemoryLimiterConfigSchema), base);
    const ajv = new Ajv({ allErrors: true });
    ajv.addFormat('duration', true);
    const validate = ajv.compile(MemoryLimiterConfigSchema);
    assert.equal(validate({ ...base, limit_mib: 512 }), true);
    assert.equal(validate({ ...base, limit_mb: 512 }), false);
    assert.equal(validate({ ...base, limit_percentage: 101 }), false);
    assert.equal(validate({ ...base, limit_mib: -1 }), false);
  });

  it('declares type, kind, stability and read-only data', () => {
    const f = memoryLimiterProcessorFactory;
    assert.equal(f.type, 'memory_limiter');
    assert.deepEqual(Object.keys(f.stability).sort(), ['logs', 'metrics', 'traces']);
    const p = f.create(
      {
        id: { type: 'memory_limiter', name: '' },
        kind: 'processor',
        logger: silentLogger(),
        metrics: new MetricsRegistry(),
      },
      { ...base, limit_mib: 10 },
      'logs',
      new Sink(),
    );
    assert.equal(p.mutatesData, false);
  });
});

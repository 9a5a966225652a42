import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { Consumer, ExporterFactory, Host, ProcessorFactory, ReceiverFactory } from '../component/component.js';
import { permanentError, retryableError } from '../component/errors.js';
import type { ResolvedComponent, ResolvedConfig, ResolvedPipeline } from '../config/resolved.js';
import { DEFAULT_CARDINALITY } from '../config/service.js';
import { Batch } from '../pdata/batch.js';
import type { ExportTraceServiceRequest, Signal } from '../pdata/model.js';
import { silentLogger } from '../telemetry/logger.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { Fanout, joinErrors } from './fanout.js';
import { Service } from './service.js';

function traces(n: number): Batch<'traces'> {
  const req: ExportTraceServiceRequest = {
    resourceSpans: [
      {
        schemaUrl: '',
        scopeSpans: [
          {
            schemaUrl: '',
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: new Uint8Array(16).fill(1),
              spanId: new Uint8Array(8).fill(i + 1),
              traceState: '',
              parentSpanId: new Uint8Array(0),
              flags: 0,
              name: `s${i}`,
              kind: 1,
              startTimeUnixNano: 1n,
              endTimeUnixNano: 2n,
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

class Recorder implements Consumer<'traces'> {
  readonly got: Batch<'traces'>[] = [];
  constructor(readonly mutatesData: boolean) {}
  async consume(b: Batch<'traces'>): Promise<void> {
    this.got.push(b);
  }
}

describe('Fanout', () => {
  it('gives the last mutator the original when there are no readers, clones for the others', async () => {
    const a = new Recorder(true);
    const b = new Recorder(true);
    const batch = traces(2);
    await new Fanout([a, b]).consume(batch);
    assert.notEqual(a.got[0], batch);
    assert.equal(b.got[0], batch);
    assert.equal(batch.readOnly, false);
    assert.equal(a.got[0]?.itemCount, 2);
  });

  it('shares a read-only original among readers and clones for mutators', async () => {
    const m = new Recorder(true);
    const r1 = new Recorder(false);
    const r2 = new Recorder(false);
    const batch = traces(3);
    await new Fanout([m, r1, r2]).consume(batch);
    assert.notEqual(m.got[0], batch);
    assert.equal(m.got[0]?.readOnly, false);
    assert.equal(r1.got[0], batch);
    assert.equal(r2.got[0], batch);
    assert.equal(batch.readOnly, true);
    assert.throws(() => batch.mutableRequest(), /read-only/);
  });

  it('clones for a mutator when the incoming batch is already read-only', async () => {
    const m = new Recorder(true);
    const batch = traces(1);
    batch.markReadOnly();
    await new Fanout([m]).consume(batch);
    assert.notEqual(m.got[0], batch);
    assert.equal(m.got[0]?.readOnly, false);
  });

  it('calls every branch and joins errors: permanent only if all are permanent', async () => {
    const ok = new Recorder(false);
    const perm: Consumer<'traces'> = {
      mutatesData: false,
      consume: async () => Promise.reject(permanentError('SY_EXPORT_PERMANENT', 'bad')),
    };
    const retry: Consumer<'traces'> = {
      mutatesData: false,
      consume: async () => Promise.reject(retryableError('SY_QUEUE_FULL', 'full', 2000)),
    };
    await assert.rejects(new Fanout([ok, perm, retry]).consume(traces(1)), (err: unknown) => {
      const e = err as { permanent: boolean; retryAfterMs: number; message: string };
      assert.equal(e.permanent, false);
      assert.equal(e.retryAfterMs, 2000);
      assert.match(e.message, /bad; full/);
      return true;
    });
    assert.equal(ok.got.length, 1);
    const joined = joinErrors([permanentError('SY_DECODE', 'x'), permanentError('SY_DECODE', 'y')]) as {
      permanent: boolean;
    };
    assert.equal(joined.permanent, true);
  });
});

// ---------------------------------------------------------------- graph and lifecycle

const events: string[] = [];
const sink = new Map<string, Batch<Signal>[]>();

const fakeReceiver: ReceiverFactory<Record<string, never>> = {
  kind: 'receiver',
  type: 'fakerecv',
  description: 'test receiver',
  configSchema: Type.Object({}),
  stability: { traces: 'development', metrics: 'development' },
  createDefaultConfig: () => ({}),
  create(settings, _config, next) {
    const name = settings.id.name;
    return {
      async start(_host: Host) {
        events.push(`start receiver ${name}`);
        receivers.set(name, next);
      },
      async shutdown() {
        events.push(`stop receiver ${name}`);
      },
    };
  },
};
const receivers = new Map<string, Partial<Record<Signal, Consumer>>>();

const fakeProcessor: ProcessorFactory<{ tag: string }> = {
  kind: 'processor',
  type: 'fakeproc',
  description: 'appends a span named after its tag (mutates)',
  configSchema: Type.Object({ tag: Type.String() }),
  stability: { traces: 'development' },
  createDefaultConfig: () => ({ tag: '' }),
  create(settings, config, signal, next) {
    return {
      mutatesData: true,
      async start() {
        events.push(`start processor ${settings.id.name} ${signal}`);
      },
      async shutdown() {
        events.push(`stop processor ${settings.id.name} ${signal}`);
      },
      async consume(b) {
        const req = b.mutableRequest() as ExportTraceServiceRequest;
        const span = req.resourceSpans[0]?.scopeSpans[0]?.spans[0];
        if (span !== undefined) span.name += `+${config.tag}`;
        await next.consume(b);
      },
    };
  },
};

const fakeExporter: ExporterFactory<Record<string, never>> = {
  kind: 'exporter',
  type: 'fakeexp',
  description: 'records batches',
  configSchema: Type.Object({}),
  stability: { traces: 'development', metrics: 'development' },
  createDefaultConfig: () => ({}),
  create(settings, _config, signal) {
    const key = `${settings.id.name}:${signal}`;
    return {
      mutatesData: false,
      async start() {
        events.push(`start exporter ${key}`);
      },
      async shutdown() {
        events.push(`stop exporter ${key}`);
      },
      async consume(b) {
        const list = sink.get(key) ?? [];
        list.push(b);
        sink.set(key, list);
      },
    };
  },
};

function rc<F>(factory: F, type: string, name: string, config: unknown): [string, ResolvedComponent<F>] {
  const key = `${type}/${name}`;
  return [key, { id: { type, name }, key, factory, config }];
}

function config(pipelines: ResolvedPipeline[]): ResolvedConfig {
  return {
    receivers: new Map([rc(fakeReceiver, 'fakerecv', 'in', {})]),
    processors: new Map([
      rc(fakeProcessor, 'fakeproc', 'a', { tag: 'a' }),
      rc(fakeProcessor, 'fakeproc', 'b', { tag: 'b' }),
    ]),
    exporters: new Map([rc(fakeExporter, 'fakeexp', 'x', {}), rc(fakeExporter, 'fakeexp', 'y', {})]),
    extensions: new Map(),
    service: {
      extensions: [],
      pipelines,
      telemetry: {
        logs: { level: 'info' },
        metrics: { level: 'normal', address: '' },
        cardinality: DEFAULT_CARDINALITY,
      },
    },
  };
}

describe('Service', () => {
  it('starts back to front (exporters, processors last to first, receivers) and stops front to back', async () => {
    events.length = 0;
    const svc = new Service(
      config([
        {
          key: 'traces',
          signal: 'traces',
          receivers: ['fakerecv/in'],
          processors: ['fakeproc/a', 'fakeproc/b'],
          exporters: ['fakeexp/x'],
        },
      ]),
      { logger: silentLogger(), metrics: new MetricsRegistry() },
    );
    await svc.start();
    assert.equal(svc.healthy(), true);
    await svc.shutdown();
    assert.deepEqual(events, [
      'start exporter x:traces',
      'start processor b traces',
      'start processor a traces',
      'start receiver in',
      'stop receiver in',
      'stop processor a traces',
      'stop processor b traces',
      'stop exporter x:traces',
    ]);
    assert.equal(svc.healthy(), false);
  });

  it('shares a receiver across pipelines, gives each mutating pipeline its own copy, and shares exporters per signal', async () => {
    sink.clear();
    const svc = new Service(
      config([
        {
          key: 'traces/1',
          signal: 'traces',
          receivers: ['fakerecv/in'],
          processors: ['fakeproc/a'],
          exporters: ['fakeexp/x'],
        },
        {
          key: 'traces/2',
          signal: 'traces',
          receivers: ['fakerecv/in'],
          processors: ['fakeproc/b'],
          exporters: ['fakeexp/x', 'fakeexp/y'],
        },
        { key: 'metrics', signal: 'metrics', receivers: ['fakerecv/in'], processors: [], exporters: ['fakeexp/x'] },
      ]),
      { logger: silentLogger(), metrics: new MetricsRegistry() },
    );
    await svc.start();
    const next = receivers.get('in');
    assert.ok(next?.traces && next.metrics, 'receiver got a consumer for both signals');
    await next.traces.consume(traces(1));
    const x = sink.get('x:traces') ?? [];
    const y = sink.get('y:traces') ?? [];
    assert.equal(x.length, 2, 'both trace pipelines reach the shared exporter x');
    const names = x
      .map((b) => (b.request() as ExportTraceServiceRequest).resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name)
      .sort();
    assert.deepEqual(names, ['s0+a', 's0+b'], 'each pipeline mutated its own copy');
    assert.equal(y.length, 1);
    await svc.shutdown();
  });

  it('lets a processor flush on shutdown into the next processor while it is still running', async () => {
    sink.clear();
    // holder keeps batches until shutdown; gate refuses once it has been shut down.
    const holder: ProcessorFactory<{ tag: string }> = {
      ...fakeProcessor,
      type: 'holder',
      create<S extends Signal>(_settings: unknown, _config: unknown, _signal: S, next: Consumer<S>) {
        const held: Batch<S>[] = [];
        return {
          mutatesData: false,
          start: async () => {},
          shutdown: async () => {
            for (const b of held.splice(0)) await next.consume(b);
          },
          consume: async (b: Batch<S>) => {
            held.push(b);
          },
        };
      },
    };
    const gate: ProcessorFactory<{ tag: string }> = {
      ...fakeProcessor,
      type: 'gate',
      create(_settings, _config, _signal, next) {
        let stopped = false;
        return {
          mutatesData: false,
          start: async () => {},
          shutdown: async () => {
            stopped = true;
          },
          consume: async (b) => {
            if (stopped) throw new Error('gate is shut down');
            await next.consume(b);
          },
        };
      },
    };
    const cfg = config([
      {
        key: 'traces',
        signal: 'traces',
        receivers: ['fakerecv/in'],
        processors: ['holder/h', 'gate/g'],
        exporters: ['fakeexp/x'],
      },
    ]);
    const withBoth: ResolvedConfig = {
      ...cfg,
      processors: new Map([rc(holder, 'holder', 'h', {}), rc(gate, 'gate', 'g', {})]),
    };
    const svc = new Service(withBoth, { logger: silentLogger(), metrics: new MetricsRegistry() });
    await svc.start();
    await receivers.get('in')?.traces?.consume(traces(3));
    assert.equal(sink.get('x:traces'), undefined, 'held until shutdown');
    await svc.shutdown();
    assert.equal(sink.get('x:traces')?.[0]?.itemCount, 3, 'flushed through the gate into the exporter');
    assert.equal(svc.statuses().filter((st) => st.status === 'permanent_error').length, 0);
  });

  it('stops what it started when a component fails to start', async () => {
    events.length = 0;
    const failing: ReceiverFactory<Record<string, never>> = {
      ...fakeReceiver,
      create: () => ({
        start: async () => {
          throw new Error('port in use');
        },
        shutdown: async () => {},
      }),
    };
    const cfg = config([
      { key: 'traces', signal: 'traces', receivers: ['fakerecv/in'], processors: [], exporters: ['fakeexp/x'] },
    ]);
    const broken: ResolvedConfig = { ...cfg, receivers: new Map([rc(failing, 'fakerecv', 'in', {})]) };
    const svc = new Service(broken, { logger: silentLogger(), metrics: new MetricsRegistry() });
    await assert.rejects(svc.start(), /receiver fakerecv\/in failed to start: port in use/);
    assert.deepEqual(events, ['start exporter x:traces', 'stop exporter x:traces']);
    const st = svc.statuses().find((s) => s.kind === 'receiver');
    assert.equal(st?.status, 'permanent_error');
  });
});

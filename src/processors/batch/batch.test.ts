import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import type { Consumer, CreateSettings, Host, Processor } from '../../component/component.js';
import { PipelineError, retryableError } from '../../component/errors.js';
import { Batch } from '../../pdata/batch.js';
import type {
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  Metric,
  Signal,
  Span,
} from '../../pdata/model.js';
import { silentLogger } from '../../telemetry/logger.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';
import { BatchProcessor } from './batch_processor.js';
import { type BatchConfig, BatchConfigSchema } from './config.js';
import { batchProcessorFactory } from './factory.js';
import { chunkBatch } from './split.js';

// ---------------------------------------------------------------- fixtures
function settings(metrics = new MetricsRegistry()): CreateSettings {
  return { id: { type: 'batch', name: '' }, kind: 'processor', logger: silentLogger(), metrics };
}

const host: Host = { reportStatus() {}, healthy: () => true, statuses: () => [], memoryGuard: () => undefined };

function config(overrides: Partial<BatchConfig>): BatchConfig {
  return { ...batchProcessorFactory.createDefaultConfig(), ...overrides };
}

function span(name: string): Span {
  return {
    traceId: new Uint8Array(16).fill(1),
    spanId: new Uint8Array(8).fill(2),
    traceState: '',
    parentSpanId: new Uint8Array(),
    flags: 0,
    name,
    kind: 1,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
  };
}

/** Traces with `shape[r][s]` spans in scope s of resource r, named `<tag>.r.s.i`. */
function traces(tag: string, shape: number[][]): Batch<'traces'> {
  const req: ExportTraceServiceRequest = {
    resourceSpans: shape.map((scopes, r) => ({
      resource: { attributes: [{ key: 'service.name', value: `${tag}.r${r}` }], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeSpans: scopes.map((n, s) => ({
        scope: { name: `${tag}.r${r}.s${s}`, version: '', attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        spans: Array.from({ length: n }, (_, i) => span(`${tag}.${r}.${s}.${i}`)),
      })),
    })),
  };
  return Batch.fromRequest('traces', req);
}

/** Metrics with `shape[r][s][m]` points in metric m of scope s of resource r (alternating types). */
function metrics(tag: string, shape: number[][][]): Batch<'metrics'> {
  const metric = (name: string, n: number, k: number): Metric => {
    const points = Array.from({ length: n }, (_, i) => ({
      attributes: [{ key: 'i', value: `${name}#${i}` }],
      startTimeUnixNano: 0n,
      timeUnixNano: BigInt(i),
      value: i,
      exemplars: [],
      flags: 0,
    }));
    return {
      name,
      description: '',
      unit: '1',
      metadata: [],
      data:
        k % 2 === 0
          ? { type: 'gauge', dataPoints: points }
          : { type: 'sum', dataPoints: points, aggregationTemporality: 2, isMonotonic: true },
    };
  };
  const req: ExportMetricsServiceRequest = {
    resourceMetrics: shape.map((scopes, r) => ({
      resource: { attributes: [{ key: 'service.name', value: `${tag}.r${r}` }], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeMetrics: scopes.map((ms, s) => ({
        scope: { name: `${tag}.r${r}.s${s}`, version: '', attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        metrics: ms.map((n, m) => metric(`${tag}.${r}.${s}.${m}`, n, m)),
      })),
    })),
  };
  return Batch.fromRequest('metrics', req);
}

function logs(tag: string, shape: number[][]): Batch<'logs'> {
  const req: ExportLogsServiceRequest = {
    resourceLogs: shape.map((scopes, r) => ({
      resource: { attributes: [{ key: 'service.name', value: `${tag}.r${r}` }], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeLogs: scopes.map((n, s) => ({
        scope: { name: `${tag}.r${r}.s${s}`, version: '', attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        logRecords: Array.from({ length: n }, (_, i) => ({
          timeUnixNano: BigInt(i),
          observedTimeUnixNano: 0n,
          severityNumber: 9,
          severityText: 'INFO',
          body: `${tag}.${r}.${s}.${i}`,
          attributes: [],
          droppedAttributesCount: 0,
          flags: 0,
          traceId: new Uint8Array(),
          spanId: new Uint8Array(),
          eventName: '',
        })),
      })),
    })),
  };
  return Batch.fromRequest('logs', req);
}

/** Every item in order, with the resource and scope it sits under: `resource|scope|item`. */
function flatten(batch: Batch): string[] {
  const out: string[] = [];
  const res = (r: { resource?: { attributes: Array<{ value: unknown }> } }) => String(r.resource?.attributes[0]?.value);
  switch (batch.signal) {
    case 'traces':
      for (const rs of (batch.request() as ExportTraceServiceRequest).resourceSpans)
        for (const ss of rs.scopeSpans) for (const sp of ss.spans) out.push(`${res(rs)}|${ss.scope?.name}|${sp.name}`);
      break;
    case 'metrics':
      for (const rm of (batch.request() as ExportMetricsServiceRequest).resourceMetrics)
        for (const sm of rm.scopeMetrics)
          for (const m of sm.metrics)
            for (const p of m.data?.dataPoints ?? [])
              out.push(`${res(rm)}|${sm.scope?.name}|${m.name}:${m.data?.type}|${String(p.attributes[0]?.value)}`);
      break;
    case 'logs':
      for (const rl of (batch.request() as ExportLogsServiceRequest).resourceLogs)
        for (const sl of rl.scopeLogs)
          for (const lr of sl.logRecords) out.push(`${res(rl)}|${sl.scope?.name}|${String(lr.body)}`);
      break;
  }
  return out;
}

class Sink<S extends Signal> implements Consumer<S> {
  readonly mutatesData = false;
  readonly got: Batch<S>[] = [];
  fail: unknown;
  /** When set, consume waits for it (a slow exporter). */
  gate: Promise<void> | undefined;
  async consume(batch: Batch<S>): Promise<void> {
    if (this.gate !== undefined) await this.gate;
    if (this.fail !== undefined) throw this.fail;
    this.got.push(batch);
  }
  get items(): number {
    return this.got.reduce((n, b) => n + b.itemCount, 0);
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function make<S extends Signal>(
  signal: S,
  overrides: Partial<BatchConfig>,
  reg = new MetricsRegistry(),
): { p: Processor<S>; sink: Sink<S>; reg: MetricsRegistry } {
  const sink = new Sink<S>();
  const p = batchProcessorFactory.create(settings(reg), config(overrides), signal, sink);
  return { p, sink, reg };
}

const L = { processor: 'batch' };

// ---------------------------------------------------------------- tests
describe('batch processor', () => {
  it('sends when send_batch_size items are pending (size trigger)', async () => {
    const { p, sink, reg } = make('traces', { send_batch_size: 10, timeout: '10s' });
    await p.start(host);
    for (let i = 0; i < 3; i++) await p.consume(traces(`b${i}`, [[3]]));
    assert.equal(sink.got.length, 0, 'below the trigger nothing is sent');
    await p.consume(traces('b3', [[3]]));
    await until('a send', () => sink.got.length === 1);
    assert.equal(sink.got[0]?.itemCount, 12, 'the trigger sends everything pending (no max size)');
    assert.deepEqual(flatten(sink.got[0] as Batch), [
      ...flatten(traces('b0', [[3]])),
      ...flatten(traces('b1', [[3]])),
      ...flatten(traces('b2', [[3]])),
      ...flatten(traces('b3', [[3]])),
    ]);
    assert.equal(reg.counter('otelcol_processor_batch_batch_size_trigger_send_total', '').get(L), 1);
    assert.equal(reg.counter('otelcol_processor_batch_timeout_trigger_send_total', '').get(L), 0);
    await p.shutdown();
  });

  it('sends what is pending when the timeout passes (timeout trigger)', async () => {
    const { p, sink, reg } = make('logs', { send_batch_size: 1000, timeout: '30ms' });
    const t0 = Date.now();
    await p.consume(logs('a', [[2]]));
    await p.consume(logs('b', [[3]]));
    await until('the timeout send', () => sink.got.length === 1);
    assert.ok(Date.now() - t0 >= 25, 'not before the timeout');
    assert.equal(sink.got[0]?.itemCount, 5);
    assert.equal(reg.counter('otelcol_processor_batch_timeout_trigger_send_total', '').get(L), 1);
    // A second round starts a new timeout.
    await p.consume(logs('c', [[1]]));
    await until('the second timeout send', () => sink.got.length === 2);
    assert.equal(reg.counter('otelcol_processor_batch_timeout_trigger_send_total', '').get(L), 2);
    await p.shutdown();
  });

  it('with timeout 0 sends every batch at once, still split to send_batch_max_size', async () => {
    const { p, sink } = make('traces', { send_batch_size: 5, send_batch_max_size: 5, timeout: '0' });
    await p.consume(traces('a', [[2]]));
    await until('immediate send', () => sink.got.length === 1);
    await p.consume(traces('b', [[12]]));
    await until('split sends', () => sink.items === 14);
    assert.deepEqual(
      sink.got.map((b) => b.itemCount),
      [2, 5, 5, 2],
    );
    await p.shutdown();
  });

  it('splits over send_batch_max_size: every item exactly once, in order (traces, metrics, logs)', async () => {
    const cases: Array<{ signal: Signal; make: (tag: string) => Batch }> = [
      { signal: 'traces', make: (t) => traces(t, [[7, 0, 13], [], [1, 25]]) },
      { signal: 'metrics', make: (t) => metrics(t, [[[4, 0, 17]], [[9], [], [3, 3]]]) },
      { signal: 'logs', make: (t) => logs(t, [[5, 5], [0], [31]]) },
    ];
    for (const c of cases) {
      const sink = new Sink<Signal>();
      const p = batchProcessorFactory.create(
        settings(),
        config({ send_batch_size: 8, send_batch_max_size: 10, timeout: '10s' }),
        c.signal,
        sink,
      );
      const inputs = [c.make('x'), c.make('y')];
      const want = inputs.flatMap(flatten);
      for (const b of inputs) await p.consume(b);
      await p.shutdown();
      assert.deepEqual(sink.got.flatMap(flatten), want, `${c.signal}: same items, same order`);
      for (const b of sink.got) assert.ok(b.itemCount <= 10, `${c.signal}: batch of ${b.itemCount} over the max`);
      assert.ok(
        sink.got.slice(0, -1).every((b) => b.itemCount === 10),
        `${c.signal}: full batches before the last: ${sink.got.map((b) => b.itemCount)}`,
      );
    }
  });

  it('split property: any shapes, any sizes, every item exactly once and in order', async () => {
    const shape = fc.array(fc.array(fc.nat({ max: 12 }), { maxLength: 4 }), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(shape, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        async (shapes, max, size) => {
          const sink = new Sink<'traces'>();
          const sendBatchSize = Math.min(size, max);
          const p = batchProcessorFactory.create(
            settings(),
            config({ send_batch_size: sendBatchSize, send_batch_max_size: max, timeout: '10s' }),
            'traces',
            sink,
          );
          const inputs = shapes.map((s, i) => traces(`t${i}`, s));
          for (const b of inputs) await p.consume(b);
          await p.shutdown();
          assert.deepEqual(sink.got.flatMap(flatten), inputs.flatMap(flatten));
          for (const b of sink.got) assert.ok(b.itemCount <= max);
          assert.equal(
            sink.got.reduce((n, b) => n + b.itemCount, 0),
            inputs.reduce((n, b) => n + b.itemCount, 0),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('chunkBatch leaves the input untouched and gives pieces their own resource and scope copies', () => {
    const input = metrics('m', [[[25]]]);
    input.markReadOnly();
    const before = structuredClone(input.request());
    const pieces = chunkBatch(input, 10, 10);
    assert.deepEqual(
      pieces.map((p) => p.itemCount),
      [10, 10, 5],
    );
    assert.deepEqual(input.request(), before, 'input unchanged');
    assert.ok(
      pieces.every((p) => p.readOnly),
      'pieces of read-only data stay read-only',
    );
    const [a, b] = pieces.map((p) => (p.request() as ExportMetricsServiceRequest).resourceMetrics[0]);
    assert.notEqual(a?.resource, b?.resource);
    assert.notEqual(a?.scopeMetrics[0]?.scope, b?.scopeMetrics[0]?.scope);
    assert.notEqual(a?.scopeMetrics[0]?.metrics[0], b?.scopeMetrics[0]?.metrics[0]);
    assert.deepEqual(a?.resource, b?.resource);
  });

  it('flushes what is pending on shutdown, then refuses data; shutdown is idempotent', async () => {
    const { p, sink } = make('logs', { send_batch_size: 100, timeout: '10s' });
    await p.shutdown(); // without start: fine
    const q = make('logs', { send_batch_size: 100, timeout: '10s' });
    await q.p.start(host);
    await q.p.consume(logs('a', [[3]]));
    await q.p.consume(logs('b', [[4]]));
    assert.equal(q.sink.got.length, 0);
    await Promise.all([q.p.shutdown(), q.p.shutdown()]);
    assert.equal(q.sink.items, 7);
    await q.p.shutdown();
    await assert.rejects(
      q.p.consume(logs('c', [[1]])),
      (e) => e instanceof PipelineError && e.code === 'SY_SHUTTING_DOWN',
    );
    assert.equal(sink.got.length, 0);
  });

  it('counts items in and out, records send sizes, and counts items the next consumer refused', async () => {
    const reg = new MetricsRegistry();
    const { p, sink } = make('traces', { send_batch_size: 4, timeout: '10s' }, reg);
    await p.consume(traces('a', [[4]]));
    await until('first send', () => sink.got.length === 1);
    sink.fail = retryableError('SY_QUEUE_FULL', 'queue full');
    await p.consume(traces('b', [[5]])); // acknowledged: resolves although the export fails
    await p.shutdown();
    const lab = { processor: 'batch', otel_signal: 'traces' };
    assert.equal(reg.counter('otelcol_processor_incoming_items_total', '').get(lab), 9);
    assert.equal(reg.counter('otelcol_processor_outgoing_items_total', '').get(lab), 9);
    assert.equal(
      reg
        .counter('switchyard_processor_batch_refused_downstream_items_total', '')
        .get({ ...lab, reason: 'SY_QUEUE_FULL' }),
      5,
    );
    const text = reg.render();
    assert.match(text, /otelcol_processor_batch_batch_send_size_count\{processor="batch"\} 2/);
    assert.match(text, /otelcol_processor_batch_batch_send_size_sum\{processor="batch"\} 9/);
  });

  it('applies backpressure: consume waits while a send is in flight and too much is pending', async () => {
    const { p, sink } = make('logs', { send_batch_size: 5, send_batch_max_size: 5, timeout: '10s' });
    let open!: () => void;
    sink.gate = new Promise<void>((r) => {
      open = r;
    });
    await p.consume(logs('a', [[5]])); // sent at once, the send blocks on the gate
    let resolved = false;
    const waiting = p.consume(logs('b', [[12]])).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(resolved, false, 'held back while 12 items wait behind a blocked send');
    open();
    await waiting;
    await p.shutdown();
    assert.equal(sink.items, 17);
  });

  it('merges wire-form batches by concatenating bytes, and splits them (decoding) only over the max', async () => {
    const reg = new MetricsRegistry();
    const { p, sink } = make('logs', { send_batch_size: 6, timeout: '10s' }, reg);
    const a = Batch.fromProto('logs', logs('a', [[3]]).toProto());
    const b = Batch.fromProto('logs', logs('b', [[3]]).toProto());
    await p.consume(a);
    await p.consume(b);
    await until('send', () => sink.got.length === 1);
    const sent = sink.got[0] as Batch<'logs'>;
    assert.equal(sent.hasProto, true);
    assert.deepEqual(sent.toProto(), Buffer.concat([a.toProto(), b.toProto()]));
    assert.equal(sent.itemCount, 6);
    assert.match(reg.render(), /otelcol_processor_batch_batch_send_size_bytes_count\{processor="batch"\} 1/);
    await p.shutdown();

    const q = make('logs', { send_batch_size: 4, send_batch_max_size: 4, timeout: '10s' });
    const big = logs('c', [[3, 4], [3]]);
    await q.p.consume(Batch.fromProto('logs', big.toProto()));
    await q.p.shutdown();
    assert.deepEqual(
      q.sink.got.map((x) => x.itemCount),
      [4, 4, 2],
    );
    assert.deepEqual(q.sink.got.flatMap(flatten), flatten(big));
  });

  it('marks a merge that reuses read-only decoded batches read-only', async () => {
    const { p, sink } = make('traces', { send_batch_size: 4, timeout: '10s' });
    const a = traces('a', [[2]]);
    const b = traces('b', [[2]]);
    a.markReadOnly();
    await p.consume(a);
    await p.consume(b);
    await until('send', () => sink.got.length === 1);
    assert.equal(sink.got[0]?.readOnly, true);
    assert.equal(b.readOnly, false);
    await p.shutdown();
  });
});

describe('batch config', () => {
  it('has schema defaults equal to the default config, and rejects unknown keys', () => {
    assert.deepEqual(Value.Create(BatchConfigSchema), batchProcessorFactory.createDefaultConfig());
    const ajv = new Ajv({ allErrors: true });
    ajv.addFormat('duration', true);
    const validate = ajv.compile(BatchConfigSchema);
    assert.equal(validate(batchProcessorFactory.createDefaultConfig()), true);
    assert.equal(validate({ ...batchProcessorFactory.createDefaultConfig(), send_batch_sise: 1 }), false);
    assert.equal(validate({ ...batchProcessorFactory.createDefaultConfig(), timeout: '2 seconds' }), false);
  });

  it('requires send_batch_max_size >= send_batch_size unless it is 0', () => {
    const v = batchProcessorFactory.validate;
    assert.ok(v);
    assert.deepEqual(v(config({})), []);
    assert.deepEqual(v(config({ send_batch_size: 100, send_batch_max_size: 100 })), []);
    const problems = v(config({ send_batch_size: 100, send_batch_max_size: 50 }));
    assert.equal(problems.length, 1);
    assert.deepEqual(problems[0]?.path, ['send_batch_max_size']);
    assert.match(problems[0]?.message ?? '', /greater than or equal to send_batch_size \(100\)/);
  });

  it('declares type, kind and per-signal stability', () => {
    assert.equal(batchProcessorFactory.type, 'batch');
    assert.equal(batchProcessorFactory.kind, 'processor');
    assert.deepEqual(Object.keys(batchProcessorFactory.stability).sort(), ['logs', 'metrics', 'traces']);
    assert.equal(batchProcessorFactory.create(settings(), config({}), 'logs', new Sink()).mutatesData, false);
    assert.ok(batchProcessorFactory.create(settings(), config({}), 'logs', new Sink()) instanceof BatchProcessor);
  });
});

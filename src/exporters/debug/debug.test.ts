import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { logRequest, metricRequest, testHost, testSettings, traces } from '../../helpers/exporterhelper/testutil.js';
import { Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, type DebugExporterConfig } from './config.js';
import { createDebugExporter } from './exporter.js';
import { debugExporterFactory } from './factory.js';
import { timestamp, typed } from './render.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function run<S extends Signal>(
  verbosity: DebugExporterConfig['verbosity'],
  signal: S,
  batches: Batch<S>[],
  over: Partial<DebugExporterConfig> = {},
): Promise<string> {
  const out = capture();
  const exp = createDebugExporter(testSettings('debug'), { ...createDefaultConfig(), verbosity, ...over }, signal, {
    out: out.stream,
  });
  await exp.start(testHost());
  for (const b of batches) await exp.consume(b);
  await exp.shutdown();
  return out.text();
}

const metrics = (): Batch<'metrics'> => Batch.fromRequest('metrics', metricRequest());
const logs = (n: number): Batch<'logs'> => Batch.fromRequest('logs', logRequest(n));

describe('debug exporter', () => {
  it('basic: one summary line per batch, counts only', async () => {
    const t = await run('basic', 'traces', [traces(2)]);
    const lines = t.trimEnd().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /\tdebug\tTraces \{"resource spans": 1, "spans": 2\}$/);
    assert.ok(!t.includes('span-0'));
    const m = await run('basic', 'metrics', [metrics()]);
    assert.match(m, /Metrics \{"resource metrics": 1, "metrics": 3, "data points": 4\}/);
    const l = await run('basic', 'logs', [logs(3)]);
    assert.match(l, /Logs \{"resource logs": 1, "log records": 3\}/);
  });

  it('normal: one line per span, data point and log record', async () => {
    const t = await run('normal', 'traces', [traces(2)]);
    const lines = t.trimEnd().split('\n');
    assert.equal(lines.length, 1 + 1 + 1 + 2);
    assert.equal(lines[1], 'ResourceSpans #0 service.name=checkout');
    assert.equal(lines[2], 'ScopeSpans #0 test-scope@1.0.0');
    assert.equal(
      lines[3],
      'span-0 0102030405060708090a0b0c0d0e0f10 0102030405060708 http.method=GET http.status_code=200',
    );
    assert.match(lines[4] as string, /^span-1 0102030405060708090a0b0c0d0e0f10 0203040506070809 /);

    const m = await run('normal', 'metrics', [metrics()]);
    assert.ok(m.includes('\nhttp.requests{method=GET} 42\n'));
    assert.ok(m.includes('\nhttp.requests{method=POST} 7\n'));
    assert.ok(m.includes('\nlatency count=6 sum=123.5 min=1.5 max=250 le10=1 le100=2 le+Inf=3\n'));
    assert.ok(m.includes('\nqueue.depth 3.250000\n'));

    const l = await run('normal', 'logs', [logs(2)]);
    assert.ok(l.includes('\nuser logged in #0 user.id=u0\n'));
    assert.ok(l.includes('\nuser logged in #1 user.id=u1\n'));
  });

  it('detailed: every field, indented like the Collector', async () => {
    const t = await run('detailed', 'traces', [traces(1)]);
    for (const want of [
      'ResourceSpans #0',
      'Resource attributes:',
      '     -> service.name: Str(checkout)',
      'InstrumentationScope test-scope 1.0.0',
      'Span #0',
      '    Trace ID       : 0102030405060708090a0b0c0d0e0f10',
      '    Parent ID      : ',
      '    ID             : 0102030405060708',
      '    Name           : span-0',
      '    Kind           : Server',
      '    Start time     : 2023-11-14 22:13:20 +0000 UTC',
      '    End time       : 2023-11-14 22:13:20.5 +0000 UTC',
      '    Status code    : Error',
      '    Status message : boom',
      '     -> http.status_code: Int(200)',
      'SpanEvent #0',
      '     -> Name: cache-miss',
      '          -> cache.key: Str(k1)',
      'SpanLink #0',
      '     -> Trace ID: abababababababababababababababab',
    ]) {
      assert.ok(t.includes(`${want}\n`), `missing: ${want}`);
    }
    const m = await run('detailed', 'metrics', [metrics()]);
    for (const want of [
      '     -> Name: http.requests',
      '     -> DataType: Sum',
      '     -> IsMonotonic: true',
      '     -> AggregationTemporality: Cumulative',
      'NumberDataPoints #1',
      '     -> method: Str(POST)',
      'Value: 42',
      '     -> DataType: Histogram',
      'Count: 6',
      'Sum: 123.500000',
      'ExplicitBounds #1: 100.000000',
      'Buckets #2, Count: 3',
      '     -> DataType: Gauge',
      'Value: 3.250000',
    ]) {
      assert.ok(m.includes(`${want}\n`), `missing: ${want}`);
    }
    const l = await run('detailed', 'logs', [logs(1)]);
    for (const want of [
      'LogRecord #0',
      'SeverityText: INFO',
      'SeverityNumber: Info(9)',
      'Body: Str(user logged in #0)',
      '     -> user.id: Str(u0)',
      'Flags: 1',
    ]) {
      assert.ok(l.includes(`${want}\n`), `missing: ${want}`);
    }
  });

  it('the three verbosities are visibly different and grow in detail', async () => {
    const [b, n, d] = await Promise.all([
      run('basic', 'traces', [traces(3)]),
      run('normal', 'traces', [traces(3)]),
      run('detailed', 'traces', [traces(3)]),
    ]);
    const count = (s: string): number => s.trimEnd().split('\n').length;
    assert.ok(count(b) < count(n) && count(n) < count(d), `${count(b)} < ${count(n)} < ${count(d)}`);
  });

  it('samples: sampling_initial per second, then every sampling_thereafter-th', async () => {
    const out = capture();
    let clock = 1_000_000;
    const s = testSettings('debug');
    const exp = createDebugExporter(s, { verbosity: 'basic', sampling_initial: 2, sampling_thereafter: 3 }, 'traces', {
      out: out.stream,
      now: () => clock,
    });
    for (let i = 0; i < 8; i++) await exp.consume(traces(1)); // written: 1, 2, 5, 8
    clock += 1000;
    await exp.consume(traces(1)); // a new second: written
    await exp.shutdown();
    assert.equal(out.text().trimEnd().split('\n').length, 5);
    assert.equal(s.metrics.counter('otelcol_exporter_sent_spans_total', '').sum(), 9);
  });

  it('a failing output is counted (write_error) and never fails the pipeline', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('EPIPE'));
      },
    });
    const s = testSettings('debug');
    const exp = createDebugExporter(s, createDefaultConfig(), 'logs', { out: broken });
    await exp.start(testHost());
    await exp.consume(logs(4));
    await exp.shutdown();
    assert.equal(
      s.metrics.counter('otelcol_exporter_send_failed_log_records_total', '').sum({ reason: 'write_error' }),
      4,
    );
  });

  it('renders values and timestamps like the Collector', () => {
    assert.equal(timestamp(1_700_000_000_000_000_001n), '2023-11-14 22:13:20.000000001 +0000 UTC');
    assert.equal(timestamp(0n), '1970-01-01 00:00:00 +0000 UTC');
    assert.equal(typed('x'), 'Str(x)');
    assert.equal(typed(5n), 'Int(5)');
    assert.equal(typed(1.5), 'Double(1.5)');
    assert.equal(typed(true), 'Bool(true)');
    assert.equal(typed(null), 'Empty()');
    assert.equal(typed(['a', 1n]), 'Slice(["a",1])');
    assert.equal(typed({ kvlist: [{ key: 'k', value: 'v' }] }), 'Map({"k":"v"})');
    assert.equal(typed(Uint8Array.from([1, 2])), 'Bytes(AQI=)');
  });

  it('factory: type, stability, schema defaults', () => {
    const f = debugExporterFactory;
    assert.equal(f.type, 'debug');
    assert.deepEqual(f.createDefaultConfig(), { verbosity: 'basic', sampling_initial: 2, sampling_thereafter: 1 });
    assert.ok(Value.Check(f.configSchema, f.createDefaultConfig()));
    assert.ok(!Value.Check(f.configSchema, { ...f.createDefaultConfig(), verbosity: 'loud' }));
    assert.ok(!Value.Check(f.configSchema, { ...f.createDefaultConfig(), loglevel: 'debug' }));
    assert.deepEqual(Value.Default(f.configSchema, {}), f.createDefaultConfig());
  });
});

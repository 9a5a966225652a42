// Interop with the real OpenTelemetry JS SDK exporters (http/json, http/protobuf, gRPC; with and
// without gzip) into our otlp receiver, through batch, out of our file exporter. What the SDK
// sent is captured by wrapping its exporter and serializing the same items with the SDK's own
// JSON serializer; the file exporter's lines are compared with it field by field.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Attributes, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { freePort, type InProcessCollector, readLines, startCollector, tempDir, waitFor } from './helpers.js';
import { flatten } from './otlp-normalize.js';

type Enc = 'json' | 'proto' | 'grpc';
type ExportResultCb = (result: { code: number; error?: Error }) => void;

/** Wraps an SDK exporter, recording what it was asked to send. */
function recording<T>(inner: {
  export(items: T, cb: ExportResultCb): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}) {
  const sent: T[] = [];
  return {
    sent,
    exporter: {
      export(items: T, cb: ExportResultCb) {
        sent.push(items);
        inner.export(items, (r) => {
          if (r.code !== 0) sent.pop();
          cb(r);
        });
      },
      shutdown: () => inner.shutdown(),
      forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
    },
  };
}

const decoder = new TextDecoder();
const parse = (bytes: Uint8Array) => JSON.parse(decoder.decode(bytes));

interface Ports {
  grpc: number;
  http: number;
}

function exporterOptions(enc: Enc, ports: Ports, path: string, gzip: boolean) {
  const compression = gzip ? ('gzip' as never) : undefined;
  return enc === 'grpc'
    ? { url: `http://127.0.0.1:${ports.grpc}`, compression }
    : { url: `http://127.0.0.1:${ports.http}${path}`, compression, headers: { 'x-tenant': 't1' } };
}

async function sendTraces(enc: Enc, ports: Ports, gzip: boolean, tag: string) {
  const opts = exporterOptions(enc, ports, '/v1/traces', gzip);
  const inner = enc === 'json' ? new TraceJson(opts) : enc === 'proto' ? new TraceProto(opts) : new TraceGrpc(opts);
  const rec = recording<ReadableSpan[]>(inner as unknown as SpanExporter);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'interop', 'test.case': tag, 'host.cpus': 2 }),
    spanProcessors: [new BatchSpanProcessor(rec.exporter as unknown as SpanExporter)],
  });
  const tracer = provider.getTracer('interop-tracer', '1.2.3');
  const parent = tracer.startSpan('GET /orders', {
    kind: 1,
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      ratio: 0.25,
      ok: true,
      tags: ['a', 'b'],
    },
  });
  const child = tracer.startSpan(
    'SELECT orders',
    { kind: 2, attributes: { 'db.system': 'postgresql' } },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('rows', { count: 42 });
  child.setStatus({ code: 2, message: 'timeout' });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  const spans = rec.sent.flat();
  assert.equal(spans.length, 2, `${tag}: the SDK exported both spans`);
  return parse(JsonTraceSerializer.serializeRequest(spans) as Uint8Array);
}

async function sendMetrics(enc: Enc, ports: Ports, gzip: boolean, tag: string) {
  const opts = {
    ...exporterOptions(enc, ports, '/v1/metrics', gzip),
    temporalityPreference: AggregationTemporality.CUMULATIVE,
  };
  const inner =
    enc === 'json' ? new MetricsJson(opts) : enc === 'proto' ? new MetricsProto(opts) : new MetricsGrpc(opts);
  const rec = recording<ResourceMetrics>(inner as unknown as PushMetricExporter);
  const exporter = Object.assign(rec.exporter, {
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
  }) as unknown as PushMetricExporter;
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'interop', 'test.case': tag }),
    readers: [reader],
  });
  const meter = provider.getMeter('interop-meter', '0.9');
  const attrs: Attributes = { route: '/a', code: 200 };
  meter.createCounter('requests', { unit: '{request}', description: 'requests served' }).add(5, attrs);
  meter.createUpDownCounter('inflight').add(-2);
  const h = meter.createHistogram('latency', { unit: 'ms' });
  for (const v of [0.5, 12.5, 99, 1500]) h.record(v, attrs);
  meter.createObservableGauge('temperature').addCallback((r) => r.observe(21.5, { room: 'b' }));
  await reader.forceFlush();
  await reader.shutdown();
  await provider.shutdown().catch(() => undefined);
  assert.ok(rec.sent.length >= 1, `${tag}: the SDK exported metrics`);
  return (rec.sent as ResourceMetrics[]).map((rm) => parse(JsonMetricsSerializer.serializeRequest(rm) as Uint8Array));
}

async function sendLogs(enc: Enc, ports: Ports, gzip: boolean, tag: string) {
  const opts = exporterOptions(enc, ports, '/v1/logs', gzip);
  const inner = enc === 'json' ? new LogsJson(opts) : enc === 'proto' ? new LogsProto(opts) : new LogsGrpc(opts);
  const rec = recording<ReadableLogRecord[]>(inner as unknown as LogRecordExporter);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'interop', 'test.case': tag }),
    processors: [new SimpleLogRecordProcessor({ exporter: rec.exporter as unknown as LogRecordExporter })],
  });
  const logger = provider.getLogger('interop-logger', '3.0');
  logger.emit({
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'disk almost full',
    attributes: { pct: 93.5 },
  });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: { structured: true, n: 3 }, attributes: { user: 'u1' } });
  await provider.forceFlush();
  await provider.shutdown();
  const records = rec.sent.flat();
  assert.equal(records.length, 2);
  return parse(JsonLogsSerializer.serializeRequest(records) as Uint8Array);
}

const CASES: Array<{ enc: Enc; gzip: boolean }> = [
  { enc: 'json', gzip: false },
  { enc: 'json', gzip: true },
  { enc: 'proto', gzip: false },
  { enc: 'proto', gzip: true },
  { enc: 'grpc', gzip: false },
  { enc: 'grpc', gzip: true },
];

function pipelineYaml(ports: Ports, out: string, extraExporters = ''): string {
  return `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${ports.grpc} }
      http: { endpoint: 127.0.0.1:${ports.http} }
processors:
  batch: { timeout: 20ms }
exporters:
  file/traces: { path: ${join(out, 'traces.jsonl')} }
  file/metrics: { path: ${join(out, 'metrics.jsonl')} }
  file/logs: { path: ${join(out, 'logs.jsonl')} }
${extraExporters}
service:
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [file/traces] }
    metrics: { receivers: [otlp], processors: [batch], exporters: [file/metrics] }
    logs: { receivers: [otlp], processors: [batch], exporters: [file/logs] }
  telemetry:
    metrics: { level: none }
`;
}

function fileItems(signal: 'traces' | 'metrics' | 'logs', path: string, want: number) {
  return waitFor(`${want} ${signal} items in ${path}`, () => {
    const items = flatten(
      signal,
      readLines(path).map((l) => JSON.parse(l)),
    );
    return items.length >= want ? items : undefined;
  });
}

describe('OpenTelemetry JS SDK -> otlp receiver -> batch -> file exporter', () => {
  let collector: InProcessCollector;
  let ports: Ports;
  const dir = tempDir();

  before(async () => {
    ports = { grpc: await freePort(), http: await freePort() };
    collector = await startCollector(pipelineYaml(ports, dir.path));
  });
  after(async () => {
    await collector?.stop();
    dir.remove();
  });

  const expected = { traces: [] as unknown[], metrics: [] as unknown[], logs: [] as unknown[] };

  for (const { enc, gzip } of CASES) {
    const tag = `${enc}${gzip ? '+gzip' : ''}`;
    it(`carries traces, metrics and logs sent over ${tag} unchanged`, async () => {
      expected.traces.push(await sendTraces(enc, ports, gzip, tag));
      expected.metrics.push(...(await sendMetrics(enc, ports, gzip, tag)));
      expected.logs.push(await sendLogs(enc, ports, gzip, tag));
      for (const signal of ['traces', 'metrics', 'logs'] as const) {
        const want = flatten(signal, expected[signal] as never[]);
        const got = await fileItems(signal, join(dir.path, `${signal}.jsonl`), want.length);
        assert.deepEqual(got, want, `${signal} written by the file exporter equal what the SDK sent (${tag})`);
      }
    });
  }

  it('counted every accepted item in its own metrics', () => {
    const m = collector.metrics;
    const spans = m.counter('otelcol_receiver_accepted_spans_total', '').sum();
    const logs = m.counter('otelcol_receiver_accepted_log_records_total', '').sum();
    assert.equal(spans, CASES.length * 2);
    assert.equal(logs, CASES.length * 2);
    assert.equal(m.counter('otelcol_receiver_accepted_spans_total', '').sum({ transport: 'grpc' }), 4);
  });
});

describe('our otlp and otlphttp exporters -> a second collector', () => {
  it('deliver what the SDK sent, field by field, over gRPC and over HTTP (JSON and protobuf)', async () => {
    const edge = { grpc: await freePort(), http: await freePort() };
    const gateway = { grpc: await freePort(), http: await freePort() };
    const dir = tempDir();
    const gw = await startCollector(pipelineYaml(gateway, dir.path));
    const forwarders = `
  otlp/g: { endpoint: 127.0.0.1:${gateway.grpc}, tls: { insecure: true } }
  otlphttp/p: { endpoint: http://127.0.0.1:${gateway.http}, encoding: proto }
  otlphttp/j: { endpoint: http://127.0.0.1:${gateway.http}, encoding: json, compression: none }
`;
    const edgeYaml = `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${edge.grpc} }
      http: { endpoint: 127.0.0.1:${edge.http} }
processors:
  batch: { timeout: 20ms }
exporters:${forwarders}
service:
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [otlp/g, otlphttp/p, otlphttp/j] }
    metrics: { receivers: [otlp], processors: [batch], exporters: [otlp/g, otlphttp/p, otlphttp/j] }
    logs: { receivers: [otlp], processors: [batch], exporters: [otlp/g, otlphttp/p, otlphttp/j] }
  telemetry:
    metrics: { level: none }
`;
    const ed = await startCollector(edgeYaml);
    try {
      const sent = {
        traces: [await sendTraces('proto', edge, false, 'relay')],
        metrics: await sendMetrics('json', edge, true, 'relay'),
        logs: [await sendLogs('grpc', edge, false, 'relay')],
      };
      for (const signal of ['traces', 'metrics', 'logs'] as const) {
        const once = flatten(signal, sent[signal] as never[]);
        // Three exporters deliver three copies of every item.
        const want = flatten(signal, [...sent[signal], ...sent[signal], ...sent[signal]] as never[]);
        assert.ok(once.length > 0);
        const got = await fileItems(signal, join(dir.path, `${signal}.jsonl`), want.length);
        assert.deepEqual(got, want, `${signal} relayed through otlp, otlphttp/proto and otlphttp/json`);
      }
      const sentSpans = ed.metrics.counter('otelcol_exporter_sent_spans_total', '');
      for (const exporter of ['otlp/g', 'otlphttp/p', 'otlphttp/j']) {
        assert.equal(sentSpans.sum({ exporter }), 2, `${exporter} counted its sent spans`);
      }
    } finally {
      await ed.stop();
      await gw.stop();
      dir.remove();
    }
  });
});

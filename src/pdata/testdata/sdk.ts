// Requests produced by the real OpenTelemetry JS SDK and its OTLP serializers
// (@opentelemetry/otlp-transformer 0.223, the dependency of the OTLP exporters).
import { createRequire } from 'node:module';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Signal } from '../model.js';

interface Serializer {
  serializeRequest(request: unknown): Uint8Array | undefined;
}
interface Transformer {
  ProtobufTraceSerializer: Serializer;
  ProtobufMetricsSerializer: Serializer;
  ProtobufLogsSerializer: Serializer;
  JsonTraceSerializer: Serializer;
  JsonMetricsSerializer: Serializer;
  JsonLogsSerializer: Serializer;
}

// Resolved from the exporter package, i.e. the serializer the exporters really use.
const fromExporter = createRequire(createRequire(import.meta.url).resolve('@opentelemetry/exporter-trace-otlp-proto'));
export const transformer = fromExporter('@opentelemetry/otlp-transformer') as Transformer;
export const transformerVersion = (fromExporter('@opentelemetry/otlp-transformer/package.json') as { version: string })
  .version;

const resource = resourceFromAttributes({
  'service.name': 'sdk-interop',
  'service.version': '1.2.3',
  'host.arch': 'amd64',
  'process.pid': 4242,
  'deployment.environment.name': 'tést ✓',
});

async function sdkSpans(): Promise<unknown[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('interop-tracer', '0.1.0');
  tracer.startActiveSpan(
    'parent',
    { kind: SpanKind.SERVER, attributes: { 'a.string': 'x', 'a.int': 7, 'a.neg': -3 } },
    (parent) => {
      const child = tracer.startSpan(
        'child',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'a.double': 1.25,
            'a.bool': true,
            'a.strings': ['p', 'q'],
            'a.ints': [1, 2, 3],
            'a.utf8': 'grüße 😀',
          },
          links: [{ context: parent.spanContext(), attributes: { 'link.attr': 'l' } }],
        },
        trace.setSpan(context.active(), parent),
      );
      child.addEvent('retry', { attempt: 2 });
      child.setStatus({ code: 2, message: 'upstream failed' });
      child.end();
      parent.setStatus({ code: 1 });
      parent.end();
    },
  );
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function sdkMetrics(): Promise<unknown> {
  const reader = new ManualReader();
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [
      {
        instrumentName: 'exp.latency',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 40 } },
      },
    ],
  });
  const meter = provider.getMeter('interop-meter', '0.2.0');
  const counter = meter.createCounter('requests', { description: 'Requests', unit: '{request}' });
  counter.add(3, { route: '/a' });
  counter.add(5, { route: '/b' });
  const updown = meter.createUpDownCounter('queue.depth');
  updown.add(-4);
  const hist = meter.createHistogram('latency', { unit: 'ms' });
  for (const v of [0.5, 3, 12, 250, 9000]) hist.record(v, { route: '/a' });
  const exp = meter.createHistogram('exp.latency', { unit: 's' });
  for (const v of [0.001, 0.5, 2, 30, 0, -0]) exp.record(v);
  const gauge = meter.createGauge('temperature');
  gauge.record(21.5, { room: 'lab' });
  meter.createObservableGauge('uptime').addCallback((r) => r.observe(123.25));
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors);
  await provider.shutdown();
  return resourceMetrics;
}

async function sdkLogs(): Promise<unknown[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('interop-logger', '0.3.0');
  logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'hello', attributes: { k: 'v' } });
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    body: { nested: { list: [1, 'two', true] }, n: 1.5 },
    attributes: { 'error.type': 'Timeout', count: 3 },
    eventName: 'app.failure',
  });
  logger.emit({ body: new Uint8Array([0, 255, 7]) });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

/** Items the SDK produced, per signal, ready for a serializer. */
export async function sdkItems(signal: Signal): Promise<unknown> {
  switch (signal) {
    case 'traces':
      return sdkSpans();
    case 'metrics':
      return sdkMetrics();
    case 'logs':
      return sdkLogs();
  }
}

export function sdkProto(signal: Signal, items: unknown): Uint8Array {
  const s = { traces: transformer.ProtobufTraceSerializer, metrics: transformer.ProtobufMetricsSerializer };
  const out = (signal === 'logs' ? transformer.ProtobufLogsSerializer : s[signal]).serializeRequest(items);
  if (out === undefined) throw new Error(`the SDK serialized no ${signal}`);
  return out;
}

export function sdkJson(signal: Signal, items: unknown): Uint8Array {
  const s = { traces: transformer.JsonTraceSerializer, metrics: transformer.JsonMetricsSerializer };
  const out = (signal === 'logs' ? transformer.JsonLogsSerializer : s[signal]).serializeRequest(items);
  if (out === undefined) throw new Error(`the SDK serialized no ${signal}`);
  return out;
}

// Pre-encoded OTLP/HTTP protobuf requests, built once with the OpenTelemetry JS SDK and its own
// serializer (@opentelemetry/otlp-transformer), i.e. the bytes a real SDK would send. Each template
// carries one marker slot (a string attribute valued UNMARKED_VALUE) that the load generator
// patches to time one request in K.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufMetricsSerializer, ProtobufTraceSerializer } from 'otlp-decode';
import { type BenchSignal, countItems, markerSlot, UNMARKED_VALUE } from './wire.js';

export interface Payload {
  readonly signal: BenchSignal;
  /** OTLP/HTTP path on the receiver. */
  readonly path: string;
  readonly body: Buffer;
  /** Spans or metric data points per request. */
  readonly items: number;
  /** Byte offset of the marker slot in `body`. */
  readonly markerOffset: number;
  /** One-line description for the report. */
  readonly shape: string;
}

const RESOURCE = {
  'service.name': 'switchyard-bench',
  'service.namespace': 'bench',
  'service.instance.id': 'bench-0001',
  'host.name': 'bench-host',
  'telemetry.sdk.language': 'nodejs',
};

/** 100 spans x 10 attributes (mixed types); span 0's tenth attribute is the marker slot. */
export function tracePayload(spans = 100): Payload {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(RESOURCE),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('switchyard-bench', '1.0.0');
  const routes = ['/api/orders', '/api/users', '/api/cart', '/api/checkout', '/healthz'];
  for (let i = 0; i < spans; i++) {
    const span = tracer.startSpan(`GET ${routes[i % routes.length]}`, {
      kind: i % 2 === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'GET',
        'http.route': routes[i % routes.length],
        'http.response.status_code': i % 17 === 0 ? 500 : 200,
        'url.scheme': 'https',
        'server.address': 'orders.internal.example.com',
        'server.port': 8443,
        'network.protocol.version': '1.1',
        'user_agent.original': 'bench-client/1.0 (linux; node)',
        'app.cache_hit': i % 3 === 0,
        // The tenth attribute: the marker slot on span 0, a same-shaped string elsewhere.
        'bench.marker': i === 0 ? UNMARKED_VALUE : `req-${String(i).padStart(7, '0')}`,
      },
    });
    span.setStatus({ code: i % 17 === 0 ? SpanStatusCode.ERROR : SpanStatusCode.OK });
    span.end();
  }
  const finished = exporter.getFinishedSpans();
  const bytes = ProtobufTraceSerializer.serializeRequest(finished);
  if (bytes === undefined) throw new Error('ProtobufTraceSerializer returned nothing');
  const body = Buffer.from(bytes);
  const items = countItems('traces', body);
  if (items !== spans) throw new Error(`trace template: counted ${items} spans, built ${spans}`);
  return {
    signal: 'traces',
    path: '/v1/traces',
    body,
    items,
    markerOffset: markerSlot(body),
    shape: `${spans} spans x 10 attributes, ${body.length} B`,
  };
}

/** A reader that only exists so that we can call collect() once. */
class OnceReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** `points` data points: 10 metrics (6 cumulative sums, 4 gauges) x points/10 series each, 4
 * attributes per point; the first point of the first metric carries the marker slot. */
export async function metricsPayload(points = 1000): Promise<Payload> {
  const metricsCount = 10;
  if (points % metricsCount !== 0) throw new Error(`points must be a multiple of ${metricsCount}`);
  const series = points / metricsCount;
  const reader = new OnceReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes(RESOURCE), readers: [reader] });
  const meter = provider.getMeter('switchyard-bench', '1.0.0');
  const methods = ['GET', 'POST', 'PUT', 'DELETE'];
  const attrs = (m: number, s: number): Record<string, string | number> => ({
    'http.request.method': methods[s % methods.length] as string,
    'http.route': `/api/route/${s}`,
    'http.response.status_code': s % 10 === 0 ? 500 : 200,
    // Marker slot on exactly one point; other points get a same-length distinct value.
    'bench.marker':
      m === 0 && s === 0 ? UNMARKED_VALUE : `s${String(m).padStart(2, '0')}-${String(s).padStart(7, '0')}`,
  });
  for (let m = 0; m < metricsCount; m++) {
    if (m < 6) {
      const counter = meter.createCounter(`bench.requests.${m}`, { unit: '{request}', description: 'bench counter' });
      for (let s = 0; s < series; s++) counter.add(s + 1, attrs(m, s));
    } else {
      const gauge = meter.createGauge(`bench.queue.depth.${m}`, { unit: '{item}', description: 'bench gauge' });
      for (let s = 0; s < series; s++) gauge.record(s * 1.5, attrs(m, s));
    }
  }
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new Error(`metrics collect: ${String(errors[0])}`);
  const bytes = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
  if (bytes === undefined) throw new Error('ProtobufMetricsSerializer returned nothing');
  await provider.shutdown();
  const body = Buffer.from(bytes);
  const items = countItems('metrics', body);
  if (items !== points) throw new Error(`metrics template: counted ${items} points, built ${points}`);
  return {
    signal: 'metrics',
    path: '/v1/metrics',
    body,
    items,
    markerOffset: markerSlot(body),
    shape: `${points} points (6 sums + 4 gauges x ${series} series, 4 attributes), ${body.length} B`,
  };
}

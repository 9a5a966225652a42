// Realistic spans made with the OpenTelemetry JS SDK: HTTP server spans with 10 attributes
// (7 string, 2 int, 1 bool), every 5th with an event, under one resource with 10 attributes.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export async function makeSpans(n: number): Promise<ReadableSpan[]> {
  const mem = new InMemorySpanExporter();
  const resource = resourceFromAttributes({
    'service.name': 'checkout',
    'service.version': '1.4.2',
    'service.instance.id': 'checkout-7d9f8b6c5-x2x9z',
    'deployment.environment': 'production',
    'host.name': 'ip-10-0-12-34',
    'host.arch': 'amd64',
    'os.type': 'linux',
    'k8s.namespace.name': 'shop',
    'k8s.pod.name': 'checkout-7d9f8b6c5-x2x9z',
    'cloud.region': 'eu-west-1',
  });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(mem)] });
  const tracer = provider.getTracer('bench', '1.0.0');
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`GET /api/orders/${i % 7}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'url.path': `/api/orders/${i}`,
        'url.scheme': 'https',
        'server.address': 'shop.example.com',
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)',
        'network.protocol.version': '1.1',
        'http.route': '/api/orders/:id',
        'http.response.status_code': 200,
        'server.port': 443,
        'http.cached': i % 2 === 0,
      },
    });
    if (i % 5 === 0) span.addEvent('cache miss', { key: `order:${i}` });
    span.setStatus({ code: SpanStatusCode.OK });
    span.end();
  }
  await provider.forceFlush();
  const spans = mem.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

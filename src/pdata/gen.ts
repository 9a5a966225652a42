// Test data for pdata and for anyone who needs OTLP requests in tests or benchmarks:
// - fast-check arbitraries covering every field, metric type, AnyValue kind and edge value
//   (empty/unset, NaN/Infinity/-0, max uint64, negative int64, non-ASCII strings);
// - deterministic, realistic fixtures (seeded) shaped like what SDKs send.
import fc from 'fast-check';
import type {
  AnyValue,
  Exemplar,
  ExponentialHistogramBuckets,
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  InstrumentationScope,
  KeyValue,
  LogRecord,
  Metric,
  MetricData,
  NumberValue,
  RequestBySignal,
  Resource,
  Signal,
  Span,
} from './model.js';
import {
  newBuckets,
  newExemplar,
  newExponentialHistogramDataPoint,
  newHistogramDataPoint,
  newLogRecord,
  newMetric,
  newNumberDataPoint,
  newResource,
  newResourceLogs,
  newResourceMetrics,
  newResourceSpans,
  newScope,
  newScopeLogs,
  newScopeMetrics,
  newScopeSpans,
  newSpan,
  newSpanEvent,
  newSpanLink,
  newStatus,
  newSummaryDataPoint,
} from './proto/shapes.js';

// ---------------------------------------------------------------- arbitraries: scalars

export const UINT64_MAX = 2n ** 64n - 1n;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Any Unicode scalar value, weighted towards the 1-, 2-, 3- and 4-byte UTF-8 boundaries.
 * (fc.string({ unit: 'binary' }) costs over a second to build, so it is avoided.) */
const codePoint: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
  fc.constantFrom(0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0xffff, 0x10000, 0x10ffff),
);

function unicode(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.array(codePoint, { minLength, maxLength }).map((cps) => String.fromCodePoint(...cps));
}

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('', 'service.name', 'http.request.method', 'GET', 'a') },
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: unicode(0, 10) },
  { weight: 1, arbitrary: fc.string({ minLength: 33, maxLength: 90 }) },
  { weight: 1, arbitrary: unicode(20, 40) },
);

const uint32: fc.Arbitrary<number> = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 300 }),
  fc.bigInt({ min: 0n, max: 0xffffffffn }).map(Number),
);

const int32: fc.Arbitrary<number> = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 5 }),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);

const sint32: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);

/** uint64 / fixed64: zero, nanosecond times, small counts, anything up to 2^64-1. */
export const uint64: fc.Arbitrary<bigint> = fc.oneof(
  fc.constant(0n),
  fc.constant(UINT64_MAX),
  fc.bigInt({ min: 1_600_000_000_000_000_000n, max: 1_800_000_000_000_000_000n }),
  fc.bigInt({ min: 0n, max: 1000n }),
  fc.bigInt({ min: 0n, max: UINT64_MAX }),
);

export const int64: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(0n, -1n, INT64_MIN, INT64_MAX),
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
);

/** Doubles including NaN, +-Infinity, -0 and subnormals. */
export const double: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5, 5e-324),
  fc.double(),
);

const flags32: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(0, 1, 0x100, 0x301), uint32);

const bytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 40 });
const traceId: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
);
const spanId: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(new Uint8Array(0)),
  fc.uint8Array({ minLength: 8, maxLength: 8 }),
);

// ---------------------------------------------------------------- arbitraries: common

const { anyValue, keyValue } = fc.letrec<{ anyValue: AnyValue; keyValue: KeyValue }>((tie) => ({
  anyValue: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'anyValue' },
    text,
    fc.boolean(),
    int64,
    double,
    bytes,
    fc.constant(null),
    fc.array(tie('anyValue'), { maxLength: 3 }),
    fc.array(tie('keyValue'), { maxLength: 3 }).map((kvlist) => ({ kvlist: kvlist as KeyValue[] })),
  ),
  keyValue: fc.record({ key: text, value: tie('anyValue') }).map(({ key, value }) => ({ key, value })),
}));

export { anyValue };

export const attributes: fc.Arbitrary<KeyValue[]> = fc.array(keyValue, { maxLength: 4 });

const resource: fc.Arbitrary<Resource | undefined> = fc.option(
  fc.record({ attributes, droppedAttributesCount: uint32 }).map((r) => Object.assign(newResource(), r)),
  { nil: undefined },
);

const scope: fc.Arbitrary<InstrumentationScope | undefined> = fc.option(
  fc
    .record({ name: text, version: text, attributes, droppedAttributesCount: uint32 })
    .map((s) => Object.assign(newScope(), s)),
  { nil: undefined },
);

// ---------------------------------------------------------------- arbitraries: traces

const span: fc.Arbitrary<Span> = fc
  .record({
    traceId,
    spanId,
    traceState: text,
    parentSpanId: spanId,
    flags: flags32,
    name: text,
    kind: int32,
    startTimeUnixNano: uint64,
    endTimeUnixNano: uint64,
    attributes,
    droppedAttributesCount: uint32,
    events: fc.array(
      fc
        .record({ timeUnixNano: uint64, name: text, attributes, droppedAttributesCount: uint32 })
        .map((e) => Object.assign(newSpanEvent(), e)),
      { maxLength: 2 },
    ),
    droppedEventsCount: uint32,
    links: fc.array(
      fc
        .record({ traceId, spanId, traceState: text, attributes, droppedAttributesCount: uint32, flags: flags32 })
        .map((l) => Object.assign(newSpanLink(), l)),
      { maxLength: 2 },
    ),
    droppedLinksCount: uint32,
    status: fc.option(
      fc.record({ message: text, code: int32 }).map((s) => Object.assign(newStatus(), s)),
      { nil: undefined },
    ),
  })
  .map((s) => Object.assign(newSpan(), s));

export const tracesRequest: fc.Arbitrary<ExportTraceServiceRequest> = fc
  .array(
    fc
      .record({
        resource,
        scopeSpans: fc.array(
          fc
            .record({ scope, spans: fc.array(span, { maxLength: 3 }), schemaUrl: text })
            .map((s) => Object.assign(newScopeSpans(), s)),
          { maxLength: 2 },
        ),
        schemaUrl: text,
      })
      .map((r) => Object.assign(newResourceSpans(), r)),
    { maxLength: 2 },
  )
  .map((resourceSpans) => ({ resourceSpans }));

// ---------------------------------------------------------------- arbitraries: metrics

const numberValue: fc.Arbitrary<NumberValue> = fc.oneof(fc.constant(undefined), double, int64);
const optionalDouble: fc.Arbitrary<number | undefined> = fc.option(double, { nil: undefined });

const exemplars: fc.Arbitrary<Exemplar[]> = fc.array(
  fc
    .record({ filteredAttributes: attributes, timeUnixNano: uint64, value: numberValue, spanId, traceId })
    .map((x) => Object.assign(newExemplar(), x)),
  { maxLength: 2 },
);

const numberPoints = fc.array(
  fc
    .record({
      attributes,
      startTimeUnixNano: uint64,
      timeUnixNano: uint64,
      value: numberValue,
      exemplars,
      flags: uint32,
    })
    .map((p) => Object.assign(newNumberDataPoint(), p)),
  { maxLength: 3 },
);

const histogramPoints = fc.array(
  fc
    .record({
      attributes,
      startTimeUnixNano: uint64,
      timeUnixNano: uint64,
      count: uint64,
      sum: optionalDouble,
      bucketCounts: fc.array(uint64, { maxLength: 6 }),
      explicitBounds: fc.array(double, { maxLength: 5 }),
      exemplars,
      flags: uint32,
      min: optionalDouble,
      max: optionalDouble,
    })
    .map((p) => Object.assign(newHistogramDataPoint(), p)),
  { maxLength: 3 },
);

const buckets: fc.Arbitrary<ExponentialHistogramBuckets | undefined> = fc.option(
  fc
    .record({ offset: sint32, bucketCounts: fc.array(uint64, { maxLength: 6 }) })
    .map((b) => Object.assign(newBuckets(), b)),
  { nil: undefined },
);

const exponentialPoints = fc.array(
  fc
    .record({
      attributes,
      startTimeUnixNano: uint64,
      timeUnixNano: uint64,
      count: uint64,
      sum: optionalDouble,
      scale: sint32,
      zeroCount: uint64,
      positive: buckets,
      negative: buckets,
      flags: uint32,
      exemplars,
      min: optionalDouble,
      max: optionalDouble,
      zeroThreshold: double,
    })
    .map((p) => Object.assign(newExponentialHistogramDataPoint(), p)),
  { maxLength: 3 },
);

const summaryPoints = fc.array(
  fc
    .record({
      attributes,
      startTimeUnixNano: uint64,
      timeUnixNano: uint64,
      count: uint64,
      sum: double,
      quantileValues: fc.array(
        fc.record({ quantile: double, value: double }).map(({ quantile, value }) => ({ quantile, value })),
        { maxLength: 3 },
      ),
      flags: uint32,
    })
    .map((p) => Object.assign(newSummaryDataPoint(), p)),
  { maxLength: 3 },
);

export const metricData: fc.Arbitrary<MetricData> = fc.oneof(
  numberPoints.map((dataPoints): MetricData => ({ type: 'gauge', dataPoints })),
  fc
    .record({ dataPoints: numberPoints, aggregationTemporality: int32, isMonotonic: fc.boolean() })
    .map((d): MetricData => ({ type: 'sum', ...d })),
  fc
    .record({ dataPoints: histogramPoints, aggregationTemporality: int32 })
    .map((d): MetricData => ({ type: 'histogram', ...d })),
  fc
    .record({ dataPoints: exponentialPoints, aggregationTemporality: int32 })
    .map((d): MetricData => ({ type: 'exponentialHistogram', ...d })),
  summaryPoints.map((dataPoints): MetricData => ({ type: 'summary', dataPoints })),
);

const metric: fc.Arbitrary<Metric> = fc
  .record({
    name: text,
    description: text,
    unit: text,
    data: fc.option(metricData, { nil: undefined, freq: 8 }),
    metadata: attributes,
  })
  .map((m) => Object.assign(newMetric(), m));

export const metricsRequest: fc.Arbitrary<ExportMetricsServiceRequest> = fc
  .array(
    fc
      .record({
        resource,
        scopeMetrics: fc.array(
          fc
            .record({ scope, metrics: fc.array(metric, { maxLength: 3 }), schemaUrl: text })
            .map((s) => Object.assign(newScopeMetrics(), s)),
          { maxLength: 2 },
        ),
        schemaUrl: text,
      })
      .map((r) => Object.assign(newResourceMetrics(), r)),
    { maxLength: 2 },
  )
  .map((resourceMetrics) => ({ resourceMetrics }));

// ---------------------------------------------------------------- arbitraries: logs

const logRecord: fc.Arbitrary<LogRecord> = fc
  .record({
    timeUnixNano: uint64,
    observedTimeUnixNano: uint64,
    severityNumber: int32,
    severityText: text,
    body: fc.option(anyValue, { nil: undefined }),
    attributes,
    droppedAttributesCount: uint32,
    flags: flags32,
    traceId,
    spanId,
    eventName: text,
  })
  .map((l) => Object.assign(newLogRecord(), l));

export const logsRequest: fc.Arbitrary<ExportLogsServiceRequest> = fc
  .array(
    fc
      .record({
        resource,
        scopeLogs: fc.array(
          fc
            .record({ scope, logRecords: fc.array(logRecord, { maxLength: 3 }), schemaUrl: text })
            .map((s) => Object.assign(newScopeLogs(), s)),
          { maxLength: 2 },
        ),
        schemaUrl: text,
      })
      .map((r) => Object.assign(newResourceLogs(), r)),
    { maxLength: 2 },
  )
  .map((resourceLogs) => ({ resourceLogs }));

export function requestArbitrary<S extends Signal>(signal: S): fc.Arbitrary<RequestBySignal[S]> {
  const bySignal = { traces: tracesRequest, metrics: metricsRequest, logs: logsRequest };
  return bySignal[signal] as unknown as fc.Arbitrary<RequestBySignal[S]>;
}

// ---------------------------------------------------------------- realistic fixtures

/** Small seeded PRNG (mulberry32): the same seed gives the same fixture everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

function kv(key: string, value: AnyValue): KeyValue {
  return { key, value };
}

/** A resource like the one an SDK on Kubernetes reports. */
export function realisticResource(service = 'checkout'): Resource {
  const r = newResource();
  r.attributes = [
    kv('service.name', service),
    kv('service.version', '2.14.3'),
    kv('service.namespace', 'shop'),
    kv('service.instance.id', '627cc493-f310-47de-96bd-71410b7dec09'),
    kv('deployment.environment.name', 'production'),
    kv('telemetry.sdk.name', 'opentelemetry'),
    kv('telemetry.sdk.language', 'nodejs'),
    kv('telemetry.sdk.version', '2.12.1'),
    kv('host.name', 'ip-10-0-12-34.eu-west-1.compute.internal'),
    kv('host.arch', 'amd64'),
    kv('os.type', 'linux'),
    kv('process.pid', 4711n),
    kv('process.runtime.name', 'nodejs'),
    kv('process.runtime.version', '20.20.2'),
    kv('k8s.namespace.name', 'shop'),
    kv('k8s.pod.name', `${service}-7c9f8d6b5-x2x4q`),
    kv('k8s.node.name', 'ip-10-0-12-34.eu-west-1.compute.internal'),
    kv('cloud.provider', 'aws'),
    kv('cloud.region', 'eu-west-1'),
  ];
  return r;
}

function realisticScope(name: string): InstrumentationScope {
  const s = newScope();
  s.name = name;
  s.version = '0.57.0';
  return s;
}

const ROUTES = ['/api/v1/users/{id}', '/api/v1/cart', '/api/v1/checkout', '/api/v1/products/{id}', '/healthz'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const BASE_TIME = 1_760_000_000_000_000_000n;

/** Traces: `spans` spans of an HTTP service, `attrs` attributes each (10 by default). */
export function realisticTraces(spans = 100, seed = 1, attrs = 10): ExportTraceServiceRequest {
  const rand = prng(seed);
  const ss = newScopeSpans();
  ss.scope = realisticScope('@opentelemetry/instrumentation-http');
  const trace = randomBytes(rand, 16);
  for (let i = 0; i < spans; i++) {
    const s = newSpan();
    const method = pick(rand, METHODS);
    const route = pick(rand, ROUTES);
    const status = rand() < 0.05 ? 500 : 200;
    s.traceId = i % 10 === 0 ? randomBytes(rand, 16) : trace;
    s.spanId = randomBytes(rand, 8);
    s.parentSpanId = i % 10 === 0 ? new Uint8Array(0) : randomBytes(rand, 8);
    s.flags = 0x101;
    s.name = `${method} ${route}`;
    s.kind = i % 10 === 0 ? 2 : 3;
    s.startTimeUnixNano = BASE_TIME + BigInt(i) * 1_000_000n + BigInt(Math.floor(rand() * 1000));
    s.endTimeUnixNano = s.startTimeUnixNano + BigInt(Math.floor(rand() * 50_000_000));
    const all: KeyValue[] = [
      kv('http.request.method', method),
      kv('http.route', route),
      kv('http.response.status_code', BigInt(status)),
      kv('url.full', `https://shop.example.com${route.replace('{id}', String(Math.floor(rand() * 100000)))}?ref=home`),
      kv('url.scheme', 'https'),
      kv('server.address', 'shop.example.com'),
      kv('server.port', 443n),
      kv('network.protocol.version', '1.1'),
      kv('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)'),
      kv('client.address', `10.0.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`),
      kv('http.request.body.size', BigInt(Math.floor(rand() * 4000))),
      kv('session.sampled', rand() < 0.5),
    ];
    s.attributes = all.slice(0, attrs);
    if (status === 500) {
      const st = newStatus();
      st.code = 2;
      st.message = 'Internal Server Error';
      s.status = st;
      const ev = newSpanEvent();
      ev.name = 'exception';
      ev.timeUnixNano = s.endTimeUnixNano;
      ev.attributes = [kv('exception.type', 'Error'), kv('exception.message', 'connection reset by peer')];
      s.events.push(ev);
    }
    ss.spans.push(s);
  }
  const rs = newResourceSpans();
  rs.resource = realisticResource();
  rs.scopeSpans.push(ss);
  rs.schemaUrl = 'https://opentelemetry.io/schemas/1.26.0';
  return { resourceSpans: [rs] };
}

const BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/** Metrics: `points` data points (a multiple of 10), 40% sums, 30% gauges, 30% histograms. */
export function realisticMetrics(points = 1000, seed = 2): ExportMetricsServiceRequest {
  const rand = prng(seed);
  const sm = newScopeMetrics();
  sm.scope = realisticScope('@opentelemetry/sdk-metrics');
  const start = BASE_TIME;
  const time = BASE_TIME + 60_000_000_000n;
  const metrics = Math.max(1, Math.floor(points / 10));
  for (let m = 0; m < metrics; m++) {
    const metric = newMetric();
    const kind = m % 10 < 4 ? 'sum' : m % 10 < 7 ? 'gauge' : 'histogram';
    metric.name = `app.${kind}.metric_${m}`;
    metric.description = `Synthetic ${kind} number ${m}`;
    metric.unit = kind === 'histogram' ? 'ms' : '1';
    const per = m === metrics - 1 ? points - 10 * (metrics - 1) : 10;
    const attrsFor = (i: number): KeyValue[] => [
      kv('http.request.method', pick(rand, METHODS)),
      kv('http.route', ROUTES[i % ROUTES.length]!),
      kv('http.response.status_code', i % 7 === 0 ? 500n : 200n),
      kv('instance', `pod-${i % 3}`),
    ];
    if (kind === 'histogram') {
      const dataPoints = [];
      for (let i = 0; i < per; i++) {
        const p = newHistogramDataPoint();
        p.attributes = attrsFor(i);
        p.startTimeUnixNano = start;
        p.timeUnixNano = time;
        p.explicitBounds = BOUNDS.slice();
        let count = 0n;
        for (let b = 0; b <= BOUNDS.length; b++) {
          const c = BigInt(Math.floor(rand() * 50));
          p.bucketCounts.push(c);
          count += c;
        }
        p.count = count;
        p.sum = Number(count) * 37.5;
        p.min = 0.4;
        p.max = 9800.25;
        dataPoints.push(p);
      }
      metric.data = { type: 'histogram', dataPoints, aggregationTemporality: 2 };
    } else {
      const dataPoints = [];
      for (let i = 0; i < per; i++) {
        const p = newNumberDataPoint();
        p.attributes = attrsFor(i);
        p.startTimeUnixNano = kind === 'sum' ? start : 0n;
        p.timeUnixNano = time;
        p.value = kind === 'sum' ? BigInt(Math.floor(rand() * 1e6)) : Math.round(rand() * 1e6) / 100;
        dataPoints.push(p);
      }
      metric.data =
        kind === 'sum'
          ? { type: 'sum', dataPoints, aggregationTemporality: 2, isMonotonic: true }
          : { type: 'gauge', dataPoints };
    }
    sm.metrics.push(metric);
  }
  const rm = newResourceMetrics();
  rm.resource = realisticResource();
  rm.scopeMetrics.push(sm);
  return { resourceMetrics: [rm] };
}

/** Logs: `records` log records with a string body and a few attributes. */
export function realisticLogs(records = 100, seed = 3): ExportLogsServiceRequest {
  const rand = prng(seed);
  const sl = newScopeLogs();
  sl.scope = realisticScope('pino');
  for (let i = 0; i < records; i++) {
    const lr = newLogRecord();
    lr.timeUnixNano = BASE_TIME + BigInt(i) * 1_000_000n;
    lr.observedTimeUnixNano = lr.timeUnixNano + 1000n;
    const error = rand() < 0.1;
    lr.severityNumber = error ? 17 : 9;
    lr.severityText = error ? 'ERROR' : 'INFO';
    lr.body = error ? `request failed: upstream timeout after ${Math.floor(rand() * 3000)} ms` : 'request completed';
    lr.attributes = [kv('http.route', pick(rand, ROUTES)), kv('duration_ms', Math.round(rand() * 1e4) / 10)];
    lr.traceId = randomBytes(rand, 16);
    lr.spanId = randomBytes(rand, 8);
    lr.flags = 1;
    sl.logRecords.push(lr);
  }
  const rl = newResourceLogs();
  rl.resource = realisticResource();
  rl.scopeLogs.push(sl);
  return { resourceLogs: [rl] };
}

export function realisticRequest<S extends Signal>(signal: S): RequestBySignal[S] {
  const bySignal: RequestBySignal = { traces: realisticTraces(), metrics: realisticMetrics(), logs: realisticLogs() };
  return bySignal[signal];
}

// Trace structure parity with real instrumentation: the same seeded two-service checkout workload instrumented the
// old way (OpenTracing API through @opentelemetry/shim-opentracing, span.kind/error tags) and the new way (native
// OpenTelemetry API spans), both exported over OTLP by the SDK into a real collector (otlp receiver -> file exporter),
// read back from the file and compared with compareTraces.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Span as OtelSpan,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TracerShim } from '@opentelemetry/shim-opentracing';
import * as opentracing from 'opentracing';
import { prng } from '../src/pdata/gen.js';
import { requestFromJson } from '../src/pdata/json/index.js';
import type { ResourceSpans } from '../src/pdata/model.js';
import { compareTraces, renderTracesText, type TraceComparison } from '../src/verify/traces/index.js';
import { freePort, readLines, startCollector, tempDir, waitFor } from './helpers.js';

// ---------------------------------------------------------------- the workload (seeded, instrumentation-agnostic)

interface Item {
  readonly sku: number;
  readonly dbMs: number;
  readonly backendMs: number;
  readonly netMs: number;
  readonly fail: boolean;
}
interface Request {
  readonly order: number;
  readonly cartMs: number;
  readonly items: readonly Item[];
  readonly paymentMs: number | undefined;
  readonly overheadMs: number;
}

function lognormal(rand: () => number, median: number, sigma: number): number {
  const u = Math.max(rand(), 1e-12);
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand()));
}

function plan(requests: number, seed: number): Request[] {
  const rand = prng(seed);
  const out: Request[] = [];
  for (let i = 0; i < requests; i++) {
    const items: Item[] = [];
    const n = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < n; k++) {
      items.push({
        sku: 100 + Math.floor(rand() * 900),
        dbMs: lognormal(rand, 4, 0.3),
        backendMs: lognormal(rand, 2, 0.2),
        netMs: lognormal(rand, 1, 0.2),
        fail: rand() < 0.05,
      });
    }
    out.push({
      order: 10_000 + Math.floor(rand() * 90_000),
      cartMs: lognormal(rand, 3, 0.2),
      items,
      paymentMs: rand() < 0.3 ? lognormal(rand, 20, 0.2) : undefined,
      overheadMs: lognormal(rand, 5, 0.2),
    });
  }
  return out;
}

const spansOf = (reqs: readonly Request[]): number =>
  reqs.reduce((s, r) => s + 2 + r.items.length * 3 + (r.paymentMs === undefined ? 0 : 1), 0);

const T0 = 1_767_000_000_000; // ms since the epoch; request i starts at T0 + i seconds

interface Providers {
  readonly frontend: BasicTracerProvider;
  readonly backend: BasicTracerProvider;
}

function providers(port: number, encoding: 'json' | 'proto'): Providers {
  const make = (service: string): BasicTracerProvider => {
    const url = `http://127.0.0.1:${port}/v1/traces`;
    const exporter = encoding === 'json' ? new OtlpJson({ url }) : new OtlpProto({ url });
    return new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [
        new BatchSpanProcessor(exporter, { maxQueueSize: 20_000, maxExportBatchSize: 1000, scheduledDelayMillis: 20 }),
      ],
    });
  };
  return { frontend: make('frontend'), backend: make('backend') };
}

const w3c = new W3CTraceContextPropagator();

/** The old path: OpenTracing API calls through the shim, kinds and errors as OpenTracing tags. */
function runOpenTracing(p: Providers, reqs: readonly Request[]): void {
  const fe = new TracerShim(p.frontend.getTracer('checkout-opentracing'), { httpHeadersPropagator: w3c });
  const be = new TracerShim(p.backend.getTracer('inventory-opentracing'), { httpHeadersPropagator: w3c });
  reqs.forEach((r, i) => {
    let t = T0 + i * 1000;
    const server = fe.startSpan(`GET /checkout/${r.order}`, {
      startTime: t,
      tags: { 'span.kind': 'server', 'http.method': 'GET', 'order.id': String(r.order) },
    });
    t += 0.5;
    const cart = fe.startSpan('load-cart', { childOf: server, startTime: t });
    t += r.cartMs;
    cart.finish(t);
    for (const it of r.items) {
      const client = fe.startSpan(`GET /inventory/${it.sku}`, {
        childOf: server,
        startTime: t,
        tags: { 'span.kind': 'client', 'http.method': 'GET', 'peer.service': 'backend' },
      });
      const headers: Record<string, string> = {};
      fe.inject(client.context(), opentracing.FORMAT_HTTP_HEADERS, headers);
      const remote = be.extract(opentracing.FORMAT_HTTP_HEADERS, headers);
      const bs = be.startSpan(`GET /inventory/${it.sku}`, {
        ...(remote !== null ? { childOf: remote } : {}),
        startTime: t + it.netMs / 2,
        tags: { 'span.kind': 'server', 'http.method': 'GET' },
      });
      const db = be.startSpan('SELECT inventory', {
        childOf: bs,
        startTime: t + it.netMs / 2 + it.backendMs / 2,
        tags: { 'span.kind': 'client', 'db.system': 'postgresql' },
      });
      if (it.fail) db.setTag(opentracing.Tags.ERROR, true);
      db.finish(t + it.netMs / 2 + it.backendMs / 2 + it.dbMs);
      bs.finish(t + it.netMs / 2 + it.backendMs + it.dbMs);
      t += it.netMs + it.backendMs + it.dbMs;
      client.finish(t);
    }
    if (r.paymentMs !== undefined) {
      const pay = fe.startSpan('POST /payments', {
        childOf: server,
        startTime: t,
        tags: { 'span.kind': 'client', 'http.method': 'POST' },
      });
      t += r.paymentMs;
      pay.finish(t);
    }
    server.finish(t + r.overheadMs);
  });
}

interface NativeVariant {
  /** The frontend forgets to inject the context (and the backend finds none to extract). */
  readonly noPropagation?: boolean;
  /** The frontend records the order id as `app.order_id` instead of `order.id`. */
  readonly orderKey?: string;
  /** The outgoing inventory call span is created without a kind (INTERNAL). */
  readonly clientAsInternal?: boolean;
}

/** The new path: native OpenTelemetry API spans with kinds, status and current semantic-convention keys. */
function runNative(p: Providers, reqs: readonly Request[], v: NativeVariant = {}): void {
  const fe: Tracer = p.frontend.getTracer('checkout');
  const be: Tracer = p.backend.getTracer('inventory');
  const child = (tr: Tracer, parent: OtelSpan, name: string, opts: Parameters<Tracer['startSpan']>[1]): OtelSpan =>
    tr.startSpan(name, opts, trace.setSpan(ROOT_CONTEXT, parent));
  reqs.forEach((r, i) => {
    let t = T0 + i * 1000;
    const server = fe.startSpan(
      `GET /checkout/${r.order}`,
      {
        kind: SpanKind.SERVER,
        startTime: t,
        attributes: { 'http.request.method': 'GET', [v.orderKey ?? 'order.id']: String(r.order) },
      },
      ROOT_CONTEXT,
    );
    t += 0.5;
    const cart = child(fe, server, 'load-cart', { startTime: t });
    t += r.cartMs;
    cart.end(t);
    for (const it of r.items) {
      const client = child(fe, server, `GET /inventory/${it.sku}`, {
        kind: v.clientAsInternal === true ? SpanKind.INTERNAL : SpanKind.CLIENT,
        startTime: t,
        attributes: { 'http.request.method': 'GET', 'peer.service': 'backend' },
      });
      const headers: Record<string, string> = {};
      if (v.noPropagation !== true) w3c.inject(trace.setSpan(ROOT_CONTEXT, client), headers, defaultTextMapSetter);
      const remote = w3c.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      const bs = be.startSpan(
        `GET /inventory/${it.sku}`,
        { kind: SpanKind.SERVER, startTime: t + it.netMs / 2, attributes: { 'http.request.method': 'GET' } },
        remote,
      );
      const db = child(be, bs, 'SELECT inventory', {
        kind: SpanKind.CLIENT,
        startTime: t + it.netMs / 2 + it.backendMs / 2,
        attributes: { 'db.system.name': 'postgresql' },
      });
      if (it.fail) db.setStatus({ code: SpanStatusCode.ERROR });
      db.end(t + it.netMs / 2 + it.backendMs / 2 + it.dbMs);
      bs.end(t + it.netMs / 2 + it.backendMs + it.dbMs);
      t += it.netMs + it.backendMs + it.dbMs;
      client.end(t);
    }
    if (r.paymentMs !== undefined) {
      const pay = child(fe, server, 'POST /payments', {
        kind: SpanKind.CLIENT,
        startTime: t,
        attributes: { 'http.request.method': 'POST' },
      });
      t += r.paymentMs;
      pay.end(t);
    }
    server.end(t + r.overheadMs);
  });
}

/** Runs one instrumented workload through a fresh collector and returns what its file exporter wrote. */
async function throughCollector(
  encoding: 'json' | 'proto',
  expectedSpans: number,
  run: (p: Providers) => void,
): Promise<ResourceSpans[]> {
  const dir = tempDir('switchyard-verify-traces-');
  const port = await freePort();
  const out = join(dir.path, 'traces.jsonl');
  const collector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${port} }
exporters:
  file: { path: ${out}, flush_interval: 0s }
service:
  pipelines:
    traces: { receivers: [otlp], exporters: [file] }
  telemetry:
    metrics: { level: none }
`);
  try {
    const p = providers(port, encoding);
    run(p);
    await Promise.all([p.frontend.forceFlush(), p.backend.forceFlush()]);
    await Promise.all([p.frontend.shutdown(), p.backend.shutdown()]);
    return await waitFor(`${expectedSpans} spans in ${out}`, () => {
      const rss = readLines(out).flatMap((l) => requestFromJson('traces', l).resourceSpans);
      let n = 0;
      for (const rs of rss) for (const ss of rs.scopeSpans) n += ss.spans.length;
      return n >= expectedSpans ? rss : undefined;
    });
  } finally {
    await collector.stop();
    dir.remove();
  }
}

// ---------------------------------------------------------------- scenarios

// The semantic-convention renames a migration pack would supply (http.method -> http.request.method, ...).
const SEMCONV = new Map([
  ['http.method', 'http.request.method'],
  ['db.system', 'db.system.name'],
]);
const REQUESTS = 600;

function codes(c: TraceComparison, severity: 'fail' | 'warn' | 'info'): string[] {
  return c.findings.filter((f) => f.severity === severity).map((f) => f.code);
}

describe('verify traces: OpenTracing (shim) baseline vs native OpenTelemetry candidates, through a collector', () => {
  const before_ = plan(REQUESTS, 11);
  const after_ = plan(REQUESTS, 12); // another day's traffic: same distributions, different draws
  let baseline: ResourceSpans[] = [];

  before(async () => {
    baseline = await throughCollector('json', spansOf(before_), (p) => runOpenTracing(p, before_));
  });
  after(() => {
    baseline = [];
  });

  it('a faithful migration passes', async () => {
    const candidate = await throughCollector('proto', spansOf(after_), (p) => runNative(p, after_));
    const c = compareTraces(baseline, candidate, { renames: SEMCONV });
    assert.equal(c.summary.baselineTraces, REQUESTS);
    assert.equal(c.summary.candidateTraces, REQUESTS);
    assert.equal(c.summary.baselineSpans, spansOf(before_));
    assert.deepEqual(codes(c, 'fail'), [], renderTracesText(c, { color: false }));
    assert.equal(c.verdict, 'PASS', renderTracesText(c, { color: false }));
    // The shim's spans were INTERNAL with span.kind tags; they were read as SERVER/CLIENT.
    assert.ok(c.integrity.baseline.kindFromTag > 0);
    assert.equal(c.integrity.candidate.kindFromTag, 0);
    const root = c.roots[0];
    assert.equal(root?.root, 'frontend SERVER GET /checkout/{id}');
    assert.equal(c.roots.length, 1);
    // Error status from the OpenTracing `error` tag matches setStatus(ERROR) on the same path.
    const inv = root?.tree.children.find((n) => n.label === 'frontend CLIENT GET /inventory/{id}');
    const db = inv?.children[0]?.children[0];
    assert.equal(db?.label, 'backend CLIENT SELECT inventory');
    assert.ok((db?.baseline?.errorRate ?? 0) > 0.02 && (db?.candidate?.errorRate ?? 0) > 0.02);
  });

  it('broken propagation between the services fails as TRACES_SPLIT naming both halves', async () => {
    const candidate = await throughCollector('proto', spansOf(after_), (p) =>
      runNative(p, after_, { noPropagation: true }),
    );
    const c = compareTraces(baseline, candidate, { renames: SEMCONV });
    assert.equal(c.verdict, 'FAIL');
    const split = c.findings.find((f) => f.code === 'TRACES_SPLIT');
    assert.ok(split, renderTracesText(c, { color: false }));
    assert.equal(split.severity, 'fail');
    assert.equal(split.root, 'frontend SERVER GET /checkout/{id}');
    assert.match(split.message, /backend SERVER GET \/inventory\/\{id\} starts [\d,]+ trace\(s\) of its own/);
    assert.match(split.message, /under frontend CLIENT GET \/inventory\/\{id\}/);
    assert.match(split.message, /from frontend to backend/);
    // The lower half is its own root operation, marked as split off the upper half.
    const lower = c.roots.find((r) => r.root === 'backend SERVER GET /inventory/{id}');
    assert.equal(lower?.splitFrom?.root, 'frontend SERVER GET /checkout/{id}');
    assert.equal(
      lower?.candidateTraces,
      after_.reduce((s, r) => s + r.items.length, 0),
    );
    assert.equal(c.summary.candidateTraces, REQUESTS + (lower?.candidateTraces ?? 0));
    // The missing subtree is explained by the split rather than reported path by path.
    assert.deepEqual(
      c.findings.filter((f) => f.code === 'PATH_MISSING'),
      [],
    );
  });

  it('a renamed span attribute without a mapping fails; with the mapping it passes', async () => {
    const candidate = await throughCollector('json', spansOf(after_), (p) =>
      runNative(p, after_, { orderKey: 'app.order_id' }),
    );
    const c = compareTraces(baseline, candidate, { renames: SEMCONV });
    assert.equal(c.verdict, 'FAIL');
    const missing = c.findings.find((f) => f.code === 'ATTRIBUTE' && f.attribute?.key === 'order.id');
    assert.ok(missing, renderTracesText(c, { color: false }));
    assert.equal(missing.severity, 'fail');
    assert.equal(missing.attribute?.status, 'MISSING');
    assert.equal(missing.path, 'frontend SERVER GET /checkout/{id}');
    assert.match(missing.fix ?? '', /rename/);
    const mapped = compareTraces(baseline, candidate, {
      renames: new Map([...SEMCONV, ['order.id', 'app.order_id']]),
    });
    assert.equal(mapped.verdict, 'PASS', renderTracesText(mapped, { color: false }));
  });

  it('a CLIENT span turned INTERNAL fails as KIND_CHANGED and INTERNAL_AT_BOUNDARY', async () => {
    const candidate = await throughCollector('proto', spansOf(after_), (p) =>
      runNative(p, after_, { clientAsInternal: true }),
    );
    const c = compareTraces(baseline, candidate, { renames: SEMCONV });
    assert.equal(c.verdict, 'FAIL');
    const kind = c.findings.find((f) => f.code === 'KIND_CHANGED');
    assert.ok(kind, renderTracesText(c, { color: false }));
    assert.equal(kind.path, 'frontend SERVER GET /checkout/{id} > frontend CLIENT GET /inventory/{id}');
    assert.match(kind.message, /CLIENT -> INTERNAL/);
    assert.match(kind.message, /span\.kind tag/);
    const boundary = c.findings.find((f) => f.code === 'INTERNAL_AT_BOUNDARY');
    assert.equal(boundary?.severity, 'fail');
    assert.match(boundary?.message ?? '', /frontend INTERNAL -> backend SERVER/);
    const node = c.roots[0]?.tree.children.find((n) => n.status === 'kind');
    assert.equal(node?.candidateLabel, 'frontend INTERNAL GET /inventory/{id}');
    assert.equal(codes(c, 'fail').includes('PATH_MISSING'), false);
  });
});

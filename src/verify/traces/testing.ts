// Builders for trace-comparison tests and benchmarks: span trees written as nested specs, and a seeded two-service
// checkout workload in pdata form.
import { prng } from '../../pdata/gen.js';
import type { AnyValue, KeyValue, ResourceSpans, Span } from '../../pdata/model.js';

export interface SpanSpec {
  readonly service: string;
  readonly name: string;
  /** SpanKind number; default INTERNAL (1). */
  readonly kind?: number;
  readonly durationMs?: number;
  readonly attrs?: Readonly<Record<string, AnyValue>>;
  readonly error?: boolean;
  readonly children?: readonly SpanSpec[];
  /** Override the parent span id (hex; '' = root) — for orphans and broken links. */
  readonly parentId?: string;
  /** Override this span's id (hex) — for shared and duplicate ids. */
  readonly id?: string;
  /** This span starts a new trace (a new trace id, no parent): broken propagation. */
  readonly newTrace?: boolean;
}

const BASE = 1_760_000_000_000_000_000n;

function bytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 + Math.floor(rand() * 255);
  return out;
}

function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Each spec is one trace; spans are grouped into one ResourceSpans per service (in first-seen order). */
export function buildTraces(traces: readonly SpanSpec[], seed = 1): ResourceSpans[] {
  const rand = prng(seed);
  const byService = new Map<string, Span[]>();
  traces.forEach((root, t) => {
    const start = BASE + BigInt(t) * 1_000_000_000n;
    const walk = (s: SpanSpec, parentIn: Uint8Array, at: bigint, traceIn: Uint8Array): void => {
      const traceId = s.newTrace === true ? bytes(rand, 16) : traceIn;
      const parent = s.newTrace === true ? new Uint8Array(0) : parentIn;
      const spanId = s.id !== undefined ? fromHex(s.id) : bytes(rand, 8);
      const dur = BigInt(Math.round((s.durationMs ?? 1) * 1e6));
      const attributes: KeyValue[] = Object.entries(s.attrs ?? {}).map(([key, value]) => ({ key, value }));
      const span: Span = {
        traceId,
        spanId,
        traceState: '',
        parentSpanId: s.parentId !== undefined ? fromHex(s.parentId) : parent,
        flags: 1,
        name: s.name,
        kind: s.kind ?? 1,
        startTimeUnixNano: at,
        endTimeUnixNano: at + dur,
        attributes,
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        ...(s.error === true ? { status: { code: 2, message: 'failed' } } : {}),
      };
      const list = byService.get(s.service);
      if (list === undefined) byService.set(s.service, [span]);
      else list.push(span);
      for (const c of s.children ?? []) walk(c, spanId, at + 1000n, traceId);
    };
    walk(root, new Uint8Array(0), start, bytes(rand, 16));
  });
  return [...byService].map(([service, spans]) => ({
    resource: { attributes: [{ key: 'service.name', value: service }], droppedAttributesCount: 0 },
    scopeSpans: [
      { scope: { name: 'test', version: '1', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' },
    ],
    schemaUrl: '',
  }));
}

export interface CheckoutOptions {
  readonly traces: number;
  readonly seed: number;
  /** Multiply every duration (latency regressions). */
  readonly slowdown?: number;
  /** Backend spans start their own traces (no context propagation). */
  readonly split?: boolean;
  /** The frontend's outgoing call span is INTERNAL instead of CLIENT. */
  readonly clientAsInternal?: boolean;
  /** Attribute key the frontend server span records the order id under (default `order.id`). */
  readonly orderKey?: string;
  /** Share of requests with a payment call (default 0.3). */
  readonly paymentShare?: number;
  /** Share of failing database calls (default 0.05). */
  readonly dbFailShare?: number;
}

function lognormal(rand: () => number, median: number, sigma: number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/**
 * A two-service checkout: frontend SERVER `GET /checkout/<id>` -> INTERNAL `load-cart`, then 1..4 CLIENT calls
 * `GET /inventory/<sku>` each served by backend SERVER with a CLIENT `SELECT inventory` (5% fail), plus on 30% of
 * requests a CLIENT `POST /payments`. About 8 spans per trace.
 */
export function checkoutTraces(o: CheckoutOptions): ResourceSpans[] {
  const rand = prng(o.seed);
  const k = o.slowdown ?? 1;
  const specs: SpanSpec[] = [];
  for (let t = 0; t < o.traces; t++) {
    const order = 1000 + Math.floor(rand() * 9000);
    const items = 1 + Math.floor(rand() * 4);
    const calls: SpanSpec[] = [];
    for (let i = 0; i < items; i++) {
      const sku = 100 + Math.floor(rand() * 900);
      const fail = rand() < (o.dbFailShare ?? 0.05);
      calls.push({
        service: 'frontend',
        name: `GET /inventory/${sku}`,
        kind: o.clientAsInternal === true ? 1 : 3,
        durationMs: lognormal(rand, 12, 0.3) * k,
        attrs: { 'http.request.method': 'GET', 'server.address': 'backend' },
        children: [
          {
            service: 'backend',
            name: `GET /inventory/${sku}`,
            kind: 2,
            durationMs: lognormal(rand, 10, 0.3) * k,
            attrs: { 'http.request.method': 'GET', 'http.route': '/inventory/:sku' },
            ...(o.split === true ? { newTrace: true } : {}),
            children: [
              {
                service: 'backend',
                name: 'SELECT inventory',
                kind: 3,
                durationMs: lognormal(rand, 4, 0.4) * k,
                attrs: { 'db.system.name': 'postgresql' },
                error: fail,
              },
            ],
          },
        ],
      });
    }
    const children: SpanSpec[] = [
      { service: 'frontend', name: 'load-cart', durationMs: lognormal(rand, 2, 0.3) * k },
      ...calls,
    ];
    if (rand() < (o.paymentShare ?? 0.3)) {
      children.push({
        service: 'frontend',
        name: 'POST /payments',
        kind: 3,
        durationMs: lognormal(rand, 30, 0.3) * k,
        attrs: { 'http.request.method': 'POST' },
      });
    }
    specs.push({
      service: 'frontend',
      name: `GET /checkout/${order}`,
      kind: 2,
      durationMs: lognormal(rand, 60, 0.25) * k,
      attrs: { 'http.request.method': 'GET', [o.orderKey ?? 'order.id']: String(order) },
      children,
    });
  }
  return buildTraces(specs, o.seed + 7);
}

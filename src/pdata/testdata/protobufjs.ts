// The independent peer for cross-checks and benchmarks: the protobufjs static code generated from
// opentelemetry-proto and shipped in @opentelemetry/otlp-transformer@0.214.0 (installed as the
// devDependency alias `otlp-decode`), plus converters between its message objects and our model.
// toPb() sets exactly the fields our encoder writes (proto3 defaults left out), so protobufjs's
// encoding of toPb(x) is expected to be byte-identical to ours.
import { createRequire } from 'node:module';
import type {
  AnyValue,
  Exemplar,
  ExponentialHistogramBuckets,
  InstrumentationScope,
  KeyValue,
  MetricData,
  NumberValue,
  RequestBySignal,
  Resource,
  Signal,
} from '../model.js';
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
} from '../proto/shapes.js';

const require = createRequire(import.meta.url);

/** A protobufjs message object (decoded instance or plain object for encode). */
export type Pb = Record<string, unknown>;

export interface PbType {
  decode(bytes: Uint8Array): Pb;
  encode(message: Pb): { finish(): Uint8Array };
}

interface LongLike {
  toString(): string;
}
interface LongStatic {
  fromString(s: string, unsigned: boolean): LongLike;
}
const Long = require('long') as LongStatic;

type Namespace = { [name: string]: Namespace & PbType };
const root = (require('otlp-decode/build/src/generated/root') as Namespace)['opentelemetry']!['proto']!;
const collector = root['collector']!;

export const PB_REQUEST: Record<Signal, PbType> = {
  traces: collector['trace']!['v1']!['ExportTraceServiceRequest']!,
  metrics: collector['metrics']!['v1']!['ExportMetricsServiceRequest']!,
  logs: collector['logs']!['v1']!['ExportLogsServiceRequest']!,
};

export const PB_RESPONSE: Record<Signal, PbType> = {
  traces: collector['trace']!['v1']!['ExportTraceServiceResponse']!,
  metrics: collector['metrics']!['v1']!['ExportMetricsServiceResponse']!,
  logs: collector['logs']!['v1']!['ExportLogsServiceResponse']!,
};

// ---------------------------------------------------------------- protobufjs -> model

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}
function str(v: unknown): string {
  return isSet(v) ? (v as string) : '';
}
function num(v: unknown): number {
  return isSet(v) ? (v as number) : 0;
}
function big(v: unknown): bigint {
  if (!isSet(v)) return 0n;
  return typeof v === 'number' ? BigInt(v) : BigInt(String(v));
}
function bytes(v: unknown): Uint8Array {
  return isSet(v) ? new Uint8Array(v as Uint8Array) : new Uint8Array(0);
}
function list<T>(v: unknown, f: (x: Pb) => T): T[] {
  return isSet(v) ? (v as Pb[]).map(f) : [];
}
function optDouble(m: Pb, key: string): number | undefined {
  return isSet(m[key]) ? (m[key] as number) : undefined;
}
function child(v: unknown): Pb | undefined {
  return isSet(v) ? (v as Pb) : undefined;
}

function anyFromPb(v: Pb | undefined): AnyValue {
  if (v === undefined) return null;
  if (isSet(v['stringValue'])) return v['stringValue'] as string;
  if (isSet(v['boolValue'])) return v['boolValue'] as boolean;
  if (isSet(v['intValue'])) return big(v['intValue']);
  if (isSet(v['doubleValue'])) return v['doubleValue'] as number;
  if (isSet(v['bytesValue'])) return bytes(v['bytesValue']);
  if (isSet(v['arrayValue'])) return list((v['arrayValue'] as Pb)['values'], anyFromPb);
  if (isSet(v['kvlistValue'])) return { kvlist: list((v['kvlistValue'] as Pb)['values'], kvFromPb) };
  return null;
}

function kvFromPb(kv: Pb): KeyValue {
  return { key: str(kv['key']), value: anyFromPb(child(kv['value'])) };
}

function resourceFromPb(v: unknown): Resource | undefined {
  const m = child(v);
  if (m === undefined) return undefined;
  return Object.assign(newResource(), {
    attributes: list(m['attributes'], kvFromPb),
    droppedAttributesCount: num(m['droppedAttributesCount']),
  });
}

function scopeFromPb(v: unknown): InstrumentationScope | undefined {
  const m = child(v);
  if (m === undefined) return undefined;
  return Object.assign(newScope(), {
    name: str(m['name']),
    version: str(m['version']),
    attributes: list(m['attributes'], kvFromPb),
    droppedAttributesCount: num(m['droppedAttributesCount']),
  });
}

function valueFromPb(m: Pb): NumberValue {
  if (isSet(m['asDouble'])) return m['asDouble'] as number;
  if (isSet(m['asInt'])) return big(m['asInt']);
  return undefined;
}

function exemplarFromPb(m: Pb): Exemplar {
  return Object.assign(newExemplar(), {
    filteredAttributes: list(m['filteredAttributes'], kvFromPb),
    timeUnixNano: big(m['timeUnixNano']),
    value: valueFromPb(m),
    spanId: bytes(m['spanId']),
    traceId: bytes(m['traceId']),
  });
}

function pointHead(m: Pb) {
  return {
    attributes: list(m['attributes'], kvFromPb),
    startTimeUnixNano: big(m['startTimeUnixNano']),
    timeUnixNano: big(m['timeUnixNano']),
  };
}

function bucketsFromPb(v: unknown): ExponentialHistogramBuckets | undefined {
  const m = child(v);
  if (m === undefined) return undefined;
  return Object.assign(newBuckets(), {
    offset: num(m['offset']),
    bucketCounts: ((m['bucketCounts'] as unknown[]) ?? []).map(big),
  });
}

function dataFromPb(m: Pb): MetricData | undefined {
  const numberPoint = (p: Pb) =>
    Object.assign(newNumberDataPoint(), {
      ...pointHead(p),
      value: valueFromPb(p),
      exemplars: list(p['exemplars'], exemplarFromPb),
      flags: num(p['flags']),
    });
  const which = m['data'];
  const d = isSet(which) ? (m[which as string] as Pb) : undefined;
  if (d === undefined) return undefined;
  const temporality = num(d['aggregationTemporality']);
  switch (which) {
    case 'gauge':
      return { type: 'gauge', dataPoints: list(d['dataPoints'], numberPoint) };
    case 'sum':
      return {
        type: 'sum',
        dataPoints: list(d['dataPoints'], numberPoint),
        aggregationTemporality: temporality,
        isMonotonic: d['isMonotonic'] === true,
      };
    case 'histogram':
      return {
        type: 'histogram',
        aggregationTemporality: temporality,
        dataPoints: list(d['dataPoints'], (p) =>
          Object.assign(newHistogramDataPoint(), {
            ...pointHead(p),
            count: big(p['count']),
            sum: optDouble(p, 'sum'),
            bucketCounts: ((p['bucketCounts'] as unknown[]) ?? []).map(big),
            explicitBounds: ((p['explicitBounds'] as number[]) ?? []).slice(),
            exemplars: list(p['exemplars'], exemplarFromPb),
            flags: num(p['flags']),
            min: optDouble(p, 'min'),
            max: optDouble(p, 'max'),
          }),
        ),
      };
    case 'exponentialHistogram':
      return {
        type: 'exponentialHistogram',
        aggregationTemporality: temporality,
        dataPoints: list(d['dataPoints'], (p) =>
          Object.assign(newExponentialHistogramDataPoint(), {
            ...pointHead(p),
            count: big(p['count']),
            sum: optDouble(p, 'sum'),
            scale: num(p['scale']),
            zeroCount: big(p['zeroCount']),
            positive: bucketsFromPb(p['positive']),
            negative: bucketsFromPb(p['negative']),
            flags: num(p['flags']),
            exemplars: list(p['exemplars'], exemplarFromPb),
            min: optDouble(p, 'min'),
            max: optDouble(p, 'max'),
            zeroThreshold: num(p['zeroThreshold']),
          }),
        ),
      };
    case 'summary':
      return {
        type: 'summary',
        dataPoints: list(d['dataPoints'], (p) =>
          Object.assign(newSummaryDataPoint(), {
            ...pointHead(p),
            count: big(p['count']),
            sum: num(p['sum']),
            quantileValues: list(p['quantileValues'], (q) => ({
              quantile: num(q['quantile']),
              value: num(q['value']),
            })),
            flags: num(p['flags']),
          }),
        ),
      };
    default:
      throw new Error(`unexpected metric data ${String(which)}`);
  }
}

/** A protobufjs-decoded request converted to our model, field by field. */
export function fromPb<S extends Signal>(signal: S, m: Pb): RequestBySignal[S] {
  const out: RequestBySignal = {
    traces: { resourceSpans: [] },
    metrics: { resourceMetrics: [] },
    logs: { resourceLogs: [] },
  };
  if (signal === 'traces') {
    out.traces.resourceSpans = list(m['resourceSpans'], (rs) =>
      Object.assign(newResourceSpans(), {
        resource: resourceFromPb(rs['resource']),
        schemaUrl: str(rs['schemaUrl']),
        scopeSpans: list(rs['scopeSpans'], (ss) =>
          Object.assign(newScopeSpans(), {
            scope: scopeFromPb(ss['scope']),
            schemaUrl: str(ss['schemaUrl']),
            spans: list(ss['spans'], (s) =>
              Object.assign(newSpan(), {
                traceId: bytes(s['traceId']),
                spanId: bytes(s['spanId']),
                traceState: str(s['traceState']),
                parentSpanId: bytes(s['parentSpanId']),
                flags: num(s['flags']),
                name: str(s['name']),
                kind: num(s['kind']),
                startTimeUnixNano: big(s['startTimeUnixNano']),
                endTimeUnixNano: big(s['endTimeUnixNano']),
                attributes: list(s['attributes'], kvFromPb),
                droppedAttributesCount: num(s['droppedAttributesCount']),
                events: list(s['events'], (e) =>
                  Object.assign(newSpanEvent(), {
                    timeUnixNano: big(e['timeUnixNano']),
                    name: str(e['name']),
                    attributes: list(e['attributes'], kvFromPb),
                    droppedAttributesCount: num(e['droppedAttributesCount']),
                  }),
                ),
                droppedEventsCount: num(s['droppedEventsCount']),
                links: list(s['links'], (l) =>
                  Object.assign(newSpanLink(), {
                    traceId: bytes(l['traceId']),
                    spanId: bytes(l['spanId']),
                    traceState: str(l['traceState']),
                    attributes: list(l['attributes'], kvFromPb),
                    droppedAttributesCount: num(l['droppedAttributesCount']),
                    flags: num(l['flags']),
                  }),
                ),
                droppedLinksCount: num(s['droppedLinksCount']),
                status: isSet(s['status'])
                  ? Object.assign(newStatus(), {
                      message: str((s['status'] as Pb)['message']),
                      code: num((s['status'] as Pb)['code']),
                    })
                  : undefined,
              }),
            ),
          }),
        ),
      }),
    );
  } else if (signal === 'metrics') {
    out.metrics.resourceMetrics = list(m['resourceMetrics'], (rm) =>
      Object.assign(newResourceMetrics(), {
        resource: resourceFromPb(rm['resource']),
        schemaUrl: str(rm['schemaUrl']),
        scopeMetrics: list(rm['scopeMetrics'], (sm) =>
          Object.assign(newScopeMetrics(), {
            scope: scopeFromPb(sm['scope']),
            schemaUrl: str(sm['schemaUrl']),
            metrics: list(sm['metrics'], (mt) =>
              Object.assign(newMetric(), {
                name: str(mt['name']),
                description: str(mt['description']),
                unit: str(mt['unit']),
                data: dataFromPb(mt),
                metadata: list(mt['metadata'], kvFromPb),
              }),
            ),
          }),
        ),
      }),
    );
  } else {
    out.logs.resourceLogs = list(m['resourceLogs'], (rl) =>
      Object.assign(newResourceLogs(), {
        resource: resourceFromPb(rl['resource']),
        schemaUrl: str(rl['schemaUrl']),
        scopeLogs: list(rl['scopeLogs'], (sl) =>
          Object.assign(newScopeLogs(), {
            scope: scopeFromPb(sl['scope']),
            schemaUrl: str(sl['schemaUrl']),
            logRecords: list(sl['logRecords'], (l) =>
              Object.assign(newLogRecord(), {
                timeUnixNano: big(l['timeUnixNano']),
                observedTimeUnixNano: big(l['observedTimeUnixNano']),
                severityNumber: num(l['severityNumber']),
                severityText: str(l['severityText']),
                body: isSet(l['body']) ? anyFromPb(l['body'] as Pb) : undefined,
                attributes: list(l['attributes'], kvFromPb),
                droppedAttributesCount: num(l['droppedAttributesCount']),
                flags: num(l['flags']),
                traceId: bytes(l['traceId']),
                spanId: bytes(l['spanId']),
                eventName: str(l['eventName']),
              }),
            ),
          }),
        ),
      }),
    );
  }
  return out[signal];
}

// ---------------------------------------------------------------- model -> protobufjs

/** Builds a message object with only the entries whose value is not undefined. */
function msg(entries: Record<string, unknown>): Pb {
  const out: Pb = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}
const u64 = (v: bigint) => (v === 0n ? undefined : Long.fromString(String(v), true));
const s64 = (v: bigint) => Long.fromString(String(v), false);
const s = (v: string) => (v === '' ? undefined : v);
const n = (v: number) => (v === 0 ? undefined : v);
const b = (v: Uint8Array) => (v.length === 0 ? undefined : v);
const d = (v: number) => (v === 0 && 1 / v > 0 ? undefined : v);
const arr = <T>(v: readonly T[], f: (x: T) => unknown) => (v.length === 0 ? undefined : v.map(f));

function anyToPb(v: AnyValue): Pb {
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'bigint':
      return { intValue: s64(v) };
    case 'number':
      return { doubleValue: v };
    default:
      if (v === null) return {};
      if (Array.isArray(v)) return { arrayValue: msg({ values: arr(v, anyToPb) }) };
      if (v instanceof Uint8Array) return { bytesValue: v };
      return { kvlistValue: msg({ values: arr(v.kvlist, kvToPb) }) };
  }
}

function kvToPb(kv: KeyValue): Pb {
  return msg({ key: s(kv.key), value: anyToPb(kv.value) });
}

function resourceToPb(r: Resource | undefined): Pb | undefined {
  return r && msg({ attributes: arr(r.attributes, kvToPb), droppedAttributesCount: n(r.droppedAttributesCount) });
}

function scopeToPb(sc: InstrumentationScope | undefined): Pb | undefined {
  return (
    sc &&
    msg({
      name: s(sc.name),
      version: s(sc.version),
      attributes: arr(sc.attributes, kvToPb),
      droppedAttributesCount: n(sc.droppedAttributesCount),
    })
  );
}

function valueToPb(v: NumberValue): Pb {
  if (typeof v === 'number') return { asDouble: v };
  if (typeof v === 'bigint') return { asInt: s64(v) };
  return {};
}

function exemplarToPb(x: Exemplar): Pb {
  return msg({
    filteredAttributes: arr(x.filteredAttributes, kvToPb),
    timeUnixNano: u64(x.timeUnixNano),
    ...valueToPb(x.value),
    spanId: b(x.spanId),
    traceId: b(x.traceId),
  });
}

function bucketsToPb(bk: ExponentialHistogramBuckets | undefined): Pb | undefined {
  return (
    bk &&
    msg({
      offset: n(bk.offset),
      bucketCounts: arr(bk.bucketCounts, (c) => Long.fromString(String(c), true)),
    })
  );
}

function pointHeadToPb(p: { attributes: KeyValue[]; startTimeUnixNano: bigint; timeUnixNano: bigint }) {
  return {
    attributes: arr(p.attributes, kvToPb),
    startTimeUnixNano: u64(p.startTimeUnixNano),
    timeUnixNano: u64(p.timeUnixNano),
  };
}

function dataToPb(data: MetricData): Record<string, Pb> {
  switch (data.type) {
    case 'gauge':
    case 'sum': {
      const points = arr(data.dataPoints, (p) =>
        msg({
          ...pointHeadToPb(p),
          ...valueToPb(p.value),
          exemplars: arr(p.exemplars, exemplarToPb),
          flags: n(p.flags),
        }),
      );
      if (data.type === 'gauge') return { gauge: msg({ dataPoints: points }) };
      return {
        sum: msg({
          dataPoints: points,
          aggregationTemporality: n(data.aggregationTemporality),
          isMonotonic: data.isMonotonic ? true : undefined,
        }),
      };
    }
    case 'histogram':
      return {
        histogram: msg({
          aggregationTemporality: n(data.aggregationTemporality),
          dataPoints: arr(data.dataPoints, (p) =>
            msg({
              ...pointHeadToPb(p),
              count: u64(p.count),
              sum: p.sum,
              bucketCounts: arr(p.bucketCounts, (c) => Long.fromString(String(c), true)),
              explicitBounds: arr(p.explicitBounds, (x) => x),
              exemplars: arr(p.exemplars, exemplarToPb),
              flags: n(p.flags),
              min: p.min,
              max: p.max,
            }),
          ),
        }),
      };
    case 'exponentialHistogram':
      return {
        exponentialHistogram: msg({
          aggregationTemporality: n(data.aggregationTemporality),
          dataPoints: arr(data.dataPoints, (p) =>
            msg({
              ...pointHeadToPb(p),
              count: u64(p.count),
              sum: p.sum,
              scale: n(p.scale),
              zeroCount: u64(p.zeroCount),
              positive: bucketsToPb(p.positive),
              negative: bucketsToPb(p.negative),
              flags: n(p.flags),
              exemplars: arr(p.exemplars, exemplarToPb),
              min: p.min,
              max: p.max,
              zeroThreshold: d(p.zeroThreshold),
            }),
          ),
        }),
      };
    case 'summary':
      return {
        summary: msg({
          dataPoints: arr(data.dataPoints, (p) =>
            msg({
              ...pointHeadToPb(p),
              count: u64(p.count),
              sum: d(p.sum),
              quantileValues: arr(p.quantileValues, (q) => msg({ quantile: d(q.quantile), value: d(q.value) })),
              flags: n(p.flags),
            }),
          ),
        }),
      };
  }
}

/** Our model as a protobufjs message object, ready for Type.encode(). */
export function toPb<S extends Signal>(signal: S, req: RequestBySignal[S]): Pb {
  if (signal === 'traces') {
    return msg({
      resourceSpans: arr((req as RequestBySignal['traces']).resourceSpans, (rs) =>
        msg({
          resource: resourceToPb(rs.resource),
          schemaUrl: s(rs.schemaUrl),
          scopeSpans: arr(rs.scopeSpans, (ss) =>
            msg({
              scope: scopeToPb(ss.scope),
              schemaUrl: s(ss.schemaUrl),
              spans: arr(ss.spans, (sp) =>
                msg({
                  traceId: b(sp.traceId),
                  spanId: b(sp.spanId),
                  traceState: s(sp.traceState),
                  parentSpanId: b(sp.parentSpanId),
                  flags: n(sp.flags),
                  name: s(sp.name),
                  kind: n(sp.kind),
                  startTimeUnixNano: u64(sp.startTimeUnixNano),
                  endTimeUnixNano: u64(sp.endTimeUnixNano),
                  attributes: arr(sp.attributes, kvToPb),
                  droppedAttributesCount: n(sp.droppedAttributesCount),
                  events: arr(sp.events, (e) =>
                    msg({
                      timeUnixNano: u64(e.timeUnixNano),
                      name: s(e.name),
                      attributes: arr(e.attributes, kvToPb),
                      droppedAttributesCount: n(e.droppedAttributesCount),
                    }),
                  ),
                  droppedEventsCount: n(sp.droppedEventsCount),
                  links: arr(sp.links, (l) =>
                    msg({
                      traceId: b(l.traceId),
                      spanId: b(l.spanId),
                      traceState: s(l.traceState),
                      attributes: arr(l.attributes, kvToPb),
                      droppedAttributesCount: n(l.droppedAttributesCount),
                      flags: n(l.flags),
                    }),
                  ),
                  droppedLinksCount: n(sp.droppedLinksCount),
                  status: sp.status && msg({ message: s(sp.status.message), code: n(sp.status.code) }),
                }),
              ),
            }),
          ),
        }),
      ),
    });
  }
  if (signal === 'metrics') {
    return msg({
      resourceMetrics: arr((req as RequestBySignal['metrics']).resourceMetrics, (rm) =>
        msg({
          resource: resourceToPb(rm.resource),
          schemaUrl: s(rm.schemaUrl),
          scopeMetrics: arr(rm.scopeMetrics, (sm) =>
            msg({
              scope: scopeToPb(sm.scope),
              schemaUrl: s(sm.schemaUrl),
              metrics: arr(sm.metrics, (m) =>
                msg({
                  name: s(m.name),
                  description: s(m.description),
                  unit: s(m.unit),
                  ...(m.data === undefined ? {} : dataToPb(m.data)),
                  metadata: arr(m.metadata, kvToPb),
                }),
              ),
            }),
          ),
        }),
      ),
    });
  }
  return msg({
    resourceLogs: arr((req as RequestBySignal['logs']).resourceLogs, (rl) =>
      msg({
        resource: resourceToPb(rl.resource),
        schemaUrl: s(rl.schemaUrl),
        scopeLogs: arr(rl.scopeLogs, (sl) =>
          msg({
            scope: scopeToPb(sl.scope),
            schemaUrl: s(sl.schemaUrl),
            logRecords: arr(sl.logRecords, (l) =>
              msg({
                timeUnixNano: u64(l.timeUnixNano),
                observedTimeUnixNano: u64(l.observedTimeUnixNano),
                severityNumber: n(l.severityNumber),
                severityText: s(l.severityText),
                body: l.body === undefined ? undefined : anyToPb(l.body),
                attributes: arr(l.attributes, kvToPb),
                droppedAttributesCount: n(l.droppedAttributesCount),
                flags: n(l.flags),
                traceId: b(l.traceId),
                spanId: b(l.spanId),
                eventName: s(l.eventName),
              }),
            ),
          }),
        ),
      }),
    ),
  });
}

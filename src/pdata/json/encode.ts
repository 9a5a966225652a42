// Model -> OTLP/JSON text, as the Collector's file exporter writes it: lowerCamelCase keys in
// proto declaration order, default scalars omitted (the same rule as the protobuf encoder, so
// proto -> JSON -> proto is byte-stable), 64-bit integers as decimal strings, ids as lowercase
// hex, enums as integers, bytes_value as base64, NaN/Infinity as strings.
import type {
  AnyValue,
  Exemplar,
  ExponentialHistogramBuckets,
  ExponentialHistogramDataPoint,
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  LogRecord,
  Metric,
  MetricData,
  NumberDataPoint,
  NumberValue,
  Resource,
  ResourceLogs,
  ResourceMetrics,
  ResourceSpans,
  ScopeLogs,
  ScopeMetrics,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  Status,
  SummaryDataPoint,
} from '../model.js';

const MAX_DEPTH = 128;

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]!;
  return s;
}

/** A JSON number, or the proto JSON strings for non-finite doubles; keeps -0. */
export function jsonDouble(v: number): string {
  if (Number.isFinite(v)) return v === 0 && 1 / v < 0 ? '-0' : String(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/** Appends `"key":value` to an object under construction (`s` starts as '{'). */
function put(s: string, key: string, value: string): string {
  return s.length === 1 ? `${s}"${key}":${value}` : `${s},"${key}":${value}`;
}

function list<T>(items: readonly T[], one: (item: T) => string): string {
  let s = '[';
  for (let i = 0; i < items.length; i++) s += i === 0 ? one(items[i]!) : `,${one(items[i]!)}`;
  return `${s}]`;
}

function putString(s: string, key: string, v: string): string {
  return v.length === 0 ? s : put(s, key, JSON.stringify(v));
}

function putInt(s: string, key: string, v: number): string {
  return v === 0 ? s : put(s, key, String(v));
}

function putUint64(s: string, key: string, v: bigint): string {
  return v === 0n ? s : put(s, key, `"${v}"`);
}

function putId(s: string, key: string, v: Uint8Array): string {
  return v.length === 0 ? s : put(s, key, `"${hex(v)}"`);
}

function putDouble(s: string, key: string, v: number): string {
  return v === 0 && 1 / v > 0 ? s : put(s, key, jsonDouble(v));
}

function putOptionalDouble(s: string, key: string, v: number | undefined): string {
  return v === undefined ? s : put(s, key, jsonDouble(v));
}

function putList<T>(s: string, key: string, items: readonly T[], one: (item: T) => string): string {
  return items.length === 0 ? s : put(s, key, list(items, one));
}

function putNumberValue(s: string, v: NumberValue): string {
  if (typeof v === 'number') return put(s, 'asDouble', jsonDouble(v));
  if (typeof v === 'bigint') return put(s, 'asInt', `"${v}"`);
  return s;
}

// ---------------------------------------------------------------- common

export function anyValueJson(v: AnyValue, depth = 0): string {
  switch (typeof v) {
    case 'string':
      return `{"stringValue":${JSON.stringify(v)}}`;
    case 'boolean':
      return v ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'bigint':
      return `{"intValue":"${v}"}`;
    case 'number':
      return `{"doubleValue":${jsonDouble(v)}}`;
    default:
      if (v === null || v === undefined) return '{}';
      if (depth > MAX_DEPTH) throw new RangeError(`AnyValue nested deeper than ${MAX_DEPTH}`);
      if (Array.isArray(v)) {
        if (v.length === 0) return '{"arrayValue":{}}';
        return `{"arrayValue":{"values":${list(v, (x) => anyValueJson(x, depth + 1))}}}`;
      }
      if (v instanceof Uint8Array) {
        return `{"bytesValue":"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}"}`;
      }
      if (v.kvlist.length === 0) return '{"kvlistValue":{}}';
      return `{"kvlistValue":{"values":${list(v.kvlist, (kv) => keyValueJson(kv, depth + 1))}}}`;
  }
}

function keyValueJson(kv: KeyValue, depth: number): string {
  return `{"key":${JSON.stringify(kv.key)},"value":${anyValueJson(kv.value, depth)}}`;
}

function attribute(kv: KeyValue): string {
  return keyValueJson(kv, 0);
}

function resourceJson(r: Resource): string {
  let s = putList('{', 'attributes', r.attributes, attribute);
  s = putInt(s, 'droppedAttributesCount', r.droppedAttributesCount);
  return `${s}}`;
}

function scopeJson(sc: InstrumentationScope): string {
  let s = putString('{', 'name', sc.name);
  s = putString(s, 'version', sc.version);
  s = putList(s, 'attributes', sc.attributes, attribute);
  s = putInt(s, 'droppedAttributesCount', sc.droppedAttributesCount);
  return `${s}}`;
}

/** ResourceSpans/ResourceMetrics/ResourceLogs and their Scope* children share one layout. */
function resourceX<T>(resource: Resource | undefined, key: string, items: readonly T[], one: (x: T) => string): string {
  const s = resource === undefined ? '{' : put('{', 'resource', resourceJson(resource));
  return putList(s, key, items, one);
}

function scopeX<T>(scope: InstrumentationScope | undefined, key: string, items: readonly T[], one: (x: T) => string) {
  const s = scope === undefined ? '{' : put('{', 'scope', scopeJson(scope));
  return putList(s, key, items, one);
}

// ---------------------------------------------------------------- traces

export function tracesJson(req: ExportTraceServiceRequest): string {
  return `${putList('{', 'resourceSpans', req.resourceSpans, resourceSpansJson)}}`;
}

function resourceSpansJson(rs: ResourceSpans): string {
  return `${putString(resourceX(rs.resource, 'scopeSpans', rs.scopeSpans, scopeSpansJson), 'schemaUrl', rs.schemaUrl)}}`;
}

function scopeSpansJson(ss: ScopeSpans): string {
  return `${putString(scopeX(ss.scope, 'spans', ss.spans, spanJson), 'schemaUrl', ss.schemaUrl)}}`;
}

function spanJson(sp: Span): string {
  let s = putId('{', 'traceId', sp.traceId);
  s = putId(s, 'spanId', sp.spanId);
  s = putString(s, 'traceState', sp.traceState);
  s = putId(s, 'parentSpanId', sp.parentSpanId);
  s = putInt(s, 'flags', sp.flags);
  s = putString(s, 'name', sp.name);
  s = putInt(s, 'kind', sp.kind);
  s = putUint64(s, 'startTimeUnixNano', sp.startTimeUnixNano);
  s = putUint64(s, 'endTimeUnixNano', sp.endTimeUnixNano);
  s = putList(s, 'attributes', sp.attributes, attribute);
  s = putInt(s, 'droppedAttributesCount', sp.droppedAttributesCount);
  s = putList(s, 'events', sp.events, eventJson);
  s = putInt(s, 'droppedEventsCount', sp.droppedEventsCount);
  s = putList(s, 'links', sp.links, linkJson);
  s = putInt(s, 'droppedLinksCount', sp.droppedLinksCount);
  if (sp.status !== undefined) s = put(s, 'status', statusJson(sp.status));
  return `${s}}`;
}

function eventJson(ev: SpanEvent): string {
  let s = putUint64('{', 'timeUnixNano', ev.timeUnixNano);
  s = putString(s, 'name', ev.name);
  s = putList(s, 'attributes', ev.attributes, attribute);
  s = putInt(s, 'droppedAttributesCount', ev.droppedAttributesCount);
  return `${s}}`;
}

function linkJson(l: SpanLink): string {
  let s = putId('{', 'traceId', l.traceId);
  s = putId(s, 'spanId', l.spanId);
  s = putString(s, 'traceState', l.traceState);
  s = putList(s, 'attributes', l.attributes, attribute);
  s = putInt(s, 'droppedAttributesCount', l.droppedAttributesCount);
  s = putInt(s, 'flags', l.flags);
  return `${s}}`;
}

function statusJson(st: Status): string {
  return `${putInt(putString('{', 'message', st.message), 'code', st.code)}}`;
}

// ---------------------------------------------------------------- metrics

export function metricsJson(req: ExportMetricsServiceRequest): string {
  return `${putList('{', 'resourceMetrics', req.resourceMetrics, resourceMetricsJson)}}`;
}

function resourceMetricsJson(rm: ResourceMetrics): string {
  const s = resourceX(rm.resource, 'scopeMetrics', rm.scopeMetrics, scopeMetricsJson);
  return `${putString(s, 'schemaUrl', rm.schemaUrl)}}`;
}

function scopeMetricsJson(sm: ScopeMetrics): string {
  return `${putString(scopeX(sm.scope, 'metrics', sm.metrics, metricJson), 'schemaUrl', sm.schemaUrl)}}`;
}

function metricJson(m: Metric): string {
  let s = putString('{', 'name', m.name);
  s = putString(s, 'description', m.description);
  s = putString(s, 'unit', m.unit);
  if (m.data !== undefined) s = put(s, m.data.type, metricDataJson(m.data));
  s = putList(s, 'metadata', m.metadata, attribute);
  return `${s}}`;
}

function metricDataJson(d: MetricData): string {
  switch (d.type) {
    case 'gauge':
      return `${putList('{', 'dataPoints', d.dataPoints, numberPointJson)}}`;
    case 'sum': {
      let s = putList('{', 'dataPoints', d.dataPoints, numberPointJson);
      s = putInt(s, 'aggregationTemporality', d.aggregationTemporality);
      return `${d.isMonotonic ? put(s, 'isMonotonic', 'true') : s}}`;
    }
    case 'histogram':
      return `${putInt(putList('{', 'dataPoints', d.dataPoints, histogramPointJson), 'aggregationTemporality', d.aggregationTemporality)}}`;
    case 'exponentialHistogram': {
      const s = putList('{', 'dataPoints', d.dataPoints, exponentialPointJson);
      return `${putInt(s, 'aggregationTemporality', d.aggregationTemporality)}}`;
    }
    case 'summary':
      return `${putList('{', 'dataPoints', d.dataPoints, summaryPointJson)}}`;
    default:
      throw new TypeError(`unknown metric data type ${String((d as { type: unknown }).type)}`);
  }
}

function pointHead(attributes: readonly KeyValue[], start: bigint, time: bigint): string {
  const s = putList('{', 'attributes', attributes, attribute);
  return putUint64(putUint64(s, 'startTimeUnixNano', start), 'timeUnixNano', time);
}

function numberPointJson(p: NumberDataPoint): string {
  let s = putNumberValue(pointHead(p.attributes, p.startTimeUnixNano, p.timeUnixNano), p.value);
  s = putList(s, 'exemplars', p.exemplars, exemplarJson);
  return `${putInt(s, 'flags', p.flags)}}`;
}

function histogramPointJson(p: HistogramDataPoint): string {
  let s = putUint64(pointHead(p.attributes, p.startTimeUnixNano, p.timeUnixNano), 'count', p.count);
  s = putOptionalDouble(s, 'sum', p.sum);
  s = putList(s, 'bucketCounts', p.bucketCounts, (c) => `"${c}"`);
  s = putList(s, 'explicitBounds', p.explicitBounds, jsonDouble);
  s = putList(s, 'exemplars', p.exemplars, exemplarJson);
  s = putInt(s, 'flags', p.flags);
  s = putOptionalDouble(s, 'min', p.min);
  return `${putOptionalDouble(s, 'max', p.max)}}`;
}

function exponentialPointJson(p: ExponentialHistogramDataPoint): string {
  let s = putUint64(pointHead(p.attributes, p.startTimeUnixNano, p.timeUnixNano), 'count', p.count);
  s = putOptionalDouble(s, 'sum', p.sum);
  s = putInt(s, 'scale', p.scale);
  s = putUint64(s, 'zeroCount', p.zeroCount);
  if (p.positive !== undefined) s = put(s, 'positive', bucketsJson(p.positive));
  if (p.negative !== undefined) s = put(s, 'negative', bucketsJson(p.negative));
  s = putInt(s, 'flags', p.flags);
  s = putList(s, 'exemplars', p.exemplars, exemplarJson);
  s = putOptionalDouble(s, 'min', p.min);
  s = putOptionalDouble(s, 'max', p.max);
  return `${putDouble(s, 'zeroThreshold', p.zeroThreshold)}}`;
}

function bucketsJson(b: ExponentialHistogramBuckets): string {
  const s = putInt('{', 'offset', b.offset);
  return `${putList(s, 'bucketCounts', b.bucketCounts, (c) => `"${c}"`)}}`;
}

function summaryPointJson(p: SummaryDataPoint): string {
  let s = putUint64(pointHead(p.attributes, p.startTimeUnixNano, p.timeUnixNano), 'count', p.count);
  s = putDouble(s, 'sum', p.sum);
  s = putList(s, 'quantileValues', p.quantileValues, (q) => {
    return `${putDouble(putDouble('{', 'quantile', q.quantile), 'value', q.value)}}`;
  });
  return `${putInt(s, 'flags', p.flags)}}`;
}

function exemplarJson(x: Exemplar): string {
  let s = putList('{', 'filteredAttributes', x.filteredAttributes, attribute);
  s = putUint64(s, 'timeUnixNano', x.timeUnixNano);
  s = putNumberValue(s, x.value);
  s = putId(s, 'spanId', x.spanId);
  return `${putId(s, 'traceId', x.traceId)}}`;
}

// ---------------------------------------------------------------- logs

export function logsJson(req: ExportLogsServiceRequest): string {
  return `${putList('{', 'resourceLogs', req.resourceLogs, resourceLogsJson)}}`;
}

function resourceLogsJson(rl: ResourceLogs): string {
  return `${putString(resourceX(rl.resource, 'scopeLogs', rl.scopeLogs, scopeLogsJson), 'schemaUrl', rl.schemaUrl)}}`;
}

function scopeLogsJson(sl: ScopeLogs): string {
  return `${putString(scopeX(sl.scope, 'logRecords', sl.logRecords, logRecordJson), 'schemaUrl', sl.schemaUrl)}}`;
}

function logRecordJson(lr: LogRecord): string {
  let s = putUint64('{', 'timeUnixNano', lr.timeUnixNano);
  s = putUint64(s, 'observedTimeUnixNano', lr.observedTimeUnixNano);
  s = putInt(s, 'severityNumber', lr.severityNumber);
  s = putString(s, 'severityText', lr.severityText);
  if (lr.body !== undefined) s = put(s, 'body', anyValueJson(lr.body));
  s = putList(s, 'attributes', lr.attributes, attribute);
  s = putInt(s, 'droppedAttributesCount', lr.droppedAttributesCount);
  s = putInt(s, 'flags', lr.flags);
  s = putId(s, 'traceId', lr.traceId);
  s = putId(s, 'spanId', lr.spanId);
  return `${putString(s, 'eventName', lr.eventName)}}`;
}

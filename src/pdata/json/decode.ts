// OTLP/JSON value tree -> model. Accepts lowerCamelCase and snake_case keys, hex ids in either
// case, enums as integers or names, 64-bit integers as decimal strings or numbers, doubles as
// numbers or "NaN"/"Infinity"/"-Infinity" (or decimal strings); null means "not set"; unknown
// keys are ignored. Errors name the JSON path; like the protobuf decoder, segments are added
// while the error unwinds, so well-formed input pays nothing for them.
import { DecodeError } from '../errors.js';
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
  PartialSuccess,
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
  ValueAtQuantile,
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
import { EMPTY_BYTES } from '../proto/wire.js';

const MAX_DEPTH = 128;

type Obj = Record<string, unknown>;

/** A fault in the value tree; `segs` collects the path innermost first. */
export class JsonFault extends Error {
  readonly segs: (string | number)[] = [];
}

/** Thrown when an integer arrives as a JSON number beyond 2^53: the text must be re-parsed
 * so that no digits are lost (see ./lossless.ts). */
export class NeedsLossless extends Error {}

let lossless = false;

/** Runs a decode; `exact` says whether integer literals beyond 2^53 arrived as bigint. */
export function withLossless<T>(exact: boolean, run: () => T): T {
  lossless = exact;
  try {
    return run();
  } finally {
    lossless = false;
  }
}

export function toDecodeError(e: unknown): unknown {
  if (!(e instanceof JsonFault)) return e;
  let path = '';
  for (let i = e.segs.length - 1; i >= 0; i--) {
    const seg = e.segs[i]!;
    path += typeof seg === 'number' ? `[${seg}]` : path === '' ? seg : `.${seg}`;
  }
  const message = path === '' ? e.message : `${path}: ${e.message}`;
  const err = new DecodeError(message, path === '' ? '$' : path);
  // The message already starts with the path; DecodeError's "(at ...)" suffix would repeat it.
  err.message = message;
  return err;
}

function at(e: unknown, seg: string | number): unknown {
  if (e instanceof JsonFault) e.segs.push(seg);
  return e;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'object':
      return 'an object';
    case 'string': {
      const s = JSON.stringify(v);
      return s.length > 40 ? `${s.slice(0, 37)}..."` : s;
    }
    default:
      return String(v);
  }
}

function bad(expected: string, v: unknown): never {
  throw new JsonFault(`expected ${expected}, got ${describe(v)}`);
}

function obj(v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('an object', v);
  return v as Obj;
}

function arr<T>(v: unknown, one: (x: unknown) => T): T[] {
  if (!Array.isArray(v)) bad('an array', v);
  const out: T[] = [];
  let i = 0;
  try {
    for (; i < v.length; i++) out.push(one(v[i]));
  } catch (e) {
    throw at(e, i);
  }
  return out;
}

// ---------------------------------------------------------------- scalars

function str(v: unknown): string {
  if (typeof v !== 'string') bad('a string', v);
  return v;
}

function bool(v: unknown): boolean {
  if (typeof v !== 'boolean') bad('a boolean', v);
  return v;
}

const DECIMAL = /^-?\d+$/;
const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function integer(v: unknown): bigint {
  if (typeof v === 'string' && DECIMAL.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (!Number.isSafeInteger(v) && !lossless) throw new NeedsLossless();
    return BigInt(v);
  }
  if (typeof v === 'bigint') return v;
  return bad('an integer string or number', v);
}

function uint64(v: unknown): bigint {
  const n = integer(v);
  if (n < 0n || n > UINT64_MAX) throw new JsonFault(`${n} is outside the uint64 range`);
  return n;
}

function int64(v: unknown): bigint {
  const n = integer(v);
  if (n < INT64_MIN || n > INT64_MAX) throw new JsonFault(`${n} is outside the int64 range`);
  return n;
}

function int32In(v: unknown, min: number, max: number, kind: string): number {
  let n: number;
  if (typeof v === 'number' && Number.isInteger(v)) n = v;
  else if (typeof v === 'string' && DECIMAL.test(v)) n = Number(v);
  else if (typeof v === 'bigint') n = Number(v);
  else return bad('an integer', v);
  if (n < min || n > max) throw new JsonFault(`${describe(v)} is outside the ${kind} range`);
  return n;
}

function uint32(v: unknown): number {
  return int32In(v, 0, 0xffffffff, 'uint32');
}

function int32(v: unknown): number {
  return int32In(v, -0x80000000, 0x7fffffff, 'int32');
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function double(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return Number.NaN;
    if (v === 'Infinity') return Number.POSITIVE_INFINITY;
    if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (JSON_NUMBER.test(v)) return Number(v);
  }
  if (typeof v === 'bigint') return Number(v);
  return bad('a number or "NaN", "Infinity", "-Infinity"', v);
}

function enumOf(names: Readonly<Record<string, number>>): (v: unknown) => number {
  return (v) => {
    if (typeof v === 'string' && !DECIMAL.test(v)) {
      const n = names[v];
      if (n === undefined) throw new JsonFault(`unknown enum value ${describe(v)}`);
      return n;
    }
    return int32(v);
  };
}

const spanKind = enumOf({
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
});
const statusCode = enumOf({ STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 });
const temporality = enumOf({
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
});
const severityNames: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
for (const [i, level] of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].entries()) {
  for (let k = 1; k <= 4; k++) severityNames[`SEVERITY_NUMBER_${level}${k === 1 ? '' : k}`] = i * 4 + k;
}
const severity = enumOf(severityNames);

/** Hex digit values; 255 marks a character that is not a hex digit. */
const HEX_VALUE = new Uint8Array(256).fill(255);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

function hexValue(c: number): number {
  return c < 256 ? HEX_VALUE[c]! : 255;
}

function hexId(v: unknown): Uint8Array {
  if (typeof v !== 'string' || (v.length & 1) !== 0) return bad('a hex string', v);
  if (v.length === 0) return EMPTY_BYTES;
  const out = new Uint8Array(v.length >>> 1);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(v.charCodeAt(2 * i));
    const lo = hexValue(v.charCodeAt(2 * i + 1));
    if ((hi | lo) > 15) return bad('a hex string', v);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function base64(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !BASE64.test(v) || v.replace(/=+$/, '').length % 4 === 1) {
    return bad('a base64 string', v);
  }
  const b = Buffer.from(v, 'base64');
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

// ---------------------------------------------------------------- common

function anyValue(v: unknown, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new JsonFault(`values nested deeper than ${MAX_DEPTH}`);
  const o = obj(v);
  let out: AnyValue = null;
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'stringValue':
        case 'string_value':
          out = str(x);
          break;
        case 'boolValue':
        case 'bool_value':
          out = bool(x);
          break;
        case 'intValue':
        case 'int_value':
          out = int64(x);
          break;
        case 'doubleValue':
        case 'double_value':
          out = double(x);
          break;
        case 'bytesValue':
        case 'bytes_value':
          out = base64(x);
          break;
        case 'arrayValue':
        case 'array_value':
          out = valueList(x, (e) => anyValue(e, depth + 1));
          break;
        case 'kvlistValue':
        case 'kvlist_value':
          out = { kvlist: valueList(x, (e) => keyValue(e, depth + 1)) };
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return out;
}

/** ArrayValue / KeyValueList: { values: [...] }. */
function valueList<T>(v: unknown, one: (x: unknown) => T): T[] {
  const o = obj(v);
  const values = o['values'];
  if (values === undefined || values === null) return [];
  try {
    return arr(values, one);
  } catch (e) {
    throw at(e, 'values');
  }
}

function keyValue(v: unknown, depth: number): KeyValue {
  const o = obj(v);
  let key = '';
  let value: AnyValue = null;
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      if (k === 'key') key = str(x);
      else if (k === 'value') value = anyValue(x, depth + 1);
    }
  } catch (e) {
    throw at(e, k);
  }
  return { key, value };
}

function attribute(v: unknown): KeyValue {
  return keyValue(v, 0);
}

function attributes(v: unknown): KeyValue[] {
  return arr(v, attribute);
}

function resource(v: unknown): Resource {
  const o = obj(v);
  const r = newResource();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      if (k === 'attributes') r.attributes = attributes(x);
      else if (k === 'droppedAttributesCount' || k === 'dropped_attributes_count') r.droppedAttributesCount = uint32(x);
    }
  } catch (e) {
    throw at(e, k);
  }
  return r;
}

function scope(v: unknown): InstrumentationScope {
  const o = obj(v);
  const s = newScope();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'name':
          s.name = str(x);
          break;
        case 'version':
          s.version = str(x);
          break;
        case 'attributes':
          s.attributes = attributes(x);
          break;
        case 'droppedAttributesCount':
        case 'dropped_attributes_count':
          s.droppedAttributesCount = uint32(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return s;
}

/** Request -> Resource* -> Scope* -> items: the levels every signal shares. */
interface Layer<R, S, I> {
  newResourceX(): R & { resource?: Resource; schemaUrl: string };
  newScopeX(): S & { scope?: InstrumentationScope; schemaUrl: string };
  scopesKey: readonly [string, string];
  itemsKey: readonly [string, string];
  setScopes(r: R, scopes: S[]): void;
  setItems(s: S, items: I[]): void;
  item(v: unknown): I;
}

function requestBody<R, S, I>(v: unknown, keys: readonly [string, string], layer: Layer<R, S, I>): R[] {
  const o = obj(v);
  let out: R[] = [];
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x !== null && (k === keys[0] || k === keys[1])) out = arr(x, (e) => resourceX(e, layer));
    }
  } catch (e) {
    throw at(e, k);
  }
  return out;
}

function resourceX<R, S, I>(v: unknown, layer: Layer<R, S, I>): R {
  const o = obj(v);
  const r = layer.newResourceX();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      if (k === 'resource') r.resource = resource(x);
      else if (k === layer.scopesKey[0] || k === layer.scopesKey[1]) {
        layer.setScopes(
          r,
          arr(x, (e) => scopeX(e, layer)),
        );
      } else if (k === 'schemaUrl' || k === 'schema_url') r.schemaUrl = str(x);
    }
  } catch (e) {
    throw at(e, k);
  }
  return r;
}

function scopeX<R, S, I>(v: unknown, layer: Layer<R, S, I>): S {
  const o = obj(v);
  const s = layer.newScopeX();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      if (k === 'scope') s.scope = scope(x);
      else if (k === layer.itemsKey[0] || k === layer.itemsKey[1]) layer.setItems(s, arr(x, layer.item));
      else if (k === 'schemaUrl' || k === 'schema_url') s.schemaUrl = str(x);
    }
  } catch (e) {
    throw at(e, k);
  }
  return s;
}

// ---------------------------------------------------------------- traces

const TRACES: Layer<ResourceSpans, ScopeSpans, Span> = {
  newResourceX: newResourceSpans,
  newScopeX: newScopeSpans,
  scopesKey: ['scopeSpans', 'scope_spans'],
  itemsKey: ['spans', 'spans'],
  setScopes: (r, scopes) => {
    r.scopeSpans = scopes;
  },
  setItems: (s, items) => {
    s.spans = items;
  },
  item: span,
};

export function tracesFromValue(v: unknown): ExportTraceServiceRequest {
  return { resourceSpans: requestBody(v, ['resourceSpans', 'resource_spans'], TRACES) };
}

function span(v: unknown): Span {
  const o = obj(v);
  const s = newSpan();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'traceId':
        case 'trace_id':
          s.traceId = hexId(x);
          break;
        case 'spanId':
        case 'span_id':
          s.spanId = hexId(x);
          break;
        case 'traceState':
        case 'trace_state':
          s.traceState = str(x);
          break;
        case 'parentSpanId':
        case 'parent_span_id':
          s.parentSpanId = hexId(x);
          break;
        case 'flags':
          s.flags = uint32(x);
          break;
        case 'name':
          s.name = str(x);
          break;
        case 'kind':
          s.kind = spanKind(x);
          break;
        case 'startTimeUnixNano':
        case 'start_time_unix_nano':
          s.startTimeUnixNano = uint64(x);
          break;
        case 'endTimeUnixNano':
        case 'end_time_unix_nano':
          s.endTimeUnixNano = uint64(x);
          break;
        case 'attributes':
          s.attributes = attributes(x);
          break;
        case 'droppedAttributesCount':
        case 'dropped_attributes_count':
          s.droppedAttributesCount = uint32(x);
          break;
        case 'events':
          s.events = arr(x, spanEvent);
          break;
        case 'droppedEventsCount':
        case 'dropped_events_count':
          s.droppedEventsCount = uint32(x);
          break;
        case 'links':
          s.links = arr(x, spanLink);
          break;
        case 'droppedLinksCount':
        case 'dropped_links_count':
          s.droppedLinksCount = uint32(x);
          break;
        case 'status':
          s.status = status(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return s;
}

function spanEvent(v: unknown): SpanEvent {
  const o = obj(v);
  const ev = newSpanEvent();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'timeUnixNano':
        case 'time_unix_nano':
          ev.timeUnixNano = uint64(x);
          break;
        case 'name':
          ev.name = str(x);
          break;
        case 'attributes':
          ev.attributes = attributes(x);
          break;
        case 'droppedAttributesCount':
        case 'dropped_attributes_count':
          ev.droppedAttributesCount = uint32(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return ev;
}

function spanLink(v: unknown): SpanLink {
  const o = obj(v);
  const l = newSpanLink();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'traceId':
        case 'trace_id':
          l.traceId = hexId(x);
          break;
        case 'spanId':
        case 'span_id':
          l.spanId = hexId(x);
          break;
        case 'traceState':
        case 'trace_state':
          l.traceState = str(x);
          break;
        case 'attributes':
          l.attributes = attributes(x);
          break;
        case 'droppedAttributesCount':
        case 'dropped_attributes_count':
          l.droppedAttributesCount = uint32(x);
          break;
        case 'flags':
          l.flags = uint32(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return l;
}

function status(v: unknown): Status {
  const o = obj(v);
  const st = newStatus();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      if (k === 'message') st.message = str(x);
      else if (k === 'code') st.code = statusCode(x);
    }
  } catch (e) {
    throw at(e, k);
  }
  return st;
}

// ---------------------------------------------------------------- metrics

const METRICS: Layer<ResourceMetrics, ScopeMetrics, Metric> = {
  newResourceX: newResourceMetrics,
  newScopeX: newScopeMetrics,
  scopesKey: ['scopeMetrics', 'scope_metrics'],
  itemsKey: ['metrics', 'metrics'],
  setScopes: (r, scopes) => {
    r.scopeMetrics = scopes;
  },
  setItems: (s, items) => {
    s.metrics = items;
  },
  item: metric,
};

export function metricsFromValue(v: unknown): ExportMetricsServiceRequest {
  return { resourceMetrics: requestBody(v, ['resourceMetrics', 'resource_metrics'], METRICS) };
}

function metric(v: unknown): Metric {
  const o = obj(v);
  const m = newMetric();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'name':
          m.name = str(x);
          break;
        case 'description':
          m.description = str(x);
          break;
        case 'unit':
          m.unit = str(x);
          break;
        case 'gauge':
          m.data = { type: 'gauge', dataPoints: points(obj(x), numberPoint) };
          break;
        case 'sum':
          m.data = sum(obj(x));
          break;
        case 'histogram':
          m.data = {
            type: 'histogram',
            dataPoints: points(obj(x), histogramPoint),
            aggregationTemporality: field(obj(x), 'aggregationTemporality', 'aggregation_temporality', temporality, 0),
          };
          break;
        case 'exponentialHistogram':
        case 'exponential_histogram':
          m.data = {
            type: 'exponentialHistogram',
            dataPoints: points(obj(x), exponentialPoint),
            aggregationTemporality: field(obj(x), 'aggregationTemporality', 'aggregation_temporality', temporality, 0),
          };
          break;
        case 'summary':
          m.data = { type: 'summary', dataPoints: points(obj(x), summaryPoint) };
          break;
        case 'metadata':
          m.metadata = attributes(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return m;
}

function sum(o: Obj): MetricData {
  return {
    type: 'sum',
    dataPoints: points(o, numberPoint),
    aggregationTemporality: field(o, 'aggregationTemporality', 'aggregation_temporality', temporality, 0),
    isMonotonic: field(o, 'isMonotonic', 'is_monotonic', bool, false),
  };
}

/** One field of a small message read by name (camelCase wins over snake_case). */
function field<T>(o: Obj, camel: string, snake: string, read: (v: unknown) => T, dflt: T): T {
  let key = camel;
  let x = o[camel];
  if (x === undefined || x === null) {
    key = snake;
    x = o[snake];
  }
  if (x === undefined || x === null) return dflt;
  try {
    return read(x);
  } catch (e) {
    throw at(e, key);
  }
}

function points<T>(o: Obj, one: (v: unknown) => T): T[] {
  return field(o, 'dataPoints', 'data_points', (x) => arr(x, one), []);
}

function numberPoint(v: unknown): NumberDataPoint {
  const o = obj(v);
  const p = newNumberDataPoint();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'attributes':
          p.attributes = attributes(x);
          break;
        case 'startTimeUnixNano':
        case 'start_time_unix_nano':
          p.startTimeUnixNano = uint64(x);
          break;
        case 'timeUnixNano':
        case 'time_unix_nano':
          p.timeUnixNano = uint64(x);
          break;
        case 'asDouble':
        case 'as_double':
          p.value = double(x);
          break;
        case 'asInt':
        case 'as_int':
          p.value = int64(x);
          break;
        case 'exemplars':
          p.exemplars = arr(x, exemplar);
          break;
        case 'flags':
          p.flags = uint32(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return p;
}

function histogramPoint(v: unknown): HistogramDataPoint {
  const o = obj(v);
  const p = newHistogramDataPoint();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'attributes':
          p.attributes = attributes(x);
          break;
        case 'startTimeUnixNano':
        case 'start_time_unix_nano':
          p.startTimeUnixNano = uint64(x);
          break;
        case 'timeUnixNano':
        case 'time_unix_nano':
          p.timeUnixNano = uint64(x);
          break;
        case 'count':
          p.count = uint64(x);
          break;
        case 'sum':
          p.sum = double(x);
          break;
        case 'bucketCounts':
        case 'bucket_counts':
          p.bucketCounts = arr(x, uint64);
          break;
        case 'explicitBounds':
        case 'explicit_bounds':
          p.explicitBounds = arr(x, double);
          break;
        case 'exemplars':
          p.exemplars = arr(x, exemplar);
          break;
        case 'flags':
          p.flags = uint32(x);
          break;
        case 'min':
          p.min = double(x);
          break;
        case 'max':
          p.max = double(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return p;
}

function exponentialPoint(v: unknown): ExponentialHistogramDataPoint {
  const o = obj(v);
  const p = newExponentialHistogramDataPoint();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'attributes':
          p.attributes = attributes(x);
          break;
        case 'startTimeUnixNano':
        case 'start_time_unix_nano':
          p.startTimeUnixNano = uint64(x);
          break;
        case 'timeUnixNano':
        case 'time_unix_nano':
          p.timeUnixNano = uint64(x);
          break;
        case 'count':
          p.count = uint64(x);
          break;
        case 'sum':
          p.sum = double(x);
          break;
        case 'scale':
          p.scale = int32(x);
          break;
        case 'zeroCount':
        case 'zero_count':
          p.zeroCount = uint64(x);
          break;
        case 'positive':
          p.positive = buckets(x);
          break;
        case 'negative':
          p.negative = buckets(x);
          break;
        case 'flags':
          p.flags = uint32(x);
          break;
        case 'exemplars':
          p.exemplars = arr(x, exemplar);
          break;
        case 'min':
          p.min = double(x);
          break;
        case 'max':
          p.max = double(x);
          break;
        case 'zeroThreshold':
        case 'zero_threshold':
          p.zeroThreshold = double(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return p;
}

function buckets(v: unknown): ExponentialHistogramBuckets {
  const o = obj(v);
  const b = newBuckets();
  b.offset = field(o, 'offset', 'offset', int32, 0);
  b.bucketCounts = field(o, 'bucketCounts', 'bucket_counts', (x) => arr(x, uint64), []);
  return b;
}

function summaryPoint(v: unknown): SummaryDataPoint {
  const o = obj(v);
  const p = newSummaryDataPoint();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'attributes':
          p.attributes = attributes(x);
          break;
        case 'startTimeUnixNano':
        case 'start_time_unix_nano':
          p.startTimeUnixNano = uint64(x);
          break;
        case 'timeUnixNano':
        case 'time_unix_nano':
          p.timeUnixNano = uint64(x);
          break;
        case 'count':
          p.count = uint64(x);
          break;
        case 'sum':
          p.sum = double(x);
          break;
        case 'quantileValues':
        case 'quantile_values':
          p.quantileValues = arr(x, quantile);
          break;
        case 'flags':
          p.flags = uint32(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return p;
}

function quantile(v: unknown): ValueAtQuantile {
  const o = obj(v);
  return { quantile: field(o, 'quantile', 'quantile', double, 0), value: field(o, 'value', 'value', double, 0) };
}

function exemplar(v: unknown): Exemplar {
  const o = obj(v);
  const x = newExemplar();
  let k = '';
  try {
    for (k in o) {
      const y = o[k];
      if (y === null) continue;
      switch (k) {
        case 'filteredAttributes':
        case 'filtered_attributes':
          x.filteredAttributes = attributes(y);
          break;
        case 'timeUnixNano':
        case 'time_unix_nano':
          x.timeUnixNano = uint64(y);
          break;
        case 'asDouble':
        case 'as_double':
          x.value = double(y);
          break;
        case 'asInt':
        case 'as_int':
          x.value = int64(y);
          break;
        case 'spanId':
        case 'span_id':
          x.spanId = hexId(y);
          break;
        case 'traceId':
        case 'trace_id':
          x.traceId = hexId(y);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return x;
}

// ---------------------------------------------------------------- logs

const LOGS: Layer<ResourceLogs, ScopeLogs, LogRecord> = {
  newResourceX: newResourceLogs,
  newScopeX: newScopeLogs,
  scopesKey: ['scopeLogs', 'scope_logs'],
  itemsKey: ['logRecords', 'log_records'],
  setScopes: (r, scopes) => {
    r.scopeLogs = scopes;
  },
  setItems: (s, items) => {
    s.logRecords = items;
  },
  item: logRecord,
};

export function logsFromValue(v: unknown): ExportLogsServiceRequest {
  return { resourceLogs: requestBody(v, ['resourceLogs', 'resource_logs'], LOGS) };
}

function logRecord(v: unknown): LogRecord {
  const o = obj(v);
  const lr = newLogRecord();
  let k = '';
  try {
    for (k in o) {
      const x = o[k];
      if (x === null) continue;
      switch (k) {
        case 'timeUnixNano':
        case 'time_unix_nano':
          lr.timeUnixNano = uint64(x);
          break;
        case 'observedTimeUnixNano':
        case 'observed_time_unix_nano':
          lr.observedTimeUnixNano = uint64(x);
          break;
        case 'severityNumber':
        case 'severity_number':
          lr.severityNumber = severity(x);
          break;
        case 'severityText':
        case 'severity_text':
          lr.severityText = str(x);
          break;
        case 'body':
          lr.body = anyValue(x, 0);
          break;
        case 'attributes':
          lr.attributes = attributes(x);
          break;
        case 'droppedAttributesCount':
        case 'dropped_attributes_count':
          lr.droppedAttributesCount = uint32(x);
          break;
        case 'flags':
          lr.flags = uint32(x);
          break;
        case 'traceId':
        case 'trace_id':
          lr.traceId = hexId(x);
          break;
        case 'spanId':
        case 'span_id':
          lr.spanId = hexId(x);
          break;
        case 'eventName':
        case 'event_name':
          lr.eventName = str(x);
          break;
      }
    }
  } catch (e) {
    throw at(e, k);
  }
  return lr;
}

// ---------------------------------------------------------------- responses

/** Export*ServiceResponse: { partialSuccess: { rejected<Items>: int64, errorMessage } }. */
export function responseFromValue(v: unknown, rejectedKeys: readonly [string, string]): PartialSuccess | undefined {
  const o = obj(v);
  const p = o['partialSuccess'] ?? o['partial_success'];
  if (p === undefined || p === null) return undefined;
  const key = o['partialSuccess'] === undefined || o['partialSuccess'] === null ? 'partial_success' : 'partialSuccess';
  try {
    const po = obj(p);
    return {
      rejected: field(po, rejectedKeys[0], rejectedKeys[1], int64, 0n),
      errorMessage: field(po, 'errorMessage', 'error_message', str, ''),
    };
  } catch (e) {
    throw at(e, key);
  }
}

// Message encoders: model objects -> canonical proto3 bytes (default scalars omitted, fields in
// ascending number order, repeated scalars packed). Written back to front (see ./writer.ts), so
// every function below emits its fields from the highest field number down.
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
} from '../model.js';
import { MAX_DEPTH } from './wire.js';
import {
  bytes,
  closeLen,
  double,
  fixed32,
  fixed64,
  int32,
  int64,
  mark,
  need,
  sfixed64,
  sint32,
  string,
  tag1,
  uint64,
  varint32,
  type Writer,
} from './writer.js';

// ---------------------------------------------------------------- field helpers

function stringField(w: Writer, tag: number, s: string): void {
  if (s.length !== 0) {
    string(w, s);
    tag1(w, tag);
  }
}

function bytesField(w: Writer, tag: number, b: Uint8Array): void {
  if (b.length !== 0) {
    bytes(w, b);
    tag1(w, tag);
  }
}

function uint32Field(w: Writer, tag: number, v: number): void {
  if (v !== 0) {
    varint32(w, v >>> 0);
    tag1(w, tag);
  }
}

function enumField(w: Writer, tag: number, v: number): void {
  if (v !== 0) {
    int32(w, v);
    tag1(w, tag);
  }
}

function fixed64Field(w: Writer, tag: number, v: bigint): void {
  if (v !== 0n) {
    fixed64(w, v);
    tag1(w, tag);
  }
}

/** A plain (non-optional) double: omitted when +0, kept when -0 so that it round-trips. */
function doubleField(w: Writer, tag: number, v: number): void {
  if (v !== 0 || 1 / v < 0) {
    double(w, v);
    tag1(w, tag);
  }
}

function optionalDouble(w: Writer, tag: number, v: number | undefined): void {
  if (v !== undefined) {
    double(w, v);
    tag1(w, tag);
  }
}

// ---------------------------------------------------------------- common

function anyValue(w: Writer, v: AnyValue, depth: number): void {
  switch (typeof v) {
    case 'string':
      string(w, v);
      tag1(w, 0x0a);
      return;
    case 'boolean':
      need(w, 2);
      w.buf[--w.pos] = v ? 1 : 0;
      w.buf[--w.pos] = 0x10;
      return;
    case 'bigint':
      int64(w, v);
      tag1(w, 0x18);
      return;
    case 'number':
      double(w, v);
      tag1(w, 0x21);
      return;
    default:
      // undefined is not an AnyValue, but plain-JS callers produce it; it encodes like null.
      if (v === null || v === undefined) return;
      if (depth > MAX_DEPTH) throw new RangeError(`AnyValue nested deeper than ${MAX_DEPTH}`);
      if (Array.isArray(v)) {
        const start = mark(w);
        for (let i = v.length - 1; i >= 0; i--) {
          const m = mark(w);
          anyValue(w, v[i]!, depth + 1);
          closeLen(w, m, 0x0a);
        }
        closeLen(w, start, 0x2a);
      } else if (v instanceof Uint8Array) {
        bytes(w, v);
        tag1(w, 0x3a);
      } else {
        const start = mark(w);
        keyValues(w, 0x0a, v.kvlist, depth + 1);
        closeLen(w, start, 0x32);
      }
  }
}

function keyValue(w: Writer, kv: KeyValue, depth: number): void {
  // value is always written (an empty AnyValue for null), as the Go collector does.
  const start = mark(w);
  anyValue(w, kv.value, depth);
  closeLen(w, start, 0x12);
  stringField(w, 0x0a, kv.key);
}

function keyValues(w: Writer, tag: number, list: readonly KeyValue[], depth: number): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    keyValue(w, list[i]!, depth);
    closeLen(w, start, tag);
  }
}

function resource(w: Writer, tag: number, res: Resource | undefined): void {
  if (res === undefined) return;
  const start = mark(w);
  uint32Field(w, 0x10, res.droppedAttributesCount);
  keyValues(w, 0x0a, res.attributes, 0);
  closeLen(w, start, tag);
}

function scope(w: Writer, tag: number, s: InstrumentationScope | undefined): void {
  if (s === undefined) return;
  const start = mark(w);
  uint32Field(w, 0x20, s.droppedAttributesCount);
  keyValues(w, 0x1a, s.attributes, 0);
  stringField(w, 0x12, s.version);
  stringField(w, 0x0a, s.name);
  closeLen(w, start, tag);
}

// ---------------------------------------------------------------- traces

export function encodeTraces(w: Writer, req: ExportTraceServiceRequest): void {
  const list = req.resourceSpans;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    resourceSpans(w, list[i]!);
    closeLen(w, start, 0x0a);
  }
}

function resourceSpans(w: Writer, rs: ResourceSpans): void {
  stringField(w, 0x1a, rs.schemaUrl);
  const list = rs.scopeSpans;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    scopeSpans(w, list[i]!);
    closeLen(w, start, 0x12);
  }
  resource(w, 0x0a, rs.resource);
}

function scopeSpans(w: Writer, ss: ScopeSpans): void {
  stringField(w, 0x1a, ss.schemaUrl);
  const list = ss.spans;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    span(w, list[i]!);
    closeLen(w, start, 0x12);
  }
  scope(w, 0x0a, ss.scope);
}

function span(w: Writer, s: Span): void {
  if (s.flags !== 0) {
    fixed32(w, s.flags);
    need(w, 2);
    w.buf[--w.pos] = 0x01;
    w.buf[--w.pos] = 0x85;
  }
  if (s.status !== undefined) {
    const start = mark(w);
    status(w, s.status);
    closeLen(w, start, 0x7a);
  }
  uint32Field(w, 0x70, s.droppedLinksCount);
  const links = s.links;
  for (let i = links.length - 1; i >= 0; i--) {
    const start = mark(w);
    link(w, links[i]!);
    closeLen(w, start, 0x6a);
  }
  uint32Field(w, 0x60, s.droppedEventsCount);
  const events = s.events;
  for (let i = events.length - 1; i >= 0; i--) {
    const start = mark(w);
    event(w, events[i]!);
    closeLen(w, start, 0x5a);
  }
  uint32Field(w, 0x50, s.droppedAttributesCount);
  keyValues(w, 0x4a, s.attributes, 0);
  fixed64Field(w, 0x41, s.endTimeUnixNano);
  fixed64Field(w, 0x39, s.startTimeUnixNano);
  enumField(w, 0x30, s.kind);
  stringField(w, 0x2a, s.name);
  bytesField(w, 0x22, s.parentSpanId);
  stringField(w, 0x1a, s.traceState);
  bytesField(w, 0x12, s.spanId);
  bytesField(w, 0x0a, s.traceId);
}

function event(w: Writer, ev: SpanEvent): void {
  uint32Field(w, 0x20, ev.droppedAttributesCount);
  keyValues(w, 0x1a, ev.attributes, 0);
  stringField(w, 0x12, ev.name);
  fixed64Field(w, 0x09, ev.timeUnixNano);
}

function link(w: Writer, l: SpanLink): void {
  if (l.flags !== 0) {
    fixed32(w, l.flags);
    tag1(w, 0x35);
  }
  uint32Field(w, 0x28, l.droppedAttributesCount);
  keyValues(w, 0x22, l.attributes, 0);
  stringField(w, 0x1a, l.traceState);
  bytesField(w, 0x12, l.spanId);
  bytesField(w, 0x0a, l.traceId);
}

function status(w: Writer, st: Status): void {
  enumField(w, 0x18, st.code);
  stringField(w, 0x12, st.message);
}

// ---------------------------------------------------------------- metrics

export function encodeMetrics(w: Writer, req: ExportMetricsServiceRequest): void {
  const list = req.resourceMetrics;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    resourceMetrics(w, list[i]!);
    closeLen(w, start, 0x0a);
  }
}

function resourceMetrics(w: Writer, rm: ResourceMetrics): void {
  stringField(w, 0x1a, rm.schemaUrl);
  const list = rm.scopeMetrics;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    scopeMetrics(w, list[i]!);
    closeLen(w, start, 0x12);
  }
  resource(w, 0x0a, rm.resource);
}

function scopeMetrics(w: Writer, sm: ScopeMetrics): void {
  stringField(w, 0x1a, sm.schemaUrl);
  const list = sm.metrics;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    metric(w, list[i]!);
    closeLen(w, start, 0x12);
  }
  scope(w, 0x0a, sm.scope);
}

function metric(w: Writer, m: Metric): void {
  keyValues(w, 0x62, m.metadata, 0);
  if (m.data !== undefined) {
    const start = mark(w);
    metricData(w, m.data);
    closeLen(w, start, metricTag(m.data));
  }
  stringField(w, 0x1a, m.unit);
  stringField(w, 0x12, m.description);
  stringField(w, 0x0a, m.name);
}

function metricTag(d: MetricData): number {
  switch (d.type) {
    case 'gauge':
      return 0x2a;
    case 'sum':
      return 0x3a;
    case 'histogram':
      return 0x4a;
    case 'exponentialHistogram':
      return 0x52;
    case 'summary':
      return 0x5a;
    default:
      throw new TypeError(`unknown metric data type ${String((d as { type: unknown }).type)}`);
  }
}

/** Gauge/Sum/Histogram/ExponentialHistogram/Summary message contents. */
function metricData(w: Writer, d: MetricData): void {
  switch (d.type) {
    case 'gauge':
      numberPoints(w, d.dataPoints);
      break;
    case 'sum':
      if (d.isMonotonic) {
        need(w, 2);
        w.buf[--w.pos] = 1;
        w.buf[--w.pos] = 0x18;
      }
      enumField(w, 0x10, d.aggregationTemporality);
      numberPoints(w, d.dataPoints);
      break;
    case 'histogram': {
      enumField(w, 0x10, d.aggregationTemporality);
      const list = d.dataPoints;
      for (let i = list.length - 1; i >= 0; i--) {
        const start = mark(w);
        histogramPoint(w, list[i]!);
        closeLen(w, start, 0x0a);
      }
      break;
    }
    case 'exponentialHistogram': {
      enumField(w, 0x10, d.aggregationTemporality);
      const list = d.dataPoints;
      for (let i = list.length - 1; i >= 0; i--) {
        const start = mark(w);
        exponentialPoint(w, list[i]!);
        closeLen(w, start, 0x0a);
      }
      break;
    }
    case 'summary': {
      const list = d.dataPoints;
      for (let i = list.length - 1; i >= 0; i--) {
        const start = mark(w);
        summaryPoint(w, list[i]!);
        closeLen(w, start, 0x0a);
      }
      break;
    }
    default:
      throw new TypeError(`unknown metric data type ${String((d as { type: unknown }).type)}`);
  }
}

function numberPoints(w: Writer, list: readonly NumberDataPoint[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    numberPoint(w, list[i]!);
    closeLen(w, start, 0x0a);
  }
}

function exemplars(w: Writer, tag: number, list: readonly Exemplar[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    exemplar(w, list[i]!);
    closeLen(w, start, tag);
  }
}

function numberPoint(w: Writer, p: NumberDataPoint): void {
  uint32Field(w, 0x40, p.flags);
  keyValues(w, 0x3a, p.attributes, 0);
  // as_int (6) then exemplars (5) then as_double (4), in reverse.
  if (typeof p.value === 'bigint') {
    sfixed64(w, p.value);
    tag1(w, 0x31);
  }
  exemplars(w, 0x2a, p.exemplars);
  if (typeof p.value === 'number') {
    double(w, p.value);
    tag1(w, 0x21);
  }
  fixed64Field(w, 0x19, p.timeUnixNano);
  fixed64Field(w, 0x11, p.startTimeUnixNano);
}

function histogramPoint(w: Writer, p: HistogramDataPoint): void {
  optionalDouble(w, 0x61, p.max);
  optionalDouble(w, 0x59, p.min);
  uint32Field(w, 0x50, p.flags);
  keyValues(w, 0x4a, p.attributes, 0);
  exemplars(w, 0x42, p.exemplars);
  const bounds = p.explicitBounds;
  if (bounds.length !== 0) {
    const start = mark(w);
    for (let i = bounds.length - 1; i >= 0; i--) double(w, bounds[i]!);
    closeLen(w, start, 0x3a);
  }
  const counts = p.bucketCounts;
  if (counts.length !== 0) {
    const start = mark(w);
    for (let i = counts.length - 1; i >= 0; i--) fixed64(w, counts[i]!);
    closeLen(w, start, 0x32);
  }
  optionalDouble(w, 0x29, p.sum);
  fixed64Field(w, 0x21, p.count);
  fixed64Field(w, 0x19, p.timeUnixNano);
  fixed64Field(w, 0x11, p.startTimeUnixNano);
}

function exponentialPoint(w: Writer, p: ExponentialHistogramDataPoint): void {
  doubleField(w, 0x71, p.zeroThreshold);
  optionalDouble(w, 0x69, p.max);
  optionalDouble(w, 0x61, p.min);
  exemplars(w, 0x5a, p.exemplars);
  uint32Field(w, 0x50, p.flags);
  buckets(w, 0x4a, p.negative);
  buckets(w, 0x42, p.positive);
  fixed64Field(w, 0x39, p.zeroCount);
  if (p.scale !== 0) {
    sint32(w, p.scale);
    tag1(w, 0x30);
  }
  optionalDouble(w, 0x29, p.sum);
  fixed64Field(w, 0x21, p.count);
  fixed64Field(w, 0x19, p.timeUnixNano);
  fixed64Field(w, 0x11, p.startTimeUnixNano);
  keyValues(w, 0x0a, p.attributes, 0);
}

function buckets(w: Writer, tag: number, b: ExponentialHistogramBuckets | undefined): void {
  if (b === undefined) return;
  const start = mark(w);
  const counts = b.bucketCounts;
  if (counts.length !== 0) {
    const m = mark(w);
    for (let i = counts.length - 1; i >= 0; i--) uint64(w, counts[i]!);
    closeLen(w, m, 0x12);
  }
  if (b.offset !== 0) {
    sint32(w, b.offset);
    tag1(w, 0x08);
  }
  closeLen(w, start, tag);
}

function summaryPoint(w: Writer, p: SummaryDataPoint): void {
  uint32Field(w, 0x40, p.flags);
  keyValues(w, 0x3a, p.attributes, 0);
  const qs = p.quantileValues;
  for (let i = qs.length - 1; i >= 0; i--) {
    const q = qs[i]!;
    const start = mark(w);
    doubleField(w, 0x11, q.value);
    doubleField(w, 0x09, q.quantile);
    closeLen(w, start, 0x32);
  }
  doubleField(w, 0x29, p.sum);
  fixed64Field(w, 0x21, p.count);
  fixed64Field(w, 0x19, p.timeUnixNano);
  fixed64Field(w, 0x11, p.startTimeUnixNano);
}

function exemplar(w: Writer, x: Exemplar): void {
  keyValues(w, 0x3a, x.filteredAttributes, 0);
  if (typeof x.value === 'bigint') {
    sfixed64(w, x.value);
    tag1(w, 0x31);
  }
  bytesField(w, 0x2a, x.traceId);
  bytesField(w, 0x22, x.spanId);
  if (typeof x.value === 'number') {
    double(w, x.value);
    tag1(w, 0x19);
  }
  fixed64Field(w, 0x11, x.timeUnixNano);
}

// ---------------------------------------------------------------- logs

export function encodeLogs(w: Writer, req: ExportLogsServiceRequest): void {
  const list = req.resourceLogs;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    resourceLogs(w, list[i]!);
    closeLen(w, start, 0x0a);
  }
}

function resourceLogs(w: Writer, rl: ResourceLogs): void {
  stringField(w, 0x1a, rl.schemaUrl);
  const list = rl.scopeLogs;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    scopeLogs(w, list[i]!);
    closeLen(w, start, 0x12);
  }
  resource(w, 0x0a, rl.resource);
}

function scopeLogs(w: Writer, sl: ScopeLogs): void {
  stringField(w, 0x1a, sl.schemaUrl);
  const list = sl.logRecords;
  for (let i = list.length - 1; i >= 0; i--) {
    const start = mark(w);
    logRecord(w, list[i]!);
    closeLen(w, start, 0x12);
  }
  scope(w, 0x0a, sl.scope);
}

function logRecord(w: Writer, lr: LogRecord): void {
  stringField(w, 0x62, lr.eventName);
  fixed64Field(w, 0x59, lr.observedTimeUnixNano);
  bytesField(w, 0x52, lr.spanId);
  bytesField(w, 0x4a, lr.traceId);
  if (lr.flags !== 0) {
    fixed32(w, lr.flags);
    tag1(w, 0x45);
  }
  uint32Field(w, 0x38, lr.droppedAttributesCount);
  keyValues(w, 0x32, lr.attributes, 0);
  if (lr.body !== undefined) {
    const start = mark(w);
    anyValue(w, lr.body, 0);
    closeLen(w, start, 0x2a);
  }
  stringField(w, 0x1a, lr.severityText);
  enumField(w, 0x10, lr.severityNumber);
  fixed64Field(w, 0x09, lr.timeUnixNano);
}

// ---------------------------------------------------------------- responses

export function encodeResponseMessage(w: Writer, partial: PartialSuccess | undefined): void {
  if (partial === undefined) return;
  const start = mark(w);
  stringField(w, 0x12, partial.errorMessage);
  if (partial.rejected !== 0n) {
    int64(w, partial.rejected);
    tag1(w, 0x08);
  }
  closeLen(w, start, 0x0a);
}

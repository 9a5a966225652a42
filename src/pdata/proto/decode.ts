// Message decoders: protobuf bytes -> model objects (./shapes.ts).
// Each decoder switches on the whole tag (field number and wire type), so a known field with an
// unexpected wire type falls to `skipField`, which rejects it; unknown fields are skipped.
// Field numbers are those of opentelemetry-proto v1 (see ./fields.ts for the names).
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
import * as F from './fields.js';
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
} from './shapes.js';
import {
  fail,
  inField,
  MAX_DEPTH,
  type Reader,
  readBool,
  readBytes,
  readDouble,
  readFixed32,
  readFixed64,
  readInt32,
  readInt64,
  readLength,
  readSfixed64,
  readSint32,
  readString,
  readTag,
  readUint64,
  skipField,
  subEnd,
  varint32,
} from './wire.js';

// ---------------------------------------------------------------- common

/** The element index for an error path when `tag` is the repeated message field `field`. */
function at(tag: number, field: number, length: number): number {
  return tag >>> 3 === field ? length : -1;
}

function decodeAnyValue(r: Reader, end: number, depth: number): AnyValue {
  if (depth > MAX_DEPTH) fail(`values nested deeper than ${MAX_DEPTH}`, r.pos);
  let v: AnyValue = null;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          v = readString(r, end);
          break;
        case 0x10:
          v = readBool(r, end);
          break;
        case 0x18:
          v = readInt64(r, end);
          break;
        case 0x21:
          v = readDouble(r, end);
          break;
        case 0x2a:
          v = decodeArrayValue(r, subEnd(r, end), depth);
          break;
        case 0x32:
          v = { kvlist: decodeKeyValueList(r, subEnd(r, end), depth) };
          break;
        case 0x3a:
          v = readBytes(r, end);
          break;
        default:
          skipField(r, tag, end, F.ANY_VALUE_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.ANY_VALUE, tag, -1);
  }
  return v;
}

function decodeArrayValue(r: Reader, end: number, depth: number): AnyValue[] {
  const values: AnyValue[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) values.push(decodeAnyValue(r, subEnd(r, end), depth + 1));
      else skipField(r, tag, end, F.LIST_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.LIST, tag, values.length);
  }
  return values;
}

function decodeKeyValueList(r: Reader, end: number, depth: number): KeyValue[] {
  const values: KeyValue[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) values.push(decodeKeyValue(r, subEnd(r, end), depth + 1));
      else skipField(r, tag, end, F.LIST_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.LIST, tag, values.length);
  }
  return values;
}

function decodeKeyValue(r: Reader, end: number, depth: number): KeyValue {
  let key = '';
  let value: AnyValue = null;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) key = readString(r, end);
      else if (tag === 0x12) value = decodeAnyValue(r, subEnd(r, end), depth + 1);
      else skipField(r, tag, end, F.KEY_VALUE_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.KEY_VALUE, tag, -1);
  }
  return { key, value };
}

function attribute(r: Reader, end: number): KeyValue {
  return decodeKeyValue(r, subEnd(r, end), 0);
}

function decodeResource(r: Reader, end: number): Resource {
  const res = newResource();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) res.attributes.push(attribute(r, end));
      else if (tag === 0x10) res.droppedAttributesCount = varint32(r, end);
      else skipField(r, tag, end, F.RESOURCE_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.RESOURCE, tag, res.attributes.length);
  }
  return res;
}

function decodeScope(r: Reader, end: number): InstrumentationScope {
  const scope = newScope();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          scope.name = readString(r, end);
          break;
        case 0x12:
          scope.version = readString(r, end);
          break;
        case 0x1a:
          scope.attributes.push(attribute(r, end));
          break;
        case 0x20:
          scope.droppedAttributesCount = varint32(r, end);
          break;
        default:
          skipField(r, tag, end, F.SCOPE_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.SCOPE, tag, scope.attributes.length);
  }
  return scope;
}

// ---------------------------------------------------------------- traces

export function decodeTraces(r: Reader, end: number): ExportTraceServiceRequest {
  const resourceSpans: ResourceSpans[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) resourceSpans.push(decodeResourceSpans(r, subEnd(r, end)));
      else skipField(r, tag, end, F.REQUEST_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.TRACES_REQUEST, tag, resourceSpans.length);
  }
  return { resourceSpans };
}

function decodeResourceSpans(r: Reader, end: number): ResourceSpans {
  const rs = newResourceSpans();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          rs.resource = decodeResource(r, subEnd(r, end));
          break;
        case 0x12:
          rs.scopeSpans.push(decodeScopeSpans(r, subEnd(r, end)));
          break;
        case 0x1a:
          rs.schemaUrl = readString(r, end);
          break;
        default:
          skipField(r, tag, end, F.RESOURCE_X_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.RESOURCE_SPANS, tag, at(tag, 2, rs.scopeSpans.length));
  }
  return rs;
}

function decodeScopeSpans(r: Reader, end: number): ScopeSpans {
  const ss = newScopeSpans();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          ss.scope = decodeScope(r, subEnd(r, end));
          break;
        case 0x12:
          ss.spans.push(decodeSpan(r, subEnd(r, end)));
          break;
        case 0x1a:
          ss.schemaUrl = readString(r, end);
          break;
        default:
          skipField(r, tag, end, F.SCOPE_X_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.SCOPE_SPANS, tag, at(tag, 2, ss.spans.length));
  }
  return ss;
}

function decodeSpan(r: Reader, end: number): Span {
  const s = newSpan();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          s.traceId = readBytes(r, end);
          break;
        case 0x12:
          s.spanId = readBytes(r, end);
          break;
        case 0x1a:
          s.traceState = readString(r, end);
          break;
        case 0x22:
          s.parentSpanId = readBytes(r, end);
          break;
        case 0x2a:
          s.name = readString(r, end);
          break;
        case 0x30:
          s.kind = readInt32(r, end);
          break;
        case 0x39:
          s.startTimeUnixNano = readFixed64(r, end);
          break;
        case 0x41:
          s.endTimeUnixNano = readFixed64(r, end);
          break;
        case 0x4a:
          s.attributes.push(attribute(r, end));
          break;
        case 0x50:
          s.droppedAttributesCount = varint32(r, end);
          break;
        case 0x5a:
          s.events.push(decodeSpanEvent(r, subEnd(r, end)));
          break;
        case 0x60:
          s.droppedEventsCount = varint32(r, end);
          break;
        case 0x6a:
          s.links.push(decodeSpanLink(r, subEnd(r, end)));
          break;
        case 0x70:
          s.droppedLinksCount = varint32(r, end);
          break;
        case 0x7a:
          s.status = decodeStatus(r, subEnd(r, end));
          break;
        case 0x85:
          s.flags = readFixed32(r, end);
          break;
        default:
          skipField(r, tag, end, F.SPAN_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.SPAN, tag, spanIndex(s, tag));
  }
  return s;
}

function spanIndex(s: Span, tag: number): number {
  const f = tag >>> 3;
  return f === 9 ? s.attributes.length : f === 11 ? s.events.length : f === 13 ? s.links.length : -1;
}

function decodeSpanEvent(r: Reader, end: number): SpanEvent {
  const ev = newSpanEvent();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x09:
          ev.timeUnixNano = readFixed64(r, end);
          break;
        case 0x12:
          ev.name = readString(r, end);
          break;
        case 0x1a:
          ev.attributes.push(attribute(r, end));
          break;
        case 0x20:
          ev.droppedAttributesCount = varint32(r, end);
          break;
        default:
          skipField(r, tag, end, F.EVENT_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.EVENT, tag, ev.attributes.length);
  }
  return ev;
}

function decodeSpanLink(r: Reader, end: number): SpanLink {
  const link = newSpanLink();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          link.traceId = readBytes(r, end);
          break;
        case 0x12:
          link.spanId = readBytes(r, end);
          break;
        case 0x1a:
          link.traceState = readString(r, end);
          break;
        case 0x22:
          link.attributes.push(attribute(r, end));
          break;
        case 0x28:
          link.droppedAttributesCount = varint32(r, end);
          break;
        case 0x35:
          link.flags = readFixed32(r, end);
          break;
        default:
          skipField(r, tag, end, F.LINK_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.LINK, tag, link.attributes.length);
  }
  return link;
}

function decodeStatus(r: Reader, end: number): Status {
  const st = newStatus();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x12) st.message = readString(r, end);
      else if (tag === 0x18) st.code = readInt32(r, end);
      else skipField(r, tag, end, F.STATUS_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.STATUS, tag, -1);
  }
  return st;
}

// ---------------------------------------------------------------- metrics

export function decodeMetrics(r: Reader, end: number): ExportMetricsServiceRequest {
  const resourceMetrics: ResourceMetrics[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) resourceMetrics.push(decodeResourceMetrics(r, subEnd(r, end)));
      else skipField(r, tag, end, F.REQUEST_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.METRICS_REQUEST, tag, resourceMetrics.length);
  }
  return { resourceMetrics };
}

function decodeResourceMetrics(r: Reader, end: number): ResourceMetrics {
  const rm = newResourceMetrics();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          rm.resource = decodeResource(r, subEnd(r, end));
          break;
        case 0x12:
          rm.scopeMetrics.push(decodeScopeMetrics(r, subEnd(r, end)));
          break;
        case 0x1a:
          rm.schemaUrl = readString(r, end);
          break;
        default:
          skipField(r, tag, end, F.RESOURCE_X_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.RESOURCE_METRICS, tag, at(tag, 2, rm.scopeMetrics.length));
  }
  return rm;
}

function decodeScopeMetrics(r: Reader, end: number): ScopeMetrics {
  const sm = newScopeMetrics();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          sm.scope = decodeScope(r, subEnd(r, end));
          break;
        case 0x12:
          sm.metrics.push(decodeMetric(r, subEnd(r, end)));
          break;
        case 0x1a:
          sm.schemaUrl = readString(r, end);
          break;
        default:
          skipField(r, tag, end, F.SCOPE_X_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.SCOPE_METRICS, tag, at(tag, 2, sm.metrics.length));
  }
  return sm;
}

function decodeMetric(r: Reader, end: number): Metric {
  const m = newMetric();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          m.name = readString(r, end);
          break;
        case 0x12:
          m.description = readString(r, end);
          break;
        case 0x1a:
          m.unit = readString(r, end);
          break;
        case 0x2a:
        case 0x3a:
        case 0x4a:
        case 0x52:
        case 0x5a:
          m.data = decodeMetricData(r, subEnd(r, end), tag);
          break;
        case 0x62:
          m.metadata.push(attribute(r, end));
          break;
        default:
          skipField(r, tag, end, F.METRIC_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.METRIC, tag, at(tag, 12, m.metadata.length));
  }
  return m;
}

/** Gauge, Sum, Histogram, ExponentialHistogram or Summary (by the Metric tag). */
function decodeMetricData(r: Reader, end: number, metricTag: number): MetricData {
  const dataPoints: (NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint)[] = [];
  let temporality = 0;
  let monotonic = false;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) {
        const sub = subEnd(r, end);
        switch (metricTag) {
          case 0x2a:
          case 0x3a:
            dataPoints.push(decodeNumberDataPoint(r, sub));
            break;
          case 0x4a:
            dataPoints.push(decodeHistogramDataPoint(r, sub));
            break;
          case 0x52:
            dataPoints.push(decodeExponentialDataPoint(r, sub));
            break;
          default:
            dataPoints.push(decodeSummaryDataPoint(r, sub));
        }
      } else if (tag === 0x10 && metricTag !== 0x2a && metricTag !== 0x5a) {
        temporality = readInt32(r, end);
      } else if (tag === 0x18 && metricTag === 0x3a) {
        monotonic = readBool(r, end);
      } else {
        skipField(r, tag, end, F.metricDataKnown(metricTag));
      }
    }
  } catch (e) {
    throw inField(e, F.METRIC_DATA, tag, at(tag, 1, dataPoints.length));
  }
  switch (metricTag) {
    case 0x2a:
      return { type: 'gauge', dataPoints: dataPoints as NumberDataPoint[] };
    case 0x3a:
      return {
        type: 'sum',
        dataPoints: dataPoints as NumberDataPoint[],
        aggregationTemporality: temporality,
        isMonotonic: monotonic,
      };
    case 0x4a:
      return { type: 'histogram', dataPoints: dataPoints as HistogramDataPoint[], aggregationTemporality: temporality };
    case 0x52:
      return {
        type: 'exponentialHistogram',
        dataPoints: dataPoints as ExponentialHistogramDataPoint[],
        aggregationTemporality: temporality,
      };
    default:
      return { type: 'summary', dataPoints: dataPoints as SummaryDataPoint[] };
  }
}

function decodeNumberDataPoint(r: Reader, end: number): NumberDataPoint {
  const p = newNumberDataPoint();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x11:
          p.startTimeUnixNano = readFixed64(r, end);
          break;
        case 0x19:
          p.timeUnixNano = readFixed64(r, end);
          break;
        case 0x21:
          p.value = readDouble(r, end);
          break;
        case 0x2a:
          p.exemplars.push(decodeExemplar(r, subEnd(r, end)));
          break;
        case 0x31:
          p.value = readSfixed64(r, end);
          break;
        case 0x3a:
          p.attributes.push(attribute(r, end));
          break;
        case 0x40:
          p.flags = varint32(r, end);
          break;
        default:
          skipField(r, tag, end, F.NUMBER_POINT_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.NUMBER_POINT, tag, tag >>> 3 === 5 ? p.exemplars.length : p.attributes.length);
  }
  return p;
}

function decodeHistogramDataPoint(r: Reader, end: number): HistogramDataPoint {
  const p = newHistogramDataPoint();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x11:
          p.startTimeUnixNano = readFixed64(r, end);
          break;
        case 0x19:
          p.timeUnixNano = readFixed64(r, end);
          break;
        case 0x21:
          p.count = readFixed64(r, end);
          break;
        case 0x29:
          p.sum = readDouble(r, end);
          break;
        case 0x31:
          p.bucketCounts.push(readFixed64(r, end));
          break;
        case 0x32:
          packedFixed64(r, end, p.bucketCounts);
          break;
        case 0x39:
          p.explicitBounds.push(readDouble(r, end));
          break;
        case 0x3a:
          packedDouble(r, end, p.explicitBounds);
          break;
        case 0x42:
          p.exemplars.push(decodeExemplar(r, subEnd(r, end)));
          break;
        case 0x4a:
          p.attributes.push(attribute(r, end));
          break;
        case 0x50:
          p.flags = varint32(r, end);
          break;
        case 0x59:
          p.min = readDouble(r, end);
          break;
        case 0x61:
          p.max = readDouble(r, end);
          break;
        default:
          skipField(r, tag, end, F.HISTOGRAM_POINT_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.HISTOGRAM_POINT, tag, tag >>> 3 === 8 ? p.exemplars.length : p.attributes.length);
  }
  return p;
}

function decodeExponentialDataPoint(r: Reader, end: number): ExponentialHistogramDataPoint {
  const p = newExponentialHistogramDataPoint();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          p.attributes.push(attribute(r, end));
          break;
        case 0x11:
          p.startTimeUnixNano = readFixed64(r, end);
          break;
        case 0x19:
          p.timeUnixNano = readFixed64(r, end);
          break;
        case 0x21:
          p.count = readFixed64(r, end);
          break;
        case 0x29:
          p.sum = readDouble(r, end);
          break;
        case 0x30:
          p.scale = readSint32(r, end);
          break;
        case 0x39:
          p.zeroCount = readFixed64(r, end);
          break;
        case 0x42:
          p.positive = decodeBuckets(r, subEnd(r, end));
          break;
        case 0x4a:
          p.negative = decodeBuckets(r, subEnd(r, end));
          break;
        case 0x50:
          p.flags = varint32(r, end);
          break;
        case 0x5a:
          p.exemplars.push(decodeExemplar(r, subEnd(r, end)));
          break;
        case 0x61:
          p.min = readDouble(r, end);
          break;
        case 0x69:
          p.max = readDouble(r, end);
          break;
        case 0x71:
          p.zeroThreshold = readDouble(r, end);
          break;
        default:
          skipField(r, tag, end, F.EXPONENTIAL_POINT_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.EXPONENTIAL_POINT, tag, tag >>> 3 === 11 ? p.exemplars.length : at(tag, 1, p.attributes.length));
  }
  return p;
}

function decodeBuckets(r: Reader, end: number): ExponentialHistogramBuckets {
  const b = newBuckets();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x08) b.offset = readSint32(r, end);
      else if (tag === 0x12) packedUint64(r, end, b.bucketCounts);
      else if (tag === 0x10) b.bucketCounts.push(readUint64(r, end));
      else skipField(r, tag, end, F.BUCKETS_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.BUCKETS, tag, -1);
  }
  return b;
}

function decodeSummaryDataPoint(r: Reader, end: number): SummaryDataPoint {
  const p = newSummaryDataPoint();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x11:
          p.startTimeUnixNano = readFixed64(r, end);
          break;
        case 0x19:
          p.timeUnixNano = readFixed64(r, end);
          break;
        case 0x21:
          p.count = readFixed64(r, end);
          break;
        case 0x29:
          p.sum = readDouble(r, end);
          break;
        case 0x32:
          p.quantileValues.push(decodeQuantile(r, subEnd(r, end)));
          break;
        case 0x3a:
          p.attributes.push(attribute(r, end));
          break;
        case 0x40:
          p.flags = varint32(r, end);
          break;
        default:
          skipField(r, tag, end, F.SUMMARY_POINT_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.SUMMARY_POINT, tag, tag >>> 3 === 6 ? p.quantileValues.length : p.attributes.length);
  }
  return p;
}

function decodeQuantile(r: Reader, end: number): ValueAtQuantile {
  let quantile = 0;
  let value = 0;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x09) quantile = readDouble(r, end);
      else if (tag === 0x11) value = readDouble(r, end);
      else skipField(r, tag, end, F.QUANTILE_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.QUANTILE, tag, -1);
  }
  return { quantile, value };
}

function decodeExemplar(r: Reader, end: number): Exemplar {
  const x = newExemplar();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x11:
          x.timeUnixNano = readFixed64(r, end);
          break;
        case 0x19:
          x.value = readDouble(r, end);
          break;
        case 0x22:
          x.spanId = readBytes(r, end);
          break;
        case 0x2a:
          x.traceId = readBytes(r, end);
          break;
        case 0x31:
          x.value = readSfixed64(r, end);
          break;
        case 0x3a:
          x.filteredAttributes.push(attribute(r, end));
          break;
        default:
          skipField(r, tag, end, F.EXEMPLAR_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.EXEMPLAR, tag, x.filteredAttributes.length);
  }
  return x;
}

function packedFixed64(r: Reader, end: number, out: bigint[]): void {
  const len = readLength(r, end);
  if (len % 8 !== 0) fail(`packed fixed64 length ${len} is not a multiple of 8`, r.pos);
  const stop = r.pos + len;
  while (r.pos < stop) out.push(readFixed64(r, stop));
}

function packedDouble(r: Reader, end: number, out: number[]): void {
  const len = readLength(r, end);
  if (len % 8 !== 0) fail(`packed double length ${len} is not a multiple of 8`, r.pos);
  const stop = r.pos + len;
  while (r.pos < stop) out.push(readDouble(r, stop));
}

function packedUint64(r: Reader, end: number, out: bigint[]): void {
  const stop = subEnd(r, end);
  while (r.pos < stop) out.push(readUint64(r, stop));
}

// ---------------------------------------------------------------- logs

export function decodeLogs(r: Reader, end: number): ExportLogsServiceRequest {
  const resourceLogs: ResourceLogs[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) resourceLogs.push(decodeResourceLogs(r, subEnd(r, end)));
      else skipField(r, tag, end, F.REQUEST_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.LOGS_REQUEST, tag, resourceLogs.length);
  }
  return { resourceLogs };
}

function decodeResourceLogs(r: Reader, end: number): ResourceLogs {
  const rl = newResourceLogs();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          rl.resource = decodeResource(r, subEnd(r, end));
          break;
        case 0x12:
          rl.scopeLogs.push(decodeScopeLogs(r, subEnd(r, end)));
          break;
        case 0x1a:
          rl.schemaUrl = readString(r, end);
          break;
        default:
          skipField(r, tag, end, F.RESOURCE_X_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.RESOURCE_LOGS, tag, at(tag, 2, rl.scopeLogs.length));
  }
  return rl;
}

function decodeScopeLogs(r: Reader, end: number): ScopeLogs {
  const sl = newScopeLogs();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x0a:
          sl.scope = decodeScope(r, subEnd(r, end));
          break;
        case 0x12:
          sl.logRecords.push(decodeLogRecord(r, subEnd(r, end)));
          break;
        case 0x1a:
          sl.schemaUrl = readString(r, end);
          break;
        default:
          skipField(r, tag, end, F.SCOPE_X_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.SCOPE_LOGS, tag, at(tag, 2, sl.logRecords.length));
  }
  return sl;
}

function decodeLogRecord(r: Reader, end: number): LogRecord {
  const lr = newLogRecord();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      switch (tag) {
        case 0x09:
          lr.timeUnixNano = readFixed64(r, end);
          break;
        case 0x10:
          lr.severityNumber = readInt32(r, end);
          break;
        case 0x1a:
          lr.severityText = readString(r, end);
          break;
        case 0x2a:
          lr.body = decodeAnyValue(r, subEnd(r, end), 0);
          break;
        case 0x32:
          lr.attributes.push(attribute(r, end));
          break;
        case 0x38:
          lr.droppedAttributesCount = varint32(r, end);
          break;
        case 0x45:
          lr.flags = readFixed32(r, end);
          break;
        case 0x4a:
          lr.traceId = readBytes(r, end);
          break;
        case 0x52:
          lr.spanId = readBytes(r, end);
          break;
        case 0x59:
          lr.observedTimeUnixNano = readFixed64(r, end);
          break;
        case 0x62:
          lr.eventName = readString(r, end);
          break;
        default:
          skipField(r, tag, end, F.LOG_RECORD_KNOWN);
      }
    }
  } catch (e) {
    throw inField(e, F.LOG_RECORD, tag, at(tag, 6, lr.attributes.length));
  }
  return lr;
}

// ---------------------------------------------------------------- responses

/** Export*ServiceResponse: field 1 partial_success { 1: int64 rejected, 2: error_message }. */
export function decodeResponseMessage(r: Reader, end: number, names: readonly string[]): PartialSuccess | undefined {
  let partial: PartialSuccess | undefined;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x0a) partial = decodePartialSuccess(r, subEnd(r, end), names);
      else skipField(r, tag, end, F.REQUEST_KNOWN);
    }
  } catch (e) {
    throw inField(e, F.RESPONSE, tag, -1);
  }
  return partial;
}

function decodePartialSuccess(r: Reader, end: number, names: readonly string[]): PartialSuccess {
  let rejected = 0n;
  let errorMessage = '';
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = readTag(r, end);
      if (tag === 0x08) rejected = readInt64(r, end);
      else if (tag === 0x12) errorMessage = readString(r, end);
      else skipField(r, tag, end, F.PARTIAL_KNOWN);
    }
  } catch (e) {
    throw inField(e, names, tag, -1);
  }
  return { rejected, errorMessage };
}

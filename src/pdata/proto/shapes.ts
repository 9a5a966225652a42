// Constructors for the model objects with every field present (optional ones as undefined), in
// one fixed order. Decoders of both codecs build objects through these so that all objects of a
// kind share one hidden class and compare equal with assert.deepStrictEqual.
import type {
  Exemplar,
  ExponentialHistogramBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  InstrumentationScope,
  LogRecord,
  Metric,
  NumberDataPoint,
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
import { EMPTY_BYTES } from './wire.js';

export function newResource(): Resource {
  return { attributes: [], droppedAttributesCount: 0 };
}

export function newScope(): InstrumentationScope {
  return { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
}

export function newResourceSpans(): ResourceSpans {
  return { resource: undefined, scopeSpans: [], schemaUrl: '' };
}

export function newScopeSpans(): ScopeSpans {
  return { scope: undefined, spans: [], schemaUrl: '' };
}

export function newSpan(): Span {
  return {
    traceId: EMPTY_BYTES,
    spanId: EMPTY_BYTES,
    traceState: '',
    parentSpanId: EMPTY_BYTES,
    flags: 0,
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: undefined,
  };
}

export function newSpanEvent(): SpanEvent {
  return { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 };
}

export function newSpanLink(): SpanLink {
  return {
    traceId: EMPTY_BYTES,
    spanId: EMPTY_BYTES,
    traceState: '',
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
  };
}

export function newStatus(): Status {
  return { message: '', code: 0 };
}

export function newResourceMetrics(): ResourceMetrics {
  return { resource: undefined, scopeMetrics: [], schemaUrl: '' };
}

export function newScopeMetrics(): ScopeMetrics {
  return { scope: undefined, metrics: [], schemaUrl: '' };
}

export function newMetric(): Metric {
  return { name: '', description: '', unit: '', data: undefined, metadata: [] };
}

export function newNumberDataPoint(): NumberDataPoint {
  return {
    attributes: [],
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    value: undefined,
    exemplars: [],
    flags: 0,
  };
}

export function newHistogramDataPoint(): HistogramDataPoint {
  return {
    attributes: [],
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    count: 0n,
    sum: undefined,
    bucketCounts: [],
    explicitBounds: [],
    exemplars: [],
    flags: 0,
    min: undefined,
    max: undefined,
  };
}

export function newExponentialHistogramDataPoint(): ExponentialHistogramDataPoint {
  return {
    attributes: [],
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    count: 0n,
    sum: undefined,
    scale: 0,
    zeroCount: 0n,
    positive: undefined,
    negative: undefined,
    flags: 0,
    exemplars: [],
    min: undefined,
    max: undefined,
    zeroThreshold: 0,
  };
}

export function newBuckets(): ExponentialHistogramBuckets {
  return { offset: 0, bucketCounts: [] };
}

export function newSummaryDataPoint(): SummaryDataPoint {
  return {
    attributes: [],
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    count: 0n,
    sum: 0,
    quantileValues: [],
    flags: 0,
  };
}

export function newExemplar(): Exemplar {
  return {
    filteredAttributes: [],
    timeUnixNano: 0n,
    value: undefined,
    spanId: EMPTY_BYTES,
    traceId: EMPTY_BYTES,
  };
}

export function newResourceLogs(): ResourceLogs {
  return { resource: undefined, scopeLogs: [], schemaUrl: '' };
}

export function newScopeLogs(): ScopeLogs {
  return { scope: undefined, logRecords: [], schemaUrl: '' };
}

export function newLogRecord(): LogRecord {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: undefined,
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: EMPTY_BYTES,
    spanId: EMPTY_BYTES,
    eventName: '',
  };
}

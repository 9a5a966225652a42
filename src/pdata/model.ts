// OTLP-shaped data (opentelemetry-proto v1): plain objects, lossless.
// 64-bit integers and nanosecond times are `bigint`; ids are raw bytes (Uint8Array, empty = unset).
// Field numbers for the wire codecs are facts from opentelemetry-proto and live in ./proto/.

export type Signal = 'traces' | 'metrics' | 'logs';
export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

/**
 * AnyValue, mapped to JS values so that every proto case stays distinguishable:
 * string_value -> string, bool_value -> boolean, int_value -> bigint, double_value -> number,
 * bytes_value -> Uint8Array, array_value -> AnyValue[], kvlist_value -> { kvlist },
 * an AnyValue message with no value set -> null.
 */
export type AnyValue = string | boolean | bigint | number | Uint8Array | AnyValue[] | KvList | null;
export interface KvList {
  kvlist: KeyValue[];
}
export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

// ---------------------------------------------------------------- traces
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface ExportTraceServiceRequest {
  resourceSpans: ResourceSpans[];
}
export interface ResourceSpans {
  resource?: Resource;
  scopeSpans: ScopeSpans[];
  schemaUrl: string;
}
export interface ScopeSpans {
  scope?: InstrumentationScope;
  spans: Span[];
  schemaUrl: string;
}
export interface Span {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status?: Status;
}
export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}
export interface SpanLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
}
export interface Status {
  message: string;
  code: number;
}

// ---------------------------------------------------------------- metrics
export const AggregationTemporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;
/** DataPointFlags: bit 0 = no recorded value (staleness marker). */
export const DATA_POINT_FLAG_NO_RECORDED_VALUE = 1;

export interface ExportMetricsServiceRequest {
  resourceMetrics: ResourceMetrics[];
}
export interface ResourceMetrics {
  resource?: Resource;
  scopeMetrics: ScopeMetrics[];
  schemaUrl: string;
}
export interface ScopeMetrics {
  scope?: InstrumentationScope;
  metrics: Metric[];
  schemaUrl: string;
}
export interface Metric {
  name: string;
  description: string;
  unit: string;
  /** undefined when the metric carries no data field (legal on the wire, rare). */
  data?: MetricData;
  metadata: KeyValue[];
}
export type MetricData =
  | { type: 'gauge'; dataPoints: NumberDataPoint[] }
  | { type: 'sum'; dataPoints: NumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean }
  | { type: 'histogram'; dataPoints: HistogramDataPoint[]; aggregationTemporality: number }
  | {
      type: 'exponentialHistogram';
      dataPoints: ExponentialHistogramDataPoint[];
      aggregationTemporality: number;
    }
  | { type: 'summary'; dataPoints: SummaryDataPoint[] };
export type MetricType = MetricData['type'];

/** as_double -> number, as_int -> bigint, neither set -> undefined. */
export type NumberValue = number | bigint | undefined;

export interface NumberDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  value: NumberValue;
  exemplars: Exemplar[];
  flags: number;
}
export interface HistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: bigint;
  sum?: number;
  bucketCounts: bigint[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  flags: number;
  min?: number;
  max?: number;
}
export interface ExponentialHistogramBuckets {
  offset: number;
  bucketCounts: bigint[];
}
export interface ExponentialHistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: bigint;
  sum?: number;
  scale: number;
  zeroCount: bigint;
  positive?: ExponentialHistogramBuckets;
  negative?: ExponentialHistogramBuckets;
  flags: number;
  exemplars: Exemplar[];
  min?: number;
  max?: number;
  zeroThreshold: number;
}
export interface SummaryDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  count: bigint;
  sum: number;
  quantileValues: ValueAtQuantile[];
  flags: number;
}
export interface ValueAtQuantile {
  quantile: number;
  value: number;
}
export interface Exemplar {
  filteredAttributes: KeyValue[];
  timeUnixNano: bigint;
  value: NumberValue;
  spanId: Uint8Array;
  traceId: Uint8Array;
}

// ---------------------------------------------------------------- logs
export interface ExportLogsServiceRequest {
  resourceLogs: ResourceLogs[];
}
export interface ResourceLogs {
  resource?: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}
export interface ScopeLogs {
  scope?: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}
export interface LogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  /** undefined when the body field is absent; null when it is an empty AnyValue. */
  body?: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}

// ---------------------------------------------------------------- requests and responses
export interface RequestBySignal {
  traces: ExportTraceServiceRequest;
  metrics: ExportMetricsServiceRequest;
  logs: ExportLogsServiceRequest;
}
export type AnyRequest = RequestBySignal[Signal];

/** Export*ServiceResponse.partial_success; rejected counts are int64. */
export interface PartialSuccess {
  rejected: bigint;
  errorMessage: string;
}

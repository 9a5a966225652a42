// Field names (indexed by field number, for error paths) and bit sets of the field numbers each
// message defines (for telling a known field with a wrong wire type from an unknown field).
// Facts from opentelemetry-proto v1: common, resource, trace, metrics, logs, collector/*.
import { fieldSet } from './wire.js';

/** names[fieldNumber] = proto field name. */
function names(fields: Record<number, string>): readonly string[] {
  const out: string[] = [];
  for (const [n, name] of Object.entries(fields)) out[Number(n)] = name;
  return out;
}

export const ANY_VALUE = names({
  1: 'string_value',
  2: 'bool_value',
  3: 'int_value',
  4: 'double_value',
  5: 'array_value',
  6: 'kvlist_value',
  7: 'bytes_value',
});
// string_value_strindex (8) is for the profiles signal only; elsewhere it is ignored like an
// unknown field, as the proto comment asks.
export const ANY_VALUE_KNOWN = fieldSet(1, 2, 3, 4, 5, 6, 7);
export const LIST = names({ 1: 'values' });
export const LIST_KNOWN = fieldSet(1);
// key_strindex (3) is profiles-only, ignored.
export const KEY_VALUE = names({ 1: 'key', 2: 'value' });
export const KEY_VALUE_KNOWN = fieldSet(1, 2);
// entity_refs (3) has no place in the model yet; it is skipped like an unknown field.
export const RESOURCE = names({ 1: 'attributes', 2: 'dropped_attributes_count', 3: 'entity_refs' });
export const RESOURCE_KNOWN = fieldSet(1, 2);
export const SCOPE = names({ 1: 'name', 2: 'version', 3: 'attributes', 4: 'dropped_attributes_count' });
export const SCOPE_KNOWN = fieldSet(1, 2, 3, 4);

export const REQUEST_KNOWN = fieldSet(1);
export const TRACES_REQUEST = names({ 1: 'resource_spans' });
export const METRICS_REQUEST = names({ 1: 'resource_metrics' });
export const LOGS_REQUEST = names({ 1: 'resource_logs' });
/** ResourceSpans / ResourceMetrics / ResourceLogs and their Scope* children share numbers. */
export const RESOURCE_X_KNOWN = fieldSet(1, 2, 3);
export const SCOPE_X_KNOWN = fieldSet(1, 2, 3);
export const RESOURCE_SPANS = names({ 1: 'resource', 2: 'scope_spans', 3: 'schema_url' });
export const SCOPE_SPANS = names({ 1: 'scope', 2: 'spans', 3: 'schema_url' });
export const RESOURCE_METRICS = names({ 1: 'resource', 2: 'scope_metrics', 3: 'schema_url' });
export const SCOPE_METRICS = names({ 1: 'scope', 2: 'metrics', 3: 'schema_url' });
export const RESOURCE_LOGS = names({ 1: 'resource', 2: 'scope_logs', 3: 'schema_url' });
export const SCOPE_LOGS = names({ 1: 'scope', 2: 'log_records', 3: 'schema_url' });

export const SPAN = names({
  1: 'trace_id',
  2: 'span_id',
  3: 'trace_state',
  4: 'parent_span_id',
  5: 'name',
  6: 'kind',
  7: 'start_time_unix_nano',
  8: 'end_time_unix_nano',
  9: 'attributes',
  10: 'dropped_attributes_count',
  11: 'events',
  12: 'dropped_events_count',
  13: 'links',
  14: 'dropped_links_count',
  15: 'status',
  16: 'flags',
});
export const SPAN_KNOWN = fieldSet(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
export const EVENT = names({ 1: 'time_unix_nano', 2: 'name', 3: 'attributes', 4: 'dropped_attributes_count' });
export const EVENT_KNOWN = fieldSet(1, 2, 3, 4);
export const LINK = names({
  1: 'trace_id',
  2: 'span_id',
  3: 'trace_state',
  4: 'attributes',
  5: 'dropped_attributes_count',
  6: 'flags',
});
export const LINK_KNOWN = fieldSet(1, 2, 3, 4, 5, 6);
export const STATUS = names({ 2: 'message', 3: 'code' });
export const STATUS_KNOWN = fieldSet(2, 3);

export const METRIC = names({
  1: 'name',
  2: 'description',
  3: 'unit',
  5: 'gauge',
  7: 'sum',
  9: 'histogram',
  10: 'exponential_histogram',
  11: 'summary',
  12: 'metadata',
});
export const METRIC_KNOWN = fieldSet(1, 2, 3, 5, 7, 9, 10, 11, 12);
/** Gauge, Sum, Histogram, ExponentialHistogram, Summary. */
export const METRIC_DATA = names({ 1: 'data_points', 2: 'aggregation_temporality', 3: 'is_monotonic' });
export const GAUGE_KNOWN = fieldSet(1);
export const SUM_KNOWN = fieldSet(1, 2, 3);
export const HISTOGRAM_KNOWN = fieldSet(1, 2);

/** Known fields of the data message a Metric tag announces (gauge 0x2a, sum 0x3a, histogram
 * 0x4a, exponential_histogram 0x52, summary 0x5a). */
export function metricDataKnown(metricTag: number): number {
  if (metricTag === 0x3a) return SUM_KNOWN;
  return metricTag === 0x4a || metricTag === 0x52 ? HISTOGRAM_KNOWN : GAUGE_KNOWN;
}
export const NUMBER_POINT = names({
  2: 'start_time_unix_nano',
  3: 'time_unix_nano',
  4: 'as_double',
  5: 'exemplars',
  6: 'as_int',
  7: 'attributes',
  8: 'flags',
});
export const NUMBER_POINT_KNOWN = fieldSet(2, 3, 4, 5, 6, 7, 8);
export const HISTOGRAM_POINT = names({
  2: 'start_time_unix_nano',
  3: 'time_unix_nano',
  4: 'count',
  5: 'sum',
  6: 'bucket_counts',
  7: 'explicit_bounds',
  8: 'exemplars',
  9: 'attributes',
  10: 'flags',
  11: 'min',
  12: 'max',
});
export const HISTOGRAM_POINT_KNOWN = fieldSet(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
export const EXPONENTIAL_POINT = names({
  1: 'attributes',
  2: 'start_time_unix_nano',
  3: 'time_unix_nano',
  4: 'count',
  5: 'sum',
  6: 'scale',
  7: 'zero_count',
  8: 'positive',
  9: 'negative',
  10: 'flags',
  11: 'exemplars',
  12: 'min',
  13: 'max',
  14: 'zero_threshold',
});
export const EXPONENTIAL_POINT_KNOWN = fieldSet(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
export const BUCKETS = names({ 1: 'offset', 2: 'bucket_counts' });
export const BUCKETS_KNOWN = fieldSet(1, 2);
export const SUMMARY_POINT = names({
  2: 'start_time_unix_nano',
  3: 'time_unix_nano',
  4: 'count',
  5: 'sum',
  6: 'quantile_values',
  7: 'attributes',
  8: 'flags',
});
export const SUMMARY_POINT_KNOWN = fieldSet(2, 3, 4, 5, 6, 7, 8);
export const QUANTILE = names({ 1: 'quantile', 2: 'value' });
export const QUANTILE_KNOWN = fieldSet(1, 2);
export const EXEMPLAR = names({
  2: 'time_unix_nano',
  3: 'as_double',
  4: 'span_id',
  5: 'trace_id',
  6: 'as_int',
  7: 'filtered_attributes',
});
export const EXEMPLAR_KNOWN = fieldSet(2, 3, 4, 5, 6, 7);

export const LOG_RECORD = names({
  1: 'time_unix_nano',
  2: 'severity_number',
  3: 'severity_text',
  5: 'body',
  6: 'attributes',
  7: 'dropped_attributes_count',
  8: 'flags',
  9: 'trace_id',
  10: 'span_id',
  11: 'observed_time_unix_nano',
  12: 'event_name',
});
export const LOG_RECORD_KNOWN = fieldSet(1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12);

export const RESPONSE = names({ 1: 'partial_success' });
export const PARTIAL_KNOWN = fieldSet(1, 2);
export const TRACES_PARTIAL = names({ 1: 'rejected_spans', 2: 'error_message' });
export const METRICS_PARTIAL = names({ 1: 'rejected_data_points', 2: 'error_message' });
export const LOGS_PARTIAL = names({ 1: 'rejected_log_records', 2: 'error_message' });

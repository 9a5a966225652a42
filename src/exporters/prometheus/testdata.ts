// Builders of OTLP metric requests for the prometheus exporter's tests and benchmark.
import {
  AggregationTemporality,
  type AnyValue,
  type ExponentialHistogramDataPoint,
  type ExportMetricsServiceRequest,
  type HistogramDataPoint,
  type KeyValue,
  type Metric,
  type MetricData,
  type NumberDataPoint,
  type SummaryDataPoint,
} from '../../pdata/model.js';

export const T0 = 1_700_000_000_000_000_000n;
export const SEC = 1_000_000_000n;

export function kvs(o: Readonly<Record<string, AnyValue>>): KeyValue[] {
  return Object.entries(o).map(([key, value]) => ({ key, value }));
}

export function num(
  value: number | bigint,
  attrs: Readonly<Record<string, AnyValue>> = {},
  start = T0,
  time = T0 + SEC,
  flags = 0,
): NumberDataPoint {
  return { attributes: kvs(attrs), startTimeUnixNano: start, timeUnixNano: time, value, exemplars: [], flags };
}

export function hist(
  bounds: number[],
  counts: bigint[],
  sum: number | undefined,
  attrs: Readonly<Record<string, AnyValue>> = {},
  start = T0,
  time = T0 + SEC,
): HistogramDataPoint {
  return {
    attributes: kvs(attrs),
    startTimeUnixNano: start,
    timeUnixNano: time,
    count: counts.reduce((a, b) => a + b, 0n),
    ...(sum === undefined ? {} : { sum }),
    bucketCounts: counts,
    explicitBounds: bounds,
    exemplars: [],
    flags: 0,
  };
}

export function expo(
  scale: number,
  offset: number,
  counts: bigint[],
  zeroCount: bigint,
  sum: number,
  attrs: Readonly<Record<string, AnyValue>> = {},
  start = T0,
  time = T0 + SEC,
  negative?: { offset: number; counts: bigint[] },
): ExponentialHistogramDataPoint {
  const neg = negative?.counts.reduce((a, b) => a + b, 0n) ?? 0n;
  return {
    attributes: kvs(attrs),
    startTimeUnixNano: start,
    timeUnixNano: time,
    count: counts.reduce((a, b) => a + b, 0n) + zeroCount + neg,
    sum,
    scale,
    zeroCount,
    positive: { offset, bucketCounts: counts },
    ...(negative === undefined ? {} : { negative: { offset: negative.offset, bucketCounts: negative.counts } }),
    flags: 0,
    exemplars: [],
    zeroThreshold: 0,
  };
}

export function summary(
  count: bigint,
  sum: number,
  quantiles: Array<[number, number]>,
  attrs: Readonly<Record<string, AnyValue>> = {},
): SummaryDataPoint {
  return {
    attributes: kvs(attrs),
    startTimeUnixNano: T0,
    timeUnixNano: T0 + SEC,
    count,
    sum,
    quantileValues: quantiles.map(([quantile, value]) => ({ quantile, value })),
    flags: 0,
  };
}

export function metric(name: string, unit: string, data: MetricData, description = ''): Metric {
  return { name, description, unit, data, metadata: [] };
}

export const gauge = (points: NumberDataPoint[]): MetricData => ({ type: 'gauge', dataPoints: points });
export const sum = (points: NumberDataPoint[], monotonic = true, delta = false): MetricData => ({
  type: 'sum',
  dataPoints: points,
  isMonotonic: monotonic,
  aggregationTemporality: delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
});
export const histogram = (points: HistogramDataPoint[], delta = false): MetricData => ({
  type: 'histogram',
  dataPoints: points,
  aggregationTemporality: delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
});
export const expoHistogram = (points: ExponentialHistogramDataPoint[], delta = false): MetricData => ({
  type: 'exponentialHistogram',
  dataPoints: points,
  aggregationTemporality: delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
});
export const summaryData = (points: SummaryDataPoint[]): MetricData => ({ type: 'summary', dataPoints: points });

export function request(
  metrics: Metric[],
  resource: Readonly<Record<string, AnyValue>> = { 'service.name': 'checkout', 'service.instance.id': 'i-1' },
  scope = { name: 'test.scope', version: '1.2.3' },
): ExportMetricsServiceRequest {
  return {
    resourceMetrics: [
      {
        resource: { attributes: kvs(resource), droppedAttributesCount: 0 },
        scopeMetrics: [
          {
            scope: { name: scope.name, version: scope.version, attributes: [], droppedAttributesCount: 0 },
            metrics,
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

// Builders of OTLP metrics requests for the tracker's tests and benchmark.
import type {
  AnyValue,
  ExportMetricsServiceRequest,
  KeyValue,
  Metric,
  MetricData,
  NumberDataPoint,
} from '../pdata/model.js';
import { encodeRequest } from '../pdata/proto/index.js';

export type Attrs = Readonly<Record<string, AnyValue>>;

export function kvs(attrs: Attrs): KeyValue[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value }));
}

export function numberPoint(attrs: Attrs, value = 1): NumberDataPoint {
  return {
    attributes: kvs(attrs),
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    timeUnixNano: 1_700_000_060_000_000_000n,
    value,
    exemplars: [],
    flags: 0,
  };
}

export function metric(name: string, data: MetricData): Metric {
  return { name, description: '', unit: '', data, metadata: [] };
}

export function gauge(name: string, points: readonly Attrs[]): Metric {
  return metric(name, { type: 'gauge', dataPoints: points.map((a) => numberPoint(a)) });
}

export function sum(name: string, points: readonly Attrs[]): Metric {
  return metric(name, {
    type: 'sum',
    dataPoints: points.map((a) => numberPoint(a)),
    aggregationTemporality: 2,
    isMonotonic: true,
  });
}

export function request(
  metrics: readonly Metric[],
  resource: Attrs = { 'service.name': 'checkout' },
  scope = 'test',
): ExportMetricsServiceRequest {
  return {
    resourceMetrics: [
      {
        resource: { attributes: kvs(resource), droppedAttributesCount: 0 },
        scopeMetrics: [
          {
            scope: { name: scope, version: '', attributes: [], droppedAttributesCount: 0 },
            metrics: [...metrics],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

export function encode(req: ExportMetricsServiceRequest): Uint8Array {
  return encodeRequest('metrics', req);
}

/** Points of one metric: `count` series with `user_id` = u0.., `method` cycling over `methods`. */
export function userPoints(from: number, count: number, methods = 4): Attrs[] {
  const out: Attrs[] = [];
  for (let i = from; i < from + count; i++) {
    out.push({ 'http.request.method': ['GET', 'POST', 'PUT', 'DELETE'][i % methods] ?? 'GET', user_id: `u${i}` });
  }
  return out;
}

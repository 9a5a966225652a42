// Test helpers for the views processor: request builders and an engine/processor harness.
import type { Consumer } from '../../component/component.js';
import type { Batch } from '../../pdata/batch.js';
import type {
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  Metric,
  MetricData,
  NumberDataPoint,
} from '../../pdata/model.js';
import { silentLogger } from '../../telemetry/logger.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';
import { defaultViewsConfig, type ViewConfig, type ViewsConfig } from './config.js';
import { ViewsProcessor } from './processor.js';

export function attrs(o: Record<string, string | number | boolean>): KeyValue[] {
  return Object.entries(o).map(([key, v]) => ({
    key,
    value: typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v,
  }));
}

export function numberPoint(
  a: Record<string, string | number | boolean>,
  value: number | bigint,
  start: bigint,
  time: bigint,
  flags = 0,
): NumberDataPoint {
  return { attributes: attrs(a), startTimeUnixNano: start, timeUnixNano: time, value, exemplars: [], flags };
}

export function histPoint(
  a: Record<string, string | number | boolean>,
  bounds: number[],
  counts: number[],
  start: bigint,
  time: bigint,
  extra: { sum?: number; min?: number; max?: number } = {},
): HistogramDataPoint {
  const p: HistogramDataPoint = {
    attributes: attrs(a),
    startTimeUnixNano: start,
    timeUnixNano: time,
    count: BigInt(counts.reduce((x, y) => x + y, 0)),
    bucketCounts: counts.map((c) => BigInt(c)),
    explicitBounds: bounds,
    exemplars: [],
    flags: 0,
  };
  if (extra.sum !== undefined) p.sum = extra.sum;
  if (extra.min !== undefined) p.min = extra.min;
  if (extra.max !== undefined) p.max = extra.max;
  return p;
}

export function metric(name: string, data: MetricData, unit = ''): Metric {
  return { name, description: '', unit, data, metadata: [] };
}

export function request(metrics: Metric[], service = 'svc'): ExportMetricsServiceRequest {
  return {
    resourceMetrics: [
      {
        resource: { attributes: attrs({ 'service.name': service }), droppedAttributesCount: 0 },
        scopeMetrics: [
          { scope: { name: 'lib', version: '1', attributes: [], droppedAttributesCount: 0 }, metrics, schemaUrl: '' },
        ],
        schemaUrl: '',
      },
    ],
  };
}

/** Every metric of a request, flattened. */
export function metricsOf(req: ExportMetricsServiceRequest | undefined): Metric[] {
  if (req === undefined) return [];
  return req.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
}

export class Sink implements Consumer<'metrics'> {
  readonly mutatesData = false;
  readonly got: Batch<'metrics'>[] = [];
  async consume(batch: Batch<'metrics'>): Promise<void> {
    this.got.push(batch);
  }
  take(): Batch<'metrics'>[] {
    return this.got.splice(0);
  }
}

export interface Harness {
  readonly processor: ViewsProcessor<'metrics'>;
  readonly sink: Sink;
  readonly registry: MetricsRegistry;
  /** Advance the clock used for emission timestamps (ns). */
  setNow(ns: bigint): void;
}

export function harness(views: ViewConfig[], over: Partial<ViewsConfig> = {}): Harness {
  let now = 1_000_000_000_000n;
  const sink = new Sink();
  const registry = new MetricsRegistry();
  const processor = new ViewsProcessor(
    { id: { type: 'views', name: '' }, kind: 'processor', logger: silentLogger(), metrics: registry },
    { ...defaultViewsConfig(), ...over, views },
    'metrics',
    sink,
    { now: () => now, manualFlush: true },
  );
  return {
    processor,
    sink,
    registry,
    setNow: (ns) => {
      now = ns;
    },
  };
}

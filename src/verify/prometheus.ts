// Prometheus query API input: /api/v1/series to list what matches, /api/v1/query_range for the values, split into
// baseline and candidate by one label.
import type { KeyValue, Metric, ResourceMetrics } from '../pdata/model.js';
import { AggregationTemporality } from '../pdata/model.js';
import { emptySet, type TelemetrySet, VerifyInputError } from './input.js';

export interface PrometheusSource {
  readonly url: string;
  readonly match: readonly string[];
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  /** Seconds. */
  readonly step: number;
  readonly splitBy: string;
  readonly baseline: string;
  readonly candidate: string;
  readonly timeoutMs?: number;
  readonly progress?: (m: string) => void;
}

interface PromResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

async function get<T>(base: string, path: string, params: [string, string][], timeoutMs: number): Promise<T> {
  const u = new URL(path, base.endsWith('/') ? base : `${base}/`);
  for (const [k, v] of params) u.searchParams.append(k, v);
  let res: Response;
  try {
    res = await fetch(u, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new VerifyInputError(`--prometheus ${base}: cannot reach ${u.pathname}: ${(e as Error).message}`);
  }
  const text = await res.text();
  let body: PromResponse<T>;
  try {
    body = JSON.parse(text) as PromResponse<T>;
  } catch {
    throw new VerifyInputError(
      `--prometheus ${base}: ${u.pathname} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200)}`,
    );
  }
  if (body.status !== 'success' || body.data === undefined) {
    throw new VerifyInputError(
      `--prometheus ${base}: ${u.pathname}: ${body.errorType ?? `HTTP ${res.status}`}: ${body.error ?? 'no data'}`,
    );
  }
  return body.data;
}

/** A Prometheus family's kind from its name: `_total`, `_count`, `_sum` are counters, the rest gauges. */
function isCounter(name: string): boolean {
  return /_(total|count|sum|bucket)$/.test(name);
}

/** Reads both sides from a Prometheus-compatible API; each side becomes OTLP-shaped metrics (cumulative counters, gauges). */
export async function fetchPrometheus(
  src: PrometheusSource,
): Promise<{ baseline: TelemetrySet; candidate: TelemetrySet }> {
  const timeoutMs = src.timeoutMs ?? 30_000;
  const progress = src.progress ?? (() => {});
  const range: [string, string][] = [
    ['start', String(src.start)],
    ['end', String(src.end)],
  ];
  const series = await get<Record<string, string>[]>(
    src.url,
    'api/v1/series',
    [...src.match.map((m): [string, string] => ['match[]', m]), ...range],
    timeoutMs,
  );
  progress(`${series.length} series match`);
  const sides = new Map<string, Map<string, Metric>>([
    [src.baseline, new Map()],
    [src.candidate, new Map()],
  ]);
  const seen = new Set<string>();
  for (const m of src.match) {
    const data = await get<{
      resultType: string;
      result: { metric: Record<string, string>; values: [number, string][] }[];
    }>(src.url, 'api/v1/query_range', [['query', m], ...range, ['step', String(src.step)]], timeoutMs);
    if (data.resultType !== 'matrix')
      throw new VerifyInputError(`--match ${m}: expected a range vector, got ${data.resultType}`);
    for (const r of data.result) {
      const name = r.metric.__name__;
      const side = r.metric[src.splitBy];
      if (side !== undefined) seen.add(side);
      // Histogram buckets are compared through their `_count` and `_sum` series.
      if (name === undefined || side === undefined || name.endsWith('_bucket')) continue;
      const metrics = sides.get(side);
      if (metrics === undefined) continue;
      const attributes: KeyValue[] = Object.entries(r.metric)
        .filter(([k]) => k !== '__name__' && k !== src.splitBy)
        .map(([key, value]) => ({ key, value }));
      const counter = isCounter(name);
      let metric = metrics.get(name);
      if (metric === undefined) {
        metric = {
          name,
          description: '',
          unit: '',
          metadata: [],
          data: counter
            ? {
                type: 'sum',
                dataPoints: [],
                aggregationTemporality: AggregationTemporality.CUMULATIVE,
                isMonotonic: true,
              }
            : { type: 'gauge', dataPoints: [] },
        };
        metrics.set(name, metric);
      }
      const points = metric.data?.dataPoints as {
        attributes: KeyValue[];
        startTimeUnixNano: bigint;
        timeUnixNano: bigint;
        value: number;
        exemplars: [];
        flags: number;
      }[];
      for (const [t, v] of r.values) {
        const value = Number(v);
        if (!Number.isFinite(value)) continue;
        points.push({
          attributes,
          startTimeUnixNano: 0n,
          timeUnixNano: BigInt(Math.round(t * 1000)) * 1_000_000n,
          value,
          exemplars: [],
          flags: 0,
        });
      }
    }
  }
  const toSet = (value: string): TelemetrySet => {
    const set = emptySet();
    const metrics = [...(sides.get(value)?.values() ?? [])];
    if (metrics.length === 0) {
      throw new VerifyInputError(
        `--prometheus: no series with ${src.splitBy}="${value}" in ${src.match.join(' ')}; values seen: ${[...seen].sort().join(', ') || `(no series carry ${src.splitBy})`}`,
      );
    }
    const rm: ResourceMetrics = {
      resource: { attributes: [], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeMetrics: [
        {
          scope: { name: 'prometheus', version: '', attributes: [], droppedAttributesCount: 0 },
          metrics,
          schemaUrl: '',
        },
      ],
    };
    set.metrics.push(rm);
    return set;
  };
  return { baseline: toSet(src.baseline), candidate: toSet(src.candidate) };
}

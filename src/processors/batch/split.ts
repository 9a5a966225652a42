// Cutting a request into consecutive pieces by item count (spans, metric data points, log
// records), at resource / scope / metric / item granularity, in one pass and in order.
//
// The input request is never changed. Pieces reuse the input's item objects (each item goes to
// exactly one piece); a resource, scope or metric that straddles a cut is copied so that no two
// pieces share an object a downstream mutating consumer could change.
import { Batch, metricPointCount } from '../../pdata/batch.js';
import type {
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  Metric,
  MetricData,
  RequestBySignal,
  ResourceLogs,
  ResourceMetrics,
  ResourceSpans,
  ScopeLogs,
  ScopeMetrics,
  ScopeSpans,
  Signal,
} from '../../pdata/model.js';

/**
 * Cut `batch` into pieces of `first` items, then `max` items each, the last holding the rest.
 * Containers without items stay beside their neighbours. Pieces inherit the read-only mark.
 * Needs the decoded request (decodes bytes-only batches).
 */
export function chunkBatch<S extends Signal>(batch: Batch<S>, first: number, max: number): Batch<S>[] {
  if (first < 1 || max < 1) throw new RangeError(`chunk sizes must be >= 1 (first ${first}, max ${max})`);
  if (batch.itemCount <= first) return [batch];
  const pieces = chunkRequest(batch.signal, batch.request(), first, max);
  return pieces.map((req) => {
    const piece = Batch.fromRequest(batch.signal, req);
    if (batch.readOnly) piece.markReadOnly();
    return piece;
  });
}

export function chunkRequest<S extends Signal>(
  signal: S,
  req: RequestBySignal[S],
  first: number,
  max: number,
): RequestBySignal[S][] {
  switch (signal) {
    case 'traces':
      return chunkList((req as ExportTraceServiceRequest).resourceSpans, first, max, countRs, cutRs).map(
        (resourceSpans): ExportTraceServiceRequest => ({ resourceSpans }),
      ) as RequestBySignal[S][];
    case 'metrics':
      return chunkList((req as ExportMetricsServiceRequest).resourceMetrics, first, max, countRm, cutRm).map(
        (resourceMetrics): ExportMetricsServiceRequest => ({ resourceMetrics }),
      ) as RequestBySignal[S][];
    case 'logs':
      return chunkList((req as ExportLogsServiceRequest).resourceLogs, first, max, countRl, cutRl).map(
        (resourceLogs): ExportLogsServiceRequest => ({ resourceLogs }),
      ) as RequestBySignal[S][];
    default:
      throw new Error(`unknown signal ${String(signal)}`);
  }
}

/** Cut one element holding more than `first` items into pieces of `first`, `max`, `max`, ... */
type Cut<T> = (el: T, first: number, max: number) => T[];

/**
 * Group `list` into parts of `first` items, then `max` items each, cutting elements that
 * straddle a boundary with `cut`. Elements without items join the part being filled.
 */
function chunkList<T>(list: readonly T[], first: number, max: number, count: (el: T) => number, cut: Cut<T>): T[][] {
  let current: T[] = [];
  const parts: T[][] = [current];
  let room = first;
  for (const el of list) {
    const c = count(el);
    if (c > 0 && room === 0) {
      current = [];
      parts.push(current);
      room = max;
    }
    if (c <= room) {
      current.push(el);
      room -= c;
      continue;
    }
    const pieces = cut(el, room, max);
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) {
        current = [];
        parts.push(current);
      }
      current.push(pieces[i] as T);
    }
    room = max - count(pieces[pieces.length - 1] as T);
  }
  return parts;
}

/** [from, to) ranges of `first`, then `max` each, covering `total` (> first) items. */
function ranges(total: number, first: number, max: number): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [[0, first]];
  for (let from = first; from < total; from += max) out.push([from, Math.min(from + max, total)]);
  return out;
}

/** Pieces after the first get their own copy of a shared container field. */
function copyOf<T>(value: T): T {
  return structuredClone(value);
}

// ---------------------------------------------------------------- traces
function countSs(ss: ScopeSpans): number {
  return ss.spans.length;
}
function countRs(rs: ResourceSpans): number {
  let n = 0;
  for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}
const cutSs: Cut<ScopeSpans> = (ss, first, max) =>
  ranges(ss.spans.length, first, max).map(([from, to], i) => {
    const piece: ScopeSpans = { ...ss, spans: ss.spans.slice(from, to) };
    if (i > 0 && ss.scope !== undefined) piece.scope = copyOf(ss.scope);
    return piece;
  });
const cutRs: Cut<ResourceSpans> = (rs, first, max) =>
  chunkList(rs.scopeSpans, first, max, countSs, cutSs).map((scopeSpans, i) => {
    const piece: ResourceSpans = { ...rs, scopeSpans };
    if (i > 0 && rs.resource !== undefined) piece.resource = copyOf(rs.resource);
    return piece;
  });

// ---------------------------------------------------------------- logs
function countSl(sl: ScopeLogs): number {
  return sl.logRecords.length;
}
function countRl(rl: ResourceLogs): number {
  let n = 0;
  for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  return n;
}
const cutSl: Cut<ScopeLogs> = (sl, first, max) =>
  ranges(sl.logRecords.length, first, max).map(([from, to], i) => {
    const piece: ScopeLogs = { ...sl, logRecords: sl.logRecords.slice(from, to) };
    if (i > 0 && sl.scope !== undefined) piece.scope = copyOf(sl.scope);
    return piece;
  });
const cutRl: Cut<ResourceLogs> = (rl, first, max) =>
  chunkList(rl.scopeLogs, first, max, countSl, cutSl).map((scopeLogs, i) => {
    const piece: ResourceLogs = { ...rl, scopeLogs };
    if (i > 0 && rl.resource !== undefined) piece.resource = copyOf(rl.resource);
    return piece;
  });

// ---------------------------------------------------------------- metrics
function countM(m: Metric): number {
  return metricPointCount(m.data);
}
function countSm(sm: ScopeMetrics): number {
  let n = 0;
  for (const m of sm.metrics) n += metricPointCount(m.data);
  return n;
}
function countRm(rm: ResourceMetrics): number {
  let n = 0;
  for (const sm of rm.scopeMetrics) n += countSm(sm);
  return n;
}
/** The same metric data with only the points in [from, to). */
function slicePoints(data: MetricData, from: number, to: number): MetricData {
  switch (data.type) {
    case 'gauge':
      return { ...data, dataPoints: data.dataPoints.slice(from, to) };
    case 'sum':
      return { ...data, dataPoints: data.dataPoints.slice(from, to) };
    case 'histogram':
      return { ...data, dataPoints: data.dataPoints.slice(from, to) };
    case 'exponentialHistogram':
      return { ...data, dataPoints: data.dataPoints.slice(from, to) };
    case 'summary':
      return { ...data, dataPoints: data.dataPoints.slice(from, to) };
    default: {
      const never: never = data;
      throw new Error(`unknown metric data ${String(never)}`);
    }
  }
}
const cutM: Cut<Metric> = (m, first, max) => {
  const data = m.data as MetricData; // only metrics with points are cut
  return ranges(data.dataPoints.length, first, max).map(([from, to], i) => ({
    ...m,
    metadata: i === 0 ? m.metadata : copyOf(m.metadata),
    data: slicePoints(data, from, to),
  }));
};
const cutSm: Cut<ScopeMetrics> = (sm, first, max) =>
  chunkList(sm.metrics, first, max, countM, cutM).map((metrics, i) => {
    const piece: ScopeMetrics = { ...sm, metrics };
    if (i > 0 && sm.scope !== undefined) piece.scope = copyOf(sm.scope);
    return piece;
  });
const cutRm: Cut<ResourceMetrics> = (rm, first, max) =>
  chunkList(rm.scopeMetrics, first, max, countSm, cutSm).map((scopeMetrics, i) => {
    const piece: ResourceMetrics = { ...rm, scopeMetrics };
    if (i > 0 && rm.resource !== undefined) piece.resource = copyOf(rm.resource);
    return piece;
  });

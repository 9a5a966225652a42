// The JSON the explorer serves (`/api/cardinality`) and the page renders: top metrics by active
// series, top attribute keys by distinct values, per-minute growth, and "drop this key" suggestions
// with the `views` processor YAML that does it. The shape is documented in docs/telemetry.md.
import { DistinctSketch } from './sketch.js';
import {
  KEY_PRECISION,
  type KeyStats,
  type MetricStats,
  type PointKind,
  SERIES_PRECISION,
  type TrackerView,
} from './tracker.js';

export interface KeyReport {
  readonly key: string;
  /** `point`: a data point attribute; `resource`: a resource attribute (no projection). */
  readonly scope: 'point' | 'resource';
  readonly distinctValues: number;
  /** Series of the metric if this key were dropped (re-aggregated); null for resource keys. */
  readonly seriesWithoutKey: number | null;
  /** True when distinctValues is exact (a small set) rather than a HyperLogLog estimate. */
  readonly exact: boolean;
  /** The same for seriesWithoutKey (null for resource keys). */
  readonly seriesWithoutKeyExact: boolean | null;
  /** Up to 3 first-seen values, truncated; "[REDACTED]" for secret-looking keys. */
  readonly examples: readonly string[];
}

export interface MetricReport {
  readonly name: string;
  readonly type: PointKind;
  readonly activeSeries: number;
  readonly exact: boolean;
  /** Data points seen since tracking began. */
  readonly points: number;
  /** Distinct series seen in each minute of the window, oldest first (the last is the current minute). */
  readonly history: readonly number[];
  /** Point attribute keys past the per-metric cap (occurrences). */
  readonly keyOverflow: number;
  /** The key with the most distinct values, if any. */
  readonly topKey: string | null;
  /** Only in the detail answer (`?metric=`) and for the metrics listed on the page. */
  readonly keys?: readonly KeyReport[];
}

export interface TopKeyReport {
  readonly metric: string;
  readonly type: PointKind;
  readonly key: string;
  readonly scope: 'point' | 'resource';
  readonly distinctValues: number;
  readonly exact: boolean;
}

export interface Suggestion {
  readonly metric: string;
  readonly type: PointKind;
  readonly key: string;
  readonly seriesBefore: number;
  readonly seriesAfter: number;
  /** "drop `user_id` on `http.server.duration`: 120,000 -> 40 series" */
  readonly text: string;
  /** The `views` processor configuration that drops the key (re-aggregating the series). */
  readonly yaml: string;
}

export interface CardinalityReport {
  readonly generatedAt: string;
  readonly windowMinutes: number;
  readonly errorBounds: { readonly series: number; readonly keys: number };
  readonly totals: {
    readonly metrics: number;
    readonly activeSeries: number;
    readonly points: number;
    readonly batches: number;
    readonly overflowMetricNames: number;
    readonly overflowPoints: number;
    readonly maxMetrics: number;
    readonly maxKeysPerMetric: number;
    readonly memoryBytes: number;
  };
  readonly metrics: readonly MetricReport[];
  readonly topKeys: readonly TopKeyReport[];
  readonly suggestions: readonly Suggestion[];
}

export interface ReportOptions {
  /** Metrics, keys and suggestions listed at most. Default 20. */
  readonly limit?: number;
  /** Include per-key detail for the listed metrics. */
  readonly withKeys?: boolean;
}

/** A suggestion is made when dropping one key cuts at least this many series... */
export const SUGGEST_MIN_SERIES = 100;
/** ...to at most this fraction of them. */
export const SUGGEST_MAX_RATIO = 0.25;

const MINUTE_MS = 60_000;

interface Computed {
  readonly m: MetricStats;
  readonly active: number;
  readonly exact: boolean;
}

export function buildReport(view: TrackerView & { bytes(): number }, opts: ReportOptions = {}): CardinalityReport {
  const limit = Math.max(1, Math.min(opts.limit ?? 20, 1000));
  const nowMs = view.now();
  const minute = Math.floor(nowMs / MINUTE_MS);
  const epoch = Math.floor(nowMs / view.epochMs);
  const computed: Computed[] = [];
  let totalSeries = 0;
  const scratch = new DistinctSketch(SERIES_PRECISION);
  const parts: DistinctSketch[] = [];
  for (const m of view.metrics()) {
    if (m.lastMinute < minute - view.windowMinutes + 1) continue;
    parts.length = 0;
    for (let i = 0; i < m.minutes.length; i++) {
      const at = m.minutes[i] as number;
      const sk = m.series[i];
      if (sk !== undefined && at > minute - view.windowMinutes && at <= minute) parts.push(sk);
    }
    const u = unionEstimate(parts, scratch);
    computed.push({ m, active: u.estimate, exact: u.exact });
    totalSeries += u.estimate;
  }
  computed.sort((a, b) => b.active - a.active || a.m.name.localeCompare(b.m.name));

  const topKeys: TopKeyReport[] = [];
  const suggestions: Suggestion[] = [];
  const keyScratch = new DistinctSketch(KEY_PRECISION);
  for (const c of computed) {
    let best: { key: string; after: number } | undefined;
    for (const k of [...c.m.keys, ...c.m.resourceKeys]) {
      const kr = keyFigures(k, epoch, keyScratch, c.active);
      if (kr.distinctValues === 0) continue;
      topKeys.push({
        metric: c.m.name,
        type: c.m.kind,
        key: k.name,
        scope: kr.scope,
        distinctValues: kr.distinctValues,
        exact: kr.exact,
      });
      if (kr.seriesWithoutKey !== null && (best === undefined || kr.seriesWithoutKey < best.after)) {
        best = { key: k.name, after: kr.seriesWithoutKey };
      }
    }
    if (
      best !== undefined &&
      c.active >= SUGGEST_MIN_SERIES &&
      best.after <= c.active * SUGGEST_MAX_RATIO &&
      selectable(c.m.name)
    ) {
      suggestions.push(suggestion(c.m.name, c.m.kind, best.key, c.active, Math.min(best.after, c.active)));
    }
  }
  topKeys.sort((a, b) => b.distinctValues - a.distinctValues || a.metric.localeCompare(b.metric));
  suggestions.sort((a, b) => b.seriesBefore - b.seriesAfter - (a.seriesBefore - a.seriesAfter));

  const metrics = computed
    .slice(0, limit)
    .map((c) => metricReport(c, view, minute, epoch, opts.withKeys === true, keyScratch));
  const t = view.totals;
  return {
    generatedAt: new Date(nowMs).toISOString(),
    windowMinutes: view.windowMinutes,
    errorBounds: {
      series: round3(1.04 / Math.sqrt(2 ** SERIES_PRECISION)),
      keys: round3(1.04 / Math.sqrt(2 ** KEY_PRECISION)),
    },
    totals: {
      metrics: computed.length,
      activeSeries: totalSeries,
      points: t.points,
      batches: t.batches,
      overflowMetricNames: t.overflowNames.estimate(),
      overflowPoints: t.overflowPoints,
      maxMetrics: view.maxMetrics,
      maxKeysPerMetric: view.maxKeysPerMetric,
      memoryBytes: view.bytes(),
    },
    metrics,
    topKeys: topKeys.slice(0, limit),
    suggestions: suggestions.slice(0, limit),
  };
}

/** One metric's detail, or undefined when it is not tracked. `type` picks among kinds sharing a name. */
export function metricDetail(view: TrackerView, name: string, type?: string): MetricReport | undefined {
  const nowMs = view.now();
  const minute = Math.floor(nowMs / MINUTE_MS);
  const epoch = Math.floor(nowMs / view.epochMs);
  for (const m of view.metrics()) {
    if (m.name !== name || (type !== undefined && type !== '' && m.kind !== type)) continue;
    const scratch = new DistinctSketch(SERIES_PRECISION);
    m.seriesUnion(minute - view.windowMinutes + 1, minute, scratch);
    return metricReport(
      { m, active: scratch.estimate(), exact: scratch.exact },
      view,
      minute,
      epoch,
      true,
      new DistinctSketch(KEY_PRECISION),
    );
  }
  return undefined;
}

/** The suggestion for a metric, if one would be made (used by the detail page). */
export function suggestionFor(detail: MetricReport): Suggestion | undefined {
  let best: KeyReport | undefined;
  for (const k of detail.keys ?? []) {
    if (k.seriesWithoutKey === null) continue;
    if (best === undefined || k.seriesWithoutKey < (best.seriesWithoutKey as number)) best = k;
  }
  if (best === undefined || best.seriesWithoutKey === null) return undefined;
  if (detail.activeSeries < SUGGEST_MIN_SERIES || best.seriesWithoutKey > detail.activeSeries * SUGGEST_MAX_RATIO) {
    return undefined;
  }
  if (!selectable(detail.name)) return undefined;
  return suggestion(
    detail.name,
    detail.type,
    best.key,
    detail.activeSeries,
    Math.min(best.seriesWithoutKey, detail.activeSeries),
  );
}

function metricReport(
  c: Computed,
  view: TrackerView,
  minute: number,
  epoch: number,
  withKeys: boolean,
  scratch: DistinctSketch,
): MetricReport {
  const m = c.m;
  const history: number[] = [];
  for (let i = view.windowMinutes - 1; i >= 0; i--) {
    const want = minute - i;
    const slot = want % m.minutes.length;
    const s = m.series[slot];
    history.push(s !== undefined && m.minutes[slot] === want ? s.estimate() : 0);
  }
  const keys = [...m.keys, ...m.resourceKeys]
    .map((k) => keyFigures(k, epoch, scratch, c.active))
    .filter((k) => k.distinctValues > 0)
    .sort((a, b) => b.distinctValues - a.distinctValues || a.key.localeCompare(b.key));
  const base = {
    name: m.name,
    type: m.kind,
    activeSeries: c.active,
    exact: c.exact,
    points: m.points,
    history,
    keyOverflow: m.keyOverflow,
    topKey: keys[0]?.key ?? null,
  };
  return withKeys ? { ...base, keys } : base;
}

/** Figures of one key. Both are capped at the metric's active series: each value of a key and
 * each merged series belongs to at least one active series, so a higher figure is estimation
 * error (key sketches are coarser than series sketches) and would only confuse. */
function keyFigures(k: KeyStats, epoch: number, scratch: DistinctSketch, active: number): KeyReport {
  // Sketches older than the previous epoch are stale: reading does not roll them, so skip them.
  const fresh = k.epoch === epoch || k.epoch === epoch - 1;
  const prevFresh = k.epoch === epoch;
  const values = unionEstimate(fresh ? (prevFresh ? [k.values, k.prevValues] : [k.values]) : [], scratch);
  const distinctValues = Math.min(values.estimate, Math.max(active, 1));
  const exact = values.exact;
  let seriesWithoutKey: number | null = null;
  let seriesWithoutKeyExact: boolean | null = null;
  if (k.proj !== undefined && k.prevProj !== undefined) {
    const p = unionEstimate(fresh ? (prevFresh ? [k.proj, k.prevProj] : [k.proj]) : [], scratch);
    seriesWithoutKey = Math.min(p.estimate, Math.max(active, 1));
    seriesWithoutKeyExact = p.exact;
  }
  return {
    key: k.name,
    scope: k.resource ? 'resource' : 'point',
    distinctValues,
    seriesWithoutKey,
    exact,
    seriesWithoutKeyExact,
    examples: [...k.examples],
  };
}

/** Whether a views selector can name exactly this metric: not a name cut short for display, and
 * no `*` or `?`, which `instrument_name` reads as wildcards (the view would drop the key from
 * other metrics too). */
function selectable(name: string): boolean {
  return !name.endsWith('…') && !name.includes('*') && !name.includes('?');
}

function suggestion(metric: string, type: PointKind, key: string, before: number, after: number): Suggestion {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  return {
    metric,
    type,
    key,
    seriesBefore: before,
    seriesAfter: after,
    text: `drop \`${key}\` on \`${metric}\`: ${fmt(before)} -> ${fmt(after)} series`,
    yaml: viewsYaml(metric, key),
  };
}

/** A YAML flow scalar: plain when safe, else double-quoted (JSON escapes are valid YAML). */
export function yamlScalar(s: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_.\-/]*$/.test(s) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s)) return s;
  return JSON.stringify(s);
}

/** The `views` processor config that drops `key` from `metric`. */
export function viewsYaml(metric: string, key: string): string {
  return [
    'processors:',
    '  views:',
    '    views:',
    `      - selector: {instrument_name: ${yamlScalar(metric)}}`,
    `        stream: {attribute_keys: {excluded: [${yamlScalar(key)}]}}`,
    '',
  ].join('\n');
}

/** Estimate of the union of `sketches`, merging only when more than one holds something. */
function unionEstimate(
  sketches: readonly DistinctSketch[],
  scratch: DistinctSketch,
): { estimate: number; exact: boolean } {
  let only: DistinctSketch | undefined;
  let count = 0;
  for (const s of sketches) {
    if (s.empty) continue;
    only = s;
    count++;
  }
  if (only === undefined) return { estimate: 0, exact: true };
  if (count === 1) return { estimate: only.estimate(), exact: only.exact };
  scratch.clear();
  for (const s of sketches) if (!s.empty) scratch.mergeFrom(s);
  return { estimate: scratch.estimate(), exact: scratch.exact };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

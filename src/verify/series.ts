// From OTLP metrics to normalized metric families of streams, and from streams to per-step values on a common grid.
import { attrsKey } from '../metrics/attrs.js';
import { AggregationTemporality, type KeyValue, type ResourceMetrics } from '../pdata/model.js';
import { globToRegExp } from './attributes.js';
import {
  applyMapping,
  canonicalMetric,
  type RenameRules,
  type StatsdMappingRule,
  type StatsdMetricType,
  unitScale,
} from './normalize.js';

/** How values are compared: counters as per-step increments (rates), gauges as levels, histograms as count + mean. */
export type FamilyKind = 'counter' | 'gauge' | 'histogram';

export interface Stream {
  readonly attrs: KeyValue[];
  readonly resource: KeyValue[];
  readonly cumulative: boolean;
  /** Point times in seconds since the epoch. */
  readonly t: number[];
  readonly start: number[];
  /** Counter/gauge value, or histogram count; already in the family's base unit. */
  readonly v: number[];
  /** Histogram sums in the base unit (empty for counters and gauges). */
  readonly s: number[];
}

export interface Family {
  readonly canon: string;
  /** The names as written in the input (first seen first). */
  readonly names: string[];
  kind: FamilyKind;
  /** Declared or inferred unit (before scaling), and the base unit values were scaled to. */
  unit: string;
  baseUnit: string;
  readonly streams: Map<string, Stream>;
  points: number;
  /** Point kinds seen in the input (`sum/delta`, `histogram/cumulative`, `gauge`...). */
  readonly shapes: Set<string>;
}

export interface ExtractOptions {
  readonly rules: RenameRules;
  readonly mapping?: readonly StatsdMappingRule[];
  /** `glob=unit` overrides for metrics whose unit is missing or wrong. */
  readonly units?: readonly { readonly glob: string; readonly unit: string }[];
}

export interface Extracted {
  readonly families: Map<string, Family>;
  /** Points dropped with the reason (`no value`, `mapping drop`, `non-finite`). */
  readonly dropped: Record<string, number>;
  tMin: number;
  tMax: number;
  /** Median spacing of consecutive points within a stream (seconds), NaN when unknown. */
  interval: number;
}

const nsToS = (ns: bigint): number => Number(ns) / 1e9;

/** Points further than this from a side's median time are dropped (31 days: longer than any comparison window). */
export const MAX_SPREAD_S = 31 * 86_400;

function num(v: number | bigint | undefined): number {
  return v === undefined ? Number.NaN : Number(v);
}

function renameKeys(attrs: readonly KeyValue[], renames: ReadonlyMap<string, string>): KeyValue[] {
  return attrs.map((kv) => {
    const r = renames.get(kv.key);
    return r === undefined ? kv : { key: r, value: kv.value };
  });
}

/**
 * Metric families keyed by canonical name (see `canonicalMetric`) after statsd mapping and metric renames.
 * Attribute keys are kept as written (attribute renames are applied by the comparison, which reports them).
 */
export function extractFamilies(rms: readonly ResourceMetrics[], opts: ExtractOptions): Extracted {
  const families = new Map<string, Family>();
  const dropped: Record<string, number> = {};
  const drop = (why: string, n = 1): void => {
    dropped[why] = (dropped[why] ?? 0) + n;
  };
  const unitOverrides = (opts.units ?? []).map((u) => ({ re: globToRegExp(u.glob), unit: u.unit }));
  // Metric renames are written with OTel names (`http.server.duration`), but the same metric may arrive spelled the
  // Prometheus or StatsD way (`http_server_duration_seconds`): renames apply to canonical names too.
  const canonRenames = new Map<string, string>();
  for (const [from, to] of opts.rules.metrics) {
    const a = canonicalMetric(from, '').canon;
    const b = canonicalMetric(to, '').canon;
    if (a !== '' && b !== '' && a !== b) canonRenames.set(a, b);
  }
  let tMin = Number.POSITIVE_INFINITY;
  let tMax = Number.NEGATIVE_INFINITY;
  const gaps: number[] = [];

  for (const rm of rms) {
    const resource = rm.resource?.attributes ?? [];
    for (const sm of rm.scopeMetrics) {
      const fromStatsd = (sm.scope?.name ?? '').toLowerCase().includes('statsd');
      for (const m of sm.metrics) {
        const data = m.data;
        if (data === undefined) continue;
        let name = m.name;
        let extra: KeyValue[] = [];
        if (opts.mapping !== undefined && opts.mapping.length > 0) {
          const type: StatsdMetricType =
            data.type === 'sum'
              ? data.isMonotonic
                ? 'counter'
                : 'gauge'
              : data.type === 'gauge'
                ? 'gauge'
                : 'observer';
          const mapped = applyMapping(opts.mapping, name, type);
          if (mapped?.kind === 'drop') {
            drop('mapping drop', data.dataPoints.length);
            continue;
          }
          if (mapped?.kind === 'map') {
            name = mapped.name;
            extra = Object.entries(mapped.labels).map(([key, value]) => ({ key, value }));
          }
        }
        name = opts.rules.metrics.get(name) ?? name;
        let kind: FamilyKind;
        let cumulative = false;
        let shape: string;
        switch (data.type) {
          case 'gauge':
            kind = 'gauge';
            shape = 'gauge';
            break;
          case 'sum':
            cumulative = data.aggregationTemporality === AggregationTemporality.CUMULATIVE;
            kind = cumulative && !data.isMonotonic ? 'gauge' : 'counter';
            shape = `sum/${cumulative ? 'cumulative' : 'delta'}${data.isMonotonic ? '' : '/non-monotonic'}`;
            break;
          case 'histogram':
          case 'exponentialHistogram':
            cumulative = data.aggregationTemporality === AggregationTemporality.CUMULATIVE;
            kind = 'histogram';
            shape = `${data.type}/${cumulative ? 'cumulative' : 'delta'}`;
            break;
          case 'summary':
            cumulative = true;
            kind = 'histogram';
            shape = 'summary';
            break;
          default: {
            const never: never = data;
            throw new Error(`unknown metric data ${String(never)}`);
          }
        }
        const canonical0 = canonicalMetric(name, m.unit);
        const canonical = { canon: canonRenames.get(canonical0.canon) ?? canonical0.canon, unit: canonical0.unit };
        let unit = canonical.unit;
        const override = unitOverrides.find((u) => u.re.test(m.name) || u.re.test(name));
        if (override !== undefined) unit = override.unit;
        else if (unit === '' && fromStatsd && kind === 'histogram') unit = 'ms'; // StatsD timers are milliseconds
        const { base, factor } = unitScale(unit);
        let fam = families.get(canonical.canon);
        if (fam === undefined) {
          fam = {
            canon: canonical.canon,
            names: [m.name],
            kind,
            unit,
            baseUnit: base,
            streams: new Map(),
            points: 0,
            shapes: new Set(),
          };
          families.set(canonical.canon, fam);
        } else {
          if (!fam.names.includes(m.name)) fam.names.push(m.name);
          if (fam.kind !== kind && (fam.kind === 'histogram' || kind === 'histogram')) fam.kind = 'histogram';
        }
        fam.shapes.add(shape);
        const rkey = attrsKey(resource);
        for (const p of data.dataPoints) {
          const attrs = extra.length === 0 ? p.attributes : [...p.attributes, ...extra];
          const key = `${rkey}\u0001${attrsKey(attrs)}\u0001${cumulative ? 'c' : 'd'}`;
          let st = fam.streams.get(key);
          if (st === undefined) {
            st = { attrs, resource, cumulative, t: [], start: [], v: [], s: [] };
            fam.streams.set(key, st);
          }
          const t = nsToS(p.timeUnixNano);
          let v: number;
          let s = Number.NaN;
          if ('value' in p) {
            v = num(p.value) * (kind === 'gauge' || kind === 'counter' ? factor : 1);
          } else {
            v = Number(p.count);
            s = (p.sum ?? Number.NaN) * factor;
          }
          if (!Number.isFinite(v) || !Number.isFinite(t)) {
            drop(Number.isFinite(v) ? 'bad timestamp' : 'no value');
            continue;
          }
          if (kind === 'histogram' && !Number.isFinite(s)) {
            drop('histogram without sum');
            continue;
          }
          st.t.push(t);
          st.start.push(nsToS(p.startTimeUnixNano));
          st.v.push(v);
          if (kind === 'histogram') st.s.push(s);
          fam.points++;
          if (t < tMin) tMin = t;
          if (t > tMax) tMax = t;
        }
      }
    }
  }
  // A stray timestamp (0, a clock far off, seconds written as nanoseconds) would stretch the common step grid over
  // decades and exhaust memory: points more than MAX_SPREAD_S from the median time are dropped and counted.
  if (tMax - tMin > MAX_SPREAD_S) {
    let total = 0;
    for (const fam of families.values()) for (const st of fam.streams.values()) total += st.t.length;
    const all = new Float64Array(total);
    let i = 0;
    for (const fam of families.values()) for (const st of fam.streams.values()) for (const t of st.t) all[i++] = t;
    all.sort();
    const mid = all[Math.floor(total / 2)] as number;
    tMin = Number.POSITIVE_INFINITY;
    tMax = Number.NEGATIVE_INFINITY;
    for (const fam of families.values()) {
      for (const st of fam.streams.values()) {
        const keep: number[] = [];
        for (let j = 0; j < st.t.length; j++) {
          const t = st.t[j] as number;
          if (Math.abs(t - mid) <= MAX_SPREAD_S) {
            keep.push(j);
            if (t < tMin) tMin = t;
            if (t > tMax) tMax = t;
          }
        }
        if (keep.length === st.t.length) continue;
        const gone = st.t.length - keep.length;
        drop('timestamp far from the other points', gone);
        fam.points -= gone;
        const pick = (xs: number[]): void => {
          if (xs.length === 0) return;
          const kept = keep.map((j) => xs[j] as number);
          xs.length = 0;
          for (const x of kept) xs.push(x);
        };
        pick(st.t);
        pick(st.start);
        pick(st.v);
        pick(st.s);
      }
    }
  }
  // Sort each stream by time (exports may interleave) and measure the point spacing.
  for (const fam of families.values()) {
    for (const st of fam.streams.values()) {
      sortStream(st);
      for (let i = 1; i < st.t.length && gaps.length < 20_000; i++) {
        const g = (st.t[i] as number) - (st.t[i - 1] as number);
        if (g > 0) gaps.push(g);
      }
    }
  }
  gaps.sort((a, b) => a - b);
  const interval = gaps.length === 0 ? Number.NaN : (gaps[Math.floor(gaps.length / 2)] as number);
  return { families, dropped, tMin, tMax, interval };
}

function sortStream(st: Stream): void {
  const n = st.t.length;
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if ((st.t[i] as number) < (st.t[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (st.t[a] as number) - (st.t[b] as number));
  const re = (xs: number[]): void => {
    if (xs.length !== n) return;
    const copy = idx.map((i) => xs[i] as number);
    for (let i = 0; i < n; i++) xs[i] = copy[i] as number;
  };
  re(st.t);
  re(st.start);
  re(st.v);
  re(st.s);
}

export { renameKeys };

/** A side's step grid: step `i` covers [t0 + i·step, t0 + (i+1)·step). */
export interface Grid {
  readonly t0: number;
  readonly step: number;
  readonly n: number;
}

export function makeGrid(tMin: number, tMax: number, step: number, interval: number): Grid {
  // Boundaries half an export interval before the first point, so points exported on a timer land mid-step.
  const half = Number.isFinite(interval) && interval > 0 ? Math.min(interval, step) / 2 : step / 2;
  const t0 = tMin - half;
  const n = Math.max(1, Math.floor((tMax - t0) / step) + 1);
  return { t0, step, n };
}

function stepOf(g: Grid, t: number): number {
  const i = Math.floor((t - g.t0) / g.step);
  return i < 0 ? 0 : i >= g.n ? g.n - 1 : i;
}

/**
 * Adds one stream's per-step contribution into accumulators of a series:
 * counters: increments (delta points as they are; cumulative points as differences, a decrease is a reset and the
 * new value is the increment; the first cumulative point counts in full when it carries a start time before its time);
 * gauges: sum and count of the values per step; histograms: count and sum increments.
 */
export function accumulate(
  st: Stream,
  kind: FamilyKind,
  g: Grid,
  acc: { readonly a: Float64Array; readonly b: Float64Array },
): void {
  const n = st.t.length;
  if (kind === 'gauge') {
    for (let i = 0; i < n; i++) {
      const k = stepOf(g, st.t[i] as number);
      acc.a[k] = (acc.a[k] as number) + (st.v[i] as number);
      acc.b[k] = (acc.b[k] as number) + 1;
    }
    return;
  }
  const hist = kind === 'histogram';
  if (!st.cumulative) {
    for (let i = 0; i < n; i++) {
      const k = stepOf(g, st.t[i] as number);
      acc.a[k] = (acc.a[k] as number) + (st.v[i] as number);
      if (hist) acc.b[k] = (acc.b[k] as number) + (st.s[i] as number);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const k = stepOf(g, st.t[i] as number);
    const v = st.v[i] as number;
    const s = hist ? (st.s[i] as number) : 0;
    let dv: number;
    let ds: number;
    if (i === 0) {
      // Counted only over a known interval: no start time, or start = time (what a Prometheus scrape without a
      // created timestamp gives: the value is the lifetime total of the process) is a level, not an increase.
      const s0 = st.start[0] as number;
      if (!(s0 > 0 && s0 < (st.t[0] as number))) continue;
      dv = v;
      ds = s;
    } else {
      const pv = st.v[i - 1] as number;
      const reset = v < pv || (st.start[i] as number) !== (st.start[i - 1] as number);
      dv = reset ? v : v - pv;
      ds = reset ? s : s - (st.s[i - 1] as number);
    }
    acc.a[k] = (acc.a[k] as number) + dv;
    if (hist) acc.b[k] = (acc.b[k] as number) + ds;
  }
}

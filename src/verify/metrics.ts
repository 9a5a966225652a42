// Metric comparison: presence, attribute parity, per-series value equivalence with FDR control, score.
import { attrValueText } from '../metrics/attrs.js';
import type { KeyValue } from '../pdata/model.js';
import {
  ALLOW_PACKS,
  type AttrFinding,
  AttrProfiler,
  attrSeverity,
  compareAttributes,
  globToRegExp,
  matchesAny,
} from './attributes.js';
import { VerifyInputError } from './input.js';
import { canonKey, type RenameRules, unitSuspicion } from './normalize.js';
import { accumulate, type Extracted, type Family, type FamilyKind, type Grid, makeGrid } from './series.js';
import {
  benjaminiHochberg,
  type EquivalenceResult,
  pairedRatioEquivalence,
  rateRatioEquivalence,
  ratioEquivalence,
  sigmaRule,
} from './stats.js';

export type SeriesVerdict = 'EQUIVALENT' | 'DIFFERENT' | 'INCONCLUSIVE';
export type MetricStatus = 'EQUIVALENT' | 'DIFFERENT' | 'INCONCLUSIVE' | 'MISSING' | 'NEW' | 'NODATA';
export type Rule = 'equivalence' | 'sigma';

/** Five-number summary (plus mean) of a series' per-step values, for reports. */
export interface Dist {
  readonly n: number;
  readonly min: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  readonly max: number;
  readonly mean: number;
}

export interface SeriesResult {
  /** `total` for the whole metric, else `key=value,...` over the keys both sides share. */
  readonly id: string;
  /** What was compared: `rate` (/s), `level` (gauge), `mean` (histogram sum/count), `count rate` (histogram count /s). */
  readonly statistic: 'rate' | 'level' | 'mean' | 'count rate';
  readonly test: 'ratio' | 'paired' | 'rate' | 'sigma';
  verdict: SeriesVerdict;
  direction?: 'HIGH' | 'LOW';
  /** candidate / baseline (NaN when undefined); the CI at (1−2α). */
  readonly ratio: number;
  readonly ci: readonly [number, number];
  readonly pDifferent?: number;
  note?: string;
  readonly baseline: Dist;
  readonly candidate: Dist;
}

export interface MetricResult {
  /** Display name: the candidate's name if present, else the baseline's. */
  readonly name: string;
  readonly canon: string;
  readonly names: { readonly baseline: readonly string[]; readonly candidate: readonly string[] };
  readonly kind: FamilyKind;
  readonly unit: { readonly baseline: string; readonly candidate: string; readonly compared: string };
  status: MetricStatus;
  readonly critical: boolean;
  readonly tolerance: number;
  readonly seriesCount: { readonly baseline: number; readonly candidate: number; readonly compared: number };
  readonly points: { readonly baseline: number; readonly candidate: number };
  readonly series: SeriesResult[];
  readonly attributes: AttrFinding[];
  /** Worst attribute finding severity. */
  readonly attributeSeverity: 'fail' | 'warn' | 'ok';
  readonly hints: string[];
  /** Per-step values of the total series (downsampled), for charts. */
  readonly chart?: { readonly statistic: string; readonly baseline: number[]; readonly candidate: number[] };
}

export interface MetricsOptions {
  readonly rules: RenameRules;
  readonly tolerance: number;
  readonly toleranceFor: readonly { readonly glob: string; readonly tolerance: number }[];
  readonly critical: readonly string[];
  /** Attribute keys (globs) allowed to appear/disappear, pack names already expanded. */
  readonly allow: readonly string[];
  readonly rule: Rule;
  /** Step in seconds; undefined = automatic (the larger export interval of the two sides). */
  readonly step?: number;
  readonly alpha: number;
  readonly q: number;
  readonly minPoints: number;
  /** The split attribute (never a difference). */
  readonly splitKey?: string;
  /** Share of zero steps above which a counter gets the rate test. */
  readonly zeroHeavy: number;
  /** Label series tested per metric (the busiest first); the rest are only counted. */
  readonly maxSeriesPerMetric: number;
  /** false: never pair steps (default: pair when both windows have the same length and time of day). */
  readonly paired?: boolean;
}

export interface MetricsComparison {
  readonly verdict: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
  readonly score: number;
  readonly rule: Rule;
  /** Whether steps were paired (same window length and time of day) or compared as two samples. */
  readonly design: 'paired' | 'unpaired';
  readonly step: { readonly baseline: number; readonly candidate: number };
  readonly window: { readonly baseline: readonly [number, number]; readonly candidate: readonly [number, number] };
  readonly counts: {
    readonly metrics: { readonly baseline: number; readonly candidate: number };
    readonly points: { readonly baseline: number; readonly candidate: number };
    readonly byStatus: Record<MetricStatus, number>;
    readonly series: { readonly tested: number; readonly different: number; readonly inconclusive: number };
  };
  readonly reasons: string[];
  readonly metrics: MetricResult[];
  readonly dropped: { readonly baseline: Record<string, number>; readonly candidate: Record<string, number> };
}

export const DEFAULT_METRICS_OPTIONS: Omit<MetricsOptions, 'rules'> = {
  tolerance: 0.1,
  toleranceFor: [],
  critical: [],
  allow: [...(ALLOW_PACKS.statsd ?? []), ...(ALLOW_PACKS.prometheus ?? [])],
  rule: 'equivalence',
  alpha: 0.05,
  q: 0.05,
  minPoints: 20,
  zeroHeavy: 0.3,
  maxSeriesPerMetric: 50,
};

function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

export function dist(xs: readonly number[]): Dist {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  let sum = 0;
  for (const x of s) sum += x;
  return {
    n: s.length,
    min: s[0] ?? Number.NaN,
    q1: quantile(s, 0.25),
    median: quantile(s, 0.5),
    q3: quantile(s, 0.75),
    max: s[s.length - 1] ?? Number.NaN,
    mean: s.length === 0 ? Number.NaN : sum / s.length,
  };
}

function downsample(xs: readonly number[], max = 120): number[] {
  if (xs.length <= max) return [...xs];
  const out: number[] = [];
  const per = xs.length / max;
  for (let i = 0; i < max; i++) {
    const a = Math.floor(i * per);
    const b = Math.max(a + 1, Math.floor((i + 1) * per));
    let s = 0;
    let n = 0;
    for (let j = a; j < b; j++) {
      const v = xs[j] as number;
      if (Number.isFinite(v)) {
        s += v;
        n++;
      }
    }
    out.push(n === 0 ? Number.NaN : s / n);
  }
  return out;
}

interface SideSeries {
  readonly labels: string;
  readonly a: Float64Array;
  readonly b: Float64Array;
  weight: number;
}

interface SideCtx {
  readonly grid: Grid;
  /** First and last usable step (edges are partial: the workload started and stopped inside them). */
  readonly from: number;
  readonly to: number;
}

/** More steps than this per side would need gigabytes of per-series accumulators: a usage error, not a crash. */
const MAX_STEPS = 1_000_000;

function sideCtx(x: Extracted, step: number): SideCtx {
  const grid = makeGrid(x.tMin, x.tMax, step, x.interval);
  if (grid.n > MAX_STEPS) {
    throw new VerifyInputError(
      `a step of ${step} s over a ${Math.round(x.tMax - x.tMin)} s window gives ${grid.n} steps (at most ${MAX_STEPS}): use a larger --step`,
    );
  }
  const trim = grid.n >= 5 ? 1 : 0;
  return { grid, from: trim, to: grid.n - 1 - trim };
}

function flatKeys(f: Family, renames: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const st of f.streams.values()) {
    for (const kv of st.attrs) out.add(canonKey(renames.get(kv.key) ?? kv.key));
    for (const kv of st.resource) out.add(canonKey(renames.get(kv.key) ?? kv.key));
  }
  return out;
}

function seriesOf(
  f: Family,
  ctx: SideCtx,
  shared: readonly string[],
  renames: ReadonlyMap<string, string>,
): { bySeries: Map<string, SideSeries>; total: SideSeries } {
  const n = ctx.grid.n;
  const bySeries = new Map<string, SideSeries>();
  const total: SideSeries = { labels: 'total', a: new Float64Array(n), b: new Float64Array(n), weight: 0 };
  const sharedSet = new Set(shared);
  for (const st of f.streams.values()) {
    const vals = new Map<string, string>();
    const put = (kvs: readonly KeyValue[]): void => {
      for (const kv of kvs) {
        const k = canonKey(renames.get(kv.key) ?? kv.key);
        if (sharedSet.has(k)) vals.set(k, attrValueText(kv.value));
      }
    };
    put(st.resource);
    put(st.attrs);
    const labels = shared.map((k) => `${k}=${vals.get(k) ?? ''}`).join(',');
    let s = bySeries.get(labels);
    if (s === undefined) {
      s = { labels, a: new Float64Array(n), b: new Float64Array(n), weight: 0 };
      bySeries.set(labels, s);
    }
    accumulate(st, f.kind === 'histogram' ? 'histogram' : f.kind, ctx.grid, s);
    accumulate(st, f.kind === 'histogram' ? 'histogram' : f.kind, ctx.grid, total);
    s.weight += st.t.length;
    total.weight += st.t.length;
  }
  return { bySeries, total };
}

/** Per-step values of one statistic over the usable steps. */
function values(s: SideSeries, kind: FamilyKind, stat: SeriesResult['statistic'], ctx: SideCtx): number[] {
  const out: number[] = [];
  const step = ctx.grid.step;
  for (let k = ctx.from; k <= ctx.to; k++) {
    const a = s.a[k] as number;
    const b = s.b[k] as number;
    switch (stat) {
      case 'rate':
      case 'count rate':
        out.push(a / step);
        break;
      case 'level':
        out.push(b > 0 ? a / b : Number.NaN);
        break;
      case 'mean':
        out.push(a > 0 ? b / a : Number.NaN);
        break;
      default: {
        const never: never = stat;
        return never;
      }
    }
  }
  void kind;
  return out;
}

function statsFor(kind: FamilyKind): SeriesResult['statistic'][] {
  switch (kind) {
    case 'counter':
      return ['rate'];
    case 'gauge':
      return ['level'];
    case 'histogram':
      return ['count rate', 'mean'];
    default: {
      const never: never = kind;
      return never;
    }
  }
}

function testSeries(
  id: string,
  stat: SeriesResult['statistic'],
  bVals: number[],
  cVals: number[],
  bCtx: SideCtx,
  cCtx: SideCtx,
  tolerance: number,
  opts: MetricsOptions,
  paired: boolean,
): SeriesResult {
  const baseline = dist(bVals);
  const candidate = dist(cVals);
  if (!paired) {
    bVals = bVals.filter(Number.isFinite);
    cVals = cVals.filter(Number.isFinite);
  }
  if (opts.rule === 'sigma') {
    bVals = bVals.filter(Number.isFinite);
    cVals = cVals.filter(Number.isFinite);
    const r = sigmaRule(bVals, cVals, { scale: 'mean' });
    const ratio = baseline.mean === 0 ? Number.NaN : candidate.mean / baseline.mean;
    return {
      id,
      statistic: stat,
      test: 'sigma',
      verdict: bVals.length < 2 || cVals.length < 2 ? 'INCONCLUSIVE' : r.flagged ? 'DIFFERENT' : 'EQUIVALENT',
      ...(r.flagged ? { direction: r.z > 0 ? ('HIGH' as const) : ('LOW' as const) } : {}),
      ratio,
      ci: [ratio, ratio],
      note: `z = ${Number.isFinite(r.z) ? r.z.toFixed(2) : String(r.z)} (one-sigma rule)`,
      baseline,
      candidate,
    };
  }
  let res: EquivalenceResult;
  let test: SeriesResult['test'] = 'ratio';
  const isCount = stat === 'rate' || stat === 'count rate';
  const zeroShare = (xs: readonly number[]): number =>
    xs.length === 0 ? 0 : xs.filter((x) => x === 0).length / xs.filter(Number.isFinite).length;
  if (isCount && (zeroShare(bVals) > opts.zeroHeavy || zeroShare(cVals) > opts.zeroHeavy)) {
    test = 'rate';
    const counts = (xs: readonly number[], step: number): number[] => xs.map((x) => x * step);
    res = rateRatioEquivalence(
      counts(bVals.filter(Number.isFinite), bCtx.grid.step),
      counts(cVals.filter(Number.isFinite), cCtx.grid.step),
      {
        tolerance,
        alpha: opts.alpha,
        stepBaseline: bCtx.grid.step,
        stepCandidate: cCtx.grid.step,
        minPoints: opts.minPoints,
      },
    );
  } else if (bVals.some((x) => x < 0) || cVals.some((x) => x < 0)) {
    return {
      id,
      statistic: stat,
      test,
      verdict: 'INCONCLUSIVE',
      ratio: baseline.mean === 0 ? Number.NaN : candidate.mean / baseline.mean,
      ci: [0, Number.POSITIVE_INFINITY],
      note: 'negative values: a ratio is not meaningful',
      baseline,
      candidate,
    };
  } else if (paired) {
    test = 'paired';
    res = pairedRatioEquivalence(bVals, cVals, { tolerance, alpha: opts.alpha, minPoints: opts.minPoints });
  } else {
    res = ratioEquivalence(bVals, cVals, { tolerance, alpha: opts.alpha, minPoints: opts.minPoints });
  }
  return {
    id,
    statistic: stat,
    test,
    verdict: res.verdict,
    ...(res.direction !== undefined ? { direction: res.direction } : {}),
    ratio: res.ratio,
    ci: res.ci,
    ...(res.pDifferent !== undefined ? { pDifferent: res.pDifferent } : {}),
    ...(res.note !== undefined ? { note: res.note } : {}),
    baseline,
    candidate,
  };
}

function renamesCanon(rules: RenameRules): Map<string, string> {
  const m = new Map<string, string>();
  for (const [a, b] of rules.attributes) m.set(canonKey(a), canonKey(b));
  return m;
}

function allowGlobs(allow: readonly string[]): string[] {
  const out = new Set<string>();
  for (const g of allow) {
    out.add(g);
    out.add(
      g
        .toLowerCase()
        .replace(/[^a-z0-9:*?]+/g, '_')
        .replace(/^_+|_+$/g, ''),
    );
  }
  return [...out];
}

function profile(
  f: Family,
  display: Map<string, string>,
  split: string | undefined,
): ReturnType<AttrProfiler['profiles']> {
  const p = new AttrProfiler();
  const canonize = (kvs: readonly KeyValue[]): KeyValue[] => {
    const out: KeyValue[] = [];
    for (const kv of kvs) {
      const k = canonKey(kv.key);
      if (split !== undefined && k === split) continue;
      if (!display.has(k)) display.set(k, kv.key);
      out.push({ key: k, value: kv.value });
    }
    return out;
  };
  for (const st of f.streams.values()) p.addMany(st.t.length, canonize(st.attrs), canonize(st.resource));
  return p.profiles();
}

function attributeParity(
  b: Family,
  c: Family,
  name: string,
  renames: ReadonlyMap<string, string>,
  allow: readonly string[],
  split: string | undefined,
): AttrFinding[] {
  const dispB = new Map<string, string>();
  const dispC = new Map<string, string>();
  const pb = profile(b, dispB, split);
  const pc = profile(c, dispC, split);
  // Resource keys take part only where the other side has the key too (as resource or point attribute, renamed or
  // not): SDK and receiver resources differ by design (telemetry.sdk.*, process.*), a point key moving there counts.
  const keysOf = (ps: typeof pb): Set<string> => new Set(ps.map((p) => p.key));
  const kb = keysOf(pb);
  const kc = keysOf(pc);
  const reverse = new Map<string, string>();
  for (const [a, z] of renames) reverse.set(z, a);
  const relevant = (key: string, other: Set<string>): boolean =>
    other.has(key) || other.has(renames.get(key) ?? '\u0000') || other.has(reverse.get(key) ?? '\u0000');
  const fb = pb.filter((p) => p.where === 'attribute' || relevant(p.key, kc));
  const fc = pc.filter((p) => p.where === 'attribute' || relevant(p.key, kb));
  const findings = compareAttributes(fb, fc, {
    subject: { kind: 'metric', name },
    renames,
    allow,
  });
  const show = (k: string): string => dispB.get(k) ?? dispC.get(k) ?? k;
  return findings.map((f) => {
    const key = show(f.key);
    const ck = f.candidateKey === undefined ? undefined : (dispC.get(f.candidateKey) ?? f.candidateKey);
    const fix = f.fix?.split(f.key).join(key);
    const detail = f.detail.split(f.key).join(key);
    return {
      key,
      status: f.status,
      ...(ck !== undefined ? { candidateKey: ck } : {}),
      detail: ck !== undefined && f.candidateKey !== undefined ? detail.split(f.candidateKey).join(ck) : detail,
      ...(fix !== undefined ? { fix } : {}),
    };
  });
}

function matchName(globs: readonly RegExp[], f: { canon: string; names: readonly string[] }): boolean {
  if (matchesAny(f.canon, globs)) return true;
  for (const n of f.names) if (matchesAny(n, globs)) return true;
  return false;
}

/** Compares the metric families of two sides. */
export function compareMetrics(base: Extracted, cand: Extracted, opts: MetricsOptions): MetricsComparison {
  const interval = Math.max(
    Number.isFinite(base.interval) ? base.interval : 0,
    Number.isFinite(cand.interval) ? cand.interval : 0,
  );
  const step = opts.step ?? (interval > 0 ? interval : 60);
  const bCtx = sideCtx(base, step);
  const cCtx = sideCtx(cand, step);
  const renames = renamesCanon(opts.rules);
  const allow = allowGlobs(opts.allow);
  const allowRe = allow.map(globToRegExp);
  const criticalRe = opts.critical.map(globToRegExp);
  const tolRe = opts.toleranceFor.map((t) => ({ re: globToRegExp(t.glob), tol: t.tolerance }));
  const split = opts.splitKey === undefined ? undefined : canonKey(opts.splitKey);
  // Paired design (M2): same step count and the windows start at the same time of day (concurrent windows included).
  const lenB = bCtx.to - bCtx.from + 1;
  const lenC = cCtx.to - cCtx.from + 1;
  const phase = Math.abs(((((cCtx.grid.t0 - bCtx.grid.t0) % 86_400) + 86_400 + 43_200) % 86_400) - 43_200);
  const paired = opts.paired !== false && Math.abs(lenB - lenC) <= 1 && phase < step;

  const names = new Set<string>([...base.families.keys(), ...cand.families.keys()]);
  const results: MetricResult[] = [];
  for (const canon of [...names].sort()) {
    const b = base.families.get(canon);
    const c = cand.families.get(canon);
    const any = (c ?? b) as Family;
    const name = c?.names[0] ?? b?.names[0] ?? canon;
    const critical = matchName(criticalRe, { canon, names: [...(b?.names ?? []), ...(c?.names ?? [])] });
    const tolerance = tolRe.find((t) => t.re.test(canon) || any.names.some((n) => t.re.test(n)))?.tol ?? opts.tolerance;
    const common = {
      name,
      canon,
      names: { baseline: b?.names ?? [], candidate: c?.names ?? [] },
      critical,
      tolerance,
      points: { baseline: b?.points ?? 0, candidate: c?.points ?? 0 },
    };
    if (b === undefined || c === undefined) {
      const f = (b ?? c) as Family;
      results.push({
        ...common,
        kind: f.kind,
        unit: { baseline: b?.unit ?? '', candidate: c?.unit ?? '', compared: f.baseUnit },
        status: b === undefined ? 'NEW' : 'MISSING',
        seriesCount: { baseline: b?.streams.size ?? 0, candidate: c?.streams.size ?? 0, compared: 0 },
        series: [],
        attributes: [],
        attributeSeverity: 'ok',
        hints:
          b === undefined
            ? ['only in the candidate']
            : [
                `not in the candidate under any known name; if it was renamed, map it with --schema or --rename-metric ${b.names[0] ?? canon}=NEW`,
              ],
      });
      continue;
    }
    const hints: string[] = [];
    const kind: FamilyKind =
      b.kind === c.kind ? b.kind : b.kind === 'histogram' || c.kind === 'histogram' ? 'histogram' : 'counter';
    if (b.kind !== c.kind) hints.push(`compared as ${kind}: the baseline is a ${b.kind}, the candidate a ${c.kind}`);
    if (b.baseUnit !== c.baseUnit) {
      hints.push(
        `units differ and cannot be converted: baseline "${b.unit}", candidate "${c.unit}"; set the right one with --unit ${c.names[0] ?? canon}=UNIT`,
      );
    }
    const attributes = attributeParity(b, c, name, renames, allow, split);
    const sev = attributes.reduce<'fail' | 'warn' | 'ok'>((w, f) => {
      const s = attrSeverity(f.status);
      return s === 'fail' || w === 'fail' ? 'fail' : s === 'warn' || w === 'warn' ? 'warn' : 'ok';
    }, 'ok');

    const kb = flatKeys(b, renames);
    const kc = flatKeys(c, renames);
    const shared = [...kb].filter((k) => kc.has(k) && k !== split && !matchesAny(k, allowRe)).sort();
    const fb = { ...b, kind };
    const fc = { ...c, kind };
    const sb = seriesOf(fb, bCtx, shared, renames);
    const sc = seriesOf(fc, cCtx, shared, renames);
    const series: SeriesResult[] = [];
    let chart: MetricResult['chart'];
    for (const stat of statsFor(kind)) {
      const bv = values(sb.total, kind, stat, bCtx);
      const cv = values(sc.total, kind, stat, cCtx);
      series.push(testSeries('total', stat, bv, cv, bCtx, cCtx, tolerance, opts, paired));
      if (chart === undefined || stat === 'mean') {
        chart = { statistic: stat, baseline: downsample(bv), candidate: downsample(cv) };
      }
    }
    const labelled = shared.length === 0 ? [] : [...sb.bySeries.values()].filter((s) => sc.bySeries.has(s.labels));
    labelled.sort((x, y) => y.weight - x.weight);
    if (labelled.length > 1) {
      for (const s of labelled.slice(0, opts.maxSeriesPerMetric)) {
        const other = sc.bySeries.get(s.labels) as SideSeries;
        for (const stat of statsFor(kind)) {
          series.push(
            testSeries(
              s.labels,
              stat,
              values(s, kind, stat, bCtx),
              values(other, kind, stat, cCtx),
              bCtx,
              cCtx,
              tolerance,
              opts,
              paired,
            ),
          );
        }
      }
    }
    const onlyB = [...sb.bySeries.keys()].filter((k) => !sc.bySeries.has(k)).length;
    const onlyC = [...sc.bySeries.keys()].filter((k) => !sb.bySeries.has(k)).length;
    if (onlyB > 0 || onlyC > 0) {
      hints.push(
        `${onlyB} series only in the baseline, ${onlyC} only in the candidate (over the shared keys ${shared.length === 0 ? '(none)' : shared.length > 6 ? `${shared.slice(0, 6).join(', ')} and ${shared.length - 6} more` : shared.join(', ')})`,
      );
    }
    const ratioS = c.streams.size / Math.max(1, b.streams.size);
    if (ratioS > 2 || ratioS < 0.5) hints.push(`series count changed from ${b.streams.size} to ${c.streams.size}`);
    for (const s of series) {
      if (s.id !== 'total') continue;
      const why = unitSuspicion(s.ratio);
      // Event counts ×1000 are not a unit mix-up, but a counter of seconds or bytes can be (rate of cpu time, io).
      const countsEvents = s.statistic === 'count rate' || (s.statistic === 'rate' && c.baseUnit === '');
      if (why !== undefined && !countsEvents) hints.push(`${s.statistic} ratio ${fmtRatio(s.ratio)}: ${why}`);
    }
    results.push({
      ...common,
      kind,
      unit: { baseline: b.unit, candidate: c.unit, compared: c.baseUnit },
      status: 'INCONCLUSIVE',
      seriesCount: { baseline: b.streams.size, candidate: c.streams.size, compared: labelled.length },
      series,
      attributes,
      attributeSeverity: sev,
      hints,
      ...(chart !== undefined ? { chart } : {}),
    });
  }

  // FDR control over every DIFFERENT call (M8); sigma mode reproduces the script, which has none.
  const all = results.flatMap((r) => r.series);
  if (opts.rule === 'equivalence') {
    const rejected = benjaminiHochberg(
      all.map((s) => (s.verdict === 'DIFFERENT' ? (s.pDifferent ?? 1) : 1)),
      opts.q,
    );
    all.forEach((s, i) => {
      if (s.verdict === 'DIFFERENT' && !rejected[i]) {
        s.verdict = 'INCONCLUSIVE';
        s.direction = undefined;
        s.note = `${s.note === undefined ? '' : `${s.note}; `}DIFFERENT not significant after Benjamini-Hochberg at q=${opts.q}`;
      }
    });
  }
  for (const r of results) {
    if (r.status === 'NEW' || r.status === 'MISSING') continue;
    const totals = r.series.filter((s) => s.id === 'total');
    if (r.points.baseline === 0 && r.points.candidate === 0) r.status = 'NODATA';
    else if (r.series.some((s) => s.verdict === 'DIFFERENT')) r.status = 'DIFFERENT';
    else if (totals.length > 0 && totals.every((s) => s.verdict === 'EQUIVALENT')) r.status = 'EQUIVALENT';
    else r.status = 'INCONCLUSIVE';
  }

  const byStatus: Record<MetricStatus, number> = {
    EQUIVALENT: 0,
    DIFFERENT: 0,
    INCONCLUSIVE: 0,
    MISSING: 0,
    NEW: 0,
    NODATA: 0,
  };
  for (const r of results) byStatus[r.status]++;
  const reasons: string[] = [];
  let failed = 0;
  let criticalFail = false;
  let passed = 0;
  for (const r of results) {
    const bad = r.status === 'DIFFERENT' || r.status === 'MISSING' || r.attributeSeverity === 'fail';
    if (bad) {
      failed++;
      const what =
        r.status === 'MISSING'
          ? 'is missing in the candidate'
          : r.status === 'DIFFERENT'
            ? `values differ (${describeDiff(r)})`
            : `attributes: ${r.attributes
                .filter((f) => attrSeverity(f.status) === 'fail')
                .map((f) => `${f.key} ${f.status}`)
                .join(', ')}`;
      reasons.push(`${r.critical ? 'critical ' : ''}metric ${r.name} ${what}`);
      if (r.status !== 'DIFFERENT' && r.status !== 'MISSING' && r.status !== 'NEW') {
        // attribute failure on a metric whose values may still be equivalent: counted once as a failure above
      }
    } else if (r.status === 'EQUIVALENT') passed++;
    if (r.critical && (bad || r.status === 'NODATA')) {
      criticalFail = true;
      if (!bad) reasons.push(`critical metric ${r.name} has no data`);
    }
  }
  const judged = passed + failed;
  const score = criticalFail ? 0 : judged === 0 ? 0 : Math.round((10000 * passed) / judged) / 100;
  const compared = results.filter((r) => r.status !== 'NEW');
  const inconclusive = compared.filter((r) => r.status === 'INCONCLUSIVE' || r.status === 'NODATA');
  const criticalInconclusive = compared.filter((r) => r.critical && r.status === 'INCONCLUSIVE');
  let verdict: MetricsComparison['verdict'];
  if (failed > 0 || criticalFail) verdict = 'FAIL';
  else if (compared.length === 0) {
    verdict = 'INCONCLUSIVE';
    reasons.push('no metrics to compare');
  } else if (criticalInconclusive.length > 0 || inconclusive.length > 0.2 * compared.length) {
    verdict = 'INCONCLUSIVE';
    reasons.push(
      criticalInconclusive.length > 0
        ? `critical metric(s) inconclusive: ${criticalInconclusive.map((r) => r.name).join(', ')}`
        : `${inconclusive.length} of ${compared.length} metrics inconclusive (more than 20%): collect a longer window`,
    );
  } else verdict = 'PASS';
  return {
    verdict,
    score,
    rule: opts.rule,
    design: paired ? 'paired' : 'unpaired',
    step: { baseline: bCtx.grid.step, candidate: cCtx.grid.step },
    window: { baseline: [base.tMin, base.tMax], candidate: [cand.tMin, cand.tMax] },
    counts: {
      metrics: { baseline: base.families.size, candidate: cand.families.size },
      points: { baseline: sumPoints(base), candidate: sumPoints(cand) },
      byStatus,
      series: {
        tested: all.length,
        different: all.filter((s) => s.verdict === 'DIFFERENT').length,
        inconclusive: all.filter((s) => s.verdict === 'INCONCLUSIVE').length,
      },
    },
    reasons,
    metrics: results,
    dropped: { baseline: base.dropped, candidate: cand.dropped },
  };
}

function sumPoints(x: Extracted): number {
  let n = 0;
  for (const f of x.families.values()) n += f.points;
  return n;
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return String(r);
  if (r >= 100 || r < 0.01) return r.toExponential(2);
  return r.toFixed(3);
}

function describeDiff(r: MetricResult): string {
  const d = r.series.find((s) => s.verdict === 'DIFFERENT');
  if (d === undefined) return '';
  const hint = r.hints.find((h) => h.includes('looks like'));
  return `${d.statistic}${d.id === 'total' ? '' : ` of ${d.id}`} ratio ${fmtRatio(d.ratio)}, CI [${fmtRatio(d.ci[0])}, ${fmtRatio(d.ci[1])}] outside ±${Math.round(r.tolerance * 100)}%${hint !== undefined ? `; ${hint}` : ''}`;
}

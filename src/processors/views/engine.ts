// The point-level view engine: re-aggregates selected metric streams per output series and emits them once per
// interval. See README.md for the semantics; in short:
// - cumulative inputs become per-input-series deltas (reset on value/count decrease or start time change), the
//   deltas are added per output series, and outputs are rebuilt as cumulatives with their own start time (or
//   emitted as deltas);
// - delta inputs are added per output series per interval; gauges keep the last value by timestamp;
// - at most `limit` series per output metric, the overflow series {otel.metric.overflow=true} included.
import { attrsKey, canonicalAttrs } from '../../metrics/attrs.js';
import { ExpoHistogram } from '../../metrics/expohisto.js';
import { explicitIntoExpo, expoIntoExplicit, rebucketInto, sameBounds } from '../../metrics/histconvert.js';
import { seriesKey, storedSeriesKey } from '../../metrics/serieskey.js';
import {
  AggregationTemporality,
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type ExponentialHistogramDataPoint,
  type ExportMetricsServiceRequest,
  type HistogramDataPoint,
  type InstrumentationScope,
  type KeyValue,
  type Metric,
  type MetricData,
  type NumberDataPoint,
  type Resource,
  type ResourceMetrics,
  type ScopeMetrics,
  type SummaryDataPoint,
} from '../../pdata/model.js';
import { DEFAULT_BOUNDARIES, type DualEmitStat, type ViewConfig } from './config.js';
import { type CompiledSelector, compileSelector } from './select.js';

// ------------------------------------------------------------------------------------------------ compiled views

export type KeyFilter =
  | { readonly mode: 'all' }
  | { readonly mode: 'include'; readonly keys: ReadonlySet<string> }
  | { readonly mode: 'exclude'; readonly keys: ReadonlySet<string> };

export type Aggregation =
  | { readonly type: 'drop' }
  | { readonly type: 'default' }
  | { readonly type: 'sum' }
  | { readonly type: 'last_value' }
  | { readonly type: 'explicit'; readonly bounds: readonly number[] | undefined; readonly recordMinMax: boolean }
  | { readonly type: 'expo'; readonly maxSize: number; readonly maxScale: number; readonly recordMinMax: boolean };

export interface CompiledView {
  readonly index: number;
  readonly selector: CompiledSelector;
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly keys: KeyFilter;
  readonly aggregation: Aggregation;
  readonly temporality: 'delta' | 'cumulative' | undefined;
  readonly limit: number;
  readonly dual: { readonly name: string; readonly stats: readonly DualEmitStat[] } | undefined;
}

export function compileView(v: ViewConfig, index: number, defaultLimit: number): CompiledView {
  const s = v.stream ?? {};
  const k = s.attribute_keys;
  const keys: KeyFilter =
    k?.included !== undefined
      ? { mode: 'include', keys: new Set(k.included) }
      : k?.excluded !== undefined
        ? { mode: 'exclude', keys: new Set(k.excluded) }
        : { mode: 'all' };
  const a = s.aggregation;
  let aggregation: Aggregation = { type: 'default' };
  if (a !== undefined) {
    if ('drop' in a) aggregation = { type: 'drop' };
    else if ('sum' in a) aggregation = { type: 'sum' };
    else if ('last_value' in a) aggregation = { type: 'last_value' };
    else if ('explicit_bucket_histogram' in a) {
      aggregation = {
        type: 'explicit',
        bounds: a.explicit_bucket_histogram.boundaries,
        recordMinMax: a.explicit_bucket_histogram.record_min_max ?? true,
      };
    } else if ('base2_exponential_bucket_histogram' in a) {
      const e = a.base2_exponential_bucket_histogram;
      aggregation = {
        type: 'expo',
        maxSize: e.max_size ?? 160,
        maxScale: e.max_scale ?? 20,
        recordMinMax: e.record_min_max ?? true,
      };
    }
  }
  return {
    index,
    selector: compileSelector(v.selector),
    name: s.name,
    description: s.description,
    keys,
    aggregation,
    temporality: s.temporality,
    limit: s.aggregation_cardinality_limit ?? defaultLimit,
    dual: s.dual_emit,
  };
}

// ------------------------------------------------------------------------------------------------ telemetry hooks

/** Why a point did not make it into an output series. */
export type DropReason =
  | 'drop_aggregation' // the view's aggregation is drop
  | 'unconvertible' // the aggregation cannot be computed from this point kind
  | 'no_value' // a number point without a value, or a NaN/Inf that cannot be added
  | 'no_recorded_value' // staleness marker: the input series ended (its state is kept until expiry)
  | 'out_of_order' // cumulative point not newer than the last one of its input series
  | 'input_limit' // too many cumulative input series tracked for one output metric
  | 'view_conflict'; // another view already produces a stream with this output name

export type LossyReason = 'rebucket' | 'explicit_to_exponential' | 'exponential_to_explicit';

export interface EngineHooks {
  dropped(reason: DropReason, points: number, metric: string): void;
  overflow(points: number, metric: string): void;
  lossy(reason: LossyReason, points: number): void;
  reset(): void;
}

// ------------------------------------------------------------------------------------------------ state

type OutKind = 'sum' | 'gauge' | 'histogram' | 'expo' | 'summary';
/** How a point's contribution reaches an output series. */
type Feed =
  | 'add' // number delta added (sum -> sum)
  | 'sample' // number sample added to a sum (gauge -> sum)
  | 'last' // number: last value by timestamp
  | 'record' // number sample recorded into a distribution (gauge -> histogram)
  | 'dist' // distribution delta merged into a distribution
  | 'dist_sum'; // distribution delta's sum added to a sum

const OVERFLOW_ATTRS: readonly KeyValue[] = [{ key: 'otel.metric.overflow', value: true }];
const OVERFLOW_KEY = seriesKey(OVERFLOW_ATTRS);

/** Explicit-bucket distribution accumulator. */
class ExplicitAcc {
  counts: Float64Array;
  count = 0;
  sum = 0;
  hasSum = true;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  minMaxKnown = true;
  empty = true;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.hasSum = true;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.minMaxKnown = true;
    this.empty = true;
  }
  addStats(count: number, sum: number | undefined, min: number | undefined, max: number | undefined): void {
    this.count += count;
    if (sum === undefined || Number.isNaN(sum)) this.hasSum = false;
    else this.sum += sum;
    if (min === undefined || max === undefined) this.minMaxKnown = false;
    else {
      if (min < this.min) this.min = min;
      if (max > this.max) this.max = max;
    }
    this.empty = false;
  }
  mergeFrom(o: ExplicitAcc): void {
    if (o.empty) return;
    for (let i = 0; i < o.counts.length; i++) this.counts[i]! += o.counts[i]!;
    this.addStats(
      o.count,
      o.hasSum ? o.sum : undefined,
      o.minMaxKnown ? o.min : undefined,
      o.minMaxKnown ? o.max : undefined,
    );
  }
}

/** Exponential distribution accumulator (wraps ExpoHistogram and tracks sum/min/max presence). */
class ExpoAcc {
  h: ExpoHistogram;
  hasSum = true;
  minMaxKnown = true;
  empty = true;
  constructor(readonly opts: { maxSize: number; maxScale: number }) {
    this.h = new ExpoHistogram(opts);
  }
  clear(): void {
    this.h.reset();
    this.hasSum = true;
    this.minMaxKnown = true;
    this.empty = true;
  }
  mergeFrom(o: ExpoAcc): void {
    if (o.empty) return;
    this.h.merge(o.h);
    if (!o.hasSum) this.hasSum = false;
    if (!o.minMaxKnown) this.minMaxKnown = false;
    this.empty = false;
  }
}

/** Summary accumulator: count and sum only (quantiles are not mergeable). */
class SummaryAcc {
  count = 0;
  sum = 0;
  empty = true;
  clear(): void {
    this.count = 0;
    this.sum = 0;
    this.empty = true;
  }
  mergeFrom(o: SummaryAcc): void {
    if (o.empty) return;
    this.count += o.count;
    this.sum += o.sum;
    this.empty = false;
  }
}

type DistAcc = ExplicitAcc | ExpoAcc | SummaryAcc;

/** One output series. */
export class OutSeries {
  /** Start of the output stream (cumulative) / of the first window; 0n until the first contribution. */
  start = 0n;
  /** Time of the last emission of this series (delta windows start here). */
  lastEmit = 0n;
  /** Engine epoch of the last contribution (expiry). */
  epoch: number;
  /** Cumulative input series feeding this series (staleness). */
  inputs = 0;
  updated = false;
  /** All feeding inputs ended: emit what is pending, then one no-recorded-value point, then forget. */
  ending = false;
  /** Forgotten (no longer in its output metric): inputs still pointing here must find their series again. */
  dead = false;
  // number outputs
  delta = 0;
  total = 0;
  isInt = true;
  last: number | bigint | undefined = undefined;
  lastAt = 0n;
  lastStart = 0n;
  // distribution outputs: interval accumulator, and the running total for cumulative outputs
  acc: DistAcc | undefined = undefined;
  cum: DistAcc | undefined = undefined;
  constructor(
    readonly attrs: readonly KeyValue[],
    epoch: number,
  ) {
    this.epoch = epoch;
  }
}

/** Per-input-series state of a cumulative input: the last cumulative value, to compute deltas. */
class InNumber {
  /** A no-recorded-value point ended it; kept until expiry in case the same stream resumes. */
  ended = false;
  constructor(
    public out: OutSeries,
    public start: bigint,
    public time: bigint,
    public epoch: number,
    public v: number,
  ) {}
}
/**
 * Previous bucket counts of histogram inputs, packed: one Uint32Array per output metric with `width` counts per
 * slot (a typed array or JS array per input series costs ~190 bytes for 16 buckets; a slot costs 4 per bucket).
 * Inputs with another bucket count, or a count beyond 2^32 - 1, keep their own array instead.
 */
class CountSlab {
  data: Uint32Array;
  used = 0;
  readonly free: number[] = [];
  constructor(readonly width: number) {
    this.data = new Uint32Array(width * 64);
  }
  alloc(): number {
    const slot = this.free.pop();
    if (slot !== undefined) return slot;
    if ((this.used + 1) * this.width > this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    return this.used++;
  }
}

const U32_MAX = 0xffffffff;

class InHist {
  /** A no-recorded-value point ended it; kept until expiry in case the same stream resumes. */
  ended = false;
  /** Slot in the output metric's CountSlab, or -1 when `own` holds the counts. */
  slot = -1;
  own: number[] | undefined = undefined;
  constructor(
    public out: OutSeries,
    public start: bigint,
    public time: bigint,
    public epoch: number,
    public bounds: readonly number[],
    public len: number,
    public count: number,
    public sum: number,
  ) {}
}

/** Stores `counts` as the input's previous counts (in the slab when it fits). */
function storeCounts(om: OutMetric, st: InHist, counts: ArrayLike<number>): void {
  const n = counts.length;
  let fits = true;
  for (let i = 0; i < n; i++) if (counts[i]! > U32_MAX) fits = false;
  if (om.slab === undefined) om.slab = new CountSlab(n);
  const slab = om.slab;
  if (fits && slab.width === n) {
    if (st.slot < 0) st.slot = slab.alloc();
    st.own = undefined;
    slab.data.set(counts, st.slot * n);
  } else {
    releaseCounts(om, st);
    st.own = Array.from(counts);
  }
  st.len = n;
}

function releaseCounts(om: OutMetric, st: InSeries): void {
  if (st instanceof InHist && st.slot >= 0) {
    om.slab?.free.push(st.slot);
    st.slot = -1;
  }
}
class InExpo {
  /** A no-recorded-value point ended it; kept until expiry in case the same stream resumes. */
  ended = false;
  constructor(
    public out: OutSeries,
    public start: bigint,
    public time: bigint,
    public epoch: number,
    public h: ExpoHistogram,
    public sum: number,
  ) {}
}
class InSummary {
  /** A no-recorded-value point ended it; kept until expiry in case the same stream resumes. */
  ended = false;
  constructor(
    public out: OutSeries,
    public start: bigint,
    public time: bigint,
    public epoch: number,
    public count: number,
    public sum: number,
  ) {}
}
type InSeries = InNumber | InHist | InExpo | InSummary;

/** One output metric of one view for one input metric (resource + scope + name + kind). */
export class OutMetric {
  readonly series = new Map<string, OutSeries>();
  readonly inputs = new Map<string, InSeries>();
  overflow: OutSeries | undefined = undefined;
  /** Bounds of the explicit output (view's, or the first input's). */
  bounds: readonly number[] | undefined;
  /** Previous bucket counts of histogram inputs. */
  slab: CountSlab | undefined = undefined;
  /** Last bounds seen from inputs (interning, so per-input state shares one array). */
  lastInBounds: readonly number[] | undefined = undefined;
  epoch: number;
  conflict = false;

  constructor(
    readonly view: CompiledView,
    readonly resource: Resource | undefined,
    readonly resourceSchemaUrl: string,
    readonly resKey: string,
    readonly scope: InstrumentationScope | undefined,
    readonly scopeSchemaUrl: string,
    readonly scopeKey: string,
    readonly name: string,
    readonly description: string,
    readonly unit: string,
    readonly inKind: MetricData['type'],
    readonly inCumulative: boolean,
    readonly outKind: OutKind | undefined,
    readonly feed: Feed | undefined,
    readonly temporality: number,
    readonly monotonic: boolean,
    readonly inputLimit: number,
    epoch: number,
  ) {
    this.epoch = epoch;
    const agg = view.aggregation;
    this.bounds = agg.type === 'explicit' ? (agg.bounds ?? DEFAULT_BOUNDARIES) : undefined;
  }
}

// ------------------------------------------------------------------------------------------------ engine

export interface EngineOptions {
  readonly views: readonly CompiledView[];
  /** Emissions after which state without contributions is forgotten (>= 1). */
  readonly expiryEpochs: number;
  readonly hooks: EngineHooks;
  /** Current time in Unix nanoseconds (emission timestamps). */
  readonly now: () => bigint;
  /** Cumulative input series tracked per output metric: `inputLimitFactor` x the cardinality limit. */
  readonly inputLimitFactor?: number;
}

export interface EngineStats {
  outputMetrics: number;
  outputSeries: number;
  inputSeries: number;
}

interface MatchEntry {
  readonly views: readonly CompiledView[];
}

const NO_VIEWS: MatchEntry = { views: [] };

export class ViewEngine {
  readonly views: readonly CompiledView[];
  private readonly hooks: EngineHooks;
  private readonly now: () => bigint;
  private readonly expiryEpochs: number;
  private readonly inputLimitFactor: number;
  private epoch = 0;
  private readonly metrics = new Map<string, OutMetric>();
  /** Output name claims per resource+scope: which view (and input metric) owns an output name. */
  private readonly claims = new Map<string, OutMetric>();
  private readonly matchCache = new Map<string, MatchEntry>();

  constructor(opts: EngineOptions) {
    this.views = opts.views;
    this.hooks = opts.hooks;
    this.now = opts.now;
    this.expiryEpochs = Math.max(1, opts.expiryEpochs);
    this.inputLimitFactor = opts.inputLimitFactor ?? 50;
  }

  stats(): EngineStats {
    let outputSeries = 0;
    let inputSeries = 0;
    for (const om of this.metrics.values()) {
      outputSeries += om.series.size + (om.overflow === undefined ? 0 : 1);
      inputSeries += om.inputs.size;
    }
    return { outputMetrics: this.metrics.size, outputSeries, inputSeries };
  }

  /**
   * Takes a request apart: metrics no view selects are returned (in a request sharing the input's objects, or
   * the input itself when nothing is selected); selected ones are absorbed into state.
   */
  process(req: ExportMetricsServiceRequest): { passthrough: ExportMetricsServiceRequest; selected: number } {
    // Cheap path first: does any view select anything?
    let any = false;
    const resKeys: string[] = [];
    for (const rm of req.resourceMetrics) {
      const rk = attrsKey(rm.resource?.attributes ?? []);
      resKeys.push(rk);
      if (any) continue;
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          if (this.match(rk, rm, sm, m).views.length > 0) {
            any = true;
            break;
          }
        }
        if (any) break;
      }
    }
    if (!any) return { passthrough: req, selected: 0 };
    const out: ResourceMetrics[] = [];
    let selected = 0;
    req.resourceMetrics.forEach((rm, ri) => {
      const rk = resKeys[ri] as string;
      const scopes: ScopeMetrics[] = [];
      for (const sm of rm.scopeMetrics) {
        const kept: Metric[] = [];
        for (const m of sm.metrics) {
          const entry = this.match(rk, rm, sm, m);
          if (entry.views.length === 0) {
            kept.push(m);
            continue;
          }
          selected += m.data?.dataPoints.length ?? 0;
          for (const view of entry.views) this.absorb(view, rk, rm, sm, m);
        }
        if (kept.length > 0) scopes.push({ scope: sm.scope, metrics: kept, schemaUrl: sm.schemaUrl });
      }
      if (scopes.length > 0) out.push({ resource: rm.resource, scopeMetrics: scopes, schemaUrl: rm.schemaUrl });
    });
    return { passthrough: { resourceMetrics: out }, selected };
  }

  private match(rk: string, rm: ResourceMetrics, sm: ScopeMetrics, m: Metric): MatchEntry {
    if (m.data === undefined) return NO_VIEWS;
    const scope = sm.scope;
    const key = `${rk}\u0001${scopeKeyOf(scope, sm.schemaUrl)}\u0001${m.name}\u0001${m.unit}\u0001${m.data.type}\u0001${m.data.type === 'sum' && m.data.isMonotonic ? 1 : 0}`;
    let entry = this.matchCache.get(key);
    if (entry === undefined) {
      const views = this.views.filter((v) => v.selector.matches(rm.resource, scope, sm.schemaUrl, m));
      entry = views.length === 0 ? NO_VIEWS : { views };
      if (this.matchCache.size >= 10_000) this.matchCache.clear();
      this.matchCache.set(key, entry);
    }
    return entry;
  }

  private outMetric(view: CompiledView, rk: string, rm: ResourceMetrics, sm: ScopeMetrics, m: Metric): OutMetric {
    const data = m.data as MetricData;
    const sk = scopeKeyOf(sm.scope, sm.schemaUrl);
    const temporalityIn = 'aggregationTemporality' in data ? data.aggregationTemporality : 0;
    const key = `${view.index}\u0001${rk}\u0001${sk}\u0001${m.name}\u0001${m.unit}\u0001${data.type}\u0001${temporalityIn}\u0001${data.type === 'sum' && data.isMonotonic ? 1 : 0}`;
    let om = this.metrics.get(key);
    if (om !== undefined) return om;
    const plan = planOutput(view, data);
    const outName = view.name ?? m.name;
    om = new OutMetric(
      view,
      rm.resource === undefined ? undefined : structuredClone(rm.resource),
      rm.schemaUrl,
      rk,
      sm.scope === undefined ? undefined : structuredClone(sm.scope),
      sm.schemaUrl,
      sk,
      outName,
      view.description ?? m.description,
      m.unit,
      data.type,
      (temporalityIn === AggregationTemporality.CUMULATIVE && data.type !== 'gauge') || data.type === 'summary',
      plan?.kind,
      plan?.feed,
      plan?.temporality ?? AggregationTemporality.CUMULATIVE,
      plan?.monotonic ?? false,
      view.limit * this.inputLimitFactor,
      this.epoch,
    );
    if (plan !== undefined) {
      const claimKey = `${rk}\u0001${sk}\u0001${outName}`;
      const owner = this.claims.get(claimKey);
      if (owner !== undefined && owner !== om) om.conflict = true;
      else this.claims.set(claimKey, om);
    }
    this.metrics.set(key, om);
    return om;
  }

  private absorb(view: CompiledView, rk: string, rm: ResourceMetrics, sm: ScopeMetrics, m: Metric): void {
    const data = m.data as MetricData;
    const n = data.dataPoints.length;
    if (n === 0) return;
    if (view.aggregation.type === 'drop') {
      this.hooks.dropped('drop_aggregation', n, m.name);
      return;
    }
    const om = this.outMetric(view, rk, rm, sm, m);
    om.epoch = this.epoch;
    if (om.feed === undefined) {
      this.hooks.dropped('unconvertible', n, m.name);
      return;
    }
    if (om.conflict && !this.reclaim(om)) {
      this.hooks.dropped('view_conflict', n, m.name);
      return;
    }
    switch (data.type) {
      case 'sum':
      case 'gauge':
        for (const p of data.dataPoints) this.absorbNumber(om, p);
        return;
      case 'histogram':
        for (const p of data.dataPoints) this.absorbHistogram(om, p);
        return;
      case 'exponentialHistogram':
        for (const p of data.dataPoints) this.absorbExpo(om, p);
        return;
      case 'summary':
        for (const p of data.dataPoints) this.absorbSummary(om, p);
        return;
      default: {
        const never: never = data;
        throw new Error(`unknown metric type ${String(never)}`);
      }
    }
  }

  /** A stream that lost its name to another takes the name over once the owner was forgotten. */
  private reclaim(om: OutMetric): boolean {
    const claimKey = `${om.resKey}\u0001${om.scopeKey}\u0001${om.name}`;
    if (this.claims.has(claimKey)) return false;
    this.claims.set(claimKey, om);
    om.conflict = false;
    return true;
  }

  /** The output series for a point's attributes (the overflow series once the limit is reached). */
  private seriesFor(om: OutMetric, attrs: readonly KeyValue[]): OutSeries {
    const kept = filterAttrs(om.view.keys, attrs);
    const key = seriesKey(kept);
    let s = om.series.get(key);
    if (s !== undefined) return s;
    // An input's own overflow series (an SDK or another views stage hit its limit) is the overflow series here too:
    // as a regular series it would leave beside ours with the same attributes.
    if (om.series.size >= om.view.limit - 1 || key === OVERFLOW_KEY) {
      if (om.overflow === undefined) om.overflow = new OutSeries(OVERFLOW_ATTRS, this.epoch);
      return om.overflow;
    }
    s = new OutSeries(canonicalAttrs(kept), this.epoch);
    om.series.set(storedSeriesKey(kept), s);
    return s;
  }

  /**
   * Staleness marker on an input point: the input series ended (an output series whose inputs all ended ends). Its
   * last value is kept until it expires: a stream that resumes with the same start time (a source that failed once)
   * then continues from it instead of being counted in full a second time.
   */
  private ended(om: OutMetric, attrs: readonly KeyValue[], metric: string): void {
    this.hooks.dropped('no_recorded_value', 1, metric);
    if (!om.inCumulative) return;
    const st = om.inputs.get(seriesKey(attrs));
    if (st === undefined || st.ended) return;
    st.ended = true;
    st.out.inputs--;
    if (st.out.inputs <= 0) st.out.ending = true;
  }

  /** Input state for a cumulative point: existing, or undefined after creating a baseline (first point). */
  private trackInput<T extends InSeries>(
    om: OutMetric,
    attrs: readonly KeyValue[],
    metric: string,
  ): { st: T | undefined; limited: boolean } {
    const key = seriesKey(attrs);
    let st = om.inputs.get(key) as T | undefined;
    if (st?.ended === true) {
      if (st.out.dead) {
        // Its output series ended and was forgotten: start over (the new output starts at this input's start).
        om.inputs.delete(key);
        releaseCounts(om, st);
        st = undefined;
      } else {
        st.ended = false;
        st.out.inputs++;
        st.out.ending = false;
      }
    }
    if (st === undefined && om.inputs.size >= om.inputLimit) {
      this.hooks.dropped('input_limit', 1, metric);
      return { st, limited: true };
    }
    return { st, limited: false };
  }

  /** Tracks a new input series; `attrs` give the map key again, built flat since it is kept. */
  private link(om: OutMetric, attrs: readonly KeyValue[], st: InSeries): void {
    om.inputs.set(storedSeriesKey(attrs), st);
    st.out.inputs++;
    st.out.ending = false;
  }

  private noteOverflow(om: OutMetric, s: OutSeries): void {
    if (s === om.overflow) this.hooks.overflow(1, om.name);
  }

  private absorbNumber(om: OutMetric, p: NumberDataPoint): void {
    if ((p.flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0) {
      this.ended(om, p.attributes, om.name);
      return;
    }
    const raw = p.value;
    if (raw === undefined) {
      this.hooks.dropped('no_value', 1, om.name);
      return;
    }
    const isInt = typeof raw === 'bigint';
    const v = isInt ? Number(raw) : raw;
    const feed = om.feed as Feed;
    if (feed === 'last') {
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      if (!s.updated || p.timeUnixNano >= s.lastAt) {
        s.last = raw;
        s.lastAt = p.timeUnixNano;
        s.lastStart = p.startTimeUnixNano;
      }
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    if (!Number.isFinite(v)) {
      this.hooks.dropped('no_value', 1, om.name);
      return;
    }
    if (feed === 'record') {
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      const acc = this.distAcc(om, s);
      if (acc instanceof ExpoAcc) {
        acc.h.record(v);
        acc.empty = false;
      } else if (acc instanceof ExplicitAcc) {
        const b = acc.bounds;
        let j = 0;
        while (j < b.length && (b[j] as number) < v) j++;
        acc.counts[j]! += 1;
        acc.addStats(1, v, v, v);
      }
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    // 'add' (sum input) or 'sample' (gauge input) into a sum
    if (!om.inCumulative) {
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      s.delta += v;
      if (!isInt) s.isInt = false;
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    const { st, limited } = this.trackInput<InNumber>(om, p.attributes, om.name);
    if (limited) return;
    if (st === undefined) {
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      this.link(om, p.attributes, new InNumber(s, p.startTimeUnixNano, p.timeUnixNano, this.epoch, v));
      if (!isInt) s.isInt = false;
      s.delta += v;
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    if (p.startTimeUnixNano === st.start && p.timeUnixNano <= st.time) {
      this.hooks.dropped('out_of_order', 1, om.name);
      return;
    }
    const s = st.out;
    this.noteOverflow(om, s);
    let d: number;
    // A decrease resets a monotonic sum only; an up-down counter going down is just a negative delta.
    if (p.startTimeUnixNano !== st.start || (om.monotonic && v < st.v)) {
      this.hooks.reset();
      d = v;
    } else {
      d = v - st.v;
    }
    st.v = v;
    st.start = p.startTimeUnixNano;
    st.time = p.timeUnixNano;
    st.epoch = this.epoch;
    s.delta += d;
    if (!isInt) s.isInt = false;
    this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
  }

  private touch(s: OutSeries, start: bigint, time: bigint): void {
    if (s.start === 0n) s.start = start !== 0n ? start : time;
    s.updated = true;
    s.epoch = this.epoch;
  }

  private distAcc(om: OutMetric, s: OutSeries): DistAcc {
    if (s.acc !== undefined) return s.acc;
    s.acc = newAcc(om);
    return s.acc;
  }

  private absorbHistogram(om: OutMetric, p: HistogramDataPoint): void {
    if ((p.flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0) {
      this.ended(om, p.attributes, om.name);
      return;
    }
    let bounds: readonly number[] = p.explicitBounds;
    if (om.lastInBounds !== undefined && sameBounds(om.lastInBounds, bounds)) bounds = om.lastInBounds;
    else om.lastInBounds = bounds;
    const n = p.bucketCounts.length;
    if (n !== 0 && n !== bounds.length + 1) {
      this.hooks.dropped('unconvertible', 1, om.name);
      return;
    }
    const len = n === 0 ? 1 : n;
    const count = Number(p.count);
    const sum = p.sum;
    if (!om.inCumulative) {
      const counts = scratch(len);
      if (n === 0) counts[0] = count;
      else for (let i = 0; i < n; i++) counts[i] = Number(p.bucketCounts[i]);
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      this.feedExplicit(om, s, n === 0 ? EMPTY : bounds, counts, count, sum, p.min, p.max);
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    const { st, limited } = this.trackInput<InHist>(om, p.attributes, om.name);
    if (limited) return;
    const b = n === 0 ? EMPTY : bounds;
    if (st === undefined) {
      const counts = scratch(len);
      if (n === 0) counts[0] = count;
      else for (let i = 0; i < n; i++) counts[i] = Number(p.bucketCounts[i]);
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      const fresh = new InHist(s, p.startTimeUnixNano, p.timeUnixNano, this.epoch, b, len, count, sum ?? Number.NaN);
      storeCounts(om, fresh, counts);
      this.link(om, p.attributes, fresh);
      this.feedExplicit(om, s, b, counts, count, sum, undefined, undefined);
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    if (p.startTimeUnixNano === st.start && p.timeUnixNano <= st.time) {
      this.hooks.dropped('out_of_order', 1, om.name);
      return;
    }
    const s = st.out;
    this.noteOverflow(om, s);
    // delta = current - previous (into a scratch buffer); then the state takes the current counts
    const cur = scratch2(len);
    if (n === 0) cur[0] = count;
    else for (let i = 0; i < n; i++) cur[i] = Number(p.bucketCounts[i]);
    const d = scratch(len);
    let reset = p.startTimeUnixNano !== st.start || count < st.count || st.len !== len || !sameBounds(st.bounds, b);
    if (!reset) {
      const slab = st.slot >= 0 ? (om.slab as CountSlab).data : undefined;
      const base = st.slot * len;
      const own = st.own;
      for (let i = 0; i < len; i++) {
        const prev = slab !== undefined ? slab[base + i]! : own![i]!;
        const x = cur[i]! - prev;
        if (x < 0) reset = true;
        d[i] = x;
      }
    }
    storeCounts(om, st, cur);
    if (reset) {
      this.hooks.reset();
      this.feedExplicit(om, s, b, cur, count, sum, undefined, undefined);
    } else {
      const dSum = sum === undefined || Number.isNaN(st.sum) ? undefined : sum - st.sum;
      this.feedExplicit(om, s, b, d, count - st.count, dSum, undefined, undefined);
    }
    st.start = p.startTimeUnixNano;
    st.time = p.timeUnixNano;
    st.epoch = this.epoch;
    st.bounds = b;
    st.count = count;
    st.sum = sum ?? Number.NaN;
    this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
  }

  /** Adds an explicit-bucket delta to an output series, whatever the output kind. */
  private feedExplicit(
    om: OutMetric,
    s: OutSeries,
    bounds: readonly number[],
    counts: ArrayLike<number>,
    count: number,
    sum: number | undefined,
    min: number | undefined,
    max: number | undefined,
  ): void {
    if (om.feed === 'dist_sum') {
      if (sum === undefined || !Number.isFinite(sum)) {
        this.hooks.dropped('no_value', 1, om.name);
        return;
      }
      s.delta += sum;
      s.isInt = false;
      return;
    }
    const acc = this.distAcc(om, s);
    if (acc instanceof ExplicitAcc) {
      if (sameBounds(acc.bounds, bounds)) {
        for (let i = 0; i < counts.length; i++) acc.counts[i]! += counts[i]!;
      } else {
        rebucketInto(bounds, counts, acc.bounds, acc.counts);
        this.hooks.lossy('rebucket', 1);
      }
      acc.addStats(count, sum, min, max);
    } else if (acc instanceof ExpoAcc) {
      const before = acc.h.sum;
      const prevMin = acc.h.min;
      const prevMax = acc.h.max;
      const part = new ExpoHistogram(acc.opts);
      explicitIntoExpo(bounds, counts, min, max, part);
      acc.h.merge(part);
      if (sum === undefined || !Number.isFinite(sum)) acc.hasSum = false;
      if (min === undefined || max === undefined) {
        acc.minMaxKnown = false;
        acc.h.setStats(before + (sum ?? 0), undefined, undefined);
      } else {
        acc.h.setStats(
          before + (sum ?? 0),
          prevMin === undefined ? min : Math.min(prevMin, min),
          prevMax === undefined ? max : Math.max(prevMax, max),
        );
      }
      acc.empty = false;
      this.hooks.lossy('explicit_to_exponential', 1);
    } else {
      acc.count += count;
      acc.sum += sum ?? 0;
      acc.empty = false;
    }
  }

  private absorbExpo(om: OutMetric, p: ExponentialHistogramDataPoint): void {
    if ((p.flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0) {
      this.ended(om, p.attributes, om.name);
      return;
    }
    let h: ExpoHistogram;
    try {
      h = ExpoHistogram.fromDataPoint(p, expoOpts(om));
    } catch {
      this.hooks.dropped('unconvertible', 1, om.name);
      return;
    }
    if (!om.inCumulative) {
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      this.feedExpo(om, s, h, p.sum, p.min !== undefined && p.max !== undefined);
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    const { st, limited } = this.trackInput<InExpo>(om, p.attributes, om.name);
    if (limited) return;
    if (st === undefined) {
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      this.link(
        om,
        p.attributes,
        new InExpo(s, p.startTimeUnixNano, p.timeUnixNano, this.epoch, h, p.sum ?? Number.NaN),
      );
      const d = h.clone();
      d.setStats(d.sum, undefined, undefined);
      this.feedExpo(om, s, d, p.sum, false);
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    if (p.startTimeUnixNano === st.start && p.timeUnixNano <= st.time) {
      this.hooks.dropped('out_of_order', 1, om.name);
      return;
    }
    const s = st.out;
    this.noteOverflow(om, s);
    const d = p.startTimeUnixNano === st.start ? h.deltaFrom(st.h) : undefined;
    if (d === undefined) {
      this.hooks.reset();
      const full = h.clone();
      full.setStats(full.sum, undefined, undefined);
      this.feedExpo(om, s, full, p.sum, false);
    } else {
      const dSum = p.sum === undefined || Number.isNaN(st.sum) ? undefined : p.sum - st.sum;
      d.setStats(dSum ?? 0, undefined, undefined);
      this.feedExpo(om, s, d, dSum, false);
    }
    st.start = p.startTimeUnixNano;
    st.time = p.timeUnixNano;
    st.epoch = this.epoch;
    st.h = h;
    st.sum = p.sum ?? Number.NaN;
    this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
  }

  private feedExpo(om: OutMetric, s: OutSeries, h: ExpoHistogram, sum: number | undefined, minMaxKnown: boolean): void {
    if (om.feed === 'dist_sum') {
      if (sum === undefined || !Number.isFinite(sum)) {
        this.hooks.dropped('no_value', 1, om.name);
        return;
      }
      s.delta += h.sum;
      s.isInt = false;
      return;
    }
    const acc = this.distAcc(om, s);
    if (acc instanceof ExpoAcc) {
      acc.h.merge(h);
      if (sum === undefined || !Number.isFinite(sum)) acc.hasSum = false;
      if (!minMaxKnown) acc.minMaxKnown = false;
      acc.empty = false;
    } else if (acc instanceof ExplicitAcc) {
      expoIntoExplicit(h, acc.bounds, acc.counts);
      acc.addStats(
        h.count,
        sum === undefined ? undefined : h.sum,
        minMaxKnown ? h.min : undefined,
        minMaxKnown ? h.max : undefined,
      );
      this.hooks.lossy('exponential_to_explicit', 1);
    } else {
      acc.count += h.count;
      acc.sum += h.sum;
      acc.empty = false;
    }
  }

  private absorbSummary(om: OutMetric, p: SummaryDataPoint): void {
    if ((p.flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0) {
      this.ended(om, p.attributes, om.name);
      return;
    }
    const count = Number(p.count);
    const sum = p.sum;
    // Summaries are cumulative by nature (the data model has no temporality for them).
    const { st, limited } = this.trackInput<InSummary>(om, p.attributes, om.name);
    if (limited) return;
    if (st === undefined) {
      const s = this.seriesFor(om, p.attributes);
      this.noteOverflow(om, s);
      this.link(om, p.attributes, new InSummary(s, p.startTimeUnixNano, p.timeUnixNano, this.epoch, count, sum));
      this.feedSummary(om, s, count, sum);
      this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
      return;
    }
    if (p.startTimeUnixNano === st.start && p.timeUnixNano <= st.time) {
      this.hooks.dropped('out_of_order', 1, om.name);
      return;
    }
    const s = st.out;
    this.noteOverflow(om, s);
    if (p.startTimeUnixNano !== st.start || count < st.count) {
      this.hooks.reset();
      this.feedSummary(om, s, count, sum);
    } else {
      this.feedSummary(om, s, count - st.count, sum - st.sum);
    }
    st.start = p.startTimeUnixNano;
    st.time = p.timeUnixNano;
    st.epoch = this.epoch;
    st.count = count;
    st.sum = sum;
    this.touch(s, p.startTimeUnixNano, p.timeUnixNano);
  }

  private feedSummary(om: OutMetric, s: OutSeries, count: number, sum: number): void {
    if (om.feed === 'dist_sum') {
      s.delta += sum;
      s.isInt = false;
      return;
    }
    const acc = this.distAcc(om, s);
    if (acc instanceof SummaryAcc) {
      acc.count += count;
      acc.sum += sum;
      acc.empty = false;
    }
  }

  // ---------------------------------------------------------------------------------------------- emission

  /**
   * Emits one point per live output series (cumulative outputs: every live series; delta outputs and gauges:
   * series with contributions since the last emission), ends and forgets expired state, and advances the epoch.
   * Returns undefined when there is nothing to send.
   */
  flush(): ExportMetricsServiceRequest | undefined {
    const now = this.now();
    const expired = this.epoch - this.expiryEpochs;
    const byResource = new Map<string, { rm: ResourceMetrics; scopes: Map<string, ScopeMetrics> }>();
    const addMetric = (om: OutMetric, metric: Metric): void => {
      let r = byResource.get(om.resKey);
      if (r === undefined) {
        r = {
          rm: { resource: om.resource, scopeMetrics: [], schemaUrl: om.resourceSchemaUrl },
          scopes: new Map(),
        };
        byResource.set(om.resKey, r);
      }
      let sm = r.scopes.get(om.scopeKey);
      if (sm === undefined) {
        sm = { scope: om.scope, metrics: [], schemaUrl: om.scopeSchemaUrl };
        r.scopes.set(om.scopeKey, sm);
        r.rm.scopeMetrics.push(sm);
      }
      sm.metrics.push(metric);
    };

    for (const [mk, om] of this.metrics) {
      // Forget cumulative input state that has not been updated for the expiry.
      for (const [k, st] of om.inputs) {
        if (st.epoch <= expired) {
          om.inputs.delete(k);
          releaseCounts(om, st);
          if (!st.ended) st.out.inputs--;
        }
      }
      if (om.outKind !== undefined && !om.conflict) {
        const emitted = this.emitMetric(om, now, expired);
        for (const m of emitted) addMetric(om, m);
      }
      if (om.series.size === 0 && om.overflow === undefined && om.inputs.size === 0 && om.epoch <= expired) {
        this.metrics.delete(mk);
        const claimKey = `${om.resKey}\u0001${om.scopeKey}\u0001${om.name}`;
        if (this.claims.get(claimKey) === om) this.claims.delete(claimKey);
      }
    }
    this.epoch++;
    if (byResource.size === 0) return undefined;
    return { resourceMetrics: [...byResource.values()].map((r) => r.rm) };
  }

  private emitMetric(om: OutMetric, now: bigint, expired: number): Metric[] {
    const kind = om.outKind as OutKind;
    const cumulative = om.temporality === AggregationTemporality.CUMULATIVE;
    const numberPoints: NumberDataPoint[] = [];
    const histPoints: HistogramDataPoint[] = [];
    const expoPoints: ExponentialHistogramDataPoint[] = [];
    const summaryPoints: SummaryDataPoint[] = [];
    const dual = om.view.dual;
    const dualPoints = new Map<DualEmitStat, NumberDataPoint[]>();
    const dualAdd = (stat: DualEmitStat, p: NumberDataPoint) => {
      let list = dualPoints.get(stat);
      if (list === undefined) {
        list = [];
        dualPoints.set(stat, list);
      }
      list.push(p);
    };

    const visit = (s: OutSeries, key: string | undefined): void => {
      const expiredNow = s.epoch <= expired && !s.updated;
      const ending = (s.ending && !s.updated) || expiredNow;
      if (ending) {
        // One no-recorded-value point for consumers that track staleness, then forget the series.
        if (cumulative || kind === 'gauge' || s.ending) {
          const start = s.start === 0n ? now : s.start;
          const attrs = s.attrs as KeyValue[];
          const flags = DATA_POINT_FLAG_NO_RECORDED_VALUE;
          switch (kind) {
            case 'sum':
            case 'gauge':
              numberPoints.push({
                attributes: attrs,
                startTimeUnixNano: start,
                timeUnixNano: now,
                value: undefined,
                exemplars: [],
                flags,
              });
              break;
            case 'histogram':
              histPoints.push({
                attributes: attrs,
                startTimeUnixNano: start,
                timeUnixNano: now,
                count: 0n,
                bucketCounts: [],
                explicitBounds: [],
                exemplars: [],
                flags,
              });
              break;
            case 'expo':
              expoPoints.push({
                attributes: attrs,
                startTimeUnixNano: start,
                timeUnixNano: now,
                count: 0n,
                scale: 0,
                zeroCount: 0n,
                flags,
                exemplars: [],
                zeroThreshold: 0,
              });
              break;
            case 'summary':
              summaryPoints.push({
                attributes: attrs,
                startTimeUnixNano: start,
                timeUnixNano: now,
                count: 0n,
                sum: 0,
                quantileValues: [],
                flags,
              });
              break;
            default: {
              const never: never = kind;
              throw new Error(`unknown kind ${String(never)}`);
            }
          }
        }
        // Inputs feeding it expired in the same flush (they are touched whenever it is) or had ended.
        s.dead = true;
        if (key === undefined) om.overflow = undefined;
        else om.series.delete(key);
        return;
      }
      if (!s.updated && !cumulative) return;
      if (kind === 'gauge') {
        if (!s.updated || s.last === undefined) return;
        numberPoints.push({
          attributes: s.attrs as KeyValue[],
          startTimeUnixNano: s.lastStart,
          timeUnixNano: s.lastAt,
          value: s.last,
          exemplars: [],
          flags: 0,
        });
        s.updated = false;
        s.last = undefined;
        return;
      }
      const start = cumulative ? s.start : s.lastEmit !== 0n ? s.lastEmit : s.start;
      const pointStart = start !== 0n && start < now ? start : now;
      const attrs = s.attrs as KeyValue[];
      if (kind === 'sum') {
        let value: number;
        if (cumulative) {
          s.total += s.delta;
          value = s.total;
        } else {
          value = s.delta;
        }
        s.delta = 0;
        numberPoints.push({
          attributes: attrs,
          startTimeUnixNano: pointStart,
          timeUnixNano: now,
          value: s.isInt && Number.isSafeInteger(value) ? BigInt(value) : value,
          exemplars: [],
          flags: 0,
        });
      } else {
        const acc = s.acc;
        let view: DistAcc | undefined = acc;
        if (cumulative && acc !== undefined) {
          if (s.cum === undefined) s.cum = newAcc(om);
          mergeAcc(s.cum, acc);
          view = s.cum;
        }
        if (view === undefined) view = newAcc(om);
        pushDist(om, kind, view, attrs, pointStart, now, histPoints, expoPoints, summaryPoints);
        if (dual !== undefined && acc !== undefined) dualStats(dual.stats, view, acc, attrs, pointStart, now, dualAdd);
        if (acc !== undefined) acc.clear();
      }
      s.lastEmit = now;
      s.updated = false;
    };

    for (const [k, s] of om.series) visit(s, k);
    if (om.overflow !== undefined) visit(om.overflow, undefined);

    const base = { name: om.name, description: om.description, unit: om.unit, metadata: [] };
    const out: Metric[] = [];
    switch (kind) {
      case 'sum':
        if (numberPoints.length > 0) {
          out.push({
            ...base,
            data: {
              type: 'sum',
              dataPoints: numberPoints,
              aggregationTemporality: om.temporality,
              isMonotonic: om.monotonic,
            },
          });
        }
        break;
      case 'gauge':
        if (numberPoints.length > 0) out.push({ ...base, data: { type: 'gauge', dataPoints: numberPoints } });
        break;
      case 'histogram':
        if (histPoints.length > 0) {
          out.push({
            ...base,
            data: { type: 'histogram', dataPoints: histPoints, aggregationTemporality: om.temporality },
          });
        }
        break;
      case 'expo':
        if (expoPoints.length > 0) {
          out.push({
            ...base,
            data: { type: 'exponentialHistogram', dataPoints: expoPoints, aggregationTemporality: om.temporality },
          });
        }
        break;
      case 'summary':
        if (summaryPoints.length > 0) out.push({ ...base, data: { type: 'summary', dataPoints: summaryPoints } });
        break;
      default: {
        const never: never = kind;
        throw new Error(`unknown kind ${String(never)}`);
      }
    }
    if (dual !== undefined) {
      for (const stat of dual.stats) {
        const pts = dualPoints.get(stat);
        if (pts === undefined || pts.length === 0) continue;
        const m = {
          name: `${dual.name}.${stat}`,
          description: `${stat} of ${om.name}`,
          unit: stat === 'count' ? '1' : om.unit,
          metadata: [],
        };
        if (stat === 'min' || stat === 'max') out.push({ ...m, data: { type: 'gauge', dataPoints: pts } });
        else {
          out.push({
            ...m,
            data: {
              type: 'sum',
              dataPoints: pts,
              aggregationTemporality: om.temporality,
              isMonotonic: stat === 'count',
            },
          });
        }
      }
    }
    return out;
  }
}

// ------------------------------------------------------------------------------------------------ helpers

const EMPTY: readonly number[] = [];
const scratchBufs: Float64Array[] = [];
const scratchBufs2: Float64Array[] = [];
/** A second reusable buffer, for when two are needed at once. */
function scratch2(n: number): Float64Array {
  let b = scratchBufs2[n];
  if (b === undefined) {
    b = new Float64Array(n);
    scratchBufs2[n] = b;
  }
  return b;
}
/** A reusable buffer of exactly `n` slots (callers overwrite every slot before reading it). */
function scratch(n: number): Float64Array {
  let b = scratchBufs[n];
  if (b === undefined) {
    b = new Float64Array(n);
    scratchBufs[n] = b;
  }
  return b;
}

function scopeKeyOf(scope: InstrumentationScope | undefined, schemaUrl: string): string {
  if (scope === undefined) return `\u0002${schemaUrl}`;
  return `${scope.name}\u0002${scope.version}\u0002${schemaUrl}\u0002${scope.attributes.length === 0 ? '' : attrsKey(scope.attributes)}`;
}

/** The point attributes a view keeps (the same array when it keeps all). */
export function filterAttrs(f: KeyFilter, attrs: readonly KeyValue[]): readonly KeyValue[] {
  switch (f.mode) {
    case 'all':
      return attrs;
    case 'include':
      return attrs.filter((kv) => f.keys.has(kv.key));
    case 'exclude':
      return attrs.filter((kv) => !f.keys.has(kv.key));
    default: {
      const never: never = f;
      throw new Error(`unknown filter ${String(never)}`);
    }
  }
}

interface Plan {
  readonly kind: OutKind;
  readonly feed: Feed;
  readonly temporality: number;
  readonly monotonic: boolean;
}

/** What a view makes of an input metric: output kind, how points feed it, temporality; undefined = unconvertible. */
export function planOutput(view: CompiledView, data: MetricData): Plan | undefined {
  const agg = view.aggregation;
  const inTemporality = 'aggregationTemporality' in data ? data.aggregationTemporality : 0;
  const temporality = (dflt: number): number =>
    view.temporality === 'delta'
      ? AggregationTemporality.DELTA
      : view.temporality === 'cumulative'
        ? AggregationTemporality.CUMULATIVE
        : dflt === AggregationTemporality.DELTA
          ? AggregationTemporality.DELTA
          : AggregationTemporality.CUMULATIVE;
  const dist = data.type === 'histogram' || data.type === 'exponentialHistogram' || data.type === 'summary';
  switch (agg.type) {
    case 'drop':
      return undefined;
    case 'default':
      switch (data.type) {
        case 'sum':
          return { kind: 'sum', feed: 'add', temporality: temporality(inTemporality), monotonic: data.isMonotonic };
        case 'gauge':
          return { kind: 'gauge', feed: 'last', temporality: 0, monotonic: false };
        case 'histogram':
          return { kind: 'histogram', feed: 'dist', temporality: temporality(inTemporality), monotonic: false };
        case 'exponentialHistogram':
          return { kind: 'expo', feed: 'dist', temporality: temporality(inTemporality), monotonic: false };
        case 'summary':
          return { kind: 'summary', feed: 'dist', temporality: AggregationTemporality.CUMULATIVE, monotonic: false };
        default: {
          const never: never = data;
          throw new Error(`unknown metric type ${String(never)}`);
        }
      }
    case 'sum':
      if (data.type === 'sum') {
        return { kind: 'sum', feed: 'add', temporality: temporality(inTemporality), monotonic: data.isMonotonic };
      }
      if (data.type === 'gauge') {
        return {
          kind: 'sum',
          feed: 'sample',
          temporality: temporality(AggregationTemporality.DELTA),
          monotonic: false,
        };
      }
      return {
        kind: 'sum',
        feed: 'dist_sum',
        temporality: temporality(data.type === 'summary' ? AggregationTemporality.CUMULATIVE : inTemporality),
        monotonic: false,
      };
    case 'last_value':
      if (data.type === 'sum' || data.type === 'gauge')
        return { kind: 'gauge', feed: 'last', temporality: 0, monotonic: false };
      return undefined;
    case 'explicit':
      if (data.type === 'gauge') {
        return {
          kind: 'histogram',
          feed: 'record',
          temporality: temporality(AggregationTemporality.CUMULATIVE),
          monotonic: false,
        };
      }
      if (data.type === 'histogram' || data.type === 'exponentialHistogram') {
        return { kind: 'histogram', feed: 'dist', temporality: temporality(inTemporality), monotonic: false };
      }
      return undefined;
    case 'expo':
      if (data.type === 'gauge') {
        return {
          kind: 'expo',
          feed: 'record',
          temporality: temporality(AggregationTemporality.CUMULATIVE),
          monotonic: false,
        };
      }
      if (dist && data.type !== 'summary') {
        return { kind: 'expo', feed: 'dist', temporality: temporality(inTemporality), monotonic: false };
      }
      return undefined;
    default: {
      const never: never = agg;
      throw new Error(`unknown aggregation ${String(never)}`);
    }
  }
}

function expoOpts(om: OutMetric): { maxSize: number; maxScale: number } {
  const agg = om.view.aggregation;
  return agg.type === 'expo' ? { maxSize: agg.maxSize, maxScale: agg.maxScale } : { maxSize: 160, maxScale: 20 };
}

function newAcc(om: OutMetric): DistAcc {
  switch (om.outKind) {
    case 'histogram':
      if (om.bounds === undefined) om.bounds = om.lastInBounds ?? DEFAULT_BOUNDARIES;
      return new ExplicitAcc(om.bounds);
    case 'expo':
      return new ExpoAcc(expoOpts(om));
    default:
      return new SummaryAcc();
  }
}

function mergeAcc(into: DistAcc, from: DistAcc): void {
  if (into instanceof ExplicitAcc && from instanceof ExplicitAcc) into.mergeFrom(from);
  else if (into instanceof ExpoAcc && from instanceof ExpoAcc) into.mergeFrom(from);
  else if (into instanceof SummaryAcc && from instanceof SummaryAcc) into.mergeFrom(from);
}

function recordMinMax(om: OutMetric): boolean {
  const agg = om.view.aggregation;
  return agg.type === 'explicit' || agg.type === 'expo' ? agg.recordMinMax : true;
}

function pushDist(
  om: OutMetric,
  kind: OutKind,
  acc: DistAcc,
  attrs: KeyValue[],
  start: bigint,
  time: bigint,
  histPoints: HistogramDataPoint[],
  expoPoints: ExponentialHistogramDataPoint[],
  summaryPoints: SummaryDataPoint[],
): void {
  const mm = recordMinMax(om);
  if (kind === 'histogram' && acc instanceof ExplicitAcc) {
    const p: HistogramDataPoint = {
      attributes: attrs,
      startTimeUnixNano: start,
      timeUnixNano: time,
      count: BigInt(acc.count),
      bucketCounts: Array.from(acc.counts, (c) => BigInt(c)),
      explicitBounds: acc.bounds.slice(),
      exemplars: [],
      flags: 0,
    };
    if (acc.hasSum) p.sum = acc.sum;
    if (mm && acc.minMaxKnown && !acc.empty && acc.count > 0) {
      p.min = acc.min;
      p.max = acc.max;
    }
    histPoints.push(p);
  } else if (kind === 'expo' && acc instanceof ExpoAcc) {
    const p = acc.h.toDataPoint({ attributes: attrs, startTimeUnixNano: start, timeUnixNano: time });
    if (!acc.hasSum) delete p.sum;
    if (!mm || !acc.minMaxKnown) {
      delete p.min;
      delete p.max;
    }
    expoPoints.push(p);
  } else if (kind === 'summary' && acc instanceof SummaryAcc) {
    summaryPoints.push({
      attributes: attrs,
      startTimeUnixNano: start,
      timeUnixNano: time,
      count: BigInt(acc.count),
      sum: acc.sum,
      quantileValues: [],
      flags: 0,
    });
  }
}

function dualStats(
  stats: readonly DualEmitStat[],
  emitted: DistAcc,
  interval: DistAcc,
  attrs: KeyValue[],
  start: bigint,
  time: bigint,
  add: (stat: DualEmitStat, p: NumberDataPoint) => void,
): void {
  const point = (value: number | bigint, s: bigint): NumberDataPoint => ({
    attributes: attrs,
    startTimeUnixNano: s,
    timeUnixNano: time,
    value,
    exemplars: [],
    flags: 0,
  });
  const count = emitted instanceof ExpoAcc ? emitted.h.count : emitted.count;
  const hasSum = emitted instanceof SummaryAcc ? true : emitted.hasSum;
  const sum = emitted instanceof ExpoAcc ? emitted.h.sum : emitted.sum;
  for (const stat of stats) {
    switch (stat) {
      case 'count':
        add(stat, point(BigInt(count), start));
        break;
      case 'sum':
        if (hasSum) add(stat, point(sum, start));
        break;
      case 'min':
      case 'max': {
        // Gauges over the interval only: cumulative min/max would stop moving.
        if (interval instanceof SummaryAcc || interval.empty || !interval.minMaxKnown) break;
        const v =
          interval instanceof ExpoAcc
            ? stat === 'min'
              ? interval.h.min
              : interval.h.max
            : stat === 'min'
              ? interval.min
              : interval.max;
        if (v !== undefined && Number.isFinite(v)) add(stat, point(v, 0n));
        break;
      }
      default: {
        const never: never = stat;
        throw new Error(`unknown stat ${String(never)}`);
      }
    }
  }
}

// The pull exporter's state: the latest cumulative value of every Prometheus series, grouped
// into families by Prometheus name. Delta sums and histograms are accumulated into cumulative
// ones; series not written for `expirationMs` are forgotten.
import { attrsKey } from '../../metrics/attrs.js';
import type {
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  Metric,
  NumberDataPoint,
  NumberValue,
  Resource,
  SummaryDataPoint,
  ValueAtQuantile,
} from '../../pdata/model.js';
import { AggregationTemporality, DATA_POINT_FLAG_NO_RECORDED_VALUE } from '../../pdata/model.js';
import {
  labelName,
  labelsFromAttributes,
  labelValue,
  metricName,
  type PromNameKind,
  unitWord,
} from '../../prometheus/naming.js';
import { escapeLabelValue } from '../../prometheus/textwrite.js';
import { expoToClassic } from './expo.js';
import { mergeNative, type NativeState, nativeFromPoint } from './native.js';

export type FamilyType = PromNameKind;

/** Why a point was not stored (the `reason` label of the send-failed counter). */
export type PointDropReason =
  | 'invalid_name' // nothing of the metric name is left after sanitizing
  | 'type_conflict' // the Prometheus name already holds a family of another type
  | 'name_conflict' // a name the family would write is written by another family (e.g. gauge x_count vs histogram x)
  | 'series_collision' // another OTLP stream already writes this exact Prometheus series
  | 'unspecified_temporality' // sum/histogram without aggregation temporality
  | 'out_of_order' // older than the value already held
  | 'no_value' // a number point with neither int nor double set
  | 'invalid_histogram' // bucket counts do not match the bounds
  | 'unconvertible'; // an exponential histogram that cannot be mapped to the configured bounds

export type SeriesValue =
  | { readonly kind: 'number'; value: number | bigint }
  | {
      readonly kind: 'histogram';
      bounds: readonly number[];
      /** Per-bucket counts, bounds.length + 1 (the last is the +Inf bucket). */
      counts: bigint[];
      count: bigint;
      sum: number | undefined;
      /** Exponential histograms: the buckets for native histograms. */
      native: NativeState | undefined;
    }
  | { readonly kind: 'summary'; count: bigint; sum: number; quantiles: readonly ValueAtQuantile[] };

export interface Series {
  /** `name="value",...` (escaped, sorted), without braces; '' for no labels. */
  readonly labelText: string;
  /** Identity of the OTLP stream that writes it. */
  readonly sourceKey: string;
  readonly family: Family;
  start: bigint;
  time: bigint;
  updatedMs: number;
  value: SeriesValue;
}

export interface Family {
  /** Prometheus name (for counters with `_total` when suffixes are on, as text 0.0.4 writes it). */
  readonly name: string;
  readonly type: FamilyType;
  help: string;
  /** Prometheus unit word (`seconds`), '' when none. */
  unit: string;
  readonly series: Map<string, Series>;
}

export interface TargetInfo {
  /** The latest attributes of the job/instance's resource. */
  labelText: string;
  updatedMs: number;
}

export interface AccumulatorOptions {
  readonly namespace: string;
  readonly constLabels: Readonly<Record<string, string>>;
  readonly resourceToTelemetry: boolean;
  readonly addMetricSuffixes: boolean;
  readonly expirationMs: number;
  /** Classic bucket bounds for exponential histograms (strictly increasing, finite). */
  readonly expoBounds: readonly number[];
}

export interface IngestResult {
  readonly accepted: number;
  readonly dropped: ReadonlyMap<PointDropReason, number>;
}

/** Names the exporter writes itself. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['target', 'target_info']);

const RESOURCE_IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);

function attr(attrs: readonly KeyValue[], key: string): string {
  for (let i = attrs.length - 1; i >= 0; i--) {
    const kv = attrs[i] as KeyValue;
    if (kv.key === key) return labelValue(kv.value);
  }
  return '';
}

/** `k="v",...` of the labels with a value. Names starting with `__` are reserved to Prometheus
 * (`__name__` among them, which scrapers reject outright): they are left out. */
function labelTextOf(labels: Iterable<readonly [string, string]>): string {
  const parts: string[] = [];
  for (const [k, v] of labels) if (v !== '' && !k.startsWith('__')) parts.push(`${k}="${escapeLabelValue(v)}"`);
  return parts.join(',');
}

/** Labels of a resource and scope, shared by all their points. */
interface Context {
  /** Short interned id of the resource's attribute set. */
  readonly resourceKey: string;
  /** Labels under the point's own attributes (resource attributes when converted). */
  readonly under: ReadonlyArray<readonly [string, string]>;
  /** Labels over the point's attributes (job, instance, scope, const labels). */
  readonly over: ReadonlyArray<readonly [string, string]>;
  readonly scopeKey: string;
}

function kindOf(m: Metric): PromNameKind | undefined {
  const d = m.data;
  if (d === undefined) return undefined;
  switch (d.type) {
    case 'gauge':
      return 'gauge';
    case 'sum':
      return d.isMonotonic ? 'counter' : 'gauge';
    case 'histogram':
    case 'exponentialHistogram':
      return 'histogram';
    case 'summary':
      return 'summary';
    default: {
      const never: never = d;
      throw new Error(`unknown metric data ${String(never)}`);
    }
  }
}

export class Accumulator {
  readonly families = new Map<string, Family>();
  /** job + NUL + instance -> its target_info. */
  readonly targets = new Map<string, TargetInfo>();
  /** Every name a live family writes or declares (both formats) -> that family. */
  private readonly claimed = new Map<string, Family>();
  private readonly bySource = new Map<string, Series>();
  /** Resource attribute-set key -> short id used in series keys (pruned on expiry). */
  private readonly resourceIds = new Map<string, string>();
  private nextResourceId = 0;
  private readonly constLabels: ReadonlyArray<readonly [string, string]>;

  constructor(private readonly opts: AccumulatorOptions) {
    const c: Array<readonly [string, string]> = [];
    for (const [k, v] of Object.entries(opts.constLabels)) {
      const n = labelName(k);
      if (n !== undefined) c.push([n, v]);
    }
    this.constLabels = c;
  }

  /** Number of live series (without target_info). */
  get seriesCount(): number {
    return this.bySource.size;
  }

  ingest(req: ExportMetricsServiceRequest, nowMs: number): IngestResult {
    let accepted = 0;
    const dropped = new Map<PointDropReason, number>();
    const drop = (reason: PointDropReason, n = 1): void => {
      dropped.set(reason, (dropped.get(reason) ?? 0) + n);
    };
    for (const rm of req.resourceMetrics) {
      const resAttrs = rm.resource?.attributes ?? [];
      const { job, instance } = this.noteResource(rm.resource, nowMs);
      const resourceKey = this.resourceId(attrsKey(resAttrs));
      const under = this.opts.resourceToTelemetry ? labelsFromAttributes(resAttrs).labels : [];
      for (const sm of rm.scopeMetrics) {
        const all: Array<readonly [string, string]> = [
          ['job', job],
          ['instance', instance],
          ['otel_scope_name', sm.scope?.name ?? ''],
          ['otel_scope_version', sm.scope?.version ?? ''],
          ...this.constLabels,
        ];
        const over = all.filter((l) => l[1] !== '');
        const ctx: Context = {
          resourceKey,
          under,
          over,
          scopeKey: `${sm.scope?.name ?? ''}\u0000${sm.scope?.version ?? ''}`,
        };
        for (const m of sm.metrics) accepted += this.ingestMetric(ctx, m, nowMs, drop);
      }
    }
    return { accepted, dropped };
  }

  private resourceId(key: string): string {
    let id = this.resourceIds.get(key);
    if (id === undefined) {
      id = (this.nextResourceId++).toString(36);
      this.resourceIds.set(key, id);
    }
    return id;
  }

  private noteResource(resource: Resource | undefined, nowMs: number): { job: string; instance: string } {
    const attrs = resource?.attributes ?? [];
    const name = attr(attrs, 'service.name');
    const ns = attr(attrs, 'service.namespace');
    const job = ns !== '' && name !== '' ? `${ns}/${name}` : name;
    const instance = attr(attrs, 'service.instance.id');
    const rest = attrs.filter((kv) => !RESOURCE_IDENTIFYING.has(kv.key));
    if (rest.length > 0) {
      const labels = new Map<string, string>(labelsFromAttributes(rest).labels);
      labels.set('job', job);
      labels.set('instance', instance);
      for (const [k, v] of this.constLabels) labels.set(k, v);
      const text = labelTextOf([...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
      // At most one target_info per job/instance (the spec's MUST): the latest attributes win.
      const key = `${job}\u0000${instance}`;
      const t = this.targets.get(key);
      if (t === undefined) this.targets.set(key, { labelText: text, updatedMs: nowMs });
      else {
        t.labelText = text;
        t.updatedMs = nowMs;
      }
    }
    return { job, instance };
  }

  private ingestMetric(ctx: Context, m: Metric, nowMs: number, drop: (r: PointDropReason, n?: number) => void): number {
    const d = m.data;
    const kind = kindOf(m);
    if (d === undefined || kind === undefined || d.dataPoints.length === 0) return 0;
    const n = d.dataPoints.length;
    // A non-monotonic sum is a gauge in Prometheus but, as in otlptranslator, never gets `_ratio`.
    const nameKind = d.type === 'sum' && !d.isMonotonic ? 'updowncounter' : kind;
    const name = metricName(m.name, m.unit, nameKind, {
      addSuffixes: this.opts.addMetricSuffixes,
      namespace: this.opts.namespace,
    });
    if (name === undefined) {
      drop('invalid_name', n);
      return 0;
    }
    let fam = this.families.get(name);
    if (fam !== undefined && fam.type !== kind) {
      drop('type_conflict', n);
      return 0;
    }
    if (fam === undefined) {
      const created: Family = { name, type: kind, help: m.description, unit: unitWord(m.unit), series: new Map() };
      const names = familyNames(name, kind);
      if (names.some((x) => this.claimed.has(x) || RESERVED_NAMES.has(x))) {
        drop('name_conflict', n);
        return 0;
      }
      for (const x of names) this.claimed.set(x, created);
      this.families.set(name, created);
      fam = created;
    } else if (m.description.length > fam.help.length) {
      fam.help = m.description;
    }
    const metricKey = `${ctx.resourceKey}\u0001${ctx.scopeKey}\u0001${m.name}\u0001${m.unit}\u0001${d.type}/${kind}\u0001`;
    let accepted = 0;
    switch (d.type) {
      case 'gauge':
      case 'sum': {
        const temporality = d.type === 'sum' ? d.aggregationTemporality : AggregationTemporality.CUMULATIVE;
        if (temporality === AggregationTemporality.UNSPECIFIED) {
          drop('unspecified_temporality', n);
          break;
        }
        const delta = temporality === AggregationTemporality.DELTA;
        for (const p of d.dataPoints) {
          const r = this.numberPoint(ctx, fam, metricKey, p, delta, d.type === 'gauge', nowMs);
          if (r === undefined) accepted++;
          else drop(r);
        }
        break;
      }
      case 'histogram': {
        if (d.aggregationTemporality === AggregationTemporality.UNSPECIFIED) {
          drop('unspecified_temporality', n);
          break;
        }
        const delta = d.aggregationTemporality === AggregationTemporality.DELTA;
        for (const p of d.dataPoints) {
          const r = this.histogramPoint(ctx, fam, metricKey, p, delta, nowMs);
          if (r === undefined) accepted++;
          else drop(r);
        }
        break;
      }
      case 'exponentialHistogram': {
        if (d.aggregationTemporality === AggregationTemporality.UNSPECIFIED) {
          drop('unspecified_temporality', n);
          break;
        }
        const delta = d.aggregationTemporality === AggregationTemporality.DELTA;
        for (const p of d.dataPoints) {
          const r = this.expoPoint(ctx, fam, metricKey, p, delta, nowMs);
          if (r === undefined) accepted++;
          else drop(r);
        }
        break;
      }
      case 'summary':
        for (const p of d.dataPoints) {
          const r = this.summaryPoint(ctx, fam, metricKey, p, nowMs);
          if (r === undefined) accepted++;
          else drop(r);
        }
        break;
      default: {
        const never: never = d;
        throw new Error(`unknown metric data ${String(never)}`);
      }
    }
    if (fam.series.size === 0) this.dropFamily(fam);
    return accepted;
  }

  /**
   * The series a point writes to: found by its OTLP identity, or created. Returns a drop reason
   * when the point's Prometheus series is already written by another stream. A point flagged
   * "no recorded value" removes the series and returns 'stale'.
   */
  private seriesFor(
    ctx: Context,
    fam: Family,
    metricKey: string,
    attrs: readonly KeyValue[],
    flags: number,
    make: () => SeriesValue,
    start: bigint,
    time: bigint,
    nowMs: number,
  ): Series | PointDropReason | 'stale' | 'new' {
    const key = metricKey + attrsKey(attrs);
    const s = this.bySource.get(key);
    if ((flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0) {
      if (s !== undefined) this.remove(s);
      return 'stale';
    }
    if (s !== undefined) return s;
    const labels = new Map<string, string>(ctx.under);
    for (const [k, v] of labelsFromAttributes(attrs).labels) labels.set(k, v);
    for (const [k, v] of ctx.over) labels.set(k, v);
    // The exposition adds these itself.
    if (fam.type === 'histogram') labels.delete('le');
    else if (fam.type === 'summary') labels.delete('quantile');
    const text = labelTextOf([...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    if (fam.series.has(text)) return 'series_collision';
    const created: Series = {
      labelText: text,
      sourceKey: key,
      family: fam,
      start,
      time,
      updatedMs: nowMs,
      value: make(),
    };
    fam.series.set(text, created);
    this.bySource.set(key, created);
    return 'new';
  }

  private remove(s: Series): void {
    this.bySource.delete(s.sourceKey);
    s.family.series.delete(s.labelText);
    if (s.family.series.size === 0) this.dropFamily(s.family);
  }

  private dropFamily(f: Family): void {
    if (this.families.get(f.name) !== f) return;
    this.families.delete(f.name);
    for (const x of familyNames(f.name, f.type)) if (this.claimed.get(x) === f) this.claimed.delete(x);
  }

  private numberPoint(
    ctx: Context,
    fam: Family,
    metricKey: string,
    p: NumberDataPoint,
    delta: boolean,
    isGauge: boolean,
    nowMs: number,
  ): PointDropReason | undefined {
    const v: NumberValue = p.value;
    if (v === undefined && (p.flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) === 0) return 'no_value';
    const value = v ?? 0;
    const s = this.seriesFor(
      ctx,
      fam,
      metricKey,
      p.attributes,
      p.flags,
      () => ({ kind: 'number', value }),
      p.startTimeUnixNano,
      p.timeUnixNano,
      nowMs,
    );
    if (s === 'stale' || s === 'new') return undefined;
    if (typeof s === 'string') return s;
    if (s.value.kind !== 'number') return 'type_conflict';
    const cur = s.value;
    const step = advance(s, p.startTimeUnixNano, p.timeUnixNano, delta && !isGauge);
    switch (step) {
      case 'drop':
        return 'out_of_order';
      case 'add':
        cur.value = addNumbers(cur.value, value);
        break;
      case 'replace':
        cur.value = value;
        break;
      default: {
        const never: never = step;
        throw new Error(`unknown step ${String(never)}`);
      }
    }
    s.updatedMs = nowMs;
    return undefined;
  }

  private histogramPoint(
    ctx: Context,
    fam: Family,
    metricKey: string,
    p: HistogramDataPoint,
    delta: boolean,
    nowMs: number,
  ): PointDropReason | undefined {
    const nb = p.explicitBounds.length;
    const stale = (p.flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0;
    if (!stale && !(p.bucketCounts.length === nb + 1 || (nb === 0 && p.bucketCounts.length === 0))) {
      return 'invalid_histogram';
    }
    for (let i = 0; i < nb; i++) {
      const b = p.explicitBounds[i] as number;
      if (!Number.isFinite(b) || (i > 0 && b <= (p.explicitBounds[i - 1] as number))) return 'invalid_histogram';
    }
    const counts = p.bucketCounts.length === 0 ? [p.count] : [...p.bucketCounts];
    return this.histogramValue(
      ctx,
      fam,
      metricKey,
      p,
      p.explicitBounds,
      counts,
      p.count,
      p.sum,
      undefined,
      delta,
      nowMs,
    );
  }

  private expoPoint(
    ctx: Context,
    fam: Family,
    metricKey: string,
    p: ExponentialHistogramDataPoint,
    delta: boolean,
    nowMs: number,
  ): PointDropReason | undefined {
    const stale = (p.flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0;
    const bounds = this.opts.expoBounds;
    const counts = stale ? new Array<bigint>(bounds.length + 1).fill(0n) : expoToClassic(p, bounds);
    if (counts === undefined) return 'unconvertible';
    const native = stale ? undefined : nativeFromPoint(p);
    return this.histogramValue(ctx, fam, metricKey, p, bounds, counts, p.count, p.sum, native, delta, nowMs);
  }

  private histogramValue(
    ctx: Context,
    fam: Family,
    metricKey: string,
    p: { attributes: KeyValue[]; flags: number; startTimeUnixNano: bigint; timeUnixNano: bigint },
    bounds: readonly number[],
    counts: bigint[],
    count: bigint,
    sum: number | undefined,
    native: NativeState | undefined,
    delta: boolean,
    nowMs: number,
  ): PointDropReason | undefined {
    const s = this.seriesFor(
      ctx,
      fam,
      metricKey,
      p.attributes,
      p.flags,
      () => ({ kind: 'histogram', bounds, counts, count, sum, native }),
      p.startTimeUnixNano,
      p.timeUnixNano,
      nowMs,
    );
    if (s === 'stale' || s === 'new') return undefined;
    if (typeof s === 'string') return s;
    const h = s.value;
    if (h.kind !== 'histogram') return 'type_conflict';
    let step = advance(s, p.startTimeUnixNano, p.timeUnixNano, delta);
    if (step === 'add' && !sameBounds(h.bounds, bounds)) {
      // New bounds: the sum restarts at this point, which starts a new series life.
      step = 'replace';
      if (p.startTimeUnixNano !== 0n) s.start = p.startTimeUnixNano;
    }
    switch (step) {
      case 'drop':
        return 'out_of_order';
      case 'add':
        for (let i = 0; i < counts.length; i++) h.counts[i] = (h.counts[i] as bigint) + (counts[i] as bigint);
        h.count += count;
        h.sum = h.sum === undefined || sum === undefined ? undefined : h.sum + sum;
        if (h.native !== undefined && native !== undefined) mergeNative(h.native, native);
        else h.native = undefined;
        break;
      case 'replace':
        h.bounds = bounds;
        h.counts = counts;
        h.count = count;
        h.sum = sum;
        h.native = native;
        break;
      default: {
        const never: never = step;
        throw new Error(`unknown step ${String(never)}`);
      }
    }
    s.updatedMs = nowMs;
    return undefined;
  }

  private summaryPoint(
    ctx: Context,
    fam: Family,
    metricKey: string,
    p: SummaryDataPoint,
    nowMs: number,
  ): PointDropReason | undefined {
    const s = this.seriesFor(
      ctx,
      fam,
      metricKey,
      p.attributes,
      p.flags,
      () => ({ kind: 'summary', count: p.count, sum: p.sum, quantiles: p.quantileValues }),
      p.startTimeUnixNano,
      p.timeUnixNano,
      nowMs,
    );
    if (s === 'stale' || s === 'new') return undefined;
    if (typeof s === 'string') return s;
    const v = s.value;
    if (v.kind !== 'summary') return 'type_conflict';
    if (advance(s, p.startTimeUnixNano, p.timeUnixNano, false) === 'drop') return 'out_of_order';
    v.count = p.count;
    v.sum = p.sum;
    v.quantiles = p.quantileValues;
    s.updatedMs = nowMs;
    return undefined;
  }

  /** Forget series and targets not written for longer than the expiration; returns how many series went. */
  expire(nowMs: number): number {
    const limit = nowMs - this.opts.expirationMs;
    let n = 0;
    for (const s of this.bySource.values()) {
      if (s.updatedMs < limit) {
        this.remove(s);
        n++;
      }
    }
    for (const [k, t] of this.targets) if (t.updatedMs < limit) this.targets.delete(k);
    if (n > 0) {
      const used = new Set<string>();
      for (const s of this.bySource.values()) used.add(s.sourceKey.slice(0, s.sourceKey.indexOf('\u0001')));
      for (const [k, id] of this.resourceIds) if (!used.has(id)) this.resourceIds.delete(k);
    }
    return n;
  }
}

/** Names a family declares or writes in either format: TYPE names and sample names. */
export function familyNames(name: string, type: FamilyType): string[] {
  switch (type) {
    case 'gauge':
      return [name];
    case 'counter': {
      const base = name.endsWith('_total') ? name.slice(0, -6) : name;
      return [base, `${base}_total`, `${base}_created`];
    }
    case 'histogram':
      return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`, `${name}_created`];
    case 'summary':
      return [name, `${name}_sum`, `${name}_count`, `${name}_created`];
    default: {
      const never: never = type;
      throw new Error(`unknown family type ${String(never)}`);
    }
  }
}

type Step = 'add' | 'replace' | 'drop';

/**
 * How a point combines with the series' state, updating its start/time.
 * Cumulative (and gauges): a point older than the one held is dropped, otherwise it replaces it
 * (a new start time is a reset). Delta: a point that starts where the last one ended (or carries
 * no start) is added; one that ends at or before the held time is dropped; any other (a gap or
 * an overlap) restarts the sum from that point.
 */
function advance(s: Series, start: bigint, time: bigint, delta: boolean): Step {
  if (!delta) {
    if (time < s.time) return 'drop';
    s.start = start;
    s.time = time;
    return 'replace';
  }
  if (time <= s.time && time !== 0n) return 'drop';
  if (start === s.time || start === 0n) {
    s.time = time;
    return 'add';
  }
  s.start = start;
  s.time = time;
  return 'replace';
}

function addNumbers(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a + b;
  return Number(a) + Number(b);
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// OTLP metrics -> remote write series. Names and labels follow src/prometheus/naming.ts (the
// otlptranslator rules); samples of a series are sorted by time; points flagged "no recorded
// value" become staleness markers; delta sums and histograms are dropped and counted.
import type {
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  Metric,
  NumberDataPoint,
  Resource,
  SummaryDataPoint,
} from '../../pdata/model.js';
import { AggregationTemporality, DATA_POINT_FLAG_NO_RECORDED_VALUE } from '../../pdata/model.js';
import {
  labelName,
  labelsFromAttributes,
  labelValue,
  metricName,
  type NameKind,
  unitWord,
} from '../../prometheus/naming.js';
import {
  type Exemplar,
  type Histogram,
  type Label,
  type MetricMetadata,
  MetricType,
  ResetHint,
  type Sample,
  type SampleV2,
  STALE_NAN,
} from '../../prometheus/remotewrite/proto.js';
import { nativeFromPoint, renderNative } from '../prometheus/native.js';

export type DropReason = 'delta_temporality' | 'invalid_name' | 'unsupported_scale' | 'missing_sum';

export interface TranslateOptions {
  readonly namespace: string;
  readonly addSuffixes: boolean;
  readonly externalLabels: readonly Label[];
  readonly resourceToTelemetry: boolean;
  readonly targetInfo: boolean;
  readonly exportCreated: boolean;
  readonly sendMetadata: boolean;
  /** native: exponential histograms as native histograms; classic: `_bucket` series at `classicBounds`. */
  readonly expoMode: 'native' | 'classic';
  readonly classicBounds: readonly number[];
  /** Series identities remembered per OTLP attribute array (see {@link SeriesMemo}). */
  readonly memo?: SeriesMemo;
}

/** A series' final labels, their canonical key and (once encoded) their protobuf bytes. */
export interface SeriesId {
  /** Emptied once `bytes` are set by a remote write 1.0 encoder, which needs only the bytes. */
  labels: Label[];
  bytes: Buffer | undefined;
}

interface MemoEntry {
  /** The metric name the entry is for. */
  readonly name: string;
  /** Resource + scope labels the identities were built with (interned: compared by identity). */
  readonly base: string;
  /** Histogram bounds / summary quantiles the slots stand for. */
  readonly shape: readonly number[];
  readonly ids: (SeriesId | undefined)[];
}

/**
 * Series identities remembered by OTLP attribute array identity, then metric name. A receiver that
 * keeps one attribute array per series across batches (the `prometheus` receiver does: series
 * repeat every scrape) lets every later point skip building, sanitizing, sorting and encoding its
 * labels. Entries live as long as the arrays do (a WeakMap); other inputs simply miss.
 */
export class SeriesMemo {
  /** Most attribute arrays belong to one metric: their entry is held directly, a Map only beyond. */
  private readonly byAttrs = new WeakMap<readonly KeyValue[], MemoEntry | Map<string, MemoEntry>>();
  private readonly bases = new Map<string, string>();
  hits = 0;
  misses = 0;

  /** The one string object for this resource + scope label text. */
  intern(base: string): string {
    const had = this.bases.get(base);
    if (had !== undefined) return had;
    if (this.bases.size >= 10_000) this.bases.clear();
    this.bases.set(base, base);
    return base;
  }

  entry(attrs: readonly KeyValue[], name: string, base: string, shape: readonly number[]): MemoEntry {
    const held = this.byAttrs.get(attrs);
    const e =
      held === undefined ? undefined : held instanceof Map ? held.get(name) : held.name === name ? held : undefined;
    if (e !== undefined && e.base === base && sameShape(e.shape, shape)) return e;
    const fresh: MemoEntry = { name, base, shape: shape.length === 0 ? NO_SHAPE : [...shape], ids: [] };
    if (held === undefined || (!(held instanceof Map) && held.name === name)) this.byAttrs.set(attrs, fresh);
    else if (held instanceof Map) held.set(name, fresh);
    else
      this.byAttrs.set(
        attrs,
        new Map([
          [held.name, held],
          [name, fresh],
        ]),
      );
    return fresh;
  }
}

const NO_SHAPE: readonly number[] = [];

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Where a point's series are remembered (undefined without a memo). */
type Slots = MemoEntry | undefined;

export interface OutSeries {
  readonly labels: Label[];
  /** Set when the series came from a {@link SeriesMemo}: its encoded labels live there. */
  readonly id: SeriesId | undefined;
  readonly samples: Sample[];
  /** Shared empty arrays until something is added (most series have neither). */
  histograms: Histogram[];
  exemplars: Exemplar[];
  /** OTLP points this series carries (for accounting of partial failures). */
  points: number;
}

const NO_HISTOGRAMS: Histogram[] = [];
const NO_EXEMPLARS: Exemplar[] = [];

function newSeries(labels: Label[], id: SeriesId | undefined): OutSeries {
  return { labels, id, samples: [], histograms: NO_HISTOGRAMS, exemplars: NO_EXEMPLARS, points: 0 };
}

function fill(
  s: OutSeries,
  sample: Sample | undefined,
  hist: Histogram | undefined,
  exemplars: readonly Exemplar[],
  points: number,
): void {
  if (sample !== undefined) s.samples.push(sample);
  if (hist !== undefined) {
    if (s.histograms === NO_HISTOGRAMS) s.histograms = [];
    s.histograms.push(hist);
  }
  if (exemplars.length > 0) {
    if (s.exemplars === NO_EXEMPLARS) s.exemplars = [];
    for (const e of exemplars) s.exemplars.push(e);
  }
  s.points += points;
}

export interface Translation {
  /** Keyed by the series' label text, or by its remembered identity (SeriesMemo); each holds
   * samples in time order. */
  readonly series: Map<string | SeriesId, OutSeries>;
  readonly metadata: MetricMetadata[];
  /** OTLP points dropped, by reason. */
  readonly dropped: Map<DropReason, number>;
}

const SEP = '\xff';

let lastNanos = -1n;
let lastMs = 0;

/** Milliseconds of a nanosecond time. Points of one scrape share their time: the last
 * conversion is kept, so most points cost a comparison instead of a bigint division. */
function msOf(nanos: bigint): number {
  if (nanos === lastNanos) return lastMs;
  lastNanos = nanos;
  lastMs = Number(nanos / 1_000_000n);
  return lastMs;
}

function num(v: number | bigint | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'bigint' ? Number(v) : v;
}

function attr(attrs: readonly KeyValue[] | undefined, key: string): string | undefined {
  if (attrs === undefined) return undefined;
  for (const kv of attrs) if (kv.key === key) return labelValue(kv.value);
  return undefined;
}

/** Format a bound as Go's FormatFloat(b, 'f', -1) would (no exponent). */
export function formatLe(b: number): string {
  if (b === Number.POSITIVE_INFINITY) return '+Inf';
  if (b === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(b)) return 'NaN';
  const s = String(b);
  if (!s.includes('e')) return s;
  // Shortest round-trip digits with the decimal point moved by the exponent (no rounding: a
  // fixed number of fraction digits would print every bound below 1e-20 as "0").
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const point = 1 + Number(m[4]);
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? `${digits}${'0'.repeat(point - digits.length)}`
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${m[1]}${body}`;
}

class Builder {
  readonly series = new Map<string | SeriesId, OutSeries>();
  /** Key of the series {@link add} last added to. */
  private lastKey = '';
  readonly metadata: MetricMetadata[] = [];
  readonly dropped = new Map<DropReason, number>();
  private readonly seenMeta = new Set<string>();

  constructor(private readonly o: TranslateOptions) {}

  drop(reason: DropReason, n = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + n);
  }

  meta(name: string, type: number, m: Metric): void {
    if (!this.o.sendMetadata || this.seenMeta.has(name)) return;
    this.seenMeta.add(name);
    this.metadata.push({ type, metricFamilyName: name, help: m.description, unit: unitWord(m.unit) });
  }

  /** Merge base labels (resource + scope + point attributes, sorted) with name and extras. */
  add(
    name: string,
    base: readonly (readonly [string, string])[],
    extra: readonly (readonly [string, string])[],
    sample: Sample | undefined,
    hist: Histogram | undefined,
    exemplars: readonly Exemplar[] = [],
    points = 0,
  ): OutSeries {
    const m = new Map<string, string>();
    for (const [k, v] of base) m.set(k, v);
    for (const [k, v] of extra) m.set(k, v);
    for (const l of this.o.externalLabels) if (!m.has(l.name)) m.set(l.name, l.value);
    m.set('__name__', name);
    const labels: Label[] = [];
    for (const [k, v] of m) if (v !== '') labels.push({ name: k, value: v });
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let key = '';
    for (const l of labels) key += `${l.name}${SEP}${l.value}${SEP}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = newSeries(labels, undefined);
      this.series.set(key, s);
    }
    fill(s, sample, hist, exemplars, points);
    this.lastKey = key;
    return s;
  }

  /** Like {@link add}, through slot `slot` of a remembered point: a known series skips label
   * building; a new one is built once and remembered. `labels` is only called on a miss. */
  addAt(
    slots: Slots,
    slot: number,
    name: string,
    labels: () => readonly (readonly [string, string])[],
    extra: readonly (readonly [string, string])[],
    sample: Sample | undefined,
    hist: Histogram | undefined,
    exemplars: readonly Exemplar[] = [],
    points = 0,
  ): void {
    const memo = this.o.memo;
    if (slots === undefined || memo === undefined) {
      this.add(name, labels(), extra, sample, hist, exemplars, points);
      return;
    }
    let id = slots.ids[slot];
    let s: OutSeries | undefined;
    if (id === undefined) {
      memo.misses++;
      s = this.add(name, labels(), extra, sample, hist, exemplars, points);
      id = { labels: s.labels, bytes: undefined };
      slots.ids[slot] = id;
      // From now on the series is found by its identity.
      this.series.delete(this.lastKey);
      this.series.set(id, { ...s, id });
      return;
    }
    memo.hits++;
    s = this.series.get(id);
    if (s === undefined) {
      s = newSeries(id.labels, id);
      this.series.set(id, s);
    }
    fill(s, sample, hist, exemplars, points);
  }
}

function slotsFor(o: TranslateOptions, base: Base, attrs: readonly KeyValue[], name: string, shape = NO_SHAPE): Slots {
  const memo = o.memo;
  if (memo === undefined || base.key === undefined) return undefined;
  return memo.entry(attrs, name, base.key, shape);
}

function resourceLabels(res: Resource | undefined, o: TranslateOptions): Array<readonly [string, string]> {
  const attrs = res?.attributes ?? [];
  const out: Array<readonly [string, string]> = o.resourceToTelemetry ? [...labelsFromAttributes(attrs).labels] : [];
  const svc = attr(attrs, 'service.name');
  const ns = attr(attrs, 'service.namespace');
  const inst = attr(attrs, 'service.instance.id');
  const job = svc === undefined ? undefined : ns !== undefined && ns !== '' ? `${ns}/${svc}` : svc;
  const filtered = out.filter(([k]) => k !== 'job' && k !== 'instance');
  if (job !== undefined) filtered.push(['job', job]);
  if (inst !== undefined) filtered.push(['instance', inst]);
  return filtered;
}

const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);

function exemplarsOf(
  list: readonly {
    filteredAttributes: KeyValue[];
    timeUnixNano: bigint;
    value: number | bigint | undefined;
    traceId: Uint8Array;
    spanId: Uint8Array;
  }[],
): Exemplar[] {
  if (list.length === 0) return NO_EXEMPLARS;
  const out: Exemplar[] = [];
  for (const e of list) {
    const labels: Label[] = [];
    for (const [k, v] of labelsFromAttributes(e.filteredAttributes).labels) {
      if (k !== 'trace_id' && k !== 'span_id' && v !== '') labels.push({ name: k, value: v });
    }
    if (e.traceId.length > 0) labels.push({ name: 'trace_id', value: Buffer.from(e.traceId).toString('hex') });
    if (e.spanId.length > 0) labels.push({ name: 'span_id', value: Buffer.from(e.spanId).toString('hex') });
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    out.push({ labels, value: num(e.value), timestampMs: msOf(e.timeUnixNano) });
  }
  return out;
}

function isStale(flags: number): boolean {
  return (flags & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0;
}

function pointLabels(
  res: readonly (readonly [string, string])[],
  scope: readonly (readonly [string, string])[],
  attrs: readonly KeyValue[],
): Array<readonly [string, string]> {
  return [...res, ...scope, ...labelsFromAttributes(attrs).labels];
}

function numberPoints(
  b: Builder,
  name: string,
  pts: readonly NumberDataPoint[],
  base: Base,
  created: boolean,
  counter: boolean,
  o: TranslateOptions,
): void {
  for (const p of pts) {
    const slots = slotsFor(o, base, p.attributes, name);
    const labels = () => pointLabels(base.res, base.scope, p.attributes);
    const ts = msOf(p.timeUnixNano);
    const v = isStale(p.flags) ? STALE_NAN : num(p.value);
    // Counters carry their start time (written by remote write 2.0 only).
    const sample: SampleV2 = {
      value: v,
      timestampMs: ts,
      startTimestampMs: counter && p.startTimeUnixNano > 0n ? msOf(p.startTimeUnixNano) : 0,
    };
    b.addAt(slots, 0, name, labels, [], sample, undefined, exemplarsOf(p.exemplars), 1);
    if (created && p.startTimeUnixNano > 0n && !isStale(p.flags)) {
      b.addAt(
        slots,
        1,
        createdName(name),
        labels,
        [],
        { value: Number(p.startTimeUnixNano / 1_000_000n) / 1000, timestampMs: ts },
        undefined,
      );
    }
  }
}

function createdName(name: string): string {
  return `${name.endsWith('_total') ? name.slice(0, -'_total'.length) : name}_created`;
}

interface Base {
  readonly res: readonly (readonly [string, string])[];
  readonly scope: readonly (readonly [string, string])[];
  /** Interned text of res + scope (with a memo only). */
  readonly key: string | undefined;
}

function histogramPoints(
  b: Builder,
  name: string,
  pts: readonly HistogramDataPoint[],
  base: Base,
  created: boolean,
  o: TranslateOptions,
): void {
  for (const p of pts) {
    const n = p.explicitBounds.length;
    // Slots: buckets 0..n, then _sum, _count, _created.
    const slots = slotsFor(o, base, p.attributes, name, p.explicitBounds);
    const labels = () => pointLabels(base.res, base.scope, p.attributes);
    const ts = msOf(p.timeUnixNano);
    const stale = isStale(p.flags);
    let cum = 0n;
    const bucket = `${name}_bucket`;
    for (let i = 0; i <= n; i++) {
      cum += p.bucketCounts[i] ?? 0n;
      const v = stale ? STALE_NAN : i < n ? Number(cum) : Number(p.count);
      const known = slots?.ids[i] !== undefined;
      const le: readonly (readonly [string, string])[] = known
        ? []
        : [['le', i < n ? formatLe(p.explicitBounds[i] as number) : '+Inf']];
      b.addAt(slots, i, bucket, labels, le, { value: v, timestampMs: ts }, undefined);
    }
    if (p.sum !== undefined || stale) {
      b.addAt(
        slots,
        n + 1,
        `${name}_sum`,
        labels,
        [],
        { value: stale ? STALE_NAN : (p.sum ?? 0), timestampMs: ts },
        undefined,
      );
    }
    b.addAt(
      slots,
      n + 2,
      `${name}_count`,
      labels,
      [],
      { value: stale ? STALE_NAN : Number(p.count), timestampMs: ts },
      undefined,
      exemplarsOf(p.exemplars),
      1,
    );
    if (created && p.startTimeUnixNano > 0n && !stale) {
      b.addAt(
        slots,
        n + 3,
        `${name}_created`,
        labels,
        [],
        { value: Number(p.startTimeUnixNano / 1_000_000n) / 1000, timestampMs: ts },
        undefined,
      );
    }
  }
}

function summaryPoints(
  b: Builder,
  name: string,
  pts: readonly SummaryDataPoint[],
  base: Base,
  created: boolean,
  o: TranslateOptions,
): void {
  for (const p of pts) {
    const q = p.quantileValues.length;
    // Slots: quantiles 0..q-1, then _sum, _count, _created.
    const slots = slotsFor(
      o,
      base,
      p.attributes,
      name,
      p.quantileValues.map((x) => x.quantile),
    );
    const labels = () => pointLabels(base.res, base.scope, p.attributes);
    const ts = msOf(p.timeUnixNano);
    const stale = isStale(p.flags);
    for (let i = 0; i < q; i++) {
      const qv = p.quantileValues[i] as SummaryDataPoint['quantileValues'][number];
      b.addAt(
        slots,
        i,
        name,
        labels,
        [['quantile', formatLe(qv.quantile)]],
        { value: stale ? STALE_NAN : qv.value, timestampMs: ts },
        undefined,
      );
    }
    b.addAt(slots, q, `${name}_sum`, labels, [], { value: stale ? STALE_NAN : p.sum, timestampMs: ts }, undefined);
    b.addAt(
      slots,
      q + 1,
      `${name}_count`,
      labels,
      [],
      { value: stale ? STALE_NAN : Number(p.count), timestampMs: ts },
      undefined,
      [],
      1,
    );
    if (created && p.startTimeUnixNano > 0n && !stale) {
      b.addAt(
        slots,
        q + 2,
        `${name}_created`,
        labels,
        [],
        { value: Number(p.startTimeUnixNano / 1_000_000n) / 1000, timestampMs: ts },
        undefined,
      );
    }
  }
}

/** Upper boundary of OTel exponential bucket `index` at `scale`. */
function expoUpper(index: number, scale: number): number {
  return 2 ** ((index + 1) * 2 ** -scale);
}

function expoPoints(
  b: Builder,
  name: string,
  pts: readonly ExponentialHistogramDataPoint[],
  base: Base,
  o: TranslateOptions,
): void {
  for (const p of pts) {
    const labels = pointLabels(base.res, base.scope, p.attributes);
    const ts = msOf(p.timeUnixNano);
    const stale = isStale(p.flags);
    if (o.expoMode === 'native') {
      if (stale) {
        b.add(name, labels, [], undefined, staleHistogram(ts), exemplarsOf(p.exemplars), 1);
        continue;
      }
      if (p.sum === undefined) {
        b.drop('missing_sum');
        continue;
      }
      const r = renderNative(nativeFromPoint(p));
      if (r === undefined) {
        b.drop('unsupported_scale');
        continue;
      }
      b.add(
        name,
        labels,
        [],
        undefined,
        {
          count: { kind: 'int', value: p.count },
          sum: p.sum,
          schema: r.schema,
          zeroThreshold: r.zeroThreshold,
          zeroCount: { kind: 'int', value: r.zeroCount },
          negativeSpans: r.negative.spans,
          negativeDeltas: r.negative.deltas,
          negativeCounts: [],
          positiveSpans: r.positive.spans,
          positiveDeltas: r.positive.deltas,
          positiveCounts: [],
          resetHint: ResetHint.UNKNOWN,
          timestampMs: ts,
        },
        exemplarsOf(p.exemplars),
        1,
      );
      continue;
    }
    // Classic: every observation at or below a bound is counted in that bound's bucket. Positive
    // exponential buckets go to the first bound at or above their upper boundary; negative
    // buckets and the zero bucket to the first bound at or above 0 (their values are <= 0)
    // when such a bound exists.
    const bounds = o.classicBounds;
    const perBound = new Array<number>(bounds.length + 1).fill(0);
    const place = (upper: number, c: number): void => {
      let i = 0;
      while (i < bounds.length && (bounds[i] as number) < upper) i++;
      perBound[i] = (perBound[i] as number) + c;
    };
    place(0, Number(p.zeroCount));
    if (p.negative !== undefined) for (const c of p.negative.bucketCounts) place(0, Number(c));
    if (p.positive !== undefined) {
      for (let i = 0; i < p.positive.bucketCounts.length; i++) {
        place(expoUpper(p.positive.offset + i, p.scale), Number(p.positive.bucketCounts[i]));
      }
    }
    let cum = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cum += perBound[i] as number;
      const le = i < bounds.length ? formatLe(bounds[i] as number) : '+Inf';
      const v = stale ? STALE_NAN : i < bounds.length ? cum : Number(p.count);
      b.add(`${name}_bucket`, labels, [['le', le]], { value: v, timestampMs: ts }, undefined);
    }
    if (p.sum !== undefined || stale) {
      b.add(`${name}_sum`, labels, [], { value: stale ? STALE_NAN : (p.sum ?? 0), timestampMs: ts }, undefined);
    }
    b.add(
      `${name}_count`,
      labels,
      [],
      { value: stale ? STALE_NAN : Number(p.count), timestampMs: ts },
      undefined,
      [],
      1,
    );
  }
}

function staleHistogram(ts: number): Histogram {
  return {
    count: { kind: 'int', value: 0n },
    sum: STALE_NAN,
    schema: 0,
    zeroThreshold: 0,
    zeroCount: { kind: 'int', value: 0n },
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [],
    positiveDeltas: [],
    positiveCounts: [],
    resetHint: ResetHint.UNKNOWN,
    timestampMs: ts,
  };
}

function pointCount(m: Metric): number {
  const d = m.data;
  return d === undefined ? 0 : d.dataPoints.length;
}

function nameFor(m: Metric, kind: NameKind, o: TranslateOptions): string | undefined {
  return metricName(m.name, m.unit, kind, {
    addSuffixes: o.addSuffixes,
    ...(o.namespace === '' ? {} : { namespace: o.namespace }),
  });
}

/** Translate one OTLP request into series (samples sorted by time) and metadata. */
export function translate(req: ExportMetricsServiceRequest, o: TranslateOptions, nowMs: number): Translation {
  const b = new Builder(o);
  for (const rm of req.resourceMetrics) {
    const res = resourceLabels(rm.resource, o);
    if (o.targetInfo) {
      const extra = (rm.resource?.attributes ?? []).filter((kv) => !IDENTIFYING.has(kv.key));
      if (extra.length > 0) {
        const tl = labelsFromAttributes(extra).labels.filter(([k]) => k !== 'job' && k !== 'instance');
        let latest = 0n;
        for (const sm of rm.scopeMetrics) {
          for (const m of sm.metrics)
            for (const p of m.data?.dataPoints ?? []) if (p.timeUnixNano > latest) latest = p.timeUnixNano;
        }
        const name =
          o.namespace === ''
            ? 'target_info'
            : `${metricName(o.namespace, '', 'gauge', { addSuffixes: false })}_target_info`;
        b.add(name, [...tl, ...res], [], { value: 1, timestampMs: latest > 0n ? msOf(latest) : nowMs }, undefined);
      }
    }
    for (const sm of rm.scopeMetrics) {
      const scope: Array<readonly [string, string]> = [];
      if (sm.scope !== undefined) {
        if (sm.scope.name !== '') scope.push(['otel_scope_name', sm.scope.name]);
        if (sm.scope.version !== '') scope.push(['otel_scope_version', sm.scope.version]);
        for (const [k, v] of labelsFromAttributes(sm.scope.attributes).labels) {
          const ln = labelName(`otel_scope_${k}`);
          if (ln !== undefined && ln !== 'otel_scope_name' && ln !== 'otel_scope_version') scope.push([ln, v]);
        }
      }
      let key: string | undefined;
      if (o.memo !== undefined) {
        let text = '';
        for (const [k, v] of res) text += `${k}${SEP}${v}${SEP}`;
        text += SEP;
        for (const [k, v] of scope) text += `${k}${SEP}${v}${SEP}`;
        key = o.memo.intern(text);
      }
      const base: Base = { res, scope, key };
      for (const m of sm.metrics) {
        const d = m.data;
        if (d === undefined) continue;
        switch (d.type) {
          case 'gauge': {
            const name = nameFor(m, 'gauge', o);
            if (name === undefined) {
              b.drop('invalid_name', pointCount(m));
              break;
            }
            b.meta(name, MetricType.GAUGE, m);
            numberPoints(b, name, d.dataPoints, base, false, false, o);
            break;
          }
          case 'sum': {
            if (d.aggregationTemporality !== AggregationTemporality.CUMULATIVE) {
              b.drop('delta_temporality', pointCount(m));
              break;
            }
            const kind: NameKind = d.isMonotonic ? 'counter' : 'updowncounter';
            const name = nameFor(m, kind, o);
            if (name === undefined) {
              b.drop('invalid_name', pointCount(m));
              break;
            }
            b.meta(name, d.isMonotonic ? MetricType.COUNTER : MetricType.GAUGE, m);
            numberPoints(b, name, d.dataPoints, base, d.isMonotonic && o.exportCreated, d.isMonotonic, o);
            break;
          }
          case 'histogram': {
            if (d.aggregationTemporality !== AggregationTemporality.CUMULATIVE) {
              b.drop('delta_temporality', pointCount(m));
              break;
            }
            const name = nameFor(m, 'histogram', o);
            if (name === undefined) {
              b.drop('invalid_name', pointCount(m));
              break;
            }
            b.meta(name, MetricType.HISTOGRAM, m);
            histogramPoints(b, name, d.dataPoints, base, o.exportCreated, o);
            break;
          }
          case 'exponentialHistogram': {
            if (d.aggregationTemporality !== AggregationTemporality.CUMULATIVE) {
              b.drop('delta_temporality', pointCount(m));
              break;
            }
            const name = nameFor(m, 'histogram', o);
            if (name === undefined) {
              b.drop('invalid_name', pointCount(m));
              break;
            }
            b.meta(name, MetricType.HISTOGRAM, m);
            expoPoints(b, name, d.dataPoints, base, o);
            break;
          }
          case 'summary': {
            const name = nameFor(m, 'summary', o);
            if (name === undefined) {
              b.drop('invalid_name', pointCount(m));
              break;
            }
            b.meta(name, MetricType.SUMMARY, m);
            summaryPoints(b, name, d.dataPoints, base, o.exportCreated, o);
            break;
          }
          default: {
            const never: never = d;
            void never;
          }
        }
      }
    }
  }
  // Time order within each series; equal timestamps keep the last value only.
  for (const s of b.series.values()) {
    if (s.samples.length > 1) dedupe(s.samples);
    if (s.histograms.length > 1) dedupe(s.histograms);
  }
  return { series: b.series, metadata: b.metadata, dropped: b.dropped };
}

function dedupe<T extends { readonly timestampMs: number }>(xs: T[]): void {
  const sorted = xs
    .map((x, i) => [x, i] as const)
    .sort((a, b) => a[0].timestampMs - b[0].timestampMs || a[1] - b[1])
    .map(([x]) => x);
  const out: T[] = [];
  for (const x of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.timestampMs === x.timestampMs) out[out.length - 1] = x;
    else out.push(x);
  }
  xs.length = 0;
  xs.push(...out);
}

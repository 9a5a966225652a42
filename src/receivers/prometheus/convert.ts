// One target's scraped samples -> OTLP metrics: label handling (honor_labels, metric relabeling,
// limits), family -> metric conversion, start times and resets, and staleness markers for series
// that disappear. State is per target and holds only the series of the last successful scrape.

import {
  AggregationTemporality,
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type HistogramDataPoint,
  type KeyValue,
  type Metric,
  type NumberDataPoint,
  type SummaryDataPoint,
} from '../../pdata/model.js';
import { unitFromWord } from '../../prometheus/naming.js';
import type { RelabelConfig } from '../../prometheus/relabel.js';
import { relabel } from '../../prometheus/relabel.js';
import type { Label, MetricFamily, MetricType as PromType } from '../../prometheus/textparse.js';
import type { ScrapeFailure } from './http.js';

/** Why a scraped sample did not become (part of) a data point. */
export type DropReason =
  | 'metric_relabel'
  | 'unsupported_type'
  | 'histogram_without_count'
  | 'summary_without_count'
  | 'invalid_histogram'
  | 'duplicate_series';

export interface ScrapeSettings {
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly metricRelabel: readonly RelabelConfig[];
  readonly sampleLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly externalLabels: Readonly<Record<string, string>>;
}

export type AppendResult =
  | {
      readonly ok: true;
      readonly metrics: Metric[];
      /** Labels of a `target_info` family, for the resource. */
      readonly resourceAttrs: KeyValue[];
      readonly scraped: number;
      readonly postRelabel: number;
      readonly seriesAdded: number;
      readonly staleMarked: number;
      readonly drops: ReadonlyMap<DropReason, number>;
    }
  | {
      readonly ok: false;
      readonly reason: ScrapeFailure;
      readonly message: string;
      readonly scraped: number;
    };

type Kind = 'gauge' | 'sum' | 'monotonic_sum' | 'histogram' | 'summary';

interface SeriesState {
  readonly metric: string;
  readonly kind: Kind;
  readonly attrs: KeyValue[];
  readonly description: string;
  readonly unit: string;
  readonly promType: PromType;
  startNs: bigint;
  /** Value (sums) or count (histograms, summaries) at the last scrape, for reset detection. */
  last: number;
  createdMs: number | undefined;
  epoch: number;
  /** The last sample carried its own timestamp: Prometheus tracks no staleness for such series. */
  explicitTs: boolean;
}

interface Proc {
  readonly name: string;
  readonly suffix: string;
  readonly labels: Label[];
  readonly value: number;
  readonly timestampMs: number | undefined;
  readonly pre: Prepared;
}

/** A histogram or summary part's series labels (without `drop`), their key and the dropped
 * label's value as a number, computed once per scraped series. */
function groupOf(p: Proc, drop: 'le' | 'quantile' | undefined): NonNullable<Prepared['group']> {
  let g = p.pre.group;
  if (g === undefined) {
    const cut = drop === undefined ? undefined : p.labels.find((l) => l[0] === drop);
    const labels = cut === undefined ? p.labels : p.labels.filter((l) => l[0] !== drop);
    let bound: number | undefined;
    if (cut !== undefined) {
      const text = cut[1];
      bound = text === '+Inf' || text === 'Inf' || text === '+inf' ? Number.POSITIVE_INFINITY : Number(text);
    }
    g = { labels, key: labelsKey(labels), bound };
    p.pre.group = g;
  }
  return g;
}

/** The key of a series in the converter's state: name, kind and labels. */
function seriesKey(name: string, kind: Kind, labelsKeyText: string): string {
  return `${name}\u0002${kind}\u0002${labelsKeyText}`;
}

/** {@link seriesKey} of a plain sample, computed once per scraped series. */
function stateKeyOf(p: Proc, kind: Kind): string {
  const pre = p.pre;
  if (pre.state !== undefined && pre.stateKind === kind) return pre.state;
  const k = seriesKey(p.name, kind, keyOf(p));
  pre.state = k;
  pre.stateKind = kind;
  return k;
}

/** labelsKey of a sample's labels, computed once per scraped series. */
function keyOf(p: Proc): string {
  let k = p.pre.key;
  if (k === undefined) {
    k = labelsKey(p.labels);
    p.pre.key = k;
  }
  return k;
}

interface Group {
  readonly fam: MetricFamily;
  readonly famName: string;
  readonly samples: Proc[];
}

const msToNs = (ms: number): bigint => BigInt(Math.round(ms)) * 1_000_000n;

function labelsKey(labels: readonly Label[]): string {
  let s = '';
  for (const [k, v] of labels) s += `${k}\u0000${v}\u0001`;
  return s;
}

function byName(a: Label, b: Label): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function toCount(v: number): bigint | undefined {
  return Number.isFinite(v) && v >= 0 ? BigInt(Math.round(v)) : undefined;
}

function numberPoint(attrs: KeyValue[], startNs: bigint, timeNs: bigint, value: number): NumberDataPoint {
  return { attributes: attrs, startTimeUnixNano: startNs, timeUnixNano: timeNs, value, exemplars: [], flags: 0 };
}

export interface TargetIdentity {
  readonly job: string;
  readonly instance: string;
  /** Target labels (sorted, `__*` removed), including job and instance. */
  readonly labels: readonly (readonly [string, string])[];
}

/** What the label handling made of one scraped series (by its text as written): the same text
 * gives the same result while the target and the settings stay, so later scrapes skip it. */
interface Prepared {
  /** undefined: metric relabeling dropped the series. */
  readonly labels: Label[] | undefined;
  readonly name: string;
  readonly famName: string;
  readonly suffix: string;
  epoch: number;
  /** labelsKey(labels), built on first use. */
  key?: string;
  /** seriesKey for `stateKind`, built on first use. */
  state?: string;
  stateKind?: Kind;
  /** Histogram/summary parts: labels without `le`/`quantile`, their key, and the bound. */
  group?: { readonly labels: Label[]; readonly key: string; readonly bound: number | undefined };
}

/** A copy of `s` that does not keep the scraped body it was sliced from alive. */
function detach(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Per-target conversion state. */
export class TargetConverter {
  private series = new Map<string, SeriesState>();
  private epoch = 0;
  private readonly prepared = new Map<string, Prepared>();

  constructor(
    private readonly target: TargetIdentity,
    private readonly settings: ScrapeSettings,
  ) {}

  /** Whether a series with this text as written was seen in the last scrape (its label
   * handling is remembered, so the parser need not parse its labels). */
  readonly knows = (series: string): boolean => this.prepared.has(series);

  /** Number of series held (the series of the last successful scrape). */
  get seriesCount(): number {
    return this.series.size;
  }

  /** Point attributes: all labels except job and instance when they are the target's own. */
  private attrsOf(labels: readonly Label[]): KeyValue[] {
    const out: KeyValue[] = [];
    for (const [k, v] of labels) {
      if ((k === 'job' && v === this.target.job) || (k === 'instance' && v === this.target.instance)) continue;
      out.push({ key: k, value: v });
    }
    return out;
  }

  private targetHas(name: string): boolean {
    return this.target.labels.some((l) => l[0] === name);
  }

  /** Target labels as point attributes (for the synthetic series). */
  targetAttrs(): KeyValue[] {
    return this.attrsOf(this.target.labels.map(([k, v]): Label => [k, v]));
  }

  /** Applies target labels (honor_labels), external labels, metric relabeling and limits to one sample. */
  private mutate(name: string, sampleLabels: readonly Label[]): Label[] | undefined {
    const m = new Map<string, string>();
    for (const [k, v] of sampleLabels) if (v !== '') m.set(k, v);
    if (this.settings.honorLabels) {
      for (const [k, v] of this.target.labels) if (!m.has(k)) m.set(k, v);
    } else {
      for (const [k, v] of this.target.labels) {
        const mine = m.get(k);
        if (mine !== undefined) {
          let ek = `exported_${k}`;
          while (m.has(ek) || this.targetHas(ek)) ek = `exported_${ek}`;
          m.set(ek, mine);
        }
        m.set(k, v);
      }
    }
    for (const [k, v] of Object.entries(this.settings.externalLabels)) if (!m.has(k)) m.set(k, v);
    m.set('__name__', name);
    const out = this.settings.metricRelabel.length > 0 ? relabel(m, this.settings.metricRelabel) : m;
    if (out === undefined) return undefined;
    const labels: Label[] = [];
    for (const [k, v] of out) if (v !== '') labels.push([k, v]);
    labels.sort(byName);
    return labels;
  }

  private checkLimits(labels: readonly Label[]): { reason: ScrapeFailure; message: string } | undefined {
    const s = this.settings;
    if (s.labelLimit > 0 && labels.length > s.labelLimit) {
      return {
        reason: 'label_limit',
        message: `label_limit exceeded (metric: ${labelsText(labels)}, number of labels: ${labels.length}, limit: ${s.labelLimit})`,
      };
    }
    for (const [k, v] of labels) {
      if (s.labelNameLengthLimit > 0 && k.length > s.labelNameLengthLimit) {
        return {
          reason: 'label_name_length_limit',
          message: `label_name_length_limit exceeded (label name: ${k}, length: ${k.length}, limit: ${s.labelNameLengthLimit})`,
        };
      }
      if (s.labelValueLengthLimit > 0 && v.length > s.labelValueLengthLimit) {
        return {
          reason: 'label_value_length_limit',
          message: `label_value_length_limit exceeded (label value: ${v.slice(0, 60)}, length: ${v.length}, limit: ${s.labelValueLengthLimit})`,
        };
      }
    }
    return undefined;
  }

  /** Converts one successful scrape. On a limit failure nothing is emitted here (the caller marks the target stale). */
  append(families: readonly MetricFamily[], scrapeMs: number): AppendResult {
    let scraped = 0;
    let post = 0;
    const drops = new Map<DropReason, number>();
    const drop = (r: DropReason, n = 1): void => {
      drops.set(r, (drops.get(r) ?? 0) + n);
    };
    const groups = new Map<string, Group>();
    const epoch = this.epoch + 1;
    for (const fam of families) {
      let lastGroup: Group | undefined;
      for (const smp of fam.samples) {
        scraped++;
        const text = smp.series;
        let pre = text === undefined ? undefined : this.prepared.get(text);
        if (pre === undefined) {
          const labels = this.mutate(smp.name, smp.labels);
          if (labels !== undefined) {
            const bad = this.checkLimits(labels);
            if (bad !== undefined) return { ok: false, ...bad, scraped };
          }
          let newName = smp.name;
          let famName = fam.name;
          const suffix = smp.name.startsWith(fam.name) ? smp.name.slice(fam.name.length) : '';
          if (labels !== undefined) {
            const nameIdx = labels.findIndex((l) => l[0] === '__name__');
            if (nameIdx >= 0) {
              newName = (labels[nameIdx] as Label)[1];
              labels.splice(nameIdx, 1);
            }
            if (newName !== smp.name)
              famName = suffix !== '' && newName.endsWith(suffix) ? newName.slice(0, -suffix.length) : newName;
          }
          pre = {
            labels,
            name: newName,
            famName,
            suffix: newName === smp.name || newName.endsWith(suffix) ? suffix : '',
            epoch,
          };
          if (text !== undefined) this.prepared.set(detach(text), pre);
        }
        pre.epoch = epoch;
        const labels = pre.labels;
        if (labels === undefined) {
          drop('metric_relabel');
          continue;
        }
        post++;
        let g = lastGroup !== undefined && lastGroup.famName === pre.famName ? lastGroup : undefined;
        if (g === undefined) {
          const gk = `${pre.famName}\u0000${fam.type}`;
          g = groups.get(gk);
          if (g === undefined) {
            g = { fam, famName: pre.famName, samples: [] };
            groups.set(gk, g);
          }
          lastGroup = g;
        }
        g.samples.push({
          name: pre.name,
          suffix: pre.suffix,
          labels,
          value: smp.value,
          timestampMs: this.settings.honorTimestamps ? smp.timestampMs : undefined,
          pre,
        });
      }
    }
    // Series no longer scraped are forgotten.
    for (const [text, pre] of this.prepared) if (pre.epoch !== epoch) this.prepared.delete(text);
    if (this.settings.sampleLimit > 0 && post > this.settings.sampleLimit) {
      return {
        ok: false,
        reason: 'sample_limit',
        message: `sample_limit exceeded (${post} samples, limit ${this.settings.sampleLimit})`,
        scraped,
      };
    }

    this.epoch++;
    const out = new Map<string, Metric>();
    const resourceAttrs: KeyValue[] = [];
    let added = 0;
    // Samples without their own timestamp (nearly all) share the scrape's: one bigint for them all.
    const scrapeNs = msToNs(scrapeMs);
    const timeOf = (p: Proc): bigint => (p.timestampMs === undefined ? scrapeNs : msToNs(p.timestampMs));
    const metricFor = (name: string, kind: Kind, g: Group | SeriesState): Metric => {
      const k = `${name}\u0000${kind}`;
      let m = out.get(k);
      if (m === undefined) {
        const description = 'fam' in g ? (g.fam.help ?? '') : g.description;
        const unit = 'fam' in g ? unitFromWord(g.fam.unit) : g.unit;
        const promType = 'fam' in g ? g.fam.type : g.promType;
        m = { name, description, unit, metadata: [{ key: 'prometheus.type', value: promType }], data: emptyData(kind) };
        out.set(k, m);
      }
      return m;
    };
    /** Registers a series; returns its state, or undefined for a duplicate within this scrape. */
    const track = (
      g: Group,
      name: string,
      kind: Kind,
      labels: string,
      attrs: () => KeyValue[],
      value: number,
      timeNs: bigint,
      createdMs: number | undefined,
      explicitTs: boolean,
    ): SeriesState | undefined => {
      const key = labels;
      let st = this.series.get(key);
      if (st !== undefined && st.epoch === this.epoch) return undefined;
      if (st === undefined) {
        added++;
        st = {
          metric: name,
          kind,
          attrs: attrs(),
          description: g.fam.help ?? '',
          unit: unitFromWord(g.fam.unit),
          promType: g.fam.type,
          startNs: createdMs !== undefined ? msToNs(createdMs) : timeNs,
          last: value,
          createdMs,
          epoch: this.epoch,
          explicitTs,
        };
        this.series.set(key, st);
        return st;
      }
      if (createdMs !== undefined) {
        if (createdMs !== st.createdMs) st.startNs = msToNs(createdMs);
      } else if (value < st.last || Number.isNaN(st.last)) {
        st.startNs = timeNs;
      }
      st.createdMs = createdMs;
      st.last = value;
      st.epoch = this.epoch;
      st.explicitTs = explicitTs;
      return st;
    };

    for (const g of groups.values()) {
      const type = g.fam.type;
      switch (type) {
        case 'counter':
        case 'gauge':
        case 'untyped':
        case 'unknown':
        case 'info':
        case 'stateset': {
          const kind: Kind =
            type === 'counter' ? 'monotonic_sum' : type === 'info' || type === 'stateset' ? 'sum' : 'gauge';
          const created = new Map<string, number>();
          if (type === 'counter') {
            for (const p of g.samples) if (p.suffix === '_created') created.set(keyOf(p), p.value * 1000);
          }
          for (const p of g.samples) {
            if (p.suffix === '_created' && type === 'counter') continue;
            if (
              p.name === 'target_info' &&
              (type === 'gauge' || type === 'untyped' || type === 'unknown' || type === 'info')
            ) {
              for (const kv of this.attrsOf(p.labels)) resourceAttrs.push(kv);
              continue;
            }
            // One attribute array per series, kept across scrapes: exporters recognise the series by it.
            const attrs = (): KeyValue[] => this.attrsOf(p.labels);
            const t = timeOf(p);
            // Gauges have no start time and no `_created`.
            const gauge = kind === 'gauge';
            const st = track(
              g,
              p.name,
              kind,
              stateKeyOf(p, kind),
              attrs,
              p.value,
              t,
              gauge || created.size === 0 ? undefined : created.get(keyOf(p)),
              p.timestampMs !== undefined,
            );
            if (st === undefined) {
              drop('duplicate_series');
              continue;
            }
            pushNumber(metricFor(p.name, kind, g), numberPoint(st.attrs, gauge ? 0n : st.startNs, t, p.value));
          }
          break;
        }
        case 'histogram':
          this.histograms(g, timeOf, track, metricFor, drop);
          break;
        case 'summary':
          this.summaries(g, timeOf, track, metricFor, drop);
          break;
        case 'gaugehistogram':
          drop('unsupported_type', g.samples.length);
          break;
        default: {
          const never: never = type;
          throw new Error(`unknown type ${String(never)}`);
        }
      }
    }
    let staleMarked = 0;
    const nowNs = msToNs(scrapeMs);
    for (const [key, st] of this.series) {
      if (st.epoch === this.epoch) continue;
      this.series.delete(key);
      if (st.explicitTs) continue;
      staleMarked++;
      addStale(metricFor(st.metric, st.kind, st), st, nowNs);
    }
    return {
      ok: true,
      metrics: [...out.values()],
      resourceAttrs,
      scraped,
      postRelabel: post,
      seriesAdded: added,
      staleMarked,
      drops,
    };
  }

  private histograms(
    g: Group,
    timeOf: (p: Proc) => bigint,
    track: TrackFn,
    metricFor: (name: string, kind: Kind, g: Group) => Metric,
    drop: (r: DropReason, n?: number) => void,
  ): void {
    interface H {
      labels: Label[];
      key: string;
      buckets: [number, number][];
      sum?: number;
      count?: number;
      created?: number;
      time?: bigint;
      explicitTs?: boolean;
      samples: number;
    }
    const hs = new Map<string, H>();
    let h: H | undefined;
    for (const p of g.samples) {
      const part = groupOf(p, p.suffix === '_bucket' ? 'le' : undefined);
      // The parts of one histogram are usually written together: try the last one first.
      if (h === undefined || h.key !== part.key) {
        h = hs.get(part.key);
        if (h === undefined) {
          h = { labels: part.labels, key: part.key, buckets: [], samples: 0 };
          hs.set(part.key, h);
        }
      }
      h.samples++;
      switch (p.suffix) {
        case '_bucket': {
          h.buckets.push([part.bound ?? Number.NaN, p.value]);
          break;
        }
        case '_sum':
          h.sum = p.value;
          break;
        case '_count':
          h.count = p.value;
          h.time = timeOf(p);
          h.explicitTs = p.timestampMs !== undefined;
          break;
        case '_created':
          h.created = p.value * 1000;
          break;
        default:
          h.samples--;
          drop('invalid_histogram');
      }
    }
    const name = g.famName;
    for (const h of hs.values()) {
      const hc = h.count;
      const count = hc === undefined ? undefined : toCount(hc);
      if (hc === undefined || count === undefined) {
        drop(hc === undefined ? 'histogram_without_count' : 'invalid_histogram', h.samples);
        continue;
      }
      h.buckets.sort((a, b) => a[0] - b[0]);
      const bounds: number[] = [];
      const counts: bigint[] = [];
      let prev = 0;
      let prevLe: number | undefined;
      let ok = true;
      for (const [le, cum] of h.buckets) {
        if (Number.isNaN(le) || !Number.isFinite(cum) || cum < prev) {
          ok = false;
          break;
        }
        if (le === Number.POSITIVE_INFINITY) continue;
        // Two buckets with one bound (`le="1"`, `le="1.0"`) would give bounds that do not strictly increase.
        if (le === prevLe) {
          ok = false;
          break;
        }
        prevLe = le;
        bounds.push(le);
        counts.push(BigInt(Math.round(cum - prev)));
        prev = cum;
      }
      const rest = hc - prev;
      if (!ok || rest < 0) {
        drop('invalid_histogram', h.samples);
        continue;
      }
      counts.push(BigInt(Math.round(rest)));
      const attrs = (): KeyValue[] => this.attrsOf(h.labels);
      const t = h.time ?? 0n;
      const st = track(
        g,
        name,
        'histogram',
        seriesKey(name, 'histogram', h.key),
        attrs,
        hc,
        t,
        h.created,
        h.explicitTs ?? false,
      );
      if (st === undefined) {
        drop('duplicate_series', h.samples);
        continue;
      }
      const dp: HistogramDataPoint = {
        attributes: st.attrs,
        startTimeUnixNano: st.startNs,
        timeUnixNano: t,
        count,
        bucketCounts: counts,
        explicitBounds: bounds,
        exemplars: [],
        flags: 0,
        ...(h.sum === undefined ? {} : { sum: h.sum }),
      };
      const m = metricFor(name, 'histogram', g);
      if (m.data?.type === 'histogram') m.data.dataPoints.push(dp);
    }
  }

  private summaries(
    g: Group,
    timeOf: (p: Proc) => bigint,
    track: TrackFn,
    metricFor: (name: string, kind: Kind, g: Group) => Metric,
    drop: (r: DropReason, n?: number) => void,
  ): void {
    interface S {
      labels: Label[];
      key: string;
      quantiles: { quantile: number; value: number }[];
      sum?: number;
      count?: number;
      created?: number;
      time?: bigint;
      explicitTs?: boolean;
      samples: number;
    }
    const ss = new Map<string, S>();
    for (const p of g.samples) {
      const part = groupOf(p, p.suffix === '' ? 'quantile' : undefined);
      let s = ss.get(part.key);
      if (s === undefined) {
        s = { labels: part.labels, key: part.key, quantiles: [], samples: 0 };
        ss.set(part.key, s);
      }
      s.samples++;
      if (part.bound !== undefined) s.quantiles.push({ quantile: part.bound, value: p.value });
      else if (p.suffix === '_sum') s.sum = p.value;
      else if (p.suffix === '_count') {
        s.count = p.value;
        s.time = timeOf(p);
        s.explicitTs = p.timestampMs !== undefined;
      } else if (p.suffix === '_created') s.created = p.value * 1000;
    }
    for (const s of ss.values()) {
      const count = s.count === undefined ? undefined : toCount(s.count);
      if (count === undefined) {
        drop('summary_without_count', s.samples);
        continue;
      }
      const attrs = (): KeyValue[] => this.attrsOf(s.labels);
      const t = s.time ?? 0n;
      const st = track(
        g,
        g.famName,
        'summary',
        seriesKey(g.famName, 'summary', s.key),
        attrs,
        s.count ?? 0,
        t,
        s.created,
        s.explicitTs ?? false,
      );
      if (st === undefined) {
        drop('duplicate_series', s.samples);
        continue;
      }
      s.quantiles.sort((a, b) => a.quantile - b.quantile);
      const dp: SummaryDataPoint = {
        attributes: st.attrs,
        startTimeUnixNano: st.startNs,
        timeUnixNano: t,
        count,
        sum: s.sum ?? 0,
        quantileValues: s.quantiles,
        flags: 0,
      };
      const m = metricFor(g.famName, 'summary', g);
      if (m.data?.type === 'summary') m.data.dataPoints.push(dp);
    }
  }

  /** Marks every series stale (failed scrape, target gone) and forgets them. */
  markAllStale(nowMs: number): { metrics: Metric[]; count: number } {
    const out = new Map<string, Metric>();
    const nowNs = msToNs(nowMs);
    let count = 0;
    for (const st of this.series.values()) {
      if (st.explicitTs) continue;
      count++;
      const k = `${st.metric}\u0000${st.kind}`;
      let m = out.get(k);
      if (m === undefined) {
        m = {
          name: st.metric,
          description: st.description,
          unit: st.unit,
          metadata: [{ key: 'prometheus.type', value: st.promType }],
          data: emptyData(st.kind),
        };
        out.set(k, m);
      }
      addStale(m, st, nowNs);
    }
    this.series = new Map();
    return { metrics: [...out.values()], count };
  }
}

type TrackFn = (
  g: Group,
  name: string,
  kind: Kind,
  /** The series' key: {@link seriesKey}. */
  labels: string,
  attrs: () => KeyValue[],
  value: number,
  timeNs: bigint,
  createdMs: number | undefined,
  explicitTs: boolean,
) => SeriesState | undefined;

function labelsText(labels: readonly Label[]): string {
  return `{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

function emptyData(kind: Kind): NonNullable<Metric['data']> {
  switch (kind) {
    case 'gauge':
      return { type: 'gauge', dataPoints: [] };
    case 'sum':
      return {
        type: 'sum',
        dataPoints: [],
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        isMonotonic: false,
      };
    case 'monotonic_sum':
      return {
        type: 'sum',
        dataPoints: [],
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        isMonotonic: true,
      };
    case 'histogram':
      return { type: 'histogram', dataPoints: [], aggregationTemporality: AggregationTemporality.CUMULATIVE };
    case 'summary':
      return { type: 'summary', dataPoints: [] };
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

function pushNumber(m: Metric, dp: NumberDataPoint): void {
  if (m.data?.type === 'gauge' || m.data?.type === 'sum') m.data.dataPoints.push(dp);
}

function addStale(m: Metric, st: SeriesState, nowNs: bigint): void {
  const flags = DATA_POINT_FLAG_NO_RECORDED_VALUE;
  const start = st.kind === 'gauge' ? 0n : st.startNs;
  const d = m.data;
  if (d === undefined) return;
  switch (d.type) {
    case 'gauge':
    case 'sum':
      d.dataPoints.push({
        attributes: st.attrs,
        startTimeUnixNano: start,
        timeUnixNano: nowNs,
        value: undefined,
        exemplars: [],
        flags,
      });
      break;
    case 'histogram':
      d.dataPoints.push({
        attributes: st.attrs,
        startTimeUnixNano: start,
        timeUnixNano: nowNs,
        count: 0n,
        bucketCounts: [],
        explicitBounds: [],
        exemplars: [],
        flags,
      });
      break;
    case 'summary':
      d.dataPoints.push({
        attributes: st.attrs,
        startTimeUnixNano: start,
        timeUnixNano: nowNs,
        count: 0n,
        sum: 0,
        quantileValues: [],
        flags,
      });
      break;
    case 'exponentialHistogram':
      break;
    default: {
      const never: never = d;
      throw new Error(`unknown data ${String(never)}`);
    }
  }
}

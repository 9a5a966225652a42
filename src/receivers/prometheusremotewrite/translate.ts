// Remote write series -> OTLP metrics. Types come from metadata (of this request or remembered
// from earlier ones) or from names (`_total` = counter; `_bucket` with `le` + `_count` =
// histogram; `quantile` + `_count` = summary); everything else is a gauge. Counters and
// histograms become cumulative with a start time kept per series (first sight, reset on a
// decrease). State is bounded (max_series, least recently seen evicted) and expires (ttl).
import { createHash } from 'node:crypto';
import type {
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  HistogramDataPoint,
  KeyValue,
  Metric,
  NumberDataPoint,
  Exemplar as OtlpExemplar,
  ResourceMetrics,
  SummaryDataPoint,
} from '../../pdata/model.js';
import { AggregationTemporality, DATA_POINT_FLAG_NO_RECORDED_VALUE } from '../../pdata/model.js';
import { unitFromWord } from '../../prometheus/naming.js';
import {
  type Exemplar,
  type Histogram,
  isStaleNaN,
  type Label,
  type MetricMetadata,
  MetricType,
  ResetHint,
  type SampleV2,
  type WriteRequest,
} from '../../prometheus/remotewrite/proto.js';
import { Assembler, type GroupInfo, type PartRole, type PendingPoint } from './assemble.js';

export type ReceiverDropReason =
  | 'missing_name'
  | 'duplicate_label'
  | 'histogram_without_count'
  | 'float_histogram'
  | 'gauge_histogram'
  | 'unsupported_schema'
  | 'invalid_histogram'
  | 'type_conflict'
  | 'invalid_timestamp'
  | 'invalid_count'
  | 'histogram_late_part';

export const SCOPE_NAME = 'switchyard/receiver/prometheusremotewrite';

interface SeriesState {
  /** Start time (ns) of the current cumulative run. */
  start: bigint;
  /** Last value (counter) or count (histogram/summary), to detect resets. */
  last: number;
  lastTs: number;
  /** Wall-clock time (ms) the series was last seen: what expiry goes by. */
  seenMs: number;
}

export interface StateOptions {
  readonly maxSeries: number;
  readonly ttlMs: number;
  readonly maxMetadata: number;
  /** How long the parts of a classic histogram or summary point may take to arrive. Default 10 s. */
  readonly assemblyTimeoutMs?: number;
  /** Points waiting for parts at most; the oldest is released early beyond it. Default maxSeries. */
  readonly maxPending?: number;
}

/** Series keys longer than this are kept as a digest: the state's size must not follow the
 * label sizes a sender chooses (up to 64 KiB per value, 1024 labels). */
const MAX_KEY_CHARS = 256;
/** Longest remembered help text; longer metadata names or units are not remembered. */
const MAX_HELP_CHARS = 4096;
const MAX_META_NAME_CHARS = 1024;

function stateKey(key: string): string {
  if (key.length <= MAX_KEY_CHARS) return key;
  return `\0${createHash('sha256').update(key).digest('base64')}`;
}

/** Per-series start times and remembered metadata, bounded and expiring. */
export class ReceiverState {
  private readonly series = new Map<string, SeriesState>();
  private readonly meta = new Map<string, MetricMetadata>();
  evicted = 0;
  /** Wall clock of the request being translated (set by `expire`). */
  private nowMs = 0;

  readonly assembler: Assembler;

  constructor(private readonly o: StateOptions) {
    this.assembler = new Assembler({
      timeoutMs: o.assemblyTimeoutMs ?? 10_000,
      maxPending: o.maxPending ?? o.maxSeries,
      maxSeries: o.maxSeries,
    });
  }

  get size(): number {
    return this.series.size;
  }

  /** Characters held in series keys and remembered metadata (for tests and bounds). */
  get chars(): number {
    let n = 0;
    for (const k of this.series.keys()) n += k.length;
    for (const m of this.meta.values()) n += m.metricFamilyName.length + m.help.length + m.unit.length;
    return n;
  }

  remember(md: MetricMetadata): void {
    if (md.metricFamilyName === '') return;
    if (md.metricFamilyName.length > MAX_META_NAME_CHARS || md.unit.length > MAX_META_NAME_CHARS) return;
    if (md.help.length > MAX_HELP_CHARS) md = { ...md, help: md.help.slice(0, MAX_HELP_CHARS) };
    this.meta.delete(md.metricFamilyName);
    this.meta.set(md.metricFamilyName, md);
    if (this.meta.size > this.o.maxMetadata) {
      const k = this.meta.keys().next();
      if (k.done !== true) this.meta.delete(k.value);
    }
  }

  metadata(family: string): MetricMetadata | undefined {
    return this.meta.get(family);
  }

  private readonly inferred = new Map<string, 'histogram' | 'summary'>();

  /** Families found to be classic histograms or summaries by their series' names and labels
   * (senders without metadata): their `_sum`/`_count` alone in a later request still belong to
   * them. */
  inferredKind(family: string): 'histogram' | 'summary' | undefined {
    return this.inferred.get(family);
  }

  infer(family: string, kind: 'histogram' | 'summary'): void {
    if (family.length > MAX_META_NAME_CHARS || this.inferred.get(family) === kind) return;
    this.inferred.delete(family);
    this.inferred.set(family, kind);
    if (this.inferred.size > this.o.maxMetadata) {
      const k = this.inferred.keys().next();
      if (k.done !== true) this.inferred.delete(k.value);
    }
  }

  /** The start time for a cumulative value `v` at `tsMs`; a decrease (or a sender's explicit
   * `reset`) starts a new run. */
  startFor(series: string, v: number, tsMs: number, reset = false): bigint {
    const key = stateKey(series);
    const ns = BigInt(tsMs) * 1_000_000n;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { start: ns, last: v, lastTs: tsMs, seenMs: this.nowMs };
    } else {
      this.series.delete(key);
      s.seenMs = this.nowMs;
      if (tsMs >= s.lastTs) {
        // A reset: the new run began just before this sample.
        if ((v < s.last || reset) && ns > 0n) s.start = ns - 1_000_000n;
        s.last = v;
        s.lastTs = tsMs;
      }
    }
    this.series.set(key, s);
    if (this.series.size > this.o.maxSeries) {
      const k = this.series.keys().next();
      if (k.done !== true) {
        this.series.delete(k.value);
        this.evicted++;
      }
    }
    return s.start;
  }

  forget(series: string): void {
    this.series.delete(stateKey(series));
  }

  /** Drop series not seen for ttl (oldest first: the map is in order of last sight). Goes by
   * arrival, not sample time: a sender catching up on old samples keeps its series' runs. */
  expire(nowMs: number): void {
    this.nowMs = nowMs;
    for (const [k, s] of this.series) {
      if (nowMs - s.seenMs <= this.o.ttlMs) break;
      this.series.delete(k);
      this.evicted++;
    }
  }
}

export interface TranslateResult {
  readonly request: ExportMetricsServiceRequest;
  readonly points: number;
  readonly dropped: Map<ReceiverDropReason, number>;
  /** Classic histogram and summary points assembled into this result (to put back with
   * `state.assembler.restore` when the pipeline refuses it retryably). */
  readonly assembled: readonly PendingPoint[];
}

interface Parsed {
  readonly name: string;
  /** Labels other than __name__, job, instance, sorted. */
  readonly rest: Label[];
  readonly job: string;
  readonly instance: string;
  readonly ts: SeriesIn;
}

type SeriesIn = WriteRequest['timeseries'][number];

const SEP = '\xff';

function keyOf(labels: readonly Label[], skip?: string): string {
  let k = '';
  for (const l of labels) if (l.name !== skip) k += `${l.name}${SEP}${l.value}${SEP}`;
  return k;
}

function toAttrs(labels: readonly Label[], skip?: string): KeyValue[] {
  const out: KeyValue[] = [];
  for (const l of labels) if (l.name !== skip) out.push({ key: l.name, value: l.value });
  return out;
}

function hexBytes(s: string, len: number): Uint8Array | undefined {
  if (s.length !== len * 2 || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

function otlpExemplars(list: readonly Exemplar[]): OtlpExemplar[] {
  return list.map((e) => {
    let traceId: Uint8Array = new Uint8Array(0);
    let spanId: Uint8Array = new Uint8Array(0);
    const attrs: KeyValue[] = [];
    for (const l of e.labels) {
      if (l.name === 'trace_id' && hexBytes(l.value, 16) !== undefined) traceId = hexBytes(l.value, 16) as Uint8Array;
      else if (l.name === 'span_id' && hexBytes(l.value, 8) !== undefined) spanId = hexBytes(l.value, 8) as Uint8Array;
      else attrs.push({ key: l.name, value: l.value });
    }
    return {
      filteredAttributes: attrs,
      timeUnixNano: BigInt(e.timestampMs) * 1_000_000n,
      value: e.value,
      traceId,
      spanId,
    };
  });
}

function ns(ms: number): bigint {
  return BigInt(ms) * 1_000_000n;
}

type Kind = 'counter' | 'gauge' | 'histogram' | 'summary';

function kindOfType(t: number): Kind | undefined {
  switch (t) {
    case MetricType.COUNTER:
      return 'counter';
    case MetricType.GAUGE:
      return 'gauge';
    case MetricType.HISTOGRAM:
      return 'histogram';
    case MetricType.SUMMARY:
      return 'summary';
    default:
      return undefined;
  }
}

/** One OTLP metric being built, per resource and name. */
class Resources {
  private readonly byResource = new Map<string, { rm: ResourceMetrics; metrics: Map<string, Metric> }>();

  metric(job: string, instance: string, name: string, make: () => Metric): Metric {
    const rk = `${job}${SEP}${instance}`;
    let r = this.byResource.get(rk);
    if (r === undefined) {
      const attributes: KeyValue[] = [];
      if (job !== '') {
        const slash = job.indexOf('/');
        if (slash > 0) {
          attributes.push({ key: 'service.namespace', value: job.slice(0, slash) });
          attributes.push({ key: 'service.name', value: job.slice(slash + 1) });
        } else attributes.push({ key: 'service.name', value: job });
      }
      if (instance !== '') attributes.push({ key: 'service.instance.id', value: instance });
      const rm: ResourceMetrics = {
        resource: { attributes, droppedAttributesCount: 0 },
        scopeMetrics: [
          {
            scope: { name: SCOPE_NAME, version: '', attributes: [], droppedAttributesCount: 0 },
            metrics: [],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      };
      r = { rm, metrics: new Map() };
      this.byResource.set(rk, r);
    }
    let m = r.metrics.get(name);
    if (m === undefined) {
      m = make();
      r.metrics.set(name, m);
      r.rm.scopeMetrics[0]?.metrics.push(m);
    }
    return m;
  }

  build(): ResourceMetrics[] {
    return [...this.byResource.values()].map((r) => r.rm);
  }
}

/** Translate a WriteRequest. Metadata in it is remembered for later requests. */
export function toOtlp(req: WriteRequest, state: ReceiverState, nowMs: number): TranslateResult {
  // Remote write 2.0 names metadata by series (`x_bucket`, `x_count`): also file it under the family.
  const allMeta: MetricMetadata[] = [];
  for (const md of req.metadata) {
    allMeta.push(md);
    if (md.type === MetricType.HISTOGRAM || md.type === MetricType.SUMMARY) {
      const fam = md.metricFamilyName.replace(/_(bucket|sum|count)$/, '');
      if (fam !== md.metricFamilyName) allMeta.push({ ...md, metricFamilyName: fam });
    }
  }
  for (const md of allMeta) state.remember(md);
  state.expire(nowMs);
  const dropped = new Map<ReceiverDropReason, number>();
  const drop = (r: ReceiverDropReason, n = 1): void => {
    dropped.set(r, (dropped.get(r) ?? 0) + n);
  };
  const reqMeta = new Map<string, MetricMetadata>();
  for (const md of allMeta) reqMeta.set(md.metricFamilyName, md);
  const metaOf = (family: string): MetricMetadata | undefined => reqMeta.get(family) ?? state.metadata(family);

  const parsed: Parsed[] = [];
  for (const ts of req.timeseries) {
    let name = '';
    let job = '';
    let instance = '';
    const rest: Label[] = [];
    let dup = false;
    let prev = '';
    let inOrder = true;
    for (let i = 1; i < ts.labels.length; i++) {
      if ((ts.labels[i - 1] as Label).name > (ts.labels[i] as Label).name) {
        inOrder = false;
        break;
      }
    }
    const sorted = inOrder
      ? ts.labels
      : [...ts.labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const l of sorted) {
      if (l.name === prev) dup = true;
      prev = l.name;
      if (l.name === '__name__') name = l.value;
      else if (l.name === 'job') job = l.value;
      else if (l.name === 'instance') instance = l.value;
      else if (l.value !== '') rest.push(l);
    }
    const n = ts.samples.length + ts.histograms.length;
    if (name === '') {
      drop('missing_name', n);
      continue;
    }
    if (dup) {
      drop('duplicate_label', n);
      continue;
    }
    // OTLP times are unsigned nanoseconds since the epoch: a point before 1970 cannot be sent on
    // (encoding it would fail the whole batch it ends up in).
    let early = 0;
    for (const x of ts.samples) if (x.timestampMs < 0) early++;
    for (const x of ts.histograms) if (x.timestampMs < 0) early++;
    const late = (x: { readonly timestampMs: number }): boolean => x.timestampMs >= 0;
    if (early > 0) drop('invalid_timestamp', early);
    const kept: SeriesIn =
      early === 0 && ts.exemplars.every(late)
        ? ts
        : {
            labels: ts.labels,
            samples: ts.samples.filter(late),
            histograms: ts.histograms.filter(late),
            exemplars: ts.exemplars.filter(late),
          };
    parsed.push({ name, rest, job, instance, ts: kept });
  }

  // Families of classic histograms and summaries present in this request.
  const histFamilies = new Set<string>();
  const summaryFamilies = new Set<string>();
  const countFamilies = new Set<string>();
  for (const p of parsed) {
    if (p.name.endsWith('_count')) countFamilies.add(p.name.slice(0, -6));
  }
  const familyKind = (family: string): Kind | undefined => {
    const md = metaOf(family);
    return md === undefined ? state.inferredKind(family) : kindOfType(md.type);
  };
  for (const p of parsed) {
    if (p.name.endsWith('_bucket') && p.rest.some((l) => l.name === 'le')) {
      // `_bucket` with `le` is a classic histogram unless metadata says otherwise; its `_count`
      // may travel in another request.
      const fam = p.name.slice(0, -7);
      const k = familyKind(fam);
      if (k === 'histogram' || k === undefined) histFamilies.add(fam);
    } else if (p.rest.some((l) => l.name === 'quantile')) {
      const k = familyKind(p.name);
      if (k === 'summary' || (k === undefined && countFamilies.has(p.name))) summaryFamilies.add(p.name);
    }
  }
  const partFamilies = new Set(countFamilies);
  for (const p of parsed) if (p.name.endsWith('_sum')) partFamilies.add(p.name.slice(0, -4));
  for (const fam of partFamilies) {
    if (familyKind(fam) === 'histogram') histFamilies.add(fam);
    if (familyKind(fam) === 'summary') summaryFamilies.add(fam);
  }
  for (const fam of histFamilies) if (metaOf(fam) === undefined) state.infer(fam, 'histogram');
  for (const fam of summaryFamilies) if (metaOf(fam) === undefined) state.infer(fam, 'summary');

  const out = new Resources();
  let points = 0;
  const unitOf = (md: MetricMetadata | undefined): string => (md === undefined ? '' : unitFromWord(md.unit));

  // Classic histograms and summaries: parts go to the assembler by family + labels (without
  // le/quantile) + time; it releases each point once all its parts are in (see assemble.ts).
  const asm = state.assembler;
  asm.beginRequest();
  const infos = new Map<string, GroupInfo>();
  const groupOf = (p: Parsed, family: string, kind: 'histogram' | 'summary', skip: string | undefined): GroupInfo => {
    const attrs = p.rest.filter((l) => l.name !== skip);
    const group = `${family}${SEP}${p.job}${SEP}${p.instance}${SEP}${keyOf(attrs)}`;
    let g = infos.get(group);
    if (g === undefined) {
      g = { group, family, kind, job: p.job, instance: p.instance, attrs };
      infos.set(group, g);
    }
    return g;
  };

  for (const p of parsed) {
    let fam: string | undefined;
    let role: 'bucket' | 'sum' | 'count' | 'quantile' | undefined;
    let groupKind: 'histogram' | 'summary' | undefined;
    if (p.name.endsWith('_bucket') && histFamilies.has(p.name.slice(0, -7))) {
      fam = p.name.slice(0, -7);
      role = 'bucket';
      groupKind = 'histogram';
    } else if (p.name.endsWith('_sum') || p.name.endsWith('_count')) {
      const cut = p.name.endsWith('_sum') ? 4 : 6;
      const f = p.name.slice(0, -cut);
      if (histFamilies.has(f) || summaryFamilies.has(f)) {
        fam = f;
        role = cut === 4 ? 'sum' : 'count';
        groupKind = histFamilies.has(f) ? 'histogram' : 'summary';
      }
    } else if (summaryFamilies.has(p.name) && p.rest.some((l) => l.name === 'quantile')) {
      fam = p.name;
      role = 'quantile';
      groupKind = 'summary';
    }
    if (fam !== undefined && role !== undefined && groupKind !== undefined) {
      const skipLabel = role === 'bucket' ? 'le' : role === 'quantile' ? 'quantile' : undefined;
      const g = groupOf(p, fam, groupKind, skipLabel);
      const bound = skipLabel === undefined ? undefined : p.rest.find((l) => l.name === skipLabel)?.value;
      const partRole: PartRole = role;
      for (const s of p.ts.samples) {
        if (!asm.add(g, s.timestampMs, partRole, bound, s.value, isStaleNaN(s.value), nowMs))
          drop('histogram_late_part');
      }
      continue;
    }
    // Native histograms.
    if (p.ts.histograms.length > 0) {
      const md = metaOf(p.name);
      const m = out.metric(p.job, p.instance, p.name, () => ({
        name: p.name,
        description: md?.help ?? '',
        unit: unitOf(md),
        metadata: [],
        data: {
          type: 'exponentialHistogram',
          dataPoints: [],
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
        },
      }));
      if (m.data?.type !== 'exponentialHistogram') {
        drop('type_conflict', p.ts.histograms.length);
        continue;
      }
      const key = `${p.name}${SEP}${p.job}${SEP}${p.instance}${SEP}${keyOf(p.rest)}`;
      for (const h of p.ts.histograms) {
        const r = nativeToExpo(h, p.rest, state, key);
        if (typeof r === 'string') {
          drop(r);
          continue;
        }
        m.data.dataPoints.push(r);
        points++;
      }
    }
    if (p.ts.samples.length === 0) continue;
    const md = metaOf(p.name) ?? (p.name.endsWith('_total') ? metaOf(p.name.slice(0, -6)) : undefined);
    const mk = md === undefined ? undefined : kindOfType(md.type);
    const kind: 'counter' | 'gauge' =
      mk === 'counter' || (mk === undefined && p.name.endsWith('_total')) ? 'counter' : 'gauge';
    const m = out.metric(p.job, p.instance, p.name, () => ({
      name: p.name,
      description: md?.help ?? '',
      unit: unitOf(md),
      metadata: [{ key: 'prometheus.type', value: kind }],
      data:
        kind === 'counter'
          ? {
              type: 'sum',
              dataPoints: [],
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              isMonotonic: true,
            }
          : { type: 'gauge', dataPoints: [] },
    }));
    const d = m.data;
    if (d === undefined || (d.type !== 'sum' && d.type !== 'gauge')) {
      // The name is already a histogram in this request (a series with samples and histograms).
      drop('type_conflict', p.ts.samples.length);
      continue;
    }
    const key = `${p.name}${SEP}${p.job}${SEP}${p.instance}${SEP}${keyOf(p.rest)}`;
    const attrs = toAttrs(p.rest);
    const ex = otlpExemplars(p.ts.exemplars);
    const samples = p.ts.samples;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i] as (typeof samples)[number];
      const stale = isStaleNaN(s.value);
      let start = 0n;
      if (stale) state.forget(key);
      else if (kind === 'counter') {
        start = state.startFor(key, s.value, s.timestampMs);
        // Remote write 2.0 carries the start time.
        const given = (s as Partial<SampleV2>).startTimestampMs;
        if (given !== undefined && given !== 0) start = ns(given);
      }
      const pt: NumberDataPoint = {
        attributes: attrs,
        startTimeUnixNano: start,
        timeUnixNano: ns(s.timestampMs),
        value: stale ? undefined : s.value,
        exemplars: i === samples.length - 1 ? ex : [],
        flags: stale ? DATA_POINT_FLAG_NO_RECORDED_VALUE : 0,
      };
      d.dataPoints.push(pt);
      points++;
    }
  }

  const assembled = asm.take(nowMs);
  points += emitAssembled(assembled, out, state, drop);

  // target_info: labels (other than job/instance) become resource attributes.
  for (const rm of out.build()) {
    const sm = rm.scopeMetrics[0];
    if (sm === undefined) continue;
    const ti = sm.metrics.find((m) => m.name === 'target_info');
    if (ti === undefined || ti.data?.type !== 'gauge') continue;
    const res = rm.resource;
    const last = ti.data.dataPoints[ti.data.dataPoints.length - 1];
    if (res !== undefined && last !== undefined) {
      for (const a of last.attributes) if (!res.attributes.some((x) => x.key === a.key)) res.attributes.push(a);
    }
    points -= ti.data.dataPoints.length;
    sm.metrics = sm.metrics.filter((m) => m !== ti);
  }
  const resourceMetrics = out.build().filter((rm) => (rm.scopeMetrics[0]?.metrics.length ?? 0) > 0);
  return { request: { resourceMetrics }, points, dropped, assembled };
}

/** Release assembled points that waited long enough (all of them with `all`, at shutdown). */
export function flushAssembled(state: ReceiverState, nowMs: number, all = false): TranslateResult {
  const dropped = new Map<ReceiverDropReason, number>();
  const drop = (r: ReceiverDropReason, n = 1): void => {
    dropped.set(r, (dropped.get(r) ?? 0) + n);
  };
  const assembled = state.assembler.take(nowMs, all);
  const out = new Resources();
  const points = emitAssembled(assembled, out, state, drop);
  const resourceMetrics = out.build().filter((rm) => (rm.scopeMetrics[0]?.metrics.length ?? 0) > 0);
  return { request: { resourceMetrics }, points, dropped, assembled };
}

function emitAssembled(
  ready: readonly PendingPoint[],
  out: Resources,
  state: ReceiverState,
  drop: (r: ReceiverDropReason, n?: number) => void,
): number {
  let points = 0;
  for (const g of ready) {
    const md = state.metadata(g.family);
    const attrs = toAttrs(g.attrs);
    const key = g.group;
    const t = g.t;
    const unit = md === undefined ? '' : unitFromWord(md.unit);
    if (g.kind === 'histogram') {
      const m = out.metric(g.job, g.instance, g.family, () => ({
        name: g.family,
        description: md?.help ?? '',
        unit,
        metadata: [{ key: 'prometheus.type', value: 'histogram' }],
        data: { type: 'histogram', dataPoints: [], aggregationTemporality: AggregationTemporality.CUMULATIVE },
      }));
      if (m.data?.type !== 'histogram') {
        drop('type_conflict');
        continue;
      }
      if (g.stale) {
        state.forget(key);
        m.data.dataPoints.push(staleHistogramPoint(attrs, t));
        points++;
        continue;
      }
      if (g.count === undefined) {
        drop('histogram_without_count');
        continue;
      }
      const pt = classicPoint([...g.parts.values()], g.count, g.sum, attrs, t);
      if (pt === undefined) {
        drop('invalid_count');
        continue;
      }
      pt.startTimeUnixNano = state.startFor(key, g.count, t);
      m.data.dataPoints.push(pt);
      points++;
    } else {
      const m = out.metric(g.job, g.instance, g.family, () => ({
        name: g.family,
        description: md?.help ?? '',
        unit,
        metadata: [{ key: 'prometheus.type', value: 'summary' }],
        data: { type: 'summary', dataPoints: [] },
      }));
      if (m.data?.type !== 'summary') {
        drop('type_conflict');
        continue;
      }
      if (g.stale) {
        state.forget(key);
        m.data.dataPoints.push({
          attributes: attrs,
          startTimeUnixNano: 0n,
          timeUnixNano: ns(t),
          count: 0n,
          sum: 0,
          quantileValues: [],
          flags: DATA_POINT_FLAG_NO_RECORDED_VALUE,
        });
        points++;
        continue;
      }
      if (g.count === undefined) {
        drop('histogram_without_count');
        continue;
      }
      const count = countOf(g.count);
      if (count === undefined) {
        drop('invalid_count');
        continue;
      }
      const pt: SummaryDataPoint = {
        attributes: attrs,
        startTimeUnixNano: state.startFor(key, g.count, t),
        timeUnixNano: ns(t),
        count,
        sum: g.sum ?? 0,
        quantileValues: [...g.parts.values()]
          .sort((a, b) => a[0] - b[0])
          .map(([quantile, value]) => ({ quantile, value })),
        flags: 0,
      };
      m.data.dataPoints.push(pt);
      points++;
    }
  }
  return points;
}

/** A sample value as an OTLP uint64 count (negative -> 0); undefined when NaN, infinite or
 * 2^64 and over (such a point cannot be encoded). */
function countOf(v: number): bigint | undefined {
  if (!Number.isFinite(v) || v >= 2 ** 64) return undefined;
  return BigInt(Math.max(0, Math.round(v)));
}

/** Cumulative buckets -> an OTLP histogram point (start time unset); undefined when a count is
 * not a finite number or two buckets have the same bound ("1" and "1.0"). */
function classicPoint(
  buckets: [number, number][],
  count: number,
  sum: number | undefined,
  attrs: KeyValue[],
  t: number,
): HistogramDataPoint | undefined {
  buckets.sort((a, b) => a[0] - b[0]);
  const bounds: number[] = [];
  const counts: bigint[] = [];
  let prev = 0;
  for (const [le, c] of buckets) {
    if (le === Number.POSITIVE_INFINITY) continue;
    if (bounds.length > 0 && bounds[bounds.length - 1] === le) return undefined;
    const n = countOf(c - prev);
    if (n === undefined) return undefined;
    bounds.push(le);
    counts.push(n);
    prev = c;
  }
  const last = countOf(count - prev);
  const total = countOf(count);
  if (last === undefined || total === undefined) return undefined;
  counts.push(last);
  const pt: HistogramDataPoint = {
    attributes: attrs,
    startTimeUnixNano: 0n,
    timeUnixNano: ns(t),
    count: total,
    bucketCounts: counts,
    explicitBounds: bounds,
    exemplars: [],
    flags: 0,
  };
  if (sum !== undefined) pt.sum = sum;
  return pt;
}

function staleHistogramPoint(attrs: KeyValue[], t: number): HistogramDataPoint {
  return {
    attributes: attrs,
    startTimeUnixNano: 0n,
    timeUnixNano: ns(t),
    count: 0n,
    bucketCounts: [],
    explicitBounds: [],
    exemplars: [],
    flags: DATA_POINT_FLAG_NO_RECORDED_VALUE,
  };
}

/** Native histogram (integer counts, schema -4..8) -> exponential histogram point. */
function nativeToExpo(
  h: Histogram,
  labels: readonly Label[],
  state: ReceiverState,
  key: string,
): ExponentialHistogramDataPoint | ReceiverDropReason {
  const attrs = toAttrs(labels);
  if (isStaleNaN(h.sum)) {
    state.forget(key);
    return {
      attributes: attrs,
      startTimeUnixNano: 0n,
      timeUnixNano: ns(h.timestampMs),
      count: 0n,
      scale: 0,
      zeroCount: 0n,
      flags: DATA_POINT_FLAG_NO_RECORDED_VALUE,
      exemplars: [],
      zeroThreshold: 0,
    };
  }
  if (
    h.count.kind === 'float' ||
    h.zeroCount.kind === 'float' ||
    h.positiveCounts.length > 0 ||
    h.negativeCounts.length > 0
  ) {
    return 'float_histogram';
  }
  if (h.resetHint === ResetHint.GAUGE) return 'gauge_histogram';
  if (h.schema < -4 || h.schema > 8) return 'unsupported_schema';
  const pos = expand(h.positiveSpans, h.positiveDeltas);
  const neg = expand(h.negativeSpans, h.negativeDeltas);
  if (pos === undefined || neg === undefined) return 'invalid_histogram';
  const count = h.count.value;
  const pt: ExponentialHistogramDataPoint = {
    attributes: attrs,
    startTimeUnixNano: state.startFor(key, Number(count), h.timestampMs, h.resetHint === ResetHint.YES),
    timeUnixNano: ns(h.timestampMs),
    count,
    sum: h.sum,
    scale: h.schema,
    zeroCount: h.zeroCount.value,
    flags: 0,
    exemplars: [],
    zeroThreshold: h.zeroThreshold,
  };
  if (pos.bucketCounts.length > 0) pt.positive = pos;
  if (neg.bucketCounts.length > 0) pt.negative = neg;
  return pt;
}

const MAX_DENSE_BUCKETS = 1 << 16;
const MAX_UINT64 = (1n << 64n) - 1n;

/** Spans + deltas (Prometheus indexes) -> OTel offset and dense counts (index - 1). */
function expand(
  spans: readonly { offset: number; length: number }[],
  deltas: readonly bigint[],
): { offset: number; bucketCounts: bigint[] } | undefined {
  const byIndex: [number, bigint][] = [];
  let idx = 0;
  let d = 0;
  let cur = 0n;
  for (let s = 0; s < spans.length; s++) {
    const span = spans[s] as { offset: number; length: number };
    // Later offsets are gaps after the previous span: a negative one overlaps or goes back.
    if (s > 0 && span.offset < 0) return undefined;
    idx += span.offset;
    for (let j = 0; j < span.length; j++) {
      const delta = deltas[d++];
      if (delta === undefined) return undefined;
      cur += delta;
      if (cur < 0n || cur > MAX_UINT64) return undefined;
      byIndex.push([idx, cur]);
      idx++;
    }
  }
  if (d !== deltas.length) return undefined;
  if (byIndex.length === 0) return { offset: 0, bucketCounts: [] };
  const first = (byIndex[0] as [number, bigint])[0];
  const lastI = (byIndex[byIndex.length - 1] as [number, bigint])[0];
  if (lastI - first + 1 > MAX_DENSE_BUCKETS) return undefined;
  const counts = new Array<bigint>(lastI - first + 1).fill(0n);
  for (const [i, c] of byIndex) counts[i - first] = c;
  return { offset: first - 1, bucketCounts: counts };
}

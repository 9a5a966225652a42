// Per-interval StatsD aggregation: parsed lines in, one OTLP metrics request per flush out.
//
// Series identity = client (address[:port]) + name + statsd type + attribute set (tags, container.id, metric_type).
// Lookups go through a per-client map keyed by the raw text of the line's identity (name, type, raw tags, container
// id), so a known series costs one string concatenation and one Map lookup; the canonical attribute-set key is
// computed only when a raw key is seen for the first time in an interval.
import { attrsKey, canonicalAttrs } from '../../metrics/attrs.js';
import { ExpoHistogram } from '../../metrics/expohisto.js';
import {
  AggregationTemporality,
  type ExportMetricsServiceRequest,
  type KeyValue,
  type Metric,
  type NumberDataPoint,
  type ResourceMetrics,
} from '../../pdata/model.js';
import type { Observer, ResolvedStatsdConfig } from './config.js';
import type { ParseErrorReason, StatsdMetric, StatsdType } from './parse.js';

export const SCOPE_NAME = 'switchyard/receiver/statsd';
export const SCOPE_VERSION = '0.1.0';

/** Why a line (or one value of it) was not aggregated: parse errors plus aggregation limits. */
export type RefuseReason =
  | ParseErrorReason
  | 'simple_tags' // a `#flag` tag while enable_simple_tags is off
  | 'disabled' // timer/histogram type mapped to `disabled` (or not mapped)
  | 'series_limit'
  | 'sample_limit'
  | 'set_limit'
  | 'line_too_long';

export type RefuseCallback = (reason: RefuseReason, count: number, detail: string) => void;

interface CounterState {
  readonly kind: 'counter';
  value: number;
  allInt: boolean;
}
interface GaugeState {
  readonly kind: 'gauge';
  value: number;
  /** Written this interval (persisted gauges are reported again either way). */
  touched: boolean;
  /** Flushes in a row without a write (persisted gauges expire after `gaugeExpiryIntervals`). */
  idle: number;
}
interface SetState {
  readonly kind: 'set';
  readonly members: Set<string>;
}
interface SamplesState {
  readonly kind: 'samples';
  /** Gauge observer: receipt times (ms); summary observer: weights. */
  readonly values: number[];
  readonly extra: number[];
}
interface HistoState {
  readonly kind: 'histo';
  readonly h: ExpoHistogram;
  /** Fractional part of 1/rate weights not yet recorded (keeps the total count unbiased). */
  carry: number;
}
type State = CounterState | GaugeState | SetState | SamplesState | HistoState;

interface Series {
  readonly name: string;
  readonly type: StatsdType;
  readonly attrs: KeyValue[];
  readonly state: State;
}

interface Client {
  readonly attrs: KeyValue[];
  /** raw identity text -> series */
  byRaw: Map<string, Series>;
  /** canonical identity -> series */
  byCanon: Map<string, Series>;
}

const METRIC_TYPE: Readonly<Record<StatsdType, string>> = {
  c: 'counter',
  g: 'gauge',
  ms: 'timing',
  h: 'histogram',
  d: 'distribution',
  s: 'set',
};

function msToNanos(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n;
}

export class Aggregator {
  private clients = new Map<string, Client>();
  private seriesCount = 0;
  private samplesCount = 0;
  private startMs: number;
  /** Receipt clock (ms) for samples of the gauge observer; read only when such a sample arrives. */
  clock: () => number = Date.now;
  /** Lines aggregated since the last `drainCounts`. */
  acceptedLines = 0;
  /** Persisted gauges forgotten after `gauge_expiry` without a write. */
  expiredGauges = 0;
  private current: Client | undefined;
  private readonly onMetricBound = (m: StatsdMetric): void => this.add(m);

  constructor(
    private readonly cfg: ResolvedStatsdConfig,
    private readonly refuse: RefuseCallback,
    startMs: number = Date.now(),
  ) {
    this.startMs = startMs;
  }

  /** Distinct series currently held. */
  get series(): number {
    return this.seriesCount;
  }

  /** The callback to hand the parser for lines from `clientKey` (resource attributes built once per client). */
  forClient(clientKey: string, attrs: () => KeyValue[]): (m: StatsdMetric) => void {
    let c = this.clients.get(clientKey);
    if (c === undefined) {
      c = { attrs: attrs(), byRaw: new Map(), byCanon: new Map() };
      this.clients.set(clientKey, c);
    }
    this.current = c;
    return this.onMetricBound;
  }

  private observerFor(type: StatsdType): Observer | undefined {
    switch (type) {
      case 'ms':
        return this.cfg.timer;
      case 'h':
      case 'd':
        return this.cfg.histogram;
      case 'c':
      case 'g':
      case 's':
        return undefined;
      default: {
        const never: never = type;
        throw new Error(`unknown type ${String(never)}`);
      }
    }
  }

  /** Aggregates one parsed line for the client selected by `forClient`. */
  add(m: StatsdMetric): void {
    const client = this.current;
    if (client === undefined) throw new Error('statsd aggregator: add() before forClient()');
    if (m.simpleTags && !this.cfg.enableSimpleTags) {
      this.refuse('simple_tags', 1, `tag without a value in '${m.rawTags}' (enable_simple_tags is off)`);
      return;
    }
    const observer = this.observerFor(m.type);
    if (observer !== undefined && observer.kind === 'disabled') {
      this.refuse('disabled', 1, `type '${m.type}' is disabled by timer_histogram_mapping`);
      return;
    }
    const raw =
      m.containerId === undefined
        ? m.name + '|' + m.type + '|' + m.rawTags
        : m.name + '|' + m.type + '|' + m.rawTags + '|c:' + m.containerId;
    let s = client.byRaw.get(raw);
    if (s === undefined) {
      s = this.newSeries(client, raw, m, observer);
      if (s === undefined) return;
    }
    const st = s.state;
    switch (st.kind) {
      case 'counter': {
        const inv = 1 / m.sampleRate;
        for (const v of m.values) {
          const w = m.sampleRate === 1 ? v : v * inv;
          st.value += w;
          if (st.allInt && !Number.isInteger(w)) st.allInt = false;
        }
        break;
      }
      case 'gauge': {
        const vs = m.values;
        for (let i = 0; i < vs.length; i++) {
          const v = vs[i]!;
          // A delta adds to a gauge that exists (this interval, or an earlier one with persist_gauges); on a new
          // gauge it sets the signed value.
          st.value = m.delta && (st.touched || this.cfg.persistGauges) ? st.value + v : v;
          st.touched = true;
          st.idle = 0;
        }
        break;
      }
      case 'set': {
        const member = m.member ?? '';
        if (!st.members.has(member)) {
          if (st.members.size >= this.cfg.maxSetMembers) {
            this.refuse('set_limit', 1, `set '${m.name}' already holds ${this.cfg.maxSetMembers} members`);
            return;
          }
          // Members of all sets share the per-interval sample budget: the per-set cap alone times the series cap
          // is no memory bound.
          if (this.samplesCount >= this.cfg.maxSamples) {
            this.refuse('set_limit', 1, `${this.cfg.maxSamples} samples and set members already held this interval`);
            return;
          }
          this.samplesCount++;
          st.members.add(member);
        }
        break;
      }
      case 'samples': {
        const n = m.values.length;
        if (this.samplesCount + n > this.cfg.maxSamples) {
          this.refuse('sample_limit', 1, `${this.cfg.maxSamples} samples already held this interval`);
          return;
        }
        this.samplesCount += n;
        const isSummary = observer !== undefined && observer.kind === 'summary';
        const extra = isSummary ? 1 / m.sampleRate : this.clock();
        for (const v of m.values) {
          st.values.push(v);
          st.extra.push(extra);
        }
        break;
      }
      case 'histo': {
        const w = 1 / m.sampleRate;
        for (const v of m.values) {
          if (m.sampleRate === 1) {
            st.h.record(v, 1);
          } else {
            const total = w + st.carry;
            const n = Math.floor(total);
            st.carry = total - n;
            if (n > 0) st.h.record(v, n);
          }
        }
        break;
      }
      default: {
        const never: never = st;
        throw new Error(`unknown state ${String(never)}`);
      }
    }
    this.acceptedLines++;
  }

  private newSeries(client: Client, raw: string, m: StatsdMetric, observer: Observer | undefined): Series | undefined {
    const attrs: KeyValue[] = [];
    for (const [k, v] of m.tags) attrs.push({ key: k, value: v });
    if (m.containerId !== undefined) attrs.push({ key: 'container.id', value: m.containerId });
    if (this.cfg.enableMetricType) attrs.push({ key: 'metric_type', value: METRIC_TYPE[m.type] });
    const canon = canonicalAttrs(attrs);
    const canonKey = m.name + '\u0000' + m.type + '\u0000' + attrsKey(canon);
    let s = client.byCanon.get(canonKey);
    if (s === undefined) {
      if (this.seriesCount >= this.cfg.maxSeries) {
        this.refuse('series_limit', 1, `${this.cfg.maxSeries} series already held this interval`);
        return undefined;
      }
      s = { name: m.name, type: m.type, attrs: canon, state: newState(m.type, observer) };
      client.byCanon.set(canonKey, s);
      this.seriesCount++;
    }
    client.byRaw.set(raw, s);
    return s;
  }

  /**
   * Ends the interval at `nowMs`: returns the request (undefined when there is nothing to send) and starts the
   * next interval. Delta points cover (previous flush, now].
   */
  flush(nowMs: number = Date.now()): ExportMetricsServiceRequest | undefined {
    const start = msToNanos(this.startMs);
    const end = msToNanos(nowMs);
    this.startMs = nowMs;
    const old = this.clients;
    this.clients = new Map();
    this.current = undefined;
    this.seriesCount = 0;
    this.samplesCount = 0;
    const resourceMetrics: ResourceMetrics[] = [];
    for (const [key, client] of old) {
      const metrics = new Map<string, Metric>();
      let kept: Client | undefined;
      for (const s of client.byCanon.values()) {
        if (s.state.kind === 'gauge' && !s.state.touched) s.state.idle++;
        const expired =
          s.state.kind === 'gauge' &&
          this.cfg.gaugeExpiryIntervals > 0 &&
          s.state.idle >= this.cfg.gaugeExpiryIntervals;
        if (expired) {
          this.expiredGauges++;
          continue;
        }
        this.emit(s, start, end, metrics);
        if (this.cfg.persistGauges && s.state.kind === 'gauge') {
          if (kept === undefined) {
            kept = { attrs: client.attrs, byRaw: new Map(), byCanon: new Map() };
            this.clients.set(key, kept);
          }
          s.state.touched = false;
          kept.byCanon.set(s.name + '\u0000' + s.type + '\u0000' + attrsKey(s.attrs), s);
          this.seriesCount++;
        }
      }
      if (kept !== undefined) {
        const keptSeries = new Set(kept.byCanon.values());
        for (const [raw, s] of client.byRaw) if (keptSeries.has(s)) kept.byRaw.set(raw, s);
      }
      if (metrics.size === 0) continue;
      resourceMetrics.push({
        resource: { attributes: client.attrs, droppedAttributesCount: 0 },
        scopeMetrics: [
          {
            scope: { name: SCOPE_NAME, version: SCOPE_VERSION, attributes: [], droppedAttributesCount: 0 },
            metrics: [...metrics.values()],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      });
    }
    return resourceMetrics.length === 0 ? undefined : { resourceMetrics };
  }

  private emit(s: Series, start: bigint, end: bigint, out: Map<string, Metric>): void {
    const st = s.state;
    const observer = this.observerFor(s.type);
    const metric = (kind: string, make: () => Metric): Metric => {
      const k = s.name + '\u0000' + s.type + '\u0000' + kind;
      let m = out.get(k);
      if (m === undefined) {
        m = make();
        out.set(k, m);
      }
      return m;
    };
    const base = { name: s.name, description: '', unit: '', metadata: [] };
    switch (st.kind) {
      case 'counter': {
        const m = metric('sum', () => ({
          ...base,
          data: {
            type: 'sum',
            dataPoints: [],
            aggregationTemporality: AggregationTemporality.DELTA,
            isMonotonic: this.cfg.isMonotonicCounter,
          },
        }));
        const value = st.allInt && Number.isSafeInteger(st.value) ? BigInt(st.value) : st.value;
        pushNumber(m, numberPoint(s.attrs, start, end, value));
        return;
      }
      case 'gauge': {
        const m = metric('gauge', () => ({ ...base, data: { type: 'gauge', dataPoints: [] } }));
        pushNumber(m, numberPoint(s.attrs, start, end, st.value));
        return;
      }
      case 'set': {
        const m = metric('gauge', () => ({ ...base, data: { type: 'gauge', dataPoints: [] } }));
        pushNumber(m, numberPoint(s.attrs, start, end, BigInt(st.members.size)));
        return;
      }
      case 'samples': {
        if (observer !== undefined && observer.kind === 'summary') {
          const m = metric('summary', () => ({ ...base, data: { type: 'summary', dataPoints: [] } }));
          if (m.data?.type !== 'summary') return;
          const q = weightedQuantiles(st.values, st.extra, observer.percentiles);
          m.data.dataPoints.push({
            attributes: s.attrs,
            startTimeUnixNano: start,
            timeUnixNano: end,
            count: BigInt(Math.round(q.count)),
            sum: q.sum,
            quantileValues: q.quantiles,
            flags: 0,
          });
          return;
        }
        const m = metric('gauge', () => ({ ...base, data: { type: 'gauge', dataPoints: [] } }));
        for (let i = 0; i < st.values.length; i++) {
          const t = msToNanos(st.extra[i]!);
          pushNumber(m, numberPoint(s.attrs, 0n, t, st.values[i]!));
        }
        return;
      }
      case 'histo': {
        const m = metric('expo', () => ({
          ...base,
          data: { type: 'exponentialHistogram', dataPoints: [], aggregationTemporality: AggregationTemporality.DELTA },
        }));
        if (m.data?.type !== 'exponentialHistogram' || st.h.count === 0) return;
        m.data.dataPoints.push(st.h.toDataPoint({ attributes: s.attrs, startTimeUnixNano: start, timeUnixNano: end }));
        return;
      }
      default: {
        const never: never = st;
        throw new Error(`unknown state ${String(never)}`);
      }
    }
  }
}

function newState(type: StatsdType, observer: Observer | undefined): State {
  switch (type) {
    case 'c':
      return { kind: 'counter', value: 0, allInt: true };
    case 'g':
      return { kind: 'gauge', value: 0, touched: false, idle: 0 };
    case 's':
      return { kind: 'set', members: new Set() };
    case 'ms':
    case 'h':
    case 'd': {
      if (observer === undefined) throw new Error(`no observer for type ${type}`);
      switch (observer.kind) {
        case 'histogram':
          return { kind: 'histo', h: new ExpoHistogram({ maxSize: observer.maxSize }), carry: 0 };
        case 'gauge':
        case 'summary':
        case 'disabled':
          return { kind: 'samples', values: [], extra: [] };
        default: {
          const never: never = observer;
          throw new Error(`unknown observer ${String(never)}`);
        }
      }
    }
    default: {
      const never: never = type;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

function numberPoint(attrs: KeyValue[], start: bigint, time: bigint, value: number | bigint): NumberDataPoint {
  return { attributes: attrs, startTimeUnixNano: start, timeUnixNano: time, value, exemplars: [], flags: 0 };
}

function pushNumber(m: Metric, p: NumberDataPoint): void {
  const d = m.data;
  if (d !== undefined && (d.type === 'gauge' || d.type === 'sum')) d.dataPoints.push(p);
}

/**
 * Weighted empirical quantiles: for percentile p, the smallest sample whose cumulative weight reaches p% of the
 * total weight (p = 0 gives the minimum). Count = total weight, sum = Σ value·weight.
 */
export function weightedQuantiles(
  values: readonly number[],
  weights: readonly number[],
  percentiles: readonly number[],
): { count: number; sum: number; quantiles: { quantile: number; value: number }[] } {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  let total = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    total += weights[i]!;
    sum += values[i]! * weights[i]!;
  }
  const quantiles: { quantile: number; value: number }[] = [];
  if (n === 0) return { count: 0, sum: 0, quantiles };
  for (const p of percentiles) {
    const target = (p / 100) * total;
    let cum = 0;
    let value = values[order[n - 1]!]!;
    for (let i = 0; i < n; i++) {
      const idx = order[i]!;
      cum += weights[idx]!;
      if (cum >= target * (1 - 1e-12)) {
        value = values[idx]!;
        break;
      }
    }
    quantiles.push({ quantile: p / 100, value });
  }
  return { count: total, sum, quantiles };
}

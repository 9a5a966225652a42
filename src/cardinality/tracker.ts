// The cardinality tracker: fed every metrics batch once per receiver output, it keeps, per metric
// (name + point kind), bounded sketches of
//   - active series: distinct (resource, scope, point attributes) sets, one sketch per minute,
//     so the window's count is the union of the last `window` minutes and the per-minute counts
//     are the growth history;
//   - per point attribute key: distinct values, and the series count if that key were dropped
//     ("projection"), over the current and the previous half-window;
//   - per resource attribute key: distinct values (resource keys are shown apart; dropping them is
//     not a view's job, so they get no projection).
//
// It reads the protobuf bytes of the batch (`toProto()`: the received bytes when the batch
// arrived as protobuf, encoded once and cached otherwise) and never decodes the request into
// objects, so it neither changes the batch nor pays for building objects per point.
//
// Identity is by wire bytes: an attribute is hash(key bytes, value bytes); a point's attribute set
// hashes to the wrapping sum of its attributes' hashes, which does not depend on their order and
// lets the projection without key k be `sum - hash(k=v)` in O(1). A series is
// mix(sum + resource + scope). Two encodings of one value (rare: a kvlist in another order) count
// as two values.
import { mix32 } from '../metrics/attrs.js';
import type { Batch } from '../pdata/batch.js';
import { DistinctSketch } from './sketch.js';

export type PointKind = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';
const KINDS: readonly PointKind[] = ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'];

export interface CardinalityOptions {
  /** Metrics (name + kind) tracked at once; more are counted as overflow. Default 1000. */
  readonly maxMetrics?: number;
  /** Point attribute keys tracked per metric; more are counted as overflow. Default 16. */
  readonly maxKeysPerMetric?: number;
  /** The window "active" means, in ms. Default 15 minutes; whole minutes, 1 to 60. */
  readonly windowMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export const CARDINALITY_DEFAULTS = {
  maxMetrics: 1000,
  maxKeysPerMetric: 16,
  windowMs: 15 * 60_000,
} as const;

/** Register bits of per-key sketches (values, projections): 256 B each, ~6.5 % standard error. */
export const KEY_PRECISION = 8;
/** Register bits of per-minute series sketches: 1 KiB each, ~3.25 % standard error. */
export const SERIES_PRECISION = 10;

const MINUTE_MS = 60_000;
const MAX_ATTRS = 256;
const MAX_EXAMPLES = 3;
const MAX_EXAMPLE_CHARS = 40;
const MAX_NAME_CHARS = 512;
const MAX_KEY_CHARS = 256;
/** Key names whose values are never shown, not even as examples. */
const SECRET_KEY = /pass(word)?|secret|token|api[-_.]?key|auth|credential|cookie|session|private[-_.]?key|signature/i;

/** Keys of the per-metric key maps: 30 bits of the key's hash, so they stay small integers
 * (fast map keys); 16 keys colliding in 30 bits is not a practical concern. */
const KEY_MASK = 0x3fffffff;
/** Seed of an attribute's hash (over its whole KeyValue encoding). */
const KV_SEED = 0x1b873593;

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class KeyStats {
  epoch = -1;
  values = new DistinctSketch(KEY_PRECISION);
  prevValues = new DistinctSketch(KEY_PRECISION);
  /** Series hashes with this key removed (point keys only). */
  proj: DistinctSketch | undefined;
  prevProj: DistinctSketch | undefined;
  readonly examples: string[] = [];
  private readonly exampleHashes: number[] = [];
  /** Points (resource keys: metric messages) that carried the key, since tracking began. */
  points = 0;
  stamp = 0;

  constructor(
    readonly name: string,
    readonly resource: boolean,
    readonly sensitive: boolean,
  ) {
    if (!resource) {
      this.proj = new DistinctSketch(KEY_PRECISION);
      this.prevProj = new DistinctSketch(KEY_PRECISION);
    }
  }

  roll(epoch: number): void {
    if (this.epoch === epoch) return;
    if (this.epoch === epoch - 1) {
      const v = this.prevValues;
      v.clear();
      this.prevValues = this.values;
      this.values = v;
      if (this.proj !== undefined && this.prevProj !== undefined) {
        const p = this.prevProj;
        p.clear();
        this.prevProj = this.proj;
        this.proj = p;
      }
    } else {
      this.values.clear();
      this.prevValues.clear();
      this.proj?.clear();
      this.prevProj?.clear();
    }
    this.epoch = epoch;
  }

  wantsExample(h: number): boolean {
    return this.examples.length < MAX_EXAMPLES && !this.exampleHashes.includes(h);
  }

  addExample(h: number, text: string): void {
    this.exampleHashes.push(h);
    if (this.sensitive) {
      if (this.examples.length === 0) this.examples.push('[REDACTED]');
      return;
    }
    this.examples.push(text.length > MAX_EXAMPLE_CHARS ? `${text.slice(0, MAX_EXAMPLE_CHARS - 1)}…` : text);
  }

  bytes(): number {
    return (
      200 +
      this.values.bytes() +
      this.prevValues.bytes() +
      (this.proj?.bytes() ?? 0) +
      (this.prevProj?.bytes() ?? 0) +
      this.name.length * 2
    );
  }
}

export class MetricStats {
  /** Minute stamps of the ring slots (-1: empty). */
  readonly minutes: Float64Array;
  readonly series: (DistinctSketch | undefined)[];
  readonly keys: KeyStats[] = [];
  readonly keyByHash = new Map<number, KeyStats>();
  readonly resourceKeys: KeyStats[] = [];
  readonly resourceKeyByHash = new Map<number, KeyStats>();
  points = 0;
  lastMinute = -1;
  /** Attribute occurrences whose key was past maxKeysPerMetric. */
  keyOverflow = 0;

  constructor(
    readonly name: string,
    readonly kind: PointKind,
    windowMinutes: number,
  ) {
    this.minutes = new Float64Array(windowMinutes).fill(-1);
    this.series = new Array<DistinctSketch | undefined>(windowMinutes).fill(undefined);
  }

  /** The series sketch of `minute`, emptied first when its slot held an older minute. */
  seriesAt(minute: number): DistinctSketch {
    const slot = minute % this.minutes.length;
    let s = this.series[slot];
    if (this.minutes[slot] !== minute || s === undefined) {
      if (s === undefined) {
        s = new DistinctSketch(SERIES_PRECISION);
        this.series[slot] = s;
      } else s.clear();
      this.minutes[slot] = minute;
    }
    return s;
  }

  /** Union of the series sketches for minutes in [from, to]. */
  seriesUnion(from: number, to: number, into: DistinctSketch): DistinctSketch {
    for (let i = 0; i < this.minutes.length; i++) {
      const m = this.minutes[i] as number;
      const s = this.series[i];
      if (s !== undefined && m >= from && m <= to) into.mergeFrom(s);
    }
    return into;
  }

  bytes(): number {
    let b = 300 + this.name.length * 2 + this.minutes.byteLength;
    for (const s of this.series) if (s !== undefined) b += 64 + s.bytes();
    for (const k of this.keys) b += k.bytes();
    for (const k of this.resourceKeys) b += k.bytes();
    return b;
  }
}

/** The read side: what reports are built from. */
export interface TrackerView {
  readonly windowMinutes: number;
  readonly epochMs: number;
  readonly maxMetrics: number;
  readonly maxKeysPerMetric: number;
  readonly now: () => number;
  metrics(): Iterable<MetricStats>;
  readonly totals: TrackerTotals;
}

export interface TrackerTotals {
  batches: number;
  points: number;
  /** Points of metrics past maxMetrics. */
  overflowPoints: number;
  /** Distinct metric names past maxMetrics. */
  readonly overflowNames: DistinctSketch;
  /** Batches the tracker could not read (never expected: receivers validate). */
  errors: number;
}

export class CardinalityTracker implements TrackerView {
  readonly windowMinutes: number;
  readonly epochMs: number;
  readonly maxMetrics: number;
  readonly maxKeysPerMetric: number;
  readonly now: () => number;
  readonly totals: TrackerTotals = {
    batches: 0,
    points: 0,
    overflowPoints: 0,
    overflowNames: new DistinctSketch(KEY_PRECISION),
    errors: 0,
  };
  private readonly byId = new Map<number, MetricStats>();
  private lastEvictMinute = -1;

  // Per-batch state and per-point scratch (no allocation per point).
  private minute = 0;
  private epoch = 0;
  private stamp = 0;
  private readonly keyH = new Uint32Array(MAX_ATTRS);
  private readonly valH = new Uint32Array(MAX_ATTRS);
  private readonly kvH = new Uint32Array(MAX_ATTRS);
  private readonly kvS = new Int32Array(MAX_ATTRS);
  private readonly kvE = new Int32Array(MAX_ATTRS);
  private readonly keyS = new Int32Array(MAX_ATTRS);
  private readonly keyE = new Int32Array(MAX_ATTRS);
  private readonly valS = new Int32Array(MAX_ATTRS);
  private readonly valE = new Int32Array(MAX_ATTRS);
  // Resource attributes of the ResourceMetrics being scanned.
  private readonly resKeyH = new Uint32Array(MAX_ATTRS);
  private readonly resValH = new Uint32Array(MAX_ATTRS);
  private readonly resKeyS = new Int32Array(MAX_ATTRS);
  private readonly resKeyE = new Int32Array(MAX_ATTRS);
  private readonly resValS = new Int32Array(MAX_ATTRS);
  private readonly resValE = new Int32Array(MAX_ATTRS);
  private nRes = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;

  constructor(opts: CardinalityOptions = {}) {
    this.maxMetrics = Math.max(1, opts.maxMetrics ?? CARDINALITY_DEFAULTS.maxMetrics);
    this.maxKeysPerMetric = Math.max(1, opts.maxKeysPerMetric ?? CARDINALITY_DEFAULTS.maxKeysPerMetric);
    const windowMs = opts.windowMs ?? CARDINALITY_DEFAULTS.windowMs;
    this.windowMinutes = Math.min(60, Math.max(1, Math.round(windowMs / MINUTE_MS)));
    // Whole minutes, so that a series already in the current minute's sketch was seen in the
    // current epoch too (see `point`).
    this.epochMs = Math.ceil(this.windowMinutes / 2) * MINUTE_MS;
    this.now = opts.now ?? Date.now;
  }

  metrics(): Iterable<MetricStats> {
    return this.byId.values();
  }

  /** Tracked metrics right now. */
  get size(): number {
    return this.byId.size;
  }

  /** Approximate bytes held (typed arrays, plus a fixed estimate per object). */
  bytes(): number {
    let b = 0;
    for (const m of this.byId.values()) b += m.bytes();
    return b + this.totals.overflowNames.bytes();
  }

  /** Read one metrics batch. Never throws and never changes the batch. */
  observe(batch: Batch<'metrics'>): void {
    try {
      this.observeProto(batch.toProto());
    } catch {
      this.totals.errors++;
    }
  }

  /** Read an encoded ExportMetricsServiceRequest. Throws on bytes that overrun their message. */
  observeProto(bytes: Uint8Array): void {
    const now = this.now();
    this.minute = Math.floor(now / MINUTE_MS);
    this.epoch = Math.floor(now / this.epochMs);
    this.buf = bytes;
    this.totals.batches++;
    this.pos = 0;
    const end = bytes.length;
    while (this.pos < end) {
      const tag = this.varint();
      if (tag === (1 << 3) + 2) {
        const len = this.varint();
        const s = this.pos;
        this.pos = this.limit(s + len, end);
        this.resourceMetrics(s, this.pos);
      } else this.skip(tag, end);
    }
    this.buf = new Uint8Array(0);
  }

  // ---------------------------------------------------------------- wire walking
  private varint(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= buf.length) throw new RangeError('truncated varint');
      const b = buf[this.pos++] as number;
      if (shift < 28) result |= (b & 0x7f) << shift;
      else result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 63) throw new RangeError('varint too long');
    }
    return result;
  }

  private limit(at: number, end: number): number {
    if (at > end) throw new RangeError('length past the end of its message');
    return at;
  }

  private skip(tag: number, end: number): void {
    switch (tag & 7) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos = this.limit(this.pos + 8, end);
        return;
      case 2: {
        const len = this.varint();
        this.pos = this.limit(this.pos + len, end);
        return;
      }
      case 5:
        this.pos = this.limit(this.pos + 4, end);
        return;
      default:
        throw new RangeError(`unsupported wire type ${tag & 7}`);
    }
  }

  /** A 32-bit hash of buf[s, e): four bytes per round (murmur3's block step), then the tail. */
  private hashRange(s: number, e: number, seed: number): number {
    const buf = this.buf;
    let h = seed | 0;
    let i = s;
    for (; i + 4 <= e; i += 4) {
      let k =
        (buf[i] as number) |
        ((buf[i + 1] as number) << 8) |
        ((buf[i + 2] as number) << 16) |
        ((buf[i + 3] as number) << 24);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    let k = 0;
    for (let j = e - 1; j >= i; j--) k = (k << 8) | (buf[j] as number);
    if (i < e) {
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
    }
    return mix32((h ^ (e - s)) >>> 0);
  }

  /** One KeyValue at [s, e): sets key/value ranges and hashes at index i of the given arrays. */
  private keyValue(
    s: number,
    e: number,
    i: number,
    keyH: Uint32Array,
    valH: Uint32Array,
    keyS: Int32Array,
    keyE: Int32Array,
    valS: Int32Array,
    valE: Int32Array,
  ): void {
    const save = this.pos;
    this.pos = s;
    let ks = s;
    let ke = s;
    let vs = s;
    let ve = s;
    while (this.pos < e) {
      const tag = this.varint();
      if (tag === (1 << 3) + 2) {
        const len = this.varint();
        ks = this.pos;
        this.pos = this.limit(ks + len, e);
        ke = this.pos;
      } else if (tag === (2 << 3) + 2) {
        const len = this.varint();
        vs = this.pos;
        this.pos = this.limit(vs + len, e);
        ve = this.pos;
      } else this.skip(tag, e);
    }
    this.pos = save;
    keyH[i] = this.hashRange(ks, ke, 0x811c9dc5);
    valH[i] = this.hashRange(vs, ve, 0x2f693f2b);
    keyS[i] = ks;
    keyE[i] = ke;
    valS[i] = vs;
    valE[i] = ve;
  }

  private resourceMetrics(s: number, e: number): void {
    // Resource first (wherever it is in the message), then the scopes.
    this.nRes = 0;
    let resourceSum = 0;
    this.pos = s;
    while (this.pos < e) {
      const tag = this.varint();
      if (tag === (1 << 3) + 2) {
        const len = this.varint();
        const rs = this.pos;
        this.pos = this.limit(rs + len, e);
        resourceSum = this.resource(rs, this.pos);
      } else this.skip(tag, e);
    }
    const resourceHash = mix32((resourceSum ^ 0x5bd1e995) >>> 0);
    this.pos = s;
    while (this.pos < e) {
      const tag = this.varint();
      if (tag === (2 << 3) + 2) {
        const len = this.varint();
        const ss = this.pos;
        this.pos = this.limit(ss + len, e);
        const after = this.pos;
        this.scopeMetrics(ss, after, resourceHash);
        this.pos = after;
      } else this.skip(tag, e);
    }
  }

  /** Reads resource attributes into the res* arrays; returns their order-free sum of kv hashes. */
  private resource(s: number, e: number): number {
    let sum = 0;
    this.pos = s;
    while (this.pos < e) {
      const tag = this.varint();
      if (tag === (1 << 3) + 2) {
        const len = this.varint();
        const ks = this.pos;
        this.pos = this.limit(ks + len, e);
        const i = this.nRes;
        if (i < MAX_ATTRS) {
          this.keyValue(
            ks,
            this.pos,
            i,
            this.resKeyH,
            this.resValH,
            this.resKeyS,
            this.resKeyE,
            this.resValS,
            this.resValE,
          );
          this.nRes++;
        }
        sum = (sum + this.hashRange(ks, this.pos, KV_SEED)) >>> 0;
      } else this.skip(tag, e);
    }
    return sum;
  }

  private scopeMetrics(s: number, e: number, resourceHash: number): void {
    let scopeHash = 0;
    this.pos = s;
    while (this.pos < e) {
      const tag = this.varint();
      if (tag === (1 << 3) + 2) {
        const len = this.varint();
        const ss = this.pos;
        this.pos = this.limit(ss + len, e);
        scopeHash = this.hashRange(ss, this.pos, 0x3c6ef372);
      } else this.skip(tag, e);
    }
    const context = (resourceHash + scopeHash) >>> 0;
    this.pos = s;
    while (this.pos < e) {
      const tag = this.varint();
      if (tag === (2 << 3) + 2) {
        const len = this.varint();
        const ms = this.pos;
        this.pos = this.limit(ms + len, e);
        const after = this.pos;
        this.metric(ms, after, context);
        this.pos = after;
      } else this.skip(tag, e);
    }
  }

  private metric(s: number, e: number, context: number): void {
    let ns = s;
    let ne = s;
    let ds = -1;
    let de = -1;
    let kind: PointKind | undefined;
    this.pos = s;
    while (this.pos < e) {
      const tag = this.varint();
      const field = tag >>> 3;
      if (
        (tag & 7) === 2 &&
        (field === 1 || field === 5 || field === 7 || field === 9 || field === 10 || field === 11)
      ) {
        const len = this.varint();
        const fs = this.pos;
        this.pos = this.limit(fs + len, e);
        if (field === 1) {
          ns = fs;
          ne = this.pos;
        } else {
          ds = fs;
          de = this.pos;
          kind =
            field === 5
              ? 'gauge'
              : field === 7
                ? 'sum'
                : field === 9
                  ? 'histogram'
                  : field === 10
                    ? 'exponential_histogram'
                    : 'summary';
        }
      } else this.skip(tag, e);
    }
    if (kind === undefined) return;
    const attrField = kind === 'histogram' ? 9 : kind === 'exponential_histogram' ? 1 : 7;
    const nameHash = this.hashRange(ns, ne, 0x811c9dc5);
    const id = nameHash * 8 + KINDS.indexOf(kind);
    let m = this.byId.get(id);
    if (m === undefined) {
      m = this.addMetric(id, ns, ne, kind);
      if (m === undefined) {
        this.totals.overflowNames.add(nameHash);
        this.overflowPoints(ds, de);
        return;
      }
    }
    if (m.lastMinute !== this.minute) m.lastMinute = this.minute;
    const series = m.seriesAt(this.minute);
    for (const k of m.keys) k.roll(this.epoch);
    this.resourceKeys(m);
    this.pos = ds;
    while (this.pos < de) {
      const tag = this.varint();
      if (tag === (1 << 3) + 2) {
        const len = this.varint();
        const ps = this.pos;
        this.pos = this.limit(ps + len, de);
        const after = this.pos;
        this.point(m, series, ps, after, attrField, context);
        this.pos = after;
      } else this.skip(tag, de);
    }
  }

  private overflowPoints(ds: number, de: number): void {
    this.pos = ds;
    let n = 0;
    while (this.pos < de) {
      const tag = this.varint();
      if (tag === (1 << 3) + 2) n++;
      this.skip(tag, de);
    }
    this.totals.overflowPoints += n;
    this.totals.points += n;
  }

  private addMetric(id: number, ns: number, ne: number, kind: PointKind): MetricStats | undefined {
    if (this.byId.size >= this.maxMetrics) {
      if (this.lastEvictMinute === this.minute) return undefined;
      this.lastEvictMinute = this.minute;
      const oldest = this.minute - this.windowMinutes;
      for (const [k, v] of this.byId) if (v.lastMinute <= oldest) this.byId.delete(k);
      if (this.byId.size >= this.maxMetrics) return undefined;
    }
    let name = utf8.decode(this.buf.subarray(ns, ne));
    if (name.length > MAX_NAME_CHARS) name = `${name.slice(0, MAX_NAME_CHARS - 1)}…`;
    const m = new MetricStats(name, kind, this.windowMinutes);
    this.byId.set(id, m);
    return m;
  }

  private resourceKeys(m: MetricStats): void {
    for (let i = 0; i < this.nRes; i++) {
      const kh = (this.resKeyH[i] as number) & KEY_MASK;
      let ks = m.resourceKeyByHash.get(kh);
      if (ks === undefined) {
        if (m.resourceKeys.length >= this.maxKeysPerMetric) {
          m.keyOverflow++;
          continue;
        }
        const name = this.keyName(this.resKeyS[i] as number, this.resKeyE[i] as number);
        ks = new KeyStats(name, true, SECRET_KEY.test(name));
        m.resourceKeys.push(ks);
        m.resourceKeyByHash.set(kh, ks);
      }
      ks.roll(this.epoch);
      const vh = this.resValH[i] as number;
      ks.values.add(vh);
      ks.points++;
      if (ks.wantsExample(vh)) ks.addExample(vh, this.valueText(this.resValS[i] as number, this.resValE[i] as number));
    }
  }

  private keyName(s: number, e: number): string {
    const name = utf8.decode(this.buf.subarray(s, e));
    return name.length > MAX_KEY_CHARS ? `${name.slice(0, MAX_KEY_CHARS - 1)}…` : name;
  }

  private point(
    m: MetricStats,
    series: DistinctSketch,
    s: number,
    e: number,
    attrField: number,
    context: number,
  ): void {
    const want = (attrField << 3) + 2;
    let n = 0;
    let sum = 0;
    // Fast pass: one hash per attribute over its whole encoding; enough to know the series.
    // Tags and lengths below 128 (nearly all) are read inline.
    const buf = this.buf;
    let pos = s;
    while (pos < e) {
      let tag = buf[pos] as number;
      if (tag < 0x80) pos++;
      else {
        this.pos = pos;
        tag = this.varint();
        pos = this.pos;
      }
      const wire = tag & 7;
      if (wire === 2) {
        if (pos >= e) throw new RangeError('truncated length');
        let len = buf[pos] as number;
        if (len < 0x80) pos++;
        else {
          this.pos = pos;
          len = this.varint();
          pos = this.pos;
        }
        const fs = pos;
        pos += len;
        if (pos > e) throw new RangeError('length past the end of its message');
        if (tag !== want) continue;
        const h = this.hashRange(fs, pos, KV_SEED);
        sum = (sum + h) >>> 0;
        if (n < MAX_ATTRS) {
          this.kvH[n] = h;
          this.kvS[n] = fs;
          this.kvE[n] = pos;
          n++;
        }
      } else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else {
        this.pos = pos;
        this.skip(tag, e);
        pos = this.pos;
      }
    }
    if (pos > e) throw new RangeError('field past the end of its message');
    m.points++;
    this.totals.points++;
    const base = (sum + context) >>> 0;
    const seriesHash = mix32(base);
    // Seen this minute already (known while the minute's sketch is exact): this epoch's key
    // sketches already hold everything this point would add. The steady state of most metrics.
    if (series.has(seriesHash)) return;
    const stamp = ++this.stamp;
    let found = 0;
    for (let i = 0; i < n; i++) {
      this.keyValue(
        this.kvS[i] as number,
        this.kvE[i] as number,
        i,
        this.keyH,
        this.valH,
        this.keyS,
        this.keyE,
        this.valS,
        this.valE,
      );
      const kh = (this.keyH[i] as number) & KEY_MASK;
      let ks = m.keyByHash.get(kh);
      if (ks === undefined) {
        ks = this.addPointKey(m, kh, i);
        if (ks === undefined) continue;
      }
      if (ks.stamp === stamp) continue; // a duplicated key in one point: count it once
      ks.stamp = stamp;
      found++;
      ks.points++;
      const vh = this.valH[i] as number;
      ks.values.add(vh);
      (ks.proj as DistinctSketch).add(mix32((base - (this.kvH[i] as number)) >>> 0));
      if (ks.wantsExample(vh)) ks.addExample(vh, this.valueText(this.valS[i] as number, this.valE[i] as number));
    }
    if (found < m.keys.length) {
      // Keys this point lacks: dropping them leaves its series as it is.
      for (const ks of m.keys) if (ks.stamp !== stamp) (ks.proj as DistinctSketch).add(seriesHash);
    }
    // Last: a key first seen on this point seeds its projection from the series before it.
    series.add(seriesHash);
  }

  private addPointKey(m: MetricStats, kh: number, i: number): KeyStats | undefined {
    if (m.keys.length >= this.maxKeysPerMetric) {
      m.keyOverflow++;
      return undefined;
    }
    const name = this.keyName(this.keyS[i] as number, this.keyE[i] as number);
    const ks = new KeyStats(name, false, SECRET_KEY.test(name));
    ks.epoch = this.epoch;
    // Points seen before this key appeared lacked it: their projection is their own series.
    const epochStartMinute = Math.floor((this.epoch * this.epochMs) / MINUTE_MS);
    const prevStartMinute = Math.floor(((this.epoch - 1) * this.epochMs) / MINUTE_MS);
    m.seriesUnion(epochStartMinute, this.minute, ks.proj as DistinctSketch);
    m.seriesUnion(prevStartMinute, epochStartMinute - 1, ks.prevProj as DistinctSketch);
    m.keys.push(ks);
    m.keyByHash.set(kh, ks);
    return ks;
  }

  /** Text of an AnyValue at [s, e) for examples. */
  private valueText(s: number, e: number): string {
    if (s >= e) return 'null';
    const save = this.pos;
    try {
      this.pos = s;
      const tag = this.varint();
      switch (tag) {
        case (1 << 3) + 2: {
          const len = this.varint();
          const end = Math.min(this.pos + len, e, this.pos + MAX_EXAMPLE_CHARS * 4);
          return utf8.decode(this.buf.subarray(this.pos, end));
        }
        case 2 << 3:
          return this.varint() === 0 ? 'false' : 'true';
        case 3 << 3: {
          let v = 0n;
          let shift = 0n;
          for (;;) {
            const b = this.buf[this.pos++] as number;
            v |= BigInt(b & 0x7f) << shift;
            if ((b & 0x80) === 0 || this.pos >= e) break;
            shift += 7n;
          }
          return BigInt.asIntN(64, v).toString();
        }
        case (4 << 3) + 1:
          return String(Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, 8).readDoubleLE(0));
        case (5 << 3) + 2:
          return '[array]';
        case (6 << 3) + 2:
          return '{kvlist}';
        case (7 << 3) + 2:
          return `(${this.varint()} bytes)`;
        default:
          return '(value)';
      }
    } catch {
      return '(value)';
    } finally {
      this.pos = save;
    }
  }
}

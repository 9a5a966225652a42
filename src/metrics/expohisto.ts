// Base-2 exponential histogram core (OpenTelemetry data model "ExponentialHistogram" and SDK
// "Base2 Exponential Bucket Histogram Aggregation"). Pure functions plus a small mutable accumulator
// intended for the `views` processor.
//
// Bucket `index` at `scale` covers (base^index, base^(index+1)] with base = 2^(2^-scale): upper-inclusive,
// so an exact power of two 2^k lands in bucket (k << scale) - 1. Negative values are mapped by magnitude
// into a separate `negative` range with the same scale.

import type { Exemplar, ExponentialHistogramBuckets, ExponentialHistogramDataPoint, KeyValue } from '../pdata/model.js';

export const MIN_SCALE = -10;
export const MAX_SCALE = 20;
export const DEFAULT_MAX_SIZE = 160;
/**
 * Smallest accepted `maxSize`. At scale -10 the whole double range (subnormals included, which this module maps
 * exactly instead of rounding them up to 2^-1022 like some SDKs) spans indexes -2..0, i.e. 3 buckets; with 3
 * buckets every mix of values therefore fits without going below MIN_SCALE.
 */
export const MIN_MAX_SIZE = 3;

const view = new DataView(new ArrayBuffer(8));

/** Results of `decompose`, kept in module scope to avoid allocating on the hot path. */
let decExp = 0;
let decSignificand = 1;
let decPowerOfTwo = false;

/**
 * Splits a positive finite v into significand·2^exp with significand in [1, 2) (subnormals are normalised first,
 * which is exact). Sets decExp, decSignificand (as a double) and decPowerOfTwo (significand bits all zero).
 */
function decompose(v: number): void {
  view.setFloat64(0, v);
  let hi = view.getUint32(0);
  let shift = 0;
  if (((hi >>> 20) & 0x7ff) === 0) {
    // Subnormal: multiplying by 2^64 is exact and yields a normal number.
    view.setFloat64(0, v * 2 ** 64);
    hi = view.getUint32(0);
    shift = 64;
  }
  const lo = view.getUint32(4);
  const frac = hi & 0xfffff;
  decExp = ((hi >>> 20) & 0x7ff) - 1023 - shift;
  decPowerOfTwo = frac === 0 && lo === 0;
  view.setUint32(0, frac | 0x3ff00000);
  decSignificand = view.getFloat64(0);
}

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
    throw new RangeError(`exponential histogram scale must be an integer in [${MIN_SCALE}, ${MAX_SCALE}]: ${scale}`);
  }
}

/**
 * Bucket index of |value| at `scale` (-10..20). `value` must be finite and non-zero (zero belongs to the zero
 * bucket); negative values are mapped by magnitude.
 *
 * - scale <= 0: exponent extraction. index = e >> -scale where e is the IEEE unbiased exponent, minus one for exact
 *   powers of two; subnormals are handled exactly (indexes down to -1075 at scale 0).
 * - scale > 0: logarithm method with the exact power-of-two special case ((k << scale) - 1). The logarithm is
 *   taken of the significand only (index = e·2^scale + floor(log2(m)·2^scale), m in (1, 2)), which keeps the
 *   absolute error of the scaled logarithm around 2^scale·2^-53 instead of growing with |e|; the fractional part
 *   is clamped to 2^scale - 1 so rounding can never push a value past the next power of two. When the scaled
 *   logarithm lands within 1e-6 of an integer (a value within rounding distance of a bucket boundary, where plain
 *   log-based mappings may be off by one) the side of the boundary is decided exactly with BigInt fixed-point
 *   arithmetic, so the result is exact for every double (rare path, ~2 values per million).
 */
export function mapToIndex(value: number, scale: number): number {
  checkScale(scale);
  const v = Math.abs(value);
  if (!(v > 0) || v === Number.POSITIVE_INFINITY) {
    throw new RangeError(`mapToIndex needs a finite non-zero value: ${value}`);
  }
  return mapUnchecked(v, scale);
}

function mapUnchecked(v: number, scale: number): number {
  decompose(v);
  if (scale <= 0) {
    const e = decPowerOfTwo ? decExp - 1 : decExp;
    return e >> -scale;
  }
  const perPow2 = 2 ** scale;
  if (decPowerOfTwo) return decExp * perPow2 - 1;
  const x = Math.log2(decSignificand) * perPow2;
  let sub = Math.floor(x);
  const frac = x - sub;
  if (frac < NEAR_BOUNDARY || frac > 1 - NEAR_BOUNDARY) {
    // Within rounding distance of the boundary 2^(j / 2^scale): decide with exact arithmetic instead.
    const j = Math.round(x);
    const above = powerExceeds(decSignificand, scale, j);
    if (above !== undefined) sub = above ? j : j - 1;
  }
  return decExp * perPow2 + Math.min(Math.max(sub, 0), perPow2 - 1);
}

/**
 * |x - round(x)| below which the floating-point logarithm cannot be trusted to pick the right side of a boundary.
 * The error of log2(m)·2^scale is a few ulps of log2(m) (< 2^-50) times 2^scale (<= 2^20), i.e. < 1e-9; 1e-6 is
 * a wide margin and still sends only ~2 in a million random values down the exact path.
 */
const NEAR_BOUNDARY = 1e-6;
const FIX = 192n;
const FIX_ONE = 1n << FIX;
const FIX_TWO = 2n << FIX;

/**
 * Whether m^(2^scale) > 2^j, i.e. m > 2^(j / 2^scale), for m in (1, 2): `scale` squarings of a fixed-point BigInt
 * interval [lo, hi]·2^e (192 fractional bits, lo rounded down and hi rounded up, renormalised to [1, 2) by the same
 * shift). undefined if the interval still straddles 2^j (m would have to lie within ~2^-170 of the boundary).
 */
function powerExceeds(m: number, scale: number, j: number): boolean | undefined {
  let lo = BigInt(m * 2 ** 52) << (FIX - 52n);
  let hi = lo;
  let e = 0;
  for (let i = 0; i < scale; i++) {
    lo = (lo * lo) >> FIX;
    hi = (hi * hi + FIX_ONE - 1n) >> FIX;
    e *= 2;
    if (hi >= FIX_TWO) {
      lo >>= 1n;
      hi = (hi + 1n) >> 1n;
      e++;
    }
  }
  // compare [lo, hi]·2^e with 2^j, i.e. [lo, hi] with 2^(j - e) in fixed point
  const d = j - e;
  if (d > 2) return false; // hi < 2^(FIX + 2)
  if (d < -2) return true; // lo > 2^(FIX - 2) since lo >= 1/2 after renormalisation
  const target = d >= 0 ? FIX_ONE << BigInt(d) : FIX_ONE >> BigInt(-d);
  if (lo > target) return true;
  if (hi <= target) return false;
  return undefined;
}

/** ldexp(m, e) = m·2^e with a single final rounding when the result is subnormal. */
function ldexp(m: number, e: number): number {
  if (e > 1023) return m * 2 ** 1023 * 2 ** (e - 1023);
  if (e < -1022) return m * 2 ** (e + 64) * 2 ** -64;
  return m * 2 ** e;
}

/**
 * Lower (exclusive) boundary base^index of bucket `index` at `scale`. Exact for scale <= 0 and for every index that
 * is a multiple of 2^scale (powers of two); otherwise within an ulp or two. Returns 0 / Infinity when the boundary is
 * outside the double range (e.g. the upper boundary of the last bucket, `lowerBoundary(maxIndex + 1, scale)`).
 */
export function lowerBoundary(index: number, scale: number): number {
  checkScale(scale);
  if (!Number.isInteger(index)) throw new RangeError(`bucket index must be an integer: ${index}`);
  if (scale <= 0) return ldexp(1, index * 2 ** -scale);
  const perPow2 = 2 ** scale;
  const q = Math.floor(index / perPow2);
  const r = index - q * perPow2;
  return ldexp(r === 0 ? 1 : 2 ** (r / perPow2), q);
}

/** Index of the smallest positive double (2^-1074, mapped exactly) at `scale`. */
function minIndex(scale: number): number {
  return scale > 0 ? -1074 * 2 ** scale - 1 : -1075 >> -scale;
}

/** Index of Number.MAX_VALUE at `scale`. */
function maxIndex(scale: number): number {
  return scale > 0 ? 1024 * 2 ** scale - 1 : 1023 >> -scale;
}

/** Number of halvings of (low, high) needed until the range spans fewer than maxSize+1 buckets. */
function changeNeeded(low: number, high: number, maxSize: number): number {
  let change = 0;
  let lo = low;
  let hi = high;
  while (hi - lo >= maxSize) {
    lo >>= 1;
    hi >>= 1;
    change++;
  }
  return change;
}

/** One bucket range: counts[i] is the count of bucket offset + i. Empty when counts is empty. */
class BucketRange {
  offset = 0;
  counts: number[] = [];

  get empty(): boolean {
    return this.counts.length === 0;
  }

  get end(): number {
    return this.offset + this.counts.length - 1;
  }

  increment(index: number, count: number): void {
    if (this.counts.length === 0) {
      this.offset = index;
      this.counts = [count];
      return;
    }
    if (index < this.offset) {
      const grown = new Array<number>(this.end - index + 1).fill(0);
      for (let i = 0; i < this.counts.length; i++) grown[this.offset - index + i] = this.counts[i]!;
      this.counts = grown;
      this.offset = index;
    } else if (index > this.end) {
      for (let i = this.end; i < index; i++) this.counts.push(0);
    }
    this.counts[index - this.offset]! += count;
  }

  downscale(by: number): void {
    if (by === 0 || this.counts.length === 0) return;
    const newOffset = this.offset >> by;
    const next = new Array<number>((this.end >> by) - newOffset + 1).fill(0);
    for (let i = 0; i < this.counts.length; i++) next[((this.offset + i) >> by) - newOffset]! += this.counts[i]!;
    this.offset = newOffset;
    this.counts = next;
  }

  /** Drops leading/trailing zero buckets. */
  trim(): void {
    let start = 0;
    let stop = this.counts.length;
    while (start < stop && this.counts[start] === 0) start++;
    while (stop > start && this.counts[stop - 1] === 0) stop--;
    if (start === 0 && stop === this.counts.length) return;
    this.counts = this.counts.slice(start, stop);
    this.offset = this.counts.length === 0 ? 0 : this.offset + start;
  }

  /** Moves buckets lying entirely within [0, threshold] out of the range; returns their total count. */
  removeAtOrBelow(threshold: number, scale: number): number {
    let moved = 0;
    for (let i = 0; i < this.counts.length; i++) {
      if (lowerBoundary(this.offset + i + 1, scale) > threshold) break;
      moved += this.counts[i]!;
      this.counts[i] = 0;
    }
    this.trim();
    return moved;
  }

  clone(): BucketRange {
    const copy = new BucketRange();
    copy.offset = this.offset;
    copy.counts = this.counts.slice();
    return copy;
  }
}

export interface ExpoHistogramOptions {
  /** Maximum number of buckets per range (positive and negative separately), default 160, minimum 3. */
  maxSize?: number;
  /** Starting and maximum scale, default 20, range -10..20. */
  maxScale?: number;
  /** Values with |v| <= zeroThreshold count in the zero bucket, default 0 (only exact zeros). */
  zeroThreshold?: number;
  /** Track min/max, default true. */
  recordMinMax?: boolean;
}

/** Read-only view of one bucket range. */
export interface BucketsView {
  offset: number;
  counts: readonly number[];
}

/** Non-value fields of a data point, supplied by the caller of `toDataPoint`. */
export interface DataPointMeta {
  attributes: KeyValue[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  flags?: number;
  exemplars?: Exemplar[];
}

/**
 * Mutable base-2 exponential histogram accumulator.
 *
 * Starts at `maxScale` and downscales automatically when a recorded value would make the positive or the negative
 * range wider than `maxSize` buckets. Counts are JS numbers internally (exact up to 2^53 - 1 per bucket and in
 * total, far beyond any realistic per-interval count); `toDataPoint` converts them to the bigint counts of the OTLP
 * model. Non-finite values are ignored (as the OpenTelemetry JS SDK does), so sum/min/max stay finite.
 *
 * The reported scale is always the current internal scale, also when only zeros were recorded (some SDKs report 0
 * then; keeping the real scale avoids a spurious "scale increased" reset signal in cumulative streams).
 */
export class ExpoHistogram {
  readonly maxSize: number;
  readonly maxScale: number;
  readonly recordMinMax: boolean;
  #scale: number;
  #zeroThreshold: number;
  #zeroCount = 0;
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #positive = new BucketRange();
  #negative = new BucketRange();

  constructor(options: ExpoHistogramOptions = {}) {
    const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
    if (!Number.isSafeInteger(maxSize) || maxSize < MIN_MAX_SIZE) {
      throw new RangeError(`maxSize must be an integer >= ${MIN_MAX_SIZE}: ${maxSize}`);
    }
    const maxScale = options.maxScale ?? MAX_SCALE;
    checkScale(maxScale);
    const zeroThreshold = options.zeroThreshold ?? 0;
    if (!(zeroThreshold >= 0) || !Number.isFinite(zeroThreshold)) {
      throw new RangeError(`zeroThreshold must be finite and >= 0: ${zeroThreshold}`);
    }
    this.maxSize = maxSize;
    this.maxScale = maxScale;
    this.recordMinMax = options.recordMinMax ?? true;
    this.#scale = maxScale;
    this.#zeroThreshold = zeroThreshold;
  }

  get scale(): number {
    return this.#scale;
  }
  get count(): number {
    return this.#count;
  }
  get sum(): number {
    return this.#sum;
  }
  /** undefined when nothing was recorded or min/max recording is off. */
  get min(): number | undefined {
    return this.recordMinMax && this.#count > 0 && this.#min <= this.#max ? this.#min : undefined;
  }
  get max(): number | undefined {
    return this.recordMinMax && this.#count > 0 && this.#min <= this.#max ? this.#max : undefined;
  }
  get zeroCount(): number {
    return this.#zeroCount;
  }
  get zeroThreshold(): number {
    return this.#zeroThreshold;
  }
  get positive(): BucketsView {
    return { offset: this.#positive.offset, counts: this.#positive.counts };
  }
  get negative(): BucketsView {
    return { offset: this.#negative.offset, counts: this.#negative.counts };
  }

  /**
   * Records `value` `count` times. Returns false (and records nothing) for NaN/±Infinity or count 0.
   * `count` must be a finite non-negative integer (beyond 2^53 it is as exact as a double, like every count here:
   * converted buckets of OTLP points may carry such counts).
   */
  record(value: number, count = 1): boolean {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`record count must be a finite non-negative integer: ${count}`);
    }
    if (count === 0 || !Number.isFinite(value)) return false;
    this.#count += count;
    this.#sum += value * count;
    const v = value === 0 ? 0 : value; // -0 and 0 are the same for min/max
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
    const magnitude = Math.abs(value);
    if (magnitude <= this.#zeroThreshold) {
      this.#zeroCount += count;
      return true;
    }
    const range = value > 0 ? this.#positive : this.#negative;
    let index = mapUnchecked(magnitude, this.#scale);
    if (!range.empty) {
      const change = changeNeeded(Math.min(range.offset, index), Math.max(range.end, index), this.maxSize);
      if (change > 0) {
        this.downscale(change);
        index = mapUnchecked(magnitude, this.#scale);
      }
    }
    range.increment(index, count);
    return true;
  }

  /**
   * Lowers the scale by `by` (>= 0): bucket i becomes i >> by and collided buckets are summed.
   * Throws when the result would go below MIN_SCALE.
   */
  downscale(by: number): void {
    if (!Number.isInteger(by) || by < 0) throw new RangeError(`downscale amount must be a non-negative integer: ${by}`);
    if (by === 0) return;
    if (this.#scale - by < MIN_SCALE) {
      throw new RangeError(`cannot downscale from scale ${this.#scale} by ${by}: below ${MIN_SCALE}`);
    }
    this.#positive.downscale(by);
    this.#negative.downscale(by);
    this.#scale -= by;
  }

  /**
   * Adds `other` into this histogram (other is not modified). Both are brought to the smaller common scale, lowered
   * further if the combined ranges would exceed this.maxSize, then bucket counts are added. With different zero
   * thresholds the larger one wins and buckets lying entirely inside it move into the zero bucket (a bucket that
   * straddles the threshold stays a bucket).
   */
  merge(other: ExpoHistogram): void {
    const src = other === this ? this.clone() : other;
    let target = Math.min(this.#scale, src.#scale);
    target -= Math.max(
      this.#mergeChange(this.#positive, src.#positive, src.#scale, target),
      this.#mergeChange(this.#negative, src.#negative, src.#scale, target),
    );
    this.downscale(this.#scale - target);
    const shift = src.#scale - target;
    for (const [mine, theirs] of [
      [this.#positive, src.#positive],
      [this.#negative, src.#negative],
    ] as const) {
      for (let i = 0; i < theirs.counts.length; i++) {
        const c = theirs.counts[i]!;
        if (c !== 0) mine.increment((theirs.offset + i) >> shift, c);
      }
    }
    this.#zeroCount += src.#zeroCount;
    this.#count += src.#count;
    this.#sum += src.#sum;
    if (src.#min < this.#min) this.#min = src.#min;
    if (src.#max > this.#max) this.#max = src.#max;
    if (src.#zeroThreshold > this.#zeroThreshold) this.#zeroThreshold = src.#zeroThreshold;
    if (this.#zeroThreshold > 0) {
      this.#zeroCount += this.#positive.removeAtOrBelow(this.#zeroThreshold, this.#scale);
      this.#zeroCount += this.#negative.removeAtOrBelow(this.#zeroThreshold, this.#scale);
    }
  }

  /** Extra halvings (beyond reaching `target`) needed so that the union of two ranges fits maxSize. */
  #mergeChange(mine: BucketRange, theirs: BucketRange, theirScale: number, target: number): number {
    if (mine.empty && theirs.empty) return 0;
    const myShift = this.#scale - target;
    const theirShift = theirScale - target;
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    if (!mine.empty) {
      low = mine.offset >> myShift;
      high = mine.end >> myShift;
    }
    if (!theirs.empty) {
      low = Math.min(low, theirs.offset >> theirShift);
      high = Math.max(high, theirs.end >> theirShift);
    }
    return changeNeeded(low, high, this.maxSize);
  }

  /**
   * Replaces sum/min/max with known exact values (e.g. after placing converted bucket counts at representative
   * values). `min`/`max` undefined marks them unknown: they are then left out of data points and merges.
   */
  setStats(sum: number, min: number | undefined, max: number | undefined): void {
    this.#sum = sum;
    if (min === undefined || max === undefined) {
      this.#min = Number.POSITIVE_INFINITY;
      this.#max = Number.NEGATIVE_INFINITY;
    } else {
      this.#min = min;
      this.#max = max;
    }
  }

  /** Empties the histogram; the scale goes back to maxScale and the zero threshold is kept. */
  reset(): void {
    this.#scale = this.maxScale;
    this.#zeroCount = 0;
    this.#count = 0;
    this.#sum = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = Number.NEGATIVE_INFINITY;
    this.#positive = new BucketRange();
    this.#negative = new BucketRange();
  }

  /**
   * An accumulator holding an OTLP data point's buckets and statistics (counts become numbers: exact up to 2^53).
   * The point's scale may exceed `options.maxScale` or its ranges `maxSize`: it is then downscaled to fit. A point
   * without min/max yields a histogram whose min/max are unknown (left out of merges and data points); `sum` is
   * taken as 0 when absent (callers track presence).
   */
  static fromDataPoint(point: ExponentialHistogramDataPoint, options: ExpoHistogramOptions = {}): ExpoHistogram {
    const h = new ExpoHistogram({ ...options, zeroThreshold: Math.max(point.zeroThreshold, 0) || 0 });
    checkScale(point.scale);
    h.#scale = point.scale;
    h.#zeroCount = Number(point.zeroCount);
    h.#count = Number(point.count);
    h.#sum = point.sum ?? 0;
    if (point.min !== undefined && point.max !== undefined) {
      h.#min = point.min;
      h.#max = point.max;
    }
    h.#positive = rangeFrom(point.positive);
    h.#negative = rangeFrom(point.negative);
    // Indexes no double maps to cannot come from a real producer; they would also overflow the 32-bit shifts of
    // downscaling and make merges allocate arrays spanning the gap (a hostile point could abort the process).
    // (One index of slack each side: producers may be off by one near the extremes, e.g. a naive log mapping of
    // Number.MAX_VALUE.)
    const lo = minIndex(point.scale) - 1;
    const hi = maxIndex(point.scale) + 1;
    for (const r of [h.#positive, h.#negative]) {
      if (!r.empty && (r.offset < lo || r.end > hi)) {
        throw new RangeError(
          `exponential histogram buckets ${r.offset}..${r.end} outside the indexes of doubles at scale ${point.scale} (${lo}..${hi})`,
        );
      }
    }
    const change = Math.max(
      h.#scale - h.maxScale,
      h.#positive.empty ? 0 : changeNeeded(h.#positive.offset, h.#positive.end, h.maxSize),
      h.#negative.empty ? 0 : changeNeeded(h.#negative.offset, h.#negative.end, h.maxSize),
    );
    if (change > 0) h.downscale(Math.min(change, h.#scale - MIN_SCALE));
    return h;
  }

  /**
   * `this - prev` as a new histogram (cumulative to delta), or undefined when `prev` cannot precede `this` in one
   * cumulative stream: count or a bucket decreased, the scale increased or the zero threshold decreased (a reset).
   * `prev` is downscaled (on a copy) to this scale first; min/max of the result are unknown.
   */
  deltaFrom(prev: ExpoHistogram): ExpoHistogram | undefined {
    if (prev.#scale < this.#scale || prev.#count > this.#count || prev.#zeroThreshold > this.#zeroThreshold) {
      return undefined;
    }
    const p = prev.#scale === this.#scale ? prev : prev.clone();
    if (p !== prev) p.downscale(prev.#scale - this.#scale);
    const out = this.clone();
    out.#min = Number.POSITIVE_INFINITY;
    out.#max = Number.NEGATIVE_INFINITY;
    out.#count -= p.#count;
    out.#sum -= p.#sum;
    let zero = p.#zeroCount;
    if (p.#zeroThreshold < this.#zeroThreshold) {
      // Buckets the wider threshold swallowed were counted in this point's zero bucket.
      const q = p === prev ? p.clone() : p;
      zero += q.#positive.removeAtOrBelow(this.#zeroThreshold, q.#scale);
      zero += q.#negative.removeAtOrBelow(this.#zeroThreshold, q.#scale);
      if (!subtractRange(out.#positive, q.#positive) || !subtractRange(out.#negative, q.#negative)) return undefined;
    } else if (!subtractRange(out.#positive, p.#positive) || !subtractRange(out.#negative, p.#negative)) {
      return undefined;
    }
    out.#zeroCount -= zero;
    if (out.#zeroCount < 0) return undefined;
    out.#positive.trim();
    out.#negative.trim();
    return out;
  }

  /** Calls `fn` for every non-empty bucket: sign (1 positive, -1 negative), index, count (scale = this.scale). */
  forEachBucket(fn: (sign: 1 | -1, index: number, count: number) => void): void {
    const pos = this.#positive;
    for (let i = 0; i < pos.counts.length; i++) if (pos.counts[i]! > 0) fn(1, pos.offset + i, pos.counts[i]!);
    const neg = this.#negative;
    for (let i = 0; i < neg.counts.length; i++) if (neg.counts[i]! > 0) fn(-1, neg.offset + i, neg.counts[i]!);
  }

  clone(): ExpoHistogram {
    const copy = new ExpoHistogram({
      maxSize: this.maxSize,
      maxScale: this.maxScale,
      zeroThreshold: this.#zeroThreshold,
      recordMinMax: this.recordMinMax,
    });
    copy.#scale = this.#scale;
    copy.#zeroCount = this.#zeroCount;
    copy.#count = this.#count;
    copy.#sum = this.#sum;
    copy.#min = this.#min;
    copy.#max = this.#max;
    copy.#positive = this.#positive.clone();
    copy.#negative = this.#negative.clone();
    return copy;
  }

  /**
   * The OTLP data point (bigint counts). `sum` is always set (callers aggregating instruments that can record
   * negative values may want to drop it); `min`/`max` only when something was recorded and recordMinMax is on.
   */
  toDataPoint(meta: DataPointMeta): ExponentialHistogramDataPoint {
    const point: ExponentialHistogramDataPoint = {
      attributes: meta.attributes,
      startTimeUnixNano: meta.startTimeUnixNano,
      timeUnixNano: meta.timeUnixNano,
      count: BigInt(this.#count),
      sum: this.#sum,
      scale: this.#scale,
      zeroCount: BigInt(this.#zeroCount),
      positive: { offset: this.#positive.offset, bucketCounts: this.#positive.counts.map((c) => BigInt(c)) },
      negative: { offset: this.#negative.offset, bucketCounts: this.#negative.counts.map((c) => BigInt(c)) },
      flags: meta.flags ?? 0,
      exemplars: meta.exemplars ?? [],
      zeroThreshold: this.#zeroThreshold,
    };
    const { min, max } = this;
    if (min !== undefined) point.min = min;
    if (max !== undefined) point.max = max;
    return point;
  }
}

function rangeFrom(b: ExponentialHistogramBuckets | undefined): BucketRange {
  const r = new BucketRange();
  if (b === undefined || b.bucketCounts.length === 0) return r;
  r.offset = b.offset;
  r.counts = b.bucketCounts.map((c) => Number(c));
  r.trim();
  return r;
}

/** mine -= theirs bucket-wise (same scale); false when some bucket would go negative. */
function subtractRange(mine: BucketRange, theirs: BucketRange): boolean {
  for (let i = 0; i < theirs.counts.length; i++) {
    const c = theirs.counts[i]!;
    if (c === 0) continue;
    const idx = theirs.offset + i;
    if (mine.empty || idx < mine.offset || idx > mine.end) return false;
    const j = idx - mine.offset;
    const left = mine.counts[j]! - c;
    if (left < 0) return false;
    mine.counts[j] = left;
  }
  return true;
}

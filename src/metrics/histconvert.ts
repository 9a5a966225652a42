// Conversions between explicit-bucket and base-2 exponential histograms, and re-bucketing of explicit
// histograms. All of them are lossy in general; each places a whole bucket's count at one representative value:
//
// - explicit -> explicit (other bounds): a bucket (lo, hi] goes to the output bucket holding `hi` (the +Inf bucket
//   to the last output bucket). Exact whenever the output bounds are a subset of the input bounds (coarsening).
// - exponential -> explicit: a positive bucket (b^i, b^(i+1)] goes where its upper boundary b^(i+1) goes (exact
//   when every explicit bound is a boundary of the exponential histogram's scale, e.g. powers of two); a negative
//   bucket at the midpoint -(b^i + b^(i+1))/2; the zero bucket at 0.
// - explicit -> exponential: a finite bucket (lo, hi] is recorded at `hi`, the first bucket (-Inf, b0] at b0, the
//   +Inf bucket at `max` when known (else at the last bound); every representative is clamped to [min, max] when
//   they are known. count, sum, min and max stay exact. Exact when each explicit bucket falls in one exponential
//   bucket at the resulting scale (e.g. power-of-two bounds once the scale is <= 0).
import { ExpoHistogram, type ExpoHistogramOptions, lowerBoundary, mapToIndex } from './expohisto.js';

const f64 = new DataView(new ArrayBuffer(8));

/** The next double towards zero (x > 0, finite). */
function nextDown(x: number): number {
  f64.setFloat64(0, x);
  f64.setBigUint64(0, f64.getBigUint64(0) - 1n);
  return f64.getFloat64(0);
}

/**
 * The inclusive upper end of positive bucket `index` at `scale`: the largest double that maps to `index`.
 * lowerBoundary(index + 1) is within an ulp or two of it for scale > 0, so step down while it maps above.
 */
export function bucketUpperEnd(index: number, scale: number): number {
  let ub = lowerBoundary(index + 1, scale);
  if (!Number.isFinite(ub)) ub = Number.MAX_VALUE;
  for (let i = 0; i < 4 && ub > 0 && mapToIndex(ub, scale) > index; i++) ub = nextDown(ub);
  return ub;
}

/** Index of the explicit bucket (upper-inclusive) holding `v`: the first bound >= v, else the +Inf bucket. */
export function explicitBucketOf(bounds: readonly number[], v: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid]! >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Adds `counts` (laid out on `from` bounds) into `into` (laid out on `to` bounds), re-bucketing by upper bound. */
export function rebucketInto(
  from: readonly number[],
  counts: ArrayLike<number>,
  to: readonly number[],
  into: Float64Array | number[],
): void {
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const j = i < from.length ? explicitBucketOf(to, from[i]!) : to.length;
    into[j] = (into[j] as number) + c;
  }
}

/** Adds an exponential histogram's bucket counts into explicit buckets on `bounds`. */
export function expoIntoExplicit(h: ExpoHistogram, bounds: readonly number[], into: Float64Array | number[]): void {
  const scale = h.scale;
  if (h.zeroCount > 0) {
    const j = explicitBucketOf(bounds, 0);
    into[j] = (into[j] as number) + h.zeroCount;
  }
  h.forEachBucket((sign, index, count) => {
    const rep =
      sign === 1 ? bucketUpperEnd(index, scale) : -(lowerBoundary(index, scale) + lowerBoundary(index + 1, scale)) / 2;
    const j = explicitBucketOf(bounds, rep);
    into[j] = (into[j] as number) + count;
  });
}

/** The representative value of explicit bucket `i` (see the module comment). */
export function explicitRepresentative(
  bounds: readonly number[],
  i: number,
  min: number | undefined,
  max: number | undefined,
): number {
  let rep: number;
  if (bounds.length === 0) rep = max ?? min ?? 0;
  else if (i < bounds.length) rep = bounds[i]!;
  else rep = max ?? bounds[bounds.length - 1]!;
  if (min !== undefined && rep < min) rep = min;
  if (max !== undefined && rep > max) rep = max;
  return rep;
}

/** Records an explicit histogram's buckets into `h` at their representatives; returns false if `h` refused some
 * (a non-finite representative). count/sum/min/max of `h` are the caller's to fix with setStats. */
export function explicitIntoExpo(
  bounds: readonly number[],
  counts: ArrayLike<number>,
  min: number | undefined,
  max: number | undefined,
  h: ExpoHistogram,
): boolean {
  let ok = true;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    if (!h.record(explicitRepresentative(bounds, i, min, max), c)) ok = false;
  }
  return ok;
}

/** A new exponential histogram from explicit buckets, with exact count/sum/min/max. */
export function explicitToExpo(
  bounds: readonly number[],
  counts: ArrayLike<number>,
  stats: { sum: number | undefined; min: number | undefined; max: number | undefined },
  options: ExpoHistogramOptions = {},
): ExpoHistogram {
  const h = new ExpoHistogram(options);
  explicitIntoExpo(bounds, counts, stats.min, stats.max, h);
  h.setStats(stats.sum ?? 0, stats.min, stats.max);
  return h;
}

// Exponential histogram points -> classic buckets at fixed bounds.
//
// Each exponential bucket is assigned whole to the smallest classic bound that is certainly not
// below any value it may hold: a positive bucket (l, u] goes to the first bound >= u, a negative
// bucket [-u, -l) to the first bound >= -l, the zero bucket [-t, t] to the first bound >= t. A
// classic bucket's count is therefore exact when the bounds fall on exponential bucket
// boundaries (powers of two at scale >= 0, for example) and otherwise never counts a value that
// may be above its bound: cumulative counts are lower bounds, off by at most the population of
// the exponential buckets that straddle the bound.
import { lowerBoundary } from '../../metrics/expohisto.js';
import type { ExponentialHistogramDataPoint } from '../../pdata/model.js';

/** Relative tolerance for "this boundary is that bound" (lowerBoundary is within an ulp or two). */
const ALIGN_EPS = 1e-12;

/** Index of the first bound >= x (bounds.length = the +Inf bucket). */
function firstBoundAtLeast(bounds: readonly number[], x: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const b = bounds[mid] as number;
    if (b >= x || Math.abs(b - x) <= ALIGN_EPS * Math.abs(x)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function safeBoundary(index: number, scale: number): number {
  try {
    return lowerBoundary(index, scale);
  } catch {
    return Number.NaN;
  }
}

/**
 * Per-bucket (not cumulative) counts at `bounds` (length bounds.length + 1, the last is the +Inf
 * bucket), or undefined when the point cannot be converted (scale out of range).
 */
export function expoToClassic(p: ExponentialHistogramDataPoint, bounds: readonly number[]): bigint[] | undefined {
  if (!Number.isInteger(p.scale) || p.scale < -10 || p.scale > 20) return undefined;
  const out = new Array<bigint>(bounds.length + 1).fill(0n);
  const add = (i: number, n: bigint): void => {
    out[i] = (out[i] as bigint) + n;
  };
  if (p.zeroCount > 0n) add(firstBoundAtLeast(bounds, Math.max(p.zeroThreshold, 0)), p.zeroCount);
  const pos = p.positive;
  if (pos !== undefined) {
    for (let k = 0; k < pos.bucketCounts.length; k++) {
      const n = pos.bucketCounts[k] as bigint;
      if (n === 0n) continue;
      const upper = safeBoundary(pos.offset + k + 1, p.scale);
      if (Number.isNaN(upper)) return undefined;
      add(firstBoundAtLeast(bounds, upper), n);
    }
  }
  const neg = p.negative;
  if (neg !== undefined) {
    for (let k = 0; k < neg.bucketCounts.length; k++) {
      const n = neg.bucketCounts[k] as bigint;
      if (n === 0n) continue;
      const lower = safeBoundary(neg.offset + k, p.scale);
      if (Number.isNaN(lower)) return undefined;
      add(firstBoundAtLeast(bounds, -lower), n);
    }
  }
  return out;
}

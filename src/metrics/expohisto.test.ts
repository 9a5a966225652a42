import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ExponentialHistogramDataPoint } from '../pdata/model.js';
import { ExpoHistogram, lowerBoundary, MAX_SCALE, MIN_SCALE, mapToIndex } from './expohisto.js';

const SEED = 20260125;
const SCALES = Array.from({ length: MAX_SCALE - MIN_SCALE + 1 }, (_, i) => MIN_SCALE + i);

// ---------------------------------------------------------------- brute-force reference

/**
 * The integer e with 2^e < v <= 2^(e+1), by binary search over e in [-1075, 1023]. `2 ** n` is exact for every
 * integer n in [-1074, 1023], so every comparison here is exact.
 */
function refExponent(v: number): number {
  let lo = -1075; // 2^-1075 < v for every positive double
  let hi = 1023; // v <= 2^1024
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (2 ** mid < v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const P = 256n;
const ONE = 1n << P;
const TWO = 2n << P;

/**
 * Reference bucket index: the k with base^k < v <= base^(k+1), base = 2^(2^-scale).
 * With v = 2^e·r, r in (1, 2] (e from refExponent, r exact): scale <= 0 gives floor(e / 2^-scale); scale > 0 gives
 * e·2^scale + j where j = 2^scale - 1 for r = 2, otherwise j = floor(log2(r)·2^scale) = the first `scale` binary
 * digits of log2(r), extracted by repeated squaring (x² >= 2 ⇒ digit 1, x /= 2) on 256-bit fixed-point BigInts with
 * a rigorous lower/upper bound pair. Returns undefined if the bounds ever disagree on a digit (never observed).
 */
function refIndex(v: number, scale: number): number | undefined {
  const e = refExponent(v);
  if (scale <= 0) return Math.floor(e / 2 ** -scale);
  const r = e < -1023 ? v * 2 ** 64 * 2 ** (-e - 64) : v * 2 ** -e;
  assert.ok(r > 1 && r <= 2, `r=${r}`);
  const perPow2 = 2 ** scale;
  if (r === 2) return e * perPow2 + perPow2 - 1;
  let lo = BigInt(r * 2 ** 52) << (P - 52n);
  let hi = lo;
  let j = 0;
  for (let i = 0; i < scale; i++) {
    lo = (lo * lo) >> P;
    hi = (hi * hi + ONE - 1n) >> P;
    const dLo = lo >= TWO;
    if (dLo !== hi >= TWO) return undefined;
    if (dLo) {
      lo >>= 1n;
      hi = (hi + 1n) >> 1n;
    }
    j = j * 2 + (dLo ? 1 : 0);
  }
  return e * perPow2 + j;
}

// ---------------------------------------------------------------- helpers

const bits = new DataView(new ArrayBuffer(8));
function nextUp(v: number): number {
  bits.setFloat64(0, v);
  bits.setBigUint64(0, bits.getBigUint64(0) + 1n);
  return bits.getFloat64(0);
}
function nextDown(v: number): number {
  bits.setFloat64(0, v);
  bits.setBigUint64(0, bits.getBigUint64(0) - 1n);
  return bits.getFloat64(0);
}

/** Bucket tally {index: count} of values' magnitudes with the given sign at `scale`. */
function tally(values: number[], scale: number, sign: 1 | -1): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of values) {
    if (Math.sign(v) !== sign) continue;
    const i = mapToIndex(v, scale);
    m.set(i, (m.get(i) ?? 0) + 1);
  }
  return m;
}
function bucketsAsMap(b: { offset: number; counts: readonly number[] }): Map<number, number> {
  const m = new Map<number, number>();
  b.counts.forEach((c, i) => {
    if (c !== 0) m.set(b.offset + i, c);
  });
  return m;
}
function total(h: ExpoHistogram): number {
  let t = h.zeroCount;
  for (const c of h.positive.counts) t += c;
  for (const c of h.negative.counts) t += c;
  return t;
}

/** Any finite positive double, subnormals included. */
const positiveDouble = fc.double({
  min: Number.MIN_VALUE,
  noNaN: true,
  noDefaultInfinity: true,
  max: Number.MAX_VALUE,
});
const scaleArb = fc.integer({ min: MIN_SCALE, max: MAX_SCALE });
/** Finite values for histogram recording: mostly a realistic band, some zeros and negatives. */
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 1e-3, max: 1e6, noNaN: true }) },
  { weight: 2, arbitrary: fc.double({ min: -1e4, max: -1e-4, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1, 2, 1024, 0.5) },
  { weight: 1, arbitrary: fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }) },
);

// ---------------------------------------------------------------- mapping

describe('mapToIndex', () => {
  it('maps exact powers of two to (k << scale) - 1 (scale > 0) / (k - 1) >> -scale (scale <= 0) at every scale', () => {
    for (const s of SCALES) {
      for (let k = -1074; k <= 1023; k++) {
        const v = 2 ** k;
        const expected = s > 0 ? k * 2 ** s - 1 : (k - 1) >> -s;
        assert.equal(mapToIndex(v, s), expected, `2^${k} @ ${s}`);
        assert.equal(mapToIndex(-v, s), expected, `-2^${k} @ ${s}`);
        // the next double up opens the next bucket (scale > 0), the next double down stays
        if (s > 0) {
          if (k < 1023 && k >= -1022) assert.equal(mapToIndex(nextUp(v), s), expected + 1, `nextUp(2^${k}) @ ${s}`);
          if (k >= -1022) assert.equal(mapToIndex(nextDown(v), s), expected, `nextDown(2^${k}) @ ${s}`);
          assert.equal(lowerBoundary(expected + 1, s), v, `lowerBoundary of 2^${k} @ ${s}`);
        } else if (k % 2 ** -s === 0) {
          assert.equal(lowerBoundary(expected + 1, s), v, `lowerBoundary of 2^${k} @ ${s}`);
        }
      }
    }
  });

  it('matches the worked examples and the extremes', () => {
    const cases: [number, number, number][] = [
      [1, 0, -1],
      [1, 20, -1],
      [1, -10, -1],
      [1.5, 0, 0],
      [2, 0, 0],
      [3, 0, 1],
      [4, 0, 1],
      [1.5, 3, 4],
      [0.1, 0, -4],
      [0.1, 3, -27],
      [100, 3, 53],
      [1000, -2, 2],
      [0.001, 2, -40],
      [2, 20, 1048575],
      [Number.MAX_VALUE, 20, 1024 * 2 ** 20 - 1],
      [Number.MAX_VALUE, 0, 1023],
      [Number.MAX_VALUE, -10, 0],
      [Number.MIN_VALUE, 0, -1075],
      [Number.MIN_VALUE, 20, -1074 * 2 ** 20 - 1],
      [Number.MIN_VALUE, -10, -2],
      [2 ** -1022, 0, -1023],
      [3 * 2 ** -1074, 0, -1073],
    ];
    for (const [v, s, want] of cases) assert.equal(mapToIndex(v, s), want, `${v} @ ${s}`);
  });

  it('rejects zero, non-finite values and out-of-range scales', () => {
    assert.throws(() => mapToIndex(0, 0), RangeError);
    assert.throws(() => mapToIndex(Number.NaN, 0), RangeError);
    assert.throws(() => mapToIndex(Number.POSITIVE_INFINITY, 3), RangeError);
    assert.throws(() => mapToIndex(1, 21), RangeError);
    assert.throws(() => mapToIndex(1, -11), RangeError);
    assert.throws(() => mapToIndex(1, 1.5), RangeError);
  });

  it('agrees with the brute-force reference on generated values (all scales, subnormals included)', () => {
    let ambiguous = 0;
    fc.assert(
      fc.property(positiveDouble, scaleArb, (v, s) => {
        const ref = refIndex(v, s);
        if (ref === undefined) {
          ambiguous++;
          return;
        }
        assert.equal(mapToIndex(v, s), ref, `${v} @ ${s}`);
      }),
      { numRuns: 1000, seed: SEED },
    );
    assert.equal(ambiguous, 0);
  });

  it('agrees with the reference right next to bucket boundaries (±1 ulp of lowerBoundary)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1074, max: 1023 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: MAX_SCALE }),
        (k, frac, s) => {
          const i = k * 2 ** s + Math.floor(frac * 2 ** s);
          const b = lowerBoundary(i, s);
          for (const v of [nextDown(b), b, nextUp(b)]) {
            if (!(v > 0 && v < Number.POSITIVE_INFINITY)) continue;
            const ref = refIndex(v, s);
            if (ref !== undefined) assert.equal(mapToIndex(v, s), ref, `${v} @ ${s} (boundary of ${i})`);
          }
        },
      ),
      { numRuns: 300, seed: SEED },
    );
  });

  it('lowerBoundary brackets the value: lowerBoundary(i) < v <= lowerBoundary(i + 1) up to rounding', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), scaleArb, (v, s) => {
        const i = mapToIndex(v, s);
        const tol = 1 + 4 * Number.EPSILON;
        assert.ok(lowerBoundary(i, s) <= v * tol, `lower ${v} @ ${s}`);
        assert.ok(v <= lowerBoundary(i + 1, s) * tol, `upper ${v} @ ${s}`);
      }),
      { numRuns: 200, seed: SEED },
    );
  });

  it('bucket midpoint estimates are within the relative error (base - 1) / (base + 1)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-300, max: 1e300, noNaN: true }),
        fc.integer({ min: -4, max: MAX_SCALE }),
        (v, s) => {
          const i = mapToIndex(v, s);
          const lo = lowerBoundary(i, s);
          const hi = lowerBoundary(i + 1, s);
          const mid = lo / 2 + hi / 2;
          const base = 2 ** (2 ** -s);
          const bound = (base - 1) / (base + 1);
          assert.ok(Math.abs(mid - v) / mid <= bound * (1 + 1e-6) + 1e-15, `${v} @ ${s}`);
        },
      ),
      { numRuns: 200, seed: SEED },
    );
  });
});

// ---------------------------------------------------------------- accumulator

describe('ExpoHistogram', () => {
  it('records values, zeros and negatives; toDataPoint emits bigint counts', () => {
    const h = new ExpoHistogram({ maxSize: 4, maxScale: 3 });
    for (const v of [1.5, 1.5, 0, -3, 100]) h.record(v);
    h.record(2, 3);
    assert.equal(h.record(Number.NaN), false);
    assert.equal(h.record(Number.POSITIVE_INFINITY), false);
    assert.equal(h.record(7, 0), false);
    assert.throws(() => h.record(1, -1), RangeError);
    assert.throws(() => h.record(1, 1.5), RangeError);
    assert.equal(h.count, 8);
    assert.equal(h.zeroCount, 1);
    assert.equal(h.sum, 1.5 + 1.5 + 0 - 3 + 100 + 6);
    assert.equal(h.min, -3);
    assert.equal(h.max, 100);
    // 1.5, 2 and 100 must fit in 4 buckets: scale 0 gives indexes 0, 0, 6 (7 buckets), scale -1 gives 0, 0, 3
    assert.equal(h.scale, -1);
    const attributes = [{ key: 'a', value: 'b' }];
    const dp = h.toDataPoint({ attributes, startTimeUnixNano: 1n, timeUnixNano: 2n });
    assert.deepEqual(dp, {
      attributes,
      startTimeUnixNano: 1n,
      timeUnixNano: 2n,
      count: 8n,
      sum: 106,
      scale: -1,
      zeroCount: 1n,
      positive: { offset: 0, bucketCounts: [5n, 0n, 0n, 1n] },
      negative: { offset: 0, bucketCounts: [1n] },
      flags: 0,
      exemplars: [],
      min: -3,
      max: 100,
      zeroThreshold: 0,
    });
    const empty = new ExpoHistogram().toDataPoint({ attributes: [], startTimeUnixNano: 0n, timeUnixNano: 0n });
    assert.equal(empty.min, undefined);
    assert.equal(empty.max, undefined);
    assert.equal(empty.scale, 20);
    assert.deepEqual(empty.positive, { offset: 0, bucketCounts: [] });
  });

  it('validates options and downscale amounts', () => {
    assert.throws(() => new ExpoHistogram({ maxSize: 2 }), RangeError);
    assert.throws(() => new ExpoHistogram({ maxScale: 21 }), RangeError);
    assert.throws(() => new ExpoHistogram({ zeroThreshold: -1 }), RangeError);
    const h = new ExpoHistogram({ maxScale: -9 });
    assert.throws(() => h.downscale(2), RangeError);
    assert.throws(() => h.downscale(-1), RangeError);
    h.downscale(1);
    assert.equal(h.scale, -10);
  });

  it('puts |v| <= zeroThreshold into the zero bucket; merge takes the larger threshold', () => {
    const a = new ExpoHistogram({ zeroThreshold: 1e-3, maxScale: 0 });
    for (const v of [1e-3, -1e-3, 5e-4, 2e-3, 1]) a.record(v);
    assert.equal(a.zeroCount, 3);
    const b = new ExpoHistogram({ zeroThreshold: 0.5, maxScale: 0 });
    b.record(0.25);
    a.merge(b);
    assert.equal(a.zeroThreshold, 0.5);
    // 2e-3 lies in bucket (2^-9, 2^-8] entirely below 0.5, so it moves to the zero bucket; 1 stays in (0.5, 1]
    assert.equal(a.zeroCount, 5);
    assert.deepEqual(bucketsAsMap(a.positive), new Map([[-1, 1]]));
    assert.equal(total(a), a.count);
  });

  it('never exceeds maxSize, keeps every value in its mapToIndex bucket and uses the largest fitting scale', () => {
    fc.assert(
      fc.property(
        fc.array(valueArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 3, max: 40 }),
        scaleArb,
        (values, maxSize, maxScale) => {
          const h = new ExpoHistogram({ maxSize, maxScale });
          for (const v of values) {
            h.record(v);
            assert.ok(h.positive.counts.length <= maxSize);
            assert.ok(h.negative.counts.length <= maxSize);
          }
          const nonZero = values.filter((v) => v !== 0);
          assert.deepEqual(bucketsAsMap(h.positive), tally(nonZero, h.scale, 1));
          assert.deepEqual(bucketsAsMap(h.negative), tally(nonZero, h.scale, -1));
          assert.equal(h.count, values.length);
          assert.equal(total(h), values.length);
          if (h.scale < maxScale) {
            const fits = (sign: 1 | -1) => {
              const idx = [...tally(nonZero, h.scale + 1, sign).keys()];
              return idx.length === 0 || Math.max(...idx) - Math.min(...idx) < maxSize;
            };
            assert.ok(!(fits(1) && fits(-1)), 'a higher scale would have fit');
          }
        },
      ),
      { numRuns: 100, seed: SEED },
    );
  });

  it('downscale(d) preserves the total count and lands every value where mapToIndex(v, s - d) says', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: MIN_SCALE, max: 10 }),
        fc.nat(20),
        (raw, s, dRaw) => {
          const values = raw.map((v, i) => (i % 3 === 2 ? -v : v));
          const d = dRaw % (s - MIN_SCALE + 1);
          const h = new ExpoHistogram({ maxScale: s, maxSize: 16384 });
          for (const v of values) h.record(v);
          assert.equal(h.scale, s);
          h.downscale(d);
          assert.equal(h.scale, s - d);
          assert.equal(total(h), values.length);
          assert.deepEqual(bucketsAsMap(h.positive), tally(values, s - d, 1));
          assert.deepEqual(bucketsAsMap(h.negative), tally(values, s - d, -1));
        },
      ),
      { numRuns: 100, seed: SEED },
    );
    // single values over the whole double range, from scale 20
    fc.assert(
      fc.property(positiveDouble, fc.integer({ min: 0, max: MAX_SCALE - MIN_SCALE }), (v, d) => {
        const h = new ExpoHistogram();
        h.record(v);
        h.downscale(d);
        assert.deepEqual(bucketsAsMap(h.positive), new Map([[mapToIndex(v, MAX_SCALE - d), 1]]));
      }),
      { numRuns: 100, seed: SEED },
    );
  });

  it('merge is commutative, preserves count and sum, and equals recording everything into one histogram', () => {
    fc.assert(
      fc.property(
        fc.array(valueArb, { maxLength: 25 }),
        fc.array(valueArb, { maxLength: 25 }),
        fc.integer({ min: 3, max: 30 }),
        fc.integer({ min: 0, max: MAX_SCALE }),
        fc.integer({ min: 0, max: MAX_SCALE }),
        (xs, ys, maxSize, scaleA, scaleB) => {
          const a = new ExpoHistogram({ maxSize, maxScale: scaleA });
          const b = new ExpoHistogram({ maxSize, maxScale: scaleB });
          for (const v of xs) a.record(v);
          for (const v of ys) b.record(v);
          const ab = a.clone();
          ab.merge(b);
          const ba = b.clone();
          ba.merge(a);
          const meta = { attributes: [], startTimeUnixNano: 0n, timeUnixNano: 1n };
          assert.deepEqual(ab.toDataPoint(meta), ba.toDataPoint(meta));
          assert.equal(ab.count, xs.length + ys.length);
          assert.equal(total(ab), ab.count);
          assert.equal(ab.sum, a.sum + b.sum);
          assert.ok(ab.positive.counts.length <= maxSize && ab.negative.counts.length <= maxSize);
          // a and b unchanged by being merged in
          assert.equal(a.count, xs.length);
          assert.equal(b.count, ys.length);
          const all = new ExpoHistogram({ maxSize, maxScale: Math.min(scaleA, scaleB) });
          for (const v of [...xs, ...ys]) all.record(v);
          assert.equal(ab.scale, all.scale);
          assert.deepEqual(ab.positive, all.positive);
          assert.deepEqual(ab.negative, all.negative);
          assert.equal(ab.zeroCount, all.zeroCount);
          assert.equal(ab.min, all.min);
          assert.equal(ab.max, all.max);
        },
      ),
      { numRuns: 150, seed: SEED },
    );
  });

  it('merging a histogram into itself doubles it', () => {
    const h = new ExpoHistogram({ maxSize: 8 });
    for (const v of [1, 2, 3, -4]) h.record(v);
    const before = h.clone();
    h.merge(h);
    assert.equal(h.count, 8);
    assert.equal(h.sum, 2 * before.sum);
    assert.equal(h.scale, before.scale);
    assert.deepEqual(
      h.positive.counts,
      before.positive.counts.map((c) => 2 * c),
    );
  });

  it('fromDataPoint refuses bucket indexes no double maps to (hostile offsets), instead of allocating them', () => {
    const point = (scale: number, offset: number, n: number): ExponentialHistogramDataPoint => ({
      attributes: [],
      startTimeUnixNano: 0n,
      timeUnixNano: 1n,
      count: BigInt(n),
      scale,
      zeroCount: 0n,
      positive: { offset, bucketCounts: Array.from({ length: n }, () => 1n) },
      flags: 0,
      exemplars: [],
      zeroThreshold: 0,
    });
    assert.throws(() => ExpoHistogram.fromDataPoint(point(20, 2_147_483_647, 2)), RangeError);
    assert.throws(() => ExpoHistogram.fromDataPoint(point(20, -2_147_483_648, 2)), RangeError);
    assert.throws(() => ExpoHistogram.fromDataPoint(point(0, 1023, 3)), RangeError);
    assert.throws(() => ExpoHistogram.fromDataPoint(point(0, -1077, 1)), RangeError);
    // the extreme valid buckets are accepted (MAX_VALUE and the smallest subnormal), with one index of slack
    for (const scale of [-10, -3, 0, 3, 20]) {
      const hi = mapToIndex(Number.MAX_VALUE, scale);
      const lo = mapToIndex(Number.MIN_VALUE, scale);
      assert.doesNotThrow(() => ExpoHistogram.fromDataPoint(point(scale, hi, 1)));
      assert.doesNotThrow(() => ExpoHistogram.fromDataPoint(point(scale, lo, 1)));
      assert.doesNotThrow(() => ExpoHistogram.fromDataPoint(point(scale, hi, 2)));
      assert.doesNotThrow(() => ExpoHistogram.fromDataPoint(point(scale, lo - 1, 1)));
      assert.throws(() => ExpoHistogram.fromDataPoint(point(scale, hi, 3)), RangeError);
      assert.throws(() => ExpoHistogram.fromDataPoint(point(scale, lo - 2, 1)), RangeError);
    }
  });
});

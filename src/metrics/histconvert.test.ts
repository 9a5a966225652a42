import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ExpoHistogram, lowerBoundary, mapToIndex } from './expohisto.js';
import { bucketUpperEnd, explicitBucketOf, explicitToExpo, expoIntoExplicit, rebucketInto } from './histconvert.js';

/** Brute force: bucket counts of raw values at `scale`, by sign (index -> count). */
function bruteForce(
  values: readonly number[],
  scale: number,
): { pos: Map<number, number>; neg: Map<number, number>; zero: number } {
  const pos = new Map<number, number>();
  const neg = new Map<number, number>();
  let zero = 0;
  for (const v of values) {
    if (v === 0) {
      zero++;
      continue;
    }
    const m = v > 0 ? pos : neg;
    const i = mapToIndex(v, scale);
    m.set(i, (m.get(i) ?? 0) + 1);
  }
  return { pos, neg, zero };
}

function bucketsOf(h: ExpoHistogram): { pos: Map<number, number>; neg: Map<number, number>; zero: number } {
  const pos = new Map<number, number>();
  const neg = new Map<number, number>();
  h.forEachBucket((sign, i, c) => (sign === 1 ? pos : neg).set(i, c));
  return { pos, neg, zero: h.zeroCount };
}

const value = fc.oneof(
  fc.double({ min: 1e-6, max: 1e9, noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1e6, max: -1e-3, noNaN: true, noDefaultInfinity: true }),
  fc.constant(0),
  fc.integer({ min: 1, max: 1000 }),
);

describe('exponential histogram against a brute-force reference', () => {
  it('merge of two accumulators equals bucketing all raw values at the merged scale', () => {
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 60 }),
        fc.array(value, { maxLength: 60 }),
        fc.integer({ min: 3, max: 40 }),
        (a, b, maxSize) => {
          const ha = new ExpoHistogram({ maxSize });
          const hb = new ExpoHistogram({ maxSize });
          for (const v of a) ha.record(v);
          for (const v of b) hb.record(v);
          ha.merge(hb);
          const all = [...a, ...b];
          assert.deepEqual(bucketsOf(ha), bruteForce(all, ha.scale));
          assert.equal(ha.count, all.length);
          assert.ok(ha.positive.counts.length <= maxSize && ha.negative.counts.length <= maxSize);
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });

  it('fromDataPoint + deltaFrom: cumulative(later) - cumulative(earlier) = the later values, bucketed', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 50 }), fc.array(value, { maxLength: 50 }), (first, more) => {
        const early = new ExpoHistogram({ maxSize: 20 });
        for (const v of first) early.record(v);
        const late = early.clone();
        for (const v of more) late.record(v);
        const meta = { attributes: [], startTimeUnixNano: 1n, timeUnixNano: 2n };
        const e = ExpoHistogram.fromDataPoint(early.toDataPoint(meta), { maxSize: 20 });
        const l = ExpoHistogram.fromDataPoint(late.toDataPoint(meta), { maxSize: 20 });
        const d = l.deltaFrom(e);
        assert.ok(d !== undefined);
        assert.deepEqual(bucketsOf(d), bruteForce(more, l.scale));
        assert.equal(d.count, more.length);
        // a decrease is a reset
        if (more.length > 0) assert.equal(e.deltaFrom(l), undefined);
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('downscale equals bucketing at the lower scale (floor, not truncation)', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), fc.integer({ min: 0, max: 12 }), (vals, by) => {
        const h = new ExpoHistogram({ maxSize: 160, maxScale: 8 });
        for (const v of vals) h.record(v);
        const target = h.scale - by;
        if (target < -10) return;
        h.downscale(by);
        assert.deepEqual(bucketsOf(h), bruteForce(vals, target));
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});

describe('explicit <-> exponential conversion', () => {
  const pow2Bounds = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];
  const positive = fc.double({ min: 0.01, max: 500, noNaN: true, noDefaultInfinity: true });

  it('expo -> explicit is exact when the bounds are bucket boundaries (powers of two)', () => {
    fc.assert(
      fc.property(fc.array(positive, { maxLength: 80 }), fc.integer({ min: 3, max: 30 }), (vals, maxSize) => {
        const h = new ExpoHistogram({ maxSize });
        for (const v of vals) h.record(v);
        if (h.scale < 0) return; // power-of-two bounds stay boundaries only down to scale 0
        const got = new Array<number>(pow2Bounds.length + 1).fill(0);
        expoIntoExplicit(h, pow2Bounds, got);
        const want = new Array<number>(pow2Bounds.length + 1).fill(0);
        for (const v of vals) want[explicitBucketOf(pow2Bounds, v)]!++;
        assert.deepEqual(got, want);
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  it('explicit -> expo -> explicit round-trips power-of-two buckets; count/sum/min/max exact', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 80 }), (vals) => {
        const counts = new Array<number>(pow2Bounds.length + 1).fill(0);
        for (const v of vals) counts[explicitBucketOf(pow2Bounds, v)]!++;
        const min = Math.min(...vals);
        const max = Math.max(...vals);
        const s = vals.reduce((a, b) => a + b, 0);
        const h = explicitToExpo(pow2Bounds, counts, { sum: s, min, max });
        assert.equal(h.count, vals.length);
        assert.equal(h.sum, s);
        assert.equal(h.min, min);
        assert.equal(h.max, max);
        const back = new Array<number>(pow2Bounds.length + 1).fill(0);
        expoIntoExplicit(h, pow2Bounds, back);
        // Representatives are clamped into [min, max], which stays inside the same explicit bucket.
        assert.deepEqual(back, counts);
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('explicit re-bucketing to a subset of the bounds is exact', () => {
    fc.assert(
      fc.property(fc.array(positive, { maxLength: 80 }), fc.subarray(pow2Bounds), (vals, sub) => {
        const counts = new Array<number>(pow2Bounds.length + 1).fill(0);
        for (const v of vals) counts[explicitBucketOf(pow2Bounds, v)]!++;
        const got = new Array<number>(sub.length + 1).fill(0);
        rebucketInto(pow2Bounds, counts, sub, got);
        const want = new Array<number>(sub.length + 1).fill(0);
        for (const v of vals) want[explicitBucketOf(sub, v)]!++;
        assert.deepEqual(got, want);
      }),
      { seed: 16, numRuns: 300 },
    );
  });

  it('bucketUpperEnd(i) is the largest double of bucket i', () => {
    for (const scale of [-2, 0, 3, 8, 20]) {
      for (const i of scale >= 8 ? [-40, -1, 0, 1, 53, 100, 12345] : [-40, -1, 0, 1, 53, 100]) {
        const ub = bucketUpperEnd(i, scale);
        assert.equal(mapToIndex(ub, scale), i, `scale ${scale} index ${i}`);
        assert.ok(ub >= lowerBoundary(i + 1, scale) * (1 - 1e-15));
        assert.ok(mapToIndex(ub * (1 + 2 ** -50), scale) === i + 1, `scale ${scale} index ${i}: next double is above`);
      }
    }
  });
});

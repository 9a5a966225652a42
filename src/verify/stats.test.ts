import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../pdata/gen.js';
import {
  benjaminiHochberg,
  compareMany,
  normalCdf,
  normalQuantile,
  pairedRatioEquivalence,
  pairwiseDiffSelector,
  rateFromCounter,
  rateRatioEquivalence,
  ratioEquivalence,
  sigmaRule,
} from './stats.js';

/** mulberry32 seeded PRNG (verify.md §6.4). */
const mulberry32 = prng;

function gaussian(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Stationary AR(1): level + e_t, e_t = φ·e_{t−1} + innovation, marginal sd = level·cv. */
function ar1(rand: () => number, n: number, level: number, cv: number, phi: number): number[] {
  const g = gaussian(rand);
  const sd = level * cv;
  const innov = sd * Math.sqrt(1 - phi * phi);
  let e = g() * sd;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(level + e);
    e = phi * e + innov * g();
  }
  return out;
}

const PAIRS = 200;
const N = 60; // one hour at the ≥60 s step of M1; Spinnaker asks for ≥ 50 points per metric.

describe('ratioEquivalence vs sigmaRule on AR(1) φ=0.7', () => {
  it('healthy metrics: low false-alarm rate, mostly EQUIVALENT; sigma rule flags many', () => {
    let eq = 0;
    let diff = 0;
    let sigmaPoints = 0;
    let sigmaMean = 0;
    for (let s = 0; s < PAIRS; s++) {
      const rand = mulberry32(1000 + s);
      const b = ar1(rand, N, 100, 0.05, 0.7);
      const c = ar1(rand, N, 100, 0.05, 0.7);
      const r = ratioEquivalence(b, c);
      if (r.verdict === 'EQUIVALENT') eq++;
      if (r.verdict === 'DIFFERENT') diff++;
      if (sigmaRule(b, c).flagged) sigmaPoints++;
      if (sigmaRule(b, c, { scale: 'mean' }).flagged) sigmaMean++;
    }
    console.log(
      `healthy AR(1) n=${N} x${PAIRS}: EQUIVALENT ${eq}, DIFFERENT ${diff}, INCONCLUSIVE ${PAIRS - eq - diff}; ` +
        `sigma(points sd) flagged ${sigmaPoints}, sigma(mean se) flagged ${sigmaMean}`,
    );
    assert.ok(diff / PAIRS <= 0.05, `false alarms ${diff}/${PAIRS}`);
    assert.ok(eq / PAIRS >= 0.9, `equivalent ${eq}/${PAIRS}`);
    assert.ok(sigmaMean / PAIRS >= 0.3, `sigma flagged ${sigmaMean}`);
    assert.ok(PAIRS - eq < sigmaMean, 'we must pass healthy metrics more often than the sigma rule');
  });

  it('the same test at high noise (CV 20%): still few false alarms, the rest INCONCLUSIVE not DIFFERENT', () => {
    let diff = 0;
    let sigmaPoints = 0;
    for (let s = 0; s < PAIRS; s++) {
      const rand = mulberry32(5000 + s);
      const b = ar1(rand, N, 100, 0.2, 0.7);
      const c = ar1(rand, N, 100, 0.2, 0.7);
      if (ratioEquivalence(b, c).verdict === 'DIFFERENT') diff++;
      if (sigmaRule(b, c).flagged) sigmaPoints++;
    }
    console.log(`noisy AR(1) CV=20% n=${N} x${PAIRS}: DIFFERENT ${diff}; sigma(points sd) flagged ${sigmaPoints}`);
    assert.ok(diff / PAIRS <= 0.05, `false alarms ${diff}/${PAIRS}`);
  });

  it('a 20% drop is DIFFERENT (LOW) with high probability', () => {
    let diff = 0;
    let sigmaPoints = 0;
    for (let s = 0; s < PAIRS; s++) {
      const rand = mulberry32(9000 + s);
      const b = ar1(rand, N, 100, 0.05, 0.7);
      const c = ar1(rand, N, 80, 0.05, 0.7);
      const r = ratioEquivalence(b, c);
      if (r.verdict === 'DIFFERENT' && r.direction === 'LOW') diff++;
      if (sigmaRule(b, c).flagged) sigmaPoints++;
    }
    console.log(`20% drop n=${N} x${PAIRS}: DIFFERENT ${diff}; sigma(points sd) flagged ${sigmaPoints}`);
    assert.ok(diff / PAIRS >= 0.95, `detected ${diff}/${PAIRS}`);
  });

  it('a 15% increase (outside the 10% band) is rarely called EQUIVALENT (TOST size)', () => {
    let eq = 0;
    for (let s = 0; s < PAIRS; s++) {
      const rand = mulberry32(15000 + s);
      if (ratioEquivalence(ar1(rand, N, 100, 0.1, 0.7), ar1(rand, N, 115, 0.1, 0.7)).verdict === 'EQUIVALENT') eq++;
    }
    console.log(`15% increase n=${N} CV=10% x${PAIRS}: false EQUIVALENT ${eq}`);
    assert.ok(eq / PAIRS <= 0.05, `false equivalent ${eq}`);
  });

  it('ms vs s (1000x) is DIFFERENT and the ratio is ~0.001', () => {
    const rand = mulberry32(42);
    const ms = ar1(rand, N, 250, 0.1, 0.7);
    const s = ar1(rand, N, 0.25, 0.1, 0.7);
    const r = ratioEquivalence(ms, s);
    assert.equal(r.verdict, 'DIFFERENT');
    assert.equal(r.direction, 'LOW');
    assert.ok(r.ratio > 0.0008 && r.ratio < 0.0012, String(r.ratio));
    assert.ok(r.ci[1] < 1 / 1.1);
  });

  it('short noisy series give INCONCLUSIVE rather than a verdict', () => {
    let inconclusive = 0;
    let wrong = 0;
    let wrongNoMin = 0;
    for (let s = 0; s < PAIRS; s++) {
      const rand = mulberry32(20000 + s);
      const b = ar1(rand, 20, 100, 0.3, 0.7).map((x) => Math.max(1, x));
      const c = ar1(rand, 20, 100, 0.3, 0.7).map((x) => Math.max(1, x));
      const r = ratioEquivalence(b, c);
      if (r.verdict === 'INCONCLUSIVE') inconclusive++;
      if (r.verdict === 'DIFFERENT') wrong++;
      if (ratioEquivalence(b.slice(0, 6), c.slice(0, 6), { minPoints: 2 }).verdict === 'DIFFERENT') wrongNoMin++;
    }
    console.log(
      `short noisy n=20 CV=30% x${PAIRS}: INCONCLUSIVE ${inconclusive}, DIFFERENT ${wrong}; ` +
        `n=6 with minPoints disabled: DIFFERENT ${wrongNoMin}`,
    );
    assert.ok(inconclusive / PAIRS >= 0.9, `inconclusive ${inconclusive}`);
    assert.ok(wrong / PAIRS <= 0.08, `false DIFFERENT ${wrong}`);
    const tiny = ratioEquivalence([100, 120, 90, 110, 95, 105], [60, 50, 70, 65, 55, 60]);
    assert.equal(tiny.verdict, 'INCONCLUSIVE');
    assert.match(tiny.note ?? '', /fewer than 20/);
  });

  it('reports autocorrelation and effective sample size', () => {
    const rand = mulberry32(7);
    const r = ratioEquivalence(ar1(rand, 200, 100, 0.05, 0.7), ar1(rand, 200, 100, 0.05, 0.7));
    assert.ok(r.rho1 > 0.5 && r.rho1 < 0.85, String(r.rho1));
    assert.ok(r.effectiveN.baseline < 60);
    assert.ok(r.pDifferent !== undefined && r.pDifferent > 0.5);
    assert.ok(r.pValue !== undefined && r.pValue < 0.05);
  });
});

describe('ratioEquivalence zero handling', () => {
  it('both all zero is EQUIVALENT', () => {
    const r = ratioEquivalence([0, 0, 0, 0], [0, 0, 0]);
    assert.equal(r.verdict, 'EQUIVALENT');
    assert.equal(r.ratio, 1);
  });
  it('baseline all zero vs a steady candidate is DIFFERENT HIGH; vs a sparse one is INCONCLUSIVE', () => {
    const zeros = new Array<number>(30).fill(0);
    const steady = ratioEquivalence(
      zeros,
      zeros.map((_, i) => 3 + (i % 3)),
    );
    assert.equal(steady.verdict, 'DIFFERENT');
    assert.equal(steady.direction, 'HIGH');
    assert.equal(steady.ratio, Infinity);
    assert.ok(Number.isNaN(steady.meanRatio));
    assert.equal(ratioEquivalence(zeros, [0, 1, 2, 1, 0, 0, ...zeros]).verdict, 'INCONCLUSIVE'); // kayenta#426
    assert.equal(
      ratioEquivalence(
        zeros.map((_, i) => 5 + (i % 2)),
        zeros,
      ).direction,
      'LOW',
    );
  });
  it('series with some zeros are handled with an epsilon offset, not NaN', () => {
    const rand = mulberry32(3);
    const b = ar1(rand, N, 5, 0.4, 0.3).map((x) => Math.max(0, Math.round(x)));
    const c = ar1(rand, N, 5, 0.4, 0.3).map((x) => Math.max(0, Math.round(x)));
    const r = ratioEquivalence(b, c);
    assert.ok(Number.isFinite(r.ratio) && Number.isFinite(r.ci[0]) && Number.isFinite(r.ci[1]));
  });
  it('drops NaN and rejects negative values', () => {
    assert.equal(ratioEquivalence([1, Number.NaN], [1, 1]).verdict, 'INCONCLUSIVE');
    assert.throws(() => ratioEquivalence([1, -1, 2], [1, 2, 3]), RangeError);
  });
});

describe('benjaminiHochberg', () => {
  it('matches hand-computed step-up results', () => {
    // m=5, q=.05, thresholds .01 .02 .03 .04 .05 on sorted .005 .01 .03 .04 .20 → k=4.
    assert.deepEqual(benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.2], 0.05), [true, true, true, true, false]);
    // m=4, thresholds .0125 .025 .0375 .05: p_(2)=.03 fails its own threshold but p_(4)=.032 ≤ .05 → step-up rejects all.
    assert.deepEqual(benjaminiHochberg([0.032, 0.01, 0.031, 0.03], 0.05), [true, true, true, true]);
    // Nothing passes: smallest .02 > .05/3.
    assert.deepEqual(benjaminiHochberg([0.02, 0.5, 0.9], 0.05), [false, false, false]);
    assert.deepEqual(benjaminiHochberg([Number.NaN, 0.001], 0.05), [false, true]);
    assert.deepEqual(benjaminiHochberg([], 0.05), []);
  });

  it('compareMany keeps real differences and reports each series', () => {
    const pairs = [];
    for (let s = 0; s < 20; s++) {
      const rand = mulberry32(300 + s);
      pairs.push({
        id: `m${s}`,
        baseline: ar1(rand, N, 100, 0.05, 0.7),
        candidate: ar1(rand, N, s < 3 ? 70 : 100, 0.05, 0.7),
      });
    }
    const out = compareMany(pairs);
    // An absurdly strict q keeps only the overwhelming call (p≈5e-70); the p≈1e-19 calls are downgraded, with a note.
    const strict = compareMany(pairs, { q: 1e-30 });
    assert.deepEqual(
      strict.slice(0, 3).map((r) => r.verdict),
      ['DIFFERENT', 'INCONCLUSIVE', 'INCONCLUSIVE'],
    );
    assert.match(strict[1]?.note ?? '', /BH/);
    assert.equal(strict[1]?.direction, undefined);
    assert.equal(out.length, 20);
    assert.deepEqual(
      out.filter((r) => r.verdict === 'DIFFERENT').map((r) => r.id),
      ['m0', 'm1', 'm2'],
    );
  });
});

describe('sigmaRule', () => {
  it('flags only beyond one baseline sd', () => {
    assert.equal(sigmaRule([9, 10, 11], [10.5, 10.5]).flagged, false);
    assert.equal(sigmaRule([9, 10, 11], [12, 12]).flagged, true);
    assert.equal(sigmaRule([5, 5], [5, 5]).flagged, false);
  });
});

describe('rateFromCounter', () => {
  it('computes per-second rates across a counter reset', () => {
    const rates = rateFromCounter([
      { t: 0, v: 100 },
      { t: 60, v: 160 },
      { t: 120, v: 280 },
      { t: 180, v: 30 }, // reset: process restarted, increase = 30
      { t: 240, v: 90 },
    ]);
    assert.deepEqual(rates, [
      { t: 60, rate: 1 },
      { t: 120, rate: 2 },
      { t: 180, rate: 0.5 },
      { t: 240, rate: 1 },
    ]);
  });
  it('sorts, skips duplicates and non-finite samples', () => {
    const rates = rateFromCounter([
      { t: 20, v: 30 },
      { t: 0, v: 10 },
      { t: 10, v: 20 },
      { t: 10, v: 25 },
      { t: 30, v: Number.NaN },
    ]);
    assert.equal(rates.length, 2);
    assert.deepEqual(
      rates.map((r) => r.t),
      [10, 20],
    );
    assert.deepEqual(rateFromCounter([]), []);
  });
});

describe('normal helpers', () => {
  it('quantile and cdf agree with tables', () => {
    assert.ok(Math.abs(normalQuantile(0.95) - 1.6448536) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.99) - 2.3263479) < 1e-6); // Kayenta's z for its 98% CI (§1.3)
    assert.ok(Math.abs(normalCdf(1) - normalCdf(-1) - 0.6826895) < 1e-6); // 1 − 31.7%
  });
});

describe('pairedRatioEquivalence (matched steps)', () => {
  it('a shared daily shape with AR(1) noise at φ=0.9: ≤ 2% false DIFFERENT; a 25% drop is found', () => {
    const rand = mulberry32(99);
    const shape = Array.from({ length: 288 }, (_, i) => 100 * (1 + 0.5 * Math.sin((2 * Math.PI * i) / 288)));
    let falseDiff = 0;
    let found = 0;
    for (let k = 0; k < 100; k++) {
      const nb = ar1(rand, 288, 1, 0.15, 0.9);
      const nc = ar1(rand, 288, 1, 0.15, 0.9);
      const b = shape.map((x, i) => x * (nb[i] as number));
      const c = shape.map((x, i) => x * (nc[i] as number));
      if (pairedRatioEquivalence(b, c).verdict === 'DIFFERENT') falseDiff++;
      const r = pairedRatioEquivalence(
        b,
        c.map((x) => x * 0.75),
      );
      if (r.verdict === 'DIFFERENT' && r.direction === 'LOW') found++;
    }
    assert.ok(falseDiff <= 2, `false DIFFERENT ${falseDiff}/100`);
    assert.ok(found >= 80, `found ${found}/100`);
  });

  it('too few paired steps is INCONCLUSIVE', () => {
    assert.equal(pairedRatioEquivalence([1, 2, 3], [1, 2, 3]).verdict, 'INCONCLUSIVE');
  });
});

describe('rateRatioEquivalence (zero-heavy counters)', () => {
  const steps = (n: number, total: number): number[] => {
    const out = new Array<number>(n).fill(0);
    for (let i = 0; i < total; i++) out[(i * 7) % n] = (out[(i * 7) % n] as number) + 1;
    return out;
  };
  const o = { stepBaseline: 60, stepCandidate: 60 };
  it('a few errors on either side is INCONCLUSIVE, not DIFFERENT', () => {
    assert.equal(rateRatioEquivalence(steps(60, 13), steps(60, 15), o).verdict, 'INCONCLUSIVE');
    assert.equal(rateRatioEquivalence(steps(60, 0), steps(60, 3), o).verdict, 'INCONCLUSIVE');
  });
  it('errors appearing from nothing in volume are DIFFERENT (HIGH); none on both sides is EQUIVALENT', () => {
    const r = rateRatioEquivalence(steps(60, 0), steps(60, 60), o);
    assert.equal(r.verdict, 'DIFFERENT');
    assert.equal(r.direction, 'HIGH');
    assert.equal(rateRatioEquivalence(steps(60, 0), steps(60, 0), o).verdict, 'EQUIVALENT');
  });
  it('honours --min-points like the ratio tests: 10 steps are too few at min-points 20', () => {
    assert.equal(rateRatioEquivalence(steps(10, 20_000), steps(10, 10_000), o).direction, 'LOW');
    const short = rateRatioEquivalence(steps(10, 20_000), steps(10, 10_000), { ...o, minPoints: 20 });
    assert.equal(short.verdict, 'INCONCLUSIVE');
    assert.match(short.note ?? '', /fewer than 20 steps/);
  });
  it('large counts: equal rates are EQUIVALENT, a 20% loss is DIFFERENT (LOW), different step lengths are rates', () => {
    assert.equal(rateRatioEquivalence(steps(60, 20_000), steps(60, 20_050), o).verdict, 'EQUIVALENT');
    assert.equal(rateRatioEquivalence(steps(60, 20_000), steps(60, 16_000), o).direction, 'LOW');
    assert.equal(
      rateRatioEquivalence(steps(60, 20_000), steps(30, 10_000), { stepBaseline: 60, stepCandidate: 60 }).verdict,
      'EQUIVALENT',
    );
  });
});

describe('ratioEquivalence on long series (no m·n blow-up)', () => {
  it('40,000 steps per side: no crash, the ratio and CI agree with the exact small-sample path', () => {
    const rnd = prng(7);
    const make = (n: number, level: number): number[] =>
      Array.from({ length: n }, () => level * (1 + 0.1 * (rnd() - 0.5)));
    const b = make(40_000, 100);
    const c = make(40_003, 80);
    const t0 = Date.now();
    const r = ratioEquivalence(b, c);
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
    assert.equal(r.verdict, 'DIFFERENT');
    assert.equal(r.direction, 'LOW');
    assert.ok(Math.abs(r.ratio - 0.8) < 0.01, `ratio ${r.ratio}`);
    // The selection path gives the same order statistics as sorting every difference.
    const xs = make(1200, 10);
    const ys = make(1000, 11);
    const big = pairwiseDiffSelector(xs, ys);
    const all: number[] = [];
    for (const y of ys) for (const x of xs) all.push(y - x);
    all.sort((p, q) => p - q);
    for (const k of [0, 1, 17, 600_000, 599_999, 1_199_999]) {
      assert.ok(Math.abs(big(k) - (all[k] as number)) < 1e-9, `k=${k}: ${big(k)} vs ${all[k]}`);
    }
  });
});

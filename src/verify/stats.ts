// Statistics core for `switchyard verify` (pure functions, no I/O).
//
// Design follows docs research notes (shared/reference/verify.md §6.1 M3/M8, §1 Kayenta):
// - We ask "is this the same?" (equivalence, TOST), not Kayenta's "is there evidence of a difference?".
// - The ">1σ" rule flags P(|Z|>1) = 31.7% of stable Gaussian metrics and ignores autocorrelation and multiplicity;
//   `sigmaRule` is kept only as a comparison baseline.

export type Verdict = 'EQUIVALENT' | 'DIFFERENT' | 'INCONCLUSIVE';

export interface EquivalenceOptions {
  /** Relative margin δ; the equivalence band on the ratio is [1/(1+δ), 1+δ], i.e. log-margin Δ = ln(1+δ) (M3). */
  tolerance?: number;
  /** TOST level; the CI is taken at (1−2α), i.e. a 90% CI for α = 0.05 (M3). */
  alpha?: number;
  /** Fewer finite points than this on either side ⇒ INCONCLUSIVE (ρ̂₁ cannot be estimated). Default 20. */
  minPoints?: number;
  /** Offset added to every value when some (not all) values are 0, so logs exist. Default: ½ of the smallest positive value. */
  epsilon?: number;
}

export interface EquivalenceResult {
  verdict: Verdict;
  /** Only set for DIFFERENT: which side of the band the CI lies on. */
  direction?: 'HIGH' | 'LOW';
  /** Point estimate of candidate/baseline: exp(Hodges-Lehmann shift of the logs), i.e. a ratio of typical levels. */
  ratio: number;
  /** Plain mean(candidate)/mean(baseline) (Kayenta's meanRatio, §1.5); NaN when the baseline mean is 0. */
  meanRatio: number;
  /** (1−2α) confidence interval on the ratio, widened for autocorrelation. */
  ci: [number, number];
  /** TOST p-value (max of the two one-sided p-values, normal approximation); small ⇒ evidence of equivalence. */
  pValue?: number;
  /** One-sided p-value for "the ratio lies outside the band on the estimate's side"; input for BH (M8). */
  pDifferent?: number;
  /** Pooled lag-1 autocorrelation of the log series, clipped to [0, 0.9] (M3). */
  rho1: number;
  /** n·(1−ρ)/(1+ρ) per side: the number of independent points the series are worth. */
  effectiveN: { baseline: number; candidate: number };
  /** Human-readable reason for special cases (zeros, too few points). */
  note?: string;
}

// ---------- small numeric helpers ----------

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? Number.NaN : s / xs.length;
}

function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** Complementary error function, Numerical Recipes `erfcc` (Chebyshev fit, |rel err| < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Upper tail 1 − Φ(x), computed directly so tiny p-values do not underflow to 0 (BH needs their order). */
function normalSf(x: number): number {
  return 0.5 * erfc(x / Math.SQRT2);
}

/** Standard normal quantile Φ⁻¹(p), Acklam's rational approximation (|rel err| < 1.15e-9; §6.4). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - pLow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/**
 * Pooled lag-1 autocorrelation (Σ autocovariance / Σ variance, each series around its own mean), bias-corrected and
 * clipped to [0, 0.9] as in M3. The plain estimate is biased low by ≈(1+3ρ)/n (Marriott-Pope), which on short series
 * under-widens the CI (measured: 25% false DIFFERENT at n=6, φ=0.7 without it), so we use ρ̃ = (n·ρ̂ + 1)/(n − 3).
 */
function pooledLag1(series: readonly (readonly number[])[]): number {
  let num = 0;
  let den = 0;
  let count = 0;
  for (const xs of series) {
    count += xs.length;
    if (xs.length < 3) continue;
    const m = mean(xs);
    for (let i = 0; i < xs.length; i++) {
      const di = (xs[i] as number) - m;
      den += di * di;
      if (i > 0) num += di * ((xs[i - 1] as number) - m);
    }
  }
  if (den <= 0) return 0;
  const nPer = count / series.length;
  const corrected = nPer > 4 ? (nPer * (num / den) + 1) / (nPer - 3) : num / den;
  return Math.min(0.9, Math.max(0, corrected));
}

/** Σ(t³−t) over tie groups of the pooled sample (tie correction of the Mann-Whitney variance, §1.3). */
function tieTerm(pooled: readonly number[]): number {
  const s = [...pooled].sort((x, y) => x - y);
  let sum = 0;
  let i = 0;
  while (i < s.length) {
    let j = i + 1;
    while (j < s.length && s[j] === s[i]) j++;
    const t = j - i;
    sum += t * t * t - t;
    i = j;
  }
  return sum;
}

/** Pairwise differences materialised and sorted up to this many (8 MB); above it, selection by bisection. */
const MAX_MATERIALISED_DIFFS = 1_000_000;

/**
 * Returns k ↦ the k-th smallest (0-based) of the m·n differences y − x (y ∈ ys, x ∈ xs). Small inputs: sort all
 * differences. Large inputs: bisection on the value, counting differences ≤ t with two pointers over the sorted samples
 * (O((m+n)·log) per call, O(m+n) memory); the result is exact to the last bits of a double.
 */
export function pairwiseDiffSelector(xs: readonly number[], ys: readonly number[]): (k: number) => number {
  const m = xs.length;
  const n = ys.length;
  if (m * n <= MAX_MATERIALISED_DIFFS) {
    const diffs = new Float64Array(m * n);
    let idx = 0;
    for (const y of ys) for (const x of xs) diffs[idx++] = y - x;
    diffs.sort();
    return (k) => diffs[k] as number;
  }
  const a = Float64Array.from(xs).sort();
  const b = Float64Array.from(ys).sort();
  // #{(i, j): b[j] − a[i] ≤ t}: for each b[j] ascending, the a[i] ≥ b[j] − t form a suffix moving right.
  const countLe = (t: number): number => {
    let c = 0;
    let i = 0;
    for (let j = 0; j < n; j++) {
      const lim = (b[j] as number) - t;
      while (i < m && (a[i] as number) < lim) i++;
      c += m - i;
    }
    return c;
  };
  return (k) => {
    let lo = (b[0] as number) - (a[m - 1] as number); // the smallest difference: count ≥ 1
    let hi = (b[n - 1] as number) - (a[0] as number); // the largest: count = m·n
    if (countLe(lo) >= k + 1) return lo;
    for (let it = 0; it < 200; it++) {
      const mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      if (countLe(mid) >= k + 1) hi = mid;
      else lo = mid;
    }
    return hi;
  };
}

/**
 * Student-t quantile via the Cornish-Fisher expansion around z (Abramowitz-Stegun 26.7.5; good to ~1e-3 for df ≥ 3,
 * conservative enough below). Used because the autocorrelation-widened CI behaves like an iid CI with n_eff points.
 */
export function tQuantile(p: number, df: number): number {
  const z = normalQuantile(p);
  if (!Number.isFinite(df) || df > 1e6) return z;
  const d = Math.max(df, 1);
  const z3 = z * z * z;
  const z5 = z3 * z * z;
  const z7 = z5 * z * z;
  return (
    z +
    (z3 + z) / (4 * d) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * d * d) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * d * d * d)
  );
}

function effN(n: number, rho: number): number {
  return (n * (1 - rho)) / (1 + rho);
}

// ---------- ratio equivalence (M3, unpaired) ----------

/**
 * Equivalence test of candidate vs baseline on the ratio scale (M3 "unpaired" recipe of verify.md):
 * - work on logs, D_ij = ln c_j − ln b_i; θ̂ = median D (Hodges-Lehmann shift), ratio = exp(θ̂);
 * - distribution-free CI [D_(k+1), D_(mn−k)] with k = ⌊mn/2 − z·σ_W⌋, z = z_{1−α} (a (1−2α) CI, as TOST needs),
 *   σ_W tie-corrected as in Kayenta's MannWhitney (§1.3);
 * - autocorrelation: half-widths × √((1+ρ̂₁)/(1−ρ̂₁)), ρ̂₁ pooled lag-1 of the logs clipped to [0, 0.9]. Chosen over the
 *   moving-block bootstrap (also in M3) because it is deterministic, O(mn log mn) and needs no PRNG in production code;
 * - verdict: EQUIVALENT if CI ⊂ (−Δ, Δ), DIFFERENT if CI ∩ [−Δ, Δ] = ∅, else INCONCLUSIVE, Δ = ln(1+tolerance).
 *
 * Zero handling (values must be ≥ 0; NaN/±Inf are removed like Kayenta's default nanStrategy=Remove, §1.2):
 * - both series all zero ⇒ EQUIVALENT, ratio 1 (identical data; Kayenta §1.2b/c also passes these);
 * - exactly one side all zero ⇒ the ratio is 0 or ∞: DIFFERENT when most of the other side's points are > 0
 *   (a metric that stopped or started reporting), else INCONCLUSIVE (sparse/zero-inflated counters, kayenta#426/#799:
 *   a ratio test is the wrong tool, use a Poisson rate test, M4);
 * - some zeros ⇒ add ε before taking logs (M3's ε = 0.5/Δt pseudo-count idea; default ε = ½ smallest positive value).
 */
export function ratioEquivalence(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: EquivalenceOptions = {},
): EquivalenceResult {
  const tolerance = opts.tolerance ?? 0.1;
  const alpha = opts.alpha ?? 0.05;
  if (!(tolerance > 0)) throw new RangeError('tolerance must be > 0');
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError('alpha must be in (0, 0.5)');
  const b = baseline.filter(Number.isFinite);
  const c = candidate.filter(Number.isFinite);
  if (b.some((x) => x < 0) || c.some((x) => x < 0)) {
    throw new RangeError('ratioEquivalence needs non-negative values (rates, latencies, gauges of sizes)');
  }
  const meanRatio = mean(b) === 0 ? Number.NaN : mean(c) / mean(b);
  const margin = Math.log1p(tolerance);
  const base = { meanRatio, rho1: 0, effectiveN: { baseline: b.length, candidate: c.length } };

  // Identical constant data need no sample size (Kayenta §1.2b/c passes them too).
  const bZero = b.length > 0 && b.every((x) => x === 0);
  const cZero = c.length > 0 && c.every((x) => x === 0);
  if (bZero && cZero) {
    return {
      ...base,
      verdict: 'EQUIVALENT',
      ratio: 1,
      ci: [1, 1],
      pValue: 0,
      pDifferent: 1,
      note: 'both series all zero',
    };
  }
  // Minimum-length rule: below ~20 points ρ̂₁ is too noisy and the CI under-covers (measured, AR(1) φ=0.7, CV 30%:
  // 7-8% false DIFFERENT at n=10..16, 5.8% at n=20, 2.7% at n=60). Spinnaker asks for ≥ 50 points per metric.
  const minPoints = Math.max(2, opts.minPoints ?? 20);
  if (b.length < minPoints || c.length < minPoints) {
    const note = `fewer than ${minPoints} finite points per side`;
    return { ...base, verdict: 'INCONCLUSIVE', ratio: Number.NaN, ci: [0, Infinity], note };
  }
  if (bZero || cZero) {
    const other = bZero ? c : b;
    const positiveShare = other.filter((x) => x > 0).length / other.length;
    const ratio = bZero ? Infinity : 0;
    if (positiveShare > 0.5) {
      return {
        ...base,
        verdict: 'DIFFERENT',
        direction: bZero ? 'HIGH' : 'LOW',
        ratio,
        ci: [ratio, ratio],
        pValue: 1,
        pDifferent: 0,
        note: bZero ? 'baseline all zero, candidate mostly non-zero' : 'candidate all zero, baseline mostly non-zero',
      };
    }
    return {
      ...base,
      verdict: 'INCONCLUSIVE',
      ratio,
      ci: [0, Infinity],
      note: 'one side all zero and the other sparse: zero-inflated, needs a rate test (M4)',
    };
  }

  let eps = 0;
  if (b.includes(0) || c.includes(0)) {
    let minPos = Infinity;
    for (const x of b) if (x > 0 && x < minPos) minPos = x;
    for (const x of c) if (x > 0 && x < minPos) minPos = x;
    eps = opts.epsilon ?? minPos / 2;
  }
  const lb = b.map((x) => Math.log(x + eps));
  const lc = c.map((x) => Math.log(x + eps));
  const m = lb.length;
  const n = lc.length;

  const rho1 = pooledLag1([lb, lc]);
  const effectiveN = { baseline: effN(m, rho1), candidate: effN(n, rho1) };
  const z = normalQuantile(1 - alpha);
  // M3's √((1+ρ̂₁)/(1−ρ̂₁)) widening, times t_{df}/z with df = n_eff,b + n_eff,c − 2: the z-based CI is anti-conservative
  // when few effective points remain (measured without it: 9% false DIFFERENT at n=12, φ=0.7, CV 30%).
  const df = effectiveN.baseline + effectiveN.candidate - 2;
  const inflate = Math.sqrt((1 + rho1) / (1 - rho1)) * (tQuantile(1 - alpha, df) / z);

  // The m·n pairwise differences are only materialised when small: on long series (a week at 15 s is 40,000 steps per
  // side) they would need gigabytes, so order statistics are then selected from the two sorted samples instead.
  const kth = pairwiseDiffSelector(lb, lc);
  const mn = m * n;
  const theta = mn % 2 === 1 ? kth((mn - 1) / 2) : (kth(mn / 2 - 1) + kth(mn / 2)) / 2;
  const ratio = Math.exp(theta);

  const N = m + n;
  const varW = ((m * n) / 12) * (N + 1 - tieTerm([...lb, ...lc]) / (N * (N - 1)));
  const k = Math.floor((m * n) / 2 - z * Math.sqrt(Math.max(varW, 0)));
  const withNotes = { meanRatio, rho1, effectiveN };

  if (k < 0 || varW <= 0) {
    return { ...withNotes, verdict: 'INCONCLUSIVE', ratio, ci: [0, Infinity], note: 'too few points for a CI' };
  }
  const rawLo = kth(k);
  const rawHi = kth(mn - 1 - k);
  const lo = theta - inflate * (theta - rawLo);
  const hi = theta + inflate * (rawHi - theta);

  // Normal approximation of the estimate's SE from the (already widened) CI, for p-values only.
  const se = (hi - lo) / (2 * z);
  let pValue: number | undefined;
  let pDifferent: number | undefined;
  if (se > 0) {
    pValue = Math.max(normalSf((theta + margin) / se), normalCdf((theta - margin) / se));
    pDifferent = normalSf((Math.abs(theta) - margin) / se);
  } else {
    pValue = Math.abs(theta) < margin ? 0 : 1;
    pDifferent = Math.abs(theta) > margin ? 0 : 1;
  }

  const ci: [number, number] = [Math.exp(lo), Math.exp(hi)];
  if (lo > -margin && hi < margin) return { ...withNotes, verdict: 'EQUIVALENT', ratio, ci, pValue, pDifferent };
  if (lo > margin) return { ...withNotes, verdict: 'DIFFERENT', direction: 'HIGH', ratio, ci, pValue, pDifferent };
  if (hi < -margin) return { ...withNotes, verdict: 'DIFFERENT', direction: 'LOW', ratio, ci, pValue, pDifferent };
  return { ...withNotes, verdict: 'INCONCLUSIVE', ratio, ci, pValue, pDifferent };
}

// ---------- multiplicity (M8) ----------

/**
 * Benjamini-Hochberg step-up: reject H_(1..k) for the largest k with p_(k) ≤ k·q/m. Controls the false discovery rate at q
 * (M8: q = 0.05 across all series). Non-finite p-values count towards m but are never rejected.
 */
export function benjaminiHochberg(pValues: readonly number[], q: number): boolean[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p: Number.isFinite(p) ? p : 1, i })).sort((x, y) => x.p - y.p || x.i - y.i);
  let k = 0;
  for (let r = 1; r <= m; r++) {
    if ((order[r - 1] as { p: number }).p <= (r * q) / m) k = r;
  }
  const out = new Array<boolean>(m).fill(false);
  for (let r = 0; r < k; r++) {
    const o = order[r] as { p: number; i: number };
    if (Number.isFinite(pValues[o.i])) out[o.i] = true;
  }
  return out;
}

export interface SeriesPair {
  id: string;
  baseline: readonly number[];
  candidate: readonly number[];
}

/**
 * Runs `ratioEquivalence` on every pair, then applies BH at level q to the DIFFERENT calls' `pDifferent` (M8).
 * A DIFFERENT call that does not survive FDR control is downgraded to INCONCLUSIVE (noted). Degenerate zero-series
 * calls carry pDifferent = 0 and always survive. EQUIVALENT calls are unchanged (the CI already controls that error).
 */
export function compareMany(
  pairs: readonly SeriesPair[],
  opts: EquivalenceOptions & { q?: number } = {},
): (EquivalenceResult & { id: string })[] {
  const q = opts.q ?? 0.05;
  const results = pairs.map((p) => ({ id: p.id, ...ratioEquivalence(p.baseline, p.candidate, opts) }));
  const rejected = benjaminiHochberg(
    results.map((r) => (r.verdict === 'DIFFERENT' ? (r.pDifferent ?? 1) : 1)),
    q,
  );
  return results.map((r, i) => {
    if (r.verdict !== 'DIFFERENT' || rejected[i]) return r;
    const { direction: _d, ...rest } = r;
    return { ...rest, verdict: 'INCONCLUSIVE', note: `DIFFERENT not significant after BH at q=${q}` };
  });
}

// ---------- naive baseline and counter handling ----------

/**
 * The naive script being replaced: flag when |mean(candidate) − mean(baseline)| > k·sd(baseline), k = 1.
 * `scale: 'points'` (default) uses the sd of the baseline points; `scale: 'mean'` uses the iid standard error of the
 * difference of means (a z-test at |z| > 1, which is where the 31.7% false-flag figure, P(|Z|>1), comes from).
 */
export function sigmaRule(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: { k?: number; scale?: 'points' | 'mean' } = {},
): { flagged: boolean; z: number } {
  const k = opts.k ?? 1;
  const diff = mean(candidate) - mean(baseline);
  const sdB = sampleSd(baseline);
  const scale =
    opts.scale === 'mean'
      ? Math.sqrt((sdB * sdB) / baseline.length + sampleSd(candidate) ** 2 / candidate.length)
      : sdB;
  const z = scale > 0 ? diff / scale : diff === 0 ? 0 : Math.sign(diff) * Infinity;
  return { flagged: Math.abs(z) > k, z };
}

/**
 * Cumulative counter samples → per-second rates (M1): increase = v_t − v_{t−1}, or v_t when v_t < v_{t−1} (counter
 * reset: the process restarted from 0). `t` is in seconds; the rate is stamped at the later sample. Samples are sorted
 * by t; non-finite values and non-increasing timestamps (duplicates) are skipped.
 */
export function rateFromCounter(samples: readonly { t: number; v: number }[]): { t: number; rate: number }[] {
  const s = samples.filter((x) => Number.isFinite(x.t) && Number.isFinite(x.v)).sort((x, y) => x.t - y.t);
  const out: { t: number; rate: number }[] = [];
  let prev = s[0];
  for (let i = 1; i < s.length; i++) {
    const cur = s[i] as { t: number; v: number };
    if (prev === undefined || cur.t <= prev.t) continue;
    const increase = cur.v >= prev.v ? cur.v - prev.v : cur.v;
    out.push({ t: cur.t, rate: increase / (cur.t - prev.t) });
    prev = cur;
  }
  return out;
}

// ---------- zero-heavy counters (M4) ----------

export interface RateRatioOptions {
  tolerance?: number;
  alpha?: number;
  /** Step length of each side in seconds (the rate is Σcounts / (steps · step)). */
  stepBaseline: number;
  stepCandidate: number;
  /** Fewer steps than this on either side ⇒ INCONCLUSIVE (as in `ratioEquivalence`); default 5. */
  minPoints?: number;
}

/**
 * Equivalence of two event rates from per-step counts (M4, for sparse and zero-heavy counters such as errors):
 * θ̂ = ln((X_c+½)/T_c) − ln((X_b+½)/T_b) with X the total counts and T the observed time; SE = √(1/(X_b+½) + 1/(X_c+½))
 * (Poisson, Haldane's ½), times √φ̂ where φ̂ = max(1, pooled Pearson χ²/df of the per-step counts) · (1+ρ̂₁)/(1−ρ̂₁)
 * (quasi-Poisson overdispersion, then autocorrelation: bursts of errors are neither Poisson nor independent).
 * The (1−2α) interval uses a t quantile on the effective number of steps. Verdict as in `ratioEquivalence`.
 */
export function rateRatioEquivalence(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: RateRatioOptions,
): EquivalenceResult {
  const tolerance = opts.tolerance ?? 0.1;
  const alpha = opts.alpha ?? 0.05;
  const b = baseline.filter(Number.isFinite);
  const c = candidate.filter(Number.isFinite);
  const xb = b.reduce((s, x) => s + x, 0);
  const xc = c.reduce((s, x) => s + x, 0);
  const tb = b.length * opts.stepBaseline;
  const tc = c.length * opts.stepCandidate;
  const meanRatio = xb === 0 || tc === 0 ? Number.NaN : xc / tc / (xb / tb);
  const base = { meanRatio, rho1: 0, effectiveN: { baseline: b.length, candidate: c.length } };
  const minPoints = Math.max(5, opts.minPoints ?? 5);
  if (b.length < minPoints || c.length < minPoints) {
    return {
      ...base,
      verdict: 'INCONCLUSIVE',
      ratio: Number.NaN,
      ci: [0, Infinity],
      note: `fewer than ${minPoints} steps per side`,
    };
  }
  if (xb === 0 && xc === 0) {
    return {
      ...base,
      verdict: 'EQUIVALENT',
      ratio: 1,
      ci: [1, 1],
      pValue: 0,
      pDifferent: 1,
      note: 'no events on either side',
    };
  }
  const margin = Math.log1p(tolerance);
  const theta = Math.log((xc + 0.5) / tc) - Math.log((xb + 0.5) / tb);
  let chi = 0;
  let df = 0;
  for (const xs of [b, c]) {
    const m = mean(xs);
    if (m <= 0) continue;
    for (const x of xs) chi += ((x - m) * (x - m)) / m;
    df += xs.length - 1;
  }
  const rho1 = pooledLag1([b, c]);
  const dispersion = Math.max(1, df > 0 ? chi / df : 1) * ((1 + rho1) / (1 - rho1));
  const se = Math.sqrt((1 / (xb + 0.5) + 1 / (xc + 0.5)) * dispersion);
  const effectiveN = { baseline: effN(b.length, rho1), candidate: effN(c.length, rho1) };
  const q = tQuantile(1 - alpha, Math.max(1, effectiveN.baseline + effectiveN.candidate - 2));
  const lo = theta - q * se;
  const hi = theta + q * se;
  const ratio = Math.exp(theta);
  const pValue = Math.max(normalSf((theta + margin) / se), normalCdf((theta - margin) / se));
  const pDifferent = normalSf((Math.abs(theta) - margin) / se);
  const ci: [number, number] = [Math.exp(lo), Math.exp(hi)];
  const out = {
    meanRatio,
    rho1,
    effectiveN,
    ratio,
    ci,
    pValue,
    pDifferent,
    note: `rate test on ${xb} vs ${xc} events`,
  };
  if (lo > -margin && hi < margin) return { ...out, verdict: 'EQUIVALENT' };
  if (lo > margin) return { ...out, verdict: 'DIFFERENT', direction: 'HIGH' };
  if (hi < -margin) return { ...out, verdict: 'DIFFERENT', direction: 'LOW' };
  return { ...out, verdict: 'INCONCLUSIVE' };
}

// ---------- paired design (M2 a/c) ----------

/**
 * Equivalence on the ratio for series observed at matching steps (M2: concurrent windows, or sequential windows matched
 * by time of day): d_t = ln((c_t+ε)/(b_t+ε)), θ̂ = mean d, SE = sd(d)/√n · √((1+ρ̂₁)/(1−ρ̂₁)) with ρ̂₁ the bias-corrected
 * lag-1 autocorrelation of d clipped to [0, 0.9], CI θ̂ ± t_{1−α, n_eff−1}·SE. Pairing removes the shape both windows share
 * (the daily cycle), which an unpaired test has to treat as noise. Verdict as in `ratioEquivalence`.
 */
export function pairedRatioEquivalence(
  baseline: readonly number[],
  candidate: readonly number[],
  opts: EquivalenceOptions = {},
): EquivalenceResult {
  const tolerance = opts.tolerance ?? 0.1;
  const alpha = opts.alpha ?? 0.05;
  const n0 = Math.min(baseline.length, candidate.length);
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < n0; i++) {
    const x = baseline[i] as number;
    const y = candidate[i] as number;
    if (Number.isFinite(x) && Number.isFinite(y) && x >= 0 && y >= 0) {
      b.push(x);
      c.push(y);
    }
  }
  const meanRatio = mean(b) === 0 ? Number.NaN : mean(c) / mean(b);
  const base = { meanRatio, rho1: 0, effectiveN: { baseline: b.length, candidate: c.length } };
  const minPoints = Math.max(3, opts.minPoints ?? 20);
  if (b.length < minPoints) {
    return {
      ...base,
      verdict: 'INCONCLUSIVE',
      ratio: Number.NaN,
      ci: [0, Infinity],
      note: `fewer than ${minPoints} paired steps`,
    };
  }
  const bZero = b.every((x) => x === 0);
  const cZero = c.every((x) => x === 0);
  if (bZero || cZero) return ratioEquivalence(b, c, opts);
  let minPos = Infinity;
  for (const x of b) if (x > 0 && x < minPos) minPos = x;
  for (const x of c) if (x > 0 && x < minPos) minPos = x;
  const eps = b.includes(0) || c.includes(0) ? (opts.epsilon ?? minPos / 2) : 0;
  const d = b.map((x, i) => Math.log((c[i] as number) + eps) - Math.log(x + eps));
  const n = d.length;
  const theta = mean(d);
  const sd = sampleSd(d);
  const rho1 = pooledLag1([d]);
  const nEff = effN(n, rho1);
  const se = (sd / Math.sqrt(n)) * Math.sqrt((1 + rho1) / (1 - rho1));
  const margin = Math.log1p(tolerance);
  const q = tQuantile(1 - alpha, Math.max(1, nEff - 1));
  const lo = theta - q * se;
  const hi = theta + q * se;
  const ratio = Math.exp(theta);
  const ci: [number, number] = [Math.exp(lo), Math.exp(hi)];
  const out = {
    meanRatio,
    rho1,
    effectiveN: { baseline: nEff, candidate: nEff },
    ratio,
    ci,
    note: `paired over ${n} steps`,
  };
  if (!(se > 0)) {
    const eq = Math.abs(theta) < margin;
    return {
      ...out,
      verdict: eq ? 'EQUIVALENT' : 'DIFFERENT',
      ...(eq ? {} : { direction: theta > 0 ? ('HIGH' as const) : ('LOW' as const) }),
      pValue: eq ? 0 : 1,
      pDifferent: eq ? 1 : 0,
    };
  }
  const pValue = Math.max(normalSf((theta + margin) / se), normalCdf((theta - margin) / se));
  const pDifferent = normalSf((Math.abs(theta) - margin) / se);
  if (lo > -margin && hi < margin) return { ...out, verdict: 'EQUIVALENT', pValue, pDifferent };
  if (lo > margin) return { ...out, verdict: 'DIFFERENT', direction: 'HIGH', pValue, pDifferent };
  if (hi < -margin) return { ...out, verdict: 'DIFFERENT', direction: 'LOW', pValue, pDifferent };
  return { ...out, verdict: 'INCONCLUSIVE', pValue, pDifferent };
}

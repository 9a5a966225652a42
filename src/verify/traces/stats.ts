// Small tests used by the trace comparison: G-test on a 2×k table, two-proportion z-test, quantile confidence
// intervals from order statistics.
import { normalCdf } from '../stats.js';

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-13). */
export function lnGamma(x: number): number {
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) (series below a+1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(-x + a * Math.log(x) - lnGamma(a)));
  }
  // Modified Lentz.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/** Upper tail of the χ² distribution with `df` degrees of freedom. */
export function chiSquareSf(x: number, df: number): number {
  if (df <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/**
 * G-test of homogeneity on two count vectors over the same categories. Categories empty on both sides are ignored.
 * Returns the statistic, degrees of freedom and p-value (1 when there is nothing to test).
 */
export function gTest(a: readonly number[], b: readonly number[]): { g: number; df: number; p: number } {
  let na = 0;
  let nb = 0;
  for (const x of a) na += x;
  for (const x of b) nb += x;
  if (na === 0 || nb === 0) return { g: 0, df: 0, p: 1 };
  const n = na + nb;
  let g = 0;
  let cats = 0;
  for (let i = 0; i < a.length; i++) {
    const oa = a[i] ?? 0;
    const ob = b[i] ?? 0;
    const col = oa + ob;
    if (col === 0) continue;
    cats++;
    const ea = (col * na) / n;
    const eb = (col * nb) / n;
    if (oa > 0) g += oa * Math.log(oa / ea);
    if (ob > 0) g += ob * Math.log(ob / eb);
  }
  g *= 2;
  const df = cats - 1;
  return { g, df, p: df > 0 ? chiSquareSf(g, df) : 1 };
}

/** Two-sided p-value of the pooled two-proportion z-test for x1/n1 vs x2/n2 (1 when undefined). */
export function twoProportionP(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  if (se === 0) return x1 / n1 === x2 / n2 ? 1 : 0;
  const z = Math.abs(x1 / n1 - x2 / n2) / se;
  return 2 * (1 - normalCdf(z));
}

/** Quantile `q` of ascending `sorted` (R-7 interpolation). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/**
 * Estimate and standard error of ln(quantile q), the standard error taken from the distribution-free 95% order-statistic
 * interval (binomial ranks nq ± 1.96·√(nq(1−q))). Values at or below `floor` are read as `floor`.
 */
export function logQuantile(sorted: ArrayLike<number>, q: number, floor = 1e-6): { est: number; se: number } {
  const n = sorted.length;
  const z = 1.959964;
  const half = z * Math.sqrt(n * q * (1 - q));
  const lo = Math.max(0, Math.floor(n * q - half) - 1);
  const hi = Math.min(n - 1, Math.ceil(n * q + half));
  const ln = (v: number): number => Math.log(Math.max(v, floor));
  return {
    est: ln(quantileSorted(sorted, q)),
    se: (ln(sorted[hi] as number) - ln(sorted[lo] as number)) / (2 * z),
  };
}

/** Spans of one path grouped by trace: `starts[k]` is the index of trace k's first span, `errors[k]` its failures. */
export interface Clustered {
  readonly spans: number;
  readonly starts: readonly number[];
  readonly errors: readonly number[];
}

function clusterSize(c: Clustered, k: number): number {
  return (k + 1 < c.starts.length ? (c.starts[k + 1] as number) : c.spans) - (c.starts[k] as number);
}

/**
 * Two-sided p-value for a change in the error share of spans, with the trace as the cluster: spans of one trace fail
 * together (a loop against a failing replica), so the variance of each side's ratio estimate comes from per-trace
 * residuals (cluster-robust, pooled rate under the null hypothesis) rather than from the span count.
 */
export function clusteredProportionP(a: Clustered, b: Clustered): number {
  let ya = 0;
  let yb = 0;
  for (const e of a.errors) ya += e;
  for (const e of b.errors) yb += e;
  if (a.spans === 0 || b.spans === 0) return 1;
  const p0 = (ya + yb) / (a.spans + b.spans);
  const variance = (c: Clustered): number => {
    const m = c.starts.length;
    let ss = 0;
    for (let k = 0; k < m; k++) {
      const r = (c.errors[k] as number) - p0 * clusterSize(c, k);
      ss += r * r;
    }
    // Never below the binomial variance: a side with few traces would otherwise look certain.
    const binomial = (p0 * (1 - p0)) / c.spans;
    return Math.max(m > 1 ? (ss * m) / (m - 1) / (c.spans * c.spans) : binomial, binomial);
  };
  const va = variance(a);
  const vb = variance(b);
  const se = Math.sqrt(va + vb);
  const d = Math.abs(ya / a.spans - yb / b.spans);
  if (se === 0) return d === 0 ? 1 : 0;
  // Continuity correction on the effective sample sizes (spans / design effect): with few failing traces the normal
  // approximation is otherwise too eager.
  // 1 / effective size = variance / p0(1 - p0).
  const cc = (0.5 * (va + vb)) / (p0 * (1 - p0));
  return Math.min(1, 2 * (1 - normalCdf(Math.max(0, d - cc) / se)));
}

/**
 * Standard errors of ln(p50) and ln(p90) of span durations, resampling traces (not spans) with replacement: spans of
 * one trace share its load, so they are not independent samples. `durations` are in trace order (contiguous per trace,
 * `starts` as in Clustered); each resample's quantiles are read from one pass over the spans sorted once, weighted by
 * how often their trace was drawn. Deterministic (fixed seed).
 */
export function clusterBootstrapLogQuantileSe(
  durations: readonly number[],
  starts: readonly number[],
  qs: readonly number[],
  floor = 1e-6,
): number[] {
  const n = durations.length;
  const m = starts.length;
  const traceOf = new Int32Array(n);
  for (let k = 0; k < m; k++) {
    const end = k + 1 < m ? (starts[k + 1] as number) : n;
    for (let i = starts[k] as number; i < end; i++) traceOf[i] = k;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => (durations[x] as number) - (durations[y] as number),
  );
  const rounds = Math.max(40, Math.min(200, Math.floor(2e7 / Math.max(1, n))));
  let seed = 0x2545f491;
  const rand = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const weight = new Int32Array(m);
  const sums = qs.map(() => 0);
  const sq = qs.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    weight.fill(0);
    for (let k = 0; k < m; k++) {
      const w = Math.floor(rand() * m);
      weight[w] = (weight[w] as number) + 1;
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += weight[traceOf[i] as number] as number;
    let acc = 0;
    let qi = 0;
    for (let j = 0; j < n && qi < qs.length; j++) {
      const i = order[j] as number;
      acc += weight[traceOf[i] as number] as number;
      while (qi < qs.length && acc >= (qs[qi] as number) * total && acc > 0) {
        const v = Math.log(Math.max(durations[i] as number, floor));
        sums[qi] = (sums[qi] as number) + v;
        sq[qi] = (sq[qi] as number) + v * v;
        qi++;
      }
    }
  }
  return qs.map((_, i) => {
    const mean = (sums[i] as number) / rounds;
    return Math.sqrt(Math.max(0, (sq[i] as number) / rounds - mean * mean) * (rounds / (rounds - 1)));
  });
}

// Exponential histogram state kept for native (sparse) Prometheus histograms: buckets by OTel
// index at the point's scale, merged for delta points, and converted to Prometheus spans and
// deltas when rendered.
import type { ExponentialHistogramDataPoint } from '../../pdata/model.js';

/** Prometheus native histogram schemas (= OTel scales) it accepts. */
export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;
/** Zero threshold written when the OTel point has none (exact zeros only). */
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;

export interface NativeState {
  scale: number;
  zeroThreshold: number;
  zeroCount: bigint;
  /** OTel bucket index -> count. */
  readonly positive: Map<number, bigint>;
  readonly negative: Map<number, bigint>;
}

function bucketMap(b: { offset: number; bucketCounts: bigint[] } | undefined): Map<number, bigint> {
  const m = new Map<number, bigint>();
  if (b === undefined) return m;
  for (let i = 0; i < b.bucketCounts.length; i++) {
    const c = b.bucketCounts[i] as bigint;
    if (c !== 0n) m.set(b.offset + i, c);
  }
  return m;
}

export function nativeFromPoint(p: ExponentialHistogramDataPoint): NativeState {
  return {
    scale: p.scale,
    zeroThreshold: p.zeroThreshold,
    zeroCount: p.zeroCount,
    positive: bucketMap(p.positive),
    negative: bucketMap(p.negative),
  };
}

/** The buckets at a scale `k` lower: index >> k (floor), counts that meet are added. */
function downscaled(m: ReadonlyMap<number, bigint>, k: number): Map<number, bigint> {
  if (k === 0) return new Map(m);
  const out = new Map<number, bigint>();
  for (const [i, c] of m) {
    const j = Math.floor(i / 2 ** k);
    out.set(j, (out.get(j) ?? 0n) + c);
  }
  return out;
}

/** Upper boundary of OTel bucket `index` at `scale` (= lower boundary of index + 1). */
function upperBoundary(index: number, scale: number): number {
  return 2 ** ((index + 1) * 2 ** -scale);
}

/** Move every bucket whose upper boundary is <= t into the zero bucket. */
function foldIntoZero(s: NativeState, t: number): void {
  for (const m of [s.positive, s.negative]) {
    for (const [i, c] of m) {
      if (upperBoundary(i, s.scale) <= t) {
        s.zeroCount += c;
        m.delete(i);
      }
    }
  }
}

/** `into` += `add`, at the smaller of the two scales and the larger zero threshold. */
export function mergeNative(into: NativeState, add: NativeState): void {
  const scale = Math.min(into.scale, add.scale);
  const a = { pos: downscaled(into.positive, into.scale - scale), neg: downscaled(into.negative, into.scale - scale) };
  const b = { pos: downscaled(add.positive, add.scale - scale), neg: downscaled(add.negative, add.scale - scale) };
  for (const [i, c] of b.pos) a.pos.set(i, (a.pos.get(i) ?? 0n) + c);
  for (const [i, c] of b.neg) a.neg.set(i, (a.neg.get(i) ?? 0n) + c);
  into.scale = scale;
  into.positive.clear();
  into.negative.clear();
  for (const [i, c] of a.pos) into.positive.set(i, c);
  for (const [i, c] of a.neg) into.negative.set(i, c);
  into.zeroCount += add.zeroCount;
  const t = Math.max(into.zeroThreshold, add.zeroThreshold);
  if (t > into.zeroThreshold || t > add.zeroThreshold) foldIntoZero(into, t);
  into.zeroThreshold = t;
}

export interface NativeSpan {
  readonly offset: number;
  readonly length: number;
}

export interface NativeBuckets {
  readonly spans: NativeSpan[];
  /** First absolute count, then differences to the previous bucket. */
  readonly deltas: bigint[];
}

export interface NativeRender {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: bigint;
  readonly positive: NativeBuckets;
  readonly negative: NativeBuckets;
}

/** Spans and deltas of one side, Prometheus indexes (OTel index + 1). A single empty bucket
 * between two filled ones is written as a zero rather than opening a new span. */
export function sparse(m: ReadonlyMap<number, bigint>): NativeBuckets {
  const idx = [...m.keys()].sort((x, y) => x - y);
  const spans: NativeSpan[] = [];
  const deltas: bigint[] = [];
  let prevCount = 0n;
  let spanStart = 0;
  let spanLen = 0;
  let prevSpanEnd = 0;
  let lastIdx = 0;
  const push = (count: bigint): void => {
    deltas.push(count - prevCount);
    prevCount = count;
  };
  const closeSpan = (): void => {
    spans.push({ offset: spans.length === 0 ? spanStart : spanStart - prevSpanEnd - 1, length: spanLen });
    prevSpanEnd = spanStart + spanLen - 1;
  };
  for (const i of idx) {
    const pi = i + 1;
    const c = m.get(i) as bigint;
    if (spanLen > 0 && pi - lastIdx <= 2) {
      for (let g = lastIdx + 1; g < pi; g++) push(0n);
      spanLen += pi - lastIdx;
    } else {
      if (spanLen > 0) closeSpan();
      spanStart = pi;
      spanLen = 1;
    }
    push(c);
    lastIdx = pi;
  }
  if (spanLen > 0) closeSpan();
  return { spans, deltas };
}

/**
 * The native histogram as Prometheus takes it: schema capped at 8 (downscaled), zero threshold
 * at least DEFAULT_ZERO_THRESHOLD when none was set. Undefined when the scale is below -4.
 */
export function renderNative(s: NativeState): NativeRender | undefined {
  if (s.scale < MIN_SCHEMA) return undefined;
  const k = Math.max(0, s.scale - MAX_SCHEMA);
  return {
    schema: s.scale - k,
    zeroThreshold: s.zeroThreshold > 0 ? s.zeroThreshold : DEFAULT_ZERO_THRESHOLD,
    zeroCount: s.zeroCount,
    positive: sparse(downscaled(s.positive, k)),
    negative: sparse(downscaled(s.negative, k)),
  };
}

// Classic histograms and summaries arrive as separate series (`_bucket` per bound, `_sum`,
// `_count`, or one per quantile), and a sender may put the parts of one scrape into different
// requests: Prometheus shards series by label hash and cuts batches at `max_samples_per_send`.
// The assembler collects the parts of each (series, timestamp) across requests and releases a
// point when it is complete:
//   - its shape is whole (`_count`, `_sum`, and the `+Inf` bucket for a histogram) and it has at
//     least as many buckets/quantiles as this series' last released point; or, for a series not
//     seen before, every part came in one request;
//   - or a later point of the same series is released (a sender keeps each series in time order,
//     so every part of the earlier point has arrived);
//   - or it has waited `timeoutMs` (then what is there is released: a point with missing bounds
//     is still correct, only coarser; one without `_count` is dropped and counted);
//   - or a staleness marker arrives for `_count`.
// Parts that arrive after their point was released are dropped and counted (`histogram_late_part`).
// Pending points are bounded (`maxPending`: the oldest is released early) and so is the per-series
// memory (least recently released first out).
import type { Label } from '../../prometheus/remotewrite/proto.js';

export type AssembledKind = 'histogram' | 'summary';
export type PartRole = 'bucket' | 'quantile' | 'sum' | 'count';

export interface PendingPoint extends GroupInfo {
  readonly t: number;
  /** Raw bound text ("1", "1.0", "+Inf") -> [bound, value]: a resent part overwrites itself. */
  readonly parts: Map<string, [number, number]>;
  sum?: number;
  count?: number;
  stale: boolean;
  /** Wall clock (ms) of the first part's arrival. */
  readonly firstMs: number;
  /** Requests that carried parts of this point. */
  requests: number;
  lastRequest: number;
  /** Put back after a refusal: waits for the sender's resend (or the timeout). */
  held: boolean;
}

interface Released {
  /** Buckets/quantiles of the last released point. */
  parts: number;
  /** Its timestamp: parts at or before it are late. */
  t: number;
}

export interface AssemblerOptions {
  readonly timeoutMs: number;
  readonly maxPending: number;
  readonly maxSeries: number;
}

/** One series of a classic histogram or summary. */
export interface GroupInfo {
  readonly group: string;
  readonly family: string;
  readonly kind: AssembledKind;
  readonly job: string;
  readonly instance: string;
  readonly attrs: readonly Label[];
}

export class Assembler {
  private readonly pending = new Map<string, PendingPoint>();
  private readonly byGroup = new Map<string, number[]>();
  private readonly released = new Map<string, Released>();
  /** Points that got a part since the last `take`: only they can have become whole. */
  private readonly touched = new Set<string>();
  /** Points put back by `restore`: out of arrival order, so their timeouts are checked apart. */
  private readonly restored = new Set<string>();
  private request = 0;

  constructor(private readonly o: AssemblerOptions) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Start a new request: parts added until the next call count as one request. */
  beginRequest(): void {
    this.request++;
  }

  /** Add one part. Returns false when it is late (its point was already released). */
  add(
    g: GroupInfo,
    t: number,
    role: PartRole,
    bound: string | undefined,
    value: number,
    stale: boolean,
    nowMs: number,
  ): boolean {
    const rel = this.released.get(g.group);
    if (rel !== undefined && t <= rel.t) {
      // A staleness marker for a point already released as stale carries nothing new.
      return stale;
    }
    const key = `${g.group}\xff${t}`;
    let p = this.pending.get(key);
    if (p === undefined) {
      p = { ...g, t, parts: new Map(), stale: false, firstMs: nowMs, requests: 0, lastRequest: -1, held: false };
      this.pending.set(key, p);
      let ts = this.byGroup.get(g.group);
      if (ts === undefined) {
        ts = [];
        this.byGroup.set(g.group, ts);
      }
      ts.push(t);
    }
    p.held = false;
    this.touched.add(key);
    if (p.lastRequest !== this.request) {
      p.lastRequest = this.request;
      p.requests++;
    }
    if (stale) {
      if (role === 'count') p.stale = true;
      return true;
    }
    switch (role) {
      case 'sum':
        p.sum = value;
        break;
      case 'count':
        p.count = value;
        break;
      case 'bucket':
      case 'quantile':
        p.parts.set(bound ?? '', [parseBound(bound ?? ''), value]);
        break;
    }
    return true;
  }

  private whole(p: PendingPoint): boolean {
    if (p.held) return false;
    if (p.stale) return true;
    if (p.count === undefined || p.sum === undefined) return false;
    if (p.kind === 'histogram' && !p.parts.has('+Inf') && !p.parts.has('Inf') && !p.parts.has('+inf')) return false;
    const rel = this.released.get(p.group);
    if (rel === undefined) return p.requests === 1 && p.lastRequest === this.request;
    return p.parts.size >= rel.parts;
  }

  /** Points ready now, in series and time order; pending points past the timeout or over the
   * bound are released too (`all` releases everything, for shutdown). */
  take(nowMs: number, all = false): PendingPoint[] {
    const out: PendingPoint[] = [];
    const due = new Set<string>();
    if (all) for (const key of this.pending.keys()) due.add(key);
    else {
      for (const key of this.touched) {
        const p = this.pending.get(key);
        if (p !== undefined && this.whole(p)) due.add(key);
      }
      for (const key of this.restored) {
        const p = this.pending.get(key);
        if (p === undefined) this.restored.delete(key);
        else if (nowMs - p.firstMs >= this.o.timeoutMs) due.add(key);
      }
      // The pending map is in arrival order: the oldest points are the ones past the timeout,
      // and the ones released early when too many wait.
      for (const [key, p] of this.pending) {
        if (nowMs - p.firstMs < this.o.timeoutMs && this.pending.size - due.size <= this.o.maxPending) break;
        due.add(key);
      }
    }
    this.touched.clear();
    if (due.size === 0) return out;
    // Releasing a point releases the earlier points of its series.
    const groups = new Map<string, number>();
    for (const key of due) {
      const p = this.pending.get(key) as PendingPoint;
      groups.set(p.group, Math.max(groups.get(p.group) ?? Number.NEGATIVE_INFINITY, p.t));
    }
    for (const [group, upTo] of groups) {
      const ts = this.byGroup.get(group) ?? [];
      ts.sort((a, b) => a - b);
      const keep: number[] = [];
      for (const t of ts) {
        if (t > upTo) {
          keep.push(t);
          continue;
        }
        const key = `${group}\xff${t}`;
        const p = this.pending.get(key);
        if (p === undefined) continue;
        this.pending.delete(key);
        out.push(p);
      }
      if (keep.length === 0) this.byGroup.delete(group);
      else this.byGroup.set(group, keep);
      const last = out[out.length - 1] as PendingPoint;
      this.released.delete(group);
      this.released.set(group, { parts: last.parts.size, t: upTo });
      if (this.released.size > this.o.maxSeries) {
        const oldest = this.released.keys().next();
        if (oldest.done !== true) this.released.delete(oldest.value);
      }
    }
    return out;
  }

  /** Put back points a pipeline refused retryably: the sender resends its request, whose parts
   * then complete them again (parts from earlier requests, already acknowledged, are kept). */
  restore(points: readonly PendingPoint[]): void {
    const back = new Map<string, { t: number; parts: number }>();
    for (const p of points) {
      const key = `${p.group}\xff${p.t}`;
      if (this.pending.has(key)) continue;
      p.held = true;
      this.pending.set(key, p);
      this.restored.add(key);
      const ts = this.byGroup.get(p.group);
      if (ts === undefined) this.byGroup.set(p.group, [p.t]);
      else ts.push(p.t);
      const b = back.get(p.group);
      back.set(p.group, { t: Math.min(b?.t ?? p.t, p.t), parts: Math.max(b?.parts ?? 0, p.parts.size) });
    }
    for (const [group, b] of back) this.released.set(group, { parts: b.parts, t: b.t - 1 });
  }

  /** Forget a series (it ended with a staleness marker on a plain sample). */
  forget(group: string): void {
    this.released.delete(group);
  }
}

export function parseBound(s: string): number {
  if (s === '+Inf' || s === 'Inf' || s === '+inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  const v = Number(s);
  return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
}

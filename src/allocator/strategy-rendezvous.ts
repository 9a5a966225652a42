/**
 * `weighted-rendezvous`, version 1: rendezvous (highest-random-weight) hashing with a load cap.
 *
 * How it works
 * 1. Every target key is hashed once (two 32-bit lanes, see `hash.ts`), every collector id once into
 *    a per-collector seed. The score of the pair (target t, collector c) is
 *    `fmix32(h1(t) XOR seed(c))`, an unsigned 32-bit integer. A target ranks the collectors by
 *    descending score (ties: the smaller id first). Collector ids are sorted (UTF-16 order) first, so
 *    the result depends only on the set of ids and the set of targets, never on input order.
 * 2. Capacity, in weight units (a target weighs 1 unless `weight` says otherwise): with W the total
 *    weight, x = max(W / N * (1 + epsilon), W / N + 1) (exactly W / N when epsilon is 0). Each
 *    collector gets floor(x) or floor(x) + 1: the ceil(N * frac(x)) collectors with the smallest
 *    draw (a per-collector value in [0, 1) from its seed) round up. So capacities sum to at least W,
 *    none exceeds ceil(x), and a small drift of x moves only the collectors near the rounding
 *    boundary. The floor of one unit above the mean keeps tiny shares (10 targets per collector)
 *    from being forced into exact balance, which would move targets on every change.
 * 3. Phase 1: every target goes to its first choice (plain rendezvous hashing). A collector whose
 *    first-choice load exceeds its capacity keeps its highest-scoring targets (ties: higher h2, then
 *    smaller key) while they fit and rejects the rest.
 * 4. Phase 2: the rejected targets share the room left over, greedily over (target, collector) pairs
 *    in descending score order: a pair is taken when the target is still unplaced and the collector
 *    has room for it. Phase-1 targets are never displaced. A target that fits nowhere (only possible
 *    with heavy weights) goes to the collector with the most room left.
 *
 * Why it moves little
 * - Without a binding cap this is exactly rendezvous hashing: adding a collector moves only the
 *   targets that now rank it first (1/(N+1) of them), removing one moves only its own targets, and a
 *   rolling restart (same ids) moves nothing because the result is a pure function of the two sets.
 * - With the cap, only the collectors whose first-choice load exceeds their capacity move more than
 *   that: each sheds or takes back about |k - dcap| targets, where k is the number of first-choice
 *   targets it gains or loses and dcap the change of its capacity. Targets are hashed independently,
 *   so first-choice loads spread like a binomial (sd = sqrt(W / N)) and the share of capped
 *   collectors is P(Z > epsilon * sqrt(W / N)): small when there are many targets per collector,
 *   about a third at 100. Ranking by score puts the targets that leave (or arrive) more often at
 *   the bottom of a capped collector, where they are rejected anyway; rejected targets only fill
 *   spare room and never push out a first-choice target, which keeps cascades short.
 * - Measured (`bench/allocator`, `assign.test.ts`, up to 100 collectors): within 1.1x of the
 *   minimum from about 500 targets per collector up (0.97-1.05x at 1,000 per collector), up to
 *   1.16x at 200-300 per collector and 1.3-1.45x at 100 per collector.
 *
 * Cost: one 32-bit mix per (target, collector) pair for the first choices (typed arrays, no
 * allocation per target), a sort of the targets of over-full collectors only, and a small heap for
 * the rejected ones. One allocation allocates about 65 bytes per target (`bench/allocator`).
 *
 * Version pin: the hash functions and constants (`hash.ts`, {@link SEED_SALT_V1},
 * {@link CAP_SALT_V1}), the capacity rule, the two phases and every tie-break above are version 1.
 * Any change that can alter an assignment needs a new version number, with version 1 kept
 * selectable, so an upgrade never reshuffles.
 */
import { fmix32, hash32, hashKeys } from './hash.js';

/** Mixed into every collector seed of version 1. */
export const SEED_SALT_V1 = 0x2545f491;
const SIGN = -0x80000000; // XOR with this turns unsigned order into signed order

/** What {@link rendezvousV1} needs to know about a target. */
export interface WeightedKey {
  readonly key: string;
  readonly weight?: number;
}

/** Mixed into the per-collector rounding draw of version 1. */
export const CAP_SALT_V1 = 0x68e31da4;

/**
 * Capacities of the collectors, in weight units, for total weight `total`: x = max(total / N *
 * (1 + epsilon), total / N + 1) (total / N when epsilon is 0), rounded up for the
 * ceil(N * frac(x)) collectors with the smallest draws (`draws[c]` in [0, 1), ties: smaller index)
 * and down for the others. The capacities sum to ceil(N * x) >= total,
 * none exceeds ceil(x), and when x drifts a little (one collector more or less) only the few
 * collectors near the rounding boundary change capacity, instead of every collector at once.
 */
export function rendezvousCaps(total: number, draws: ArrayLike<number>, epsilon: number): Float64Array {
  const n = draws.length;
  const caps = new Float64Array(n);
  if (n === 0) return caps;
  const mean = total / n;
  let x = epsilon > 0 ? Math.max(mean * (1 + epsilon), mean + 1) : mean;
  const r = Math.round(x);
  if (Math.abs(x - r) <= 1e-9 * Math.max(1, x)) x = r; // 10000 / 50 * 1.05 is 210.00000000000003
  const lo = Math.floor(x);
  const up = Math.min(n, Math.ceil(n * (x - lo) - 1e-9));
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (draws[a] as number) - (draws[b] as number) || a - b,
  );
  caps.fill(lo);
  for (let i = 0; i < up; i++) caps[order[i] as number] = lo + 1;
  return caps;
}

/** The rounding draw in [0, 1) of the collector with seed `seed`. */
export const capDraw = (seed: number): number => (fmix32(seed ^ CAP_SALT_V1) >>> 0) / 0x100000000;

/**
 * Assigns `targets` over `ids` (sorted, unique). Returns, per input index, the index into `ids` of
 * its collector (-1 only when `ids` is empty). Throws RangeError on a duplicate key or a bad weight.
 */
export function rendezvousV1(targets: readonly WeightedKey[], ids: readonly string[], epsilon: number): Int32Array {
  const T = targets.length;
  const N = ids.length;
  const owner = new Int32Array(T).fill(-1);

  // Weights: unit unless any target says otherwise.
  let weights: Float64Array | undefined;
  let total = T;
  for (let i = 0; i < T; i++) {
    const target = targets[i] as WeightedKey | undefined;
    if (typeof target?.key !== 'string')
      throw new RangeError(
        `target ${i}: key must be a string, got ${target === undefined ? 'no target' : typeof target.key}`,
      );
    const w = target.weight;
    if (w === undefined || w === 1) continue;
    if (typeof w !== 'number' || !(w > 0) || !Number.isFinite(w))
      throw new RangeError(
        `target ${i} (${JSON.stringify((targets[i] as WeightedKey).key)}): weight must be a finite number > 0, got ${String(w)}`,
      );
    if (weights === undefined) weights = new Float64Array(T).fill(1);
    weights[i] = w;
  }
  if (weights !== undefined) {
    total = 0;
    for (let i = 0; i < T; i++) total += weights[i] as number;
  }

  const h1 = new Int32Array(T);
  const h2 = new Int32Array(T);
  hashKeys(targets, h1, h2);
  checkDuplicates(targets, h1, h2);
  if (N === 0 || T === 0) return owner;

  const seeds = new Int32Array(N);
  for (let c = 0; c < N; c++) seeds[c] = fmix32(hash32(ids[c] as string) ^ SEED_SALT_V1);
  const caps = rendezvousCaps(total, Array.from(seeds, capDraw), epsilon);

  // Phase 1: first choices. Scores are kept XORed with SIGN so signed comparison is unsigned order.
  const first = owner; // reused: first choice per target, becomes the final owner
  const fscore = new Int32Array(T);
  const counts = new Int32Array(N + 1);
  for (let t = 0; t < T; t++) {
    const h = h1[t] as number;
    let best = 0;
    let bs = score(h, seeds[0] as number);
    for (let c = 1; c < N; c++) {
      let s = h ^ (seeds[c] as number);
      s ^= s >>> 16;
      s = Math.imul(s, 0x85ebca6b);
      s ^= s >>> 13;
      s = Math.imul(s, 0xc2b2ae35);
      s = (s ^ (s >>> 16) ^ SIGN) | 0;
      if (s > bs) {
        bs = s;
        best = c;
      }
    }
    first[t] = best;
    fscore[t] = bs;
    counts[best + 1] = (counts[best + 1] as number) + 1;
  }
  for (let c = 0; c < N; c++) counts[c + 1] = (counts[c + 1] as number) + (counts[c] as number);
  const order = new Int32Array(T);
  const fill = counts.slice(0, N);
  for (let t = 0; t < T; t++) {
    const c = first[t] as number;
    order[fill[c] as number] = t;
    fill[c] = (fill[c] as number) + 1;
  }

  const room = new Float64Array(N);
  const rejected: number[] = [];
  const byRank = (a: number, b: number): number => {
    const sa = fscore[a] as number;
    const sb = fscore[b] as number;
    if (sa !== sb) return sb - sa;
    const ha = h2[a] as number;
    const hb = h2[b] as number;
    if (ha !== hb) return hb - ha;
    return keyCmp(targets, a, b);
  };
  for (let c = 0; c < N; c++) {
    const cap = caps[c] as number;
    const start = counts[c] as number;
    const end = counts[c + 1] as number;
    let load = 0;
    if (weights === undefined) load = end - start;
    else for (let i = start; i < end; i++) load += weights[order[i] as number] as number;
    if (load <= cap) {
      room[c] = cap - load;
      continue;
    }
    const bucket = order.subarray(start, end);
    bucket.sort(byRank);
    let used = 0;
    for (let i = 0; i < bucket.length; i++) {
      const t = bucket[i] as number;
      const w = weights === undefined ? 1 : (weights[t] as number);
      if (used + w <= cap) used += w;
      else {
        first[t] = -1;
        rejected.push(t);
      }
    }
    room[c] = cap - used;
  }
  if (rejected.length > 0) placeRejected(targets, weights, h1, h2, seeds, room, rejected, owner);
  return owner;
}

function score(h: number, seed: number): number {
  return fmix32(h ^ seed) ^ SIGN;
}

function keyCmp(targets: readonly WeightedKey[], a: number, b: number): number {
  const ka = (targets[a] as WeightedKey).key;
  const kb = (targets[b] as WeightedKey).key;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Open addressing on the 64-bit hash; equal hashes are compared as strings. */
function checkDuplicates(targets: readonly WeightedKey[], h1: Int32Array, h2: Int32Array): void {
  const T = targets.length;
  let size = 16;
  while (size < T * 2) size *= 2;
  const mask = size - 1;
  const table = new Int32Array(size).fill(-1);
  for (let t = 0; t < T; t++) {
    const a = h1[t] as number;
    let slot = a & mask;
    for (;;) {
      const u = table[slot] as number;
      if (u < 0) {
        table[slot] = t;
        break;
      }
      if (h1[u] === a && h2[u] === h2[t] && (targets[u] as WeightedKey).key === (targets[t] as WeightedKey).key)
        throw new RangeError(
          `duplicate target key ${JSON.stringify((targets[t] as WeightedKey).key)} (targets ${u} and ${t})`,
        );
      slot = (slot + 1) & mask;
    }
  }
}

/**
 * Phase 2: greedy over (rejected target, collector) pairs in descending score order (ties: smaller
 * collector index, then higher h2, then smaller key), taking a pair when the collector has room.
 * Each rejected target sits in a max-heap under its best remaining candidate; full collectors are
 * skipped when the next candidate is computed, which is equivalent because room only shrinks.
 */
function placeRejected(
  targets: readonly WeightedKey[],
  weights: Float64Array | undefined,
  h1: Int32Array,
  h2: Int32Array,
  seeds: Int32Array,
  room: Float64Array,
  rejected: readonly number[],
  owner: Int32Array,
): void {
  const R = rejected.length;
  const N = seeds.length;
  const tOf = Int32Array.from(rejected);
  const curS = new Int32Array(R);
  const curC = new Int32Array(R);
  const weightOf = (t: number): number => (weights === undefined ? 1 : (weights[t] as number));

  // Best candidate strictly after (ps, pc) in t's rank order with room for w; -1 when none.
  const advance = (r: number): boolean => {
    const t = tOf[r] as number;
    const h = h1[t] as number;
    const w = weightOf(t);
    const ps = curS[r] as number;
    const pc = curC[r] as number;
    let best = -1;
    let bs = 0;
    for (let c = 0; c < N; c++) {
      if ((room[c] as number) < w) continue;
      const s = score(h, seeds[c] as number);
      if (s > ps || (s === ps && c <= pc)) continue;
      if (best < 0 || s > bs) {
        best = c;
        bs = s;
      }
    }
    curC[r] = best;
    curS[r] = bs;
    return best >= 0;
  };
  // The first choice was where it got rejected: start after it.
  const heap: number[] = [];
  const homeless: number[] = [];
  for (let r = 0; r < R; r++) {
    const t = tOf[r] as number;
    let fc = 0;
    let fs = score(h1[t] as number, seeds[0] as number);
    for (let c = 1; c < N; c++) {
      const s = score(h1[t] as number, seeds[c] as number);
      if (s > fs) {
        fs = s;
        fc = c;
      }
    }
    curS[r] = fs;
    curC[r] = fc;
    if (advance(r)) heap.push(r);
    else homeless.push(r);
  }
  const higher = (a: number, b: number): boolean => {
    const sa = curS[a] as number;
    const sb = curS[b] as number;
    if (sa !== sb) return sa > sb;
    const ca = curC[a] as number;
    const cb = curC[b] as number;
    if (ca !== cb) return ca < cb;
    const ta = tOf[a] as number;
    const tb = tOf[b] as number;
    const ha = h2[ta] as number;
    const hb = h2[tb] as number;
    if (ha !== hb) return ha > hb;
    return keyCmp(targets, ta, tb) < 0;
  };
  const siftDown = (i0: number): void => {
    let i = i0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && higher(heap[l] as number, heap[m] as number)) m = l;
      if (r < n && higher(heap[r] as number, heap[m] as number)) m = r;
      if (m === i) return;
      const x = heap[i] as number;
      heap[i] = heap[m] as number;
      heap[m] = x;
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  while (heap.length > 0) {
    const r = heap[0] as number;
    const t = tOf[r] as number;
    const c = curC[r] as number;
    const w = weightOf(t);
    if ((room[c] as number) >= w) {
      owner[t] = c;
      room[c] = (room[c] as number) - w;
    } else if (advance(r)) {
      siftDown(0);
      continue;
    } else homeless.push(r);
    const last = heap.pop() as number;
    if (heap.length > 0) {
      heap[0] = last;
      siftDown(0);
    }
  }
  // Heavy targets that fit nowhere: in key order, each to the collector with the most room left.
  homeless.sort((a, b) => keyCmp(targets, tOf[a] as number, tOf[b] as number));
  for (const r of homeless) {
    const t = tOf[r] as number;
    let best = 0;
    for (let c = 1; c < N; c++) if ((room[c] as number) > (room[best] as number)) best = c;
    owner[t] = best;
    room[best] = (room[best] as number) - weightOf(t);
  }
}

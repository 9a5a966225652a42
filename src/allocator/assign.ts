/**
 * Target assignment strategies for the (future) `switchyard allocator`.
 *
 * Every strategy is a pure function of its inputs. `weighted-rendezvous` and `consistent-hashing`
 * depend only on the SET of targets and collector ids (inputs are canonicalised first);
 * `least-weighted` is history/arrival-order dependent by design (upstream parity), and `per-node`
 * depends only on the node mapping.
 */

export type Strategy = 'weighted-rendezvous' | 'consistent-hashing' | 'least-weighted' | 'per-node';

export interface Target {
  /** Stable scrape identity (upstream consistent-hashing uses the pre-relabel `__address__`). */
  readonly key: string;
  /** Relative load of the target (weighted-rendezvous only). Default 1. Must be finite and > 0. */
  readonly weight?: number;
  /** Node the target runs on (per-node only). */
  readonly node?: string;
  /** Job name (least-weighted tie-break only). */
  readonly job?: string;
}

export interface AssignOptions {
  /** weighted-rendezvous: load slack; each collector takes at most ceil(total/N * (1+epsilon)). Default 0.05. */
  readonly epsilon?: number;
  /** weighted-rendezvous: algorithm version. Only {@link RENDEZVOUS_VERSION} exists. */
  readonly version?: number;
  /** consistent-hashing: which buraksezer/consistent ring to emulate. Default 'v1.0.0'. */
  readonly ringVersion?: 'v1.0.0' | 'v0.10.0';
  /** least-weighted: previous assignment (collector id -> target keys); kept where the collector still exists. */
  readonly previous?: ReadonlyMap<string, readonly string[]>;
  /** per-node: collector id -> node name. */
  readonly collectorNodes?: ReadonlyMap<string, string>;
}

export interface Assignment {
  /** Every collector id (sorted) -> its target keys (sorted). Collectors with no targets map to []. */
  readonly byCollector: Map<string, string[]>;
  /** Target keys that could not be assigned (no collectors, or per-node without a collector on the node), sorted. */
  readonly unassigned: string[];
}

/** Pinned version of the weighted-rendezvous algorithm. Changing hashing or tie-breaks requires a new version. */
export const RENDEZVOUS_VERSION = 1;
export const DEFAULT_EPSILON = 0.05;

// ---------------------------------------------------------------------------------------------
// Hashing
// ---------------------------------------------------------------------------------------------

const encoder = new TextEncoder();

/** 64-bit value as two unsigned 32-bit halves. */
interface U64 {
  hi: number;
  lo: number;
}

/** FNV-1a 64 over the UTF-8 bytes of `s`, computed on 32-bit halves (prime = 2^40 + 0x1b3). */
export function fnv1a64(s: string): U64 {
  const bytes = encoder.encode(s);
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const b of bytes) {
    lo = (lo ^ b) >>> 0;
    const t = lo * 0x1b3; // < 2^41, exact
    const carry = Math.floor(t / 0x100000000);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0; // < 2^42, exact; (x << 40) lands in hi as lo << 8
    lo = t >>> 0;
  }
  return { hi, lo };
}

/** Low 64 bits of a*b on 32-bit halves. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): U64 {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const mid = a1 * b0 + a0 * b1; // < 2^33
  const low = a0 * b0 + (mid % 0x10000) * 0x10000; // < 2^33
  const lo = low >>> 0;
  const hi =
    a1 * b1 + Math.floor(mid / 0x10000) + Math.floor(low / 0x100000000) + Math.imul(aHi, bLo) + Math.imul(aLo, bHi);
  return { hi: hi >>> 0, lo };
}

/** MurmurHash3 fmix64 finaliser (bijective), on 32-bit halves. */
function fmix64(hi: number, lo: number): U64 {
  let h = hi;
  let l = lo;
  // k ^= k >>> 33
  l = (l ^ (h >>> 1)) >>> 0;
  let m = mul64(h, l, 0xff51afd7, 0xed558ccd);
  h = m.hi;
  l = (m.lo ^ (h >>> 1)) >>> 0;
  m = mul64(h, l, 0xc4ceb9fe, 0x1a85ec53);
  h = m.hi;
  l = (m.lo ^ (h >>> 1)) >>> 0;
  return { hi: h, lo: l };
}

const M64 = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;
const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M64;
const round = (acc: bigint, lane: bigint): bigint => (rotl((acc + lane * P2) & M64, 31n) * P1) & M64;
const mergeRound = (acc: bigint, v: bigint): bigint => (((acc ^ round(0n, v)) * P1) & M64) + P4;

/** XXH64 (seed 0), as `cespare/xxhash/v2` Sum64. BigInt based: used for consistent-hashing parity only. */
export function xxh64(input: Uint8Array | string): bigint {
  const b = typeof input === 'string' ? encoder.encode(input) : input;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.length;
  let p = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = (P1 + P2) & M64;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (0n - P1) & M64;
    while (p + 32 <= n) {
      v1 = round(v1, dv.getBigUint64(p, true));
      v2 = round(v2, dv.getBigUint64(p + 8, true));
      v3 = round(v3, dv.getBigUint64(p + 16, true));
      v4 = round(v4, dv.getBigUint64(p + 24, true));
      p += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M64;
    h = mergeRound(h, v1) & M64;
    h = mergeRound(h, v2) & M64;
    h = mergeRound(h, v3) & M64;
    h = mergeRound(h, v4) & M64;
  } else {
    h = P5;
  }
  h = (h + BigInt(n)) & M64;
  while (p + 8 <= n) {
    h ^= round(0n, dv.getBigUint64(p, true));
    h = (rotl(h, 27n) * P1 + P4) & M64;
    p += 8;
  }
  if (p + 4 <= n) {
    h ^= (BigInt(dv.getUint32(p, true)) * P1) & M64;
    h = (rotl(h, 23n) * P2 + P3) & M64;
    p += 4;
  }
  while (p < n) {
    h ^= (BigInt(b[p] ?? 0) * P5) & M64;
    h = (rotl(h, 11n) * P1) & M64;
    p++;
  }
  h ^= h >> 33n;
  h = (h * P2) & M64;
  h ^= h >> 29n;
  h = (h * P3) & M64;
  h ^= h >> 32n;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Public entry point
// ---------------------------------------------------------------------------------------------

export function assign(
  strategy: Strategy,
  targets: readonly Target[],
  collectors: readonly string[],
  opts: AssignOptions = {},
): Assignment {
  checkUnique(
    targets.map((t) => t.key),
    'target key',
  );
  checkUnique(collectors, 'collector id');
  switch (strategy) {
    case 'weighted-rendezvous':
      return weightedRendezvous(targets, collectors, opts);
    case 'consistent-hashing':
      return consistentHashing(targets, collectors, opts);
    case 'least-weighted':
      return leastWeighted(targets, collectors, opts);
    case 'per-node':
      return perNode(targets, collectors, opts);
  }
}

function checkUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new RangeError(`duplicate ${what}: ${JSON.stringify(v)}`);
    seen.add(v);
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function emptyResult(collectors: readonly string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const c of [...collectors].sort(cmp)) m.set(c, []);
  return m;
}

function finish(byCollector: Map<string, string[]>, unassigned: string[]): Assignment {
  for (const list of byCollector.values()) list.sort(cmp);
  return { byCollector, unassigned: unassigned.sort(cmp) };
}

// ---------------------------------------------------------------------------------------------
// weighted-rendezvous (v1)
// ---------------------------------------------------------------------------------------------

/**
 * Highest-random-weight hashing with a bounded load.
 *
 * score(t, c) = fmix64(fnv1a64(t.key) XOR fmix64(fnv1a64(c))), compared as an unsigned 64-bit
 * integer, ties broken by collector id. Capacity per collector (in weight units) is
 * ceil(totalWeight / N * (1 + epsilon)).
 *
 * Placement is the greedy over all (target, collector) pairs in descending score order: a pair is
 * taken when the target is still unplaced and the collector has room. Equivalently, each target
 * proposes to collectors in its own rank order and every collector fills with its highest-scoring
 * proposers (a stable matching), so overflow is decided by scores, never by input order. This is
 * what keeps scale-out/scale-in movement close to the minimum: a full collector rejects the same
 * low-score targets as before. Implemented lazily with a max-heap of each target's current best
 * candidate, so only overflowing targets look past their first choice.
 *
 * A target that fits nowhere (only possible with heavy weights) goes to the least-loaded collector
 * (ties: its own rank order).
 */
function weightedRendezvous(
  targets: readonly Target[],
  collectors: readonly string[],
  opts: AssignOptions,
): Assignment {
  const version = opts.version ?? RENDEZVOUS_VERSION;
  if (version !== RENDEZVOUS_VERSION) throw new RangeError(`unsupported weighted-rendezvous version ${version}`);
  const epsilon = opts.epsilon ?? DEFAULT_EPSILON;
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new RangeError(`epsilon must be finite and >= 0`);
  const byCollector = emptyResult(collectors);
  const ids = [...byCollector.keys()]; // sorted: index order is the tie-break order
  const sorted = [...targets].sort((a, b) => cmp(a.key, b.key));
  if (ids.length === 0)
    return finish(
      byCollector,
      sorted.map((t) => t.key),
    );

  const n = ids.length;
  const T = sorted.length;
  const weights = new Float64Array(T);
  let total = 0;
  for (let i = 0; i < T; i++) {
    const w = sorted[i]?.weight ?? 1;
    if (!(w > 0) || !Number.isFinite(w)) throw new RangeError(`target weight must be finite and > 0`);
    weights[i] = w;
    total += w;
  }
  // Tolerance so that e.g. 10000/50*1.05 = 210.00000000000003 gives 210, not 211.
  const raw = (total / n) * (1 + epsilon);
  const cap = Math.ceil(raw - raw * 1e-12);

  const cHashes = ids.map((id) => {
    const h = fnv1a64(id);
    return fmix64(h.hi, h.lo);
  });
  // Scores as [hi, lo] pairs, T x n.
  const sHi = new Uint32Array(T * n);
  const sLo = new Uint32Array(T * n);
  for (let t = 0; t < T; t++) {
    const th = fnv1a64(sorted[t]?.key ?? '');
    for (let c = 0; c < n; c++) {
      const ch = cHashes[c] as U64;
      const s = fmix64((th.hi ^ ch.hi) >>> 0, (th.lo ^ ch.lo) >>> 0);
      sHi[t * n + c] = s.hi;
      sLo[t * n + c] = s.lo;
    }
  }
  // true when pair (t, a) ranks strictly before (u, b)
  const before = (t: number, a: number, u: number, b: number): boolean => {
    const x = t * n + a;
    const y = u * n + b;
    const xh = sHi[x] as number;
    const yh = sHi[y] as number;
    if (xh !== yh) return xh > yh;
    const xl = sLo[x] as number;
    const yl = sLo[y] as number;
    if (xl !== yl) return xl > yl;
    if (a !== b) return a < b;
    return t < u;
  };
  // Next candidate for target t strictly after collector `after` in t's rank order (-1: best).
  const next = (t: number, after: number): number => {
    let best = -1;
    for (let c = 0; c < n; c++) {
      if (after >= 0 && (c === after || !before(t, after, t, c))) continue;
      if (best < 0 || before(t, c, t, best)) best = c;
    }
    return best;
  };

  // Binary max-heap of (target, candidate collector).
  const heapT: number[] = [];
  const heapC: number[] = [];
  const swap = (i: number, j: number): void => {
    const t = heapT[i] as number;
    heapT[i] = heapT[j] as number;
    heapT[j] = t;
    const c = heapC[i] as number;
    heapC[i] = heapC[j] as number;
    heapC[j] = c;
  };
  const higher = (i: number, j: number): boolean =>
    before(heapT[i] as number, heapC[i] as number, heapT[j] as number, heapC[j] as number);
  const push = (t: number, c: number): void => {
    heapT.push(t);
    heapC.push(c);
    let i = heapT.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!higher(i, p)) break;
      swap(i, p);
      i = p;
    }
  };
  const pop = (): [number, number] => {
    const top: [number, number] = [heapT[0] as number, heapC[0] as number];
    const lt = heapT.pop() as number;
    const lc = heapC.pop() as number;
    if (heapT.length > 0) {
      heapT[0] = lt;
      heapC[0] = lc;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heapT.length && higher(l, m)) m = l;
        if (r < heapT.length && higher(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    return top;
  };

  const load = new Float64Array(n);
  const owner = new Int32Array(T).fill(-1);
  const firstChoice = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    const c = next(t, -1);
    firstChoice[t] = c;
    push(t, c);
  }
  const homeless: number[] = [];
  while (heapT.length > 0) {
    const [t, c] = pop();
    const w = weights[t] as number;
    if ((load[c] as number) + w <= cap) {
      owner[t] = c;
      load[c] = (load[c] as number) + w;
      continue;
    }
    const nc = next(t, c);
    if (nc >= 0) push(t, nc);
    else homeless.push(t);
  }
  // Heavy targets that fit nowhere: least-loaded collector, in (target key) order.
  homeless.sort((a, b) => a - b);
  for (const t of homeless) {
    let best = -1;
    for (let c = next(t, -1); c >= 0; c = next(t, c))
      if (best < 0 || (load[c] as number) < (load[best] as number)) best = c;
    owner[t] = best;
    load[best] = (load[best] as number) + (weights[t] as number);
  }
  for (let t = 0; t < T; t++) byCollector.get(ids[owner[t] as number] as string)?.push(sorted[t]?.key as string);
  return finish(byCollector, []);
}

// ---------------------------------------------------------------------------------------------
// consistent-hashing (upstream parity)
// ---------------------------------------------------------------------------------------------

/**
 * Upstream `consistent-hashing`: buraksezer/consistent with PartitionCount 1061, ReplicationFactor 5,
 * Load 1.1, Hasher xxhash.Sum64 (XXH64, seed 0). Ring of 5 virtual nodes per member keyed
 * "<i>:<name>" (v1.0.0) or "<name><i>" (v0.10.0); partition p is keyed by XXH64 of p as 8 little-endian
 * bytes and walks forward from the first ring point >= that key to the first member whose partition
 * load + 1 <= avgLoad, where avgLoad = ceil(1061/N * 1.1) (v1.0.0) or ceil(floor(1061/N) * 1.1) (v0.10.0).
 * A target goes to partitions[XXH64(key) % 1061]. Loads bound partitions, not targets.
 */
export const CONSISTENT_PARTITIONS = 1061;
export const CONSISTENT_REPLICATION = 5;
export const CONSISTENT_LOAD = 1.1;

function consistentHashing(targets: readonly Target[], collectors: readonly string[], opts: AssignOptions): Assignment {
  const byCollector = emptyResult(collectors);
  const members = [...byCollector.keys()];
  const keys = targets.map((t) => t.key);
  if (members.length === 0) return finish(byCollector, keys);
  const v1 = (opts.ringVersion ?? 'v1.0.0') === 'v1.0.0';
  const n = members.length;
  const ring = new Map<bigint, string>();
  for (const m of members) {
    for (let i = 0; i < CONSISTENT_REPLICATION; i++) ring.set(xxh64(v1 ? `${i}:${m}` : `${m}${i}`), m);
  }
  const sortedSet = [...ring.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const avgLoad = v1
    ? Math.ceil((CONSISTENT_PARTITIONS / n) * CONSISTENT_LOAD)
    : Math.ceil(Math.floor(CONSISTENT_PARTITIONS / n) * CONSISTENT_LOAD);
  const loads = new Map<string, number>();
  const partitions: string[] = [];
  const bs = new Uint8Array(8);
  const dv = new DataView(bs.buffer);
  for (let part = 0; part < CONSISTENT_PARTITIONS; part++) {
    dv.setBigUint64(0, BigInt(part), true);
    const key = xxh64(bs);
    let lo = 0;
    let hi = sortedSet.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sortedSet[mid] as bigint) >= key) hi = mid;
      else lo = mid + 1;
    }
    let idx = lo >= sortedSet.length ? 0 : lo;
    for (let count = 1; ; count++) {
      if (count >= sortedSet.length) throw new Error('consistent-hashing: not enough room to distribute partitions');
      const member = ring.get(sortedSet[idx] as bigint) as string;
      const load = loads.get(member) ?? 0;
      if (load + 1 <= avgLoad) {
        partitions.push(member);
        loads.set(member, load + 1);
        break;
      }
      idx = idx + 1 >= sortedSet.length ? 0 : idx + 1;
    }
  }
  for (const k of keys) {
    const m = partitions[Number(xxh64(k) % BigInt(CONSISTENT_PARTITIONS))] as string;
    byCollector.get(m)?.push(k);
  }
  return finish(byCollector, []);
}

// ---------------------------------------------------------------------------------------------
// least-weighted (upstream parity)
// ---------------------------------------------------------------------------------------------

/**
 * Upstream `least-weighted`: a target keeps its previous collector if that collector still exists;
 * otherwise (in input order, i.e. arrival order) it goes to the collector with the fewest targets,
 * ties broken by fewest targets of the same job, then by collector id. Never rebalances on
 * scale-out (upstream #2477); the result depends on history and arrival order.
 */
function leastWeighted(targets: readonly Target[], collectors: readonly string[], opts: AssignOptions): Assignment {
  const byCollector = emptyResult(collectors);
  if (byCollector.size === 0) return finish(byCollector, [...targets.map((t) => t.key)]);
  const prevOwner = new Map<string, string>();
  for (const [c, keys] of opts.previous ?? []) for (const k of keys) prevOwner.set(k, c);
  const perJob = new Map<string, Map<string, number>>(); // collector -> job -> count
  for (const c of byCollector.keys()) perJob.set(c, new Map());
  const place = (t: Target, c: string): void => {
    byCollector.get(c)?.push(t.key);
    const jobs = perJob.get(c) as Map<string, number>;
    const job = t.job ?? '';
    jobs.set(job, (jobs.get(job) ?? 0) + 1);
  };
  const fresh: Target[] = [];
  for (const t of targets) {
    const p = prevOwner.get(t.key);
    if (p !== undefined && byCollector.has(p)) place(t, p);
    else fresh.push(t);
  }
  for (const t of fresh) {
    const job = t.job ?? '';
    let best = '';
    let bestN = Number.POSITIVE_INFINITY;
    let bestJ = Number.POSITIVE_INFINITY;
    for (const [c, list] of byCollector) {
      const j = perJob.get(c)?.get(job) ?? 0;
      if (list.length < bestN || (list.length === bestN && j < bestJ)) {
        best = c;
        bestN = list.length;
        bestJ = j;
      }
    }
    place(t, best);
  }
  return finish(byCollector, []);
}

// ---------------------------------------------------------------------------------------------
// per-node
// ---------------------------------------------------------------------------------------------

/**
 * Upstream `per-node`: a target goes to the collector running on its node. Targets without a node,
 * or on a node without a collector, are unassigned (no fallback). If several collectors claim the
 * same node, the lexicographically smallest id wins (upstream: last one listed).
 */
function perNode(targets: readonly Target[], collectors: readonly string[], opts: AssignOptions): Assignment {
  const byCollector = emptyResult(collectors);
  const onNode = new Map<string, string>();
  for (const c of byCollector.keys()) {
    const node = opts.collectorNodes?.get(c);
    if (node !== undefined && node !== '' && !onNode.has(node)) onNode.set(node, c);
  }
  const unassigned: string[] = [];
  for (const t of targets) {
    const c = t.node === undefined ? undefined : onNode.get(t.node);
    if (c === undefined) unassigned.push(t.key);
    else byCollector.get(c)?.push(t.key);
  }
  return finish(byCollector, unassigned);
}

/**
 * Target assignment strategies for `switchyard allocator`.
 *
 * Every strategy is a pure function of its inputs. `weighted-rendezvous` and `consistent-hashing`
 * depend only on the SET of targets and collector ids (inputs are canonicalised first);
 * `least-weighted` is history/arrival-order dependent by design (upstream parity), and `per-node`
 * depends only on the node mapping.
 *
 * `weighted-rendezvous` (the default) is rendezvous hashing with a load cap, pinned by
 * {@link RENDEZVOUS_VERSION}: how it works, why it moves little and what the version covers is in
 * the header of `strategy-rendezvous.ts`. `consistent-hashing` reproduces upstream's
 * buraksezer/consistent ring exactly (1061 partitions, replication 5, load 1.1, XXH64).
 *
 * Two entry points: {@link assign} returns maps of keys per collector; {@link place} returns the
 * collector index of every input target in one typed array (no per-target objects), which is what
 * a caller that indexes its own targets should use at scale.
 */
import { xxh64Hi, xxh64Into, xxh64Lo } from './hash-xxh64.js';
import { rendezvousV1 } from './strategy-rendezvous.js';

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
  /**
   * weighted-rendezvous: load slack. Each collector holds at most ceil(x) weight units, where
   * x = max(total/N * (1+epsilon), total/N + 1) (total/N when epsilon is 0). Default 0.05.
   */
  readonly epsilon?: number;
  /** weighted-rendezvous: algorithm version. Versions: 1 (= {@link RENDEZVOUS_VERSION}). */
  readonly version?: number;
  /**
   * {@link assign} only: sort each collector's keys (default true). With false, each list keeps the
   * input order of its targets, which saves a string sort (~0.8 s at 800k targets).
   */
  readonly sortKeys?: boolean;
  /** consistent-hashing: which buraksezer/consistent ring to emulate. Default 'v1.0.0'. */
  readonly ringVersion?: 'v1.0.0' | 'v0.10.0';
  /** least-weighted: previous assignment (collector id -> target keys); kept where the collector still exists. */
  readonly previous?: ReadonlyMap<string, readonly string[]>;
  /** per-node: collector id -> node name. */
  readonly collectorNodes?: ReadonlyMap<string, string>;
}

export interface Assignment {
  /** Every collector id (sorted) -> its target keys (sorted unless `sortKeys: false`). Collectors with no targets map to []. */
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
export interface U64 {
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
  checkUnique(collectors, 'collector id');
  if (strategy === 'weighted-rendezvous') {
    const ids = [...collectors].sort(cmp);
    return fromOwners(ids, targets, rendezvousOwners(targets, ids, opts), opts.sortKeys !== false);
  }
  checkUnique(
    targets.map((t) => t.key),
    'target key',
  );
  switch (strategy) {
    case 'consistent-hashing':
      return consistentHashing(targets, collectors, opts);
    case 'least-weighted':
      return leastWeighted(targets, collectors, opts);
    case 'per-node':
      return perNode(targets, collectors, opts);
  }
}

/** Result of {@link place}. */
export interface Placement {
  /** The collector ids, sorted. */
  readonly collectors: readonly string[];
  /** Per input target: index into `collectors`, or -1 when unassigned. */
  readonly owner: Int32Array;
}

/**
 * Like {@link assign}, but returns the collector index of every input target instead of key lists.
 * For `weighted-rendezvous` this is the allocation itself with no per-target objects; the other
 * strategies go through {@link assign}.
 */
export function place(
  strategy: Strategy,
  targets: readonly Target[],
  collectors: readonly string[],
  opts: AssignOptions = {},
): Placement {
  checkUnique(collectors, 'collector id');
  const ids = [...collectors].sort(cmp);
  if (strategy === 'weighted-rendezvous') return { collectors: ids, owner: rendezvousOwners(targets, ids, opts) };
  const a = assign(strategy, targets, collectors, { ...opts, sortKeys: false });
  const index = new Map<string, number>();
  ids.forEach((id, i) => {
    for (const k of a.byCollector.get(id) ?? []) index.set(k, i);
  });
  const owner = new Int32Array(targets.length);
  targets.forEach((t, i) => {
    owner[i] = index.get(t.key) ?? -1;
  });
  return { collectors: ids, owner };
}

function fromOwners(ids: readonly string[], targets: readonly Target[], owner: Int32Array, sort: boolean): Assignment {
  const lists: string[][] = ids.map(() => []);
  const unassigned: string[] = [];
  for (let i = 0; i < targets.length; i++) {
    const c = owner[i] as number;
    const key = (targets[i] as Target).key;
    if (c < 0) unassigned.push(key);
    else (lists[c] as string[]).push(key);
  }
  const byCollector = new Map<string, string[]>();
  ids.forEach((id, i) => {
    const l = lists[i] as string[];
    if (sort) l.sort(); // default order: UTF-16 code units, the same as cmp, without a callback
    byCollector.set(id, l);
  });
  return { byCollector, unassigned: unassigned.sort(cmp) };
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

function finish(byCollector: Map<string, string[]>, unassigned: string[], sort = true): Assignment {
  if (sort) for (const list of byCollector.values()) list.sort(cmp);
  return { byCollector, unassigned: unassigned.sort(cmp) };
}

// ---------------------------------------------------------------------------------------------
// weighted-rendezvous (see strategy-rendezvous.ts for the algorithm)
// ---------------------------------------------------------------------------------------------

function rendezvousOwners(targets: readonly Target[], ids: readonly string[], opts: AssignOptions): Int32Array {
  const version = opts.version ?? RENDEZVOUS_VERSION;
  if (version !== 1)
    throw new RangeError(
      `weighted-rendezvous: unsupported version ${version} (supported: 1; current: ${RENDEZVOUS_VERSION})`,
    );
  const epsilon = opts.epsilon ?? DEFAULT_EPSILON;
  if (!(epsilon >= 0) || !Number.isFinite(epsilon))
    throw new RangeError(`weighted-rendezvous: epsilon must be a finite number >= 0, got ${String(epsilon)}`);
  return rendezvousV1(targets, ids, epsilon);
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
    xxh64Into(k); // = xxh64(k), on 32-bit halves
    const part = ((xxh64Hi() % CONSISTENT_PARTITIONS) * 0x100000000 + xxh64Lo()) % CONSISTENT_PARTITIONS;
    const m = partitions[part] as string;
    byCollector.get(m)?.push(k);
  }
  return finish(byCollector, [], opts.sortKeys !== false);
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

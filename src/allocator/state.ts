// The allocator's state: the targets of every job, the members and their liveness, the current
// assignment, the pending hand-overs, and the responses prepared for it. Discovery and membership
// feed it; the HTTP server reads it. Re-allocation is debounced; every allocation is one generation.
import { createHash } from 'node:crypto';
import { queryEscape } from '../prometheus/queryescape.js';
import type { Logger } from '../telemetry/logger.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { type Assignment, assign, type Strategy, type Target } from './assign.js';
import type { JobTargets, TargetItem } from './targets.js';

export interface Member {
  readonly id: string;
  readonly node?: string;
}

export interface Prepared {
  readonly body: Buffer;
  readonly etag: string;
}

export interface Move {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly job: string;
  readonly address: string;
  /** Undefined when the target was new or unassigned before. */
  readonly from: string | undefined;
  readonly to: string | undefined;
}

export interface CollectorView {
  readonly id: string;
  readonly node: string | undefined;
  readonly alive: boolean;
  /** Milliseconds since the epoch of its last poll; undefined when it never polled. */
  readonly lastSeen: number | undefined;
  readonly targets: number;
  readonly perJob: ReadonlyMap<string, number>;
  /** Targets moved away from it that it still scrapes until their new owner has fetched them. */
  readonly handingOver: number;
}

export interface StateOptions {
  readonly strategy: Strategy;
  readonly fallbackStrategy: 'weighted-rendezvous' | 'consistent-hashing' | undefined;
  /** A member that has not polled for this long is not given targets; 0: every member is alive. */
  readonly graceMs: number;
  readonly handoverTimeoutMs: number;
  readonly debounceMs: number;
  readonly recentMoves: number;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  /** Clock, for tests. */
  readonly now?: () => number;
}

interface Handover {
  item: TargetItem;
  /** Collectors that keep being served the item. */
  readonly from: Set<string>;
  to: string;
  since: number;
}

interface Snapshot {
  readonly generation: number;
  readonly owner: ReadonlyMap<string, string>;
  readonly byCollector: ReadonlyMap<string, ReadonlyMap<string, readonly TargetItem[]>>;
  readonly unassigned: number;
  readonly alive: readonly string[];
  readonly at: number;
}

const EMPTY: Snapshot = { generation: 0, owner: new Map(), byCollector: new Map(), unassigned: 0, alive: [], at: 0 };
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const EMPTY_LIST_BODY = '[]';

export function prepare(body: string | Buffer): Prepared {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  return { body: buf, etag: `"${createHash('sha1').update(buf).digest('base64url').slice(0, 22)}"` };
}

const EMPTY_LIST = prepare(EMPTY_LIST_BODY);

export class AllocatorState {
  readonly #o: StateOptions;
  readonly #now: () => number;
  readonly #jobs = new Map<string, JobTargets>();
  #jobOrder: readonly string[] = [];
  #members = new Map<string, Member>();
  readonly #lastSeen = new Map<string, number>();
  /** When a member became known (its grace to poll a first time starts there). */
  readonly #knownSince = new Map<string, number>();
  #snap: Snapshot = EMPTY;
  readonly #handovers = new Map<string, Handover>();
  #handoverByFrom = new Map<string, Map<string, TargetItem[]>>();
  /** Answers prepared for the current generation (and hand-overs). */
  #cache = new Map<string, CacheEntry>();
  /** The previous generation's answers: reused when what they were made of has not changed. */
  #previousCache = new Map<string, CacheEntry>();
  readonly #moves: Move[] = [];
  #timer: NodeJS.Timeout | undefined;
  #livenessTimer: NodeJS.Timeout | undefined;
  #discoveryIn = false;
  #membershipIn = false;
  #stopped = false;
  readonly #m;

  constructor(opts: StateOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    const m = opts.metrics;
    this.#m = {
      moved: m.counter(
        'switchyard_allocator_targets_moved_total',
        'Targets whose collector changed, over all allocations.',
      ),
      perCollector: m.gauge('switchyard_allocator_targets', 'Targets assigned to each collector, by collector_id.'),
      perJob: m.gauge('switchyard_allocator_discovered_targets', 'Targets after filtering, by job.'),
      filtered: m.gauge(
        'switchyard_allocator_filtered_targets',
        'Discovered targets left out of allocation, by job and reason (relabel, invalid, duplicate).',
      ),
      unassigned: m.gauge('switchyard_allocator_targets_unassigned', 'Targets no collector could take.'),
      allocations: m.counter('switchyard_allocator_allocations_total', 'Allocations run.'),
      allocSeconds: m.histogram(
        'switchyard_allocator_allocation_duration_seconds',
        'Time to assign every target and index the result.',
        [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ),
      collectors: m.gauge('switchyard_allocator_collectors', 'Configured collectors, by state (alive, missing).'),
      handovers: m.gauge(
        'switchyard_allocator_handovers_pending',
        'Moved targets still served to their previous collector until the new one fetches them.',
      ),
      handoverSeconds: m.histogram(
        'switchyard_allocator_handover_duration_seconds',
        'From a move to the new collector fetching it (or the hand-over timing out, outcome=timeout).',
        [0.1, 0.5, 1, 5, 10, 30, 60, 120],
      ),
      generation: m.gauge('switchyard_allocator_generation', 'Generation of the current allocation.'),
    };
  }

  // ------------------------------------------------------------------ inputs

  /** A job's filtered targets (from discovery). */
  setJob(job: string, targets: JobTargets): void {
    this.#jobs.set(job, targets);
    this.#m.perJob.set(targets.items.length, { job });
    this.#m.filtered.set(targets.dropped, { job, reason: 'relabel' });
    this.#m.filtered.set(targets.invalid, { job, reason: 'invalid' });
    this.#m.filtered.set(targets.duplicates, { job, reason: 'duplicate' });
    this.schedule();
  }

  /** The configured jobs, in config order (every one appears in /scrape_configs). */
  setJobOrder(jobs: readonly string[]): void {
    this.#jobOrder = jobs;
  }

  /** Every job reported its first discovery. */
  discoveryComplete(): void {
    this.#discoveryIn = true;
    this.schedule();
  }

  /** The member set (static list, pods, StatefulSet ordinals). */
  setMembers(members: readonly Member[]): void {
    const now = this.#now();
    const next = new Map(members.map((m) => [m.id, m]));
    for (const id of next.keys()) if (!this.#knownSince.has(id)) this.#knownSince.set(id, now);
    for (const id of [...this.#knownSince.keys()]) {
      if (!next.has(id)) {
        this.#knownSince.delete(id);
        this.#lastSeen.delete(id);
      }
    }
    this.#members = next;
    this.#membershipIn = true;
    this.schedule();
  }

  /**
   * A collector polled. `job` undefined: it fetched every job at once. Completes the hand-overs to it
   * for what it fetched; a known member coming back is re-admitted at once (its first answer is not empty).
   */
  seen(collectorId: string, job: string | undefined): void {
    if (!this.#members.has(collectorId)) return;
    const now = this.#now();
    const wasAlive = this.isAlive(collectorId, now);
    this.#lastSeen.set(collectorId, now);
    if (!wasAlive || (this.#snap.generation > 0 && !this.#snap.alive.includes(collectorId))) {
      this.#o.logger.info({ collector_id: collectorId }, 'collector is polling again; re-allocating');
      this.allocateNow();
    }
    this.#completeHandovers(collectorId, job, now);
  }

  // ------------------------------------------------------------------ liveness

  isAlive(id: string, now = this.#now()): boolean {
    if (!this.#members.has(id)) return false;
    if (this.#o.graceMs <= 0) return true;
    const last = this.#lastSeen.get(id) ?? this.#knownSince.get(id) ?? now;
    return now - last <= this.#o.graceMs;
  }

  /** Starts the liveness and hand-over timeout checks. */
  start(): void {
    const every = Math.max(50, Math.min(1000, Math.floor((this.#o.graceMs || this.#o.handoverTimeoutMs) / 4)));
    this.#livenessTimer = setInterval(() => this.#tick(), every);
    this.#livenessTimer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#livenessTimer !== undefined) clearInterval(this.#livenessTimer);
  }

  #tick(): void {
    const now = this.#now();
    if (this.#snap.generation > 0) {
      const alive = this.#aliveIds(now);
      if (alive.join('\u0000') !== this.#snap.alive.join('\u0000')) {
        const lost = this.#snap.alive.filter((id) => !alive.includes(id));
        if (lost.length > 0) {
          this.#o.logger.warn(
            { collectors: lost, grace_ms: this.#o.graceMs },
            'collectors stopped polling; re-homing their targets',
          );
        }
        this.allocateNow();
        return;
      }
    }
    let expired = false;
    for (const [id, h] of this.#handovers) {
      if (now - h.since > this.#o.handoverTimeoutMs) {
        this.#handovers.delete(id);
        this.#m.handoverSeconds.record((now - h.since) / 1000, { outcome: 'timeout' });
        expired = true;
      }
    }
    if (expired) this.#reindexHandovers();
  }

  #aliveIds(now: number): string[] {
    return [...this.#members.keys()].filter((id) => this.isAlive(id, now)).sort(cmp);
  }

  // ------------------------------------------------------------------ allocation

  get ready(): boolean {
    return this.#discoveryIn && this.#membershipIn && this.#snap.generation > 0;
  }

  get generation(): number {
    return this.#snap.generation;
  }

  /** Re-allocates after `debounceMs` of quiet. */
  schedule(): void {
    if (this.#stopped || !this.#discoveryIn || !this.#membershipIn) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.allocateNow();
    }, this.#o.debounceMs);
    this.#timer.unref();
  }

  allocateNow(): void {
    if (this.#stopped || !this.#discoveryIn || !this.#membershipIn) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const started = performance.now();
    const now = this.#now();
    const alive = this.#aliveIds(now);
    const items: TargetItem[] = [];
    for (const job of this.#jobs.values()) for (const it of job.items) items.push(it);
    let owner: Map<string, string>;
    let unassigned = 0;
    try {
      ({ owner, unassigned } = this.#assign(items, alive));
    } catch (err) {
      this.#o.logger.error({ err }, 'allocation failed; keeping the previous one');
      return;
    }
    const prev = this.#snap;
    const aliveSet = new Set(alive);
    // Pending hand-overs follow the new assignment (or end: the target is gone, or back home).
    if (this.#handovers.size > 0) {
      const liveItems = new Map(items.map((it) => [it.id, it]));
      for (const [id, h] of this.#handovers) {
        const next = owner.get(id);
        const item = liveItems.get(id);
        if (next === undefined || item === undefined) {
          this.#handovers.delete(id);
          continue;
        }
        h.item = item;
        h.from.delete(next);
        // A member past its grace period does not poll: nothing to tell it. A former member (scaled
        // in, still shutting down) may poll: it keeps the target until the new owner has fetched it.
        for (const f of [...h.from]) if (this.#members.has(f) && !aliveSet.has(f)) h.from.delete(f);
        if (h.from.size === 0) this.#handovers.delete(id);
        else if (h.to !== next) {
          h.to = next;
          h.since = now;
        }
      }
    }
    // One pass: index by collector and job, count moves, start hand-overs.
    const byCollector = new Map<string, Map<string, TargetItem[]>>();
    for (const id of alive) byCollector.set(id, new Map());
    let moved = 0;
    for (const it of items) {
      const after = owner.get(it.id);
      if (after !== undefined) {
        const jobs = byCollector.get(after) as Map<string, TargetItem[]>;
        const list = jobs.get(it.job);
        if (list === undefined) jobs.set(it.job, [it]);
        else list.push(it);
      }
      const before = prev.owner.get(it.id);
      if (before === after || before === undefined) continue;
      moved++;
      this.#recordMove({ at: now, job: it.job, address: it.address, from: before, to: after });
      // Handed over from its previous owner unless that is a silent member (past its grace period).
      // A former member is included: removed from the member set, it may still be polling.
      if (after === undefined || (this.#members.has(before) && !aliveSet.has(before))) continue;
      const h = this.#handovers.get(it.id);
      if (h === undefined) this.#handovers.set(it.id, { item: it, from: new Set([before]), to: after, since: now });
      else {
        h.from.add(before);
        h.from.delete(after);
        h.to = after;
        h.since = now;
      }
    }
    this.#snap = { generation: prev.generation + 1, owner, byCollector, unassigned, alive, at: now };
    this.#previousCache = this.#cache;
    this.#cache = new Map();
    this.#reindexHandovers();
    // Metrics.
    this.#m.moved.add(moved);
    this.#m.unassigned.set(unassigned);
    this.#m.allocations.add(1);
    this.#m.generation.set(this.#snap.generation);
    for (const id of prev.alive) if (!byCollector.has(id)) this.#m.perCollector.remove({ collector_id: id });
    for (const [id, jobs] of byCollector) {
      let n = 0;
      for (const l of jobs.values()) n += l.length;
      this.#m.perCollector.set(n, { collector_id: id });
    }
    this.#m.collectors.set(alive.length, { state: 'alive' });
    this.#m.collectors.set(this.#members.size - alive.length, { state: 'missing' });
    const seconds = (performance.now() - started) / 1000;
    this.#m.allocSeconds.record(seconds);
    if (moved > 0 || prev.generation === 0 || unassigned > 0) {
      this.#o.logger.info(
        {
          generation: this.#snap.generation,
          targets: items.length,
          collectors: alive.length,
          moved,
          unassigned,
          handovers: this.#handovers.size,
          ms: Math.round(seconds * 1000),
        },
        'allocated targets',
      );
    }
  }

  #assign(items: readonly TargetItem[], alive: readonly string[]): { owner: Map<string, string>; unassigned: number } {
    const owner = new Map<string, string>();
    const strategy = this.#o.strategy;
    switch (strategy) {
      case 'consistent-hashing': {
        // Upstream keys by the pre-relabel address: every job scraping an address lands on one collector.
        const byAddress = new Map<string, TargetItem[]>();
        for (const it of items) {
          const l = byAddress.get(it.address);
          if (l === undefined) byAddress.set(it.address, [it]);
          else l.push(it);
        }
        const a = assign(
          'consistent-hashing',
          [...byAddress.keys()].map((key) => ({ key })),
          alive,
        );
        let unassigned = 0;
        for (const [c, keys] of a.byCollector)
          for (const k of keys) for (const it of byAddress.get(k) ?? []) owner.set(it.id, c);
        for (const k of a.unassigned) unassigned += byAddress.get(k)?.length ?? 0;
        return { owner, unassigned };
      }
      case 'weighted-rendezvous':
        return this.#fromAssignment(
          assign(
            'weighted-rendezvous',
            items.map((it) => ({ key: it.id })),
            alive,
          ),
          owner,
        );
      case 'least-weighted': {
        const previous = new Map<string, string[]>();
        for (const [id, c] of this.#snap.owner) {
          const l = previous.get(c);
          if (l === undefined) previous.set(c, [id]);
          else l.push(id);
        }
        const targets: Target[] = items.map((it) => ({ key: it.id, job: it.job }));
        return this.#fromAssignment(assign('least-weighted', targets, alive, { previous }), owner);
      }
      case 'per-node': {
        const collectorNodes = new Map<string, string>();
        for (const id of alive) {
          const node = this.#members.get(id)?.node;
          if (node !== undefined) collectorNodes.set(id, node);
        }
        const targets: Target[] = items.map((it) =>
          it.node === undefined ? { key: it.id } : { key: it.id, node: it.node },
        );
        const a = assign('per-node', targets, alive, { collectorNodes });
        const fb = this.#o.fallbackStrategy;
        if (fb === undefined || a.unassigned.length === 0) return this.#fromAssignment(a, owner);
        const byId = new Map(items.map((it) => [it.id, it]));
        // The fallback only takes targets without a node (upstream's rule).
        const nodeless = a.unassigned.filter((k) => byId.get(k)?.node === undefined);
        const rest = a.unassigned.length - nodeless.length;
        const b = assign(
          fb,
          nodeless.map((key) => ({ key })),
          alive,
        );
        this.#fromAssignment(a, owner);
        const r = this.#fromAssignment(b, owner);
        return { owner, unassigned: rest + r.unassigned };
      }
    }
  }

  #fromAssignment(a: Assignment, owner: Map<string, string>): { owner: Map<string, string>; unassigned: number } {
    for (const [c, keys] of a.byCollector) for (const k of keys) owner.set(k, c);
    return { owner, unassigned: a.unassigned.length };
  }

  #recordMove(m: Move): void {
    if (this.#o.recentMoves <= 0) return;
    this.#moves.push(m);
    if (this.#moves.length > this.#o.recentMoves * 2) this.#moves.splice(0, this.#moves.length - this.#o.recentMoves);
  }

  #completeHandovers(to: string, job: string | undefined, now: number): void {
    const done: string[] = [];
    for (const [id, h] of this.#handovers) {
      if (h.to === to && (job === undefined || h.item.job === job)) done.push(id);
    }
    if (done.length === 0) return;
    const touched = new Set<string>();
    for (const id of done) {
      const h = this.#handovers.get(id) as Handover;
      this.#handovers.delete(id);
      this.#m.handoverSeconds.record((now - h.since) / 1000, { outcome: 'fetched' });
      for (const f of h.from) touched.add(f);
    }
    this.#reindexHandovers();
  }

  #reindexHandovers(): void {
    const idx = new Map<string, Map<string, TargetItem[]>>();
    for (const h of this.#handovers.values()) {
      for (const f of h.from) {
        let jobs = idx.get(f);
        if (jobs === undefined) {
          jobs = new Map();
          idx.set(f, jobs);
        }
        const l = jobs.get(h.item.job);
        if (l === undefined) jobs.set(h.item.job, [h.item]);
        else l.push(h.item);
      }
    }
    // Only the answers of collectors whose hand-over lists changed need preparing again, and the
    // per-job answers that list every collector.
    let changed = false;
    for (const c of new Set([...idx.keys(), ...this.#handoverByFrom.keys()])) {
      if (sameLists(idx.get(c), this.#handoverByFrom.get(c))) continue;
      changed = true;
      for (const key of [...this.#cache.keys()]) if (key.startsWith(`c\u0000${c}\u0000`)) this.#cache.delete(key);
    }
    if (changed) for (const key of [...this.#cache.keys()]) if (key.startsWith('job\u0000')) this.#cache.delete(key);
    this.#handoverByFrom = idx;
    this.#m.handovers.set(this.#handovers.size);
  }

  // ------------------------------------------------------------------ reads

  /** What `collectorId` is to scrape for `job`: its own targets plus those it hands over. */
  served(collectorId: string, job: string): readonly TargetItem[] {
    const own = this.#snap.byCollector.get(collectorId)?.get(job) ?? [];
    const extra = this.#handoverByFrom.get(collectorId)?.get(job);
    return extra === undefined ? own : [...own, ...extra];
  }

  /** Jobs that have targets now (upstream's /jobs is built from targets). */
  jobsWithTargets(): string[] {
    return this.#jobOrder.filter((j) => (this.#jobs.get(j)?.items.length ?? 0) > 0);
  }

  jobNames(): readonly string[] {
    return this.#jobOrder;
  }

  collectorIds(): string[] {
    return [...this.#members.keys()].sort(cmp);
  }

  isMember(id: string): boolean {
    return this.#members.has(id);
  }

  /** A member, or a former one still served (the current allocation, or targets it hands over). */
  isServed(id: string): boolean {
    return this.#members.has(id) || this.#snap.byCollector.has(id) || this.#handoverByFrom.has(id);
  }

  /**
   * A prepared answer, computed once per generation (and hand-over change) per key. With `deps` (what the
   * answer is made of: strings and lists of targets, compared by identity), the previous generation's answer
   * is reused when they are the same, so an allocation that moved nothing for a collector prepares nothing.
   */
  cached(key: string, build: () => string | Buffer, deps?: readonly Dep[]): Prepared {
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit.prepared;
    let entry: CacheEntry | undefined;
    if (deps !== undefined) {
      const old = this.#previousCache.get(key);
      if (old?.deps !== undefined && sameDeps(old.deps, deps)) entry = old;
      else this.#previousCache.delete(key);
    }
    if (entry === undefined) entry = { prepared: prepare(build()), deps };
    this.#cache.set(key, entry);
    return entry.prepared;
  }

  /** http_sd JSON of one collector's targets of one job. */
  jobTargetsFor(collectorId: string, job: string): Prepared {
    // Unknown ids and jobs get the same empty answer, never a cache entry of their own. A former
    // member still handing targets over is answered with them.
    // Until the next allocation, a member just removed is answered from the current one.
    if (!this.#jobs.has(job)) return EMPTY_LIST;
    if (!this.isServed(collectorId)) return EMPTY_LIST;
    const key = `c\u0000${collectorId}\u0000j\u0000${job}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit.prepared;
    const list = this.served(collectorId, job);
    return this.cached(key, () => jsonList(list), [list]);
  }

  /** `{collector: {_link, targets}}` of one job, every member (upstream's no-collector_id answer). */
  jobTargetsAll(job: string): Prepared {
    const key = `job\u0000${job}`;
    const hit = this.#jobs.has(job) ? this.#cache.get(key) : undefined;
    if (hit !== undefined) return hit.prepared;
    const deps: Dep[] = [];
    for (const id of this.collectorIds()) deps.push(id, this.served(id, job));
    const build = (): Buffer => {
      const parts: Buffer[] = [];
      for (let i = 0; i < deps.length; i += 2) {
        const id = deps[i] as string;
        const link = JSON.stringify(`/jobs/${queryEscape(job)}/targets?collector_id=${queryEscape(id)}`);
        parts.push(Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(id)}:{"_link":${link},"targets":`));
        listParts(deps[i + 1] as readonly TargetItem[], parts);
        parts.push(CLOSE_OBJECT);
      }
      parts.push(parts.length === 0 ? EMPTY_OBJECT : CLOSE_OBJECT);
      return Buffer.concat(parts);
    };
    // An unknown job is answered (every member, no targets) but not remembered.
    return this.#jobs.has(job) ? this.cached(key, build, deps) : prepare(build());
  }

  /** `{job: [groups]}` of one collector, every job with targets for it. */
  collectorTargets(collectorId: string): Prepared {
    const key = `c\u0000${collectorId}\u0000all`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) return hit.prepared;
    const deps: Dep[] = [];
    for (const job of this.#jobOrder) {
      const list = this.served(collectorId, job);
      if (list.length > 0) deps.push(job, list);
    }
    return this.cached(
      key,
      () => {
        const parts: Buffer[] = [];
        for (let i = 0; i < deps.length; i += 2) {
          parts.push(Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(deps[i])}:`));
          listParts(deps[i + 1] as readonly TargetItem[], parts);
        }
        parts.push(parts.length === 0 ? EMPTY_OBJECT : CLOSE_OBJECT);
        return Buffer.concat(parts);
      },
      deps,
    );
  }

  collectors(now = this.#now()): CollectorView[] {
    return this.collectorIds().map((id) => {
      const jobs = this.#snap.byCollector.get(id);
      const perJob = new Map<string, number>();
      let n = 0;
      for (const [j, l] of jobs ?? []) {
        perJob.set(j, l.length);
        n += l.length;
      }
      let handingOver = 0;
      for (const l of this.#handoverByFrom.get(id)?.values() ?? []) handingOver += l.length;
      return {
        id,
        node: this.#members.get(id)?.node,
        alive: this.isAlive(id, now),
        lastSeen: this.#lastSeen.get(id),
        targets: n,
        perJob,
        handingOver,
      };
    });
  }

  /** Owner of every target of the current generation (tests, pages). */
  owners(): ReadonlyMap<string, string> {
    return this.#snap.owner;
  }

  summary(): { generation: number; targets: number; unassigned: number; handovers: number; at: number } {
    return {
      generation: this.#snap.generation,
      targets: this.#snap.owner.size + this.#snap.unassigned,
      unassigned: this.#snap.unassigned,
      handovers: this.#handovers.size,
      at: this.#snap.at,
    };
  }

  recentMoves(limit = this.#o.recentMoves): readonly Move[] {
    return this.#moves.slice(-limit).reverse();
  }
}

/** What a prepared answer is made of: names, and lists of targets (compared by identity). */
type Dep = string | readonly TargetItem[];

interface CacheEntry {
  readonly prepared: Prepared;
  readonly deps: readonly Dep[] | undefined;
}

function sameDeps(a: readonly Dep[], b: readonly Dep[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'string' || typeof y === 'string' || x === undefined || y === undefined) return false;
    if (x.length !== y.length) return false;
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}

const OPEN_LIST = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_LIST = Buffer.from(']');
const EMPTY_LIST_BYTES = Buffer.from('[]');
const CLOSE_OBJECT = Buffer.from('}');
const EMPTY_OBJECT = Buffer.from('{}');

/** Appends `[group,group,...]` (the targets' prepared http_sd groups) to `parts`. */
function listParts(list: readonly TargetItem[], parts: Buffer[]): void {
  if (list.length === 0) {
    parts.push(EMPTY_LIST_BYTES);
    return;
  }
  parts.push(OPEN_LIST);
  for (let i = 0; i < list.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push((list[i] as TargetItem).body);
  }
  parts.push(CLOSE_LIST);
}

/** `[group,group,...]` as one buffer. */
function jsonList(list: readonly TargetItem[]): Buffer {
  const parts: Buffer[] = [];
  listParts(list, parts);
  return Buffer.concat(parts);
}

function sameLists(
  a: ReadonlyMap<string, readonly TargetItem[]> | undefined,
  b: ReadonlyMap<string, readonly TargetItem[]> | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.size !== b.size) return false;
  for (const [k, l] of a) {
    const m = b.get(k);
    if (m === undefined || m.length !== l.length) return false;
    for (let i = 0; i < l.length; i++) if (l[i] !== m[i]) return false;
  }
  return true;
}

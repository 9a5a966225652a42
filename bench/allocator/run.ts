// Benchmark of the target allocator's assignment: our `weighted-rendezvous` (v1) side by side with
// upstream-style `consistent-hashing` (buraksezer/consistent v1.0.0: 1061 partitions, replication 5,
// load 1.1, XXH64; our exact re-implementation in src/allocator/assign.ts), in the same run.
//
//   node dist/bench/allocator/run.js [--sizes 1000,10000,100000,800000] [--collectors 10,100] [--json]
//   node dist/bench/allocator/run.js --e2e [--sizes 100000,800000] [--collectors 100] [--json]
//
// `--e2e` runs the end-to-end benchmark instead (bench/allocator/e2e.ts): discovered groups -> relabel
// filter -> target identity -> assignment -> prepared answers, time per stage, peak RSS, memory per target.
//
// Fixed, seeded workload: target keys `10.a.b.c:port` (unique address per target, port from a seeded
// PRNG), collectors `otel-collector-<ordinal>` (a StatefulSet). For every size x collector count:
// - allocation time (wall: median and p99; CPU: median) over repeats, in a fresh child process per
//   strategy (ours through `place()`, which returns one owner index per target; upstream through
//   `assign()`, which builds the per-collector key lists as upstream's allocator does);
// - memory per target in that child: bytes allocated by one allocation (heap growth + what GCs freed
//   during it + typed-array stores; upstream's Go benchmarks report ~3.2 KB per target per reload in
//   the same sense), and the RSS the allocation added at its peak over the RSS after building the
//   targets (an upper bound);
// - balance (max/mean targets per collector);
// - fraction of targets moved on scale-out (N -> N+1), scale-in (N -> N-1, the highest ordinal
//   goes, as a StatefulSet scales in) and after a rolling restart (every pod leaves and comes back
//   under the same id, so the end state is compared), with the minimum any scheme must move
//   (1/(N+1) on scale-out, the removed collector's share on scale-in, 0 on restart).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GCProfiler } from 'node:v8';
import {
  type Assignment,
  assign,
  type Placement,
  place,
  type Strategy,
  type Target,
} from '../../src/allocator/assign.js';
import { e2eChild, e2eMain } from './e2e.js';

const OURS: Strategy = 'weighted-rendezvous';
const UPSTREAM: Strategy = 'consistent-hashing';

function targetsOf(n: number, seed = 42): Target[] {
  let s = seed >>> 0;
  const out: Target[] = new Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) | 0; // mulberry32
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    const port = 8000 + (((x ^ (x >>> 14)) >>> 0) % 2000);
    out[i] = { key: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}:${port}` };
  }
  return out;
}
const idsOf = (n: number): string[] => Array.from({ length: n }, (_, i) => `otel-collector-${i}`);

/**
 * The allocation being timed: ours returns one owner index per target; the upstream ring builds
 * per-collector key lists, as upstream's allocator keeps per-collector target maps.
 */
function allocate(strategy: Strategy, t: readonly Target[], ids: readonly string[]): Placement | Assignment {
  return strategy === OURS ? place(strategy, t, ids) : assign(strategy, t, ids, { sortKeys: false });
}

/** Owner index per target, for the movement and balance figures (not timed). */
const run = (strategy: Strategy, t: readonly Target[], ids: readonly string[]): Placement => place(strategy, t, ids);

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? 0;
};

interface ChildResult {
  readonly ms: number[];
  readonly cpuMs: number[];
  readonly allocatedBytes: number;
  readonly peakRssAddedBytes: number;
  readonly maxRssBytes: number;
}

/** One strategy x size x collectors, in its own process (so memory figures are its own). */
function child(strategy: Strategy, size: number, n: number, repeats: number): ChildResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('child needs --expose-gc');
  const t = targetsOf(size);
  const ids = idsOf(n);
  allocate(strategy, targetsOf(1000, 7), ids); // compile the code paths before measuring memory
  gc();
  const rssBase = process.memoryUsage().rss;
  const before = process.memoryUsage();
  // Bytes allocated by one run: heap growth plus what every GC during the run freed, plus typed
  // array backing stores still held at the end (outside the V8 heap).
  const profiler = new GCProfiler();
  profiler.start();
  let kept: Placement | Assignment | undefined = allocate(strategy, t, ids);
  const after = process.memoryUsage();
  const gcs = profiler.stop()?.statistics ?? [];
  let freed = 0;
  for (const g of gcs) freed += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
  const allocatedBytes =
    after.heapUsed - before.heapUsed + freed + Math.max(0, after.arrayBuffers - before.arrayBuffers);
  const peakRssAddedBytes = Math.max(0, process.resourceUsage().maxRSS * 1024 - rssBase);
  // Timed repeats after the first (measured) run: steady state, JIT warm.
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    kept = undefined;
    const u0 = process.cpuUsage();
    const t1 = performance.now();
    kept = allocate(strategy, t, ids);
    ms.push(performance.now() - t1);
    const u = process.cpuUsage(u0);
    cpuMs.push((u.user + u.system) / 1000);
  }
  if (kept === undefined) throw new Error('no allocation');
  return { ms, cpuMs, allocatedBytes, peakRssAddedBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

function moved(a: Placement, b: Placement): number {
  let m = 0;
  for (let i = 0; i < a.owner.length; i++)
    if (a.collectors[a.owner[i] as number] !== b.collectors[b.owner[i] as number]) m++;
  return m;
}
function balance(p: Placement): number {
  const loads = new Array<number>(p.collectors.length).fill(0);
  for (const o of p.owner) loads[o] = (loads[o] ?? 0) + 1;
  return Math.max(...loads) / (p.owner.length / p.collectors.length);
}

interface Moves {
  readonly outFrac: number;
  readonly outIdeal: number;
  readonly inFrac: number;
  readonly inIdeal: number;
  readonly restartFrac: number;
  readonly balance: number;
}
function moves(strategy: Strategy, size: number, n: number): Moves {
  const t = targetsOf(size);
  const ids = idsOf(n);
  const base = run(strategy, t, ids);
  const out = run(strategy, t, idsOf(n + 1));
  const inn = run(strategy, t, idsOf(n - 1));
  const gone = base.collectors.indexOf(`otel-collector-${n - 1}`);
  const removedShare = base.owner.filter((o) => o === gone).length;
  // Rolling restart: each pod leaves and comes back under its id; the allocator sees the same set
  // again (in another order) once the pod is back.
  const restarted = run(strategy, t, [...ids].reverse());
  return {
    outFrac: moved(base, out) / size,
    outIdeal: 1 / (n + 1),
    inFrac: moved(base, inn) / size,
    inIdeal: removedShare / size,
    restartFrac: moved(base, restarted) / size,
    balance: balance(base),
  };
}

const REPEATS: Record<number, number> = { 1000: 51, 10000: 31, 100000: 11, 800000: 5 };
const repeatsFor = (strategy: Strategy, size: number): number => {
  const r = REPEATS[size] ?? 5;
  // The upstream ring re-implementation hashes with BigInt XXH64 (~1.6 us per key): fewer repeats.
  return strategy === UPSTREAM && size >= 100_000 ? Math.max(3, Math.floor(r / 3)) : r;
};

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string' },
    collectors: { type: 'string' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
    e2e: { type: 'boolean', default: false },
    'e2e-child': { type: 'string' },
  },
});

if (args['e2e-child'] !== undefined) {
  const [size, n] = args['e2e-child'].split(':').map(Number);
  process.stdout.write(JSON.stringify(e2eChild(size as number, n as number)));
} else if (args.e2e) {
  const sizes = (args.sizes ?? '100000,800000').split(',').map(Number);
  const counts = (args.collectors ?? '100').split(',').map(Number);
  for (const x of [...sizes, ...counts])
    if (!Number.isInteger(x) || x < 2) throw new Error(`--sizes and --collectors take integers >= 2, got ${x}`);
  e2eMain(fileURLToPath(import.meta.url), sizes, counts, args.json);
} else if (args.child !== undefined) {
  const [strategy, size, n, repeats] = args.child.split(':');
  const r = child(strategy as Strategy, Number(size), Number(n), Number(repeats));
  process.stdout.write(JSON.stringify(r));
} else {
  const sizes = (args.sizes ?? '1000,10000,100000,800000').split(',').map(Number);
  const counts = (args.collectors ?? '10,100').split(',').map(Number);
  for (const x of [...sizes, ...counts])
    if (!Number.isInteger(x) || x < 2) throw new Error(`--sizes and --collectors take integers >= 2, got ${x}`);
  const self = fileURLToPath(import.meta.url);
  const measure = (strategy: Strategy, size: number, n: number): ChildResult =>
    JSON.parse(
      execFileSync(
        process.execPath,
        ['--expose-gc', self, '--child', `${strategy}:${size}:${n}:${repeatsFor(strategy, size)}`],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      ),
    ) as ChildResult;
  const rows: Record<string, unknown>[] = [];
  const f1 = (x: number): string => x.toFixed(x < 10 ? 2 : 1);
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  if (!args.json)
    console.log(
      [
        'targets',
        'N',
        'strategy',
        'alloc ms p50',
        'p99',
        'CPU ms p50',
        'allocated B/target',
        'peak RSS added B/target',
        'max/mean',
        'scale-out moved (x min)',
        'scale-in moved (x min)',
        'rolling restart moved',
      ].join(' | '),
    );
  for (const size of sizes)
    for (const n of counts) {
      const res: Record<string, { c: ChildResult; m: Moves }> = {};
      for (const s of [OURS, UPSTREAM]) res[s] = { c: measure(s, size, n), m: moves(s, size, n) };
      for (const s of [OURS, UPSTREAM]) {
        const { c, m } = res[s] as { c: ChildResult; m: Moves };
        const row = {
          targets: size,
          collectors: n,
          strategy: s,
          p50Ms: quantile(c.ms, 0.5),
          p99Ms: quantile(c.ms, 0.99),
          cpuP50Ms: quantile(c.cpuMs, 0.5),
          repeats: c.ms.length,
          allocatedBytesPerTarget: c.allocatedBytes / size,
          peakRssAddedBytesPerTarget: c.peakRssAddedBytes / size,
          maxRssMiB: c.maxRssBytes / 2 ** 20,
          maxOverMean: m.balance,
          scaleOutMoved: m.outFrac,
          scaleOutXMin: m.outFrac / m.outIdeal,
          scaleInMoved: m.inFrac,
          scaleInXMin: m.inFrac / m.inIdeal,
          restartMoved: m.restartFrac,
        };
        rows.push(row);
        if (!args.json)
          console.log(
            [
              size,
              n,
              s,
              f1(row.p50Ms),
              f1(row.p99Ms),
              f1(row.cpuP50Ms),
              Math.round(row.allocatedBytesPerTarget),
              Math.round(row.peakRssAddedBytesPerTarget),
              row.maxOverMean.toFixed(3),
              `${pct(row.scaleOutMoved)} (${row.scaleOutXMin.toFixed(2)})`,
              `${pct(row.scaleInMoved)} (${row.scaleInXMin.toFixed(2)})`,
              pct(row.restartMoved),
            ].join(' | '),
          );
      }
      const o = res[OURS] as { c: ChildResult; m: Moves };
      const u = res[UPSTREAM] as { c: ChildResult; m: Moves };
      const ratio = {
        targets: size,
        collectors: n,
        upstreamOverOursTime: quantile(u.c.ms, 0.5) / quantile(o.c.ms, 0.5),
        upstreamOverOursCpu: quantile(u.c.cpuMs, 0.5) / quantile(o.c.cpuMs, 0.5),
        upstreamOverOursPeakRss: u.c.peakRssAddedBytes / Math.max(1, o.c.peakRssAddedBytes),
        upstreamOverOursScaleOut: u.m.outFrac / o.m.outFrac,
        upstreamOverOursScaleIn: u.m.inFrac / o.m.inFrac,
      };
      rows.push(ratio);
      if (!args.json)
        console.log(
          `${size} | ${n} | upstream/ours | ${ratio.upstreamOverOursTime.toFixed(1)}x time | | ${ratio.upstreamOverOursCpu.toFixed(1)}x CPU | | ${ratio.upstreamOverOursPeakRss.toFixed(1)}x peak RSS | | ${ratio.upstreamOverOursScaleOut.toFixed(2)}x moved | ${ratio.upstreamOverOursScaleIn.toFixed(2)}x moved |`,
        );
    }
  if (args.json) console.log(JSON.stringify(rows));
  else
    console.log(
      `peak RSS of the largest child: ${Math.max(...rows.map((r) => Number(r.maxRssMiB ?? 0))).toFixed(0)} MiB`,
    );
}

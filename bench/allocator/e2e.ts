// End-to-end scale benchmark of the allocator (`run.ts --e2e`): discovered groups -> relabel filter ->
// target identity -> assignment -> every collector's prepared http_sd answer, timed per stage in a
// fresh child process per size, with the child's peak RSS and the memory the allocator keeps per target.
//
// Workload, fixed: groups of 100 targets (one Kubernetes Endpoints object each), every target with 40
// labels of its own (`__address__`, pod name, node name, app, 36 pod labels) plus 2 group labels; one
// job whose relabel rules keep `app=~"api|web"` (9 in 10 targets), copy the namespace, the app and the
// pod name, and labelmap 10 pod labels, wrapped by the allocator's sharding-neutralising rules.
import { execFileSync } from 'node:child_process';
import { AllocatorState } from '../../src/allocator/state.js';
import { filterConfig, type JobTargets, jobItems } from '../../src/allocator/targets.js';
import type { TargetGroup } from '../../src/prometheus/sd/types.js';
import { parseScrapeTargetConfig } from '../../src/prometheus/targets.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';

const JOB = 'kubernetes-pods';

function groupsOf(n: number): TargetGroup[] {
  const groups: TargetGroup[] = [];
  for (let g = 0; g * 100 < n; g++) {
    const targets: Record<string, string>[] = [];
    for (let i = g * 100; i < Math.min(n, (g + 1) * 100); i++) {
      const t: Record<string, string> = {
        __address__: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}:8080`,
        __meta_kubernetes_pod_name: `pod-${i}`,
        __meta_kubernetes_pod_node_name: `node-${i % 500}`,
        __meta_kubernetes_pod_label_app: i % 10 === 0 ? 'batch' : i % 2 === 0 ? 'api' : 'web',
      };
      for (let k = 0; k < 36; k++) t[`__meta_kubernetes_pod_label_l${k}`] = `value-${k}-${i % 97}`;
      targets.push(t);
    }
    groups.push({
      source: `endpoints/default/svc-${g}`,
      targets,
      labels: { __meta_kubernetes_namespace: 'default', __meta_kubernetes_endpoints_name: `svc-${g}` },
    });
  }
  return groups;
}

/** A fresh copy, as a discoverer reports the same targets again in new objects. */
const copyGroups = (groups: readonly TargetGroup[]): TargetGroup[] =>
  groups.map((g) => ({ source: g.source, labels: { ...g.labels }, targets: g.targets.map((t) => ({ ...t })) }));

export interface E2eResult {
  readonly targets: number;
  readonly collectors: number;
  readonly kept: number;
  /** Milliseconds per stage. */
  readonly ms: Record<string, number>;
  readonly answerBytes: number;
  readonly answersRebuiltOnScaleOut: number;
  /** Heap + external bytes the allocator keeps per target after a GC (items, verdicts, assignment). */
  readonly retainedBytesPerTarget: number;
  /** The same with every collector's answer prepared. */
  readonly retainedWithAnswersBytesPerTarget: number;
  readonly peakRssMiB: number;
  readonly groupsRssMiB: number;
}

export function e2eChild(size: number, collectors: number): E2eResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('child needs --expose-gc');
  const { config } = parseScrapeTargetConfig(
    {
      job_name: JOB,
      relabel_configs: [
        { source_labels: ['__meta_kubernetes_pod_label_app'], regex: 'api|web', action: 'keep' },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        { source_labels: ['__meta_kubernetes_pod_label_app'], target_label: 'app' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        { regex: '__meta_kubernetes_pod_label_(l1.)', action: 'labelmap' },
      ],
    },
    { scrapeIntervalMs: 30_000, scrapeTimeoutMs: 10_000 },
  );
  if (config === undefined) throw new Error('bad config');
  const filter = filterConfig(config);
  const ids = Array.from({ length: collectors }, (_, i) => `otel-collector-${i}`);
  // Warm the code paths on a small set (JIT), in a throw-away state.
  jobItems(JOB, groupsOf(2000), filter);

  let groups: TargetGroup[] | undefined = groupsOf(size);
  let again: TargetGroup[] | undefined = copyGroups(groups);
  gc();
  const mem = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const base = mem();
  const groupsRssMiB = process.memoryUsage().rss / 2 ** 20;
  const ms: Record<string, number> = {};
  const time = <T>(stage: string, f: () => T): T => {
    const t0 = performance.now();
    const r = f();
    ms[stage] = performance.now() - t0;
    return r;
  };
  const state = new AllocatorState({
    strategy: 'weighted-rendezvous',
    fallbackStrategy: undefined,
    graceMs: 0,
    handoverTimeoutMs: 60_000,
    debounceMs: 60_000,
    recentMoves: 100,
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
  });
  state.setJobOrder([JOB]);
  state.setMembers(ids.map((id) => ({ id })));
  state.discoveryComplete();
  const answers = (): number => {
    let bytes = 0;
    for (const id of state.collectorIds()) bytes += state.jobTargetsFor(id, JOB).body.length;
    return bytes;
  };

  const first = time('filter+identify', () => jobItems(JOB, groups as TargetGroup[], filter));
  time('assign', () => {
    state.setJob(JOB, first);
    state.allocateNow();
  });
  gc();
  const retained = mem() - base;
  const answerBytes = time('answers', answers);
  gc();
  const retainedWithAnswers = mem() - base;
  // The same targets again (a discovery refresh that changed nothing): verdicts and answers are reused.
  let previous: JobTargets['verdicts'] = first.verdicts;
  const second = time('filter+identify (unchanged)', () => jobItems(JOB, again as TargetGroup[], filter, previous));
  previous = second.verdicts;
  time('assign (unchanged)', () => {
    state.setJob(JOB, second);
    state.allocateNow();
  });
  time('answers (unchanged)', answers);
  // Scale-out by one collector: only the answers of collectors whose share changed are prepared again.
  const before = new Map(ids.map((id) => [id, state.jobTargetsFor(id, JOB)]));
  time('assign (scale-out)', () => {
    state.setMembers([...ids, `otel-collector-${collectors}`].map((id) => ({ id })));
    state.allocateNow();
  });
  time('answers (scale-out)', answers);
  let rebuilt = 0;
  for (const [id, p] of before) if (state.jobTargetsFor(id, JOB) !== p) rebuilt++;
  state.stop();
  groups = undefined;
  again = undefined;
  return {
    targets: size,
    collectors,
    kept: first.items.length,
    ms,
    answerBytes,
    answersRebuiltOnScaleOut: rebuilt,
    retainedBytesPerTarget: retained / size,
    retainedWithAnswersBytesPerTarget: retainedWithAnswers / size,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    groupsRssMiB,
  };
}

export function e2eMain(self: string, sizes: readonly number[], counts: readonly number[], json: boolean): void {
  const rows: E2eResult[] = [];
  for (const size of sizes)
    for (const n of counts) {
      const out = execFileSync(
        process.execPath,
        ['--expose-gc', '--max-old-space-size=16384', self, '--e2e-child', `${size}:${n}`],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      const r = JSON.parse(out) as E2eResult;
      rows.push(r);
      if (json) continue;
      console.log(`\n${r.targets} targets (${r.kept} kept by relabeling), ${r.collectors} collectors:`);
      for (const [stage, v] of Object.entries(r.ms))
        console.log(
          `  ${stage.padEnd(30)} ${v.toFixed(1).padStart(9)} ms  ${((1000 * v) / r.targets).toFixed(2)} us/target`,
        );
      console.log(
        `  answers: ${(r.answerBytes / 2 ** 20).toFixed(0)} MiB of JSON; after scale-out ${r.answersRebuiltOnScaleOut} of ${r.collectors} prepared again`,
      );
      console.log(
        `  retained per target: ${Math.round(r.retainedBytesPerTarget)} B (allocator state), ${Math.round(r.retainedWithAnswersBytesPerTarget)} B (with every answer prepared)`,
      );
      console.log(
        `  peak RSS ${r.peakRssMiB.toFixed(0)} MiB (of which ${r.groupsRssMiB.toFixed(0)} MiB with the discovered groups built)`,
      );
    }
  if (json) console.log(JSON.stringify(rows));
}

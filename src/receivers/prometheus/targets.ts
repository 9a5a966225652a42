// Scrape targets of a job: Prometheus's target computation (src/prometheus/targets.ts, checked
// against a running Prometheus) shaped for the scrape loops, and each loop's start offset.
import { hash32 } from '../../metrics/attrs.js';
import type { TargetGroup } from '../../prometheus/sd/types.js';
import { type ActiveTarget, computeTargets, type ScrapeTargetConfig } from '../../prometheus/targets.js';
import type { ResolvedScrapeConfig } from './config.js';

export interface Target {
  /** Labels after relabeling, `__*` removed, sorted by name; includes `job` and `instance`. */
  readonly labels: readonly (readonly [string, string])[];
  readonly job: string;
  readonly instance: string;
  readonly scheme: 'http' | 'https';
  readonly url: URL;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Identity of the target within its job (labels + URL). */
  readonly key: string;
  readonly hash: number;
}

export type TargetDrop = { readonly kind: 'relabel' } | { readonly kind: 'invalid'; readonly message: string };

export type PopulateResult =
  | { readonly ok: true; readonly target: Target }
  | { readonly ok: false; readonly drop: TargetDrop };

function targetConfig(sc: ResolvedScrapeConfig): ScrapeTargetConfig {
  return {
    jobName: sc.jobName,
    scheme: sc.scheme,
    metricsPath: sc.metricsPath,
    params: sc.params,
    scrapeIntervalMs: sc.intervalMs,
    scrapeTimeoutMs: sc.timeoutMs,
    relabelConfigs: sc.relabel,
  };
}

function toTarget(a: ActiveTarget): Target {
  const labels = Object.entries(a.labels).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const key = JSON.stringify(a.internalLabels);
  return {
    labels,
    job: a.labels['job'] ?? '',
    instance: a.labels['instance'] ?? '',
    scheme: a.internalLabels['__scheme__'] === 'https' ? 'https' : 'http',
    url: new URL(a.scrapeUrl),
    intervalMs: a.scrapeIntervalMs,
    timeoutMs: a.scrapeTimeoutMs,
    key,
    hash: hash32(key),
  };
}

/** Builds one target from a discovered label set, as Prometheus's PopulateLabels does. */
export function populateTarget(
  sc: ResolvedScrapeConfig,
  groupLabels: Readonly<Record<string, string>>,
  targetLabels: Readonly<Record<string, string>>,
): PopulateResult {
  const r = computeTargets([{ source: '', targets: [targetLabels], labels: groupLabels }], targetConfig(sc));
  const active = r.active[0];
  if (active !== undefined) return { ok: true, target: toTarget(active) };
  const failure = r.failures[0];
  if (failure !== undefined) return { ok: false, drop: { kind: 'invalid', message: failure.message } };
  return { ok: false, drop: { kind: 'relabel' } };
}

export interface TargetsResult {
  readonly targets: readonly Target[];
  readonly droppedByRelabel: number;
  readonly invalid: readonly string[];
}

/** All targets of a job's groups (Prometheus's target computation, shared with the target allocator). */
export function targetsFromGroups(sc: ResolvedScrapeConfig, groups: readonly TargetGroup[]): TargetsResult {
  const r = computeTargets(groups, targetConfig(sc));
  return {
    targets: r.active.map(toTarget),
    droppedByRelabel: r.dropped.length,
    invalid: r.failures.map((f) => f.message),
  };
}

/** Target groups of a job's `static_configs`, in the discovery contract's shape. */
export function staticGroups(sc: ResolvedScrapeConfig): TargetGroup[] {
  return sc.staticGroups.map((g, i) => ({
    source: String(i),
    targets: g.targets.map((t) => ({ __address__: t })),
    labels: g.labels,
  }));
}

/**
 * Delay before a target's first scrape, as Prometheus spreads its targets: every target scrapes at the same phase
 * of the interval, `hash mod interval`, measured from the Unix epoch, so that restarts keep the spacing.
 */
export function initialDelayMs(hash: number, intervalMs: number, nowMs: number): number {
  const offset = hash % intervalMs;
  let next = intervalMs - (nowMs % intervalMs) + offset;
  if (next >= intervalMs) next -= intervalMs;
  return next;
}

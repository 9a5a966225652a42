/**
 * From discovered target groups to scrape targets, as Prometheus computes them (scrape/target.go
 * TargetsFromGroup + PopulateLabels, version 2.42):
 *
 * 1. A target's labels are the group's labels overridden by the target's own.
 * 2. `job`, `__scrape_interval__`, `__scrape_timeout__`, `__metrics_path__` and `__scheme__` are set from the scrape
 *    config where not already set; each `params` key sets `__param_<key>` to its first value.
 *    The result is the target's *discovered labels*.
 * 3. `relabel_configs` run. A dropped target is reported among the dropped targets with its discovered labels.
 * 4. A target without `__address__` afterwards is a failure (Prometheus logs it and shows it nowhere). An address
 *    without a port gets `:80` (http) or `:443` (https); an address with `/` is refused; the interval and timeout
 *    labels must parse, be non-zero, and timeout <= interval.
 * 5. `__meta_*` labels are removed, `instance` defaults to `__address__`. The API's `labels` are the remaining
 *    labels without those starting with `__`. Active targets with the same final labels are one target.
 */
import { compileRelabelConfigs, type RelabelConfig, relabel } from './relabel.js';
import { formatDuration, isRecord, parseDuration, Reader, type SdProblem } from './sd/common.js';
import type { TargetGroup } from './sd/types.js';

export interface ScrapeTargetConfig {
  readonly jobName: string;
  readonly scheme: 'http' | 'https';
  readonly metricsPath: string;
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  readonly relabelConfigs: readonly RelabelConfig[];
}

export interface GlobalScrapeDefaults {
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
}

/** Prometheus's global defaults: `scrape_interval: 1m`, `scrape_timeout: 10s`. */
export const DEFAULT_GLOBAL: GlobalScrapeDefaults = { scrapeIntervalMs: 60_000, scrapeTimeoutMs: 10_000 };

/**
 * Reads the target-shaping fields of one scrape config (`job_name`, `scheme`, `metrics_path`, `params`,
 * `scrape_interval`, `scrape_timeout`, `relabel_configs`), applying Prometheus's defaulting. Other keys are left to
 * the caller (the receiver owns the full scrape config schema).
 */
export function parseScrapeTargetConfig(
  raw: unknown,
  global: GlobalScrapeDefaults = DEFAULT_GLOBAL,
): { config: ScrapeTargetConfig | undefined; problems: SdProblem[] } {
  const problems: SdProblem[] = [];
  if (!isRecord(raw))
    return { config: undefined, problems: [{ path: '', message: 'scrape config must be a mapping' }] };
  const r = new Reader('', problems);
  const jobName = r.string(raw, 'job_name');
  if (jobName === undefined || jobName === '') r.problem('job_name', 'job_name is empty');
  const scheme = r.string(raw, 'scheme') ?? 'http';
  if (scheme !== 'http' && scheme !== 'https')
    r.problem('scheme', `unknown scheme ${JSON.stringify(scheme)}; allowed: http, https`);
  const metricsPath = r.string(raw, 'metrics_path') ?? '/metrics';
  const params: Record<string, string[]> = {};
  const rawParams = raw['params'];
  if (rawParams !== undefined && rawParams !== null) {
    if (!isRecord(rawParams)) r.problem('params', 'must be a mapping of parameter names to lists of values');
    else {
      const pr = new Reader(r.at('params'), problems);
      for (const key of Object.keys(rawParams)) {
        const list = pr.stringList(rawParams, key);
        if (list !== undefined) params[key] = list;
      }
    }
  }
  let interval = r.duration(raw, 'scrape_interval') ?? 0;
  if (interval === 0) interval = global.scrapeIntervalMs;
  let timeout = r.duration(raw, 'scrape_timeout') ?? 0;
  if (timeout > interval) {
    r.problem(
      'scrape_timeout',
      `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(jobName ?? '')}`,
    );
  }
  if (timeout === 0) timeout = Math.min(global.scrapeTimeoutMs, interval);
  let relabelConfigs: RelabelConfig[] = [];
  const rawRelabel = raw['relabel_configs'];
  if (rawRelabel !== undefined && rawRelabel !== null) {
    if (!Array.isArray(rawRelabel)) r.problem('relabel_configs', 'must be a list of relabel configs');
    else {
      const compiled = compileRelabelConfigs(rawRelabel);
      relabelConfigs = compiled.configs;
      for (const p of compiled.problems) problems.push({ path: `relabel_configs[${p.index}]`, message: p.message });
    }
  }
  if (problems.length > 0) return { config: undefined, problems };
  return {
    config: {
      jobName: jobName ?? '',
      scheme: scheme === 'https' ? 'https' : 'http',
      metricsPath,
      params,
      scrapeIntervalMs: interval,
      scrapeTimeoutMs: timeout,
      relabelConfigs,
    },
    problems,
  };
}

export interface ActiveTarget {
  /** Labels before relabeling (what `/api/v1/targets` calls `discoveredLabels`). */
  readonly discoveredLabels: Readonly<Record<string, string>>;
  /** Final labels without those starting with `__` (the API's `labels`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Final labels including `__address__`, `__scheme__`, `__param_*`, ... (without `__meta_*`). */
  readonly internalLabels: Readonly<Record<string, string>>;
  readonly scrapeUrl: string;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
  /** The group this target came from. */
  readonly source: string;
}

export interface DroppedTarget {
  readonly discoveredLabels: Readonly<Record<string, string>>;
  readonly source: string;
}

export interface TargetFailure {
  readonly discoveredLabels: Readonly<Record<string, string>>;
  readonly source: string;
  readonly message: string;
}

export interface TargetsResult {
  readonly active: readonly ActiveTarget[];
  readonly dropped: readonly DroppedTarget[];
  /** Targets Prometheus refuses (no address, bad interval, ...); it only logs them. */
  readonly failures: readonly TargetFailure[];
}

const byName = (a: readonly [string, string], b: readonly [string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

/** A record of pairs already in name order. */
function record(pairs: Iterable<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) out[k] = v;
  return out;
}

/** Like Go's net.SplitHostPort: 'port' when a port is present, 'none' when adding one makes it valid, else 'bad'. */
function portState(addr: string): 'port' | 'none' | 'bad' {
  const split = (s: string): boolean => {
    if (s.startsWith('[')) {
      const end = s.indexOf(']');
      if (end < 0) return false;
      const rest = s.slice(end + 1);
      return rest.startsWith(':') && !rest.slice(1).includes(':') && !s.slice(1, end).includes('[');
    }
    const colons = s.split(':').length - 1;
    return colons === 1 && !s.includes('[') && !s.includes(']');
  };
  if (split(addr)) return 'port';
  return split(`${addr}:1234`) ? 'none' : 'bad';
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function scrapeUrl(labels: ReadonlyMap<string, string>, params: Readonly<Record<string, readonly string[]>>): string {
  const values = new Map<string, string[]>();
  for (const [k, v] of Object.entries(params)) values.set(k, [...v]);
  for (const [name, value] of labels) {
    if (!name.startsWith('__param_')) continue;
    const key = name.slice('__param_'.length);
    const cur = values.get(key);
    if (cur !== undefined && cur.length > 0) cur[0] = value;
    else values.set(key, [value]);
  }
  const query = [...values.keys()]
    .sort()
    .flatMap((k) => (values.get(k) ?? []).map((v) => `${queryEscape(k)}=${queryEscape(v)}`))
    .join('&');
  const path = labels.get('__metrics_path__') ?? '';
  return `${labels.get('__scheme__') ?? ''}://${labels.get('__address__') ?? ''}${path}${query === '' ? '' : `?${query}`}`;
}

type Populated =
  | {
      readonly kind: 'active';
      readonly discovered: Map<string, string>;
      readonly final: Map<string, string>;
      readonly intervalMs: number;
      readonly timeoutMs: number;
    }
  | { readonly kind: 'dropped'; readonly discovered: Map<string, string> }
  | { readonly kind: 'failed'; readonly discovered: Map<string, string>; readonly message: string };

/** The labels a job sets on each of its targets unless the target has them (defaults), and its
 * `__param_*` labels: the same for every target of a config, so built once per config. */
const jobLabels = new WeakMap<
  ScrapeTargetConfig,
  { readonly defaults: readonly [string, string][]; readonly params: readonly [string, string][] }
>();

function jobLabelsOf(cfg: ScrapeTargetConfig) {
  let j = jobLabels.get(cfg);
  if (j === undefined) {
    const params: [string, string][] = [];
    for (const [k, v] of Object.entries(cfg.params)) {
      const first = v[0];
      if (first !== undefined) params.push([`__param_${k}`, first]);
    }
    j = {
      defaults: [
        ['job', cfg.jobName],
        ['__scrape_interval__', formatDuration(cfg.scrapeIntervalMs)],
        ['__scrape_timeout__', formatDuration(cfg.scrapeTimeoutMs)],
        ['__metrics_path__', cfg.metricsPath],
        ['__scheme__', cfg.scheme],
      ],
      params,
    };
    jobLabels.set(cfg, j);
  }
  return j;
}

/** PopulateLabels for one target's merged labels. */
export function populateLabels(base: ReadonlyMap<string, string>, cfg: ScrapeTargetConfig): Populated {
  const lb = new Map(base);
  const job = jobLabelsOf(cfg);
  for (const [name, value] of job.defaults) {
    if ((base.get(name) ?? '') === '') lb.set(name, value);
  }
  for (const [k, v] of job.params) lb.set(k, v);
  const entries: [string, string][] = [];
  for (const e of lb) if (e[1] !== '') entries.push(e);
  const discovered = new Map(entries.sort(byName));
  const relabeled = relabel(discovered, cfg.relabelConfigs);
  if (relabeled === undefined) return { kind: 'dropped', discovered };
  const fail = (message: string): Populated => ({ kind: 'failed', discovered, message });
  let addr = relabeled.get('__address__') ?? '';
  if (addr === '') return fail('no address');
  const out = new Map(relabeled);
  if (portState(addr) === 'none') {
    const scheme = relabeled.get('__scheme__') ?? '';
    if (scheme === 'http' || scheme === '') addr = `${addr}:80`;
    else if (scheme === 'https') addr = `${addr}:443`;
    else return fail(`invalid scheme: ${JSON.stringify(cfg.scheme)}`);
    out.set('__address__', addr);
  }
  if (addr.includes('/')) return fail(`${JSON.stringify(addr)} is not a valid hostname`);
  const intervalMs = parseDuration(relabeled.get('__scrape_interval__') ?? '');
  if (intervalMs === undefined) return fail('error parsing scrape interval');
  if (intervalMs === 0) return fail('scrape interval cannot be 0');
  const timeoutMs = parseDuration(relabeled.get('__scrape_timeout__') ?? '');
  if (timeoutMs === undefined) return fail('error parsing scrape timeout');
  if (timeoutMs === 0) return fail('scrape timeout cannot be 0');
  if (timeoutMs > intervalMs) {
    return fail(
      `scrape timeout cannot be greater than scrape interval (${JSON.stringify(relabeled.get('__scrape_timeout__'))} > ${JSON.stringify(relabeled.get('__scrape_interval__'))})`,
    );
  }
  for (const name of relabeled.keys()) if (name.startsWith('__meta_')) out.delete(name);
  if ((relabeled.get('instance') ?? '') === '') out.set('instance', addr);
  return { kind: 'active', discovered, final: out, intervalMs, timeoutMs };
}

/** The targets of one job from its current groups, in group order. */
export function computeTargets(groups: readonly TargetGroup[], cfg: ScrapeTargetConfig): TargetsResult {
  const active: ActiveTarget[] = [];
  const dropped: DroppedTarget[] = [];
  const failures: TargetFailure[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    for (const target of group.targets) {
      const merged = new Map(Object.entries(target));
      for (const [k, v] of Object.entries(group.labels)) if (!merged.has(k)) merged.set(k, v);
      const p = populateLabels(merged, cfg);
      // populateLabels builds the discovered set in name order.
      const discoveredLabels = record(p.discovered);
      switch (p.kind) {
        case 'dropped':
          dropped.push({ discoveredLabels, source: group.source });
          break;
        case 'failed':
          failures.push({ discoveredLabels, source: group.source, message: p.message });
          break;
        case 'active': {
          const finalSorted = [...p.final].sort(byName);
          const internalLabels = record(finalSorted);
          const key = JSON.stringify(internalLabels);
          if (seen.has(key)) break;
          seen.add(key);
          active.push({
            discoveredLabels,
            labels: record(finalSorted.filter(([k]) => !k.startsWith('__'))),
            internalLabels,
            scrapeUrl: scrapeUrl(p.final, cfg.params),
            scrapeIntervalMs: p.intervalMs,
            scrapeTimeoutMs: p.timeoutMs,
            source: group.source,
          });
          break;
        }
        default: {
          const never: never = p;
          throw new Error(`unhandled ${String(never)}`);
        }
      }
    }
  }
  return { active, dropped, failures };
}

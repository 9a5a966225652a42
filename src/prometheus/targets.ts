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
import { queryEscape } from './queryescape.js';
import { compileRelabelConfigs, type RelabelConfig, relabelSorted, type SortedLabels } from './relabel.js';
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

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A record of labels already in name order. */
function record(names: readonly string[], values: readonly string[], skipInternal = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) {
    const k = names[i] as string;
    if (skipInternal && k.startsWith('__')) continue;
    out[k] = values[i] as string;
  }
  return out;
}

/** The value of `name` in sorted labels, or ''. */
export function lookupSorted(labels: SortedLabels, name: string): string {
  const names = labels.names;
  let lo = 0;
  let hi = names.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const n = names[mid] as string;
    if (n === name) return labels.values[mid] as string;
    if (n < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return '';
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

function scrapeUrl(labels: SortedLabels, params: Readonly<Record<string, readonly string[]>>): string {
  const values = new Map<string, string[]>();
  for (const [k, v] of Object.entries(params)) values.set(k, [...v]);
  const { names } = labels;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (!name.startsWith('__param_')) continue;
    const key = name.slice('__param_'.length);
    const value = labels.values[i] as string;
    const cur = values.get(key);
    if (cur !== undefined && cur.length > 0) cur[0] = value;
    else values.set(key, [value]);
  }
  let query = '';
  if (values.size > 0) {
    query = [...values.keys()]
      .sort()
      .flatMap((k) => (values.get(k) ?? []).map((v) => `${queryEscape(k)}=${queryEscape(v)}`))
      .join('&');
  }
  const path = lookupSorted(labels, '__metrics_path__');
  return `${lookupSorted(labels, '__scheme__')}://${lookupSorted(labels, '__address__')}${path}${query === '' ? '' : `?${query}`}`;
}

/** What PopulateLabels made of one target, labels as sorted parallel arrays. */
export type PopulatedSorted =
  | {
      readonly kind: 'active';
      readonly discovered: SortedLabels;
      /** Final labels (no `__meta_*`), sorted by name, `instance` included. */
      readonly final: SortedLabels;
      /** `instance` was not set by relabeling and defaulted to the address (Prometheus appends it last). */
      readonly instanceAdded: boolean;
      readonly intervalMs: number;
      readonly timeoutMs: number;
    }
  | { readonly kind: 'dropped'; readonly discovered: SortedLabels }
  | { readonly kind: 'failed'; readonly discovered: SortedLabels; readonly message: string };

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

interface JobLabel {
  readonly name: string;
  readonly value: string;
  /** `__param_*`: set whatever the target has; the others only where the target has none. */
  readonly force: boolean;
}

/** The labels a job sets on each of its targets unless the target has them (defaults), and its
 * `__param_*` labels, sorted by name: the same for every target of a config, so built once per config. */
const jobLabels = new WeakMap<ScrapeTargetConfig, readonly JobLabel[]>();

function jobLabelsOf(cfg: ScrapeTargetConfig): readonly JobLabel[] {
  let j = jobLabels.get(cfg);
  if (j === undefined) {
    const byName = new Map<string, JobLabel>();
    for (const [name, value] of [
      ['job', cfg.jobName],
      ['__scrape_interval__', formatDuration(cfg.scrapeIntervalMs)],
      ['__scrape_timeout__', formatDuration(cfg.scrapeTimeoutMs)],
      ['__metrics_path__', cfg.metricsPath],
      ['__scheme__', cfg.scheme],
    ] as const)
      byName.set(name, { name, value, force: false });
    for (const [k, v] of Object.entries(cfg.params)) {
      const first = v[0];
      if (first !== undefined) byName.set(`__param_${k}`, { name: `__param_${k}`, value: first, force: true });
    }
    j = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    jobLabels.set(cfg, j);
  }
  return j;
}

/**
 * PopulateLabels for one target's merged labels, given sorted by name as parallel arrays (empty values allowed:
 * they read as unset). The input arrays are not modified.
 */
export function populateSorted(
  baseNames: readonly string[],
  baseValues: readonly string[],
  cfg: ScrapeTargetConfig,
): PopulatedSorted {
  const job = jobLabelsOf(cfg);
  const dn: string[] = [];
  const dv: string[] = [];
  let i = 0;
  let j = 0;
  while (i < baseNames.length || j < job.length) {
    const b = baseNames[i];
    const d = job[j];
    let name: string;
    let value: string;
    if (d === undefined || (b !== undefined && b < d.name)) {
      name = b as string;
      value = baseValues[i++] as string;
    } else if (b === undefined || d.name < b) {
      name = d.name;
      value = d.value;
      j++;
    } else {
      const bv = baseValues[i++] as string;
      name = b;
      value = d.force || bv === '' ? d.value : bv;
      j++;
    }
    if (value === '') continue;
    dn.push(name);
    dv.push(value);
  }
  const discovered: SortedLabels = { names: dn, values: dv };
  const relabeled = relabelSorted(discovered, cfg.relabelConfigs);
  if (relabeled === undefined) return { kind: 'dropped', discovered };
  const fail = (message: string): PopulatedSorted => ({ kind: 'failed', discovered, message });
  let addr = lookupSorted(relabeled, '__address__');
  if (addr === '') return fail('no address');
  if (portState(addr) === 'none') {
    const scheme = lookupSorted(relabeled, '__scheme__');
    if (scheme === 'http' || scheme === '') addr = `${addr}:80`;
    else if (scheme === 'https') addr = `${addr}:443`;
    else return fail(`invalid scheme: ${JSON.stringify(cfg.scheme)}`);
  }
  if (addr.includes('/')) return fail(`${JSON.stringify(addr)} is not a valid hostname`);
  const intervalLabel = lookupSorted(relabeled, '__scrape_interval__');
  const intervalMs = parseDuration(intervalLabel);
  if (intervalMs === undefined) return fail('error parsing scrape interval');
  if (intervalMs === 0) return fail('scrape interval cannot be 0');
  const timeoutLabel = lookupSorted(relabeled, '__scrape_timeout__');
  const timeoutMs = parseDuration(timeoutLabel);
  if (timeoutMs === undefined) return fail('error parsing scrape timeout');
  if (timeoutMs === 0) return fail('scrape timeout cannot be 0');
  if (timeoutMs > intervalMs) {
    return fail(
      `scrape timeout cannot be greater than scrape interval (${JSON.stringify(timeoutLabel)} > ${JSON.stringify(intervalLabel)})`,
    );
  }
  // Final labels: without `__meta_*`, the address with its port, `instance` defaulting to the address.
  const rn = relabeled.names;
  const rv = relabeled.values;
  const fn: string[] = [];
  const fv: string[] = [];
  const instanceAdded = lookupSorted(relabeled, 'instance') === '';
  let pending = instanceAdded;
  for (let k = 0; k < rn.length; k++) {
    const name = rn[k] as string;
    if (pending && name > 'instance') {
      fn.push('instance');
      fv.push(addr);
      pending = false;
    }
    if (name.startsWith('__meta_')) continue;
    fn.push(name);
    fv.push(name === '__address__' ? addr : (rv[k] as string));
  }
  if (pending) {
    fn.push('instance');
    fv.push(addr);
  }
  return { kind: 'active', discovered, final: { names: fn, values: fv }, instanceAdded, intervalMs, timeoutMs };
}

/** PopulateLabels for one target's merged labels (Maps; `final` lists a defaulted `instance` last). */
export function populateLabels(base: ReadonlyMap<string, string>, cfg: ScrapeTargetConfig): Populated {
  const names = [...base.keys()].sort(byName);
  const p = populateSorted(
    names,
    names.map((n) => base.get(n) as string),
    cfg,
  );
  const toMap = (l: SortedLabels): Map<string, string> => new Map(l.names.map((n, i) => [n, l.values[i] as string]));
  switch (p.kind) {
    case 'dropped':
      return { kind: 'dropped', discovered: toMap(p.discovered) };
    case 'failed':
      return { kind: 'failed', discovered: toMap(p.discovered), message: p.message };
    case 'active': {
      const final = toMap(p.final);
      if (p.instanceAdded) {
        const v = final.get('instance') as string;
        final.delete('instance');
        final.set('instance', v);
      }
      return {
        kind: 'active',
        discovered: toMap(p.discovered),
        final,
        intervalMs: p.intervalMs,
        timeoutMs: p.timeoutMs,
      };
    }
  }
}

/** A key that tells label sets apart (length-prefixed, so no value can fake a separator). */
function identityKey(l: SortedLabels): string {
  let key = '';
  for (let i = 0; i < l.names.length; i++) {
    const n = l.names[i] as string;
    const v = l.values[i] as string;
    key += `${n.length}:${n}${v.length}:${v}`;
  }
  return key;
}

/**
 * A group's labels overridden by a target's own, both given with their names in order: the merged
 * values in name order. The merged names are pushed onto `names` when it is given; a caller that
 * merged the same two name lists before may keep those names and pass undefined.
 */
export function mergeSorted(
  groupNames: readonly string[],
  group: Readonly<Record<string, string>>,
  targetNames: readonly string[],
  target: Readonly<Record<string, string>>,
  names: string[] | undefined,
): string[] {
  const values: string[] = [];
  let i = 0;
  let j = 0;
  while (i < groupNames.length || j < targetNames.length) {
    const g = groupNames[i];
    const t = targetNames[j];
    if (t === undefined || (g !== undefined && g < t)) {
      names?.push(g as string);
      values.push(group[g as string] as string);
      i++;
    } else {
      names?.push(t);
      values.push(target[t] as string);
      j++;
      if (g === t) i++;
    }
  }
  return values;
}

/** The group's labels (names pre-sorted) overridden by the target's own, as sorted parallel arrays. */
function mergeGroup(
  groupNames: readonly string[],
  group: Readonly<Record<string, string>>,
  target: Readonly<Record<string, string>>,
): { names: string[]; values: string[] } {
  const names: string[] = [];
  const values = mergeSorted(groupNames, group, Object.keys(target).sort(byName), target, names);
  return { names, values };
}

/** The targets of one job from its current groups, in group order. */
export function computeTargets(groups: readonly TargetGroup[], cfg: ScrapeTargetConfig): TargetsResult {
  const active: ActiveTarget[] = [];
  const dropped: DroppedTarget[] = [];
  const failures: TargetFailure[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    const groupNames = Object.keys(group.labels).sort(byName);
    for (const target of group.targets) {
      const merged = mergeGroup(groupNames, group.labels, target);
      const p = populateSorted(merged.names, merged.values, cfg);
      const discoveredLabels = record(p.discovered.names, p.discovered.values);
      switch (p.kind) {
        case 'dropped':
          dropped.push({ discoveredLabels, source: group.source });
          break;
        case 'failed':
          failures.push({ discoveredLabels, source: group.source, message: p.message });
          break;
        case 'active': {
          const key = identityKey(p.final);
          if (seen.has(key)) break;
          seen.add(key);
          active.push({
            discoveredLabels,
            labels: record(p.final.names, p.final.values, true),
            internalLabels: record(p.final.names, p.final.values),
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

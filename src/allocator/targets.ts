// From one job's discovered groups to the items the allocator assigns: labels merged (the target's
// own win over the group's), relabel-filtered the way the upstream allocator does (sharding rules
// neutralised, scrape labels seeded transiently), identified by job plus post-relabel labels without
// `__meta_*`, and serialised once as an http_sd group.
import { compileRelabelConfigs, type RelabelConfig } from '../prometheus/relabel.js';
import type { TargetGroup } from '../prometheus/sd/types.js';
import { populateLabels, type ScrapeTargetConfig } from '../prometheus/targets.js';

export interface TargetItem {
  readonly job: string;
  /** Unique over every job: the job, then the post-relabel labels without `__meta_*`. */
  readonly id: string;
  /** The pre-relabel `__address__` (upstream's TargetURL, its consistent-hashing key). */
  readonly address: string;
  /** The node the target runs on (per-node), from the Kubernetes meta labels. */
  readonly node: string | undefined;
  /** `{"targets":[address],"labels":{...}}`: pre-relabel merged labels, sorted by name. */
  readonly json: string;
}

/** What filtering decided for one target, by its served JSON (the merged labels decide everything). */
export type Verdict =
  | { readonly kind: 'keep'; readonly id: string }
  | { readonly kind: 'dropped' }
  | { readonly kind: 'invalid' };

export interface JobTargets {
  readonly items: readonly TargetItem[];
  /** The verdicts of this run, to pass to the next run of the same job (unchanged targets skip relabeling). */
  readonly verdicts: ReadonlyMap<string, Verdict>;
  /** Dropped by relabeling (filter). */
  readonly dropped: number;
  /** Refused: no address, bad interval labels, and the like. */
  readonly invalid: number;
  /** Two discovered targets with the same identity: the first is kept. */
  readonly duplicates: number;
}

const NO_SHARDING = compileRelabelConfigs([
  { source_labels: [], target_label: '__tmp_disable_sharding', replacement: 'true', action: 'replace' },
]).configs;
const DROP_NO_SHARDING = compileRelabelConfigs([{ regex: '__tmp_disable_sharding', action: 'labeldrop' }]).configs;

/** The job's relabel rules wrapped so that prometheus-operator's hashmod/`$(SHARD)` rules keep everything. */
export function filterConfig(cfg: ScrapeTargetConfig): ScrapeTargetConfig {
  const relabelConfigs: RelabelConfig[] = [...NO_SHARDING, ...cfg.relabelConfigs, ...DROP_NO_SHARDING];
  return { ...cfg, relabelConfigs };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The node name of a target from its merged labels (upstream's order of meta labels). */
function nodeOf(labels: Readonly<Record<string, string>>): string | undefined {
  const direct =
    labels.__meta_kubernetes_pod_node_name ??
    labels.__meta_kubernetes_node_name ??
    labels.__meta_kubernetes_endpoint_node_name;
  if (direct !== undefined && direct !== '') return direct;
  if (labels.__meta_kubernetes_endpointslice_address_target_kind === 'Node') {
    const n = labels.__meta_kubernetes_endpointslice_address_target_name;
    if (n !== undefined && n !== '') return n;
  }
  return undefined;
}

/** The group's labels (keys pre-sorted) overridden by the target's own, as an object with sorted keys. */
function mergeSorted(
  groupKeys: readonly string[],
  group: Readonly<Record<string, string>>,
  target: Readonly<Record<string, string>>,
): Record<string, string> {
  const targetKeys = Object.keys(target).sort(cmp);
  // No prototype: `__proto__` is a valid label name.
  const out = Object.create(null) as Record<string, string>;
  let i = 0;
  let j = 0;
  while (i < groupKeys.length || j < targetKeys.length) {
    const g = groupKeys[i];
    const t = targetKeys[j];
    if (t === undefined || (g !== undefined && g < t)) {
      out[g as string] = group[g as string] as string;
      i++;
    } else {
      out[t] = target[t] as string;
      j++;
      if (g === t) i++;
    }
  }
  return out;
}

/**
 * The items of one job. `filter` is the job's config wrapped by {@link filterConfig}, or undefined to
 * keep every target (filter_strategy other than relabel-config).
 */
export function jobItems(
  job: string,
  groups: readonly TargetGroup[],
  filter: ScrapeTargetConfig | undefined,
  previous: ReadonlyMap<string, Verdict> = new Map(),
): JobTargets {
  const items: TargetItem[] = [];
  const verdicts = new Map<string, Verdict>();
  const seen = new Set<string>();
  let dropped = 0;
  let invalid = 0;
  let duplicates = 0;
  for (const group of groups) {
    const groupKeys = Object.keys(group.labels).sort(cmp);
    for (const target of group.targets) {
      const labels = mergeSorted(groupKeys, group.labels, target);
      const address = labels.__address__ ?? '';
      const json = JSON.stringify({ targets: [address], labels });
      let verdict = verdicts.get(json) ?? previous.get(json);
      if (verdict === undefined) verdict = judge(job, labels, address, filter);
      verdicts.set(json, verdict);
      switch (verdict.kind) {
        case 'dropped':
          dropped++;
          continue;
        case 'invalid':
          invalid++;
          continue;
        case 'keep':
          break;
      }
      if (seen.has(verdict.id)) {
        duplicates++;
        continue;
      }
      seen.add(verdict.id);
      items.push({ job, id: verdict.id, address, node: nodeOf(labels), json });
    }
  }
  return { items, verdicts, dropped, invalid, duplicates };
}

function judge(
  job: string,
  labels: Readonly<Record<string, string>>,
  address: string,
  filter: ScrapeTargetConfig | undefined,
): Verdict {
  if (filter === undefined) {
    return address === '' ? { kind: 'invalid' } : { kind: 'keep', id: `${job}\u0000__address__\u0001${address}` };
  }
  const p = populateLabels(new Map(Object.entries(labels)), filter);
  switch (p.kind) {
    case 'dropped':
      return { kind: 'dropped' };
    case 'failed':
      return { kind: 'invalid' };
    case 'active': {
      let id = job;
      for (const [k, v] of p.final) id += `\u0000${k}\u0001${v}`;
      return { kind: 'keep', id };
    }
  }
}

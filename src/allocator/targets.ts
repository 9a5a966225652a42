// From one job's discovered groups to the items the allocator assigns: labels merged (the target's
// own win over the group's), relabel-filtered the way the upstream allocator does (sharding rules
// neutralised, scrape labels seeded transiently), identified by job plus post-relabel labels without
// `__meta_*`, and serialised once as an http_sd group.
import { compileRelabelConfigs, type RelabelConfig, type SortedLabels } from '../prometheus/relabel.js';
import type { TargetGroup } from '../prometheus/sd/types.js';
import { lookupSorted, mergeSorted, populateSorted, type ScrapeTargetConfig } from '../prometheus/targets.js';

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
  /** The same JSON as UTF-8 bytes, what answers are made of (kept outside the JS heap). */
  readonly body: Buffer;
}

/** A target item holding its JSON as bytes only (a string is made when asked for). */
class Item implements TargetItem {
  constructor(
    readonly job: string,
    readonly id: string,
    readonly address: string,
    readonly node: string | undefined,
    readonly body: Buffer,
  ) {}

  get json(): string {
    return this.body.toString('utf8');
  }
}

/** What filtering decided for one target (its merged labels decide everything). */
export type Verdict =
  | {
      readonly kind: 'keep';
      readonly id: string;
      /** The item made of it last time (reused as is: unchanged answers are then recognised by identity). */
      readonly item?: TargetItem;
    }
  | { readonly kind: 'dropped' }
  | { readonly kind: 'invalid' };

/** One target's merged labels (sorted, empty values included) and what was decided for them. */
export interface Memo {
  readonly names: readonly string[];
  readonly values: readonly string[];
  readonly verdict: Verdict;
}

export interface JobTargets {
  readonly items: readonly TargetItem[];
  /**
   * The verdicts of this run by merged `__address__`, to pass to the next run of the same job: a target whose
   * merged labels are the same skips relabeling, identity and serialisation (its item is reused as is).
   */
  readonly verdicts: ReadonlyMap<string, readonly Memo[]>;
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
function nodeOf(labels: SortedLabels): string | undefined {
  const has = (name: string): boolean => lookupSorted(labels, name) !== '' || labels.names.includes(name);
  // The first of these the target has, even empty (a `??` chain over the labels).
  const first = [
    '__meta_kubernetes_pod_node_name',
    '__meta_kubernetes_node_name',
    '__meta_kubernetes_endpoint_node_name',
  ].find(has);
  const direct = first === undefined ? '' : lookupSorted(labels, first);
  if (direct !== '') return direct;
  if (lookupSorted(labels, '__meta_kubernetes_endpointslice_address_target_kind') === 'Node') {
    const n = lookupSorted(labels, '__meta_kubernetes_endpointslice_address_target_name');
    if (n !== '') return n;
  }
  return undefined;
}

/**
 * Merges a group's labels (names pre-sorted) with a target's own (which win), in name order. Targets of one
 * discoverer usually share their key order: the last key list and its sorted order are remembered.
 */
class Merger {
  #lastKeys: readonly string[] = [];
  #lastSorted: readonly string[] = [];
  #lastGroup: readonly string[] | undefined;
  #lastTarget: readonly string[] | undefined;
  /** The merged names of the last (group names, target names) pair: shared by the targets of one shape. */
  #lastNames: readonly string[] = [];

  #sortedKeys(target: Readonly<Record<string, string>>): readonly string[] {
    const keys = Object.keys(target);
    const last = this.#lastKeys;
    let same = keys.length === last.length;
    for (let i = 0; same && i < keys.length; i++) same = keys[i] === last[i];
    if (!same) {
      this.#lastKeys = keys;
      this.#lastSorted = [...keys].sort(cmp);
    }
    return this.#lastSorted;
  }

  merge(
    groupNames: readonly string[],
    group: Readonly<Record<string, string>>,
    target: Readonly<Record<string, string>>,
  ): SortedLabels {
    const targetNames = this.#sortedKeys(target);
    const reuse = groupNames === this.#lastGroup && targetNames === this.#lastTarget;
    const names: string[] | undefined = reuse ? undefined : [];
    const values = mergeSorted(groupNames, group, targetNames, target, names);
    if (names !== undefined) {
      this.#lastGroup = groupNames;
      this.#lastTarget = targetNames;
      this.#lastNames = names;
    }
    return { names: this.#lastNames, values };
  }
}

/** `{"targets":[address],"labels":{...}}` with the labels in name order, as one flat string. */
function groupJson(address: string, labels: SortedLabels): string {
  const { names, values } = labels;
  // An ordinary object with the same keys in the same order as every other target of its kind shares their
  // shape, which JSON.stringify serialises fastest; `__proto__` (a valid label name) needs an own property.
  const obj: Record<string, string> = names.includes('__proto__')
    ? (Object.create(null) as Record<string, string>)
    : {};
  for (let i = 0; i < names.length; i++) obj[names[i] as string] = values[i] as string;
  return JSON.stringify({ targets: [address], labels: obj });
}

/**
 * The items of one job. `filter` is the job's config wrapped by {@link filterConfig}, or undefined to
 * keep every target (filter_strategy other than relabel-config).
 */
export function jobItems(
  job: string,
  groups: readonly TargetGroup[],
  filter: ScrapeTargetConfig | undefined,
  previous: ReadonlyMap<string, readonly Memo[]> = new Map(),
): JobTargets {
  const items: TargetItem[] = [];
  const verdicts = new Map<string, Memo[]>();
  const seen = new Set<string>();
  const merger = new Merger();
  let dropped = 0;
  let invalid = 0;
  let duplicates = 0;
  for (const group of groups) {
    const groupNames = Object.keys(group.labels).sort(cmp);
    for (const target of group.targets) {
      const labels = merger.merge(groupNames, group.labels, target);
      const address = lookupSorted(labels, '__address__');
      let memos = verdicts.get(address);
      let verdict = findMemo(memos, labels) ?? findMemo(previous.get(address), labels);
      if (verdict === undefined) verdict = judge(job, labels, address, filter);
      if (
        verdict.kind === 'keep' &&
        !seen.has(verdict.id) &&
        (verdict.item === undefined || verdict.item.job !== job)
      ) {
        const body = Buffer.from(groupJson(address, labels), 'utf8');
        const item = new Item(job, verdict.id, address, nodeOf(labels), body);
        verdict = { kind: 'keep', id: verdict.id, item };
      }
      if (findMemo(memos, labels) === undefined) {
        const memo: Memo = { names: labels.names, values: labels.values, verdict };
        if (memos === undefined) {
          memos = [];
          verdicts.set(address, memos);
        }
        memos.push(memo);
      }
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
      items.push(verdict.item as TargetItem);
    }
  }
  return { items, verdicts, dropped, invalid, duplicates };
}

/** The verdict remembered for exactly these merged labels, if any. */
function findMemo(memos: readonly Memo[] | undefined, labels: SortedLabels): Verdict | undefined {
  if (memos === undefined) return undefined;
  for (const m of memos) if (sameLabels(m, labels)) return m.verdict;
  return undefined;
}

function sameLabels(a: SortedLabels, b: SortedLabels): boolean {
  const n = a.values.length;
  if (n !== b.values.length) return false;
  if (a.names !== b.names) for (let i = 0; i < n; i++) if (a.names[i] !== b.names[i]) return false;
  for (let i = 0; i < n; i++) if (a.values[i] !== b.values[i]) return false;
  return true;
}

function judge(job: string, labels: SortedLabels, address: string, filter: ScrapeTargetConfig | undefined): Verdict {
  if (filter === undefined) {
    return address === '' ? { kind: 'invalid' } : { kind: 'keep', id: `${job}\u0000__address__\u0001${address}` };
  }
  const p = populateSorted(labels.names, labels.values, filter);
  switch (p.kind) {
    case 'dropped':
      return { kind: 'dropped' };
    case 'failed':
      return { kind: 'invalid' };
    case 'active': {
      // The identity lists the labels in name order, a defaulted `instance` last (as Prometheus adds it).
      let id = job;
      const { names, values } = p.final;
      for (let i = 0; i < names.length; i++) {
        if (p.instanceAdded && names[i] === 'instance') continue;
        id += `\u0000${names[i]}\u0001${values[i]}`;
      }
      if (p.instanceAdded) id += `\u0000instance\u0001${lookupSorted(p.final, 'instance')}`;
      return { kind: 'keep', id };
    }
  }
}

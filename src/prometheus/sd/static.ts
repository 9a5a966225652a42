// static_configs: fixed target groups from the scrape config.
import { isRecord, Reader, type SdProblem } from './common.js';
import type { Discoverer, DiscoveryErrorListener, GroupsListener, TargetGroup } from './types.js';

export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Parses `static_configs` (a list of `{targets, labels}`); `path` is where the list sits in the config. */
export function parseStaticConfigs(raw: unknown, path: string, problems: SdProblem[]): StaticConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push({ path, message: 'must be a list of {targets, labels}' });
    return [];
  }
  const out: StaticConfig[] = [];
  raw.forEach((entry: unknown, i) => {
    const r = new Reader(`${path}[${i}]`, problems);
    if (!isRecord(entry)) {
      r.problem(undefined, 'must be a mapping with targets and labels');
      return;
    }
    r.checkKeys(entry, ['targets', 'labels']);
    const targets = r.stringList(entry, 'targets') ?? [];
    targets.forEach((t, j) => {
      if (t.includes('/')) r.problem(`targets[${j}]`, `${JSON.stringify(t)} is not a valid hostname`);
    });
    out.push({ targets, labels: r.labels(entry, 'labels') ?? {} });
  });
  return out;
}

/** The groups static configs stand for: one per entry, source = the entry's index (as in Prometheus). */
export function staticGroups(configs: readonly StaticConfig[]): TargetGroup[] {
  return configs.map((c, i) => ({
    source: String(i),
    targets: c.targets.map((t) => ({ __address__: t })),
    labels: { ...c.labels },
  }));
}

export class StaticDiscoverer implements Discoverer {
  readonly #groups: readonly TargetGroup[];

  constructor(configs: readonly StaticConfig[]) {
    this.#groups = staticGroups(configs);
  }

  async start(onGroups: GroupsListener, _onError: DiscoveryErrorListener): Promise<void> {
    onGroups(this.#groups);
  }

  async stop(): Promise<void> {}
}

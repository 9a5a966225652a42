// Service discovery contract shared by the `prometheus` receiver and the target allocator: the
// shapes of Prometheus's discovery (target groups of `__address__` plus `__meta_*` labels) and the
// lifecycle of one discoverer.

/** One target group, as Prometheus's discovery produces it (and as `http_sd` JSON spells it). */
export interface TargetGroup {
  /** Stable id of the group within its discoverer (a file path and index, a URL and index, a Kubernetes object key). */
  readonly source: string;
  /** Each target's own labels; at least `__address__`. */
  readonly targets: readonly Readonly<Record<string, string>>[];
  /** Labels common to every target of the group (e.g. `__meta_filepath`, `__meta_url`). */
  readonly labels: Readonly<Record<string, string>>;
}

/** What a discoverer reports: the complete current set of its groups (not a diff). */
export type GroupsListener = (groups: readonly TargetGroup[]) => void;

/** A problem a discoverer met while running (it keeps the last good set and retries). */
export type DiscoveryErrorListener = (err: Error) => void;

export interface Discoverer {
  /** Starts discovering. The first full set is reported as soon as it is known. */
  start(onGroups: GroupsListener, onError: DiscoveryErrorListener): Promise<void>;
  /** Stops timers, watches and connections. Safe to call twice. */
  stop(): Promise<void>;
}

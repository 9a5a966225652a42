// loadConfig: read every --config source, merge them in order, apply --set, validate, and
// either return the resolved config or throw a ConfigError carrying every issue found.
import { type LNode, mergeNodes, toPlain } from './located.js';
import { ConfigError, type ConfigIssue, type ResolvedConfig } from './resolved.js';
import type { Distribution } from './sections.js';
import { loadSource, parseSet, SET_SOURCE } from './sources.js';
import type { Env } from './substitute.js';
import { validateTree } from './validate.js';

export interface LoadOptions {
  /** `--config` values, merged in order: a path, `file:PATH`, `env:VAR`, `yaml:key::sub: value`. */
  readonly sources: readonly string[];
  /** `--set key.sub=value`, applied after every source. */
  readonly sets: readonly string[];
  readonly distribution: Distribution;
  /** Defaults to process.env. */
  readonly env?: Env;
}

export interface LoadResult {
  readonly config: ResolvedConfig;
  /** Unset env variables, unused components, YAML warnings. */
  readonly warnings: readonly ConfigIssue[];
  /** The merged user config (env substituted, no defaults): what `print-config` shows, redacted. */
  readonly merged: unknown;
}

export async function loadConfig(opts: LoadOptions): Promise<LoadResult> {
  const env = opts.env ?? process.env;
  const issues: ConfigIssue[] = [];
  if (opts.sources.length === 0) {
    issues.push({ severity: 'error', path: '', message: 'no config given (use --config FILE, env:VAR or yaml:...)' });
  }
  const loaded = await Promise.all(opts.sources.map((s) => loadSource(s, env)));
  const sets = opts.sets.map((s) => parseSet(s, env));
  let root: LNode | undefined;
  for (const part of [...loaded, ...sets]) {
    issues.push(...part.issues);
    if (part.root !== undefined) root = mergeNodes(root, part.root);
  }
  // A source that could not be read or parsed leaves the tree incomplete: validating the rest
  // would only report consequences. Other source errors (a bad ${...}) do not stop validation.
  const unreadable =
    opts.sources.length === 0 || [...loaded, ...sets].some((p) => p.root === undefined && hasErrors(p.issues));
  let config: ResolvedConfig | undefined;
  if (!unreadable) {
    const validated = validateTree(root, opts.distribution);
    issues.push(...validated.issues);
    config = validated.config;
  }
  const sorted = sortIssues(issues, [...loaded.map((l) => l.name), SET_SOURCE]);
  if (config === undefined || hasErrors(sorted)) throw new ConfigError(sorted);
  return { config, warnings: sorted, merged: toPlain(root) ?? {} };
}

function hasErrors(issues: readonly ConfigIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

/** Errors first, then in source order, line, column. */
function sortIssues(issues: readonly ConfigIssue[], sources: readonly string[]): ConfigIssue[] {
  const rank = (i: ConfigIssue): number => {
    const at = i.source === undefined ? -1 : sources.indexOf(i.source);
    return at < 0 ? sources.length : at;
  };
  return [...issues].sort(
    (a, b) =>
      Number(a.severity === 'warning') - Number(b.severity === 'warning') ||
      rank(a) - rank(b) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0),
  );
}

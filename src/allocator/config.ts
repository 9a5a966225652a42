// The allocator's config file: the upstream target allocator's YAML shape (`allocation_strategy`,
// `filter_strategy`, `collector_selector`, `config.scrape_configs`, `https`, ...) plus our additions
// (`collectors:` membership, grace period, debounce, `auth:`). Problems come back positioned:
// `file:line:col: path: what is wrong`.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { checkValue } from '../config/check.js';
import { formatPath, locate, type Path, type PathSegment, toPlain } from '../config/located.js';
import { parseSource } from '../config/parse.js';
import { ConfigError, type ConfigIssue } from '../config/resolved.js';
import type { Env } from '../config/substitute.js';
import { Duration, durationMs, Endpoint, splitEndpoint } from '../config/types.js';
import { createDiscoverers } from '../prometheus/sd/index.js';
import { parseScrapeTargetConfig, type ScrapeTargetConfig } from '../prometheus/targets.js';
import type { Strategy } from './assign.js';

export const DEFAULT_LISTEN_ADDR = '127.0.0.1:8080';

const STRATEGIES = ['weighted-rendezvous', 'consistent-hashing', 'least-weighted', 'per-node'] as const;

const LabelSelectorSchema = Type.Object(
  {
    matchlabels: Type.Optional(Type.Record(Type.String(), Type.String())),
    matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
    matchexpressions: Type.Optional(Type.Array(Type.Unknown())),
    matchExpressions: Type.Optional(Type.Array(Type.Unknown())),
  },
  { additionalProperties: false, description: 'A Kubernetes label selector' },
);

const StaticMemberSchema = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object(
    { id: Type.String({ minLength: 1 }), node: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
]);

const TokenSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'The identity the token stands for (a collector id or an admin)' }),
    token: Type.Optional(Type.String({ minLength: 1, 'x-sensitive': true })),
    token_file: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const AllocatorConfigSchema = Type.Object(
  {
    listen_addr: Type.Optional(Endpoint('HTTP listen address', DEFAULT_LISTEN_ADDR)),
    allocation_strategy: Type.Optional(
      Type.Union(
        STRATEGIES.map((s) => Type.Literal(s)),
        { default: 'weighted-rendezvous' },
      ),
    ),
    allocation_fallback_strategy: Type.Optional(
      Type.Union([Type.Literal(''), Type.Literal('weighted-rendezvous'), Type.Literal('consistent-hashing')]),
    ),
    filter_strategy: Type.Optional(Type.String({ default: 'relabel-config' })),
    collector_selector: Type.Optional(Type.Union([LabelSelectorSchema, Type.Null()])),
    collector_namespace: Type.Optional(Type.String()),
    collector_not_ready_grace_period: Type.Optional(
      Duration('Kubernetes: a not-Ready pod stays a member this long', '30s'),
    ),
    allow_insecure_auth_secrets: Type.Optional(Type.Boolean({ default: false })),
    kube_config_file_path: Type.Optional(Type.String()),
    prometheus_cr: Type.Optional(
      Type.Object(
        { enabled: Type.Optional(Type.Boolean()) },
        { additionalProperties: true, description: "Upstream's Prometheus-CR watcher: accepted only when disabled" },
      ),
    ),
    https: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ default: false })),
          listen_addr: Type.Optional(Endpoint('HTTPS listen address', '127.0.0.1:8443')),
          ca_file_path: Type.Optional(Type.String()),
          tls_cert_file_path: Type.Optional(Type.String()),
          tls_key_file_path: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    config: Type.Object(
      {
        global: Type.Optional(
          Type.Object(
            {
              scrape_interval: Type.Optional(Type.String()),
              scrape_timeout: Type.Optional(Type.String()),
              evaluation_interval: Type.Optional(Type.String()),
              external_labels: Type.Optional(Type.Record(Type.String(), Type.String())),
            },
            { additionalProperties: true },
          ),
        ),
        scrape_configs: Type.Array(Type.Record(Type.String(), Type.Unknown()), { default: [] }),
      },
      { additionalProperties: true },
    ),
    collectors: Type.Object(
      {
        static: Type.Optional(Type.Array(StaticMemberSchema)),
        kubernetes: Type.Optional(
          Type.Object(
            {
              namespace: Type.Optional(Type.String({ minLength: 1 })),
              statefulset: Type.Optional(Type.String({ minLength: 1 })),
              kubeconfig_file: Type.Optional(Type.String({ minLength: 1 })),
              api_server: Type.Optional(Type.String({ minLength: 1 })),
            },
            { additionalProperties: false },
          ),
        ),
        grace_period: Type.Optional(
          Duration("A collector that has not polled for this long loses its targets ('0' disables)", '90s'),
        ),
        handover_timeout: Type.Optional(
          Duration('A moved target is served to its old collector at most this long', '2m'),
        ),
      },
      { additionalProperties: false },
    ),
    debounce: Type.Optional(Duration('Quiet time after a discovery or membership change before re-allocating', '1s')),
    recent_moves: Type.Optional(Type.Integer({ minimum: 0, default: 200 })),
    auth: Type.Optional(
      Type.Object(
        {
          bearer_tokens: Type.Optional(Type.Array(TokenSchema)),
          admins: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type AllocatorConfigInput = Static<typeof AllocatorConfigSchema>;

export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values: readonly string[];
  }[];
}

export type Membership =
  | { readonly kind: 'static'; readonly members: readonly { readonly id: string; readonly node?: string }[] }
  | {
      readonly kind: 'kubernetes';
      readonly namespace: string;
      /** Pods by label selector, or ids `<statefulset>-0..replicas-1`. */
      readonly source:
        | { readonly kind: 'pods'; readonly selector: LabelSelector }
        | { readonly kind: 'statefulset'; readonly name: string };
      readonly kubeconfigFile?: string;
      readonly apiServer?: string;
      readonly notReadyGraceMs: number;
    };

export interface ScrapeJob {
  readonly name: string;
  /** The scrape config as written (served by /scrape_configs without its *_sd_configs). */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly target: ScrapeTargetConfig;
}

export interface BearerToken {
  readonly id: string;
  readonly token: string | undefined;
  readonly tokenFile: string | undefined;
}

export interface AllocatorConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly https:
    | {
        readonly host: string;
        readonly port: number;
        readonly caFile: string | undefined;
        readonly certFile: string;
        readonly keyFile: string;
      }
    | undefined;
  readonly strategy: Strategy;
  readonly fallbackStrategy: 'weighted-rendezvous' | 'consistent-hashing' | undefined;
  readonly filterByRelabel: boolean;
  readonly jobs: readonly ScrapeJob[];
  readonly membership: Membership;
  /** Poll liveness: 0 disables. */
  readonly graceMs: number;
  readonly handoverTimeoutMs: number;
  readonly debounceMs: number;
  readonly recentMoves: number;
  readonly allowInsecureAuthSecrets: boolean;
  /** Undefined: no authentication (secrets redacted unless allowInsecureAuthSecrets). */
  readonly auth: { readonly tokens: readonly BearerToken[]; readonly admins: readonly string[] } | undefined;
  /** Directory relative paths resolve against. */
  readonly baseDir: string;
}

export interface LoadOptions {
  readonly env?: Env;
  /** Overrides `listen_addr` (the `--listen-address` flag). */
  readonly listenAddress?: string;
}

const LISTEN_RE = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/;

/** Reads and checks an allocator config file; throws ConfigError with every problem found. */
export function loadAllocatorConfig(file: string, opts: LoadOptions = {}): AllocatorConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      { severity: 'error', source: file, path: '', message: `cannot read the config file: ${String(err)}` },
    ]);
  }
  return parseAllocatorConfig(text, file, opts);
}

export function parseAllocatorConfig(text: string, source: string, opts: LoadOptions = {}): AllocatorConfig {
  const parsed = parseSource(text, { source, env: opts.env ?? process.env });
  const issues: ConfigIssue[] = [...parsed.issues];
  const root = parsed.root;
  const fail = (): never => {
    throw new ConfigError(issues);
  };
  if (issues.some((i) => i.severity === 'error')) fail();
  if (root === undefined || root.kind !== 'map') {
    issues.push({ severity: 'error', source, path: '', message: 'the config must be a mapping' });
    fail();
  }
  const add = (path: Path, message: string, which: 'key' | 'value' = 'value'): void => {
    const pos = locate(root, path, which);
    issues.push({ severity: 'error', source, ...pos, path: formatPath(path), message });
  };
  const checked = checkValue(AllocatorConfigSchema, toPlain(root));
  for (const p of checked.problems) add(p.path, p.message, p.at);
  if (issues.some((i) => i.severity === 'error')) fail();
  const c = checked.value as AllocatorConfigInput;
  const baseDir = dirname(resolve(source));

  const listenText = opts.listenAddress ?? c.listen_addr ?? DEFAULT_LISTEN_ADDR;
  if (opts.listenAddress !== undefined && !LISTEN_RE.test(opts.listenAddress)) {
    issues.push({
      severity: 'error',
      source: '--listen-address',
      path: '',
      message: `must be HOST:PORT, got "${opts.listenAddress}"`,
    });
  }
  const listen = splitEndpoint(listenText);

  // Scrape jobs: target shaping (relabel rules compile) and service discovery are checked here.
  const jobs: ScrapeJob[] = [];
  const seen = new Map<string, number>();
  const global = c.config.global;
  const gInterval = global?.scrape_interval;
  const gTimeout = global?.scrape_timeout;
  const globalDefaults = {
    scrapeIntervalMs:
      gInterval === undefined ? 60_000 : safeDuration(gInterval, ['config', 'global', 'scrape_interval'], add, 60_000),
    scrapeTimeoutMs:
      gTimeout === undefined ? 10_000 : safeDuration(gTimeout, ['config', 'global', 'scrape_timeout'], add, 10_000),
  };
  c.config.scrape_configs.forEach((raw, i) => {
    const at: Path = ['config', 'scrape_configs', i];
    const { config, problems } = parseScrapeTargetConfig(raw, globalDefaults);
    for (const p of problems) add([...at, ...splitPath(p.path)], p.message);
    const sd = createDiscoverers(raw, { baseDir });
    for (const p of sd.problems) add([...at, ...splitPath(p.path)], p.message);
    const name = typeof raw.job_name === 'string' ? raw.job_name : undefined;
    const prev = name === undefined ? undefined : seen.get(name);
    if (name !== undefined && prev !== undefined) {
      add(
        [...at, 'job_name'],
        `job name "${name}" is also used by config.scrape_configs[${prev}]; job names must be unique`,
      );
      return;
    }
    if (name !== undefined) seen.set(name, i);
    if (config === undefined) return;
    jobs.push({ name: config.jobName, raw, target: config });
  });

  // Membership.
  const col = c.collectors;
  let membership: Membership | undefined;
  if (col.static !== undefined && col.kubernetes !== undefined) {
    add(['collectors', 'kubernetes'], 'choose one of collectors.static and collectors.kubernetes');
  } else if (col.static !== undefined) {
    const members = col.static.map((m) =>
      typeof m === 'string' ? { id: m } : m.node === undefined ? { id: m.id } : { id: m.id, node: m.node },
    );
    const ids = new Map<string, number>();
    members.forEach((m, i) => {
      const prev = ids.get(m.id);
      if (prev !== undefined)
        add(['collectors', 'static', i], `collector id "${m.id}" is listed twice (also at [${prev}])`);
      ids.set(m.id, i);
    });
    membership = { kind: 'static', members };
  } else if (col.kubernetes !== undefined) {
    const k = col.kubernetes;
    const namespace = k.namespace ?? c.collector_namespace ?? process.env.OTELCOL_NAMESPACE;
    if (namespace === undefined || namespace === '') {
      add(['collectors', 'kubernetes'], 'needs namespace (or collector_namespace, or env OTELCOL_NAMESPACE)');
    }
    let source: Extract<Membership, { kind: 'kubernetes' }>['source'] | undefined;
    if (k.statefulset !== undefined) {
      source = { kind: 'statefulset', name: k.statefulset };
    } else {
      const sel = parseSelector(c.collector_selector ?? undefined, ['collector_selector'], add);
      if (sel !== undefined && Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0) {
        add(
          ['collectors', 'kubernetes'],
          'needs statefulset, or a non-empty collector_selector (an empty selector would take every pod of the namespace)',
        );
      }
      if (sel !== undefined) source = { kind: 'pods', selector: sel };
    }
    if (namespace !== undefined && source !== undefined) {
      membership = {
        kind: 'kubernetes',
        namespace,
        source,
        ...(k.kubeconfig_file === undefined
          ? c.kube_config_file_path === undefined || c.kube_config_file_path === ''
            ? {}
            : { kubeconfigFile: resolve(baseDir, c.kube_config_file_path) }
          : { kubeconfigFile: resolve(baseDir, k.kubeconfig_file) }),
        ...(k.api_server === undefined ? {} : { apiServer: k.api_server }),
        notReadyGraceMs: durationMs(c.collector_not_ready_grace_period ?? '30s'),
      };
    }
  } else {
    add(
      ['collectors'],
      'needs static (a list of collector ids) or kubernetes (pods by collector_selector, or a statefulset)',
    );
  }

  let https: AllocatorConfig['https'];
  const h = c.https;
  if (h?.enabled === true) {
    if (h.tls_cert_file_path === undefined)
      add(['https', 'tls_cert_file_path'], 'is required when https.enabled is true');
    if (h.tls_key_file_path === undefined)
      add(['https', 'tls_key_file_path'], 'is required when https.enabled is true');
    const ep = splitEndpoint(h.listen_addr ?? '127.0.0.1:8443');
    if (h.tls_cert_file_path !== undefined && h.tls_key_file_path !== undefined) {
      https = {
        host: ep.host,
        port: ep.port,
        caFile: h.ca_file_path === undefined || h.ca_file_path === '' ? undefined : resolve(baseDir, h.ca_file_path),
        certFile: resolve(baseDir, h.tls_cert_file_path),
        keyFile: resolve(baseDir, h.tls_key_file_path),
      };
    }
  }

  let auth: AllocatorConfig['auth'];
  if (c.auth !== undefined) {
    const tokens: BearerToken[] = [];
    (c.auth.bearer_tokens ?? []).forEach((t, i) => {
      if ((t.token === undefined) === (t.token_file === undefined)) {
        add(['auth', 'bearer_tokens', i], 'needs exactly one of token and token_file');
        return;
      }
      tokens.push({
        id: t.id,
        token: t.token,
        tokenFile: t.token_file === undefined ? undefined : resolve(baseDir, t.token_file),
      });
    });
    if (tokens.length === 0 && https?.caFile === undefined) {
      add(['auth'], 'authentication needs bearer_tokens, or https with ca_file_path (client certificates)');
    }
    auth = { tokens, admins: c.auth.admins ?? [] };
  }

  if (c.prometheus_cr?.enabled === true) {
    add(
      ['prometheus_cr', 'enabled'],
      'the Prometheus-CR watcher (ServiceMonitor, PodMonitor, ...) is not supported; put the jobs in config.scrape_configs',
    );
  }
  const fallback = c.allocation_fallback_strategy;
  if (issues.some((i) => i.severity === 'error')) fail();
  return {
    listen,
    https,
    strategy: c.allocation_strategy ?? 'weighted-rendezvous',
    fallbackStrategy: fallback === undefined || fallback === '' ? undefined : fallback,
    filterByRelabel: (c.filter_strategy ?? 'relabel-config') === 'relabel-config',
    jobs,
    membership: membership as Membership,
    graceMs: durationMs(col.grace_period ?? '90s'),
    handoverTimeoutMs: durationMs(col.handover_timeout ?? '2m'),
    debounceMs: durationMs(c.debounce ?? '1s'),
    recentMoves: c.recent_moves ?? 200,
    allowInsecureAuthSecrets: c.allow_insecure_auth_secrets ?? false,
    auth,
    baseDir,
  };
}

function safeDuration(text: string, path: Path, add: (p: Path, m: string) => void, fallback: number): number {
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (m === null || text === '') {
    add(path, `"${text}" is not a duration (e.g. 30s, 1m, 1h30m)`);
    return fallback;
  }
  const units = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
  return units.reduce((sum, u, i) => sum + Number(m[i + 1] ?? 0) * u, 0);
}

/** `http_sd_configs[0].url` -> ['http_sd_configs', 0, 'url']. */
function splitPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

function parseSelector(
  raw: Static<typeof LabelSelectorSchema> | undefined,
  at: Path,
  add: (p: Path, m: string) => void,
): LabelSelector | undefined {
  const matchLabels = { ...(raw?.matchlabels ?? {}), ...(raw?.matchLabels ?? {}) };
  const exprs: LabelSelector['matchExpressions'][number][] = [];
  const rawExprs = [...(raw?.matchexpressions ?? []), ...(raw?.matchExpressions ?? [])];
  let ok = true;
  rawExprs.forEach((e, i) => {
    const key = raw?.matchexpressions !== undefined ? 'matchexpressions' : 'matchExpressions';
    const path: Path = [...at, key, i];
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      add(path, 'must be a mapping with key, operator and values');
      ok = false;
      return;
    }
    const r = e as Record<string, unknown>;
    const op = r.operator;
    if (typeof r.key !== 'string' || r.key === '') {
      add([...path, 'key'], 'must be a non-empty string');
      ok = false;
      return;
    }
    if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
      add([...path, 'operator'], `must be one of ${OPERATORS.join(', ')}`);
      ok = false;
      return;
    }
    const values = Array.isArray(r.values) ? r.values.filter((v): v is string => typeof v === 'string') : [];
    if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      add([...path, 'values'], `operator ${op} needs a non-empty list of values`);
      ok = false;
      return;
    }
    exprs.push({ key: r.key, operator: op as (typeof OPERATORS)[number], values });
  });
  return ok ? { matchLabels, matchExpressions: exprs } : undefined;
}

/** Whether a pod's labels match a selector. */
export function selectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const v = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (v === undefined || !e.values.includes(v)) return false;
        break;
      case 'NotIn':
        if (v !== undefined && e.values.includes(v)) return false;
        break;
      case 'Exists':
        if (v === undefined) return false;
        break;
      case 'DoesNotExist':
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

/** `app=x,tier in (a,b)` form for the Kubernetes API's labelSelector parameter. */
export function selectorString(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions) {
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${e.values.join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${e.values.join(',')})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(',');
}

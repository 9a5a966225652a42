// The `target_allocator` client: polls an allocator's `/scrape_configs` for the jobs and each job's
// `/jobs/<job>/targets?collector_id=<id>` for this collector's share of the targets.
import type { TargetGroup } from '../../prometheus/sd/types.js';
import {
  type PrometheusReceiverConfig,
  type ResolvedScrapeConfig,
  resolvePrometheusConfig,
  type ScrapeConfig,
  ScrapeConfigSchema,
  validatePrometheusConfig,
} from './config.js';

export interface TargetAllocatorSettings {
  readonly endpoint: string;
  readonly intervalMs: number;
  readonly collectorId: string;
}

/** Most bytes read from one allocator response. */
export const MAX_ALLOCATOR_BODY = 16 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

/** Go's url.QueryEscape: space as `+`, everything but `[A-Za-z0-9-_.~]` percent-encoded. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

const KNOWN_KEYS = new Set(Object.keys(ScrapeConfigSchema.properties));
const SD_KEYS = new Set(['file_sd_configs', 'http_sd_configs', 'kubernetes_sd_configs', 'static_configs']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface ParsedJobs {
  readonly jobs: readonly ResolvedScrapeConfig[];
  /** Jobs refused, with why. */
  readonly problems: readonly string[];
}

/**
 * Reads an allocator's `/scrape_configs` answer (`{job: ScrapeConfig}`): fields this receiver does not know
 * (scrape_protocols, enable_http2, ...) and the allocator's service discovery blocks are ignored, as the Collector
 * ignores the latter; each job is then validated as a receiver scrape config.
 */
export function parseScrapeConfigs(body: unknown, global: PrometheusReceiverConfig['config']['global']): ParsedJobs {
  const problems: string[] = [];
  const jobs: ResolvedScrapeConfig[] = [];
  if (!isRecord(body)) return { jobs, problems: ['/scrape_configs did not return a JSON object'] };
  for (const [name, raw] of Object.entries(body).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!isRecord(raw)) {
      problems.push(`${name}: not an object`);
      continue;
    }
    const picked: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (KNOWN_KEYS.has(k) && !SD_KEYS.has(k) && v !== null) picked[k] = v;
    }
    picked.job_name = typeof raw.job_name === 'string' ? raw.job_name : name;
    const cfg: PrometheusReceiverConfig = {
      config: { scrape_configs: [picked as ScrapeConfig], ...(global === undefined ? {} : { global }) },
    };
    const shapeProblem = checkShape(picked);
    if (shapeProblem !== undefined) {
      problems.push(`${name}: ${shapeProblem}`);
      continue;
    }
    const bad = validatePrometheusConfig(cfg);
    if (bad.length > 0) {
      problems.push(`${name}: ${bad.map((p) => `${p.path.slice(3).join('.')}: ${p.message}`).join('; ')}`);
      continue;
    }
    const resolved = resolvePrometheusConfig(cfg).scrapeConfigs[0];
    if (resolved !== undefined) jobs.push(resolved);
  }
  return { jobs, problems };
}

const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$|^0$/;

/** The few type checks the schema would have made (the allocator's JSON is not validated by the config layer). */
function checkShape(c: Record<string, unknown>): string | undefined {
  for (const k of ['scrape_interval', 'scrape_timeout']) {
    const v = c[k];
    if (v !== undefined && (typeof v !== 'string' || !DURATION_RE.test(v))) return `${k}: invalid duration`;
  }
  for (const k of ['metrics_path', 'scheme', 'job_name']) {
    if (c[k] !== undefined && typeof c[k] !== 'string') return `${k}: must be a string`;
  }
  if (c.scheme !== undefined && c.scheme !== 'http' && c.scheme !== 'https') return 'scheme: must be http or https';
  for (const k of ['honor_labels', 'honor_timestamps']) {
    if (c[k] !== undefined && typeof c[k] !== 'boolean') return `${k}: must be a boolean`;
  }
  for (const k of ['sample_limit', 'label_limit', 'label_name_length_limit', 'label_value_length_limit']) {
    const v = c[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) return `${k}: must be an integer`;
  }
  for (const k of ['relabel_configs', 'metric_relabel_configs']) {
    if (c[k] !== undefined && !Array.isArray(c[k])) return `${k}: must be a list`;
  }
  if (c.params !== undefined) {
    if (!isRecord(c.params)) return 'params: must be a mapping';
    for (const v of Object.values(c.params)) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return 'params: values must be lists of strings';
    }
  }
  for (const k of ['basic_auth', 'authorization', 'tls_config']) {
    if (c[k] !== undefined && !isRecord(c[k])) return `${k}: must be a mapping`;
  }
  return undefined;
}

/** Reads an allocator's `/jobs/<job>/targets?collector_id=` answer: a list of http_sd groups. */
export function parseTargets(body: unknown, source: string): TargetGroup[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const out: TargetGroup[] = [];
  body.forEach((g: unknown, i) => {
    if (!isRecord(g) || !Array.isArray(g.targets)) return;
    const labels: Record<string, string> = {};
    if (isRecord(g.labels)) for (const [k, v] of Object.entries(g.labels)) if (typeof v === 'string') labels[k] = v;
    const targets = g.targets.filter((t): t is string => typeof t === 'string').map((t) => ({ __address__: t }));
    out.push({ source: `${source}:${i}`, targets, labels });
  });
  return out;
}

/** GETs a body from the allocator. Throws on any failure. */
export async function getText(url: string): Promise<string> {
  const res = await fetch(url, {
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`${url}: HTTP status ${res.status}`);
  }
  const len = Number(res.headers.get('content-length') ?? '0');
  if (len > MAX_ALLOCATOR_BODY) {
    await res.body?.cancel();
    throw new Error(`${url}: body of ${len} bytes is over ${MAX_ALLOCATOR_BODY}`);
  }
  const text = await res.text();
  if (text.length > MAX_ALLOCATOR_BODY) throw new Error(`${url}: body over ${MAX_ALLOCATOR_BODY} bytes`);
  return text;
}

export function scrapeConfigsUrl(ta: TargetAllocatorSettings): string {
  return `${ta.endpoint.replace(/\/+$/, '')}/scrape_configs`;
}

export function jobTargetsUrl(ta: TargetAllocatorSettings, job: string): string {
  return `${ta.endpoint.replace(/\/+$/, '')}/jobs/${queryEscape(job)}/targets?collector_id=${ta.collectorId}`;
}

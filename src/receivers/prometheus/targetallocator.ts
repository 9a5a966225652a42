// The `target_allocator` client: polls an allocator's `/scrape_configs` for the jobs and each job's
// `/jobs/<job>/targets?collector_id=<id>` for this collector's share of the targets, with the
// configured headers (e.g. a bearer token) and TLS (mTLS) on every request.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { queryEscape } from '../../prometheus/queryescape.js';
import type { TargetGroup } from '../../prometheus/sd/types.js';
import {
  type PrometheusReceiverConfig,
  type ResolvedPrometheusConfig,
  type ResolvedScrapeConfig,
  resolvePrometheusConfig,
  type ScrapeConfig,
  ScrapeConfigSchema,
  validatePrometheusConfig,
} from './config.js';

export { queryEscape };

export type TargetAllocatorSettings = NonNullable<ResolvedPrometheusConfig['targetAllocator']>;

/** Most bytes read from one allocator response. */
export const MAX_ALLOCATOR_BODY = 16 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

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

function readPem(path: string | undefined): Buffer | undefined {
  return path === undefined ? undefined : readFileSync(path);
}

/** GETs a body from the allocator. Throws on any failure. */
export function getText(url: string, ta: TargetAllocatorSettings): Promise<string> {
  const target = new URL(url);
  const headers: Record<string, string> = { Accept: 'application/json', ...(ta?.headers ?? {}) };
  const tls = ta?.tls;
  // Files are read at every request, so rotated certificates and keys are picked up.
  const options: https.RequestOptions = {
    method: 'GET',
    headers,
    timeout: REQUEST_TIMEOUT_MS,
    ...(target.protocol === 'https:' && tls !== undefined
      ? {
          ca: readPem(tls.caFile),
          cert: readPem(tls.certFile),
          key: readPem(tls.keyFile),
          rejectUnauthorized: tls.insecureSkipVerify !== true,
          ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
        }
      : {}),
  };
  const mod = target.protocol === 'https:' ? https : http;
  return new Promise<string>((resolve, reject) => {
    const req = mod.request(target, options, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url}: HTTP status ${res.statusCode}`));
        return;
      }
      const len = Number(res.headers['content-length'] ?? '0');
      if (len > MAX_ALLOCATOR_BODY) {
        res.destroy();
        reject(new Error(`${url}: body of ${len} bytes is over ${MAX_ALLOCATOR_BODY}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ALLOCATOR_BODY) {
          res.destroy();
          reject(new Error(`${url}: body over ${MAX_ALLOCATOR_BODY} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (err) => reject(new Error(`${url}: ${err.message}`)));
    req.end();
  });
}

export function scrapeConfigsUrl(ta: TargetAllocatorSettings): string {
  return `${ta.endpoint.replace(/\/+$/, '')}/scrape_configs`;
}

export function jobTargetsUrl(ta: TargetAllocatorSettings, job: string): string {
  return `${ta.endpoint.replace(/\/+$/, '')}/jobs/${queryEscape(job)}/targets?collector_id=${queryEscape(ta.collectorId)}`;
}

// The `/scrape_configs` answer: every job's scrape config as written, without its service discovery
// blocks (collectors scrape what the allocator hands them), with the effective interval and timeout,
// in two versions: secrets replaced by `<secret>`, and as written (authenticated clients only).
import { formatDuration } from '../prometheus/sd/index.js';
import type { ScrapeJob } from './config.js';

export const SECRET_PLACEHOLDER = '<secret>';

/** Keys whose values are secrets in Prometheus's HTTP client config (its `Secret` fields). */
const SECRET_KEYS = new Set(['password', 'credentials', 'client_secret', 'bearer_token', 'secrets']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of `value` with every secret replaced by `<secret>`. */
export function redactSecrets(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, parentKey));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const secret = SECRET_KEYS.has(k) || (k === 'key' && parentKey === 'tls_config');
    if (k === 'proxy_connect_header' && isRecord(v)) {
      // map[string][]Secret: every header value is a secret.
      out[k] = Object.fromEntries(Object.entries(v).map(([h, vals]) => [h, redactValue(vals)]));
    } else if (k === 'proxy_url' && typeof v === 'string') {
      out[k] = redactUrlPassword(v);
    } else {
      out[k] = secret && v !== null && v !== undefined && v !== '' ? redactValue(v) : redactSecrets(v, k);
    }
  }
  return out;
}

/** Go's url.URL.Redacted(): the password of the userinfo becomes `xxxxx`. */
function redactUrlPassword(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    // Not a URL we can read: keep nothing that could be a credential.
    return text.includes('@') ? SECRET_PLACEHOLDER : text;
  }
  if (u.password === '') return text;
  u.password = 'xxxxx';
  return u.toString().replace(/\/$/, text.endsWith('/') ? '/' : '');
}

function redactValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(() => SECRET_PLACEHOLDER);
  return SECRET_PLACEHOLDER;
}

/** Whether a scrape config holds a secret (so the redacted answer differs). */
export function hasSecrets(value: unknown): boolean {
  return JSON.stringify(redactSecrets(value)) !== JSON.stringify(value);
}

export function servedScrapeConfig(job: ScrapeJob): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(job.raw)) {
    if (k.endsWith('_sd_configs') || k === 'static_configs') continue;
    out[k] = v;
  }
  out.job_name = job.name;
  if (out.scrape_interval === undefined) out.scrape_interval = formatDuration(job.target.scrapeIntervalMs);
  if (out.scrape_timeout === undefined) out.scrape_timeout = formatDuration(job.target.scrapeTimeoutMs);
  return out;
}

/** `{job_name: config}` as JSON: with secrets, and redacted. */
export function scrapeConfigsBodies(jobs: readonly ScrapeJob[]): { full: string; redacted: string } {
  const full: Record<string, unknown> = {};
  const redacted: Record<string, unknown> = {};
  for (const j of jobs) {
    full[j.name] = servedScrapeConfig(j);
    redacted[j.name] = redactSecrets(full[j.name]);
  }
  return { full: JSON.stringify(full), redacted: JSON.stringify(redacted) };
}

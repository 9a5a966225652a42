// Accept / Accept-Encoding negotiation for /metrics.
import type { ExpositionFormat } from '../../prometheus/textwrite.js';

/** What /metrics can answer with. */
export type ScrapeFormat = ExpositionFormat | 'protobuf';

interface MediaRange {
  readonly type: string;
  readonly q: number;
  readonly order: number;
  readonly params: ReadonlyMap<string, string>;
}

function parseList(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  const parts = header.split(',');
  for (let i = 0; i < parts.length && i < 64; i++) {
    const params = (parts[i] as string).split(';');
    const type = (params[0] as string).trim().toLowerCase();
    if (type === '') continue;
    let q = 1;
    const ps = new Map<string, string>();
    for (let j = 1; j < params.length && j < 16; j++) {
      const [k, v] = (params[j] as string).split('=');
      const key = k?.trim().toLowerCase() ?? '';
      if (v === undefined) continue;
      if (key === 'q') {
        const n = Number(v.trim());
        if (Number.isFinite(n)) q = Math.min(1, Math.max(0, n));
      } else {
        ps.set(key, v.trim());
      }
    }
    out.push({ type, q, order: i, params: ps });
  }
  return out;
}

export interface Offered {
  readonly openMetrics: boolean;
  readonly protobuf: boolean;
}

/**
 * The format for an Accept header, among those offered. Each format takes the q of the most
 * specific range that names it (`application/openmetrics-text`, then `application/*`, then `*` + `/*`);
 * the highest q wins. Among equal q, a format the client named beats one it reached by a wildcard,
 * then protobuf beats OpenMetrics beats text 0.0.4; a tie of wildcards only (e.g. curl's `*` + `/*`)
 * answers text 0.0.4, as does no header or anything unknown. Protobuf needs
 * `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited`.
 */
export function negotiateFormat(accept: string | undefined, offered: Offered): ScrapeFormat {
  if (accept === undefined || (!offered.openMetrics && !offered.protobuf)) return 'text';
  // q per format and how specific the range was: 3 named, 2 type/*, 1 */*, 0 not matched.
  const q = { protobuf: 0, openmetrics: 0, text: 0 };
  const spec = { protobuf: 0, openmetrics: 0, text: 0 };
  const take = (f: ScrapeFormat, level: number, value: number): void => {
    if (level > spec[f] || (level === spec[f] && value > q[f])) {
      spec[f] = level;
      q[f] = value;
    }
  };
  for (const r of parseList(accept)) {
    if (r.type === 'application/openmetrics-text') take('openmetrics', 3, r.q);
    else if (r.type === 'text/plain') take('text', 3, r.q);
    else if (r.type === 'application/vnd.google.protobuf') {
      if (r.params.get('proto') === 'io.prometheus.client.MetricFamily' && r.params.get('encoding') === 'delimited') {
        take('protobuf', 3, r.q);
      }
    } else if (r.type === 'application/*') {
      take('openmetrics', 2, r.q);
      take('protobuf', 2, r.q);
    } else if (r.type === 'text/*') take('text', 2, r.q);
    else if (r.type === '*/*') {
      take('openmetrics', 1, r.q);
      take('protobuf', 1, r.q);
      take('text', 1, r.q);
    }
  }
  const candidates: ScrapeFormat[] = ['protobuf', 'openmetrics', 'text'];
  let best: ScrapeFormat = 'text';
  let bestQ = 0;
  let bestNamed = false;
  for (const f of candidates) {
    if ((f === 'protobuf' && !offered.protobuf) || (f === 'openmetrics' && !offered.openMetrics)) continue;
    const named = spec[f] === 3;
    if (q[f] > bestQ || (q[f] === bestQ && q[f] > 0 && named && !bestNamed)) {
      best = f;
      bestQ = q[f];
      bestNamed = named;
    }
  }
  if (bestNamed || bestQ === 0) return best;
  // Reached only through wildcards: the plain text format if it is as welcome, else a text format
  // rather than a binary one.
  if (q.text === bestQ) return 'text';
  return offered.openMetrics && q.openmetrics === bestQ ? 'openmetrics' : best;
}

/** Whether the client accepts a gzip body (`gzip` or `*` with q > 0). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  let gzip: number | undefined;
  let star: number | undefined;
  for (const r of parseList(acceptEncoding)) {
    if (r.type === 'gzip') gzip = r.q;
    else if (r.type === '*') star = r.q;
  }
  return (gzip ?? star ?? 0) > 0;
}

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
 * The format for an Accept header, among those offered: the one the client ranks highest, ties
 * going to protobuf, then OpenMetrics, then text 0.0.4. Text 0.0.4 is also the answer for no
 * header, `*` wildcards or anything unknown. Protobuf needs
 * `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited`.
 */
export function negotiateFormat(accept: string | undefined, offered: Offered): ScrapeFormat {
  if (accept === undefined || (!offered.openMetrics && !offered.protobuf)) return 'text';
  let om = -1;
  let text = -1;
  let pb = -1;
  for (const r of parseList(accept)) {
    if (r.type === 'application/openmetrics-text') om = Math.max(om, r.q);
    else if (r.type === 'text/plain') text = Math.max(text, r.q);
    else if (
      r.type === 'application/vnd.google.protobuf' &&
      r.params.get('proto') === 'io.prometheus.client.MetricFamily' &&
      r.params.get('encoding') === 'delimited'
    ) {
      pb = Math.max(pb, r.q);
    }
  }
  if (offered.protobuf && pb > 0 && pb >= om && pb >= text) return 'protobuf';
  if (offered.openMetrics && om > 0 && om >= text) return 'openmetrics';
  return 'text';
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

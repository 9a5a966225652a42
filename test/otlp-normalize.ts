// Compare OTLP/JSON documents written by different encoders field by field.
// Both sides are parsed with JSON.parse only (no Switchyard code), then brought to one canonical
// form: int64 fields as decimal strings, proto3 default values dropped, and items flattened with
// their resource and scope so that batching and merging do not matter.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const INT64_KEYS = new Set([
  'timeUnixNano',
  'startTimeUnixNano',
  'endTimeUnixNano',
  'observedTimeUnixNano',
  'intValue',
  'asInt',
  'count',
  'zeroCount',
]);

function isDefault(v: Json): boolean {
  return (
    v === null ||
    v === 0 ||
    v === '' ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)
  );
}

export function canonical(v: Json, key = ''): Json {
  if (Array.isArray(v)) {
    if (key === 'bucketCounts') return v.map((x) => String(x));
    return v.map((x) => canonical(x));
  }
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) {
      const c = canonical(v[k] as Json, k);
      // A oneof value of 0 / "" / false is meaningful: keep AnyValue and point values.
      const keepZero = k === 'asDouble' || k === 'asInt' || k.endsWith('Value');
      if (!keepZero && isDefault(c)) continue;
      out[k] = c;
    }
    return out;
  }
  if (INT64_KEYS.has(key) && (typeof v === 'number' || typeof v === 'string')) return String(v);
  if ((key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof v === 'string')
    return v.toLowerCase();
  return v;
}

interface Flat {
  readonly resource: Json;
  readonly scope: Json;
  readonly item: Json;
}

const LISTS = {
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
} as const;

/** Every item of one or more Export*ServiceRequest JSON documents, with its resource and scope. */
export function flatten(signal: keyof typeof LISTS, docs: readonly Json[]): Flat[] {
  const [top, mid, leaf] = LISTS[signal];
  const out: Flat[] = [];
  for (const d of docs) {
    const doc = d as { [k: string]: Json };
    for (const r of (doc[top] as { [k: string]: Json }[] | undefined) ?? []) {
      for (const s of (r[mid] as { [k: string]: Json }[] | undefined) ?? []) {
        for (const item of (s[leaf] as Json[] | undefined) ?? []) {
          out.push({
            resource: canonical(r.resource ?? {}),
            scope: canonical(s.scope ?? {}),
            item: canonical(item),
          });
        }
      }
    }
  }
  return out.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

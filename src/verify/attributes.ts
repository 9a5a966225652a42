// Attribute parity: which attribute keys a metric (or span path) carried before and after a migration, and what
// happened to each. Shared by the metric comparison and the trace comparison (src/verify/traces/).
import type { AnyValue, KeyValue } from '../pdata/model.js';

export type AttrStatus =
  | 'OK'
  | 'RENAMED'
  | 'MOVED'
  | 'ALLOWED'
  | 'MISSING'
  | 'ADDED'
  | 'TYPE_CHANGED'
  | 'CARDINALITY_CHANGED';
export type AttrValueType = 'string' | 'int' | 'double' | 'bool' | 'bytes' | 'array' | 'kvlist' | 'empty';

export interface AttrKeyProfile {
  readonly key: string;
  readonly where: 'attribute' | 'resource';
  readonly types: readonly AttrValueType[];
  /** Distinct values seen, counted exactly up to `DISTINCT_CAP` (then the cap is reported). */
  readonly distinct: number;
  /** Points/spans carrying the key. */
  readonly present: number;
  /** Points/spans of the metric / span path. */
  readonly total: number;
}

export interface AttrFinding {
  readonly key: string;
  readonly status: AttrStatus;
  /** For RENAMED / MOVED: the key (and place) it has in the candidate. */
  readonly candidateKey?: string;
  /** One human sentence. */
  readonly detail: string;
  /** A config change that would restore parity (a `views` rule, a rename mapping, an allow-list entry). */
  readonly fix?: string;
}

export interface AttrParityOptions {
  readonly subject: { readonly kind: 'metric' | 'span'; readonly name: string };
  /** Baseline key -> candidate key (from packs / schema files). */
  readonly renames?: ReadonlyMap<string, string>;
  /** Keys (globs: `*`, `?`) that may appear or disappear. */
  readonly allow?: readonly string[];
  /** Distinct-value ratio (either way) beyond which a key is CARDINALITY_CHANGED; default 2. */
  readonly cardinalityRatio?: number;
}

/** Distinct values are counted exactly up to this many per key; profiles report the cap beyond it. */
export const DISTINCT_CAP = 10_000;

/** Allow-list packs: keys an agent, backend or client library adds or removes by itself. */
export const ALLOW_PACKS: Readonly<Record<string, readonly string[]>> = {
  // statsd_exporter / Datadog agent / Telegraf-style automatic tags.
  statsd: ['host', 'hostname', 'metric_type', 'statsd.*', 'source', 'env', 'version', 'service'],
  // Labels a Prometheus server or the OTLP->Prometheus translation add.
  prometheus: ['job', 'instance', 'otel_scope_*', 'otel_scope.*', 'service.instance.id', 'service_instance_id', 'le'],
  // Tags Jaeger clients (and the OpenTracing shims) attach to every span.
  jaeger: [
    'jaeger.version',
    'hostname',
    'ip',
    'client-uuid',
    'sampler.type',
    'sampler.param',
    'otel.library.name',
    'otel.library.version',
    'otel.scope.name',
    'otel.scope.version',
    'span.kind',
    'internal.span.format',
  ],
};

/** `*` any run, `?` one character; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

export function matchesAny(key: string, globs: readonly RegExp[]): boolean {
  for (const g of globs) if (g.test(key)) return true;
  return false;
}

export function valueType(v: AnyValue): AttrValueType {
  if (v === null) return 'empty';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    default:
      if (v instanceof Uint8Array) return 'bytes';
      if (Array.isArray(v)) return 'array';
      return 'kvlist';
  }
}

function valueText(v: AnyValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

interface KeyAcc {
  types: Set<AttrValueType>;
  values: Set<string>;
  present: number;
}

/**
 * Builds attribute-key profiles incrementally: call `add` once per data point / span with its own attributes and
 * its resource attributes, then `profiles()`. Numbers as text are not unified with strings: a type change is a finding.
 */
export class AttrProfiler {
  private readonly attrs = new Map<string, KeyAcc>();
  private readonly resource = new Map<string, KeyAcc>();
  private count = 0;

  add(attributes: readonly KeyValue[], resource: readonly KeyValue[] = []): void {
    this.count++;
    record(this.attrs, attributes);
    record(this.resource, resource);
  }

  /** Adds `n` items that carried exactly these attributes (a series of n points). */
  addMany(n: number, attributes: readonly KeyValue[], resource: readonly KeyValue[] = []): void {
    if (n <= 0) return;
    this.count += n;
    record(this.attrs, attributes, n);
    record(this.resource, resource, n);
  }

  get total(): number {
    return this.count;
  }

  profiles(): AttrKeyProfile[] {
    const out: AttrKeyProfile[] = [];
    const emit = (m: Map<string, KeyAcc>, where: 'attribute' | 'resource'): void => {
      for (const [key, acc] of [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        out.push({
          key,
          where,
          types: [...acc.types].sort(),
          distinct: acc.values.size,
          present: acc.present,
          total: this.count,
        });
      }
    };
    emit(this.attrs, 'attribute');
    emit(this.resource, 'resource');
    return out;
  }
}

function record(m: Map<string, KeyAcc>, kvs: readonly KeyValue[], n = 1): void {
  for (const kv of kvs) {
    let acc = m.get(kv.key);
    if (acc === undefined) {
      acc = { types: new Set(), values: new Set(), present: 0 };
      m.set(kv.key, acc);
    }
    acc.present += n;
    acc.types.add(valueType(kv.value));
    if (acc.values.size < DISTINCT_CAP) acc.values.add(valueText(kv.value));
  }
}

/** One-shot profile of a list of items, each a point/span attribute list plus its resource attributes. */
export function profileAttributes(
  items: Iterable<{ readonly attributes: readonly KeyValue[]; readonly resource?: readonly KeyValue[] }>,
): AttrKeyProfile[] {
  const p = new AttrProfiler();
  for (const it of items) p.add(it.attributes, it.resource ?? []);
  return p.profiles();
}

function sameTypes(a: readonly AttrValueType[], b: readonly AttrValueType[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pct(present: number, total: number): string {
  return total > 0 ? `${Math.round((100 * present) / total)}%` : '0%';
}

function viewsExcludeFix(name: string, key: string): string {
  return [
    'processors:',
    '  views:',
    '    views:',
    `      - selector: { instrument_name: ${JSON.stringify(name)} }`,
    `        stream: { attribute_keys: { excluded: [${JSON.stringify(key)}] } }`,
  ].join('\n');
}

/**
 * Compares baseline and candidate attribute-key profiles of one subject (a metric or a span path). Every baseline key
 * gets one finding (OK, RENAMED, MOVED, ALLOWED, MISSING, TYPE_CHANGED, CARDINALITY_CHANGED); every candidate key not
 * accounted for gets ADDED (or ALLOWED). Findings are ordered: problems first, then by key.
 */
export function compareAttributes(
  baseline: readonly AttrKeyProfile[],
  candidate: readonly AttrKeyProfile[],
  opts: AttrParityOptions,
): AttrFinding[] {
  const ratioLimit = opts.cardinalityRatio ?? 2;
  const allow = (opts.allow ?? []).map(globToRegExp);
  const renames = opts.renames ?? new Map<string, string>();
  const { kind, name } = opts.subject;
  const subj = `${kind} ${name}`;
  const candAttr = new Map<string, AttrKeyProfile>();
  const candRes = new Map<string, AttrKeyProfile>();
  for (const p of candidate) (p.where === 'attribute' ? candAttr : candRes).set(p.key, p);
  const used = new Set<string>(); // `${where}\0${key}` of candidate profiles accounted for
  const out: AttrFinding[] = [];

  const checkSame = (b: AttrKeyProfile, c: AttrKeyProfile, status: 'OK' | 'RENAMED' | 'MOVED'): AttrFinding => {
    const where = c.where === 'resource' ? 'resource attribute' : 'attribute';
    const ck = status === 'OK' ? undefined : c.key;
    if (!sameTypes(b.types, c.types)) {
      return {
        key: b.key,
        status: 'TYPE_CHANGED',
        ...(ck !== undefined ? { candidateKey: ck } : {}),
        detail: `${subj}: ${b.key} was ${b.types.join('|')} and is now ${c.types.join('|')}${ck !== undefined ? ` (as ${where} ${ck})` : ''}.`,
        fix: `convert the value back to ${b.types.join('|')} where it is recorded (e.g. String(value) / Number(value)) so queries and joins on ${b.key} keep matching`,
      };
    }
    const hiD = Math.max(b.distinct, c.distinct);
    const loD = Math.max(1, Math.min(b.distinct, c.distinct));
    if (hiD / loD > ratioLimit && hiD - loD > 1) {
      const more = c.distinct > b.distinct;
      return {
        key: b.key,
        status: 'CARDINALITY_CHANGED',
        ...(ck !== undefined ? { candidateKey: ck } : {}),
        detail: `${subj}: ${b.key} had ${b.distinct} distinct value(s) and now has ${c.distinct}${ck !== undefined ? ` (as ${where} ${ck})` : ''}.`,
        fix: more
          ? `the candidate records finer values for ${c.key} (ids, raw paths?); normalise them at the source, or drop the key:\n${viewsExcludeFix(name, c.key)}`
          : `the candidate collapses ${b.key} to fewer values; check the instrumentation records the same value source`,
      };
    }
    if (status === 'OK') {
      return {
        key: b.key,
        status,
        detail: `${subj}: ${b.key} kept (${b.distinct} value(s), ${pct(c.present, c.total)} of items).`,
      };
    }
    if (status === 'RENAMED') {
      return {
        key: b.key,
        status,
        candidateKey: c.key,
        detail: `${subj}: ${b.key} is now ${c.key} (a known rename).`,
      };
    }
    return {
      key: b.key,
      status,
      candidateKey: c.key,
      detail: `${subj}: ${b.key} moved from the ${b.where === 'resource' ? 'resource' : 'point attributes'} to the ${c.where === 'resource' ? 'resource' : 'point attributes'}${c.key !== b.key ? ` as ${c.key}` : ''}.`,
      fix:
        c.where === 'resource'
          ? `queries on ${b.key} must read the resource attribute (Prometheus: target_info join or resource_to_telemetry_conversion)`
          : `queries on the resource attribute ${b.key} must read the point attribute ${c.key}`,
    };
  };

  const take = (p: AttrKeyProfile): void => {
    used.add(`${p.where}\0${p.key}`);
  };

  for (const b of baseline) {
    const same = (b.where === 'attribute' ? candAttr : candRes).get(b.key);
    if (same !== undefined) {
      take(same);
      out.push(checkSame(b, same, 'OK'));
      continue;
    }
    const renamed = renames.get(b.key);
    if (renamed !== undefined) {
      const r = (b.where === 'attribute' ? candAttr : candRes).get(renamed);
      if (r !== undefined) {
        take(r);
        out.push(checkSame(b, r, 'RENAMED'));
        continue;
      }
      const rm = (b.where === 'attribute' ? candRes : candAttr).get(renamed);
      if (rm !== undefined) {
        take(rm);
        out.push(checkSame(b, rm, 'MOVED'));
        continue;
      }
    }
    const moved = (b.where === 'attribute' ? candRes : candAttr).get(b.key);
    if (moved !== undefined) {
      take(moved);
      out.push(checkSame(b, moved, 'MOVED'));
      continue;
    }
    if (matchesAny(b.key, allow)) {
      out.push({ key: b.key, status: 'ALLOWED', detail: `${subj}: ${b.key} is gone; it is on the allow-list.` });
      continue;
    }
    out.push({
      key: b.key,
      status: 'MISSING',
      detail: `${subj}: ${b.where === 'resource' ? 'resource attribute' : 'attribute'} ${b.key} (${b.distinct} value(s), on ${pct(b.present, b.total)} of items) is missing in the candidate.`,
      fix:
        kind === 'metric'
          ? `record ${b.key} again in the new instrumentation; if a views processor drops it, keep it:\n${viewsKeepFix(name, b.key)}`
          : `set ${b.key} on the span again in the new instrumentation, or map its new name with --rename-attribute ${b.key}=NEW`,
    });
  }

  for (const c of candidate) {
    if (used.has(`${c.where}\0${c.key}`)) continue;
    if (matchesAny(c.key, allow)) {
      out.push({ key: c.key, status: 'ALLOWED', detail: `${subj}: ${c.key} is new; it is on the allow-list.` });
      continue;
    }
    const missing = out.find((f) => f.status === 'MISSING');
    const hint =
      missing !== undefined
        ? ` If it replaces ${missing.key}, map it: --rename-attribute ${missing.key}=${c.key}.`
        : '';
    out.push({
      key: c.key,
      status: 'ADDED',
      detail: `${subj}: ${c.where === 'resource' ? 'resource attribute' : 'attribute'} ${c.key} (${c.distinct} value(s)) is new in the candidate.${hint}`,
      fix:
        missing !== undefined
          ? `switchyard verify ... --rename-attribute ${missing.key}=${c.key}`
          : kind === 'metric' && c.where === 'attribute'
            ? `drop it to keep the series identical:\n${viewsExcludeFix(name, c.key)}`
            : `allow it: --allow-attribute ${c.key}`,
    });
  }

  // A key that vanished while another appeared is most often a rename nobody mapped: say so on the MISSING key too.
  const added = out.filter((f) => f.status === 'ADDED').map((f) => f.key);
  if (added.length > 0) {
    for (let i = 0; i < out.length; i++) {
      const f = out[i] as AttrFinding;
      if (f.status !== 'MISSING') continue;
      out[i] = {
        ...f,
        fix: `if ${added.length === 1 ? added[0] : `one of ${added.join(', ')}`} replaces it, map it: --rename-attribute ${f.key}=${added[0]}\notherwise ${f.fix ?? ''}`,
      };
    }
  }
  const rank: Record<AttrStatus, number> = {
    MISSING: 0,
    TYPE_CHANGED: 1,
    ADDED: 2,
    CARDINALITY_CHANGED: 3,
    MOVED: 4,
    RENAMED: 5,
    ALLOWED: 6,
    OK: 7,
  };
  return out.sort((a, b) => rank[a.status] - rank[b.status] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function viewsKeepFix(name: string, key: string): string {
  return [
    'processors:',
    '  views:',
    '    views:',
    `      - selector: { instrument_name: ${JSON.stringify(name)} }`,
    `        stream: { attribute_keys: { included: [${JSON.stringify(key)}, ...] } }`,
  ].join('\n');
}

/**
 * How much a finding weighs: a key that disappeared breaks queries and alerts (fail); a new key, a type change (StatsD
 * tags are all strings; values still match as text) or a cardinality change splits or merges series (warn); the rest keeps queries working with the mapping shown (info).
 */
export function attrSeverity(status: AttrStatus): 'fail' | 'warn' | 'info' {
  switch (status) {
    case 'MISSING':
      return 'fail';
    case 'TYPE_CHANGED':
    case 'ADDED':
    case 'CARDINALITY_CHANGED':
    case 'MOVED':
      return 'warn';
    case 'OK':
    case 'RENAMED':
    case 'ALLOWED':
      return 'info';
    default: {
      const never: never = status;
      return never;
    }
  }
}

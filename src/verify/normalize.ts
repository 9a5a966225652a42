// Normalization before comparing: metric names (OTLP <-> Prometheus <-> StatsD), units, attribute-key renames
// (built-in packs, OTel schema files, statsd_exporter-style mapping files).
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { unitFromWord } from '../prometheus/naming.js';
import { VerifyInputError } from './input.js';

// ---------------------------------------------------------------- rename rules

export interface RenameRules {
  /** Old metric name -> new metric name (exact OTel names). */
  readonly metrics: Map<string, string>;
  /** Old attribute key -> new key (metrics, spans and resources alike). */
  readonly attributes: Map<string, string>;
}

export function emptyRules(): RenameRules {
  return { metrics: new Map(), attributes: new Map() };
}

/** Built-in packs: semantic-convention renames that every migration meets. */
export const RENAME_PACKS: Readonly<
  Record<string, { metrics: Record<string, string>; attributes: Record<string, string> }>
> = {
  // HTTP semconv 1.20 -> 1.21+ (stable HTTP conventions; schema 1.21.0 / 1.22.0 plus the HTTP migration guide).
  http: {
    metrics: {
      'http.server.duration': 'http.server.request.duration',
      'http.client.duration': 'http.client.request.duration',
      'http.server.request.size': 'http.server.request.body.size',
      'http.server.response.size': 'http.server.response.body.size',
      'http.client.request.size': 'http.client.request.body.size',
      'http.client.response.size': 'http.client.response.body.size',
    },
    attributes: {
      'http.method': 'http.request.method',
      'http.status_code': 'http.response.status_code',
      'http.url': 'url.full',
      'http.scheme': 'url.scheme',
      'http.target': 'url.path',
      'http.client_ip': 'client.address',
      'http.user_agent': 'user_agent.original',
      'http.flavor': 'network.protocol.version',
      'http.request_content_length': 'http.request.body.size',
      'http.response_content_length': 'http.response.body.size',
      'net.host.name': 'server.address',
      'net.host.port': 'server.port',
      'net.sock.peer.addr': 'network.peer.address',
      'net.sock.peer.port': 'network.peer.port',
      'net.protocol.name': 'network.protocol.name',
      'net.protocol.version': 'network.protocol.version',
    },
  },
  // peer.service -> service.peer.name (semconv 1.39.0).
  peer: { metrics: {}, attributes: { 'peer.service': 'service.peer.name' } },
};

export function addPack(rules: RenameRules, pack: string): void {
  const p = RENAME_PACKS[pack];
  if (p === undefined) {
    throw new VerifyInputError(`unknown rename pack "${pack}"; known packs: ${Object.keys(RENAME_PACKS).join(', ')}`);
  }
  for (const [k, v] of Object.entries(p.metrics)) rules.metrics.set(k, v);
  for (const [k, v] of Object.entries(p.attributes)) rules.attributes.set(k, v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Adds a rename old->new, chaining with what is there (a->b then b->c gives a->c and b->c). */
function chain(map: Map<string, string>, from: string, to: string): void {
  for (const [k, v] of map) if (v === from) map.set(k, to);
  if (from !== to) map.set(from, to);
}

/**
 * Reads an OpenTelemetry schema file (file_format 1.x): every version's `all`, `resources`, `spans`,
 * `span_events`, `metrics` and `logs` sections, `rename_attributes.attribute_map` and `rename_metrics`,
 * applied in version order (old -> newest).
 */
export function parseSchemaFile(text: string, file: string, into: RenameRules = emptyRules()): RenameRules {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const pos =
      e instanceof YAMLParseError && e.linePos !== undefined ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    throw new VerifyInputError(`${file}${pos}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isRecord(doc) || !isRecord(doc.versions)) {
    throw new VerifyInputError(`${file}: not an OpenTelemetry schema file: no "versions" map`);
  }
  const versions = Object.keys(doc.versions).sort(compareVersions);
  for (const v of versions) {
    const body = doc.versions[v];
    if (body === null || body === undefined) continue;
    if (!isRecord(body)) throw new VerifyInputError(`${file}: versions.${v} must be a map`);
    for (const section of ['all', 'resources', 'spans', 'span_events', 'metrics', 'logs']) {
      const sec = body[section];
      if (sec === undefined || sec === null) continue;
      if (!isRecord(sec) || !Array.isArray(sec.changes)) {
        throw new VerifyInputError(`${file}: versions.${v}.${section} must have a "changes" list`);
      }
      sec.changes.forEach((ch: unknown, i: number) => {
        const where = `${file}: versions.${v}.${section}.changes[${i}]`;
        if (!isRecord(ch)) throw new VerifyInputError(`${where} must be a map`);
        const ra = ch.rename_attributes;
        if (ra !== undefined) {
          if (!isRecord(ra) || !isRecord(ra.attribute_map)) {
            throw new VerifyInputError(`${where}.rename_attributes needs an attribute_map of old: new keys`);
          }
          for (const [from, to] of Object.entries(ra.attribute_map)) {
            if (typeof to !== 'string')
              throw new VerifyInputError(`${where}.rename_attributes.attribute_map.${from} must be a string`);
            chain(into.attributes, from, to);
          }
        }
        const rm = ch.rename_metrics;
        if (rm !== undefined) {
          if (!isRecord(rm)) throw new VerifyInputError(`${where}.rename_metrics must be a map of old: new names`);
          for (const [from, to] of Object.entries(rm)) {
            if (typeof to !== 'string') throw new VerifyInputError(`${where}.rename_metrics.${from} must be a string`);
            chain(into.metrics, from, to);
          }
        }
      });
    }
  }
  return into;
}

// ---------------------------------------------------------------- statsd_exporter-style mapping

export interface StatsdMappingRule {
  readonly match: RegExp;
  readonly name?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly drop: boolean;
  readonly matchMetricType?: string;
}

/** statsd_exporter glob: `*` matches one dot-separated segment (no dots); captures are $1.. in order. */
function statsdGlob(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '([^.]*)';
    else re += ch.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

/** Reads a statsd_exporter mapping file (`mappings: [{match, name, labels, match_type, action}]`). */
export function parseMappingFile(text: string, file: string): StatsdMappingRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const pos =
      e instanceof YAMLParseError && e.linePos !== undefined ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    throw new VerifyInputError(`${file}${pos}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isRecord(doc) || !Array.isArray(doc.mappings)) {
    throw new VerifyInputError(`${file}: not a statsd_exporter mapping file: no "mappings" list`);
  }
  return doc.mappings.map((m: unknown, i: number): StatsdMappingRule => {
    const where = `${file}: mappings[${i}]`;
    if (!isRecord(m) || typeof m.match !== 'string') throw new VerifyInputError(`${where} needs a "match" string`);
    const matchType = m.match_type ?? 'glob';
    let match: RegExp;
    if (matchType === 'regex') {
      try {
        match = new RegExp(m.match);
      } catch (e) {
        throw new VerifyInputError(`${where}.match is not a valid regex: ${(e as Error).message}`);
      }
    } else if (matchType === 'glob') {
      match = statsdGlob(m.match);
    } else {
      throw new VerifyInputError(`${where}.match_type must be glob or regex, not ${String(matchType)}`);
    }
    const drop = m.action === 'drop';
    if (!drop && typeof m.name !== 'string') throw new VerifyInputError(`${where} needs a "name" (or action: drop)`);
    const labels: Record<string, string> = {};
    if (m.labels !== undefined) {
      if (!isRecord(m.labels)) throw new VerifyInputError(`${where}.labels must be a map`);
      for (const [k, v] of Object.entries(m.labels)) labels[k] = String(v);
    }
    return {
      match,
      ...(typeof m.name === 'string' ? { name: m.name } : {}),
      labels,
      drop,
      ...(typeof m.match_metric_type === 'string' ? { matchMetricType: m.match_metric_type } : {}),
    };
  });
}

function expand(template: string, groups: readonly string[]): string {
  return template.replace(/\$\{(\d+)\}|\$(\d+)/g, (_m, a: string | undefined, b: string | undefined) => {
    const i = Number(a ?? b);
    return groups[i] ?? '';
  });
}

export type MappingResult =
  | { readonly kind: 'drop' }
  | { readonly kind: 'map'; readonly name: string; readonly labels: Record<string, string> };

/** statsd_exporter's `match_metric_type` values and their aliases (`timer` and `histogram` are observers). */
export type StatsdMetricType = 'counter' | 'gauge' | 'observer';

function sameMetricType(want: string, got: StatsdMetricType | undefined): boolean {
  if (got === undefined) return true;
  const w = want.toLowerCase();
  return (w === 'timer' || w === 'histogram' || w === 'summary' || w === 'distribution' ? 'observer' : w) === got;
}

/**
 * First matching rule wins (statsd_exporter semantics); undefined when no rule matches. A rule with
 * `match_metric_type` only matches metrics of that type (when `type` is known).
 */
export function applyMapping(
  rules: readonly StatsdMappingRule[],
  name: string,
  type?: StatsdMetricType,
): MappingResult | undefined {
  for (const r of rules) {
    if (r.matchMetricType !== undefined && !sameMetricType(r.matchMetricType, type)) continue;
    const m = r.match.exec(name);
    if (m === null) continue;
    if (r.drop) return { kind: 'drop' };
    const groups = [...m];
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.labels)) labels[k] = expand(v, groups);
    return { kind: 'map', name: expand(r.name ?? name, groups), labels };
  }
  return undefined;
}

// ---------------------------------------------------------------- names and units

export type Dimension = 'time' | 'bytes' | 'bits' | 'ratio' | 'other';

interface UnitInfo {
  readonly dim: Dimension;
  /** Multiply a value in this unit by `factor` to get the dimension's base unit (s, By, bit, 1). */
  readonly factor: number;
  readonly base: string;
}

const UNITS: Readonly<Record<string, UnitInfo>> = {
  ns: { dim: 'time', factor: 1e-9, base: 's' },
  us: { dim: 'time', factor: 1e-6, base: 's' },
  ms: { dim: 'time', factor: 1e-3, base: 's' },
  s: { dim: 'time', factor: 1, base: 's' },
  min: { dim: 'time', factor: 60, base: 's' },
  h: { dim: 'time', factor: 3600, base: 's' },
  d: { dim: 'time', factor: 86400, base: 's' },
  By: { dim: 'bytes', factor: 1, base: 'By' },
  KiBy: { dim: 'bytes', factor: 1024, base: 'By' },
  MiBy: { dim: 'bytes', factor: 1024 ** 2, base: 'By' },
  GiBy: { dim: 'bytes', factor: 1024 ** 3, base: 'By' },
  TiBy: { dim: 'bytes', factor: 1024 ** 4, base: 'By' },
  KBy: { dim: 'bytes', factor: 1e3, base: 'By' },
  MBy: { dim: 'bytes', factor: 1e6, base: 'By' },
  GBy: { dim: 'bytes', factor: 1e9, base: 'By' },
  TBy: { dim: 'bytes', factor: 1e12, base: 'By' },
  bit: { dim: 'bits', factor: 1, base: 'bit' },
  Kibit: { dim: 'bits', factor: 1024, base: 'bit' },
  Mibit: { dim: 'bits', factor: 1024 ** 2, base: 'bit' },
  '1': { dim: 'ratio', factor: 1, base: '1' },
  '%': { dim: 'ratio', factor: 0.01, base: '1' },
};

/** Spelled-out units some SDKs write instead of UCUM (Micrometer: `milliseconds`, `seconds`, `bytes`). */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  nanosecond: 'ns',
  nanoseconds: 'ns',
  microsecond: 'us',
  microseconds: 'us',
  μs: 'us',
  millisecond: 'ms',
  milliseconds: 'ms',
  msec: 'ms',
  second: 's',
  seconds: 's',
  sec: 's',
  minute: 'min',
  minutes: 'min',
  hour: 'h',
  hours: 'h',
  day: 'd',
  days: 'd',
  byte: 'By',
  bytes: 'By',
  kibibytes: 'KiBy',
  mebibytes: 'MiBy',
  gibibytes: 'GiBy',
  kilobytes: 'KBy',
  megabytes: 'MBy',
  gigabytes: 'GBy',
  percent: '%',
  ratio: '1',
};

function unitInfo(u: string): UnitInfo | undefined {
  return UNITS[u] ?? UNITS[UNIT_WORDS[u.toLowerCase()] ?? ''];
}

/** The base unit and factor of a UCUM unit (`ms` -> s × 0.001, `KiBy/s` -> By/s × 1024); annotations count as ''. */
export function unitScale(unit: string): { readonly base: string; readonly factor: number } {
  const clean = unit.replace(/\{[^}]*\}/g, '').trim();
  if (clean === '') return { base: '', factor: 1 };
  const slash = clean.indexOf('/');
  const main = slash < 0 ? clean : clean.slice(0, slash);
  const per = slash < 0 ? '' : clean.slice(slash + 1);
  const mi = main === '' ? { base: '', factor: 1 } : (unitInfo(main) ?? { base: main, factor: 1 });
  if (per === '') return { base: mi.base, factor: mi.factor };
  const pi = unitInfo(per) ?? { base: per, factor: 1 };
  return { base: `${mi.base}/${pi.base}`, factor: mi.factor / pi.factor };
}

/** Attribute keys and name tokens compared across naming styles: lower case, runs of non-[a-z0-9:] become `_`. */
export function canonKey(k: string): string {
  return k
    .toLowerCase()
    .replace(/[^a-z0-9:]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const SUFFIX_WORDS = new Set([
  'seconds',
  'milliseconds',
  'microseconds',
  'nanoseconds',
  'minutes',
  'hours',
  'days',
  'bytes',
  'kibibytes',
  'mebibytes',
  'gibibytes',
  'kilobytes',
  'megabytes',
  'gigabytes',
  'percent',
  'ratio',
]);

/**
 * The name metrics are matched by, across OTLP, Prometheus and StatsD spellings:
 * `http.server.duration` (unit ms), `http_server_duration_milliseconds`, `http_server_duration_seconds` (unit s)
 * and StatsD `http.server.duration` all become `http_server_duration`. A unit suffix of a unitless metric gives its
 * unit (`_seconds` -> s); `_total`, `_count`/`_sum`/`_bucket` (Prometheus series of one family) are removed.
 */
export function canonicalMetric(name: string, unit: string): { readonly canon: string; readonly unit: string } {
  let toks = canonKey(name)
    .split('_')
    .filter((t) => t !== '');
  let u = unit;
  if (toks.length > 1 && toks[toks.length - 1] === 'total') toks = toks.slice(0, -1);
  // `x_per_y` rates: keep as they are (part of the name).
  const last = toks[toks.length - 1];
  if (toks.length > 1 && last !== undefined && SUFFIX_WORDS.has(last)) {
    const fromWord = unitFromWord(last);
    if (u === '' || u === '1') u = fromWord === 'ratio' ? '1' : fromWord;
    toks = toks.slice(0, -1);
  }
  return { canon: toks.join('_'), unit: u };
}

/** A measured ratio that looks like a unit mix-up (×1000, ×1e6, ×1024...), named for the report; undefined if none. */
export function unitSuspicion(ratio: number): string | undefined {
  if (!(ratio > 0) || !Number.isFinite(ratio)) return undefined;
  const cands: [number, string][] = [
    [1000, 'looks like milliseconds recorded where seconds are declared (×1000)'],
    [1 / 1000, 'looks like seconds recorded where milliseconds are declared (×0.001)'],
    [1e6, 'looks like microseconds recorded where seconds are declared (×1e6)'],
    [1e-6, 'looks like a ×1e-6 unit mix-up (seconds vs microseconds)'],
    [1024, 'looks like KiB recorded where bytes are declared (×1024)'],
    [1 / 1024, 'looks like bytes recorded where KiB are declared (×1/1024)'],
    [100, 'looks like percent recorded where a ratio (unit 1) is declared (×100)'],
    [1 / 100, 'looks like a ratio recorded where percent is declared (×0.01)'],
  ];
  for (const [f, text] of cands) if (Math.abs(Math.log(ratio / f)) < Math.log(1.25)) return text;
  return undefined;
}

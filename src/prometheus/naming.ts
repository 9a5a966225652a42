// OTLP -> Prometheus names (metric names, label names, label sets), following the OpenTelemetry
// compatibility spec and the rules of prometheus/otlptranslator's default strategy
// (UnderscoreEscapingWithSuffixes, or WithoutSuffixes when suffixes are off). Pure functions:
// shared by the pull exporter, remote write and the verifier.
import type { AnyValue, KeyValue } from '../pdata/model.js';

/** What decides the name suffixes: `_total` for monotonic counters, `_ratio` for unit-1 gauges. */
export type PromNameKind = 'counter' | 'gauge' | 'histogram' | 'summary';

/** The kinds names are built for: a non-monotonic sum (`updowncounter`) is a Prometheus gauge but
 * gets no `_ratio` (otlptranslator's MetricTypeNonMonotonicCounter). */
export type NameKind = PromNameKind | 'updowncounter';

export interface MetricNameOptions {
  /** Append unit, `_total` and `_ratio` suffixes (the Collector's `add_metric_suffixes`). Default true. */
  readonly addSuffixes?: boolean;
  /** Prefix, joined with `_` (already sanitized by the caller or by this function). */
  readonly namespace?: string;
}

/** UCUM unit -> Prometheus unit word. */
const UNIT_MAP: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

/** Prometheus unit word -> UCUM unit: the inverse of the map above, plus `ratio` -> `1`. */
const WORD_TO_UNIT: Readonly<Record<string, string>> = Object.fromEntries([
  ...Object.entries(UNIT_MAP)
    .filter(([, word]) => word !== '')
    .map(([ucum, word]) => [word, ucum]),
  ['ratio', '1'],
]);

/**
 * UCUM unit of a Prometheus unit word (an OpenMetrics `# UNIT`, remote write metadata, a name's
 * suffix): `seconds` -> `s`, `ratio` -> `1`; words it does not know pass through as they are.
 */
export function unitFromWord(word: string | undefined): string {
  if (word === undefined || word === '') return '';
  return WORD_TO_UNIT[word] ?? word;
}

/** UCUM unit after `/` -> Prometheus word (prefixed with `per_`). */
const PER_UNIT_MAP: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function isNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 58 // :
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Split on every character outside [a-zA-Z0-9:], dropping empty tokens. */
function tokens(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (isNameChar(s.charCodeAt(i))) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push(s.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}

/** A unit word sanitized to [a-zA-Z0-9:] runs joined by `_`; '' when nothing is left. */
function cleanUnit(word: string): string {
  return tokens(word).join('_');
}

/** The unit's main and per words (already mapped and cleaned); '' where absent or annotations. */
export function unitSuffixes(unit: string): { main: string; per: string } {
  const slash = unit.indexOf('/');
  const mainRaw = slash < 0 ? unit : unit.slice(0, slash);
  const perRaw = slash < 0 ? '' : unit.slice(slash + 1);
  const annotated = (s: string): boolean => s.includes('{') || s.includes('}');
  const main = mainRaw === '' || annotated(mainRaw) ? '' : cleanUnit(UNIT_MAP[mainRaw] ?? mainRaw);
  const per = perRaw === '' || annotated(perRaw) ? '' : cleanUnit(PER_UNIT_MAP[perRaw] ?? perRaw);
  return { main, per };
}

/** The Prometheus unit word for `# UNIT` lines (main and `per_` part joined), '' when none. */
export function unitWord(unit: string): string {
  const { main, per } = unitSuffixes(unit);
  if (main !== '' && per !== '') return `${main}_per_${per}`;
  if (per !== '') return `per_${per}`;
  return main;
}

/**
 * The Prometheus metric family name for an OTLP metric, or undefined when nothing valid is left
 * (an empty or all-separator name). For counters this is the name with `_total` (as in text 0.0.4);
 * OpenMetrics writers strip it for the TYPE line.
 */
export function metricName(
  name: string,
  unit: string,
  kind: NameKind,
  opts: MetricNameOptions = {},
): string | undefined {
  let toks = tokens(name);
  if (toks.length === 0) return undefined;
  if (opts.addSuffixes ?? true) {
    const { main, per } = unitSuffixes(unit);
    if (main !== '' && !toks.includes(main)) toks.push(main);
    if (per !== '' && !toks.includes(per)) toks.push('per', per);
    if (kind === 'counter') {
      toks = toks.filter((t) => t !== 'total');
      toks.push('total');
    }
    if (unit === '1' && kind === 'gauge') {
      toks = toks.filter((t) => t !== 'ratio');
      toks.push('ratio');
    }
  }
  const ns = opts.namespace === undefined ? [] : tokens(opts.namespace);
  const joined = [...ns, ...toks].join('_');
  return isDigit(joined.charCodeAt(0)) ? `_${joined}` : joined;
}

/**
 * A Prometheus label name for an attribute key, or undefined when nothing valid is left.
 * Characters outside [a-zA-Z0-9_] become `_` and runs of `_` collapse; a name of the reserved
 * form `__x__` is kept as is; a leading digit gets a `key_` prefix and a single leading `_`
 * becomes `key_`.
 */
export function labelName(key: string): string | undefined {
  if (key === '') return undefined;
  let s = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    s += isNameChar(c) && c !== 58 ? key[i] : '_';
  }
  const reserved = s.length > 4 && s.startsWith('__') && s.endsWith('__') && !/^_+$/.test(s);
  if (!reserved) s = s.replace(/_{2,}/g, '_');
  if (/^_*$/.test(s)) return undefined;
  if (isDigit(s.charCodeAt(0))) return `key_${s}`;
  if (!reserved && s.startsWith('_')) return `key${s}`;
  return s;
}

/** An attribute value as a label value (the spec's AnyValue string rules): strings as they are,
 * other scalars as text, bytes as base64, arrays and maps as JSON. */
export function labelValue(v: AnyValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'bigint' || typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return JSON.stringify(jsonValue(v));
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function jsonValue(v: AnyValue): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (Array.isArray(v)) return v.map(jsonValue);
  const o: { [k: string]: Json } = {};
  for (const kv of v.kvlist) o[kv.key] = jsonValue(kv.value);
  return o;
}

export interface LabelSetResult {
  /** Sorted by label name, no duplicates. */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** Attribute keys that left no valid label name (dropped). */
  readonly invalidKeys: readonly string[];
}

/**
 * Attributes -> Prometheus labels. Keys that collide after sanitizing are merged: their values
 * are joined with `;` in the order of the original keys (sorted). Empty values are kept here;
 * writers may drop them.
 */
export function labelsFromAttributes(attrs: readonly KeyValue[]): LabelSetResult {
  if (attrs.length === 0) return { labels: [], invalidKeys: [] };
  const sorted = [...attrs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const byName = new Map<string, string[]>();
  const invalid: string[] = [];
  let prevKey: string | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const kv = sorted[i] as KeyValue;
    // Duplicate keys (illegal on the wire): the last one wins.
    const next = sorted[i + 1];
    if (next !== undefined && next.key === kv.key) continue;
    if (kv.key === prevKey) continue;
    prevKey = kv.key;
    const name = labelName(kv.key);
    if (name === undefined) {
      invalid.push(kv.key);
      continue;
    }
    const text = labelValue(kv.value);
    const vals = byName.get(name);
    if (vals === undefined) byName.set(name, [text]);
    else vals.push(text);
  }
  const labels: Array<readonly [string, string]> = [];
  for (const [name, vals] of byName) labels.push([name, vals.join(';')]);
  labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { labels, invalidKeys: invalid };
}

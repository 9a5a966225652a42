// Shared pieces of the discoverers: positioned config problems, Prometheus durations, target-group decoding.
import { isValidLabelName } from '../relabel.js';
import type { TargetGroup } from './types.js';

/** A config problem at a path inside the scrape config, e.g. `file_sd_configs[0].files[1]`. */
export interface SdProblem {
  readonly path: string;
  readonly message: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects problems while reading one mapping; unknown keys are reported with a "did you mean". */
export class Reader {
  readonly problems: SdProblem[];
  readonly path: string;

  constructor(path: string, problems: SdProblem[]) {
    this.path = path;
    this.problems = problems;
  }

  at(key: string | number): string {
    if (typeof key === 'number') return `${this.path}[${key}]`;
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  problem(key: string | number | undefined, message: string): void {
    this.problems.push({ path: key === undefined ? this.path : this.at(key), message });
  }

  /** Reports keys not in `known`. */
  checkKeys(obj: Record<string, unknown>, known: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const close =
        known.find((k) => editDistance(k, key) <= 2) ?? known.find((k) => key.length >= 3 && k.startsWith(key));
      const hint = close === undefined ? `allowed: ${known.join(', ')}` : `did you mean '${close}'?`;
      this.problem(key, `unknown field '${key}'; ${hint}`);
    }
  }

  string(obj: Record<string, unknown>, key: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    this.problem(key, `must be a string, got ${typeName(v)}`);
    return undefined;
  }

  stringList(obj: Record<string, unknown>, key: string): string[] | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.problem(key, `must be a list of strings, got ${typeName(v)}`);
      return undefined;
    }
    const out: string[] = [];
    v.forEach((item: unknown, i) => {
      if (typeof item === 'string') out.push(item);
      else this.problems.push({ path: `${this.at(key)}[${i}]`, message: `must be a string, got ${typeName(item)}` });
    });
    return out;
  }

  bool(obj: Record<string, unknown>, key: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    this.problem(key, `must be true or false, got ${typeName(v)}`);
    return undefined;
  }

  /** A Prometheus duration (`30s`, `5m`, `1h30m`) in milliseconds. */
  duration(obj: Record<string, unknown>, key: string): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.problem(key, `must be a duration such as "30s" or "5m", got ${typeName(v)}`);
      return undefined;
    }
    const ms = parseDuration(v);
    if (ms === undefined)
      this.problem(key, `not a valid duration string: ${JSON.stringify(v)} (e.g. "30s", "5m", "1h30m")`);
    return ms;
  }

  /** A mapping of label name to label value. */
  labels(obj: Record<string, unknown>, key: string): Record<string, string> | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.problem(key, `must be a mapping of label names to values, got ${typeName(v)}`);
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(v)) {
      if (!isValidLabelName(name)) {
        this.problems.push({
          path: `${this.at(key)}.${name}`,
          message: `${JSON.stringify(name)} is not a valid label name`,
        });
      } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        out[name] = String(value);
      } else {
        this.problems.push({
          path: `${this.at(key)}.${name}`,
          message: `label value must be a string, got ${typeName(value)}`,
        });
      }
    }
    return out;
  }
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] ?? 0;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] ?? 0;
      d[j] = Math.min((d[j] ?? 0) + 1, (d[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] ?? 0;
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1] as const;

/** Parses a Prometheus duration (`1y2w3d4h5m6s7ms`, or `0`) into milliseconds. */
export function parseDuration(s: string): number | undefined {
  if (s === '0') return 0;
  if (s === '') return undefined;
  const m = DURATION_RE.exec(s);
  if (m === null) return undefined;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * (UNIT_MS[i] ?? 0);
  }
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Formats milliseconds the way Prometheus's model.Duration prints them (`1m`, `1m30s`, `500ms`, `2w`). */
export function formatDuration(totalMs: number): string {
  let ms = Math.floor(totalMs);
  if (ms === 0) return '0s';
  let out = '';
  const units: readonly [string, number, boolean][] = [
    ['y', UNIT_MS[0], true],
    ['w', UNIT_MS[1], true],
    ['d', UNIT_MS[2], false],
    ['h', UNIT_MS[3], false],
    ['m', UNIT_MS[4], false],
    ['s', UNIT_MS[5], false],
    ['ms', 1, false],
  ];
  for (const [unit, mult, exact] of units) {
    if (exact && ms % mult !== 0) continue;
    const v = Math.floor(ms / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      ms -= v * mult;
    }
  }
  return out;
}

/**
 * Decodes the target-group list of http_sd and file_sd (`[{"targets": [...], "labels": {...}}]`), validating like
 * Prometheus's targetgroup unmarshalling. `sourcePrefix` and `extraLabels` give each group its source `prefix:i`
 * and the discoverer's `__meta_*` labels.
 */
export function decodeGroups(
  data: unknown,
  sourcePrefix: string,
  extraLabels: Readonly<Record<string, string>>,
): TargetGroup[] {
  if (!Array.isArray(data)) throw new Error(`expected a list of target groups, got ${typeName(data)}`);
  return data.map((raw: unknown, i): TargetGroup => {
    if (!isRecord(raw)) throw new Error(`target group ${i}: expected a mapping, got ${typeName(raw)}`);
    for (const key of Object.keys(raw)) {
      if (key !== 'targets' && key !== 'labels') throw new Error(`target group ${i}: unknown field '${key}'`);
    }
    const rawTargets = raw['targets'] ?? [];
    if (!Array.isArray(rawTargets)) throw new Error(`target group ${i}: 'targets' must be a list of strings`);
    const targets = rawTargets.map((t: unknown) => {
      if (typeof t !== 'string') throw new Error(`target group ${i}: 'targets' must be a list of strings`);
      return { __address__: t };
    });
    const labels: Record<string, string> = {};
    const rawLabels = raw['labels'] ?? {};
    if (!isRecord(rawLabels)) throw new Error(`target group ${i}: 'labels' must be a mapping`);
    for (const [name, value] of Object.entries(rawLabels)) {
      if (!isValidLabelName(name))
        throw new Error(`target group ${i}: ${JSON.stringify(name)} is not a valid label name`);
      if (typeof value !== 'string') throw new Error(`target group ${i}: label ${name}: value must be a string`);
      labels[name] = value;
    }
    Object.assign(labels, extraLabels);
    return { source: `${sourcePrefix}:${i}`, targets, labels };
  });
}

/** A timer that does not keep the process alive. */
export function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const t = setInterval(fn, ms);
  t.unref();
  return t;
}

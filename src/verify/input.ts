// Verifier inputs: OTLP JSON lines files (the `file` exporter's format), and splitting one stream by an attribute.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { attrValueText } from '../metrics/attrs.js';
import { requestFromJson } from '../pdata/json/index.js';
import type { KeyValue, Metric, MetricData, ResourceMetrics, ResourceSpans, ScopeMetrics } from '../pdata/model.js';

/** A problem with one input line: reported with its place, never fatal for the other lines. */
export interface InputIssue {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface TelemetrySet {
  readonly metrics: ResourceMetrics[];
  readonly spans: ResourceSpans[];
  /** Lines that held logs (read and ignored: the verifier compares metrics and traces). */
  logLines: number;
  readonly issues: InputIssue[];
}

/** A whole input could not be read at all (missing file, not a file): a usage/input error. */
export class VerifyInputError extends Error {
  override readonly name = 'VerifyInputError';
}

export function emptySet(): TelemetrySet {
  return { metrics: [], spans: [], logLines: 0, issues: [] };
}

const MAX_ISSUES_KEPT = 100;

/** `n`: malformed lines of one file; `kept`: how many of them are listed (the first 100 per file). */
interface IssueCounter {
  n: number;
  kept?: number;
}

function pushIssue(set: TelemetrySet, issue: InputIssue, counter: IssueCounter): void {
  counter.n++;
  if ((counter.kept ?? 0) < MAX_ISSUES_KEPT) {
    set.issues.push(issue);
    counter.kept = (counter.kept ?? 0) + 1;
  }
}

/**
 * Detects the signal of one OTLP JSON line from its top-level key (`resourceMetrics`, `resourceSpans`,
 * `resourceLogs`) without parsing the whole line first.
 */
export function detectSignal(line: string): 'metrics' | 'traces' | 'logs' | undefined {
  const head = line.slice(0, 64);
  if (head.includes('"resourceMetrics"') || head.includes('"resource_metrics"')) return 'metrics';
  if (head.includes('"resourceSpans"') || head.includes('"resource_spans"')) return 'traces';
  if (head.includes('"resourceLogs"') || head.includes('"resource_logs"')) return 'logs';
  if (line.includes('"resourceMetrics"')) return 'metrics';
  if (line.includes('"resourceSpans"')) return 'traces';
  if (line.includes('"resourceLogs"')) return 'logs';
  return undefined;
}

/** Adds one line (1-based `lineNo`) of `file` to `set`. Returns false when the line was refused. */
export function addLine(
  set: TelemetrySet,
  file: string,
  lineNo: number,
  line: string,
  counter: IssueCounter = { n: 0 },
): boolean {
  const text = line.trim();
  if (text === '') return true;
  const signal = detectSignal(text);
  if (signal === undefined) {
    pushIssue(
      set,
      { file, line: lineNo, message: 'not an OTLP JSON request (no resourceMetrics/resourceSpans/resourceLogs key)' },
      counter,
    );
    return false;
  }
  try {
    switch (signal) {
      case 'metrics':
        for (const rm of requestFromJson('metrics', text).resourceMetrics) set.metrics.push(rm);
        return true;
      case 'traces':
        for (const rs of requestFromJson('traces', text).resourceSpans) set.spans.push(rs);
        return true;
      case 'logs':
        set.logLines++;
        return true;
      default: {
        const never: never = signal;
        return never;
      }
    }
  } catch (e) {
    pushIssue(set, { file, line: lineNo, message: `${signal}: ${(e as Error).message}` }, counter);
    return false;
  }
}

export interface ReadStats {
  readonly lines: number;
  readonly refused: number;
  /** Non-blank lines read as OTLP requests (metrics, spans or logs). */
  readonly accepted: number;
}

/** Reads an OTLP JSON lines file; malformed lines become issues (file:line), the rest is kept. */
export async function readJsonLines(
  file: string,
  set: TelemetrySet = emptySet(),
  onProgress?: (lines: number) => void,
): Promise<{ set: TelemetrySet; stats: ReadStats }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) =>
      reject(new VerifyInputError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)),
    );
  });
  await opened;
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  let accepted = 0;
  const counter: IssueCounter = { n: 0, kept: 0 };
  try {
    for await (const line of rl) {
      lineNo++;
      if (addLine(set, file, lineNo, line, counter) && line.trim() !== '') accepted++;
      if (onProgress !== undefined && lineNo % 5000 === 0) onProgress(lineNo);
    }
  } catch (e) {
    throw new VerifyInputError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (counter.n > (counter.kept ?? 0)) {
    set.issues.push({
      file,
      line: lineNo,
      message: `${counter.n} malformed line(s) in total; only the first ${MAX_ISSUES_KEPT} are listed`,
    });
  }
  return { set, stats: { lines: lineNo, refused: counter.n, accepted } };
}

// ---------------------------------------------------------------- split by attribute

function findAttr(attrs: readonly KeyValue[] | undefined, key: string): string | undefined {
  if (attrs === undefined) return undefined;
  for (const kv of attrs) if (kv.key === key) return attrValueText(kv.value);
  return undefined;
}

function withoutKey(attrs: readonly KeyValue[], key: string): KeyValue[] {
  return attrs.filter((kv) => kv.key !== key);
}

function filterData(data: MetricData, key: string, value: string): MetricData | undefined {
  const keep = <P extends { attributes: KeyValue[] }>(pts: readonly P[]): P[] =>
    pts
      .filter((p) => findAttr(p.attributes, key) === value)
      .map((p) => ({ ...p, attributes: withoutKey(p.attributes, key) }));
  switch (data.type) {
    case 'gauge': {
      const dataPoints = keep(data.dataPoints);
      return dataPoints.length === 0 ? undefined : { ...data, dataPoints };
    }
    case 'sum': {
      const dataPoints = keep(data.dataPoints);
      return dataPoints.length === 0 ? undefined : { ...data, dataPoints };
    }
    case 'histogram': {
      const dataPoints = keep(data.dataPoints);
      return dataPoints.length === 0 ? undefined : { ...data, dataPoints };
    }
    case 'exponentialHistogram': {
      const dataPoints = keep(data.dataPoints);
      return dataPoints.length === 0 ? undefined : { ...data, dataPoints };
    }
    case 'summary': {
      const dataPoints = keep(data.dataPoints);
      return dataPoints.length === 0 ? undefined : { ...data, dataPoints };
    }
    default: {
      const never: never = data;
      return never;
    }
  }
}

/**
 * The part of `set` whose `key` equals `value`: a resource attribute selects whole resources, a scope attribute
 * whole scopes, otherwise point and span attributes select points and spans. The split key itself is removed
 * (it differs between the two sides by construction).
 */
export function splitBy(set: TelemetrySet, key: string, value: string): TelemetrySet {
  const out: TelemetrySet = { metrics: [], spans: [], logLines: 0, issues: [...set.issues] };
  for (const rm of set.metrics) {
    const rv = findAttr(rm.resource?.attributes, key);
    if (rv !== undefined) {
      if (rv === value && rm.resource !== undefined) {
        out.metrics.push({ ...rm, resource: { ...rm.resource, attributes: withoutKey(rm.resource.attributes, key) } });
      }
      continue;
    }
    const scopeMetrics: ScopeMetrics[] = [];
    for (const sm of rm.scopeMetrics) {
      const sv = findAttr(sm.scope?.attributes, key);
      if (sv !== undefined) {
        if (sv === value) scopeMetrics.push(sm);
        continue;
      }
      const metrics: Metric[] = [];
      for (const m of sm.metrics) {
        if (m.data === undefined) continue;
        const data = filterData(m.data, key, value);
        if (data !== undefined) metrics.push({ ...m, data });
      }
      if (metrics.length > 0) scopeMetrics.push({ ...sm, metrics });
    }
    if (scopeMetrics.length > 0) out.metrics.push({ ...rm, scopeMetrics });
  }
  for (const rs of set.spans) {
    const rv = findAttr(rs.resource?.attributes, key);
    if (rv !== undefined) {
      if (rv === value && rs.resource !== undefined) {
        out.spans.push({ ...rs, resource: { ...rs.resource, attributes: withoutKey(rs.resource.attributes, key) } });
      }
      continue;
    }
    const scopeSpans = rs.scopeSpans
      .map((ss) => ({
        ...ss,
        spans: ss.spans
          .filter((s) => findAttr(s.attributes, key) === value)
          .map((s) => ({ ...s, attributes: withoutKey(s.attributes, key) })),
      }))
      .filter((ss) => ss.spans.length > 0);
    if (scopeSpans.length > 0) out.spans.push({ ...rs, scopeSpans });
  }
  return out;
}

/** Distinct values of `key` (resource, scope, point and span attributes), for "did you mean" on a bad split value. */
export function splitValues(set: TelemetrySet, key: string): string[] {
  const seen = new Set<string>();
  const add = (attrs: readonly KeyValue[] | undefined): void => {
    const v = findAttr(attrs, key);
    if (v !== undefined) seen.add(v);
  };
  for (const rm of set.metrics) {
    add(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics) {
      add(sm.scope?.attributes);
      for (const m of sm.metrics) {
        if (m.data === undefined) continue;
        for (const p of m.data.dataPoints) {
          add(p.attributes);
          if (seen.size > 50) return [...seen].sort();
        }
      }
    }
  }
  for (const rs of set.spans) {
    add(rs.resource?.attributes);
    for (const ss of rs.scopeSpans) for (const s of ss.spans.slice(0, 100)) add(s.attributes);
  }
  return [...seen].sort();
}

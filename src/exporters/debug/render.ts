// Text renderings of OTLP requests for the debug exporter, at three verbosities:
//   basic    - one summary line per batch (counts)
//   normal   - one line per item (resource and scope header lines, then span / point / record)
//   detailed - every field of every item, indented, in the layout of the Collector's debug exporter
import type {
  AnyValue,
  Exemplar,
  ExponentialHistogramDataPoint,
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  Metric,
  NumberDataPoint,
  NumberValue,
  RequestBySignal,
  Resource,
  Signal,
  SummaryDataPoint,
} from '../../pdata/model.js';

// ------------------------------------------------------------------ basic

export function summary(signal: Signal, req: RequestBySignal[Signal]): string {
  switch (signal) {
    case 'traces': {
      const r = req as ExportTraceServiceRequest;
      let spans = 0;
      for (const rs of r.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
      return `Traces {"resource spans": ${r.resourceSpans.length}, "spans": ${spans}}`;
    }
    case 'metrics': {
      const r = req as ExportMetricsServiceRequest;
      let metrics = 0;
      let points = 0;
      for (const rm of r.resourceMetrics)
        for (const sm of rm.scopeMetrics)
          for (const m of sm.metrics) {
            metrics++;
            points += m.data?.dataPoints.length ?? 0;
          }
      return `Metrics {"resource metrics": ${r.resourceMetrics.length}, "metrics": ${metrics}, "data points": ${points}}`;
    }
    case 'logs': {
      const r = req as ExportLogsServiceRequest;
      let records = 0;
      for (const rl of r.resourceLogs) for (const sl of rl.scopeLogs) records += sl.logRecords.length;
      return `Logs {"resource logs": ${r.resourceLogs.length}, "log records": ${records}}`;
    }
    default:
      throw new Error(`unknown signal ${String(signal)}`);
  }
}

// ------------------------------------------------------------------ normal

export function normal(signal: Signal, req: RequestBySignal[Signal]): string[] {
  const out: string[] = [];
  switch (signal) {
    case 'traces':
      (req as ExportTraceServiceRequest).resourceSpans.forEach((rs, i) => {
        out.push(`ResourceSpans #${i}${resourceSuffix(rs.resource)}`);
        rs.scopeSpans.forEach((ss, j) => {
          out.push(`ScopeSpans #${j}${scopeSuffix(ss.scope)}`);
          for (const s of ss.spans) {
            out.push(`${s.name} ${hex(s.traceId)} ${hex(s.spanId)}${attrsSuffix(s.attributes)}`);
          }
        });
      });
      break;
    case 'metrics':
      (req as ExportMetricsServiceRequest).resourceMetrics.forEach((rm, i) => {
        out.push(`ResourceMetrics #${i}${resourceSuffix(rm.resource)}`);
        rm.scopeMetrics.forEach((sm, j) => {
          out.push(`ScopeMetrics #${j}${scopeSuffix(sm.scope)}`);
          for (const m of sm.metrics) for (const line of metricLines(m)) out.push(line);
        });
      });
      break;
    case 'logs':
      (req as ExportLogsServiceRequest).resourceLogs.forEach((rl, i) => {
        out.push(`ResourceLog #${i}${resourceSuffix(rl.resource)}`);
        rl.scopeLogs.forEach((sl, j) => {
          out.push(`ScopeLog #${j}${scopeSuffix(sl.scope)}`);
          for (const r of sl.logRecords) {
            const body = r.body === undefined ? '' : plain(r.body);
            out.push(`${body}${attrsSuffix(r.attributes)}`);
          }
        });
      });
      break;
    default:
      throw new Error(`unknown signal ${String(signal)}`);
  }
  return out;
}

function resourceSuffix(r: Resource | undefined): string {
  return r === undefined ? '' : attrsSuffix(r.attributes);
}

function scopeSuffix(s: InstrumentationScope | undefined): string {
  if (s === undefined || s.name === '') return '';
  return ` ${s.name}${s.version === '' ? '' : `@${s.version}`}${attrsSuffix(s.attributes)}`;
}

function attrsSuffix(attrs: readonly KeyValue[]): string {
  return attrs.length === 0 ? '' : ` ${attrs.map((kv) => `${kv.key}=${plain(kv.value)}`).join(' ')}`;
}

function braces(attrs: readonly KeyValue[]): string {
  return attrs.length === 0 ? '' : `{${attrs.map((kv) => `${kv.key}=${plain(kv.value)}`).join(',')}}`;
}

function metricLines(m: Metric): string[] {
  const d = m.data;
  if (d === undefined) return [`${m.name} (no data)`];
  switch (d.type) {
    case 'gauge':
    case 'sum':
      return d.dataPoints.map((p) => `${m.name}${braces(p.attributes)} ${numberValue(p.value)}`);
    case 'histogram':
      return d.dataPoints.map((p) => {
        const parts = [`count=${p.count}`];
        if (p.sum !== undefined) parts.push(`sum=${p.sum}`);
        if (p.min !== undefined) parts.push(`min=${p.min}`);
        if (p.max !== undefined) parts.push(`max=${p.max}`);
        p.bucketCounts.forEach((c, i) => {
          const le = i < p.explicitBounds.length ? String(p.explicitBounds[i]) : '+Inf';
          parts.push(`le${le}=${c}`);
        });
        return `${m.name}${braces(p.attributes)} ${parts.join(' ')}`;
      });
    case 'exponentialHistogram':
      return d.dataPoints.map((p) => {
        const parts = [`count=${p.count}`];
        if (p.sum !== undefined) parts.push(`sum=${p.sum}`);
        if (p.min !== undefined) parts.push(`min=${p.min}`);
        if (p.max !== undefined) parts.push(`max=${p.max}`);
        parts.push(`scale=${p.scale}`, `zero_count=${p.zeroCount}`);
        return `${m.name}${braces(p.attributes)} ${parts.join(' ')}`;
      });
    case 'summary':
      return d.dataPoints.map((p) => {
        const parts = [`count=${p.count}`, `sum=${p.sum}`];
        for (const q of p.quantileValues) parts.push(`q${q.quantile}=${q.value}`);
        return `${m.name}${braces(p.attributes)} ${parts.join(' ')}`;
      });
    default:
      return [`${m.name} (unknown data type)`];
  }
}

// ------------------------------------------------------------------ detailed

const ATTR = '     -> ';
const NESTED = '          -> ';

export function detailed(signal: Signal, req: RequestBySignal[Signal]): string[] {
  const out: string[] = [];
  switch (signal) {
    case 'traces':
      (req as ExportTraceServiceRequest).resourceSpans.forEach((rs, i) => {
        out.push(`ResourceSpans #${i}`);
        resourceBlock(out, rs.schemaUrl, rs.resource);
        rs.scopeSpans.forEach((ss, j) => {
          out.push(`ScopeSpans #${j}`, `ScopeSpans SchemaURL: ${ss.schemaUrl}`);
          scopeBlock(out, ss.scope);
          ss.spans.forEach((s, k) => {
            out.push(
              `Span #${k}`,
              `    Trace ID       : ${hex(s.traceId)}`,
              `    Parent ID      : ${hex(s.parentSpanId)}`,
              `    ID             : ${hex(s.spanId)}`,
              `    Name           : ${s.name}`,
              `    Kind           : ${spanKind(s.kind)}`,
              `    TraceState     : ${s.traceState}`,
              `    Flags          : ${s.flags}`,
              `    Start time     : ${timestamp(s.startTimeUnixNano)}`,
              `    End time       : ${timestamp(s.endTimeUnixNano)}`,
              `    Status code    : ${statusCode(s.status?.code ?? 0)}`,
              `    Status message : ${s.status?.message ?? ''}`,
            );
            if (s.droppedAttributesCount > 0) out.push(`    DroppedAttributesCount: ${s.droppedAttributesCount}`);
            attributes(out, 'Attributes:', s.attributes);
            if (s.events.length > 0) {
              out.push('Events:');
              s.events.forEach((e, n) => {
                out.push(
                  `SpanEvent #${n}`,
                  `${ATTR}Name: ${e.name}`,
                  `${ATTR}Timestamp: ${timestamp(e.timeUnixNano)}`,
                  `${ATTR}DroppedAttributesCount: ${e.droppedAttributesCount}`,
                );
                nestedAttributes(out, e.attributes);
              });
              if (s.droppedEventsCount > 0) out.push(`DroppedEventsCount: ${s.droppedEventsCount}`);
            }
            if (s.links.length > 0) {
              out.push('Links:');
              s.links.forEach((l, n) => {
                out.push(
                  `SpanLink #${n}`,
                  `${ATTR}Trace ID: ${hex(l.traceId)}`,
                  `${ATTR}ID: ${hex(l.spanId)}`,
                  `${ATTR}TraceState: ${l.traceState}`,
                  `${ATTR}Flags: ${l.flags}`,
                  `${ATTR}DroppedAttributesCount: ${l.droppedAttributesCount}`,
                );
                nestedAttributes(out, l.attributes);
              });
              if (s.droppedLinksCount > 0) out.push(`DroppedLinksCount: ${s.droppedLinksCount}`);
            }
          });
        });
      });
      break;
    case 'metrics':
      (req as ExportMetricsServiceRequest).resourceMetrics.forEach((rm, i) => {
        out.push(`ResourceMetrics #${i}`);
        resourceBlock(out, rm.schemaUrl, rm.resource);
        rm.scopeMetrics.forEach((sm, j) => {
          out.push(`ScopeMetrics #${j}`, `ScopeMetrics SchemaURL: ${sm.schemaUrl}`);
          scopeBlock(out, sm.scope);
          sm.metrics.forEach((m, k) => {
            metricBlock(out, m, k);
          });
        });
      });
      break;
    case 'logs':
      (req as ExportLogsServiceRequest).resourceLogs.forEach((rl, i) => {
        out.push(`ResourceLog #${i}`);
        resourceBlock(out, rl.schemaUrl, rl.resource);
        rl.scopeLogs.forEach((sl, j) => {
          out.push(`ScopeLogs #${j}`, `ScopeLogs SchemaURL: ${sl.schemaUrl}`);
          scopeBlock(out, sl.scope);
          sl.logRecords.forEach((r, k) => {
            out.push(
              `LogRecord #${k}`,
              `ObservedTimestamp: ${timestamp(r.observedTimeUnixNano)}`,
              `Timestamp: ${timestamp(r.timeUnixNano)}`,
              `SeverityText: ${r.severityText}`,
              `SeverityNumber: ${severity(r.severityNumber)}`,
            );
            if (r.eventName !== '') out.push(`EventName: ${r.eventName}`);
            out.push(`Body: ${r.body === undefined ? 'Empty()' : typed(r.body)}`);
            attributes(out, 'Attributes:', r.attributes);
            if (r.droppedAttributesCount > 0) out.push(`DroppedAttributesCount: ${r.droppedAttributesCount}`);
            out.push(`Trace ID: ${hex(r.traceId)}`, `Span ID: ${hex(r.spanId)}`, `Flags: ${r.flags}`);
          });
        });
      });
      break;
    default:
      throw new Error(`unknown signal ${String(signal)}`);
  }
  return out;
}

function resourceBlock(out: string[], schemaUrl: string, r: Resource | undefined): void {
  out.push(`Resource SchemaURL: ${schemaUrl}`);
  if (r !== undefined) {
    attributes(out, 'Resource attributes:', r.attributes);
    if (r.droppedAttributesCount > 0) out.push(`Resource DroppedAttributesCount: ${r.droppedAttributesCount}`);
  }
}

function scopeBlock(out: string[], s: InstrumentationScope | undefined): void {
  out.push(`InstrumentationScope ${s?.name ?? ''} ${s?.version ?? ''}`.trimEnd());
  if (s !== undefined) attributes(out, 'InstrumentationScope attributes:', s.attributes);
}

function attributes(out: string[], title: string, attrs: readonly KeyValue[]): void {
  if (attrs.length === 0) return;
  out.push(title);
  for (const kv of attrs) out.push(`${ATTR}${kv.key}: ${typed(kv.value)}`);
}

function nestedAttributes(out: string[], attrs: readonly KeyValue[]): void {
  if (attrs.length === 0) return;
  out.push(`${ATTR}Attributes::`);
  for (const kv of attrs) out.push(`${NESTED}${kv.key}: ${typed(kv.value)}`);
}

const DATA_TYPE = {
  gauge: 'Gauge',
  sum: 'Sum',
  histogram: 'Histogram',
  exponentialHistogram: 'ExponentialHistogram',
  summary: 'Summary',
} as const;

function metricBlock(out: string[], m: Metric, k: number): void {
  const d = m.data;
  out.push(
    `Metric #${k}`,
    'Descriptor:',
    `${ATTR}Name: ${m.name}`,
    `${ATTR}Description: ${m.description}`,
    `${ATTR}Unit: ${m.unit}`,
    `${ATTR}DataType: ${d === undefined ? 'Empty' : DATA_TYPE[d.type]}`,
  );
  if (d === undefined) return;
  if (d.type === 'sum') out.push(`${ATTR}IsMonotonic: ${d.isMonotonic}`);
  if (d.type === 'sum' || d.type === 'histogram' || d.type === 'exponentialHistogram') {
    out.push(`${ATTR}AggregationTemporality: ${temporality(d.aggregationTemporality)}`);
  }
  attributes(out, 'Metadata:', m.metadata);
  switch (d.type) {
    case 'gauge':
    case 'sum':
      d.dataPoints.forEach((p, i) => {
        numberPoint(out, p, i);
      });
      break;
    case 'histogram':
      d.dataPoints.forEach((p, i) => {
        histogramPoint(out, p, i);
      });
      break;
    case 'exponentialHistogram':
      d.dataPoints.forEach((p, i) => {
        expHistogramPoint(out, p, i);
      });
      break;
    case 'summary':
      d.dataPoints.forEach((p, i) => {
        summaryPoint(out, p, i);
      });
      break;
    default:
      break;
  }
}

function pointHeader(
  out: string[],
  kind: string,
  i: number,
  attrs: readonly KeyValue[],
  start: bigint,
  time: bigint,
): void {
  out.push(`${kind} #${i}`);
  attributes(out, 'Data point attributes:', attrs);
  out.push(`StartTimestamp: ${timestamp(start)}`, `Timestamp: ${timestamp(time)}`);
}

function numberPoint(out: string[], p: NumberDataPoint, i: number): void {
  pointHeader(out, 'NumberDataPoints', i, p.attributes, p.startTimeUnixNano, p.timeUnixNano);
  out.push(`Value: ${numberValue(p.value)}`);
  if (p.flags !== 0) out.push(`Flags: ${p.flags}`);
  exemplars(out, p.exemplars);
}

function histogramPoint(out: string[], p: HistogramDataPoint, i: number): void {
  pointHeader(out, 'HistogramDataPoints', i, p.attributes, p.startTimeUnixNano, p.timeUnixNano);
  out.push(`Count: ${p.count}`);
  if (p.sum !== undefined) out.push(`Sum: ${fixed(p.sum)}`);
  if (p.min !== undefined) out.push(`Min: ${fixed(p.min)}`);
  if (p.max !== undefined) out.push(`Max: ${fixed(p.max)}`);
  p.explicitBounds.forEach((b, n) => {
    out.push(`ExplicitBounds #${n}: ${fixed(b)}`);
  });
  p.bucketCounts.forEach((c, n) => {
    out.push(`Buckets #${n}, Count: ${c}`);
  });
  if (p.flags !== 0) out.push(`Flags: ${p.flags}`);
  exemplars(out, p.exemplars);
}

function expHistogramPoint(out: string[], p: ExponentialHistogramDataPoint, i: number): void {
  pointHeader(out, 'ExponentialHistogramDataPoints', i, p.attributes, p.startTimeUnixNano, p.timeUnixNano);
  out.push(`Count: ${p.count}`);
  if (p.sum !== undefined) out.push(`Sum: ${fixed(p.sum)}`);
  if (p.min !== undefined) out.push(`Min: ${fixed(p.min)}`);
  if (p.max !== undefined) out.push(`Max: ${fixed(p.max)}`);
  out.push(`Scale: ${p.scale}`, `ZeroCount: ${p.zeroCount}`);
  if (p.zeroThreshold !== 0) out.push(`ZeroThreshold: ${p.zeroThreshold}`);
  const base = 2 ** (2 ** -p.scale);
  const neg = p.negative;
  if (neg !== undefined) {
    for (let n = neg.bucketCounts.length - 1; n >= 0; n--) {
      const idx = neg.offset + n;
      out.push(`Bucket (${-(base ** (idx + 1))}, ${-(base ** idx)}], Count: ${neg.bucketCounts[n]}`);
    }
  }
  if (p.zeroCount > 0n) out.push(`Bucket [0, 0], Count: ${p.zeroCount}`);
  const pos = p.positive;
  if (pos !== undefined) {
    pos.bucketCounts.forEach((c, n) => {
      const idx = pos.offset + n;
      out.push(`Bucket [${base ** idx}, ${base ** (idx + 1)}), Count: ${c}`);
    });
  }
  if (p.flags !== 0) out.push(`Flags: ${p.flags}`);
  exemplars(out, p.exemplars);
}

function summaryPoint(out: string[], p: SummaryDataPoint, i: number): void {
  pointHeader(out, 'SummaryDataPoints', i, p.attributes, p.startTimeUnixNano, p.timeUnixNano);
  out.push(`Count: ${p.count}`, `Sum: ${fixed(p.sum)}`);
  p.quantileValues.forEach((q, n) => {
    out.push(`QuantileValue #${n}: Quantile ${q.quantile}, Value ${fixed(q.value)}`);
  });
  if (p.flags !== 0) out.push(`Flags: ${p.flags}`);
}

function exemplars(out: string[], list: readonly Exemplar[]): void {
  if (list.length === 0) return;
  out.push('Exemplars:');
  list.forEach((e, n) => {
    out.push(
      `Exemplar #${n}`,
      `${ATTR}Trace ID: ${hex(e.traceId)}`,
      `${ATTR}Span ID: ${hex(e.spanId)}`,
      `${ATTR}Timestamp: ${timestamp(e.timeUnixNano)}`,
      `${ATTR}Value: ${numberValue(e.value)}`,
    );
    if (e.filteredAttributes.length > 0) {
      out.push(`${ATTR}FilteredAttributes:`);
      for (const kv of e.filteredAttributes) out.push(`${NESTED}${kv.key}: ${typed(kv.value)}`);
    }
  });
}

// ------------------------------------------------------------------ values

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Go's time.Time layout, as the Collector prints: `2023-11-14 22:13:20.000000001 +0000 UTC`. */
export function timestamp(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const d = new Date(Number(seconds) * 1000);
  if (Number.isNaN(d.getTime())) return `${ns}ns`;
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const fracText = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fracText} +0000 UTC`;
}

function numberValue(v: NumberValue): string {
  if (v === undefined) return '(none)';
  return typeof v === 'bigint' ? v.toString() : fixed(v);
}

/** Floats with six decimals, as Go's %f (integers stay integers for bigint values). */
function fixed(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}

/** An AnyValue with its type, as the Collector prints: Str(x), Int(1), Double(1.5), ... */
export function typed(v: AnyValue): string {
  if (v === null) return 'Empty()';
  if (typeof v === 'string') return `Str(${v})`;
  if (typeof v === 'boolean') return `Bool(${v})`;
  if (typeof v === 'bigint') return `Int(${v})`;
  if (typeof v === 'number') return `Double(${fixedShort(v)})`;
  if (v instanceof Uint8Array) return `Bytes(${Buffer.from(v).toString('base64')})`;
  if (Array.isArray(v)) return `Slice(${json(v)})`;
  return `Map(${json(v)})`;
}

/** An AnyValue as plain text (normal verbosity). */
function plain(v: AnyValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return fixedShort(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return json(v);
}

function fixedShort(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

function json(v: AnyValue): string {
  return JSON.stringify(toJsonValue(v));
}

function toJsonValue(v: AnyValue): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonValue);
  const obj: Record<string, unknown> = {};
  for (const kv of v.kvlist) obj[kv.key] = toJsonValue(kv.value);
  return obj;
}

const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];

function spanKind(k: number): string {
  return SPAN_KINDS[k] ?? `Kind(${k})`;
}

function statusCode(c: number): string {
  return ['Unset', 'Ok', 'Error'][c] ?? `Code(${c})`;
}

function temporality(t: number): string {
  return ['Unspecified', 'Delta', 'Cumulative'][t] ?? `Temporality(${t})`;
}

const SEVERITY_NAMES = ['Trace', 'Debug', 'Info', 'Warn', 'Error', 'Fatal'];

/** `Info(9)`, `Info2(10)`, `Unspecified(0)`. */
function severity(n: number): string {
  if (n < 1 || n > 24) return `Unspecified(${n})`;
  const name = SEVERITY_NAMES[Math.floor((n - 1) / 4)] as string;
  const step = (n - 1) % 4;
  return `${name}${step === 0 ? '' : String(step + 1)}(${n})`;
}

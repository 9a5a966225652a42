import { requestFromJson, requestToJson } from './json/index.js';
import type {
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  MetricData,
  RequestBySignal,
  Signal,
} from './model.js';
import { decodeRequest, encodeRequest, scanRequest } from './proto/index.js';

/**
 * One unit of telemetry moving through a pipeline: an Export*ServiceRequest of one signal.
 *
 * A batch keeps whichever forms it has: the protobuf bytes it arrived as, the decoded request,
 * or both. Objects are built only when something asks for `request()`; bytes are produced only
 * when something asks for `toProto()`. Data that no processor touches goes from receiver to
 * exporter as the bytes it arrived in. Because an Export*ServiceRequest is a single repeated
 * field, the concatenation of two encoded requests is the encoding of their merge, so batching
 * bytes is concatenation.
 *
 * Ownership: a batch handed to a read-only consumer is marked read-only; `mutableRequest()`
 * then throws. A consumer that declares `mutatesData` gets a batch it owns.
 */
export class Batch<S extends Signal = Signal> {
  private bytes: Uint8Array | undefined;
  private req: RequestBySignal[S] | undefined;
  private count: number;
  private frozen = false;
  /** Set once `mutableRequest()` handed the request out: bytes and count are derived from it. */
  private mutated = false;

  private constructor(
    readonly signal: S,
    bytes: Uint8Array | undefined,
    req: RequestBySignal[S] | undefined,
    count: number,
  ) {
    this.bytes = bytes;
    this.req = req;
    this.count = count;
  }

  /** Wrap protobuf bytes. The wire structure is validated (without building objects);
   * malformed input throws DecodeError. */
  static fromProto<S extends Signal>(signal: S, bytes: Uint8Array): Batch<S> {
    const count = scanRequest(signal, bytes);
    return new Batch(signal, bytes, undefined, count);
  }

  /** Parse OTLP/JSON. Malformed input throws DecodeError. */
  static fromJson<S extends Signal>(signal: S, text: string | Uint8Array): Batch<S> {
    const req = requestFromJson(signal, text);
    return new Batch(signal, undefined, req, countItems(signal, req));
  }

  static fromRequest<S extends Signal>(signal: S, req: RequestBySignal[S]): Batch<S> {
    return new Batch(signal, undefined, req, countItems(signal, req));
  }

  /** Merge batches of one signal into one, in order. Bytes are concatenated when every part
   * has them; otherwise requests are merged. */
  static merge<S extends Signal>(signal: S, parts: readonly Batch<S>[]): Batch<S> {
    if (parts.length === 1 && parts[0]) return parts[0];
    let count = 0;
    let allBytes = true;
    for (const p of parts) {
      count += p.itemCount;
      if (p.bytes === undefined) allBytes = false;
    }
    if (allBytes) {
      return new Batch(signal, Buffer.concat(parts.map((p) => p.bytes as Uint8Array)), undefined, count);
    }
    const merged = emptyRequest(signal);
    const target = topList(signal, merged);
    for (const p of parts) for (const r of topList(signal, p.request())) target.push(r);
    return new Batch(signal, undefined, merged, count);
  }

  /** Spans, metric data points or log records in this batch. */
  get itemCount(): number {
    // Once handed out for change, the request is the truth: count it afresh.
    if (this.mutated) this.count = countItems(this.signal, this.req as RequestBySignal[S]);
    return this.count;
  }

  get readOnly(): boolean {
    return this.frozen;
  }

  markReadOnly(): void {
    this.frozen = true;
  }

  /** The decoded request (built on first call, then cached). Treat it as read-only; use
   * `mutableRequest()` to change it. */
  request(): RequestBySignal[S] {
    if (this.req === undefined) {
      this.req = decodeRequest(this.signal, this.bytes as Uint8Array);
    }
    return this.req;
  }

  /** The decoded request for in-place change. From now on the bytes are encoded from it and
   * the item count is taken from it whenever asked, so neither can go stale. */
  mutableRequest(): RequestBySignal[S] {
    if (this.frozen) throw new Error('invalid access to shared data: this batch is read-only');
    const req = this.request();
    this.bytes = undefined;
    this.mutated = true;
    return req;
  }

  /** Protobuf encoding of the request (the received bytes when nothing changed them). */
  toProto(): Uint8Array {
    if (this.mutated) return encodeRequest(this.signal, this.req as RequestBySignal[S]);
    if (this.bytes === undefined) {
      this.bytes = encodeRequest(this.signal, this.req as RequestBySignal[S]);
    }
    return this.bytes;
  }

  /** OTLP/JSON encoding of the request. */
  toJson(): string {
    return requestToJson(this.signal, this.request());
  }

  /** Whether bytes are at hand without encoding. */
  get hasProto(): boolean {
    return this.bytes !== undefined;
  }

  /** An independent copy the caller owns. Bytes are immutable and shared; a decoded-only
   * request is copied through its encoding. */
  clone(): Batch<S> {
    if (this.bytes !== undefined) return new Batch(this.signal, this.bytes, undefined, this.count);
    const bytes = this.toProto();
    return new Batch(this.signal, bytes, undefined, this.count);
  }
}

export function emptyRequest<S extends Signal>(signal: S): RequestBySignal[S] {
  const empty: RequestBySignal = {
    traces: { resourceSpans: [] },
    metrics: { resourceMetrics: [] },
    logs: { resourceLogs: [] },
  };
  return empty[signal];
}

function topList(signal: Signal, req: RequestBySignal[Signal]): unknown[] {
  switch (signal) {
    case 'traces':
      return (req as ExportTraceServiceRequest).resourceSpans;
    case 'metrics':
      return (req as ExportMetricsServiceRequest).resourceMetrics;
    case 'logs':
      return (req as ExportLogsServiceRequest).resourceLogs;
    default:
      throw new Error(`unknown signal ${String(signal)}`);
  }
}

/** Number of data points a metric carries (0 when it has no data). */
export function metricPointCount(data: MetricData | undefined): number {
  return data === undefined ? 0 : data.dataPoints.length;
}

/** Spans, metric data points or log records in a decoded request. */
export function countItems(signal: Signal, req: RequestBySignal[Signal]): number {
  let n = 0;
  switch (signal) {
    case 'traces':
      for (const rs of (req as ExportTraceServiceRequest).resourceSpans)
        for (const ss of rs.scopeSpans) n += ss.spans.length;
      return n;
    case 'metrics':
      for (const rm of (req as ExportMetricsServiceRequest).resourceMetrics)
        for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += metricPointCount(m.data);
      return n;
    case 'logs':
      for (const rl of (req as ExportLogsServiceRequest).resourceLogs)
        for (const sl of rl.scopeLogs) n += sl.logRecords.length;
      return n;
    default:
      throw new Error(`unknown signal ${String(signal)}`);
  }
}

/** The item noun used in own-metric names: spans, metric_points, log_records. */
export function itemNoun(signal: Signal): 'spans' | 'metric_points' | 'log_records' {
  switch (signal) {
    case 'traces':
      return 'spans';
    case 'metrics':
      return 'metric_points';
    case 'logs':
      return 'log_records';
    default:
      throw new Error(`unknown signal ${String(signal)}`);
  }
}

// Test support for the otlp receiver tests (not used by the collector): a recording consumer, a
// host with an optional memory guard, plain HTTP/1.1 and HTTP/2 clients, and telemetry made by
// the real OpenTelemetry JS SDKs.

import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, type IncomingHttpHeaders as H2Headers, type OutgoingHttpHeaders as H2OutHeaders } from 'node:http2';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import type { Consumer, CreateSettings, Host, MemoryGuard } from '../../component/component.js';
import type { Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';
import type { OtlpReceiverConfig } from './config.js';
import { type OtlpReceiver, otlpReceiverFactory } from './factory.js';

/** Records every batch; `fail` makes the next calls throw what it returns. */
export class RecordingConsumer<S extends Signal = Signal> implements Consumer<S> {
  readonly mutatesData = false;
  readonly batches: Batch<S>[] = [];
  fail: (() => unknown) | undefined;

  async consume(batch: Batch<S>): Promise<void> {
    if (this.fail !== undefined) throw this.fail();
    this.batches.push(batch);
  }

  get items(): number {
    let n = 0;
    for (const b of this.batches) n += b.itemCount;
    return n;
  }

  clear(): void {
    this.batches.length = 0;
  }
}

export class TestHost implements Host {
  guardDelayMs: number | undefined;
  private readonly guard: MemoryGuard = { refuseFor: () => this.guardDelayMs };
  reportStatus(): void {}
  healthy(): boolean {
    return true;
  }
  statuses(): [] {
    return [];
  }
  memoryGuard(): MemoryGuard | undefined {
    return this.guard;
  }
}

/** A log sink that keeps the JSON lines. */
export class LogLines {
  readonly lines: Array<Record<string, unknown>> = [];
  write(line: string): boolean {
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  }
}

export interface Started {
  readonly receiver: OtlpReceiver;
  readonly metrics: MetricsRegistry;
  readonly host: TestHost;
  readonly logs: LogLines;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly traces: RecordingConsumer<'traces'>;
  readonly metricsConsumer: RecordingConsumer<'metrics'>;
  readonly logsConsumer: RecordingConsumer<'logs'>;
}

/** Start an otlp receiver on 127.0.0.1 with free ports and recording consumers. */
export async function startReceiver(
  protocols: OtlpReceiverConfig['protocols'] = { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } },
  signals: readonly Signal[] = ['traces', 'metrics', 'logs'],
): Promise<Started> {
  const metrics = new MetricsRegistry();
  const logs = new LogLines();
  const settings: CreateSettings = {
    id: { type: 'otlp', name: '' },
    kind: 'receiver',
    logger: pino({ level: 'info' }, logs),
    metrics,
  };
  const traces = new RecordingConsumer<'traces'>();
  const metricsConsumer = new RecordingConsumer<'metrics'>();
  const logsConsumer = new RecordingConsumer<'logs'>();
  const next: { traces?: Consumer<'traces'>; metrics?: Consumer<'metrics'>; logs?: Consumer<'logs'> } = {};
  if (signals.includes('traces')) next.traces = traces;
  if (signals.includes('metrics')) next.metrics = metricsConsumer;
  if (signals.includes('logs')) next.logs = logsConsumer;
  const receiver = otlpReceiverFactory.create(settings, { protocols }, next) as OtlpReceiver;
  const host = new TestHost();
  await receiver.start(host);
  const a = receiver.addresses();
  return {
    receiver,
    metrics,
    host,
    logs,
    httpPort: a.http?.port ?? 0,
    grpcPort: a.grpc?.port ?? 0,
    traces,
    metricsConsumer,
    logsConsumer,
  };
}

/** Value of a counter series (0 when absent). */
export function counter(metrics: MetricsRegistry, name: string, labels: Record<string, string>): number {
  return metrics.counter(name, '').get(labels);
}

// ------------------------------------------------------------------ HTTP/1.1 client

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface PostOptions {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Uint8Array | string;
  /** Chunks written one by one (chunked encoding unless a Content-Length header is given);
   * writing stops once the answer arrives. */
  readonly chunks?: () => Iterable<Uint8Array>;
  /** Send the headers only and wait for an answer (for early refusals). */
  readonly headersOnly?: boolean;
  readonly timeoutMs?: number;
}

/** One request on a fresh connection; resolves with the answer. */
export function post(port: number, path: string, opts: PostOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      method: opts.method ?? 'POST',
      headers: opts.headers,
      agent: false,
      timeout: opts.timeoutMs ?? 10_000,
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        req.destroy();
      });
    });
    if (opts.headersOnly === true) {
      req.flushHeaders();
      return;
    }
    if (opts.chunks !== undefined) {
      const it = opts.chunks()[Symbol.iterator]();
      const pump = (): void => {
        while (!answered && !req.destroyed) {
          const n = it.next();
          if (n.done === true) {
            req.end();
            return;
          }
          if (!req.write(n.value)) {
            req.once('drain', pump);
            return;
          }
        }
      };
      pump();
      return;
    }
    req.end(opts.body);
  });
}

// ------------------------------------------------------------------ HTTP/2 (gRPC) client

export interface GrpcAnswer {
  readonly headers: H2Headers;
  readonly trailers: H2Headers;
  readonly body: Buffer;
  /** grpc-status from the trailers, or from the headers of a trailers-only answer. */
  readonly status: number;
  readonly message: string;
}

/** One gRPC call over a fresh HTTP/2 connection with a raw body (already framed). */
export function grpcCall(
  port: number,
  path: string,
  body: Uint8Array,
  headers: H2OutHeaders = {},
  timeoutMs = 10_000,
): Promise<GrpcAnswer> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error('gRPC call timed out'));
    }, timeoutMs);
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    let respHeaders: H2Headers = {};
    let trailers: H2Headers = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      respHeaders = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => {
      // RST_STREAM after the answer: the answer is what counts
    });
    stream.on('close', () => {
      clearTimeout(timer);
      session.close();
      const src = trailers['grpc-status'] !== undefined ? trailers : respHeaders;
      const status = Number(src['grpc-status'] ?? Number.NaN);
      const raw = src['grpc-message'];
      resolve({
        headers: respHeaders,
        trailers,
        body: Buffer.concat(chunks),
        status,
        message: typeof raw === 'string' ? decodeURIComponent(raw) : '',
      });
    });
    stream.end(body);
  });
}

// ------------------------------------------------------------------ SDK telemetry

export function exportWith<T>(
  exporter: { export(items: T, cb: (r: ExportResult) => void): void },
  items: T,
): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(items, resolve));
}

const resource = resourceFromAttributes({ 'service.name': 'receiver-test', 'host.name': 'test-host' });

/** `n` finished spans named `span-0`..., each with attributes `i` (int) and `kind` (string). */
export async function makeSpans(n: number): Promise<ReadableSpan[]> {
  const mem = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(mem)] });
  const tracer = provider.getTracer('receiver-test', '1.0.0');
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`span-${i}`, { attributes: { i, kind: 'test' } });
    span.end();
  }
  await provider.forceFlush();
  const spans = mem.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** A counter `requests` (value 7, attribute route=/a) and a gauge-like histogram `latency`. */
export async function makeMetrics(): Promise<ResourceMetrics> {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('receiver-test');
  meter.createCounter('requests').add(7, { route: '/a' });
  const h = meter.createHistogram('latency', { unit: 'ms' });
  h.record(5, { route: '/a' });
  h.record(15, { route: '/a' });
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new Error(`metric collection failed: ${String(errors[0])}`);
  await provider.shutdown();
  return resourceMetrics;
}

/** `n` log records with bodies `log line 0`..., attribute `n` = index. */
export async function makeLogs(n: number): Promise<ReadableLogRecord[]> {
  const mem = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: mem })] });
  const logger = provider.getLogger('receiver-test');
  for (let i = 0; i < n; i++) logger.emit({ body: `log line ${i}`, severityText: 'INFO', attributes: { n: i } });
  await provider.forceFlush();
  const records = mem.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

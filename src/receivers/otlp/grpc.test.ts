import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ProtobufTraceSerializer } from 'otlp-decode';
import { permanentError, retryableError } from '../../component/errors.js';
import type {
  AnyValue,
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
} from '../../pdata/model.js';
import { encodeFrame, GrpcStatus, OTLP_GRPC_PATHS } from '../../transport/grpc.js';
import {
  counter,
  exportWith,
  grpcCall,
  makeLogs,
  makeMetrics,
  makeSpans,
  type Started,
  startReceiver,
} from './testkit.js';

const R = { receiver: 'otlp', transport: 'grpc' };
const TRACES = OTLP_GRPC_PATHS.traces;

function attr(attrs: ReadonlyArray<{ key: string; value: AnyValue }>, key: string): AnyValue | undefined {
  return attrs.find((a) => a.key === key)?.value;
}

// ---- a tiny protobuf reader for google.rpc.Status / Any / RetryInfo / Duration
function readVarint(b: Buffer, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const byte = b[pos++] as number;
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return [v, pos];
    mul *= 128;
  }
}
function fields(b: Buffer): Map<number, Array<number | Buffer>> {
  const out = new Map<number, Array<number | Buffer>>();
  let pos = 0;
  while (pos < b.length) {
    let tag: number;
    [tag, pos] = readVarint(b, pos);
    const field = tag >>> 3;
    let value: number | Buffer;
    if ((tag & 7) === 0) {
      [value, pos] = readVarint(b, pos);
    } else {
      let len: number;
      [len, pos] = readVarint(b, pos);
      value = b.subarray(pos, pos + len);
      pos += len;
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}
/** Decode grpc-status-details-bin: code, message, and the RetryInfo delay in ms (if any). */
function statusDetails(bin: Buffer): { code: number; message: string; retryDelayMs?: number } {
  const status = fields(bin);
  const code = (status.get(1)?.[0] as number | undefined) ?? 0;
  const message = ((status.get(2)?.[0] as Buffer | undefined) ?? Buffer.alloc(0)).toString();
  for (const any of (status.get(3) ?? []) as Buffer[]) {
    const a = fields(any);
    if (String(a.get(1)?.[0] ?? '') !== 'type.googleapis.com/google.rpc.RetryInfo') continue;
    const retryInfo = fields(a.get(2)?.[0] as Buffer);
    const duration = fields(retryInfo.get(1)?.[0] as Buffer);
    const seconds = (duration.get(1)?.[0] as number | undefined) ?? 0;
    const nanos = (duration.get(2)?.[0] as number | undefined) ?? 0;
    return { code, message, retryDelayMs: seconds * 1000 + nanos / 1e6 };
  }
  return { code, message };
}

describe('otlp receiver: OTLP/gRPC with the OpenTelemetry JS SDK exporters (@grpc/grpc-js)', () => {
  let rx: Started;
  before(async () => {
    rx = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
  });
  after(async () => {
    await rx.receiver.shutdown();
  });
  beforeEach(() => {
    rx.traces.clear();
    rx.metricsConsumer.clear();
    rx.logsConsumer.clear();
  });

  for (const gzip of [false, true]) {
    const compression = gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
    const suffix = gzip ? ' with gzip' : '';

    test(`traces${suffix}`, async () => {
      const before = counter(rx.metrics, 'otelcol_receiver_accepted_spans_total', R);
      const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${rx.grpcPort}`, compression });
      const result = await exportWith(exporter, await makeSpans(3));
      await exporter.shutdown();
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      const req = rx.traces.batches[0]?.request() as ExportTraceServiceRequest;
      const rs = req.resourceSpans[0];
      assert.equal(attr(rs?.resource?.attributes ?? [], 'service.name'), 'receiver-test');
      const spans = rs?.scopeSpans[0]?.spans ?? [];
      assert.deepEqual(
        spans.map((s) => s.name),
        ['span-0', 'span-1', 'span-2'],
      );
      assert.equal(attr(spans[2]?.attributes ?? [], 'i'), 2n);
      assert.equal(counter(rx.metrics, 'otelcol_receiver_accepted_spans_total', R) - before, 3);
    });

    test(`metrics${suffix}`, async () => {
      const before = counter(rx.metrics, 'otelcol_receiver_accepted_metric_points_total', R);
      const exporter = new OTLPMetricExporter({ url: `http://127.0.0.1:${rx.grpcPort}`, compression });
      const result = await exportWith(exporter, await makeMetrics());
      await exporter.shutdown();
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      const req = rx.metricsConsumer.batches[0]?.request() as ExportMetricsServiceRequest;
      const metrics = req.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
      const requests = metrics.find((m) => m.name === 'requests');
      const dp = requests?.data?.type === 'sum' ? requests.data.dataPoints[0] : undefined;
      assert.ok(dp?.value === 7 || dp?.value === 7n, `value ${String(dp?.value)}`);
      const latency = metrics.find((m) => m.name === 'latency');
      const h = latency?.data?.type === 'histogram' ? latency.data.dataPoints[0] : undefined;
      assert.equal(h?.sum, 20);
      assert.equal(counter(rx.metrics, 'otelcol_receiver_accepted_metric_points_total', R) - before, 2);
    });

    test(`logs${suffix}`, async () => {
      const before = counter(rx.metrics, 'otelcol_receiver_accepted_log_records_total', R);
      const exporter = new OTLPLogExporter({ url: `http://127.0.0.1:${rx.grpcPort}`, compression });
      const result = await exportWith(exporter, await makeLogs(3));
      await exporter.shutdown();
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      const req = rx.logsConsumer.batches[0]?.request() as ExportLogsServiceRequest;
      const records = req.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
      assert.deepEqual(
        records.map((r) => r.body),
        ['log line 0', 'log line 1', 'log line 2'],
      );
      assert.equal(counter(rx.metrics, 'otelcol_receiver_accepted_log_records_total', R) - before, 3);
    });
  }
});

describe('otlp receiver: OTLP/gRPC bad input', () => {
  let rx: Started;
  let message: Uint8Array;
  const MAX = 1024 * 1024;

  const bad = (reason: string) => counter(rx.metrics, 'switchyard_receiver_bad_requests_total', { ...R, reason });

  async function stillServes(): Promise<void> {
    const n = rx.traces.items;
    const res = await grpcCall(rx.grpcPort, TRACES, encodeFrame(message, false));
    assert.equal(res.status, GrpcStatus.OK, res.message);
    assert.equal(rx.traces.items, n + 2);
  }

  before(async () => {
    rx = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', max_recv_msg_size_mib: 1 } }, ['traces']);
    message = ProtobufTraceSerializer.serializeRequest(await makeSpans(2)) as Uint8Array;
  });
  after(async () => {
    await rx.receiver.shutdown();
  });
  beforeEach(() => {
    rx.traces.fail = undefined;
    rx.host.guardDelayMs = undefined;
  });

  test('a good call: OK with an empty response message and grpc-status trailer', async () => {
    const res = await grpcCall(rx.grpcPort, TRACES, encodeFrame(message, false));
    assert.equal(res.status, 0);
    assert.equal(res.headers[':status'], 200);
    assert.equal(res.headers['content-type'], 'application/grpc');
    assert.equal(res.trailers['grpc-status'], '0');
    assert.deepEqual([...res.body], [0, 0, 0, 0, 0]);
    // gzip with the compressed flag
    const res2 = await grpcCall(rx.grpcPort, TRACES, encodeFrame(gzipSync(message), true), { 'grpc-encoding': 'gzip' });
    assert.equal(res2.status, 0, res2.message);
    // deflate (zlib), and an uncompressed message under a grpc-encoding header (allowed)
    const res3 = await grpcCall(rx.grpcPort, TRACES, encodeFrame(deflateSync(message), true), {
      'grpc-encoding': 'deflate',
    });
    assert.equal(res3.status, 0, res3.message);
    const res4 = await grpcCall(rx.grpcPort, TRACES, encodeFrame(message, false), { 'grpc-encoding': 'gzip' });
    assert.equal(res4.status, 0, res4.message);
  });

  test('oversized message: RESOURCE_EXHAUSTED from the length prefix', async () => {
    const before = bad('too_large');
    const big = Buffer.alloc(MAX + 1);
    const res = await grpcCall(rx.grpcPort, TRACES, encodeFrame(big, false));
    assert.equal(res.status, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.match(res.message, new RegExp(`gRPC message of ${MAX + 1} bytes exceeds the limit of ${MAX} bytes`));
    // A @grpc/grpc-js client sending 16 MiB gets the same answer (the server stops reading).
    const client = new Client(`127.0.0.1:${rx.grpcPort}`, credentials.createInsecure());
    try {
      const err = await new Promise<ServiceError | null>((resolve) => {
        client.makeUnaryRequest(
          TRACES,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(16 * MAX, 1),
          new Metadata(),
          (e) => resolve(e),
        );
      });
      assert.equal(err?.code, GrpcStatus.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
    assert.equal(bad('too_large') - before, 2);
    await stillServes();
  });

  test('oversized after decompression: RESOURCE_EXHAUSTED', async () => {
    const before = bad('too_large');
    const bomb = gzipSync(Buffer.alloc(64 * MAX));
    const res = await grpcCall(rx.grpcPort, TRACES, encodeFrame(bomb, true), { 'grpc-encoding': 'gzip' });
    assert.equal(res.status, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.match(res.message, /decompressed gRPC message exceeds the limit/);
    assert.equal(bad('too_large') - before, 1);
    await stillServes();
  });

  test('malformed protobuf: INVALID_ARGUMENT', async () => {
    const before = bad('decode');
    const res = await grpcCall(rx.grpcPort, TRACES, encodeFrame(Buffer.from([0x0a, 0xff, 0xff, 0x01]), false));
    assert.equal(res.status, GrpcStatus.INVALID_ARGUMENT);
    assert.match(res.message, /malformed protobuf request/);
    // truncated frame and bad gzip are malformed too
    const res2 = await grpcCall(rx.grpcPort, TRACES, encodeFrame(message, false).subarray(0, 20));
    assert.equal(res2.status, GrpcStatus.INVALID_ARGUMENT);
    assert.match(res2.message, /truncated gRPC message/);
    const res3 = await grpcCall(rx.grpcPort, TRACES, encodeFrame(Buffer.from('not gzip'), true), {
      'grpc-encoding': 'gzip',
    });
    assert.equal(res3.status, GrpcStatus.INVALID_ARGUMENT);
    assert.match(res3.message, /invalid gzip message/);
    assert.equal(bad('decode') - before, 3);
    await stillServes();
  });

  test('unsupported grpc-encoding: UNIMPLEMENTED with grpc-accept-encoding', async () => {
    const before = bad('unsupported_media_type');
    const res = await grpcCall(rx.grpcPort, TRACES, encodeFrame(message, true), { 'grpc-encoding': 'snappy' });
    assert.equal(res.status, GrpcStatus.UNIMPLEMENTED);
    assert.match(res.message, /grpc-encoding "snappy" is not supported/);
    assert.equal(res.headers['grpc-accept-encoding'], 'identity,gzip,deflate');
    assert.equal(bad('unsupported_media_type') - before, 1);
    await stillServes();
  });

  test('unknown method and signal without a pipeline: UNIMPLEMENTED', async () => {
    const before = bad('not_found');
    const res = await grpcCall(rx.grpcPort, '/foo.Bar/Baz', encodeFrame(message, false));
    assert.equal(res.status, GrpcStatus.UNIMPLEMENTED);
    assert.match(res.message, /unknown method \/foo.Bar\/Baz/);
    const res2 = await grpcCall(rx.grpcPort, OTLP_GRPC_PATHS.logs, encodeFrame(message, false));
    assert.equal(res2.status, GrpcStatus.UNIMPLEMENTED);
    assert.match(res2.message, /this receiver has no logs pipeline/);
    assert.equal(bad('not_found') - before, 2);
    await stillServes();
  });

  test('not gRPC at all: HTTP 415', async () => {
    const before = bad('unsupported_media_type');
    const res = await grpcCall(rx.grpcPort, TRACES, message, { 'content-type': 'application/json' });
    assert.equal(res.headers[':status'], 415);
    assert.equal(bad('unsupported_media_type') - before, 1);
    await stillServes();
  });

  test('memory guard: UNAVAILABLE with RetryInfo, before reading the message', async () => {
    const before = bad('memory_limit');
    rx.host.guardDelayMs = 2500;
    const res = await grpcCall(rx.grpcPort, TRACES, encodeFrame(message, false));
    assert.equal(res.status, GrpcStatus.UNAVAILABLE);
    const details = statusDetails(Buffer.from(String(res.headers['grpc-status-details-bin']), 'base64'));
    assert.deepEqual(details, { code: 14, message: 'memory limit reached, retry later', retryDelayMs: 2500 });
    assert.equal(bad('memory_limit') - before, 1);
    rx.host.guardDelayMs = undefined;
    await stillServes();
  });

  test('retryable consumer error: UNAVAILABLE with RetryInfo, seen by a @grpc/grpc-js client', async () => {
    const refused = () => counter(rx.metrics, 'otelcol_receiver_refused_spans_total', { ...R, reason: 'memory_limit' });
    const before = refused();
    rx.traces.fail = () => retryableError('SY_MEMORY_LIMIT', 'memory usage is above the soft limit', 1200);
    const client = new Client(`127.0.0.1:${rx.grpcPort}`, credentials.createInsecure());
    try {
      const err = await new Promise<ServiceError | null>((resolve) => {
        client.makeUnaryRequest(
          TRACES,
          (b: Uint8Array) => Buffer.from(b),
          (b: Buffer) => b,
          message,
          new Metadata(),
          (e) => resolve(e),
        );
      });
      assert.ok(err !== null);
      assert.equal(err.code, GrpcStatus.UNAVAILABLE);
      assert.match(err.details, /memory usage is above the soft limit/);
      const bin = err.metadata.get('grpc-status-details-bin')[0];
      assert.ok(Buffer.isBuffer(bin));
      const details = statusDetails(bin);
      assert.equal(details.code, 14);
      assert.equal(details.retryDelayMs, 1200);
    } finally {
      client.close();
    }
    assert.equal(refused() - before, 2);
    rx.traces.fail = undefined;
    await stillServes();
  });

  test('permanent consumer error: INVALID_ARGUMENT, items counted as refused', async () => {
    const refused = () =>
      counter(rx.metrics, 'otelcol_receiver_refused_spans_total', { ...R, reason: 'export_permanent' });
    const before = refused();
    rx.traces.fail = () => permanentError('SY_EXPORT_PERMANENT', 'destination rejected the data');
    const res = await grpcCall(rx.grpcPort, TRACES, encodeFrame(message, false));
    assert.equal(res.status, GrpcStatus.INVALID_ARGUMENT);
    assert.match(res.message, /data refused: destination rejected the data/);
    assert.equal(res.headers['grpc-status-details-bin'], undefined);
    assert.equal(refused() - before, 2);
    rx.traces.fail = undefined;
    await stillServes();
  });
});

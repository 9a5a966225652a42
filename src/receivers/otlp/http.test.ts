import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as LogsHttpJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsHttpProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as MetricsHttpJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsHttpProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TracesHttpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TracesHttpProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from 'otlp-decode';
import { permanentError, retryableError } from '../../component/errors.js';
import type {
  AnyValue,
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
} from '../../pdata/model.js';
import { counter, exportWith, makeLogs, makeMetrics, makeSpans, post, type Started, startReceiver } from './testkit.js';

const LIMIT = 4 * 1024 * 1024;
const R = { receiver: 'otlp', transport: 'http' };

function attr(attrs: ReadonlyArray<{ key: string; value: AnyValue }>, key: string): AnyValue | undefined {
  return attrs.find((a) => a.key === key)?.value;
}

describe('otlp receiver: OTLP/HTTP with the OpenTelemetry JS SDK exporters', () => {
  let rx: Started;
  before(async () => {
    rx = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: LIMIT } });
  });
  after(async () => {
    await rx.receiver.shutdown();
  });
  beforeEach(() => {
    rx.traces.clear();
    rx.metricsConsumer.clear();
    rx.logsConsumer.clear();
  });

  for (const [name, Exporter] of [
    ['http/json', TracesHttpJson],
    ['http/protobuf', TracesHttpProto],
  ] as const) {
    for (const gzip of [false, true]) {
      test(`traces over ${name}${gzip ? ' with gzip' : ''}`, async () => {
        const before = counter(rx.metrics, 'otelcol_receiver_accepted_spans_total', R);
        const exporter = new Exporter({
          url: `http://127.0.0.1:${rx.httpPort}/v1/traces`,
          compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
        });
        const result = await exportWith(exporter, await makeSpans(3));
        await exporter.shutdown();
        assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
        assert.equal(rx.traces.batches.length, 1);
        const req = rx.traces.batches[0]?.request() as ExportTraceServiceRequest;
        const rs = req.resourceSpans[0];
        assert.equal(attr(rs?.resource?.attributes ?? [], 'service.name'), 'receiver-test');
        const spans = rs?.scopeSpans[0]?.spans ?? [];
        assert.deepEqual(
          spans.map((s) => s.name),
          ['span-0', 'span-1', 'span-2'],
        );
        assert.equal(attr(spans[1]?.attributes ?? [], 'i'), 1n);
        assert.equal(attr(spans[1]?.attributes ?? [], 'kind'), 'test');
        assert.equal(spans[0]?.traceId.length, 16);
        assert.equal(counter(rx.metrics, 'otelcol_receiver_accepted_spans_total', R) - before, 3);
      });
    }
  }

  for (const [name, Exporter] of [
    ['http/json', MetricsHttpJson],
    ['http/protobuf', MetricsHttpProto],
  ] as const) {
    for (const gzip of [false, true]) {
      test(`metrics over ${name}${gzip ? ' with gzip' : ''}`, async () => {
        const before = counter(rx.metrics, 'otelcol_receiver_accepted_metric_points_total', R);
        const exporter = new Exporter({
          url: `http://127.0.0.1:${rx.httpPort}/v1/metrics`,
          compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
        });
        const result = await exportWith(exporter, await makeMetrics());
        await exporter.shutdown();
        assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
        const req = rx.metricsConsumer.batches[0]?.request() as ExportMetricsServiceRequest;
        const metrics = req.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
        const requests = metrics.find((m) => m.name === 'requests');
        assert.equal(requests?.data?.type, 'sum');
        const dp = requests?.data?.type === 'sum' ? requests.data.dataPoints[0] : undefined;
        assert.ok(dp?.value === 7 || dp?.value === 7n, `value ${String(dp?.value)}`);
        assert.equal(attr(dp?.attributes ?? [], 'route'), '/a');
        const latency = metrics.find((m) => m.name === 'latency');
        assert.equal(latency?.unit, 'ms');
        const h = latency?.data?.type === 'histogram' ? latency.data.dataPoints[0] : undefined;
        assert.equal(h?.count, 2n);
        assert.equal(h?.sum, 20);
        assert.equal(counter(rx.metrics, 'otelcol_receiver_accepted_metric_points_total', R) - before, 2);
      });
    }
  }

  for (const [name, Exporter] of [
    ['http/json', LogsHttpJson],
    ['http/protobuf', LogsHttpProto],
  ] as const) {
    for (const gzip of [false, true]) {
      test(`logs over ${name}${gzip ? ' with gzip' : ''}`, async () => {
        const before = counter(rx.metrics, 'otelcol_receiver_accepted_log_records_total', R);
        const exporter = new Exporter({
          url: `http://127.0.0.1:${rx.httpPort}/v1/logs`,
          compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
        });
        const result = await exportWith(exporter, await makeLogs(2));
        await exporter.shutdown();
        assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
        const req = rx.logsConsumer.batches[0]?.request() as ExportLogsServiceRequest;
        const records = req.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
        assert.deepEqual(
          records.map((r) => r.body),
          ['log line 0', 'log line 1'],
        );
        assert.equal(records[1]?.severityText, 'INFO');
        assert.equal(counter(rx.metrics, 'otelcol_receiver_accepted_log_records_total', R) - before, 2);
      });
    }
  }
});

describe('otlp receiver: OTLP/HTTP bad input', () => {
  let rx: Started;
  let protoBody: Uint8Array;
  let jsonBody: Uint8Array;
  const proto = { 'Content-Type': 'application/x-protobuf' };
  const json = { 'Content-Type': 'application/json' };

  const bad = (reason: string) => counter(rx.metrics, 'switchyard_receiver_bad_requests_total', { ...R, reason });

  /** The receiver still serves a good request after a bad one. */
  async function stillServes(): Promise<void> {
    const n = rx.traces.items;
    const res = await post(rx.httpPort, '/v1/traces', { headers: proto, body: protoBody });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(rx.traces.items, n + 2);
  }

  before(async () => {
    // Only traces and logs: metrics answer 404.
    rx = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: LIMIT } }, ['traces', 'logs']);
    const spans = await makeSpans(2);
    protoBody = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
    jsonBody = JsonTraceSerializer.serializeRequest(spans) as Uint8Array;
  });
  after(async () => {
    await rx.receiver.shutdown();
  });
  beforeEach(() => {
    rx.traces.fail = undefined;
    rx.host.guardDelayMs = undefined;
  });

  test('a good protobuf and a good JSON request (charset parameter) are accepted', async () => {
    await stillServes();
    const res = await post(rx.httpPort, '/v1/traces', {
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: jsonBody,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.body.toString()), {});
  });

  test('malformed protobuf: 400 with the decoder message', async () => {
    const before = bad('decode');
    const res = await post(rx.httpPort, '/v1/traces', { headers: proto, body: Buffer.from([0x0a, 0xff, 0xff, 0x01]) });
    assert.equal(res.status, 400);
    assert.equal(res.headers['content-type'], 'application/x-protobuf');
    // google.rpc.Status: field 1 = INVALID_ARGUMENT (3), field 2 = message
    assert.equal(res.body[0], 0x08);
    assert.equal(res.body[1], 3);
    assert.match(res.body.toString('latin1'), /malformed protobuf request/);
    assert.equal(bad('decode') - before, 1);
    await stillServes();
  });

  test('malformed JSON: 400 with a JSON google.rpc.Status', async () => {
    const before = bad('decode');
    const res = await post(rx.httpPort, '/v1/traces', { headers: json, body: '{"resourceSpans": [' });
    assert.equal(res.status, 400);
    const status = JSON.parse(res.body.toString()) as { code: number; message: string };
    assert.equal(status.code, 3);
    assert.match(status.message, /malformed JSON request/);
    assert.equal(bad('decode') - before, 1);
    await stillServes();
  });

  test('unsupported content type: 415 naming the accepted ones', async () => {
    const before = bad('unsupported_media_type');
    const res = await post(rx.httpPort, '/v1/traces', { headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    assert.equal(res.status, 415);
    const status = JSON.parse(res.body.toString()) as { message: string };
    assert.match(
      status.message,
      /"text\/plain" is not supported: use one of application\/x-protobuf, application\/json/,
    );
    assert.equal(bad('unsupported_media_type') - before, 1);
    await stillServes();
  });

  test('unsupported content encoding: 415', async () => {
    const before = bad('unsupported_media_type');
    const res = await post(rx.httpPort, '/v1/traces', {
      headers: { ...proto, 'Content-Encoding': 'zstd' },
      body: protoBody,
    });
    assert.equal(res.status, 415);
    assert.match(
      res.body.toString('latin1'),
      /content encoding "zstd" is not supported: use one of gzip, deflate, identity/,
    );
    assert.equal(bad('unsupported_media_type') - before, 1);
    await stillServes();
  });

  test('deflate (zlib) bodies are accepted', async () => {
    const { deflateSync } = await import('node:zlib');
    const res = await post(rx.httpPort, '/v1/traces', {
      headers: { ...proto, 'Content-Encoding': 'deflate' },
      body: deflateSync(protoBody),
    });
    assert.equal(res.status, 200);
  });

  test('413 from Content-Length alone, without reading the body', async () => {
    const before = bad('too_large');
    const t0 = Date.now();
    const res = await post(rx.httpPort, '/v1/traces', {
      headers: { ...proto, 'Content-Length': String(LIMIT + 1) },
      headersOnly: true,
    });
    assert.equal(res.status, 413);
    assert.match(
      res.body.toString('latin1'),
      new RegExp(`request body of ${LIMIT + 1} bytes exceeds the limit of ${LIMIT} bytes`),
    );
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(bad('too_large') - before, 1);
    await stillServes();
  });

  test('413 while streaming a chunked body', async () => {
    const before = bad('too_large');
    const chunk = Buffer.alloc(256 * 1024, 1);
    let sent = 0;
    const res = await post(rx.httpPort, '/v1/traces', {
      headers: proto,
      chunks: function* () {
        for (let i = 0; i < 200; i++) {
          sent += chunk.length;
          yield chunk;
        }
      },
    });
    assert.equal(res.status, 413);
    assert.match(res.body.toString('latin1'), /request body exceeds the limit/);
    assert.ok(sent < 50 * 1024 * 1024, `client sent ${sent} bytes before the answer`);
    assert.equal(bad('too_large') - before, 1);
    await stillServes();
  });

  test('413 for a gzip bomb (1 GiB of zeros), fast and with bounded memory', async () => {
    // 16 gzip members of 64 MiB zeros each: one stream that inflates to 1 GiB.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    assert.ok(bomb.length < 2 * 1024 * 1024);
    const before = bad('too_large');
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    const res = await post(rx.httpPort, '/v1/traces', {
      headers: { ...proto, 'Content-Encoding': 'gzip' },
      body: bomb,
    });
    const ms = Date.now() - t0;
    const grown = (process.memoryUsage().rss - rss0) / 1024 / 1024;
    assert.equal(res.status, 413);
    assert.match(res.body.toString('latin1'), /decompressed request body exceeds the limit/);
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.ok(grown < 64, `RSS grew by ${grown.toFixed(1)} MiB`);
    assert.equal(bad('too_large') - before, 1);
    await stillServes();
  });

  test('bad gzip: 400', async () => {
    const before = bad('decode');
    const res = await post(rx.httpPort, '/v1/traces', {
      headers: { ...proto, 'Content-Encoding': 'gzip' },
      body: Buffer.from('this is not gzip at all'),
    });
    assert.equal(res.status, 400);
    assert.match(res.body.toString('latin1'), /invalid gzip body/);
    assert.equal(bad('decode') - before, 1);
    // Truncated gzip too.
    const truncated = gzipSync(protoBody).subarray(0, 20);
    const res2 = await post(rx.httpPort, '/v1/traces', {
      headers: { ...proto, 'Content-Encoding': 'gzip' },
      body: truncated,
    });
    assert.equal(res2.status, 400);
    assert.equal(bad('decode') - before, 2);
    await stillServes();
  });

  test('405 for GET, with Allow', async () => {
    const before = bad('method');
    const res = await post(rx.httpPort, '/v1/traces', { method: 'GET' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'POST');
    assert.match(JSON.parse(res.body.toString()).message as string, /method GET not allowed on \/v1\/traces: use POST/);
    assert.equal(bad('method') - before, 1);
    await stillServes();
  });

  test('404 for an unknown path and for a signal without a pipeline', async () => {
    const before = bad('not_found');
    const res = await post(rx.httpPort, '/v1/nope', { headers: proto, body: protoBody });
    assert.equal(res.status, 404);
    assert.match(
      res.body.toString('latin1'),
      /unknown path \/v1\/nope: this receiver serves POST \/v1\/traces, \/v1\/metrics, \/v1\/logs/,
    );
    const res2 = await post(rx.httpPort, '/v1/metrics', { headers: json, body: '{}' });
    assert.equal(res2.status, 404);
    assert.match(JSON.parse(res2.body.toString()).message as string, /this receiver has no metrics pipeline/);
    assert.equal(bad('not_found') - before, 2);
    await stillServes();
  });

  test('memory guard: 503 with Retry-After before reading the body', async () => {
    const before = bad('memory_limit');
    rx.host.guardDelayMs = 1500;
    const n = rx.traces.items;
    const res = await post(rx.httpPort, '/v1/traces', { headers: json, body: jsonBody });
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '2');
    const status = JSON.parse(res.body.toString()) as { code: number; details: Array<Record<string, string>> };
    assert.equal(status.code, 14);
    assert.equal(status.details[0]?.['retryDelay'], '1.500s');
    assert.equal(rx.traces.items, n);
    assert.equal(bad('memory_limit') - before, 1);
    rx.host.guardDelayMs = undefined;
    await stillServes();
  });

  test('memory_limiter refusal in the pipeline: 503 with Retry-After, items counted as refused', async () => {
    const refused = () => counter(rx.metrics, 'otelcol_receiver_refused_spans_total', { ...R, reason: 'memory_limit' });
    const before = refused();
    rx.traces.fail = () => retryableError('SY_MEMORY_LIMIT', 'memory usage is above the soft limit');
    const res = await post(rx.httpPort, '/v1/traces', { headers: proto, body: protoBody });
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '1');
    assert.match(res.body.toString('latin1'), /memory usage is above the soft limit/);
    assert.equal(refused() - before, 2);
    rx.traces.fail = undefined;
    await stillServes();
  });

  test('retryable consumer error: 503 (Retry-After from the error)', async () => {
    const refused = () => counter(rx.metrics, 'otelcol_receiver_refused_spans_total', { ...R, reason: 'queue_full' });
    const before = refused();
    rx.traces.fail = () => retryableError('SY_QUEUE_FULL', 'sending queue is full', 3000);
    const res = await post(rx.httpPort, '/v1/traces', { headers: json, body: jsonBody });
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '3');
    assert.match(JSON.parse(res.body.toString()).message as string, /sending queue is full/);
    assert.equal(refused() - before, 2);
    // An unknown error is retryable too; no delay known, so no Retry-After.
    rx.traces.fail = () => new Error('boom');
    const res2 = await post(rx.httpPort, '/v1/traces', { headers: json, body: jsonBody });
    assert.equal(res2.status, 503);
    assert.equal(res2.headers['retry-after'], undefined);
    rx.traces.fail = undefined;
    await stillServes();
  });

  test('permanent consumer error: 400, items counted as refused', async () => {
    const refused = () =>
      counter(rx.metrics, 'otelcol_receiver_refused_spans_total', { ...R, reason: 'export_permanent' });
    const before = refused();
    rx.traces.fail = () => permanentError('SY_EXPORT_PERMANENT', 'destination rejected the data');
    const res = await post(rx.httpPort, '/v1/traces', { headers: proto, body: protoBody });
    assert.equal(res.status, 400);
    assert.match(res.body.toString('latin1'), /data refused: destination rejected the data/);
    assert.equal(refused() - before, 2);
    assert.ok(counter(rx.metrics, 'otelcol_receiver_requests_total', { ...R, outcome: 'refused' }) >= 1);
    rx.traces.fail = undefined;
    await stillServes();
  });

  test('warn logs are rate-limited per reason', async () => {
    const count = () => rx.logs.lines.filter((l) => l['reason'] === 'method').length;
    const before = count();
    for (let i = 0; i < 5; i++) await post(rx.httpPort, '/v1/traces', { method: 'PUT' });
    assert.ok(count() - before <= 1);
  });
});

describe('otlp receiver: OTLP/HTTP extras', () => {
  let rx: Started;
  before(async () => {
    rx = await startReceiver(
      {
        http: {
          endpoint: '127.0.0.1:0',
          max_request_body_size: 1024,
          cors: { allowed_origins: ['https://*.example.com'], max_age: 60 },
        },
      },
      ['traces'],
    );
  });
  after(async () => {
    await rx.receiver.shutdown();
  });

  test('CORS preflight and simple request from an allowed origin', async () => {
    const pre = await post(rx.httpPort, '/v1/traces', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, x-secret',
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(pre.headers['access-control-allow-methods'], 'POST');
    assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
    assert.equal(pre.headers['access-control-max-age'], '60');
    const res = await post(rx.httpPort, '/v1/traces', {
      headers: { Origin: 'https://app.example.com', 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com');
  });

  test('CORS: an origin not allowed gets no CORS headers', async () => {
    const pre = await post(rx.httpPort, '/v1/traces', {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.test', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
  });

  test('Expect: 100-continue with a body over the limit is refused before the body is sent', async () => {
    const { request } = await import('node:http');
    const answer = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = request({
        host: '127.0.0.1',
        port: rx.httpPort,
        path: '/v1/traces',
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': '4096', Expect: '100-continue' },
      });
      req.on('continue', () => {
        continued = true;
      });
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, continued });
          req.destroy();
        });
      });
      req.flushHeaders();
    });
    assert.deepEqual(answer, { status: 413, continued: false });
  });

  test('an empty request is a success and reaches no consumer', async () => {
    const res = await post(rx.httpPort, '/v1/traces', { headers: { 'Content-Type': 'application/x-protobuf' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(rx.traces.batches.length, 0);
  });
});

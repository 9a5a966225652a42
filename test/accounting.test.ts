// The accounting identity under failures: every item a client got a 200 for is, at the
// exporter, sent, failed with a reason, or refused at its queue. Nothing disappears uncounted.
// The destination answers 503 (retried), 400 (permanent) and 200; the queue is small enough to
// overflow.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Batch } from '../src/pdata/batch.js';
import { freePort, startCollector, waitFor } from './helpers.js';

function tracesJson(spans: number, tag: number): string {
  const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'accounting' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId: hex(tag + 1, 32),
              spanId: hex(i + 1, 16),
              name: `op-${tag}-${i}`,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000100000000',
            })),
          },
        ],
      },
    ],
  });
}

describe('accounting under downstream failures', () => {
  it('accepted = sent + send_failed{reason} + enqueue_failed + queued, and the sink got exactly what was sent', async () => {
    let requests = 0;
    let delivered = 0;
    const sink = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests++;
        // 1-3: busy (retried); every 5th: permanently rejected; otherwise accepted, slowly.
        if (requests <= 3) {
          res.writeHead(503, { 'Retry-After': '0' }).end();
          return;
        }
        if (requests % 5 === 0) {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"code":3,"message":"rejected"}');
          return;
        }
        setTimeout(() => {
          delivered += Batch.fromProto('traces', Buffer.concat(chunks)).itemCount;
          res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
        }, 30);
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const sinkPort = (sink.address() as AddressInfo).port;
    const httpPort = await freePort();
    const collector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${httpPort} }
processors:
  batch: { timeout: 5ms, send_batch_size: 20 }
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${sinkPort}
    compression: none
    retry_on_failure: { initial_interval: 10ms, max_interval: 20ms, max_elapsed_time: 2s }
    sending_queue: { queue_size: 3, num_consumers: 1 }
service:
  pipelines:
    traces: { receivers: [otlp], processors: [batch], exporters: [otlphttp] }
  telemetry:
    metrics: { level: none }
`);
    let acked = 0;
    let refused = 0;
    try {
      for (let i = 0; i < 60; i++) {
        const res = await fetch(`http://127.0.0.1:${httpPort}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: tracesJson(10, i),
        });
        await res.arrayBuffer();
        if (res.status === 200) acked += 10;
        else refused += 10;
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await collector.stop();
      await new Promise<void>((r) => sink.close(() => r()));
    }
    const m = collector.metrics;
    const accepted = m.counter('otelcol_receiver_accepted_spans_total', '').sum();
    const sent = m.counter('otelcol_exporter_sent_spans_total', '').sum();
    const failed = m.counter('otelcol_exporter_send_failed_spans_total', '');
    const enqueueFailed = m.counter('otelcol_exporter_enqueue_failed_spans_total', '').sum();
    const queued = m.gauge('otelcol_exporter_queue_size', '').get({ exporter: 'otlphttp', data_type: 'traces' });

    assert.equal(accepted, acked, 'every 200 the client got is an accepted item');
    assert.equal(refused, 0, 'the batch processor acknowledges everything it takes in');
    assert.ok(failed.sum({ reason: 'permanent' }) > 0, 'the 400s were counted as permanent failures');
    assert.ok(requests > 3, 'the 503s were retried');
    assert.ok(enqueueFailed > 0, 'the small queue overflowed and counted it');
    assert.equal(queued, 0, 'the queue drained on shutdown');
    assert.equal(accepted, sent + failed.sum() + enqueueFailed, 'accepted = sent + failed + refused at the queue');
    await waitFor('sink count', () => (delivered === sent ? true : undefined), 2000);
    assert.equal(delivered, sent, 'the sink received exactly what was counted as sent');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from './metrics.js';

describe('MetricsRegistry', () => {
  it('renders counters, gauges and histograms in Prometheus text format', () => {
    const r = new MetricsRegistry();
    const c = r.counter('otelcol_receiver_accepted_spans_total', 'Spans accepted');
    c.with({ receiver: 'otlp', transport: 'http' }).add(3);
    c.add(2, { receiver: 'otlp', transport: 'grpc' });
    r.gauge('otelcol_exporter_queue_size', 'Queue size').set(7, { exporter: 'otlp', data_type: 'traces' });
    const h = r.histogram('otelcol_processor_batch_batch_send_size', 'Batch sizes', [10, 100]);
    h.record(5);
    h.record(50);
    h.record(500);
    const text = r.render();
    assert.match(text, /# TYPE otelcol_receiver_accepted_spans_total counter/);
    assert.match(text, /otelcol_receiver_accepted_spans_total\{receiver="otlp",transport="http"\} 3/);
    assert.match(text, /otelcol_exporter_queue_size\{exporter="otlp",data_type="traces"\} 7/);
    assert.match(text, /otelcol_processor_batch_batch_send_size_bucket\{le="10"\} 1/);
    assert.match(text, /otelcol_processor_batch_batch_send_size_bucket\{le="100"\} 2/);
    assert.match(text, /otelcol_processor_batch_batch_send_size_bucket\{le="\+Inf"\} 3/);
    assert.match(text, /otelcol_processor_batch_batch_send_size_sum 555/);
    assert.equal(c.sum({ receiver: 'otlp' }), 5);
    assert.equal(c.get({ receiver: 'otlp', transport: 'grpc' }), 2);
  });

  it('escapes label values and refuses a name reused with another type', () => {
    const r = new MetricsRegistry();
    r.counter('x_total', 'x').add(1, { reason: 'a "quoted"\nline\\' });
    assert.match(r.render(), /x_total\{reason="a \\"quoted\\"\\nline\\\\"\} 1/);
    assert.throws(() => r.gauge('x_total', 'x'), /already registered as a counter/);
  });

  it('refreshes callback gauges on render', () => {
    const r = new MetricsRegistry();
    let n = 0;
    const g = r.gauge('q', 'q');
    g.onCollect(() => g.set(++n));
    assert.match(r.render(), /^q 1$/m);
    assert.match(r.render(), /^q 2$/m);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/index.js';
import { distribution } from '../distribution.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { startTelemetryServer, type TelemetryServer } from '../telemetry/server.js';
import { parseSamples } from '../telemetry/status-page.js';
import { encode, gauge, request, userPoints } from './testing.js';
import { CardinalityTracker } from './tracker.js';

async function get(base: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('telemetry server pages', () => {
  let on: TelemetryServer;
  let off: TelemetryServer;
  let onBase = '';
  let offBase = '';
  before(async () => {
    const tracker = new CardinalityTracker();
    tracker.observeProto(encode(request([gauge('a.metric', userPoints(0, 30))])));
    on = await startTelemetryServer('127.0.0.1:0', new MetricsRegistry(), () => {}, { cardinality: () => tracker });
    off = await startTelemetryServer('127.0.0.1:0', new MetricsRegistry(), () => {});
    onBase = `http://127.0.0.1:${on.port}`;
    offBase = `http://127.0.0.1:${off.port}`;
  });
  after(async () => {
    await on.close();
    await off.close();
  });

  it('answers 404 on both explorer paths when tracking is off, and says so on /', async () => {
    assert.equal((await get(offBase, '/cardinality')).status, 404);
    const api = await get(offBase, '/api/cardinality');
    assert.equal(api.status, 404);
    assert.deepEqual(JSON.parse(api.body), { error: 'cardinality tracking is off' });
    const index = await get(offBase, '/');
    assert.equal(index.status, 200);
    assert.match(index.body, /explorer is off/);
    assert.match(index.body, /not running/);
  });

  it('bounds what it accepts: long URLs, odd limits, unknown paths', async () => {
    assert.equal((await get(onBase, `/cardinality?metric=${'x'.repeat(5000)}`)).status, 414);
    const odd = JSON.parse((await get(onBase, '/api/cardinality?limit=abc')).body) as { metrics: unknown[] };
    assert.equal(odd.metrics.length, 1);
    const zero = JSON.parse((await get(onBase, '/api/cardinality?limit=0')).body) as { metrics: unknown[] };
    assert.equal(zero.metrics.length, 1, 'limit is at least 1');
    assert.equal((await get(onBase, '/nope')).status, 404);
    const head = await fetch(`${onBase}/cardinality`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('parses the registry text it reads counts from', () => {
    const reg = new MetricsRegistry();
    reg.counter('otelcol_receiver_accepted_spans_total', 'x').add(5, { receiver: 'otlp', transport: 'http' });
    reg.counter('otelcol_exporter_sent_spans_total', 'x').add(3, { exporter: 'a "quoted" \\ id' });
    const samples = parseSamples(reg.render());
    assert.deepEqual(samples, [
      { name: 'otelcol_receiver_accepted_spans_total', labels: { receiver: 'otlp', transport: 'http' }, value: 5 },
      { name: 'otelcol_exporter_sent_spans_total', labels: { exporter: 'a "quoted" \\ id' }, value: 3 },
    ]);
  });
});

describe('service.telemetry.cardinality', () => {
  const base = `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:4318 }
exporters:
  debug: {}
service:
  pipelines:
    metrics: { receivers: [otlp], exporters: [debug] }
`;
  const load = (extra: string) => loadConfig({ sources: [`yaml:${base}${extra}`], sets: [], distribution });

  it('is on by default with cheap limits, and takes its settings from the config', async () => {
    const { config } = await load('');
    assert.deepEqual(config.service.telemetry.cardinality, {
      enabled: true,
      maxMetrics: 1000,
      maxKeysPerMetric: 16,
      windowMs: 900_000,
    });
    const custom = await load(
      '  telemetry:\n    cardinality: { enabled: false, max_metrics: 5, max_keys_per_metric: 3, window: 1h }\n',
    );
    assert.deepEqual(custom.config.service.telemetry.cardinality, {
      enabled: false,
      maxMetrics: 5,
      maxKeysPerMetric: 3,
      windowMs: 3_600_000,
    });
  });

  it('refuses windows that are not whole minutes from 1m to 60m, and unknown keys', async () => {
    await assert.rejects(load('  telemetry:\n    cardinality: { window: 90s }\n'), /window must be whole minutes/);
    await assert.rejects(load('  telemetry:\n    cardinality: { window: 2h }\n'), /window must be whole minutes/);
    await assert.rejects(load('  telemetry:\n    cardinality: { max_metric: 5 }\n'), /did you mean "max_metrics"/);
  });
});

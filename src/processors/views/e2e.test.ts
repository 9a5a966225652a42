// End to end: OpenTelemetry JS SDK (two meter providers = two sources) -> otlp receiver -> views -> file exporter.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  freePort,
  type InProcessCollector,
  readLines,
  startCollector,
  tempDir,
  waitFor,
} from '../../../test/helpers.js';

interface JsonPoint {
  attributes?: { key: string; value: Record<string, unknown> }[];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
  bucketCounts?: (string | number)[];
  flags?: number;
}
interface JsonMetric {
  name: string;
  sum?: { dataPoints: JsonPoint[]; aggregationTemporality: number };
  histogram?: { dataPoints: JsonPoint[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: JsonPoint[] };
}

function metricsIn(path: string): JsonMetric[][] {
  return readLines(path).map((line) => {
    const req = JSON.parse(line) as {
      resourceMetrics: { scopeMetrics: { metrics: JsonMetric[] }[] }[];
    };
    return req.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
  });
}

const attrText = (p: JsonPoint) =>
  (p.attributes ?? [])
    .map((a) => `${a.key}=${JSON.stringify(a.value)}`)
    .sort()
    .join(',');

describe('views end to end: SDK -> otlp -> views -> file', () => {
  let collector: InProcessCollector;
  let port: number;
  const dir = tempDir();
  const out = join(dir.path, 'metrics.jsonl');

  before(async () => {
    port = await freePort();
    collector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${port} }
processors:
  views:
    interval: 100ms
    views:
      - selector: { instrument_name: requests, instrument_type: counter }
        stream:
          attribute_keys: { excluded: [user, source] }
      - selector: { instrument_name: "http.server.*", instrument_type: histogram }
        stream:
          attribute_keys: { included: [route] }
          aggregation: { base2_exponential_bucket_histogram: { max_size: 40 } }
          temporality: delta
exporters:
  file: { path: ${out} }
service:
  pipelines:
    metrics: { receivers: [otlp], processors: [views], exporters: [file] }
  telemetry:
    metrics: { level: none }
`);
  });
  after(async () => {
    await collector?.stop();
    dir.remove();
  });

  // Each SDK source writes its own series (attribute `source`); the view drops `source` and `user`.
  it('re-aggregates cumulative counters from two SDK sources without duplicate series', async () => {
    const providers = [1, 2].map(() => {
      const exporter = new OTLPMetricExporter({
        url: `http://127.0.0.1:${port}/v1/metrics`,
        temporalityPreference: AggregationTemporality.CUMULATIVE,
      });
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
      return new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'api' }), readers: [reader] });
    });
    let truth = 0;
    let histCount = 0;
    for (let round = 0; round < 3; round++) {
      for (const [i, provider] of providers.entries()) {
        const meter = provider.getMeter('e2e');
        const counter = meter.createCounter('requests');
        const hist = meter.createHistogram('http.server.duration', { unit: 'ms' });
        for (const user of ['alice', 'bob']) {
          const n = (i + 1) * (round + 1) + user.length;
          counter.add(n, { user, route: '/a', source: `s${i}` });
          truth += n;
          hist.record(10 * (round + 1) + n, { user, route: '/a', peer: `p${i}` });
          histCount++;
        }
        await provider.forceFlush();
      }
    }
    const expectedTotal = truth;
    const last = await waitFor(
      'the re-aggregated counter to reach the total',
      () => {
        const batches = metricsIn(out);
        for (let b = batches.length - 1; b >= 0; b--) {
          const m = batches[b]?.find((x) => x.name === 'requests');
          if (m === undefined) continue;
          const pts = m.sum?.dataPoints ?? [];
          if (pts.length === 1 && Number(pts[0]?.asInt ?? pts[0]?.asDouble) === expectedTotal) return batches;
          return undefined;
        }
        return undefined;
      },
      15_000,
    );
    for (const batch of last) {
      for (const m of batch) {
        const pts = m.sum?.dataPoints ?? m.histogram?.dataPoints ?? m.exponentialHistogram?.dataPoints ?? [];
        const keys = pts.map(attrText);
        assert.equal(new Set(keys).size, keys.length, `no duplicate series in ${m.name}`);
        if (m.name === 'requests') {
          assert.deepEqual(keys, ['route={"stringValue":"/a"}']);
          assert.equal(m.sum?.aggregationTemporality, 2);
        }
      }
    }
    let emittedCount = 0;
    for (const batch of last) {
      for (const m of batch) {
        if (m.name !== 'http.server.duration') continue;
        assert.ok(m.exponentialHistogram !== undefined, 'histogram became exponential');
        for (const p of m.exponentialHistogram.dataPoints) emittedCount += Number(p.count ?? 0);
      }
    }
    assert.equal(emittedCount, histCount, 'delta exponential histograms add up to every recorded value');
    for (const p of providers) await p.shutdown();
  });
});

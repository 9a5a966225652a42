// Remote write throughput: our exporter's encoding (OTLP request -> snappy WriteRequest bodies,
// with and without the label cache) and our receiver (HTTP POST -> decode -> OTLP, 204), with
// samples/s, p99 per request and peak RSS. Bounded: fixed request counts.
// usage: node dist/bench/remotewrite/run.js [series=1000] [requests=300]
import { performance } from 'node:perf_hooks';
import { LabelCache, RemoteWriteEncoder } from '../../src/exporters/prometheusremotewrite/exporter.js';
import type { TranslateOptions } from '../../src/exporters/prometheusremotewrite/translate.js';
import { testHost, testSettings } from '../../src/helpers/exporterhelper/testutil.js';
import { AggregationTemporality, type ExportMetricsServiceRequest } from '../../src/pdata/model.js';
import { createDefaultConfig, resolve } from '../../src/receivers/prometheusremotewrite/config.js';
import { PrwReceiver } from '../../src/receivers/prometheusremotewrite/receiver.js';

const SERIES = Number(process.argv[2] ?? 1000);
const REQUESTS = Number(process.argv[3] ?? 300);

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 20);

function otlp(i: number): ExportMetricsServiceRequest {
  const t = BigInt(Date.now() - 3_600_000 + i * 1000) * 1_000_000n;
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: 'bench' },
            { key: 'service.instance.id', value: 'i-1' },
          ],
          droppedAttributesCount: 0,
        },
        scopeMetrics: [
          {
            scope: { name: 'bench', version: '1', attributes: [], droppedAttributesCount: 0 },
            metrics: [
              {
                name: 'bench.requests',
                description: '',
                unit: '{request}',
                metadata: [],
                data: {
                  type: 'sum',
                  isMonotonic: true,
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPoints: Array.from({ length: SERIES }, (_, s) => ({
                    attributes: [
                      { key: 'route', value: `/api/v1/items/${s % 50}` },
                      { key: 'method', value: s % 2 === 0 ? 'GET' : 'POST' },
                      { key: 'series', value: String(s) },
                    ],
                    startTimeUnixNano: 1n,
                    timeUnixNano: t,
                    value: i * 10 + s,
                    exemplars: [],
                    flags: 0,
                  })),
                },
              },
            ],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ],
  };
}

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0;
}

const opts: TranslateOptions = {
  namespace: '',
  addSuffixes: true,
  externalLabels: [{ name: 'cluster', value: 'bench' }],
  resourceToTelemetry: false,
  targetInfo: true,
  exportCreated: false,
  sendMetadata: false,
  expoMode: 'native',
  classicBounds: [],
};

const reqs = Array.from({ length: REQUESTS }, (_, i) => otlp(i));

function encodeRun(cache: LabelCache | undefined): { samplesPerSec: number; p99Ms: number; bodies: Buffer[] } {
  const enc = new RemoteWriteEncoder({ translate: opts, maxBatchBytes: 3_000_000, cache });
  // Warm-up.
  for (let i = 0; i < 20; i++) enc.encode(reqs[i % reqs.length] as ExportMetricsServiceRequest, 0);
  const times: number[] = [];
  const bodies: Buffer[] = [];
  const t0 = performance.now();
  for (const r of reqs) {
    const a = performance.now();
    for (const p of enc.encode(r, 0).parts) bodies.push(p.body);
    times.push(performance.now() - a);
  }
  const sec = (performance.now() - t0) / 1000;
  return { samplesPerSec: Math.round((REQUESTS * SERIES) / sec), p99Ms: +p99(times).toFixed(2), bodies };
}

const noCache = encodeRun(undefined);
const cache = new LabelCache(1_000_000);
const withCache = encodeRun(cache);

const settings = testSettings('prometheusremotewrite');
let received = 0;
const receiver = new PrwReceiver(settings, resolve({ ...createDefaultConfig(), endpoint: '127.0.0.1:0' }), {
  mutatesData: false,
  consume: async (b) => {
    received += b.itemCount;
  },
});
await receiver.start(testHost());
const url = `http://127.0.0.1:${receiver.port}/api/v1/write`;
const headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
const times: number[] = [];
const t0 = performance.now();
const codes: Record<number, number> = {};
for (const body of withCache.bodies) {
  const a = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  await res.arrayBuffer();
  codes[res.status] = (codes[res.status] ?? 0) + 1;
  times.push(performance.now() - a);
}
const sec = (performance.now() - t0) / 1000;
await receiver.shutdown();
clearInterval(rssTimer);

console.log(
  JSON.stringify(
    {
      seriesPerRequest: SERIES,
      requests: REQUESTS,
      bodyBytes: withCache.bodies[0]?.length,
      exporterEncode: {
        noLabelCache: { samplesPerSec: noCache.samplesPerSec, p99MsPerRequest: noCache.p99Ms },
        labelCache: {
          samplesPerSec: withCache.samplesPerSec,
          p99MsPerRequest: withCache.p99Ms,
          hits: cache.hits,
          misses: cache.misses,
        },
      },
      receiver: {
        samplesPerSec: Math.round(received / sec),
        p99MsPerRequest: +p99(times).toFixed(2),
        statusCodes: codes,
        statePerSeries: receiver.state.size,
      },
      peakRssMiB: Math.round(peakRss / 1048576),
    },
    null,
    2,
  ),
);

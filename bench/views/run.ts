// Benchmark of the views processor: drop-a-key re-aggregation of cumulative sums and histograms with 100,000
// active input series. Runs in-process against the processor (no network), single-threaded.
//
//   node --expose-gc dist/bench/views/run.js [--rounds 10] [--batch 1000] [--series 100000] [--kind both|sum|histogram]
//        [--proto] [--json]
//
// --kind: which cumulative inputs (both = half sums, half histograms); --proto: batches arrive as protobuf bytes,
// so the decode the processor triggers is measured too.
//
// Reports points/s (wall and per CPU-second), p50/p99 latency per consumed batch, flush time per interval,
// peak RSS, and bytes of retained state per input series (heap delta after GC / series).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Consumer } from '../../src/component/component.js';
import { Batch } from '../../src/pdata/batch.js';
import {
  AggregationTemporality,
  type ExportMetricsServiceRequest,
  type HistogramDataPoint,
  type KeyValue,
  type Metric,
  type NumberDataPoint,
} from '../../src/pdata/model.js';
import { encodeRequest } from '../../src/pdata/proto/index.js';
import { defaultViewsConfig } from '../../src/processors/views/config.js';
import { ViewsProcessor } from '../../src/processors/views/processor.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    batch: { type: 'string', default: '1000' },
    series: { type: 'string', default: '100000' },
    proto: { type: 'boolean', default: false },
    kind: { type: 'string', default: 'both' },
    json: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const BATCH = Number(args.batch);
const SERIES = Number(args.series);
const USERS = 50; // the dropped key: 50 input series per output series
const BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const KIND = args.kind as 'both' | 'sum' | 'histogram';
if (KIND !== 'both' && KIND !== 'sum' && KIND !== 'histogram') throw new Error(`--kind must be both, sum or histogram`);
const gc = (globalThis as { gc?: () => void }).gc;

function kv(key: string, value: string): KeyValue {
  return { key, value };
}

/** Half the series are cumulative sums, half cumulative histograms; each has route, method, user. */
function buildRequests(): {
  reqs: ExportMetricsServiceRequest[];
  sums: NumberDataPoint[];
  hists: HistogramDataPoint[];
} {
  const sums: NumberDataPoint[] = [];
  const hists: HistogramDataPoint[] = [];
  const half = KIND === 'both' ? SERIES / 2 : SERIES;
  for (let i = 0; i < half; i++) {
    const attributes = [
      kv('http.route', `/r${Math.floor(i / USERS)}`),
      kv('http.method', 'GET'),
      kv('user.id', `u${i % USERS}`),
    ];
    sums.push({ attributes, startTimeUnixNano: 1n, timeUnixNano: 2n, value: 0n, exemplars: [], flags: 0 });
    hists.push({
      attributes: attributes.map((a) => ({ ...a })),
      startTimeUnixNano: 1n,
      timeUnixNano: 2n,
      count: 0n,
      sum: 0,
      bucketCounts: new Array<bigint>(BOUNDS.length + 1).fill(0n),
      explicitBounds: BOUNDS,
      exemplars: [],
      flags: 0,
    });
  }
  const reqs: ExportMetricsServiceRequest[] = [];
  const resource = { attributes: [kv('service.name', 'bench')], droppedAttributesCount: 0 };
  const scope = { name: 'bench', version: '1', attributes: [], droppedAttributesCount: 0 };
  const per = KIND === 'both' ? BATCH / 2 : BATCH;
  for (let off = 0; off < half; off += per) {
    reqs.push({
      resourceMetrics: [
        {
          resource,
          schemaUrl: '',
          scopeMetrics: [
            {
              scope,
              schemaUrl: '',
              metrics: ([] as Metric[]).concat(
                KIND === 'histogram'
                  ? []
                  : {
                      name: 'http.server.requests',
                      description: '',
                      unit: '1',
                      metadata: [],
                      data: {
                        type: 'sum',
                        aggregationTemporality: AggregationTemporality.CUMULATIVE,
                        isMonotonic: true,
                        dataPoints: sums.slice(off, off + per),
                      },
                    },
                KIND === 'sum'
                  ? []
                  : {
                      name: 'http.server.duration',
                      description: '',
                      unit: 'ms',
                      metadata: [],
                      data: {
                        type: 'histogram',
                        aggregationTemporality: AggregationTemporality.CUMULATIVE,
                        dataPoints: hists.slice(off, off + per),
                      },
                    },
              ),
            },
          ],
        },
      ],
    });
  }
  return { reqs, sums, hists };
}

/** Moves every series one interval on: counters grow, one histogram bucket grows. */
function advance(round: number, sums: NumberDataPoint[], hists: HistogramDataPoint[]): void {
  const t = BigInt(round + 2) * 60_000_000_000n;
  for (let i = 0; i < sums.length; i++) {
    const s = sums[i] as NumberDataPoint;
    s.value = (s.value as bigint) + BigInt((i % 7) + 1);
    s.timeUnixNano = t;
    const h = hists[i] as HistogramDataPoint;
    const b = (i + round) % h.bucketCounts.length;
    h.bucketCounts[b] = (h.bucketCounts[b] as bigint) + 1n;
    h.count += 1n;
    h.sum = (h.sum ?? 0) + b * 10;
    h.timeUnixNano = t;
  }
}

class NullSink implements Consumer<'metrics'> {
  readonly mutatesData = false;
  points = 0;
  async consume(batch: Batch<'metrics'>): Promise<void> {
    this.points += batch.itemCount;
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const { reqs, sums, hists } = buildRequests();
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const sink = new NullSink();
  const config = {
    ...defaultViewsConfig(),
    views: [{ selector: { instrument_name: 'http.server.*' }, stream: { attribute_keys: { excluded: ['user.id'] } } }],
  };
  const processor = new ViewsProcessor(
    { id: { type: 'views', name: '' }, kind: 'processor', logger: silentLogger(), metrics: new MetricsRegistry() },
    config,
    'metrics',
    sink,
    { manualFlush: true },
  );
  const latencies: number[] = [];
  const flushMs: number[] = [];
  let points = 0;
  let wall = 0;
  let cpu = 0;
  let statePerSeries = 0;
  for (let round = 0; round < ROUNDS; round++) {
    advance(round, sums, hists);
    // Protobuf bytes are encoded outside the timed region; a batch is built right before it is consumed (the
    // receiver's scan of the bytes is not timed, the decode the processor triggers is).
    const encoded = args.proto ? reqs.map((r) => encodeRequest('metrics', r)) : [];
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let i = 0; i < reqs.length; i++) {
      const b = args.proto
        ? Batch.fromProto('metrics', encoded[i] as Uint8Array)
        : Batch.fromRequest('metrics', reqs[i] as ExportMetricsServiceRequest);
      const t0 = performance.now();
      await processor.consume(b);
      if (round > 0) latencies.push(performance.now() - t0);
    }
    const w1 = performance.now();
    const c1 = process.cpuUsage(c0);
    await processor.flush();
    const w2 = performance.now();
    if (round > 0) {
      // round 0 creates the state; later rounds are the steady state
      points += SERIES;
      wall += w1 - w0;
      cpu += (c1.user + c1.system) / 1000;
      flushMs.push(w2 - w1);
    } else {
      gc?.();
      statePerSeries = (process.memoryUsage().heapUsed - heapBefore) / SERIES;
    }
  }
  latencies.sort((a, b) => a - b);
  const st = processor.stats();
  const result = {
    series: SERIES,
    batchPoints: BATCH,
    rounds: ROUNDS,
    kind: KIND,
    proto: args.proto,
    pointsPerSecond: Math.round(points / (wall / 1000)),
    pointsPerCpuSecond: Math.round(points / (cpu / 1000)),
    p50BatchMs: Number(quantile(latencies, 0.5).toFixed(3)),
    p99BatchMs: Number(quantile(latencies, 0.99).toFixed(3)),
    flushMsMedian: Number(
      quantile(
        [...flushMs].sort((a, b) => a - b),
        0.5,
      ).toFixed(1),
    ),
    emittedPerFlush: Math.round(sink.points / ROUNDS),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    stateBytesPerSeries: gc === undefined ? undefined : Math.round(statePerSeries),
    inputSeries: st.inputSeries,
    outputSeries: st.outputSeries,
  };
  await processor.shutdown();
  if (args.json) console.log(JSON.stringify(result));
  else {
    for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(20)} ${v}`);
    if (gc === undefined) console.log('(run with --expose-gc for state bytes per series)');
  }
}

await main();

// bench/cardinality: what the cardinality explorer costs.
//
//   npm run build && node dist/bench/cardinality/run.js [--quick] [--no-e2e] [--seconds 5]
//
// 1. Tap cost in process: ns per data point of CardinalityTracker.observeProto on (a) the
//    otlp-ingest benchmark's SDK-built request (1,000 points: 10 metrics x 100 series, 4
//    attributes, 5 resource attributes), the same series over and over, and (b) a request of
//    1,000 points whose `user_id` is new in every request (series keep growing). Next to it the
//    receiver's own validation pass (`Batch.fromProto`), which every request pays anyway.
// 2. Memory: tracker bytes (its own account) and heap growth after 100k and 1M series (one
//    metric), and after 1,000 metrics x 100 series.
// 3. /api/cardinality: p50/p99 of GET over loopback with 1,000 tracked metrics.
// 4. End to end (unless --no-e2e): the collector binary, OTLP/HTTP in -> batch -> OTLP/HTTP out to
//    a sink, closed loop, with `service.telemetry.cardinality.enabled` true and false: points/s
//    and points per collector CPU-second.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encode, gauge, request, userPoints } from '../../src/cardinality/testing.js';
import { CardinalityTracker } from '../../src/cardinality/tracker.js';
import { Batch } from '../../src/pdata/batch.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';
import { startTelemetryServer } from '../../src/telemetry/server.js';
import { LoadGenerator } from '../otlp-ingest/load.js';
import { metricsPayload } from '../otlp-ingest/payloads.js';
import { cpuSeconds, freePort, startCollector, waitReady } from '../otlp-ingest/proc.js';
import { startSink } from '../otlp-ingest/sink.js';
import { percentile } from '../otlp-ingest/stats.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SWITCHYARD_JS = path.join(REPO, 'dist/src/cli/main.js');
const OUT = path.join(REPO, '.bench-out/cardinality');
const HOST = '127.0.0.1';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-e2e': { type: 'boolean', default: false },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
  },
});
const quick = args.quick === true;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** ns per point of `fn` run over `reqs` (each `points` points) for about `ms`, best of 3 rounds. */
function nsPerPoint(reqs: readonly Uint8Array[], points: number, ms: number, fn: (b: Uint8Array) => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      for (let i = 0; i < 20; i++) fn(reqs[(n + i) % reqs.length] as Uint8Array);
      n += 20;
      t = performance.now();
    }
    best = Math.min(best, ((t - t0) * 1e6) / (n * points));
  }
  return best;
}

function highCardRequests(count: number, perReq: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++)
    out.push(encode(request([gauge('http.server.duration', userPoints(i * perReq, perReq))])));
  return out;
}

const fmt = (n: number, d = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mib = (b: number): string => (b < 1048576 ? `${fmt(b / 1024, 1)} KiB` : `${fmt(b / 1048576, 1)} MiB`);

async function tapCost(): Promise<Record<string, number>> {
  const ms = quick ? 300 : 1500;
  const steady = (await metricsPayload(1000)).body;
  const steadyReqs = [new Uint8Array(steady.buffer, steady.byteOffset, steady.byteLength)];
  const high = highCardRequests(quick ? 50 : 500, 1000);
  const scanSteady = nsPerPoint(steadyReqs, 1000, ms, (b) => Batch.fromProto('metrics', b));
  const trSteady = new CardinalityTracker();
  const tapSteady = nsPerPoint(steadyReqs, 1000, ms, (b) => trSteady.observeProto(b));
  const scanHigh = nsPerPoint(high, 1000, ms, (b) => Batch.fromProto('metrics', b));
  const trHigh = new CardinalityTracker();
  const tapHigh = nsPerPoint(high, 1000, ms, (b) => trHigh.observeProto(b));
  console.log('\n## Tap cost (in process, one core)\n');
  console.log(
    '| payload | receiver validation (fromProto) ns/point | tap ns/point | points/s validation only | points/s validation + tap |',
  );
  console.log('|---|---|---|---|---|');
  for (const [name, scan, tap] of [
    ['SDK request, 10 metrics x 100 series, 4 attrs (steady)', scanSteady, tapSteady],
    ['1,000 new `user_id` series per request (growing)', scanHigh, tapHigh],
  ] as const) {
    console.log(`| ${name} | ${fmt(scan, 1)} | ${fmt(tap, 1)} | ${fmt(1e9 / scan)} | ${fmt(1e9 / (scan + tap))} |`);
  }
  return { scanSteady, tapSteady, scanHigh, tapHigh };
}

function memory(): Record<string, number> {
  console.log('\n## Memory\n');
  console.log('| workload | tracker bytes (own account) | heap growth after GC |');
  console.log('|---|---|---|');
  const out: Record<string, number> = {};
  const cases: ReadonlyArray<readonly [string, number, number]> = [
    ['100k series, 1 metric', 100_000, 1],
    ['1M series, 1 metric', quick ? 200_000 : 1_000_000, 1],
    ['1,000 metrics x 100 series', 100_000, 1000],
  ];
  for (const [name, series, metrics] of cases) {
    const before = heap();
    const t = new CardinalityTracker();
    const perMetric = series / metrics;
    const chunk = 2000;
    if (metrics === 1) {
      for (let i = 0; i < series; i += chunk) t.observeProto(encode(request([gauge('m', userPoints(i, chunk))])));
    } else {
      for (let m = 0; m < metrics; m += 10) {
        const ms = [];
        for (let k = m; k < m + 10; k++) ms.push(gauge(`metric_${k}`, userPoints(0, perMetric)));
        t.observeProto(encode(request(ms)));
      }
    }
    const grown = heap() - before;
    out[name] = grown;
    console.log(
      `| ${name}${metrics === 1 && series !== 1_000_000 && name.startsWith('1M') ? ' (--quick: 200k)' : ''} | ${mib(t.bytes())} | ${mib(grown)} |`,
    );
    // Keep `t` alive until measured.
    if (t.size < 0) console.log('');
  }
  return out;
}

function get(port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ host: HOST, port, path: p, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - t0));
      })
      .on('error', reject);
  });
}

async function renderLatency(): Promise<Record<string, number>> {
  const t = new CardinalityTracker();
  for (let m = 0; m < 1000; m += 10) {
    const ms = [];
    for (let k = m; k < m + 10; k++) ms.push(gauge(`metric_${k}`, userPoints(k * 7, k % 50 === 0 ? 5000 : 100)));
    t.observeProto(encode(request(ms)));
  }
  const server = await startTelemetryServer(`${HOST}:0`, new MetricsRegistry(), (e) => console.error(e), {
    cardinality: () => t,
  });
  const out: Record<string, number> = {};
  console.log('\n## Rendering (1,000 tracked metrics, 20 of them with 5,000 series; sequential GETs over loopback)\n');
  console.log('| path | requests | p50 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|---|');
  for (const p of [
    '/api/cardinality',
    '/api/cardinality?limit=1000',
    '/cardinality',
    '/api/cardinality?metric=metric_500',
  ]) {
    const n = quick ? 50 : 300;
    const lat: number[] = [];
    for (let i = 0; i < 5; i++) await get(server.port, p);
    for (let i = 0; i < n; i++) lat.push(await get(server.port, p));
    lat.sort((a, b) => a - b);
    out[`${p} p99`] = percentile(lat, 99);
    console.log(
      `| \`${p}\` | ${n} | ${fmt(percentile(lat, 50), 2)} | ${fmt(percentile(lat, 99), 2)} | ${fmt(lat.at(-1) ?? 0, 2)} |`,
    );
  }
  await server.close();
  return out;
}

async function endToEnd(enabled: boolean, seconds: number): Promise<{ pps: number; perCore: number }> {
  const [receiverPort, metricsPort] = [await freePort(), await freePort()];
  const sink = await startSink(HOST);
  const config = path.join(OUT, `collector-${enabled ? 'on' : 'off'}.yaml`);
  writeFileSync(
    config,
    `# Generated by bench/cardinality/run.ts
receivers:
  otlp:
    protocols:
      http: { endpoint: ${HOST}:${receiverPort} }
processors:
  batch: {}
exporters:
  otlphttp: { endpoint: http://${HOST}:${sink.port}, encoding: proto, compression: none }
service:
  pipelines:
    metrics: { receivers: [otlp], processors: [batch], exporters: [otlphttp] }
  telemetry:
    logs: { level: warn }
    metrics: { address: ${HOST}:${metricsPort} }
    cardinality: { enabled: ${enabled} }
`,
  );
  const v = spawnSync(process.execPath, [SWITCHYARD_JS, 'validate', '--config', config], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`config invalid: ${v.stdout}${v.stderr}`);
  const collector = startCollector({
    mainJs: SWITCHYARD_JS,
    configPath: config,
    nodeArgs: [],
    cpu: undefined,
    cwd: REPO,
    logPath: path.join(OUT, `collector-${enabled ? 'on' : 'off'}.log`),
  });
  try {
    await waitReady(collector, HOST, receiverPort, metricsPort, 15_000);
    const payload = await metricsPayload(1000);
    const load = new LoadGenerator({
      host: HOST,
      port: receiverPort,
      payload,
      connections: Number(args.connections),
      requestTimeoutMs: 10_000,
    });
    load.markEvery = 0;
    await load.runClosed(1500);
    await sleep(300);
    const items0 = sink.counts.metrics.items;
    const cpu0 = cpuSeconds(collector.pid);
    const t0 = performance.now();
    await load.runClosed(seconds * 1000);
    await sleep(400);
    const items = sink.counts.metrics.items - items0;
    const cpu = cpuSeconds(collector.pid) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    load.close();
    return { pps: items / wall, perCore: items / cpu };
  } finally {
    await collector.stop(10_000);
    await sink.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  console.log(`# bench/cardinality ${new Date().toISOString()} node ${process.version}${quick ? ' (--quick)' : ''}`);
  const results: Record<string, unknown> = {};
  results['tap'] = await tapCost();
  results['memory'] = memory();
  results['render'] = await renderLatency();
  if (args['no-e2e'] !== true) {
    const seconds = Number(args.seconds);
    console.log(
      `\n## End to end: OTLP/HTTP -> batch -> OTLP/HTTP, closed loop, ${args.connections} connections, ${seconds} s, unpinned\n`,
    );
    console.log('| cardinality tracking | points/s | points per collector CPU-second |');
    console.log('|---|---|---|');
    const e2e: Record<string, unknown> = {};
    for (const enabled of [false, true, false, true]) {
      const r = await endToEnd(enabled, seconds);
      e2e[`${enabled ? 'on' : 'off'}-${Object.keys(e2e).length}`] = r;
      console.log(`| ${enabled ? 'on' : 'off'} | ${fmt(r.pps)} | ${fmt(r.perCore)} |`);
    }
    results['e2e'] = e2e;
  }
  writeFileSync(path.join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

await main();

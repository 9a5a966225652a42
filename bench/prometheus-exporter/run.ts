// prometheus exporter benchmark: a fixed workload of SERIES series (default 100,000) ingested into
// the exporter, then scraped repeatedly over loopback HTTP.
//
// Workload: 50 metrics x SERIES/50 series each (3 attributes per point: method, route, status
// with route unique per series): 20 cumulative counters, 20 gauges, 10 cumulative histograms
// with 10 bounds (12 exposition lines per series). Requests of 1,000 points, resource with 5
// attributes, already decoded (the receiver's decode is measured by otlp-codec).
//
// The request objects of one pass are built before it is timed and dropped after it; heap and
// peak RSS are read after the ingest passes (state + the last pass's garbage), after the HTTP
// scrapes (the served path: chunked render, gzip stream) and at the end (after the in-process
// renders, which build the whole page as one string).
//
// Reports: ingest points/s for the first pass (series created) and for update passes, render
// time p50/p99 (the exporter's render alone) and scrape time p50/p99 (HTTP GET on a keep-alive
// socket, body fully read) per format with and without gzip, body bytes, and peak RSS.
//
//   node --expose-gc dist/bench/prometheus-exporter/run.js [--series N] [--scrapes N] [--passes N] [--json]
import http from 'node:http';
import { createDefaultConfig } from '../../src/exporters/prometheus/config.js';
import { createPrometheusExporter } from '../../src/exporters/prometheus/exporter.js';
import { gauge, hist, histogram, metric, num, request, SEC, sum, T0 } from '../../src/exporters/prometheus/testdata.js';
import { testSettings } from '../../src/helpers/exporterhelper/testutil.js';
import { Batch } from '../../src/pdata/batch.js';
import type { ExportMetricsServiceRequest, Metric } from '../../src/pdata/model.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const SERIES = arg('--series', 100_000);
const SCRAPES = arg('--scrapes', 20);
const UPDATE_PASSES = arg('--passes', 3);
const PER_REQUEST = 1000;
const METRICS = 50;
const PER_METRIC = Math.max(1, Math.floor(SERIES / METRICS));
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const RESOURCE = {
  'service.name': 'bench',
  'service.namespace': 'perf',
  'service.instance.id': 'bench-1',
  'host.name': 'box',
  'deployment.environment': 'bench',
};

/** Requests for one pass; `pass` moves values and times forward. */
function buildPass(pass: number): ExportMetricsServiceRequest[] {
  const out: ExportMetricsServiceRequest[] = [];
  let metrics: Metric[] = [];
  let inRequest = 0;
  const t = T0 + BigInt(pass + 1) * SEC;
  const flush = (): void => {
    if (metrics.length > 0) out.push(request(metrics, RESOURCE, { name: 'bench', version: '1' }));
    metrics = [];
    inRequest = 0;
  };
  for (let m = 0; m < METRICS; m++) {
    let j = 0;
    while (j < PER_METRIC) {
      const n = Math.min(PER_METRIC - j, PER_REQUEST - inRequest);
      const attrs = (k: number) => ({ method: k % 2 === 0 ? 'GET' : 'POST', route: `/api/v1/item/${k}`, status: 200n });
      if (m < 20) {
        const pts = [];
        for (let k = j; k < j + n; k++) pts.push(num(BigInt(k + pass * 10), attrs(k), T0, t));
        metrics.push(metric(`bench.requests.${m}`, '{request}', sum(pts), 'Requests.'));
      } else if (m < 40) {
        const pts = [];
        for (let k = j; k < j + n; k++) pts.push(num(k * 0.5 + pass, attrs(k), 0n, t));
        metrics.push(metric(`bench.inflight.${m}`, '{request}', gauge(pts), 'In flight.'));
      } else {
        const pts = [];
        for (let k = j; k < j + n; k++) {
          const c = BigInt(pass + 1);
          pts.push(hist(BOUNDS, new Array<bigint>(BOUNDS.length + 1).fill(c), 1.5 * (pass + 1), attrs(k), T0, t));
        }
        metrics.push(metric(`bench.duration.${m}`, 's', histogram(pts), 'Duration.'));
      }
      j += n;
      inRequest += n;
      if (inRequest >= PER_REQUEST) flush();
    }
  }
  flush();
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

function scrape(
  agent: http.Agent,
  port: number,
  headers: http.OutgoingHttpHeaders,
): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path: '/metrics', agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const settings = testSettings('prometheus');
  const exp = createPrometheusExporter(settings, {
    ...createDefaultConfig(),
    endpoint: '127.0.0.1:0',
    enable_open_metrics: true,
    enable_native_histograms: true,
  });
  await exp.start({} as never);
  const results: Record<string, number | string> = { series: PER_METRIC * METRICS, node: process.version };

  const ingest = async (pass: number): Promise<number> => {
    const reqs = buildPass(pass);
    let points = 0;
    const t0 = performance.now();
    for (const r of reqs) {
      const b = Batch.fromRequest('metrics', r);
      points += b.itemCount;
      await exp.consume(b);
    }
    const s = (performance.now() - t0) / 1000;
    return points / s;
  };
  results.ingest_create_points_per_s = Math.round(await ingest(0));
  const upd: number[] = [];
  for (let p = 1; p <= UPDATE_PASSES; p++) upd.push(await ingest(p));
  results.ingest_update_points_per_s = Math.round(pct(upd, 50));
  results.live_series = exp.accumulator.seriesCount;
  results.peak_rss_after_ingest_mib = +(process.resourceUsage().maxRSS / 1024).toFixed(1);
  (globalThis as { gc?: () => void }).gc?.();
  results.heap_after_ingest_mib = +(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const accept = {
    text: 'text/plain;version=0.0.4',
    openmetrics: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5',
    protobuf: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
  };
  for (const format of ['text', 'openmetrics', 'protobuf'] as const) {
    for (const gz of [false, true]) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < SCRAPES; i++) {
        const r = await scrape(agent, exp.port, {
          Accept: accept[format],
          ...(gz ? { 'Accept-Encoding': 'gzip' } : {}),
        });
        times.push(r.ms);
        bytes = r.bytes;
      }
      const tag = `scrape_${format}${gz ? '_gzip' : ''}`;
      results[`${tag}_p50_ms`] = +pct(times, 50).toFixed(1);
      results[`${tag}_p99_ms`] = +pct(times, 99).toFixed(1);
      results[`${tag}_bytes`] = bytes;
    }
  }
  agent.destroy();
  results.peak_rss_after_scrapes_mib = +(process.resourceUsage().maxRSS / 1024).toFixed(1);

  for (const format of ['text', 'openmetrics'] as const) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const t0 = performance.now();
      bytes = Buffer.byteLength(exp.render(format));
      times.push(performance.now() - t0);
    }
    results[`render_${format}_p50_ms`] = +pct(times, 50).toFixed(1);
    results[`render_${format}_p99_ms`] = +pct(times, 99).toFixed(1);
    results[`body_${format}_bytes`] = bytes;
  }

  results.peak_rss_end_mib = +(process.resourceUsage().maxRSS / 1024).toFixed(1);
  await exp.shutdown();

  if (json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const w = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [k, v] of Object.entries(results)) {
    process.stdout.write(`${k.padEnd(w)}  ${typeof v === 'number' ? v.toLocaleString('en-US') : v}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

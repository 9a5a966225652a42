// Remote write against real peers: our exporter -> Prometheus 2.42 (remote write receiver) and
// VictoriaMetrics 1.79; Prometheus in agent mode and vmagent -> our receiver. Every peer runs on
// 127.0.0.1 with a temp data dir and a free port, and is stopped by PID in `finally`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  expo,
  expoHistogram,
  gauge,
  hist,
  histogram,
  metric,
  num,
  request,
  sum,
} from '../src/exporters/prometheus/testdata.js';
import {
  createDefaultConfig as exporterDefaults,
  type PrwExporterConfig,
} from '../src/exporters/prometheusremotewrite/config.js';
import { createPrwExporter } from '../src/exporters/prometheusremotewrite/exporter.js';
import { testHost, testSettings } from '../src/helpers/exporterhelper/testutil.js';
import { Batch } from '../src/pdata/batch.js';
import {
  AggregationTemporality,
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type ExportMetricsServiceRequest,
  type Metric,
} from '../src/pdata/model.js';
import { createDefaultConfig as receiverDefaults, resolve } from '../src/receivers/prometheusremotewrite/config.js';
import { PrwReceiver } from '../src/receivers/prometheusremotewrite/receiver.js';
import { freePort, poll, startCollector, tempDir } from './helpers.js';
import { type Daemon, httpOk, requireBinary, startDaemon, startPrometheus, startVictoriaMetrics } from './peers.js';

const VMAGENT = '/usr/bin/vmagent';

interface PromVector {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function query(base: string, q: string, timeSec: number): Promise<PromVector[]> {
  const u = new URL('/api/v1/query', base);
  u.searchParams.set('query', q);
  u.searchParams.set('time', String(timeSec));
  const res = await fetch(u, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; data: { result: PromVector[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${q}: ${body.error ?? res.status}`);
  return body.data.result;
}

function exporterConfig(url: string, over: Partial<PrwExporterConfig> = {}): PrwExporterConfig {
  const d = exporterDefaults();
  return {
    ...d,
    endpoint: url,
    sending_queue: { ...d.sending_queue, enabled: false },
    retry_on_failure: {
      ...d.retry_on_failure,
      initial_interval: '50ms',
      max_interval: '100ms',
      max_elapsed_time: '5s',
    },
    ...over,
  };
}

/** Export through a fresh exporter; returns its settings (own metrics) and the first error. */
async function send(url: string, reqs: ExportMetricsServiceRequest[], over: Partial<PrwExporterConfig> = {}) {
  const settings = testSettings('prometheusremotewrite');
  const exp = createPrwExporter(settings, exporterConfig(url, over), 'metrics');
  await exp.start(testHost());
  let error: unknown;
  try {
    for (const r of reqs) await exp.consume(Batch.fromRequest('metrics', r));
  } catch (err) {
    error = err;
  } finally {
    await exp.shutdown();
  }
  return { settings, error };
}

/** A request at `tMs` (ms since epoch): counter, gauge, classic histogram, native histogram. */
function sample(tMs: number, withNative: boolean): ExportMetricsServiceRequest {
  const t = BigInt(tMs) * 1_000_000n;
  const start = t - 60_000_000_000n;
  const metrics: Metric[] = [
    metric(
      'rw.requests',
      '{request}',
      sum([num(7, { route: '/a', method: 'GET' }, start, t), num(2, { route: '/b', method: 'POST' }, start, t)]),
    ),
    metric('rw.queue.depth', '', gauge([num(3.5, { q: 'x' }, start, t)])),
    metric('rw.latency', 's', histogram([hist([0.1, 1], [2n, 3n, 1n], 4.5, { route: '/a' }, start, t)])),
  ];
  if (withNative)
    metrics.push(
      metric('rw.native', '', expoHistogram([expo(0, 3, [10n, 0n, 0n, 20n, 5n, 2n], 1n, 100, {}, start, t)])),
    );
  return request(metrics, { 'service.name': 'interop', 'service.instance.id': 'i-1', 'host.name': 'box' });
}

describe('exporter -> Prometheus 2.42 remote write receiver', () => {
  it('stores counter, gauge, classic and native histograms with the values sent; a staleness marker ends a series', async () => {
    const dir = tempDir('switchyard-prom-');
    const port = await freePort();
    let prom: Daemon | undefined;
    try {
      prom = await startPrometheus(
        dir.path,
        port,
        [
          `--storage.tsdb.path=${join(dir.path, 'data')}`,
          '--web.enable-remote-write-receiver',
          '--enable-feature=native-histograms',
        ],
        'global: {scrape_interval: 15s}\n',
      );
      const base = `http://127.0.0.1:${port}`;
      const t1 = Date.now() - 10_000;
      const { settings, error } = await send(`${base}/api/v1/write`, [sample(t1, true)]);
      assert.equal(error, undefined);
      assert.equal(settings.metrics.counter('otelcol_exporter_sent_metric_points_total', '').sum(), 5);
      const at = t1 / 1000;
      const c = await poll('counter', async () => {
        const r = await query(base, 'rw_requests_total{route="/a"}', at);
        return r.length > 0 ? r : undefined;
      });
      assert.equal(c[0]?.value[1], '7');
      assert.deepEqual(c[0]?.metric, {
        __name__: 'rw_requests_total',
        instance: 'i-1',
        job: 'interop',
        method: 'GET',
        otel_scope_name: 'test.scope',
        otel_scope_version: '1.2.3',
        route: '/a',
      });
      assert.equal((await query(base, 'rw_queue_depth', at))[0]?.value[1], '3.5');
      const buckets = await query(base, 'rw_latency_seconds_bucket', at);
      const byLe = Object.fromEntries(buckets.map((b) => [b.metric.le, b.value[1]]));
      assert.deepEqual(byLe, { '0.1': '2', '1': '5', '+Inf': '6' });
      assert.equal((await query(base, 'rw_latency_seconds_sum', at))[0]?.value[1], '4.5');
      assert.equal((await query(base, 'rw_latency_seconds_count', at))[0]?.value[1], '6');
      assert.equal((await query(base, 'histogram_count(rw_native)', at))[0]?.value[1], '38');
      assert.equal((await query(base, 'histogram_sum(rw_native)', at))[0]?.value[1], '100');
      const ti = await query(base, 'target_info', at);
      assert.equal(ti[0]?.metric.host_name, 'box');

      // A point without a recorded value: Prometheus ends the series there.
      const t2 = t1 + 5000;
      const staleReq = request(
        [
          metric(
            'rw.queue.depth',
            '',
            gauge([num(0, { q: 'x' }, 0n, BigInt(t2) * 1_000_000n, DATA_POINT_FLAG_NO_RECORDED_VALUE)]),
          ),
        ],
        { 'service.name': 'interop', 'service.instance.id': 'i-1', 'host.name': 'box' },
      );
      assert.equal((await send(`${base}/api/v1/write`, [staleReq])).error, undefined);
      assert.equal((await query(base, 'rw_queue_depth', (t2 - 1000) / 1000))[0]?.value[1], '3.5', 'before the marker');
      assert.deepEqual(await query(base, 'rw_queue_depth', (t2 + 1000) / 1000), [], 'after the marker: no value');

      // Remote write 2.0 to Prometheus 2.42 (a 1.0 receiver): it answers 204 without the
      // *-Written headers, so the exporter falls back to 1.0 and the data still arrives.
      const t3 = t2 + 5000;
      const v2 = await send(
        `${base}/api/v1/write`,
        [
          request([metric('rw.v2.gauge', '', gauge([num(11, {}, 0n, BigInt(t3) * 1_000_000n)]))], {
            'service.name': 'interop',
          }),
        ],
        { protobuf_message: 'io.prometheus.write.v2.Request' },
      );
      assert.equal(v2.error, undefined);
      assert.ok(v2.settings.logs.some((l) => /falling back to 1.0/.test(String(l.msg))));
      assert.equal((await query(base, 'rw_v2_gauge', t3 / 1000))[0]?.value[1], '11');

      // Prometheus refuses a sample far behind its head with 400: permanent, counted, not retried.
      const old = await send(`${base}/api/v1/write`, [sample(t1 - 3_600_000, false)]);
      assert.match(String(old.error), /HTTP 400: out of (bounds|order)/);
      const failed = old.settings.metrics.counter('otelcol_exporter_send_failed_metric_points_total', '');
      assert.equal(failed.sum({ reason: 'permanent' }), 4);
    } finally {
      await prom?.stop();
      dir.remove();
    }
  });
});

describe('exporter -> VictoriaMetrics 1.79', () => {
  it('stores counter, gauge and classic histogram (native histograms sent as classic buckets)', async () => {
    const dir = tempDir('switchyard-vm-');
    const port = await freePort();
    let vm: Daemon | undefined;
    try {
      vm = await startVictoriaMetrics(join(dir.path, 'data'), port);
      const base = `http://127.0.0.1:${port}`;
      const t1 = Date.now() - 10_000;
      const { error } = await send(`${base}/api/v1/write`, [sample(t1, true)], {
        exponential_histograms: { mode: 'classic', classic_bounds: [1, 8, 64] },
      });
      assert.equal(error, undefined);
      const at = t1 / 1000;
      const c = await poll('counter in VictoriaMetrics', async () => {
        await fetch(`${base}/internal/force_flush`, { method: 'POST' }).then((r) => r.arrayBuffer());
        const r = await query(base, 'rw_requests_total', at);
        return r.length === 2 ? r : undefined;
      });
      const byRoute = Object.fromEntries(c.map((v) => [v.metric.route, v.value[1]]));
      assert.deepEqual(byRoute, { '/a': '7', '/b': '2' });
      assert.equal(c.find((v) => v.metric.route === '/a')?.metric.job, 'interop');
      assert.equal((await query(base, 'rw_queue_depth', at))[0]?.value[1], '3.5');
      const buckets = await query(base, 'rw_latency_seconds_bucket', at);
      assert.deepEqual(Object.fromEntries(buckets.map((b) => [b.metric.le, b.value[1]])), {
        '0.1': '2',
        '1': '5',
        '+Inf': '6',
      });
      // Expo at scale 0, offset 3: counts 10 in (8,16], 20 in (64,128], 5 in (128,256], 2 in
      // (256,512], zero count 1; at bounds 1, 8, 64 -> le=1: 1, le=8: 1, le=64: 11, +Inf: 38.
      const nb = await query(base, 'rw_native_bucket', at);
      assert.deepEqual(Object.fromEntries(nb.map((b) => [b.metric.le, b.value[1]])), {
        '1': '1',
        '8': '1',
        '64': '11',
        '+Inf': '38',
      });
      assert.equal((await query(base, 'rw_native_count', at))[0]?.value[1], '38');
    } finally {
      await vm?.stop();
      dir.remove();
    }
  });
});

describe('exporter (remote write 2.0) -> receiver', () => {
  it('speaks 2.0 end to end: start times and metadata arrive', async () => {
    const { receiver, got } = await startReceiver();
    try {
      const t = Date.now();
      const { error, settings } = await send(`http://127.0.0.1:${receiver.port}/api/v1/write`, [sample(t, false)], {
        protobuf_message: 'io.prometheus.write.v2.Request',
        send_metadata: true,
      });
      assert.equal(error, undefined);
      assert.ok(!settings.logs.some((l) => /falling back/.test(String(l.msg))));
      const m = metricsOf(got, 'interop');
      const c = m.get('rw_requests_total');
      assert.equal(c?.data?.type, 'sum');
      if (c?.data?.type === 'sum') {
        const p = c.data.dataPoints.find((x) => x.attributes.some((a) => a.value === '/a'));
        assert.equal(p?.value, 7);
        assert.equal(p?.startTimeUnixNano, BigInt(t - 60_000) * 1_000_000n, 'start time from 2.0');
      }
      const h = m.get('rw_latency_seconds')?.data;
      assert.equal(h?.type, 'histogram');
      if (h?.type === 'histogram') assert.deepEqual(h.dataPoints[0]?.bucketCounts, [2n, 3n, 1n]);
      assert.equal(m.get('rw_latency_seconds')?.unit, 's');
    } finally {
      await receiver.shutdown();
    }
  });
});

// ------------------------------------------------------------------------------- receiver side

const EXPOSITION = `# HELP demo_requests_total Requests served.
# TYPE demo_requests_total counter
demo_requests_total{code="200"} 42
demo_requests_total{code="500"} 3
# HELP demo_temperature_celsius Temperature.
# TYPE demo_temperature_celsius gauge
demo_temperature_celsius 21.5
# HELP demo_latency_seconds Latency.
# TYPE demo_latency_seconds histogram
demo_latency_seconds_bucket{le="0.1"} 5
demo_latency_seconds_bucket{le="1"} 8
demo_latency_seconds_bucket{le="+Inf"} 9
demo_latency_seconds_sum 3.5
demo_latency_seconds_count 9
# HELP demo_rpc_seconds RPC latency.
# TYPE demo_rpc_seconds summary
demo_rpc_seconds{quantile="0.5"} 0.2
demo_rpc_seconds{quantile="0.9"} 0.7
demo_rpc_seconds_sum 12
demo_rpc_seconds_count 30
`;

async function serveExposition(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(EXPOSITION);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function startReceiver(over: Partial<ReturnType<typeof receiverDefaults>> = {}): Promise<{
  receiver: PrwReceiver;
  got: ExportMetricsServiceRequest[];
  settings: ReturnType<typeof testSettings>;
}> {
  const got: ExportMetricsServiceRequest[] = [];
  const settings = testSettings('prometheusremotewrite');
  const cfg = resolve({ ...receiverDefaults(), endpoint: '127.0.0.1:0', ...over });
  const receiver = new PrwReceiver(settings, cfg, {
    mutatesData: false,
    consume: async (b) => {
      got.push(b.request());
    },
  });
  await receiver.start(testHost());
  return { receiver, got, settings };
}

function metricsOf(got: readonly ExportMetricsServiceRequest[], job: string): Map<string, Metric> {
  // The latest of each metric for this job.
  const out = new Map<string, Metric>();
  for (const r of got) {
    for (const rm of r.resourceMetrics) {
      const svc = rm.resource?.attributes.find((a) => a.key === 'service.name')?.value;
      if (svc !== job) continue;
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out.set(m.name, m);
    }
  }
  return out;
}

function assertScraped(ms: Map<string, Metric>): void {
  const c = ms.get('demo_requests_total')?.data;
  assert.equal(c?.type, 'sum');
  if (c?.type !== 'sum') return;
  assert.equal(c.isMonotonic, true);
  assert.equal(c.aggregationTemporality, AggregationTemporality.CUMULATIVE);
  const byCode = Object.fromEntries(
    c.dataPoints.map((p) => [String(p.attributes.find((a) => a.key === 'code')?.value), p.value]),
  );
  assert.deepEqual(byCode, { '200': 42, '500': 3 });
  assert.ok(c.dataPoints.every((p) => p.startTimeUnixNano > 0n && p.startTimeUnixNano <= p.timeUnixNano));
  const g = ms.get('demo_temperature_celsius')?.data;
  assert.equal(g?.type, 'gauge');
  assert.equal(g?.type === 'gauge' ? g.dataPoints[0]?.value : undefined, 21.5);
  const h = ms.get('demo_latency_seconds')?.data;
  assert.equal(h?.type, 'histogram');
  if (h?.type === 'histogram') {
    const p = h.dataPoints[h.dataPoints.length - 1];
    assert.deepEqual(p?.explicitBounds, [0.1, 1]);
    assert.deepEqual(p?.bucketCounts, [5n, 3n, 1n]);
    assert.equal(p?.count, 9n);
    assert.equal(p?.sum, 3.5);
  }
  const s = ms.get('demo_rpc_seconds')?.data;
  assert.equal(s?.type, 'summary');
  if (s?.type === 'summary') {
    const p = s.dataPoints[s.dataPoints.length - 1];
    assert.equal(p?.count, 30n);
    assert.equal(p?.sum, 12);
    assert.deepEqual(p?.quantileValues, [
      { quantile: 0.5, value: 0.2 },
      { quantile: 0.9, value: 0.7 },
    ]);
  }
}

function complete(ms: Map<string, Metric>): boolean {
  return ['demo_requests_total', 'demo_temperature_celsius', 'demo_latency_seconds', 'demo_rpc_seconds'].every((n) =>
    ms.has(n),
  );
}

/** Prometheus in agent mode scraping `targetPort` as `job` and remote-writing to `receiverPort`. */
function startAgent(
  dir: string,
  port: number,
  job: string,
  targetPort: number,
  receiverPort: number,
  queue: string,
): Promise<Daemon> {
  return startPrometheus(
    dir,
    port,
    ['--enable-feature=agent', `--storage.agent.path=${join(dir, 'agent')}`, '--storage.remote.flush-deadline=1s'],
    [
      'global: {scrape_interval: 1s, scrape_timeout: 1s}',
      'scrape_configs:',
      `  - job_name: ${job}`,
      `    static_configs: [{targets: ['127.0.0.1:${targetPort}']}]`,
      'remote_write:',
      `  - url: http://127.0.0.1:${receiverPort}/api/v1/write`,
      '    metadata_config: {send: true, send_interval: 1s}',
      `    queue_config: ${queue}`,
      '',
    ].join('\n'),
  );
}

describe('Prometheus agent -> receiver', () => {
  it('delivers what the agent scraped, as OTLP counter, gauge, histogram and summary', async () => {
    const dir = tempDir('switchyard-agent-');
    const target = await serveExposition();
    const { receiver, got, settings } = await startReceiver();
    const port = await freePort();
    let agent: Daemon | undefined;
    try {
      agent = await startAgent(dir.path, port, 'agent-demo', target.port, receiver.port, '{batch_send_deadline: 1s}');
      const ms = await poll('scraped metrics at the receiver', async () => {
        const m = metricsOf(got, 'agent-demo');
        return complete(m) ? m : undefined;
      });
      assertScraped(ms);
      const rm = got
        .flatMap((r) => r.resourceMetrics)
        .find((r) => r.resource?.attributes.some((a) => a.value === 'agent-demo'));
      assert.equal(
        rm?.resource?.attributes.find((a) => a.key === 'service.instance.id')?.value,
        `127.0.0.1:${target.port}`,
      );
      // `up` is a gauge with value 1.
      const up = ms.get('up')?.data;
      assert.equal(up?.type === 'gauge' ? up.dataPoints[0]?.value : undefined, 1);
      assert.equal(settings.metrics.counter('switchyard_receiver_bad_requests_total', '').sum(), 0);
    } finally {
      await agent?.stop();
      await receiver.shutdown();
      await target.close();
      dir.remove();
    }
  });
});

describe('Prometheus agent -> receiver, histogram parts split over requests and shards', () => {
  it('assembles every histogram and summary point whole although its parts arrive in different requests', async () => {
    const dir = tempDir('switchyard-agent-split-');
    const target = await serveExposition();
    const { receiver, got, settings } = await startReceiver({ histogram_assembly_timeout: '3s' });
    const requests: number[] = [];
    // Count the requests the parts came in (the assembler starts one per request).
    const begin = receiver.state.assembler.beginRequest.bind(receiver.state.assembler);
    receiver.state.assembler.beginRequest = () => {
      requests.push(Date.now());
      begin();
    };
    const port = await freePort();
    let agent: Daemon | undefined;
    try {
      // Two samples per request over four shards: the five parts of one histogram point (three
      // buckets, _sum, _count) never travel together.
      agent = await startAgent(
        dir.path,
        port,
        'agent-split',
        target.port,
        receiver.port,
        '{batch_send_deadline: 200ms, max_samples_per_send: 2, min_shards: 4, max_shards: 4}',
      );
      const histPoints = () =>
        got
          .flatMap((r) => r.resourceMetrics)
          .filter((rm) => rm.resource?.attributes.some((a) => a.value === 'agent-split'))
          .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
          .filter((m) => m.name === 'demo_latency_seconds' || m.name === 'demo_rpc_seconds');
      // Several scrapes: the first point waits for the timeout, later ones go as soon as whole.
      await poll(
        'four assembled histogram points',
        async () => {
          const n = histPoints()
            .filter((m) => m.name === 'demo_latency_seconds')
            .flatMap((m) => (m.data?.type === 'histogram' ? m.data.dataPoints : [])).length;
          return n >= 4 ? true : undefined;
        },
        30_000,
      );
      assert.ok(requests.length >= 10, `parts came in ${requests.length} requests`);
      for (const m of histPoints()) {
        if (m.data?.type === 'histogram') {
          for (const p of m.data.dataPoints) {
            assert.deepEqual(p.explicitBounds, [0.1, 1]);
            assert.deepEqual(p.bucketCounts, [5n, 3n, 1n]);
            assert.equal(p.count, 9n);
            assert.equal(p.sum, 3.5);
          }
        } else if (m.data?.type === 'summary') {
          for (const p of m.data.dataPoints) {
            assert.equal(p.count, 30n);
            assert.equal(p.quantileValues.length, 2);
          }
        }
      }
      const refused = settings.metrics.counter('otelcol_receiver_refused_metric_points_total', '');
      for (const reason of ['histogram_without_count', 'histogram_late_part', 'invalid_count'])
        assert.equal(refused.sum({ reason }), 0, reason);
    } finally {
      await agent?.stop();
      await receiver.shutdown();
      await target.close();
      dir.remove();
    }
  });
});

describe('vmagent -> receiver', () => {
  it('delivers what vmagent scraped (types from names, no metadata)', async () => {
    const dir = tempDir('switchyard-vmagent-');
    const target = await serveExposition();
    const { receiver, got } = await startReceiver();
    const port = await freePort();
    let agent: Daemon | undefined;
    try {
      const scrape = join(dir.path, 'scrape.yml');
      writeFileSync(
        scrape,
        [
          'global: {scrape_interval: 1s}',
          'scrape_configs:',
          '  - job_name: vmagent-demo',
          `    static_configs: [{targets: ['127.0.0.1:${target.port}']}]`,
          '',
        ].join('\n'),
      );
      agent = await startDaemon({
        command: requireBinary(VMAGENT, 'victoria-metrics'),
        args: [
          `-httpListenAddr=127.0.0.1:${port}`,
          `-promscrape.config=${scrape}`,
          `-remoteWrite.url=http://127.0.0.1:${receiver.port}/api/v1/write`,
          `-remoteWrite.tmpDataPath=${join(dir.path, 'tmp')}`,
          '-remoteWrite.flushInterval=200ms',
        ],
        ready: () => httpOk(`http://127.0.0.1:${port}/health`),
      });
      const ms = await poll('vmagent metrics at the receiver', async () => {
        const m = metricsOf(got, 'vmagent-demo');
        return complete(m) ? m : undefined;
      });
      assertScraped(ms);
    } finally {
      await agent?.stop();
      await receiver.shutdown();
      await target.close();
      dir.remove();
    }
  });
});

describe('Prometheus agent -> Switchyard (YAML config) -> Prometheus server', () => {
  it('carries scraped counter, gauge, histogram and summary through unchanged', async () => {
    const dir = tempDir('switchyard-e2e-');
    const target = await serveExposition();
    const [agentPort, serverPort, rwPort] = [await freePort(), await freePort(), await freePort()];
    let agent: Daemon | undefined;
    let server: Daemon | undefined;
    let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
    try {
      server = await startPrometheus(
        join(dir.path),
        serverPort,
        [`--storage.tsdb.path=${join(dir.path, 'server')}`, '--web.enable-remote-write-receiver'],
        'global: {scrape_interval: 15s}\n',
      );
      collector = await startCollector(`
receivers:
  prometheusremotewrite:
    endpoint: 127.0.0.1:${rwPort}
exporters:
  prometheusremotewrite:
    endpoint: http://127.0.0.1:${serverPort}/api/v1/write
    external_labels: { via: switchyard }
    retry_on_failure: { initial_interval: 100ms, max_interval: 200ms }
service:
  pipelines:
    metrics: { receivers: [prometheusremotewrite], exporters: [prometheusremotewrite] }
  telemetry:
    metrics: { level: none }
`);
      agent = await startPrometheus(
        dir.path,
        agentPort,
        [
          '--enable-feature=agent',
          `--storage.agent.path=${join(dir.path, 'agent')}`,
          '--storage.remote.flush-deadline=1s',
        ],
        [
          'global: {scrape_interval: 1s, scrape_timeout: 1s}',
          'scrape_configs:',
          '  - job_name: e2e',
          `    static_configs: [{targets: ['127.0.0.1:${target.port}']}]`,
          'remote_write:',
          `  - url: http://127.0.0.1:${rwPort}/api/v1/write`,
          '    metadata_config: {send: true, send_interval: 1s}',
          '    queue_config: {batch_send_deadline: 1s}',
          '',
        ].join('\n'),
        'agent.yml',
      );
      const base = `http://127.0.0.1:${serverPort}`;
      const now = () => Date.now() / 1000;
      const c = await poll('counter at the Prometheus server', async () => {
        const r = await query(base, 'demo_requests_total{via="switchyard"}', now());
        return r.length === 2 ? r : undefined;
      });
      assert.deepEqual(Object.fromEntries(c.map((v) => [v.metric.code, v.value[1]])), { '200': '42', '500': '3' });
      assert.equal(c[0]?.metric.job, 'e2e');
      assert.equal(c[0]?.metric.instance, `127.0.0.1:${target.port}`);
      const h = await poll('histogram at the Prometheus server', async () => {
        const r = await query(base, 'demo_latency_seconds_bucket{via="switchyard"}', now());
        return r.length === 3 ? r : undefined;
      });
      assert.deepEqual(Object.fromEntries(h.map((v) => [v.metric.le, v.value[1]])), {
        '0.1': '5',
        '1': '8',
        '+Inf': '9',
      });
      assert.equal((await query(base, 'demo_temperature_celsius{via="switchyard"}', now()))[0]?.value[1], '21.5');
      const q = await query(base, 'demo_rpc_seconds{via="switchyard"}', now());
      assert.deepEqual(Object.fromEntries(q.map((v) => [v.metric.quantile, v.value[1]])), {
        '0.5': '0.2',
        '0.9': '0.7',
      });
      assert.equal((await query(base, 'demo_rpc_seconds_count{via="switchyard"}', now()))[0]?.value[1], '30');
    } finally {
      await agent?.stop();
      await collector?.stop();
      await server?.stop();
      await target.close();
      dir.remove();
    }
  });
});

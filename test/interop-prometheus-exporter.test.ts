// Interop: OTLP/HTTP into an in-process collector whose prometheus exporter is scraped by a real
// Prometheus server (Debian's 2.42). What Prometheus stored, read back over its HTTP API, must
// equal what was sent: counters, a delta counter accumulated, a gauge, classic and exponential
// histograms, target_info, job/instance, and the OpenMetrics-only unit metadata and _created series.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ZERO_THRESHOLD } from '../src/exporters/prometheus/native.js';
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
import { Batch } from '../src/pdata/batch.js';
import type { ExportMetricsServiceRequest } from '../src/pdata/model.js';
import { freePort, type InProcessCollector, startCollector, tempDir } from './helpers.js';
import { type Daemon, startPrometheus } from './peers.js';

interface PromSeries {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

interface PromAnswer<T> {
  readonly status: string;
  readonly data: T;
}

const RESOURCE = {
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.instance.id': 'i-1',
  'host.name': 'h1',
  'deployment.environment': 'test',
};
const SCOPE = { name: 'interop', version: '0.9.0' };

describe('prometheus exporter scraped by Prometheus 2.42', () => {
  const dir = tempDir('switchyard-prom-interop-');
  let collector: InProcessCollector | undefined;
  let prom: Daemon | undefined;
  let otlpPort = 0;
  let promPort = 0;
  const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
  const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

  async function sendOtlp(req: ExportMetricsServiceRequest): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: Batch.fromRequest('metrics', req).toProto(),
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
  }

  async function api<T>(path: string, params: Record<string, string>): Promise<T> {
    const url = new URL(`http://127.0.0.1:${promPort}${path}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as PromAnswer<T>;
    assert.equal(body.status, 'success', `${path} ${JSON.stringify(params)}`);
    return body.data;
  }

  interface NativeSeries {
    readonly metric: Record<string, string>;
    readonly histogram?: [number, { count: string; sum: string; buckets?: Array<[number, string, string, string]> }];
  }

  const query = async (q: string): Promise<PromSeries[]> =>
    (await api<{ result: PromSeries[] }>('/api/v1/query', { query: q })).result;

  /** Poll a query until it returns `n` series (bounded). */
  async function waitQuery(q: string, n: number, timeoutMs = 30_000): Promise<PromSeries[]> {
    const deadline = Date.now() + timeoutMs;
    let last: PromSeries[] = [];
    while (Date.now() < deadline) {
      last = await query(q);
      if (last.length >= n) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`query ${q}: wanted ${n} series, got ${JSON.stringify(last)}\n${prom?.output().slice(-2000)}`);
  }

  before(async () => {
    otlpPort = await freePort();
    const grpcPort = await freePort();
    const exporterPort = await freePort();
    const nativePort = await freePort();
    promPort = await freePort();
    collector = await startCollector(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpcPort} }
      http: { endpoint: 127.0.0.1:${otlpPort} }
exporters:
  prometheus:
    endpoint: 127.0.0.1:${exporterPort}
    enable_open_metrics: true
    exponential_histogram_buckets: [1, 2, 4, 8, 16]
  prometheus/native:
    endpoint: 127.0.0.1:${nativePort}
    enable_native_histograms: true
    const_labels: { via: native }
service:
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheus, prometheus/native] }
  telemetry:
    metrics: { level: none }
`);
    const t1 = nowNs();
    await sendOtlp(
      request(
        [
          metric(
            'orders.placed',
            '{order}',
            sum([num(42n, { payment: 'card' }, startNs, t1), num(5n, { payment: 'cash' }, startNs, t1)]),
            'Orders placed.',
          ),
          metric('room.temperature', 'Cel', gauge([num(21.5, { room: 'a' }, 0n, t1)])),
          metric(
            'http.server.duration',
            's',
            histogram([hist([0.1, 0.5, 1], [3n, 2n, 1n, 4n], 12.5, { route: '/pay' }, startNs, t1)]),
            'Request duration.',
          ),
          // scale 0, offset 0: (1,2] 1, (2,4] 2, (4,8] 3, plus 4 zeros
          metric('payload.size', 'By', expoHistogram([expo(0, 0, [1n, 2n, 3n], 4n, 30, {}, startNs, t1)])),
          metric('jobs.done', '', sum([num(5n, {}, startNs, t1)], true, true)),
        ],
        RESOURCE,
        SCOPE,
      ),
    );
    await sendOtlp(request([metric('jobs.done', '', sum([num(3n, {}, t1, nowNs())], true, true))], RESOURCE, SCOPE));

    prom = await startPrometheus(
      dir.path,
      promPort,
      [`--storage.tsdb.path=${join(dir.path, 'data')}`, '--enable-feature=native-histograms'],
      `global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: switchyard
    honor_labels: true
    scrape_timeout: 1s
    static_configs: [{targets: ['127.0.0.1:${exporterPort}']}]
  - job_name: switchyard-native
    honor_labels: true
    scrape_timeout: 1s
    static_configs: [{targets: ['127.0.0.1:${nativePort}']}]
`,
    );
  });

  after(async () => {
    try {
      await prom?.stop();
    } finally {
      await collector?.stop();
      dir.remove();
    }
  });

  it('stores counters (with delta accumulated), gauges and job/instance from the resource', async () => {
    const base = { job: 'shop/checkout', instance: 'i-1', otel_scope_name: 'interop', otel_scope_version: '0.9.0' };
    const orders = await waitQuery('orders_placed_total{via=""}', 2);
    const byPayment = Object.fromEntries(orders.map((s) => [s.metric.payment, s]));
    assert.equal(byPayment.card?.value[1], '42');
    assert.equal(byPayment.cash?.value[1], '5');
    assert.deepEqual(byPayment.card?.metric, { __name__: 'orders_placed_total', payment: 'card', ...base });
    const temp = await waitQuery('room_temperature_celsius{via=""}', 1);
    assert.equal(temp[0]?.value[1], '21.5');
    assert.equal(temp[0]?.metric.room, 'a');
    const jobs = await waitQuery('jobs_done_total{via=""}', 1);
    assert.equal(jobs[0]?.value[1], '8');
  });

  it('stores classic and exponential histogram buckets', async () => {
    const buckets = async (name: string, n: number) =>
      Object.fromEntries((await waitQuery(`${name}_bucket{via=""}`, n)).map((s) => [s.metric.le, s.value[1]]));
    assert.deepEqual(await buckets('http_server_duration_seconds', 4), {
      '0.1': '3',
      '0.5': '5',
      '1.0': '6',
      '+Inf': '10',
    });
    assert.equal((await waitQuery('http_server_duration_seconds_sum{via=""}', 1))[0]?.value[1], '12.5');
    assert.equal((await waitQuery('http_server_duration_seconds_count{via=""}', 1))[0]?.value[1], '10');
    assert.deepEqual(await buckets('payload_size_bytes', 6), {
      '1.0': '4',
      '2.0': '5',
      '4.0': '7',
      '8.0': '10',
      '16.0': '10',
      '+Inf': '10',
    });
    assert.equal((await waitQuery('payload_size_bytes_sum{via=""}', 1))[0]?.value[1], '30');
  });

  it('stores target_info with the other resource attributes', async () => {
    const ti = await waitQuery('target_info{via=""}', 1);
    assert.equal(ti.length, 1);
    assert.deepEqual(ti[0]?.metric, {
      __name__: 'target_info',
      job: 'shop/checkout',
      instance: 'i-1',
      host_name: 'h1',
      deployment_environment: 'test',
    });
    assert.equal(ti[0]?.value[1], '1');
    const series = await api<Array<Record<string, string>>>('/api/v1/series', {
      'match[]': '{job="shop/checkout",via=""}',
    });
    const names = new Set(series.map((s) => s.__name__));
    for (const n of [
      'target_info',
      'orders_placed_total',
      'room_temperature_celsius',
      'http_server_duration_seconds_bucket',
      'payload_size_bytes_bucket',
      'jobs_done_total',
    ]) {
      assert.ok(names.has(n), `${n} in ${[...names].join(', ')}`);
    }
  });

  it('was scraped as OpenMetrics (units, _created series, the exporter counted the format)', async () => {
    // # UNIT exists only in OpenMetrics; metadata of the job scraped that way.
    interface TargetMeta {
      readonly target: Record<string, string>;
      readonly type: string;
      readonly unit: string;
      readonly help: string;
    }
    const deadline = Date.now() + 20_000;
    let meta: TargetMeta[] = [];
    while (Date.now() < deadline) {
      meta = await api<TargetMeta[]>('/api/v1/targets/metadata', {
        match_target: '{job="switchyard"}',
        metric: 'http_server_duration_seconds',
      });
      if (meta.length > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(meta.length, 1, JSON.stringify(meta));
    assert.deepEqual(
      { type: meta[0]?.type, unit: meta[0]?.unit, help: meta[0]?.help },
      { type: 'histogram', unit: 'seconds', help: 'Request duration.' },
    );
    // Prometheus 2.x stores OpenMetrics _created samples as series of their own.
    const created = await waitQuery('orders_placed_created{via=""}', 2);
    assert.equal(Number(created[0]?.value[1]), Number(startNs / 1_000_000n) / 1000);
    const scrapes = collector?.metrics.counter('switchyard_exporter_prometheus_scrapes_total', '');
    assert.ok((scrapes?.sum({ format: 'openmetrics', code: '200' }) ?? 0) > 0);
    assert.equal(scrapes?.sum({ format: 'text' }), 0);
  });

  it('stores exponential histograms as native histograms over the protobuf exposition', async () => {
    const deadline = Date.now() + 30_000;
    let got: NativeSeries[] = [];
    while (Date.now() < deadline) {
      got = (await api<{ result: NativeSeries[] }>('/api/v1/query', { query: 'payload_size_bytes{via="native"}' }))
        .result;
      if (got.length > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(got.length, 1, JSON.stringify(got));
    const h = got[0]?.histogram?.[1];
    assert.ok(h, JSON.stringify(got));
    assert.equal(h.count, '10');
    assert.equal(h.sum, '30');
    // [boundary rule, lower, upper, count]: zero bucket (closed both ends) then (1,2], (2,4], (4,8].
    const buckets = (h.buckets ?? []).map(([, lo, hi, n]) => [Number(lo), Number(hi), n]);
    assert.deepEqual(buckets, [
      [-DEFAULT_ZERO_THRESHOLD, DEFAULT_ZERO_THRESHOLD, '4'],
      [1, 2, '1'],
      [2, 4, '2'],
      [4, 8, '3'],
    ]);
    assert.equal((await waitQuery('histogram_count(payload_size_bytes{via="native"})', 1))[0]?.value[1], '10');
    // The other kinds came through the protobuf exposition too.
    assert.equal((await waitQuery('orders_placed_total{via="native",payment="card"}', 1))[0]?.value[1], '42');
    assert.equal((await waitQuery('jobs_done_total{via="native"}', 1))[0]?.value[1], '8');
    const classic = await waitQuery('http_server_duration_seconds_bucket{via="native"}', 4);
    assert.deepEqual(Object.fromEntries(classic.map((s) => [s.metric.le, s.value[1]])), {
      '0.1': '3',
      '0.5': '5',
      '1.0': '6',
      '+Inf': '10',
    });
    assert.equal((await waitQuery('target_info{via="native"}', 1))[0]?.metric.host_name, 'h1');
    const scrapes = collector?.metrics.counter('switchyard_exporter_prometheus_scrapes_total', '');
    assert.ok((scrapes?.sum({ exporter: 'prometheus/native', format: 'protobuf', code: '200' }) ?? 0) > 0);
  });
});

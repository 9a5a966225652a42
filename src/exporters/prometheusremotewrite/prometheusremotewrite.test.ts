import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { testHost, testSettings } from '../../helpers/exporterhelper/testutil.js';
import { Batch } from '../../pdata/batch.js';
import { DATA_POINT_FLAG_NO_RECORDED_VALUE, type ExportMetricsServiceRequest } from '../../pdata/model.js';
import {
  decodeV2Request,
  decodeWriteRequest,
  isStaleNaN,
  type WriteRequest,
} from '../../prometheus/remotewrite/proto.js';
import { snappyDecompress } from '../../prometheus/remotewrite/snappy.js';
import {
  expo,
  expoHistogram,
  gauge,
  hist,
  histogram,
  metric,
  num,
  request,
  SEC,
  sum,
  summary,
  summaryData,
  T0,
} from '../prometheus/testdata.js';
import { createDefaultConfig, type PrwExporterConfig, validate } from './config.js';
import { createPrwExporter, LabelCache, RemoteWriteEncoder } from './exporter.js';
import { formatLe, SeriesMemo, translate } from './translate.js';

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: WriteRequest;
  readonly size: number;
}

/** A remote write endpoint answering from a script of statuses (then 204). */
class FakeReceiver {
  readonly got: Received[] = [];
  script: Array<{ status: number; headers?: Record<string, string>; body?: string }> = [];
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const plain = snappyDecompress(raw, 1 << 26);
        const v2 = String(req.headers['content-type']).includes('v2');
        const body = v2 ? decodeV2Request(plain).request : decodeWriteRequest(plain);
        this.got.push({ headers: req.headers, body, size: plain.length });
        const next = this.script.shift() ?? { status: 204 };
        res.writeHead(next.status, next.headers ?? {});
        res.end(next.body ?? '');
      });
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

function cfg(url: string, over: Partial<PrwExporterConfig> = {}): PrwExporterConfig {
  return {
    ...createDefaultConfig(),
    endpoint: url,
    sending_queue: { ...createDefaultConfig().sending_queue, enabled: false },
    retry_on_failure: {
      ...createDefaultConfig().retry_on_failure,
      initial_interval: '10ms',
      max_interval: '20ms',
      max_elapsed_time: '5s',
    },
    ...over,
  };
}

function labelsOf(w: WriteRequest, i: number): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of w.timeseries[i]?.labels ?? []) o[l.name] = l.value;
  return o;
}

function find(w: WriteRequest, name: string, extra: Record<string, string> = {}) {
  return w.timeseries.find((ts) => {
    const m = new Map(ts.labels.map((l) => [l.name, l.value]));
    return m.get('__name__') === name && Object.entries(extra).every(([k, v]) => m.get(k) === v);
  });
}

const baseReq = (): ExportMetricsServiceRequest =>
  request([
    metric('http.requests', '{request}', sum([num(7, { route: '/a', method: 'GET' })])),
    metric('queue.depth', '', gauge([num(3.5, { q: 'x' })])),
    metric('latency', 's', histogram([hist([0.1, 1], [2n, 3n, 1n], 4.5, { route: '/a' })])),
  ]);

describe('prometheusremotewrite exporter', () => {
  const peer = new FakeReceiver();
  before(() => peer.start());
  after(() => peer.stop());

  it('sends remote write 1.0 headers and sorted, named series', async () => {
    peer.got.length = 0;
    const settings = testSettings('prometheusremotewrite');
    const exp = createPrwExporter(settings, cfg(peer.url, { external_labels: { cluster: 'c1' } }), 'metrics');
    await exp.start(testHost());
    await exp.consume(Batch.fromRequest('metrics', baseReq()));
    await exp.shutdown();
    assert.equal(peer.got.length, 1);
    const { headers, body } = peer.got[0] as Received;
    assert.equal(headers['content-encoding'], 'snappy');
    assert.equal(headers['content-type'], 'application/x-protobuf');
    assert.equal(headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.match(String(headers['user-agent']), /^switchyard\//);
    for (let i = 0; i < body.timeseries.length; i++) {
      const names = body.timeseries[i]?.labels.map((l) => l.name) ?? [];
      assert.deepEqual(names, [...names].sort(), 'labels sorted by name');
      assert.equal(new Set(names).size, names.length);
    }
    const c = find(body, 'http_requests_total');
    assert.ok(c);
    assert.deepEqual(c.samples, [{ value: 7, timestampMs: Number((T0 + SEC) / 1_000_000n) }]);
    const l = labelsOf(body, body.timeseries.indexOf(c));
    assert.deepEqual(l, {
      __name__: 'http_requests_total',
      cluster: 'c1',
      instance: 'i-1',
      job: 'checkout',
      method: 'GET',
      otel_scope_name: 'test.scope',
      otel_scope_version: '1.2.3',
      route: '/a',
    });
    assert.equal(find(body, 'queue_depth')?.samples[0]?.value, 3.5);
    assert.equal(find(body, 'latency_seconds_bucket', { le: '0.1' })?.samples[0]?.value, 2);
    assert.equal(find(body, 'latency_seconds_bucket', { le: '1' })?.samples[0]?.value, 5);
    assert.equal(find(body, 'latency_seconds_bucket', { le: '+Inf' })?.samples[0]?.value, 6);
    assert.equal(find(body, 'latency_seconds_count')?.samples[0]?.value, 6);
    assert.equal(find(body, 'latency_seconds_sum')?.samples[0]?.value, 4.5);
    assert.equal(settings.metrics.counter('otelcol_exporter_sent_metric_points_total', '').sum(), 3);
  });

  it('retries 500 and 429 (honouring Retry-After), then succeeds without resending accepted parts', async () => {
    peer.got.length = 0;
    peer.script = [
      { status: 500, body: 'boom' },
      { status: 429, headers: { 'retry-after': '1' } },
    ];
    const settings = testSettings('prometheusremotewrite');
    const exp = createPrwExporter(settings, cfg(peer.url), 'metrics');
    await exp.start(testHost());
    const t0 = Date.now();
    await exp.consume(Batch.fromRequest('metrics', baseReq()));
    const took = Date.now() - t0;
    await exp.shutdown();
    assert.equal(peer.got.length, 3);
    assert.ok(took >= 900, `waited for Retry-After: ${took} ms`);
    assert.deepEqual(peer.got[0]?.body, peer.got[2]?.body, 'same payload on retry');
    assert.equal(settings.metrics.counter('otelcol_exporter_sent_metric_points_total', '').sum(), 3);
  });

  it('does not retry 400 and counts the points as permanent failures with the server message', async () => {
    peer.got.length = 0;
    peer.script = [{ status: 400, body: 'out of order sample' }];
    const settings = testSettings('prometheusremotewrite');
    const exp = createPrwExporter(settings, cfg(peer.url), 'metrics');
    await exp.start(testHost());
    await assert.rejects(exp.consume(Batch.fromRequest('metrics', baseReq())), /HTTP 400: out of order sample/);
    await exp.shutdown();
    assert.equal(peer.got.length, 1);
    const failed = settings.metrics.counter('otelcol_exporter_send_failed_metric_points_total', '');
    assert.equal(failed.sum({ reason: 'permanent' }), 3);
  });

  it('splits by max_batch_size_bytes; a 400 on a later part rejects only its points', async () => {
    peer.got.length = 0;
    const points = Array.from({ length: 300 }, (_, i) => num(i, { i: String(i), pad: 'x'.repeat(40) }));
    const req = request([metric('g', '', gauge(points))]);
    const settings = testSettings('prometheusremotewrite');
    const exp = createPrwExporter(
      settings,
      cfg(peer.url, { max_batch_size_bytes: 4096, target_info: { enabled: false } }),
      'metrics',
    );
    await exp.start(testHost());
    await exp.consume(Batch.fromRequest('metrics', req));
    const parts = peer.got.length;
    assert.ok(parts >= 5, `split into ${parts} requests`);
    for (const g of peer.got) {
      assert.ok(g.size <= 4096, `request of ${g.size} bytes`);
    }
    const total = peer.got.reduce((a, g) => a + g.body.timeseries.length, 0);
    assert.equal(total, 300);
    peer.got.length = 0;
    peer.script = [{ status: 204 }, { status: 400, body: 'bad' }];
    await exp.consume(Batch.fromRequest('metrics', req));
    await exp.shutdown();
    // Up to PARALLEL_PARTS requests are in flight at once: those answered 2xx are accepted; the
    // one answered 400 and those not sent yet are rejected, and no request starts after the 400.
    assert.ok(peer.got.length < parts, `${peer.got.length} of ${parts} requests sent after the 400`);
    const accepted = peer.got.reduce((a, g, i) => (i === 1 ? a : a + g.body.timeseries.length), 0);
    const failed = settings.metrics.counter('otelcol_exporter_send_failed_metric_points_total', '').sum();
    assert.equal(failed, 300 - accepted);
  });

  it('remote write 2.0: headers, then falls back to 1.0 on 415 and stays there', async () => {
    peer.got.length = 0;
    peer.script = [{ status: 415, body: 'v2 not supported' }];
    const settings = testSettings('prometheusremotewrite');
    const exp = createPrwExporter(
      settings,
      cfg(peer.url, { protobuf_message: 'io.prometheus.write.v2.Request' }),
      'metrics',
    );
    await exp.start(testHost());
    await exp.consume(Batch.fromRequest('metrics', baseReq()));
    await exp.consume(Batch.fromRequest('metrics', baseReq()));
    await exp.shutdown();
    assert.equal(peer.got.length, 3);
    assert.equal(peer.got[0]?.headers['content-type'], 'application/x-protobuf;proto=io.prometheus.write.v2.Request');
    assert.equal(peer.got[0]?.headers['x-prometheus-remote-write-version'], '2.0.0');
    assert.equal(peer.got[1]?.headers['content-type'], 'application/x-protobuf');
    assert.equal(peer.got[1]?.headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.equal(peer.got[2]?.headers['x-prometheus-remote-write-version'], '0.1.0');
    assert.deepEqual(
      peer.got[0]?.body.timeseries.map((t) => t.labels),
      peer.got[1]?.body.timeseries.map((t) => t.labels),
    );
    assert.equal(settings.metrics.counter('otelcol_exporter_sent_metric_points_total', '').sum(), 6);
  });

  it('drops delta sums and histograms, counted by reason', async () => {
    peer.got.length = 0;
    const req = request([
      metric('d', '', sum([num(1), num(2, { a: 'b' })], true, true)),
      metric('dh', '', histogram([hist([1], [1n, 1n], 1)], true)),
      metric('ok', '', gauge([num(1)])),
    ]);
    const settings = testSettings('prometheusremotewrite');
    const exp = createPrwExporter(settings, cfg(peer.url), 'metrics');
    await exp.start(testHost());
    await exp.consume(Batch.fromRequest('metrics', req));
    await exp.shutdown();
    assert.ok(
      settings.logs.some((l) => /3 delta_temporality/.test(JSON.stringify(l))),
      'logged with the reason',
    );
    const dropped = settings.metrics.counter('switchyard_exporter_prometheusremotewrite_dropped_points_total', '');
    assert.equal(dropped.sum({ reason: 'delta_temporality' }), 3);
    assert.equal(settings.metrics.counter('otelcol_exporter_send_failed_metric_points_total', '').sum(), 3);
    assert.equal(settings.metrics.counter('otelcol_exporter_sent_metric_points_total', '').sum(), 1);
    assert.ok(find(peer.got[0]?.body as WriteRequest, 'ok'));
  });
});

describe('remote write translation', () => {
  const opts = {
    namespace: '',
    addSuffixes: true,
    externalLabels: [],
    resourceToTelemetry: false,
    targetInfo: true,
    exportCreated: false,
    sendMetadata: true,
    expoMode: 'native' as const,
    classicBounds: [1, 2, 4],
  };

  it('writes staleness markers for points without a recorded value', () => {
    const req = request([
      metric('g', '', gauge([num(1, {}, T0, T0 + SEC, DATA_POINT_FLAG_NO_RECORDED_VALUE)])),
      metric('h', '', histogram([{ ...hist([1], [1n, 1n], 2), flags: DATA_POINT_FLAG_NO_RECORDED_VALUE }])),
    ]);
    const t = translate(req, opts, 0);
    let stale = 0;
    for (const s of t.series.values()) for (const smp of s.samples) if (isStaleNaN(smp.value)) stale++;
    assert.equal(stale, 1 + 2 + 1 + 1); // gauge, two buckets, sum, count
  });

  it('sorts samples of a series by time', () => {
    const req = request([metric('g', '', gauge([num(2, {}, T0, T0 + 2n * SEC), num(1, {}, T0, T0 + SEC)]))]);
    const s = [...translate(req, opts, 0).series.values()].find((x) => x.labels.some((l) => l.value === 'g'));
    assert.deepEqual(
      s?.samples.map((x) => x.value),
      [1, 2],
    );
  });

  it('writes target_info with the non-identifying resource attributes, and metadata', () => {
    const req = request([metric('g', 'By', gauge([num(1)]), 'help text')], {
      'service.name': 's',
      'service.instance.id': 'i',
      'host.name': 'h1',
    });
    const t = translate(req, opts, 0);
    const ti = [...t.series.values()].find((x) =>
      x.labels.some((l) => l.name === '__name__' && l.value === 'target_info'),
    );
    assert.deepEqual(ti?.labels, [
      { name: '__name__', value: 'target_info' },
      { name: 'host_name', value: 'h1' },
      { name: 'instance', value: 'i' },
      { name: 'job', value: 's' },
    ]);
    assert.deepEqual(t.metadata, [{ type: 2, metricFamilyName: 'g_bytes', help: 'help text', unit: 'bytes' }]);
  });

  it('turns exponential histograms into native histograms, or classic buckets', () => {
    const req = request([metric('e', '', expoHistogram([expo(0, 3, [10n, 0n, 0n, 20n, 5n, 2n], 1n, 100)]))]);
    const t = translate(req, opts, 0);
    const h = [...t.series.values()].find((x) => x.histograms.length > 0)?.histograms[0];
    assert.deepEqual(h?.positiveSpans, [
      { offset: 4, length: 1 },
      { offset: 2, length: 3 },
    ]);
    assert.deepEqual(h?.positiveDeltas, [10n, 10n, -15n, -3n]);
    assert.deepEqual(h?.count, { kind: 'int', value: 38n });
    // Classic at bounds 1,2,4 (scale 0: bucket i covers (2^i, 2^(i+1)]): zero bucket -> le=1;
    // indexes 3.. have upper boundaries 16.. -> +Inf.
    const c = translate(req, { ...opts, expoMode: 'classic' }, 0);
    const b = (le: string) =>
      [...c.series.values()].find((x) => x.labels.some((l) => l.name === 'le' && l.value === le))?.samples[0]?.value;
    assert.equal(b('1'), 1);
    assert.equal(b('4'), 1);
    assert.equal(b('+Inf'), 38);
  });

  it('writes summaries as quantile, _sum and _count series', () => {
    const req = request([
      metric(
        'rt',
        's',
        summaryData([
          summary(10n, 5, [
            [0.5, 0.2],
            [0.99, 0.9],
          ]),
        ]),
      ),
    ]);
    const t = translate(req, opts, 0);
    const names = [...t.series.values()].map((s) =>
      s.labels
        .map((l) => `${l.name}=${l.value}`)
        .filter((x) => x.startsWith('__name__') || x.startsWith('quantile'))
        .join(','),
    );
    assert.ok(names.includes('__name__=rt_seconds,quantile=0.5'));
    assert.ok(names.includes('__name__=rt_seconds,quantile=0.99'));
    assert.ok(names.includes('__name__=rt_seconds_count'));
  });

  it('formats le like Go FormatFloat(f, -1)', () => {
    assert.equal(formatLe(0.00001), '0.00001');
    assert.equal(formatLe(1), '1');
    assert.equal(formatLe(2.5), '2.5');
    assert.equal(formatLe(1e21), '1000000000000000000000');
  });

  it('formats tiny bounds exactly (distinct bounds never share an le)', () => {
    assert.equal(formatLe(1e-25), '0.0000000000000000000000001');
    assert.equal(formatLe(1.5e-21), '0.0000000000000000000015');
    assert.equal(formatLe(-2.5e-30), '-0.0000000000000000000000000000025');
    assert.equal(formatLe(1.25e22), '12500000000000000000000');
    const req = request([metric('tiny', '', histogram([hist([1e-30, 1e-25], [1n, 1n, 1n], 3)]))]);
    const les = [...translate(req, opts, 0).series.values()].flatMap((x) =>
      x.labels.filter((l) => l.name === 'le').map((l) => l.value),
    );
    assert.equal(new Set(les).size, 3);
  });

  it('caches encoded labels across exports and produces identical bytes', () => {
    const cache = new LabelCache(1000);
    const withCache = new RemoteWriteEncoder({ translate: opts, maxBatchBytes: 1 << 20, cache });
    const without = new RemoteWriteEncoder({ translate: opts, maxBatchBytes: 1 << 20, cache: undefined });
    const req = baseReq();
    const a = withCache.encode(req, 0).parts[0]?.body;
    const b = withCache.encode(req, 0).parts[0]?.body;
    const c = without.encode(req, 0).parts[0]?.body;
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.ok(cache.hits > 0 && cache.hits === cache.misses, `hits ${cache.hits}, misses ${cache.misses}`);
  });

  it('remembers series by attribute array: later exports skip label building and give the same bytes', () => {
    const memo = new SeriesMemo();
    const withMemo = new RemoteWriteEncoder({ translate: { ...opts, memo }, maxBatchBytes: 1 << 20, cache: undefined });
    const plain = new RemoteWriteEncoder({ translate: opts, maxBatchBytes: 1 << 20, cache: undefined });
    const decoded = (b: Buffer | undefined) => decodeWriteRequest(snappyDecompress(b as Buffer, 1 << 24));
    const sumPt = num(7, { route: '/a', method: 'GET' });
    const histPt = hist([0.1, 1], [2n, 3n, 1n], 4.5, { route: '/a' });
    const sumPt2 = summary(10n, 5, [
      [0.5, 0.2],
      [0.99, 0.9],
    ]);
    // The same attribute arrays in every export, as the prometheus receiver sends them; values,
    // bounds and the resource change between exports.
    const reqs = [0, 1, 2, 3].map((i) => {
      const r = request([
        metric('http.requests', '{request}', sum([{ ...sumPt, value: 7 + i }])),
        metric(
          'latency',
          's',
          histogram([i < 2 ? histPt : { ...histPt, explicitBounds: [0.5, 1], bucketCounts: [3n, 2n, 1n] }]),
        ),
        metric('rt', 's', summaryData([{ ...sumPt2, attributes: sumPt.attributes }])),
      ]);
      if (i === 3) {
        const rm = r.resourceMetrics[0];
        rm?.resource?.attributes.push({ key: 'service.instance.id', value: 'other:1' });
      }
      return r;
    });
    for (const r of reqs) {
      assert.deepEqual(decoded(withMemo.encode(r, 0).parts[0]?.body), decoded(plain.encode(r, 0).parts[0]?.body));
    }
    // Export 1 reuses every series of export 0; export 2 rebuilds the histogram (new bounds);
    // export 3 rebuilds all (new resource).
    assert.ok(memo.hits > 0, `hits ${memo.hits}`);
    const perExport = memo.misses / 4;
    assert.ok(perExport < 10, `misses ${memo.misses}`);
    assert.deepEqual(
      find(
        decoded(withMemo.encode(reqs[2] as ExportMetricsServiceRequest, 0).parts[0]?.body),
        'latency_seconds_bucket',
        {
          le: '0.5',
        },
      )?.samples[0]?.value,
      3,
    );
  });

  it('does not cache the labels of series with very long label text', () => {
    const cache = new LabelCache(1000);
    const enc = new RemoteWriteEncoder({ translate: { ...opts, targetInfo: false }, maxBatchBytes: 1 << 20, cache });
    const big = request([metric('g', '', gauge([num(1, { blob: 'x'.repeat(10_000) })]))]);
    const a = enc.encode(big, 0).parts[0]?.body;
    const b = enc.encode(big, 0).parts[0]?.body;
    assert.deepEqual(a, b);
    assert.equal(cache.size, 0);
    assert.equal(cache.misses, 2);
  });

  it('validates config', () => {
    assert.match(validate(createDefaultConfig())[0]?.message ?? '', /required/);
    const bad = {
      ...createDefaultConfig(),
      endpoint: 'ftp://x',
      external_labels: { 'bad-name': 'v' },
      headers: { 'Content-Type': 'x' },
    };
    const msgs = validate(bad).map((p) => `${p.path.join('.')}: ${p.message}`);
    assert.ok(msgs.some((m) => m.startsWith('endpoint: unsupported scheme')));
    assert.ok(msgs.some((m) => m.startsWith('external_labels.bad-name')));
    assert.ok(
      msgs.some((m) => m.startsWith('headers.Content-Type')),
      msgs.join('\n'),
    );
    // User-Agent is one of the spec's required (reserved) headers: not configurable either.
    const ua = validate({
      ...createDefaultConfig(),
      endpoint: 'http://x/api/v1/write',
      headers: { 'User-Agent': 'x' },
    });
    assert.deepEqual(
      ua.map((p) => p.path.join('.')),
      ['headers.User-Agent'],
    );
  });
});

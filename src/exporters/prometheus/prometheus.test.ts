import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { testSettings } from '../../helpers/exporterhelper/testutil.js';
import { Batch } from '../../pdata/batch.js';
import { DATA_POINT_FLAG_NO_RECORDED_VALUE, type ExportMetricsServiceRequest } from '../../pdata/model.js';
import { type MetricFamily, parseExposition, type Sample } from '../../prometheus/textparse.js';
import type { ExpositionFormat } from '../../prometheus/textwrite.js';
import { createDefaultConfig, type PrometheusExporterConfig, validate } from './config.js';
import { expoToClassic } from './expo.js';
import { createPrometheusExporter, type PrometheusExporter } from './exporter.js';
import { acceptsGzip, negotiateFormat } from './negotiate.js';
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
} from './testdata.js';

const PROTOBUF_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function setup(over: Partial<PrometheusExporterConfig> = {}, clock = { now: 1_000_000 }) {
  const settings = testSettings('prometheus');
  const cfg: PrometheusExporterConfig = { ...createDefaultConfig(), endpoint: '127.0.0.1:0', ...over };
  const exp = createPrometheusExporter(settings, cfg, { now: () => clock.now });
  const send = (req: ExportMetricsServiceRequest) => exp.consume(Batch.fromRequest('metrics', req));
  const dropped = (reason: string) =>
    settings.metrics
      .counter('otelcol_exporter_send_failed_metric_points_total', '')
      .get({ exporter: 'prometheus', reason });
  const sentCount = () =>
    settings.metrics.counter('otelcol_exporter_sent_metric_points_total', '').get({ exporter: 'prometheus' });
  return { exp, send, dropped, sentCount, clock, settings };
}

function parse(text: string, format: ExpositionFormat): MetricFamily[] {
  const r = parseExposition(text, { openMetrics: format === 'openmetrics' });
  assert.deepEqual(r.errors, [], `parse errors in:\n${text}`);
  return r.families;
}

function fam(families: MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `family ${name} missing; have ${families.map((x) => x.name).join(', ')}`);
  return f;
}

function labelsOf(s: Sample): Record<string, string> {
  return Object.fromEntries(s.labels);
}

function sampleValue(f: MetricFamily, name: string, labels: Record<string, string> = {}): number | undefined {
  const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => labelsOf(x)[k] === v));
  return s?.value;
}

function allMetrics() {
  return request(
    [
      metric(
        'http.server.requests',
        '{request}',
        sum([num(42n, { 'http.method': 'GET' }), num(7n, { 'http.method': 'POST' })]),
        'Requests served.',
      ),
      metric('cpu.utilization', '1', gauge([num(0.25, { cpu: 0n })]), 'CPU "busy" share\nper cpu'),
      metric(
        'http.server.duration',
        's',
        histogram([hist([0.1, 0.5, 1], [3n, 2n, 1n, 4n], 12.5, { route: '/a' })]),
        'Request duration.',
      ),
      metric(
        'rpc.latency',
        'ms',
        summaryData([
          summary(
            10n,
            55.5,
            [
              [0.5, 4],
              [0.99, 9.5],
            ],
            { svc: 'x' },
          ),
        ]),
      ),
      // scale 0: bucket i covers (2^i, 2^(i+1)]; offset 0 -> (1,2], (2,4], (4,8]
      metric('payload.size', 'By', expoHistogram([expo(0, 0, [1n, 2n, 3n], 4n, 30)])),
      metric('queue.depth', '', sum([num(-3, { q: 'a' })], false)),
    ],
    {
      'service.name': 'checkout',
      'service.namespace': 'shop',
      'service.instance.id': 'i-1',
      'host.name': 'h1',
      'k8s.pod.name': 'p-1',
    },
  );
}

describe('prometheus exporter: rendering', () => {
  for (const format of ['text', 'openmetrics'] as const) {
    it(`renders every kind and round-trips through the parser (${format})`, async () => {
      const { exp, send, sentCount } = setup({ exponential_histogram_buckets: [1, 2, 4, 8, 16] });
      await send(allMetrics());
      assert.equal(sentCount(), 7);
      const text = exp.render(format);
      const fams = parse(text, format);
      const om = format === 'openmetrics';
      if (om) assert.ok(text.endsWith('# EOF\n'));
      else assert.ok(!text.includes('# EOF'));

      const base = {
        job: 'shop/checkout',
        instance: 'i-1',
        otel_scope_name: 'test.scope',
        otel_scope_version: '1.2.3',
      };

      const counter = fam(fams, om ? 'http_server_requests' : 'http_server_requests_total');
      assert.equal(counter.type, 'counter');
      assert.equal(counter.help, 'Requests served.');
      assert.equal(sampleValue(counter, 'http_server_requests_total', { http_method: 'GET', ...base }), 42);
      assert.equal(sampleValue(counter, 'http_server_requests_total', { http_method: 'POST' }), 7);
      if (om)
        assert.equal(sampleValue(counter, 'http_server_requests_created', { http_method: 'GET' }), Number(T0 / SEC));

      const g = fam(fams, 'cpu_utilization_ratio');
      assert.equal(g.type, 'gauge');
      assert.equal(g.help, 'CPU "busy" share\nper cpu');
      assert.equal(sampleValue(g, 'cpu_utilization_ratio', { cpu: '0' }), 0.25);

      const h = fam(fams, 'http_server_duration_seconds');
      assert.equal(h.type, 'histogram');
      if (om) assert.equal(h.unit, 'seconds');
      const b = (le: string) => sampleValue(h, 'http_server_duration_seconds_bucket', { le, route: '/a' });
      assert.deepEqual([b('0.1'), b('0.5'), b('1.0'), b('+Inf')], [3, 5, 6, 10]);
      assert.equal(sampleValue(h, 'http_server_duration_seconds_sum'), 12.5);
      assert.equal(sampleValue(h, 'http_server_duration_seconds_count'), 10);

      const s = fam(fams, 'rpc_latency_milliseconds');
      assert.equal(s.type, 'summary');
      assert.equal(sampleValue(s, 'rpc_latency_milliseconds', { quantile: '0.99' }), 9.5);
      assert.equal(sampleValue(s, 'rpc_latency_milliseconds_count'), 10);
      assert.equal(sampleValue(s, 'rpc_latency_milliseconds_sum'), 55.5);

      const e = fam(fams, 'payload_size_bytes');
      assert.equal(e.type, 'histogram');
      const eb = (le: string) => sampleValue(e, 'payload_size_bytes_bucket', { le });
      // zero bucket (4) <= 1; (1,2] 1; (2,4] 2; (4,8] 3
      assert.deepEqual([eb('1.0'), eb('2.0'), eb('4.0'), eb('8.0'), eb('16.0'), eb('+Inf')], [4, 5, 7, 10, 10, 10]);

      const ud = fam(fams, 'queue_depth');
      assert.equal(ud.type, 'gauge');
      assert.equal(sampleValue(ud, 'queue_depth', { q: 'a' }), -3);

      const ti = fam(fams, om ? 'target' : 'target_info');
      assert.equal(ti.type, om ? 'info' : 'gauge');
      assert.equal(ti.samples.length, 1);
      assert.deepEqual(labelsOf(ti.samples[0] as Sample), {
        host_name: 'h1',
        instance: 'i-1',
        job: 'shop/checkout',
        k8s_pod_name: 'p-1',
      });
      // Resource attributes are not on the series unless converted.
      assert.equal(labelsOf(counter.samples[0] as Sample).host_name, undefined);
      // One TYPE line per family name.
      const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
      assert.equal(new Set(types.map((l) => l.split(' ')[2])).size, types.length);
    });
  }

  it('applies namespace, const_labels, resource_to_telemetry_conversion, no suffixes and timestamps', async () => {
    const { exp, send } = setup({
      namespace: 'app',
      const_labels: { region: 'eu' },
      resource_to_telemetry_conversion: { enabled: true },
      add_metric_suffixes: false,
      send_timestamps: true,
    });
    await send(allMetrics());
    const text = exp.render('text');
    const fams = parse(text, 'text');
    const c = fam(fams, 'app_http_server_requests');
    const s = c.samples.find((x) => labelsOf(x).http_method === 'GET') as Sample;
    assert.equal(labelsOf(s).region, 'eu');
    assert.equal(labelsOf(s).host_name, 'h1');
    assert.equal(labelsOf(s).service_name, 'checkout');
    assert.equal(s.timestampMs, Number((T0 + SEC) / 1_000_000n));
    fam(fams, 'app_cpu_utilization');
    // target_info is not namespaced but carries const labels.
    assert.equal(labelsOf(fam(fams, 'target_info').samples[0] as Sample).region, 'eu');
    const om = parse(exp.render('openmetrics'), 'openmetrics');
    assert.ok(fam(om, 'app_http_server_requests').samples.some((x) => x.name === 'app_http_server_requests_total'));
    const omS = fam(om, 'app_http_server_requests').samples[0] as Sample;
    assert.equal(omS.timestampMs, Number((T0 + SEC) / 1_000_000n));
  });

  it('merges attribute keys that collide after sanitizing, in key order', async () => {
    const { exp, send } = setup();
    await send(request([metric('m', '', gauge([num(1, { 'a.b': 'dot', a_b: 'under', 'a-b': 'dash' })]))]));
    const f = fam(parse(exp.render('text'), 'text'), 'm');
    assert.equal(labelsOf(f.samples[0] as Sample).a_b, 'dash;dot;under');
  });

  it('keeps le/quantile to the exposition and lets point labels stand when the resource has no job', async () => {
    const { exp, send } = setup();
    await send(
      request(
        [
          metric('h', '', histogram([hist([1], [1n, 1n], 2, { le: 'x', job: 'mine' })])),
          metric('s', '', summaryData([summary(1n, 1, [[0.5, 1]], { quantile: 'x' })])),
        ],
        { 'host.name': 'h1' },
        { name: '', version: '' },
      ),
    );
    const fams = parse(exp.render('text'), 'text');
    const b = fam(fams, 'h').samples.find((x) => x.name === 'h_bucket') as Sample;
    assert.deepEqual(b.labels, [
      ['job', 'mine'],
      ['le', '1.0'],
    ]);
    const q = fam(fams, 's').samples[0] as Sample;
    assert.deepEqual(q.labels, [['quantile', '0.5']]);
    assert.deepEqual((fam(fams, 'target_info').samples[0] as Sample).labels, [['host_name', 'h1']]);
  });

  it('escapes label values and HELP', async () => {
    const { exp, send } = setup();
    await send(request([metric('m', '', gauge([num(1, { v: 'a"b\\c\nd' })]), 'back\\slash\nnew')]));
    for (const format of ['text', 'openmetrics'] as const) {
      const f = fam(parse(exp.render(format), format), 'm');
      assert.equal(labelsOf(f.samples[0] as Sample).v, 'a"b\\c\nd');
      assert.equal(f.help, 'back\\slash\nnew');
    }
  });
});

describe('prometheus exporter: accumulation', () => {
  it('accumulates delta sums into a cumulative counter with its start time', async () => {
    const { exp, send, dropped } = setup({ enable_open_metrics: true });
    const delta = (v: bigint, s: bigint, t: bigint) =>
      request([metric('jobs', '', sum([num(v, { k: 'x' }, T0 + s * SEC, T0 + t * SEC)], true, true))]);
    await send(delta(5n, 0n, 1n));
    await send(delta(3n, 1n, 2n));
    await send(delta(2n, 2n, 3n));
    let f = fam(parse(exp.render('openmetrics'), 'openmetrics'), 'jobs');
    assert.equal(sampleValue(f, 'jobs_total'), 10);
    assert.equal(sampleValue(f, 'jobs_created'), Number(T0 / SEC));
    // An old point is dropped and counted.
    await send(delta(100n, 1n, 2n));
    assert.equal(dropped('out_of_order'), 1);
    // A gap restarts the sum at the new start.
    await send(delta(4n, 10n, 11n));
    f = fam(parse(exp.render('openmetrics'), 'openmetrics'), 'jobs');
    assert.equal(sampleValue(f, 'jobs_total'), 4);
    assert.equal(sampleValue(f, 'jobs_created'), Number(T0 / SEC) + 10);
  });

  it('accumulates delta histograms and delta exponential histograms', async () => {
    const { exp, send } = setup({ exponential_histogram_buckets: [2, 4] });
    const at = (s: bigint) => [T0 + s * SEC, T0 + (s + 1n) * SEC] as const;
    for (const s of [0n, 1n, 2n]) {
      await send(
        request([
          metric('lat', 's', histogram([hist([1, 2], [1n, 1n, 1n], 3, {}, ...at(s))], true)),
          metric('sz', 'By', expoHistogram([expo(0, 0, [1n, 1n], 0n, 5, {}, ...at(s))], true)),
        ]),
      );
    }
    const fams = parse(exp.render('text'), 'text');
    const h = fam(fams, 'lat_seconds');
    assert.equal(sampleValue(h, 'lat_seconds_bucket', { le: '1.0' }), 3);
    assert.equal(sampleValue(h, 'lat_seconds_bucket', { le: '2.0' }), 6);
    assert.equal(sampleValue(h, 'lat_seconds_count'), 9);
    assert.equal(sampleValue(h, 'lat_seconds_sum'), 9);
    const e = fam(fams, 'sz_bytes');
    assert.equal(sampleValue(e, 'sz_bytes_bucket', { le: '2.0' }), 3);
    assert.equal(sampleValue(e, 'sz_bytes_bucket', { le: '4.0' }), 6);
    assert.equal(sampleValue(e, 'sz_bytes_count'), 6);
    assert.equal(sampleValue(e, 'sz_bytes_sum'), 15);
  });

  it('keeps the latest cumulative value and the last gauge value', async () => {
    const { exp, send, dropped } = setup();
    await send(
      request([
        metric('c', '', sum([num(10n, {}, T0, T0 + 2n * SEC)])),
        metric('g', '', gauge([num(1, {}, 0n, T0 + 2n * SEC)])),
      ]),
    );
    await send(
      request([
        metric('c', '', sum([num(15n, {}, T0, T0 + 3n * SEC)])),
        metric('g', '', gauge([num(2.5, {}, 0n, T0 + 3n * SEC)])),
      ]),
    );
    await send(request([metric('c', '', sum([num(12n, {}, T0, T0 + 1n * SEC)]))]));
    const fams = parse(exp.render('text'), 'text');
    assert.equal(sampleValue(fam(fams, 'c_total'), 'c_total'), 15);
    assert.equal(sampleValue(fam(fams, 'g'), 'g'), 2.5);
    assert.equal(dropped('out_of_order'), 1);
  });

  it('forgets series after metric_expiration and on a no-recorded-value point', async () => {
    const clock = { now: 1_000_000 };
    const { exp, send, settings } = setup({ metric_expiration: '1m' }, clock);
    await send(request([metric('a', '', gauge([num(1, { k: '1' }), num(2, { k: '2' })]))]));
    clock.now += 30_000;
    await send(
      request([metric('a', '', gauge([num(3, { k: '2' }, 0n, T0 + 2n * SEC)]))], {
        'service.name': 'other',
        zone: 'z',
      }),
    );
    clock.now += 40_000;
    let f = parse(exp.render('text'), 'text');
    assert.deepEqual(
      fam(f, 'a').samples.map((s) => labelsOf(s).k),
      ['2'],
    );
    assert.equal(fam(f, 'target_info').samples.length, 1);
    assert.equal(
      settings.metrics
        .counter('switchyard_exporter_prometheus_expired_series_total', '')
        .get({ exporter: 'prometheus' }),
      2,
    );
    await send(
      request([metric('a', '', gauge([num(0, { k: '2' }, 0n, T0 + 3n * SEC, DATA_POINT_FLAG_NO_RECORDED_VALUE)]))], {
        'service.name': 'other',
        zone: 'z',
      }),
    );
    f = parse(exp.render('text'), 'text');
    assert.equal(
      f.find((x) => x.name === 'a'),
      undefined,
    );
    clock.now += 120_000;
    assert.equal(exp.render('text'), '');
    assert.equal(exp.render('openmetrics'), '# EOF\n');
    assert.equal(exp.accumulator.seriesCount, 0);
  });

  it('handles name collisions between types deterministically and counts them', async () => {
    const { exp, send, dropped } = setup();
    await send(request([metric('x.total', '', gauge([num(1)]))]));
    await send(request([metric('x', '', sum([num(5n)]))]));
    const fams = parse(exp.render('text'), 'text');
    const f = fam(fams, 'x_total');
    assert.equal(f.type, 'gauge');
    assert.equal(sampleValue(f, 'x_total'), 1);
    assert.equal(dropped('type_conflict'), 1);
    // Two streams landing on one Prometheus series: the first keeps it.
    await send(request([metric('y.z', '', gauge([num(1)])), metric('y_z', '', gauge([num(2)]))]));
    assert.equal(sampleValue(fam(parse(exp.render('text'), 'text'), 'y_z'), 'y_z'), 1);
    assert.equal(dropped('series_collision'), 1);
    // A gauge named like a histogram's _count series, and one named like target_info.
    await send(request([metric('lat', '', histogram([hist([1], [1n, 1n], 2)]))]));
    await send(request([metric('lat.count', '', gauge([num(1)])), metric('target.info', '', gauge([num(1)]))]));
    assert.equal(dropped('name_conflict'), 2);
    const omFams = parse(exp.render('openmetrics'), 'openmetrics');
    assert.equal(omFams.filter((x) => x.name === 'lat').length, 1);
    assert.equal(
      omFams.find((x) => x.name === 'lat_count'),
      undefined,
    );
  });

  it('counts points it cannot store', async () => {
    const { send, dropped, sentCount } = setup();
    await send(
      request([
        metric('...', '', gauge([num(1)])),
        metric('bad.hist', '', histogram([hist([1, 2], [1n], 1)])),
        metric(
          'bad.bounds',
          '',
          histogram([hist([2, 1], [1n, 1n, 1n], 1), hist([1, Number.POSITIVE_INFINITY], [1n, 1n, 1n], 1)]),
        ),
        metric('novalue', '', gauge([{ ...num(1), value: undefined }])),
        metric('unspec', '', { type: 'sum', dataPoints: [num(1)], aggregationTemporality: 0, isMonotonic: true }),
        metric('ok', '', gauge([num(1)])),
      ]),
    );
    assert.equal(dropped('invalid_name'), 1);
    assert.equal(dropped('invalid_histogram'), 3);
    assert.equal(dropped('no_value'), 1);
    assert.equal(dropped('unspecified_temporality'), 1);
    assert.equal(sentCount(), 1);
  });
});

describe('exponential histogram to classic buckets', () => {
  it('is exact when bounds are bucket boundaries', () => {
    // scale 1: boundaries are 2^(i/2); values in buckets -2..3 = (0.5,0.707], ..., (2, 2.83]
    const p = expo(1, -2, [1n, 2n, 3n, 4n, 5n, 6n], 7n, 0);
    assert.deepEqual(expoToClassic(p, [0.5, 1, 2, 4]), [7n, 3n, 7n, 11n, 0n]);
  });

  it('assigns a straddling bucket to the next bound (a lower bound for the count)', () => {
    // scale 0 bucket 1 = (2,4] straddles 3: goes to le=4 (not le=3).
    const p = expo(0, 1, [5n], 0n, 0);
    assert.deepEqual(expoToClassic(p, [3, 4]), [0n, 5n, 0n]);
  });

  it('maps negative buckets and the zero bucket', () => {
    // negative bucket 0 at scale 0 = [-2, -1): all values are <= -1.
    const p = expo(0, 0, [], 2n, 0, {}, T0, T0 + SEC, { offset: 0, counts: [3n] });
    assert.deepEqual(expoToClassic(p, [-1, 0, 1]), [3n, 2n, 0n, 0n]);
  });

  it('refuses an out-of-range scale', () => {
    assert.equal(expoToClassic(expo(30, 0, [1n], 0n, 0), [1]), undefined);
  });
});

describe('negotiation', () => {
  it('picks OpenMetrics for what Prometheus sends, only when enabled', () => {
    const om = { openMetrics: true, protobuf: false };
    const none = { openMetrics: false, protobuf: false };
    const all = { openMetrics: true, protobuf: true };
    assert.equal(negotiateFormat(PROMETHEUS_ACCEPT, om), 'openmetrics');
    assert.equal(negotiateFormat(PROMETHEUS_ACCEPT, none), 'text');
    assert.equal(negotiateFormat(PROMETHEUS_ACCEPT, all), 'openmetrics');
    assert.equal(negotiateFormat(undefined, om), 'text');
    assert.equal(negotiateFormat('*/*', all), 'text');
    assert.equal(negotiateFormat('text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5', om), 'text');
    assert.equal(negotiateFormat('application/openmetrics-text;version=1.0.0;q=0', om), 'text');
    assert.equal(negotiateFormat(`${PROTOBUF_ACCEPT},${PROMETHEUS_ACCEPT}`, all), 'protobuf');
    assert.equal(negotiateFormat(`${PROTOBUF_ACCEPT},${PROMETHEUS_ACCEPT}`, om), 'openmetrics');
    // Wildcards rank too: the most specific range decides each format's q.
    assert.equal(negotiateFormat('*/*;q=1, application/openmetrics-text;q=0.1', om), 'text');
    assert.equal(negotiateFormat('text/*;q=0.2, application/openmetrics-text;q=0.5', om), 'openmetrics');
    assert.equal(negotiateFormat('application/*', all), 'openmetrics');
    assert.equal(negotiateFormat('text/*, application/*;q=0.9', all), 'text');
    assert.equal(negotiateFormat(`*/*;q=0.3, ${PROTOBUF_ACCEPT};q=0.2`, all), 'text');
    assert.equal(negotiateFormat('application/vnd.google.protobuf;proto=other;encoding=delimited', all), 'text');
  });

  it('reads Accept-Encoding', () => {
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('deflate, gzip;q=0.5'), true);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('identity'), false);
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip(undefined), false);
  });
});

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

function get(port: number, path: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('prometheus exporter: HTTP', () => {
  async function started(
    over: Partial<PrometheusExporterConfig> = {},
  ): Promise<{ exp: PrometheusExporter; port: number }> {
    const { exp, send } = setup({ enable_open_metrics: true, ...over });
    await exp.start({} as never);
    await send(allMetrics());
    return { exp, port: exp.port };
  }

  it('negotiates the format and compresses with gzip', async () => {
    const { exp, port } = await started();
    try {
      const om = await get(port, '/metrics', { Accept: PROMETHEUS_ACCEPT, 'Accept-Encoding': 'gzip' });
      assert.equal(om.status, 200);
      assert.equal(om.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
      assert.equal(om.headers['content-encoding'], 'gzip');
      const text = gunzipSync(om.body).toString('utf8');
      assert.ok(text.endsWith('# EOF\n'));
      parse(text, 'openmetrics');

      const plain = await get(port, '/metrics');
      assert.equal(plain.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(Number(plain.headers['content-length']), plain.body.length);
      fam(parse(plain.body.toString('utf8'), 'text'), 'http_server_requests_total');

      const head = await get(port, '/metrics', {}, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
    } finally {
      await exp.shutdown();
    }
  });

  it('serves a page of many chunks whole, plain and gzipped', async () => {
    const { exp, send } = setup({ enable_open_metrics: true });
    await exp.start({} as never);
    try {
      const pts = Array.from({ length: 5000 }, (_, i) => num(i, { i: String(i) }));
      await send(request([metric('many', '', gauge(pts))]));
      const plain = await get(exp.port, '/metrics', { Accept: PROMETHEUS_ACCEPT });
      const zipped = await get(exp.port, '/metrics', { Accept: PROMETHEUS_ACCEPT, 'Accept-Encoding': 'gzip' });
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      const text = plain.body.toString('utf8');
      assert.equal(gunzipSync(zipped.body).toString('utf8'), text);
      const f = fam(parse(text, 'openmetrics'), 'many');
      assert.equal(f.samples.length, 5000);
      assert.equal(sampleValue(f, 'many', { i: '4999' }), 4999);
    } finally {
      await exp.shutdown();
    }
  });

  it('answers 404 and 405', async () => {
    const { exp, port } = await started();
    try {
      assert.equal((await get(port, '/')).status, 404);
      assert.equal((await get(port, '/metricsx')).status, 404);
      const post = await get(port, '/metrics', {}, 'POST');
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, 'GET, HEAD');
    } finally {
      await exp.shutdown();
      await exp.shutdown();
    }
  });

  it('serves text only when OpenMetrics is disabled', async () => {
    const { exp, port } = await started({ enable_open_metrics: false });
    try {
      const r = await get(port, '/metrics', { Accept: PROMETHEUS_ACCEPT });
      assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    } finally {
      await exp.shutdown();
    }
  });
});

describe('prometheus exporter: config', () => {
  it('refuses const label names reserved to Prometheus (starting with __)', () => {
    const problems = validate({ ...createDefaultConfig(), const_labels: { __tenant__: 'x', ok: 'y' } });
    assert.deepEqual(
      problems.map((p) => p.path.join('.')),
      ['const_labels.__tenant__'],
    );
  });

  it('checks bounds, const label names and namespace', () => {
    assert.deepEqual(validate(createDefaultConfig()), []);
    const problems = validate({
      ...createDefaultConfig(),
      exponential_histogram_buckets: [1, 1, 2],
      const_labels: { 'bad.name': 'x' },
      namespace: '9x',
    });
    assert.deepEqual(
      problems.map((p) => p.path.join('.')),
      ['exponential_histogram_buckets.1', 'const_labels.bad.name', 'namespace'],
    );
  });
});

describe('prometheus exporter: review fixes', () => {
  it('never writes reserved `__` label names (a `__name__` label makes the whole page unparseable)', async () => {
    const { exp, send } = setup({ enable_open_metrics: true });
    await send(
      request([metric('m', '', gauge([num(1, { __name__: 'evil', __meta__: 'x', ok: 'y' })]))], {
        'service.name': 'svc',
        __tenant__: 't',
        'host.name': 'h',
      }),
    );
    for (const format of ['text', 'openmetrics'] as const) {
      const fams = parse(exp.render(format), format);
      const s = fam(fams, 'm').samples[0] as Sample;
      assert.deepEqual(
        s.labels.map(([k]) => k),
        ['job', 'ok', 'otel_scope_name', 'otel_scope_version'],
      );
      const t = fam(fams, format === 'openmetrics' ? 'target' : 'target_info').samples[0] as Sample;
      assert.deepEqual(
        t.labels.map(([k]) => k),
        ['host_name', 'job'],
      );
    }
  });

  it('OpenMetrics: a histogram with negative buckets or without a sum has neither _sum nor _count', async () => {
    const { exp, send } = setup({ enable_open_metrics: true });
    await send(
      request([
        metric('temp', '', histogram([hist([-10, 0], [1n, 1n, 1n], -5)])),
        metric('nosum', '', histogram([hist([1], [1n, 2n], undefined)])),
        metric('neg.sum', '', histogram([hist([0, 1], [1n, 0n, 0n], -2)])),
        metric('fine', '', histogram([hist([1], [1n, 2n], 4)])),
      ]),
    );
    const om = parse(exp.render('openmetrics'), 'openmetrics');
    for (const name of ['temp', 'nosum', 'neg_sum']) {
      const names = new Set(fam(om, name).samples.map((s) => s.name));
      assert.ok(!names.has(`${name}_sum`), `${name}_sum written`);
      assert.ok(!names.has(`${name}_count`), `${name}_count written without _sum`);
      assert.ok(names.has(`${name}_bucket`));
    }
    assert.equal(sampleValue(fam(om, 'fine'), 'fine_sum'), 4);
    assert.equal(sampleValue(fam(om, 'fine'), 'fine_count'), 3);
    // Text 0.0.4 has no such rule: _count always, _sum when the point has one.
    const text = parse(exp.render('text'), 'text');
    assert.equal(sampleValue(fam(text, 'temp'), 'temp_count'), 3);
    assert.equal(sampleValue(fam(text, 'nosum'), 'nosum_count'), 3);
  });

  it('adds _ratio to gauges with unit 1 but not to non-monotonic sums (as otlptranslator)', async () => {
    const { exp, send } = setup();
    await send(
      request([metric('queue.fill', '1', sum([num(0.5)], false)), metric('cpu.utilization', '1', gauge([num(0.25)]))]),
    );
    const fams = parse(exp.render('text'), 'text');
    assert.equal(fam(fams, 'queue_fill').type, 'gauge');
    fam(fams, 'cpu_utilization_ratio');
  });

  it('keeps at most one target_info per job and instance (the latest attributes)', async () => {
    const { exp, send, clock } = setup();
    const res = (host: string) => ({ 'service.name': 'svc', 'service.instance.id': 'i-1', 'host.name': host });
    await send(request([metric('m', '', gauge([num(1)]))], res('h1')));
    clock.now += 1000;
    await send(request([metric('m', '', gauge([num(2)]))], res('h2')));
    const t = fam(parse(exp.render('text'), 'text'), 'target_info');
    assert.equal(t.samples.length, 1);
    assert.equal(labelsOf(t.samples[0] as Sample).host_name, 'h2');
  });

  it('a restart of a delta histogram (new bounds) takes the new start time as _created', async () => {
    const { exp, send } = setup({ enable_open_metrics: true });
    const point = (bounds: number[], s: bigint, t: bigint) =>
      request([
        metric(
          'lat',
          '',
          histogram([hist(bounds, bounds.map(() => 1n).concat(1n), 1, {}, T0 + s * SEC, T0 + t * SEC)], true),
        ),
      ]);
    await send(point([1], 0n, 1n));
    await send(point([1, 2], 1n, 2n));
    const f = fam(parse(exp.render('openmetrics'), 'openmetrics'), 'lat');
    assert.equal(sampleValue(f, 'lat_count'), 3);
    assert.equal(sampleValue(f, 'lat_created'), Number(T0 + SEC) / 1e9);
  });
});

describe('prometheus exporter: slow readers', () => {
  it('a scraper that stops reading is cut off after the idle timeout instead of holding a scrape slot', async () => {
    const settings = testSettings('prometheus');
    const cfg: PrometheusExporterConfig = { ...createDefaultConfig(), endpoint: '127.0.0.1:0' };
    const exp = createPrometheusExporter(settings, cfg, { idleTimeoutMs: 300 });
    await exp.start({} as never);
    const sockets: import('node:net').Socket[] = [];
    try {
      // A page too big for the socket buffers once gzipped (random label values do not compress).
      const { randomBytes } = await import('node:crypto');
      const pts = Array.from({ length: 150_000 }, (_, i) => num(i, { v: randomBytes(48).toString('base64') }));
      await exp.consume(Batch.fromRequest('metrics', request([metric('m', '', gauge(pts))])));
      const net = await import('node:net');
      for (let i = 0; i < 5; i++) {
        const s = net.connect(exp.port, '127.0.0.1');
        s.on('error', () => {});
        s.write('GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n');
        s.pause();
        sockets.push(s);
      }
      // The stalled scrapes hold the 4 slots until the idle timeout frees them; before, for ever.
      let status = 0;
      const until = Date.now() + 15_000;
      while (status !== 200 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await get(exp.port, '/metrics', { 'Accept-Encoding': 'gzip' })).status;
      }
      assert.equal(status, 200);
    } finally {
      for (const s of sockets) s.destroy();
      await exp.shutdown();
    }
  });
});

describe('prometheus exporter: big pages', () => {
  it('a scrape of a big page yields to the event loop while it renders', async () => {
    const { exp, send } = setup();
    await exp.start({} as never);
    try {
      const pts = Array.from({ length: 100_000 }, (_, i) => num(i, { i: String(i), path: `/api/v1/items/${i}` }));
      await send(request([metric('big', '', gauge(pts))]));
      // Timer ticks while the page renders (it is rendered before its headers go out). Rendered
      // in one go, the loop runs no timer until it is done (a tick or two around the request).
      let ticks = 0;
      const tick = setInterval(() => ticks++, 1);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: exp.port, path: '/metrics' }, (r) => {
          clearInterval(tick);
          r.resume();
          r.on('end', () => resolve(r.statusCode ?? 0));
        });
        req.on('error', reject);
      }).finally(() => clearInterval(tick));
      assert.equal(status, 200);
      assert.ok(ticks >= 10, `only ${ticks} timer ticks ran while 100,000 series rendered`);
      const res = await get(exp.port, '/metrics');
      assert.equal(fam(parse(res.body.toString('utf8'), 'text'), 'big').samples.length, 100_000);
    } finally {
      await exp.shutdown();
    }
  });
});

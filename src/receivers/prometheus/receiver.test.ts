import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { ComponentStatus, Consumer, CreateSettings, Host, Kind } from '../../component/component.js';
import { load, loadErrors } from '../../config/testing.js';
import { distribution } from '../../distribution.js';
import type { Batch } from '../../pdata/batch.js';
import type { HistogramDataPoint, KeyValue, Metric, NumberDataPoint, SummaryDataPoint } from '../../pdata/model.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';
import {
  createDefaultPrometheusConfig,
  type PrometheusReceiverConfig,
  resolvePrometheusConfig,
  type ScrapeConfig,
  sizeBytes,
  validatePrometheusConfig,
} from './config.js';
import { ACCEPT_HEADER, fetchTarget } from './http.js';
import { type Clock, PrometheusReceiver } from './receiver.js';
import { initialDelayMs, populateTarget } from './targets.js';

// ---------------------------------------------------------------------------------------------- harness

class Recorder implements Consumer<'metrics'> {
  readonly mutatesData = false;
  readonly batches: Batch<'metrics'>[] = [];
  async consume(batch: Batch<'metrics'>): Promise<void> {
    this.batches.push(batch);
  }
  metricsOf(i: number): Metric[] {
    const b = this.batches[i];
    if (b === undefined) throw new Error(`no batch ${i}`);
    return b.request().resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  }
  resourceOf(i: number): Record<string, unknown> {
    const b = this.batches[i];
    if (b === undefined) throw new Error(`no batch ${i}`);
    return attrs(b.request().resourceMetrics[0]?.resource?.attributes ?? []);
  }
  metric(i: number, name: string): Metric {
    const m = this.metricsOf(i).find((x) => x.name === name);
    if (m === undefined) throw new Error(`no metric ${name} in batch ${i}: ${this.metricsOf(i).map((x) => x.name)}`);
    return m;
  }
  numbers(i: number, name: string): NumberDataPoint[] {
    const d = this.metric(i, name).data;
    return d?.type === 'gauge' || d?.type === 'sum' ? d.dataPoints : [];
  }
  value(i: number, name: string): unknown {
    return this.numbers(i, name)[0]?.value;
  }
}

function attrs(kvs: readonly KeyValue[]): Record<string, unknown> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, kv.value]));
}

class TestHost implements Host {
  reportStatus(_id: unknown, _k: Kind, _s: ComponentStatus): void {}
  healthy(): boolean {
    return true;
  }
  statuses(): [] {
    return [];
  }
  memoryGuard(): undefined {
    return undefined;
  }
}

/** A clock whose time moves only when the test says so. */
class FakeClock implements Clock {
  t = 1_700_000_000_000;
  private seq = 0;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves to the next timer and fires it; returns the delay moved. */
  fireNext(): number {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const e of this.timers) if (best === undefined || e[1].at < best[1].at) best = e;
    if (best === undefined) throw new Error('no timer');
    const moved = best[1].at - this.t;
    this.t = Math.max(this.t, best[1].at);
    this.timers.delete(best[0]);
    best[1].fn();
    return moved;
  }
}

interface Served {
  readonly port: number;
  readonly requests: http.IncomingHttpHeaders[];
  body: string;
  contentType: string;
  status: number;
  gzip: boolean;
  delayMs: number;
  close(): Promise<void>;
}

async function serve(initial: string, tls?: { key: Buffer; cert: Buffer }): Promise<Served> {
  const state = {
    requests: [] as http.IncomingHttpHeaders[],
    body: initial,
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    status: 200,
    gzip: false,
    delayMs: 0,
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    state.requests.push(req.headers);
    const reply = (): void => {
      if (state.status !== 200) {
        res.writeHead(state.status).end('nope');
        return;
      }
      const headers: Record<string, string> = { 'content-type': state.contentType };
      if (state.gzip) headers['content-encoding'] = 'gzip';
      res.writeHead(200, headers).end(state.gzip ? gzipSync(state.body) : state.body);
    };
    if (state.delayMs > 0) setTimeout(reply, state.delayMs);
    else reply();
  };
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const served = Object.assign(state, {
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
  return served;
}

interface Rx {
  readonly rx: PrometheusReceiver;
  readonly sink: Recorder;
  readonly clock: FakeClock;
  readonly registry: MetricsRegistry;
  /** Fires the next scrape and waits for its batch. */
  scrape(): Promise<number>;
  stop(): Promise<void>;
}

async function receiver(jobs: ScrapeConfig[], global?: PrometheusReceiverConfig['config']['global']): Promise<Rx> {
  const config: PrometheusReceiverConfig = {
    config: { scrape_configs: jobs, ...(global === undefined ? {} : { global }) },
  };
  assert.deepEqual(validatePrometheusConfig(config), []);
  const registry = new MetricsRegistry();
  const settings: CreateSettings = {
    id: { type: 'prometheus', name: '' },
    kind: 'receiver',
    logger: pino({ level: 'silent' }),
    metrics: registry,
  };
  const sink = new Recorder();
  const clock = new FakeClock();
  const rx = new PrometheusReceiver(settings, resolvePrometheusConfig(config), sink, { clock });
  await rx.start(new TestHost());
  return {
    rx,
    sink,
    clock,
    registry,
    async scrape() {
      const n = sink.batches.length;
      clock.fireNext();
      const deadline = Date.now() + 5000;
      while (sink.batches.length === n) {
        if (Date.now() > deadline) throw new Error('no batch after a scrape');
        await new Promise((r) => setTimeout(r, 5));
      }
      return sink.batches.length - 1;
    },
    stop: () => rx.shutdown(),
  };
}

const job = (port: number, extra: Partial<ScrapeConfig> = {}): ScrapeConfig => ({
  job_name: 'j',
  scrape_interval: '10s',
  scrape_timeout: '2s',
  static_configs: [{ targets: [`127.0.0.1:${port}`] }],
  ...extra,
});

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(body: string, extra: Partial<ScrapeConfig> = {}): Promise<{ srv: Served; r: Rx }> {
  const srv = await serve(body);
  const r = await receiver([job(srv.port, extra)]);
  cleanups.push(
    () => r.stop(),
    () => srv.close(),
  );
  return { srv, r };
}

const PAGE = `# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200"} 10
http_requests_total{code="500"} 2
# TYPE temp gauge
temp 21.5
# TYPE latency histogram
latency_bucket{le="0.1"} 3
latency_bucket{le="1"} 5
latency_bucket{le="+Inf"} 6
latency_sum 4.5
latency_count 6
# TYPE rpc summary
rpc{quantile="0.5"} 0.2
rpc{quantile="0.9"} 0.8
rpc_sum 12
rpc_count 30
loose_metric 7
`;

// ---------------------------------------------------------------------------------------------- tests

/** A collector config file whose prometheus receiver's `config:` block is `block` (indented 6). */
function collectorConfig(block: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'prom-rx-config-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    `receivers:
  prometheus:
    config:
${block}exporters:
  debug: {}
service:
  pipelines:
    metrics: {receivers: [prometheus], exporters: [debug]}
`,
  );
  return file;
}

describe('prometheus receiver: config', () => {
  test('duplicate job names, timeout > interval, SD blocks and bad relabel configs are reported with paths', () => {
    const problems = validatePrometheusConfig({
      config: {
        global: { scrape_interval: '5s', scrape_timeout: '10s' },
        scrape_configs: [
          { job_name: 'a', static_configs: [{ targets: ['x:1'] }] },
          { job_name: 'a', scrape_interval: '1s', scrape_timeout: '2s' },
          { job_name: 'b', file_sd_configs: [{ files: ['x.txt'] }] },
          { job_name: 'c', relabel_configs: [{ action: 'nonsense' }] },
        ],
      },
    });
    const text = problems.map((p) => `${p.path.join('.')}: ${p.message}`);
    assert.ok(text.some((t) => t.startsWith('config.global.scrape_timeout: global scrape timeout 10s is greater')));
    assert.ok(text.some((t) => /^config\.scrape_configs\.1\.job_name: found multiple scrape configs/.test(t)));
    assert.ok(text.some((t) => t.startsWith('config.scrape_configs.1.scrape_timeout: scrape timeout 2s is greater')));
    assert.ok(
      text.some((t) =>
        t.startsWith('config.scrape_configs.2.file_sd_configs.0.files.0: path name "x.txt" is not valid'),
      ),
      text.join('\n'),
    );
    assert.ok(text.some((t) => t.startsWith('config.scrape_configs.3.relabel_configs.0:')));
  });

  test('unknown keys fail loading with file:line:col', async () => {
    const file = collectorConfig(`      scrape_configs:
        - job_name: a
          scrape_intervall: 5s
          static_configs: [{targets: ['127.0.0.1:9']}]
`);
    const errors = await loadErrors({ sources: [file], distribution });
    assert.ok(
      errors.some((e) => e.includes('c.yaml:6:') && e.includes('scrape_intervall')),
      errors.join('\n'),
    );
  });

  test('through the loader: jobs without an interval take global.scrape_interval; Prometheus durations (d, w) work', async () => {
    const file = collectorConfig(`      global: {scrape_interval: 5s, scrape_timeout: 4s}
      scrape_configs:
        - job_name: a
          static_configs: [{targets: ['127.0.0.1:9']}]
        - job_name: b
          scrape_interval: 1d
          scrape_timeout: 1m30s
          static_configs: [{targets: ['127.0.0.1:9']}]
        - job_name: c
          scrape_interval: 2s
          static_configs: [{targets: ['127.0.0.1:9']}]
`);
    const { config } = await load({ sources: [file], distribution });
    const r = resolvePrometheusConfig(config.receivers.get('prometheus')?.config as PrometheusReceiverConfig);
    assert.deepEqual(
      r.scrapeConfigs.map((j) => [j.jobName, j.intervalMs, j.timeoutMs]),
      [
        ['a', 5_000, 4_000],
        ['b', 86_400_000, 90_000],
        ['c', 2_000, 2_000],
      ],
    );
  });

  test('secrets are x-sensitive in the schema', () => {
    const s = JSON.stringify(distribution.receivers.find((f) => f.type === 'prometheus')?.configSchema);
    assert.match(s, /"password":\{[^}]*"x-sensitive":true/);
    assert.match(s, /"credentials":\{[^}]*"x-sensitive":true/);
  });

  test('sizes and defaults', () => {
    assert.equal(sizeBytes('10MB'), 10 * 1024 * 1024);
    assert.equal(sizeBytes('512KiB'), 512 * 1024);
    assert.equal(sizeBytes(1000), 1000);
    const r = resolvePrometheusConfig({
      config: { global: { scrape_interval: '15s' }, scrape_configs: [{ job_name: 'x' }] },
    });
    assert.equal(r.scrapeConfigs[0]?.intervalMs, 15_000);
    assert.equal(r.scrapeConfigs[0]?.timeoutMs, 10_000);
    assert.deepEqual(createDefaultPrometheusConfig(), { config: { scrape_configs: [] } });
  });
});

describe('prometheus receiver: targets', () => {
  const sc = resolvePrometheusConfig({
    config: {
      scrape_configs: [
        {
          job_name: 'node',
          scrape_interval: '30s',
          scrape_timeout: '5s',
          params: { module: ['m1', 'm2'] },
          relabel_configs: [
            { source_labels: ['__address__'], regex: '(.*):9100', target_label: 'host', replacement: '$1' },
            { source_labels: ['__scrape_interval__'], target_label: 'si' },
            { source_labels: ['__param_module'], target_label: 'mod' },
            { source_labels: ['env'], regex: 'drop', action: 'drop' },
          ],
        },
      ],
    },
  }).scrapeConfigs[0];
  assert.ok(sc !== undefined);

  test('labels as Prometheus populates them, __ labels dropped, instance defaults to the address', () => {
    const r = populateTarget(sc, { env: 'prod' }, { __address__: 'h1:9100' });
    assert.ok(r.ok);
    assert.deepEqual(r.target.labels, [
      ['env', 'prod'],
      ['host', 'h1'],
      ['instance', 'h1:9100'],
      ['job', 'node'],
      ['mod', 'm1'],
      ['si', '30s'],
    ]);
    assert.equal(r.target.url.href, 'http://h1:9100/metrics?module=m1&module=m2');
    assert.equal(r.target.intervalMs, 30_000);
  });

  test('relabel drop and a missing port', () => {
    const d = populateTarget(sc, { env: 'drop' }, { __address__: 'h1:9100' });
    assert.equal(d.ok, false);
    const p = populateTarget(sc, {}, { __address__: 'h2' });
    assert.ok(p.ok);
    assert.equal(p.target.instance, 'h2:80');
  });

  test('__scrape_interval__ set by relabeling changes the interval; an invalid one drops the target', () => {
    const sc2 = resolvePrometheusConfig({
      config: {
        scrape_configs: [
          {
            job_name: 'x',
            scrape_interval: '30s',
            scrape_timeout: '5s',
            relabel_configs: [{ target_label: '__scrape_interval__', replacement: '1m' }],
          },
        ],
      },
    }).scrapeConfigs[0];
    assert.ok(sc2 !== undefined);
    const r = populateTarget(sc2, {}, { __address__: 'a:1' });
    assert.ok(r.ok);
    assert.equal(r.target.intervalMs, 60_000);
    const sc3 = { ...sc2, relabel: [{ ...sc2.relabel[0]!, replacement: '1s' }] };
    const bad = populateTarget(sc3, {}, { __address__: 'a:1' });
    assert.equal(bad.ok, false);
  });

  test('start offsets are deterministic per target and spread over the interval', () => {
    const now = 1_700_000_123_456;
    assert.equal(initialDelayMs(12_345, 10_000, now), initialDelayMs(12_345, 10_000, now));
    for (const h of [0, 1, 4_999, 123_456_789]) {
      const d = initialDelayMs(h, 10_000, now);
      assert.ok(d >= 0 && d < 10_000);
      assert.equal((now + d) % 10_000, h % 10_000, 'every scrape of a target lands on the same phase');
    }
  });
});

describe('prometheus receiver: scraping', () => {
  test('request headers, resource, families and synthetic series', async () => {
    const { srv, r } = await setup(PAGE);
    const i = await r.scrape();
    const h = srv.requests[0];
    assert.ok(h !== undefined);
    assert.equal(h.accept, ACCEPT_HEADER);
    assert.equal(h['accept-encoding'], 'gzip');
    assert.equal(h['x-prometheus-scrape-timeout-seconds'], '2');
    assert.match(h['user-agent'] ?? '', /^Switchyard\//);
    assert.deepEqual(r.sink.resourceOf(i), {
      'service.name': 'j',
      'service.instance.id': `127.0.0.1:${srv.port}`,
      'server.address': '127.0.0.1',
      'server.port': String(srv.port),
      'url.scheme': 'http',
    });
    const c = r.sink.metric(i, 'http_requests_total');
    assert.equal(c.description, 'Requests.');
    assert.ok(c.data?.type === 'sum' && c.data.isMonotonic && c.data.aggregationTemporality === 2);
    assert.deepEqual(
      r.sink.numbers(i, 'http_requests_total').map((p) => [attrs(p.attributes), p.value]),
      [
        [{ code: '200' }, 10],
        [{ code: '500' }, 2],
      ],
    );
    assert.equal(r.sink.metric(i, 'temp').data?.type, 'gauge');
    assert.equal(r.sink.metric(i, 'loose_metric').data?.type, 'gauge');
    const hd = r.sink.metric(i, 'latency').data;
    assert.ok(hd?.type === 'histogram');
    const hp = hd.dataPoints[0] as HistogramDataPoint;
    assert.deepEqual(hp.explicitBounds, [0.1, 1]);
    assert.deepEqual(hp.bucketCounts, [3n, 2n, 1n]);
    assert.equal(hp.count, 6n);
    assert.equal(hp.sum, 4.5);
    const sd = r.sink.metric(i, 'rpc').data;
    assert.ok(sd?.type === 'summary');
    const sp = sd.dataPoints[0] as SummaryDataPoint;
    assert.equal(sp.count, 30n);
    assert.deepEqual(sp.quantileValues, [
      { quantile: 0.5, value: 0.2 },
      { quantile: 0.9, value: 0.8 },
    ]);
    assert.equal(r.sink.value(i, 'up'), 1);
    assert.equal(r.sink.value(i, 'scrape_samples_scraped'), 13);
    assert.equal(r.sink.value(i, 'scrape_samples_post_metric_relabeling'), 13);
    assert.equal(r.sink.value(i, 'scrape_series_added'), 6);
    assert.ok(Number(r.sink.value(i, 'scrape_duration_seconds')) >= 0);
    const i2 = await r.scrape();
    assert.equal(r.sink.value(i2, 'scrape_series_added'), 0);
    assert.equal(
      r.registry
        .counter('switchyard_prometheus_scrapes_total', '')
        .get({ receiver: 'prometheus', job: 'j', outcome: 'success' }),
      2,
    );
  });

  test('gzip bodies, OpenMetrics with units and _created', async () => {
    const { srv, r } = await setup('');
    srv.gzip = true;
    srv.contentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
    srv.body = `# TYPE req_seconds counter
# UNIT req_seconds seconds
req_seconds_total 5
req_seconds_created 1600000000.5
# TYPE temp_celsius gauge
# UNIT temp_celsius celsius
temp_celsius 3
# EOF
`;
    const i = await r.scrape();
    assert.equal(r.sink.value(i, 'up'), 1);
    const p = r.sink.numbers(i, 'req_seconds_total')[0];
    assert.equal(p?.startTimeUnixNano, 1_600_000_000_500_000_000n);
    assert.equal(p?.value, 5);
    assert.equal(r.sink.metric(i, 'req_seconds_total').unit, 's');
    assert.equal(r.sink.metric(i, 'temp_celsius').unit, 'Cel');
    assert.ok(!r.sink.metricsOf(i).some((m) => m.name.endsWith('_created')));
    assert.equal(r.sink.value(i, 'scrape_samples_scraped'), 3);
  });

  test('target_info labels become resource attributes and the metric is not forwarded', async () => {
    const { r } = await setup('# TYPE target_info gauge\ntarget_info{env="prod",version="1.2"} 1\nm 1\n');
    const i = await r.scrape();
    const res = r.sink.resourceOf(i);
    assert.equal(res.env, 'prod');
    assert.equal(res.version, '1.2');
    assert.equal(res['service.name'], 'j');
    assert.ok(!r.sink.metricsOf(i).some((m) => m.name === 'target_info'));
  });

  test('counter start time from first sight, kept while it grows, reset on a decrease', async () => {
    const { srv, r } = await setup('# TYPE c counter\nc 10\n');
    const i1 = await r.scrape();
    const p1 = r.sink.numbers(i1, 'c')[0];
    assert.ok(p1 !== undefined);
    assert.equal(p1.startTimeUnixNano, p1.timeUnixNano);
    srv.body = '# TYPE c counter\nc 20\n';
    const i2 = await r.scrape();
    const p2 = r.sink.numbers(i2, 'c')[0];
    assert.equal(p2?.startTimeUnixNano, p1.startTimeUnixNano);
    assert.ok((p2?.timeUnixNano ?? 0n) > p1.timeUnixNano);
    srv.body = '# TYPE c counter\nc 3\n';
    const i3 = await r.scrape();
    const p3 = r.sink.numbers(i3, 'c')[0];
    assert.equal(p3?.startTimeUnixNano, p3?.timeUnixNano, 'a decrease is a reset: new start');
    assert.equal(p3?.value, 3);
  });

  test('honor_timestamps uses exposed timestamps; false uses the scrape time', async () => {
    const body = 'g 1 1600000000123\n';
    const a = await setup(body);
    const ia = await a.r.scrape();
    assert.equal(a.r.sink.numbers(ia, 'g')[0]?.timeUnixNano, 1_600_000_000_123_000_000n);
    const b = await setup(body, { honor_timestamps: false });
    const ib = await b.r.scrape();
    assert.equal(b.r.sink.numbers(ib, 'g')[0]?.timeUnixNano, BigInt(b.r.clock.t) * 1_000_000n);
  });

  test('honor_labels: false renames clashing labels to exported_*, true keeps the scraped ones', async () => {
    const body = 'm{job="other",instance="i0",exported_job="x",k="v"} 1\n';
    const a = await setup(body);
    const ia = await a.r.scrape();
    assert.deepEqual(attrs(a.r.sink.numbers(ia, 'm')[0]?.attributes ?? []), {
      exported_exported_job: 'other',
      exported_instance: 'i0',
      exported_job: 'x',
      k: 'v',
    });
    const b = await setup(body, { honor_labels: true });
    const ib = await b.r.scrape();
    assert.deepEqual(attrs(b.r.sink.numbers(ib, 'm')[0]?.attributes ?? []), {
      exported_job: 'x',
      instance: 'i0',
      job: 'other',
      k: 'v',
    });
  });

  test('relabel_configs add target labels; metric_relabel_configs drop (counted) and rename', async () => {
    const { r } = await setup(PAGE, {
      static_configs: [],
      relabel_configs: [{ target_label: 'team', replacement: 'a' }],
      metric_relabel_configs: [
        { source_labels: ['__name__'], regex: 'rpc.*|latency.*', action: 'drop' },
        { source_labels: ['__name__'], regex: 'temp', target_label: '__name__', replacement: 'temperature' },
      ],
    });
    assert.equal(r.rx.targets().get('j')?.length, 0);
    await r.stop();
    const srv = await serve(PAGE);
    const r2 = await receiver([
      job(srv.port, {
        relabel_configs: [{ target_label: 'team', replacement: 'a' }],
        metric_relabel_configs: [
          { source_labels: ['__name__'], regex: 'rpc.*|latency.*', action: 'drop' },
          { source_labels: ['__name__'], regex: 'temp', target_label: '__name__', replacement: 'temperature' },
        ],
      }),
    ]);
    cleanups.push(
      () => r2.stop(),
      () => srv.close(),
    );
    const i = await r2.scrape();
    const names = r2.sink.metricsOf(i).map((m) => m.name);
    assert.ok(!names.includes('rpc') && !names.includes('latency') && !names.includes('temp'));
    assert.deepEqual(attrs(r2.sink.numbers(i, 'temperature')[0]?.attributes ?? []), { team: 'a' });
    assert.deepEqual(attrs(r2.sink.numbers(i, 'up')[0]?.attributes ?? []), { team: 'a' });
    assert.equal(r2.sink.value(i, 'scrape_samples_scraped'), 13);
    assert.equal(r2.sink.value(i, 'scrape_samples_post_metric_relabeling'), 4);
    assert.equal(
      r2.registry
        .counter('switchyard_prometheus_dropped_samples_total', '')
        .get({ receiver: 'prometheus', job: 'j', reason: 'metric_relabel' }),
      9,
    );
  });

  test('staleness: a vanished series gets one NoRecordedValue point, then is forgotten', async () => {
    const { srv, r } = await setup('a 1\nb 2\n');
    await r.scrape();
    srv.body = 'a 1\n';
    const i = await r.scrape();
    const stale = r.sink.numbers(i, 'b');
    assert.equal(stale.length, 1);
    assert.equal(stale[0]?.flags, 1);
    assert.equal(stale[0]?.value, undefined);
    assert.equal(r.sink.numbers(i, 'a')[0]?.flags, 0);
    const i3 = await r.scrape();
    assert.ok(!r.sink.metricsOf(i3).some((m) => m.name === 'b'));
  });

  test('a failed scrape marks every series stale and reports up 0; recovery brings them back', async () => {
    const { srv, r } = await setup(PAGE);
    await r.scrape();
    srv.status = 503;
    const i = await r.scrape();
    assert.equal(r.sink.value(i, 'up'), 0);
    const lat = r.sink.metric(i, 'latency').data;
    assert.ok(lat?.type === 'histogram' && lat.dataPoints[0]?.flags === 1);
    assert.ok(r.sink.numbers(i, 'http_requests_total').every((p) => p.flags === 1));
    assert.equal(r.sink.numbers(i, 'http_requests_total').length, 2);
    assert.equal(
      r.registry
        .counter('switchyard_prometheus_scrape_failures_total', '')
        .get({ receiver: 'prometheus', job: 'j', reason: 'http_status' }),
      1,
    );
    srv.status = 200;
    const i2 = await r.scrape();
    assert.equal(r.sink.value(i2, 'up'), 1);
    assert.equal(r.sink.value(i2, 'scrape_series_added'), 6);
  });

  test('sample_limit and label_limit fail the scrape as Prometheus does', async () => {
    const a = await setup(PAGE, { sample_limit: 5 });
    const ia = await a.r.scrape();
    assert.equal(a.r.sink.value(ia, 'up'), 0);
    assert.ok(!a.r.sink.metricsOf(ia).some((m) => m.name === 'temp'));
    const b = await setup('m{a="1",b="2",c="3"} 1\n', { label_limit: 3 });
    const ib = await b.r.scrape();
    assert.equal(b.r.sink.value(ib, 'up'), 0, 'four labels with __name__ (job and instance too) exceed 3');
    const c = await setup('m{a="1"} 1\n', { label_value_length_limit: 4 });
    const ic = await c.r.scrape();
    assert.equal(c.r.sink.value(ic, 'up'), 0, '127.0.0.1:port is longer than 4');
    assert.equal(
      c.r.registry
        .counter('switchyard_prometheus_scrape_failures_total', '')
        .get({ receiver: 'prometheus', job: 'j', reason: 'label_value_length_limit' }),
      1,
    );
  });

  test('body_size_limit and timeout fail the scrape', async () => {
    const a = await setup(`big ${'1'.repeat(10)}\n`.repeat(200), { body_size_limit: '1KB' });
    const ia = await a.r.scrape();
    assert.equal(a.r.sink.value(ia, 'up'), 0);
    const b = await setup('x 1\n', { scrape_timeout: '100ms' });
    b.srv.delayMs = 1000;
    const ib = await b.r.scrape();
    assert.equal(b.r.sink.value(ib, 'up'), 0);
    assert.equal(
      b.r.registry
        .counter('switchyard_prometheus_scrape_failures_total', '')
        .get({ receiver: 'prometheus', job: 'j', reason: 'timeout' }),
      1,
    );
  });

  test('parse errors fail the scrape (an OpenMetrics page without # EOF)', async () => {
    const { srv, r } = await setup('');
    srv.contentType = 'application/openmetrics-text; version=1.0.0';
    srv.body = 'a 1\n';
    const i = await r.scrape();
    assert.equal(r.sink.value(i, 'up'), 0);
  });

  test('basic auth (password_file) and authorization headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prom-rx-auth-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const a = await setup('x 1\n', { basic_auth: { username: 'u', password_file: join(dir, 'pw') } });
    await a.r.scrape();
    assert.equal(a.srv.requests[0]?.authorization, `Basic ${Buffer.from('u:s3cret').toString('base64')}`);
    const b = await setup('x 1\n', { authorization: { credentials: 'tok' } });
    await b.r.scrape();
    assert.equal(b.srv.requests[0]?.authorization, 'Bearer tok');
  });

  test('shutdown marks the series of every target stale', async () => {
    const { r } = await setup('a 1\n');
    await r.scrape();
    const n = r.sink.batches.length;
    await r.stop();
    assert.equal(r.sink.batches.length, n + 1);
    assert.equal(r.sink.numbers(n, 'a')[0]?.flags, 1);
    assert.equal(r.sink.numbers(n, 'up')[0]?.flags, 1, 'the synthetic series end with the target');
  });

  test('file_sd_configs: discovered targets are scraped with their labels; removed ones go stale', async () => {
    const srv = await serve('x 1\n');
    cleanups.push(() => srv.close());
    const dir = mkdtempSync(join(tmpdir(), 'prom-rx-sd-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sdFile = join(dir, 'targets.json');
    writeFileSync(sdFile, JSON.stringify([{ targets: [`127.0.0.1:${srv.port}`], labels: { zone: 'z1' } }]));
    const r = await receiver([
      {
        job_name: 'j',
        scrape_interval: '10s',
        file_sd_configs: [{ files: [sdFile], refresh_interval: '100ms' }],
        relabel_configs: [{ source_labels: ['__meta_filepath'], regex: '.*/(.*)', target_label: 'sdfile' }],
      },
    ]);
    cleanups.push(() => r.stop());
    const deadline = Date.now() + 5000;
    while ((r.rx.targets().get('j')?.length ?? 0) === 0 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 20));
    }
    const i = await r.scrape();
    assert.equal(r.sink.value(i, 'up'), 1);
    assert.deepEqual(attrs(r.sink.numbers(i, 'x')[0]?.attributes ?? []), { zone: 'z1', sdfile: 'targets.json' });
    const n = r.sink.batches.length;
    writeFileSync(sdFile, '[]');
    const until = Date.now() + 5000;
    while (r.sink.batches.length === n && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    assert.equal(r.rx.targets().get('j')?.length, 0);
    assert.equal(r.sink.numbers(n, 'x')[0]?.flags, 1, 'a removed target marks its series stale');
  });

  test('a tick while the previous scrape still runs is skipped and counted', async () => {
    const { srv, r } = await setup('a 1\n');
    srv.delayMs = 300;
    r.clock.fireNext();
    r.clock.fireNext();
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(srv.requests.length, 1);
    assert.equal(
      r.registry.counter('switchyard_prometheus_skipped_scrapes_total', '').get({ receiver: 'prometheus', job: 'j' }),
      1,
    );
    assert.equal(r.sink.batches.length, 1);
  });

  test('loop timing: first scrape at the target phase, then every interval', async () => {
    const { r } = await setup('a 1\n');
    const target = r.rx.targets().get('j')?.[0];
    assert.ok(target !== undefined);
    const first = r.clock.fireNext();
    assert.equal(first, initialDelayMs(target.hash, 10_000, r.clock.t - first));
    await new Promise((res) => setTimeout(res, 100));
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      r.clock.fireNext();
      times.push(r.clock.t);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.deepEqual(
      times.map((t) => t - (times[0] ?? 0)),
      [0, 10_000, 20_000],
    );
    assert.equal(times[0]! % 10_000, target.hash % 10_000);
  });

  test('TLS with a self-signed certificate (ca_file and insecure_skip_verify)', async (t) => {
    if (!existsSync('/usr/bin/openssl')) {
      t.skip('openssl not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'prom-rx-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      '/usr/bin/openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const srv = await serve('secure 1\n', {
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
    });
    cleanups.push(() => srv.close());
    const ok = await receiver([job(srv.port, { scheme: 'https', tls_config: { ca_file: join(dir, 'cert.pem') } })]);
    cleanups.push(() => ok.stop());
    const i = await ok.scrape();
    assert.equal(ok.sink.value(i, 'up'), 1);
    assert.equal(ok.sink.value(i, 'secure'), 1);
    assert.equal(ok.sink.resourceOf(i)['url.scheme'], 'https');
    const untrusted = await receiver([job(srv.port, { scheme: 'https' })]);
    cleanups.push(() => untrusted.stop());
    assert.equal(untrusted.sink.value(await untrusted.scrape(), 'up'), 0);
    const skip = await receiver([job(srv.port, { scheme: 'https', tls_config: { insecure_skip_verify: true } })]);
    cleanups.push(() => skip.stop());
    assert.equal(skip.sink.value(await skip.scrape(), 'up'), 1);
  });
});

describe('prometheus receiver: review findings', () => {
  test('a non-200 reply with an endless body is not drained: the socket is closed', async () => {
    let closed = false;
    const server = http.createServer((req, res) => {
      req.socket.on('close', () => {
        closed = true;
      });
      res.writeHead(503, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('x'.repeat(1024)), 5);
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy());
    const res = await fetchTarget({
      url: new URL(`http://127.0.0.1:${port}/metrics`),
      timeoutMs: 5000,
      bodyLimit: 1 << 20,
      auth: { kind: 'none' },
      agent,
    });
    assert.equal(res.ok, false);
    const deadline = Date.now() + 1000;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(closed, 'the connection of a failed scrape must not stay open');
  });

  test('buckets with the same bound (le="1" and le="1.0") never give non-increasing explicit bounds', async () => {
    const body =
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="1.0"} 2\nh_bucket{le="+Inf"} 3\nh_sum 1\nh_count 3\n';
    const { r } = await setup(body);
    const i = await r.scrape();
    for (const m of r.sink.metricsOf(i)) {
      if (m.data?.type !== 'histogram') continue;
      for (const dp of m.data.dataPoints) {
        for (let k = 1; k < dp.explicitBounds.length; k++) {
          assert.ok(
            (dp.explicitBounds[k] ?? 0) > (dp.explicitBounds[k - 1] ?? 0),
            `bounds ${dp.explicitBounds.join(',')}`,
          );
        }
      }
    }
  });

  test('series exposed with their own timestamps get no staleness markers (as Prometheus)', async () => {
    const { srv, r } = await setup('g 1 1600000000123\na 1\n');
    await r.scrape();
    srv.body = 'a 1\n';
    const i2 = await r.scrape();
    assert.ok(!r.sink.metricsOf(i2).some((m) => m.name === 'g'), 'vanished timestamped series: no marker');
    srv.body = 'g 1 1600000000123\na 1\n';
    await r.scrape();
    srv.status = 500;
    const i4 = await r.scrape();
    assert.ok(!r.sink.metricsOf(i4).some((m) => m.name === 'g'), 'failed scrape: no marker for it');
    assert.equal(r.sink.numbers(i4, 'a')[0]?.flags, 1);
  });

  test('shutdown while start() still waits for discovery: later jobs do not start discoverers', async () => {
    let slowHits = 0;
    let laterHits = 0;
    const sd = http.createServer((req, res) => {
      if (req.url === '/slow') {
        slowHits++;
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'), 300);
        return;
      }
      laterHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    await new Promise<void>((r) => sd.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          sd.closeAllConnections();
          sd.close(() => r());
        }),
    );
    const port = (sd.address() as AddressInfo).port;
    const config: PrometheusReceiverConfig = {
      config: {
        scrape_configs: [
          { job_name: 'a', http_sd_configs: [{ url: `http://127.0.0.1:${port}/slow`, refresh_interval: '1s' }] },
          { job_name: 'b', http_sd_configs: [{ url: `http://127.0.0.1:${port}/later`, refresh_interval: '50ms' }] },
        ],
      },
    };
    assert.deepEqual(validatePrometheusConfig(config), []);
    const settings: CreateSettings = {
      id: { type: 'prometheus', name: '' },
      kind: 'receiver',
      logger: pino({ level: 'silent' }),
      metrics: new MetricsRegistry(),
    };
    const rx = new PrometheusReceiver(settings, resolvePrometheusConfig(config), new Recorder(), {
      clock: new FakeClock(),
    });
    const starting = rx.start(new TestHost());
    while (slowHits === 0) await new Promise((r) => setTimeout(r, 5));
    await rx.shutdown();
    await starting;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(laterHits, 0, 'a job started after shutdown would keep discovering forever');
  });
});

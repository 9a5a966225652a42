// The HTTP server in these tests stands in for an upstream target allocator: it serves its JSON
// shapes for /scrape_configs and /jobs/<job>/targets?collector_id=. Switchyard's own allocator is
// exercised with real processes in test/allocator-*.test.ts.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import type { ComponentStatus, Consumer, CreateSettings, Host, Kind } from '../../component/component.js';
import type { Batch } from '../../pdata/batch.js';
import type { Metric } from '../../pdata/model.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';
import { resolvePrometheusConfig, validatePrometheusConfig } from './config.js';
import { PrometheusReceiver } from './receiver.js';
import {
  getText,
  jobTargetsUrl,
  parseScrapeConfigs,
  parseTargets,
  queryEscape,
  scrapeConfigsUrl,
} from './targetallocator.js';

class Recorder implements Consumer<'metrics'> {
  readonly mutatesData = false;
  readonly batches: Batch<'metrics'>[] = [];
  async consume(batch: Batch<'metrics'>): Promise<void> {
    this.batches.push(batch);
  }
  metrics(): { job: string; metric: Metric }[] {
    return this.batches.flatMap((b) =>
      b.request().resourceMetrics.flatMap((r) =>
        r.scopeMetrics.flatMap((s) =>
          s.metrics.map((metric) => ({
            job: String(r.resource?.attributes.find((a) => a.key === 'service.name')?.value),
            metric,
          })),
        ),
      ),
    );
  }
}

const host: Host = {
  reportStatus(_id: unknown, _k: Kind, _s: ComponentStatus): void {},
  healthy: () => true,
  statuses: () => [],
  memoryGuard: () => undefined,
};

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function listen(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('target_allocator', () => {
  test('config checks', () => {
    const problems = validatePrometheusConfig({
      config: { scrape_configs: [] },
      target_allocator: { endpoint: 'ftp://x', collector_id: '$' + '{POD_NAME}', interval: '0s' },
    });
    assert.deepEqual(
      problems.map((p) => p.path.join('.')),
      ['target_allocator.endpoint', 'target_allocator.collector_id', 'target_allocator.interval'],
    );
  });

  test('query escaping as Go url.QueryEscape', () => {
    assert.equal(queryEscape('serviceMonitor/default/my app/0'), 'serviceMonitor%2Fdefault%2Fmy+app%2F0');
    assert.equal(queryEscape("a!'()*"), 'a%21%27%28%29%2A');
  });

  test('scrape config parsing ignores unknown fields and SD blocks, refuses invalid jobs', () => {
    const r = parseScrapeConfigs(
      {
        good: {
          job_name: 'good',
          scrape_interval: '30s',
          scrape_timeout: '10s',
          scrape_protocols: ['OpenMetricsText1.0.0'],
          enable_http2: true,
          metrics_path: '/m',
          kubernetes_sd_configs: [{ role: 'endpointslice' }],
          relabel_configs: [{ source_labels: ['job'], target_label: '__tmp_x', action: 'replace' }],
        },
        bad: { job_name: 'bad', scrape_interval: '5s', scrape_timeout: '10s' },
      },
      undefined,
    );
    assert.deepEqual(
      r.jobs.map((j) => [j.jobName, j.metricsPath, j.sd]),
      [['good', '/m', undefined]],
    );
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0] ?? '', /^bad: .*scrape timeout 10s is greater/);
    assert.deepEqual(parseTargets([{ targets: ['a:1'], labels: { __meta_x: 'y' } }], 'j'), [
      { source: 'j:0', targets: [{ __address__: 'a:1' }], labels: { __meta_x: 'y' } },
    ]);
    assert.equal(parseTargets({}, 'j'), undefined);
  });

  test("jobs and this collector's targets come from the allocator, and follow its changes", async () => {
    const targetPort = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('ta_metric 1\n');
    });
    const requests: string[] = [];
    let targetsForUs: unknown[] = [{ targets: [`127.0.0.1:${targetPort}`], labels: { __meta_pod: 'p1' } }];
    let configs: Record<string, unknown> = {
      'serviceMonitor/ns/app/0': {
        job_name: 'serviceMonitor/ns/app/0',
        scrape_interval: '1s',
        scrape_timeout: '1s',
        metrics_path: '/metrics',
        scheme: 'http',
        relabel_configs: [
          { source_labels: ['__meta_pod'], target_label: 'pod', action: 'replace' },
          { source_labels: ['__address__'], target_label: 'shard', replacement: '$(SHARD)' },
        ],
      },
    };
    const taPort = await listen((req, res) => {
      requests.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/scrape_configs') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(configs));
      } else if (url.pathname === `/jobs/${queryEscape('serviceMonitor/ns/app/0')}/targets`) {
        const body = url.searchParams.get('collector_id') === 'c-1' ? targetsForUs : [];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      } else {
        res.writeHead(404).end();
      }
    });
    const registry = new MetricsRegistry();
    const settings: CreateSettings = {
      id: { type: 'prometheus', name: '' },
      kind: 'receiver',
      logger: pino({ level: 'silent' }),
      metrics: registry,
    };
    const sink = new Recorder();
    const cfg = {
      config: { scrape_configs: [] },
      target_allocator: { endpoint: `http://127.0.0.1:${taPort}`, interval: '100ms', collector_id: 'c-1' },
    };
    assert.deepEqual(validatePrometheusConfig(cfg), []);
    const rx = new PrometheusReceiver(settings, resolvePrometheusConfig(cfg), sink);
    await rx.start(host);
    closers.push(() => rx.shutdown());
    await until('a scrape of the allocated target', () => sink.metrics().some((m) => m.metric.name === 'ta_metric'));
    const point = sink.metrics().find((m) => m.metric.name === 'ta_metric');
    assert.equal(point?.job, 'serviceMonitor/ns/app/0');
    const d = point?.metric.data;
    assert.ok(d?.type === 'gauge');
    assert.deepEqual(Object.fromEntries(d.dataPoints[0]?.attributes.map((a) => [a.key, a.value]) ?? []), {
      pod: 'p1',
      shard: '0',
    });
    assert.ok(requests.includes(`/jobs/serviceMonitor%2Fns%2Fapp%2F0/targets?collector_id=c-1`));

    // The allocator moves the target to another collector: it stops being scraped.
    targetsForUs = [];
    await until('the target to go', () => (rx.targets().get('serviceMonitor/ns/app/0')?.length ?? -1) === 0);
    // The allocator drops the job.
    configs = {};
    await until('the job to go', () => !rx.targets().has('serviceMonitor/ns/app/0'));
    assert.equal(registry.counter('switchyard_prometheus_target_allocator_errors_total', '').sum({}), 0);
  });

  test('sends the configured headers on every request; tls needs https and a key with the certificate', async () => {
    const seen: (string | undefined)[] = [];
    const port = await listen((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    const ta = {
      endpoint: `http://127.0.0.1:${port}`,
      intervalMs: 1000,
      collectorId: 'c-1',
      headers: { Authorization: 'Bearer t0k' },
    };
    assert.equal(await getText(scrapeConfigsUrl(ta), ta), '{}');
    assert.equal(await getText(jobTargetsUrl(ta, 'a b'), ta), '{}');
    assert.deepEqual(seen, ['Bearer t0k', 'Bearer t0k']);
    const problems = validatePrometheusConfig({
      config: { scrape_configs: [] },
      target_allocator: { endpoint: 'http://ta:80', collector_id: 'c', tls: { cert_file: 'c.pem' } },
    }).map((p) => `${p.path.join('.')}: ${p.message}`);
    assert.deepEqual(problems, [
      'target_allocator.tls: cert_file and key_file go together (mTLS)',
      'target_allocator.tls: tls needs an https:// endpoint',
    ]);
  });
});

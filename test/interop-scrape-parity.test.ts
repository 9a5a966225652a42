// Value parity for teams dropping their Prometheus servers: Debian's prometheus-node-exporter
// scraped by Debian's prometheus directly, and by Switchyard (`prometheus` receiver ->
// `prometheusremotewrite` exporter) into VictoriaMetrics. Both stores must hold the same series
// (names and label sets) and the same values for series that do not move between two scrapes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, type InProcessCollector, poll, startCollector, tempDir } from './helpers.js';
import { type Daemon, startNodeExporter, startPrometheus, startVictoriaMetrics } from './peers.js';

type Labels = Record<string, string>;

function seriesId(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return `{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** The series of job `ne` a store holds now (`/api/v1/series`, the same API in both stores). */
async function seriesOf(base: string): Promise<Set<string>> {
  const now = Math.floor(Date.now() / 1000);
  const body = await getJson<{ data: Labels[] }>(
    `${base}/api/v1/series?match[]=${encodeURIComponent('{job="ne"}')}&start=${now - 300}&end=${now + 60}`,
  );
  return new Set(body.data.map(seriesId));
}

async function instantValue(base: string, query: string): Promise<number | undefined> {
  const body = await getJson<{ data: { result: { value: [number, string] }[] } }>(
    `${base}/api/v1/query?query=${encodeURIComponent(query)}`,
  );
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

describe('node_exporter scraped by prometheus and by Switchyard remote-writing into VictoriaMetrics', () => {
  const dir = tempDir('switchyard-parity-');
  const daemons: Daemon[] = [];
  let collector: InProcessCollector | undefined;
  let promBase = '';
  let vmBase = '';

  before(async () => {
    const nePort = await freePort();
    daemons.push(await startNodeExporter(nePort));
    const promPort = await freePort();
    promBase = `http://127.0.0.1:${promPort}`;
    daemons.push(
      await startPrometheus(
        dir.path,
        promPort,
        [`--storage.tsdb.path=${join(dir.path, 'prom')}`],
        `global: {scrape_interval: 2s, scrape_timeout: 2s}
scrape_configs:
  - job_name: ne
    static_configs: [{targets: ['127.0.0.1:${nePort}']}]
`,
      ),
    );
    const vmPort = await freePort();
    vmBase = `http://127.0.0.1:${vmPort}`;
    daemons.push(await startVictoriaMetrics(join(dir.path, 'vm'), vmPort));
    // Scope labels and target_info are OpenTelemetry additions Prometheus does not make: off here.
    collector = await startCollector(`
receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: ne
          scrape_interval: 2s
          scrape_timeout: 2s
          static_configs: [{targets: ['127.0.0.1:${nePort}']}]
exporters:
  prometheusremotewrite:
    endpoint: ${vmBase}/api/v1/write
    tls: {insecure: true}
    target_info: {enabled: false}
    retry_on_failure: {enabled: false}
service:
  pipelines:
    metrics: {receivers: [prometheus], exporters: [prometheusremotewrite]}
  telemetry:
    metrics: {level: none}
`);
  });

  after(async () => {
    await collector?.stop();
    for (const d of daemons.reverse()) await d.stop();
    dir.remove();
  });

  test('the same series set, and equal values for series that do not move', async () => {
    const flush = (): Promise<unknown> =>
      fetch(`${vmBase}/internal/force_flush`, { method: 'POST' }).then((r) => r.arrayBuffer());
    const LIMIT_MS = 40_000;
    const direct = await poll(
      'prometheus to scrape node_exporter',
      async () => {
        const s = await seriesOf(promBase);
        return s.size > 200 ? s : undefined;
      },
      LIMIT_MS,
    );
    const viaSwitchyard = await poll(
      'Switchyard to remote-write node_exporter',
      async () => {
        await flush();
        const s = await seriesOf(vmBase);
        return s.size > 200 ? s : undefined;
      },
      LIMIT_MS,
    );
    const strip = (s: Set<string>): Set<string> =>
      new Set([...s].map((id) => id.replace(/,?otel_scope_(name|version)="[^"]*"/g, '').replace('{,', '{')));
    const ours = strip(viaSwitchyard);
    const missing = [...direct].filter((id) => !ours.has(id));
    const extra = [...ours].filter((id) => !direct.has(id));
    assert.deepEqual(
      { missing: missing.slice(0, 10), extra: extra.slice(0, 10) },
      { missing: [], extra: [] },
      `${missing.length} series missing, ${extra.length} extra`,
    );

    for (const q of ['node_memory_MemTotal_bytes{job="ne"}', 'node_boot_time_seconds{job="ne"}']) {
      const a = await poll(`${q} in prometheus`, () => instantValue(promBase, q), LIMIT_MS);
      const b = await poll(
        `${q} via Switchyard`,
        async () => {
          await flush();
          return instantValue(vmBase, q);
        },
        LIMIT_MS,
      );
      assert.equal(b, a, q);
    }
  });
});

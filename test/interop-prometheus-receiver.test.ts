// The `prometheus` receiver against real peers: Debian's prometheus-node-exporter as the scrape
// target, and Debian's prometheus 2.42 scraping the same exporter for value and series-set parity.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requestFromJson } from '../src/pdata/json/index.js';
import type { ExportMetricsServiceRequest, KeyValue } from '../src/pdata/model.js';
import { freePort, type InProcessCollector, readLines, startCollector, tempDir, waitFor } from './helpers.js';
import { type Daemon, startNodeExporter, startPrometheus } from './peers.js';

/** One Prometheus series: name plus sorted labels, as text. */
type SeriesValues = Map<string, number>;

function seriesId(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

function str(kvs: readonly KeyValue[]): Record<string, string> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, String(kv.value)]));
}

/** The batches the file exporter wrote for `job`, newest last. */
function batches(path: string, job: string): ExportMetricsServiceRequest[] {
  return readLines(path)
    .map((l) => requestFromJson('metrics', l))
    .filter((r) => r.resourceMetrics.some((rm) => str(rm.resource?.attributes ?? [])['service.name'] === job));
}

/** Our OTLP, written back as the Prometheus series it came from (stale points left out). */
function asSeries(req: ExportMetricsServiceRequest): SeriesValues {
  const out: SeriesValues = new Map();
  for (const rm of req.resourceMetrics) {
    const res = str(rm.resource?.attributes ?? []);
    const base = { job: res['service.name'] ?? '', instance: res['service.instance.id'] ?? '' };
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        const d = m.data;
        if (d === undefined) continue;
        switch (d.type) {
          case 'gauge':
          case 'sum':
            for (const p of d.dataPoints) {
              if (p.flags !== 0) continue;
              out.set(seriesId(m.name, { ...base, ...str(p.attributes) }), Number(p.value));
            }
            break;
          case 'histogram':
            for (const p of d.dataPoints) {
              if (p.flags !== 0) continue;
              const l = { ...base, ...str(p.attributes) };
              let cum = 0;
              p.bucketCounts.forEach((c, i) => {
                cum += Number(c);
                const le = i < p.explicitBounds.length ? String(p.explicitBounds[i]) : '+Inf';
                out.set(seriesId(`${m.name}_bucket`, { ...l, le }), cum);
              });
              if (p.sum !== undefined) out.set(seriesId(`${m.name}_sum`, l), p.sum);
              out.set(seriesId(`${m.name}_count`, l), Number(p.count));
            }
            break;
          case 'summary':
            for (const p of d.dataPoints) {
              if (p.flags !== 0) continue;
              const l = { ...base, ...str(p.attributes) };
              for (const q of p.quantileValues)
                out.set(seriesId(m.name, { ...l, quantile: String(q.quantile) }), q.value);
              out.set(seriesId(`${m.name}_sum`, l), p.sum);
              out.set(seriesId(`${m.name}_count`, l), Number(p.count));
            }
            break;
          case 'exponentialHistogram':
            break;
          default: {
            const never: never = d;
            throw new Error(`unexpected ${String(never)}`);
          }
        }
      }
    }
  }
  return out;
}

interface PromVectorResponse {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function promQuery(base: string, query: string): Promise<PromVectorResponse['data']['result']> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as PromVectorResponse;
  assert.equal(body.status, 'success');
  return body.data.result;
}

function promSeries(result: PromVectorResponse['data']['result']): SeriesValues {
  const out: SeriesValues = new Map();
  for (const r of result) {
    const { __name__: name, ...labels } = r.metric;
    out.set(seriesId(name ?? '', labels), Number(r.value[1]));
  }
  return out;
}

describe('prometheus receiver against prometheus-node-exporter and prometheus 2.42', () => {
  const dir = tempDir('switchyard-prom-rx-');
  let exporter: Daemon | undefined;
  let prometheus: Daemon | undefined;
  let collector: InProcessCollector | undefined;
  let nePort = 0;
  let promBase = '';
  const out = join(dir.path, 'metrics.jsonl');

  before(async () => {
    nePort = await freePort();
    exporter = await startNodeExporter(nePort);
    const promPort = await freePort();
    promBase = `http://127.0.0.1:${promPort}`;
    prometheus = await startPrometheus(
      dir.path,
      promPort,
      [`--storage.tsdb.path=${join(dir.path, 'data')}`],
      `global: {scrape_interval: 2s, scrape_timeout: 2s, evaluation_interval: 2s}
scrape_configs:
  - job_name: ne
    static_configs: [{targets: ['127.0.0.1:${nePort}']}]
`,
    );
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
  file:
    path: ${out}
    flush_interval: 0s
service:
  pipelines:
    metrics: {receivers: [prometheus], exporters: [file]}
`);
  });

  after(async () => {
    await collector?.stop();
    await prometheus?.stop();
    await exporter?.stop();
    dir.remove();
  });

  test('scrapes node_exporter: resource, kinds and sane values', async () => {
    const req = await waitFor('a scrape of node_exporter', () => batches(out, 'ne')[0], 15_000);
    const rm = req.resourceMetrics[0];
    assert.ok(rm !== undefined);
    assert.deepEqual(str(rm.resource?.attributes ?? []), {
      'service.name': 'ne',
      'service.instance.id': `127.0.0.1:${nePort}`,
      'server.address': '127.0.0.1',
      'server.port': String(nePort),
      'url.scheme': 'http',
    });
    const metrics = rm.scopeMetrics.flatMap((s) => s.metrics);
    const byName = new Map(metrics.map((m) => [m.name, m]));
    const up = byName.get('up')?.data;
    assert.ok(up?.type === 'gauge' && up.dataPoints[0]?.value === 1);
    const scraped = byName.get('scrape_samples_scraped')?.data;
    assert.ok(scraped?.type === 'gauge');
    assert.ok(Number(scraped.dataPoints[0]?.value) > 100, 'node_exporter exposes hundreds of samples');

    const memTotal = byName.get('node_memory_MemTotal_bytes')?.data;
    assert.ok(memTotal?.type === 'gauge');
    const meminfo = /MemTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    assert.equal(memTotal.dataPoints[0]?.value, Number(meminfo?.[1]) * 1024);

    const cpu = byName.get('node_cpu_seconds_total');
    assert.ok(cpu?.data?.type === 'sum' && cpu.data.isMonotonic && cpu.data.aggregationTemporality === 2);
    assert.equal(cpu.description, 'Seconds the CPUs spent in each mode.');
    const idle = cpu.data.dataPoints.find((p) => str(p.attributes).mode === 'idle');
    assert.ok(idle !== undefined && Number(idle.value) > 0);
    assert.ok(idle.startTimeUnixNano > 0n && idle.startTimeUnixNano <= idle.timeUnixNano);

    const gc = byName.get('go_gc_duration_seconds')?.data;
    assert.ok(gc?.type === 'summary');
    assert.deepEqual(
      gc.dataPoints[0]?.quantileValues.map((q) => q.quantile),
      [0, 0.25, 0.5, 0.75, 1],
    );
    const ctx = byName.get('node_context_switches_total')?.data;
    assert.ok(ctx?.type === 'sum' && Number(ctx.dataPoints[0]?.value) > 0);
  });

  test('series set and slowly-changing values equal what prometheus 2.42 stores', async () => {
    // Both have scraped at least twice (the second scrape has start times carried over).
    await waitFor('two scrapes by us', () => (batches(out, 'ne').length >= 2 ? true : undefined), 15_000);
    const deadline = Date.now() + 15_000;
    let theirs: SeriesValues = new Map();
    while (Date.now() < deadline) {
      theirs = promSeries(await promQuery(promBase, '{job="ne"}'));
      if (theirs.size > 100) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(theirs.size > 400, `prometheus has ${theirs.size} series`);
    const all = batches(out, 'ne');
    const ours = asSeries(all[all.length - 1] as ExportMetricsServiceRequest);

    const onlyTheirs = [...theirs.keys()].filter((k) => !ours.has(k));
    const onlyOurs = [...ours.keys()].filter((k) => !theirs.has(k));
    assert.deepEqual(
      { onlyTheirs: onlyTheirs.slice(0, 20), onlyOurs: onlyOurs.slice(0, 20) },
      { onlyTheirs: [], onlyOurs: [] },
    );

    const memKey = seriesId('node_memory_MemTotal_bytes', { job: 'ne', instance: `127.0.0.1:${nePort}` });
    assert.equal(ours.get(memKey), theirs.get(memKey));
    let cpuSeries = 0;
    for (const [k, v] of ours) {
      if (!k.startsWith('node_cpu_seconds_total{')) continue;
      cpuSeries++;
      const t = theirs.get(k);
      assert.ok(t !== undefined);
      // Both scrape every 2 s: a CPU accrues at most ~2 s per mode between the two scrapes (plus slack).
      assert.ok(Math.abs(v - t) <= 5, `${k}: ours ${v}, prometheus ${t}`);
    }
    assert.ok(cpuSeries > 0);
    const bootKey = seriesId('node_boot_time_seconds', { job: 'ne', instance: `127.0.0.1:${nePort}` });
    assert.equal(ours.get(bootKey), theirs.get(bootKey));
  });
});

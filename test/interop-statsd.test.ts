// Parity with Etsy statsd 0.9.0: one hot-shots workload, every datagram teed to Etsy's statsd (a child process
// with a small flush backend that prints what it aggregated) and to Switchyard's statsd receiver (in process, file
// exporter). Counts, sums, gauges, set sizes and timer count/min/max must be equal; timer percentiles from the
// exponential histogram must lie within its relative error bound of Etsy's exact percentiles.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import StatsD from 'hot-shots';
import { Batch } from '../src/pdata/batch.js';
import type { ExponentialHistogramDataPoint, KeyValue, Metric } from '../src/pdata/model.js';
import { freePort, readLines, startCollector, tempDir, waitFor } from './helpers.js';
import { type Daemon, startDaemon } from './peers.js';

const STATSD_BIN = fileURLToPath(new URL('../../node_modules/statsd/stats.js', import.meta.url));
const PCTS = [50, 90, 99] as const;
const N = 300;

// Etsy backend: prints each flush's aggregates as one JSON line.
const BACKEND = `
exports.init = function (startupTime, config, events) {
  events.on('flush', function (ts, m) {
    var sets = {};
    for (var k in m.sets) sets[k] = m.sets[k].values();
    process.stdout.write('ETSY_FLUSH ' + JSON.stringify({ counters: m.counters, gauges: m.gauges, timers: m.timers,
      timer_counters: m.timer_counters, timer_data: m.timer_data, sets: sets }) + '\\n');
  });
  return true;
};
`;

interface EtsyFlush {
  counters: Record<string, number>;
  gauges: Record<string, number>;
  timers: Record<string, number[]>;
  timer_counters: Record<string, number>;
  timer_data: Record<string, Record<string, number>>;
  sets: Record<string, string[]>;
}

interface Totals {
  counters: Map<string, number>;
  gauges: Map<string, number>;
  timers: Map<string, number[]>;
  timerCounts: Map<string, number>;
  sets: Map<string, Set<string>>;
}

/** `name;k=v;...` with tags sorted, for both sides. */
function etsyKey(key: string): string {
  const [name, ...tags] = key.split(';');
  return [name, ...tags.sort()].join(';');
}
function ourKey(name: string, attrs: readonly KeyValue[]): string {
  return [name, ...attrs.map((a) => `${a.key}=${String(a.value)}`).sort()].join(';');
}

function etsyTotals(output: string): { totals: Totals; flushes: number } {
  const totals: Totals = {
    counters: new Map(),
    gauges: new Map(),
    timers: new Map(),
    timerCounts: new Map(),
    sets: new Map(),
  };
  let flushes = 0;
  for (const line of output.split('\n')) {
    if (!line.startsWith('ETSY_FLUSH ')) continue;
    flushes++;
    const f = JSON.parse(line.slice('ETSY_FLUSH '.length)) as EtsyFlush;
    for (const [k, v] of Object.entries(f.counters)) {
      if (k.startsWith('statsd.')) continue;
      totals.counters.set(etsyKey(k), (totals.counters.get(etsyKey(k)) ?? 0) + v);
    }
    for (const [k, v] of Object.entries(f.gauges)) if (!k.startsWith('statsd.')) totals.gauges.set(etsyKey(k), v);
    for (const [k, v] of Object.entries(f.timers)) {
      const key = etsyKey(k);
      totals.timers.set(key, [...(totals.timers.get(key) ?? []), ...v]);
      totals.timerCounts.set(key, (totals.timerCounts.get(key) ?? 0) + (f.timer_counters[k] ?? 0));
    }
    for (const [k, v] of Object.entries(f.sets)) {
      const key = etsyKey(k);
      const s = totals.sets.get(key) ?? new Set<string>();
      for (const m of v) s.add(m);
      totals.sets.set(key, s);
    }
  }
  return { totals, flushes };
}

/** Etsy's percentile: sort, take the value at rank round(pct/100 * count) (1-based). */
function etsyPercentile(values: readonly number[], pct: number): { rank: number; value: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.round((pct / 100) * sorted.length);
  return { rank, value: sorted[rank - 1]! };
}

/** Upper boundary of the bucket holding the value of 1-based `rank` (positive values only). */
function expoRankUpperBound(p: ExponentialHistogramDataPoint, rank: number): number {
  const base = 2 ** (2 ** -p.scale);
  let cum = Number(p.zeroCount);
  if (rank <= cum) return 0;
  const pos = p.positive!;
  for (let i = 0; i < pos.bucketCounts.length; i++) {
    cum += Number(pos.bucketCounts[i]!);
    if (rank <= cum) return base ** (pos.offset + i + 1);
  }
  throw new Error(`rank ${rank} beyond count ${cum}`);
}

function mgmtHealth(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('health\n'));
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('health: up')) done(true);
    });
  });
}

describe('statsd interop: hot-shots -> Etsy statsd 0.9.0 and Switchyard', () => {
  const dir = tempDir('statsd-interop-');
  let etsy: Daemon | undefined;
  let etsyPort = 0;
  let outFile = '';

  before(async () => {
    etsyPort = await freePort();
    const mgmtPort = await freePort();
    const backend = join(dir.path, 'flush-backend.js');
    writeFileSync(backend, BACKEND);
    const cfg = join(dir.path, 'etsy-config.js');
    writeFileSync(
      cfg,
      JSON.stringify({
        port: etsyPort,
        address: '127.0.0.1',
        mgmt_address: '127.0.0.1',
        mgmt_port: mgmtPort,
        flushInterval: 500,
        backends: [backend],
        percentThreshold: [...PCTS],
      }),
    );
    etsy = await startDaemon({
      command: process.execPath,
      args: [STATSD_BIN, cfg],
      ready: () => mgmtHealth(mgmtPort),
    });
    outFile = join(dir.path, 'metrics.jsonl');
  });

  after(async () => {
    await etsy?.stop();
    dir.remove();
  });

  test('same datagrams, same counts, sums, gauges, set sizes, timer count/min/max; percentiles within bound', async () => {
    const syPort = await freePort();
    const collector = await startCollector(`
receivers:
  statsd:
    endpoint: 127.0.0.1:${syPort}
    aggregation_interval: 1h
    persist_gauges: true
    timer_histogram_mapping:
      - { statsd_type: timer, observer_type: histogram }
      - { statsd_type: histogram, observer_type: histogram }
exporters:
  file: { path: ${JSON.stringify(outFile)}, flush_interval: 10ms }
service:
  pipelines:
    metrics: { receivers: [statsd], exporters: [file] }
  telemetry:
    metrics: { level: none }
`);
    // Tee: every datagram hot-shots sends goes to both receivers, so client-side sampling cannot differ.
    const tee = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    let teed = 0;
    const out = createSocket('udp4');
    tee.on('message', (msg) => {
      teed++;
      out.send(msg, etsyPort, '127.0.0.1');
      out.send(msg, syPort, '127.0.0.1');
    });
    await new Promise<void>((r) => tee.bind(0, '127.0.0.1', () => r()));
    const teePort = tee.address().port;

    const single = new StatsD({ host: '127.0.0.1', port: teePort, prefix: 'it.', maxBufferSize: 0 });
    const batched = new StatsD({
      host: '127.0.0.1',
      port: teePort,
      prefix: 'it.',
      maxBufferSize: 1000,
      bufferFlushInterval: 20,
    });
    const timerValues: number[] = [];
    try {
      for (let i = 0; i < N; i++) {
        const c = i % 2 === 0 ? single : batched;
        c.increment('req', 1, { route: 'a', code: '200' });
        c.increment('req', 2);
        c.increment('sampled', 1, 0.5);
        c.increment('frac', 3, 0.3);
        c.decrement('down', 1);
        const v = 0.25 + ((i * 7919) % 1000) * 1.37;
        timerValues.push(v);
        c.timing('lat', v);
        c.timing('lat_sampled', v, 0.5, { tier: 'gold' });
        c.histogram('bytes', 512 + i);
        c.distribution('dist', i + 1, { kind: 'd' });
        c.set('users', `u${i % 37}`);
        if (i % 50 === 0) {
          c.gauge('queue', 17 + i);
          c.gaugeDelta('queue', 3);
          c.gaugeDelta('queue', -1.5);
          c.gauge('temp', 20.5 + i, { room: 'lab' });
        }
        // Paced: loopback UDP drops when a socket buffer fills, and that loss would hit both sides alike.
        if (i % 4 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all([single, batched].map((c) => new Promise<void>((r, j) => c.close((e) => (e ? j(e) : r())))));
    } finally {
      // Let the last datagrams through the tee and two Etsy flushes happen after them.
      await new Promise((r) => setTimeout(r, 100));
      tee.close();
      out.close();
    }
    const flushesBefore = etsyTotals(etsy!.output()).flushes;
    await waitFor('two more Etsy flushes', () =>
      etsyTotals(etsy!.output()).flushes >= flushesBefore + 2 ? true : undefined,
    );
    await collector.stop();
    assert.ok(teed > 0);
    // Nothing was lost or refused on either side: Etsy's own line count equals ours.
    let etsyLines = 0;
    let etsyBad = 0;
    for (const line of etsy!.output().split('\n')) {
      if (!line.startsWith('ETSY_FLUSH ')) continue;
      const f = JSON.parse(line.slice('ETSY_FLUSH '.length)) as EtsyFlush;
      etsyLines += f.counters['statsd.metrics_received'] ?? 0;
      etsyBad += f.counters['statsd.bad_lines_seen'] ?? 0;
    }
    assert.equal(etsyBad, 0);
    assert.equal(collector.metrics.counter('switchyard_statsd_lines_total', '').sum(), etsyLines);
    assert.equal(collector.metrics.counter('otelcol_receiver_refused_metric_points_total', '').sum(), 0);

    const { totals } = etsyTotals(etsy!.output());
    const metrics: Metric[] = readLines(outFile).flatMap((l) =>
      Batch.fromJson('metrics', l)
        .request()
        .resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)),
    );
    const ours = new Map<string, { metric: Metric; index: number }>();
    for (const m of metrics) {
      const d = m.data;
      if (d === undefined) continue;
      d.dataPoints.forEach((p, index) => {
        const key = ourKey(m.name, p.attributes);
        assert.ok(!ours.has(key), `one point per series: ${key}`);
        ours.set(key, { metric: m, index });
      });
    }
    const num = (key: string): number => {
      const e = ours.get(key);
      assert.ok(e !== undefined, `Switchyard has ${key}; it has ${[...ours.keys()].join(', ')}`);
      const d = e.metric.data;
      assert.ok(d?.type === 'sum' || d?.type === 'gauge', `${key} is a number`);
      return Number(d.dataPoints[e.index]!.value);
    };
    const expo = (key: string): ExponentialHistogramDataPoint => {
      const e = ours.get(key);
      assert.ok(e !== undefined, `Switchyard has ${key}`);
      assert.ok(e.metric.data?.type === 'exponentialHistogram', `${key} is an exponential histogram`);
      return e.metric.data.dataPoints[e.index]!;
    };

    // Counters (with sample rates as weights, negative values, tags).
    for (const key of ['it.req;code=200;route=a', 'it.req', 'it.sampled', 'it.frac', 'it.down']) {
      const theirs = totals.counters.get(key);
      assert.ok(theirs !== undefined, `Etsy has ${key}`);
      assert.ok(Math.abs(num(key) - theirs) <= 1e-9 * Math.abs(theirs), `${key}: ours ${num(key)} vs Etsy ${theirs}`);
    }
    assert.equal(num('it.req'), 2 * N);
    assert.ok(num('it.sampled') > 0);
    // Etsy treats |h and |d as counters: their value is our histogram's sum.
    for (const key of ['it.bytes', 'it.dist;kind=d']) {
      assert.equal(expo(key).sum, totals.counters.get(key), key);
      assert.equal(Number(expo(key).count), N, key);
    }
    // Gauges incl. deltas.
    for (const key of ['it.queue', 'it.temp;room=lab']) {
      assert.equal(num(key), totals.gauges.get(key), key);
    }
    assert.equal(num('it.queue'), 17 + 250 + 3 - 1.5);
    // Sets.
    assert.equal(num('it.users'), totals.sets.get('it.users')?.size);
    assert.equal(num('it.users'), 37);
    // Timers: count (weighted by 1/rate), min, max; sum of the unsampled one.
    for (const key of ['it.lat', 'it.lat_sampled;tier=gold']) {
      const raw = totals.timers.get(key) ?? [];
      assert.ok(raw.length > 0, `Etsy has timer ${key}`);
      const p = expo(key);
      assert.equal(Number(p.count), totals.timerCounts.get(key), `${key} count`);
      assert.equal(p.min, Math.min(...raw), `${key} min`);
      assert.equal(p.max, Math.max(...raw), `${key} max`);
    }
    const lat = expo('it.lat');
    const etsyLat = totals.timers.get('it.lat')!;
    assert.equal(etsyLat.length, N);
    assert.deepEqual(
      [...etsyLat].sort((a, b) => a - b),
      [...timerValues].sort((a, b) => a - b),
    );
    const sum = etsyLat.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(lat.sum! - sum) <= 1e-9 * sum, `sum ${lat.sum} vs ${sum}`);
    const bound = 2 ** (2 ** -lat.scale) - 1;
    for (const pct of PCTS) {
      const { rank, value } = etsyPercentile(etsyLat, pct);
      const est = expoRankUpperBound(lat, rank);
      const rel = Math.abs(est - value) / value;
      assert.ok(rel <= bound + 1e-12, `p${pct}: ours ${est} vs Etsy ${value}: relative error ${rel} > ${bound}`);
    }
  });
});

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import StatsD from 'hot-shots';
import { pino } from 'pino';
import type { ComponentStatus, Consumer, CreateSettings, Host, Kind, MemoryGuard } from '../../component/component.js';
import type { Batch } from '../../pdata/batch.js';
import type { Metric, NumberDataPoint } from '../../pdata/model.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';
import type { StatsdReceiverConfig } from './config.js';
import { createDefaultStatsdConfig, validateStatsdConfig } from './config.js';
import { type StatsdReceiver, statsdReceiverFactory } from './factory.js';

class Recorder implements Consumer<'metrics'> {
  readonly mutatesData = false;
  readonly batches: Batch<'metrics'>[] = [];
  async consume(batch: Batch<'metrics'>): Promise<void> {
    this.batches.push(batch);
  }
  metrics(): Metric[] {
    return this.batches.flatMap((b) =>
      b.request().resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)),
    );
  }
  points(name: string): NumberDataPoint[] {
    return this.metrics()
      .filter((m) => m.name === name)
      .flatMap((m) => (m.data?.type === 'sum' || m.data?.type === 'gauge' ? m.data.dataPoints : []));
  }
}

class Logs {
  readonly lines: Record<string, unknown>[] = [];
  write(line: string): boolean {
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  }
}

class TestHost implements Host {
  guardMs: number | undefined;
  private readonly guard: MemoryGuard = { refuseFor: () => this.guardMs };
  reportStatus(_id: unknown, _k: Kind, _s: ComponentStatus): void {}
  healthy(): boolean {
    return true;
  }
  statuses(): [] {
    return [];
  }
  memoryGuard(): MemoryGuard | undefined {
    return this.guard;
  }
}

interface Started {
  readonly rx: StatsdReceiver;
  readonly sink: Recorder;
  readonly registry: MetricsRegistry;
  readonly logs: Logs;
  readonly host: TestHost;
}

async function start(cfg: StatsdReceiverConfig): Promise<Started> {
  const registry = new MetricsRegistry();
  const logs = new Logs();
  const settings: CreateSettings = {
    id: { type: 'statsd', name: '' },
    kind: 'receiver',
    logger: pino({ level: 'info' }, logs),
    metrics: registry,
  };
  const sink = new Recorder();
  const rx = statsdReceiverFactory.create(
    settings,
    { ...createDefaultStatsdConfig(), endpoint: '127.0.0.1:0', ...cfg },
    { metrics: sink },
  ) as StatsdReceiver;
  const host = new TestHost();
  await rx.start(host);
  return { rx, sink, registry, logs, host };
}

async function waitUntil(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function lines(registry: MetricsRegistry): number {
  return registry.counter('switchyard_statsd_lines_total', '').sum();
}

async function sendUdp(port: number, payloads: readonly string[]): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.connect(port, '127.0.0.1', () => r()));
  for (const p of payloads) await new Promise<void>((r, j) => s.send(p, (e) => (e ? j(e) : r())));
  await new Promise<void>((r) => s.close(() => r()));
}

describe('statsd receiver over real sockets', () => {
  test('UDP: several metrics per datagram, bad lines refused by reason, one batch per flush', async () => {
    const { rx, sink, registry, logs } = await start({ aggregation_interval: '1h' });
    const port = rx.address().port;
    assert.ok(port > 0);
    assert.equal(rx.address().host, '127.0.0.1');
    await sendUdp(port, ['a:1|c\na:2|c|#env:x\nbad:zz|c\ng:5|g', 'a:3|c', 'x|c', '']);
    const refusedAll = registry.counter('otelcol_receiver_refused_metric_points_total', '');
    await waitUntil('the last datagram', () => refusedAll.sum() === 3);
    await rx.flush();
    assert.equal(sink.batches.length, 1);
    const plain = sink.points('a').find((p) => p.attributes.length === 0)!;
    assert.equal(plain.value, 4n);
    assert.equal(sink.points('g')[0]!.value, 5);
    const refused = registry.counter('otelcol_receiver_refused_metric_points_total', '');
    assert.equal(refused.get({ receiver: 'statsd', transport: 'udp', reason: 'bad_value' }), 2);
    assert.equal(refused.get({ receiver: 'statsd', transport: 'udp', reason: 'empty' }), 1);
    const accepted = registry.counter('otelcol_receiver_accepted_metric_points_total', '');
    assert.equal(accepted.get({ receiver: 'statsd', transport: 'udp' }), 3);
    assert.equal(lines(registry), 4);
    // By default all clients aggregate together: no client identity on the resource.
    const res = sink.batches[0]!.request().resourceMetrics[0]!.resource!.attributes.map((a) => a.key);
    assert.deepEqual(res, []);
    // Rate-limited warnings: one line per reason, not one per bad line.
    const warns = logs.lines.filter((l) => l['level'] === 40);
    assert.equal(warns.length, 2);
    await rx.shutdown();
  });

  test('UDP: a flood of bad lines logs one warning per reason and counts every line', async () => {
    const { rx, registry, logs } = await start({ aggregation_interval: '1h' });
    const bad = Array.from({ length: 50 }, (_, i) => `m${i}:nope|c`).join('\n');
    await sendUdp(rx.address().port, [bad, bad]);
    const refused = registry.counter('otelcol_receiver_refused_metric_points_total', '');
    await waitUntil('100 refused lines', () => refused.sum() === 100);
    assert.equal(logs.lines.filter((l) => l['level'] === 40).length, 1);
    await rx.shutdown();
  });

  test('aggregation_interval drives flushes; shutdown flushes the last interval and is idempotent', async () => {
    const { rx, sink, registry } = await start({ aggregation_interval: '150ms' });
    await sendUdp(rx.address().port, ['c:1|c']);
    await waitUntil('a timed flush', () => sink.batches.length === 1);
    await sendUdp(rx.address().port, ['c:2|c']);
    await new Promise((r) => setTimeout(r, 20));
    await rx.shutdown();
    assert.equal(lines(registry), 2);
    await rx.shutdown();
    const values = sink.points('c').map((p) => p.value);
    assert.deepEqual(values, [1n, 2n]);
    const ps = sink.points('c');
    assert.equal(ps[1]!.startTimeUnixNano, ps[0]!.timeUnixNano, 'delta: start = previous flush');
  });

  test('client identity: all clients together by default, per IP:port with ignore_host: false, per IP', async () => {
    const cases = [
      { cfg: {}, values: [3n], keys: [] },
      { cfg: { ignore_host: false }, values: [1n, 2n], keys: ['client.address', 'client.port'] },
      { cfg: { enable_ip_only_aggregation: true }, values: [3n], keys: ['client.address'] },
    ];
    for (const c of cases) {
      const { rx, sink } = await start({ aggregation_interval: '1h', ...c.cfg });
      // Two sockets: two client ports on the same IP.
      await sendUdp(rx.address().port, ['c:1|c']);
      await sendUdp(rx.address().port, ['c:2|c']);
      await new Promise((r) => setTimeout(r, 100));
      await rx.shutdown();
      const values = sink.points('c').map((p) => p.value);
      assert.deepEqual(values, c.values, JSON.stringify(c.cfg));
      const keys = sink.batches[0]!.request().resourceMetrics[0]!.resource!.attributes.map((a) => a.key);
      assert.deepEqual(keys, c.keys, JSON.stringify(c.cfg));
    }
  });

  test('memory guard over its limit: datagrams are refused and counted as bad requests', async () => {
    const { rx, sink, registry, host } = await start({ aggregation_interval: '1h' });
    host.guardMs = 500;
    await new Promise((r) => setTimeout(r, 400));
    await sendUdp(rx.address().port, ['c:1|c']);
    const bad = registry.counter('switchyard_receiver_bad_requests_total', '');
    await waitUntil(
      'memory refusal',
      () => bad.get({ receiver: 'statsd', transport: 'udp', reason: 'memory_limit' }) === 1,
    );
    host.guardMs = undefined;
    await new Promise((r) => setTimeout(r, 400));
    await sendUdp(rx.address().port, ['c:5|c']);
    await new Promise((r) => setTimeout(r, 100));
    await rx.shutdown();
    assert.deepEqual(
      sink.points('c').map((p) => p.value),
      [5n],
    );
  });

  test('TCP: newline-delimited lines split across writes; over-long lines refused; last partial line kept', async () => {
    const { rx, sink, registry } = await start({ transport: 'tcp', aggregation_interval: '1h', max_line_length: 64 });
    const port = rx.address().port;
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const write = (s: string) => new Promise<void>((r) => sock.write(s, () => r()));
    await write('t:1|c\nt:');
    await new Promise((r) => setTimeout(r, 30));
    await write('2|c\n');
    await write(`long:${'9'.repeat(100)}|c\nt:4|c\n`);
    await write(`x${'y'.repeat(80)}`);
    await new Promise((r) => setTimeout(r, 30));
    await write(`yy:1|c\nt:8|c`);
    await new Promise<void>((r) => sock.end(() => r()));
    await new Promise((r) => setTimeout(r, 150));
    await rx.shutdown();
    assert.deepEqual(
      sink.points('t').map((p) => p.value),
      [15n],
    );
    const refused = registry.counter('otelcol_receiver_refused_metric_points_total', '');
    assert.equal(refused.get({ receiver: 'statsd', transport: 'tcp', reason: 'line_too_long' }), 2);
  });

  test('unixgram: bound with socket_permissions, receives datagrams, removes the socket on shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statsd-unix-'));
    const path = join(dir, 'statsd.sock');
    try {
      const { rx, sink } = await start({
        transport: 'unixgram',
        endpoint: path,
        socket_permissions: '0640',
        aggregation_interval: '1h',
      });
      assert.equal(statSync(path).mode & 0o777, 0o640);
      const dgram = createRequire(import.meta.url)('unix-dgram') as {
        createSocket(t: 'unix_dgram'): {
          send(b: Buffer, o: number, l: number, p: string, cb: (e?: Error) => void): void;
          close(): void;
        };
      };
      const c = dgram.createSocket('unix_dgram');
      const msg = Buffer.from('u:1|c\nu:2|c|#k:v');
      await new Promise<void>((r, j) => c.send(msg, 0, msg.length, path, (e) => (e ? j(e) : r())));
      c.close();
      await new Promise((r) => setTimeout(r, 100));
      await rx.shutdown();
      assert.equal(sink.points('u').length, 2);
      assert.deepEqual(sink.batches[0]!.request().resourceMetrics[0]!.resource!.attributes, []);
      assert.throws(() => statSync(path));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('hot-shots clients over TCP and over a unix datagram socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statsd-hs-'));
    try {
      for (const protocol of ['tcp', 'uds'] as const) {
        const path = join(dir, 'hs.sock');
        const { rx, sink } = await start(
          protocol === 'tcp'
            ? { transport: 'tcp', aggregation_interval: '1h' }
            : { transport: 'unixgram', endpoint: path, aggregation_interval: '1h' },
        );
        const client = new StatsD({
          protocol,
          host: '127.0.0.1',
          port: rx.address().port,
          path,
          prefix: 'hs.',
          errorHandler: (e) => assert.fail(e),
        });
        for (let i = 0; i < 10; i++) {
          client.increment('c', 2, { env: 'x' });
          client.gauge('g', i);
          client.timing('t', i);
          client.set('s', `m${i % 3}`);
        }
        await new Promise<void>((r) => client.close(() => r()));
        await new Promise((r) => setTimeout(r, 150));
        await rx.shutdown();
        assert.equal(sink.points('hs.c')[0]?.value, 20n, protocol);
        assert.equal(sink.points('hs.g')[0]?.value, 9, protocol);
        assert.equal(sink.points('hs.t').length, 10, protocol);
        assert.equal(sink.points('hs.s')[0]?.value, 3n, protocol);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a taken port fails start with EADDRINUSE', async () => {
    const first = await start({ aggregation_interval: '1h' });
    await assert.rejects(start({ endpoint: `127.0.0.1:${first.rx.address().port}` }), /EADDRINUSE/);
    await first.rx.shutdown();
  });
});

describe('statsd receiver config', () => {
  test('defaults follow the Collector: 127.0.0.1:8125 udp, 60s, timer and histogram as gauge', () => {
    const d = createDefaultStatsdConfig();
    assert.equal(d.endpoint, '127.0.0.1:8125');
    assert.equal(d.transport, 'udp');
    assert.equal(d.aggregation_interval, '60s');
    assert.deepEqual(d.timer_histogram_mapping, [
      { statsd_type: 'timer', observer_type: 'gauge' },
      { statsd_type: 'histogram', observer_type: 'gauge' },
    ]);
    assert.deepEqual(validateStatsdConfig(d), []);
  });

  test('cross-field problems are reported with their path', () => {
    const problems = validateStatsdConfig({
      endpoint: 'localhost',
      timer_histogram_mapping: [
        { statsd_type: 'timer', observer_type: 'gauge', histogram: { max_size: 10 } },
        { statsd_type: 'timing', observer_type: 'summary' },
        { statsd_type: 'distribution', observer_type: 'histogram', summary: { percentiles: [50] } },
      ],
    });
    assert.deepEqual(
      problems.map((p) => p.path.join('.')),
      [
        'endpoint',
        'timer_histogram_mapping.0.histogram',
        'timer_histogram_mapping.1.statsd_type',
        'timer_histogram_mapping.2.summary',
      ],
    );
    assert.deepEqual(validateStatsdConfig({ transport: 'unixgram', endpoint: '127.0.0.1:9' }).length, 1);
    assert.deepEqual(validateStatsdConfig({ transport: 'unixgram', endpoint: '/tmp/x.sock' }), []);
    assert.deepEqual(
      validateStatsdConfig({ ignore_host: true, enable_ip_only_aggregation: true }).map((p) => p.path.join('.')),
      ['enable_ip_only_aggregation'],
    );
    assert.deepEqual(
      validateStatsdConfig({ gauge_expiry: '5m' }).map((p) => p.path.join('.')),
      ['gauge_expiry'],
    );
    assert.deepEqual(validateStatsdConfig({ persist_gauges: true, gauge_expiry: '5m' }), []);
    assert.deepEqual(validateStatsdConfig({ transport: 'tcp', endpoint: '[::1]:8125' }), []);
  });
});

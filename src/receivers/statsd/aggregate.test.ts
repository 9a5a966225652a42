import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  ExponentialHistogramDataPoint,
  ExportMetricsServiceRequest,
  KeyValue,
  Metric,
  NumberDataPoint,
  SummaryDataPoint,
} from '../../pdata/model.js';
import { Aggregator, type RefuseReason, weightedQuantiles } from './aggregate.js';
import { resolveStatsdConfig, type StatsdReceiverConfig } from './config.js';
import { parseText } from './parse.js';

interface Harness {
  readonly agg: Aggregator;
  readonly refused: Map<RefuseReason, number>;
  send(text: string, client?: string): void;
  flush(atMs: number): ExportMetricsServiceRequest | undefined;
}

function harness(cfg: StatsdReceiverConfig = {}, startMs = 1_000): Harness {
  const refused = new Map<RefuseReason, number>();
  const agg = new Aggregator(
    resolveStatsdConfig(cfg),
    (reason, n) => refused.set(reason, (refused.get(reason) ?? 0) + n),
    startMs,
  );
  return {
    agg,
    refused,
    send(text, client = 'c1') {
      parseText(
        text,
        agg.forClient(client, () => [{ key: 'client.address', value: client }]),
        (_l, reason) => refused.set(reason, (refused.get(reason) ?? 0) + 1),
      );
    },
    flush: (atMs) => agg.flush(atMs),
  };
}

function metrics(req: ExportMetricsServiceRequest | undefined): Metric[] {
  assert.ok(req !== undefined, 'expected a request');
  return req.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
}

function find(req: ExportMetricsServiceRequest | undefined, name: string): Metric {
  const m = metrics(req).filter((x) => x.name === name);
  assert.equal(m.length, 1, `one metric named ${name}`);
  return m[0]!;
}

function numberPoints(m: Metric): NumberDataPoint[] {
  const d = m.data;
  assert.ok(d !== undefined && (d.type === 'gauge' || d.type === 'sum'), `${m.name} is a number metric`);
  return d.dataPoints;
}

function onlyValue(m: Metric): number | bigint | undefined {
  const p = numberPoints(m);
  assert.equal(p.length, 1);
  return p[0]!.value;
}

function attrs(kvs: KeyValue[]): Record<string, unknown> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, kv.value]));
}

const HISTO: StatsdReceiverConfig = {
  timer_histogram_mapping: [
    { statsd_type: 'timing', observer_type: 'histogram' },
    { statsd_type: 'distribution', observer_type: 'histogram', histogram: { max_size: 40 } },
  ],
};

describe('statsd aggregation: counters', () => {
  test('sample rates weigh each value by 1/rate without truncation; delta sum, start = previous flush', () => {
    const h = harness({}, 1_000);
    h.send('c:20|c|@0.3\nc:1|c');
    const req = h.flush(2_000);
    const m = find(req, 'c');
    assert.equal(m.data?.type, 'sum');
    if (m.data?.type !== 'sum') return;
    assert.equal(m.data.aggregationTemporality, 1);
    assert.equal(m.data.isMonotonic, false);
    const p = m.data.dataPoints[0]!;
    assert.equal(p.value, 20 / 0.3 + 1);
    assert.equal(p.startTimeUnixNano, 1_000_000_000n);
    assert.equal(p.timeUnixNano, 2_000_000_000n);
    h.send('c:1|c');
    const p2 = numberPoints(find(h.flush(3_500), 'c'))[0]!;
    assert.equal(p2.startTimeUnixNano, 2_000_000_000n);
    assert.equal(p2.timeUnixNano, 3_500_000_000n);
  });

  test('integral totals are int64 (bigint), others double; packed values and negatives add up', () => {
    const h = harness({ is_monotonic_counter: true });
    h.send('a:1:2:3|c\na:4|c|@0.5\nb:1.5|c\nneg:-4|c\nneg:1|c');
    const req = h.flush(2_000);
    assert.equal(onlyValue(find(req, 'a')), 14n);
    assert.equal(onlyValue(find(req, 'b')), 1.5);
    assert.equal(onlyValue(find(req, 'neg')), -3n);
    const a = find(req, 'a');
    assert.ok(a.data?.type === 'sum' && a.data.isMonotonic);
  });

  test('state resets every interval: nothing sent means no request', () => {
    const h = harness();
    h.send('c:1|c');
    assert.ok(h.flush(2_000) !== undefined);
    assert.equal(h.flush(3_000), undefined);
  });
});

describe('statsd aggregation: gauges', () => {
  test('plain values set, signed values add within the interval; a delta on a new gauge sets it', () => {
    const h = harness();
    h.send('g:10|g\ng:+5|g\ng:-3|g\nnew:-7|g\npacked:1:+2:+3|g');
    const req = h.flush(2_000);
    assert.equal(onlyValue(find(req, 'g')), 12);
    assert.equal(onlyValue(find(req, 'new')), -7);
    assert.equal(onlyValue(find(req, 'packed')), 6);
  });

  test('default (Collector): gauges do not persist, a delta in the next interval starts over', () => {
    const h = harness();
    h.send('g:10|g');
    h.flush(2_000);
    h.send('g:+1|g');
    assert.equal(onlyValue(find(h.flush(3_000), 'g')), 1);
    assert.equal(h.flush(4_000), undefined);
  });

  test('persist_gauges (Etsy): the last value is reported every interval and deltas apply to it', () => {
    const h = harness({ persist_gauges: true });
    h.send('g:10|g');
    assert.equal(onlyValue(find(h.flush(2_000), 'g')), 10);
    assert.equal(onlyValue(find(h.flush(3_000), 'g')), 10);
    h.send('g:+1|g\ng:-0.5|g');
    assert.equal(onlyValue(find(h.flush(4_000), 'g')), 10.5);
    assert.equal(h.agg.series, 1);
  });

  test('gauge_expiry: a persisted gauge without writes stops being reported, a written one stays', () => {
    // interval 1s, expiry 2s: reported in the interval of its write and one more, then forgotten.
    const h = harness({ persist_gauges: true, aggregation_interval: '1s', gauge_expiry: '2s' });
    h.send('idle:1|g\nbusy:1|g');
    assert.deepEqual(
      metrics(h.flush(2_000))
        .map((m) => m.name)
        .sort(),
      ['busy', 'idle'],
    );
    h.send('busy:2|g');
    assert.deepEqual(
      metrics(h.flush(3_000))
        .map((m) => m.name)
        .sort(),
      ['busy', 'idle'],
    );
    h.send('busy:3|g');
    const third = h.flush(4_000);
    assert.deepEqual(
      metrics(third).map((m) => m.name),
      ['busy'],
    );
    assert.equal(onlyValue(find(third, 'busy')), 3);
    assert.equal(h.agg.expiredGauges, 1);
    assert.equal(h.agg.series, 1);
    // A delta after expiry sets the gauge afresh instead of adding to the forgotten value.
    h.send('idle:+5|g');
    assert.equal(onlyValue(find(h.flush(5_000), 'idle')), 5);
  });
});

describe('statsd aggregation: sets', () => {
  test('distinct members per interval, as an int gauge; reset next interval', () => {
    const h = harness();
    h.send('u:alice|s\nu:bob|s\nu:alice|s\nu:42|s');
    assert.equal(onlyValue(find(h.flush(2_000), 'u')), 3n);
    h.send('u:alice|s');
    assert.equal(onlyValue(find(h.flush(3_000), 'u')), 1n);
  });

  test('members beyond max_set_members are refused and counted', () => {
    const h = harness({ max_set_members: 2 });
    h.send('u:a|s\nu:b|s\nu:c|s\nu:a|s');
    assert.equal(onlyValue(find(h.flush(2_000), 'u')), 2n);
    assert.equal(h.refused.get('set_limit'), 1);
  });
});

describe('statsd aggregation: timers and histograms', () => {
  test('default mapping: timers and histograms are gauges, every sample a point; distribution shares histogram', () => {
    const h = harness();
    h.send('t:1:2|ms\nt:3|ms|@0.1\nh:5|h\nd:7|d');
    const req = h.flush(2_000);
    assert.deepEqual(
      numberPoints(find(req, 't')).map((p) => p.value),
      [1, 2, 3],
    );
    assert.equal(find(req, 't').data?.type, 'gauge');
    assert.deepEqual(
      numberPoints(find(req, 'h')).map((p) => p.value),
      [5],
    );
    assert.deepEqual(
      numberPoints(find(req, 'd')).map((p) => p.value),
      [7],
    );
  });

  test('an unmapped type is disabled: its lines are refused with reason disabled', () => {
    const h = harness({ timer_histogram_mapping: [{ statsd_type: 'timer', observer_type: 'gauge' }] });
    h.send('t:1|ms\nh:5|h\nd:1|d\nc:1|c');
    const req = h.flush(2_000);
    assert.deepEqual(
      metrics(req)
        .map((m) => m.name)
        .sort(),
      ['c', 't'],
    );
    assert.equal(h.refused.get('disabled'), 2);
  });

  test('histogram observer: delta exponential histogram with count, sum, min, max; weights 1/rate', () => {
    const h = harness(HISTO, 0);
    h.send('t:1:2:4|ms\nt:100|ms|@0.5\nd:0.5|d');
    const req = h.flush(10_000);
    const t = find(req, 't');
    assert.equal(t.data?.type, 'exponentialHistogram');
    if (t.data?.type !== 'exponentialHistogram') return;
    assert.equal(t.data.aggregationTemporality, 1);
    const p = t.data.dataPoints[0]!;
    assert.equal(p.count, 5n);
    assert.equal(p.sum, 1 + 2 + 4 + 200);
    assert.equal(p.min, 1);
    assert.equal(p.max, 100);
    assert.equal(p.startTimeUnixNano, 0n);
    assert.equal(p.timeUnixNano, 10_000_000_000n);
    const d = find(req, 'd');
    assert.ok(d.data?.type === 'exponentialHistogram');
  });

  test('fractional weights carry over so the interval count is not truncated per line', () => {
    const h = harness(HISTO);
    h.send('t:1|ms|@0.3\nt:1|ms|@0.3\nt:1|ms|@0.3');
    const t = find(h.flush(2_000), 't');
    const p = (t.data as { dataPoints: ExponentialHistogramDataPoint[] }).dataPoints[0]!;
    assert.equal(p.count, 10n);
  });

  test('histogram max_size bounds the buckets (scale goes down)', () => {
    const h = harness(HISTO);
    const values = Array.from({ length: 200 }, (_, i) => (i + 1) * 37.5);
    h.send(values.map((v) => `d:${v}|d`).join('\n'));
    const d = find(h.flush(2_000), 'd');
    const p = (d.data as { dataPoints: ExponentialHistogramDataPoint[] }).dataPoints[0]!;
    assert.ok((p.positive?.bucketCounts.length ?? 0) <= 40);
    assert.equal(p.count, 200n);
    assert.ok(p.scale < 20);
  });

  test('summary observer: weighted quantiles at the configured percentiles, count = Σ weights', () => {
    const h = harness({
      timer_histogram_mapping: [
        { statsd_type: 'timer', observer_type: 'summary', summary: { percentiles: [50, 0, 100, 90] } },
      ],
    });
    h.send('t:1:2:3:4|ms\nt:10|ms|@0.25');
    const t = find(h.flush(2_000), 't');
    assert.equal(t.data?.type, 'summary');
    const p = (t.data as { dataPoints: SummaryDataPoint[] }).dataPoints[0]!;
    assert.equal(p.count, 8n);
    assert.equal(p.sum, 1 + 2 + 3 + 4 + 40);
    assert.deepEqual(p.quantileValues, [
      { quantile: 0, value: 1 },
      { quantile: 0.5, value: 4 },
      { quantile: 0.9, value: 10 },
      { quantile: 1, value: 10 },
    ]);
  });

  test('weightedQuantiles with equal weights picks the first sample reaching p% of the count', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    const q = weightedQuantiles(values, new Array<number>(100).fill(1), [0, 10, 50, 99, 100]);
    assert.deepEqual(
      q.quantiles.map((x) => x.value),
      [1, 10, 50, 99, 100],
    );
    assert.equal(q.count, 100);
  });

  test('max_samples_per_interval bounds raw samples of gauge/summary observers', () => {
    const h = harness({ max_samples_per_interval: 3 });
    h.send('t:1:2|ms\nt:3:4|ms\nt:5|ms');
    assert.equal(numberPoints(find(h.flush(2_000), 't')).length, 3);
    assert.equal(h.refused.get('sample_limit'), 1);
  });
});

describe('statsd aggregation: attributes and series', () => {
  test('DogStatsD tags, container id and metric_type become point attributes; tag order does not matter', () => {
    const h = harness({ enable_metric_type: true });
    h.send('c:1|c|#env:prod,region:eu|c:abc123\nc:2|c|#region:eu,env:prod|c:abc123\nc:4|c|#env:dev');
    const ps = numberPoints(find(h.flush(2_000), 'c'));
    assert.equal(ps.length, 2);
    const prod = ps.find((p) => attrs(p.attributes)['env'] === 'prod')!;
    assert.deepEqual(attrs(prod.attributes), {
      'container.id': 'abc123',
      env: 'prod',
      metric_type: 'counter',
      region: 'eu',
    });
    assert.equal(prod.value, 3n);
    assert.deepEqual(
      prod.attributes.map((a) => a.key),
      ['container.id', 'env', 'metric_type', 'region'],
    );
  });

  test('simple tags are refused unless enable_simple_tags, which keeps them with an empty value', () => {
    const off = harness();
    off.send('c:1|c|#flag,env:x\nc:1|c|#env:x');
    assert.equal(onlyValue(find(off.flush(2_000), 'c')), 1n);
    assert.equal(off.refused.get('simple_tags'), 1);
    const on = harness({ enable_simple_tags: true });
    on.send('c:1|c|#flag,env:x');
    const p = numberPoints(find(on.flush(2_000), 'c'))[0]!;
    assert.deepEqual(attrs(p.attributes), { env: 'x', flag: '' });
  });

  test('same name with different types are different series (and metrics)', () => {
    const h = harness();
    h.send('x:1|c\nx:5|g');
    const ms = metrics(h.flush(2_000)).filter((m) => m.name === 'x');
    assert.deepEqual(ms.map((m) => m.data?.type).sort(), ['gauge', 'sum']);
  });

  test('clients are separate resources', () => {
    const h = harness();
    h.send('c:1|c', '10.0.0.1');
    h.send('c:2|c', '10.0.0.2');
    const req = h.flush(2_000)!;
    assert.equal(req.resourceMetrics.length, 2);
    const byClient = req.resourceMetrics.map((r) => [
      attrs(r.resource?.attributes ?? [])['client.address'],
      r.scopeMetrics[0]!.metrics[0]!.data?.type === 'sum'
        ? (r.scopeMetrics[0]!.metrics[0]!.data.dataPoints[0]!.value as bigint)
        : undefined,
    ]);
    assert.deepEqual(byClient, [
      ['10.0.0.1', 1n],
      ['10.0.0.2', 2n],
    ]);
    assert.equal(req.resourceMetrics[0]!.scopeMetrics[0]!.scope?.name, 'switchyard/receiver/statsd');
  });

  test('max_series_per_interval refuses lines of new series (counted) and frees up at the next interval', () => {
    const h = harness({ max_series_per_interval: 2 });
    h.send('a:1|c\nb:1|c\nc:1|c\na:1|c|#k:v\na:5|c');
    const req = h.flush(2_000);
    assert.deepEqual(
      metrics(req)
        .map((m) => m.name)
        .sort(),
      ['a', 'b'],
    );
    assert.equal(onlyValue(find(req, 'a')), 6n);
    assert.equal(h.refused.get('series_limit'), 2);
    h.send('c:1|c');
    assert.equal(onlyValue(find(h.flush(3_000), 'c')), 1n);
  });

  test('bad lines are refused with their reason and never cost the rest of the packet', () => {
    const h = harness();
    h.send('ok:1|c\nbad:x|c\nno_type:1\n:1|c\nr:1|c|@2\n_e{1,1}:a|b\nok:2|c\nz:1|zz');
    assert.equal(onlyValue(find(h.flush(2_000), 'ok')), 3n);
    assert.deepEqual(Object.fromEntries(h.refused), {
      bad_value: 1,
      bad_type: 2,
      bad_name: 1,
      bad_sample_rate: 1,
      unsupported: 1,
    });
    assert.equal(h.agg.acceptedLines, 2);
  });

  test('a tiny sample rate on a histogram-mapped timer is refused, not thrown (hostile input)', () => {
    const h = harness({ timer_histogram_mapping: [{ statsd_type: 'timer', observer_type: 'histogram' }] });
    assert.doesNotThrow(() => h.send('t:1|ms|@1e-16\nt:2|ms'));
    assert.equal(h.refused.get('bad_sample_rate'), 1);
    const m = find(h.flush(2_000), 't');
    assert.ok(m.data?.type === 'exponentialHistogram');
    assert.equal(m.data.dataPoints[0]?.count, 1n);
  });

  test('set members of all sets together stay within max_samples_per_interval (memory bound)', () => {
    const h = harness({ max_set_members: 100, max_samples_per_interval: 5 });
    h.send('a:1|s\na:2|s\na:3|s\nb:1|s\nb:2|s\nb:3|s\nc:1|s\na:1|s');
    assert.equal(h.refused.get('set_limit'), 2);
    const req = h.flush(2_000);
    assert.equal(onlyValue(find(req, 'a')), 3n);
    assert.equal(onlyValue(find(req, 'b')), 2n);
    // the budget is per interval
    h.send('c:1|s\nc:2|s');
    assert.equal(onlyValue(find(h.flush(3_000), 'c')), 2n);
  });
});

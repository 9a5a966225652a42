import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Batch } from '../pdata/batch.js';
import type { ExportMetricsServiceRequest, Metric } from '../pdata/model.js';
import { buildReport, metricDetail, suggestionFor, viewsYaml, yamlScalar } from './report.js';
import { DistinctSketch, standardError } from './sketch.js';
import { encode, gauge, kvs, metric, numberPoint, request, sum, userPoints } from './testing.js';
import { CardinalityTracker, KEY_PRECISION, SERIES_PRECISION } from './tracker.js';

const SERIES_BOUND = 3 * standardError(SERIES_PRECISION);
const KEY_BOUND = 3 * standardError(KEY_PRECISION);

function clock(start = 1_800_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function feed(tracker: CardinalityTracker, req: ExportMetricsServiceRequest): void {
  tracker.observe(Batch.fromProto('metrics', encode(req)));
}

function detail(tracker: CardinalityTracker, name: string) {
  const d = metricDetail(tracker, name);
  assert.ok(d, `${name} is tracked`);
  return d;
}

function key(tracker: CardinalityTracker, name: string, k: string) {
  const found = detail(tracker, name).keys?.find((x) => x.key === k);
  assert.ok(found, `${name} has key ${k}`);
  return found;
}

function within(actual: number, expected: number, bound: number, what: string): void {
  const err = Math.abs(actual - expected) / expected;
  assert.ok(
    err <= bound,
    `${what}: ${actual} vs ${expected} (${(err * 100).toFixed(1)}% > ${(bound * 100).toFixed(1)}%)`,
  );
}

describe('CardinalityTracker: exact below the threshold', () => {
  it('counts series, distinct values and the series left when a key is dropped', () => {
    const t = new CardinalityTracker();
    // 30 users: within the exact range of both the series sketch and the per-key sketches.
    feed(t, request([gauge('http.server.duration', userPoints(0, 30, 3))]));
    const d = detail(t, 'http.server.duration');
    assert.equal(d.activeSeries, 30);
    assert.equal(d.exact, true);
    assert.equal(d.type, 'gauge');
    assert.equal(d.points, 30);
    const user = key(t, 'http.server.duration', 'user_id');
    assert.deepEqual(
      { distinct: user.distinctValues, without: user.seriesWithoutKey, exact: user.exact, scope: user.scope },
      { distinct: 30, without: 3, exact: true, scope: 'point' },
    );
    const method = key(t, 'http.server.duration', 'http.request.method');
    assert.equal(method.distinctValues, 3);
    assert.equal(method.seriesWithoutKey, 30, 'user_id alone still tells every series apart');
    const svc = key(t, 'http.server.duration', 'service.name');
    assert.deepEqual([svc.scope, svc.distinctValues, svc.seriesWithoutKey], ['resource', 1, null]);
  });

  it('counts a repeated series once, whatever the order of its attributes', () => {
    const t = new CardinalityTracker();
    const points = userPoints(0, 10);
    feed(t, request([gauge('m', points)]));
    const reversed = points.map((p) => Object.fromEntries(Object.entries(p).reverse()));
    feed(t, request([gauge('m', reversed)]));
    assert.equal(detail(t, 'm').activeSeries, 10);
    assert.equal(detail(t, 'm').points, 20);
  });

  it('tells series apart by resource and by point kind; a point without a key keeps its series when the key is dropped', () => {
    const t = new CardinalityTracker();
    const pts = [{ a: '1' }, { a: '2' }];
    feed(t, request([gauge('m', pts)], { 'service.name': 'x' }));
    feed(t, request([gauge('m', pts)], { 'service.name': 'y' }));
    feed(t, request([sum('m', pts)], { 'service.name': 'x' }));
    const all = buildReport(t, { withKeys: true });
    const g = all.metrics.find((m) => m.type === 'gauge');
    const s = all.metrics.find((m) => m.type === 'sum');
    assert.equal(g?.activeSeries, 4, 'two resources x two points');
    assert.equal(s?.activeSeries, 2);
    // A later point without `a`, then a new key `b` on one point only.
    feed(t, request([gauge('m', [{}, { b: 'z', a: '1' }])], { 'service.name': 'x' }));
    const d = metricDetail(t, 'm', 'gauge');
    assert.equal(d?.activeSeries, 6);
    const a = d?.keys?.find((k) => k.key === 'a');
    const b = d?.keys?.find((k) => k.key === 'b');
    // Dropping `a`: {x}, {y}, {x, b=z} -> 3 series.
    assert.equal(a?.seriesWithoutKey, 3);
    // Dropping `b`: {b=z,a=1}@x merges with {a=1}@x -> 5 series (earlier points seeded the projection).
    assert.equal(b?.seriesWithoutKey, 5);
  });

  it('reads every point kind (attributes sit in different fields)', () => {
    const t = new CardinalityTracker();
    const attrs = kvs({ k: 'v' });
    const base = { attributes: attrs, startTimeUnixNano: 1n, timeUnixNano: 2n, count: 1n, flags: 0, exemplars: [] };
    const metrics: Metric[] = [
      metric('h', {
        type: 'histogram',
        aggregationTemporality: 2,
        dataPoints: [{ ...base, sum: 1, bucketCounts: [1n], explicitBounds: [] }],
      }),
      metric('e', {
        type: 'exponentialHistogram',
        aggregationTemporality: 2,
        dataPoints: [{ ...base, scale: 0, zeroCount: 0n, zeroThreshold: 0 }],
      }),
      metric('s', {
        type: 'summary',
        dataPoints: [
          {
            attributes: attrs,
            startTimeUnixNano: 1n,
            timeUnixNano: 2n,
            count: 1n,
            sum: 1,
            quantileValues: [],
            flags: 0,
          },
        ],
      }),
      metric('n', { type: 'gauge', dataPoints: [numberPoint({ k: 'v' })] }),
    ];
    feed(t, request(metrics));
    for (const [name, type] of [
      ['h', 'histogram'],
      ['e', 'exponential_histogram'],
      ['s', 'summary'],
      ['n', 'gauge'],
    ] as const) {
      const d = detail(t, name);
      assert.equal(d.type, type);
      assert.equal(key(t, name, 'k').distinctValues, 1, name);
    }
  });

  it('never changes the batch', () => {
    const t = new CardinalityTracker();
    const req = request([gauge('m', userPoints(0, 5))]);
    const snapshot = structuredClone(req);
    const b = Batch.fromRequest('metrics', req);
    b.markReadOnly();
    t.observe(b);
    assert.deepEqual(b.request(), snapshot);
    assert.equal(b.readOnly, true);
    const bytes = encode(snapshot);
    const pb = Batch.fromProto('metrics', bytes);
    t.observe(pb);
    assert.equal(pb.toProto(), bytes, 'the very bytes it arrived as');
    assert.equal(detail(t, 'm').activeSeries, 5);
    assert.equal(t.totals.errors, 0);
  });

  it('counts unreadable bytes as errors and keeps going', () => {
    const t = new CardinalityTracker();
    t.observeProto(new Uint8Array(0));
    assert.throws(() => t.observeProto(Uint8Array.from([0x0a, 0x7f, 0x01])));
    feed(t, request([gauge('m', [{ a: '1' }])]));
    assert.equal(detail(t, 'm').activeSeries, 1);
  });

  it('shows a few truncated examples and none of secret-looking keys', () => {
    const t = new CardinalityTracker();
    const long = 'x'.repeat(500);
    feed(
      t,
      request([
        gauge('m', [
          { path: long, api_key: 'sk-live-123' },
          { path: '/a', api_key: 'sk-live-456' },
        ]),
      ]),
    );
    const path = key(t, 'm', 'path');
    assert.equal(path.examples.length, 2);
    assert.ok((path.examples[0] as string).length <= 40 && (path.examples[0] as string).endsWith('…'));
    assert.deepEqual(key(t, 'm', 'api_key').examples, ['[REDACTED]']);
    assert.doesNotMatch(JSON.stringify(buildReport(t, { withKeys: true })), /sk-live/);
  });
});

describe('CardinalityTracker: estimates above the threshold', () => {
  it('series, distinct values and projections are within 3 standard errors', () => {
    const t = new CardinalityTracker();
    const n = 40_000;
    for (let i = 0; i < n; i += 2000) feed(t, request([gauge('http.server.duration', userPoints(i, 2000))]));
    const d = detail(t, 'http.server.duration');
    assert.equal(d.exact, false);
    within(d.activeSeries, n, SERIES_BOUND, 'active series');
    const user = key(t, 'http.server.duration', 'user_id');
    within(user.distinctValues, n, KEY_BOUND, 'user_id values');
    assert.equal(user.seriesWithoutKey, 4, 'small projections stay exact');
    const method = key(t, 'http.server.duration', 'http.request.method');
    within(method.seriesWithoutKey as number, n, KEY_BOUND, 'series without method');
    const s = suggestionFor(d);
    assert.ok(s);
    assert.equal(s.key, 'user_id');
    assert.equal(s.seriesAfter, 4);
    assert.match(s.text, /^drop `user_id` on `http.server.duration`: [\d,]+ -> 4 series$/);
  });
});

describe('CardinalityTracker: bounded memory', () => {
  it('a 200,000-series burst on one metric stays within a few KiB of sketches', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const t = new CardinalityTracker();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200_000; i += 5000) feed(t, request([gauge('burst', userPoints(i, 5000))]));
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    within(detail(t, 'burst').activeSeries, 200_000, SERIES_BOUND, 'burst series');
    assert.ok(t.bytes() < 32 * 1024, `tracker holds ${t.bytes()} bytes`);
    assert.ok(grown < 8 * 1024 * 1024, `heap grew ${grown} bytes`);
  });

  it('caps metric names and keys, counting what overflowed', () => {
    const t = new CardinalityTracker({ maxMetrics: 50, maxKeysPerMetric: 2 });
    const metrics: Metric[] = [];
    for (let i = 0; i < 3000; i++) metrics.push(gauge(`metric_${i}`, [{ a: '1', b: '2', c: '3', d: `${i}` }]));
    feed(t, request(metrics));
    const r = buildReport(t, { limit: 1000 });
    assert.equal(t.size, 50);
    assert.equal(r.totals.metrics, 50);
    assert.equal(r.totals.overflowPoints, 2950);
    within(r.totals.overflowMetricNames, 2950, KEY_BOUND, 'overflowed names');
    const d = detail(t, 'metric_0');
    assert.equal(d.keys?.filter((k) => k.scope === 'point').length, 2);
    assert.equal(d.keyOverflow, 2);
    // 1000 metrics with 100k series in all: the worst case per metric is far from reached.
    assert.ok(t.bytes() < 50 * 4096, `${t.bytes()} bytes for 50 small metrics`);
  });

  it('forgets metrics not seen for a window when the cap is reached', () => {
    const c = clock();
    const t = new CardinalityTracker({ maxMetrics: 2, windowMs: 5 * 60_000, now: c.now });
    feed(t, request([gauge('a', [{}]), gauge('b', [{}])]));
    feed(t, request([gauge('c', [{}])]));
    assert.equal(t.totals.overflowPoints, 1);
    c.advance(6 * 60_000);
    feed(t, request([gauge('c', [{}])]));
    assert.ok(metricDetail(t, 'c'), 'c took the place of a forgotten metric');
    assert.equal(t.size, 1);
  });
});

describe('CardinalityTracker: growth', () => {
  it('keeps distinct series per minute for the window and forgets older ones', () => {
    const c = clock(1_800_000_000_000 - (1_800_000_000_000 % 60_000));
    const t = new CardinalityTracker({ windowMs: 15 * 60_000, now: c.now });
    for (let minute = 0; minute < 5; minute++) {
      // Each minute adds 100 new users and keeps reporting the old ones.
      feed(t, request([gauge('m', userPoints(0, (minute + 1) * 100))]));
      c.advance(60_000);
    }
    c.advance(-60_000);
    const d = detail(t, 'm');
    assert.equal(d.history.length, 15);
    assert.deepEqual(
      d.history.slice(-5),
      [100, 200, 300, 400, 500].map((n) => estimateOf(n)),
    );
    assert.deepEqual(d.history.slice(0, 10), new Array(10).fill(0));
    within(d.activeSeries, 500, SERIES_BOUND, 'window union');
    c.advance(16 * 60_000);
    assert.equal(buildReport(t).metrics.length, 0, 'nothing active after a quiet window');
  });
});

/** What a sketch reports for n distinct users (exact below the threshold, else the estimate). */
function estimateOf(n: number): number {
  const t = new CardinalityTracker();
  feed(t, request([gauge('m', userPoints(0, n))]));
  return detail(t, 'm').activeSeries;
}

describe('suggestions', () => {
  it('are not made for names the views selector would read as a glob (* and ? match other metrics)', () => {
    const t = new CardinalityTracker();
    feed(t, request([gauge('jobs?done', userPoints(0, 400)), gauge('jobs.done', userPoints(0, 400))]));
    const r = buildReport(t);
    assert.deepEqual(
      r.suggestions.map((s) => s.metric),
      ['jobs.done'],
    );
    assert.equal(suggestionFor(detail(t, 'jobs?done')), undefined);
    assert.equal(suggestionFor(detail(t, 'jobs.done'))?.key, 'user_id');
  });
});

describe('suggestion YAML', () => {
  it('has the fixed views shape, quoting names only when YAML needs it', () => {
    assert.equal(
      viewsYaml('http.server.duration', 'user_id'),
      `processors:
  views:
    views:
      - selector: {instrument_name: http.server.duration}
        stream: {attribute_keys: {excluded: [user_id]}}
`,
    );
    assert.equal(yamlScalar('a b: c'), '"a b: c"');
    assert.equal(yamlScalar('true'), '"true"');
    assert.equal(yamlScalar('{x}'), '"{x}"');
    const s = new DistinctSketch();
    assert.equal(s.estimate(), 0);
  });
});

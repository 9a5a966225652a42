import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { attrsKey } from '../../metrics/attrs.js';
import { ExpoHistogram } from '../../metrics/expohisto.js';
import { Batch } from '../../pdata/batch.js';
import {
  AggregationTemporality,
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type ExportMetricsServiceRequest,
  type HistogramDataPoint,
  type Metric,
  type MetricData,
  type NumberDataPoint,
} from '../../pdata/model.js';
import { defaultViewsConfig, type ViewConfig, validateViewsConfig } from './config.js';
import { attrs, harness, histPoint, metric, metricsOf, numberPoint, request } from './testing.js';

const CUM = AggregationTemporality.CUMULATIVE;

/** A full GC, whether or not the process was started with --expose-gc. */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
const DELTA = AggregationTemporality.DELTA;

function sum(name: string, points: NumberDataPoint[], temporality: number = CUM, mono = true): Metric {
  return metric(name, { type: 'sum', dataPoints: points, aggregationTemporality: temporality, isMonotonic: mono });
}

async function send(h: ReturnType<typeof harness>, req: ExportMetricsServiceRequest): Promise<void> {
  const b = Batch.fromRequest('metrics', req);
  b.markReadOnly();
  await h.processor.consume(b);
}

async function flushed(h: ReturnType<typeof harness>): Promise<Metric[]> {
  h.sink.take();
  await h.processor.flush();
  return h.sink.take().flatMap((b) => metricsOf(b.request()));
}

function numbers(m: Metric | undefined): Map<string, number> {
  const out = new Map<string, number>();
  assert.ok(m?.data !== undefined && (m.data.type === 'sum' || m.data.type === 'gauge'));
  for (const p of m.data.dataPoints) {
    const k = attrsKey(p.attributes);
    assert.ok(!out.has(k), `duplicate series ${k} in ${m.name}`);
    out.set(k, Number(p.value));
  }
  return out;
}

const dropUser: ViewConfig = {
  selector: { instrument_name: 'requests' },
  stream: { attribute_keys: { excluded: ['user'] } },
};

describe('views processor: pass-through', () => {
  it('forwards the very same batch when no view selects anything', async () => {
    const h = harness([{ selector: { instrument_name: 'other' } }]);
    const b = Batch.fromRequest('metrics', request([sum('requests', [numberPoint({ a: 1 }, 1n, 1n, 2n)])]));
    await h.processor.consume(b);
    assert.equal(h.sink.got[0], b);
  });

  it('passes unselected metrics on at once and holds selected ones until the interval', async () => {
    const h = harness([dropUser]);
    await send(
      h,
      request([
        sum('requests', [numberPoint({ user: 'u1', route: '/a' }, 3n, 10n, 20n)]),
        sum('other', [numberPoint({ user: 'u1' }, 7n, 10n, 20n)]),
      ]),
    );
    const now = h.sink.take();
    assert.equal(now.length, 1);
    assert.deepEqual(
      metricsOf(now[0]?.request()).map((m) => m.name),
      ['other'],
    );
    assert.equal(now[0]?.readOnly, true);
    const out = await flushed(h);
    assert.deepEqual(
      out.map((m) => m.name),
      ['requests'],
    );
  });
});

describe('views processor: dropping a key from cumulative counters', () => {
  it('sums sources exactly, through resets, with one point per output series', async () => {
    const h = harness([dropUser]);
    // two users on route /a, one on /b; u2 restarts (new start time) and u1's counter goes down (reset)
    await send(
      h,
      request([
        sum('requests', [
          numberPoint({ user: 'u1', route: '/a' }, 10n, 100n, 200n),
          numberPoint({ user: 'u2', route: '/a' }, 5n, 100n, 200n),
          numberPoint({ user: 'u3', route: '/b' }, 1n, 100n, 200n),
        ]),
      ]),
    );
    let out = await flushed(h);
    assert.deepEqual([...numbers(out[0]).values()].sort(), [1, 15]);
    await send(h, request([sum('requests', [numberPoint({ user: 'u1', route: '/a' }, 12n, 100n, 300n)])]));
    await send(h, request([sum('requests', [numberPoint({ user: 'u2', route: '/a' }, 4n, 250n, 300n)])]));
    out = await flushed(h);
    const a = attrsKey([{ key: 'route', value: '/a' }]);
    assert.equal(numbers(out[0]).get(a), 10 + 2 + 5 + 4);
    await send(h, request([sum('requests', [numberPoint({ user: 'u1', route: '/a' }, 3n, 100n, 400n)])]));
    out = await flushed(h);
    assert.equal(numbers(out[0]).get(a), 21 + 3);
    const m = out[0];
    assert.ok(m?.data?.type === 'sum');
    assert.equal(m.data.aggregationTemporality, CUM);
    assert.equal(m.data.isMonotonic, true);
    assert.equal(typeof m.data.dataPoints[0]?.value, 'bigint');
    assert.equal(h.registry.counter('switchyard_processor_views_resets_total', '').sum(), 2);
  });

  it('property: output equals the sum of true increments of every source (fast-check, seeded)', async () => {
    const step = fc.record({
      src: fc.nat({ max: 5 }),
      inc: fc.nat({ max: 1000 }),
      reset: fc.constantFrom('none', 'none', 'none', 'start', 'drop'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { maxLength: 12 }), { minLength: 1, maxLength: 8 }), async (rounds) => {
        const h = harness([dropUser], { state_expiry: '1h' });
        const value = new Map<number, number>();
        const start = new Map<number, bigint>();
        let truth = 0;
        let t = 1000n;
        for (const round of rounds) {
          const points: NumberDataPoint[] = [];
          const seen = new Set<number>();
          for (const s of round) {
            if (seen.has(s.src)) continue; // one point per input series per batch
            seen.add(s.src);
            t += 10n;
            let v = value.get(s.src);
            let st = start.get(s.src);
            if (v === undefined || st === undefined) {
              st = t - 5n;
              v = s.inc;
              truth += s.inc;
            } else if (s.reset === 'start') {
              st = t - 1n;
              v = s.inc;
              truth += s.inc;
            } else if (s.reset === 'drop' && s.inc < v) {
              v = s.inc; // counter went down: a reset with the same start time
              truth += s.inc;
            } else {
              v += s.inc;
              truth += s.inc;
            }
            value.set(s.src, v);
            start.set(s.src, st);
            points.push(numberPoint({ user: `u${s.src}`, route: '/r' }, BigInt(v), st, t));
          }
          await send(h, request([sum('requests', points)]));
          const out = await flushed(h);
          if (value.size === 0) continue;
          assert.equal(out.length, 1);
          const got = numbers(out[0]);
          assert.equal(got.size, 1, 'one output series');
          assert.equal([...got.values()][0], truth);
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('drops out-of-order points and ends the output series when every input ended', async () => {
    const h = harness([dropUser]);
    await send(h, request([sum('requests', [numberPoint({ user: 'u1' }, 10n, 100n, 200n)])]));
    await send(h, request([sum('requests', [numberPoint({ user: 'u1' }, 99n, 100n, 150n)])]));
    let out = await flushed(h);
    assert.equal([...numbers(out[0]).values()][0], 10);
    await send(
      h,
      request([sum('requests', [numberPoint({ user: 'u1' }, 0n, 100n, 300n, DATA_POINT_FLAG_NO_RECORDED_VALUE)])]),
    );
    out = await flushed(h);
    const p = out[0]?.data?.dataPoints[0];
    assert.equal(p?.flags, DATA_POINT_FLAG_NO_RECORDED_VALUE);
    assert.equal(h.processor.stats().outputSeries, 0);
    const dropped = h.registry.counter('switchyard_processor_views_dropped_points_total', '');
    assert.equal(dropped.get({ processor: 'views', reason: 'out_of_order' }), 1);
    assert.equal(dropped.get({ processor: 'views', reason: 'no_recorded_value' }), 1);
  });

  it('counts a first point with start == time in full (SDKs with millisecond clocks send those)', async () => {
    const h = harness([dropUser]);
    await send(h, request([sum('requests', [numberPoint({ user: 'u1' }, 100n, 200n, 200n)])]));
    await send(h, request([sum('requests', [numberPoint({ user: 'u1' }, 130n, 200n, 300n)])]));
    const out = await flushed(h);
    assert.equal([...numbers(out[0]).values()][0], 130);
  });
});

describe('views processor: temporality', () => {
  it('property: delta -> cumulative -> delta round-trips exactly (fast-check, seeded)', async () => {
    const point = fc.record({ series: fc.nat({ max: 4 }), v: fc.integer({ min: 0, max: 1_000_000 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(point, { maxLength: 10 }), { minLength: 1, maxLength: 10 }),
        async (rounds) => {
          const long = { state_expiry: '1h' };
          const toCum = harness([{ selector: { instrument_name: 'c' }, stream: { temporality: 'cumulative' } }], long);
          const toDelta = harness([{ selector: { instrument_name: 'c' }, stream: { temporality: 'delta' } }], long);
          let t = 1_000n;
          const live = new Set<string>();
          for (const round of rounds) {
            // Live cumulative series are re-emitted every interval, so they come back as zero deltas.
            const want = new Map<string, number>([...live].map((k) => [k, 0]));
            const points = round.map((p) => {
              const np = numberPoint({ s: `s${p.series}` }, BigInt(p.v), t, t + 10n);
              const k = attrsKey(np.attributes);
              want.set(k, (want.get(k) ?? 0) + p.v);
              live.add(k);
              return np;
            });
            t += 10n;
            toCum.setNow(t);
            toDelta.setNow(t);
            await send(toCum, request([sum('c', points, DELTA)]));
            const cum = await flushed(toCum);
            for (const m of cum) assert.ok(m.data?.type === 'sum' && m.data.aggregationTemporality === CUM);
            if (cum.length > 0) await send(toDelta, request(cum));
            const delta = await flushed(toDelta);
            const got = delta.length === 0 ? new Map<string, number>() : numbers(delta[0]);
            for (const m of delta) assert.ok(m.data?.type === 'sum' && m.data.aggregationTemporality === DELTA);
            assert.deepEqual(got, want);
          }
        },
      ),
      { seed: 7, numRuns: 100 },
    );
  });

  it('delta output windows are contiguous and start where the previous one ended', async () => {
    const h = harness([{ selector: { instrument_name: 'c' }, stream: { temporality: 'delta' } }]);
    const starts: bigint[] = [];
    const times: bigint[] = [];
    for (let i = 1n; i <= 3n; i++) {
      await send(h, request([sum('c', [numberPoint({}, 10n * i, 100n, 100n + i)])]));
      h.setNow(1000n * i);
      const out = await flushed(h);
      const p = out[0]?.data?.dataPoints[0];
      assert.ok(p !== undefined);
      assert.equal(Number((p as NumberDataPoint).value), 10);
      starts.push(p.startTimeUnixNano);
      times.push(p.timeUnixNano);
    }
    assert.equal(starts[0], 100n);
    assert.equal(starts[1], times[0]);
    assert.equal(starts[2], times[1]);
  });
});

describe('views processor: cardinality limit', () => {
  it('holds under a 100,000-series burst: limit series, one overflow series, nothing lost', async () => {
    const h = harness([{ selector: { instrument_name: 'burst' } }], { cardinality_limit: 2000 });
    fullGc();
    const before = process.memoryUsage().heapUsed;
    let total = 0;
    for (let b = 0; b < 100; b++) {
      const points: NumberDataPoint[] = [];
      for (let i = 0; i < 1000; i++) {
        const v = (b * 1000 + i) % 7;
        total += v;
        points.push(numberPoint({ id: `series-${b * 1000 + i}` }, BigInt(v), 1n, 2n));
      }
      await send(h, request([sum('burst', points, DELTA)]));
    }
    fullGc();
    const retained = process.memoryUsage().heapUsed - before;
    const st = h.processor.stats();
    assert.equal(st.outputSeries, 2000);
    assert.equal(st.inputSeries, 0);
    assert.ok(retained < 5 * 1024 * 1024, `retained ${retained} bytes for 2,000 series`);
    const out = await flushed(h);
    const got = numbers(out[0]);
    assert.equal(got.size, 2000);
    let outTotal = 0;
    for (const v of got.values()) outTotal += v;
    assert.equal(outTotal, total);
    const overflowKey = attrsKey([{ key: 'otel.metric.overflow', value: true }]);
    assert.ok(got.has(overflowKey));
    assert.equal(h.registry.counter('switchyard_processor_views_overflow_points_total', '').sum(), 100_000 - 1999);
  });

  it('cumulative 100,000-series burst: state stays under 400 bytes per tracked series', async () => {
    const h = harness([{ selector: { instrument_name: 'burst' } }]);
    fullGc();
    const before = process.memoryUsage().heapUsed;
    for (let b = 0; b < 100; b++) {
      const points: NumberDataPoint[] = [];
      for (let i = 0; i < 1000; i++) points.push(numberPoint({ id: `series-${b * 1000 + i}` }, 1n, 1n, 2n));
      await send(h, request([sum('burst', points)]));
    }
    fullGc();
    const retained = process.memoryUsage().heapUsed - before;
    const st = h.processor.stats();
    assert.equal(st.outputSeries, 2000);
    assert.equal(st.inputSeries, 100_000, 'every input tracked (the cap is 50 x the limit)');
    assert.ok(retained / 100_000 < 400, `retained ${retained / 100_000} bytes per series`);
  });

  it('bounds cumulative input state too (input_limit) and keeps exact sums for tracked inputs', async () => {
    const h = harness([{ selector: { instrument_name: 'burst' }, stream: { aggregation_cardinality_limit: 10 } }], {
      cardinality_limit: 2000,
    });
    const points: NumberDataPoint[] = [];
    for (let i = 0; i < 100_000; i++) points.push(numberPoint({ id: `s${i}` }, 1n, 1n, 2n));
    await send(h, request([sum('burst', points)]));
    const st = h.processor.stats();
    assert.equal(st.outputSeries, 10);
    assert.equal(st.inputSeries, 500);
    const dropped = h.registry.counter('switchyard_processor_views_dropped_points_total', '');
    assert.equal(dropped.get({ processor: 'views', reason: 'input_limit' }), 100_000 - 500);
    const out = await flushed(h);
    let t = 0;
    for (const v of numbers(out[0]).values()) t += v;
    assert.equal(t, 500);
  });
});

describe('views processor: rename, drop, gauges, histograms', () => {
  it('renames and sets the description; drop removes the stream and counts the points', async () => {
    const h = harness([
      { selector: { instrument_name: 'old' }, stream: { name: 'new', description: 'd' } },
      { selector: { instrument_name: 'noisy.*' }, stream: { aggregation: { drop: {} } } },
    ]);
    await send(
      h,
      request([
        sum('old', [numberPoint({}, 1n, 1n, 2n)]),
        sum('noisy.x', [numberPoint({}, 1n, 1n, 2n), numberPoint({ a: 1 }, 1n, 1n, 2n)]),
      ]),
    );
    assert.equal(h.sink.take().length, 0);
    const out = await flushed(h);
    assert.deepEqual(
      out.map((m) => [m.name, m.description]),
      [['new', 'd']],
    );
    assert.equal(
      h.registry
        .counter('switchyard_processor_views_dropped_points_total', '')
        .get({ processor: 'views', reason: 'drop_aggregation' }),
      2,
    );
  });

  it('gauges: the latest timestamp wins among sources; samples can become a histogram', async () => {
    const h = harness([
      { selector: { instrument_name: 'temp' }, stream: { attribute_keys: { included: ['room'] } } },
      {
        selector: { instrument_name: 'timer' },
        stream: { aggregation: { explicit_bucket_histogram: { boundaries: [10, 100] } }, temporality: 'delta' },
      },
    ]);
    await send(
      h,
      request([
        metric('temp', {
          type: 'gauge',
          dataPoints: [
            numberPoint({ room: 'a', sensor: '1' }, 20.5, 0n, 300n),
            numberPoint({ room: 'a', sensor: '2' }, 19.5, 0n, 200n),
          ],
        }),
        metric('timer', {
          type: 'gauge',
          dataPoints: [5, 50, 500, 50].map((v) => numberPoint({}, v + 0.5, 0n, 10n)),
        }),
      ]),
    );
    const out = await flushed(h);
    const temp = out.find((m) => m.name === 'temp');
    assert.deepEqual([...numbers(temp).values()], [20.5]);
    const timer = out.find((m) => m.name === 'timer');
    assert.ok(timer?.data?.type === 'histogram');
    const p = timer.data.dataPoints[0] as HistogramDataPoint;
    assert.deepEqual(p.bucketCounts, [1n, 2n, 1n]);
    assert.equal(p.count, 4n);
    assert.equal(p.sum, 607);
    assert.equal(p.min, 5.5);
    assert.equal(p.max, 500.5);
  });

  it('merges cumulative histograms bucket-wise after dropping a key, through a reset', async () => {
    const h = harness([{ selector: { instrument_name: 'lat' }, stream: { attribute_keys: { included: [] } } }]);
    const b = [1, 10];
    const hist = (points: HistogramDataPoint[]) =>
      metric('lat', { type: 'histogram', dataPoints: points, aggregationTemporality: CUM });
    await send(
      h,
      request([
        hist([
          histPoint({ pod: 'a' }, b, [1, 2, 3], 10n, 20n, { sum: 50 }),
          histPoint({ pod: 'b' }, b, [0, 1, 0], 10n, 20n, { sum: 5 }),
        ]),
      ]),
    );
    let out = await flushed(h);
    let p = out[0]?.data?.dataPoints[0] as HistogramDataPoint;
    assert.deepEqual(p.bucketCounts, [1n, 3n, 3n]);
    assert.equal(p.sum, 55);
    assert.equal(p.min, undefined, 'no min/max from cumulative inputs');
    await send(
      h,
      request([
        hist([
          histPoint({ pod: 'a' }, b, [1, 2, 4], 10n, 30n, { sum: 70 }),
          histPoint({ pod: 'b' }, b, [0, 1, 0], 25n, 30n, { sum: 2 }), // restarted
        ]),
      ]),
    );
    out = await flushed(h);
    p = out[0]?.data?.dataPoints[0] as HistogramDataPoint;
    assert.deepEqual(p.bucketCounts, [1n, 4n, 4n]);
    assert.equal(p.count, 9n);
    assert.equal(p.sum, 55 + 20 + 2);
  });

  it('property: cumulative histograms from several sources sum bucket-wise exactly, through resets, expiry and huge counts', async () => {
    const step = fc.record({
      src: fc.nat({ max: 4 }),
      bucket: fc.nat({ max: 2 }),
      inc: fc.oneof(fc.nat({ max: 50 }), fc.constant(2 ** 33)),
      reset: fc.constantFrom('none', 'none', 'none', 'start'),
    });
    const b = [1, 10];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(step, { maxLength: 8 }), { minLength: 1, maxLength: 8 }), async (rounds) => {
        const h = harness([{ selector: { instrument_name: 'lat' }, stream: { attribute_keys: { included: [] } } }], {
          interval: '1m',
          state_expiry: '2m',
        });
        const cum = new Map<number, number[]>();
        const start = new Map<number, bigint>();
        const truth = [0, 0, 0];
        let t = 100n;
        let everSent = false;
        const lastRound = new Map<number, number>();
        for (const [r, round] of rounds.entries()) {
          const points: HistogramDataPoint[] = [];
          const seen = new Set<number>();
          for (const s of round) {
            if (seen.has(s.src)) continue;
            seen.add(s.src);
            t += 10n;
            let c = cum.get(s.src);
            let st = start.get(s.src);
            if (c === undefined || st === undefined || s.reset === 'start') {
              c = [0, 0, 0];
              st = t - 1n;
            }
            c[s.bucket]! += s.inc;
            const last = lastRound.get(s.src);
            if (last !== undefined && r - last >= 3 && st !== t - 1n) {
              // state_expiry (2 intervals) forgot this input: it counts in full again, as a new series would
              for (const k of [0, 1, 2]) truth[k]! += c[k]!;
            } else {
              truth[s.bucket]! += s.inc;
            }
            lastRound.set(s.src, r);
            cum.set(s.src, c);
            start.set(s.src, st);
            points.push(histPoint({ pod: `p${s.src}` }, b, [...c], st, t));
          }
          if (points.length > 0) {
            await send(
              h,
              request([metric('lat', { type: 'histogram', dataPoints: points, aggregationTemporality: CUM })]),
            );
            everSent = true;
          }
          const out = await flushed(h);
          if (!everSent) continue;
          const p = out[0]?.data?.dataPoints[0] as HistogramDataPoint | undefined;
          if (p === undefined || p.flags !== 0) {
            // expired after two silent intervals: start over, as a new output stream would
            for (const k of [0, 1, 2]) truth[k] = 0;
            cum.clear();
            start.clear();
            lastRound.clear();
            everSent = false;
            continue;
          }
          assert.equal(out[0]?.data?.dataPoints.length, 1);
          assert.deepEqual(
            p.bucketCounts,
            truth.map((x) => BigInt(x)),
          );
        }
      }),
      { seed: 99, numRuns: 150 },
    );
  });

  it('converts explicit histograms to exponential and back with counts kept', async () => {
    const h = harness([
      {
        selector: { instrument_name: 'e2x' },
        stream: { aggregation: { base2_exponential_bucket_histogram: { max_size: 20 } } },
      },
    ]);
    await send(
      h,
      request([
        metric('e2x', {
          type: 'histogram',
          aggregationTemporality: DELTA,
          dataPoints: [histPoint({}, [1, 2, 4, 8], [0, 3, 2, 1, 0], 0n, 10n, { sum: 15, min: 1.5, max: 7 })],
        }),
      ]),
    );
    const out = await flushed(h);
    const d = out[0]?.data;
    assert.ok(d?.type === 'exponentialHistogram');
    const p = d.dataPoints[0];
    assert.equal(p?.count, 6n);
    assert.equal(p?.sum, 15);
    assert.equal(p?.min, 1.5);
    assert.equal(p?.max, 7);
    assert.equal(d.aggregationTemporality, DELTA);
  });

  it('emits dual statistics next to a distribution', async () => {
    const h = harness([
      {
        selector: { instrument_name: 'lat' },
        stream: { temporality: 'delta', dual_emit: { name: 'lat.stats', stats: ['min', 'max', 'sum', 'count'] } },
      },
    ]);
    await send(
      h,
      request([
        metric('lat', {
          type: 'histogram',
          aggregationTemporality: DELTA,
          dataPoints: [histPoint({}, [10], [1, 1], 0n, 10n, { sum: 25, min: 5, max: 20 })],
        }),
      ]),
    );
    const out = await flushed(h);
    const byName = new Map(out.map((m) => [m.name, m]));
    assert.deepEqual([...byName.keys()].sort(), [
      'lat',
      'lat.stats.count',
      'lat.stats.max',
      'lat.stats.min',
      'lat.stats.sum',
    ]);
    assert.deepEqual([...numbers(byName.get('lat.stats.count')).values()], [2]);
    assert.deepEqual([...numbers(byName.get('lat.stats.min')).values()], [5]);
    assert.deepEqual([...numbers(byName.get('lat.stats.max')).values()], [20]);
    assert.deepEqual([...numbers(byName.get('lat.stats.sum')).values()], [25]);
  });

  it('conflicting output names from two views: the first view wins, the other is counted', async () => {
    const h = harness([
      { selector: { instrument_name: 'a' }, stream: { name: 'x' } },
      { selector: { instrument_name: 'x' } },
    ]);
    await send(h, request([sum('a', [numberPoint({}, 1n, 1n, 2n)]), sum('x', [numberPoint({}, 2n, 1n, 2n)])]));
    const out = await flushed(h);
    assert.equal(out.length, 1);
    assert.deepEqual([...numbers(out[0]).values()], [1]);
    assert.equal(
      h.registry
        .counter('switchyard_processor_views_dropped_points_total', '')
        .get({ processor: 'views', reason: 'view_conflict' }),
      1,
    );
  });

  it('forgets state after state_expiry and ends cumulative outputs with a no-recorded-value point', async () => {
    const h = harness([{ selector: { instrument_name: 'c' } }], { interval: '1m', state_expiry: '2m' });
    await send(h, request([sum('c', [numberPoint({}, 1n, 1n, 2n)])]));
    assert.equal((await flushed(h)).length, 1);
    assert.equal((await flushed(h)).length, 1, 'cumulative series are re-emitted while live');
    const last = await flushed(h);
    assert.equal(last[0]?.data?.dataPoints[0]?.flags, DATA_POINT_FLAG_NO_RECORDED_VALUE);
    assert.deepEqual(h.processor.stats(), { outputMetrics: 0, outputSeries: 0, inputSeries: 0 });
  });
});

describe('views processor: exponential histograms, summaries, NaN', () => {
  it('re-aggregates cumulative exponential histograms from several sources, downscaling to a common scale', async () => {
    const h = harness([
      { selector: { instrument_type: 'exponential_histogram' }, stream: { attribute_keys: { included: [] } } },
    ]);
    const fine = new ExpoHistogram({ maxSize: 160 });
    const coarse = new ExpoHistogram({ maxSize: 4 });
    for (const v of [1.5, 2.5, 3.5]) fine.record(v);
    for (const v of [0.001, 1000, 5]) coarse.record(v);
    const meta = (pod: string, time: bigint) => ({
      attributes: attrs({ pod }),
      startTimeUnixNano: 1n,
      timeUnixNano: time,
    });
    const expo = (points: ReturnType<ExpoHistogram['toDataPoint']>[]) =>
      metric('e', { type: 'exponentialHistogram', dataPoints: points, aggregationTemporality: CUM });
    await send(h, request([expo([fine.toDataPoint(meta('a', 10n)), coarse.toDataPoint(meta('b', 10n))])]));
    let out = await flushed(h);
    let p = out[0]?.data?.dataPoints[0];
    assert.ok(p !== undefined && 'scale' in p);
    assert.equal(p.count, 6n);
    assert.ok(p.scale <= coarse.scale);
    fine.record(7);
    await send(h, request([expo([fine.toDataPoint(meta('a', 20n))])]));
    out = await flushed(h);
    p = out[0]?.data?.dataPoints[0];
    assert.ok(p !== undefined && 'scale' in p);
    assert.equal(p.count, 7n);
    assert.ok(Math.abs((p.sum ?? 0) - (1.5 + 2.5 + 3.5 + 7 + 0.001 + 1000 + 5)) < 1e-9);
    const total = (p.positive?.bucketCounts ?? []).reduce((a, b) => a + b, 0n) + p.zeroCount;
    assert.equal(total, 7n);
  });

  it('summaries keep count and sum across sources (quantiles are not mergeable)', async () => {
    const h = harness([{ selector: { instrument_name: 'rpc' }, stream: { attribute_keys: { excluded: ['pod'] } } }]);
    const sp = (pod: string, count: bigint, s: number, time: bigint) => ({
      attributes: attrs({ pod }),
      startTimeUnixNano: 1n,
      timeUnixNano: time,
      count,
      sum: s,
      quantileValues: [{ quantile: 0.5, value: 1 }],
      flags: 0,
    });
    await send(
      h,
      request([metric('rpc', { type: 'summary', dataPoints: [sp('a', 3n, 30, 10n), sp('b', 2n, 4, 10n)] })]),
    );
    await send(h, request([metric('rpc', { type: 'summary', dataPoints: [sp('a', 5n, 50, 20n)] })]));
    const out = await flushed(h);
    const p = out[0]?.data?.dataPoints[0];
    assert.ok(p !== undefined && 'quantileValues' in p);
    assert.equal(p.count, 7n);
    assert.equal(p.sum, 54);
    assert.deepEqual(p.quantileValues, []);
  });

  it('NaN sums are dropped and counted; NaN gauges are legal values', async () => {
    const h = harness([{ selector: { instrument_name: '*' }, stream: { temporality: 'delta' } }]);
    await send(
      h,
      request([
        sum('c', [numberPoint({}, Number.NaN, 1n, 2n), numberPoint({ a: 'x' }, 2.5, 1n, 2n)], DELTA, false),
        metric('g', { type: 'gauge', dataPoints: [numberPoint({}, Number.NaN, 0n, 5n)] }),
      ]),
    );
    const out = await flushed(h);
    assert.deepEqual([...numbers(out.find((m) => m.name === 'c')).values()], [2.5]);
    assert.ok(Number.isNaN([...numbers(out.find((m) => m.name === 'g')).values()][0]));
    assert.equal(
      h.registry
        .counter('switchyard_processor_views_dropped_points_total', '')
        .get({ processor: 'views', reason: 'no_value' }),
      1,
    );
  });
});

describe('views processor: lifecycle', () => {
  it('emits what it holds on shutdown, then refuses data', async () => {
    const h = harness([dropUser]);
    await send(h, request([sum('requests', [numberPoint({ user: 'u1' }, 4n, 1n, 2n)])]));
    await h.processor.shutdown();
    const out = h.sink.take().flatMap((b) => metricsOf(b.request()));
    assert.deepEqual([...numbers(out[0]).values()], [4]);
    await assert.rejects(send(h, request([sum('requests', [numberPoint({}, 1n, 1n, 3n)])])), /shut down/);
  });
});

describe('views config validation', () => {
  const problems = (views: ViewConfig[]) =>
    validateViewsConfig({ ...defaultViewsConfig(), views }).map((p) => p.path.join('.'));
  it('rejects rename with a wildcard, both key lists, bad boundaries, duplicate output names', () => {
    assert.deepEqual(problems([{ selector: { instrument_name: 'http.*' }, stream: { name: 'x' } }]), [
      'views.0.stream.name',
    ]);
    assert.deepEqual(problems([{ selector: { instrument_type: 'counter' }, stream: { name: 'x' } }]), [
      'views.0.stream.name',
    ]);
    assert.deepEqual(
      problems([
        { selector: { instrument_name: 'a' }, stream: { attribute_keys: { included: ['a'], excluded: ['b'] } } },
      ]),
      ['views.0.stream.attribute_keys'],
    );
    assert.deepEqual(
      problems([
        {
          selector: { instrument_name: 'a' },
          stream: { aggregation: { explicit_bucket_histogram: { boundaries: [1, 1] } } },
        },
      ]),
      ['views.0.stream.aggregation.explicit_bucket_histogram.boundaries.1'],
    );
    assert.deepEqual(
      problems([
        { selector: { instrument_name: 'a' }, stream: { name: 'x' } },
        { selector: { instrument_name: 'b' }, stream: { name: 'x' } },
      ]),
      ['views.1.stream.name'],
    );
    assert.deepEqual(problems([{ selector: {} }]), ['views.0.selector']);
    assert.deepEqual(problems([{ selector: { instrument_name: 'a' }, stream: { name: 'b' } }]), []);
  });
});

describe('views processor: attribute order', () => {
  it('one input series whose attributes arrive in another order is still one series (no double count)', async () => {
    const h = harness([
      { selector: { instrument_name: 'requests' }, stream: { attribute_keys: { excluded: ['user'] } } },
    ]);
    const p = (a: Record<string, string>, v: bigint, t: bigint) => numberPoint(a, v, 10n, t);
    await send(h, request([sum('requests', [p({ route: '/a', user: 'u1', zone: 'z' }, 5n, 20n)])]));
    // same input series, same cumulative stream, attributes listed in another order
    await send(h, request([sum('requests', [p({ zone: 'z', user: 'u1', route: '/a' }, 7n, 30n)])]));
    const out = numbers((await flushed(h)).find((m) => m.name === 'requests'));
    assert.deepEqual([...out.values()], [7]);
  });
});

describe('views processor: hostile exponential histogram points', () => {
  it('a point with bucket indexes no double maps to is dropped as unconvertible (no huge allocation)', async () => {
    const h = harness([{ selector: { instrument_name: 'lat' } }]);
    const pt = (offset: number, t: bigint) => ({
      attributes: attrs({ a: 'x' }),
      startTimeUnixNano: 0n,
      timeUnixNano: t,
      count: 2n,
      sum: 2,
      scale: 20,
      zeroCount: 0n,
      positive: { offset, bucketCounts: [1n, 1n] },
      flags: 0,
      exemplars: [],
      zeroThreshold: 0,
    });
    const expo = (offset: number, t: bigint) =>
      metric('lat', { type: 'exponentialHistogram', dataPoints: [pt(offset, t)], aggregationTemporality: DELTA });
    await send(h, request([expo(0, 10n)]));
    await send(h, request([expo(2_147_483_647, 20n)]));
    const dropped = h.registry.counter('switchyard_processor_views_dropped_points_total', '');
    assert.equal(dropped.get({ processor: 'views', reason: 'unconvertible' }), 1);
    const out = (await flushed(h)).find((m) => m.name === 'lat');
    assert.ok(out?.data?.type === 'exponentialHistogram');
    assert.equal(out.data.dataPoints[0]?.count, 2n);
  });
});

describe('views processor: cumulative up-down counters', () => {
  it('a decrease of a non-monotonic cumulative sum is a change, not a reset', async () => {
    const h = harness([
      { selector: { instrument_name: 'queue.size' }, stream: { attribute_keys: { excluded: ['worker'] } } },
    ]);
    const q = (w: string, v: bigint, t: bigint) => numberPoint({ worker: w, queue: 'q' }, v, 10n, t);
    await send(h, request([sum('queue.size', [q('w1', 10n, 20n), q('w2', 5n, 20n)], CUM, false)]));
    assert.deepEqual([...numbers((await flushed(h)).find((m) => m.name === 'queue.size')).values()], [15]);
    await send(h, request([sum('queue.size', [q('w1', 7n, 30n), q('w2', 5n, 30n)], CUM, false)]));
    assert.deepEqual([...numbers((await flushed(h)).find((m) => m.name === 'queue.size')).values()], [12]);
    assert.equal(h.registry.counter('switchyard_processor_views_resets_total', '').sum(), 0);
  });
});

describe('views processor: an input overflow series', () => {
  it('an incoming {otel.metric.overflow: true} series folds into the overflow series, never beside it', async () => {
    const h = harness([{ selector: { instrument_name: 'burst' } }], { cardinality_limit: 2 });
    const upstream = numberPoint({ 'otel.metric.overflow': true }, 5n, 1n, 2n);
    await send(h, request([sum('burst', [upstream, numberPoint({ id: 'a' }, 1n, 1n, 2n)], DELTA)]));
    await send(h, request([sum('burst', [numberPoint({ id: 'b' }, 2n, 1n, 2n)], DELTA)]));
    const got = numbers((await flushed(h)).find((m) => m.name === 'burst'));
    const overflowKey = attrsKey([{ key: 'otel.metric.overflow', value: true }]);
    assert.equal(got.size, 2);
    assert.equal(got.get(overflowKey), 5 + 2);
    assert.equal(got.get(attrsKey(attrs({ id: 'a' }))), 1);
  });
});

describe('views processor: NaN exponential histogram sums', () => {
  it('a NaN sum leaves the output sum unset instead of emitting NaN', async () => {
    const h = harness([{ selector: { instrument_name: 'lat' }, stream: { attribute_keys: { excluded: ['pod'] } } }]);
    const src = new ExpoHistogram();
    src.record(3);
    const pt = (pod: string, sum: number) => {
      const p = src.toDataPoint({ attributes: attrs({ pod }), startTimeUnixNano: 1n, timeUnixNano: 2n });
      p.sum = sum;
      return p;
    };
    await send(
      h,
      request([
        metric('lat', {
          type: 'exponentialHistogram',
          dataPoints: [pt('a', Number.NaN), pt('b', 3)],
          aggregationTemporality: DELTA,
        }),
      ]),
    );
    const out = (await flushed(h)).find((m) => m.name === 'lat');
    assert.ok(out?.data?.type === 'exponentialHistogram');
    const p = out.data.dataPoints[0];
    assert.equal(p?.count, 2n);
    assert.equal(p?.sum, undefined);
  });
});

describe('views processor: name claims after the owner is gone', () => {
  it('a stream that lost a name conflict takes the name over once the owner expired', async () => {
    const h = harness([{ selector: { instrument_name: 'x' } }], { interval: '1m', state_expiry: '1m' });
    // the app used to send x in ms; after a redeploy it sends x in s (another metric identity)
    await send(h, request([metric('x', sumData([numberPoint({}, 1n, 1n, 2n)]), 'ms')]));
    assert.equal((await flushed(h)).length, 1);
    let t = 3n;
    const next = async (): Promise<Metric[]> => {
      await send(h, request([metric('x', sumData([numberPoint({}, t, 1n, t)]), 's')]));
      t++;
      return flushed(h);
    };
    await next(); // conflict while the ms stream is still held
    await next(); // the ms stream ends (no-recorded-value point) and is forgotten
    await next();
    const out = await next();
    const x = out.filter((m) => m.name === 'x' && m.unit === 's');
    assert.equal(x.length, 1, 'the s stream is emitted once the ms stream is gone');
  });
});

function sumData(points: NumberDataPoint[]): MetricData {
  return { type: 'sum', dataPoints: points, aggregationTemporality: CUM, isMonotonic: true };
}

describe('views processor: huge bucket counts', () => {
  it('an explicit bucket count beyond 2^53 converts to an exponential histogram instead of throwing', async () => {
    const h = harness([
      { selector: { instrument_name: 'h' }, stream: { aggregation: { base2_exponential_bucket_histogram: {} } } },
    ]);
    const p = histPoint({}, [1, 2], [1, 0, 0], 1n, 2n, { sum: 1 });
    p.bucketCounts = [1n, 2n ** 60n, 0n];
    p.count = 2n ** 60n + 1n;
    await send(h, request([metric('h', { type: 'histogram', dataPoints: [p], aggregationTemporality: DELTA })]));
    const out = (await flushed(h)).find((m) => m.name === 'h');
    assert.ok(out?.data?.type === 'exponentialHistogram');
    assert.equal(Number(out.data.dataPoints[0]?.count), 2 ** 60 + 1);
  });
});

describe('views processor: an input that ended and resumes', () => {
  it('a cumulative input resuming after a no-recorded-value point with the same start continues, no double count', async () => {
    const h = harness([dropUser]);
    const p = (u: string, v: bigint, t: bigint, flags = 0) => numberPoint({ user: u, route: '/a' }, v, 10n, t, flags);
    await send(h, request([sum('requests', [p('u1', 100n, 20n), p('u2', 5n, 20n)])]));
    assert.deepEqual([...numbers((await flushed(h)).find((m) => m.name === 'requests')).values()], [105]);
    // u1's source failed once (staleness marker), u2 goes on
    await send(h, request([sum('requests', [p('u1', 0n, 30n, DATA_POINT_FLAG_NO_RECORDED_VALUE), p('u2', 6n, 30n)])]));
    assert.deepEqual([...numbers((await flushed(h)).find((m) => m.name === 'requests')).values()], [106]);
    // u1 is back, same stream (same start): only its increase counts
    await send(h, request([sum('requests', [p('u1', 101n, 40n), p('u2', 7n, 40n)])]));
    assert.deepEqual([...numbers((await flushed(h)).find((m) => m.name === 'requests')).values()], [108]);
  });

  it('an input resuming after its output series ended starts the output again from its full value', async () => {
    const h = harness([dropUser]);
    const p = (v: bigint, t: bigint, flags = 0) => numberPoint({ user: 'u1', route: '/a' }, v, 10n, t, flags);
    await send(h, request([sum('requests', [p(100n, 20n)])]));
    await flushed(h);
    await send(h, request([sum('requests', [p(0n, 30n, DATA_POINT_FLAG_NO_RECORDED_VALUE)])]));
    const ended = await flushed(h);
    assert.equal(ended[0]?.data?.dataPoints[0]?.flags, DATA_POINT_FLAG_NO_RECORDED_VALUE);
    await send(h, request([sum('requests', [p(103n, 40n)])]));
    const out = (await flushed(h)).find((m) => m.name === 'requests');
    assert.deepEqual([...numbers(out).values()], [103]);
    assert.equal(out?.data?.dataPoints[0]?.startTimeUnixNano, 10n);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { retryableError } from '../../component/errors.js';
import { testHost, testSettings } from '../../helpers/exporterhelper/testutil.js';
import { DATA_POINT_FLAG_NO_RECORDED_VALUE, type ExportMetricsServiceRequest, type Metric } from '../../pdata/model.js';
import { encodeRequest } from '../../pdata/proto/index.js';
import {
  encodeV2Request,
  encodeWriteRequest,
  type Histogram,
  type Label,
  MetricType,
  ResetHint,
  STALE_NAN,
  type TimeSeries,
  type WriteRequest,
} from '../../prometheus/remotewrite/proto.js';
import { snappyCompress } from '../../prometheus/remotewrite/snappy.js';
import { createDefaultConfig, resolve, validate } from './config.js';
import { PrwReceiver } from './receiver.js';
import { flushAssembled, ReceiverState, toOtlp } from './translate.js';

const L = (o: Record<string, string>): Label[] => Object.entries(o).map(([name, value]) => ({ name, value }));
const series = (
  labels: Record<string, string>,
  samples: Array<[number, number]>,
  histograms: Histogram[] = [],
): TimeSeries => ({
  labels: L(labels),
  samples: samples.map(([value, timestampMs]) => ({ value, timestampMs })),
  exemplars: [],
  histograms,
});
const wr = (timeseries: TimeSeries[], metadata: WriteRequest['metadata'] = []): WriteRequest => ({
  timeseries,
  metadata,
});
const newState = () => new ReceiverState({ maxSeries: 1000, ttlMs: 60_000, maxMetadata: 100 });

function metrics(req: ExportMetricsServiceRequest): Map<string, Metric> {
  const out = new Map<string, Metric>();
  for (const rm of req.resourceMetrics)
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out.set(m.name, m);
  return out;
}

describe('remote write -> OTLP translation', () => {
  it('maps job/instance to the resource and other labels to attributes', () => {
    const t = toOtlp(
      wr([series({ __name__: 'g', job: 'ns/api', instance: 'h:1', zone: 'a', empty: '' }, [[1, 1000]])]),
      newState(),
      1000,
    );
    const rm = t.request.resourceMetrics[0];
    assert.deepEqual(rm?.resource?.attributes, [
      { key: 'service.namespace', value: 'ns' },
      { key: 'service.name', value: 'api' },
      { key: 'service.instance.id', value: 'h:1' },
    ]);
    const g = metrics(t.request).get('g')?.data;
    assert.equal(g?.type, 'gauge');
    assert.deepEqual(g?.type === 'gauge' ? g.dataPoints[0]?.attributes : [], [{ key: 'zone', value: 'a' }]);
    assert.equal(t.points, 1);
  });

  it('counters: start time at first sight, kept across requests, new run on a decrease', () => {
    const st = newState();
    const lab = { __name__: 'req_total', job: 'j' };
    const p = (r: ExportMetricsServiceRequest) => {
      const d = metrics(r).get('req_total')?.data;
      assert.equal(d?.type, 'sum');
      return d?.type === 'sum' ? d.dataPoints : [];
    };
    const a = p(toOtlp(wr([series(lab, [[5, 1000]])]), st, 1000).request);
    assert.equal(a[0]?.startTimeUnixNano, 1000n * 1_000_000n);
    const b = p(toOtlp(wr([series(lab, [[9, 2000]])]), st, 2000).request);
    assert.equal(b[0]?.startTimeUnixNano, 1000n * 1_000_000n);
    const c = p(toOtlp(wr([series(lab, [[2, 3000]])]), st, 3000).request);
    assert.equal(c[0]?.startTimeUnixNano, 2999n * 1_000_000n, 'reset: new run starts just before');
    assert.equal(c[0]?.value, 2);
  });

  it('uses metadata (remembered across requests) for types, help and units', () => {
    const st = newState();
    toOtlp(
      wr([], [{ type: MetricType.COUNTER, metricFamilyName: 'bytes_sent', help: 'Bytes.', unit: 'bytes' }]),
      st,
      0,
    );
    const m = metrics(toOtlp(wr([series({ __name__: 'bytes_sent' }, [[1, 1]])]), st, 1).request).get('bytes_sent');
    assert.equal(m?.data?.type, 'sum');
    assert.equal(m?.description, 'Bytes.');
    assert.equal(m?.unit, 'By');
  });

  it('reassembles classic histograms; one without _count is dropped and counted', () => {
    const t = toOtlp(
      wr([
        series({ __name__: 'lat_bucket', le: '+Inf' }, [[9, 1]]),
        series({ __name__: 'lat_bucket', le: '0.1' }, [[5, 1]]),
        series({ __name__: 'lat_bucket', le: '1' }, [[8, 1]]),
        series({ __name__: 'lat_sum' }, [[3.5, 1]]),
        series({ __name__: 'lat_count' }, [[9, 1]]),
      ]),
      newState(),
      1,
    );
    const h = metrics(t.request).get('lat')?.data;
    assert.equal(h?.type, 'histogram');
    if (h?.type === 'histogram') {
      assert.deepEqual(h.dataPoints[0]?.explicitBounds, [0.1, 1]);
      assert.deepEqual(h.dataPoints[0]?.bucketCounts, [5n, 3n, 1n]);
    }
    const st = newState();
    st.remember({ type: MetricType.HISTOGRAM, metricFamilyName: 'x', help: '', unit: '' });
    const d = toOtlp(wr([series({ __name__: 'x_bucket', le: '1' }, [[1, 1]])]), st, 1);
    // Its _count may still come in a later request: it waits, then is dropped and counted.
    assert.equal(d.points, 0);
    assert.equal(st.assembler.pendingCount, 1);
    assert.equal(flushAssembled(st, 5_000).points, 0);
    assert.equal(flushAssembled(st, 20_000).dropped.get('histogram_without_count'), 1);
    assert.equal(st.assembler.pendingCount, 0);
  });

  const hist = (t: number, parts: Array<'0.1' | '1' | '+Inf' | 'sum' | 'count'>, scale = 1): TimeSeries[] => {
    const v = { '0.1': 5, '1': 8, '+Inf': 9, sum: 3.5, count: 9 };
    return parts.map((p) =>
      p === 'sum' || p === 'count'
        ? series({ __name__: `lat_${p}`, job: 'j' }, [[v[p] * scale, t]])
        : series({ __name__: 'lat_bucket', job: 'j', le: p }, [[v[p] * scale, t]]),
    );
  };
  const histPoints = (r: { request: ExportMetricsServiceRequest }) => {
    const d = metrics(r.request).get('lat')?.data;
    return d?.type === 'histogram' ? d.dataPoints : [];
  };

  it('assembles a histogram whose parts come in different requests, in any order', () => {
    const st = newState();
    const meta = [{ type: MetricType.HISTOGRAM, metricFamilyName: 'lat', help: '', unit: '' }];
    // First sight, split: nothing is known about its buckets, so it waits for the timeout.
    assert.equal(toOtlp(wr(hist(1000, ['count', '+Inf']), meta), st, 1).points, 0);
    assert.equal(toOtlp(wr(hist(1000, ['0.1', 'sum'])), st, 2).points, 0);
    assert.equal(toOtlp(wr(hist(1000, ['1'])), st, 3).points, 0);
    const first = flushAssembled(st, 3 + 10_000);
    assert.deepEqual(histPoints(first)[0]?.bucketCounts, [5n, 3n, 1n]);
    // Known series: released as soon as every part is in, without waiting.
    assert.equal(toOtlp(wr(hist(2000, ['+Inf', 'sum'], 2)), st, 20_000).points, 0);
    assert.equal(toOtlp(wr(hist(2000, ['count', '1'], 2)), st, 20_001).points, 0);
    const second = toOtlp(wr(hist(2000, ['0.1'], 2)), st, 20_002);
    assert.equal(second.points, 1);
    assert.deepEqual(histPoints(second)[0]?.bucketCounts, [10n, 6n, 2n]);
    assert.equal(histPoints(second)[0]?.startTimeUnixNano, 1_000_000_000n);
    // A part of a released point is late: dropped and counted, never a second point.
    const late = toOtlp(wr(hist(2000, ['0.1'], 2)), st, 20_003);
    assert.equal(late.points, 0);
    assert.equal(late.dropped.get('histogram_late_part'), 1);
  });

  it('a later whole point releases the earlier one of the same series', () => {
    const st = newState();
    toOtlp(wr(hist(1000, ['0.1', '1', '+Inf', 'sum', 'count'])), st, 1);
    // t=2000 lacks its +Inf bucket (a shard lags); t=3000 arrives whole.
    toOtlp(wr(hist(2000, ['0.1', '1', 'sum', 'count'], 2)), st, 2);
    const r = toOtlp(wr(hist(3000, ['0.1', '1', '+Inf', 'sum', 'count'], 3)), st, 3);
    assert.deepEqual(
      histPoints(r).map((p) => p.timeUnixNano),
      [2_000_000_000n, 3_000_000_000n],
    );
  });

  it('points refused retryably wait for the resend and keep parts from earlier requests', () => {
    const st = newState();
    toOtlp(wr(hist(1000, ['0.1', '1', '+Inf', 'sum', 'count'])), st, 1);
    toOtlp(wr(hist(2000, ['0.1', '1', '+Inf'], 2)), st, 2);
    const r = toOtlp(wr(hist(2000, ['sum', 'count'], 2)), st, 3);
    assert.equal(r.points, 1);
    // The pipeline refused it: the sender resends only the second request.
    st.assembler.restore(r.assembled);
    assert.equal(flushAssembled(st, 4).points, 0, 'waits for the resend');
    const again = toOtlp(wr(hist(2000, ['sum', 'count'], 2)), st, 5);
    assert.deepEqual(histPoints(again)[0]?.bucketCounts, [10n, 6n, 2n]);
    assert.equal(again.dropped.get('histogram_late_part'), undefined);
  });

  it('bounds the points waiting for parts', () => {
    const st = new ReceiverState({ maxSeries: 1000, ttlMs: 60_000, maxMetadata: 100, maxPending: 10 });
    let released = 0;
    let dropped = 0;
    for (let i = 0; i < 50; i++) {
      const r = toOtlp(
        wr([
          series({ __name__: 'h_bucket', le: '1', i: String(i) }, [[1, 1000]]),
          series({ __name__: 'h_count', i: String(i) }, [[1, 1000]]),
        ]),
        st,
        1,
      );
      released += r.points;
      dropped += r.dropped.get('histogram_without_count') ?? 0;
      assert.ok(st.assembler.pendingCount <= 10);
    }
    assert.equal(released + st.assembler.pendingCount, 50);
    assert.equal(dropped, 0);
  });

  it('native histograms -> exponential histograms; float histograms dropped and counted', () => {
    const h: Histogram = {
      count: { kind: 'int', value: 38n },
      sum: 100,
      schema: 0,
      zeroThreshold: 1e-128,
      zeroCount: { kind: 'int', value: 1n },
      negativeSpans: [],
      negativeDeltas: [],
      negativeCounts: [],
      positiveSpans: [
        { offset: 4, length: 1 },
        { offset: 2, length: 3 },
      ],
      positiveDeltas: [10n, 10n, -15n, -3n],
      positiveCounts: [],
      resetHint: 0,
      timestampMs: 5,
    };
    const t = toOtlp(
      wr([
        series({ __name__: 'nh' }, [], [h]),
        series({ __name__: 'fh' }, [], [{ ...h, count: { kind: 'float', value: 1 } }]),
      ]),
      newState(),
      5,
    );
    const e = metrics(t.request).get('nh')?.data;
    assert.equal(e?.type, 'exponentialHistogram');
    if (e?.type === 'exponentialHistogram') {
      assert.deepEqual(e.dataPoints[0]?.positive, { offset: 3, bucketCounts: [10n, 0n, 0n, 20n, 5n, 2n] });
      assert.equal(e.dataPoints[0]?.count, 38n);
    }
    assert.equal(t.dropped.get('float_histogram'), 1);
  });

  it('native histograms: reset hint YES starts a new run even when the count did not drop', () => {
    const st = newState();
    const h = (count: bigint, timestampMs: number, resetHint: number): Histogram => ({
      count: { kind: 'int', value: count },
      sum: 1,
      schema: 0,
      zeroThreshold: 1e-128,
      zeroCount: { kind: 'int', value: count },
      negativeSpans: [],
      negativeDeltas: [],
      negativeCounts: [],
      positiveSpans: [],
      positiveDeltas: [],
      positiveCounts: [],
      resetHint,
      timestampMs,
    });
    const start = (hist: Histogram): bigint | undefined => {
      const d = metrics(toOtlp(wr([series({ __name__: 'nh' }, [], [hist])]), st, hist.timestampMs).request).get(
        'nh',
      )?.data;
      return d?.type === 'exponentialHistogram' ? d.dataPoints[0]?.startTimeUnixNano : undefined;
    };
    assert.equal(start(h(5n, 1000, ResetHint.UNKNOWN)), 1000n * 1_000_000n);
    assert.equal(start(h(7n, 2000, ResetHint.NO)), 1000n * 1_000_000n);
    assert.equal(start(h(9n, 3000, ResetHint.YES)), 2999n * 1_000_000n);
  });

  it('native histograms with overlapping or backward spans are dropped as invalid, not a crash', () => {
    const h: Histogram = {
      count: { kind: 'int', value: 3n },
      sum: 3,
      schema: 0,
      zeroThreshold: 1e-128,
      zeroCount: { kind: 'int', value: 0n },
      negativeSpans: [],
      negativeDeltas: [],
      negativeCounts: [],
      // The second span starts before the first one ends (later offsets are gaps, never < 0).
      positiveSpans: [
        { offset: 5, length: 1 },
        { offset: -3, length: 1 },
      ],
      positiveDeltas: [1n, 0n],
      positiveCounts: [],
      resetHint: 0,
      timestampMs: 5,
    };
    const overlap: Histogram = {
      ...h,
      positiveSpans: [
        { offset: 5, length: 2 },
        { offset: -2, length: 1 },
      ],
      positiveDeltas: [1n, 0n, 0n],
    };
    const t = toOtlp(
      wr([series({ __name__: 'nh' }, [], [h]), series({ __name__: 'nh2' }, [], [overlap])]),
      newState(),
      5,
    );
    assert.equal(t.dropped.get('invalid_histogram'), 2);
    assert.equal(t.points, 0);
  });

  it('staleness markers become points without a recorded value and end the series state', () => {
    const st = newState();
    toOtlp(wr([series({ __name__: 'c_total' }, [[5, 1]])]), st, 1);
    // Built without a number array: V8 canonicalizes NaN payloads stored in double arrays.
    const stale: TimeSeries = {
      ...series({ __name__: 'c_total' }, []),
      samples: [{ value: STALE_NAN, timestampMs: 2 }],
    };
    const t = toOtlp(wr([stale]), st, 2);
    const d = metrics(t.request).get('c_total')?.data;
    assert.equal(d?.type === 'sum' ? d.dataPoints[0]?.flags : -1, DATA_POINT_FLAG_NO_RECORDED_VALUE);
    assert.equal(st.size, 0);
  });

  it('target_info labels become resource attributes; series without a name are counted', () => {
    const t = toOtlp(
      wr([
        series({ __name__: 'target_info', job: 'j', instance: 'i', host_name: 'box' }, [[1, 1]]),
        series({ __name__: 'g', job: 'j', instance: 'i' }, [[2, 1]]),
        series({ job: 'j' }, [[2, 1]]),
      ]),
      newState(),
      1,
    );
    const rm = t.request.resourceMetrics[0];
    assert.ok(rm?.resource?.attributes.some((a) => a.key === 'host_name' && a.value === 'box'));
    assert.ok(!metrics(t.request).has('target_info'));
    assert.equal(t.points, 1);
    assert.equal(t.dropped.get('missing_name'), 1);
  });

  it('drops and counts points before 1970 (OTLP times are unsigned): the rest still encodes', () => {
    const t = toOtlp(
      wr([
        series({ __name__: 'g' }, [
          [1, -5],
          [2, 1000],
        ]),
        series({ __name__: 'c_total' }, [[3, -1]]),
      ]),
      newState(),
      1000,
    );
    assert.equal(t.dropped.get('invalid_timestamp'), 2);
    assert.equal(t.points, 1);
    assert.ok(encodeRequest('metrics', t.request).length > 0);
  });

  it('state size does not follow label and help sizes chosen by the sender', () => {
    const st = new ReceiverState({ maxSeries: 100, ttlMs: 60_000, maxMetadata: 100 });
    const long = 'x'.repeat(10_000);
    for (let i = 0; i < 100; i++) {
      toOtlp(
        wr(
          [series({ __name__: `c${i}_total`, big: `${long}${i}` }, [[1, 100]])],
          [{ type: MetricType.COUNTER, metricFamilyName: `c${i}_total`, help: long, unit: '' }],
        ),
        st,
        100,
      );
    }
    assert.equal(st.size, 100);
    assert.ok(st.chars < 100 * 5000, `${st.chars} characters held`);
    // Long keys still tell series apart and keep their runs.
    const p = (v: number, t: number) => {
      const d = metrics(toOtlp(wr([series({ __name__: 'c1_total', big: `${long}1` }, [[v, t]])]), st, t).request).get(
        'c1_total',
      )?.data;
      return d?.type === 'sum' ? d.dataPoints[0]?.startTimeUnixNano : undefined;
    };
    assert.equal(p(5, 200), 100n * 1_000_000n);
    assert.equal(p(1, 300), 299n * 1_000_000n);
  });

  it('expiry goes by arrival, not sample time: a sender catching up keeps its counter runs', () => {
    const st = new ReceiverState({ maxSeries: 100, ttlMs: 60_000, maxMetadata: 10 });
    const now = 10_000_000;
    const old = now - 3_600_000; // samples an hour old, sent one after the other
    const start = (v: number, t: number) => {
      const d = metrics(toOtlp(wr([series({ __name__: 'c_total' }, [[v, t]])]), st, now).request).get('c_total')?.data;
      return d?.type === 'sum' ? d.dataPoints[0]?.startTimeUnixNano : undefined;
    };
    assert.equal(start(1, old), BigInt(old) * 1_000_000n);
    assert.equal(start(2, old + 15_000), BigInt(old) * 1_000_000n);
    assert.equal(start(3, old + 30_000), BigInt(old) * 1_000_000n);
    // Not seen for longer than the ttl (wall clock): forgotten.
    toOtlp(wr([]), st, now + 61_000);
    assert.equal(st.size, 0);
  });

  it('drops and counts histogram and summary points whose counts are not finite uint64 values', () => {
    const bad = (count: number, st: ReceiverState) =>
      toOtlp(
        wr([
          series({ __name__: 'h_bucket', le: '1' }, [[1, 1000]]),
          series({ __name__: 'h_bucket', le: '+Inf' }, [[2, 1000]]),
          series({ __name__: 'h_count' }, [[count, 1000]]),
          series({ __name__: 's', quantile: '0.5' }, [[1, 1000]]),
          series({ __name__: 's_count' }, [[count, 1000]]),
          series({ __name__: 'd_bucket', le: '1' }, [[1, 1000]]),
          series({ __name__: 'd_bucket', le: '1.0' }, [[1, 1000]]),
          series({ __name__: 'd_count' }, [[2, 1000]]),
        ]),
        st,
        1000,
      );
    for (const count of [Number.NaN, Number.POSITIVE_INFINITY, 1e300]) {
      const st = newState();
      const t = bad(count, st);
      // No _sum: they wait for one, then go on (and are refused) at the timeout.
      assert.equal(t.points, 0);
      const f = flushAssembled(st, 1000 + 10_000);
      assert.equal(f.dropped.get('invalid_count'), 3, String(count));
      assert.equal(f.points, 0);
      assert.ok(encodeRequest('metrics', f.request).length >= 0);
    }
    // Native: bucket counts adding up past 2^64 - 1.
    const h: Histogram = {
      count: { kind: 'int', value: 1n },
      sum: 1,
      schema: 0,
      zeroThreshold: 0,
      zeroCount: { kind: 'int', value: 0n },
      negativeSpans: [],
      negativeDeltas: [],
      negativeCounts: [],
      positiveSpans: [{ offset: 1, length: 2 }],
      positiveDeltas: [2n ** 63n, 2n ** 63n],
      positiveCounts: [],
      resetHint: 0,
      timestampMs: 1000,
    };
    assert.equal(
      toOtlp(wr([series({ __name__: 'nh' }, [], [h])]), newState(), 1000).dropped.get('invalid_histogram'),
      1,
    );
  });

  it('bounds and expires per-series state', () => {
    const st = new ReceiverState({ maxSeries: 10, ttlMs: 1000, maxMetadata: 5 });
    for (let i = 0; i < 50; i++) toOtlp(wr([series({ __name__: 'c_total', i: String(i) }, [[1, 100]])]), st, 100);
    assert.equal(st.size, 10);
    toOtlp(wr([]), st, 5000);
    assert.equal(st.size, 0);
  });
});

describe('prometheusremotewrite receiver over HTTP', () => {
  let receiver: PrwReceiver;
  const got: ExportMetricsServiceRequest[] = [];
  let fail: Error | undefined;
  const settings = testSettings('prometheusremotewrite');
  let url = '';
  before(async () => {
    const cfg = resolve({
      ...createDefaultConfig(),
      endpoint: '127.0.0.1:0',
      max_request_body_size: 4096,
      max_decompressed_size: 8192,
    });
    receiver = new PrwReceiver(settings, cfg, {
      mutatesData: false,
      consume: async (b) => {
        if (fail !== undefined) throw fail;
        got.push(b.request());
      },
    });
    await receiver.start(testHost());
    url = `http://127.0.0.1:${receiver.port}/api/v1/write`;
  });
  after(() => receiver.shutdown());

  const body = (req: WriteRequest) => snappyCompress(encodeWriteRequest(req));
  const post = async (
    b: Uint8Array,
    headers: Record<string, string> = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
  ) => {
    const res = await fetch(url, { method: 'POST', headers, body: b });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const bad = (reason: string) =>
    settings.metrics.counter('switchyard_receiver_bad_requests_total', '').sum({ reason });

  it('answers 204 and hands the data on', async () => {
    const r = await post(body(wr([series({ __name__: 'up', job: 'j' }, [[1, Date.now()]])])));
    assert.equal(r.status, 204);
    assert.equal(got.length, 1);
    assert.equal(settings.metrics.counter('otelcol_receiver_accepted_metric_points_total', '').sum(), 1);
  });

  it('400 for a body that is not snappy, and for bad protobuf naming the offset', async () => {
    const r1 = await post(Buffer.from('not snappy'));
    assert.equal(r1.status, 400);
    assert.match(r1.text, /not snappy/);
    const r2 = await post(snappyCompress(Buffer.from('0a7f0a', 'hex')));
    assert.equal(r2.status, 400);
    assert.match(
      r2.text,
      /malformed WriteRequest: timeseries\[0\]: length 127 runs past the end of the enclosing message at byte 1/,
    );
    assert.equal(bad('decode'), 2);
  });

  it('413 for a body or a decompressed body over the limits', async () => {
    const r1 = await post(Buffer.alloc(5000, 1));
    assert.equal(r1.status, 413);
    const big = snappyCompress(Buffer.alloc(9000, 0)); // compresses to a few hundred bytes
    assert.ok(big.length < 4096);
    const r2 = await post(big);
    assert.equal(r2.status, 413);
    assert.match(r2.text, /declared uncompressed size 9000 bytes is over the limit of 8192/);
    assert.equal(bad('too_large'), 2);
  });

  it('413 for a small body that would decode into millions of objects', async () => {
    const s2 = testSettings('prometheusremotewrite');
    const big = new PrwReceiver(
      s2,
      resolve({ ...createDefaultConfig(), endpoint: '127.0.0.1:0', max_decompressed_size: 8 << 20 }),
      {
        mutatesData: false,
        consume: async () => {},
      },
    );
    await big.start(testHost());
    try {
      // 2,000,001 empty series: 4 MB decompressed, ~190 KB on the wire.
      const bomb = snappyCompress(Buffer.alloc(2 * 2_000_001, Buffer.from([0x0a, 0x00])));
      const res = await fetch(`http://127.0.0.1:${big.port}/api/v1/write`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
        body: bomb,
      });
      assert.equal(res.status, 413);
      assert.match(await res.text(), /more than 2000000 elements in one request/);
      assert.equal(s2.metrics.counter('switchyard_receiver_bad_requests_total', '').sum({ reason: 'too_large' }), 1);
    } finally {
      await big.shutdown();
    }
  });

  it('415 for another content type, encoding or protobuf message', async () => {
    const b = body(wr([]));
    assert.equal((await post(b, { 'content-type': 'application/json' })).status, 415);
    assert.equal((await post(b, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status, 415);
    const other = await post(b, { 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v3.Request' });
    assert.equal(other.status, 415);
    assert.match(other.text, /unsupported remote write message "io.prometheus.write.v3.request"/);
    assert.equal((await post(b, {})).status, 204, 'no headers at all is accepted (as Prometheus does)');
  });

  it('accepts remote write 2.0: written counts in headers, start timestamps used', async () => {
    got.length = 0;
    const now = Date.now();
    const v2 = encodeV2Request([
      {
        labels: L({ __name__: 'v2_requests_total', job: 'j2', code: '200' }),
        samples: [{ value: 10, timestampMs: now, startTimestampMs: now - 60_000 }],
        metadata: { type: MetricType.COUNTER, help: 'Requests.', unit: '' },
      },
      {
        labels: L({ __name__: 'v2_temp', job: 'j2' }),
        samples: [{ value: 1.5, timestampMs: now, startTimestampMs: 0 }],
      },
    ]);
    const r = await post(snappyCompress(v2), {
      'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '2.0.0',
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('x-prometheus-remote-write-samples-written'), '2');
    assert.equal(r.headers.get('x-prometheus-remote-write-histograms-written'), '0');
    assert.equal(r.headers.get('x-prometheus-remote-write-exemplars-written'), '0');
    const m = metrics(got[0] as ExportMetricsServiceRequest);
    const c = m.get('v2_requests_total');
    assert.equal(c?.description, 'Requests.');
    assert.equal(
      c?.data?.type === 'sum' ? c.data.dataPoints[0]?.startTimeUnixNano : 0n,
      BigInt(now - 60_000) * 1_000_000n,
    );
    assert.equal(m.get('v2_temp')?.data?.type, 'gauge');
    const bad = await post(snappyCompress(Buffer.from('22002a020a01', 'hex')), {
      'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /malformed v2 Request: timeseries\[0\]: /);
  });

  it('404 and 405', async () => {
    assert.equal((await fetch(url.replace('/api/v1/write', '/x'), { method: 'POST', body: 'x' })).status, 404);
    const g = await fetch(url);
    assert.equal(g.status, 405);
    assert.equal(g.headers.get('allow'), 'POST');
  });

  it('503 when the pipeline refuses retryably, 400 when permanently', async () => {
    fail = retryableError('SY_QUEUE_FULL', 'queue full');
    const r = await post(body(wr([series({ __name__: 'up' }, [[1, Date.now()]])])));
    assert.equal(r.status, 503);
    fail = undefined;
  });

  it('validates config', () => {
    assert.deepEqual(validate(createDefaultConfig()), []);
    assert.equal(createDefaultConfig().endpoint, '127.0.0.1:9090');
  });
});

import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { testSettings } from '../../helpers/exporterhelper/testutil.js';
import { Batch } from '../../pdata/batch.js';
import { createDefaultConfig } from './config.js';
import { createPrometheusExporter } from './exporter.js';
import { DEFAULT_ZERO_THRESHOLD, mergeNative, type NativeState, renderNative, sparse } from './native.js';
import { PROTOBUF_CONTENT_TYPE, parseLabelText, renderProtobuf } from './protobuf.js';
import {
  expo,
  expoHistogram,
  gauge,
  hist,
  histogram,
  metric,
  num,
  request,
  SEC,
  sum,
  summary,
  summaryData,
  T0,
} from './testdata.js';

// The client_model messages, declared here so that an independent decoder (protobufjs) reads
// what we write.
const PROTO = `
syntax = "proto3";
package io.prometheus.client;
message LabelPair { string name = 1; string value = 2; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message Gauge { double value = 1; }
message Counter { double value = 1; Timestamp created_timestamp = 3; }
message Quantile { double quantile = 1; double value = 2; }
message Summary { uint64 sample_count = 1; double sample_sum = 2; repeated Quantile quantile = 3; Timestamp created_timestamp = 4; }
message Bucket { uint64 cumulative_count = 1; double upper_bound = 2; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  uint64 sample_count = 1; double sample_sum = 2; repeated Bucket bucket = 3; Timestamp created_timestamp = 15;
  sint32 schema = 5; double zero_threshold = 6; uint64 zero_count = 7;
  repeated BucketSpan negative_span = 9; repeated sint64 negative_delta = 10;
  repeated BucketSpan positive_span = 12; repeated sint64 positive_delta = 13;
}
message Metric { repeated LabelPair label = 1; Gauge gauge = 2; Counter counter = 3; Summary summary = 4; Histogram histogram = 7; int64 timestamp_ms = 6; }
message MetricFamily { string name = 1; string help = 2; int32 type = 3; repeated Metric metric = 4; string unit = 5; }
`;
const root = protobuf.parse(PROTO, { keepCase: true }).root;
const MetricFamilyT = root.lookupType('io.prometheus.client.MetricFamily');

interface Decoded {
  name: string;
  help?: string;
  type?: number;
  unit?: string;
  metric: Array<{
    label: Array<{ name: string; value: string }>;
    gauge?: { value: number };
    counter?: { value: number; created_timestamp?: { seconds: number } };
    summary?: { sample_count: number; sample_sum: number; quantile: Array<{ quantile: number; value: number }> };
    histogram?: {
      sample_count: number;
      sample_sum?: number;
      bucket: Array<{ cumulative_count: number; upper_bound: number }>;
      schema?: number;
      zero_threshold?: number;
      zero_count?: number;
      positive_span: Array<{ offset?: number; length?: number }>;
      positive_delta: number[];
      negative_span: Array<{ offset?: number; length?: number }>;
      negative_delta: number[];
    };
  }>;
}

function decodeAll(buf: Buffer): Decoded[] {
  const r = protobuf.Reader.create(buf);
  const out: Decoded[] = [];
  while (r.pos < r.len) {
    const msg = MetricFamilyT.decodeDelimited(r);
    out.push(MetricFamilyT.toObject(msg, { longs: Number, defaults: false, arrays: true }) as unknown as Decoded);
  }
  return out;
}

const labelsOf = (m: Decoded['metric'][number]) => Object.fromEntries(m.label.map((l) => [l.name, l.value]));

function setup() {
  const settings = testSettings('prometheus');
  const exp = createPrometheusExporter(settings, {
    ...createDefaultConfig(),
    endpoint: '127.0.0.1:0',
    enable_native_histograms: true,
  });
  return {
    exp,
    send: (req: Parameters<typeof Batch.fromRequest<'metrics'>>[1]) => exp.consume(Batch.fromRequest('metrics', req)),
  };
}

describe('protobuf exposition', () => {
  it('writes every kind, native histograms for exponential ones', async () => {
    const { exp, send } = setup();
    await send(
      request(
        [
          metric('reqs', '', sum([num(42n, { m: 'GET' })]), 'Requests.'),
          metric('temp', 'Cel', gauge([num(21.5)])),
          metric('lat', 's', histogram([hist([0.1, 0.5, 1], [3n, 2n, 1n, 4n], 12.5)])),
          metric('rpc', 'ms', summaryData([summary(10n, 55.5, [[0.5, 4]])])),
          // scale 0 idx 0..2 = counts 1,2,3; negative idx 1 = 5; 4 zeros
          metric(
            'size',
            'By',
            expoHistogram([expo(0, 0, [1n, 2n, 3n], 4n, 30, {}, T0, T0 + SEC, { offset: 1, counts: [5n] })]),
          ),
        ],
        { 'service.name': 'svc', 'host.name': 'h' },
      ),
    );
    const fams = decodeAll(Buffer.concat(renderProtobuf(exp.accumulator, { sendTimestamps: false })));
    const by = Object.fromEntries(fams.map((f) => [f.name, f]));
    assert.deepEqual(Object.keys(by), [
      'target_info',
      'lat_seconds',
      'reqs_total',
      'rpc_milliseconds',
      'size_bytes',
      'temp_celsius',
    ]);

    const ti = by.target_info as Decoded;
    assert.equal(ti.type, 1);
    assert.deepEqual(labelsOf(ti.metric[0] as Decoded['metric'][number]), { host_name: 'h', job: 'svc' });

    const c = by.reqs_total as Decoded;
    assert.equal(c.type ?? 0, 0);
    assert.equal(c.help, 'Requests.');
    const cm = c.metric[0] as Decoded['metric'][number];
    assert.equal(cm.counter?.value, 42);
    assert.equal(cm.counter?.created_timestamp?.seconds, Number(T0 / SEC));
    assert.deepEqual(labelsOf(cm), {
      job: 'svc',
      m: 'GET',
      otel_scope_name: 'test.scope',
      otel_scope_version: '1.2.3',
    });

    assert.equal(by.temp_celsius?.metric[0]?.gauge?.value, 21.5);
    assert.equal(by.temp_celsius?.unit, 'celsius');

    const h = by.lat_seconds?.metric[0]?.histogram;
    assert.equal(by.lat_seconds?.type, 4);
    assert.deepEqual(
      h?.bucket.map((b) => [b.upper_bound, b.cumulative_count]),
      [
        [0.1, 3],
        [0.5, 5],
        [1, 6],
      ],
    );
    assert.equal(h?.sample_count, 10);
    assert.equal(h?.sample_sum, 12.5);
    assert.equal(h?.positive_span.length, 0);

    const s = by.rpc_milliseconds?.metric[0]?.summary;
    assert.equal(by.rpc_milliseconds?.type, 2);
    assert.deepEqual([s?.sample_count, s?.sample_sum, s?.quantile[0]?.value], [10, 55.5, 4]);

    const n = by.size_bytes?.metric[0]?.histogram;
    assert.equal(n?.sample_count, 15);
    assert.equal(n?.sample_sum, 30);
    assert.equal(n?.schema ?? 0, 0);
    assert.equal(n?.zero_count, 4);
    assert.equal(n?.zero_threshold, DEFAULT_ZERO_THRESHOLD);
    assert.deepEqual(n?.positive_span, [{ offset: 1, length: 3 }]);
    assert.deepEqual(n?.positive_delta, [1, 1, 1]);
    assert.deepEqual(n?.negative_span, [{ offset: 2, length: 1 }]);
    assert.deepEqual(n?.negative_delta, [5]);
    assert.equal(n?.bucket.length, 0);
  });

  it('accumulates delta exponential histograms across scales', async () => {
    const { exp, send } = setup();
    const at = (s: bigint) => [T0 + s * SEC, T0 + (s + 1n) * SEC] as const;
    // scale 1, idx -1..2 = 1,2,3,4 ; then scale 0, idx 0 = 5
    await send(request([metric('d', '', expoHistogram([expo(1, -1, [1n, 2n, 3n, 4n], 0n, 10, {}, ...at(0n))], true))]));
    await send(request([metric('d', '', expoHistogram([expo(0, 0, [5n], 1n, 8, {}, ...at(1n))], true))]));
    const f = decodeAll(Buffer.concat(renderProtobuf(exp.accumulator, { sendTimestamps: false }))).find(
      (x) => x.name === 'd',
    );
    const h = f?.metric[0]?.histogram;
    // at scale 0: -1 -> -1, 0,1 -> 0, 2 -> 1 => {-1: 1, 0: 5, 1: 4} + {0: 5} => Prom idx 0,1,2 = 1,10,4
    assert.equal(h?.schema ?? 0, 0);
    assert.deepEqual(h?.positive_span, [{ offset: 0, length: 3 }]);
    assert.deepEqual(h?.positive_delta, [1, 9, -6]);
    assert.equal(h?.sample_count, 16);
    assert.equal(h?.zero_count, 1);
    assert.equal(h?.sample_sum, 18);
  });

  it('serves protobuf to clients that ask for it', async () => {
    const { exp, send } = setup();
    await exp.start({} as never);
    try {
      await send(request([metric('g', '', gauge([num(1)]))]));
      const res = await new Promise<{ type: string | undefined; body: Buffer }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: exp.port,
            path: '/metrics',
            headers: {
              Accept:
                'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5',
            },
          },
          (r) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => resolve({ type: r.headers['content-type'], body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(res.type, PROTOBUF_CONTENT_TYPE);
      assert.equal(decodeAll(res.body).find((f) => f.name === 'g')?.metric[0]?.gauge?.value, 1);
    } finally {
      await exp.shutdown();
    }
  });
});

describe('native buckets', () => {
  it('writes spans and deltas as in the spec example', () => {
    // OTel offset 3, counts 10,0,0,20,5,2 -> Prometheus spans {4,1},{2,3}, deltas 10,10,-15,-3
    const m = new Map<number, bigint>([
      [3, 10n],
      [6, 20n],
      [7, 5n],
      [8, 2n],
    ]);
    assert.deepEqual(sparse(m), {
      spans: [
        { offset: 4, length: 1 },
        { offset: 2, length: 3 },
      ],
      deltas: [10n, 10n, -15n, -3n],
    });
    // A single empty bucket is bridged with a zero.
    assert.deepEqual(
      sparse(
        new Map([
          [0, 1n],
          [2, 1n],
        ]),
      ),
      { spans: [{ offset: 1, length: 3 }], deltas: [1n, -1n, 1n] },
    );
  });

  it('caps the schema at 8 and refuses scales below -4', () => {
    const s: NativeState = {
      scale: 10,
      zeroThreshold: 0,
      zeroCount: 0n,
      positive: new Map([
        [0, 1n],
        [3, 2n],
        [4, 4n],
      ]),
      negative: new Map(),
    };
    const r = renderNative(s);
    assert.equal(r?.schema, 8);
    // idx >> 2: 0 -> 0, 3 -> 0, 4 -> 1 => {0: 3, 1: 4} => Prom idx 1, 2
    assert.deepEqual(r?.positive, { spans: [{ offset: 1, length: 2 }], deltas: [3n, 1n] });
    assert.equal(renderNative({ ...s, scale: -5 }), undefined);
  });

  it('merges with the wider zero threshold, folding buckets under it', () => {
    const a: NativeState = {
      scale: 0,
      zeroThreshold: 0,
      zeroCount: 1n,
      positive: new Map([
        [-3, 2n],
        [2, 1n],
      ]),
      negative: new Map(),
    };
    const b: NativeState = {
      scale: 0,
      zeroThreshold: 0.25,
      zeroCount: 3n,
      positive: new Map([[2, 1n]]),
      negative: new Map(),
    };
    mergeNative(a, b);
    // bucket -3 = (0.125, 0.25] is under the threshold 0.25
    assert.equal(a.zeroThreshold, 0.25);
    assert.equal(a.zeroCount, 6n);
    assert.deepEqual([...a.positive], [[2, 2n]]);
  });

  it('reads back label text', () => {
    assert.deepEqual(parseLabelText('a="x",b="q\\"uo\\\\te\\n"'), [
      ['a', 'x'],
      ['b', 'q"uo\\te\n'],
    ]);
    assert.deepEqual(parseLabelText(''), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import snappy from 'snappy';
import {
  decodeV2Request,
  decodeWriteRequest,
  encodeLabels,
  encodeV2Request,
  encodeWriteRequest,
  type Histogram,
  isStaleNaN,
  ProtoWriter,
  RemoteWriteDecodeError,
  STALE_NAN,
  type TimeSeries,
  type WriteRequest,
  writeSeries,
} from './proto.js';
import { SnappyError, snappyCompress, snappyDeclaredLength, snappyDecompress } from './snappy.js';

const label = fc.record({ name: fc.string({ maxLength: 20 }), value: fc.string({ maxLength: 40 }) });
const ts = fc.integer({ min: -1e13, max: 1e13 });
const span = fc.record({ offset: fc.integer({ min: -1000, max: 1000 }), length: fc.integer({ min: 0, max: 50 }) });
const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const dbl = fc.double();
const histogram: fc.Arbitrary<Histogram> = fc.record({
  count: fc.oneof(
    u64.map((value) => ({ kind: 'int' as const, value })),
    dbl.map((value) => ({ kind: 'float' as const, value })),
  ),
  sum: dbl,
  schema: fc.integer({ min: -53, max: 8 }),
  zeroThreshold: dbl,
  zeroCount: fc.oneof(
    u64.map((value) => ({ kind: 'int' as const, value })),
    dbl.map((value) => ({ kind: 'float' as const, value })),
  ),
  negativeSpans: fc.array(span, { maxLength: 3 }),
  negativeDeltas: fc.array(i64, { maxLength: 5 }),
  negativeCounts: fc.array(dbl, { maxLength: 5 }),
  positiveSpans: fc.array(span, { maxLength: 3 }),
  positiveDeltas: fc.array(i64, { maxLength: 5 }),
  positiveCounts: fc.array(dbl, { maxLength: 5 }),
  resetHint: fc.integer({ min: 0, max: 3 }),
  timestampMs: ts,
});
const series: fc.Arbitrary<TimeSeries> = fc.record({
  labels: fc.array(label, { maxLength: 6 }),
  samples: fc.array(fc.record({ value: dbl, timestampMs: ts }), { maxLength: 5 }),
  exemplars: fc.array(fc.record({ labels: fc.array(label, { maxLength: 3 }), value: dbl, timestampMs: ts }), {
    maxLength: 2,
  }),
  histograms: fc.array(histogram, { maxLength: 2 }),
});
const request: fc.Arbitrary<WriteRequest> = fc.record({
  timeseries: fc.array(series, { maxLength: 5 }),
  metadata: fc.array(
    fc.record({
      type: fc.integer({ min: 0, max: 7 }),
      metricFamilyName: fc.string({ maxLength: 20 }),
      help: fc.string({ maxLength: 200 }),
      unit: fc.string({ maxLength: 10 }),
    }),
    { maxLength: 3 },
  ),
});

/** -0 is not the default value: encoders that skip only +0 keep it. Our encoder skips by
 * Object.is(v, 0), so -0 round-trips as -0; compare exactly except for NaN payloads. */
function normalizeExact(v: unknown): unknown {
  if (typeof v === 'number' && Number.isNaN(v)) return isStaleNaN(v) ? 'StaleNaN' : 'NaN';
  if (Array.isArray(v)) return v.map(normalizeExact);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalizeExact(x);
    return o;
  }
  return v;
}

describe('remote write protobuf codec', () => {
  it('round-trips any WriteRequest (property)', () => {
    fc.assert(
      fc.property(request, (req) => {
        const bytes = encodeWriteRequest(req);
        const back = decodeWriteRequest(bytes, { maxLabelsPerSeries: 100 });
        assert.deepEqual(normalizeExact(back), normalizeExact(req));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips through snappy (property)', () => {
    fc.assert(
      fc.property(request, (req) => {
        const raw = encodeWriteRequest(req);
        const z = snappyCompress(raw);
        assert.equal(snappyDeclaredLength(z), raw.length);
        assert.deepEqual(snappyDecompress(z, raw.length), raw);
      }),
      { numRuns: 100 },
    );
  });

  it('encodes a known message byte for byte', () => {
    const bytes = encodeWriteRequest({
      timeseries: [
        { labels: [{ name: 'a', value: 'b' }], samples: [{ value: 1, timestampMs: 2 }], exemplars: [], histograms: [] },
      ],
      metadata: [],
    });
    // 0a 15 | 0a 06 (0a 01 'a' 12 01 'b') | 12 0b (09 <1.0 LE> 10 02)
    assert.equal(bytes.toString('hex'), '0a150a060a0161120162120b09000000000000f03f1002');
  });

  it('keeps the staleness marker bits and tells them from an ordinary NaN', () => {
    assert.ok(isStaleNaN(STALE_NAN));
    assert.ok(!isStaleNaN(Number.NaN));
    const bytes = encodeWriteRequest({
      timeseries: [{ labels: [], samples: [{ value: STALE_NAN, timestampMs: 5 }], exemplars: [], histograms: [] }],
      metadata: [],
    });
    const v = decodeWriteRequest(bytes).timeseries[0]?.samples[0]?.value as number;
    assert.ok(isStaleNaN(v));
    assert.ok(bytes.includes(Buffer.from('020000000000f07f', 'hex')));
  });

  it('writes cached label bytes the same as fresh ones', () => {
    const labels = [
      { name: '__name__', value: 'x' },
      { name: 'job', value: 'j' },
    ];
    const cached = encodeLabels(labels);
    const w = new ProtoWriter(16);
    writeSeries(w, cached, [{ value: 3, timestampMs: 1 }]);
    const direct = encodeWriteRequest({
      timeseries: [{ labels, samples: [{ value: 3, timestampMs: 1 }], exemplars: [], histograms: [] }],
      metadata: [],
    });
    assert.deepEqual(w.finish(), direct);
  });

  it('handles long strings (multi-byte length prefix) and non-ASCII', () => {
    const value = `é${'x'.repeat(300)}😀`;
    const req: WriteRequest = {
      timeseries: [{ labels: [{ name: 'k', value }], samples: [], exemplars: [], histograms: [] }],
      metadata: [],
    };
    assert.equal(decodeWriteRequest(encodeWriteRequest(req)).timeseries[0]?.labels[0]?.value, value);
  });
});

describe('remote write decoder on hostile bytes', () => {
  const good = encodeWriteRequest({
    timeseries: [
      {
        labels: [
          { name: '__name__', value: 'up' },
          { name: 'job', value: 'x' },
        ],
        samples: [{ value: 1, timestampMs: 1000 }],
        exemplars: [],
        histograms: [],
      },
    ],
    metadata: [],
  });

  it('never throws anything but RemoteWriteDecodeError (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeWriteRequest(bytes);
        } catch (err) {
          assert.ok(err instanceof RemoteWriteDecodeError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('every truncation fails with a positioned error or decodes a prefix', () => {
    for (let n = 1; n < good.length; n++) {
      try {
        decodeWriteRequest(good.subarray(0, n));
      } catch (err) {
        assert.ok(err instanceof RemoteWriteDecodeError);
        assert.match(err.message, /at byte \d+$/);
      }
    }
  });

  it('names the field path and byte offset', () => {
    // Cut inside the sample's timestamp varint: a length that runs past the end.
    const bad = Buffer.from(good);
    bad[1] = 0x7f; // timeseries[0] length far too long
    assert.throws(
      () => decodeWriteRequest(bad),
      /^.*timeseries\[0\]: length 127 runs past the end of the enclosing message at byte 1$/,
    );
    // A sample value with the wrong wire type.
    const w = Buffer.from('0a0412020800', 'hex'); // timeseries{ samples{ field 1 varint 0 } }
    assert.throws(
      () => decodeWriteRequest(w),
      (err: unknown) => {
        assert.ok(err instanceof RemoteWriteDecodeError);
        assert.equal(err.path, 'timeseries[0].samples[0]');
        assert.equal(err.offset, 4);
        assert.match(err.message, /value: wire type 0, expected 1/);
        return true;
      },
    );
  });

  it('rejects invalid UTF-8 in label values and too many labels', () => {
    const bad = Buffer.from('0a080a060a0161120180', 'hex'); // label value 0x80 (lone continuation byte)
    assert.throws(() => decodeWriteRequest(bad), /timeseries\[0\]\.labels\[0\]\.value: invalid UTF-8 at byte 9/);
    const many: TimeSeries = {
      labels: Array.from({ length: 20 }, (_, i) => ({ name: `l${i}`, value: 'v' })),
      samples: [],
      exemplars: [],
      histograms: [],
    };
    const bytes = encodeWriteRequest({ timeseries: [many], metadata: [] });
    assert.throws(() => decodeWriteRequest(bytes, { maxLabelsPerSeries: 10 }), /more than 10 labels/);
  });

  it('bounds the decoded elements of a request (empty samples, empty series, packed deltas)', () => {
    // timeseries{ labels{a=""}, 1000 x samples{} }: 2 bytes per sample on the wire.
    const inner = Buffer.concat([Buffer.from('0a030a0161', 'hex'), Buffer.from('1200'.repeat(1000), 'hex')]);
    const samples = Buffer.concat([Buffer.from([0x0a, 0xd5, 0x0f]), inner]); // length 2005
    const tooMany = (err: unknown): boolean => {
      assert.ok(err instanceof RemoteWriteDecodeError);
      assert.equal(err.kind, 'too_large');
      assert.match(err.message, /more than 500 elements in one request/);
      return true;
    };
    assert.equal(decodeWriteRequest(samples).timeseries[0]?.samples.length, 1000);
    assert.throws(() => decodeWriteRequest(samples, { maxElements: 500 }), tooMany);
    // 1000 empty series.
    assert.throws(() => decodeWriteRequest(Buffer.from('0a00'.repeat(1000), 'hex'), { maxElements: 500 }), tooMany);
    // One histogram with 1000 packed one-byte deltas.
    const deltas = Buffer.concat([Buffer.from([0x62, 0xe8, 0x07]), Buffer.alloc(1000)]);
    const hist = Buffer.concat([Buffer.from([0x22, 0xeb, 0x07]), deltas]);
    const ts = Buffer.concat([Buffer.from([0x0a, 0xee, 0x07]), hist]);
    assert.equal(decodeWriteRequest(ts).timeseries[0]?.histograms[0]?.positiveDeltas.length, 1000);
    assert.throws(() => decodeWriteRequest(ts, { maxElements: 500 }), tooMany);
    // Malformed input keeps its kind.
    assert.throws(
      () => decodeWriteRequest(Buffer.from('2b', 'hex')),
      (err: unknown) => err instanceof RemoteWriteDecodeError && err.kind === 'malformed',
    );
    // 2.0: refs count too.
    const v2 = encodeV2Request([
      {
        labels: Array.from({ length: 300 }, (_, i) => ({ name: `l${i}`, value: 'v' })),
        samples: [{ value: 1, timestampMs: 1, startTimestampMs: 0 }],
      },
    ]);
    assert.equal(decodeV2Request(v2).request.timeseries[0]?.labels.length, 300);
    assert.throws(() => decodeV2Request(v2, { maxElements: 500 }), tooMany);
  });

  it('skips unknown fields of every wire type', () => {
    const extra = Buffer.concat([
      Buffer.from('2801', 'hex'),
      Buffer.from('31', 'hex'),
      Buffer.alloc(8),
      Buffer.from('3d', 'hex'),
      Buffer.alloc(4),
      good,
    ]);
    assert.equal(decodeWriteRequest(extra).timeseries.length, 1);
    assert.throws(() => decodeWriteRequest(Buffer.from('2b', 'hex')), /unsupported wire type 3 at byte 0/);
  });
});

describe('snappy framing', () => {
  it('refuses a declared size over the limit before decompressing', () => {
    const z = snappyCompress(Buffer.alloc(10_000, 1));
    assert.throws(
      () => snappyDecompress(z, 1000),
      (err: unknown) =>
        err instanceof SnappyError &&
        err.kind === 'too_large' &&
        /10000 bytes is over the limit of 1000/.test(err.message),
    );
    assert.equal(snappyDecompress(z, 10_000).length, 10_000);
  });

  it('refuses a lying length header and garbage', () => {
    // Header claims 4 GiB in a 6-byte block.
    assert.throws(() => snappyDecompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), 2 ** 33), SnappyError);
    assert.throws(
      () => snappyDecompress(Buffer.from('not snappy'), 1 << 20),
      (e: unknown) => e instanceof SnappyError && e.kind === 'corrupt',
    );
    assert.throws(
      () => snappyDecompress(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80]), 1 << 20),
      /bad length header/,
    );
  });

  it('uses the block format (no stream identifier)', () => {
    const z = snappy.compressSync(Buffer.from('abc'));
    assert.equal(z[0], 3);
    assert.notEqual(z[0], 0xff);
  });
});

describe('remote write 2.0 codec', () => {
  const v2series = fc.array(
    fc.record({
      labels: fc.array(label, { maxLength: 5 }),
      samples: fc.array(fc.record({ value: dbl, timestampMs: ts, startTimestampMs: ts }), { maxLength: 3 }),
      histograms: fc.array(histogram, { maxLength: 1 }),
    }),
    { maxLength: 4 },
  );

  it('round-trips series through the symbol table (property)', () => {
    fc.assert(
      fc.property(v2series, (series) => {
        const d = decodeV2Request(encodeV2Request(series));
        assert.deepEqual(
          normalizeExact(
            d.request.timeseries.map((t) => ({ labels: t.labels, samples: t.samples, histograms: t.histograms })),
          ),
          normalizeExact(series),
        );
        assert.equal(
          d.counts.samples,
          series.reduce((a, s) => a + s.samples.length, 0),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('turns per-series metadata into MetricMetadata and checks refs', () => {
    const bytes = encodeV2Request([
      {
        labels: [{ name: '__name__', value: 'x_total' }],
        samples: [],
        metadata: { type: 1, help: 'Help.', unit: 'seconds' },
      },
    ]);
    assert.deepEqual(decodeV2Request(bytes).request.metadata, [
      { type: 1, metricFamilyName: 'x_total', help: 'Help.', unit: 'seconds' },
    ]);
    // symbols [""], one series with labels_refs [0, 5]: 5 is past the table.
    assert.throws(
      () => decodeV2Request(Buffer.from('22002a040a020005', 'hex')),
      /timeseries\[0\]: labels_refs\[1\] points past the 1 symbols/,
    );
    assert.throws(() => decodeV2Request(Buffer.from('220178', 'hex')), /symbols\[0\] must be the empty string/);
  });

  it('never throws anything but RemoteWriteDecodeError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeV2Request(bytes);
        } catch (err) {
          assert.ok(err instanceof RemoteWriteDecodeError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

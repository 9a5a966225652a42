import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Batch, countItems } from './batch.js';
import { DecodeError } from './errors.js';
import { realisticRequest, requestArbitrary } from './gen.js';
import type { ExportTraceServiceRequest, RequestBySignal, Signal } from './model.js';
import { SIGNALS } from './model.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, scanRequest } from './proto/index.js';
import {
  bytesOf,
  doubleField,
  fixed32Field,
  fixed64Field,
  key,
  lenField,
  strField,
  traceRequestWithSpans,
  varint,
  varintField,
} from './testdata/raw.js';
import { decodeErrorOf, hexOf } from './testdata/util.js';

const RUNS = 300;

function firstSpan(req: ExportTraceServiceRequest) {
  const span = req.resourceSpans[0]?.scopeSpans[0]?.spans[0];
  assert.ok(span);
  return span;
}

describe('protobuf codec: round trips on generated requests', () => {
  for (const signal of SIGNALS) {
    it(`${signal}: decode(encode(x)) equals x, re-encoding is byte-stable, scan counts items`, () => {
      fc.assert(
        fc.property(requestArbitrary(signal), (req) => {
          const bytes = encodeRequest(signal, req);
          const back = decodeRequest(signal, bytes);
          assert.deepStrictEqual(back, req);
          assert.equal(hexOf(encodeRequest(signal, back)), hexOf(bytes));
          assert.equal(scanRequest(signal, bytes), countItems(signal, req));
        }),
        { numRuns: RUNS },
      );
    });

    it(`${signal}: realistic request round trip`, () => {
      const req = realisticRequest(signal);
      const bytes = encodeRequest(signal, req);
      assert.deepStrictEqual(decodeRequest(signal, bytes), req);
      assert.equal(scanRequest(signal, bytes), countItems(signal, req));
    });

    it(`${signal}: the concatenation of two requests decodes to their merge`, () => {
      const a = realisticRequest(signal);
      const bytes = encodeRequest(signal, a);
      const merged = Batch.merge(signal, [Batch.fromProto(signal, bytes), Batch.fromProto(signal, bytes)]);
      assert.equal(merged.itemCount, 2 * countItems(signal, a));
      assert.equal(countItems(signal, merged.request()), 2 * countItems(signal, a));
    });

    it(`${signal}: decodes from a view at an offset into a larger buffer`, () => {
      const req = realisticRequest(signal);
      const bytes = encodeRequest(signal, req);
      const big = Buffer.alloc(bytes.length + 21, 0xee);
      big.set(bytes, 13);
      const view = new Uint8Array(big.buffer, big.byteOffset + 13, bytes.length);
      assert.deepStrictEqual(decodeRequest(signal, view), req);
      assert.deepStrictEqual(decodeRequest(signal, big.subarray(13, 13 + bytes.length)), req);
      assert.equal(scanRequest(signal, view), countItems(signal, req));
      const decoded = decodeRequest(signal, view);
      big.fill(0);
      assert.deepStrictEqual(decoded, req, 'decoded values do not alias the input');
    });

    it(`${signal}: an empty request is zero bytes and decodes back`, () => {
      const empty = decodeRequest(signal, new Uint8Array(0));
      assert.equal(encodeRequest(signal, empty).length, 0);
      assert.equal(scanRequest(signal, new Uint8Array(0)), 0);
    });
  }
});

describe('protobuf codec: field numbers and wire details', () => {
  it('writes the newer fields with their proto field numbers', () => {
    const traces = decodeRequest(
      'traces',
      traceRequestWithSpans(fixed32Field(16, 0x301), lenField(13, fixed32Field(6, 1))),
    );
    assert.equal(traces.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.flags, 0x301);
    assert.equal(traces.resourceSpans[0]?.scopeSpans[0]?.spans[1]?.links[0]?.flags, 1);
    const span = firstSpan(traces);
    // Span.flags is field 16, fixed32: tag bytes 85 01.
    assert.match(hexOf(encodeRequest('traces', traces)), /850101030000/);
    assert.equal(span.flags, 0x301);

    const logs = decodeRequest('logs', bytesOf(lenField(1, lenField(2, lenField(2, strField(12, 'user.login'))))));
    assert.equal(logs.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.eventName, 'user.login');

    const expPoint = [
      ...doubleField(14, 0.001),
      ...doubleField(12, -1),
      ...doubleField(13, 2),
      ...varintField(6, 5), // sint32 zigzag: 5 -> -3
      ...lenField(8, varintField(1, 3), lenField(2, varint(1), varint(300))),
    ];
    const histPoint = [...doubleField(11, 0.5), ...doubleField(12, 99)];
    const metric = [
      ...strField(1, 'm'),
      ...lenField(12, strField(1, 'meta.key'), lenField(2, strField(1, 'v'))),
      ...lenField(10, lenField(1, expPoint), varintField(2, 1)),
    ];
    const metrics = decodeRequest(
      'metrics',
      bytesOf(lenField(1, lenField(2, lenField(2, metric), lenField(2, lenField(9, lenField(1, histPoint)))))),
    );
    const [m0, m1] = metrics.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
    assert.deepStrictEqual(m0?.metadata, [{ key: 'meta.key', value: 'v' }]);
    assert.equal(m0?.data?.type, 'exponentialHistogram');
    if (m0?.data?.type !== 'exponentialHistogram') return;
    const p = m0.data.dataPoints[0];
    assert.equal(p?.zeroThreshold, 0.001);
    assert.equal(p?.min, -1);
    assert.equal(p?.max, 2);
    assert.equal(p?.scale, -3);
    assert.deepStrictEqual(p?.positive, { offset: -2, bucketCounts: [1n, 300n] });
    assert.equal(m0.data.aggregationTemporality, 1);
    assert.equal(m1?.data?.type, 'histogram');
    if (m1?.data?.type !== 'histogram') return;
    assert.equal(m1.data.dataPoints[0]?.min, 0.5);
    assert.equal(m1.data.dataPoints[0]?.max, 99);
  });

  it('accepts packed and unpacked repeated scalars, and writes packed', () => {
    const unpacked = [
      ...fixed64Field(6, 1n),
      ...fixed64Field(6, 2n),
      ...doubleField(7, 1.5),
      ...doubleField(7, 2.5),
      ...lenField(6, [...Buffer.from('0300000000000000', 'hex')]),
    ];
    const req = decodeRequest(
      'metrics',
      bytesOf(lenField(1, lenField(2, lenField(2, lenField(9, lenField(1, unpacked)))))),
    );
    const data = req.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.data;
    assert.ok(data?.type === 'histogram');
    assert.deepStrictEqual(data.dataPoints[0]?.bucketCounts, [1n, 2n, 3n]);
    assert.deepStrictEqual(data.dataPoints[0]?.explicitBounds, [1.5, 2.5]);
    const packed = hexOf(encodeRequest('metrics', req));
    assert.match(packed, /3218010000000000000002000000000000000300000000000000/);
    assert.match(packed, /3a10000000000000f83f0000000000000440/);

    const expo = [...lenField(8, varintField(2, 7), varintField(2, 8), lenField(2, varint(9)))];
    const req2 = decodeRequest(
      'metrics',
      bytesOf(lenField(1, lenField(2, lenField(2, lenField(10, lenField(1, expo)))))),
    );
    const data2 = req2.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.data;
    assert.ok(data2?.type === 'exponentialHistogram');
    assert.deepStrictEqual(data2.dataPoints[0]?.positive?.bucketCounts, [7n, 8n, 9n]);
  });

  it('skips unknown fields of every wire type at every level', () => {
    const unknown = [
      ...varintField(90, 2n ** 63n),
      ...fixed64Field(91, 1n),
      ...lenField(92, [1, 2, 3]),
      ...fixed32Field(93, 7),
      ...key(94, 3),
      ...varintField(1, 1),
      ...key(95, 3),
      ...key(95, 4),
      ...key(94, 4),
    ];
    const span = [...strField(5, 'op'), ...unknown, ...lenField(9, strField(1, 'k'), unknown, lenField(2, unknown))];
    const bytes = bytesOf(lenField(1, unknown, lenField(2, unknown, lenField(2, span)), lenField(1, unknown)));
    const req = decodeRequest('traces', bytes);
    assert.equal(firstSpan(req).name, 'op');
    assert.deepStrictEqual(firstSpan(req).attributes, [{ key: 'k', value: null }]);
    assert.deepStrictEqual(req.resourceSpans[0]?.resource?.attributes, []);
    assert.equal(scanRequest('traces', bytes), 1);
  });

  it('ignores profiles-only strindex fields and Resource.entity_refs', () => {
    const kv = [...strField(1, 'k'), ...varintField(3, 4), ...lenField(2, strField(1, 'v'), varintField(8, 2))];
    const resource = [...lenField(1, kv), ...lenField(3, strField(2, 'service'), strField(3, 'service.name'))];
    const req = decodeRequest('traces', bytesOf(lenField(1, lenField(1, resource))));
    assert.deepStrictEqual(req.resourceSpans[0]?.resource?.attributes, [{ key: 'k', value: 'v' }]);
  });

  it('maps every AnyValue kind and keeps an empty AnyValue distinct from an absent body', () => {
    const values = [
      strField(1, ''),
      varintField(2, 1),
      varintField(3, -5),
      doubleField(4, -0),
      lenField(5),
      lenField(6, lenField(1, strField(1, 'x'))),
      lenField(7, [0, 255]),
      [],
    ];
    const attrs = values.map((v, i) => lenField(6, strField(1, `k${i}`), lenField(2, v)));
    const records = [lenField(2, lenField(5), ...attrs), lenField(2, strField(3, 'no body'))];
    const req = decodeRequest('logs', bytesOf(lenField(1, lenField(2, ...records))));
    const [withBody, noBody] = req.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
    assert.deepStrictEqual(
      withBody?.attributes.map((a) => a.value),
      ['', true, -5n, -0, [], { kvlist: [{ key: 'x', value: null }] }, new Uint8Array([0, 255]), null],
    );
    assert.equal(withBody?.body, null);
    assert.equal(noBody?.body, undefined);
    assert.deepStrictEqual(decodeRequest('logs', encodeRequest('logs', req)), req);
  });

  it('keeps negative enums, max uint64 times, negative int64 and NaN payloads', () => {
    const span = [
      ...varintField(6, -1),
      ...fixed64Field(7, 2n ** 64n - 1n),
      ...lenField(9, strField(1, 'i'), lenField(2, varintField(3, -(2n ** 63n)))),
      ...lenField(15, varintField(3, -2)),
    ];
    const bytes = traceRequestWithSpans(span);
    const s = firstSpan(decodeRequest('traces', bytes));
    assert.equal(s.kind, -1);
    assert.equal(s.startTimeUnixNano, 2n ** 64n - 1n);
    assert.equal(s.attributes[0]?.value, -(2n ** 63n));
    assert.equal(s.status?.code, -2);
    assert.equal(hexOf(encodeRequest('traces', decodeRequest('traces', bytes))), hexOf(bytes));
  });

  it('accepts over-long (non-minimal) varints for tags and lengths', () => {
    // name (field 5, length-delimited) with tag 0x2a spelled as 2a|80 00 and length 1 as 81 00.
    const bytes = traceRequestWithSpans([0xaa, 0x00, 0x81, 0x00, 0x78]);
    assert.equal(firstSpan(decodeRequest('traces', bytes)).name, 'x');
    assert.equal(scanRequest('traces', bytes), 1);
  });

  it('takes the low 32 bits of over-long uint32 varints, as protobuf does', () => {
    const s = firstSpan(decodeRequest('traces', traceRequestWithSpans(varintField(10, 2n ** 32n + 7n))));
    assert.equal(s.droppedAttributesCount, 7);
  });

  it('refuses to encode out-of-range 64-bit values', () => {
    const req = decodeRequest('traces', traceRequestWithSpans(strField(5, 'x')));
    firstSpan(req).startTimeUnixNano = -1n;
    assert.throws(() => encodeRequest('traces', req), RangeError);
    firstSpan(req).startTimeUnixNano = 2n ** 64n;
    assert.throws(() => encodeRequest('traces', req), RangeError);
    firstSpan(req).startTimeUnixNano = 1n;
    assert.equal(decodeRequest('traces', encodeRequest('traces', req)).resourceSpans.length, 1);
  });

  it('grows the scratch buffer for large requests', () => {
    const req = decodeRequest('traces', traceRequestWithSpans(strField(5, 'x'.repeat(300_000)), strField(5, 'é')));
    for (let i = 0; i < 12; i++) firstSpan(req).attributes.push({ key: `k${i}`, value: 'y'.repeat(100_000) });
    const bytes = encodeRequest('traces', req);
    assert.ok(bytes.length > 1_500_000);
    assert.deepStrictEqual(decodeRequest('traces', bytes), req);
    assert.deepStrictEqual(decodeRequest('traces', encodeRequest('traces', req)), req);
  });
});

describe('protobuf codec: malformed input', () => {
  it('names the field path and byte offset of a bad length', () => {
    const span0 = strField(5, 'a');
    const span1 = [...strField(5, 'b'), ...key(9, 2), ...varint(9000), 1, 2, 3];
    const e = decodeErrorOf(() => decodeRequest('traces', traceRequestWithSpans(span0, span1)));
    assert.match(
      e.message,
      /^resource_spans\[0\]\.scope_spans\[0\]\.spans\[1\]\.attributes: length 9000 past end of buffer at byte \d+$/,
    );
    assert.equal(e.code, 'SY_DECODE');
    const scanned = decodeErrorOf(() => scanRequest('traces', traceRequestWithSpans(span0, span1)));
    assert.equal(scanned.message, e.message);
  });

  it('names nested paths inside attributes and metric data', () => {
    const badValue = lenField(9, strField(1, 'k'), lenField(2, lenField(5, lenField(1, [0x0a, 0x05, 0x61]))));
    const e = decodeErrorOf(() => decodeRequest('traces', traceRequestWithSpans(strField(5, 'a'), badValue)));
    assert.match(
      e.message,
      /^resource_spans\[0\]\.scope_spans\[0\]\.spans\[1\]\.attributes\[0\]\.value\.array_value\.values\[0\]\.string_value: length 5 past end/,
    );

    const point = [...fixed64Field(2, 1n), ...key(4, 1), 1, 2];
    const bytes = bytesOf(
      lenField(1, lenField(2, lenField(2, lenField(7, lenField(1, strField(1, 'x')), lenField(1, point))))),
    );
    const m = decodeErrorOf(() => decodeRequest('metrics', bytes));
    assert.match(
      m.message,
      /^resource_metrics\[0\]\.scope_metrics\[0\]\.metrics\[0\]\.sum\.data_points\[1\]\.as_double: truncated double at byte \d+$/,
    );
  });

  it('rejects a known field with the wrong wire type', () => {
    const e = decodeErrorOf(() => decodeRequest('traces', traceRequestWithSpans(varintField(5, 1))));
    assert.match(e.message, /spans\[0\]\.name: wrong wire type varint for field 5/);
    decodeErrorOf(() => scanRequest('traces', traceRequestWithSpans(fixed64Field(16, 1n))));
    decodeErrorOf(() => decodeRequest('logs', bytesOf(lenField(1, lenField(2, lenField(2, varintField(1, 5)))))));
  });

  it('rejects invalid UTF-8 and accepts every valid form', () => {
    for (const bad of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xff]]) {
      const bytes = traceRequestWithSpans(lenField(5, [0x61, ...bad]));
      assert.match(decodeErrorOf(() => decodeRequest('traces', bytes)).message, /name: invalid UTF-8 in string/);
      decodeErrorOf(() => scanRequest('traces', bytes));
      const long = traceRequestWithSpans(lenField(5, [...Buffer.from('x'.repeat(40)), ...bad]));
      decodeErrorOf(() => decodeRequest('traces', long));
      decodeErrorOf(() => scanRequest('traces', long));
    }
    const good = 'aé€😀\ufffd'.repeat(3);
    const bytes = traceRequestWithSpans(strField(5, good), strField(5, good.repeat(5)));
    assert.equal(firstSpan(decodeRequest('traces', bytes)).name, good);
    assert.equal(scanRequest('traces', bytes), 2);
  });

  it('rejects bad varints, field 0, stray end-groups and invalid wire types', () => {
    const cases: [number[], RegExp][] = [
      [[0x0a, 0x80], /truncated varint/],
      [[...key(1, 2), ...Array(10).fill(0xff), 0x01], /varint/],
      [[...key(9, 0), ...Array(9).fill(0xff), 0x02], /overflows 64 bits/],
      [[0x00], /invalid field number 0/],
      [[0x80, 0x00, 0x01], /invalid field number 0/],
      [[0x82, 0x80, 0x80, 0x80, 0x00, 0x00], /invalid field number 0/],
      [[...key(50, 4)], /end-group tag without a start-group/],
      [[...key(50, 3), ...key(51, 4)], /end-group tag for field 51 inside group 50/],
      [[...key(50, 3)], /unterminated group 50/],
      [[...key(50, 6)], /invalid wire type 6/],
      [[...key(50, 7)], /invalid wire type 7/],
      [[...key(50, 1), 1, 2], /truncated fixed64/],
      [[...key(50, 5), 1], /truncated fixed32/],
    ];
    for (const [bytes, pattern] of cases) {
      const req = bytesOf(bytes);
      assert.match(decodeErrorOf(() => decodeRequest('traces', req)).message, pattern, hexOf(req));
      decodeErrorOf(() => scanRequest('traces', req));
    }
  });

  it('limits nesting depth instead of overflowing the stack', () => {
    let value: number[] = strField(1, 'leaf');
    for (let i = 0; i < 200; i++) value = lenField(5, lenField(1, value));
    const bytes = traceRequestWithSpans(lenField(9, strField(1, 'deep'), lenField(2, value)));
    assert.match(decodeErrorOf(() => decodeRequest('traces', bytes)).message, /nested deeper than 128/);
    assert.match(decodeErrorOf(() => scanRequest('traces', bytes)).message, /nested deeper than 128/);
    let group: number[] = [];
    for (let i = 0; i < 200; i++) group = [...key(60, 3), ...group, ...key(60, 4)];
    assert.match(decodeErrorOf(() => decodeRequest('traces', bytesOf(group))).message, /groups nested deeper/);
  });

  it('throws DecodeError, which is what Batch.fromProto surfaces', () => {
    assert.throws(() => Batch.fromProto('traces', new Uint8Array([0x0a, 0x05, 0x01])), DecodeError);
  });
});

describe('protobuf codec: responses', () => {
  for (const signal of SIGNALS) {
    it(`${signal}: partial success round trip`, () => {
      assert.equal(encodeResponse(signal).length, 0);
      assert.equal(decodeResponse(signal, new Uint8Array(0)), undefined);
      assert.deepStrictEqual(decodeResponse(signal, encodeResponse(signal, { rejected: 0n, errorMessage: '' })), {
        rejected: 0n,
        errorMessage: '',
      });
      for (const rejected of [1n, 300n, -1n, 2n ** 63n - 1n]) {
        const partial = { rejected, errorMessage: 'some were bad ✗' };
        assert.deepStrictEqual(decodeResponse(signal, encodeResponse(signal, partial)), partial);
      }
      const e = decodeErrorOf(() => decodeResponse(signal, bytesOf(lenField(1, key(2, 2), varint(5)))));
      assert.match(e.message, /^partial_success\.error_message: length 5 past end/);
    });
  }
});

describe('protobuf codec: types line up with the model', () => {
  it('decodeRequest returns the request type of its signal', () => {
    const check = <S extends Signal>(signal: S, req: RequestBySignal[S]) => countItems(signal, req);
    assert.equal(check('traces', decodeRequest('traces', new Uint8Array(0))), 0);
  });
});

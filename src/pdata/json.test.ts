import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Batch } from './batch.js';
import { DecodeError } from './errors.js';
import { realisticRequest, requestArbitrary } from './gen.js';
import { requestFromJson, requestToJson, responseFromJson, responseToJson } from './json/index.js';
import { SIGNALS, type Signal } from './model.js';
import { decodeRequest, encodeRequest } from './proto/index.js';
import { decodeErrorOf, hexOf, testdata } from './testdata/util.js';

const RUNS = 200;

function firstSpan(json: string) {
  const span = requestFromJson('traces', json).resourceSpans[0]?.scopeSpans[0]?.spans[0];
  assert.ok(span);
  return span;
}

function spanJson(fields: string): string {
  return `{"resourceSpans":[{"scopeSpans":[{"spans":[{${fields}}]}]}]}`;
}

describe('OTLP/JSON codec: round trips', () => {
  for (const signal of SIGNALS) {
    it(`${signal}: fromJson(toJson(x)) equals x; proto -> JSON -> proto is byte-identical`, () => {
      fc.assert(
        fc.property(requestArbitrary(signal), (req) => {
          const json = requestToJson(signal, req);
          assert.deepStrictEqual(requestFromJson(signal, json), req);
          assert.deepStrictEqual(requestFromJson(signal, Buffer.from(json)), req);
          const bytes = encodeRequest(signal, req);
          const viaJson = encodeRequest(
            signal,
            requestFromJson(signal, requestToJson(signal, decodeRequest(signal, bytes))),
          );
          assert.equal(hexOf(viaJson), hexOf(bytes));
        }),
        { numRuns: RUNS },
      );
    });

    it(`${signal}: the golden file-exporter line decodes and re-encodes to the same text`, () => {
      const text = testdata(`${signal}.json`).toString('utf8').trim();
      const req = requestFromJson(signal, text);
      assert.equal(requestToJson(signal, req), text);
      assert.deepStrictEqual(decodeRequest(signal, encodeRequest(signal, req)), req);
      assert.equal(Batch.fromJson(signal, text).toJson(), text);
    });

    it(`${signal}: realistic request round trip`, () => {
      const req = realisticRequest(signal);
      assert.deepStrictEqual(requestFromJson(signal, requestToJson(signal, req)), req);
    });
  }
});

describe('OTLP/JSON codec: the encoding', () => {
  it('writes camelCase keys, hex ids, decimal-string 64-bit ints, integer enums, base64 bytes', () => {
    const req = requestFromJson('traces', testdata('traces.json').toString('utf8'));
    const out = requestToJson('traces', req);
    assert.match(out, /"traceId":"5b8efff798038103d269b633813fc60c"/);
    assert.match(out, /"startTimeUnixNano":"1544712660000000000"/);
    assert.match(out, /"kind":2,/);
    assert.match(out, /"bytesValue":"AP8Q"/);
    assert.match(out, /"doubleValue":"NaN"/);
    const keys: string[] = [];
    JSON.parse(out, (k, v) => {
      keys.push(k);
      return v;
    });
    assert.deepStrictEqual(
      keys.filter((k) => k.includes('_')),
      [],
    );
    assert.equal(out.includes('\n'), false);
  });

  it('matches the values of the golden metrics file', () => {
    const req = requestFromJson('metrics', testdata('metrics.json'));
    const metrics = req.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
    const [sum, gauge, hist, exp, summary, none] = metrics;
    assert.ok(sum?.data?.type === 'sum');
    assert.equal(sum.data.dataPoints[0]?.value, -42n);
    assert.equal(sum.data.dataPoints[0]?.exemplars[0]?.value, 1.5);
    assert.ok(gauge?.data?.type === 'gauge');
    assert.ok(Object.is(gauge.data.dataPoints[0]?.value, -0));
    assert.equal(gauge.data.dataPoints[1]?.value, Number.POSITIVE_INFINITY);
    assert.equal(gauge.data.dataPoints[2]?.value, undefined);
    assert.ok(hist?.data?.type === 'histogram');
    assert.equal(hist.data.dataPoints[0]?.count, 2n ** 64n - 1n);
    assert.equal(hist.data.dataPoints[0]?.sum, 0);
    assert.deepStrictEqual(hist.data.dataPoints[0]?.bucketCounts, [1n, 0n, 2n ** 64n - 2n]);
    assert.ok(exp?.data?.type === 'exponentialHistogram');
    assert.equal(exp.data.dataPoints[0]?.scale, -2);
    assert.deepStrictEqual(exp.data.dataPoints[0]?.negative, { offset: 0, bucketCounts: [] });
    assert.ok(summary?.data?.type === 'summary');
    assert.deepStrictEqual(summary.data.dataPoints[0]?.quantileValues[0], { quantile: 0, value: 1 });
    assert.equal(none?.data, undefined);
  });

  it('writes an empty request as {} and keeps empty messages that are present', () => {
    assert.equal(requestToJson('logs', { resourceLogs: [] }), '{}');
    const json = spanJson('"status":{}');
    assert.equal(requestToJson('traces', requestFromJson('traces', json)), json);
  });
});

describe('OTLP/JSON codec: lenient input', () => {
  it('accepts snake_case keys, upper-case hex and enum names', () => {
    const s = firstSpan(
      spanJson(
        '"trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"EEE19B7EC3C1B174","kind":"SPAN_KIND_CLIENT",' +
          '"start_time_unix_nano":"5","dropped_attributes_count":"3","status":{"code":"STATUS_CODE_ERROR"}',
      ),
    );
    assert.equal(hexOf(s.traceId), '5b8efff798038103d269b633813fc60c');
    assert.equal(hexOf(s.spanId), 'eee19b7ec3c1b174');
    assert.equal(s.kind, 3);
    assert.equal(s.startTimeUnixNano, 5n);
    assert.equal(s.droppedAttributesCount, 3);
    assert.equal(s.status?.code, 2);
    const logs = requestFromJson(
      'logs',
      '{"resource_logs":[{"scope_logs":[{"log_records":[{"severity_number":"SEVERITY_NUMBER_WARN3","body":{"string_value":"x"}}]}]}]}',
    );
    assert.equal(logs.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.severityNumber, 15);
    const metrics = requestFromJson(
      'metrics',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"exponential_histogram":{"aggregation_temporality":"AGGREGATION_TEMPORALITY_DELTA","data_points":[{"zero_count":2}]}}]}]}]}',
    );
    const data = metrics.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.data;
    assert.ok(data?.type === 'exponentialHistogram');
    assert.equal(data.aggregationTemporality, 1);
    assert.equal(data.dataPoints[0]?.zeroCount, 2n);
  });

  it('accepts 64-bit integers as numbers, keeping every digit beyond 2^53', () => {
    assert.equal(firstSpan(spanJson('"startTimeUnixNano":1544712660000')).startTimeUnixNano, 1544712660000n);
    const big = firstSpan(spanJson('"startTimeUnixNano":1544712660000000001,"endTimeUnixNano":18446744073709551615'));
    assert.equal(big.startTimeUnixNano, 1544712660000000001n);
    assert.equal(big.endTimeUnixNano, 18446744073709551615n);
    const attr = firstSpan(
      spanJson('"name":"é\\u00e9\\ud83d\\ude00","attributes":[{"key":"k","value":{"intValue":-9223372036854775808}}]'),
    );
    assert.equal(attr.attributes[0]?.value, -(2n ** 63n));
    assert.equal(attr.name, 'éé😀');
  });

  it('accepts doubles as numbers, numeric strings and NaN/Infinity strings', () => {
    const values = ['1.5', '"2.5"', '"NaN"', '"Infinity"', '"-Infinity"', '-0', '1e300', '12345678901234567890'];
    const json = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[${values
      .map((v) => `{"asDouble":${v}}`)
      .join(',')}]}}]}]}]}`;
    const data = requestFromJson('metrics', json).resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.data;
    assert.ok(data?.type === 'gauge');
    assert.deepStrictEqual(
      data.dataPoints.map((p) => p.value),
      [
        1.5,
        2.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -0,
        1e300,
        Number('12345678901234567890'),
      ],
    );
  });

  it('ignores unknown fields and treats null as unset', () => {
    const s = firstSpan(
      spanJson(
        '"name":"n","futureField":{"deep":[1,2]},"kind":null,"status":null,"attributes":[{"key":"a","value":null}]',
      ),
    );
    assert.equal(s.name, 'n');
    assert.equal(s.kind, 0);
    assert.equal(s.status, undefined);
    assert.deepStrictEqual(s.attributes, [{ key: 'a', value: null }]);
  });

  it('accepts base64 in both alphabets, with or without padding', () => {
    for (const b64 of ['AP8/', 'AP8_', 'AP8', 'AA==', 'AA']) {
      const json = spanJson(`"attributes":[{"key":"b","value":{"bytesValue":"${b64}"}}]`);
      assert.ok(firstSpan(json).attributes[0]?.value instanceof Uint8Array, b64);
    }
  });
});

describe('OTLP/JSON codec: errors name the JSON path', () => {
  it('reports a wrong type with its full path', () => {
    const json = '{"resourceSpans":[{"scopeSpans":[{"spans":[{},{},{"startTimeUnixNano":true}]}]}]}';
    const e = decodeErrorOf(() => requestFromJson('traces', json));
    assert.equal(
      e.message,
      'resourceSpans[0].scopeSpans[0].spans[2].startTimeUnixNano: expected an integer string or number, got true',
    );
    assert.equal(e.where, 'resourceSpans[0].scopeSpans[0].spans[2].startTimeUnixNano');
    assert.equal(e.code, 'SY_DECODE');
  });

  const cases: [Signal, string, RegExp][] = [
    ['traces', spanJson('"traceId":"xyz"'), /spans\[0\]\.traceId: expected a hex string, got "xyz"/],
    ['traces', spanJson('"traceId":"abc"'), /traceId: expected a hex string/],
    ['traces', spanJson('"traceId":"\u0230\u0231"'), /traceId: expected a hex string/],
    ['traces', spanJson('"spanId":"0g"'), /spanId: expected a hex string, got "0g"/],
    ['traces', spanJson('"kind":"SPAN_KIND_BOGUS"'), /kind: unknown enum value "SPAN_KIND_BOGUS"/],
    ['traces', spanJson('"flags":-1'), /flags: -1 is outside the uint32 range/],
    ['traces', spanJson('"flags":1.5'), /flags: expected an integer, got 1.5/],
    ['traces', spanJson('"startTimeUnixNano":"-1"'), /startTimeUnixNano: -1 is outside the uint64 range/],
    ['traces', spanJson('"startTimeUnixNano":"1.5"'), /expected an integer string or number, got "1.5"/],
    ['traces', spanJson('"attributes":{}'), /spans\[0\]\.attributes: expected an array, got an object/],
    [
      'traces',
      spanJson('"attributes":[{"key":"k","value":{"arrayValue":{"values":[{"intValue":"x"}]}}}]'),
      /attributes\[0\]\.value\.arrayValue\.values\[0\]\.intValue: expected an integer string or number, got "x"/,
    ],
    [
      'traces',
      spanJson('"attributes":[{"key":"k","value":{"bytesValue":"@@"}}]'),
      /bytesValue: expected a base64 string/,
    ],
    ['traces', '{"resourceSpans":{}}', /^resourceSpans: expected an array, got an object$/],
    ['traces', '[]', /^expected an object, got an array$/],
    [
      'logs',
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":"text"}]}]}]}',
      /logRecords\[0\]\.body: expected an object, got "text"/,
    ],
    [
      'metrics',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":[{"asDouble":"fast"}]}}]}]}]}',
      /metrics\[0\]\.sum\.dataPoints\[0\]\.asDouble: expected a number or "NaN", "Infinity", "-Infinity", got "fast"/,
    ],
    [
      'metrics',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"isMonotonic":"yes"}}]}]}]}',
      /metrics\[0\]\.sum\.isMonotonic: expected a boolean, got "yes"/,
    ],
    [
      'metrics',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"bucketCounts":["1",{}]}]}}]}]}]}',
      /histogram\.dataPoints\[0\]\.bucketCounts\[1\]: expected an integer string or number, got an object/,
    ],
  ];
  for (const [signal, json, pattern] of cases) {
    it(`rejects ${json.slice(0, 90)}`, () => {
      assert.match(decodeErrorOf(() => requestFromJson(signal, json)).message, pattern);
    });
  }

  it('rejects invalid JSON, invalid UTF-8 and runaway nesting with DecodeError', () => {
    assert.match(decodeErrorOf(() => requestFromJson('traces', '{"resourceSpans":[')).message, /^invalid JSON/);
    assert.match(decodeErrorOf(() => requestFromJson('traces', new Uint8Array([0x7b, 0xff, 0x7d]))).message, /UTF-8/);
    let deep = '{"stringValue":"x"}';
    for (let i = 0; i < 200; i++) deep = `{"arrayValue":{"values":[${deep}]}}`;
    const json = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${deep}}]}]}]}`;
    assert.match(decodeErrorOf(() => requestFromJson('logs', json)).message, /nested deeper than 128/);
    assert.throws(() => requestFromJson('logs', '{"resourceLogs":[{"x":1}]'), DecodeError);
    const bigJson = spanJson(`"startTimeUnixNano":${'9'.repeat(30)}`);
    assert.match(decodeErrorOf(() => requestFromJson('traces', bigJson)).message, /outside the uint64 range/);
    assert.match(decodeErrorOf(() => requestFromJson('traces', bigJson.slice(0, -1))).message, /^invalid JSON/);
  });
});

describe('OTLP/JSON codec: responses', () => {
  for (const signal of SIGNALS) {
    it(`${signal}: partial success round trip`, () => {
      assert.equal(responseToJson(signal), '{}');
      assert.equal(responseFromJson(signal, '{}'), undefined);
      const partial = { rejected: 5n, errorMessage: 'half of it' };
      const json = responseToJson(signal, partial);
      assert.deepStrictEqual(responseFromJson(signal, json), partial);
      assert.deepStrictEqual(responseFromJson(signal, Buffer.from(json)), partial);
      assert.equal(responseToJson(signal, { rejected: 0n, errorMessage: '' }), '{"partialSuccess":{}}');
    });
  }

  it('uses the per-signal rejected key and accepts snake_case', () => {
    assert.equal(
      responseToJson('traces', { rejected: 2n, errorMessage: '' }),
      '{"partialSuccess":{"rejectedSpans":"2"}}',
    );
    assert.match(responseToJson('metrics', { rejected: 2n, errorMessage: '' }), /"rejectedDataPoints":"2"/);
    assert.match(responseToJson('logs', { rejected: 2n, errorMessage: '' }), /"rejectedLogRecords":"2"/);
    assert.deepStrictEqual(
      responseFromJson('logs', '{"partial_success":{"rejected_log_records":7,"error_message":"e"}}'),
      { rejected: 7n, errorMessage: 'e' },
    );
    assert.match(
      decodeErrorOf(() => responseFromJson('traces', '{"partialSuccess":{"rejectedSpans":true}}')).message,
      /^partialSuccess\.rejectedSpans: expected an integer string or number, got true$/,
    );
  });
});

// Cross-checks against independent implementations: the protobufjs static code generated from
// opentelemetry-proto (otlp-transformer 0.214) and the OpenTelemetry JS SDK's own serializers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { realisticRequest, requestArbitrary } from './gen.js';
import { requestFromJson, requestToJson } from './json/index.js';
import { SIGNALS } from './model.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from './proto/index.js';
import { fromPb, PB_REQUEST, PB_RESPONSE, toPb } from './testdata/protobufjs.js';
import { sdkItems, sdkJson, sdkProto, transformerVersion } from './testdata/sdk.js';
import { hexOf } from './testdata/util.js';

const RUNS = 200;

describe('interop with protobufjs (opentelemetry-proto generated code)', () => {
  for (const signal of SIGNALS) {
    const Type = PB_REQUEST[signal];

    it(`${signal}: ours encodes, protobufjs decodes the same fields`, () => {
      fc.assert(
        fc.property(requestArbitrary(signal), (req) => {
          assert.deepStrictEqual(fromPb(signal, Type.decode(encodeRequest(signal, req))), req);
        }),
        { numRuns: RUNS },
      );
    });

    it(`${signal}: protobufjs encodes, ours decodes the same fields, and the bytes are identical`, () => {
      fc.assert(
        fc.property(requestArbitrary(signal), (req) => {
          const theirs = Type.encode(toPb(signal, req)).finish();
          assert.deepStrictEqual(decodeRequest(signal, theirs), req);
          assert.equal(hexOf(encodeRequest(signal, req)), hexOf(theirs));
        }),
        { numRuns: RUNS },
      );
    });

    it(`${signal}: realistic request, both directions`, () => {
      const req = realisticRequest(signal);
      const ours = encodeRequest(signal, req);
      const theirs = Type.encode(toPb(signal, req)).finish();
      assert.equal(hexOf(ours), hexOf(theirs));
      assert.deepStrictEqual(fromPb(signal, Type.decode(ours)), req);
      assert.deepStrictEqual(decodeRequest(signal, theirs), req);
    });

    it(`${signal}: responses agree`, () => {
      const Response = PB_RESPONSE[signal];
      const partial = { rejected: 12n, errorMessage: 'bad points' };
      const decoded = Response.decode(encodeResponse(signal, partial));
      const ps = decoded['partialSuccess'] as Record<string, unknown>;
      const rejectedKey = Object.keys(ps).find((k) => k.startsWith('rejected'));
      assert.ok(rejectedKey);
      assert.equal(String(ps[rejectedKey]), '12');
      assert.equal(ps['errorMessage'], 'bad points');
      const theirs = Response.encode({ partialSuccess: { [rejectedKey]: 7, errorMessage: 'x' } }).finish();
      assert.deepStrictEqual(decodeResponse(signal, theirs), { rejected: 7n, errorMessage: 'x' });
    });
  }
});

describe(`interop with the OpenTelemetry JS SDK serializers (otlp-transformer ${transformerVersion})`, () => {
  for (const signal of SIGNALS) {
    it(`${signal}: protobuf from the SDK decodes like protobufjs decodes it, and round-trips`, async () => {
      const bytes = sdkProto(signal, await sdkItems(signal));
      const ours = decodeRequest(signal, bytes);
      assert.deepStrictEqual(ours, fromPb(signal, PB_REQUEST[signal].decode(bytes)));
      assert.deepStrictEqual(decodeRequest(signal, encodeRequest(signal, ours)), ours);
    });

    it(`${signal}: JSON from the SDK decodes to the same request as its protobuf`, async () => {
      const items = await sdkItems(signal);
      const fromProto = decodeRequest(signal, sdkProto(signal, items));
      const fromJson = requestFromJson(signal, sdkJson(signal, items));
      // The SDK stamps each serialization with the same items, so only ids and times could
      // differ, and they do not: one set of items feeds both.
      assert.deepStrictEqual(fromJson, fromProto);
      assert.deepStrictEqual(requestFromJson(signal, requestToJson(signal, fromJson)), fromProto);
    });
  }

  it('the SDK trace request carries what the SDK recorded', async () => {
    const req = decodeRequest('traces', sdkProto('traces', await sdkItems('traces')));
    const rs = req.resourceSpans[0];
    assert.ok(rs?.resource);
    const attr = (key: string) => rs.resource?.attributes.find((a) => a.key === key)?.value;
    assert.equal(attr('service.name'), 'sdk-interop');
    assert.equal(attr('process.pid'), 4242n);
    assert.equal(attr('deployment.environment.name'), 'tést ✓');
    const spans = rs.scopeSpans.flatMap((s) => s.spans);
    const child = spans.find((s) => s.name === 'child');
    const parent = spans.find((s) => s.name === 'parent');
    assert.ok(child && parent);
    assert.deepStrictEqual(child.parentSpanId, parent.spanId);
    assert.equal(child.kind, 3);
    assert.deepStrictEqual(child.status, { message: 'upstream failed', code: 2 });
    assert.deepStrictEqual(
      child.attributes.map((a) => [a.key, a.value]),
      [
        ['a.double', 1.25],
        ['a.bool', true],
        ['a.strings', ['p', 'q']],
        ['a.ints', [1n, 2n, 3n]],
        ['a.utf8', 'grüße 😀'],
      ],
    );
    assert.equal(child.events[0]?.name, 'retry');
    assert.deepStrictEqual(child.links[0]?.spanId, parent.spanId);
    assert.ok(child.endTimeUnixNano >= child.startTimeUnixNano && child.startTimeUnixNano > 1_600_000_000_000_000_000n);
    assert.equal(child.flags & 0xff, 1);
  });

  it('the SDK metrics request carries every metric type it exported', async () => {
    const req = decodeRequest('metrics', sdkProto('metrics', await sdkItems('metrics')));
    const metrics = req.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const byName = new Map(metrics.map((m) => [m.name, m.data]));
    assert.equal(byName.get('requests')?.type, 'sum');
    assert.equal(byName.get('latency')?.type, 'histogram');
    assert.equal(byName.get('exp.latency')?.type, 'exponentialHistogram');
    assert.equal(byName.get('temperature')?.type, 'gauge');
    const latency = byName.get('latency');
    assert.ok(latency?.type === 'histogram');
    assert.equal(latency.dataPoints[0]?.count, 5n);
    assert.equal(latency.dataPoints[0]?.min, 0.5);
    assert.equal(latency.dataPoints[0]?.max, 9000);
    const exp = byName.get('exp.latency');
    assert.ok(exp?.type === 'exponentialHistogram');
    assert.equal(exp.dataPoints[0]?.zeroCount, 2n);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Batch } from './batch.js';
import { realisticTraces, requestArbitrary } from './gen.js';
import type { ExportTraceServiceRequest } from './model.js';
import { decodeRequest, encodeRequest } from './proto/index.js';

describe('Batch', () => {
  it('merging protobuf batches concatenates bytes into the encoding of the merged request', () => {
    fc.assert(
      fc.property(fc.array(requestArbitrary('metrics'), { minLength: 1, maxLength: 4 }), (reqs) => {
        const parts = reqs.map((r) => Batch.fromProto('metrics', encodeRequest('metrics', r)));
        const merged = Batch.merge('metrics', parts);
        const expected = { resourceMetrics: reqs.flatMap((r) => r.resourceMetrics) };
        assert.deepEqual(
          decodeRequest('metrics', merged.toProto()),
          decodeRequest('metrics', encodeRequest('metrics', expected)),
        );
        assert.equal(
          merged.itemCount,
          parts.reduce((n, p) => n + p.itemCount, 0),
        );
      }),
      { numRuns: 50, seed: 7 },
    );
  });

  it('a change made through mutableRequest shows in the bytes and the count, even after they were read', () => {
    const b = Batch.fromProto('traces', encodeRequest('traces', realisticTraces(5)));
    assert.equal(b.itemCount, 5);
    const before = b.toProto();
    const req = b.mutableRequest() as ExportTraceServiceRequest;
    assert.equal(b.toProto().length, before.length, 'unchanged so far');
    const spans = req.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
    (spans[0] as { name: string }).name = 'renamed';
    spans.pop();
    assert.equal(b.itemCount, 4);
    const after = decodeRequest('traces', b.toProto());
    assert.equal(after.resourceSpans[0]?.scopeSpans[0]?.spans.length, 4);
    assert.equal(after.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name, 'renamed');
    spans.pop();
    assert.equal(b.itemCount, 3, 'counted afresh after a later change');
  });

  it('clones are independent and read-only batches refuse mutation', () => {
    const b = Batch.fromRequest('traces', realisticTraces(2));
    const c = b.clone();
    (c.mutableRequest() as ExportTraceServiceRequest).resourceSpans.length = 0;
    assert.equal(c.itemCount, 0);
    assert.equal(b.itemCount, 2);
    b.markReadOnly();
    assert.throws(() => b.mutableRequest(), /read-only/);
  });

  it('merges a mutated batch with protobuf ones through requests, counting every item', () => {
    const a = Batch.fromProto('traces', encodeRequest('traces', realisticTraces(3)));
    const m = Batch.fromRequest('traces', realisticTraces(4));
    (m.mutableRequest() as ExportTraceServiceRequest).resourceSpans[0]?.scopeSpans[0]?.spans.pop();
    const merged = Batch.merge('traces', [a, m]);
    assert.equal(merged.itemCount, 6);
    assert.equal(Batch.fromProto('traces', merged.toProto()).itemCount, 6);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Value } from '@sinclair/typebox/value';
import { CompressionParams, DEFAULT_GZIP_LEVEL, defaultCompressionParams, gzipBody } from './compression.js';

describe('exporter compression', () => {
  const body = Buffer.from('resource_spans service.name=checkout http.route=/api/orders '.repeat(4000));

  it('round-trips at every level, and higher levels are no larger', async () => {
    const fast = await gzipBody(body, { level: 1 });
    const small = await gzipBody(body, { level: 9 });
    assert.deepEqual(gunzipSync(fast), body);
    assert.deepEqual(gunzipSync(small), body);
    assert.ok(small.length <= fast.length, `level 9 (${small.length} B) <= level 1 (${fast.length} B)`);
  });

  it('defaults to the fastest level and rejects levels outside 1..9', () => {
    assert.deepEqual(defaultCompressionParams(), { level: DEFAULT_GZIP_LEVEL });
    assert.equal(Value.Check(CompressionParams, { level: 6 }), true);
    assert.equal(Value.Check(CompressionParams, { level: 0 }), false);
    assert.equal(Value.Check(CompressionParams, { level: 10 }), false);
    assert.equal(Value.Check(CompressionParams, { level: 6, window: 3 }), false);
  });
});

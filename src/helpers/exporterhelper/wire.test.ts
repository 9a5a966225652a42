import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import {
  decodeRpcStatus,
  encodeRpcStatus,
  parseJsonStatus,
  parseRetryAfter,
  readBounded,
  validateHeaders,
} from './wire.js';

describe('exporterhelper wire helpers', () => {
  it('parses Retry-After as delay-seconds or an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0, 'a past date means now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  it('round-trips google.rpc.Status with RetryInfo and rejects malformed bytes', () => {
    assert.deepEqual(decodeRpcStatus(encodeRpcStatus(14, 'busy', 1500)), {
      code: 14,
      message: 'busy',
      retryDelayMs: 1500,
    });
    assert.deepEqual(decodeRpcStatus(encodeRpcStatus(3, 'bad')), { code: 3, message: 'bad', retryDelayMs: undefined });
    assert.deepEqual(decodeRpcStatus(encodeRpcStatus(8, '', 250.5)), { code: 8, message: '', retryDelayMs: 250.5 });
    assert.deepEqual(decodeRpcStatus(new Uint8Array(0)), { code: 0, message: '', retryDelayMs: undefined });
    const full = encodeRpcStatus(14, 'busy', 1500);
    assert.equal(decodeRpcStatus(full.subarray(0, full.length - 3)), undefined);
    assert.equal(decodeRpcStatus(Uint8Array.from([0xff, 0xff, 0xff])), undefined);
  });

  it('reads google.rpc.Status JSON', () => {
    assert.deepEqual(parseJsonStatus('{"code":3,"message":"bad span"}'), { code: 3, message: 'bad span' });
    assert.equal(parseJsonStatus('not json'), undefined);
    assert.equal(parseJsonStatus('{"error":"x"}'), undefined);
  });

  it('checks header names, reserved names and values without echoing them', () => {
    assert.deepEqual(validateHeaders({ 'X-Token': 'abc' }, ['content-type'], { grpc: false }), []);
    const bad = validateHeaders({ 'Content-Type': 'x', 'a b': 'x', ok: 'sec\nret' }, ['content-type'], { grpc: false });
    assert.equal(bad.length, 3);
    assert.ok(!JSON.stringify(bad).includes('sec'));
    assert.equal(validateHeaders({ 'grpc-encoding': 'x' }, [], { grpc: true }).length, 1);
    assert.deepEqual(validateHeaders({ 'trace-bin': 'AAE=' }, [], { grpc: true }), []);
  });

  it('reads at most the limit of a body and stops reading', async () => {
    const s = new PassThrough();
    const p = readBounded(s, 10);
    s.write(Buffer.alloc(6, 1));
    s.write(Buffer.alloc(6, 2));
    const { body, truncated } = await p;
    assert.equal(body.length, 10);
    assert.equal(truncated, true);
    assert.equal(s.destroyed, true);
    const s2 = new PassThrough();
    const p2 = readBounded(s2, 10);
    s2.end(Buffer.from('hi'));
    assert.deepEqual(await p2, { body: Buffer.from('hi'), truncated: false });
  });
});

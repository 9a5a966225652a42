import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter } from '../helpers/exporterhelper/wire.js';
import { encodeRpcStatus } from '../receivers/otlp/status.js';
import { GrpcStatus } from '../transport/grpc.js';
import { clampRetryDelay, MAX_RETRY_DELAY_MS, retryableError } from './errors.js';

describe('server-advised retry delays', () => {
  it('are clamped to [0, 1 h]; NaN means none', () => {
    assert.equal(clampRetryDelay(Number.POSITIVE_INFINITY), MAX_RETRY_DELAY_MS);
    assert.equal(clampRetryDelay(-5), 0);
    assert.equal(clampRetryDelay(Number.NaN), undefined);
    assert.equal(clampRetryDelay(undefined), undefined);
    assert.equal(clampRetryDelay(1500), 1500);
    assert.equal(retryableError('SY_EXPORT_RETRYABLE', 'x', Number.POSITIVE_INFINITY).retryAfterMs, MAX_RETRY_DELAY_MS);
  });

  it('a 400-digit Retry-After neither overflows nor hangs the receiver that relays it', () => {
    const ms = parseRetryAfter('9'.repeat(400));
    assert.equal(ms, MAX_RETRY_DELAY_MS);
    const started = Date.now();
    const status = encodeRpcStatus({
      code: GrpcStatus.UNAVAILABLE,
      message: 'busy',
      retryDelayMs: Number.POSITIVE_INFINITY,
    });
    assert.ok(status.length > 0 && Date.now() - started < 1000);
  });
});

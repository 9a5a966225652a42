import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactConfig } from './redact.js';
import { fakeDistribution } from './testing.js';

test('redactConfig hides x-sensitive values and header values, and copies the rest', () => {
  const merged = {
    receivers: {
      otlp: { endpoint: '0.0.0.0:4317', tls: { insecure: true, key_pem: 'PRIVATE' }, headers: { a: 'b' } },
      'otlp/other': { tls: { key_pem: '' } },
    },
    exporters: {
      otlp: { endpoint: 'x:1', api_key: 'k', headers: { authorization: 'Bearer t', 'x-n': 5 } },
      debug: null,
    },
    service: { pipelines: { traces: { receivers: ['otlp'], exporters: ['otlp'] } } },
  };
  const redacted = redactConfig(merged, fakeDistribution);
  assert.deepEqual(redacted, {
    receivers: {
      otlp: { endpoint: '0.0.0.0:4317', tls: { insecure: true, key_pem: REDACTED }, headers: { a: REDACTED } },
      'otlp/other': { tls: { key_pem: '' } },
    },
    exporters: {
      otlp: { endpoint: 'x:1', api_key: REDACTED, headers: { authorization: REDACTED, 'x-n': REDACTED } },
      debug: null,
    },
    service: merged.service,
  });
  assert.equal(merged.exporters.otlp.api_key, 'k', 'the input is not changed');
});

test('components of unknown types fall back to secret-looking key names', () => {
  const redacted = redactConfig(
    { exporters: { mystery: { password: 'p', bearer_token: 't', host: 'h', nested: [{ api_key: 'k' }] } } },
    fakeDistribution,
  );
  assert.deepEqual(redacted, {
    exporters: { mystery: { password: REDACTED, bearer_token: REDACTED, host: 'h', nested: [{ api_key: REDACTED }] } },
  });
});

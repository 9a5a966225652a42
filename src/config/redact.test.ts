import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactConfig, redactUrl } from './redact.js';
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

test('URL passwords and query values are hidden, the rest of the URL stays readable', () => {
  assert.equal(
    redactUrl('https://ingest.example.com:4318/v1?api_key=abc123&region=eu'),
    'https://ingest.example.com:4318/v1?api_key=[REDACTED]&region=[REDACTED]',
  );
  assert.equal(redactUrl('http://user:hunter2@host:9090/path'), 'http://user:%5BREDACTED%5D@host:9090/path');
  assert.equal(redactUrl('127.0.0.1:4317'), '127.0.0.1:4317');
  assert.equal(redactUrl('http://127.0.0.1:4318'), 'http://127.0.0.1:4318');
  assert.equal(redactUrl('not a url?x=1'), 'not a url?x=1');
  const shown = JSON.stringify(
    redactConfig({ exporters: { otlphttp: { endpoint: 'https://h/?token=s3cr3t' } } }, fakeDistribution),
  );
  assert.doesNotMatch(shown, /s3cr3t/);
});

test('free-form blocks (discovery configs) fall back to secret-looking key names', async () => {
  const { distribution } = await import('../distribution.js');
  const merged = {
    receivers: {
      prometheus: {
        config: {
          scrape_configs: [
            {
              job_name: 'j',
              basic_auth: { username: 'u', password: 'p1' },
              http_sd_configs: [{ url: 'http://sd', basic_auth: { username: 'u', password: 'p2' } }],
              kubernetes_sd_configs: [{ role: 'pod', authorization: { type: 'Bearer', credentials: 'c3' } }],
            },
          ],
        },
      },
    },
  };
  const text = JSON.stringify(redactConfig(merged, distribution));
  for (const secret of ['p1', 'p2', 'c3']) assert.doesNotMatch(text, new RegExp(`"${secret}"`), secret);
  assert.match(text, /"username":"u"/);
  assert.match(text, /"role":"pod"/);
});

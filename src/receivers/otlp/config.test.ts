import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { type OtlpReceiverConfig, resolveOtlpConfig, validateOtlpConfig } from './config.js';
import { otlpReceiverFactory } from './factory.js';

// Validated as the config layer does: ajv filling schema defaults.
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, logger: false });
const check = ajv.compile(otlpReceiverFactory.configSchema);

function valid(config: unknown): boolean {
  return check(config) === true;
}

describe('otlp receiver config', () => {
  test('default config enables nothing, and validate says what to add', () => {
    const config = otlpReceiverFactory.createDefaultConfig();
    assert.deepEqual(config, { protocols: {} });
    assert.ok(valid(config));
    const problems = validateOtlpConfig(config);
    assert.equal(problems.length, 1);
    assert.deepEqual(problems[0]?.path, ['protocols']);
    assert.match(problems[0]?.message ?? '', /no protocol enabled/);
  });

  test('a present key with a null value enables the protocol with defaults; absent disables', () => {
    const config: OtlpReceiverConfig = { protocols: { grpc: null } };
    assert.ok(valid(config));
    assert.deepEqual(validateOtlpConfig(config), []);
    const r = resolveOtlpConfig(config);
    assert.deepEqual(r.grpc, {
      host: '127.0.0.1',
      port: 4317,
      maxRecvMsgBytes: 4 * 1024 * 1024,
      maxConcurrentStreams: 100,
      streamTimeoutMs: 30_000,
    });
    assert.equal(r.http, undefined);
  });

  test('an empty http map gets every default (from the schema and from resolve alike)', () => {
    const config = { protocols: { http: {} } } as OtlpReceiverConfig;
    assert.ok(valid(config));
    assert.equal(config.protocols.http?.max_request_body_size, 20 * 1024 * 1024);
    assert.equal(config.protocols.http?.traces_url_path, '/v1/traces');
    const r = resolveOtlpConfig({ protocols: { http: {} } });
    assert.equal(r.http?.host, '127.0.0.1');
    assert.equal(r.http?.port, 4318);
    assert.deepEqual(r.http?.paths, { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' });
    assert.equal(r.http?.maxRequestBodySize, 20 * 1024 * 1024);
    assert.equal(r.http?.headersTimeoutMs, 10_000);
    assert.equal(r.http?.requestTimeoutMs, 30_000);
    assert.equal(r.http?.keepAliveTimeoutMs, 5_000);
    assert.equal(r.http?.cors, undefined);
  });

  test('unknown keys and bad values are refused by the schema', () => {
    assert.equal(valid({ protocols: { grpc: { endpont: '127.0.0.1:4317' } } }), false);
    assert.equal(valid({ protocols: { thrift: {} } }), false);
    assert.equal(valid({ protocols: {}, extra: 1 }), false);
    assert.equal(valid({ protocols: { http: { endpoint: ':4318' } } }), false);
    assert.equal(valid({ protocols: { http: { traces_url_path: 'v1/traces' } } }), false);
    assert.equal(valid({ protocols: { http: { max_request_body_size: 0 } } }), false);
    assert.equal(valid({ protocols: { grpc: { max_concurrent_streams: 0 } } }), false);
    assert.equal(valid({ protocols: { http: { read_timeout: '5 seconds' } } }), false);
  });

  test('cross-field checks: distinct paths, header timeout within read timeout, distinct addresses', () => {
    const problems = validateOtlpConfig({
      protocols: {
        grpc: { endpoint: '127.0.0.1:4317' },
        http: {
          endpoint: '127.0.0.1:4317',
          logs_url_path: '/v1/traces',
          read_header_timeout: '1m',
          read_timeout: '30s',
        },
      },
    });
    const messages = problems.map((p) => `${p.path.join('.')}: ${p.message}`);
    assert.deepEqual(messages, [
      'protocols.http.logs_url_path: "/v1/traces" is also traces_url_path: each signal needs its own path',
      'protocols.http.read_header_timeout: must not be longer than read_timeout',
      'protocols.http.endpoint: same address as protocols.grpc.endpoint (127.0.0.1:4317): use different ports',
    ]);
  });

  test('custom values and CORS resolve', () => {
    const r = resolveOtlpConfig({
      protocols: {
        grpc: { endpoint: '[::1]:0', max_recv_msg_size_mib: 0.5, max_concurrent_streams: 8, stream_timeout: '0' },
        http: {
          endpoint: '0.0.0.0:9000',
          metrics_url_path: '/otlp/metrics',
          cors: { allowed_origins: ['https://*.example.com'], allowed_headers: ['X-Tenant'], max_age: 600 },
        },
      },
    });
    assert.deepEqual(r.grpc, {
      host: '::1',
      port: 0,
      maxRecvMsgBytes: 512 * 1024,
      maxConcurrentStreams: 8,
      streamTimeoutMs: 0,
    });
    assert.equal(r.http?.paths.metrics, '/otlp/metrics');
    assert.equal(r.http?.cors?.allowedOrigins[0]?.test('https://app.example.com'), true);
    assert.equal(r.http?.cors?.allowedOrigins[0]?.test('https://example.org'), false);
    assert.equal(r.http?.cors?.allowedHeaders?.has('x-tenant'), true);
    assert.equal(r.http?.cors?.allowedHeaders?.has('content-type'), true);
    assert.equal(r.http?.cors?.maxAge, 600);
  });

  test('factory metadata', () => {
    assert.equal(otlpReceiverFactory.kind, 'receiver');
    assert.equal(otlpReceiverFactory.type, 'otlp');
    assert.deepEqual(Object.keys(otlpReceiverFactory.stability).sort(), ['logs', 'metrics', 'traces']);
  });
});

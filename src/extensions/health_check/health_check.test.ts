import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { Ajv } from 'ajv';
import type { ComponentStatus, CreateSettings, Host, Kind } from '../../component/component.js';
import { silentLogger } from '../../telemetry/logger.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';
import { HealthCheckConfigSchema } from './config.js';
import { healthCheckExtensionFactory } from './factory.js';
import { formatUptime, type HealthBody, HealthCheckExtension } from './health_check.js';

function settings(): CreateSettings {
  return {
    id: { type: 'health_check', name: '' },
    kind: 'extension',
    logger: silentLogger(),
    metrics: new MetricsRegistry(),
  };
}

class FakeHost implements Host {
  ok = true;
  list: Array<{ id: string; kind: Kind; status: ComponentStatus; error?: string; since: number }> = [];
  reportStatus(): void {}
  healthy(): boolean {
    return this.ok;
  }
  statuses() {
    return this.list;
  }
  memoryGuard() {
    return undefined;
  }
}

async function start(path = '/'): Promise<{ ext: HealthCheckExtension; host: FakeHost; base: string }> {
  const ext = healthCheckExtensionFactory.create(settings(), {
    ...healthCheckExtensionFactory.createDefaultConfig(),
    endpoint: '127.0.0.1:0',
    path,
  });
  assert.ok(ext instanceof HealthCheckExtension);
  const host = new FakeHost();
  await ext.start(host);
  const addr = ext.address();
  assert.ok(addr);
  assert.notEqual(addr.port, 0);
  return { ext, host, base: `http://127.0.0.1:${addr.port}` };
}

describe('health_check extension', () => {
  const stops: Array<() => Promise<void>> = [];
  after(async () => {
    for (const s of stops) await s();
  });

  it('answers 200 while the host is healthy and 503 when it is not', async () => {
    const { ext, host, base } = await start();
    stops.push(() => ext.shutdown());
    let res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    let body = (await res.json()) as HealthBody;
    assert.equal(body.status, 'Server available');
    assert.ok(Date.parse(body.upSince) > 0);
    assert.match(body.uptime, /^\d+(\.\d+)?(ms|s)$/);
    assert.equal(body.components, undefined);

    host.ok = false;
    res = await fetch(`${base}/`);
    assert.equal(res.status, 503);
    body = (await res.json()) as HealthBody;
    assert.equal(body.status, 'Server not available');

    host.ok = true;
    assert.equal((await fetch(`${base}/`)).status, 200);
  });

  it('lists component statuses with ?verbose', async () => {
    const { ext, host, base } = await start('/health');
    stops.push(() => ext.shutdown());
    host.list = [
      { id: 'otlp', kind: 'receiver', status: 'ok', since: 1_700_000_000_000 },
      {
        id: 'otlphttp/backend',
        kind: 'exporter',
        status: 'recoverable_error',
        error: 'connect ECONNREFUSED',
        since: 0,
      },
    ];
    const res = await fetch(`${base}/health?verbose`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as HealthBody;
    assert.deepEqual(body.components, [
      { id: 'otlp', kind: 'receiver', status: 'ok', since: '2023-11-14T22:13:20.000Z' },
      {
        id: 'otlphttp/backend',
        kind: 'exporter',
        status: 'recoverable_error',
        error: 'connect ECONNREFUSED',
        since: '1970-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('answers 404 elsewhere, 405 for other methods, and HEAD without a body', async () => {
    const { ext, base } = await start('/health');
    stops.push(() => ext.shutdown());
    assert.equal((await fetch(`${base}/`)).status, 404);
    assert.equal((await fetch(`${base}/health/x`)).status, 404);
    const post = await fetch(`${base}/health`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const head = await fetch(`${base}/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('refuses oversized headers', async () => {
    const { ext, base } = await start();
    stops.push(() => ext.shutdown());
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${base}/`, { headers: { 'x-big': 'a'.repeat(16 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    assert.equal(status, 431);
  });

  it('fails start when the port is taken, and shuts down safely twice or without start', async () => {
    const { ext, base } = await start();
    const port = Number(new URL(base).port);
    const second = healthCheckExtensionFactory.create(settings(), {
      ...healthCheckExtensionFactory.createDefaultConfig(),
      endpoint: `127.0.0.1:${port}`,
    });
    await assert.rejects(second.start(new FakeHost()), /EADDRINUSE/);
    await second.shutdown();
    await ext.shutdown();
    await ext.shutdown();
    await assert.rejects(fetch(`${base}/`));
    await healthCheckExtensionFactory.create(settings(), healthCheckExtensionFactory.createDefaultConfig()).shutdown();
  });
});

describe('health_check config', () => {
  it('defaults to 127.0.0.1:13133 and "/", schema defaults match, unknown keys rejected', () => {
    const def = healthCheckExtensionFactory.createDefaultConfig();
    assert.equal(def.endpoint, '127.0.0.1:13133');
    assert.equal(def.path, '/');
    assert.deepEqual(Value.Create(HealthCheckConfigSchema), def);
    const ajv = new Ajv({ allErrors: true });
    ajv.addFormat('duration', true);
    ajv.addFormat('endpoint', true);
    const validate = ajv.compile(HealthCheckConfigSchema);
    assert.equal(validate(def), true);
    assert.equal(validate({ ...def, check_collector_pipeline: { enabled: true } }), true, 'accepted (ignored)');
    assert.equal(validate({ ...def, endpont: 'x:1' }), false);
    assert.equal(validate({ ...def, path: 'health' }), false);
    assert.equal(validate({ ...def, endpoint: ':13133' }), false);
    assert.equal(healthCheckExtensionFactory.type, 'health_check');
    assert.equal(healthCheckExtensionFactory.kind, 'extension');
  });
});

describe('formatUptime', () => {
  it('prints Go-style durations', () => {
    assert.equal(formatUptime(850), '850ms');
    assert.equal(formatUptime(49_013), '49.013s');
    assert.equal(formatUptime(182_500), '3m2.5s');
    assert.equal(formatUptime(3_607_000), '1h0m7s');
  });
});

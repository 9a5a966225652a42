import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { buildJsonSchema } from './json-schema.js';
import { loadDistribution, renderJsonSchema, SCHEMA_FILE, schemaFileState } from './schema-file.js';
import { fakeDistribution } from './testing.js';

const validate = new Ajv({ allErrors: true, strict: false, logger: false }).compile(buildJsonSchema(fakeDistribution));

const SAMPLE = `
receivers:
  otlp:
    max_size: \${env:SIZE}
    compression: \${env:COMPRESSION}
    tls:
  otlp/b: {endpoint: 0.0.0.0:4317, timeout: 1m30s}
  statsd:
processors:
  batch: {send_batch_size: 10}
exporters:
  otlp: {endpoint: collector:4317, headers: {authorization: Bearer x}}
  debug:
extensions:
  health_check:
service:
  extensions: [health_check]
  telemetry:
    logs: {level: debug}
    metrics:
      readers: [{pull: {exporter: {prometheus: {host: 0.0.0.0, port: 8888}}}}]
  pipelines:
    traces: {receivers: [otlp, otlp/b], processors: [batch], exporters: [otlp, debug]}
    metrics/own: {receivers: [statsd], exporters: [debug]}
`;

test('the generated schema accepts a realistic config (defaults, nulls, env references)', () => {
  const ok = validate(parse(SAMPLE));
  assert.deepEqual(validate.errors ?? [], []);
  assert.ok(ok);
});

function rejects(yaml: string): string[] {
  assert.equal(validate(parse(yaml)), false, yaml);
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

test('the generated schema rejects unknown keys, bad values and bad references', () => {
  const base = 'service: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}\n';
  assert.ok(
    rejects(`receivers: {otlp: {endpiont: x}}\n${base}`).includes(
      '/receivers/otlp must NOT have additional properties',
    ),
  );
  assert.ok(rejects(`receivers: {otlpp: {}}\n${base}`).includes('/receivers must NOT have additional properties'));
  assert.ok(rejects(`receivers: {otlp: {timeout: 5 s}}\n${base}`).some((e) => e.startsWith('/receivers/otlp/timeout')));
  assert.ok(
    rejects(`exporters: {debug: {verbosity: loud}}\n${base}`).some((e) => e.startsWith('/exporters/debug/verbosity')),
  );
  assert.ok(
    rejects('service: {pipelines: {traces: {receivers: [statsd], exporters: [debug]}}}').some((e) =>
      e.startsWith('/service/pipelines/traces/receivers/0'),
    ),
    'statsd does not support traces',
  );
  assert.ok(rejects('service: {pipelines: {trace: {receivers: [otlp], exporters: [debug]}}}').length > 0);
  assert.ok(rejects('service: {pipelines: {traces: {receivers: [otlp]}}}').length > 0, 'exporters are required');
  assert.ok(rejects('service: {pipelines: {}}').length > 0, 'pipelines may not be empty');
  assert.ok(validate(parse('receivers: {otlp: }')), 'a partial file (one of several --config) is fine');
});

test('component ids select the factory schema by pattern, keys with defaults are not required', () => {
  const schema = buildJsonSchema(fakeDistribution) as {
    properties: { receivers: { patternProperties: Record<string, { required?: string[] }> } };
  };
  assert.deepEqual(Object.keys(schema.properties.receivers.patternProperties), [
    '^otlp(/[^\\s/]+)?$',
    '^statsd(/[^\\s/]+)?$',
  ]);
  assert.equal(schema.properties.receivers.patternProperties['^otlp(/[^\\s/]+)?$']?.required, undefined);
});

test('rendering is deterministic', () => {
  assert.equal(renderJsonSchema(fakeDistribution), renderJsonSchema(fakeDistribution));
});

test('config.schema.json is up to date with the real distribution (drift check)', async (t) => {
  const distribution = await loadDistribution();
  if (distribution === undefined) {
    t.skip('src/distribution.ts does not exist yet');
    return;
  }
  const state = schemaFileState(distribution);
  assert.deepEqual(state, { kind: 'fresh' }, `${SCHEMA_FILE} is stale: run \`npm run schema\``);
});

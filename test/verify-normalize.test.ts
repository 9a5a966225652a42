// Normalization and attribute parity units: schema files, statsd_exporter mappings, canonical names, MOVED keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareAttributes, profileAttributes } from '../src/verify/attributes.js';
import { VerifyInputError } from '../src/verify/input.js';
import {
  applyMapping,
  canonicalMetric,
  parseMappingFile,
  parseSchemaFile,
  unitScale,
} from '../src/verify/normalize.js';

describe('verify normalization', () => {
  it('reads an OTel schema file in version order and chains renames', () => {
    const rules = parseSchemaFile(
      [
        'file_format: 1.1.0',
        'schema_url: https://opentelemetry.io/schemas/1.22.0',
        'versions:',
        '  1.22.0:',
        '    metrics:',
        '      changes:',
        '        - rename_metrics: { http.server.duration: http.server.request.duration }',
        '  1.21.0:',
        '    all:',
        '      changes:',
        '        - rename_attributes: { attribute_map: { http.method: http.request.method, a.old: a.mid } }',
        '  1.23.0:',
        '    spans:',
        '      changes:',
        '        - rename_attributes: { attribute_map: { a.mid: a.new } }',
        '  1.0.0:',
      ].join('\n'),
      'schema.yaml',
    );
    assert.equal(rules.attributes.get('http.method'), 'http.request.method');
    assert.equal(rules.attributes.get('a.old'), 'a.new');
    assert.equal(rules.metrics.get('http.server.duration'), 'http.server.request.duration');
    assert.throws(() => parseSchemaFile('versions: [1]', 's.yaml'), VerifyInputError);
    assert.throws(
      () => parseSchemaFile('versions: {1.0.0: {all: {changes: [{rename_attributes: 3}]}}}', 's.yaml'),
      /s\.yaml: versions\.1\.0\.0\.all\.changes\[0\]/,
    );
    assert.throws(() => parseSchemaFile('a: [', 'bad.yaml'), /bad\.yaml:\d+:\d+: not valid YAML/);
  });

  it('applies statsd_exporter mappings: first match wins, captures, drop', () => {
    const rules = parseMappingFile(
      [
        'mappings:',
        '  - match: "api.*.requests"',
        '    name: "api_requests_total"',
        '    labels: { route: "$1" }',
        '  - match: "debug.*"',
        '    action: drop',
        '  - match: "api\\\\.(.*)"',
        '    match_type: regex',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: statsd_exporter mappings use literal ${1} references
        '    name: "api_${1}"',
      ].join('\n'),
      'm.yaml',
    );
    assert.deepEqual(applyMapping(rules, 'api.checkout.requests'), {
      kind: 'map',
      name: 'api_requests_total',
      labels: { route: 'checkout' },
    });
    assert.deepEqual(applyMapping(rules, 'debug.x'), { kind: 'drop' });
    assert.deepEqual(applyMapping(rules, 'api.a.b.c'), { kind: 'map', name: 'api_a.b.c', labels: {} });
    assert.equal(applyMapping(rules, 'other'), undefined);
    assert.throws(() => parseMappingFile('mappings: [{name: x}]', 'm.yaml'), /m\.yaml: mappings\[0\] needs a "match"/);
  });

  it('matches OTLP, Prometheus and StatsD spellings and scales units', () => {
    assert.deepEqual(canonicalMetric('http_server_duration_seconds', ''), { canon: 'http_server_duration', unit: 's' });
    assert.deepEqual(canonicalMetric('http.server.duration', 'ms'), { canon: 'http_server_duration', unit: 'ms' });
    assert.deepEqual(canonicalMetric('http_requests_total', ''), { canon: 'http_requests', unit: '' });
    assert.deepEqual(unitScale('ms'), { base: 's', factor: 0.001 });
    assert.deepEqual(unitScale('KiBy/s'), { base: 'By/s', factor: 1024 });
    assert.deepEqual(unitScale('{request}'), { base: '', factor: 1 });
  });

  it('attribute parity: MOVED to the resource, RENAMED, MISSING with a views fix, ADDED, CARDINALITY_CHANGED', () => {
    const b = profileAttributes(
      Array.from({ length: 10 }, (_, i) => ({
        attributes: [
          { key: 'host', value: 'h1' },
          { key: 'http.method', value: 'GET' },
          { key: 'route', value: `/r${i % 2}` },
          { key: 'user', value: `u${i % 2}` },
        ],
      })),
    );
    const c = profileAttributes(
      Array.from({ length: 10 }, (_, i) => ({
        attributes: [
          { key: 'http.request.method', value: 'GET' },
          { key: 'user', value: `u${i}` },
          { key: 'pod', value: 'p' },
        ],
        resource: [{ key: 'host', value: 'h1' }],
      })),
    );
    const f = compareAttributes(b, c, {
      subject: { kind: 'metric', name: 'm' },
      renames: new Map([['http.method', 'http.request.method']]),
    });
    const by = new Map(f.map((x) => [x.key, x]));
    assert.equal(by.get('host')?.status, 'MOVED');
    assert.equal(by.get('http.method')?.status, 'RENAMED');
    assert.equal(by.get('route')?.status, 'MISSING');
    assert.match(by.get('route')?.fix ?? '', /views:/);
    assert.equal(by.get('pod')?.status, 'ADDED');
    assert.equal(by.get('user')?.status, 'CARDINALITY_CHANGED');
    assert.equal(f[0]?.status, 'MISSING', 'problems first');
  });
});

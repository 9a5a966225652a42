// Normalization and attribute parity units: schema files, statsd_exporter mappings, canonical names, MOVED keys.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ResourceMetrics } from '../src/pdata/model.js';
import { compareAttributes, profileAttributes } from '../src/verify/attributes.js';
import { defaultRules } from '../src/verify/index.js';
import { emptySet, readJsonLines, VerifyInputError } from '../src/verify/input.js';
import { compareMetrics, DEFAULT_METRICS_OPTIONS } from '../src/verify/metrics.js';
import {
  applyMapping,
  canonicalMetric,
  parseMappingFile,
  parseSchemaFile,
  unitScale,
} from '../src/verify/normalize.js';
import { accumulate, extractFamilies, makeGrid } from '../src/verify/series.js';

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
    // Spelled-out units (Micrometer's OTLP registry writes "milliseconds") scale like their UCUM symbols.
    assert.deepEqual(unitScale('milliseconds'), { base: 's', factor: 0.001 });
    assert.deepEqual(unitScale('seconds'), { base: 's', factor: 1 });
    assert.deepEqual(unitScale('bytes/second'), { base: 'By/s', factor: 1 });
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

  it('metric renames also apply to Prometheus-style spellings of the old name', () => {
    const rm = (name: string, unit: string): ResourceMetrics[] =>
      JSON.parse(
        JSON.stringify([
          {
            resource: { attributes: [] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name,
                    unit,
                    data: {
                      type: 'gauge',
                      dataPoints: [{ attributes: [], timeUnixNano: 1_000_000_000_000n.toString(), value: 1 }],
                    },
                  },
                ],
              },
            ],
          },
        ]),
        (k, v) => (k === 'timeUnixNano' || k === 'startTimeUnixNano' ? BigInt(v) : v),
      );
    const rules = defaultRules(['http']);
    const prom = extractFamilies(rm('http_server_duration_seconds', ''), { rules });
    const otel = extractFamilies(rm('http.server.request.duration', 's'), { rules });
    assert.deepEqual([...prom.families.keys()], [...otel.families.keys()]);
    assert.equal(prom.families.get('http_server_request_duration')?.unit, 's');
  });

  it('malformed lines: the first 100 per file are listed, for every file of a stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-issues-'));
    try {
      const a = join(dir, 'a.jsonl');
      const b = join(dir, 'b.jsonl');
      writeFileSync(a, 'garbage\n'.repeat(150));
      writeFileSync(b, 'x\n{"resourceMetrics": 5}\ny\n');
      const set = emptySet();
      await readJsonLines(a, set);
      await readJsonLines(b, set);
      const fromB = set.issues.filter((i) => i.file === b);
      assert.deepEqual(
        fromB.map((i) => i.line),
        [1, 2, 3],
      );
      assert.equal(set.issues.filter((i) => i.file === a).length, 101, '100 listed and one summary line');
      assert.match(set.issues.find((i) => i.file === a && i.line === 150)?.message ?? '', /150 malformed line/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cumulative counters: a first point with start = time is a lifetime total, not an increase', () => {
    const g = makeGrid(0, 100, 10, 10);
    const stream = (start0: number) => ({
      attrs: [],
      resource: [],
      cumulative: true,
      // A stream first scraped mid-window (t = 50) whose process had counted 1e6 before; then +10 per 10 s.
      t: [50, 60, 70],
      start: [start0, start0, start0],
      v: [1e6, 1e6 + 10, 1e6 + 20],
      s: [],
    });
    const acc = { a: new Float64Array(g.n), b: new Float64Array(g.n) };
    accumulate(stream(50), 'counter', g, acc);
    assert.equal(
      [...acc.a].reduce((x, y) => x + y, 0),
      20,
      'only the increases after the first scrape count',
    );
    // With a real start time before the first point, the first value is an increase over [start, t].
    const acc2 = { a: new Float64Array(g.n), b: new Float64Array(g.n) };
    accumulate({ ...stream(45), v: [5, 15, 25] }, 'counter', g, acc2);
    assert.equal(
      [...acc2.a].reduce((x, y) => x + y, 0),
      25,
    );
  });

  it('statsd_exporter mappings honour match_metric_type (timers and counters of one name map apart)', () => {
    const rules = parseMappingFile(
      [
        'mappings:',
        '  - match: "api.*"',
        '    match_metric_type: observer',
        '    name: "api_duration"',
        '    labels: { op: "$1" }',
        '  - match: "api.*"',
        '    match_metric_type: counter',
        '    name: "api_calls_total"',
        '    labels: { op: "$1" }',
      ].join('\n'),
      'm.yaml',
    );
    const counter = applyMapping(rules, 'api.get', 'counter');
    assert.deepEqual(counter, { kind: 'map', name: 'api_calls_total', labels: { op: 'get' } });
    const timer = applyMapping(rules, 'api.get', 'observer');
    assert.deepEqual(timer, { kind: 'map', name: 'api_duration', labels: { op: 'get' } });
    // Through extraction: a StatsD counter named api.get lands in the counter's family.
    const rm: ResourceMetrics[] = [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: 'statsd', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: [
              {
                name: 'api.get',
                description: '',
                unit: '',
                metadata: [],
                data: {
                  type: 'sum',
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: [],
                      startTimeUnixNano: 1n,
                      timeUnixNano: 2_000_000_000n,
                      value: 3,
                      exemplars: [],
                      flags: 0,
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ];
    const x = extractFamilies(rm, { rules: defaultRules([]), mapping: rules });
    assert.deepEqual([...x.families.keys()], ['api_calls']);
  });

  it('a counter of seconds whose rate is ×1000 is named as a probable unit mix-up; an event counter is not', () => {
    const side = (name: string, unit: string, scale: number): ResourceMetrics[] => [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: 'app', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: Array.from({ length: 1 }, () => ({
              name,
              description: '',
              unit,
              metadata: [],
              data: {
                type: 'sum' as const,
                aggregationTemporality: 1,
                isMonotonic: true,
                dataPoints: Array.from({ length: 40 }, (_, i) => ({
                  attributes: [],
                  startTimeUnixNano: BigInt(1_760_000_000 + i * 10) * 1_000_000_000n,
                  timeUnixNano: BigInt(1_760_000_000 + (i + 1) * 10) * 1_000_000_000n,
                  value: (5 + (i % 3)) * scale,
                  exemplars: [],
                  flags: 0,
                })),
              },
            })),
          },
        ],
      },
    ];
    const rules = defaultRules([]);
    const cmp = (unit: string) =>
      compareMetrics(
        extractFamilies(side('cpu.time', unit, 1), { rules }),
        extractFamilies(side('cpu.time', unit, 1000), { rules }),
        { ...DEFAULT_METRICS_OPTIONS, rules },
      ).metrics[0];
    assert.equal(cmp('s')?.status, 'DIFFERENT');
    assert.ok(
      cmp('s')?.hints.some((h) => /milliseconds recorded where seconds/.test(h)),
      JSON.stringify(cmp('s')?.hints),
    );
    assert.ok(!cmp('{request}')?.hints.some((h) => /milliseconds/.test(h)));
  });
});

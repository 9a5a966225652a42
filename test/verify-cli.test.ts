// The `switchyard verify` command line on OTLP JSON lines files: metrics and spans in one file (the overall verdict
// combines both parts), malformed lines reported with file:line, --split-by, per-metric tolerance, critical metrics,
// the sigma rule, progress on stderr and colour only when asked.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { prng, realisticTraces } from '../src/pdata/gen.js';
import { requestToJson } from '../src/pdata/json/index.js';
import type { KeyValue, Metric, NumberDataPoint, ResourceMetrics } from '../src/pdata/model.js';
import { AggregationTemporality } from '../src/pdata/model.js';
import type { VerifyReport } from '../src/verify/index.js';
import { tempDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const STEPS = 40;

interface Shape {
  readonly version: string;
  readonly seed: number;
  /** Multiplies app.latency. */
  readonly latencyScale?: number;
  readonly dropRoute?: boolean;
  readonly withoutQueue?: boolean;
  /** Record the route under this key instead of `route`. */
  readonly routeKey?: string;
  /** One request point per step instead of one per route. */
  readonly single?: boolean;
  /** Name of the request counter (default app.requests). */
  readonly requestsName?: string;
}

/** Metrics for one side: a gauge, a delta counter with a route attribute, a gauge named queue.depth. */
function metricsLines(s: Shape): string[] {
  const rnd = prng(s.seed);
  const t0 = 1_760_000_000;
  const lines: string[] = [];
  for (let i = 0; i < STEPS; i++) {
    const time = BigInt(t0 + (i + 1) * 10) * 1_000_000_000n;
    const start = BigInt(t0 + i * 10) * 1_000_000_000n;
    const pt = (value: number | bigint, attributes: KeyValue[]): NumberDataPoint => ({
      attributes,
      startTimeUnixNano: start,
      timeUnixNano: time,
      value,
      exemplars: [],
      flags: 0,
    });
    const routes = s.single ? ['/a'] : ['/a', '/b'];
    const metrics: Metric[] = [
      {
        name: 'app.latency',
        description: '',
        unit: 'ms',
        metadata: [],
        data: { type: 'gauge', dataPoints: [pt(50 * (s.latencyScale ?? 1) * (1 + 0.03 * (rnd() - 0.5)), [])] },
      },
      {
        name: s.requestsName ?? 'app.requests',
        description: '',
        unit: '{request}',
        metadata: [],
        data: {
          type: 'sum',
          aggregationTemporality: AggregationTemporality.DELTA,
          isMonotonic: true,
          dataPoints: routes.map((r) =>
            pt(
              BigInt(500 + Math.round(10 * (rnd() - 0.5))),
              s.dropRoute ? [] : [{ key: s.routeKey ?? 'route', value: r }],
            ),
          ),
        },
      },
    ];
    if (!s.withoutQueue) {
      metrics.push({
        name: 'queue.depth',
        description: '',
        unit: '1',
        metadata: [],
        data: { type: 'gauge', dataPoints: [pt(20 + rnd(), [])] },
      });
    }
    const rm: ResourceMetrics = {
      resource: {
        attributes: [
          { key: 'service.name', value: 'shop' },
          { key: 'service.version', value: s.version },
        ],
        droppedAttributesCount: 0,
      },
      schemaUrl: '',
      scopeMetrics: [
        { scope: { name: 'app', version: '', attributes: [], droppedAttributesCount: 0 }, metrics, schemaUrl: '' },
      ],
    };
    lines.push(requestToJson('metrics', { resourceMetrics: [rm] }));
  }
  return lines;
}

function run(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, 'verify', ...args],
      { timeout: 60_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
      },
    );
  });
}

describe('verify CLI on OTLP JSON lines files', () => {
  const dir = tempDir('switchyard-verify-cli-');
  after(() => dir.remove());
  const write = (name: string, lines: readonly string[]): string => {
    const f = join(dir.path, name);
    writeFileSync(f, `${lines.join('\n')}\n`);
    return f;
  };
  const spans = requestToJson('traces', realisticTraces(400, 5));
  const base = write('base.jsonl', [...metricsLines({ version: '1.0', seed: 1 }), spans]);
  const cand = write('cand.jsonl', [
    ...metricsLines({ version: '1.0', seed: 2 }).slice(0, 20),
    '{"resourceMetrics": [{"scopeMetrics": 7}]}',
    'garbage',
    ...metricsLines({ version: '1.0', seed: 2 }).slice(20),
    spans,
  ]);

  it('compares metrics and spans; malformed lines are listed with file:line; the verdict combines both parts', async () => {
    const r = await run(['--baseline', base, '--candidate', cand, '--format', 'json']);
    const rep = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(rep.schema_version, 1);
    assert.ok(rep.traces !== undefined, 'trace part present');
    assert.equal(rep.traces?.summary.baselineSpans, 400);
    const lines = rep.inputs.issues.map((i) => `${i.file}:${i.line}`);
    assert.deepEqual(lines, [`${cand}:21`, `${cand}:22`]);
    assert.match(rep.inputs.issues[0]?.message ?? '', /metrics: /);
    const parts = [rep.metrics?.verdict, rep.traces?.verdict];
    const expected = parts.includes('FAIL') ? 'FAIL' : parts.includes('INCONCLUSIVE') ? 'INCONCLUSIVE' : 'PASS';
    assert.equal(rep.verdict, expected);
    assert.equal(rep.metrics?.verdict, 'PASS', rep.reasons.join('; '));
    assert.equal(r.code, { PASS: 0, FAIL: 1, INCONCLUSIVE: 2 }[rep.verdict]);
    const html = await run(['--baseline', base, '--candidate', cand, '--format', 'html']);
    assert.match(html.stdout, /<section/);
    assert.match(html.stdout, new RegExp(`${cand.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:21`));
    assert.doesNotMatch(html.stdout, /<script/i);
  });

  it('--split-by a resource attribute; the split key is not a difference; a dropped attribute fails', async () => {
    const one = write('stream.jsonl', [
      ...metricsLines({ version: '1.4.2', seed: 3 }),
      ...metricsLines({ version: '1.5.0', seed: 4, dropRoute: true }),
    ]);
    const r = await run([
      '--input',
      one,
      '--split-by',
      'service.version',
      '--baseline',
      '1.4.2',
      '--candidate',
      '1.5.0',
      '--format',
      'json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const rep = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(rep.inputs.splitBy, 'service.version');
    const req = rep.metrics?.metrics.find((m) => m.canon === 'app_requests');
    assert.equal(req?.attributes.find((a) => a.key === 'route')?.status, 'MISSING');
    assert.equal(req?.status, 'EQUIVALENT', 'totals still equal');
    for (const m of rep.metrics?.metrics ?? []) {
      assert.equal(
        m.attributes.find((a) => a.key === 'service.version'),
        undefined,
        'split key never reported',
      );
    }
    const same = await run([
      '--input',
      one,
      '--split-by',
      'service.version',
      '--baseline',
      '1.4.2',
      '--candidate',
      '1.4.2',
    ]);
    assert.equal(same.code, 0, same.stdout);
    const bad = await run([
      '--input',
      one,
      '--split-by',
      'service.version',
      '--baseline',
      '1.4.2',
      '--candidate',
      '2.0',
    ]);
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /service\.version=2\.0.*1\.4\.2, 1\.5\.0/);
  });

  it('per-metric tolerance, critical metrics (score 0) and the sigma rule', async () => {
    const b = write('t-base.jsonl', metricsLines({ version: '1', seed: 5 }));
    const c = write('t-cand.jsonl', metricsLines({ version: '1', seed: 6, latencyScale: 1.15, withoutQueue: true }));
    const strict = JSON.parse(
      (await run(['--baseline', b, '--candidate', c, '--format', 'json'])).stdout,
    ) as VerifyReport;
    const lat = strict.metrics?.metrics.find((m) => m.canon === 'app_latency');
    assert.equal(lat?.status, 'DIFFERENT');
    assert.equal(strict.metrics?.metrics.find((m) => m.canon === 'queue_depth')?.status, 'MISSING');
    assert.ok(strict.score > 0 && strict.score < 100, `score ${strict.score}`);
    const loose = await run([
      '--baseline',
      b,
      '--candidate',
      c,
      '--format',
      'json',
      '--tolerance-for',
      'app.latency=0.3',
      '--critical',
      'queue.depth',
    ]);
    const rep = JSON.parse(loose.stdout) as VerifyReport;
    assert.equal(rep.metrics?.metrics.find((m) => m.canon === 'app_latency')?.status, 'EQUIVALENT');
    assert.equal(rep.score, 0, 'a missing critical metric zeroes the score');
    assert.equal(loose.code, 1);
    assert.ok(
      rep.reasons.some((x) => x.startsWith('critical metric queue.depth')),
      rep.reasons.join('; '),
    );
    const sigma = JSON.parse(
      (await run(['--baseline', b, '--candidate', b, '--format', 'json', '--rule', 'sigma'])).stdout,
    ) as VerifyReport;
    assert.equal(sigma.settings.rule, 'sigma');
    assert.ok(sigma.metrics?.metrics.every((m) => m.series.every((s) => s.test === 'sigma')));
  });

  it('--schema renames attributes and metrics; --mapping maps StatsD-era names with labels', async () => {
    const b = write('s-base.jsonl', metricsLines({ version: '1', seed: 7 }));
    const c = write(
      's-cand.jsonl',
      metricsLines({ version: '1', seed: 8, routeKey: 'http.route', requestsName: 'app.request.count' }),
    );
    const before = JSON.parse(
      (await run(['--baseline', b, '--candidate', c, '--format', 'json'])).stdout,
    ) as VerifyReport;
    assert.equal(before.metrics?.metrics.find((m) => m.canon === 'app_requests')?.status, 'MISSING');
    const schema = join(dir.path, 'schema.yaml');
    writeFileSync(
      schema,
      [
        'file_format: 1.1.0',
        'versions:',
        '  2.0.0:',
        '    all:',
        '      changes:',
        '        - rename_attributes: { attribute_map: { route: http.route } }',
        '    metrics:',
        '      changes:',
        '        - rename_metrics: { app.requests: app.request.count }',
      ].join('\n'),
    );
    const r = await run(['--baseline', b, '--candidate', c, '--format', 'json', '--schema', schema]);
    const rep = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(r.code, 0, rep.reasons.join('; '));
    const m = rep.metrics?.metrics.find((x) => x.canon === 'app_request_count');
    assert.equal(m?.attributes.find((a) => a.key === 'route')?.status, 'RENAMED');
    assert.equal(m?.seriesCount.compared, 2, 'series matched by route value across the rename');
    // StatsD-era: one counter per route in the name, mapped to one metric with a route label.
    const statsd = write(
      'statsd.jsonl',
      metricsLines({ version: '1', seed: 9, dropRoute: true, single: true, requestsName: 'api.a.requests' }).concat(
        metricsLines({ version: '1', seed: 10, dropRoute: true, single: true, requestsName: 'api.b.requests' }),
      ),
    );
    const mapping = join(dir.path, 'mapping.yaml');
    writeFileSync(
      mapping,
      'mappings:\n  - match: "api.*.requests"\n    name: "app_requests_total"\n    labels: { route: "/$1" }\n',
    );
    const mapped = await run(['--baseline', statsd, '--candidate', b, '--format', 'json', '--mapping', mapping]);
    const mrep = JSON.parse(mapped.stdout) as VerifyReport;
    const req = mrep.metrics?.metrics.find((x) => x.canon === 'app_requests');
    assert.deepEqual(req?.names.baseline, ['api.a.requests', 'api.b.requests']);
    assert.equal(req?.attributes.find((a) => a.key === 'route')?.status, 'OK');
    assert.equal(req?.status, 'EQUIVALENT', JSON.stringify(req?.series[0]));
    const badMapping = join(dir.path, 'bad-mapping.yaml');
    writeFileSync(badMapping, 'mappings:\n  - name: x\n');
    const bad = await run(['--baseline', statsd, '--candidate', b, '--mapping', badMapping]);
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /bad-mapping\.yaml: mappings\[0\] needs a "match"/);
  });

  it('progress on stderr when asked, colour only when forced, the report file written with --out', async () => {
    const out = join(dir.path, 'r.txt');
    const r = await run(['--baseline', base, '--candidate', cand, '--out', out], { SWITCHYARD_PROGRESS: '1' });
    assert.match(r.stderr, /verify: reading /);
    assert.match(r.stderr, /report written to/);
    assert.ok(!readFileSync(out, 'utf8').includes(String.fromCharCode(27)));
    const colored = await run(['--baseline', base, '--candidate', cand, '--color']);
    assert.ok(
      colored.stdout.includes(String.fromCharCode(27)),
      `ANSI colour with --color (exit ${colored.code}, stderr ${colored.stderr}, stdout ${colored.stdout.slice(0, 200)})`,
    );
    const plain = await run(['--baseline', base, '--candidate', cand], { NO_COLOR: '1' });
    assert.ok(!plain.stdout.includes(String.fromCharCode(27)));
  });

  it('usage errors exit 78, never 1 (FAIL): an unwritable --out, Prometheus-only flags without --prometheus', async () => {
    const unwritable = await run([
      '--baseline',
      base,
      '--candidate',
      cand,
      '--out',
      join(dir.path, 'no/such/dir/r.txt'),
    ]);
    assert.equal(unwritable.code, 78, unwritable.stderr);
    assert.match(unwritable.stderr, /--out .*cannot write the report/);
    const stray = await run(['--baseline', base, '--candidate', cand, '--start', '2026-01-01T00:00:00Z']);
    assert.equal(stray.code, 78, stray.stderr);
    assert.match(stray.stderr, /--start only apply with --prometheus/);
    const input = await run(['--baseline', base, '--candidate', cand, '--input', base]);
    assert.equal(input.code, 78, input.stderr);
    const bogus = await run(['--bogus-flag']);
    assert.equal(bogus.code, 78);
    // A candidate in the wrong format (Prometheus text) is an input error, not "every metric MISSING" (exit 1).
    const text = write('metrics.prom', ['# TYPE x counter', 'x_total 1', 'y 2']);
    const wrong = await run(['--baseline', base, '--candidate', text]);
    assert.equal(wrong.code, 78, wrong.stderr);
    assert.match(
      wrong.stderr,
      /metrics\.prom: none of its 3 line\(s\) is an OTLP JSON request \(first: .*metrics\.prom:1:/,
    );
  });

  it('a stray timestamp (1 ns after the epoch) is dropped and counted, not a grid over decades; a tiny --step is 78', async () => {
    const stray = requestToJson('metrics', {
      resourceMetrics: [
        {
          resource: { attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeMetrics: [
            {
              scope: { name: 'app', version: '', attributes: [], droppedAttributesCount: 0 },
              schemaUrl: '',
              metrics: [
                {
                  name: 'queue.depth',
                  description: '',
                  unit: '1',
                  metadata: [],
                  data: {
                    type: 'gauge',
                    dataPoints: [
                      { attributes: [], startTimeUnixNano: 0n, timeUnixNano: 1n, value: 5, exemplars: [], flags: 0 },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const withStray = write('stray.jsonl', [...metricsLines({ version: '1.0', seed: 1 }), stray]);
    const r = await run(['--baseline', withStray, '--candidate', cand, '--format', 'json']);
    assert.ok(r.code === 0 || r.code === 2, `exit ${r.code}: ${r.stderr.slice(0, 500)}`);
    const rep = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(rep.metrics?.dropped.baseline['timestamp far from the other points'], 1);
    assert.ok((rep.metrics?.window.baseline[0] ?? 0) > 1_000_000_000);
    const tiny = await run(['--baseline', base, '--candidate', cand, '--step', '0.0001']);
    assert.equal(tiny.code, 78, tiny.stderr);
    assert.match(tiny.stderr, /use a larger --step/);
  });

  it('control characters from the inputs never reach the terminal in the text report', async () => {
    const evil = write(
      'evil.jsonl',
      metricsLines({ version: '1.0', seed: 1, requestsName: 'app.\u001b]0;pwned\u0007\u001b[2J' }),
    );
    const r = await run(['--baseline', evil, '--candidate', cand, '--no-color']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(!r.stdout.includes('\u001b') && !r.stdout.includes('\u0007'), r.stdout);
    assert.match(r.stdout, /app\.\\x1b\]0;pwned\\x07\\x1b\[2J/);
  });
});

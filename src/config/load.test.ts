import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DEFAULT_CARDINALITY } from './service.js';
import { formatted, load, loadErrors, PIPELINE, tempFiles } from './testing.js';

const files = tempFiles();
after(() => files.remove());

const BASE = `receivers:
  otlp:
exporters:
  debug:
${PIPELINE}`;

function receiverConfig(result: Awaited<ReturnType<typeof load>>, key = 'otlp'): Record<string, unknown> {
  return result.config.receivers.get(key)?.config as Record<string, unknown>;
}

describe('loadConfig: resolving', () => {
  test('overlays the user map on the factory defaults and fills schema defaults', async () => {
    const file = files.write('defaults.yaml', BASE.replace('  otlp:\n', '  otlp:\n    max_size: 9\n    tls:\n'));
    const result = await load({ sources: [file] });
    assert.deepEqual(receiverConfig(result), {
      endpoint: '127.0.0.1:4317',
      timeout: '5s',
      compression: 'gzip',
      max_size: 9,
      tls: { insecure: false },
    });
    const otlp = result.config.receivers.get('otlp');
    assert.deepEqual(otlp?.id, { type: 'otlp', name: '' });
    assert.equal(otlp?.factory.type, 'otlp');
    assert.deepEqual(result.config.service.pipelines, [
      { key: 'traces', signal: 'traces', receivers: ['otlp'], processors: [], exporters: ['debug'] },
    ]);
    assert.deepEqual(result.config.service.telemetry, {
      logs: { level: 'info' },
      metrics: { level: 'normal', address: '127.0.0.1:8888' },
      cardinality: DEFAULT_CARDINALITY,
    });
    assert.deepEqual(result.warnings, []);
  });

  test('returns the merged user config without defaults', async () => {
    const file = files.write('merged.yaml', BASE);
    const { merged } = await load({ sources: [file] });
    assert.deepEqual(merged, {
      receivers: { otlp: null },
      exporters: { debug: null },
      service: { pipelines: { traces: { receivers: ['otlp'], exporters: ['debug'] } } },
    });
  });

  test('named ids, several pipelines of one signal, extensions', async () => {
    const file = files.write(
      'named.yaml',
      `receivers:
  otlp/a:
  statsd:
processors:
  batch/small: {send_batch_size: 10}
exporters:
  debug/x:
extensions:
  health_check:
service:
  extensions: [health_check]
  pipelines:
    metrics/a:
      receivers: [otlp/a, statsd]
      processors: [batch/small]
      exporters: [debug/x]
    metrics/b:
      receivers: [statsd]
      exporters: [debug/x]
`,
    );
    const { config, warnings } = await load({ sources: [file] });
    assert.deepEqual([...config.receivers.keys()], ['otlp/a', 'statsd']);
    assert.deepEqual(config.receivers.get('otlp/a')?.id, { type: 'otlp', name: 'a' });
    assert.deepEqual(
      config.service.pipelines.map((p) => [p.key, p.signal]),
      [
        ['metrics/a', 'metrics'],
        ['metrics/b', 'metrics'],
      ],
    );
    assert.deepEqual(config.service.extensions, ['health_check']);
    assert.deepEqual(config.processors.get('batch/small')?.config, {
      timeout: '200ms',
      send_batch_size: 10,
      send_batch_max_size: 0,
    });
    assert.deepEqual(warnings, []);
  });

  test('telemetry: levels, address, and the readers form mapped to an address', async () => {
    const telemetry = (body: string): string =>
      `${BASE}  telemetry:\n${body
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}\n`;
    const plain = files.write('tel1.yaml', telemetry('logs: {level: debug}\nmetrics: {level: detailed, address: ""}'));
    assert.deepEqual((await load({ sources: [plain] })).config.service.telemetry, {
      logs: { level: 'debug' },
      metrics: { level: 'detailed', address: '' },
      cardinality: DEFAULT_CARDINALITY,
    });
    const readers = files.write(
      'tel2.yaml',
      telemetry('metrics:\n  readers:\n    - pull: {exporter: {prometheus: {host: 0.0.0.0, port: 9999}}}'),
    );
    assert.equal((await load({ sources: [readers] })).config.service.telemetry.metrics.address, '0.0.0.0:9999');
    const v6 = files.write(
      'tel3.yaml',
      telemetry("metrics:\n  readers: [{pull: {exporter: {prometheus: {host: '::1'}}}}]"),
    );
    assert.equal((await load({ sources: [v6] })).config.service.telemetry.metrics.address, '[::1]:8888');
  });
});

describe('loadConfig: env substitution on the syntax tree', () => {
  const file = files.write(
    'env.yaml',
    `receivers:
  otlp:
    endpoint: 127.0.0.1:\${env:PORT}
    max_size: \${env:SIZE}
    timeout: \${env:UNSET_TIMEOUT:-7s}
    headers:
      quoted: "\${env:SIZE}"
      single: '\${SIZE}'
      numeric_secret: \${env:DIGITS}
      dollars: a$$b $\${env:SIZE}
      bare: \${SIZE}x
      empty: \${env:EMPTY}
      colon: \${env:COLON}
    tls:
      insecure: \${env:FLAG}
exporters:
  debug:
${PIPELINE}`,
  );
  const env = { PORT: '4318', SIZE: '7', DIGITS: '0123', FLAG: 'true', EMPTY: '', COLON: 'k: v' };

  test('unquoted whole references take the YAML type; quoted ones and concatenations stay strings', async () => {
    const result = await load({ sources: [file], env });
    const c = receiverConfig(result);
    assert.equal(c['endpoint'], '127.0.0.1:4318');
    assert.equal(c['max_size'], 7);
    assert.equal(c['timeout'], '7s');
    assert.deepEqual(c['tls'], { insecure: true });
    assert.deepEqual(c['headers'], {
      quoted: '7',
      single: '7',
      // typed as 123 by YAML, but the schema wants a string: the text is used as written
      numeric_secret: '0123',
      dollars: `a$b \${env:SIZE}`,
      bare: '7x',
      // set but empty: empty, and no default applies
      empty: '',
      // YAML reads it as a map; the schema wants a string, so the text is used
      colon: 'k: v',
    });
    assert.deepEqual(result.warnings, []);
  });

  test('the merged config shows the typed values', async () => {
    const { merged } = await load({ sources: [file], env });
    const otlp = (merged as { receivers: { otlp: Record<string, unknown> } }).receivers.otlp;
    assert.equal(otlp['max_size'], 7);
    assert.deepEqual(otlp['tls'], { insecure: true });
    assert.equal((otlp['headers'] as Record<string, unknown>)['quoted'], '7');
  });

  test('an unset variable without a default becomes "" with a positioned warning', async () => {
    const missing = files.write(
      'missing.yaml',
      `receivers:
  otlp:
    headers:
      a: x\${env:NOPE}y
exporters:
  debug:
${PIPELINE}`,
    );
    const result = await load({ sources: [missing] });
    assert.deepEqual((receiverConfig(result)['headers'] as Record<string, string>)['a'], 'xy');
    assert.deepEqual(formatted(result.warnings), [
      `${missing}:4:10: receivers.otlp.headers.a: environment variable NOPE is not set (\${env:NOPE}); using ""`,
    ]);
  });

  test('an unset variable that leaves a required field empty: the error comes with the warning', async () => {
    const f = files.write(
      'unset-port.yaml',
      `receivers:\n  otlp:\n    max_size: \${env:SIZE}\nexporters:\n  debug:\n${PIPELINE}`,
    );
    assert.deepEqual(await loadErrors({ sources: [f] }), [
      `${f}:3:15: receivers.otlp.max_size: must be an integer (got "")`,
      `warning: ${f}:3:15: receivers.otlp.max_size: environment variable SIZE is not set (\${env:SIZE}); using ""`,
    ]);
  });

  test('bad references are errors', async () => {
    const f = files.write(
      'badref.yaml',
      `receivers:\n  otlp:\n    headers:\n      a: \${file:/etc/passwd}\n      b: \${env:1X}\nexporters:\n  debug:\n${PIPELINE}`,
    );
    assert.deepEqual(await loadErrors({ sources: [f] }), [
      `${f}:4:10: receivers.otlp.headers.a: \${file:/etc/passwd}: unsupported scheme "file" (supported: \${env:VAR}, \${env:VAR:-default}, \${VAR})`,
      `${f}:5:10: receivers.otlp.headers.b: \${env:1X}: invalid environment variable name "1X" (must match ^[a-zA-Z_][a-zA-Z0-9_]*$)`,
    ]);
  });
});

describe('loadConfig: sources and --set', () => {
  test('several files merge in order: maps merge, lists and scalars replace', async () => {
    const first = files.write(
      'first.yaml',
      `receivers:
  otlp:
    max_size: 2
    headers: {a: "1", b: "2"}
  statsd:
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
    metrics:
      receivers: [otlp, statsd]
      exporters: [debug]
`,
    );
    const second = files.write(
      'second.yaml',
      `receivers:
  otlp:
    headers: {b: "3"}
    compression: none
service:
  pipelines:
    metrics:
      receivers: [statsd]
`,
    );
    const { config } = await load({ sources: [first, `file:${second}`] });
    const otlp = config.receivers.get('otlp')?.config as Record<string, unknown>;
    assert.equal(otlp['max_size'], 2);
    assert.equal(otlp['compression'], 'none');
    assert.deepEqual(otlp['headers'], { a: '1', b: '3' });
    const metrics = config.service.pipelines.find((p) => p.key === 'metrics');
    assert.deepEqual(metrics?.receivers, ['statsd']);
    assert.deepEqual(metrics?.exporters, ['debug']);
  });

  test('a null in a later source keeps the earlier map', async () => {
    const first = files.write('keep1.yaml', BASE.replace('  otlp:\n', '  otlp:\n    max_size: 3\n'));
    const second = files.write('keep2.yaml', 'receivers:\n  otlp:\n');
    const { config } = await load({ sources: [first, second] });
    assert.equal(receiverField(config, 'otlp', 'max_size'), 3);
  });

  test('yaml: sources with :: and . paths, env: sources', async () => {
    const { config } = await load({
      sources: [
        'env:SWITCHYARD_CONFIG',
        'yaml:receivers::otlp::max_size: 5',
        'yaml:receivers.otlp.compression: zstd',
        'yaml:service::telemetry::logs: {level: warn}',
      ],
      env: { SWITCHYARD_CONFIG: BASE },
    });
    const otlp = config.receivers.get('otlp')?.config as Record<string, unknown>;
    assert.equal(otlp['max_size'], 5);
    assert.equal(otlp['compression'], 'zstd');
    assert.equal(config.service.telemetry.logs.level, 'warn');
  });

  test('--set applies last, parses YAML scalars and accepts :: for keys with dots', async () => {
    const file = files.write('set.yaml', BASE);
    const { config } = await load({
      sources: [file],
      sets: [
        'receivers.otlp.max_size=12',
        'receivers::otlp::headers::x.y=z',
        'service.telemetry.metrics.level=none',
        'receivers.otlp.tls.insecure=true',
      ],
    });
    const otlp = config.receivers.get('otlp')?.config as Record<string, unknown>;
    assert.equal(otlp['max_size'], 12);
    assert.deepEqual(otlp['headers'], { 'x.y': 'z' });
    assert.deepEqual(otlp['tls'], { insecure: true });
    assert.equal(config.service.telemetry.metrics.level, 'none');
  });

  test('errors in --set values point at --set', async () => {
    const file = files.write('set-bad.yaml', BASE);
    assert.deepEqual(await loadErrors({ sources: [file], sets: ['receivers.otlp.max_size=big', 'nokey'] }), [
      '--set: "nokey" must be key=value',
    ]);
    assert.deepEqual(await loadErrors({ sources: [file], sets: ['receivers.otlp.max_size=big'] }), [
      '--set: receivers.otlp.max_size: must be an integer (got "big")',
    ]);
  });

  test('source problems: unreadable file, unset env source, unknown scheme', async () => {
    const missing = files.path('nope.yaml');
    const issues = await loadErrors({ sources: [missing, 'env:NOT_THERE', 'https://example.com/c.yaml'] });
    assert.equal(issues.length, 3);
    assert.match(issues[0] ?? '', new RegExp(`^${missing}: cannot read the config file: ENOENT`));
    assert.equal(issues[1], 'env:NOT_THERE: environment variable NOT_THERE is not set');
    assert.equal(
      issues[2],
      'https://example.com/c.yaml: unsupported config source scheme "https:" (supported: a file path, file:PATH, env:VAR, yaml:key::sub: value)',
    );
    assert.deepEqual(await loadErrors({ sources: [] }), ['no config given (use --config FILE, env:VAR or yaml:...)']);
  });

  test('YAML anchors, aliases and merge keys', async () => {
    const file = files.write(
      'anchors.yaml',
      `receivers:
  otlp/a: &base
    max_size: 8
    compression: none
  otlp/b:
    <<: *base
    max_size: 9
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp/a, otlp/b]
      exporters: [debug]
`,
    );
    const { config } = await load({ sources: [file] });
    assert.equal(receiverField(config, 'otlp/a', 'max_size'), 8);
    assert.equal(receiverField(config, 'otlp/b', 'max_size'), 9);
    assert.equal(receiverField(config, 'otlp/b', 'compression'), 'none');
  });
});

function receiverField(config: Awaited<ReturnType<typeof load>>['config'], id: string, key: string): unknown {
  const c = config.receivers.get(id)?.config;
  return c === undefined ? undefined : (c as Record<string, unknown>)[key];
}

describe('loadConfig: warnings', () => {
  test('components used by no pipeline and extensions not enabled', async () => {
    const file = files.write(
      'unused.yaml',
      `receivers:
  otlp:
  statsd:
processors:
  batch:
exporters:
  debug:
  otlp:
    endpoint: x:1
extensions:
  health_check:
${PIPELINE}`,
    );
    const { warnings, config } = await load({ sources: [file] });
    assert.deepEqual(formatted(warnings), [
      `${file}:3:3: receivers.statsd: receiver "statsd" is configured but not used by any pipeline`,
      `${file}:5:3: processors.batch: processor "batch" is configured but not used by any pipeline`,
      `${file}:8:3: exporters.otlp: exporter "otlp" is configured but not used by any pipeline`,
      `${file}:11:3: extensions.health_check: extension "health_check" is configured but not enabled in service.extensions`,
    ]);
    assert.ok(warnings.every((w) => w.severity === 'warning'));
    assert.ok(config.receivers.has('statsd'), 'unused components are still resolved');
  });
});

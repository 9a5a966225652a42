import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ConfigError } from './resolved.js';
import { load, loadErrors, PIPELINE, tempFiles } from './testing.js';

const files = tempFiles();
after(() => files.remove());

describe('config errors: every one, positioned, at once', () => {
  test('a config with many mistakes reports all of them in source order', async () => {
    const f = files.write(
      'many.yaml',
      `receivers:
  otlp:
    timeout: 5 s
    endpiont: x
    max_size: "3"
  otlpp/2:
  statsd:
processors:
  batch:
    send_batch_size: 100
    send_batch_max_size: 10
exporters:
  debug:
    verbosity: verbose
  otlp:
connectors:
  forward:
extensions:
  pprof:
service:
  extensions: [pprof, health_check]
  telemetry:
    logs: {level: verbose}
  pipelines:
    traces:
      receivers: [otlp, statsd, otlp, otlp/3]
      processors: [batch]
      exporters: [debug]
    trace/x:
      receivers: [otlp]
    metrics:
      receivers: []
foo: 1
`,
    );
    assert.deepEqual(await loadErrors({ sources: [f] }), [
      `${f}:3:14: receivers.otlp.timeout: invalid duration "5 s" (expected a number with a unit: ns, us, ms, s, m, h; e.g. 200ms, 5s, 1m30s)`,
      `${f}:4:5: receivers.otlp.endpiont: unknown key "endpiont" (allowed: endpoint, timeout, compression, max_size, headers, tls; did you mean "endpoint"?)`,
      `${f}:5:15: receivers.otlp.max_size: must be an integer (got "3")`,
      `${f}:6:3: receivers.otlpp/2: unknown type "otlpp" for id "otlpp/2" (valid values: otlp, statsd; did you mean "otlp"?)`,
      `${f}:11:26: processors.batch.send_batch_max_size: must be greater than or equal to send_batch_size`,
      `${f}:14:16: exporters.debug.verbosity: invalid value "verbose" (allowed: basic, normal, detailed)`,
      `${f}:15:3: exporters.otlp: missing required key "endpoint"`,
      `${f}:17:3: connectors.forward: unknown type "forward" for id "forward" (valid values: none); no connector types are available in this build`,
      `${f}:19:3: extensions.pprof: unknown type "pprof" for id "pprof" (valid values: health_check)`,
      `${f}:21:23: service.extensions[1]: service.extensions references extension "health_check" which is not configured (configured extensions: pprof)`,
      `${f}:23:19: service.telemetry.logs.level: invalid value "verbose" (allowed: debug, info, warn, error)`,
      `${f}:26:25: service.pipelines.traces.receivers[1]: receiver "statsd" does not support traces (pipeline "traces"; it supports: metrics)`,
      `${f}:26:33: service.pipelines.traces.receivers[2]: pipeline "traces" references receiver "otlp" more than once`,
      `${f}:26:39: service.pipelines.traces.receivers[3]: pipeline "traces" references receiver "otlp/3" which is not configured (configured receivers: otlp, otlpp/2, statsd; did you mean "otlp"?)`,
      `${f}:29:5: service.pipelines.trace/x: unknown signal "trace" in pipeline id "trace/x" (valid values: traces, metrics, logs; did you mean "traces"?)`,
      `${f}:31:5: service.pipelines.metrics: must have at least one receiver (pipeline "metrics")`,
      `${f}:31:5: service.pipelines.metrics: must have at least one exporter (pipeline "metrics")`,
      `${f}:33:1: foo: unknown key "foo" (allowed: receivers, processors, exporters, connectors, extensions, service)`,
      `warning: ${f}:15:3: exporters.otlp: exporter "otlp" is configured but not used by any pipeline`,
    ]);
  });

  test('the ConfigError carries structured issues', async () => {
    const f = files.write('structured.yaml', `receivers:\n  otlp:\n    max_size: 0\nexporters:\n  debug:\n${PIPELINE}`);
    await assert.rejects(load({ sources: [f] }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues, [
        {
          severity: 'error',
          source: f,
          line: 3,
          col: 15,
          path: 'receivers.otlp.max_size',
          message: 'must be >= 1 (got 0)',
        },
      ]);
      return true;
    });
  });

  test('YAML syntax errors from every source, with positions', async () => {
    const a = files.write('syntax-a.yaml', 'receivers:\n  otlp: [1, 2\nexporters: {}\n');
    const b = files.write('syntax-b.yaml', 'a: 1\na: 2\n');
    assert.deepEqual(await loadErrors({ sources: [a, b] }), [
      `${a}:3:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `${b}:2:1: YAML: Map keys must be unique`,
    ]);
  });

  test('an error in a merged config points at the source that set the value', async () => {
    const a = files.write('pos-a.yaml', `receivers:\n  otlp:\n    max_size: 2\nexporters:\n  debug:\n${PIPELINE}`);
    const b = files.write('pos-b.yaml', 'receivers:\n  otlp:\n    compression: brotli\n');
    assert.deepEqual(await loadErrors({ sources: [a, b, 'yaml:receivers::otlp::timeout: soon'] }), [
      `${b}:3:18: receivers.otlp.compression: invalid value "brotli" (allowed: gzip, zstd, none)`,
      'yaml:receivers::otlp::timeout: soon:1:27: receivers.otlp.timeout: invalid duration "soon" (expected a number with a unit: ns, us, ms, s, m, h; e.g. 200ms, 5s, 1m30s)',
    ]);
  });

  test('malformed ids and shapes', async () => {
    const f = files.write(
      'shapes.yaml',
      `receivers:
  1otlp:
  otlp/:
  otlp: [a]
exporters: [debug]
service:
  pipelines:
    traces:
      receivers: otlp
      exporters: [debug]
`,
    );
    assert.deepEqual(await loadErrors({ sources: [f] }), [
      `${f}:2:3: receivers.1otlp: invalid component id "1otlp": the type must match ^[a-zA-Z][0-9a-zA-Z_]{0,62}$`,
      `${f}:3:3: receivers.otlp/: invalid component id "otlp/": the name after "/" must be non-empty, without spaces or "/"`,
      `${f}:4:9: receivers.otlp: must be a map of settings (or empty for the defaults)`,
      `${f}:5:12: exporters: must be a map of component ids to their configs`,
      `${f}:9:18: service.pipelines.traces.receivers: must be a list (got "otlp")`,
      `${f}:10:19: service.pipelines.traces.exporters[0]: pipeline "traces" references exporter "debug" which is not configured (configured exporters: none)`,
      `warning: ${f}:4:3: receivers.otlp: receiver "otlp" is configured but not used by any pipeline`,
    ]);
  });

  test('a config without pipelines, and one that is not a map', async () => {
    const empty = files.write('empty.yaml', '# nothing\n');
    assert.deepEqual(await loadErrors({ sources: [empty] }), [
      'service.pipelines: at least one pipeline is required (e.g. traces, metrics/internal)',
    ]);
    const list = files.write('list.yaml', '- a\n');
    assert.deepEqual(await loadErrors({ sources: [list] }), [
      `${list}:1:1: the config must be a map with the keys receivers, processors, exporters, connectors, extensions, service`,
    ]);
  });

  test('unknown keys in the service section, and readers with address', async () => {
    const f = files.write(
      'service.yaml',
      `receivers:
  otlp:
exporters:
  debug:
service:
  extensions: [health_check, health_check]
  pipeline: {}
  telemetry:
    metrics:
      address: 0.0.0.0:8888
      readers:
        - pull: {exporter: {prometheus: {port: 9}}}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
      exporter: [debug]
extensions:
  health_check:
`,
    );
    assert.deepEqual(await loadErrors({ sources: [f] }), [
      `${f}:6:30: service.extensions[1]: service.extensions references extension "health_check" more than once`,
      `${f}:7:3: service.pipeline: unknown key "pipeline" (allowed: extensions, pipelines, telemetry; did you mean "pipelines"?)`,
      `${f}:11:7: service.telemetry.metrics.readers: set either metrics.address or metrics.readers, not both`,
      `${f}:17:7: service.pipelines.logs.exporter: unknown key "exporter" (allowed: receivers, processors, exporters; did you mean "exporters"?)`,
    ]);
  });

  test('removed component types say what replaces them', async () => {
    const f = files.write('logging.yaml', `receivers:\n  otlp:\nexporters:\n  logging:\n  debug:\n${PIPELINE}`);
    assert.deepEqual(await loadErrors({ sources: [f] }), [
      `${f}:4:3: exporters.logging: the logging exporter has been removed, use the debug exporter instead`,
    ]);
  });

  test('secrets are not echoed in error messages', async () => {
    const f = files.write(
      'secret.yaml',
      `receivers:\n  otlp:\n    tls: {key_pem: 42}\n    headers: {authorization: 7}\nexporters:\n  debug:\n${PIPELINE}`,
    );
    assert.deepEqual(await loadErrors({ sources: [f] }), [
      `${f}:3:20: receivers.otlp.tls.key_pem: must be a string (got a number)`,
      `${f}:4:30: receivers.otlp.headers.authorization: must be a string (got a number)`,
    ]);
  });
});

// The binary as a user runs it: validate, components, print-config, and a collector process
// that serves, reloads on SIGHUP (keeping its graph on a bad config) and stops on SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, tempDir, waitFor } from './helpers.js';

const BIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = tempDir('switchyard-cli-');
after(() => dir.remove());

function file(name: string, text: string): string {
  const p = join(dir.path, name);
  writeFileSync(p, text);
  return p;
}

/** A collector process on `cfgPath`, once it logged that everything is ready. */
async function startReady(cfgPath: string): Promise<{
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}> {
  const proc = spawn(process.execPath, [BIN, 'collector', '--config', cfgPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  proc.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  try {
    await waitFor('collector ready', () => (/everything is ready/.test(text) ? true : undefined), 15_000);
  } catch (err) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw err;
  }
  return { proc, stderr: () => text, exited };
}

describe('switchyard validate', () => {
  it('accepts the embedded default config', () => {
    const r = run(['validate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /config is valid: 3 pipeline\(s\): traces, metrics, logs/);
  });

  it('exits 78 and reports every error with file:line:col and a suggestion', () => {
    const bad = file(
      'bad.yaml',
      `receivers:
  otlp:
    protocols:
      http:
        endpont: 127.0.0.1:4318
exporters:
  debugg: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
`,
    );
    const r = run(['validate', '--config', bad]);
    assert.equal(r.code, 78);
    assert.match(
      r.stderr,
      new RegExp(`${bad}:5:9: receivers\\.otlp\\.protocols\\.http.*endpont.*did you mean "endpoint"`),
    );
    assert.match(r.stderr, new RegExp(`${bad}:7:3: .*unknown type "debugg".*did you mean "debug"`));
    assert.match(r.stderr, /service\.pipelines\.traces.*exporter "debug".*not configured/);
  });

  it('substitutes env references and applies --set', () => {
    const cfg = file(
      'env.yaml',
      `receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:\${env:SY_PORT}" }
exporters:
  debug:
    verbosity: \${env:SY_VERBOSITY:-basic}
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [debug] }
`,
    );
    const r = run(
      ['print-config', '--config', cfg, '--set', 'exporters.debug.verbosity=detailed', '--format', 'json'],
      {
        SY_PORT: '14318',
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const merged = JSON.parse(r.stdout);
    assert.equal(merged.receivers.otlp.protocols.http.endpoint, '127.0.0.1:14318');
    assert.equal(merged.exporters.debug.verbosity, 'detailed');
  });
});

describe('switchyard print-config', () => {
  it('redacts secrets unless asked not to', () => {
    const cfg = file(
      'secret.yaml',
      `receivers:
  otlp: { protocols: { grpc: {} } }
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:9
    headers: { authorization: "Bearer s3cr3t-token" }
service:
  pipelines:
    traces: { receivers: [otlp], exporters: [otlphttp] }
`,
    );
    const red = run(['print-config', '--config', cfg]);
    assert.equal(red.code, 0, red.stderr);
    assert.doesNotMatch(red.stdout, /s3cr3t/);
    assert.match(red.stdout, /\[REDACTED\]/);
    const clear = run(['print-config', '--config', cfg, '--mode', 'unredacted']);
    assert.match(clear.stdout, /s3cr3t-token/);
  });
});

describe('switchyard components', () => {
  it('lists every component with its signals and stability', () => {
    const r = run(['components', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ kind: string; type: string; stability: Record<string, string> }>;
    const names = rows.map((x) => `${x.kind}/${x.type}`).sort();
    for (const want of [
      'receiver/otlp',
      'processor/batch',
      'processor/memory_limiter',
      'exporter/otlp',
      'exporter/otlphttp',
      'exporter/debug',
      'exporter/file',
      'extension/health_check',
    ]) {
      assert.ok(names.includes(want), `${want} listed`);
    }
    const otlp = rows.find((x) => x.kind === 'receiver' && x.type === 'otlp');
    assert.deepEqual(Object.keys(otlp?.stability ?? {}).sort(), ['logs', 'metrics', 'traces']);
  });

  it('exits 64 on an unknown command', () => {
    assert.equal(run(['frobnicate']).code, 64);
  });

  it('--help lists every job: collector, validate, allocator, verify', () => {
    const r = run(['--help']);
    assert.equal(r.code, 0);
    for (const job of ['collector', 'validate', 'components', 'print-config', 'allocator', 'verify']) {
      assert.match(r.stdout, new RegExp(`^  ${job}\\b`, 'm'), job);
    }
    // verify's own usage errors exit 78 (usage or input error), as its docs say.
    assert.equal(run(['verify', '--no-such-flag']).code, 78);
  });
});

describe('switchyard collector (a real process)', () => {
  let child: ChildProcess | undefined;
  after(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('serves health and own metrics, reloads on SIGHUP, keeps running on a bad reload, stops on SIGTERM', async () => {
    const [health, metrics, http, http2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const cfgPath = join(dir.path, 'live.yaml');
    const good = (httpPort: number) => `extensions:
  health_check: { endpoint: 127.0.0.1:${health} }
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:${httpPort} } } }
exporters:
  debug: {}
service:
  extensions: [health_check]
  pipelines:
    traces: { receivers: [otlp], exporters: [debug] }
  telemetry:
    metrics: { address: 127.0.0.1:${metrics} }
`;
    writeFileSync(cfgPath, good(http));
    child = spawn(process.execPath, [BIN, 'collector', '--config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const ok = async (url: string) => {
      try {
        return (await fetch(url)).status;
      } catch {
        return undefined;
      }
    };
    const deadline = Date.now() + 15_000;
    while ((await ok(`http://127.0.0.1:${health}/`)) !== 200) {
      assert.ok(Date.now() < deadline, `collector did not become healthy: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    assert.match(text, /otelcol_process_memory_rss_bytes \d+/);
    const sent = await fetch(`http://127.0.0.1:${http}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [] }),
    });
    assert.equal(sent.status, 200);

    // A bad config on reload: the running graph stays.
    writeFileSync(cfgPath, 'receivers: [oops\n');
    child.kill('SIGHUP');
    await waitFor('reload error logged', () => (/keeping the running one/.test(stderr) ? true : undefined));
    assert.equal(await ok(`http://127.0.0.1:${health}/`), 200);
    assert.equal(
      (
        await fetch(`http://127.0.0.1:${http}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
      200,
    );

    // A good config on reload: the receiver moves to the new port.
    writeFileSync(cfgPath, good(http2));
    child.kill('SIGHUP');
    await waitFor('reloaded', () => (/configuration reloaded/.test(stderr) ? true : undefined));
    assert.equal(
      (
        await fetch(`http://127.0.0.1:${http2}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
      200,
    );
    assert.equal(await ok(`http://127.0.0.1:${http}/v1/traces`), undefined, 'old port closed');

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stderr, /shutdown complete/);
    const lines = stderr.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.length > 0 && lines.every((l) => JSON.parse(l).level !== undefined), 'logs are JSON lines');
  });
  it('exits non-zero when a reload fails and the previous config cannot start again', async () => {
    const sub = join(dir.path, 'vanishing');
    mkdirSync(sub);
    const cfgPath = join(dir.path, 'vanishing.yaml');
    const http = await freePort();
    writeFileSync(
      cfgPath,
      `receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:${http} } } }
exporters:
  file: { path: ${join(sub, 'out.jsonl')} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [file] }
  telemetry:
    metrics: { level: none }
`,
    );
    const { proc, stderr, exited } = await startReady(cfgPath);
    try {
      rmSync(sub, { recursive: true, force: true });
      proc.kill('SIGHUP');
      assert.equal(await exited, 1, stderr());
      assert.match(stderr(), /failed to start again; exiting/);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  });
  it('keeps running when no component holds a socket open (a scrape-only pipeline), until SIGTERM', async () => {
    const out = join(dir.path, 'scrape-only.jsonl');
    const cfgPath = file(
      'scrape-only.yaml',
      `receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: nothing-here
          scrape_interval: 1h
          static_configs: [{targets: ['127.0.0.1:9']}]
exporters:
  file: { path: ${out} }
service:
  pipelines:
    metrics: { receivers: [prometheus], exporters: [file] }
  telemetry:
    metrics: { level: none }
`,
    );
    const { proc, stderr, exited } = await startReady(cfgPath);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(proc.exitCode, null, `the collector exited by itself: ${stderr()}`);
      proc.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(stderr(), /shutdown complete/);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  });
});

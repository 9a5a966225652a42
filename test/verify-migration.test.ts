// Old path vs new path for one seeded workload, with real instrumentation on both sides: hot-shots StatsD into our
// `statsd` receiver (the baseline) and @opentelemetry/sdk-metrics over OTLP/HTTP into our `otlp` receiver (five
// candidates: one faithful migration and four broken ones), all written by our `file` exporter from one collector.
// `switchyard verify` (the real binary) must pass the faithful one and fail and name each broken one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Attributes } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import StatsD from 'hot-shots';
import { prng } from '../src/pdata/gen.js';
import type { VerifyReport } from '../src/verify/index.js';
import { freePort, startCollector, tempDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const INTERVAL_MS = 250;
const WORKLOAD_MS = 6500;
const TICK_MS = 5;
const RATE_PER_S = 400;

type Variant = 'faithful' | 'dropped' | 'renamed' | 'ms_as_s' | 'lost20';
const VARIANTS: readonly Variant[] = ['faithful', 'dropped', 'renamed', 'ms_as_s', 'lost20'];

interface Candidate {
  readonly provider: MeterProvider;
  readonly record: (route: string, method: string, status: number, ms: number, keep: boolean) => void;
}

function candidate(variant: Variant, port: number): Candidate {
  const exporter = new OTLPMetricExporter({
    url: `http://127.0.0.1:${port}/v1/metrics`,
    temporalityPreference: AggregationTemporality.CUMULATIVE,
  });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: INTERVAL_MS });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '2.0.0' }),
    readers: [reader],
  });
  const meter = provider.getMeter('checkout');
  const requests = meter.createCounter('http.server.requests', { unit: '{request}' });
  const duration = meter.createHistogram('http.server.request.duration', { unit: 's' });
  return {
    provider,
    record(route, method, status, ms, keep) {
      const attrs: Attributes =
        variant === 'dropped'
          ? { 'http.request.method': method, 'http.response.status_code': status }
          : variant === 'renamed'
            ? { 'http.route': route, 'http.request.method': method, 'http.response.status_code': status }
            : { route, 'http.request.method': method, 'http.response.status_code': status };
      if (variant === 'lost20' && !keep) return;
      requests.add(1, attrs);
      duration.record(variant === 'ms_as_s' ? ms : ms / 1000, attrs);
    },
  };
}

function runVerify(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'verify', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('verify: StatsD (hot-shots) -> OTel SDK migration, real instrumentation', () => {
  const dir = tempDir('switchyard-verify-');
  const file = (name: string): string => join(dir.path, `${name}.jsonl`);

  before(async () => {
    const statsdPort = await freePort();
    const ports = new Map<Variant, number>();
    for (const v of VARIANTS) ports.set(v, await freePort());
    const receivers = [
      `  statsd:\n    endpoint: 127.0.0.1:${statsdPort}\n    aggregation_interval: ${INTERVAL_MS}ms\n    timer_histogram_mapping:\n      - { statsd_type: timer, observer_type: histogram }`,
      ...VARIANTS.map((v) => `  otlp/${v}:\n    protocols:\n      http: { endpoint: 127.0.0.1:${ports.get(v)} }`),
    ].join('\n');
    const exporters = ['baseline', ...VARIANTS]
      .map((v) => `  file/${v}: { path: ${file(v)}, flush_interval: 0s }`)
      .join('\n');
    const pipelines = [
      '    metrics/baseline: { receivers: [statsd], exporters: [file/baseline] }',
      ...VARIANTS.map((v) => `    metrics/${v}: { receivers: [otlp/${v}], exporters: [file/${v}] }`),
    ].join('\n');
    const collector = await startCollector(
      `receivers:\n${receivers}\nexporters:\n${exporters}\nservice:\n  pipelines:\n${pipelines}\n`,
    );
    const statsd = new StatsD({ host: '127.0.0.1', port: statsdPort, maxBufferSize: 1200, bufferFlushInterval: 5 });
    const cands = VARIANTS.map((v) => candidate(v, ports.get(v) as number));
    // The seeded workload: an open-loop 400 requests/s (each tick sends what is due by the clock, so timer jitter does
    // not change the rate), route/method/status/latency drawn from one PRNG.
    const rnd = prng(42);
    const routes = ['/checkout', '/cart'];
    const methods = ['GET', 'POST'];
    const t0 = Date.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = Date.now() - t0;
        if (elapsed >= WORKLOAD_MS) {
          clearInterval(timer);
          resolve();
          return;
        }
        const due = Math.floor((elapsed * RATE_PER_S) / 1000) - sent;
        for (let i = 0; i < due; i++) {
          sent++;
          const route = routes[rnd() < 0.6 ? 0 : 1] as string;
          const method = methods[rnd() < 0.7 ? 0 : 1] as string;
          const status = rnd() < 0.95 ? 200 : 500;
          const ms = Math.exp(Math.log(40) + 0.5 * (rnd() + rnd() + rnd() - 1.5));
          const keep = rnd() >= 0.2;
          const tags = { route, 'http.method': method, 'http.status_code': String(status) };
          statsd.increment('http.server.requests', 1, tags);
          statsd.timing('http.server.duration', ms, tags);
          for (const c of cands) c.record(route, method, status, ms, keep);
        }
      }, TICK_MS);
    });
    await new Promise<void>((resolve) => statsd.close(() => resolve()));
    await Promise.all(cands.map((c) => c.provider.forceFlush()));
    await Promise.all(cands.map((c) => c.provider.shutdown()));
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS)); // the receiver's last flush
    await collector.stop();
  });
  after(() => {
    if (process.env.VERIFY_TEST_KEEP === undefined) dir.remove();
  });

  const verify = async (v: Variant, extra: readonly string[] = []) => {
    const out = join(dir.path, `${v}.report.json`);
    const r = await runVerify([
      '--baseline',
      file('baseline'),
      '--candidate',
      file(v),
      '--format',
      'json',
      '--out',
      out,
      ...extra,
    ]);
    const rep = JSON.parse(readFileSync(out, 'utf8')) as VerifyReport;
    return { ...r, rep };
  };
  const metric = (rep: VerifyReport, canon: string) => {
    const m = rep.metrics?.metrics.find((x) => x.canon === canon);
    assert.ok(m, `metric ${canon} in the report: ${rep.metrics?.metrics.map((x) => x.canon).join(', ')}`);
    return m;
  };

  it('a faithful migration passes (exit 0): renames from the http pack, ms -> s, delta -> cumulative', async () => {
    const { code, rep, stderr } = await verify('faithful');
    const summary = JSON.stringify(
      rep.metrics?.metrics.map((m) => ({ n: m.canon, s: m.status, t: m.series.filter((x) => x.id === 'total') })),
    );
    assert.equal(code, 0, `exit code (stderr: ${stderr}); ${rep.reasons.join('; ')} ${summary}`);
    assert.equal(rep.verdict, 'PASS');
    const dur = metric(rep, 'http_server_request_duration');
    assert.equal(dur.status, 'EQUIVALENT');
    assert.deepEqual(dur.names.baseline, ['http.server.duration']);
    const renamed = dur.attributes.filter((f) => f.status === 'RENAMED').map((f) => `${f.key}->${f.candidateKey}`);
    assert.ok(renamed.includes('http.method->http.request.method'), renamed.join(', '));
    assert.equal(metric(rep, 'http_server_requests').status, 'EQUIVALENT');
  });

  it('a dropped attribute fails (exit 1) and names the key with a fix', async () => {
    const { code, rep } = await verify('dropped');
    assert.equal(code, 1);
    const m = metric(rep, 'http_server_requests');
    const f = m.attributes.find((x) => x.key === 'route');
    assert.equal(f?.status, 'MISSING');
    assert.match(f?.fix ?? '', /views/);
    assert.ok(
      rep.reasons.some((r) => r.includes('route MISSING')),
      rep.reasons.join('; '),
    );
  });

  it('a renamed attribute without a mapping fails (exit 1); the mapping makes it pass', async () => {
    const { code, rep } = await verify('renamed');
    assert.equal(code, 1);
    const m = metric(rep, 'http_server_requests');
    assert.equal(m.attributes.find((x) => x.key === 'route')?.status, 'MISSING');
    const added = m.attributes.find((x) => x.key === 'http.route');
    assert.equal(added?.status, 'ADDED');
    assert.match(added?.fix ?? '', /--rename-attribute route=http\.route/);
    const mapped = await verify('renamed', ['--rename-attribute', 'route=http.route']);
    assert.equal(mapped.code, 0, mapped.rep.reasons.join('; '));
    assert.equal(
      metric(mapped.rep, 'http_server_requests').attributes.find((x) => x.key === 'route')?.status,
      'RENAMED',
    );
  });

  it('milliseconds reported as seconds fail (exit 1) with a unit hint', async () => {
    const { code, rep } = await verify('ms_as_s');
    assert.equal(code, 1);
    const m = metric(rep, 'http_server_request_duration');
    assert.equal(m.status, 'DIFFERENT');
    const mean = m.series.find((s) => s.id === 'total' && s.statistic === 'mean');
    assert.ok(mean !== undefined && mean.ratio > 500 && mean.ratio < 2000, `ratio ${mean?.ratio}`);
    assert.ok(
      m.hints.some((h) => h.includes('milliseconds recorded where seconds')),
      m.hints.join('; '),
    );
    assert.equal(metric(rep, 'http_server_requests').status, 'EQUIVALENT');
  });

  it('20% of counts lost fails (exit 1) and names the metric', async () => {
    const { code, rep } = await verify('lost20');
    assert.equal(code, 1);
    const m = metric(rep, 'http_server_requests');
    assert.equal(m.status, 'DIFFERENT');
    const total = m.series.find((s) => s.id === 'total');
    assert.ok(total !== undefined && total.ratio > 0.7 && total.ratio < 0.9, `ratio ${total?.ratio}`);
    assert.equal(total?.direction, 'LOW');
    assert.ok(
      rep.reasons.some((r) => r.includes('http.server.requests')),
      rep.reasons.join('; '),
    );
  });

  it('text report names the failure; usage and input errors exit 78', async () => {
    const text = await runVerify(['--baseline', file('baseline'), '--candidate', file('lost20'), '--no-color']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /FAIL/);
    assert.match(text.stdout, /http\.server\.requests/);
    assert.ok(!text.stdout.includes(String.fromCharCode(27)), 'no ANSI escapes when stdout is not a TTY');
    assert.equal((await runVerify(['--baseline', file('baseline')])).code, 78);
    assert.equal(
      (await runVerify(['--baseline', file('baseline'), '--candidate', join(dir.path, 'nope.jsonl')])).code,
      78,
    );
    assert.equal((await runVerify(['--bogus'])).code, 78);
    assert.equal(
      (await runVerify(['--baseline', file('baseline'), '--candidate', file('faithful'), '--tolerance', 'x'])).code,
      78,
    );
  });
});

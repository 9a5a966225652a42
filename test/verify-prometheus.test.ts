// `switchyard verify --prometheus`: Debian's prometheus scrapes a real `switchyard collector` prometheus exporter fed
// by hot-shots (StatsD -> our statsd receiver) for three versions of one workload at once: 1.4.2 (baseline), 1.5.0
// (the same) and 1.5.1 (drops 20% of its requests). The verifier reads /api/v1/series and /api/v1/query_range and
// splits by the `version` label.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import StatsD from 'hot-shots';
import { prng } from '../src/pdata/gen.js';
import type { VerifyReport } from '../src/verify/index.js';
import { freePort, type InProcessCollector, poll, startCollector, tempDir } from './helpers.js';
import { type Daemon, startPrometheus } from './peers.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const WORKLOAD_MS = 13_000;
const RATE_PER_S = 300;

function verify(args: readonly string[]): Promise<{ code: number; rep?: VerifyReport; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, 'verify', ...args, '--format', 'json'],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        let rep: VerifyReport | undefined;
        try {
          rep = JSON.parse(stdout) as VerifyReport;
        } catch {
          rep = undefined;
        }
        resolve({ code, ...(rep !== undefined ? { rep } : {}), stderr });
      },
    );
  });
}

describe('verify: Prometheus query API input (Debian prometheus scraping switchyard)', () => {
  const dir = tempDir('switchyard-verify-prom-');
  let collector: InProcessCollector | undefined;
  let prom: Daemon | undefined;
  let url = '';
  let start = 0;
  let end = 0;

  before(async () => {
    const statsdPort = await freePort();
    const exporterPort = await freePort();
    const promPort = await freePort();
    collector = await startCollector(`receivers:
  statsd:
    endpoint: 127.0.0.1:${statsdPort}
    aggregation_interval: 250ms
    is_monotonic_counter: true
exporters:
  prometheus: { endpoint: 127.0.0.1:${exporterPort} }
service:
  pipelines:
    metrics: { receivers: [statsd], exporters: [prometheus] }
`);
    prom = await startPrometheus(
      dir.path,
      promPort,
      [`--storage.tsdb.path=${join(dir.path, 'data')}`],
      `global: {scrape_interval: 500ms, evaluation_interval: 1s}
scrape_configs:
  - job_name: shop
    scrape_timeout: 400ms
    static_configs: [{targets: ['127.0.0.1:${exporterPort}']}]
`,
    );
    url = `http://127.0.0.1:${promPort}`;
    // Prometheus hands new targets to its scrapers in batches (every 5 s): start once the target is scraped.
    await poll('the first scrape', async () => {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('up{job="shop"}')}`);
      const body = (await r.json()) as { data: { result: unknown[] } };
      return body.data.result.length > 0 ? true : undefined;
    });
    const statsd = new StatsD({ host: '127.0.0.1', port: statsdPort, maxBufferSize: 1200, bufferFlushInterval: 5 });
    const rnd = prng(7);
    start = Date.now() / 1000;
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
          const route = rnd() < 0.6 ? '/checkout' : '/cart';
          const keep = rnd() >= 0.2;
          for (const version of ['1.4.2', '1.5.0', '1.5.1']) {
            if (version === '1.5.1' && !keep) continue;
            statsd.increment('http.server.requests', 1, { route, version });
          }
          for (const version of ['1.4.2', '1.5.0', '1.5.1']) {
            statsd.gauge('queue.depth', Math.round(100 + 20 * Math.sin(elapsed / 1000) + 4 * rnd()), { version });
          }
        }
      }, 5);
    });
    await new Promise<void>((resolve) => statsd.close(() => resolve()));
    end = Date.now() / 1000;
    // Wait until Prometheus has stored a sample after the workload ended.
    await poll('a scrape after the workload', async () => {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('timestamp(up{job="shop"})')}`);
      const body = (await r.json()) as { data: { result: { value: [number, string] }[] } };
      const ts = Number(body.data.result[0]?.value[1] ?? 0);
      return ts > end + 0.6 ? true : undefined;
    });
  });
  after(async () => {
    try {
      await prom?.stop();
    } finally {
      await collector?.stop();
      dir.remove();
    }
  });

  const args = (candidate: string): string[] => [
    '--prometheus',
    url,
    '--match',
    '{job="shop"}',
    '--split-by',
    'version',
    '--baseline',
    '1.4.2',
    '--candidate',
    candidate,
    '--start',
    String(Math.floor(start)),
    '--end',
    String(Math.ceil(end)),
    '--step',
    '500ms',
  ];

  it('the same workload under another version passes (exit 0)', async () => {
    const r = await verify(args('1.5.0'));
    const m = r.rep?.metrics?.metrics.find((x) => x.canon === 'http_server_requests');
    assert.equal(
      r.code,
      0,
      `${r.stderr} ${JSON.stringify(r.rep?.metrics?.window)} ${JSON.stringify(r.rep?.metrics?.step)} ${start} ${end} ${r.rep?.reasons.join('; ')} ${JSON.stringify(m?.series.find((s) => s.id === 'total'))}`,
    );
    assert.equal(m?.status, 'EQUIVALENT');
    assert.equal(r.rep?.metrics?.design, 'paired');
    assert.deepEqual(m?.names.baseline, ['http_server_requests_total']);
  });

  it('20% of requests lost fails (exit 1) and names the counter', async () => {
    const r = await verify(args('1.5.1'));
    assert.equal(r.code, 1, r.stderr);
    const m = r.rep?.metrics?.metrics.find((x) => x.canon === 'http_server_requests');
    assert.equal(m?.status, 'DIFFERENT');
    const total = m?.series.find((s) => s.id === 'total');
    assert.ok(total !== undefined && total.ratio > 0.7 && total.ratio < 0.9, `ratio ${total?.ratio}`);
    assert.equal(r.rep?.metrics?.metrics.find((x) => x.canon === 'queue_depth')?.status, 'EQUIVALENT');
  });

  it('a version no series carries is an input error (exit 78) listing the versions seen', async () => {
    const r = await verify(args('9.9.9'));
    assert.equal(r.code, 78);
    assert.match(r.stderr, /version="9\.9\.9".*1\.4\.2, 1\.5\.0, 1\.5\.1/);
  });
});

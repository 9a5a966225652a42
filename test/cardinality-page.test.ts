// The status page and the cardinality explorer as an on-call engineer meets them: a real collector
// receives OTLP metrics with a high-cardinality `user_id`, and headless Chromium reads the pages.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import type { CardinalityReport, MetricReport, Suggestion } from '../src/cardinality/report.js';
import { encode, gauge, request, sum, userPoints } from '../src/cardinality/testing.js';
import type { ExportMetricsServiceRequest } from '../src/pdata/model.js';
import {
  freePort,
  type InProcessCollectorWithPages,
  readLines,
  startCollectorWithPages,
  tempDir,
  waitFor,
} from './helpers.js';
import { launchBrowser } from './peers.js';

const USERS = 120;
const EVIL = '<script>alert("x")</script>';

describe('status page and cardinality explorer', () => {
  const dir = tempDir('switchyard-cardinality-');
  let collector: InProcessCollectorWithPages;
  let otlpPort: number;
  let browser: Browser;

  async function post(req: ExportMetricsServiceRequest): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: encode(req),
    });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
  }

  before(async () => {
    otlpPort = await freePort();
    // Two pipelines share the receiver: its output is counted once, not once per pipeline.
    collector = await startCollectorWithPages(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${otlpPort} }
exporters:
  file/a: { path: ${join(dir.path, 'a.jsonl')} }
  file/b: { path: ${join(dir.path, 'b.jsonl')} }
service:
  pipelines:
    metrics: { receivers: [otlp], exporters: [file/a] }
    metrics/copy: { receivers: [otlp], exporters: [file/b] }
`);
    await post(request([gauge('http.server.duration', userPoints(0, USERS))]));
    await post(request([sum('queue.depth', [{ queue: 'a' }, { queue: 'b' }, { queue: 'c' }])]));
    await post(request([gauge(EVIL, [{ [EVIL]: EVIL }])], { 'service.name': 'checkout', 'db.password': 'hunter2' }));
    await waitFor('both exporters wrote', () =>
      readLines(join(dir.path, 'a.jsonl')).length === 3 && readLines(join(dir.path, 'b.jsonl')).length === 3
        ? true
        : undefined,
    );
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await collector?.stop();
    dir.remove();
  });

  describe('JSON', () => {
    it('/api/cardinality ranks metrics, counts each receiver output once and suggests dropping user_id', async () => {
      const res = await fetch(`${collector.statusUrl}/api/cardinality`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const r = (await res.json()) as CardinalityReport;
      assert.deepEqual(
        r.metrics.map((m) => [m.name, m.type, m.activeSeries, m.exact]),
        [
          ['http.server.duration', 'gauge', USERS, true],
          ['queue.depth', 'sum', 3, true],
          [EVIL, 'gauge', 1, true],
        ],
      );
      assert.equal(r.totals.points, USERS + 3 + 1, 'two pipelines, one count');
      assert.equal(r.totals.batches, 3);
      // 120 values is past a per-key sketch's exact range (32): an estimate within 3 standard errors.
      const top = r.topKeys[0];
      assert.deepEqual(
        [top?.metric, top?.type, top?.key, top?.scope, top?.exact],
        ['http.server.duration', 'gauge', 'user_id', 'point', false],
      );
      assert.ok(Math.abs((top?.distinctValues ?? 0) - USERS) <= USERS * 3 * 0.065, `${top?.distinctValues}`);
      assert.equal(r.suggestions.length, 1);
      const s = r.suggestions[0] as Suggestion;
      assert.equal(s.text, `drop \`user_id\` on \`http.server.duration\`: ${USERS} -> 4 series`);
      assert.equal(
        s.yaml,
        'processors:\n  views:\n    views:\n      - selector: {instrument_name: http.server.duration}\n        stream: {attribute_keys: {excluded: [user_id]}}\n',
      );
      // The newest minute, or the one before it when the request crossed a minute boundary.
      const history = r.metrics[0]?.history ?? [];
      assert.equal(Math.max(...history.slice(-2)), USERS, JSON.stringify(history));
      assert.doesNotMatch(JSON.stringify(r), /hunter2/);
    });

    it('?metric= gives one metric with its keys; ?limit= cuts the lists; unknown metrics are 404', async () => {
      const one = (await (
        await fetch(`${collector.statusUrl}/api/cardinality?metric=${encodeURIComponent('http.server.duration')}`)
      ).json()) as { metric: MetricReport; suggestion: Suggestion | null };
      assert.equal(one.metric.name, 'http.server.duration');
      const near = (v: number | null | undefined): boolean => Math.abs((v ?? 0) - USERS) <= USERS * 3 * 0.065;
      const keys = one.metric.keys ?? [];
      assert.deepEqual(
        keys.map((k) => [k.key, k.scope]),
        [
          ['user_id', 'point'],
          ['http.request.method', 'point'],
          ['service.name', 'resource'],
        ],
      );
      assert.ok(near(keys[0]?.distinctValues) && keys[0]?.seriesWithoutKey === 4, JSON.stringify(keys[0]));
      assert.ok(keys[1]?.distinctValues === 4 && near(keys[1]?.seriesWithoutKey), JSON.stringify(keys[1]));
      assert.deepEqual([keys[2]?.distinctValues, keys[2]?.seriesWithoutKey], [1, null]);
      assert.equal(one.suggestion?.key, 'user_id');
      const limited = (await (
        await fetch(`${collector.statusUrl}/api/cardinality?limit=1`)
      ).json()) as CardinalityReport;
      assert.equal(limited.metrics.length, 1);
      assert.equal(limited.totals.metrics, 3);
      const missing = await fetch(`${collector.statusUrl}/api/cardinality?metric=nope`);
      assert.equal(missing.status, 404);
      await missing.arrayBuffer();
      const post = await fetch(`${collector.statusUrl}/api/cardinality`, { method: 'POST', body: 'x' });
      assert.equal(post.status, 405);
      await post.arrayBuffer();
    });

    it('secret-looking resource attributes never show their values; names are escaped in HTML', async () => {
      const detail = await fetch(`${collector.statusUrl}/cardinality?metric=${encodeURIComponent(EVIL)}`);
      const html = await detail.text();
      assert.equal(detail.status, 200);
      assert.doesNotMatch(html, /<script>/);
      assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
      assert.doesNotMatch(html, /hunter2/);
      assert.match(html, /db\.password/);
      assert.match(html, /\[REDACTED\]/);
      assert.match(detail.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    });
  });

  describe('in Chromium', () => {
    it('/ shows the pipelines and components and links to the explorer', async () => {
      const page = await browser.newPage({ javaScriptEnabled: false });
      try {
        const res = await page.goto(`${collector.statusUrl}/`);
        assert.equal(res?.status(), 200);
        assert.equal(await page.locator('h1').textContent(), 'Switchyard collector');
        const rows = page.locator('table').nth(0).locator('tbody tr');
        assert.equal(await rows.count(), 2);
        assert.match((await rows.nth(0).textContent()) ?? '', /metrics\s*otlp\s*none\s*file\/a/);
        const receiver = page.locator('tr', { hasText: 'receiver' }).filter({ hasText: 'otlp' });
        assert.match((await receiver.textContent()) ?? '', /ok/);
        // 120 + 3 + 1 points accepted by the receiver.
        assert.match((await receiver.textContent()) ?? '', /124/);
        await page.getByRole('link', { name: 'Cardinality explorer' }).click();
        await page.waitForURL(/\/cardinality$/);
        assert.equal(await page.locator('h1').textContent(), 'Cardinality explorer');
      } finally {
        await page.close();
      }
    });

    it('/cardinality puts the worst metric on top, suggests dropping user_id with the YAML, and links to the detail', async () => {
      const page = await browser.newPage({ javaScriptEnabled: false });
      const foreign: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(collector.statusUrl)) foreign.push(r.url());
      });
      try {
        await page.goto(`${collector.statusUrl}/cardinality`);
        const topRow = page.locator('#metrics + table tbody tr').first();
        assert.match((await topRow.locator('td').nth(0).textContent()) ?? '', /^http\.server\.duration$/);
        assert.equal((await topRow.locator('td').nth(2).textContent())?.trim(), String(USERS));
        assert.equal(await topRow.locator('svg.spark').count(), 1, 'growth sparkline');
        const suggestion = page.locator('.suggestion').first();
        const text = (await suggestion.locator('p').textContent()) ?? '';
        assert.match(text, /Drop user_id on http\.server\.duration: 120 → 4 series/);
        assert.equal(
          await suggestion.locator('pre').textContent(),
          'processors:\n  views:\n    views:\n      - selector: {instrument_name: http.server.duration}\n        stream: {attribute_keys: {excluded: [user_id]}}\n',
        );
        const keyRow = page.locator('#keys + table tbody tr').first();
        // 120 distinct values is past the per-key sketch's exact range: an estimate, marked with ~.
        const keyText = (await keyRow.textContent()) ?? '';
        const shown = /user_id\s*http\.server\.duration\s*point\s*~(\d+)/.exec(keyText);
        assert.ok(shown !== null, keyText);
        assert.ok(Math.abs(Number(shown[1]) - USERS) <= USERS * 3 * 0.065, `estimate ${shown[1]}`);
        // The escaped metric is shown as text, not run.
        assert.equal((await page.getByText(EVIL, { exact: true }).count()) >= 1, true);

        await topRow.getByRole('link').click();
        await page.waitForURL(/metric=http\.server\.duration/);
        assert.equal(
          (await page.locator('h1').textContent())?.replace(/\s+/g, ' ').trim(),
          'http.server.duration gauge',
        );
        const userRow = page.locator('tr', { hasText: 'user_id' });
        const cells = await userRow.locator('td').allTextContents();
        assert.deepEqual([cells[0], cells[1], cells[2]?.startsWith('~'), cells[3]], ['user_id', 'point', true, '4']);
        assert.match(cells[4] ?? '', /u0/);
        assert.equal(await page.locator('.suggestion pre').count(), 1);
        await page.getByRole('link', { name: '← all metrics' }).click();
        await page.waitForURL(/\/cardinality$/);
        assert.deepEqual(foreign, [], 'no external assets');
      } finally {
        await page.close();
      }
    });
  });
});

describe('the switchyard binary', () => {
  it('serves /, /cardinality and /api/cardinality on the own-metrics address, fed by its receivers', async () => {
    const dir = tempDir('switchyard-cardinality-bin-');
    const [otlpPort, statusPort] = [await freePort(), await freePort()];
    const cfg = join(dir.path, 'config.yaml');
    writeFileSync(
      cfg,
      `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${otlpPort} }
exporters:
  file: { path: ${join(dir.path, 'out.jsonl')} }
service:
  pipelines:
    metrics: { receivers: [otlp], exporters: [file] }
  telemetry:
    metrics: { address: 127.0.0.1:${statusPort} }
    cardinality: { max_metrics: 10, window: 5m }
`,
    );
    const bin = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'collector', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor('collector ready', () => (/everything is ready/.test(stderr) ? true : undefined), 15_000);
      const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/metrics`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf' },
        body: encode(request([gauge('http.server.duration', userPoints(0, 200))])),
      });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const api = (await (await fetch(`http://127.0.0.1:${statusPort}/api/cardinality`)).json()) as CardinalityReport;
      assert.equal(api.windowMinutes, 5);
      assert.equal(api.totals.maxMetrics, 10);
      assert.equal(api.metrics[0]?.name, 'http.server.duration');
      assert.equal(api.suggestions[0]?.key, 'user_id');
      assert.equal(api.suggestions[0]?.seriesAfter, 4);
      const index = await (await fetch(`http://127.0.0.1:${statusPort}/`)).text();
      assert.match(index, /href="\/cardinality"/);
      assert.match(index, /<code>otlp<\/code>/);
      const metrics = await (await fetch(`http://127.0.0.1:${statusPort}/metrics`)).text();
      assert.match(metrics, /otelcol_receiver_accepted_metric_points_total\{[^}]*receiver="otlp"[^}]*\} 200/);
    } finally {
      child.kill('SIGTERM');
      await exited;
      dir.remove();
    }
  });
});

// The allocator's page as an operator meets it in headless Chromium: targets per collector, the SVG
// balance chart, and the recent moves after a collector went missing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { parseAllocatorConfig } from '../src/allocator/config.js';
import { type RunningAllocator, startAllocator } from '../src/allocator/service.js';
import { queryEscape } from '../src/prometheus/queryescape.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { getJson } from './allocator-support.js';
import { freePort, poll, tempDir } from './helpers.js';
import { launchBrowser } from './peers.js';

const EVIL = 'job<img src=x onerror=alert(1)>';

describe('allocator page', { timeout: 60_000 }, () => {
  const dir = tempDir('switchyard-allocator-page-');
  let allocator: RunningAllocator;
  let browser: Browser;
  let base = '';
  let polling = true;
  let poller: Promise<void> = Promise.resolve();

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const targets = Array.from({ length: 40 }, (_, i) => `'10.2.0.${i}:9100'`).join(', ');
    const cfg = parseAllocatorConfig(
      `collectors:
  static: [alpha, beta, gamma]
  grace_period: 400ms
debounce: 10ms
config:
  scrape_configs:
    - job_name: "${EVIL}"
      static_configs: [{targets: [${targets}]}]
`,
      join(dir.path, 'a.yaml'),
      { listenAddress: `127.0.0.1:${port}` },
    );
    allocator = await startAllocator(cfg, silentLogger());
    // alpha and beta poll; gamma never does, so it goes missing after the grace period.
    poller = (async () => {
      while (polling) {
        for (const id of ['alpha', 'beta'])
          await fetch(`${base}/jobs/${queryEscape(EVIL)}/targets?collector_id=${id}`).then((r) => r.arrayBuffer());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await poll(
      'gamma missing and its targets moved',
      async () => {
        const c = (await getJson(`${base}/collectors`)) as { id: string; alive: boolean; targets: number }[];
        return c.find((x) => x.id === 'gamma')?.alive === false && c.find((x) => x.id === 'gamma')?.targets === 0
          ? true
          : undefined;
      },
      10_000,
    );
    browser = await launchBrowser();
  });

  after(async () => {
    polling = false;
    await poller;
    await browser?.close();
    await allocator?.stop();
    dir.remove();
  });

  it('shows targets per collector, a balance chart and the recent moves', async () => {
    const collectors = (await getJson(`${base}/collectors`)) as { id: string; targets: number; alive: boolean }[];
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    const res = await page.goto(`${base}/`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
    assert.equal(await page.title(), 'Switchyard target allocator');

    // The table: one row per collector, with the counts the JSON API gives.
    const rows = await page.$$eval('#collectors tbody tr', (trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-collector'),
        state: tr.children[1]?.textContent?.trim(),
        targets: Number(tr.querySelector('td.targets')?.textContent?.replace(/,/g, '')),
      })),
    );
    assert.deepEqual(
      rows,
      collectors.map((c) => ({ id: c.id, state: c.alive ? 'alive' : 'missing', targets: c.targets })),
    );
    assert.equal(
      rows.reduce((n, r) => n + r.targets, 0),
      40,
    );

    // The chart: one bar per collector, widths in proportion to the counts, the missing one marked.
    const bars = await page.$$eval('svg.balance g.row', (gs) =>
      gs.map((g) => ({
        id: g.getAttribute('data-collector'),
        width: Number(g.querySelector('rect')?.getAttribute('width')),
        missing: g.querySelector('rect')?.getAttribute('class') === 'missing',
      })),
    );
    assert.deepEqual(
      bars.map((b) => [b.id, b.missing]),
      [
        ['alpha', false],
        ['beta', false],
        ['gamma', true],
      ],
    );
    const alpha = collectors.find((c) => c.id === 'alpha')?.targets ?? 0;
    const beta = collectors.find((c) => c.id === 'beta')?.targets ?? 0;
    const wa = bars[0]?.width ?? 0;
    const wb = bars[1]?.width ?? 0;
    assert.ok(
      Math.abs(wa / Math.max(wb, 1) - alpha / Math.max(beta, 1)) < 0.05,
      `bar widths ${wa}/${wb} vs ${alpha}/${beta}`,
    );
    assert.equal(bars[2]?.width, 0);
    assert.match((await page.textContent('#balance')) ?? '', /^\d\.\d\d$/);

    // The moves: gamma's targets went to alpha or beta.
    const moves = await page.$$eval('#moves tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')),
    );
    assert.ok(moves.length > 0, 'moves listed');
    for (const m of moves) {
      assert.equal(m[1], EVIL, 'the job name is shown as text');
      assert.equal(m[3], 'gamma');
      assert.ok(m[4] === 'alpha' || m[4] === 'beta', `moved to ${m[4]}`);
    }
    assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0, 'nothing from the job name became markup');
    assert.deepEqual(errors, []);
    await page.close();
  });
});

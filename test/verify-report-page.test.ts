// The HTML report in headless Chromium: self-contained (no request leaves the file), readable without scripts,
// the verdict, the failing metric, its attribute finding and the SVG charts visible; names are escaped.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { prng } from '../src/pdata/gen.js';
import type { KeyValue, Metric, ResourceMetrics } from '../src/pdata/model.js';
import { renderHtml } from '../src/verify/html.js';
import { defaultRules, runVerify } from '../src/verify/index.js';
import { emptySet } from '../src/verify/input.js';
import { renderText } from '../src/verify/report.js';
import { tempDir } from './helpers.js';
import { launchBrowser } from './peers.js';

const EVIL = '<img src=x onerror=alert(1)>.latency';

function side(seed: number, opts: { scale: number; dropRoute: boolean }): ResourceMetrics {
  const rnd = prng(seed);
  const t0 = 1_760_000_000;
  const metrics: Metric[] = [];
  for (const name of ['api.latency', EVIL]) {
    const pts = [];
    for (let i = 0; i < 40; i++) {
      for (const route of ['/a', '/b']) {
        const attributes: KeyValue[] = opts.dropRoute ? [] : [{ key: 'route', value: route }];
        pts.push({
          attributes,
          startTimeUnixNano: 0n,
          timeUnixNano: BigInt(t0 + i * 10) * 1_000_000_000n,
          value: (50 + 10 * rnd()) * opts.scale,
          exemplars: [],
          flags: 0,
        });
      }
    }
    metrics.push({ name, description: '', unit: 'ms', metadata: [], data: { type: 'gauge', dataPoints: pts } });
  }
  return {
    resource: { attributes: [], droppedAttributesCount: 0 },
    schemaUrl: '',
    scopeMetrics: [
      { scope: { name: 'app', version: '', attributes: [], droppedAttributesCount: 0 }, metrics, schemaUrl: '' },
    ],
  };
}

describe('verify: HTML report in headless Chromium', () => {
  const dir = tempDir('switchyard-verify-html-');
  let browser: Browser;
  let file: string;
  let text: string;
  before(async () => {
    const baseline = emptySet();
    const candidate = emptySet();
    baseline.metrics.push(side(1, { scale: 1, dropRoute: false }));
    candidate.metrics.push(side(2, { scale: 1000, dropRoute: true }));
    const rep = await runVerify({ source: { kind: 'sets', baseline, candidate }, rules: defaultRules(), step: 10 });
    file = join(dir.path, 'report.html');
    writeFileSync(file, renderHtml(rep));
    text = renderText(rep, { color: false });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    dir.remove();
  });

  it('shows the verdict, the failing metric, the attribute and the charts, with no requests and no scripts', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file:')),
      [],
      'no external requests',
    );
    assert.equal(await page.locator('script').count(), 0);
    assert.equal(await page.locator('img').count(), 0, 'the metric name was escaped, not parsed as an <img>');
    assert.deepEqual(dialogs, []);
    const verdict = page.locator('.verdict');
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a person reads
    assert.equal(await verdict.innerText(), 'FAIL');
    assert.ok(await verdict.isVisible());
    const card = page.locator('.metric', { hasText: 'api.latency' }).first();
    assert.ok(await card.isVisible());
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a person reads
    const cardText = await card.innerText();
    assert.match(cardText, /DIFFERENT/);
    assert.match(cardText, /route/);
    assert.match(cardText, /MISSING/);
    assert.match(cardText, /milliseconds recorded where seconds|×1000/);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text a person reads
    assert.match(await page.locator('body').innerText(), /<img src=x onerror=alert\(1\)>\.latency/);
    const svg = card.locator('svg').first();
    assert.ok(await svg.isVisible());
    const box = await svg.boundingBox();
    assert.ok(box !== null && box.width > 100 && box.height > 30, `svg box ${JSON.stringify(box)}`);
    assert.ok((await card.locator('svg rect').count()) >= 2, 'box plots drawn for both sides');
    await page.close();
  });

  it('the text report names the same failure', () => {
    assert.match(text, /FAIL/);
    assert.match(text, /api\.latency/);
    assert.match(text, /MISSING.*route/);
  });
});

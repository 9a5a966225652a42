// The trace section of the verify report in headless Chromium: the fragment from renderTracesHtml is placed in a
// minimal page with page.setContent; the shape-diff tree nodes must be visible, coloured by status, and every name
// must arrive as text (JavaScript is enabled so that an injected handler would run if escaping failed).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { compareTraces, renderTracesHtml } from '../src/verify/traces/index.js';
import { buildTraces, checkoutTraces, type SpanSpec } from '../src/verify/traces/testing.js';
import { launchBrowser } from './peers.js';

const page = (fragment: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>verify</title></head><body>${fragment}</body></html>`;

describe('verify traces HTML fragment in headless Chromium', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('draws the shape-diff tree of split traces: both sides, baseline-only subtree and the split-off root', async () => {
    const c = compareTraces(
      checkoutTraces({ traces: 120, seed: 1 }),
      checkoutTraces({ traces: 120, seed: 2, split: true }),
    );
    const p = await browser.newPage();
    const requests: string[] = [];
    p.on('request', (r) => requests.push(r.url()));
    try {
      await p.setContent(page(renderTracesHtml(c)));
      assert.equal(await p.locator('section.verify-traces h2').textContent(), 'Trace structure: FAIL');
      assert.equal(await p.locator('svg.vt-tree').count(), c.roots.length);
      const frontend = p.locator('svg.vt-tree[aria-label="shape diff tree of frontend SERVER GET /checkout/{id}"]');
      assert.equal(await frontend.count(), 1);
      // Every node of the first tree is drawn with a non-empty box.
      const nodes = frontend.locator('g.vt-node');
      const n = await nodes.count();
      assert.ok(n >= 6, `nodes drawn: ${n}`);
      for (let i = 0; i < n; i++) {
        const box = await nodes.nth(i).locator('rect').boundingBox();
        assert.ok(box !== null && box.width > 50 && box.height > 10, `node ${i} is visible`);
      }
      const gone = frontend.locator('g.vt-node[data-status="baseline"][data-split="true"]');
      assert.ok((await gone.count()) >= 2, 'the backend subtree is drawn as baseline-only, split off');
      assert.match(
        (await gone.first().locator('text').first().textContent()) ?? '',
        /^backend SERVER GET \/inventory\/\{id\}/,
      );
      assert.equal(await gone.first().locator('rect').getAttribute('fill'), '#ffebe9');
      const both = frontend.locator('g.vt-node[data-status="both"]').first();
      assert.match((await both.locator('text').first().textContent()) ?? '', /^frontend SERVER GET \/checkout\/\{id\}/);
      // The root of the lower half is a tree of its own, candidate-only.
      const lower = p.locator('svg.vt-tree').filter({ has: p.locator('g.vt-node[data-status="candidate"]') });
      assert.ok((await lower.count()) >= 1);
      assert.ok(await p.getByText('TRACES_SPLIT').first().isVisible());
      assert.deepEqual(requests, [], 'the fragment loads nothing');
    } finally {
      await p.close();
    }
  });

  it('marks a kind change and the service edge it broke', async () => {
    const c = compareTraces(
      checkoutTraces({ traces: 60, seed: 1 }),
      checkoutTraces({ traces: 60, seed: 2, clientAsInternal: true }),
    );
    const p = await browser.newPage();
    try {
      await p.setContent(page(renderTracesHtml(c)));
      const kind = p.locator('g.vt-node[data-status="kind"]');
      assert.equal(await kind.count(), 1);
      assert.equal(
        await kind.locator('text').first().textContent(),
        'frontend CLIENT GET /inventory/{id} → frontend INTERNAL GET /inventory/{id}',
      );
      assert.ok(await kind.locator('rect').isVisible());
      const edge = p.locator('g.vt-node[data-boundary="true"]');
      assert.equal(await edge.count(), 1);
      assert.match(
        (await edge.locator('text').first().textContent()) ?? '',
        /^backend SERVER GET \/inventory\/\{id\} ⚠/,
      );
      assert.equal(await edge.locator('rect').getAttribute('stroke'), '#cf222e');
    } finally {
      await p.close();
    }
  });

  it('shows hostile span and service names as text', async () => {
    const evil = '<img src=x onerror="window.__pwned=true">';
    const spec = (name: string): SpanSpec => ({
      service: '<b>svc</b>',
      name,
      kind: 2,
      children: [{ service: '<b>svc</b>', name: evil }],
    });
    const c = compareTraces(
      buildTraces([spec('GET /a')]),
      buildTraces([spec('GET /a'), spec('</svg><script>window.__pwned=true</script>')]),
    );
    const p = await browser.newPage();
    try {
      await p.setContent(page(renderTracesHtml(c)));
      assert.equal(await p.evaluate(() => (globalThis as { __pwned?: boolean }).__pwned), undefined);
      assert.equal(
        await p.locator('section.verify-traces img, section.verify-traces script, section.verify-traces b').count(),
        0,
      );
      const label = p.locator('g.vt-node text', { hasText: 'onerror' }).first();
      assert.ok(await label.isVisible());
      assert.match((await label.textContent()) ?? '', /^<b>svc<\/b> INTERNAL <img src=x onerror=/);
      assert.ok(await p.getByText('</svg><script>', { exact: false }).first().isVisible());
    } finally {
      await p.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hash32 } from '../metrics/attrs.js';
import { DistinctSketch, EXACT_LIMIT, standardError } from './sketch.js';

const h = (i: number): number => hash32(`item-${i}`);

describe('DistinctSketch', () => {
  it('counts exactly up to EXACT_LIMIT, duplicates included', () => {
    const s = new DistinctSketch();
    for (let round = 0; round < 3; round++) for (let i = 0; i < EXACT_LIMIT; i++) s.add(h(i));
    assert.equal(s.estimate(), EXACT_LIMIT);
    assert.equal(s.exact, true);
    s.add(h(EXACT_LIMIT));
    assert.equal(s.exact, false, 'one more switches to registers');
    assert.ok(Math.abs(s.estimate() - (EXACT_LIMIT + 1)) <= 5, `small-range estimate ${s.estimate()}`);
  });

  it('never takes more memory in its exact form than its registers would: 2^p bytes', () => {
    for (const p of [8, 10]) {
      const s = new DistinctSketch(p);
      let peak = 0;
      for (let i = 0; i < 2_000; i++) {
        s.add(h(i));
        peak = Math.max(peak, s.bytes());
      }
      assert.equal(peak, 2 ** p, `precision ${p}`);
      assert.equal(s.exactLimit, Math.min(EXACT_LIMIT, 2 ** p / 8));
    }
  });

  it('estimates large counts within 3 standard errors, in bounded memory', () => {
    const bound = 3 * standardError();
    for (const n of [1_000, 50_000, 300_000]) {
      const s = new DistinctSketch();
      for (let i = 0; i < n; i++) s.add(h(i));
      const err = Math.abs(s.estimate() - n) / n;
      assert.ok(err < bound, `n=${n}: estimate ${s.estimate()} is ${(err * 100).toFixed(1)}% off`);
      assert.equal(s.bytes(), 1024);
    }
  });

  it('merges exact and register forms as a set union', () => {
    const a = new DistinctSketch();
    const b = new DistinctSketch();
    for (let i = 0; i < 60; i++) a.add(h(i));
    for (let i = 30; i < 90; i++) b.add(h(i));
    const u = a.clone();
    u.mergeFrom(b);
    assert.equal(u.estimate(), 90, 'exact union');
    const big1 = new DistinctSketch();
    const big2 = new DistinctSketch();
    for (let i = 0; i < 40_000; i++) big1.add(h(i));
    for (let i = 20_000; i < 60_000; i++) big2.add(h(i));
    big1.mergeFrom(big2);
    big1.mergeFrom(a);
    const err = Math.abs(big1.estimate() - 60_000) / 60_000;
    assert.ok(err < 3 * standardError(), `union estimate ${big1.estimate()}`);
  });
});

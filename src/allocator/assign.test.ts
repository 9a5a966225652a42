import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Assignment, assign, fnv1a64, RENDEZVOUS_VERSION, type Strategy, type Target, xxh64 } from './assign.js';

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const targetsOf = (n: number): Target[] =>
  Array.from({ length: n }, (_, i) => ({ key: `10.0.${i >> 8}.${i & 255}:8080` }));

function ownerMap(a: Assignment): Map<string, string> {
  const m = new Map<string, string>();
  for (const [c, keys] of a.byCollector) for (const k of keys) m.set(k, c);
  return m;
}
function moved(a: Assignment, b: Assignment): number {
  const ob = ownerMap(b);
  let n = 0;
  for (const [k, c] of ownerMap(a)) if (ob.get(k) !== c) n++;
  return n;
}
function maxOverMean(a: Assignment): number {
  const sizes = [...a.byCollector.values()].map((l) => l.length);
  const mean = sizes.reduce((x, y) => x + y, 0) / sizes.length;
  return Math.max(...sizes) / mean;
}
function assertEachOnce(a: Assignment, targets: readonly Target[]): void {
  const all = [...[...a.byCollector.values()].flat(), ...a.unassigned].sort();
  assert.deepEqual(all, targets.map((t) => t.key).sort());
}
const shuffled = <T>(xs: readonly T[], seed: number): T[] => {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

const FC = { seed: 42, numRuns: 40 } as const;
const arbInput = fc.record({
  keys: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 0, maxLength: 150 }),
  n: fc.integer({ min: 1, max: 12 }),
  prefix: fc.constantFrom('otel-collector', 'c', 'ta-ß'),
  seed: fc.integer(),
});

describe('hashes', () => {
  it('XXH64 matches the reference test vectors', () => {
    assert.equal(xxh64(''), 0xef46db3751d8e999n);
    assert.equal(xxh64('a'), 0xd24ec4f1a98c6e5bn);
    assert.equal(xxh64('abc'), 0x44bc2cf5ad770999n);
    const long = 'Nobody inspects the spammish repetition, and more than 32 bytes';
    assert.equal(typeof xxh64(long), 'bigint');
  });
  it('FNV-1a 64 matches the reference test vectors', () => {
    const hex = (s: string): string => {
      const h = fnv1a64(s);
      return h.hi.toString(16).padStart(8, '0') + h.lo.toString(16).padStart(8, '0');
    };
    assert.equal(hex(''), 'cbf29ce484222325');
    assert.equal(hex('a'), 'af63dc4c8601ec8c');
    assert.equal(hex('foobar'), '85944171f73967e8');
  });
});

describe('weighted-rendezvous', () => {
  const rv = (t: readonly Target[], c: readonly string[]): Assignment => assign('weighted-rendezvous', t, c);

  it('pins version 1 and rejects others', () => {
    assert.equal(RENDEZVOUS_VERSION, 1);
    assert.throws(() => assign('weighted-rendezvous', [], ['a'], { version: 2 }), RangeError);
  });

  it('golden: v1 output is frozen (an upgrade must never reshuffle)', () => {
    const a = rv(targetsOf(12), ids('c', 3));
    assert.deepEqual(Object.fromEntries(a.byCollector), GOLDEN_V1);
  });

  it('10,000 targets over 50 collectors: max/mean <= 1.05, every target once', () => {
    const t = targetsOf(10_000);
    const a = rv(t, ids('otel-collector', 50));
    assertEachOnce(a, t);
    assert.ok(maxOverMean(a) <= 1.05, `max/mean ${maxOverMean(a)}`);
  });

  it('property: every target assigned exactly once, two calls agree, order independent', () => {
    fc.assert(
      fc.property(arbInput, ({ keys, n, prefix, seed }) => {
        const t = keys.map((key) => ({ key }));
        const c = ids(prefix, n);
        const a = rv(t, c);
        assertEachOnce(a, t);
        assert.equal(a.unassigned.length, 0);
        assert.deepEqual(rv(t, c), a);
        assert.deepEqual(rv(shuffled(t, seed), shuffled(c, seed ^ 7)), a);
        const cap = Math.ceil((t.length / n) * 1.05 - 1e-9);
        for (const l of a.byCollector.values()) assert.ok(l.length <= cap);
      }),
      FC,
    );
  });

  it('property: rolling restart (each pod leaves and comes back with the same id) ends with nothing moved', () => {
    fc.assert(
      fc.property(arbInput, ({ keys, n, prefix, seed }) => {
        const t = keys.map((key) => ({ key }));
        const c = ids(prefix, n);
        const start = rv(t, c);
        for (const id of shuffled(c, seed)) {
          const back = rv(
            shuffled(t, seed),
            shuffled(c, seed + 1).filter((x) => x !== id || n === 1),
          );
          assertEachOnce(back, t);
          assert.equal(moved(start, rv(t, shuffled(c, seed + 2))), 0);
        }
      }),
      { seed: 42, numRuns: 15 },
    );
  });

  it('10,000 targets: scale 10->11 and 11->10 move at most 1.1x the minimal fraction 1/N', () => {
    const t = targetsOf(10_000);
    const a10 = rv(t, ids('otel-collector', 10));
    const a11 = rv(t, ids('otel-collector', 11));
    assert.ok(moved(a10, a11) <= 1.1 * (t.length / 10), `add moved ${moved(a10, a11)}`);
    assert.equal(moved(a11, a10), moved(a10, a11));
    assert.ok(maxOverMean(a10) <= 1.05 && maxOverMean(a11) <= 1.05);
  });

  it('10,000 targets: scale 50->51 moves at most 1.2x of 1/N (cap-induced churn; 1.1x is NOT met for every naming)', () => {
    const t = targetsOf(10_000);
    const m = moved(rv(t, ids('otel-collector', 50)), rv(t, ids('otel-collector', 51)));
    assert.ok(m <= 1.2 * (t.length / 50), `moved ${m}`);
  });

  it('property: without a binding cap, removing/adding one collector moves exactly its targets (HRW minimum)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.nat(), fc.integer({ min: 50, max: 600 }), (n, drop, size) => {
        const t = targetsOf(size);
        const c = ids('col', n + 1);
        const removed = c[drop % (n + 1)] as string;
        const opts = { epsilon: 1e6 };
        const big = assign('weighted-rendezvous', t, c, opts);
        const small = assign(
          'weighted-rendezvous',
          t,
          c.filter((x) => x !== removed),
          opts,
        );
        assert.equal(moved(big, small), big.byCollector.get(removed)?.length ?? 0);
      }),
      { seed: 7, numRuns: 30 },
    );
  });

  it('property: with the default cap, one collector change moves at most 1.6x its targets + 3', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20 }), fc.nat(), fc.integer({ min: 400, max: 1500 }), (n, drop, size) => {
        const t = targetsOf(size);
        const c = ids('col', n + 1);
        const removed = c[drop % (n + 1)] as string;
        const big = rv(t, c);
        const small = rv(
          t,
          c.filter((x) => x !== removed),
        );
        // Minimal: everything the removed collector held must move, nothing else has to.
        const minimal = big.byCollector.get(removed)?.length ?? 0;
        const m = moved(big, small);
        assert.ok(m <= 1.6 * minimal + 3, `n=${n} size=${size} moved ${m} minimal ${minimal}`);
        assert.equal(moved(small, big), m);
      }),
      { seed: 7, numRuns: 25 },
    );
  });

  it('weights: load is measured in weight units and capped', () => {
    const t: Target[] = targetsOf(2000).map((x, i) => ({ key: x.key, weight: i % 10 === 0 ? 5 : 1 }));
    const a = assign('weighted-rendezvous', t, ids('w', 8), { epsilon: 0.05 });
    const w = new Map(t.map((x) => [x.key, x.weight ?? 1]));
    const total = t.reduce((s, x) => s + (x.weight ?? 1), 0);
    const cap = Math.ceil((total / 8) * 1.05);
    for (const l of a.byCollector.values()) assert.ok(l.reduce((s, k) => s + (w.get(k) ?? 0), 0) <= cap);
    assertEachOnce(a, t);
  });

  it('heavy targets that fit nowhere still get placed', () => {
    const t: Target[] = [{ key: 'huge', weight: 100 }, ...targetsOf(10)];
    const a = assign('weighted-rendezvous', t, ['a', 'b'], { epsilon: 0 });
    assertEachOnce(a, t);
    assert.equal(a.unassigned.length, 0);
  });

  it('no collectors: all unassigned; invalid input throws', () => {
    assert.deepEqual(rv(targetsOf(3), []).unassigned.length, 3);
    assert.throws(() => rv([{ key: 'a' }, { key: 'a' }], ['x']), RangeError);
    assert.throws(() => rv([{ key: 'a', weight: 0 }], ['x']), RangeError);
    assert.throws(() => rv([], ['x', 'x']), RangeError);
  });
});

describe('consistent-hashing (upstream parity)', () => {
  const ch = (t: readonly Target[], c: readonly string[]): Assignment => assign('consistent-hashing', t, c);

  it('10,000 x 50: each target once, loosely balanced (upstream allows +-50%)', () => {
    const t = targetsOf(10_000);
    const a = ch(t, ids('otel-collector', 50));
    assertEachOnce(a, t);
    assert.ok(maxOverMean(a) < 1.6, `max/mean ${maxOverMean(a)}`);
  });

  it('v0.10.0 ring ("<name><i>" keys) vs v1.0.0 ("<i>:<name>"): the upgrade reshuffles most targets', () => {
    const t = targetsOf(5000);
    const c = ids('otel-collector', 10);
    const v1 = ch(t, c);
    const v0 = assign('consistent-hashing', t, c, { ringVersion: 'v0.10.0' });
    assertEachOnce(v0, t);
    assert.ok(moved(v0, v1) > 0.5 * t.length, 'v0.10 -> v1.0 upgrade reshuffles (reference: ~96%)');
  });

  it('property: order independent, deterministic, each target once, restart moves nothing', () => {
    fc.assert(
      fc.property(arbInput, ({ keys, n, prefix, seed }) => {
        const t = keys.map((key) => ({ key }));
        const c = ids(prefix, n);
        const a = ch(t, c);
        assertEachOnce(a, t);
        assert.deepEqual(ch(shuffled(t, seed), shuffled(c, seed ^ 3)), a);
      }),
      { seed: 42, numRuns: 15 },
    );
  });
});

describe('least-weighted (upstream parity)', () => {
  const lw = (t: readonly Target[], c: readonly string[], previous?: Map<string, string[]>): Assignment =>
    assign('least-weighted', t, c, previous ? { previous } : {});

  it('fresh assignment is perfectly balanced (counts differ by at most 1)', () => {
    const a = lw(targetsOf(10_000), ids('otel-collector', 50));
    const sizes = [...a.byCollector.values()].map((l) => l.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  });

  it('keeps existing assignments and never rebalances on scale-out (#2477)', () => {
    const t = targetsOf(1000);
    const a10 = lw(t, ids('c', 10));
    const a11 = lw(t, ids('c', 11), a10.byCollector);
    assert.equal(moved(a10, a11), 0);
    assert.deepEqual(a11.byCollector.get('c-10'), []);
    // new targets go to the emptiest collector
    const more = [...t, ...Array.from({ length: 50 }, (_, i) => ({ key: `new-${i}` }))];
    const a11b = lw(more, ids('c', 11), a11.byCollector);
    assert.equal(a11b.byCollector.get('c-10')?.length, 50);
  });

  it('scale-in re-homes only the removed collector targets, to the least loaded', () => {
    const t = targetsOf(1000);
    const a10 = lw(t, ids('c', 10));
    const a9 = lw(t, ids('c', 9), a10.byCollector);
    assert.equal(moved(a10, a9), a10.byCollector.get('c-9')?.length);
    assertEachOnce(a9, t);
  });

  it('ties: fewest targets of the same job, then collector id', () => {
    const prev = new Map([
      ['a', ['x1']],
      ['b', ['y1']],
    ]);
    const t: Target[] = [
      { key: 'x1', job: 'x' },
      { key: 'y1', job: 'y' },
      { key: 'x2', job: 'x' },
    ];
    assert.deepEqual(lw(t, ['a', 'b'], prev).byCollector.get('b'), ['x2', 'y1']);
  });

  it('property: each target once, deterministic for the same input order', () => {
    fc.assert(
      fc.property(arbInput, ({ keys, n, prefix }) => {
        const t = keys.map((key) => ({ key }));
        const a = lw(t, ids(prefix, n));
        assertEachOnce(a, t);
        assert.deepEqual(lw(t, ids(prefix, n)), a);
      }),
      FC,
    );
  });
});

describe('per-node', () => {
  it('assigns by node and reports node-less or collector-less targets as unassigned', () => {
    const collectorNodes = new Map([
      ['col-a', 'node-a'],
      ['col-b', 'node-b'],
    ]);
    const t: Target[] = [
      { key: 't1', node: 'node-a' },
      { key: 't2', node: 'node-b' },
      { key: 't3', node: 'node-a' },
      { key: 't4', node: 'node-c' },
      { key: 'apiserver' },
    ];
    const a = assign('per-node', t, ['col-a', 'col-b'], { collectorNodes });
    assert.deepEqual(Object.fromEntries(a.byCollector), { 'col-a': ['t1', 't3'], 'col-b': ['t2'] });
    assert.deepEqual(a.unassigned, ['apiserver', 't4']);
  });

  it('property: each target exactly once (assigned or unassigned), order independent', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 80 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer(),
        (keys, n, seed) => {
          const t = keys.map((key, i) => (i % 7 === 0 ? { key } : { key, node: `n${i % 9}` }));
          const c = ids('col', n);
          const collectorNodes = new Map(c.map((id, i) => [id, `n${i}`]));
          const a = assign('per-node', t, c, { collectorNodes });
          assertEachOnce(a, t);
          assert.deepEqual(assign('per-node', shuffled(t, seed), shuffled(c, seed), { collectorNodes }), a);
        },
      ),
      FC,
    );
  });
});

it('every strategy returns every collector, even with no targets', () => {
  for (const s of ['weighted-rendezvous', 'consistent-hashing', 'least-weighted', 'per-node'] satisfies Strategy[]) {
    assert.deepEqual([...assign(s, [], ['b', 'a']).byCollector.keys()], ['a', 'b']);
  }
});

const GOLDEN_V1: Record<string, string[]> = {
  'c-0': ['10.0.0.11:8080', '10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080', '10.0.0.9:8080'],
  'c-1': ['10.0.0.6:8080', '10.0.0.7:8080', '10.0.0.8:8080'],
  'c-2': ['10.0.0.0:8080', '10.0.0.10:8080', '10.0.0.4:8080', '10.0.0.5:8080'],
};

// Unit tests of trace structure parity: operation normalization, tree repair, loop-tolerant shapes, the statistics'
// behaviour on noise and on real changes, and the renderings. Span data is built in pdata form (no peer exists for
// these internals); the end-to-end scenarios with real instrumentation are in verify-traces.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../src/pdata/gen.js';
import type { ResourceSpans } from '../src/pdata/model.js';
import { assemble, Catalog } from '../src/verify/traces/assemble.js';
import {
  compareTraces,
  normalizeOperation,
  type PathDiff,
  renderTracesHtml,
  renderTracesText,
} from '../src/verify/traces/index.js';
import { effectiveKind } from '../src/verify/traces/label.js';
import { chiSquareSf, gTest } from '../src/verify/traces/stats.js';
import { buildTraces, checkoutTraces, type SpanSpec } from '../src/verify/traces/testing.js';

const SERVER = 2;
const CLIENT = 3;

function paths(rs: ResourceSpans[]): { catalog: Catalog; texts: string[]; side: ReturnType<typeof assemble> } {
  const catalog = new Catalog();
  const side = assemble(rs, catalog);
  const texts = [...side.paths.keys()].map((p) => catalog.pathText(p)).sort();
  return { catalog, texts, side };
}

function findNode(tree: PathDiff, label: string): PathDiff | undefined {
  if (tree.label === label) return tree;
  for (const c of tree.children) {
    const hit = findNode(c, label);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

describe('operation normalization', () => {
  const cases: [string, string][] = [
    ['GET /users/123', 'GET /users/{id}'],
    ['GET /users/123/orders/9', 'GET /users/{id}/orders/{id}'],
    ['GET /orders/6f1c2a4e-9b3d-4c8e-a1f2-0123456789ab', 'GET /orders/{uuid}'],
    ['fetch 4bf92f3577b34da6a3ce929d0e0e4736', 'fetch {hex}'],
    ['session 01ARZ3NDEKTSV4RRFFQ69G5FAV', 'session {id}'],
    ['SELECT * FROM t WHERE id = 42', 'SELECT * FROM t WHERE id = {n}'],
    ['GET /api/v1/cart', 'GET /api/v1/cart'],
    ['processBatchV2Items', 'processBatchV2Items'],
    ['/healthz', '/healthz'],
    ['GET /users/{id}', 'GET /users/{id}'],
    ['', '(unnamed)'],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(want)}`, () => {
      assert.equal(normalizeOperation(input), want);
    });
  }
  it('cuts very long names', () => {
    const long = normalizeOperation(`x${'y'.repeat(500)}`);
    assert.equal(long.length, 160);
    assert.ok(long.endsWith('…'));
  });
  it('reads the OpenTracing span.kind tag on INTERNAL spans only', () => {
    assert.deepEqual(effectiveKind(1, [{ key: 'span.kind', value: 'client' }]), { kind: 'CLIENT', fromTag: true });
    assert.deepEqual(effectiveKind(0, [{ key: 'span.kind', value: 'SERVER' }]), { kind: 'SERVER', fromTag: true });
    assert.deepEqual(effectiveKind(2, [{ key: 'span.kind', value: 'client' }]), { kind: 'SERVER', fromTag: false });
    assert.deepEqual(effectiveKind(1, [{ key: 'span.kind', value: 'weird' }]), { kind: 'INTERNAL', fromTag: false });
  });
});

describe('tree repair', () => {
  it('hangs orphans under a synthetic (missing parent) node and counts them', () => {
    const { texts, side } = paths(
      buildTraces([
        {
          service: 'a',
          name: 'root',
          kind: SERVER,
          children: [
            { service: 'a', name: 'ok' },
            { service: 'b', name: 'lost', parentId: '00000000000000aa' },
          ],
        },
      ]),
    );
    assert.equal(side.integrity.orphans, 1);
    assert.deepEqual(texts, [
      'a SERVER root',
      'a SERVER root > (missing parent)',
      'a SERVER root > (missing parent) > b INTERNAL lost',
      'a SERVER root > a INTERNAL ok',
    ]);
  });

  it('takes the single orphan of a headless trace as its root', () => {
    const { texts, side } = paths(
      buildTraces([
        {
          service: 'b',
          name: 'GET /x/7',
          kind: SERVER,
          parentId: '00000000000000aa',
          children: [{ service: 'b', name: 'db' }],
        },
      ]),
    );
    assert.equal(side.integrity.missingRoot, 1);
    assert.equal(side.integrity.orphans, 1);
    assert.deepEqual(texts, ['b SERVER GET /x/{id}', 'b SERVER GET /x/{id} > b INTERNAL db']);
  });

  it('chains spans sharing an id (B3 shared client/server) and keeps their children under the server copy', () => {
    const shared = '00000000000000bb';
    const { texts, side } = paths(
      buildTraces([
        {
          service: 'a',
          name: 'root',
          kind: SERVER,
          children: [
            // The server copy comes first in the data; the client copy must still become the parent.
            { service: 'b', name: 'call', kind: SERVER, id: shared },
            { service: 'a', name: 'call', kind: CLIENT, id: shared, children: [{ service: 'b', name: 'query' }] },
          ],
        },
      ]),
    );
    assert.equal(side.integrity.sharedIds, 1);
    assert.deepEqual(texts, [
      'a SERVER root',
      'a SERVER root > a CLIENT call',
      'a SERVER root > a CLIENT call > b SERVER call',
      'a SERVER root > a CLIENT call > b SERVER call > b INTERNAL query',
    ]);
  });

  it('drops exact duplicates, breaks parent cycles and joins several roots, counting each repair', () => {
    const rs = buildTraces([
      {
        service: 'a',
        name: 'r',
        kind: SERVER,
        id: '0000000000000001',
        children: [{ service: 'a', name: 'c', id: '0000000000000002' }],
      },
    ]);
    const spans = rs[0]?.scopeSpans[0]?.spans ?? [];
    const dup = spans[1];
    assert.ok(dup);
    spans.push({ ...dup }); // exact duplicate of c
    // A two-span cycle and a self-parented span in the same trace, plus a second parentless span.
    const mk = (id: string, parent: string, name: string) => ({
      ...dup,
      spanId: Buffer.from(id, 'hex'),
      parentSpanId: Buffer.from(parent, 'hex'),
      name,
      startTimeUnixNano: dup.startTimeUnixNano + BigInt(name.length),
    });
    spans.push(mk('00000000000000c1', '00000000000000c2', 'x'));
    spans.push(mk('00000000000000c2', '00000000000000c1', 'yy'));
    spans.push(mk('00000000000000c3', '00000000000000c3', 'zzz'));
    spans.push(mk('00000000000000d1', '', 'second-root'));
    const { side, texts } = paths(rs);
    assert.equal(side.integrity.duplicates, 1);
    assert.equal(side.integrity.cyclesBroken, 2);
    assert.equal(side.integrity.severalRoots, 1);
    assert.equal(side.integrity.orphans, 2);
    assert.equal(side.integrity.traces, 1);
    assert.equal(side.integrity.spans, 6);
    assert.ok(texts.includes('(several roots) > a INTERNAL x > a INTERNAL yy'), texts.join('\n'));
    assert.ok(texts.includes('(several roots) > a INTERNAL zzz'), texts.join('\n'));
  });

  it('folds paths deeper than 200 levels (a 3,000-span recursion) without overflowing the stack', () => {
    let chain: SpanSpec = { service: 'a', name: 'leaf' };
    for (let i = 0; i < 3000; i++) chain = { service: 'a', name: 'recurse', children: [chain] };
    const rs = buildTraces(Array.from({ length: 3 }, () => chain));
    const c = compareTraces(rs, rs);
    assert.equal(c.integrity.baseline.spans, 3 * 3001);
    assert.equal(c.integrity.baseline.depthCapped, 3 * (3001 - 201));
    assert.ok(renderTracesHtml(c).includes('<svg'));
  });

  it('skips spans with empty or all-zero ids and counts them', () => {
    const rs = buildTraces([{ service: 'a', name: 'r' }]);
    const s = rs[0]?.scopeSpans[0]?.spans[0];
    assert.ok(s);
    rs[0]?.scopeSpans[0]?.spans.push({ ...s, traceId: new Uint8Array(16) }, { ...s, spanId: new Uint8Array(0) });
    const { side } = paths(rs);
    assert.equal(side.integrity.invalidIds, 2);
    assert.equal(side.integrity.spans, 1);
  });
});

describe('loop-tolerant shapes', () => {
  const loop = (n: number, tail = false): SpanSpec => ({
    service: 'a',
    name: 'GET /batch',
    kind: SERVER,
    durationMs: 10,
    children: [
      ...Array.from({ length: n }, (_, i) => ({
        service: 'a',
        name: `item ${i}`,
        durationMs: 2,
        children: [{ service: 'a', name: 'SELECT', durationMs: 1 }],
      })),
      ...(tail ? [{ service: 'a', name: 'audit', durationMs: 1 }] : []),
    ],
  });

  it('gives 3 and 5 iterations of a loop the same shape, and one iteration another', () => {
    const catalog = new Catalog();
    const shapeOf = (spec: SpanSpec): number => {
      const side = assemble(buildTraces([spec]), catalog);
      return [...([...side.roots.values()][0]?.shapes.keys() ?? [])][0] ?? -1;
    };
    const three = shapeOf(loop(3));
    assert.equal(shapeOf(loop(5)), three);
    assert.notEqual(shapeOf(loop(1)), three);
    assert.notEqual(shapeOf(loop(3, true)), three);
    assert.equal(catalog.shapeText(three), 'a SERVER GET /batch [a INTERNAL item {n} [a INTERNAL SELECT] *]');
  });

  it('passes 3 vs 5 iterations (same shape mix), and reports 2 vs 6 as a per-trace count change', () => {
    const three = buildTraces(Array.from({ length: 50 }, () => loop(3)));
    const five = buildTraces(Array.from({ length: 50 }, () => loop(5)));
    const c = compareTraces(three, five);
    assert.equal(c.roots[0]?.shapeMix.distance, 0);
    assert.equal(c.verdict, 'PASS', renderTracesText(c, { color: false }));
    const six = compareTraces(
      buildTraces(Array.from({ length: 50 }, () => loop(2))),
      buildTraces(Array.from({ length: 50 }, () => loop(6))),
    );
    assert.ok(six.findings.some((f) => f.code === 'PATH_COUNT_CHANGED' && f.severity === 'warn'));
  });
});

describe('statistics', () => {
  it('chi-square tail matches known values', () => {
    assert.ok(Math.abs(chiSquareSf(3.841, 1) - 0.05) < 1e-3);
    assert.ok(Math.abs(chiSquareSf(18.307, 10) - 0.05) < 1e-3);
    assert.ok(Math.abs(chiSquareSf(2, 2) - Math.exp(-1)) < 1e-9);
    assert.equal(gTest([10, 0], [0, 0]).p, 1);
  });

  it('does not flag two samples of the same workload (6 seed pairs)', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const c = compareTraces(checkoutTraces({ traces: 600, seed }), checkoutTraces({ traces: 600, seed: seed + 100 }));
      const fails = c.findings.filter((f) => f.severity !== 'info');
      assert.deepEqual(
        fails.map((f) => f.code),
        fails.filter((f) => f.code === 'LATENCY_INCONCLUSIVE').map((f) => f.code),
        `seed ${seed}: ${renderTracesText(c, { color: false })}`,
      );
      assert.notEqual(c.verdict, 'FAIL');
    }
  });

  it('fails a 30% slowdown, and is INCONCLUSIVE rather than FAIL with too few traces', () => {
    const slow = compareTraces(
      checkoutTraces({ traces: 800, seed: 1 }),
      checkoutTraces({ traces: 800, seed: 2, slowdown: 1.3 }),
    );
    assert.equal(slow.verdict, 'FAIL');
    const root = slow.findings.find(
      (f) => f.code === 'LATENCY_CHANGED' && f.path === 'frontend SERVER GET /checkout/{id}',
    );
    assert.ok(root, renderTracesText(slow, { color: false }));
    assert.ok((slow.roots[0]?.tree.latency?.p50Ratio ?? 0) > 1.2);
    const few = compareTraces(
      checkoutTraces({ traces: 12, seed: 1 }),
      checkoutTraces({ traces: 12, seed: 2, slowdown: 1.3 }),
    );
    assert.equal(few.verdict, 'INCONCLUSIVE', renderTracesText(few, { color: false }));
    assert.ok(few.findings.some((f) => f.code === 'TOO_FEW_TRACES'));
  });

  it('fails a path that disappeared and an error rate that changed; a rare path may be absent by chance', () => {
    const base = checkoutTraces({ traces: 600, seed: 3 });
    const noPay = compareTraces(base, checkoutTraces({ traces: 600, seed: 4, paymentShare: 0 }));
    const missing = noPay.findings.find((f) => f.code === 'PATH_MISSING');
    assert.equal(missing?.severity, 'fail');
    assert.equal(missing?.path, 'frontend SERVER GET /checkout/{id} > frontend CLIENT POST /payments');
    assert.equal(findNode(noPay.roots[0]?.tree as PathDiff, 'frontend CLIENT POST /payments')?.status, 'baseline');
    const rare = compareTraces(
      checkoutTraces({ traces: 600, seed: 3, paymentShare: 0.004 }),
      checkoutTraces({ traces: 600, seed: 4, paymentShare: 0 }),
    );
    const rareMissing = rare.findings.find((f) => f.code === 'PATH_MISSING');
    assert.ok(rareMissing === undefined || rareMissing.severity === 'info');
    const errors = compareTraces(base, checkoutTraces({ traces: 600, seed: 4, dbFailShare: 0.3 }));
    const status = errors.findings.find((f) => f.code === 'STATUS_CHANGED');
    assert.equal(status?.severity, 'fail', renderTracesText(errors, { color: false }));
    assert.match(status?.path ?? '', /backend CLIENT SELECT inventory$/);
  });

  it('names a split even when the lower half is also a root operation of its own in the baseline', () => {
    const direct = (seed: number) =>
      buildTraces(
        Array.from({ length: 80 }, (_, i) => ({
          service: 'backend',
          name: `GET /inventory/${100 + i}`,
          kind: SERVER,
          durationMs: 10,
          children: [{ service: 'backend', name: 'SELECT inventory', kind: CLIENT, durationMs: 4 }],
        })),
        seed,
      );
    const base = [...checkoutTraces({ traces: 300, seed: 7 }), ...direct(1)];
    const cand = [...checkoutTraces({ traces: 300, seed: 8, split: true }), ...direct(2)];
    const c = compareTraces(base, cand);
    const split = c.findings.find((f) => f.code === 'TRACES_SPLIT');
    assert.ok(split, renderTracesText(c, { color: false }));
    assert.equal(split.root, 'frontend SERVER GET /checkout/{id}');
    assert.deepEqual(
      c.findings.filter((f) => f.code === 'PATH_MISSING'),
      [],
    );
    // Without the split the same data passes that check.
    const same = compareTraces(base, [...checkoutTraces({ traces: 300, seed: 8 }), ...direct(2)]);
    assert.equal(same.findings.filter((f) => f.code === 'TRACES_SPLIT').length, 0);
  });

  it('fails a rise in orphans (spans whose parents never arrive)', () => {
    const base = checkoutTraces({ traces: 300, seed: 5 });
    const cand = checkoutTraces({ traces: 300, seed: 6 });
    // Drop every frontend CLIENT span in the candidate: backend servers lose their parents.
    for (const rs of cand)
      for (const ss of rs.scopeSpans)
        ss.spans = ss.spans.filter((s) => s.kind !== CLIENT || !s.name.startsWith('GET /inventory'));
    const c = compareTraces(base, cand);
    const orphans = c.findings.find((f) => f.code === 'ORPHAN_RATE');
    assert.equal(orphans?.severity, 'fail', renderTracesText(c, { color: false }));
    assert.ok(c.integrity.candidate.orphans > 0);
    assert.equal(c.integrity.baseline.orphans, 0);
  });
});

describe('results and renderings', () => {
  it('is JSON-serialisable as is, and rejects bad options with a clear error', () => {
    const c = compareTraces(
      checkoutTraces({ traces: 100, seed: 1 }),
      checkoutTraces({ traces: 100, seed: 2, split: true }),
    );
    assert.deepEqual(JSON.parse(JSON.stringify(c)), c);
    assert.throws(() => compareTraces([], [], { latencyTolerance: -1 }), /latencyTolerance must be a positive number/);
  });

  it('is INCONCLUSIVE with no traces on a side (an empty input is more likely a wrong file than a migration)', () => {
    const c = compareTraces(checkoutTraces({ traces: 50, seed: 1 }), []);
    assert.equal(c.verdict, 'INCONCLUSIVE');
    assert.ok(c.findings.some((f) => f.code === 'NO_TRACES' && /candidate has no traces/.test(f.message)));
    const empty = compareTraces([], []);
    assert.equal(empty.verdict, 'INCONCLUSIVE');
    assert.ok(empty.findings.some((f) => f.code === 'NO_TRACES'));
  });

  it('renders text with colour only when asked', () => {
    const c = compareTraces(
      checkoutTraces({ traces: 200, seed: 1 }),
      checkoutTraces({ traces: 200, seed: 2, clientAsInternal: true }),
    );
    const plain = renderTracesText(c, { color: false });
    const colored = renderTracesText(c, { color: true });
    assert.equal(plain.includes('\x1b['), false);
    assert.ok(colored.includes('\x1b[31mFAIL'));
    assert.match(plain, /^Traces: FAIL/);
    assert.match(plain, /KIND_CHANGED/);
  });

  it('renders HTML with every name escaped and no scripts', () => {
    const evil = '<img src=x onerror="alert(document.domain)">&co';
    const spec = (name: string): SpanSpec => ({
      service: 'svc"<b>',
      name,
      kind: SERVER,
      children: [{ service: 'svc"<b>', name: evil }],
    });
    const c = compareTraces(buildTraces([spec('GET /a')]), buildTraces([spec('GET /a'), spec("O'Reilly <script>")]));
    const html = renderTracesHtml(c);
    assert.ok(html.startsWith('<section'));
    assert.ok(html.trimEnd().endsWith('</section>'));
    assert.equal(/<script|<img|onerror="|<b>/i.test(html), false);
    assert.ok(html.includes('&lt;img src=x onerror=&quot;alert(document.domain)&quot;&gt;&amp;co'));
    assert.ok(html.includes('O&#39;Reilly &lt;script&gt;'));
    assert.ok(html.includes('<svg'));
    assert.equal(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), false);
  });
});

// Regression tests for the review findings (reproductions turned into tests).
describe('review findings', () => {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const eachSpan = (
    rs: ResourceSpans[],
    f: (s: ResourceSpans['scopeSpans'][number]['spans'][number]) => void,
  ): void => {
    for (const r of rs) for (const ss of r.scopeSpans) for (const s of ss.spans) f(s);
  };

  it('reads UNSPECIFIED kind without a span.kind tag as INTERNAL (Jaeger/Zipkin translations)', () => {
    const base = checkoutTraces({ traces: 600, seed: 3 });
    eachSpan(base, (s) => {
      if (s.kind === 1) (s as { kind: number }).kind = 0;
    });
    const c = compareTraces(base, checkoutTraces({ traces: 600, seed: 4 }));
    assert.equal(
      c.findings.some((f) => f.code === 'KIND_CHANGED'),
      false,
    );
    assert.notEqual(c.verdict, 'FAIL');
    assert.equal(effectiveKind(0, []).kind, 'INTERNAL');
    assert.equal(effectiveKind(0, [{ key: 'span.kind', value: 'server' }]).kind, 'SERVER');
  });

  it('aggregates error status per trace: looped spans failing together are not independent samples', () => {
    const wl = (seed: number): ResourceSpans[] => {
      const r = prng(seed);
      const specs: SpanSpec[] = [];
      for (let t = 0; t < 300; t++) {
        const down = r() < 0.05;
        specs.push({
          service: 'a',
          name: 'GET /x',
          kind: SERVER,
          durationMs: 100,
          children: Array.from({ length: 30 }, () => ({
            service: 'a',
            name: 'SELECT item',
            kind: CLIENT,
            durationMs: 2,
            error: down,
          })),
        });
      }
      return buildTraces(specs, seed * 7919 + 13);
    };
    let fails = 0;
    for (let s = 1; s <= 20; s++) if (compareTraces(wl(s), wl(s + 1000)).verdict === 'FAIL') fails++;
    assert.ok(fails <= 1, `${fails}/20 false FAILs`);
  });

  it('aggregates latency per trace: looped spans sharing a load factor are not independent samples', () => {
    const ln = (r: () => number, s: number): number => {
      const u = Math.max(r(), 1e-12);
      const v = r();
      return Math.exp(s * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    };
    const wl = (seed: number, slow = 1): ResourceSpans[] => {
      const r = prng(seed);
      const specs: SpanSpec[] = [];
      for (let t = 0; t < 100; t++) {
        const f = ln(r, 0.9);
        const children = Array.from({ length: 30 }, () => ({
          service: 'a',
          name: 'SELECT item',
          kind: CLIENT,
          durationMs: 2 * slow * f * ln(r, 0.1),
        }));
        specs.push({ service: 'a', name: 'GET /x', kind: SERVER, durationMs: 100 * ln(r, 0.05), children });
      }
      return buildTraces(specs, seed * 7919 + 13);
    };
    let fails = 0;
    for (let s = 1; s <= 20; s++) if (compareTraces(wl(s), wl(s + 1000)).verdict === 'FAIL') fails++;
    assert.ok(fails <= 1, `${fails}/20 false FAILs`);
    // A real slowdown of the looped span (×3) is still found.
    const slower = compareTraces(wl(1), wl(1001, 3));
    assert.ok(
      slower.findings.some((f) => f.code === 'LATENCY_CHANGED' && /SELECT item$/.test(f.path ?? '')),
      slower.findings.map((f) => `${f.code} ${f.message}`).join('\n'),
    );
  });

  it('reports a single split trace (one uninstrumented caller) as info, not TRACES_SPLIT failure', () => {
    const base = checkoutTraces({ traces: 800, seed: 1 });
    const cand = checkoutTraces({ traces: 800, seed: 2 });
    const svc = (name: string): ResourceSpans =>
      cand.find((r) => r.resource?.attributes[0]?.value === name) as ResourceSpans;
    const be = svc('backend');
    const fe = svc('frontend');
    const cnt = new Map<string, number>();
    for (const s of be.scopeSpans[0]?.spans ?? [])
      if (s.kind === SERVER) cnt.set(hex(s.traceId), (cnt.get(hex(s.traceId)) ?? 0) + 1);
    const tid = [...cnt].find(([, n]) => n === 1)?.[0];
    const ss = fe.scopeSpans[0] as { spans: ResourceSpans['scopeSpans'][number]['spans'] };
    ss.spans = ss.spans.filter((s) => hex(s.traceId) !== tid);
    const c = compareTraces(base, cand);
    assert.equal(c.verdict, 'PASS', c.findings.map((f) => `${f.severity} ${f.code} ${f.message}`).join('\n'));
    assert.ok(c.findings.some((f) => f.code === 'TRACES_SPLIT' && f.severity === 'info'));

    const headless = [
      ...checkoutTraces({ traces: 800, seed: 2 }),
      ...buildTraces(
        [
          {
            service: 'backend',
            name: 'GET /inventory/555',
            kind: SERVER,
            children: [{ service: 'backend', name: 'SELECT inventory', kind: CLIENT }],
          },
        ],
        12345,
      ),
    ];
    const c2 = compareTraces(base, headless);
    assert.equal(c2.verdict, 'PASS', c2.findings.map((f) => `${f.severity} ${f.code} ${f.message}`).join('\n'));
  });

  it('a pure span rename is a warning only (no SHAPE_MIX_CHANGED failure)', () => {
    const cand = checkoutTraces({ traces: 600, seed: 4 });
    eachSpan(cand, (s) => {
      if (s.kind === SERVER && s.name.startsWith('GET /inventory/'))
        (s as { name: string }).name = 'GET /inventory/:sku';
    });
    const c = compareTraces(checkoutTraces({ traces: 600, seed: 3 }), cand);
    assert.equal(c.verdict, 'PASS', c.findings.map((f) => `${f.severity} ${f.code} ${f.message}`).join('\n'));
    assert.ok(c.findings.some((f) => f.code === 'OPERATION_RENAMED' && f.severity === 'warn'));
  });

  it('pairs a renamed root operation and compares beneath it', () => {
    const cand = checkoutTraces({ traces: 600, seed: 4, paymentShare: 0 });
    eachSpan(cand, (s) => {
      if (s.kind === SERVER && s.name.startsWith('GET /checkout/'))
        (s as { name: string }).name = 'GET /checkout/:order';
    });
    const c = compareTraces(checkoutTraces({ traces: 600, seed: 3 }), cand);
    assert.equal(c.verdict, 'FAIL');
    assert.ok(c.findings.some((f) => f.code === 'OPERATION_RENAMED' && f.severity === 'warn'));
    assert.ok(
      c.findings.some((f) => f.code === 'PATH_MISSING' && f.severity === 'fail' && /payments/.test(f.path ?? '')),
      c.findings.map((f) => `${f.severity} ${f.code} ${f.path}`).join('\n'),
    );
    assert.equal(
      c.findings.some((f) => f.code === 'ROOT_MISSING' && f.severity === 'fail'),
      false,
    );
  });

  const rawSpan = (
    trace: number,
    id: number,
    parent: number,
    name: string,
    start: number,
  ): ResourceSpans['scopeSpans'][number]['spans'][number] => {
    const b = (i: number): Uint8Array => {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, BigInt(i));
      return out;
    };
    return {
      traceId: new Uint8Array(16).fill(trace),
      spanId: b(id),
      traceState: '',
      parentSpanId: parent <= 0 ? new Uint8Array(0) : b(parent),
      flags: 1,
      name,
      kind: 1,
      startTimeUnixNano: BigInt(1000 + start),
      endTimeUnixNano: BigInt(2000 + start),
      attributes: [],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
    };
  };
  const oneResource = (spans: ResourceSpans['scopeSpans'][number]['spans']): ResourceSpans[] => [
    {
      resource: { attributes: [{ key: 'service.name', value: 's' }], droppedAttributesCount: 0 },
      scopeSpans: [
        { scope: { name: 't', version: '', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' },
      ],
      schemaUrl: '',
    },
  ];

  it('breaks a parent cycle at a span on the cycle, not at an earlier span hanging off it', () => {
    // A <-> B cycle; C (child of A) starts before both.
    const { side, texts } = paths(
      oneResource([rawSpan(7, 1, 2, 'A', 100), rawSpan(7, 2, 1, 'B', 200), rawSpan(7, 3, 1, 'C', 50)]),
    );
    assert.equal(side.integrity.cyclesBroken, 1);
    assert.deepEqual(texts, ['s INTERNAL A', 's INTERNAL A > s INTERNAL B', 's INTERNAL A > s INTERNAL C']);
  });

  it('assembles 60,000 spans in parent cycles, or sharing one id, in linear time', () => {
    const n = 60_000;
    const cycles = Array.from({ length: n }, (_, i) => rawSpan(7, i + 1, (i ^ 1) + 1, 'op', i));
    let t = performance.now();
    const c1 = compareTraces(oneResource(cycles), []);
    const tCycles = performance.now() - t;
    assert.equal(c1.integrity.baseline.cyclesBroken, n / 2);
    const same = Array.from({ length: n }, (_, i) => rawSpan(7, 1, 0, 'op', i));
    t = performance.now();
    const c2 = compareTraces(oneResource(same), []);
    const tSame = performance.now() - t;
    assert.equal(c2.integrity.baseline.sharedIds, n - 1);
    assert.ok(tCycles < 5000 && tSame < 5000, `cycles ${tCycles} ms, shared id ${tSame} ms`);
  });

  it('compares thousands of distinct root operations in near-linear time', () => {
    const w = (i: number): string => {
      let out = '';
      let x = i;
      do {
        out += String.fromCharCode(97 + (x % 26));
        x = Math.floor(x / 26);
      } while (x > 0);
      return out;
    };
    const mk = (pref: string, seed: number): ResourceSpans[] =>
      buildTraces(
        Array.from({ length: 6000 }, (_, i) => ({
          service: 'web',
          name: `GET /users/${pref}${w(i)}`,
          kind: SERVER,
          children: [
            { service: 'web', name: 'load', children: [{ service: 'db', name: 'SELECT', kind: CLIENT }] },
            { service: 'web', name: 'render' },
          ],
        })),
        seed,
      );
    const b = mk('b', 1);
    const c = mk('c', 2);
    const t = performance.now();
    const r = compareTraces(b, c);
    const ms = performance.now() - t;
    assert.equal(r.summary.roots, 12_000);
    assert.ok(ms < 5000, `${ms} ms`);
  });

  it('a rare root operation (below 1% of traces) does not make the verdict INCONCLUSIVE', () => {
    const rare = (seed: number, n: number): ResourceSpans[] =>
      buildTraces(
        Array.from({ length: n }, () => ({ service: 'frontend', name: 'GET /healthz', kind: SERVER })),
        seed,
      );
    const c = compareTraces(
      [...checkoutTraces({ traces: 800, seed: 1 }), ...rare(501, 3)],
      [...checkoutTraces({ traces: 800, seed: 2 }), ...rare(502, 2)],
    );
    assert.equal(c.verdict, 'PASS');
    const few = c.findings.find((f) => f.code === 'TOO_FEW_TRACES');
    assert.equal(few?.severity, 'info');
    assert.equal(c.roots.find((r) => r.root.includes('healthz'))?.verdict, 'INCONCLUSIVE');
  });

  it('profiles distinct attribute values on equal sample sizes (no CARDINALITY_CHANGED on unequal trace counts)', () => {
    for (const [nb, nc] of [
      [1000, 400],
      [1500, 600],
    ] as const) {
      const c = compareTraces(checkoutTraces({ traces: nb, seed: 1 }), checkoutTraces({ traces: nc, seed: 2 }));
      assert.deepEqual(
        c.findings.filter((f) => f.severity !== 'info').map((f) => f.message),
        [],
      );
    }
  });

  it('reports a missing resource attribute once per service, also for services with spaces in their names', () => {
    const spec: SpanSpec = {
      service: 'shop api',
      name: 'GET /x',
      kind: SERVER,
      children: [
        {
          service: 'shop api',
          name: 'call',
          kind: CLIENT,
          children: [{ service: 'shop worker', name: 'GET /y', kind: SERVER }],
        },
      ],
    };
    const mk = (seed: number, region: boolean): ResourceSpans[] => {
      const rs = buildTraces(
        Array.from({ length: 100 }, () => spec),
        seed,
      );
      if (region)
        for (const r of rs)
          (r.resource as { attributes: { key: string; value: string }[] }).attributes.push({
            key: 'cloud.region',
            value: 'eu',
          });
      return rs;
    };
    const c = compareTraces(mk(1, true), mk(2, false));
    const missing = c.findings.filter((f) => f.code === 'ATTRIBUTE' && f.attribute?.key === 'cloud.region');
    // shop api once, shop worker once
    assert.deepEqual(
      missing.map((f) => f.path?.split(' > ').pop()),
      ['shop api SERVER GET /x', 'shop worker SERVER GET /y'],
    );
  });

  it('renders span names with terminal control characters harmlessly', () => {
    const evil = checkoutTraces({ traces: 50, seed: 5 });
    eachSpan(evil, (sp) => {
      if (sp.name === 'load-cart') (sp as { name: string }).name = 'load-cart\x1b]0;owned\x07\x1b[2J\x9b31m';
    });
    const t = renderTracesText(compareTraces(checkoutTraces({ traces: 50, seed: 6 }), evil), { color: false });
    const controls = [...t].filter((ch) => {
      const code = ch.charCodeAt(0);
      return (code < 0x20 && ch !== '\n') || (code >= 0x7f && code <= 0x9f);
    });
    assert.deepEqual(controls, []);
    assert.ok(t.includes('load-cart'));
  });

  it('keeps SVG node widths positive in very deep trees', () => {
    let chain: SpanSpec = { service: 'a', name: 'leaf' };
    for (let i = 0; i < 60; i++) chain = { service: 'a', name: 'recurse', children: [chain] };
    const rs = buildTraces(Array.from({ length: 3 }, () => chain));
    const h = renderTracesHtml(compareTraces(rs, rs));
    const widths = [...h.matchAll(/<rect x="[\d.]+" y="\d+" width="(-?[\d.]+)"/g)].map((m) => Number(m[1]));
    assert.ok(widths.length > 60);
    assert.ok(
      widths.every((w) => w > 0),
      `min width ${Math.min(...widths)}`,
    );
  });

  it('lists every resolved option in the result, maxTreeNodes included', () => {
    const c = compareTraces(checkoutTraces({ traces: 30, seed: 1 }), checkoutTraces({ traces: 30, seed: 2 }), {
      maxTreeNodes: 7,
    });
    assert.equal(c.options.maxTreeNodes, 7);
    assert.equal(compareTraces([], []).options.maxTreeNodes, 200);
  });
});

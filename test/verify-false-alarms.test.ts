// False alarms: 200 unchanged metrics between two releases (two consecutive days at a 5-minute step), with realistic
// noise: a daily shape, autocorrelated (AR(1), φ up to 0.9) multiplicative noise, Poisson counts and zero-heavy error
// counters. The equivalence rule (with FDR control) may flag at most 1% of them; the one-sigma rule, run on the
// same data, is shown for comparison. The data are synthetic by design: nothing real has a known ground truth.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../src/pdata/gen.js';
import type { KeyValue, Metric, NumberDataPoint, ResourceMetrics } from '../src/pdata/model.js';
import { AggregationTemporality } from '../src/pdata/model.js';
import { defaultRules, runVerify, type VerifyReport } from '../src/verify/index.js';
import { emptySet } from '../src/verify/input.js';

const STEP_S = 300;
const POINTS = 288; // one day
const DAY0 = 1_760_000_000; // unix seconds, a fixed Monday-ish start

function normal(rnd: () => number): number {
  const u = Math.max(rnd(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

function poisson(rnd: () => number, lambda: number): number {
  if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rnd)));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd();
  } while (p > l);
  return k - 1;
}

type Kind = 'gauge' | 'counter' | 'errors';

/** One day of one metric: daily shape × exp(AR(1) noise), Poisson for counts. */
function day(kind: Kind, level: number, phi: number, cv: number, dayIndex: number, rnd: () => number): number[] {
  const out: number[] = [];
  let e = normal(rnd) * cv;
  const innov = cv * Math.sqrt(1 - phi * phi);
  for (let i = 0; i < POINTS; i++) {
    e = phi * e + innov * normal(rnd);
    const shape = 1 + 0.5 * Math.sin((2 * Math.PI * i) / POINTS - Math.PI / 2 + dayIndex * 0);
    const mu = level * shape * Math.exp(e - (cv * cv) / 2);
    out.push(kind === 'gauge' ? mu : poisson(rnd, mu));
  }
  return out;
}

function side(dayIndex: number, seed: number): ResourceMetrics {
  const rnd = prng(seed);
  const metricsRnd = prng(7); // same metric population on both days
  const metrics: Metric[] = [];
  for (let m = 0; m < 200; m++) {
    const kind: Kind = m < 80 ? 'gauge' : m < 160 ? 'counter' : 'errors';
    const phi = [0.3, 0.6, 0.8, 0.9][m % 4] as number;
    const cv = 0.1 + 0.3 * metricsRnd();
    const level =
      kind === 'errors'
        ? 0.05 + 0.5 * metricsRnd()
        : kind === 'counter'
          ? 20 + 2000 * metricsRnd()
          : 5 + 500 * metricsRnd();
    const values = day(kind, level, phi, cv, dayIndex, rnd);
    const attrs: KeyValue[] = [{ key: 'service', value: `svc-${m % 7}` }];
    const t0 = DAY0 + dayIndex * 86_400;
    const dataPoints: NumberDataPoint[] = values.map((v, i) => ({
      attributes: attrs,
      startTimeUnixNano: BigInt(t0 + i * STEP_S) * 1_000_000_000n,
      timeUnixNano: BigInt(t0 + (i + 1) * STEP_S) * 1_000_000_000n,
      value: kind === 'gauge' ? v : BigInt(v),
      exemplars: [],
      flags: 0,
    }));
    const name = `app.${kind}.m${m}`;
    metrics.push({
      name,
      description: '',
      unit: kind === 'gauge' ? 'ms' : '{event}',
      metadata: [],
      data:
        kind === 'gauge'
          ? { type: 'gauge', dataPoints }
          : { type: 'sum', dataPoints, aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: true },
    });
  }
  return {
    resource: { attributes: [{ key: 'service.name', value: 'shop' }], droppedAttributesCount: 0 },
    schemaUrl: '',
    scopeMetrics: [
      { scope: { name: 'app', version: '1', attributes: [], droppedAttributesCount: 0 }, metrics, schemaUrl: '' },
    ],
  };
}

async function judge(rule: 'equivalence' | 'sigma', seed: number): Promise<VerifyReport> {
  const baseline = emptySet();
  const candidate = emptySet();
  baseline.metrics.push(side(0, seed));
  candidate.metrics.push(side(1, seed + 1000));
  return runVerify({ source: { kind: 'sets', baseline, candidate }, rules: defaultRules(), rule, step: STEP_S });
}

describe('verify: false alarms on 200 unchanged metrics', () => {
  it('flags at most 1% with the equivalence rule; the one-sigma rule flags far more', async () => {
    const lines: string[] = [];
    let eqFlagged = 0;
    let sigmaFlagged = 0;
    let total = 0;
    for (const seed of [11, 12]) {
      const eq = await judge('equivalence', seed);
      const sg = await judge('sigma', seed);
      const em = eq.metrics?.metrics ?? [];
      const sm = sg.metrics?.metrics ?? [];
      assert.equal(em.length, 200);
      const flagged = em.filter((m) => m.status === 'DIFFERENT');
      const s = eq.metrics?.counts.byStatus;
      eqFlagged += flagged.length;
      sigmaFlagged += sm.filter((m) => m.status === 'DIFFERENT').length;
      total += em.length;
      lines.push(
        `seed ${seed}: equivalence ${flagged.length} different (${flagged.map((m) => m.name).join(', ')}), ${s?.EQUIVALENT} equivalent, ${s?.INCONCLUSIVE} inconclusive; sigma ${sm.filter((m) => m.status === 'DIFFERENT').length} flagged`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    assert.ok(eqFlagged <= 0.01 * total, `equivalence flagged ${eqFlagged} of ${total}: ${lines.join(' | ')}`);
    assert.ok(sigmaFlagged >= 0.15 * total, `sigma flagged only ${sigmaFlagged} of ${total}: ${lines.join(' | ')}`);
  });

  it('the same data with a real 25% drop in ten metrics: those ten are found', async () => {
    const baseline = emptySet();
    const candidate = emptySet();
    baseline.metrics.push(side(0, 21));
    const cand = side(1, 1021);
    const dropped = new Set<string>();
    for (const m of (cand.scopeMetrics[0]?.metrics ?? []).filter((_, i) => i % 20 === 5)) {
      dropped.add(m.name);
      if (m.data?.type === 'gauge' || m.data?.type === 'sum') {
        for (const p of m.data.dataPoints)
          p.value =
            typeof p.value === 'bigint' ? BigInt(Math.round(Number(p.value) * 0.75)) : (p.value as number) * 0.75;
      }
    }
    candidate.metrics.push(cand);
    const rep = await runVerify({ source: { kind: 'sets', baseline, candidate }, rules: defaultRules(), step: STEP_S });
    const found = (rep.metrics?.metrics ?? []).filter((m) => m.status === 'DIFFERENT').map((m) => m.name);
    const hits = found.filter((n) => dropped.has(n));
    process.stdout.write(
      `25% drop: ${hits.length} of ${dropped.size} found, ${found.length - hits.length} other flags\n`,
    );
    assert.equal(rep.verdict, 'FAIL');
    assert.ok(found.length - hits.length <= 2, `false flags: ${found.filter((n) => !dropped.has(n)).join(', ')}`);
    assert.ok(hits.length >= 5, `found only ${hits.join(', ')}`);
  });
});

// `switchyard verify` at size: 1,000,000 metric points (500,000 per side, OTLP JSON lines files read, decoded,
// normalized, aligned and judged) and 100,000 spans (50,000 per side through compareTraces). Prints wall time,
// throughput, the slowest phase and peak RSS. No peer: no other tool does this comparison.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng, realisticTraces } from '../../src/pdata/gen.js';
import { requestToJson } from '../../src/pdata/json/index.js';
import type { Metric, NumberDataPoint, ResourceMetrics } from '../../src/pdata/model.js';
import { AggregationTemporality } from '../../src/pdata/model.js';
import { defaultRules, loadTraces, runVerify } from '../../src/verify/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const POINTS = arg('--points', 1_000_000);
const SPANS = arg('--spans', 100_000);
// `--long`: the same number of points as 2 metrics × 1 series × 250,000 steps, windows an hour apart (unpaired
// design): the shape where the m·n pairwise differences of the ratio test used to blow up.
const LONG = args.includes('--long');
const METRICS = LONG ? 2 : 1000;
const SERIES = LONG ? 1 : 10;
const STEPS = Math.max(10, Math.round(POINTS / 2 / METRICS / SERIES));

function rss(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** One side's file: METRICS metrics × SERIES series × STEPS steps, one export request per step. */
function writeSide(file: string, seed: number, shift = 0): number {
  const rnd = prng(seed);
  const t0 = 1_760_000_000 + shift;
  const lines: string[] = [];
  let points = 0;
  for (let s = 0; s < STEPS; s++) {
    const metrics: Metric[] = [];
    for (let m = 0; m < METRICS; m++) {
      const dataPoints: NumberDataPoint[] = [];
      for (let k = 0; k < SERIES; k++) {
        const v = 100 * (1 + (m % 7)) * (0.8 + 0.4 * rnd());
        dataPoints.push({
          attributes: [{ key: 'route', value: `/r${k}` }],
          startTimeUnixNano: BigInt(t0 + s * 10) * 1_000_000_000n,
          timeUnixNano: BigInt(t0 + (s + 1) * 10) * 1_000_000_000n,
          value: m % 2 === 0 ? v : BigInt(Math.round(v)),
          exemplars: [],
          flags: 0,
        });
        points++;
      }
      metrics.push({
        name: `bench.m${m}`,
        description: '',
        unit: m % 2 === 0 ? 'ms' : '{req}',
        metadata: [],
        data:
          m % 2 === 0
            ? { type: 'gauge', dataPoints }
            : { type: 'sum', dataPoints, aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: true },
      });
    }
    const rm: ResourceMetrics = {
      resource: { attributes: [{ key: 'service.name', value: 'bench' }], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeMetrics: [
        { scope: { name: 'bench', version: '', attributes: [], droppedAttributesCount: 0 }, metrics, schemaUrl: '' },
      ],
    };
    lines.push(requestToJson('metrics', { resourceMetrics: [rm] }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return points;
}

/** Generates the files in this process, then verifies in a fresh one so its peak RSS is the verifier's alone. */
async function main(): Promise<void> {
  const vi = args.indexOf('--verify-dir');
  if (vi >= 0) return verifyPhase(args[vi + 1] as string, Number(args[vi + 2]));
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-verify-'));
  try {
    const points =
      writeSide(join(dir, 'baseline.jsonl'), 1) + writeSide(join(dir, 'candidate.jsonl'), 2, LONG ? 3600 : 0);
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), ...args, '--verify-dir', dir, String(points)], {
      stdio: 'inherit',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function verifyPhase(dir: string, points: number): Promise<void> {
  {
    const bFile = join(dir, 'baseline.jsonl');
    const cFile = join(dir, 'candidate.jsonl');
    const rssBefore = rss();
    const t0 = performance.now();
    const rep = await runVerify({
      source: { kind: 'files', baseline: bFile, candidate: cFile },
      rules: defaultRules(),
    });
    const ms = performance.now() - t0;
    const rssMetrics = rss();
    process.stdout.write(
      `metrics: ${points.toLocaleString('en-US')} points (${METRICS} metrics × ${SERIES} series × ${STEPS} steps × 2 sides, ${rep.metrics?.design}) ` +
        `verified in ${(ms / 1000).toFixed(2)} s = ${Math.round(points / (ms / 1000)).toLocaleString('en-US')} points/s; ` +
        `${rep.metrics?.counts.series.tested} series tests; verdict ${rep.verdict}; peak RSS ${rssMetrics.toFixed(0)} MiB (before: ${rssBefore.toFixed(0)} MiB)\n`,
    );
    const traces = await loadTraces();
    if (traces === undefined) {
      process.stdout.write('traces: compareTraces not available in this build\n');
      return;
    }
    const half = Math.round(SPANS / 2);
    const b = realisticTraces(half, 1).resourceSpans;
    const c = realisticTraces(half, 2).resourceSpans;
    const t1 = performance.now();
    const tr = traces.compareTraces(b, c);
    const ms2 = performance.now() - t1;
    process.stdout.write(
      `traces: ${(half * 2).toLocaleString('en-US')} spans compared in ${(ms2 / 1000).toFixed(2)} s = ${Math.round((half * 2) / (ms2 / 1000)).toLocaleString('en-US')} spans/s; ` +
        `verdict ${tr.verdict}; peak RSS ${rss().toFixed(0)} MiB\n`,
    );
  }
}

await main();

// Trace structure parity: baseline vs candidate sets of traces, compared per root operation.
//
// Root operations are matched by label, then by service+operation with another kind, then (one unmatched root of a
// service and kind on each side) as a rename.
// Per root operation: the shape mix (G-test plus total-variation distance, the candidate's labels mapped through the
// alignment), a path tree aligned between the sides
// (exact label, then same service+operation with another kind, then a one-to-one rename under the same parent), and
// per aligned path: presence rate, spans per trace, error rate (the trace as cluster), kind, attribute keys
// (compareAttributes), latency (p50/p90 log-ratio confidence intervals against a tolerance, standard errors from
// resampling traces where spans repeat within one). Integrity: orphan rate, traces split by broken
// propagation, cross-service edges without CLIENT/SERVER (or PRODUCER/CONSUMER) kinds.
import type { KeyValue, ResourceSpans } from '../../pdata/model.js';
import {
  type AttrFinding,
  type AttrKeyProfile,
  AttrProfiler,
  type AttrValueType,
  attrSeverity,
  compareAttributes,
  valueType,
} from '../attributes.js';
import { assemble, Catalog, type PathAcc, type Side, type SideIntegrity } from './assemble.js';
import type { SpanLabel } from './label.js';
import {
  clusterBootstrapLogQuantileSe,
  clusteredProportionP,
  gTest,
  logQuantile,
  quantileSorted,
  twoProportionP,
} from './stats.js';

export interface TraceCompareOptions {
  /** Attribute renames (baseline key -> candidate key), passed through to compareAttributes. */
  readonly renames?: ReadonlyMap<string, string>;
  /** Attribute keys (globs) that may appear or disappear. */
  readonly allowAttributes?: readonly string[];
  /** Relative latency tolerance at the root span of each root operation; default 0.10. */
  readonly latencyTolerance?: number;
  /** Relative latency tolerance below the root (span boundaries move between libraries); default 2 × latencyTolerance. */
  readonly pathLatencyTolerance?: number;
  /** Traces per side below which a root operation is INCONCLUSIVE; default 20. */
  readonly minTraces?: number;
  /** Spans per side below which a path's latency is not judged; default 30. */
  readonly minLatencySamples?: number;
  /** Significance level of every rate test (shape mix, presence, errors, orphans); default 0.001. */
  readonly alpha?: number;
  /** Smallest change in a rate (presence, error, orphan share) that is reported; default 0.05. */
  readonly minRateChange?: number;
  /** Smallest total-variation distance between shape mixes that is reported; default 0.05. */
  readonly minShapeDistance?: number;
  /** Diff-tree nodes kept per root operation in the result (findings always cover every path); default 200. */
  readonly maxTreeNodes?: number;
}

export type TraceVerdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

export interface TraceFinding {
  readonly severity: 'fail' | 'warn' | 'info';
  readonly code: string;
  readonly root: string;
  readonly path?: string;
  readonly message: string;
  readonly fix?: string;
  /** For code ATTRIBUTE: the attribute finding behind it. */
  readonly attribute?: {
    readonly key: string;
    readonly status: string;
    readonly candidateKey?: string;
    readonly where: 'attribute' | 'resource';
  };
}

export interface PathSideStats {
  /** Traces of the root operation in which this path occurs. */
  readonly traces: number;
  /** traces / traces of the root operation. */
  readonly presence: number;
  readonly spans: number;
  /** spans / traces (loop iterations per trace where the path occurs). */
  readonly perTrace: number;
  readonly errorRate: number;
  /** Median and 90th percentile span duration in milliseconds (null without spans). */
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  /** Spans reached over a cross-service edge without CLIENT->SERVER / PRODUCER->CONSUMER kinds. */
  readonly boundary: number;
  readonly orphans: number;
}

export type PathDiffStatus = 'both' | 'baseline' | 'candidate' | 'kind' | 'renamed';

export interface LatencyComparison {
  readonly verdict: 'EQUIVALENT' | 'DIFFERENT' | 'INCONCLUSIVE';
  readonly tolerance: number;
  /** candidate / baseline, with a 90% confidence interval; null when not enough samples. */
  readonly p50Ratio: number | null;
  readonly p50Ci: readonly [number, number] | null;
  readonly p90Ratio: number | null;
  readonly p90Ci: readonly [number, number] | null;
  readonly note?: string;
}

export interface PathDiff {
  /** Baseline label (candidate label for candidate-only nodes). */
  readonly label: string;
  /** For status kind/renamed: the label in the candidate. */
  readonly candidateLabel?: string;
  /** Labels from the root down, joined with ` > `. */
  readonly path: string;
  readonly status: PathDiffStatus;
  /** Set on baseline-only subtrees that now start traces of their own (root label of those traces). */
  readonly splitTo?: string;
  readonly synthetic: boolean;
  readonly baseline?: PathSideStats;
  readonly candidate?: PathSideStats;
  readonly latency?: LatencyComparison;
  readonly children: PathDiff[];
}

export interface ShapeRow {
  /** The shape written out: `label [child, looped *[...]]`; `*` marks a subtree repeated under its parent. */
  readonly shape: string;
  readonly baseline: number;
  readonly candidate: number;
  /** Up to three trace ids (hex) with this shape, candidate first. */
  readonly exemplars: readonly string[];
}

export interface RootComparison {
  readonly root: string;
  /** For status kind/renamed: the root label in the candidate. */
  readonly candidateRoot?: string;
  readonly status: 'both' | 'baseline' | 'candidate' | 'kind' | 'renamed';
  readonly verdict: TraceVerdict;
  readonly baselineTraces: number;
  readonly candidateTraces: number;
  readonly shapeMix: {
    /** Total-variation distance between the shape distributions, 0..1. */
    readonly distance: number;
    /** G-test p-value (1 when one side has no traces). */
    readonly pValue: number;
    /** The most common shapes (at most 12), by combined share. */
    readonly shapes: readonly ShapeRow[];
    readonly distinctShapes: number;
  };
  /** For a candidate-only root that is the lower half of split traces: where it ran in the baseline. */
  readonly splitFrom?: { readonly root: string; readonly path: string };
  readonly tree: PathDiff;
  /** Diff-tree nodes left out of `tree` (maxTreeNodes). */
  readonly truncatedNodes: number;
}

export interface TraceComparison {
  readonly verdict: TraceVerdict;
  readonly summary: {
    readonly baselineTraces: number;
    readonly candidateTraces: number;
    readonly baselineSpans: number;
    readonly candidateSpans: number;
    readonly roots: number;
  };
  readonly findings: readonly TraceFinding[];
  readonly integrity: { readonly baseline: SideIntegrity; readonly candidate: SideIntegrity };
  readonly roots: readonly RootComparison[];
  readonly options: {
    readonly latencyTolerance: number;
    readonly pathLatencyTolerance: number;
    readonly minTraces: number;
    readonly minLatencySamples: number;
    readonly alpha: number;
    readonly minRateChange: number;
    readonly minShapeDistance: number;
    readonly maxTreeNodes: number;
  };
}

/** Finding codes that make the verdict INCONCLUSIVE (when nothing fails). */
const INCONCLUSIVE_CODES: ReadonlySet<string> = new Set(['NO_TRACES', 'TOO_FEW_TRACES', 'LATENCY_INCONCLUSIVE']);
const ALL_TRACES = '(all traces)';
/** Root operations with a smaller share of all traces (both sides together) do not make the verdict INCONCLUSIVE. */
const MINOR_ROOT_SHARE = 0.01;
/** A path or root missing on one side is a failure only when chance would leave it out with p below this. */
const MISSING_EXPECTED = 7; // e^-7 ≈ 0.0009

interface Ctx {
  readonly catalog: Catalog;
  readonly b: Side;
  readonly c: Side;
  readonly kidsB: Map<number, number[]>;
  readonly kidsC: Map<number, number[]>;
  readonly o: TraceComparison['options'];
  readonly renames: ReadonlyMap<string, string>;
  readonly allow: readonly string[];
  readonly maxTreeNodes: number;
  readonly findings: TraceFinding[];
  /** Resource-attribute findings already reported, by service and key. */
  readonly resourceSeen: Set<string>;
  /** Baseline path id -> root label of the candidate traces that hold that subtree now. */
  readonly splitAt: Map<number, string>;
  /** Per root operation: candidate label -> baseline label for paths aligned across a kind change or rename. */
  readonly labelMap: Map<number, number>;
  /** The values of splitAt. */
  readonly splitRoots: Set<string>;
  /** Root labels (upper halves) with a failing TRACES_SPLIT finding. */
  readonly splitFailed: Set<string>;
}

function childIndex(side: Side, catalog: Catalog): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const pid of side.paths.keys()) {
    const parent = catalog.paths[pid]?.parent ?? -1;
    if (parent < 0) continue;
    const list = kids.get(parent);
    if (list === undefined) kids.set(parent, [pid]);
    else list.push(pid);
  }
  return kids;
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0)
    throw new RangeError(`trace comparison option ${name} must be a positive number, got ${v}`);
  return v;
}

/** Compares two sets of traces; see docs/verify-traces.md for the result's fields. */
export function compareTraces(
  baseline: readonly ResourceSpans[],
  candidate: readonly ResourceSpans[],
  opts: TraceCompareOptions = {},
): TraceComparison {
  const latencyTolerance = positive('latencyTolerance', opts.latencyTolerance, 0.1);
  const o = {
    latencyTolerance,
    pathLatencyTolerance: positive('pathLatencyTolerance', opts.pathLatencyTolerance, 2 * latencyTolerance),
    minTraces: positive('minTraces', opts.minTraces, 20),
    minLatencySamples: positive('minLatencySamples', opts.minLatencySamples, 30),
    alpha: positive('alpha', opts.alpha, 0.001),
    minRateChange: positive('minRateChange', opts.minRateChange, 0.05),
    minShapeDistance: positive('minShapeDistance', opts.minShapeDistance, 0.05),
    maxTreeNodes: positive('maxTreeNodes', opts.maxTreeNodes, 200),
  };
  const catalog = new Catalog();
  const b = assemble(baseline, catalog);
  const c = assemble(candidate, catalog);
  const ctx: Ctx = {
    catalog,
    b,
    c,
    kidsB: childIndex(b, catalog),
    kidsC: childIndex(c, catalog),
    o,
    renames: opts.renames ?? new Map(),
    allow: opts.allowAttributes ?? [],
    maxTreeNodes: o.maxTreeNodes,
    findings: [],
    resourceSeen: new Set(),
    splitAt: new Map(),
    labelMap: new Map(),
    splitRoots: new Set(),
    splitFailed: new Set(),
  };

  integrityFindings(ctx);

  // Root matching: exact label, then same service+operation with another kind.
  const rootsB = [...b.roots.keys()];
  const rootsC = new Set(c.roots.keys());
  const pairs: { bp: number; cp: number; status: 'both' | 'kind' | 'renamed' }[] = [];
  const onlyB: number[] = [];
  for (const bp of rootsB) {
    if (rootsC.has(bp)) {
      pairs.push({ bp, cp: bp, status: 'both' });
      rootsC.delete(bp);
    } else onlyB.push(bp);
  }
  const opKey = (l: SpanLabel): string => `${l.service}\t${l.op}`;
  const candidateByOp = new Map<string, number[]>();
  for (const cp of rootsC) {
    const k = opKey(labelOfPath(ctx, cp));
    const list = candidateByOp.get(k);
    if (list === undefined) candidateByOp.set(k, [cp]);
    else list.push(cp);
  }
  const kindMatched = new Set<number>();
  for (let i = onlyB.length - 1; i >= 0; i--) {
    const cands = candidateByOp.get(opKey(labelOfPath(ctx, onlyB[i] as number)));
    const cp = cands?.find((x) => rootsC.has(x));
    if (cp !== undefined) {
      pairs.push({ bp: onlyB[i] as number, cp, status: 'kind' });
      rootsC.delete(cp);
      kindMatched.add(onlyB[i] as number);
    }
  }
  if (kindMatched.size > 0) onlyB.splice(0, onlyB.length, ...onlyB.filter((x) => !kindMatched.has(x)));

  // Baseline paths below the root, by service and operation.
  const belowRootByOp = new Map<string, number[]>();
  for (const pid of b.paths.keys()) {
    const info = catalog.paths[pid];
    if (info === undefined || info.depth === 0) continue;
    const k = opKey(catalog.labels[info.label] as SpanLabel);
    const list = belowRootByOp.get(k);
    if (list === undefined) belowRootByOp.set(k, [pid]);
    else list.push(pid);
  }

  // Candidate roots that ran inside baseline traces: traces split by broken propagation.
  const splits: { cp: number; bp: number }[] = [];
  for (const cp of [...rootsC]) {
    let best = -1;
    let bestSpans = 0;
    for (const pid of belowRootByOp.get(opKey(labelOfPath(ctx, cp))) ?? []) {
      const spans = b.paths.get(pid)?.spans ?? 0;
      if (spans > bestSpans) {
        best = pid;
        bestSpans = spans;
      }
    }
    if (best >= 0) {
      splits.push({ cp, bp: best });
      ctx.splitAt.set(best, catalog.labelText(catalog.paths[cp]?.label ?? 0));
      rootsC.delete(cp);
    }
  }
  // Fewer split traces than MISSING_EXPECTED (one headless request, an uninstrumented caller) can be chance: info.
  const sureSplits = new Set<number>();
  for (const s of splits) {
    const traces = ctx.c.roots.get(s.cp)?.traces ?? 0;
    const sure = traces >= MISSING_EXPECTED;
    if (sure) sureSplits.add(s.cp);
    splitFinding(ctx, s.cp, s.bp, traces, sure);
  }
  // A root operation present on both sides can still have gained the traces split off another one's subtree.
  for (const pr of pairs) {
    if (pr.status !== 'both') continue;
    const l = labelOfPath(ctx, pr.bp);
    const nb = b.roots.get(pr.bp)?.traces ?? 0;
    const nc = c.roots.get(pr.cp)?.traces ?? 0;
    for (const pid of belowRootByOp.get(opKey(l)) ?? []) {
      const info = catalog.paths[pid];
      const acc = b.paths.get(pid);
      if (info === undefined || acc === undefined || ctx.splitAt.has(pid)) continue;
      let upper = pid;
      while ((catalog.paths[upper]?.parent ?? -1) >= 0) upper = catalog.paths[upper]?.parent ?? -1;
      const ub = b.roots.get(upper)?.traces ?? 0;
      const uc = c.roots.get(upper)?.traces ?? 0;
      if (ub === 0 || uc === 0) continue;
      const scale = uc / ub;
      const lost = acc.spans * scale - (c.paths.get(pid)?.spans ?? 0);
      const gained = nc - nb * scale;
      if (lost >= MISSING_EXPECTED && gained >= 0.5 * lost) {
        ctx.splitAt.set(pid, catalog.labelText(info.label));
        splitFinding(ctx, pr.cp, pid, Math.round(gained), true);
      }
    }
  }

  // One unmatched root of the same service and kind on each side: a renamed entry point, compared beneath.
  const rootGroups = new Map<string, { b: number[]; c: number[] }>();
  const rootGroup = (pid: number): { b: number[]; c: number[] } | undefined => {
    const l = labelOfPath(ctx, pid);
    if (l.kind === 'SYNTHETIC') return undefined;
    const k = `${l.service}\t${l.kind}`;
    let g = rootGroups.get(k);
    if (g === undefined) {
      g = { b: [], c: [] };
      rootGroups.set(k, g);
    }
    return g;
  };
  for (const bp of onlyB) rootGroup(bp)?.b.push(bp);
  for (const cp of rootsC) rootGroup(cp)?.c.push(cp);
  const renamedB = new Set<number>();
  for (const g of rootGroups.values()) {
    if (g.b.length !== 1 || g.c.length !== 1) continue;
    const bp = g.b[0] as number;
    const cp = g.c[0] as number;
    pairs.push({ bp, cp, status: 'renamed' });
    renamedB.add(bp);
    rootsC.delete(cp);
  }
  if (renamedB.size > 0) onlyB.splice(0, onlyB.length, ...onlyB.filter((x) => !renamedB.has(x)));

  for (const v of ctx.splitAt.values()) ctx.splitRoots.add(v);
  const rootsOut: RootComparison[] = [];
  for (const p of pairs) rootsOut.push(compareRoot(ctx, p.bp, p.cp, p.status));
  for (const bp of onlyB) rootsOut.push(compareRoot(ctx, bp, -1, 'baseline'));
  for (const s of splits) {
    rootsOut.push({
      ...compareRoot(ctx, -1, s.cp, 'candidate'),
      splitFrom: { root: rootText(ctx, s.bp), path: catalog.pathText(s.bp) },
    });
  }
  for (const cp of rootsC) rootsOut.push(compareRoot(ctx, -1, cp, 'candidate'));
  // A root's verdict covers every finding naming it; the lower half of split traces fails with its upper half.
  const sureSplitRoots = new Set(splits.filter((s) => sureSplits.has(s.cp)).map((s) => catalog.pathText(s.cp)));
  const findingsByRoot = new Map<string, TraceFinding[]>();
  for (const f of ctx.findings) {
    const list = findingsByRoot.get(f.root);
    if (list === undefined) findingsByRoot.set(f.root, [f]);
    else list.push(f);
  }
  const roots = rootsOut.map((r) => ({
    ...r,
    verdict:
      r.splitFrom !== undefined && sureSplitRoots.has(r.root)
        ? ('FAIL' as const)
        : verdictOf(findingsByRoot.get(r.root) ?? [], true),
  }));
  roots.sort((x, y) => y.baselineTraces + y.candidateTraces - (x.baselineTraces + x.candidateTraces));

  if (b.integrity.traces === 0 || c.integrity.traces === 0) {
    ctx.findings.push({
      severity: 'warn',
      code: 'NO_TRACES',
      root: ALL_TRACES,
      message: `The ${b.integrity.traces === 0 ? 'baseline' : 'candidate'} has no traces to compare.`,
    });
  }

  const rank = { fail: 0, warn: 1, info: 2 } as const;
  const findings = ctx.findings
    .map((f, i) => ({ f, i }))
    .sort((x, y) => rank[x.f.severity] - rank[y.f.severity] || x.i - y.i)
    .map((x) => x.f);
  return {
    verdict: verdictOf(findings),
    summary: {
      baselineTraces: b.integrity.traces,
      candidateTraces: c.integrity.traces,
      baselineSpans: b.integrity.spans,
      candidateSpans: c.integrity.spans,
      roots: roots.length,
    },
    findings,
    integrity: { baseline: b.integrity, candidate: c.integrity },
    roots,
    options: o,
  };
}

/**
 * FAIL on any failure; INCONCLUSIVE on an inconclusive code. Inconclusive findings demoted to info (root operations
 * below MINOR_ROOT_SHARE) count only for the root's own verdict (`ownRoot`), not for the overall one.
 */
function verdictOf(findings: readonly TraceFinding[], ownRoot = false): TraceVerdict {
  if (findings.some((f) => f.severity === 'fail')) return 'FAIL';
  if (findings.some((f) => INCONCLUSIVE_CODES.has(f.code) && (ownRoot || f.severity !== 'info'))) return 'INCONCLUSIVE';
  return 'PASS';
}

function labelOfPath(ctx: Ctx, pid: number): SpanLabel {
  return ctx.catalog.labels[ctx.catalog.paths[pid]?.label ?? 0] as SpanLabel;
}

function rootText(ctx: Ctx, pid: number): string {
  let p = pid;
  for (;;) {
    const info = ctx.catalog.paths[p];
    if (info === undefined || info.parent < 0) break;
    p = info.parent;
  }
  return ctx.catalog.pathText(p);
}

function pct(x: number): string {
  if (x > 0 && x < 0.001) return '<0.1%';
  return `${(100 * x).toFixed(x >= 0.1 || x === 0 ? 0 : 1)}%`;
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

// ---------------------------------------------------------------- integrity

function integrityFindings(ctx: Ctx): void {
  const { b, c } = ctx;
  const ib = b.integrity;
  const ic = c.integrity;
  const rb = ib.spans > 0 ? ib.orphans / ib.spans : 0;
  const rc = ic.spans > 0 ? ic.orphans / ic.spans : 0;
  if (ic.orphans > 0) {
    const p = twoProportionP(ib.orphans, ib.spans, ic.orphans, ic.spans);
    const worse = rc - rb > Math.max(0.01, ctx.o.minRateChange / 5) && p < ctx.o.alpha;
    ctx.findings.push({
      severity: worse ? 'fail' : 'info',
      code: 'ORPHAN_RATE',
      root: ALL_TRACES,
      message: `${num(ic.orphans)} of ${num(ic.spans)} candidate spans (${pct(rc)}) name a parent that is not in their trace; the baseline had ${pct(rb)}.`,
      ...(worse
        ? {
            fix: 'spans reference parents that never arrived: make sure every service exports its spans (flush on shutdown, same sampling decision via the sampled flag) and that a proxy in between does not start spans it never exports',
          }
        : {}),
    });
  }
  const notes: [number, number, string][] = [
    [ib.duplicates, ic.duplicates, 'exact duplicate spans were dropped'],
    [
      ib.sharedIds,
      ic.sharedIds,
      'spans shared their id with another span (B3 shared client/server spans) and were chained under it',
    ],
    [ib.cyclesBroken, ic.cyclesBroken, 'parent cycles were broken'],
    [ib.invalidIds, ic.invalidIds, 'spans had an empty or all-zero trace or span id and were skipped'],
    [ib.severalRoots, ic.severalRoots, 'traces had several parentless spans (joined under a synthetic root)'],
    [
      ib.depthCapped,
      ic.depthCapped,
      'spans sat more than 200 levels deep and were counted at their ancestor at that depth',
    ],
  ];
  for (const [nb, nc, what] of notes) {
    if (nb + nc === 0) continue;
    ctx.findings.push({
      severity: 'info',
      code: 'TREE_REPAIRED',
      root: ALL_TRACES,
      message: `Baseline ${num(nb)}, candidate ${num(nc)}: ${what}.`,
    });
  }
  if (ib.kindFromTag + ic.kindFromTag > 0) {
    ctx.findings.push({
      severity: 'info',
      code: 'KIND_FROM_TAG',
      root: ALL_TRACES,
      message: `Baseline ${num(ib.kindFromTag)}, candidate ${num(ic.kindFromTag)} INTERNAL spans carried their kind only in a span.kind tag (OpenTracing instrumentation); that tag was read as their kind.`,
    });
  }
}

function splitFinding(ctx: Ctx, cp: number, bp: number, traces: number, sure: boolean): void {
  const { catalog } = ctx;
  const lower = catalog.labelText(catalog.paths[cp]?.label ?? 0);
  const parentPid = catalog.paths[bp]?.parent ?? -1;
  const parentLabel = parentPid >= 0 ? catalog.labelText(catalog.paths[parentPid]?.label ?? 0) : '';
  const upper = rootText(ctx, bp);
  const from = parentPid >= 0 ? labelOfPath(ctx, parentPid).service : '';
  const to = labelOfPath(ctx, cp).service;
  const spansB = ctx.b.paths.get(bp)?.spans ?? 0;
  if (!sure) {
    ctx.findings.push({
      severity: 'info',
      code: 'TRACES_SPLIT',
      root: upper,
      path: catalog.pathText(bp),
      message: `${lower} starts ${num(traces)} trace(s) of its own in the candidate, while in the baseline it ran inside ${upper} under ${parentLabel}; fewer than ${MISSING_EXPECTED} such traces can be a caller that is not instrumented (or not sampled) rather than broken propagation.`,
    });
    return;
  }
  ctx.splitFailed.add(upper);
  ctx.findings.push({
    severity: 'fail',
    code: 'TRACES_SPLIT',
    root: upper,
    path: catalog.pathText(bp),
    message: `Traces are split in two: ${lower} starts ${num(traces)} trace(s) of its own in the candidate, while in the baseline it ran inside ${upper} under ${parentLabel} (${num(spansB)} span(s)); the trace context is not propagated${from !== '' && from !== to ? ` from ${from} to ${to}` : ''}.`,
    fix: `inject the context where ${from || 'the caller'} sends the request (propagation.inject(context, headers), or tracer.inject(span.context(), FORMAT_HTTP_HEADERS, headers) with OpenTracing) and extract it where ${to || 'the callee'} receives it (propagation.extract / tracer.extract), with the same propagator on both sides (W3C traceparent, B3 or Jaeger headers)`,
  });
}

// ---------------------------------------------------------------- per root

function emptyDiff(label: string): PathDiff {
  return { label, path: label, status: 'both', synthetic: false, children: [] };
}

function compareRoot(ctx: Ctx, bp: number, cp: number, status: RootComparison['status']): RootComparison {
  const { catalog } = ctx;
  const ra = bp >= 0 ? ctx.b.roots.get(bp) : undefined;
  const rc = cp >= 0 ? ctx.c.roots.get(cp) : undefined;
  const nB = ra?.traces ?? 0;
  const nC = rc?.traces ?? 0;
  const rootLabel = catalog.pathText(bp >= 0 ? bp : cp);
  const before = ctx.findings.length;

  if (status === 'kind') {
    const bl = labelOfPath(ctx, bp);
    const cl = labelOfPath(ctx, cp);
    ctx.findings.push({
      severity: 'fail',
      code: 'KIND_CHANGED',
      root: rootLabel,
      path: rootLabel,
      message: `The root span ${rootLabel} is now ${cl.kind} in the candidate (${bl.kind} -> ${cl.kind}).`,
      fix: kindFix(bl.kind),
    });
  }
  if (status === 'baseline') {
    const expected =
      ctx.c.integrity.traces > 0 ? (nB / Math.max(1, ctx.b.integrity.traces)) * ctx.c.integrity.traces : 0;
    const sure = expected >= MISSING_EXPECTED;
    ctx.findings.push({
      severity: sure ? 'fail' : 'info',
      code: 'ROOT_MISSING',
      root: rootLabel,
      message: `${rootLabel} started ${num(nB)} baseline trace(s) and none in the candidate${sure ? '' : ` (about ${expected.toFixed(1)} expected, so this can be chance)`}.`,
      ...(sure
        ? {
            fix: `instrument the entry point ${rootLabel} in the new code (server/consumer instrumentation for it is not active)`,
          }
        : {}),
    });
  }
  const splitFromRoot = status === 'candidate' && ctx.splitRoots.has(rootLabel);
  if (status === 'candidate' && !splitFromRoot) {
    const expected =
      ctx.b.integrity.traces > 0 ? (nC / Math.max(1, ctx.c.integrity.traces)) * ctx.b.integrity.traces : 0;
    ctx.findings.push({
      severity: expected >= MISSING_EXPECTED ? 'warn' : 'info',
      code: 'ROOT_ADDED',
      root: rootLabel,
      message: `${rootLabel} starts ${num(nC)} candidate trace(s) and none in the baseline.`,
      fix: `if the new instrumentation traces an entry point the old one did not, accept it; if these spans used to run inside other traces, check context propagation into ${labelOfPath(ctx, cp).service}`,
    });
  }
  const syntheticRoot = labelOfPath(ctx, bp >= 0 ? bp : cp).kind === 'SYNTHETIC';
  if (
    (status === 'both' || status === 'kind' || status === 'renamed') &&
    !syntheticRoot &&
    (nB < ctx.o.minTraces || nC < ctx.o.minTraces)
  ) {
    ctx.findings.push({
      severity: 'warn',
      code: 'TOO_FEW_TRACES',
      root: rootLabel,
      message: `${rootLabel} has ${num(nB)} baseline and ${num(nC)} candidate trace(s); at least ${ctx.o.minTraces} per side are needed to judge rates and latency.`,
      fix: 'collect traces over a longer window or with a higher sampling rate',
    });
  }

  const budget = { left: ctx.maxTreeNodes, truncated: 0 };
  const structuralBefore = ctx.findings.length;
  ctx.labelMap.clear();
  const tree = align(ctx, bp, cp, status, nB, nC, rootLabel, budget, false, true) ?? emptyDiff(rootLabel);
  const structural =
    ctx.findings.slice(structuralBefore).some((f) => f.severity === 'fail' && STRUCTURAL_CODES.has(f.code)) ||
    ctx.splitFailed.has(rootLabel);

  // Shape mix, the candidate's shapes read with the baseline's labels where the alignment paired a kind change or a
  // rename (those are reported per path; they must not also fail the mix).
  const shapesC = rc === undefined ? undefined : mappedShapes(ctx, rc.shapes);
  const exemplarsC = rc === undefined ? undefined : mappedExemplars(ctx, rc.exemplars);
  const shapeIds = new Set<number>([...(ra?.shapes.keys() ?? []), ...(shapesC?.keys() ?? [])]);
  const rows = [...shapeIds].map((s) => {
    const nb = ra?.shapes.get(s) ?? 0;
    const nc = shapesC?.get(s) ?? 0;
    return { s, nb, nc, share: (nB > 0 ? nb / nB : 0) + (nC > 0 ? nc / nC : 0) };
  });
  rows.sort((x, y) => y.share - x.share || x.s - y.s);
  let distance = 0;
  for (const r of rows) distance += Math.abs((nB > 0 ? r.nb / nB : 0) - (nC > 0 ? r.nc / nC : 0));
  distance = nB === 0 || nC === 0 ? 1 : distance / 2;
  // G-test over the shapes covering 95% of the combined share (at most 20) plus the rest pooled.
  const top: number[][] = [[], []];
  let covered = 0;
  const totalShare = (nB > 0 ? 1 : 0) + (nC > 0 ? 1 : 0);
  let restB = 0;
  let restC = 0;
  for (const r of rows) {
    if (covered < 0.95 * totalShare && (top[0] as number[]).length < 20) {
      (top[0] as number[]).push(r.nb);
      (top[1] as number[]).push(r.nc);
      covered += r.share;
    } else {
      restB += r.nb;
      restC += r.nc;
    }
  }
  (top[0] as number[]).push(restB);
  (top[1] as number[]).push(restC);
  const g = gTest(top[0] as number[], top[1] as number[]);
  if (nB > 0 && nC > 0 && g.p < ctx.o.alpha && distance > ctx.o.minShapeDistance) {
    let gained = rows[0];
    let lost = rows[0];
    let gainedD = 0;
    let lostD = 0;
    for (const r of rows) {
      const d = r.nc / nC - r.nb / nB;
      if (d > gainedD) {
        gainedD = d;
        gained = r;
      }
      if (-d > lostD) {
        lostD = -d;
        lost = r;
      }
    }
    ctx.findings.push({
      severity: structural ? 'info' : 'fail',
      code: 'SHAPE_MIX_CHANGED',
      root: rootLabel,
      message: `The shape mix of ${rootLabel} changed by ${pct(distance)} (total variation, G-test p=${g.p.toExponential(1)})${
        lost !== undefined && lostD > 0
          ? `; shape ${catalog.shapeText(lost.s, 160)} went from ${pct(lost.nb / nB)} to ${pct(lost.nc / nC)}`
          : ''
      }${
        gained !== undefined && gainedD > 0
          ? `; shape ${catalog.shapeText(gained.s, 160)} went from ${pct(gained.nb / nB)} to ${pct(gained.nc / nC)}`
          : ''
      }${structural ? ' (this follows from the path changes reported for it)' : ''}.`,
      ...(structural
        ? {}
        : {
            fix: 'the same spans occur in other combinations: compare the shapes in the report and check conditional instrumentation (spans created only on some code paths, or only for the first loop iteration)',
          }),
    });
  }
  // A root operation with a small share of the traces cannot make the overall verdict inconclusive: its
  // inconclusive findings become notes (its own verdict still says INCONCLUSIVE).
  const share = (nB + nC) / Math.max(1, ctx.b.integrity.traces + ctx.c.integrity.traces);
  if (share < MINOR_ROOT_SHARE) {
    for (let i = before; i < ctx.findings.length; i++) {
      const f = ctx.findings[i] as TraceFinding;
      if (f.root !== rootLabel || !INCONCLUSIVE_CODES.has(f.code) || f.severity !== 'warn') continue;
      ctx.findings[i] = {
        ...f,
        severity: 'info',
        message: `${f.message} This root operation has ${pct(share)} of the traces (below ${pct(MINOR_ROOT_SHARE)}), so it does not decide the overall verdict.`,
      };
    }
  }
  const shapes: ShapeRow[] = rows.slice(0, 12).map((r) => ({
    shape: catalog.shapeText(r.s),
    baseline: r.nb,
    candidate: r.nc,
    exemplars: [...(exemplarsC?.get(r.s) ?? []), ...(ra?.exemplars.get(r.s) ?? [])].slice(0, 3),
  }));

  return {
    root: rootLabel,
    ...(status === 'kind' || status === 'renamed' ? { candidateRoot: catalog.pathText(cp) } : {}),
    status,
    verdict: verdictOf(
      ctx.findings.slice(before).filter((f) => f.root === rootLabel),
      true,
    ),
    baselineTraces: nB,
    candidateTraces: nC,
    shapeMix: { distance, pValue: g.p, shapes, distinctShapes: rows.length },
    tree,
    truncatedNodes: budget.truncated,
  };
}

/** A candidate shape id with its labels mapped through ctx.labelMap (memoized per call). */
function mapShape(ctx: Ctx, s: number, memo: Map<number, number>): number {
  const hit = memo.get(s);
  if (hit !== undefined) return hit;
  const info = ctx.catalog.shapes[s];
  if (info === undefined) return s;
  const kids: number[] = [];
  let changed = false;
  for (const k of info.kids) {
    const m = mapShape(ctx, k.shape, memo);
    if (m !== k.shape) changed = true;
    kids.push(m);
    if (k.many) kids.push(m);
  }
  const label = ctx.labelMap.get(info.label) ?? info.label;
  const out = changed || label !== info.label ? ctx.catalog.shape(label, kids) : s;
  memo.set(s, out);
  return out;
}

function mappedShapes(ctx: Ctx, shapes: ReadonlyMap<number, number>): ReadonlyMap<number, number> {
  if (ctx.labelMap.size === 0) return shapes;
  const memo = new Map<number, number>();
  const out = new Map<number, number>();
  for (const [s, n] of shapes) {
    const m = mapShape(ctx, s, memo);
    out.set(m, (out.get(m) ?? 0) + n);
  }
  return out;
}

function mappedExemplars(ctx: Ctx, ex: ReadonlyMap<number, string[]>): ReadonlyMap<number, string[]> {
  if (ctx.labelMap.size === 0) return ex;
  const memo = new Map<number, number>();
  const out = new Map<number, string[]>();
  for (const [s, ids] of ex) {
    const m = mapShape(ctx, s, memo);
    out.set(m, [...(out.get(m) ?? []), ...ids].slice(0, 3));
  }
  return out;
}

const STRUCTURAL_CODES: ReadonlySet<string> = new Set([
  'PATH_MISSING',
  'PATH_ADDED',
  'PATH_RATE_CHANGED',
  'KIND_CHANGED',
  'TRACES_SPLIT',
  'OPERATION_RENAMED',
]);

function kindFix(was: string): string {
  return `create the span with kind ${was} again (OpenTelemetry sets the kind at creation: tracer.startSpan(name, { kind: SpanKind.${was} })); OpenTracing code carried it in the span.kind tag`;
}

// ---------------------------------------------------------------- per path

function sideStats(acc: PathAcc | undefined, rootTraces: number): PathSideStats | undefined {
  if (acc === undefined) return undefined;
  let p50: number | null = null;
  let p90: number | null = null;
  if (acc.durations.length > 0) {
    const sorted = Float64Array.from(acc.durations).sort();
    p50 = quantileSorted(sorted, 0.5);
    p90 = quantileSorted(sorted, 0.9);
  }
  return {
    traces: acc.traces,
    presence: rootTraces > 0 ? acc.traces / rootTraces : 0,
    spans: acc.spans,
    perTrace: acc.traces > 0 ? acc.spans / acc.traces : 0,
    errorRate: acc.spans > 0 ? acc.errors / acc.spans : 0,
    p50Ms: p50,
    p90Ms: p90,
    boundary: acc.boundary,
    orphans: acc.orphans,
  };
}

/**
 * Aligns the baseline path `bp` with the candidate path `cp` (either may be -1) and recurses into their children.
 * Returns the diff node, or undefined when the tree budget is spent (findings are still produced).
 */
function align(
  ctx: Ctx,
  bp: number,
  cp: number,
  status: PathDiffStatus,
  nB: number,
  nC: number,
  root: string,
  budget: { left: number; truncated: number },
  quiet: boolean,
  isRoot: boolean,
  splitTo?: string,
): PathDiff | undefined {
  const { catalog } = ctx;
  const accB = bp >= 0 ? ctx.b.paths.get(bp) : undefined;
  const accC = cp >= 0 ? ctx.c.paths.get(cp) : undefined;
  const lb = bp >= 0 ? labelOfPath(ctx, bp) : undefined;
  const lc = cp >= 0 ? labelOfPath(ctx, cp) : undefined;
  const label = catalog.labelText(catalog.paths[bp >= 0 ? bp : cp]?.label ?? 0);
  const pathText = catalog.pathText(bp >= 0 ? bp : cp);
  const synthetic = (lb ?? lc)?.kind === 'SYNTHETIC';
  const split = splitTo ?? (bp >= 0 ? ctx.splitAt.get(bp) : undefined);
  let childQuiet = quiet;
  let latency: LatencyComparison | undefined;

  if ((status === 'kind' || status === 'renamed') && lb !== undefined && lc !== undefined) {
    const bl = catalog.paths[bp]?.label ?? -1;
    const cl = catalog.paths[cp]?.label ?? -1;
    if (bl >= 0 && cl >= 0 && !ctx.labelMap.has(cl)) ctx.labelMap.set(cl, bl);
  }
  if (!quiet) {
    switch (status) {
      case 'both':
      case 'kind':
      case 'renamed': {
        if (!isRoot && status === 'kind' && lb !== undefined && lc !== undefined) {
          ctx.findings.push({
            severity: 'fail',
            code: 'KIND_CHANGED',
            root,
            path: pathText,
            message: `${label} is now ${lc.kind} in the candidate (${lb.kind} -> ${lc.kind}${
              (accB?.kindFromTag ?? 0) > 0 ? `; the baseline's kind came from its span.kind tag` : ''
            }).`,
            fix: kindFix(lb.kind),
          });
        }
        if (status === 'renamed' && lc !== undefined) {
          ctx.findings.push({
            severity: 'warn',
            code: 'OPERATION_RENAMED',
            root,
            path: pathText,
            message: `${label} appears to be named ${catalog.labelText(catalog.paths[cp]?.label ?? 0)} in the candidate (the only unmatched ${lc.kind} span of ${lc.service} ${isRoot ? 'starting traces' : 'under the same parent'}).`,
            fix: `rename the span back (span.updateName) or update dashboards and alerts that select on the span name "${lb?.op ?? ''}"`,
          });
        }
        if (accB !== undefined && accC !== undefined && !synthetic)
          latency = pathChecks(ctx, accB, accC, nB, nC, root, pathText, label, isRoot, lb?.service ?? '');
        break;
      }
      case 'baseline': {
        if (split !== undefined || synthetic || nC === 0 || isRoot) {
          childQuiet = true;
          break;
        }
        const q = accB !== undefined && nB > 0 ? accB.traces / nB : 0;
        const expected = q * nC;
        const sure = expected >= MISSING_EXPECTED;
        ctx.findings.push({
          severity: sure ? 'fail' : 'info',
          code: 'PATH_MISSING',
          root,
          path: pathText,
          message: `${label} occurred in ${pct(q)} of the baseline's ${num(nB)} traces and in none of the candidate's ${num(nC)}${
            sure ? '' : ` (about ${expected.toFixed(1)} expected, so this can be chance)`
          }.`,
          ...(sure
            ? {
                fix: `create this ${lb?.kind ?? ''} span in ${lb?.service ?? ''} again (its instrumentation is not active in the new code), or allow-list its absence`,
              }
            : {}),
        });
        childQuiet = true;
        break;
      }
      case 'candidate': {
        if (synthetic || nB === 0 || isRoot) {
          childQuiet = true;
          break;
        }
        const q = accC !== undefined && nC > 0 ? accC.traces / nC : 0;
        const expected = q * nB;
        ctx.findings.push({
          severity: expected >= MISSING_EXPECTED ? 'warn' : 'info',
          code: 'PATH_ADDED',
          root,
          path: pathText,
          message: `${label} occurs in ${pct(q)} of the candidate's ${num(nC)} traces and in none of the baseline's ${num(nB)}.`,
          fix: 'new spans are often extra detail from auto-instrumentation; if it replaces a span that is reported missing, they may be one operation under a new name',
        });
        childQuiet = true;
        break;
      }
      default: {
        const never: never = status;
        throw new Error(`unknown path status ${String(never)}`);
      }
    }
    // Spans that cross services without client/server kinds, on the candidate side.
    if (accC !== undefined && accC.boundary > 0 && !synthetic) {
      const rb = accB !== undefined && accB.spans > 0 ? accB.boundary / accB.spans : 0;
      const rcRate = accC.boundary / accC.spans;
      const newHere = accB === undefined || accB.boundary === 0 || rcRate - rb > ctx.o.minRateChange;
      ctx.findings.push({
        severity: newHere ? 'fail' : 'info',
        code: 'INTERNAL_AT_BOUNDARY',
        root,
        path: pathText,
        message: `${pct(rcRate)} of the candidate's ${label} spans are reached across a process boundary without CLIENT/SERVER (or PRODUCER/CONSUMER) kinds (${accC.boundaryExample})${
          newHere ? '' : `; the baseline had ${pct(rb)}`
        }.`,
        ...(newHere
          ? {
              fix: 'the span that makes the outgoing call must be CLIENT (or PRODUCER) and the span that receives it SERVER (or CONSUMER); set kind at span creation',
            }
          : {}),
      });
    }
  }

  let node: PathDiff | undefined;
  const children: PathDiff[] = [];
  if (budget.left > 0) {
    budget.left--;
    const bStats = sideStats(accB, nB);
    const cStats = sideStats(accC, nC);
    node = {
      label,
      ...((status === 'kind' || status === 'renamed') && cp >= 0
        ? { candidateLabel: catalog.labelText(catalog.paths[cp]?.label ?? 0) }
        : {}),
      path: pathText,
      status,
      ...(split !== undefined ? { splitTo: split } : {}),
      synthetic,
      ...(bStats !== undefined ? { baseline: bStats } : {}),
      ...(cStats !== undefined ? { candidate: cStats } : {}),
      ...(latency !== undefined ? { latency } : {}),
      children,
    };
  } else budget.truncated++;

  for (const pair of alignChildren(ctx, bp, cp)) {
    const childStatus: PathDiffStatus =
      status === 'baseline' ? 'baseline' : status === 'candidate' ? 'candidate' : pair.status;
    const d = align(ctx, pair.b, pair.c, childStatus, nB, nC, root, budget, childQuiet, false, split);
    if (d !== undefined && node !== undefined) children.push(d);
  }
  return node;
}

function alignChildren(ctx: Ctx, bp: number, cp: number): { b: number; c: number; status: PathDiffStatus }[] {
  const { catalog } = ctx;
  const kb = bp >= 0 ? (ctx.kidsB.get(bp) ?? []) : [];
  const kc = cp >= 0 ? (ctx.kidsC.get(cp) ?? []) : [];
  const out: { b: number; c: number; status: PathDiffStatus; weight: number }[] = [];
  const byLabel = new Map<number, number>();
  for (const c of kc) byLabel.set(catalog.paths[c]?.label ?? -1, c);
  const ub: number[] = [];
  const weight = (b: number, c: number): number =>
    (ctx.b.paths.get(b)?.traces ?? 0) + (ctx.c.paths.get(c)?.traces ?? 0);
  for (const b of kb) {
    const c = byLabel.get(catalog.paths[b]?.label ?? -1);
    if (c !== undefined) {
      out.push({ b, c, status: 'both', weight: weight(b, c) });
      byLabel.delete(catalog.paths[b]?.label ?? -1);
    } else ub.push(b);
  }
  const uc = new Set(byLabel.values());
  // Same service and operation, another kind.
  const ucByOp = new Map<string, number[]>();
  for (const c of uc) {
    const cl = labelOfPath(ctx, c);
    if (cl.kind === 'SYNTHETIC') continue;
    const k = `${cl.service}\t${cl.op}`;
    const list = ucByOp.get(k);
    if (list === undefined) ucByOp.set(k, [c]);
    else list.push(c);
  }
  const paired = new Set<number>();
  for (let i = ub.length - 1; i >= 0; i--) {
    const bl = labelOfPath(ctx, ub[i] as number);
    if (bl.kind === 'SYNTHETIC') continue;
    const c = ucByOp.get(`${bl.service}\t${bl.op}`)?.find((x) => uc.has(x));
    if (c !== undefined) {
      out.push({ b: ub[i] as number, c, status: 'kind', weight: weight(ub[i] as number, c) });
      uc.delete(c);
      paired.add(ub[i] as number);
    }
  }
  // One unmatched span of the same service and kind on each side: a rename.
  const groupKey = (l: SpanLabel): string => `${l.service}\t${l.kind}`;
  const gb = new Map<string, number[]>();
  const gc = new Map<string, number[]>();
  for (const b of ub) {
    if (paired.has(b)) continue;
    const l = labelOfPath(ctx, b);
    if (l.kind === 'SYNTHETIC') continue;
    const k = groupKey(l);
    const list = gb.get(k);
    if (list === undefined) gb.set(k, [b]);
    else list.push(b);
  }
  for (const c of uc) {
    const l = labelOfPath(ctx, c);
    if (l.kind === 'SYNTHETIC') continue;
    const k = groupKey(l);
    const list = gc.get(k);
    if (list === undefined) gc.set(k, [c]);
    else list.push(c);
  }
  for (const [k, bs] of gb) {
    const cs = gc.get(k);
    if (bs.length === 1 && cs !== undefined && cs.length === 1) {
      const b = bs[0] as number;
      const c = cs[0] as number;
      out.push({ b, c, status: 'renamed', weight: weight(b, c) });
      paired.add(b);
      uc.delete(c);
    }
  }
  for (const b of ub)
    if (!paired.has(b)) out.push({ b, c: -1, status: 'baseline', weight: ctx.b.paths.get(b)?.traces ?? 0 });
  for (const c of uc) out.push({ b: -1, c, status: 'candidate', weight: ctx.c.paths.get(c)?.traces ?? 0 });
  out.sort((x, y) => y.weight - x.weight || (x.b >= 0 ? x.b : x.c) - (y.b >= 0 ? y.b : y.c));
  return out;
}

/** Rate, status, attribute and latency checks of one path present on both sides. */
function pathChecks(
  ctx: Ctx,
  accB: PathAcc,
  accC: PathAcc,
  nB: number,
  nC: number,
  root: string,
  pathText: string,
  label: string,
  isRoot: boolean,
  service: string,
): LatencyComparison {
  const { o } = ctx;
  const enough = nB >= o.minTraces && nC >= o.minTraces;
  // Presence per trace.
  if (!isRoot && enough) {
    const qB = accB.traces / nB;
    const qC = accC.traces / nC;
    const p = twoProportionP(accB.traces, nB, accC.traces, nC);
    if (Math.abs(qC - qB) > o.minRateChange && p < o.alpha) {
      ctx.findings.push({
        severity: 'fail',
        code: 'PATH_RATE_CHANGED',
        root,
        path: pathText,
        message: `${label} occurs in ${pct(qC)} of candidate traces instead of ${pct(qB)} (p=${p.toExponential(1)}).`,
        fix: 'the span is created on fewer (or more) requests than before: check the conditions around its instrumentation and sampling of that service',
      });
    }
    // Loop iterations per trace.
    if (accB.traces >= 10 && accC.traces >= 10) {
      const rB = accB.spans / accB.traces;
      const rC = accC.spans / accC.traces;
      const ratio = rC / rB;
      if (ratio >= 2 || ratio <= 0.5) {
        ctx.findings.push({
          severity: 'warn',
          code: 'PATH_COUNT_CHANGED',
          root,
          path: pathText,
          message: `${label} occurs ${rC.toFixed(2)} times per trace instead of ${rB.toFixed(2)} (where it occurs).`,
          fix: 'a span per loop iteration became one per batch (or the reverse), or an N+1 query appeared',
        });
      }
    }
  }
  // Error status.
  if (accB.spans > 0 && accC.spans > 0) {
    const eB = accB.errors / accB.spans;
    const eC = accC.errors / accC.spans;
    // Per trace: the spans of one trace fail together (cluster-robust variance, the trace as cluster).
    const p = clusteredProportionP(clustered(accB), clustered(accC));
    if (Math.abs(eC - eB) > Math.min(o.minRateChange, 0.02) && p < o.alpha) {
      ctx.findings.push({
        severity: 'fail',
        code: 'STATUS_CHANGED',
        root,
        path: pathText,
        message: `${pct(eC)} of the candidate's ${label} spans have status ERROR instead of ${pct(eB)} (p=${p.toExponential(1)}).`,
        fix:
          eC < eB
            ? 'failures are no longer marked: call span.setStatus({ code: SpanStatusCode.ERROR }) (and recordException) where the old code set the error tag'
            : 'more spans are marked as errors: check the status mapping (HTTP 4xx is not an error on SERVER spans) and recordException calls',
      });
    }
  }
  attributeChecks(ctx, accB, accC, root, pathText, service);
  return latencyCheck(ctx, accB, accC, root, pathText, label, isRoot);
}

function clustered(acc: PathAcc): { spans: number; starts: readonly number[]; errors: readonly number[] } {
  return { spans: acc.durations.length, starts: acc.traceStarts, errors: acc.traceErrors };
}

function latencyCheck(
  ctx: Ctx,
  accB: PathAcc,
  accC: PathAcc,
  root: string,
  pathText: string,
  label: string,
  isRoot: boolean,
): LatencyComparison {
  const { o } = ctx;
  const tolerance = isRoot ? o.latencyTolerance : o.pathLatencyTolerance;
  const nb = accB.durations.length;
  const nc = accC.durations.length;
  if (nb < o.minLatencySamples || nc < o.minLatencySamples) {
    const note = `${nb} baseline and ${nc} candidate spans; ${o.minLatencySamples} per side are needed`;
    if (isRoot) {
      ctx.findings.push({
        severity: 'warn',
        code: 'LATENCY_INCONCLUSIVE',
        root,
        path: pathText,
        message: `The latency of ${label} cannot be judged: ${note}.`,
        fix: 'collect more traces of this operation',
      });
    }
    return { verdict: 'INCONCLUSIVE', tolerance, p50Ratio: null, p50Ci: null, p90Ratio: null, p90Ci: null, note };
  }
  const sb = Float64Array.from(accB.durations).sort();
  const sc = Float64Array.from(accC.durations).sort();
  const z = 1.644854; // 90% interval: two one-sided 5% tests
  const band = Math.log(1 + tolerance);
  // Spans repeated within a trace share its load: their standard error comes from resampling traces, not spans.
  const qs = [0.5, 0.9];
  const bootB =
    nb > accB.traceStarts.length ? clusterBootstrapLogQuantileSe(accB.durations, accB.traceStarts, qs) : [0, 0];
  const bootC =
    nc > accC.traceStarts.length ? clusterBootstrapLogQuantileSe(accC.durations, accC.traceStarts, qs) : [0, 0];
  const one = (q: number): { ratio: number; ci: [number, number]; verdict: LatencyComparison['verdict'] } => {
    const a = logQuantile(sb, q);
    const b = logQuantile(sc, q);
    const d = b.est - a.est;
    const i = qs.indexOf(q);
    const seB = Math.max(a.se, bootB[i] ?? 0);
    const seC = Math.max(b.se, bootC[i] ?? 0);
    const se = Math.sqrt(seB * seB + seC * seC);
    const lo = d - z * se;
    const hi = d + z * se;
    const verdict = lo >= -band && hi <= band ? 'EQUIVALENT' : lo > band || hi < -band ? 'DIFFERENT' : 'INCONCLUSIVE';
    return { ratio: Math.exp(d), ci: [Math.exp(lo), Math.exp(hi)], verdict };
  };
  const m = one(0.5);
  const t = one(0.9);
  const verdict =
    m.verdict === 'DIFFERENT' || t.verdict === 'DIFFERENT'
      ? 'DIFFERENT'
      : m.verdict === 'EQUIVALENT' && t.verdict === 'EQUIVALENT'
        ? 'EQUIVALENT'
        : 'INCONCLUSIVE';
  const fmt = (x: number): string => `×${x.toFixed(2)}`;
  const desc = `p50 ${fmt(m.ratio)} [${fmt(m.ci[0])}, ${fmt(m.ci[1])}], p90 ${fmt(t.ratio)} [${fmt(t.ci[0])}, ${fmt(t.ci[1])}]`;
  if (verdict === 'DIFFERENT') {
    ctx.findings.push({
      severity: 'fail',
      code: 'LATENCY_CHANGED',
      root,
      path: pathText,
      message: `The duration of ${label} changed beyond ±${pct(tolerance)}: ${desc} (candidate/baseline, 90% CI).`,
      fix: 'if the work is the same, the span now starts or ends elsewhere (e.g. before/after serialization or connection setup); otherwise the new code is slower or faster. A unit mix-up (ms vs s) shows as ×1000',
    });
  } else if (verdict === 'INCONCLUSIVE' && isRoot) {
    ctx.findings.push({
      severity: 'warn',
      code: 'LATENCY_INCONCLUSIVE',
      root,
      path: pathText,
      message: `The duration of ${label} could not be shown to be within ±${pct(tolerance)}: ${desc} (candidate/baseline, 90% CI).`,
      fix: 'collect more traces (the interval narrows with more samples) or widen latencyTolerance if this spread is acceptable',
    });
  }
  return { verdict, tolerance, p50Ratio: m.ratio, p50Ci: m.ci, p90Ratio: t.ratio, p90Ci: t.ci };
}

// ---------------------------------------------------------------- attributes

/**
 * Profiles `size` spans of the path's attribute sample (evenly spread over it): both sides are profiled at the same size,
 * since distinct-value counts grow with the sample.
 */
function sampleProfiles(acc: PathAcc, size: number): AttrKeyProfile[] {
  const p = new AttrProfiler();
  const n = acc.attrSample.length;
  const k = Math.min(n, size);
  for (let i = 0; i < k; i++) p.add(acc.attrSample[Math.floor((i * n) / k)] as readonly KeyValue[]);
  return p.profiles();
}

function resourceProfiles(acc: PathAcc, resources: readonly (readonly KeyValue[])[]): AttrKeyProfile[] {
  const keys = new Map<string, { types: Set<AttrValueType>; values: Set<string>; present: number }>();
  for (const [rs, count] of acc.resources) {
    for (const kv of resources[rs] ?? []) {
      let k = keys.get(kv.key);
      if (k === undefined) {
        k = { types: new Set(), values: new Set(), present: 0 };
        keys.set(kv.key, k);
      }
      k.present += count;
      k.types.add(valueType(kv.value));
      k.values.add(resourceValueText(kv.value));
    }
  }
  return [...keys]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key, k]) => ({
      key,
      where: 'resource' as const,
      types: [...k.types].sort(),
      distinct: k.values.size,
      present: k.present,
      total: acc.spans,
    }));
}

function resourceValueText(v: KeyValue['value']): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `bytes:${Array.from(v).join(',')}`;
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? '';
}

/** `service`: the service of the path's spans, for reporting a resource attribute once per service. */
function attributeChecks(
  ctx: Ctx,
  accB: PathAcc,
  accC: PathAcc,
  root: string,
  pathText: string,
  service: string,
): void {
  if (accB.spans === 0 || accC.spans === 0) return;
  const size = Math.min(accB.attrSample.length, accC.attrSample.length);
  const bp = [...sampleProfiles(accB, size), ...resourceProfiles(accB, ctx.b.resources)];
  const cp = [...sampleProfiles(accC, size), ...resourceProfiles(accC, ctx.c.resources)];
  const byKeyB = new Map(bp.map((p) => [`${p.where}\0${p.key}`, p]));
  const byKeyC = new Map(cp.map((p) => [`${p.where}\0${p.key}`, p]));
  const found = compareAttributes(bp, cp, {
    subject: { kind: 'span', name: pathText },
    renames: ctx.renames,
    allow: ctx.allow,
  });
  for (const f of found) {
    if (f.status === 'OK' || f.status === 'ALLOWED' || f.status === 'RENAMED') continue;
    const fromB = byKeyB.get(`attribute\0${f.key}`) ?? byKeyB.get(`resource\0${f.key}`);
    const fromC = byKeyC.get(`attribute\0${f.key}`) ?? byKeyC.get(`resource\0${f.key}`);
    const where: 'attribute' | 'resource' =
      f.status === 'ADDED' ? (fromC?.where ?? 'attribute') : (fromB?.where ?? fromC?.where ?? 'attribute');
    let severity = attrSeverity(f.status);
    let note = '';
    // A key on few spans can be absent from a sample by chance: only call it missing/added when chance is unlikely.
    if (f.status === 'MISSING' && fromB !== undefined) {
      const share = fromB.present / Math.max(1, fromB.total);
      if ((1 - share) ** size > ctx.o.alpha) {
        severity = 'info';
        note = ' Its absence can be chance at this sample size.';
      }
    }
    if (f.status === 'ADDED' && fromC !== undefined) {
      const share = fromC.present / Math.max(1, fromC.total);
      if ((1 - share) ** size > ctx.o.alpha) {
        severity = 'info';
        note = ' Its absence from the baseline can be chance at this sample size.';
      }
    }
    if (where === 'resource') {
      const seenKey = `${service}\0${f.key}\0${f.status}`;
      if (ctx.resourceSeen.has(seenKey)) continue;
      ctx.resourceSeen.add(seenKey);
    }
    ctx.findings.push(attributeFinding(f, severity, note, root, pathText, where));
  }
}

function attributeFinding(
  f: AttrFinding,
  severity: 'fail' | 'warn' | 'info',
  note: string,
  root: string,
  pathText: string,
  where: 'attribute' | 'resource',
): TraceFinding {
  return {
    severity,
    code: 'ATTRIBUTE',
    root,
    path: pathText,
    message: `${f.status}: ${f.detail}${note}`,
    ...(f.fix !== undefined ? { fix: f.fix } : {}),
    attribute: {
      key: f.key,
      status: f.status,
      ...(f.candidateKey !== undefined ? { candidateKey: f.candidateKey } : {}),
      where,
    },
  };
}

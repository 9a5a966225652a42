// `switchyard verify`: reads two sides, normalizes, compares metrics (and traces through ./traces/), builds the report.
import { ALLOW_PACKS } from './attributes.js';
import {
  emptySet,
  type InputIssue,
  readJsonLines,
  splitBy,
  splitValues,
  type TelemetrySet,
  VerifyInputError,
} from './input.js';
import { compareMetrics, DEFAULT_METRICS_OPTIONS, type MetricsComparison, type Rule } from './metrics.js';
import { addPack, type RenameRules, type StatsdMappingRule } from './normalize.js';
import { extractFamilies } from './series.js';
import { compareTraces, renderTracesHtml, renderTracesText, type TraceComparison } from './traces/index.js';

export const REPORT_SCHEMA_VERSION = 1;

export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

/** The trace part, as produced by ./traces/ (JSON-serialisable). */
export type TraceComparisonLike = TraceComparison;

/** The trace comparison's entry points (an interface so reports can be rendered without importing it twice). */
export interface TracesModule {
  readonly compareTraces: typeof compareTraces;
  readonly renderTracesText: typeof renderTracesText;
  readonly renderTracesHtml: typeof renderTracesHtml;
}

/** The trace comparison module (kept behind a function so callers do not depend on its layout). */
export async function loadTraces(): Promise<TracesModule | undefined> {
  return { compareTraces, renderTracesText, renderTracesHtml };
}

export type SourceSpec =
  | { readonly kind: 'files'; readonly baseline: string; readonly candidate: string }
  | {
      readonly kind: 'split';
      readonly files: readonly string[];
      readonly key: string;
      readonly baseline: string;
      readonly candidate: string;
    }
  | {
      readonly kind: 'sets';
      readonly baseline: TelemetrySet;
      readonly candidate: TelemetrySet;
      readonly label?: string;
    };

export interface VerifyOptions {
  readonly source: SourceSpec;
  readonly rules: RenameRules;
  readonly mapping?: readonly StatsdMappingRule[];
  readonly units?: readonly { readonly glob: string; readonly unit: string }[];
  readonly tolerance?: number;
  readonly toleranceFor?: readonly { readonly glob: string; readonly tolerance: number }[];
  readonly critical?: readonly string[];
  readonly allow?: readonly string[];
  readonly allowPacks?: readonly string[];
  readonly rule?: Rule;
  readonly step?: number;
  readonly alpha?: number;
  readonly q?: number;
  readonly minPoints?: number;
  readonly latencyTolerance?: number;
  readonly progress?: (message: string) => void;
}

export interface VerifyReport {
  readonly schema_version: number;
  readonly generated: string;
  readonly verdict: Verdict;
  readonly score: number;
  readonly reasons: readonly string[];
  readonly inputs: {
    readonly baseline: string;
    readonly candidate: string;
    readonly splitBy?: string;
    readonly issues: readonly InputIssue[];
  };
  readonly settings: {
    readonly rule: Rule;
    readonly tolerance: number;
    readonly toleranceFor: readonly { readonly glob: string; readonly tolerance: number }[];
    readonly alpha: number;
    readonly q: number;
    readonly attributeRenames: Record<string, string>;
    readonly metricRenames: Record<string, string>;
    readonly allow: readonly string[];
  };
  readonly metrics?: MetricsComparison;
  readonly traces?: TraceComparisonLike;
  /** Why the trace part is absent although spans were given. */
  readonly tracesNote?: string;
}

export function expandAllow(
  allow: readonly string[] = [],
  packs: readonly string[] = ['statsd', 'prometheus', 'jaeger'],
): string[] {
  const out = [...allow];
  for (const p of packs) {
    const pack = ALLOW_PACKS[p];
    if (pack === undefined) {
      throw new VerifyInputError(`unknown allow-list pack "${p}"; known packs: ${Object.keys(ALLOW_PACKS).join(', ')}`);
    }
    out.push(...pack);
  }
  return out;
}

async function loadSides(
  source: SourceSpec,
  progress: (m: string) => void,
): Promise<{ baseline: TelemetrySet; candidate: TelemetrySet; names: [string, string]; splitBy?: string }> {
  switch (source.kind) {
    case 'files': {
      progress(`reading ${source.baseline}`);
      const b = await readJsonLines(source.baseline, emptySet(), (n) => progress(`${source.baseline}: ${n} lines`));
      progress(`reading ${source.candidate}`);
      const c = await readJsonLines(source.candidate, emptySet(), (n) => progress(`${source.candidate}: ${n} lines`));
      // A file none of whose lines could be read is the wrong file or format (Prometheus text, protobuf): an input
      // error, not a verdict (every metric would otherwise be MISSING and the run FAIL).
      for (const [file, r] of [
        [source.baseline, b],
        [source.candidate, c],
      ] as const) {
        if (r.stats.refused > 0 && r.stats.accepted === 0) {
          const first = r.set.issues[0];
          throw new VerifyInputError(
            `${file}: none of its ${r.stats.refused} line(s) is an OTLP JSON request${first !== undefined ? ` (first: ${first.file}:${first.line}: ${first.message})` : ''}`,
          );
        }
      }
      return { baseline: b.set, candidate: c.set, names: [source.baseline, source.candidate] };
    }
    case 'split': {
      const all = emptySet();
      for (const f of source.files) {
        progress(`reading ${f}`);
        await readJsonLines(f, all, (n) => progress(`${f}: ${n} lines`));
      }
      const baseline = splitBy(all, source.key, source.baseline);
      const candidate = splitBy(all, source.key, source.candidate);
      const empty = (s: TelemetrySet): boolean => s.metrics.length === 0 && s.spans.length === 0;
      if (empty(baseline) || empty(candidate)) {
        const seen = splitValues(all, source.key);
        const which = empty(baseline) ? source.baseline : source.candidate;
        throw new VerifyInputError(
          `--split-by ${source.key}: no data has ${source.key}=${which}; values seen: ${seen.length === 0 ? '(the attribute is absent)' : seen.join(', ')}`,
        );
      }
      // Issues were collected once on the whole stream; keep them on one side only.
      baseline.issues.length = 0;
      return {
        baseline,
        candidate,
        names: [`${source.key}=${source.baseline}`, `${source.key}=${source.candidate}`],
        splitBy: source.key,
      };
    }
    case 'sets':
      return { baseline: source.baseline, candidate: source.candidate, names: ['baseline', 'candidate'] };
    default: {
      const never: never = source;
      return never;
    }
  }
}

export async function runVerify(opts: VerifyOptions): Promise<VerifyReport> {
  const progress = opts.progress ?? (() => {});
  const sides = await loadSides(opts.source, progress);
  const allow = opts.allow ?? expandAllow([], opts.allowPacks);
  const issues = [...sides.baseline.issues, ...sides.candidate.issues];
  const hasMetrics = sides.baseline.metrics.length > 0 || sides.candidate.metrics.length > 0;
  const hasSpans = sides.baseline.spans.length > 0 || sides.candidate.spans.length > 0;
  if (!hasMetrics && !hasSpans) {
    throw new VerifyInputError(
      `no metrics or spans in either input${issues.length > 0 ? ` (${issues.length} malformed line(s), first: ${issues[0]?.file}:${issues[0]?.line}: ${issues[0]?.message})` : ''}`,
    );
  }
  const rule = opts.rule ?? 'equivalence';
  const tolerance = opts.tolerance ?? DEFAULT_METRICS_OPTIONS.tolerance;
  let metrics: MetricsComparison | undefined;
  if (hasMetrics) {
    progress('normalizing metrics');
    const ex = {
      rules: opts.rules,
      ...(opts.mapping ? { mapping: opts.mapping } : {}),
      ...(opts.units ? { units: opts.units } : {}),
    };
    const b = extractFamilies(sides.baseline.metrics, ex);
    const c = extractFamilies(sides.candidate.metrics, ex);
    progress(`comparing ${b.families.size} / ${c.families.size} metrics`);
    metrics = compareMetrics(b, c, {
      ...DEFAULT_METRICS_OPTIONS,
      rules: opts.rules,
      tolerance,
      toleranceFor: opts.toleranceFor ?? [],
      critical: opts.critical ?? [],
      allow,
      rule,
      ...(opts.step !== undefined ? { step: opts.step } : {}),
      alpha: opts.alpha ?? DEFAULT_METRICS_OPTIONS.alpha,
      q: opts.q ?? DEFAULT_METRICS_OPTIONS.q,
      minPoints: opts.minPoints ?? DEFAULT_METRICS_OPTIONS.minPoints,
      ...(sides.splitBy !== undefined ? { splitKey: sides.splitBy } : {}),
    });
  }
  let traces: TraceComparisonLike | undefined;
  let tracesNote: string | undefined;
  if (hasSpans) {
    const mod = await loadTraces();
    if (mod === undefined) tracesNote = 'spans were given but the trace comparison is not available in this build';
    else {
      progress('comparing traces');
      traces = mod.compareTraces(sides.baseline.spans, sides.candidate.spans, {
        renames: opts.rules.attributes,
        allowAttributes: allow,
        ...(opts.latencyTolerance !== undefined ? { latencyTolerance: opts.latencyTolerance } : {}),
      });
    }
  }
  const parts: Verdict[] = [];
  if (metrics) parts.push(metrics.verdict);
  if (traces) parts.push(traces.verdict);
  const verdict: Verdict = parts.includes('FAIL')
    ? 'FAIL'
    : parts.includes('INCONCLUSIVE') || parts.length === 0
      ? 'INCONCLUSIVE'
      : 'PASS';
  const reasons = [...(metrics?.reasons ?? [])];
  if (traces) for (const f of traces.findings) if (f.severity === 'fail') reasons.push(`traces: ${f.message}`);
  if (traces && traces.verdict === 'INCONCLUSIVE') reasons.push('traces: inconclusive');
  const score = metrics?.score ?? (traces?.verdict === 'PASS' ? 100 : 0);
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    generated: new Date().toISOString(),
    verdict,
    score: traces?.verdict === 'FAIL' ? Math.min(score, metrics ? score : 0) : score,
    reasons,
    inputs: {
      baseline: sides.names[0],
      candidate: sides.names[1],
      ...(sides.splitBy !== undefined ? { splitBy: sides.splitBy } : {}),
      issues,
    },
    settings: {
      rule,
      tolerance,
      toleranceFor: opts.toleranceFor ?? [],
      alpha: opts.alpha ?? DEFAULT_METRICS_OPTIONS.alpha,
      q: opts.q ?? DEFAULT_METRICS_OPTIONS.q,
      attributeRenames: Object.fromEntries(opts.rules.attributes),
      metricRenames: Object.fromEntries(opts.rules.metrics),
      allow,
    },
    ...(metrics ? { metrics } : {}),
    ...(traces ? { traces } : {}),
    ...(tracesNote !== undefined ? { tracesNote } : {}),
  };
}

export function defaultRules(packs: readonly string[] = ['http']): RenameRules {
  const rules: RenameRules = { metrics: new Map(), attributes: new Map() };
  for (const p of packs) addPack(rules, p);
  return rules;
}

export { VerifyInputError };

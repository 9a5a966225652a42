// `switchyard verify`: argv -> runVerify -> report. Exit codes: 0 pass, 1 fail, 2 inconclusive, 78 usage or input error.
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { readMapping, readSchema } from '../verify/files.js';
import { renderHtml } from '../verify/html.js';
import {
  defaultRules,
  expandAllow,
  loadTraces,
  runVerify,
  type SourceSpec,
  VerifyInputError,
  type VerifyReport,
} from '../verify/index.js';
import type { StatsdMappingRule } from '../verify/normalize.js';
import { fetchPrometheus } from '../verify/prometheus.js';
import { renderJson, renderText } from '../verify/report.js';

export const VERIFY_EXIT = { PASS: 0, FAIL: 1, INCONCLUSIVE: 2, USAGE: 78 } as const;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function pair(flag: string, v: string): [string, string] {
  const i = v.indexOf('=');
  if (i <= 0 || i === v.length - 1) throw new UsageError(`${flag} ${v}: expected NAME=VALUE`);
  return [v.slice(0, i), v.slice(i + 1)];
}

function fraction(flag: string, v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0 && n < 10))
    throw new UsageError(`${flag} ${v}: expected a relative tolerance such as 0.1 (10%)`);
  return n;
}

/** `30s`, `1m`, `500ms`, `2h` or a plain number of seconds. */
export function parseDuration(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (m === null) throw new UsageError(`${flag} ${v}: expected a duration such as 500ms, 30s, 5m`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const f = unit === 'ms' ? 1e-3 : unit === 's' ? 1 : unit === 'm' ? 60 : unit === 'h' ? 3600 : 86400;
  const s = n * f;
  if (!(s > 0)) throw new UsageError(`${flag} ${v}: must be > 0`);
  return s;
}

/** RFC 3339 or unix seconds. */
function parseTime(flag: string, v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`${flag} ${v}: expected RFC 3339 (2026-01-02T15:04:05Z) or unix seconds`);
  return t / 1000;
}

interface Flags {
  baseline?: string;
  candidate?: string;
  input: string[];
  splitBy?: string;
  prometheus?: string;
  match: string[];
  start?: string;
  end?: string;
  step?: string;
  schema: string[];
  mapping?: string;
  pack: string[];
  defaultPacks: boolean;
  renameAttribute: string[];
  renameMetric: string[];
  allowAttribute: string[];
  allowPack: string[];
  unit: string[];
  tolerance: string;
  toleranceFor: string[];
  latencyTolerance?: string;
  critical: string[];
  rule: 'equivalence' | 'sigma';
  format: 'text' | 'json' | 'html';
  out?: string;
  color?: boolean;
  verbose?: boolean;
  q: string;
  alpha: string;
  minPoints: string;
}

function program(): Command {
  return new Command('switchyard verify')
    .description(
      'Compare a baseline and a candidate (metrics and traces) and say whether a migration kept every metric, attribute and trace shape.\n' +
        'Exit codes: 0 pass, 1 fail, 2 inconclusive, 78 usage or input error.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .option(
      '--baseline <file|value>',
      'baseline OTLP JSON lines file (or, with --split-by, the baseline attribute value)',
    )
    .option(
      '--candidate <file|value>',
      'candidate OTLP JSON lines file (or, with --split-by, the candidate attribute value)',
    )
    .option('--input <file>', 'with --split-by: the OTLP JSON lines file(s) holding both sides; repeat', collect, [])
    .option('--split-by <key>', 'one stream split by this resource, scope or point attribute (e.g. service.version)')
    .option('--prometheus <url>', 'read from a Prometheus-compatible query API instead of files')
    .option('--match <selector>', 'with --prometheus: series selector, e.g. \'{job="api"}\'; repeat', collect, [])
    .option('--start <time>', 'with --prometheus: range start (RFC 3339 or unix seconds)')
    .option('--end <time>', 'with --prometheus: range end (RFC 3339 or unix seconds)')
    .option(
      '--step <duration>',
      'common step the series are aligned to (default: the export interval; Prometheus: 15s)',
    )
    .option('--schema <file>', 'OpenTelemetry schema file with attribute/metric renames; repeat', collect, [])
    .option('--mapping <file>', 'statsd_exporter-style mapping file for StatsD-era names')
    .option('--pack <name>', 'built-in rename pack (http, peer); repeat', collect, [])
    .option('--no-default-packs', 'do not apply the http rename pack by default')
    .option('--rename-attribute <old=new>', 'attribute key renamed by the migration; repeat', collect, [])
    .option('--rename-metric <old=new>', 'metric renamed by the migration; repeat', collect, [])
    .option('--allow-attribute <glob>', 'attribute key allowed to appear or disappear; repeat', collect, [])
    .option(
      '--allow-pack <name>',
      'allow-list pack (statsd, prometheus, jaeger); repeat; default all three',
      collect,
      [],
    )
    .option(
      '--unit <glob=unit>',
      'unit of metrics that declare none or the wrong one (e.g. "api.latency=ms"); repeat',
      collect,
      [],
    )
    .option('--tolerance <fraction>', 'equivalence margin on ratios (0.1 = ±10%)', '0.1')
    .option('--tolerance-for <name=fraction>', 'per-metric margin (name glob); repeat', collect, [])
    .option('--latency-tolerance <fraction>', 'trace latency margin per path')
    .option('--critical <name>', 'metric (glob) whose failure fails the run with score 0; repeat', collect, [])
    .addOption(new Option('--rule <rule>', 'decision rule').choices(['equivalence', 'sigma']).default('equivalence'))
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json', 'html']).default('text'))
    .option('--out <file>', 'write the report here instead of stdout')
    .option('--color', 'force colour in the text report')
    .option('--no-color', 'no colour in the text report')
    .option('--verbose', 'text report: list equivalent metrics too')
    .option('--q <fdr>', 'false discovery rate across all series', '0.05')
    .option('--alpha <alpha>', 'TOST level; intervals are (1-2·alpha)', '0.05')
    .option('--min-points <n>', 'fewer aligned steps than this per side: INCONCLUSIVE', '20')
    .allowExcessArguments(false);
}

async function buildSource(f: Flags): Promise<SourceSpec> {
  if (f.prometheus === undefined) {
    // Prometheus-only flags would otherwise be ignored silently and the run would compare something else.
    const stray = [
      ...(f.match.length > 0 ? ['--match'] : []),
      ...(f.start !== undefined ? ['--start'] : []),
      ...(f.end !== undefined ? ['--end'] : []),
    ];
    if (stray.length > 0) throw new UsageError(`${stray.join(', ')} only apply with --prometheus URL`);
  }
  if (f.input.length > 0 && f.splitBy === undefined) {
    throw new UsageError('--input FILE needs --split-by KEY (for two files use --baseline FILE --candidate FILE)');
  }
  if (f.prometheus !== undefined) {
    if (f.splitBy === undefined || f.baseline === undefined || f.candidate === undefined) {
      throw new UsageError('--prometheus needs --split-by LABEL --baseline VALUE --candidate VALUE');
    }
    if (f.match.length === 0) throw new UsageError("--prometheus needs --match '{...}'");
    const end = f.end !== undefined ? parseTime('--end', f.end) : Date.now() / 1000;
    const start = f.start !== undefined ? parseTime('--start', f.start) : end - 3600;
    if (!(start < end)) throw new UsageError('--start must be before --end');
    const step = f.step !== undefined ? parseDuration('--step', f.step) : 15;
    const sets = await fetchPrometheus({
      url: f.prometheus,
      match: f.match,
      start,
      end,
      step,
      splitBy: f.splitBy,
      baseline: f.baseline,
      candidate: f.candidate,
      progress: (m) => process.stderr.write(`verify: ${m}\n`),
    });
    return { kind: 'sets', baseline: sets.baseline, candidate: sets.candidate };
  }
  if (f.splitBy !== undefined) {
    if (f.baseline === undefined || f.candidate === undefined) {
      throw new UsageError('--split-by needs --baseline VALUE and --candidate VALUE');
    }
    if (f.input.length === 0) throw new UsageError('--split-by needs --input FILE (the stream holding both sides)');
    return { kind: 'split', files: f.input, key: f.splitBy, baseline: f.baseline, candidate: f.candidate };
  }
  if (f.baseline === undefined || f.candidate === undefined) {
    throw new UsageError(
      'give --baseline FILE and --candidate FILE (or --input FILE --split-by KEY, or --prometheus URL)',
    );
  }
  return { kind: 'files', baseline: f.baseline, candidate: f.candidate };
}

export async function verifyMain(argv: readonly string[]): Promise<number> {
  const cmd = program();
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : VERIFY_EXIT.USAGE;
    throw e;
  }
  const f = cmd.opts<Flags>();
  const progressOn = process.stderr.isTTY === true || process.env.SWITCHYARD_PROGRESS === '1';
  let lastProgress = 0;
  const progress = (m: string): void => {
    const now = Date.now();
    if (!progressOn || now - lastProgress < 250) return;
    lastProgress = now;
    process.stderr.write(`verify: ${m}\n`);
  };
  try {
    const rules = defaultRules(f.defaultPacks ? ['http', ...f.pack] : f.pack);
    for (const s of f.schema) readSchema(s, rules);
    for (const r of f.renameAttribute) {
      const [a, b] = pair('--rename-attribute', r);
      rules.attributes.set(a, b);
    }
    for (const r of f.renameMetric) {
      const [a, b] = pair('--rename-metric', r);
      rules.metrics.set(a, b);
    }
    const mapping: StatsdMappingRule[] | undefined = f.mapping !== undefined ? readMapping(f.mapping) : undefined;
    const units = f.unit.map((u) => {
      const [glob, unit] = pair('--unit', u);
      return { glob, unit };
    });
    const toleranceFor = f.toleranceFor.map((t) => {
      const [glob, v] = pair('--tolerance-for', t);
      return { glob, tolerance: fraction('--tolerance-for', v) };
    });
    const q = Number(f.q);
    const alpha = Number(f.alpha);
    const minPoints = Number(f.minPoints);
    if (!(q > 0 && q < 1)) throw new UsageError(`--q ${f.q}: expected a rate in (0, 1)`);
    if (!(alpha > 0 && alpha < 0.5)) throw new UsageError(`--alpha ${f.alpha}: expected a level in (0, 0.5)`);
    if (!(Number.isInteger(minPoints) && minPoints >= 3))
      throw new UsageError(`--min-points ${f.minPoints}: expected an integer >= 3`);
    const allow = expandAllow(
      f.allowAttribute,
      f.allowPack.length > 0 ? f.allowPack : ['statsd', 'prometheus', 'jaeger'],
    );
    const source = await buildSource(f);
    const rep: VerifyReport = await runVerify({
      source,
      rules,
      ...(mapping !== undefined ? { mapping } : {}),
      units,
      tolerance: fraction('--tolerance', f.tolerance),
      toleranceFor,
      critical: f.critical,
      allow,
      rule: f.rule,
      ...(f.step !== undefined && f.prometheus === undefined ? { step: parseDuration('--step', f.step) } : {}),
      ...(f.prometheus !== undefined ? { step: f.step !== undefined ? parseDuration('--step', f.step) : 15 } : {}),
      ...(f.latencyTolerance !== undefined
        ? { latencyTolerance: fraction('--latency-tolerance', f.latencyTolerance) }
        : {}),
      alpha,
      q,
      minPoints,
      progress,
    });
    const traces = rep.traces !== undefined ? await loadTraces() : undefined;
    const toFile = f.out !== undefined;
    // The last of --color / --no-color wins; neither: colour only on a terminal without NO_COLOR, never into a file.
    const lastColorFlag = [...argv].reverse().find((a) => a === '--color' || a === '--no-color');
    const color =
      lastColorFlag !== undefined
        ? lastColorFlag === '--color'
        : !toFile && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
    let text: string;
    switch (f.format) {
      case 'text':
        text = renderText(rep, { color, ...(f.verbose ? { verbose: true } : {}), ...(traces ? { traces } : {}) });
        break;
      case 'json':
        text = renderJson(rep);
        break;
      case 'html':
        text = renderHtml(rep, traces);
        break;
      default: {
        const never: never = f.format;
        throw new UsageError(`unknown format ${String(never)}`);
      }
    }
    if (f.out !== undefined) {
      try {
        writeFileSync(f.out, text);
      } catch (e) {
        // Exit 1 means FAIL: an unwritable report path is a usage error, not a verdict.
        throw new UsageError(`--out ${f.out}: cannot write the report: ${(e as Error).message}`);
      }
      process.stderr.write(`verify: ${rep.verdict}, score ${rep.score.toFixed(1)}; report written to ${f.out}\n`);
    } else process.stdout.write(text);
    switch (rep.verdict) {
      case 'PASS':
        return VERIFY_EXIT.PASS;
      case 'FAIL':
        return VERIFY_EXIT.FAIL;
      case 'INCONCLUSIVE':
        return VERIFY_EXIT.INCONCLUSIVE;
      default: {
        const never: never = rep.verdict;
        return never;
      }
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof VerifyInputError) {
      process.stderr.write(`verify: ${e.message}\n`);
      return VERIFY_EXIT.USAGE;
    }
    throw e;
  }
}

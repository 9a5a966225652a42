// Terminal summary and JSON of a verify report.
import { attrSeverity } from './attributes.js';
import type { TracesModule, VerifyReport } from './index.js';
import { fmtRatio, type MetricResult } from './metrics.js';

export interface TextOptions {
  readonly color: boolean;
  /** Also list metrics that passed. */
  readonly verbose?: boolean;
  readonly traces?: TracesModule;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

function paint(on: boolean, c: keyof typeof CODES, s: string): string {
  return on ? `\u001b[${CODES[c]}m${s}\u001b[0m` : s;
}

/**
 * Names, values and messages come from the inputs: control characters (an ESC in a metric name or attribute value)
 * are shown as `\xNN` so they cannot drive the terminal.
 */
function safe(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += (c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f) ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

function statusColor(s: string): keyof typeof CODES {
  switch (s) {
    case 'PASS':
    case 'EQUIVALENT':
      return 'green';
    case 'FAIL':
    case 'DIFFERENT':
    case 'MISSING':
      return 'red';
    default:
      return 'yellow';
  }
}

function metricLine(r: MetricResult, color: boolean): string[] {
  const out: string[] = [];
  const tag = r.attributeSeverity === 'fail' && r.status === 'EQUIVALENT' ? 'ATTRIBUTES' : r.status;
  const col = r.attributeSeverity === 'fail' ? 'red' : statusColor(r.status);
  const total = r.series.filter((s) => s.id === 'total');
  const vals = total
    .map((s) => `${s.statistic} ${fmtRatio(s.ratio)} [${fmtRatio(s.ci[0])}, ${fmtRatio(s.ci[1])}]`)
    .join('; ');
  out.push(
    `  ${paint(color, col, tag.padEnd(12))} ${r.critical ? '(critical) ' : ''}${safe(r.name)}${r.names.baseline[0] !== undefined && r.names.baseline[0] !== r.name ? ` (was ${safe(r.names.baseline[0])})` : ''}${vals ? `  ${vals}` : ''}`,
  );
  for (const s of r.series) {
    if (s.id !== 'total' && s.verdict === 'DIFFERENT') {
      out.push(
        `      series ${safe(s.id)}: ${s.statistic} ratio ${fmtRatio(s.ratio)} [${fmtRatio(s.ci[0])}, ${fmtRatio(s.ci[1])}]`,
      );
    }
  }
  for (const f of r.attributes) {
    const sev = attrSeverity(f.status);
    if (sev === 'info' && f.status !== 'RENAMED') continue;
    out.push(`      ${paint(color, sev === 'fail' ? 'red' : 'yellow', f.status)} ${safe(f.detail)}`);
    if (f.fix !== undefined && sev === 'fail') {
      for (const line of f.fix.split('\n')) out.push(`        ${paint(color, 'dim', safe(line))}`);
    }
  }
  for (const h of r.hints) out.push(`      ${paint(color, 'dim', safe(h))}`);
  return out;
}

export function renderText(rep: VerifyReport, opts: TextOptions): string {
  const c = opts.color;
  const lines: string[] = [];
  lines.push(
    `${paint(c, 'bold', 'switchyard verify')}: ${paint(c, statusColor(rep.verdict), rep.verdict)}  score ${rep.score.toFixed(1)}  (${safe(rep.inputs.baseline)} -> ${safe(rep.inputs.candidate)})`,
  );
  for (const r of rep.reasons) lines.push(`  - ${safe(r)}`);
  if (rep.inputs.issues.length > 0) {
    lines.push(paint(c, 'yellow', `input: ${rep.inputs.issues.length} problem line(s) skipped`));
    for (const i of rep.inputs.issues.slice(0, 10)) lines.push(`  ${safe(i.file)}:${i.line}: ${safe(i.message)}`);
  }
  const m = rep.metrics;
  if (m !== undefined) {
    const s = m.counts.byStatus;
    lines.push('');
    lines.push(
      `metrics: ${m.counts.metrics.baseline} baseline / ${m.counts.metrics.candidate} candidate, step ${Number(m.step.baseline.toPrecision(3))}s (${m.design}), rule ${m.rule}: ` +
        `${s.EQUIVALENT} equivalent, ${s.DIFFERENT} different, ${s.INCONCLUSIVE} inconclusive, ${s.MISSING} missing, ${s.NEW} new` +
        `; ${m.counts.series.tested} series tests, ${m.counts.series.different} different`,
    );
    for (const r of m.metrics) {
      const interesting = r.status !== 'EQUIVALENT' || r.attributeSeverity !== 'ok' || r.hints.length > 0;
      if (!interesting && !opts.verbose) continue;
      lines.push(...metricLine(r, c));
    }
  }
  if (rep.traces !== undefined && opts.traces !== undefined) {
    lines.push('');
    lines.push(opts.traces.renderTracesText(rep.traces, { color: c }).replace(/\n$/, ''));
  } else if (rep.tracesNote !== undefined) {
    lines.push('', `traces: ${rep.tracesNote}`);
  }
  return `${lines.join('\n')}\n`;
}

/** JSON of the report (schema in docs/verify.md): non-finite numbers become null. */
export function renderJson(rep: VerifyReport): string {
  return `${JSON.stringify(rep, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

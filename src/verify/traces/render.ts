// Text and HTML renderings of a TraceComparison. The HTML is one <section>: findings, then per root operation its
// shape mix and an inline SVG tree of the aligned paths (both sides / baseline only / candidate only / changed).
// Every string from the data goes through esc(); no scripts, no external resources.
import { esc, fmtInt } from '../../telemetry/html.js';
import type {
  PathDiff,
  PathSideStats,
  RootComparison,
  TraceComparison,
  TraceFinding,
  TraceVerdict,
} from './compare.js';

const ANSI = {
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

function paint(on: boolean, code: string, s: string): string {
  return on ? `${code}${s}${ANSI.reset}` : s;
}

function verdictColor(v: TraceVerdict): string {
  return v === 'PASS' ? ANSI.green : v === 'FAIL' ? ANSI.red : ANSI.yellow;
}

function severityTag(f: TraceFinding, color: boolean): string {
  switch (f.severity) {
    case 'fail':
      return paint(color, ANSI.red, 'FAIL');
    case 'warn':
      return paint(color, ANSI.yellow, 'WARN');
    case 'info':
      return paint(color, ANSI.dim, 'INFO');
    default: {
      const never: never = f.severity;
      return String(never);
    }
  }
}

const MAX_INFO_LINES = 5;

// C0 and C1 control characters (and DEL): span and service names come from the data and must not drive the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text from the data, made safe for a terminal: control characters become U+FFFD. */
function clean(s: string): string {
  return s.replace(CONTROL, '\uFFFD');
}

/** Terminal summary lines (joined with newlines, no trailing newline). ANSI colour only when `color` is true. */
export function renderTracesText(c: TraceComparison, opts: { readonly color: boolean }): string {
  const { color } = opts;
  const s = c.summary;
  const lines: string[] = [];
  lines.push(
    `${paint(color, ANSI.bold, 'Traces:')} ${paint(color, verdictColor(c.verdict), c.verdict)} - baseline ${fmtInt(s.baselineTraces)} traces / ${fmtInt(s.baselineSpans)} spans, candidate ${fmtInt(s.candidateTraces)} traces / ${fmtInt(s.candidateSpans)} spans, ${fmtInt(s.roots)} root operation(s)`,
  );
  let infos = 0;
  for (const f of c.findings) {
    if (f.severity === 'info' && ++infos > MAX_INFO_LINES) continue;
    lines.push(
      `  ${severityTag(f, color)} ${f.code}  ${clean(f.root)}${f.path !== undefined && f.path !== f.root ? `  [${clean(f.path)}]` : ''}`,
    );
    lines.push(`       ${clean(f.message)}`);
    if (f.fix !== undefined && f.severity !== 'info') {
      const [first, ...rest] = f.fix.split('\n');
      lines.push(`       ${paint(color, ANSI.dim, 'fix:')} ${clean(first ?? '')}`);
      for (const r of rest) lines.push(`            ${clean(r)}`);
    }
  }
  if (infos > MAX_INFO_LINES)
    lines.push(
      `  ${paint(color, ANSI.dim, `... and ${infos - MAX_INFO_LINES} more notes (see the JSON or HTML report)`)}`,
    );
  if (c.roots.length > 0) lines.push('  Root operations:');
  for (const r of c.roots) {
    const tag = paint(color, verdictColor(r.verdict), r.verdict.padEnd(12));
    const where =
      r.status === 'both' || r.status === 'kind' || r.status === 'renamed'
        ? `${fmtInt(r.baselineTraces)} -> ${fmtInt(r.candidateTraces)} traces, ${r.shapeMix.distinctShapes} shape(s), shape mix distance ${(100 * r.shapeMix.distance).toFixed(1)}%`
        : r.status === 'baseline'
          ? `${fmtInt(r.baselineTraces)} baseline traces, none in the candidate`
          : `${fmtInt(r.candidateTraces)} candidate traces, none in the baseline${r.splitFrom !== undefined ? ` (split off ${r.splitFrom.root})` : ''}`;
    lines.push(`    ${tag} ${clean(r.root)}  ${paint(color, ANSI.dim, clean(where))}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- HTML

const STYLE = `
.vt h3{font-size:1rem;margin:1.5rem 0 .3rem}.vt .vt-verdict-PASS{color:#1a7f37}.vt .vt-verdict-FAIL{color:#cf222e}.vt .vt-verdict-INCONCLUSIVE{color:#9a6700}
.vt table{border-collapse:collapse;width:100%;margin:.4rem 0}.vt th,.vt td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top;font-size:.9rem}
.vt td.num{text-align:right;font-variant-numeric:tabular-nums}.vt code{font-size:.85em}.vt pre{white-space:pre-wrap;margin:.2rem 0;font-size:.8rem}
.vt .vt-sev-fail{color:#cf222e;font-weight:600}.vt .vt-sev-warn{color:#9a6700;font-weight:600}.vt .vt-sev-info{color:#57606a}
.vt svg{display:block;max-width:100%;height:auto;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
`;

const NODE_STYLE: Readonly<Record<string, { fill: string; stroke: string; word: string }>> = {
  both: { fill: '#f6f8fa', stroke: '#8c959f', word: 'in both' },
  baseline: { fill: '#ffebe9', stroke: '#cf222e', word: 'baseline only' },
  candidate: { fill: '#dafbe1', stroke: '#1a7f37', word: 'candidate only' },
  kind: { fill: '#fff8c5', stroke: '#9a6700', word: 'kind changed' },
  renamed: { fill: '#fff8c5', stroke: '#9a6700', word: 'renamed' },
};

const ROW = 24;
const INDENT = 18;
const TREE_WIDTH = 940;
const LABEL_END = 600;
const CHAR_W = 7.2;
const MIN_NODE_WIDTH = 120;

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, Math.max(1, max - 1))}…` : s;
}

function freq(st: PathSideStats | undefined, depth: number): string {
  if (st === undefined) return '—';
  const share = depth === 0 ? `${fmtInt(st.traces)} tr` : `${(100 * st.presence).toFixed(st.presence < 0.1 ? 1 : 0)}%`;
  return st.perTrace > 1.005 ? `${share} ×${st.perTrace.toFixed(1)}` : share;
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return v >= 100 ? `${v.toFixed(0)}ms` : v >= 1 ? `${v.toFixed(1)}ms` : `${v.toFixed(2)}ms`;
}

interface Row {
  readonly node: PathDiff;
  readonly depth: number;
  readonly parentRow: number;
}

function flatten(tree: PathDiff): Row[] {
  const rows: Row[] = [];
  const walk = (n: PathDiff, depth: number, parentRow: number): void => {
    const me = rows.length;
    rows.push({ node: n, depth, parentRow });
    for (const c of n.children) walk(c, depth + 1, me);
  };
  walk(tree, 0, -1);
  return rows;
}

/** The aligned path tree of one root operation as an inline SVG. */
function treeSvg(r: RootComparison): string {
  const rows = flatten(r.tree);
  // Deep trees get a narrower indent so that the deepest node keeps MIN_NODE_WIDTH.
  let maxDepth = 0;
  for (const row of rows) maxDepth = Math.max(maxDepth, row.depth);
  const indent =
    maxDepth > 0 ? Math.min(INDENT, Math.floor((100 * (LABEL_END - 4 - MIN_NODE_WIDTH)) / maxDepth) / 100) : INDENT;
  const top = 44;
  const height = top + rows.length * ROW + 8;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="vt-tree" width="${TREE_WIDTH}" height="${height}" viewBox="0 0 ${TREE_WIDTH} ${height}" role="img" aria-label="${esc(`shape diff tree of ${r.root}`)}">`,
  );
  // Legend and column heads.
  let lx = 4;
  for (const key of ['both', 'baseline', 'candidate', 'kind'] as const) {
    const st = NODE_STYLE[key] as { fill: string; stroke: string; word: string };
    out.push(
      `<rect x="${lx}" y="4" width="12" height="12" rx="2" fill="${st.fill}" stroke="${st.stroke}"/><text x="${lx + 16}" y="14" font-size="11" fill="#57606a">${esc(st.word)}</text>`,
    );
    lx += 24 + st.word.length * 6.6;
  }
  const colB = LABEL_END + 10;
  const colC = LABEL_END + 120;
  const colL = LABEL_END + 230;
  out.push(
    `<text x="${colB}" y="36" font-size="11" fill="#57606a">baseline</text><text x="${colC}" y="36" font-size="11" fill="#57606a">candidate</text><text x="${colL}" y="36" font-size="11" fill="#57606a">p50 b → c</text>`,
  );
  rows.forEach((row, i) => {
    const y = top + i * ROW;
    const x = 4 + row.depth * indent;
    if (row.parentRow >= 0) {
      const parent = rows[row.parentRow] as Row;
      const px = 4 + parent.depth * indent + 6;
      const py = top + row.parentRow * ROW + ROW - 4;
      out.push(`<path d="M${px} ${py} V${y + ROW / 2 - 2} H${x}" fill="none" stroke="#afb8c1" stroke-width="1"/>`);
    }
  });
  rows.forEach((row, i) => {
    const n = row.node;
    const y = top + i * ROW;
    const x = 4 + row.depth * indent;
    const st = NODE_STYLE[n.status] ?? (NODE_STYLE['both'] as { fill: string; stroke: string; word: string });
    const w = LABEL_END - x;
    // Reached across services without CLIENT/SERVER kinds in the candidate but not in the baseline.
    const boundary = (n.candidate?.boundary ?? 0) > 0 && (n.baseline?.boundary ?? 0) === 0;
    const text =
      (n.status === 'kind' || n.status === 'renamed') && n.candidateLabel !== undefined
        ? `${n.label} → ${n.candidateLabel}`
        : n.splitTo !== undefined
          ? `${n.label} ⇢ own traces`
          : boundary
            ? `${n.label} ⚠ no CLIENT/SERVER edge`
            : n.label;
    const title = `${n.path}\n${st.word}${n.splitTo !== undefined ? `; now starts its own traces (${n.splitTo})` : ''}${
      n.candidateLabel !== undefined ? `; candidate: ${n.candidateLabel}` : ''
    }${n.latency?.note !== undefined ? `; latency: ${n.latency.note}` : ''}`;
    const latency =
      n.baseline !== undefined && n.candidate !== undefined && !n.synthetic
        ? `${ms(n.baseline.p50Ms)} → ${ms(n.candidate.p50Ms)}`
        : n.synthetic
          ? ''
          : ms((n.baseline ?? n.candidate)?.p50Ms);
    const latColor = n.latency?.verdict === 'DIFFERENT' ? '#cf222e' : '#1b1f24';
    out.push(
      `<g class="vt-node" data-status="${esc(n.status)}"${n.splitTo !== undefined ? ' data-split="true"' : ''}${
        boundary ? ' data-boundary="true"' : ''
      }><title>${esc(boundary ? `${title}; reached across services without CLIENT/SERVER kinds` : title)}</title>` +
        `<rect x="${x}" y="${y}" width="${w}" height="${ROW - 4}" rx="3" fill="${st.fill}" stroke="${boundary ? '#cf222e' : st.stroke}"${
          boundary ? ' stroke-width="2"' : ''
        }${n.splitTo !== undefined || n.synthetic ? ' stroke-dasharray="4 3"' : ''}/>` +
        `<text x="${x + 6}" y="${y + 14}" font-size="12" fill="#1b1f24">${esc(cut(text, Math.floor((w - 10) / CHAR_W)))}</text>` +
        `<text x="${colB}" y="${y + 14}" font-size="12" fill="#1b1f24">${esc(freq(n.baseline, row.depth))}</text>` +
        `<text x="${colC}" y="${y + 14}" font-size="12" fill="#1b1f24">${esc(freq(n.candidate, row.depth))}</text>` +
        `<text x="${colL}" y="${y + 14}" font-size="12" fill="${latColor}">${esc(latency)}</text></g>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

function findingRows(findings: readonly TraceFinding[]): string {
  if (findings.length === 0) return '<p>No findings.</p>';
  const rows = findings.map(
    (f) =>
      `<tr><td class="vt-sev-${esc(f.severity)}">${esc(f.severity.toUpperCase())}</td><td><code>${esc(f.code)}</code></td><td>${esc(f.message)}${
        f.path !== undefined && f.path !== f.root ? `<br><small>path: <code>${esc(f.path)}</code></small>` : ''
      }${f.fix !== undefined ? `<pre>fix: ${esc(f.fix)}</pre>` : ''}</td></tr>`,
  );
  return `<table class="vt-findings"><thead><tr><th>severity</th><th>code</th><th>finding</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function shapeTable(r: RootComparison): string {
  if (r.shapeMix.shapes.length === 0) return '';
  const nb = Math.max(1, r.baselineTraces);
  const nc = Math.max(1, r.candidateTraces);
  const rows = r.shapeMix.shapes.map(
    (s) =>
      `<tr><td><code>${esc(s.shape)}</code>${s.exemplars.length > 0 ? `<br><small>e.g. trace ${esc(s.exemplars[0] ?? '')}</small>` : ''}</td><td class="num">${esc(
        `${fmtInt(s.baseline)} (${((100 * s.baseline) / nb).toFixed(1)}%)`,
      )}</td><td class="num">${esc(`${fmtInt(s.candidate)} (${((100 * s.candidate) / nc).toFixed(1)}%)`)}</td></tr>`,
  );
  return `<details><summary>Shape mix: ${esc(r.shapeMix.distinctShapes)} shape(s), distance ${esc((100 * r.shapeMix.distance).toFixed(1))}% (p=${esc(
    r.shapeMix.pValue.toExponential(1),
  )})</summary><table class="vt-shapes"><thead><tr><th>shape (* = repeated subtree)</th><th class="num">baseline</th><th class="num">candidate</th></tr></thead><tbody>${rows.join(
    '',
  )}</tbody></table></details>`;
}

/** One self-contained <section> fragment: summary, findings, and per root operation its shape mix and diff tree. */
export function renderTracesHtml(c: TraceComparison): string {
  const s = c.summary;
  const parts: string[] = [];
  parts.push(`<section class="vt verify-traces"><style>${STYLE}</style>`);
  parts.push(`<h2>Trace structure: <span class="vt-verdict-${esc(c.verdict)}">${esc(c.verdict)}</span></h2>`);
  parts.push(
    `<p>Baseline ${esc(fmtInt(s.baselineTraces))} traces / ${esc(fmtInt(s.baselineSpans))} spans; candidate ${esc(
      fmtInt(s.candidateTraces),
    )} traces / ${esc(fmtInt(s.candidateSpans))} spans; ${esc(fmtInt(s.roots))} root operation(s). Latency tolerance ±${esc(
      (100 * c.options.latencyTolerance).toFixed(0),
    )}% at the root, ±${esc((100 * c.options.pathLatencyTolerance).toFixed(0))}% below it.</p>`,
  );
  parts.push(findingRows(c.findings));
  for (const r of c.roots) {
    parts.push(
      `<h3>${esc(r.root)} <span class="vt-verdict-${esc(r.verdict)}">${esc(r.verdict)}</span></h3><p><small>${esc(
        (r.status === 'kind' || r.status === 'renamed') && r.candidateRoot !== undefined
          ? `candidate root: ${r.candidateRoot}; `
          : r.splitFrom !== undefined
            ? `split off ${r.splitFrom.root} (was at ${r.splitFrom.path}); `
            : '',
      )}${esc(fmtInt(r.baselineTraces))} baseline / ${esc(fmtInt(r.candidateTraces))} candidate traces. Columns: share of traces with the path (× spans per trace), median duration.</small></p>`,
    );
    parts.push(shapeTable(r));
    parts.push(treeSvg(r));
    if (r.truncatedNodes > 0)
      parts.push(`<p><small>${esc(fmtInt(r.truncatedNodes))} more path(s) not drawn.</small></p>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

// The verify report as one self-contained HTML file: inline CSS, server-rendered SVG, no scripts, no external assets.
import { esc } from '../telemetry/html.js';
import { attrSeverity } from './attributes.js';
import type { TracesModule, VerifyReport } from './index.js';
import { type Dist, fmtRatio, type MetricResult, type SeriesResult } from './metrics.js';

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--warn:#9a6700;--bad:#cf222e;--ok:#1a7f37;--base:#8c959f;--cand:#0969da;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--bg:#0d1117;--warn:#d29922;--bad:#f85149;--ok:#3fb950;--base:#9198a1;--cand:#4493f8;--code:#161b22}}
body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:1rem 1.5rem 3rem;max-width:76rem}
h1{font-size:1.4rem;margin:.5rem 0}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}h3{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,Menlo,monospace;font-size:.88em}pre{background:var(--code);border:1px solid var(--line);padding:.5rem .7rem;overflow:auto;margin:.3rem 0}td pre{white-space:pre-wrap;word-break:break-word;min-width:20rem;max-width:32rem}
.muted{color:var(--muted)}.bad{color:var(--bad);font-weight:600}.ok{color:var(--ok);font-weight:600}.warn{color:var(--warn);font-weight:600}
.verdict{font-size:1.6rem;font-weight:700}.summary{display:flex;flex-wrap:wrap;gap:1.5rem;margin:.5rem 0}.summary div{min-width:7rem}.summary b{display:block;font-size:1.3rem}
.metric{border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;margin:.8rem 0}.charts{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem;vertical-align:-.1rem}
svg text{fill:var(--muted);font:11px system-ui,sans-serif}svg .b{stroke:var(--base);fill:none}svg .c{stroke:var(--cand);fill:none}
svg .bf{fill:var(--base);fill-opacity:.35;stroke:var(--base)}svg .cf{fill:var(--cand);fill-opacity:.35;stroke:var(--cand)}
svg .band{fill:var(--ok);fill-opacity:.12}svg .axis{stroke:var(--line)}svg .ci{stroke:var(--fg);stroke-width:2}
`;

function cls(status: string): string {
  switch (status) {
    case 'PASS':
    case 'EQUIVALENT':
    case 'OK':
      return 'ok';
    case 'FAIL':
    case 'DIFFERENT':
    case 'MISSING':
      return 'bad';
    default:
      return 'warn';
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/** Box plots of the per-step values of both sides on one shared axis. */
export function boxSvg(b: Dist, c: Dist, label: string): string {
  const w = 300;
  const h = 84;
  const lo = Math.min(b.min, c.min);
  const hi = Math.max(b.max, c.max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return `<p class="muted">no values for ${esc(label)}</p>`;
  const span = hi - lo || Math.abs(hi) || 1;
  const x = (v: number): number => 10 + ((v - lo) / span) * (w - 20);
  const box = (d: Dist, y: number, k: string): string =>
    d.n === 0
      ? `<text x="10" y="${y + 12}">no data</text>`
      : `<line class="${k}" x1="${x(d.min).toFixed(1)}" x2="${x(d.max).toFixed(1)}" y1="${y + 8}" y2="${y + 8}"/>` +
        `<rect class="${k}f" x="${x(d.q1).toFixed(1)}" y="${y}" width="${Math.max(1, x(d.q3) - x(d.q1)).toFixed(1)}" height="16"/>` +
        `<line class="${k}" stroke-width="2" x1="${x(d.median).toFixed(1)}" x2="${x(d.median).toFixed(1)}" y1="${y}" y2="${y + 16}"/>`;
  return (
    `<svg role="img" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><title>${esc(`${label}: baseline median ${fmt(b.median)}, candidate median ${fmt(c.median)}`)}</title>` +
    `<text x="10" y="11">${esc(label)} per step</text>` +
    box(b, 18, 'b') +
    box(c, 42, 'c') +
    `<line class="axis" x1="10" x2="${w - 10}" y1="66" y2="66"/>` +
    `<text x="10" y="80">${esc(fmt(lo))}</text><text x="${w - 10}" y="80" text-anchor="end">${esc(fmt(hi))}</text></svg>`
  );
}

/** Both sides' per-step values over their windows (each side on its own time axis, shared value axis). */
export function lineSvg(b: readonly number[], c: readonly number[], label: string): string {
  const w = 300;
  const h = 84;
  const all = [...b, ...c].filter(Number.isFinite);
  if (all.length === 0) return '';
  let lo = Math.min(...all);
  const hi = Math.max(...all);
  if (lo > 0 && lo < hi * 0.5) lo = 0;
  const span = hi - lo || Math.abs(hi) || 1;
  const poly = (xs: readonly number[], k: string): string => {
    const pts: string[] = [];
    xs.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const px = 10 + (xs.length <= 1 ? 0 : (i / (xs.length - 1)) * (w - 20));
      const py = 62 - ((v - lo) / span) * 48;
      pts.push(`${px.toFixed(1)},${py.toFixed(1)}`);
    });
    return pts.length === 0 ? '' : `<polyline class="${k}" stroke-width="1.5" points="${pts.join(' ')}"/>`;
  };
  return (
    `<svg role="img" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><title>${esc(`${label} over time`)}</title>` +
    `<text x="10" y="11">${esc(label)} over the window</text>` +
    poly(b, 'b') +
    poly(c, 'c') +
    `<line class="axis" x1="10" x2="${w - 10}" y1="66" y2="66"/>` +
    `<text x="10" y="80">${esc(fmt(lo))}</text><text x="${w - 10}" y="80" text-anchor="end">${esc(fmt(hi))}</text></svg>`
  );
}

/** The ratio's CI against the tolerance band, on a log axis from 1/4 to 4 (clipped). */
export function ciSvg(s: SeriesResult, tolerance: number): string {
  const w = 300;
  const h = 44;
  const L = Math.log(4);
  const x = (r: number): number => {
    const l = Number.isFinite(r) && r > 0 ? Math.max(-L, Math.min(L, Math.log(r))) : r > 0 ? L : -L;
    return 10 + ((l + L) / (2 * L)) * (w - 20);
  };
  const band = `<rect class="band" x="${x(1 / (1 + tolerance)).toFixed(1)}" y="14" width="${(x(1 + tolerance) - x(1 / (1 + tolerance))).toFixed(1)}" height="16"/>`;
  const ci =
    Number.isFinite(s.ratio) || s.ratio === Number.POSITIVE_INFINITY
      ? `<line class="ci" x1="${x(s.ci[0]).toFixed(1)}" x2="${x(s.ci[1]).toFixed(1)}" y1="22" y2="22"/><circle cx="${x(s.ratio).toFixed(1)}" cy="22" r="3.5" fill="currentColor"/>`
      : '';
  return (
    `<svg role="img" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><title>${esc(`${s.statistic} ratio ${fmtRatio(s.ratio)}, CI ${fmtRatio(s.ci[0])}..${fmtRatio(s.ci[1])}, tolerance ±${Math.round(tolerance * 100)}%`)}</title>` +
    `<text x="10" y="11">${esc(s.statistic)} ratio candidate/baseline (band ±${esc(Math.round(tolerance * 100))}%)</text>${band}` +
    `<line class="axis" x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="12" y2="32"/>${ci}` +
    `<text x="10" y="42">¼</text><text x="${x(1).toFixed(1)}" y="42" text-anchor="middle">1</text><text x="${w - 10}" y="42" text-anchor="end">4</text></svg>`
  );
}

function metricCard(r: MetricResult): string {
  const status = r.attributeSeverity === 'fail' && r.status === 'EQUIVALENT' ? 'ATTRIBUTES' : r.status;
  const k = r.attributeSeverity === 'fail' ? 'bad' : cls(r.status);
  const parts: string[] = [];
  parts.push(
    `<div class="metric" id="m-${esc(r.canon)}"><h3><span class="${k}">${esc(status)}</span> ${r.critical ? '<span class="bad">critical</span> ' : ''}<code>${esc(r.name)}</code>` +
      `${r.names.baseline[0] !== undefined && r.names.baseline[0] !== r.name ? ` <span class="muted">was <code>${esc(r.names.baseline[0])}</code></span>` : ''}` +
      ` <span class="muted">${esc(r.kind)}${r.unit.compared !== '' ? `, compared in ${esc(r.unit.compared)}` : ''}</span></h3>`,
  );
  for (const h of r.hints) parts.push(`<p class="warn">${esc(h)}</p>`);
  const totals = r.series.filter((s) => s.id === 'total');
  if (totals.length > 0) {
    parts.push('<div class="charts">');
    for (const s of totals) {
      parts.push(`<div>${boxSvg(s.baseline, s.candidate, s.statistic)}<br>${ciSvg(s, r.tolerance)}</div>`);
    }
    if (r.chart !== undefined)
      parts.push(`<div>${lineSvg(r.chart.baseline, r.chart.candidate, r.chart.statistic)}</div>`);
    parts.push('</div>');
  }
  const rows = r.series.filter((s) => s.verdict !== 'EQUIVALENT' || s.id === 'total');
  if (rows.length > 0) {
    parts.push(
      '<table><tr><th>series</th><th>statistic</th><th>verdict</th><th class="num">ratio</th><th class="num">CI</th><th class="num">baseline mean</th><th class="num">candidate mean</th><th>note</th></tr>',
    );
    for (const s of rows.slice(0, 30)) {
      parts.push(
        `<tr><td><code>${esc(s.id)}</code></td><td>${esc(s.statistic)}</td><td class="${cls(s.verdict)}">${esc(s.verdict)}${s.direction ? ` ${esc(s.direction)}` : ''}</td>` +
          `<td class="num">${esc(fmtRatio(s.ratio))}</td><td class="num">${esc(fmtRatio(s.ci[0]))} – ${esc(fmtRatio(s.ci[1]))}</td>` +
          `<td class="num">${esc(fmt(s.baseline.mean))}</td><td class="num">${esc(fmt(s.candidate.mean))}</td><td class="muted">${esc(s.note ?? '')}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  const attrs = r.attributes.filter((f) => f.status !== 'OK');
  if (attrs.length > 0) {
    parts.push('<table><tr><th>attribute</th><th>status</th><th>what</th><th>suggested fix</th></tr>');
    for (const f of attrs) {
      const sev = attrSeverity(f.status);
      parts.push(
        `<tr><td><code>${esc(f.key)}</code>${f.candidateKey !== undefined ? ` → <code>${esc(f.candidateKey)}</code>` : ''}</td>` +
          `<td class="${sev === 'fail' ? 'bad' : sev === 'warn' ? 'warn' : 'muted'}">${esc(f.status)}</td><td>${esc(f.detail)}</td>` +
          `<td>${f.fix !== undefined ? `<pre>${esc(f.fix)}</pre>` : ''}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  parts.push(
    `<p class="muted">series: ${esc(r.seriesCount.baseline)} baseline, ${esc(r.seriesCount.candidate)} candidate; points: ${esc(r.points.baseline)} / ${esc(r.points.candidate)}; tolerance ±${esc(Math.round(r.tolerance * 100))}%</p></div>`,
  );
  return parts.join('');
}

export function renderHtml(rep: VerifyReport, traces?: TracesModule): string {
  const body: string[] = [];
  body.push(
    `<h1>Migration verification: <code>${esc(rep.inputs.baseline)}</code> → <code>${esc(rep.inputs.candidate)}</code></h1>`,
    `<div class="summary"><div>verdict<b class="verdict ${cls(rep.verdict)}">${esc(rep.verdict)}</b></div><div>score<b>${esc(rep.score.toFixed(1))}</b></div>`,
  );
  const m = rep.metrics;
  if (m !== undefined) {
    const s = m.counts.byStatus;
    body.push(
      `<div>equivalent<b class="ok">${esc(s.EQUIVALENT)}</b></div><div>different<b class="bad">${esc(s.DIFFERENT)}</b></div>` +
        `<div>missing<b class="bad">${esc(s.MISSING)}</b></div><div>inconclusive<b class="warn">${esc(s.INCONCLUSIVE + s.NODATA)}</b></div><div>new<b>${esc(s.NEW)}</b></div>`,
    );
  }
  body.push('</div>');
  if (rep.reasons.length > 0) {
    body.push('<h2>Why</h2><ul>');
    for (const r of rep.reasons) body.push(`<li>${esc(r)}</li>`);
    body.push('</ul>');
  }
  if (rep.inputs.issues.length > 0) {
    body.push('<h2>Input problems</h2><ul>');
    for (const i of rep.inputs.issues.slice(0, 50))
      body.push(`<li><code>${esc(`${i.file}:${i.line}`)}</code> ${esc(i.message)}</li>`);
    body.push('</ul>');
  }
  if (m !== undefined) {
    body.push(
      `<h2>Metrics</h2><p class="muted">rule ${esc(m.rule)}, step ${esc(fmt(m.step.baseline))} s, ${esc(m.counts.series.tested)} series tests (FDR q=${esc(rep.settings.q)}).` +
        ` <span class="legend"><span style="background:var(--base)"></span>baseline<span style="background:var(--cand)"></span>candidate</span></p>`,
    );
    const problems = m.metrics.filter((r) => r.status !== 'EQUIVALENT' || r.attributeSeverity !== 'ok');
    const fine = m.metrics.filter((r) => r.status === 'EQUIVALENT' && r.attributeSeverity === 'ok');
    const order = (r: MetricResult): number =>
      r.status === 'DIFFERENT' || r.status === 'MISSING' || r.attributeSeverity === 'fail'
        ? 0
        : r.status === 'NEW'
          ? 2
          : 1;
    problems.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
    for (const r of problems.slice(0, 100)) body.push(metricCard(r));
    if (problems.length > 100) body.push(`<p class="muted">${esc(problems.length - 100)} more in the JSON report.</p>`);
    if (fine.length > 0) {
      body.push(
        `<h3>${esc(fine.length)} equivalent metric(s)</h3><table><tr><th>metric</th><th>statistic</th><th class="num">ratio</th><th class="num">CI</th></tr>`,
      );
      for (const r of fine.slice(0, 500)) {
        for (const s of r.series.filter((x) => x.id === 'total')) {
          body.push(
            `<tr><td><code>${esc(r.name)}</code></td><td>${esc(s.statistic)}</td><td class="num">${esc(fmtRatio(s.ratio))}</td><td class="num">${esc(fmtRatio(s.ci[0]))} – ${esc(fmtRatio(s.ci[1]))}</td></tr>`,
          );
        }
      }
      body.push('</table>');
    }
  }
  if (rep.traces !== undefined && traces !== undefined) {
    body.push('<h2>Traces</h2>', traces.renderTracesHtml(rep.traces));
  } else if (rep.tracesNote !== undefined) {
    body.push(`<h2>Traces</h2><p class="warn">${esc(rep.tracesNote)}</p>`);
  }
  body.push(`<p class="muted">report schema ${esc(rep.schema_version)}, generated ${esc(rep.generated)}</p>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`verify: ${rep.verdict}`)}</title><style>${CSS}</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}

// The allocator's status page: targets per collector, a server-rendered SVG balance chart (one bar
// per collector against the mean), and the recent moves. No scripts, no external assets.
import { esc, fmtInt } from '../telemetry/html.js';
import type { AllocatorConfig } from './config.js';
import type { AllocatorState, CollectorView } from './state.js';

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--bad:#cf222e;--ok:#1a7f37;--accent:#0969da;--bar:#54aeff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--bg:#0d1117;--bad:#f85149;--ok:#3fb950;--accent:#4493f8;--bar:#1f6feb}}
body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:1rem 1.5rem 3rem;max-width:72rem}
h1{font-size:1.4rem;margin:.5rem 0}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
nav a{margin-right:1rem}a{color:var(--accent)}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
.muted{color:var(--muted)}.bad{color:var(--bad);font-weight:600}.ok{color:var(--ok)}
.summary{display:flex;flex-wrap:wrap;gap:1.5rem;margin:.5rem 0}.summary div{min-width:8rem}.summary b{display:block;font-size:1.3rem}
svg.balance rect.bar{fill:var(--bar)}svg.balance rect.missing{fill:var(--bad)}svg.balance line.mean{stroke:var(--fg);stroke-dasharray:4 3}
svg.balance text{fill:var(--fg);font:11px system-ui,sans-serif}
`;

function ago(ms: number | undefined, now: number): string {
  if (ms === undefined) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/** One horizontal bar per collector, scaled to the largest; a dashed line at the mean. */
export function balanceChart(collectors: readonly CollectorView[]): string {
  const barH = 18;
  const gap = 6;
  const labelW = 180;
  const plotW = 480;
  const width = labelW + plotW + 70;
  const height = Math.max(1, collectors.length) * (barH + gap) + 24;
  const max = Math.max(1, ...collectors.map((c) => c.targets));
  const alive = collectors.filter((c) => c.alive);
  const mean = alive.length === 0 ? 0 : alive.reduce((n, c) => n + c.targets, 0) / alive.length;
  const parts: string[] = [];
  collectors.forEach((c, i) => {
    const y = i * (barH + gap) + 4;
    const w = Math.round((c.targets / max) * plotW);
    const name = c.id.length > 26 ? `${c.id.slice(0, 25)}…` : c.id;
    parts.push(
      `<g class="row" data-collector="${esc(c.id)}" data-targets="${c.targets}">` +
        `<text x="${labelW - 6}" y="${y + barH - 5}" text-anchor="end">${esc(name)}</text>` +
        `<rect class="${c.alive ? 'bar' : 'missing'}" x="${labelW}" y="${y}" width="${w}" height="${barH}"><title>${esc(c.id)}: ${c.targets} targets</title></rect>` +
        `<text x="${labelW + w + 4}" y="${y + barH - 5}">${fmtInt(c.targets)}</text></g>`,
    );
  });
  const mx = labelW + Math.round((mean / max) * plotW);
  const bottom = height - 18;
  parts.push(`<line class="mean" x1="${mx}" y1="0" x2="${mx}" y2="${bottom}"/>`);
  parts.push(`<text x="${mx}" y="${height - 4}" text-anchor="middle">mean ${mean.toFixed(1)}</text>`);
  return `<svg class="balance" role="img" aria-label="targets per collector" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

export function renderPage(state: AllocatorState, config: AllocatorConfig, now = Date.now()): string {
  const collectors = state.collectors(now);
  const s = state.summary();
  const alive = collectors.filter((c) => c.alive);
  const loads = alive.map((c) => c.targets);
  const mean = loads.length === 0 ? 0 : loads.reduce((a, b) => a + b, 0) / loads.length;
  const maxOverMean = mean === 0 ? 0 : Math.max(...loads) / mean;
  const jobs = state.jobNames();
  const rows = collectors
    .map(
      (c) =>
        `<tr data-collector="${esc(c.id)}"><td><code>${esc(c.id)}</code>${c.node === undefined ? '' : ` <span class="muted">on ${esc(c.node)}</span>`}</td>` +
        `<td>${c.alive ? '<span class="ok">alive</span>' : '<span class="bad">missing</span>'}</td>` +
        `<td>${esc(ago(c.lastSeen, now))}</td><td class="num targets">${fmtInt(c.targets)}</td>` +
        `<td class="num">${fmtInt(c.handingOver)}</td>` +
        `<td>${[...c.perJob].map(([j, n]) => `<code>${esc(j)}</code> ${fmtInt(n)}`).join(', ')}</td>` +
        `<td><a href="/collectors/${encodeURIComponent(c.id)}/targets">JSON</a></td></tr>`,
    )
    .join('\n');
  const moves = state.recentMoves(50);
  const moveRows = moves
    .map(
      (m) =>
        `<tr><td>${esc(new Date(m.at).toISOString())}</td><td><code>${esc(m.job)}</code></td><td><code>${esc(m.address)}</code></td>` +
        `<td>${m.from === undefined ? '<span class="muted">none</span>' : `<code>${esc(m.from)}</code>`}</td>` +
        `<td>${m.to === undefined ? '<span class="bad">unassigned</span>' : `<code>${esc(m.to)}</code>`}</td></tr>`,
    )
    .join('\n');
  const body = `<h1>Target allocator</h1>
<div class="summary">
<div><b id="generation">${s.generation}</b>generation</div>
<div><b id="targets">${fmtInt(s.targets)}</b>targets</div>
<div><b id="alive">${alive.length} / ${collectors.length}</b>collectors alive</div>
<div><b id="unassigned" class="${s.unassigned > 0 ? 'bad' : ''}">${fmtInt(s.unassigned)}</b>unassigned</div>
<div><b id="handovers">${fmtInt(s.handovers)}</b>hand-overs pending</div>
<div><b id="balance">${maxOverMean.toFixed(2)}</b>max / mean load</div>
</div>
<p class="muted">Strategy <code>${esc(config.strategy)}</code>, ${jobs.length} job(s), grace period ${config.graceMs / 1000} s.</p>
<h2>Balance</h2>
${balanceChart(collectors)}
<h2>Targets per collector</h2>
<table id="collectors"><thead><tr><th>Collector</th><th>State</th><th>Last poll</th><th class="num">Targets</th><th class="num">Handing over</th><th>Per job</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Recent moves</h2>
${
  moves.length === 0
    ? '<p class="muted" id="no-moves">No target has moved yet.</p>'
    : `<table id="moves"><thead><tr><th>When</th><th>Job</th><th>Target</th><th>From</th><th>To</th></tr></thead><tbody>
${moveRows}
</tbody></table>`
}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard target allocator</title><style>${CSS}</style></head>
<body><nav><a href="/">Allocator</a><a href="/collectors">/collectors</a><a href="/jobs">/jobs</a><a href="/scrape_configs">/scrape_configs</a><a href="/metrics">/metrics</a></nav>
${body}
</body></html>
`;
}

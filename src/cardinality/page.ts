// The cardinality explorer page (`/cardinality`, `/cardinality?metric=NAME&type=KIND`).
import { esc, fmtInt, page } from '../telemetry/html.js';
import type { CardinalityReport, MetricReport, Suggestion } from './report.js';

/** Inline SVG sparkline of per-minute series counts, oldest first. */
export function sparkline(values: readonly number[], width = 120, height = 24): string {
  const max = Math.max(1, ...values);
  const n = values.length;
  const step = n > 1 ? width / (n - 1) : width;
  const pts = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`)
    .join(' ');
  const label = `series per minute, oldest first: ${values.map((v) => fmtInt(v)).join(', ')}`;
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title><line x1="0" y1="${height - 1}" x2="${width}" y2="${height - 1}"/><polyline points="${pts}"/></svg>`;
}

export function metricHref(name: string, type: string): string {
  return `/cardinality?metric=${encodeURIComponent(name)}&type=${encodeURIComponent(type)}`;
}

function approx(exact: boolean): string {
  return exact ? '' : '~';
}

function growth(history: readonly number[]): string {
  const last = history[history.length - 1] ?? 0;
  const first = history.find((v) => v > 0) ?? 0;
  if (first === 0 || last <= first) return '';
  const pct = Math.round(((last - first) / first) * 100);
  return pct >= 20 ? ` <span class="warn">+${pct}%</span>` : '';
}

function suggestionBlock(s: Suggestion): string {
  return `<div class="suggestion"><p>Drop <code>${esc(s.key)}</code> on <a href="${esc(metricHref(s.metric, s.type))}"><code>${esc(s.metric)}</code></a>: <b>${fmtInt(s.seriesBefore)} → ${fmtInt(s.seriesAfter)} series</b></p>
<pre>${esc(s.yaml)}</pre></div>`;
}

export function renderCardinalityPage(r: CardinalityReport): string {
  const t = r.totals;
  const parts: string[] = [];
  parts.push(`<h1>Cardinality explorer</h1>
<p class="muted">Metrics received in the last ${r.windowMinutes} minutes, counted once per receiver. A series is a distinct set of resource, scope and data point attributes. Counts marked ~ are estimates (±${Math.round(r.errorBounds.series * 100)}% per metric, ±${Math.round(r.errorBounds.keys * 100)}% per key, one standard error). Generated ${esc(r.generatedAt)}.</p>
<div class="summary"><div><b>${fmtInt(t.activeSeries)}</b>active series</div><div><b>${fmtInt(t.metrics)}</b>metrics</div><div><b>${fmtInt(t.points)}</b>points seen</div><div><b>${fmtInt(t.memoryBytes / 1024)} KiB</b>tracker memory</div></div>`);
  if (t.overflowMetricNames > 0) {
    parts.push(
      `<p class="warn">${fmtInt(t.overflowMetricNames)} more metric names (${fmtInt(t.overflowPoints)} points) were not tracked: the limit is ${fmtInt(t.maxMetrics)} metrics (service.telemetry.cardinality.max_metrics).</p>`,
    );
  }
  parts.push('<h2 id="suggestions">Suggestions</h2>');
  if (r.suggestions.length === 0) {
    parts.push('<p class="muted">No single attribute key is responsible for most of a large metric’s series.</p>');
  } else {
    parts.push(
      '<p class="muted">Add the view to the <code>views</code> processor of the metrics pipelines; it re-aggregates the series it merges.</p>',
    );
    for (const s of r.suggestions) parts.push(suggestionBlock(s));
  }
  parts.push(`<h2 id="metrics">Top metrics by active series</h2>`);
  if (r.metrics.length === 0) {
    parts.push('<p class="muted">No metrics received yet.</p>');
  } else {
    parts.push(
      '<table><thead><tr><th>metric</th><th>type</th><th class="num">active series</th><th>last minutes</th><th>most distinct key</th></tr></thead><tbody>',
    );
    for (const m of r.metrics) {
      parts.push(
        `<tr><td><a href="${esc(metricHref(m.name, m.type))}"><code>${esc(m.name)}</code></a></td><td>${esc(m.type)}</td><td class="num">${approx(m.exact)}${fmtInt(m.activeSeries)}${growth(m.history)}</td><td>${sparkline(m.history)}</td><td>${m.topKey === null ? '<span class="muted">none</span>' : `<code>${esc(m.topKey)}</code>`}</td></tr>`,
      );
    }
    parts.push('</tbody></table>');
  }
  parts.push(`<h2 id="keys">Top attribute keys by distinct values</h2>`);
  if (r.topKeys.length === 0) {
    parts.push('<p class="muted">No attributes seen yet.</p>');
  } else {
    parts.push(
      '<table><thead><tr><th>key</th><th>on metric</th><th>kind</th><th class="num">distinct values</th></tr></thead><tbody>',
    );
    for (const k of r.topKeys) {
      parts.push(
        `<tr><td><code>${esc(k.key)}</code></td><td><a href="${esc(metricHref(k.metric, k.type))}"><code>${esc(k.metric)}</code></a></td><td>${esc(k.scope)}</td><td class="num">${approx(k.exact)}${fmtInt(k.distinctValues)}</td></tr>`,
      );
    }
    parts.push('</tbody></table>');
  }
  return page('Cardinality — Switchyard', parts.join('\n'));
}

export function renderMetricPage(m: MetricReport, suggestion: Suggestion | undefined, windowMinutes: number): string {
  const parts: string[] = [];
  parts.push(`<p><a href="/cardinality">← all metrics</a></p>
<h1><code>${esc(m.name)}</code> <span class="muted">${esc(m.type)}</span></h1>
<div class="summary"><div><b>${approx(m.exact)}${fmtInt(m.activeSeries)}</b>active series (${windowMinutes} min)</div><div><b>${fmtInt(m.points)}</b>points seen</div><div>${sparkline(m.history, 360, 60)}<br><span class="muted">series per minute, last ${windowMinutes} minutes</span></div></div>`);
  if (suggestion !== undefined) parts.push(suggestionBlock(suggestion));
  if (m.keyOverflow > 0) {
    parts.push(
      `<p class="warn">${fmtInt(m.keyOverflow)} attribute occurrences had keys past the per-metric limit and are not listed.</p>`,
    );
  }
  parts.push('<h2>Attribute keys</h2>');
  const keys = m.keys ?? [];
  if (keys.length === 0) {
    parts.push('<p class="muted">This metric has no attributes.</p>');
  } else {
    parts.push(
      '<table><thead><tr><th>key</th><th>kind</th><th class="num">distinct values</th><th class="num">series if dropped</th><th>examples</th></tr></thead><tbody>',
    );
    for (const k of keys) {
      parts.push(
        `<tr><td><code>${esc(k.key)}</code></td><td>${esc(k.scope)}</td><td class="num">${approx(k.exact)}${fmtInt(k.distinctValues)}</td><td class="num">${k.seriesWithoutKey === null ? '<span class="muted">n/a</span>' : `${approx(k.seriesWithoutKeyExact === true)}${fmtInt(k.seriesWithoutKey)}`}</td><td>${k.examples.map((e) => `<code>${esc(e)}</code>`).join(', ')}</td></tr>`,
      );
    }
    parts.push('</tbody></table>');
  }
  return page(`${m.name} — cardinality — Switchyard`, parts.join('\n'));
}

export function renderUnknownMetric(name: string): string {
  return page(
    'Unknown metric — Switchyard',
    `<p><a href="/cardinality">← all metrics</a></p><h1>No metric named <code>${esc(name)}</code></h1><p class="muted">It has not been received in the window, or it is past the tracked-metrics limit.</p>`,
  );
}

export function renderDisabledPage(): string {
  return page(
    'Cardinality — Switchyard',
    '<h1>Cardinality explorer</h1><p>Tracking is off: set <code>service.telemetry.cardinality.enabled: true</code>.</p>',
  );
}

// The status page (`/` on the own-telemetry address): pipelines, each component's status, and
// items received / sent / dropped read from the own metrics registry.
import type { ComponentStatus, Kind } from '../component/component.js';
import { esc, fmtInt, page } from './html.js';
import type { MetricsRegistry } from './metrics.js';

export interface StatusPipeline {
  readonly key: string;
  readonly signal: string;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

export interface StatusEntryView {
  readonly id: string;
  readonly kind: Kind;
  readonly status: ComponentStatus;
  readonly error?: string;
  readonly since: number;
}

/** What the page shows about the running service. */
export interface StatusSource {
  readonly pipelines: readonly StatusPipeline[];
  statuses(): ReadonlyArray<StatusEntryView>;
}

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Samples of Prometheus text 0.0.4 as our registry writes it (no timestamps, no comments kept). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.lastIndexOf(' ');
    if (space < 0) continue;
    const value = Number(line.slice(space + 1));
    if (brace < 0 || brace > space) {
      out.push({ name: line.slice(0, space), labels: {}, value });
      continue;
    }
    const labels: Record<string, string> = {};
    const re = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    const body = line.slice(brace + 1, line.lastIndexOf('}'));
    for (const m of body.matchAll(re)) {
      labels[m[1] as string] = (m[2] as string).replace(/\\(["\\n])/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: line.slice(0, brace), labels, value });
  }
  return out;
}

interface Flow {
  in: number;
  out: number;
  dropped: number;
}

const NOUN = '(spans|metric_points|log_records)';
const RULES: ReadonlyArray<{ re: RegExp; label: string; kind: Kind; field: keyof Flow }> = [
  { re: new RegExp(`^otelcol_receiver_accepted_${NOUN}_total$`), label: 'receiver', kind: 'receiver', field: 'in' },
  { re: new RegExp(`^otelcol_receiver_refused_${NOUN}_total$`), label: 'receiver', kind: 'receiver', field: 'dropped' },
  { re: /^otelcol_processor_incoming_items_total$/, label: 'processor', kind: 'processor', field: 'in' },
  { re: /^otelcol_processor_outgoing_items_total$/, label: 'processor', kind: 'processor', field: 'out' },
  {
    re: new RegExp(`^otelcol_processor_refused_${NOUN}_total$`),
    label: 'processor',
    kind: 'processor',
    field: 'dropped',
  },
  { re: new RegExp(`^otelcol_exporter_sent_${NOUN}_total$`), label: 'exporter', kind: 'exporter', field: 'out' },
  {
    re: new RegExp(`^otelcol_exporter_send_failed_${NOUN}_total$`),
    label: 'exporter',
    kind: 'exporter',
    field: 'dropped',
  },
  {
    re: new RegExp(`^otelcol_exporter_enqueue_failed_${NOUN}_total$`),
    label: 'exporter',
    kind: 'exporter',
    field: 'dropped',
  },
];

/** Items per component from the registry: received (in), sent (out), refused/failed (dropped). */
export function componentFlows(registry: MetricsRegistry): Map<string, Flow> {
  const flows = new Map<string, Flow>();
  for (const s of parseSamples(registry.render())) {
    for (const rule of RULES) {
      if (!rule.re.test(s.name)) continue;
      const id = s.labels[rule.label];
      if (id === undefined) continue;
      const key = `${rule.kind}:${id}`;
      let f = flows.get(key);
      if (f === undefined) {
        f = { in: 0, out: 0, dropped: 0 };
        flows.set(key, f);
      }
      f[rule.field] += s.value;
    }
  }
  return flows;
}

const STATUS_CLASS: Readonly<Record<ComponentStatus, string>> = {
  starting: 'muted',
  ok: 'ok',
  recoverable_error: 'warn',
  permanent_error: 'bad',
  stopping: 'muted',
  stopped: 'muted',
};

export function renderStatusPage(
  source: StatusSource | undefined,
  registry: MetricsRegistry,
  cardinalityEnabled: boolean,
): string {
  const parts: string[] = ['<h1>Switchyard collector</h1>'];
  parts.push(
    cardinalityEnabled
      ? '<p><a href="/cardinality"><b>Cardinality explorer</b></a>: which metrics and attribute keys make the most series, and what to drop.</p>'
      : '<p class="muted">The cardinality explorer is off (service.telemetry.cardinality.enabled).</p>',
  );
  if (source === undefined) {
    parts.push('<p class="warn">The pipelines are not running (starting, reloading or stopping).</p>');
    return page('Switchyard status', parts.join('\n'));
  }
  const flows = componentFlows(registry);
  const statuses = source.statuses();
  parts.push(
    '<h2>Pipelines</h2><table><thead><tr><th>pipeline</th><th>receivers</th><th>processors</th><th>exporters</th></tr></thead><tbody>',
  );
  for (const p of source.pipelines) {
    const list = (ids: readonly string[]): string =>
      ids.length === 0 ? '<span class="muted">none</span>' : ids.map((i) => `<code>${esc(i)}</code>`).join(' → ');
    parts.push(
      `<tr><td><code>${esc(p.key)}</code></td><td>${list(p.receivers)}</td><td>${list(p.processors)}</td><td>${list(p.exporters)}</td></tr>`,
    );
  }
  parts.push('</tbody></table>');
  parts.push(
    '<h2>Components</h2><table><thead><tr><th>kind</th><th>component</th><th>status</th><th class="num">received</th><th class="num">sent</th><th class="num">dropped</th></tr></thead><tbody>',
  );
  const order: Readonly<Record<Kind, number>> = { receiver: 0, processor: 1, exporter: 2, extension: 3, connector: 4 };
  const sorted = [...statuses].sort((a, b) => order[a.kind] - order[b.kind] || a.id.localeCompare(b.id));
  for (const s of sorted) {
    const f = flows.get(`${s.kind}:${s.id}`);
    const cell = (n: number | undefined, bad = false): string =>
      n === undefined
        ? '<td class="num muted">–</td>'
        : `<td class="num${bad && n > 0 ? ' bad' : ''}">${fmtInt(n)}</td>`;
    const status = `<span class="${STATUS_CLASS[s.status]}">${esc(s.status.replace('_', ' '))}</span>${s.error === undefined ? '' : ` <span class="muted">${esc(s.error.slice(0, 300))}</span>`}`;
    parts.push(
      `<tr><td>${esc(s.kind)}</td><td><code>${esc(s.id)}</code></td><td>${status}</td>${cell(f?.in)}${cell(f?.out)}${cell(f?.dropped, true)}</tr>`,
    );
  }
  parts.push('</tbody></table>');
  parts.push(
    '<p class="muted">Received: items accepted (receivers) or taken in (processors). Sent: items passed on or delivered. Dropped: refused, failed or not enqueued; each has a reason on <a href="/metrics">/metrics</a>.</p>',
  );
  return page('Switchyard status', parts.join('\n'));
}

// Accumulator state -> Prometheus text 0.0.4 or OpenMetrics 1.0 text.
import {
  type ExpositionFormat,
  escapeHelp,
  formatBound,
  formatSeconds,
  formatTimestamp,
  formatValue,
} from '../../prometheus/textwrite.js';
import type { Accumulator, Family, Series } from './accumulator.js';

export interface RenderOptions {
  readonly format: ExpositionFormat;
  /** Append each sample's timestamp (the Collector's `send_timestamps`). */
  readonly sendTimestamps: boolean;
}

function braces(labelText: string, extra?: string): string {
  if (extra === undefined) return labelText === '' ? '' : `{${labelText}}`;
  return labelText === '' ? `{${extra}}` : `{${labelText},${extra}}`;
}

/** The OpenMetrics family name of a counter (without `_total`) and its sample name. */
function counterNames(name: string): { family: string; sample: string } {
  if (name.endsWith('_total')) return { family: name.slice(0, -6), sample: name };
  return { family: name, sample: `${name}_total` };
}

function omType(f: Family): string {
  switch (f.type) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return f.type;
    default: {
      const never: never = f.type;
      throw new Error(`unknown family type ${String(never)}`);
    }
  }
}

/** Lines joined into one chunk before it is handed out. */
const CHUNK_LINES = 4096;

/**
 * Render every family, sorted by name, series in insertion order, `target_info` first, as chunks
 * of whole lines (each ends with a newline). OpenMetrics output ends with `# EOF`. A caller may
 * let other work run between chunks: families or series that go meanwhile are skipped.
 */
export function* renderChunkIterator(acc: Accumulator, opts: RenderOptions): Generator<string, void, undefined> {
  const om = opts.format === 'openmetrics';
  let out: string[] = [];
  const take = (): string => {
    out.push('');
    const text = out.join('\n');
    out = [];
    return text;
  };
  if (acc.targets.size > 0) {
    if (om) out.push('# TYPE target info', '# HELP target Target metadata');
    else out.push('# HELP target_info Target metadata', '# TYPE target_info gauge');
    for (const t of acc.targets.values()) out.push(`target_info${braces(t.labelText)} 1`);
  }
  const names = [...acc.families.keys()].sort();
  for (const name of names) {
    const f = acc.families.get(name);
    if (f === undefined || f.series.size === 0) continue;
    renderHeader(f, opts, out);
    const sample = f.type === 'counter' && om ? counterNames(f.name).sample : f.name;
    for (const s of f.series.values()) {
      renderSeries(f, sample, s, opts, out);
      if (out.length >= CHUNK_LINES) yield take();
    }
  }
  if (om) out.push('# EOF');
  if (out.length > 0) yield take();
}

/** The chunks of `renderChunkIterator`, all at once. */
export function renderChunks(acc: Accumulator, opts: RenderOptions, onChunk: (text: string) => void): void {
  for (const text of renderChunkIterator(acc, opts)) onChunk(text);
}

/** The whole page as one string. */
export function renderExposition(acc: Accumulator, opts: RenderOptions): string {
  const parts: string[] = [];
  renderChunks(acc, opts, (t) => parts.push(t));
  return parts.join('');
}

function renderHeader(f: Family, opts: RenderOptions, out: string[]): void {
  const om = opts.format === 'openmetrics';
  const family = f.type === 'counter' && om ? counterNames(f.name).family : f.name;
  if (om) {
    out.push(`# TYPE ${family} ${omType(f)}`);
    if (f.unit !== '' && family.endsWith(`_${f.unit}`)) out.push(`# UNIT ${family} ${f.unit}`);
    if (f.help !== '') out.push(`# HELP ${family} ${escapeHelp(f.help, 'openmetrics')}`);
  } else {
    if (f.help !== '') out.push(`# HELP ${family} ${escapeHelp(f.help, 'text')}`);
    out.push(`# TYPE ${family} ${f.type}`);
  }
}

function renderSeries(f: Family, sample: string, s: Series, opts: RenderOptions, out: string[]): void {
  const om = opts.format === 'openmetrics';
  const ts = opts.sendTimestamps ? ` ${formatTimestamp(s.time, opts.format)}` : '';
  const lbl = braces(s.labelText);
  const created = om && f.type !== 'gauge' && s.start > 0n ? ` ${formatSeconds(s.start)}` : undefined;
  const base = om && f.type === 'counter' ? counterNames(f.name).family : f.name;
  const v = s.value;
  switch (v.kind) {
    case 'number':
      out.push(`${sample}${lbl} ${formatValue(v.value)}${ts}`);
      break;
    case 'histogram': {
      let cum = 0n;
      for (let i = 0; i < v.bounds.length; i++) {
        cum += v.counts[i] as bigint;
        out.push(`${base}_bucket${braces(s.labelText, `le="${formatBound(v.bounds[i] as number)}"`)} ${cum}${ts}`);
      }
      out.push(`${base}_bucket${braces(s.labelText, 'le="+Inf"')} ${v.count}${ts}`);
      if (om) {
        // OpenMetrics: no _sum with negative buckets (nor a negative or NaN one: it is a
        // counter), and _count if and only if _sum.
        const sum = v.sum;
        if (sum !== undefined && sum >= 0 && !((v.bounds[0] ?? 0) < 0)) {
          out.push(`${base}_sum${lbl} ${formatValue(sum)}${ts}`);
          out.push(`${base}_count${lbl} ${v.count}${ts}`);
        }
      } else {
        if (v.sum !== undefined) out.push(`${base}_sum${lbl} ${formatValue(v.sum)}${ts}`);
        out.push(`${base}_count${lbl} ${v.count}${ts}`);
      }
      break;
    }
    case 'summary':
      for (const q of v.quantiles) {
        out.push(`${base}${braces(s.labelText, `quantile="${formatBound(q.quantile)}"`)} ${formatValue(q.value)}${ts}`);
      }
      out.push(`${base}_sum${lbl} ${formatValue(v.sum)}${ts}`);
      out.push(`${base}_count${lbl} ${v.count}${ts}`);
      break;
    default: {
      const never: never = v;
      throw new Error(`unknown series value ${String(never)}`);
    }
  }
  if (created !== undefined) out.push(`${base}_created${lbl}${created}${ts}`);
}

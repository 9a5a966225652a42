// Building blocks for writing Prometheus text 0.0.4 and OpenMetrics 1.0 text: escaping and the
// canonical number forms. Shared by every Prometheus text writer.

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPE: Readonly<Record<ExpositionFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Label values: `\` -> `\\`, `"` -> `\"`, newline -> `\n` (both formats). */
export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** HELP text: 0.0.4 escapes `\` and newline; OpenMetrics also `"`. */
export function escapeHelp(v: string, format: ExpositionFormat): string {
  const re = format === 'openmetrics' ? /[\\"\n]/g : /[\\\n]/g;
  return v.replace(re, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** A sample value: integers (bigint) as written, doubles in shortest round-trip form, `+Inf`, `-Inf`, `NaN`. */
export function formatValue(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/**
 * The canonical form of an `le` / `quantile` label value (OpenMetrics canonical numbers): a
 * float always carries a `.` or an exponent (`1.0`, `0.25`, `1e-05` is written `1e-5`), `+Inf`.
 * Used in both formats so that a series keeps its identity whichever format was negotiated.
 */
export function formatBound(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** A timestamp from unix nanoseconds: integer milliseconds (0.0.4) or seconds with fraction (OpenMetrics). */
export function formatTimestamp(ns: bigint, format: ExpositionFormat): string {
  if (format === 'text') return (ns / 1_000_000n).toString();
  return formatSeconds(ns);
}

/** Unix nanoseconds as decimal seconds, exact to the millisecond (e.g. `1520879607.789`). */
export function formatSeconds(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const sec = ms / 1000n;
  const frac = ms % 1000n;
  if (frac === 0n) return `${sec}.0`;
  return `${sec}.${frac.toString().padStart(3, '0').replace(/0+$/, '')}`;
}

// View selection: which views select a metric stream (all given criteria AND-ed).
import { attrValueText } from '../../metrics/attrs.js';
import type { InstrumentationScope, Metric, MetricData, Resource } from '../../pdata/model.js';
import type { InstrumentType, SelectorConfig } from './config.js';

/** A glob with `*` (any run, empty included) and `?` (exactly one character), anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's');
}

/** The SDK instrument type a metric corresponds to (Sum splits on is_monotonic). */
export function instrumentTypeOf(data: MetricData): InstrumentType {
  switch (data.type) {
    case 'sum':
      return data.isMonotonic ? 'counter' : 'updown_counter';
    case 'gauge':
      return 'gauge';
    case 'histogram':
      return 'histogram';
    case 'exponentialHistogram':
      return 'exponential_histogram';
    case 'summary':
      return 'summary';
    default: {
      const never: never = data;
      throw new Error(`unknown metric type ${String(never)}`);
    }
  }
}

export interface CompiledSelector {
  matches(
    resource: Resource | undefined,
    scope: InstrumentationScope | undefined,
    scopeSchemaUrl: string,
    metric: Metric,
  ): boolean;
}

export function compileSelector(sel: SelectorConfig): CompiledSelector {
  const name = sel.instrument_name === undefined ? undefined : globToRegExp(sel.instrument_name);
  const meter = sel.meter_name === undefined ? undefined : globToRegExp(sel.meter_name);
  const resAttrs = sel.resource_attributes === undefined ? [] : Object.entries(sel.resource_attributes);
  return {
    matches(resource, scope, scopeSchemaUrl, metric) {
      if (metric.data === undefined) return false;
      if (name !== undefined && !name.test(metric.name)) return false;
      if (sel.instrument_type !== undefined && instrumentTypeOf(metric.data) !== sel.instrument_type) return false;
      if (sel.unit !== undefined && metric.unit !== sel.unit) return false;
      if (meter !== undefined && !meter.test(scope?.name ?? '')) return false;
      if (sel.meter_version !== undefined && (scope?.version ?? '') !== sel.meter_version) return false;
      if (sel.meter_schema_url !== undefined && scopeSchemaUrl !== sel.meter_schema_url) return false;
      for (const [k, v] of resAttrs) {
        const kv = resource?.attributes.find((a) => a.key === k);
        if (kv === undefined || attrValueText(kv.value) !== v) return false;
      }
      return true;
    },
  };
}

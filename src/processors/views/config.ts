// Config of the views processor: schema (shapes, ranges, defaults) and cross-field checks.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration, durationMs } from '../../config/types.js';

export const DEFAULT_CARDINALITY_LIMIT = 2000;
export const DEFAULT_STATE_EXPIRY = '5m';
export const DEFAULT_INTERVAL = '60s';
/** The SDK's default explicit bucket boundaries. */
export const DEFAULT_BOUNDARIES: readonly number[] = [
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
];

const Empty = Type.Object({}, { additionalProperties: false });

const ExplicitBuckets = Type.Object(
  {
    boundaries: Type.Optional(
      Type.Array(Type.Number(), {
        description: 'Strictly increasing finite bucket upper bounds; default the SDK bounds 0..10000.',
      }),
    ),
    record_min_max: Type.Optional(Type.Boolean({ description: 'Keep min/max (default true).' })),
  },
  { additionalProperties: false },
);

const Base2Buckets = Type.Object(
  {
    max_size: Type.Optional(
      Type.Integer({ minimum: 3, maximum: 16384, description: 'Buckets per range (default 160).' }),
    ),
    max_scale: Type.Optional(Type.Integer({ minimum: -10, maximum: 20, description: 'Highest scale (default 20).' })),
    record_min_max: Type.Optional(Type.Boolean({ description: 'Keep min/max (default true).' })),
  },
  { additionalProperties: false },
);

function one<K extends string, T extends TSchema>(key: K, schema: T) {
  return Type.Object({ [key]: schema } as { [P in K]: T }, { additionalProperties: false });
}

const Aggregation = Type.Union(
  [
    one('drop', Empty),
    one('default', Empty),
    one('sum', Empty),
    one('last_value', Empty),
    one('explicit_bucket_histogram', ExplicitBuckets),
    one('base2_exponential_bucket_histogram', Base2Buckets),
  ],
  { description: 'Exactly one aggregation key.' },
);

export const INSTRUMENT_TYPES = [
  'counter',
  'updown_counter',
  'gauge',
  'histogram',
  'exponential_histogram',
  'summary',
] as const;
export type InstrumentType = (typeof INSTRUMENT_TYPES)[number];

const Selector = Type.Object(
  {
    instrument_name: Type.Optional(Type.String({ description: 'Metric name; * and ? wildcards.' })),
    instrument_type: Type.Optional(
      Type.Union(
        INSTRUMENT_TYPES.map((t) => Type.Literal(t)),
        { description: 'Mapped from the OTLP type and is_monotonic.' },
      ),
    ),
    unit: Type.Optional(Type.String({ description: 'Exact unit.' })),
    meter_name: Type.Optional(Type.String({ description: 'Scope name; * and ? wildcards.' })),
    meter_version: Type.Optional(Type.String({ description: 'Exact scope version.' })),
    meter_schema_url: Type.Optional(Type.String({ description: 'Exact scope schema URL.' })),
    resource_attributes: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Resource attributes that must be present with these values (compared as text).',
      }),
    ),
  },
  { additionalProperties: false },
);

const AttributeKeys = Type.Object(
  {
    included: Type.Optional(Type.Array(Type.String(), { description: 'Keep only these point attribute keys.' })),
    excluded: Type.Optional(Type.Array(Type.String(), { description: 'Keep every key but these.' })),
  },
  { additionalProperties: false },
);

export const DUAL_EMIT_STATS = ['min', 'max', 'sum', 'count'] as const;
export type DualEmitStat = (typeof DUAL_EMIT_STATS)[number];

const Stream = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Output metric name (selector must match one name).' })),
    description: Type.Optional(Type.String()),
    attribute_keys: Type.Optional(AttributeKeys),
    aggregation: Type.Optional(Aggregation),
    temporality: Type.Optional(Type.Union([Type.Literal('delta'), Type.Literal('cumulative')])),
    aggregation_cardinality_limit: Type.Optional(
      Type.Integer({ minimum: 2, description: 'Series per output metric, overflow series included.' }),
    ),
    dual_emit: Type.Optional(
      Type.Object(
        {
          name: Type.String({ description: 'Prefix of the extra metrics: <name>.min, <name>.max, ...' }),
          stats: Type.Array(Type.Union(DUAL_EMIT_STATS.map((s) => Type.Literal(s))), {
            minItems: 1,
            description: 'Statistics of the distribution to emit as metrics.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const View = Type.Object(
  {
    selector: Selector,
    stream: Type.Optional(Stream),
  },
  { additionalProperties: false },
);

export const ViewsConfigSchema = Type.Object(
  {
    cardinality_limit: Type.Integer({
      minimum: 2,
      default: DEFAULT_CARDINALITY_LIMIT,
      description:
        'Series per output metric, the overflow series (otel.metric.overflow=true) included. ' +
        'A view may override it with aggregation_cardinality_limit.',
    }),
    state_expiry: Duration(
      'Series state not updated for this long is forgotten (cumulative outputs then end with a no-recorded-value point).',
      DEFAULT_STATE_EXPIRY,
    ),
    interval: Duration('How often re-aggregated streams are emitted.', DEFAULT_INTERVAL),
    views: Type.Array(View, { default: [], description: 'Views, applied in order; unselected streams pass through.' }),
  },
  { additionalProperties: false },
);

export type ViewsConfig = Static<typeof ViewsConfigSchema>;
export type ViewConfig = Static<typeof View>;
export type AggregationConfig = Static<typeof Aggregation>;
export type SelectorConfig = Static<typeof Selector>;

export function defaultViewsConfig(): ViewsConfig {
  return {
    cardinality_limit: DEFAULT_CARDINALITY_LIMIT,
    state_expiry: DEFAULT_STATE_EXPIRY,
    interval: DEFAULT_INTERVAL,
    views: [],
  };
}

const hasWildcard = (s: string): boolean => s.includes('*') || s.includes('?');

export function validateViewsConfig(config: ViewsConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (durationMs(config.interval) <= 0) problems.push({ path: ['interval'], message: 'must be greater than 0' });
  if (durationMs(config.state_expiry) <= 0) {
    problems.push({ path: ['state_expiry'], message: 'must be greater than 0' });
  } else if (durationMs(config.state_expiry) < durationMs(config.interval)) {
    problems.push({
      path: ['state_expiry'],
      message: `must be at least the interval (${config.interval}); got ${config.state_expiry}`,
    });
  }
  const renamedBy = new Map<string, number>();
  config.views.forEach((view, i) => {
    const at = (...p: (string | number)[]) => ['views', i, ...p];
    const sel = view.selector;
    if (Object.keys(sel).length === 0) {
      problems.push({ path: at('selector'), message: 'needs at least one criterion (e.g. instrument_name)' });
    }
    const stream = view.stream;
    if (stream === undefined) return;
    if (stream.name !== undefined) {
      if (sel.instrument_name === undefined || hasWildcard(sel.instrument_name)) {
        problems.push({
          path: at('stream', 'name'),
          message:
            'renaming needs a selector that matches at most one name: set selector.instrument_name to an exact name ' +
            '(no * or ? wildcards)',
        });
      }
      const prev = renamedBy.get(stream.name);
      if (prev !== undefined) {
        problems.push({
          path: at('stream', 'name'),
          message: `views[${prev}] already produces a stream named "${stream.name}": output names must not conflict`,
        });
      } else {
        renamedBy.set(stream.name, i);
      }
    }
    const keys = stream.attribute_keys;
    if (keys !== undefined) {
      if (keys.included !== undefined && keys.excluded !== undefined) {
        problems.push({
          path: at('stream', 'attribute_keys'),
          message: 'set either included or excluded, not both',
        });
      }
    }
    const agg = stream.aggregation;
    if (agg !== undefined && 'explicit_bucket_histogram' in agg) {
      const b = agg.explicit_bucket_histogram.boundaries;
      if (b !== undefined) {
        for (let j = 0; j < b.length; j++) {
          const v = b[j] as number;
          if (!Number.isFinite(v)) {
            problems.push({
              path: at('stream', 'aggregation', 'explicit_bucket_histogram', 'boundaries', j),
              message: 'must be finite',
            });
          } else if (j > 0 && !(v > (b[j - 1] as number))) {
            problems.push({
              path: at('stream', 'aggregation', 'explicit_bucket_histogram', 'boundaries', j),
              message: `boundaries must be strictly increasing: ${v} after ${b[j - 1]}`,
            });
          }
        }
      }
    }
    if (stream.dual_emit !== undefined) {
      const kind = agg === undefined ? 'default' : Object.keys(agg)[0];
      if (kind === 'drop' || kind === 'sum' || kind === 'last_value') {
        problems.push({
          path: at('stream', 'dual_emit'),
          message: `needs a distribution (histogram, exponential histogram or summary); aggregation ${kind} has none`,
        });
      }
      if (stream.dual_emit.name === (stream.name ?? sel.instrument_name)) {
        problems.push({ path: at('stream', 'dual_emit', 'name'), message: 'must differ from the stream name' });
      }
    }
  });
  return problems;
}

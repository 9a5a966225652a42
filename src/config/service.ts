// The `service:` section: extensions to enable, pipelines wiring components by id, and the
// collector's own telemetry.
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { AnyFactory } from '../component/component.js';
import { SIGNALS, type Signal } from '../pdata/model.js';
import { checkValue } from './check.js';
import { isPlainObject, type LNode, nodeAt, type Path, toPlain } from './located.js';
import { overlay } from './overlay.js';
import type { Reporter } from './report.js';
import type { CardinalitySettings, LogLevel, ResolvedConfig, ResolvedPipeline } from './resolved.js';
import type { SchemaObject } from './schema-walk.js';
import { type ComponentSection, SECTION_KIND, supportedSignals } from './sections.js';
import { hint } from './suggest.js';
import { Duration, durationMs } from './types.js';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const METRICS_LEVELS = ['none', 'basic', 'normal', 'detailed'] as const;
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:8888';
const DEFAULT_PULL_HOST = '127.0.0.1';
const DEFAULT_PULL_PORT = 8888;
/** `host:port`, or empty to turn the own-metrics endpoint off. */
const ADDRESS_PATTERN = '^$|^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):\\d{1,5}$';
export const PIPELINE_ID_PATTERN = '^(traces|metrics|logs)(/[^\\s/]+)?$';

const closed = { additionalProperties: false } as const;

function literals<T extends string>(values: readonly T[], options: { default: T; description: string }): TSchema {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );
}

export const PrometheusReaderSchema = Type.Object(
  {
    pull: Type.Object(
      {
        exporter: Type.Object(
          {
            prometheus: Type.Object(
              {
                host: Type.Optional(Type.String({ minLength: 1, default: DEFAULT_PULL_HOST })),
                port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: DEFAULT_PULL_PORT })),
              },
              closed,
            ),
          },
          closed,
        ),
      },
      closed,
    ),
  },
  { ...closed, description: "The Collector's newer form of metrics.address (one Prometheus pull reader)." },
);

export const CardinalitySchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({ default: true, description: 'Track series per metric for the cardinality explorer.' }),
    ),
    max_metrics: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        default: 1000,
        description: 'Metrics (name + type) tracked at once; more are counted as overflow.',
      }),
    ),
    max_keys_per_metric: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 256,
        default: 16,
        description: 'Data point attribute keys tracked per metric; more are counted as overflow.',
      }),
    ),
    window: Type.Optional(
      Duration('What "active" means: series seen in this window (whole minutes, 1m to 60m).', '15m'),
    ),
  },
  { ...closed, description: 'The cardinality explorer on the own-metrics address (/cardinality).' },
);

export const DEFAULT_CARDINALITY: CardinalitySettings = {
  enabled: true,
  maxMetrics: 1000,
  maxKeysPerMetric: 16,
  windowMs: 15 * 60_000,
};

export const TelemetrySchema = Type.Object(
  {
    cardinality: Type.Optional(CardinalitySchema),
    logs: Type.Optional(
      Type.Object(
        { level: Type.Optional(literals(LOG_LEVELS, { default: 'info', description: 'Minimum log level.' })) },
        closed,
      ),
    ),
    metrics: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(
            literals(METRICS_LEVELS, { default: 'normal', description: 'Detail of own metrics; none turns them off.' }),
          ),
          address: Type.Optional(
            Type.String({
              pattern: ADDRESS_PATTERN,
              default: DEFAULT_METRICS_ADDRESS,
              description: 'host:port of the own-metrics Prometheus endpoint; empty turns it off.',
            }),
          ),
          readers: Type.Optional(Type.Array(PrometheusReaderSchema, { maxItems: 1 })),
        },
        closed,
      ),
    ),
  },
  closed,
);

const IdList = Type.Array(Type.String());
export const PipelineSchema = Type.Object(
  { receivers: Type.Optional(IdList), processors: Type.Optional(IdList), exporters: Type.Optional(IdList) },
  closed,
);

/** The shape checked by ajv; ids and references are checked by hand for better messages. */
export const ServiceSchema = Type.Object(
  {
    extensions: Type.Optional(IdList),
    pipelines: Type.Optional(Type.Record(Type.String(), PipelineSchema)),
    telemetry: Type.Optional(TelemetrySchema),
  },
  closed,
);

type ServiceConfig = Static<typeof ServiceSchema>;
type PipelineConfig = Static<typeof PipelineSchema>;

/** Every id written in each component section, with its factory when the type is known. */
export type Configured = Readonly<Record<ComponentSection, ReadonlyMap<string, AnyFactory | undefined>>>;

export interface ServiceResult {
  readonly service: ResolvedConfig['service'];
  /** Ids each section has in some pipeline (or in service.extensions). */
  readonly used: Readonly<Record<ComponentSection, ReadonlySet<string>>>;
}

const ROLES = [
  { key: 'receivers', section: 'receivers' },
  { key: 'processors', section: 'processors' },
  { key: 'exporters', section: 'exporters' },
] as const;

export function resolveService(root: LNode | undefined, configured: Configured, report: Reporter): ServiceResult {
  const user = toPlain(nodeAt(root, ['service']));
  const checked = checkValue(ServiceSchema, overlay({}, user ?? {}, ServiceSchema as SchemaObject));
  report.schema(['service'], checked.problems);
  const service = (isPlainObject(checked.value) ? checked.value : {}) as ServiceConfig;
  const used = emptyUsage();
  const extensions = checkExtensions(arrayOrEmpty(service.extensions), configured, used, report);
  const pipelines = checkPipelines(service.pipelines, configured, used, report);
  const telemetryProblems = checked.problems.some((p) => p.path[0] === 'telemetry');
  const addressWritten = nodeAt(root, ['service', 'telemetry', 'metrics', 'address']) !== undefined;
  const telemetry = telemetryProblems
    ? DEFAULT_TELEMETRY
    : resolveTelemetry(service.telemetry ?? {}, addressWritten, report);
  return { service: { extensions, pipelines, telemetry }, used };
}

const DEFAULT_TELEMETRY: ServiceTelemetry = {
  logs: { level: 'info' },
  metrics: { level: 'normal', address: DEFAULT_METRICS_ADDRESS },
  cardinality: DEFAULT_CARDINALITY,
};

function resolveCardinality(c: Static<typeof CardinalitySchema> | undefined, report: Reporter): CardinalitySettings {
  const windowText = c?.window ?? '15m';
  const ms = durationMs(windowText);
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1 || minutes > 60 || minutes * 60_000 !== ms) {
    report.error(
      ['service', 'telemetry', 'cardinality', 'window'],
      `window must be whole minutes from 1m to 60m, got "${windowText}"`,
    );
  }
  return {
    enabled: c?.enabled ?? DEFAULT_CARDINALITY.enabled,
    maxMetrics: c?.max_metrics ?? DEFAULT_CARDINALITY.maxMetrics,
    maxKeysPerMetric: c?.max_keys_per_metric ?? DEFAULT_CARDINALITY.maxKeysPerMetric,
    windowMs: Math.min(60, Math.max(1, minutes)) * 60_000,
  };
}

function arrayOrEmpty(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function emptyUsage(): Record<ComponentSection, Set<string>> {
  return {
    receivers: new Set(),
    processors: new Set(),
    exporters: new Set(),
    extensions: new Set(),
    connectors: new Set(),
  };
}

function checkExtensions(
  list: readonly unknown[],
  configured: Configured,
  used: Record<ComponentSection, Set<string>>,
  report: Reporter,
): string[] {
  const path: Path = ['service', 'extensions'];
  checkReferences(path, list, 'extensions', configured, used, report);
  return strings(list);
}

function checkPipelines(
  pipelines: ServiceConfig['pipelines'],
  configured: Configured,
  used: Record<ComponentSection, Set<string>>,
  report: Reporter,
): ResolvedPipeline[] {
  const path: Path = ['service', 'pipelines'];
  if (pipelines !== undefined && !isPlainObject(pipelines)) return []; // the schema reported it
  const entries = Object.entries(pipelines ?? {});
  if (entries.length === 0) {
    report.error(path, 'at least one pipeline is required (e.g. traces, metrics/internal)');
    return [];
  }
  const out: ResolvedPipeline[] = [];
  for (const [key, pipeline] of entries) {
    const signal = pipelineSignal(key, [...path, key], report);
    if (signal !== undefined && isPlainObject(pipeline)) {
      out.push(checkPipeline(key, signal, pipeline, configured, used, report));
    }
  }
  return out;
}

function pipelineSignal(key: string, path: Path, report: Reporter): Signal | undefined {
  const match = /^([^/]*)(?:\/(.*))?$/.exec(key);
  const signal = match?.[1] ?? key;
  const name = match?.[2];
  if (!(SIGNALS as readonly string[]).includes(signal)) {
    report.error(
      path,
      `unknown signal "${signal}" in pipeline id "${key}"${hint('valid values', signal, SIGNALS)}`,
      'key',
    );
    return undefined;
  }
  if (name !== undefined && (name === '' || /[\s/]/.test(name))) {
    report.error(
      path,
      `invalid pipeline id "${key}": the name after "/" must be non-empty, without spaces or "/"`,
      'key',
    );
    return undefined;
  }
  return signal as Signal;
}

function checkPipeline(
  key: string,
  signal: Signal,
  pipeline: PipelineConfig,
  configured: Configured,
  used: Record<ComponentSection, Set<string>>,
  report: Reporter,
): ResolvedPipeline {
  const path: Path = ['service', 'pipelines', key];
  for (const role of ROLES) {
    const written = pipeline[role.key];
    const list = arrayOrEmpty(written);
    if (role.key !== 'processors' && (written === undefined || (Array.isArray(written) && list.length === 0))) {
      report.error(path, `must have at least one ${SECTION_KIND[role.section]} (pipeline "${key}")`, 'key');
    }
    checkReferences([...path, role.key], list, role.section, configured, used, report, { key, signal });
  }
  return {
    key,
    signal,
    receivers: strings(pipeline.receivers),
    processors: strings(pipeline.processors),
    exporters: strings(pipeline.exporters),
  };
}

function strings(value: unknown): string[] {
  return arrayOrEmpty(value).filter((x) => typeof x === 'string');
}

function checkReferences(
  path: Path,
  list: readonly unknown[],
  section: ComponentSection,
  configured: Configured,
  used: Record<ComponentSection, Set<string>>,
  report: Reporter,
  pipeline?: { key: string; signal: Signal },
): void {
  const noun = SECTION_KIND[section];
  const where = pipeline === undefined ? 'service.extensions' : `pipeline "${pipeline.key}"`;
  const available = configured[section];
  const seen = new Set<string>();
  for (const [i, ref] of list.entries()) {
    if (typeof ref !== 'string') continue;
    const at = [...path, i];
    if (seen.has(ref)) report.error(at, `${where} references ${noun} "${ref}" more than once`);
    seen.add(ref);
    used[section].add(ref);
    if (!available.has(ref)) {
      const ids = [...available.keys()];
      report.error(
        at,
        `${where} references ${noun} "${ref}" which is not configured${hint(`configured ${section}`, ref, ids)}`,
      );
      continue;
    }
    const factory = available.get(ref);
    const signals = factory === undefined ? undefined : supportedSignals(factory);
    if (pipeline !== undefined && signals !== undefined && !signals.includes(pipeline.signal)) {
      report.error(
        at,
        `${noun} "${ref}" does not support ${pipeline.signal} (${where}; it supports: ${signals.join(', ') || 'none'})`,
      );
    }
  }
}

function resolveTelemetry(
  t: NonNullable<ServiceConfig['telemetry']>,
  addressWritten: boolean,
  report: Reporter,
): ServiceTelemetry {
  const metrics = t.metrics ?? {};
  const level = (metrics.level ?? 'normal') as ServiceTelemetry['metrics']['level'];
  const logs = { level: (t.logs?.level ?? 'info') as LogLevel };
  const cardinality = resolveCardinality(t.cardinality, report);
  const reader = metrics.readers?.[0];
  if (reader === undefined) {
    return { logs, metrics: { level, address: metrics.address ?? DEFAULT_METRICS_ADDRESS }, cardinality };
  }
  if (addressWritten) {
    report.error(
      ['service', 'telemetry', 'metrics', 'readers'],
      'set either metrics.address or metrics.readers, not both',
      'key',
    );
  }
  const { host = DEFAULT_PULL_HOST, port = DEFAULT_PULL_PORT } = reader.pull.exporter.prometheus;
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  return { logs, metrics: { level, address }, cardinality };
}

type ServiceTelemetry = ResolvedConfig['service']['telemetry'];

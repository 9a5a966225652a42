// What the config layer hands to the service: every component resolved to its factory and a
// validated config object, and the pipelines referencing them by id string.
import type {
  ExporterFactory,
  ExtensionFactory,
  Kind,
  ProcessorFactory,
  ReceiverFactory,
} from '../component/component.js';
import type { ComponentId } from '../component/id.js';
import type { Signal } from '../pdata/model.js';

export interface ResolvedComponent<F> {
  readonly id: ComponentId;
  /** `type[/name]` as written. */
  readonly key: string;
  readonly factory: F;
  /** The default config with the user's map overlaid, validated against the factory schema. */
  readonly config: unknown;
}

export interface ResolvedPipeline {
  /** `signal[/name]` as written (e.g. `traces`, `metrics/internal`). */
  readonly key: string;
  readonly signal: Signal;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

/** Resolved `service.telemetry.cardinality`. */
export interface CardinalitySettings {
  readonly enabled: boolean;
  readonly maxMetrics: number;
  readonly maxKeysPerMetric: number;
  readonly windowMs: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ResolvedConfig {
  readonly receivers: ReadonlyMap<string, ResolvedComponent<ReceiverFactory>>;
  readonly processors: ReadonlyMap<string, ResolvedComponent<ProcessorFactory>>;
  readonly exporters: ReadonlyMap<string, ResolvedComponent<ExporterFactory>>;
  readonly extensions: ReadonlyMap<string, ResolvedComponent<ExtensionFactory>>;
  readonly service: {
    readonly extensions: readonly string[];
    readonly pipelines: readonly ResolvedPipeline[];
    readonly telemetry: {
      readonly logs: { readonly level: LogLevel };
      /** `address: ''` or `level: none` turns the own-metrics endpoint off. */
      readonly metrics: { readonly level: 'none' | 'basic' | 'normal' | 'detailed'; readonly address: string };
      /** The cardinality explorer's tracker (served on the own-metrics address). */
      readonly cardinality: CardinalitySettings;
    };
  };
}

/** A config problem with its source position: `file:line:col: path: message`. */
export interface ConfigIssue {
  readonly severity: 'error' | 'warning';
  /** Source name (file path, `env:VAR`, `yaml:...`, `--set`), when known. */
  readonly source?: string;
  readonly line?: number;
  readonly col?: number;
  /** Dotted config path, e.g. `receivers.otlp.protocols.http.endpoint`. */
  readonly path: string;
  readonly message: string;
}

/** Thrown when a config has errors; carries every issue found, not just the first (warnings
 * too, since an unset env variable is often the cause of an error). */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error').map(formatIssue);
    const warnings = issues.filter((i) => i.severity === 'warning').map((i) => `warning: ${formatIssue(i)}`);
    super([...errors, ...warnings].join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.source === undefined ? '' : `${i.source}${i.line === undefined ? '' : `:${i.line}:${i.col ?? 1}`}: `;
  return `${where}${i.path === '' ? '' : `${i.path}: `}${i.message}`;
}

export type { Kind };

// The component model: factories build components from validated config; components have a
// start/shutdown lifecycle; data moves between them through Consumers.
import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Batch } from '../pdata/batch.js';
import type { Signal } from '../pdata/model.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import type { ComponentId } from './id.js';

export type Kind = 'receiver' | 'processor' | 'exporter' | 'extension' | 'connector';
export const KINDS: readonly Kind[] = ['receiver', 'processor', 'exporter', 'extension', 'connector'];

export type Stability = 'development' | 'alpha' | 'beta' | 'stable' | 'deprecated' | 'unmaintained';

/**
 * Something that accepts batches of one signal. `consume` resolves once the batch is accepted
 * (queued or delivered, as the consumer defines it) and rejects with a PipelineError when it is
 * not: permanent errors are never retried, anything else may be.
 *
 * A consumer that changes the data it receives declares `mutatesData: true`; the fanout then
 * hands it a batch it owns. Every other consumer gets read-only data and must not change it.
 */
export interface Consumer<S extends Signal = Signal> {
  readonly mutatesData: boolean;
  consume(batch: Batch<S>): Promise<void>;
}

/**
 * Lifecycle contract (as the Collector's): `start` returns quickly and puts long work in the
 * background; `shutdown` is safe without `start` and safe to call twice; after `shutdown` the
 * component has flushed what it holds downstream and accepts nothing more.
 */
export interface Component {
  start(host: Host): Promise<void>;
  shutdown(): Promise<void>;
}

/** Component health, as reported to the host (and served by health_check). */
export type ComponentStatus = 'starting' | 'ok' | 'recoverable_error' | 'permanent_error' | 'stopping' | 'stopped';

export interface Host {
  /** Report a component's status change (e.g. an exporter whose destination is down). */
  reportStatus(id: ComponentId, kind: Kind, status: ComponentStatus, error?: string): void;
  /** Overall health: true when every pipeline is running and no component is in permanent error. */
  healthy(): boolean;
  /** Per-component statuses, for status pages and health_check's detailed output. */
  statuses(): ReadonlyArray<{
    id: string;
    kind: Kind;
    status: ComponentStatus;
    error?: string;
    since: number;
  }>;
  /** The memory limiter's admission check, shared with receivers so they can refuse early
   * (429/503 + Retry-After) before decoding a body. Undefined when no limiter is configured. */
  memoryGuard(): MemoryGuard | undefined;
}

export interface MemoryGuard {
  /** When memory is over the soft limit: the delay, in ms, the client should wait. */
  refuseFor(): number | undefined;
}

/** What every factory's create function receives besides its config. */
export interface CreateSettings {
  readonly id: ComponentId;
  readonly kind: Kind;
  /** A pino child logger with `{kind, name}` bound. Never log one line per data item. */
  readonly logger: Logger;
  /** The collector's own metrics registry (otelcol_* names). */
  readonly metrics: MetricsRegistry;
}

/** Cross-field validation result: each problem names the config path below the component
 * (e.g. ["sending_queue", "queue_size"]) and says what is wrong. */
export interface ConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

interface FactoryBase<TConfig> {
  /** The component type, lower_snake_case (`otlp`, `memory_limiter`). */
  readonly type: string;
  /** One line for `switchyard components`. */
  readonly description: string;
  /** JSON Schema (TypeBox) of the config, with defaults; unknown keys must be rejected
   * (`additionalProperties: false`). */
  readonly configSchema: TSchema;
  /** The default config; the user's map is overlaid on it. */
  createDefaultConfig(): TConfig;
  /** Cross-field checks only; the schema already checked shapes and ranges. */
  validate?(config: TConfig): ConfigProblem[];
}

export interface Receiver extends Component {}

export interface ReceiverFactory<TConfig = unknown> extends FactoryBase<TConfig> {
  readonly kind: 'receiver';
  readonly stability: Readonly<Partial<Record<Signal, Stability>>>;
  /** One instance per receiver id, shared by every pipeline that lists it; `next` holds a
   * consumer for each signal some pipeline uses it for (already fanned out). */
  create(settings: CreateSettings, config: TConfig, next: Readonly<Partial<{ [S in Signal]: Consumer<S> }>>): Receiver;
}

/** A processor is a consumer that passes (possibly changed) data to the next consumer. */
export interface Processor<S extends Signal = Signal> extends Component, Consumer<S> {}

export interface ProcessorFactory<TConfig = unknown> extends FactoryBase<TConfig> {
  readonly kind: 'processor';
  readonly stability: Readonly<Partial<Record<Signal, Stability>>>;
  /** One instance per pipeline. */
  create<S extends Signal>(settings: CreateSettings, config: TConfig, signal: S, next: Consumer<S>): Processor<S>;
}

export interface Exporter<S extends Signal = Signal> extends Component, Consumer<S> {}

export interface ExporterFactory<TConfig = unknown> extends FactoryBase<TConfig> {
  readonly kind: 'exporter';
  readonly stability: Readonly<Partial<Record<Signal, Stability>>>;
  /** One instance per exporter id and signal. */
  create<S extends Signal>(settings: CreateSettings, config: TConfig, signal: S): Exporter<S>;
}

export interface Extension extends Component {}

export interface ExtensionFactory<TConfig = unknown> extends FactoryBase<TConfig> {
  readonly kind: 'extension';
  readonly stability: Stability;
  create(settings: CreateSettings, config: TConfig): Extension;
}

export type AnyFactory = ReceiverFactory | ProcessorFactory | ExporterFactory | ExtensionFactory;

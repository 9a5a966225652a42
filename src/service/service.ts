// The pipeline graph: builds components from a resolved config, wires receivers -> processors ->
// fanout -> exporters, starts them back to front and stops them front to back.
import type {
  Component,
  ComponentStatus,
  Consumer,
  CreateSettings,
  Exporter,
  Extension,
  Host,
  Kind,
  MemoryGuard,
  Processor,
  Receiver,
} from '../component/component.js';
import { errorMessage } from '../component/errors.js';
import { type ComponentId, formatComponentId } from '../component/id.js';
import type { ResolvedConfig, ResolvedPipeline } from '../config/resolved.js';
import type { Batch } from '../pdata/batch.js';
import type { Signal } from '../pdata/model.js';
import { componentLogger, type Logger } from '../telemetry/logger.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { Fanout } from './fanout.js';

export interface ServiceOptions {
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  /** The admission guard receivers consult before reading a body (memory_limiter's). */
  readonly memoryGuard?: () => MemoryGuard | undefined;
  /** Sees every metrics batch once per receiver output, before the fanout to pipelines
   * (the cardinality tracker). Must not change the batch and must not throw. */
  readonly metricsTap?: MetricsTap;
}

export interface MetricsTap {
  observe(batch: Batch<'metrics'>): void;
}

/** `inner` with `tap` looking at each batch first; same capability as `inner`. */
export function tapMetrics(inner: Consumer<'metrics'>, tap: MetricsTap): Consumer<'metrics'> {
  return {
    mutatesData: inner.mutatesData,
    consume: (batch) => {
      try {
        tap.observe(batch);
      } catch {
        // A tap never costs the data: its failures are its own to count.
      }
      return inner.consume(batch);
    },
  };
}

interface Node {
  readonly kind: Kind;
  readonly key: string;
  readonly id: ComponentId;
  readonly component: Component;
  /** For per-signal instances (processors, exporters): the signal; for display only. */
  readonly label: string;
}

interface StatusEntry {
  id: string;
  kind: Kind;
  status: ComponentStatus;
  error?: string;
  since: number;
}

export class Service implements Host {
  private readonly logger: Logger;
  private readonly metrics: MetricsRegistry;
  private readonly guard: (() => MemoryGuard | undefined) | undefined;
  private readonly metricsTap: MetricsTap | undefined;
  private readonly statusMap = new Map<string, StatusEntry>();
  private extensions: Node[] = [];
  private exporters: Node[] = [];
  private processors: Node[] = [];
  private receivers: Node[] = [];
  private running = false;

  constructor(
    readonly config: ResolvedConfig,
    opts: ServiceOptions,
  ) {
    this.logger = opts.logger;
    this.metrics = opts.metrics;
    this.guard = opts.memoryGuard;
    this.metricsTap = opts.metricsTap;
    this.build();
  }

  // ------------------------------------------------------------------ Host
  reportStatus(id: ComponentId, kind: Kind, status: ComponentStatus, error?: string): void {
    const key = `${kind}:${formatComponentId(id)}`;
    const prev = this.statusMap.get(key);
    if (prev !== undefined && prev.status === status && prev.error === error) return;
    const entry: StatusEntry = { id: formatComponentId(id), kind, status, since: Date.now() };
    if (error !== undefined) entry.error = error;
    this.statusMap.set(key, entry);
  }

  healthy(): boolean {
    if (!this.running) return false;
    for (const s of this.statusMap.values()) if (s.status === 'permanent_error') return false;
    return true;
  }

  statuses(): ReadonlyArray<StatusEntry> {
    return [...this.statusMap.values()];
  }

  memoryGuard(): MemoryGuard | undefined {
    return this.guard?.();
  }

  // ------------------------------------------------------------------ graph
  private settings(kind: Kind, id: ComponentId, signal?: Signal): CreateSettings {
    return { id, kind, logger: componentLogger(this.logger, kind, id, signal), metrics: this.metrics };
  }

  private build(): void {
    const cfg = this.config;
    for (const key of cfg.service.extensions) {
      const ext = cfg.extensions.get(key);
      if (ext === undefined) throw new Error(`extension ${key} is not configured`);
      const component: Extension = ext.factory.create(this.settings('extension', ext.id), ext.config);
      this.extensions.push({ kind: 'extension', key, id: ext.id, component, label: key });
    }

    // Exporters are shared per (id, signal).
    const exporterInstances = new Map<string, Exporter>();
    const exporterFor = (key: string, signal: Signal): Exporter => {
      const k = `${key}\u0000${signal}`;
      let e = exporterInstances.get(k);
      if (e === undefined) {
        const rc = cfg.exporters.get(key);
        if (rc === undefined) throw new Error(`exporter ${key} is not configured`);
        e = rc.factory.create(this.settings('exporter', rc.id, signal), rc.config, signal) as Exporter;
        exporterInstances.set(k, e);
        this.exporters.push({ kind: 'exporter', key, id: rc.id, component: e, label: `${key} (${signal})` });
      }
      return e;
    };

    // Pipeline entry consumers, by pipeline key.
    const entries = new Map<string, Consumer>();
    for (const p of cfg.service.pipelines) {
      entries.set(p.key, this.buildPipeline(p, exporterFor));
    }

    // Receivers are shared by every pipeline that lists them; one consumer per signal.
    const receiverKeys = new Set<string>();
    for (const p of cfg.service.pipelines) for (const r of p.receivers) receiverKeys.add(r);
    for (const key of receiverKeys) {
      const rc = cfg.receivers.get(key);
      if (rc === undefined) throw new Error(`receiver ${key} is not configured`);
      const next: Partial<Record<Signal, Consumer>> = {};
      for (const signal of ['traces', 'metrics', 'logs'] as const) {
        const consumers = cfg.service.pipelines
          .filter((p) => p.signal === signal && p.receivers.includes(key))
          .map((p) => entries.get(p.key) as Consumer);
        if (consumers.length === 0) continue;
        next[signal] = consumers.length === 1 ? (consumers[0] as Consumer) : new Fanout(consumers);
      }
      // Tapped where the receiver's output enters its pipelines: once per batch, whatever the fanout.
      if (next.metrics !== undefined && this.metricsTap !== undefined) {
        next.metrics = tapMetrics(next.metrics as Consumer<'metrics'>, this.metricsTap) as Consumer;
      }
      const component: Receiver = rc.factory.create(this.settings('receiver', rc.id), rc.config, next);
      this.receivers.push({ kind: 'receiver', key, id: rc.id, component, label: key });
    }
  }

  /** Builds one pipeline back to front and returns its entry consumer. */
  private buildPipeline(p: ResolvedPipeline, exporterFor: (key: string, signal: Signal) => Exporter): Consumer {
    const exps = p.exporters.map((k) => exporterFor(k, p.signal));
    let next: Consumer = exps.length === 1 ? (exps[0] as Exporter) : new Fanout(exps);
    let mutates = next.mutatesData;
    // Built back to front; kept front to back (the order data flows) in this.processors.
    const built: Node[] = [];
    for (let i = p.processors.length - 1; i >= 0; i--) {
      const key = p.processors[i] as string;
      const rc = this.config.processors.get(key);
      if (rc === undefined) throw new Error(`processor ${key} is not configured`);
      const proc: Processor = rc.factory.create(
        this.settings('processor', rc.id, p.signal),
        rc.config,
        p.signal,
        next,
      ) as Processor;
      built.unshift({ kind: 'processor', key, id: rc.id, component: proc, label: `${key} (${p.key})` });
      mutates = mutates || proc.mutatesData;
      next = proc;
    }
    this.processors.push(...built);
    // The pipeline's capability: a receiver fanning out to several pipelines must give this one
    // its own copy when anything in it mutates.
    if (mutates && !next.mutatesData) {
      const inner = next;
      next = { mutatesData: true, consume: (b) => inner.consume(b) };
    }
    return next;
  }

  // ------------------------------------------------------------------ lifecycle
  /** Start extensions, exporters, processors, then receivers (so every consumer is ready
   * before data can arrive). A failure stops what was started and rethrows. */
  async start(): Promise<void> {
    const order = [...this.extensions, ...this.exporters, ...[...this.processors].reverse(), ...this.receivers];
    const started: Node[] = [];
    for (const n of order) {
      this.reportStatus(n.id, n.kind, 'starting');
      try {
        await n.component.start(this);
        this.reportStatus(n.id, n.kind, 'ok');
        started.push(n);
      } catch (err) {
        this.reportStatus(n.id, n.kind, 'permanent_error', errorMessage(err));
        this.logger.error({ kind: n.kind, name: n.label, err: errorMessage(err) }, 'component failed to start');
        await this.stopNodes(started.reverse());
        throw new Error(`${n.kind} ${n.label} failed to start: ${errorMessage(err)}`, { cause: err });
      }
    }
    this.running = true;
    this.logger.info(
      {
        receivers: this.receivers.length,
        processors: this.processors.length,
        exporters: this.exporters.length,
        extensions: this.extensions.length,
        pipelines: this.config.service.pipelines.map((p) => p.key),
      },
      'everything is ready; begin running and processing data',
    );
  }

  /** Stop receivers first, then each pipeline's processors front to back (so each flushes into
   * a live next one), then the exporters together (each drains its queue within its own
   * deadline, in parallel so one slow destination does not eat the others' time), then
   * extensions. */
  async shutdown(): Promise<void> {
    this.running = false;
    await this.stopNodes(this.receivers);
    await this.stopNodes(this.processors);
    await Promise.all(this.exporters.map((n) => this.stopNodes([n])));
    await this.stopNodes(this.extensions);
  }

  private async stopNodes(nodes: readonly Node[]): Promise<void> {
    for (const n of nodes) {
      this.reportStatus(n.id, n.kind, 'stopping');
      try {
        await n.component.shutdown();
        this.reportStatus(n.id, n.kind, 'stopped');
      } catch (err) {
        this.reportStatus(n.id, n.kind, 'permanent_error', errorMessage(err));
        this.logger.error({ kind: n.kind, name: n.label, err: errorMessage(err) }, 'component failed to shut down');
      }
    }
  }

  /** The receivers, for tests that need their bound ports. */
  receiverComponents(): ReadonlyMap<string, Receiver> {
    return new Map(this.receivers.map((n) => [n.key, n.component as Receiver]));
  }

  extensionComponents(): ReadonlyMap<string, Extension> {
    return new Map(this.extensions.map((n) => [n.key, n.component as Extension]));
  }
}

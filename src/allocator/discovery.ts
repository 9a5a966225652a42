// Runs service discovery for every configured job (the shared Prometheus SD code) and hands each
// job's filtered targets to the allocator state.
import { createDiscoverers, JobDiscovery } from '../prometheus/sd/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import type { AllocatorConfig } from './config.js';
import type { AllocatorState } from './state.js';
import { filterConfig, type JobTargets, jobItems } from './targets.js';

export class Discovery {
  readonly #jobs: { readonly name: string; readonly discovery: JobDiscovery }[] = [];
  readonly #config: AllocatorConfig;
  readonly #state: AllocatorState;
  readonly #logger: Logger;
  readonly #errors;

  constructor(config: AllocatorConfig, state: AllocatorState, logger: Logger, metrics: MetricsRegistry) {
    this.#config = config;
    this.#state = state;
    this.#logger = logger;
    this.#errors = metrics.counter(
      'switchyard_allocator_sd_errors_total',
      'Service discovery refreshes that failed (the last good targets are kept), by job and discoverer.',
    );
  }

  /** Starts every job's discovery; resolves once each has reported its first set. */
  async start(): Promise<void> {
    const cfg = this.#config;
    this.#state.setJobOrder(cfg.jobs.map((j) => j.name));
    await Promise.all(
      cfg.jobs.map(async (job) => {
        const { discoverers } = createDiscoverers(job.raw, {
          baseDir: cfg.baseDir,
          userAgent: 'Switchyard-allocator/0.1.0',
        });
        const discovery = new JobDiscovery(discoverers);
        this.#jobs.push({ name: job.name, discovery });
        const filter = cfg.filterByRelabel ? filterConfig(job.target) : undefined;
        let previous: JobTargets['verdicts'] = new Map();
        await discovery.start(
          (groups) => {
            const targets = jobItems(job.name, groups, filter, previous);
            previous = targets.verdicts;
            this.#state.setJob(job.name, targets);
          },
          (name, err) => {
            this.#errors.add(1, { job: job.name, discoverer: name });
            this.#logger.warn(
              { job: job.name, discoverer: name, err: err.message },
              'service discovery failed; keeping the last targets',
            );
          },
        );
        // A job without any discoverer still counts as discovered (with no targets).
        if (discoverers.length === 0) {
          this.#state.setJob(job.name, { items: [], verdicts: new Map(), dropped: 0, invalid: 0, duplicates: 0 });
        }
      }),
    );
    this.#state.discoveryComplete();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#jobs.map((j) => j.discovery.stop()));
  }
}

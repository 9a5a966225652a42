// The `prometheus` receiver: per-job target sets (static_configs), one scrape loop per target,
// one metrics batch per scrape (the target's resource), staleness on vanished series, failed
// scrapes and removed targets.
import type http from 'node:http';
import type https from 'node:https';
import type { Consumer, CreateSettings, Host, Receiver } from '../../component/component.js';
import { ReceiverHelper } from '../../helpers/receiverhelper.js';
import { Batch } from '../../pdata/batch.js';
import {
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type ExportMetricsServiceRequest,
  type KeyValue,
  type Metric,
  type NumberDataPoint,
} from '../../pdata/model.js';
import { createDiscoverers, JobDiscovery } from '../../prometheus/sd/index.js';
import type { TargetGroup } from '../../prometheus/sd/types.js';
import { parseExposition } from '../../prometheus/textparse.js';
import type { Counter, Gauge } from '../../telemetry/metrics.js';
import type { ResolvedPrometheusConfig, ResolvedScrapeConfig } from './config.js';
import { type DropReason, TargetConverter } from './convert.js';
import { fetchTarget, makeAgent, type ScrapeFailure, USER_AGENT } from './http.js';
import {
  getText,
  jobTargetsUrl,
  parseScrapeConfigs,
  parseTargets,
  scrapeConfigsUrl,
  type TargetAllocatorSettings,
} from './targetallocator.js';
import { initialDelayMs, staticGroups, type Target, targetsFromGroups } from './targets.js';

export const SCOPE_NAME = 'switchyard/receiver/prometheus';
export const SCOPE_VERSION = '0.1.0';

/** Time source and timers; tests pass a fake one. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Counters {
  readonly scrapes: Counter;
  readonly failures: Counter;
  readonly dropped: Counter;
  readonly stale: Counter;
  readonly targetsDropped: Counter;
  readonly targets: Gauge;
  readonly sdErrors: Counter;
  readonly taErrors: Counter;
  readonly skipped: Counter;
}

type SyntheticName =
  | 'up'
  | 'scrape_duration_seconds'
  | 'scrape_samples_scraped'
  | 'scrape_samples_post_metric_relabeling'
  | 'scrape_series_added';

/** The series Prometheus adds for every scrape, with their descriptions. */
const SYNTHETIC: readonly (readonly [SyntheticName, string])[] = [
  ['up', 'The scraping was successful'],
  ['scrape_duration_seconds', 'Duration of the scrape'],
  ['scrape_samples_scraped', 'The number of samples the target exposed'],
  ['scrape_samples_post_metric_relabeling', 'The number of samples remaining after metric relabeling was applied'],
  ['scrape_series_added', 'The approximate number of new series in this scrape'],
];

/** A synthetic gauge; `value` undefined gives the staleness marker. */
function syntheticGauge(
  name: string,
  description: string,
  attrs: KeyValue[],
  timeNs: bigint,
  value: number | undefined,
): Metric {
  const dp: NumberDataPoint = {
    attributes: attrs,
    startTimeUnixNano: 0n,
    timeUnixNano: timeNs,
    value,
    exemplars: [],
    flags: value === undefined ? DATA_POINT_FLAG_NO_RECORDED_VALUE : 0,
  };
  return {
    name,
    description,
    unit: '',
    metadata: [{ key: 'prometheus.type', value: 'gauge' }],
    data: { type: 'gauge', dataPoints: [dp] },
  };
}

/** One scrape loop. */
class ScrapeLoop {
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly converter: TargetConverter;
  private nextAt = 0;
  private inFlight = false;
  /** Whether a scrape of this target was sent (its synthetic series exist downstream). */
  private reported = false;
  private lastResourceExtra: readonly KeyValue[] = [];

  constructor(
    readonly target: Target,
    private readonly job: Job,
  ) {
    const sc = job.sc;
    this.converter = new TargetConverter(target, {
      honorLabels: sc.honorLabels,
      honorTimestamps: sc.honorTimestamps,
      metricRelabel: sc.metricRelabel,
      sampleLimit: sc.sampleLimit,
      labelLimit: sc.labelLimit,
      labelNameLengthLimit: sc.labelNameLengthLimit,
      labelValueLengthLimit: sc.labelValueLengthLimit,
      externalLabels: sc.externalLabels,
    });
  }

  start(): void {
    const clock = this.job.rx.clock;
    const now = clock.now();
    const delay = initialDelayMs(this.target.hash, this.target.intervalMs, now);
    this.nextAt = now + delay;
    this.timer = clock.setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    if (this.stopped) return;
    const clock = this.job.rx.clock;
    if (this.inFlight) {
      // The previous scrape has not finished (it is bounded by the timeout): skip this tick, as Prometheus does.
      this.job.rx.counters.skipped.add(1, { receiver: this.job.rx.helper.receiver, job: this.job.sc.jobName });
    } else {
      this.inFlight = true;
      this.running = this.scrapeOnce()
        .catch((err: unknown) => {
          this.job.rx.helper.log.error('scrape-internal', { error: String(err) }, 'scrape loop error');
        })
        .finally(() => {
          this.inFlight = false;
        });
    }
    // Fixed-rate schedule; a scrape that overruns skips the missed ticks.
    const now = clock.now();
    this.nextAt += this.target.intervalMs;
    while (this.nextAt <= now) this.nextAt += this.target.intervalMs;
    this.timer = clock.setTimeout(() => this.tick(), this.nextAt - now);
  }

  /** Stops the loop and marks the target's series stale. */
  async stop(markStale: boolean): Promise<void> {
    this.stopped = true;
    this.job.rx.clock.clearTimeout(this.timer);
    await this.running;
    if (markStale) {
      const now = this.job.rx.clock.now();
      const { metrics, count } = this.converter.markAllStale(now);
      if (count > 0) {
        this.job.rx.counters.stale.add(count, { receiver: this.job.rx.helper.receiver, job: this.job.sc.jobName });
      }
      if (this.reported) {
        // The target is gone: its synthetic series end too, as in Prometheus.
        const attrs = this.converter.targetAttrs();
        const t = BigInt(now) * 1_000_000n;
        for (const [name, description] of SYNTHETIC)
          metrics.push(syntheticGauge(name, description, attrs, t, undefined));
      }
      await this.send(metrics, this.lastResourceExtra);
    }
  }

  private resource(extra: readonly KeyValue[]): KeyValue[] {
    const t = this.target;
    const attrs: KeyValue[] = [
      { key: 'service.name', value: t.job },
      { key: 'service.instance.id', value: t.instance },
    ];
    const i = t.instance.lastIndexOf(':');
    if (i > 0) {
      let host = t.instance.slice(0, i);
      if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
      attrs.push({ key: 'server.address', value: host }, { key: 'server.port', value: t.instance.slice(i + 1) });
    } else {
      attrs.push({ key: 'server.address', value: t.instance });
    }
    attrs.push({ key: 'url.scheme', value: t.scheme });
    for (const kv of extra) if (!attrs.some((a) => a.key === kv.key)) attrs.push(kv);
    return attrs;
  }

  private async send(metrics: Metric[], resourceExtra: readonly KeyValue[]): Promise<void> {
    if (metrics.length === 0) return;
    const req: ExportMetricsServiceRequest = {
      resourceMetrics: [
        {
          resource: { attributes: this.resource(resourceExtra), droppedAttributesCount: 0 },
          scopeMetrics: [
            {
              scope: { name: SCOPE_NAME, version: SCOPE_VERSION, attributes: [], droppedAttributesCount: 0 },
              metrics,
              schemaUrl: '',
            },
          ],
          schemaUrl: '',
        },
      ],
    };
    // Points share their attribute arrays with the series state, kept across scrapes (exporters
    // recognise a series by its array): a pipeline that changes data in place gets a copy.
    const next = this.job.rx.next;
    const batch = Batch.fromRequest('metrics', req);
    await this.job.rx.helper.consume(next, next.mutatesData ? batch.clone() : batch);
  }

  async scrapeOnce(): Promise<void> {
    const rx = this.job.rx;
    const sc = this.job.sc;
    const labels = { receiver: rx.helper.receiver, job: sc.jobName };
    const startMs = rx.clock.now();
    const res = await fetchTarget({
      url: this.target.url,
      timeoutMs: this.target.timeoutMs,
      bodyLimit: sc.bodySizeLimit,
      auth: sc.auth,
      agent: this.job.agent,
    });
    let failure: { reason: ScrapeFailure; message: string } | undefined;
    let metrics: Metric[] = [];
    let resourceExtra: KeyValue[] = [];
    let scraped = 0;
    let post = 0;
    let added = 0;
    if (!res.ok) {
      failure = res;
    } else {
      const om = res.contentType.toLowerCase().includes('application/openmetrics-text');
      const parsed = parseExposition(res.body, { openMetrics: om, seriesText: true, known: this.converter.knows });
      if (parsed.errors.length > 0) {
        const e = parsed.errors[0];
        failure = {
          reason: 'parse',
          message: `${parsed.errors.length} parse error(s); first at line ${e?.line}: ${e?.message}`,
        };
        for (const f of parsed.families) scraped += f.samples.length;
      } else {
        const r = this.converter.append(parsed.families, startMs);
        if (!r.ok) {
          failure = r;
          scraped = r.scraped;
        } else {
          metrics = r.metrics;
          resourceExtra = r.resourceAttrs;
          scraped = r.scraped;
          post = r.postRelabel;
          added = r.seriesAdded;
          for (const [reason, n] of r.drops) this.dropped(reason, n);
          if (r.staleMarked > 0) rx.counters.stale.add(r.staleMarked, labels);
        }
      }
    }
    const endMs = rx.clock.now();
    if (failure !== undefined) {
      rx.counters.scrapes.add(1, { ...labels, outcome: 'failed' });
      rx.counters.failures.add(1, { ...labels, reason: failure.reason });
      if (scraped > 0) this.dropped(failure.reason === 'parse' ? 'scrape_failed' : 'scrape_failed', scraped);
      rx.helper.warn(
        `scrape:${sc.jobName}:${failure.reason}`,
        { job: sc.jobName, target: this.target.url.href, reason: failure.reason },
        `scrape failed: ${failure.message}`,
      );
      const stale = this.converter.markAllStale(startMs);
      if (stale.count > 0) rx.counters.stale.add(stale.count, labels);
      metrics = stale.metrics;
      if (failure.reason === 'sample_limit' || failure.reason.endsWith('limit')) post = 0;
    } else {
      rx.counters.scrapes.add(1, { ...labels, outcome: 'success' });
    }
    const attrs = this.converter.targetAttrs();
    const t = BigInt(startMs) * 1_000_000n;
    const values: Readonly<Record<SyntheticName, number>> = {
      up: failure === undefined ? 1 : 0,
      scrape_duration_seconds: (endMs - startMs) / 1000,
      scrape_samples_scraped: scraped,
      scrape_samples_post_metric_relabeling: post,
      scrape_series_added: added,
    };
    for (const [name, description] of SYNTHETIC)
      metrics.push(syntheticGauge(name, description, attrs, t, values[name]));
    this.reported = true;
    this.lastResourceExtra = resourceExtra;
    await this.send(metrics, resourceExtra);
  }

  private dropped(reason: DropReason | 'scrape_failed', n: number): void {
    this.job.rx.counters.dropped.add(n, {
      receiver: this.job.rx.helper.receiver,
      job: this.job.sc.jobName,
      reason,
    });
  }
}

class Job {
  readonly loops = new Map<string, ScrapeLoop>();
  readonly agent: http.Agent | https.Agent;

  constructor(
    readonly rx: PrometheusReceiver,
    readonly sc: ResolvedScrapeConfig,
  ) {
    this.agent = makeAgent(sc.scheme, sc.tls);
  }

  private discovery: JobDiscovery | undefined;
  private stopped = false;
  /** Serializes target-set updates. */
  private syncing: Promise<void> = Promise.resolve();

  /** Starts the job: its static groups, then its discoverers (each report replaces the discovered groups). */
  async start(): Promise<void> {
    await this.sync(staticGroups(this.sc));
    if (this.sc.sd === undefined || this.stopped) return;
    const { discoverers, problems } = createDiscoverers(this.sc.sd, { userAgent: USER_AGENT });
    if (problems.length > 0) {
      this.rx.helper.logger.error(
        { job: this.sc.jobName, problems: problems.map((p) => `${p.path}: ${p.message}`) },
        'service discovery config refused',
      );
      return;
    }
    const discovery = new JobDiscovery(discoverers);
    this.discovery = discovery;
    const labels = { receiver: this.rx.helper.receiver, job: this.sc.jobName };
    await discovery.start(
      (groups) => {
        this.syncing = this.syncing
          .then(() => (this.rx.isRunning ? this.sync([...staticGroups(this.sc), ...groups]) : undefined))
          .catch((err: unknown) => {
            this.rx.helper.log.error('sync', { job: this.sc.jobName, error: String(err) }, 'target update failed');
          });
      },
      (name, err) => {
        this.rx.counters.sdErrors.add(1, { ...labels, discoverer: name.replace(/\[\d+\]$/, '') });
        this.rx.helper.warn(
          `sd:${this.sc.jobName}:${name}`,
          { job: this.sc.jobName, discoverer: name },
          `service discovery failed (keeping the last targets): ${err.message}`,
        );
      },
    );
  }

  /** Replaces the job's target set: new targets start, vanished ones stop and go stale. */
  async sync(groups: readonly TargetGroup[]): Promise<void> {
    const r = targetsFromGroups(this.sc, groups);
    const labels = { receiver: this.rx.helper.receiver, job: this.sc.jobName };
    if (r.droppedByRelabel > 0)
      this.rx.counters.targetsDropped.add(r.droppedByRelabel, { ...labels, reason: 'relabel' });
    if (r.invalid.length > 0) {
      this.rx.counters.targetsDropped.add(r.invalid.length, { ...labels, reason: 'invalid' });
      this.rx.helper.warn(
        `target:${this.sc.jobName}`,
        { job: this.sc.jobName, count: r.invalid.length },
        `dropped invalid targets: ${r.invalid[0]}`,
      );
    }
    const want = new Map(r.targets.map((t) => [t.key, t]));
    const stopping: Promise<void>[] = [];
    for (const [key, loop] of this.loops) {
      if (!want.has(key)) {
        this.loops.delete(key);
        stopping.push(loop.stop(true));
      }
    }
    for (const [key, t] of want) {
      if (this.loops.has(key)) continue;
      const loop = new ScrapeLoop(t, this);
      this.loops.set(key, loop);
      if (this.rx.isRunning) loop.start();
    }
    this.rx.counters.targets.set(this.loops.size, labels);
    await Promise.all(stopping);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.discovery?.stop();
    await this.syncing;
    await Promise.all([...this.loops.values()].map((l) => l.stop(true)));
    this.loops.clear();
    this.agent.destroy();
  }
}

export interface ReceiverOptions {
  readonly clock?: Clock;
}

export class PrometheusReceiver implements Receiver {
  readonly helper: ReceiverHelper;
  readonly counters: Counters;
  readonly clock: Clock;
  private readonly jobs: Job[] = [];
  private state: 'new' | 'started' | 'stopped' = 'new';
  /** Jobs from the target allocator, by name, with the allocator's text of their config. */
  private readonly taJobs = new Map<string, { readonly job: Job; readonly text: string }>();
  private taTimer: NodeJS.Timeout | undefined;
  private taPoll: Promise<void> = Promise.resolve();
  private taLastBody: string | undefined;

  constructor(
    settings: CreateSettings,
    private readonly config: ResolvedPrometheusConfig,
    readonly next: Consumer<'metrics'>,
    opts: ReceiverOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.helper = new ReceiverHelper({ settings, transport: 'http' });
    const m = settings.metrics;
    this.counters = {
      scrapes: m.counter('switchyard_prometheus_scrapes_total', 'Scrapes by job and outcome (success, failed).'),
      failures: m.counter('switchyard_prometheus_scrape_failures_total', 'Failed scrapes by job and reason.'),
      dropped: m.counter(
        'switchyard_prometheus_dropped_samples_total',
        'Scraped samples that did not become data points, by job and reason.',
      ),
      stale: m.counter(
        'switchyard_prometheus_stale_series_total',
        'Series marked stale (vanished, failed scrape, target removed), by job.',
      ),
      targetsDropped: m.counter(
        'switchyard_prometheus_dropped_targets_total',
        'Discovered targets not scraped, by job and reason (relabel, invalid).',
      ),
      targets: m.gauge('switchyard_prometheus_targets', 'Targets currently scraped, by job.'),
      skipped: m.counter(
        'switchyard_prometheus_skipped_scrapes_total',
        'Scrape ticks skipped because the previous scrape of the target was still running, by job.',
      ),
      taErrors: m.counter(
        'switchyard_prometheus_target_allocator_errors_total',
        'Failed target allocator polls (the last jobs and targets are kept), by request (scrape_configs, targets) and reason.',
      ),
      sdErrors: m.counter(
        'switchyard_prometheus_sd_errors_total',
        'Service discovery refreshes that failed (the last good targets are kept), by job and discoverer.',
      ),
    };
  }

  get isRunning(): boolean {
    return this.state === 'started';
  }

  async start(_host: Host): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'started';
    for (const sc of this.config.scrapeConfigs) {
      // shutdown() may come while a job waits for its first discovery: the jobs after it must not start.
      if (this.state !== 'started') break;
      const job = new Job(this, sc);
      this.jobs.push(job);
      await job.start();
    }
    this.helper.logger.info(
      { jobs: this.jobs.length, targets: this.jobs.reduce((n, j) => n + j.loops.size, 0) },
      'prometheus receiver started',
    );
    const ta = this.config.targetAllocator;
    if (ta !== undefined && this.state === 'started') this.taPoll = this.pollAllocator(ta);
  }

  private taError(request: 'scrape_configs' | 'targets', reason: string, message: string): void {
    this.counters.taErrors.add(1, { receiver: this.helper.receiver, request, reason });
    this.helper.warn(`ta:${request}:${reason}`, { request, reason }, `target allocator: ${message}`);
  }

  /** One round: the job list, then each job's targets; schedules the next round. */
  private async pollAllocator(ta: TargetAllocatorSettings): Promise<void> {
    try {
      await this.pollJobs(ta);
      for (const [name, { job }] of this.taJobs) {
        if (this.state !== 'started') return;
        let groups: TargetGroup[] | undefined;
        try {
          groups = parseTargets(JSON.parse(await getText(jobTargetsUrl(ta, name), ta)) as unknown, name);
        } catch (err) {
          this.taError('targets', 'fetch', String(err instanceof Error ? err.message : err));
          continue;
        }
        if (groups === undefined) {
          this.taError('targets', 'decode', `targets of job "${name}" are not a JSON list`);
          continue;
        }
        if (this.taJobs.get(name)?.job === job && this.state === 'started') await job.sync(groups);
      }
    } finally {
      if (this.state === 'started') {
        this.taTimer = setTimeout(() => {
          this.taPoll = this.pollAllocator(ta);
        }, ta.intervalMs);
        this.taTimer.unref();
      }
    }
  }

  private async pollJobs(ta: TargetAllocatorSettings): Promise<void> {
    let text: string;
    try {
      text = (await getText(scrapeConfigsUrl(ta), ta)).replaceAll('$(SHARD)', process.env.SHARD ?? '0');
    } catch (err) {
      this.taError('scrape_configs', 'fetch', String(err instanceof Error ? err.message : err));
      return;
    }
    if (text === this.taLastBody) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      this.taError('scrape_configs', 'decode', `invalid JSON: ${String(err)}`);
      return;
    }
    this.taLastBody = text;
    const parsed = parseScrapeConfigs(body, this.config.global);
    for (const p of parsed.problems) this.taError('scrape_configs', 'invalid_job', `job refused: ${p}`);
    const raw = body as Record<string, unknown>;
    const want = new Map<string, { sc: ResolvedScrapeConfig; text: string }>();
    for (const sc of parsed.jobs) {
      if (this.jobs.some((j) => j.sc.jobName === sc.jobName)) {
        this.taError('scrape_configs', 'duplicate_job', `job "${sc.jobName}" is also in scrape_configs; kept that one`);
        continue;
      }
      want.set(sc.jobName, { sc, text: JSON.stringify(raw[sc.jobName] ?? sc.jobName) });
    }
    for (const [name, cur] of this.taJobs) {
      const w = want.get(name);
      if (w === undefined || w.text !== cur.text) {
        this.taJobs.delete(name);
        await cur.job.stop();
      }
    }
    for (const [name, w] of want) {
      if (this.taJobs.has(name) || this.state !== 'started') continue;
      const job = new Job(this, w.sc);
      this.taJobs.set(name, { job, text: w.text });
      await job.start();
    }
  }

  /** Replaces a job's discovered groups (static groups are kept). */
  async updateGroups(jobName: string, groups: readonly TargetGroup[]): Promise<void> {
    const job = this.jobs.find((j) => j.sc.jobName === jobName);
    if (job === undefined || this.state !== 'started') return;
    await job.sync([...staticGroups(job.sc), ...groups]);
  }

  /** The current targets, per job (for tests and status pages). */
  targets(): ReadonlyMap<string, readonly Target[]> {
    const all = [...this.jobs, ...[...this.taJobs.values()].map((t) => t.job)];
    return new Map(all.map((j) => [j.sc.jobName, [...j.loops.values()].map((l) => l.target)]));
  }

  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasStarted = this.state === 'started';
    this.state = 'stopped';
    if (!wasStarted) return;
    if (this.taTimer !== undefined) clearTimeout(this.taTimer);
    await this.taPoll;
    await Promise.all([...this.jobs, ...[...this.taJobs.values()].map((t) => t.job)].map((j) => j.stop()));
    this.taJobs.clear();
  }
}

// `switchyard collector`: load config, build and start the service, serve own metrics, and
// handle SIGTERM/SIGINT (graceful stop) and SIGHUP (reload; keep running on a bad config).
import { fileURLToPath } from 'node:url';
import { CardinalityTracker } from '../cardinality/tracker.js';
import { errorMessage } from '../component/errors.js';
import { type Distribution, loadConfig } from '../config/index.js';
import type { CardinalitySettings } from '../config/resolved.js';
import { ConfigError, formatIssue, type ResolvedConfig } from '../config/resolved.js';
import { distribution } from '../distribution.js';
import { sharedMemoryGuard } from '../processors/memory_limiter/index.js';
import { Service } from '../service/service.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { registerProcessMetrics, startTelemetryServer, type TelemetryServer } from '../telemetry/server.js';
import { type RunControl, runUntilStopped } from './lifecycle.js';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../../config/default.yaml', import.meta.url));

export interface ConfigArgs {
  readonly configs: readonly string[];
  readonly sets: readonly string[];
}

export function configSources(args: ConfigArgs): string[] {
  return args.configs.length > 0 ? [...args.configs] : [DEFAULT_CONFIG_PATH];
}

export async function resolveConfig(
  args: ConfigArgs,
  dist: Distribution = distribution,
): Promise<{ config: ResolvedConfig; warnings: string[]; merged: unknown }> {
  const { config, warnings, merged } = await loadConfig({
    sources: configSources(args),
    sets: [...args.sets],
    distribution: dist,
  });
  return { config, warnings: warnings.map(formatIssue), merged };
}

/** Build the graph without starting anything: what `validate` runs and what `collector` runs
 * before it starts. */
export function buildService(
  config: ResolvedConfig,
  logger: Logger,
  metrics: MetricsRegistry,
  cardinality?: CardinalityTracker,
): Service {
  return new Service(config, {
    logger,
    metrics,
    memoryGuard: sharedMemoryGuard,
    ...(cardinality === undefined ? {} : { metricsTap: cardinality }),
  });
}

/** The tracker for `settings`: `current` when its settings are the same (a reload keeps what it
 * learnt), a new one when they changed, none when tracking is off. */
export function trackerFor(
  settings: CardinalitySettings,
  current: { readonly settings: CardinalitySettings; readonly tracker: CardinalityTracker } | undefined,
): { readonly settings: CardinalitySettings; readonly tracker: CardinalityTracker } | undefined {
  if (!settings.enabled) return undefined;
  if (
    current !== undefined &&
    current.settings.maxMetrics === settings.maxMetrics &&
    current.settings.maxKeysPerMetric === settings.maxKeysPerMetric &&
    current.settings.windowMs === settings.windowMs
  ) {
    return current;
  }
  return { settings, tracker: new CardinalityTracker(settings) };
}

interface Running {
  service: Service;
  telemetry: TelemetryServer | undefined;
  config: ResolvedConfig;
}

const SHUTDOWN_DEADLINE_MS = 15_000;

/** Runs until a signal stops it. Resolves with the process exit code. */
export async function runCollector(args: ConfigArgs): Promise<number> {
  const first = await resolveConfig(args);
  const logger = createLogger({ level: first.config.service.telemetry.logs.level });
  for (const w of first.warnings) logger.warn(w);

  // One registry for the life of the process: counters (drops included) survive reloads.
  const metrics = new MetricsRegistry();
  registerProcessMetrics(metrics);
  let cardinality: ReturnType<typeof trackerFor>;
  const start = async (config: ResolvedConfig): Promise<Running> => {
    const t = config.service.telemetry.metrics;
    const served = t.level !== 'none' && t.address !== '';
    // Nothing would show what the tracker learns without the server: do not pay for it then.
    cardinality = served ? trackerFor(config.service.telemetry.cardinality, cardinality) : undefined;
    const tracker = cardinality?.tracker;
    const service = buildService(config, logger, metrics, tracker);
    let telemetry: TelemetryServer | undefined;
    if (served) {
      telemetry = await startTelemetryServer(
        t.address,
        metrics,
        (err) => logger.error({ err: errorMessage(err) }, 'own-metrics server error'),
        {
          status: () => ({ pipelines: config.service.pipelines, statuses: () => service.statuses() }),
          cardinality: () => tracker,
        },
      );
      logger.info(
        { address: t.address, cardinality: tracker !== undefined },
        'serving own metrics on /metrics, status on /, cardinality explorer on /cardinality',
      );
    }
    try {
      await service.start();
    } catch (err) {
      await telemetry?.close();
      throw err;
    }
    return { service, telemetry, config };
  };
  const stop = async (r: Running): Promise<void> => {
    await r.service.shutdown();
    await r.telemetry?.close();
  };

  let running = await start(first.config);

  let reloading: Promise<void> = Promise.resolve();
  return runUntilStopped({
    logger,
    deadlineMs: SHUTDOWN_DEADLINE_MS,
    stop: () => reloading.then(() => stop(running)),
    setup: (control) => {
      process.on('SIGHUP', () => onReload(control));
    },
  });

  function onReload(control: RunControl): void {
    if (control.stopping) return;
    reloading = reloading.then(async () => {
      logger.info('SIGHUP: reloading configuration');
      let next: Awaited<ReturnType<typeof resolveConfig>>;
      try {
        next = await resolveConfig(args);
      } catch (err) {
        const detail = err instanceof ConfigError ? err.issues.map(formatIssue) : [errorMessage(err)];
        logger.error({ errors: detail }, 'new configuration is invalid; keeping the running one');
        return;
      }
      for (const w of next.warnings) logger.warn(w);
      const previous = running.config;
      await stop(running);
      try {
        running = await start(next.config);
        logger.info('configuration reloaded');
        return;
      } catch (err) {
        logger.error({ err: errorMessage(err) }, 'new configuration failed to start; restarting the previous one');
      }
      try {
        running = await start(previous);
      } catch (err) {
        // Nothing is running any more: exit non-zero so a supervisor restarts us.
        logger.fatal({ err: errorMessage(err) }, 'the previous configuration failed to start again; exiting');
        control.exit(1);
      }
    });
    // Keep the chain usable for the next SIGHUP or stop, whatever happened.
    reloading = reloading.catch((err: unknown) => {
      logger.error({ err: errorMessage(err) }, 'reload failed');
    });
  }
}

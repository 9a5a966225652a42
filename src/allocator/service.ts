// One allocator: state, service discovery, membership and the HTTP API, started and stopped together.
import type { Logger } from '../telemetry/logger.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { registerProcessMetrics } from '../telemetry/server.js';
import type { AllocatorConfig } from './config.js';
import { Discovery } from './discovery.js';
import { KubernetesMembership } from './membership.js';
import { type AllocatorServer, startServer } from './server.js';
import { AllocatorState } from './state.js';

export interface RunningAllocator {
  readonly state: AllocatorState;
  readonly metrics: MetricsRegistry;
  readonly port: number;
  readonly httpsPort: number | undefined;
  stop(): Promise<void>;
}

export async function startAllocator(config: AllocatorConfig, logger: Logger): Promise<RunningAllocator> {
  const metrics = new MetricsRegistry();
  registerProcessMetrics(metrics);
  const state = new AllocatorState({
    strategy: config.strategy,
    fallbackStrategy: config.fallbackStrategy,
    graceMs: config.graceMs,
    handoverTimeoutMs: config.handoverTimeoutMs,
    debounceMs: config.debounceMs,
    recentMoves: config.recentMoves,
    logger,
    metrics,
  });
  // The API answers (readyz 503) while discovery and membership start.
  const server: AllocatorServer = await startServer(config, state, metrics, logger);
  const discovery = new Discovery(config, state, logger, metrics);
  let kube: KubernetesMembership | undefined;
  const m = config.membership;
  switch (m.kind) {
    case 'static':
      state.setMembers(m.members);
      break;
    case 'kubernetes':
      kube = new KubernetesMembership(m, state, logger, metrics);
      break;
  }
  state.start();
  const stop = async (): Promise<void> => {
    state.stop();
    await Promise.all([discovery.stop(), kube?.stop(), server.close()]);
  };
  try {
    await Promise.all([discovery.start(), kube?.start()]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { state, metrics, port: server.port, httpsPort: server.httpsPort, stop };
}

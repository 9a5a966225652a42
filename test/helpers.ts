// Shared helpers for cross-component tests: free ports, an in-process collector, polling.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { distribution } from '../src/distribution.js';
import { sharedMemoryGuard } from '../src/processors/memory_limiter/index.js';
import { Service } from '../src/service/service.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { MetricsRegistry } from '../src/telemetry/metrics.js';

const handedOut = new Set<number>();

/** A port that was free a moment ago on 127.0.0.1, and never handed out before in this process
 * (the kernel readily gives a just-closed port again, so two calls in a row could collide). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await ephemeralPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no fresh free port after 50 attempts');
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'switchyard-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface InProcessCollector {
  readonly service: Service;
  readonly metrics: MetricsRegistry;
  stop(): Promise<void>;
}

/** Load `yaml` through the real config layer, build the graph and start it in this process. */
export async function startCollector(yaml: string): Promise<InProcessCollector> {
  const dir = tempDir('switchyard-config-');
  const file = join(dir.path, 'config.yaml');
  writeFileSync(file, yaml);
  try {
    const { config } = await loadConfig({ sources: [file], sets: [], distribution });
    const metrics = new MetricsRegistry();
    const service = new Service(config, { logger: silentLogger(), metrics, memoryGuard: sharedMemoryGuard });
    await service.start();
    return { service, metrics, stop: () => service.shutdown() };
  } finally {
    dir.remove();
  }
}

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Like `waitFor` for asynchronous checks (a peer's HTTP API): polls `fn` every 100 ms until it
 * returns a value other than undefined; a thrown error counts as "not yet" and is reported on timeout. */
export async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Lines of a file (empty when it does not exist yet). */
export function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

export interface InProcessCollectorWithPages extends InProcessCollector {
  /** Base URL of the own-telemetry server: `/`, `/metrics`, `/cardinality`, `/api/cardinality`. */
  readonly statusUrl: string;
}

/** Like `startCollector`, plus the cardinality tap (per `service.telemetry.cardinality`) and the
 * own-telemetry server with its pages on a free 127.0.0.1 port. */
export async function startCollectorWithPages(yaml: string): Promise<InProcessCollectorWithPages> {
  const { CardinalityTracker } = await import('../src/cardinality/tracker.js');
  const { startTelemetryServer } = await import('../src/telemetry/server.js');
  const dir = tempDir('switchyard-config-');
  const file = join(dir.path, 'config.yaml');
  writeFileSync(file, yaml);
  try {
    const { config } = await loadConfig({ sources: [file], sets: [], distribution });
    const metrics = new MetricsRegistry();
    const settings = config.service.telemetry.cardinality;
    const tracker = settings.enabled ? new CardinalityTracker(settings) : undefined;
    const service = new Service(config, {
      logger: silentLogger(),
      metrics,
      memoryGuard: sharedMemoryGuard,
      ...(tracker === undefined ? {} : { metricsTap: tracker }),
    });
    await service.start();
    const server = await startTelemetryServer(`127.0.0.1:${await freePort()}`, metrics, () => {}, {
      status: () => ({ pipelines: config.service.pipelines, statuses: () => service.statuses() }),
      cardinality: () => tracker,
    });
    return {
      service,
      metrics,
      statusUrl: `http://127.0.0.1:${server.port}`,
      stop: async () => {
        await service.shutdown();
        await server.close();
      },
    };
  } finally {
    dir.remove();
  }
}

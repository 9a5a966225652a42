// Shared pieces of the allocator tests: scrape targets served by the test that record who scraped
// them, and `switchyard allocator` / `switchyard collector` processes started by PID.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './helpers.js';
import { type Daemon, httpOk, startDaemon } from './peers.js';

export const BIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface Scrape {
  readonly at: number;
  /** The `collector` query parameter (each collector's `$(SHARD)`), or `''`. */
  readonly by: string;
}

export interface TargetFarm {
  /** `127.0.0.1:port` of every target. */
  readonly addresses: readonly string[];
  /** Scrapes seen per address. */
  readonly scrapes: ReadonlyMap<string, Scrape[]>;
  /** Who scraped each address since `since` (ms epoch). */
  scrapersSince(since: number): Map<string, Set<string>>;
  close(): Promise<void>;
}

/** `n` HTTP servers on 127.0.0.1 answering /metrics with one gauge, recording every scrape. */
export async function startTargets(n: number): Promise<TargetFarm> {
  const servers: http.Server[] = [];
  const scrapes = new Map<string, Scrape[]>();
  const addresses: string[] = [];
  for (let i = 0; i < n; i++) {
    const server = http.createServer((req, res) => {
      const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const url = new URL(req.url ?? '/', 'http://x');
      scrapes.get(addr)?.push({ at: Date.now(), by: url.searchParams.get('collector') ?? '' });
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE farm_up gauge\nfarm_up{target="${i}"} 1\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    scrapes.set(addr, []);
    addresses.push(addr);
    servers.push(server);
  }
  return {
    addresses,
    scrapes,
    scrapersSince(since) {
      const out = new Map<string, Set<string>>();
      for (const [a, list] of scrapes) out.set(a, new Set(list.filter((s) => s.at >= since).map((s) => s.by)));
      return out;
    },
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

/** `switchyard allocator` with `yaml` written to `dir/allocator.yaml`, ready once /livez answers. */
export async function startAllocatorProcess(dir: string, port: number, yaml: string): Promise<Daemon> {
  const file = join(dir, 'allocator.yaml');
  writeFileSync(file, yaml);
  return startDaemon({
    command: process.execPath,
    args: [BIN, 'allocator', '--config', file, '--listen-address', `127.0.0.1:${port}`],
    ready: () => httpOk(`http://127.0.0.1:${port}/livez`),
  });
}

/**
 * `switchyard collector` whose prometheus receiver takes its jobs from the allocator as `id`; the
 * process's SHARD is `id`, so a scrape config's `$(SHARD)` tells the targets who scraped them.
 */
export async function startCollectorProcess(
  dir: string,
  allocator: string,
  id: string,
  intervalMs: number,
): Promise<Daemon> {
  const metricsPort = await freePort();
  const file = join(dir, `collector-${id}.yaml`);
  writeFileSync(
    file,
    `receivers:
  prometheus:
    config:
      scrape_configs: []
    target_allocator:
      endpoint: ${allocator}
      interval: ${intervalMs}ms
      collector_id: \${env:COLLECTOR_ID}
exporters:
  file:
    path: ${join(dir, `out-${id}.jsonl`)}
    flush_interval: 1s
service:
  pipelines:
    metrics: { receivers: [prometheus], exporters: [file] }
  telemetry:
    logs: { level: warn }
    metrics: { address: 127.0.0.1:${metricsPort} }
`,
  );
  return startDaemon({
    command: process.execPath,
    args: [BIN, 'collector', '--config', file],
    env: { ...process.env, COLLECTOR_ID: id, SHARD: id },
    ready: () => httpOk(`http://127.0.0.1:${metricsPort}/metrics`),
  });
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as unknown;
}

/** collector id -> addresses the allocator serves it for `job` (hand-overs included). */
export async function servedLists(
  base: string,
  job: string,
  ids: readonly string[],
): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const body = (await getJson(`${base}/jobs/${encodeURIComponent(job)}/targets`)) as Record<
    string,
    { targets: { targets: string[] }[] }
  >;
  for (const id of ids) out.set(id, new Set((body[id]?.targets ?? []).flatMap((g) => g.targets)));
  return out;
}

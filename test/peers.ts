// Real peers for interop tests: daemons from Debian's packages or npm, started on 127.0.0.1 by the
// test itself and ended by their PID; and headless Chromium driven by playwright-core.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export interface Daemon {
  readonly pid: number;
  /** Everything the daemon printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolves true once the daemon serves; polled every 50 ms. */
  readonly ready: () => Promise<boolean>;
  readonly readyTimeoutMs?: number;
}

/** Fails with a clear message when a peer binary is missing (CI installs them: .ci/apt-packages). */
export function requireBinary(path: string, pkg: string): string {
  if (!existsSync(path)) {
    throw new Error(`${path} not found: install the Debian package '${pkg}' (.ci/apt-packages does this)`);
  }
  return path;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const child: ChildProcess = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      out += `\nspawn error: ${err.message}`;
      exited = true;
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  const stop = async (graceMs = 5000): Promise<void> => {
    if (exited || pid < 0) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (!exited) process.kill(pid, 'SIGKILL');
    }, graceMs);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (exited) throw new Error(`${opts.command} exited before it was ready:\n${out.slice(-4000)}`);
    if (await opts.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop(1000);
      throw new Error(`${opts.command} not ready after ${opts.readyTimeoutMs ?? 15_000} ms:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid, output: () => out, stop };
}

/** True when GET url answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Debian's Chromium, headless, with the flags that keep it off the (closed) network. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireBinary('/usr/bin/chromium', 'chromium'),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const VICTORIA_METRICS_BIN = '/usr/bin/victoria-metrics';
export const NODE_EXPORTER_BIN = '/usr/bin/prometheus-node-exporter';

/**
 * Debian's prometheus on 127.0.0.1:`port` with `yaml` written to `dir/<configName>`; `extraArgs`
 * choose the mode and storage (`--storage.tsdb.path=...`, or `--enable-feature=agent` with
 * `--storage.agent.path=...`).
 */
export async function startPrometheus(
  dir: string,
  port: number,
  extraArgs: readonly string[],
  yaml: string,
  configName = 'prometheus.yml',
): Promise<Daemon> {
  const cfgFile = join(dir, configName);
  writeFileSync(cfgFile, yaml);
  return startDaemon({
    command: requireBinary(PROMETHEUS_BIN, 'prometheus'),
    args: [`--config.file=${cfgFile}`, `--web.listen-address=127.0.0.1:${port}`, ...extraArgs],
    ready: () => httpOk(`http://127.0.0.1:${port}/-/ready`),
  });
}

/** Debian's VictoriaMetrics on 127.0.0.1:`port`, storing under `dataDir`; fresh data is queryable at once
 * (no latency offset, no cache) and its other listeners are off. */
export async function startVictoriaMetrics(dataDir: string, port: number): Promise<Daemon> {
  return startDaemon({
    command: requireBinary(VICTORIA_METRICS_BIN, 'victoria-metrics'),
    args: [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${dataDir}`,
      '-retentionPeriod=1d',
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-influxListenAddr=',
      '-graphiteListenAddr=',
      '-opentsdbListenAddr=',
    ],
    ready: () => httpOk(`http://127.0.0.1:${port}/health`),
  });
}

/** Debian's prometheus-node-exporter on 127.0.0.1:`port`. */
export async function startNodeExporter(port: number): Promise<Daemon> {
  return startDaemon({
    command: requireBinary(NODE_EXPORTER_BIN, 'prometheus-node-exporter'),
    args: [`--web.listen-address=127.0.0.1:${port}`],
    ready: () => httpOk(`http://127.0.0.1:${port}/metrics`),
  });
}

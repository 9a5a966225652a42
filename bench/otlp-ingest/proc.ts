// The collector under test as a child process: start, wait until it serves, read its CPU time and
// memory from /proc, scrape its own metrics, stop it (SIGTERM, then SIGKILL after a deadline).
// Only the PID this module spawned is ever signalled.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second for /proc/<pid>/stat times. */
export const CLK_TCK = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of every thread of `pid`, in seconds; with `tid`, of that thread only (the
 * main thread of a Node process has tid == pid: the JS event loop). */
export function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

export interface MachineCpu {
  /** Busy CPU seconds (all CPUs): user+nice+system+irq+softirq+steal. */
  readonly busy: number;
  /** irq + softirq seconds: on loopback mostly our own network traffic, not charged to a process. */
  readonly irq: number;
  /** Stolen by the hypervisor, seconds. */
  readonly steal: number;
}

/** Whole-machine CPU time from /proc/stat, to see load that is neither the collector nor us. */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return {
    busy: (user + nice + system + irq + softirq + steal) / CLK_TCK,
    irq: (irq + softirq) / CLK_TCK,
    steal: steal / CLK_TCK,
  };
}

export interface MemStatus {
  readonly rssBytes: number;
  /** Peak RSS since start (VmHWM). */
  readonly hwmBytes: number;
}

export function memStatus(pid: number): MemStatus {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** A port that was free a moment ago on `host`. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve());
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Affinity list of `pid` as taskset prints it (e.g. "0", "1", "0,1"), for the report. */
export function affinityOf(pid: number): string {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
    return out.slice(out.lastIndexOf(':') + 1).trim();
  } catch {
    return '?';
  }
}

/** Pin every thread of this process to `cpu` (libuv's pool included). */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

export interface CollectorOptions {
  readonly mainJs: string;
  readonly configPath: string;
  readonly nodeArgs: readonly string[];
  /** Pin the collector to this CPU with taskset (taskset execs node, so the PID is node's). */
  readonly cpu: number | undefined;
  readonly cwd: string;
  /** Where to write the collector's whole stdout+stderr. */
  readonly logPath: string;
}

export interface Collector {
  readonly pid: number;
  readonly command: string;
  /** The last 64 KiB of the collector's stdout+stderr. */
  output(): string;
  /** Exit code (or signal name) once it has exited; undefined while it runs. */
  exitStatus(): string | undefined;
  /** SIGTERM, then SIGKILL after `deadlineMs`. Resolves with how it ended. */
  stop(deadlineMs: number): Promise<{ status: string; killed: boolean; stopMs: number }>;
}

const OUTPUT_TAIL = 64 * 1024;

export function startCollector(opts: CollectorOptions): Collector {
  const nodeArgv = [...opts.nodeArgs, opts.mainJs, 'collector', '--config', opts.configPath];
  const [cmd, args] =
    opts.cpu === undefined
      ? [process.execPath, nodeArgv]
      : ['taskset', ['-c', String(opts.cpu), process.execPath, ...nodeArgv]];
  const child: ChildProcess = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start the collector: ${cmd} ${args.join(' ')}`);
  const pid = child.pid;
  let tail = '';
  const log = createWriteStream(opts.logPath);
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    log.write(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      status = code !== null ? `exit ${code}` : `signal ${signal ?? '?'}`;
      log.end();
      resolve();
    });
    child.once('error', (err) => {
      status = `spawn error: ${err.message}`;
      resolve();
    });
  });
  return {
    pid,
    command: [cmd, ...args].join(' '),
    output: () => tail,
    exitStatus: () => status,
    stop: async (deadlineMs) => {
      const t0 = Date.now();
      if (status !== undefined) return { status, killed: false, stopMs: 0 };
      child.kill('SIGTERM');
      let killed = false;
      const timer = sleep(deadlineMs).then(() => 'deadline' as const);
      if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'deadline') {
        killed = true;
        child.kill('SIGKILL');
        await exited;
      }
      return { status: status ?? 'unknown', killed, stopMs: Date.now() - t0 };
    },
  };
}

/** GET http://host:port/path; resolves with status and body text. */
export function httpGet(host: string, port: number, path: string, timeoutMs = 2000): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve([res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')]));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Wait until the receiver port accepts connections and /metrics answers 200. */
export async function waitReady(
  collector: Collector,
  host: string,
  receiverPort: number,
  metricsPort: number,
  timeoutMs: number,
): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const st = collector.exitStatus();
    if (st !== undefined) throw new Error(`collector exited during start-up (${st}):\n${collector.output()}`);
    if (await canConnect(host, receiverPort)) {
      try {
        const [code] = await httpGet(host, metricsPort, '/metrics', 1000);
        if (code === 200) return Date.now() - t0;
      } catch {
        // not yet
      }
    }
    await sleep(50);
  }
  throw new Error(`collector not ready after ${timeoutMs} ms:\n${collector.output()}`);
}

/** Prometheus text -> series text (`name{labels}`) -> value. */
export function parsePromText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (sp <= 0) continue;
    // A trailing timestamp would make the last field an integer after a value; we do not emit them.
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** Sum of every series of metric `name` (any labels), or undefined if none. */
export function sumSeries(samples: ReadonlyMap<string, number>, name: string): number | undefined {
  let total: number | undefined;
  for (const [series, value] of samples) {
    const base = series.includes('{') ? series.slice(0, series.indexOf('{')) : series;
    if (base === name) total = (total ?? 0) + value;
  }
  return total;
}

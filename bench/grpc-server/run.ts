// @grpc/grpc-js vs raw node:http2 for the OTLP/gRPC receiver: each server in its own process
// pinned to CPU 0 (when taskset exists), the load generator pinned to CPU 1, the same payloads,
// connections and streams. Prints a Markdown table.
//
//   npx tsc -p . && node dist/bench/grpc-server/run.js [SECONDS=10] [WARMUP=2] [CONNECTIONS=16] [STREAMS=16] [ROUNDS=3]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProtobufTraceSerializer } from 'otlp-decode';
import { encodeFrame, OTLP_GRPC_PATHS } from '../../src/transport/grpc.js';
import { makeSpans } from './spans.js';

const here = dirname(fileURLToPath(import.meta.url));
const [seconds = 10, warmup = 2, connections = 16, streams = 16, rounds = 3] = process.argv.slice(2).map(Number);
const SPAN_COUNTS = [1, 10, 100];

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return cpus().length >= 2;
  } catch {
    return false;
  }
}
const pin = hasTaskset();

function node(cpu: number, args: string[]): ChildProcess {
  const cmd = pin ? 'taskset' : process.execPath;
  const argv = pin ? ['-c', String(cpu), process.execPath, ...args] : args;
  return spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
}

function firstLine(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      for (const line of buf.split('\n')) if (line.startsWith(prefix)) resolve(line.slice(prefix.length));
    });
    child.once('exit', (code) => reject(new Error(`process exited (${code}) before printing "${prefix}"`)));
  });
}

interface Result {
  spans: number;
  bytes: number;
  callsPerS: number;
  spansPerS: number;
  failed: number;
  p50ms: number;
  p99ms: number;
}

/** CPU busy fraction over `ms` from /proc/stat (0 when unavailable). */
async function busy(ms: number): Promise<number> {
  const read = (): number[] => {
    try {
      const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
      return line.trim().split(/\s+/).slice(1).map(Number);
    } catch {
      return [];
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  if (a.length < 5 || b.length < 5) return 0;
  const total = b.reduce((x, y) => x + y, 0) - a.reduce((x, y) => x + y, 0);
  const idle = (b[3] as number) + (b[4] as number) - (a[3] as number) - (a[4] as number);
  return total > 0 ? 1 - idle / total : 0;
}

/** Wait (up to 60 s) until the machine is quiet: other work skews a 2-core measurement. */
async function waitQuiet(): Promise<number> {
  let b = 1;
  for (let i = 0; i < 60; i++) {
    b = await busy(1000);
    if (b < 0.15) break;
  }
  return b;
}

function hasH2load(): boolean {
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const useH2load = hasH2load();
const payloadDir = mkdtempSync(join(tmpdir(), 'grpc-bench-'));

/** A framed ExportTraceServiceRequest with `n` SDK-made spans, written to a file for h2load. */
async function payloadFile(n: number): Promise<{ path: string; bytes: number }> {
  const body = encodeFrame(ProtobufTraceSerializer.serializeRequest(await makeSpans(n)) as Uint8Array, false);
  const path = join(payloadDir, `traces_${n}.bin`);
  writeFileSync(path, body);
  return { path, bytes: body.length };
}

/** h2load's summary: `finished in 10.00s, 9876.50 req/s, ...`, `requests: ... N succeeded`,
 * `time for request: min max mean sd`. */
function parseH2load(out: string, n: number, bytes: number): Result {
  const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(out)?.[1] ?? Number.NaN);
  const done = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
    out,
  );
  const mean = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
  const ms = (v: string | undefined): number => {
    if (v === undefined) return Number.NaN;
    const x = Number.parseFloat(v);
    return v.endsWith('us') ? x / 1000 : v.endsWith('ms') ? x : x * 1000;
  };
  return {
    spans: n,
    bytes,
    callsPerS: Math.round(rps),
    spansPerS: Math.round(rps * n),
    failed: Number(done?.[5] ?? 0) + Number(done?.[6] ?? 0),
    p50ms: Number(ms(mean?.[3]).toFixed(2)),
    p99ms: Number(ms(mean?.[2]).toFixed(2)),
  };
}

function run(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', () => resolve(out));
  });
}

async function once(
  kind: string,
  n: number,
  payload: { path: string; bytes: number },
): Promise<Result & { busy: number; cpuUsPerCall: number }> {
  const quiet = await waitQuiet();
  const server = node(0, [join(here, 'server.js'), kind]);
  const port = (await firstLine(server, 'ready ')).trim();
  let r: Result;
  if (useH2load) {
    const args = ['-c', String(connections), '-m', String(streams), '-D', String(seconds), `--warm-up-time=${warmup}`];
    args.push('-d', payload.path, '-H', 'content-type: application/grpc', '-H', 'te: trailers');
    args.push(`http://127.0.0.1:${port}${OTLP_GRPC_PATHS.traces}`);
    const load = pin
      ? spawn('taskset', ['-c', '1', 'h2load', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn('h2load', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    r = parseH2load(await run(load), n, payload.bytes);
  } else {
    const load = node(1, [
      join(here, 'load.js'),
      port,
      String(n),
      String(connections),
      String(streams),
      String(warmup),
      String(seconds),
    ]);
    r = JSON.parse(await firstLine(load, '{').then((s) => `{${s}`)) as Result;
  }
  const statsLine = firstLine(server, 'stats ');
  server.kill('SIGTERM');
  const stats = JSON.parse(await statsLine) as { spans: number; calls: number; cpuUs: number };
  await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)));
  // Every call answered must have reached the consumer (gRPC errors are HTTP 200 too).
  if (stats.calls < r.callsPerS * seconds * 0.95) r = { ...r, failed: r.failed + 1 };
  return { ...r, busy: quiet, cpuUsPerCall: stats.cpuUs / Math.max(1, stats.calls) };
}

const KINDS = ['grpc-js', 'raw-h2'] as const;
const rows: string[] = [];
for (const n of SPAN_COUNTS) {
  const payload = await payloadFile(n);
  const results: Record<string, Array<Result & { busy: number; cpuUsPerCall: number }>> = {
    'grpc-js': [],
    'raw-h2': [],
  };
  // Interleaved rounds, so that noise from other work hits both servers alike.
  for (let round = 0; round < rounds; round++) {
    for (const kind of KINDS) {
      const r = await once(kind, n, payload);
      results[kind]?.push(r);
      process.stderr.write(
        `${kind} ${n} spans round ${round + 1}: ${r.callsPerS} calls/s, ${r.cpuUsPerCall.toFixed(1)} us CPU/call (busy before ${(r.busy * 100).toFixed(0)}%)\n`,
      );
    }
  }
  for (const kind of KINDS) {
    const rs = [...(results[kind] ?? [])].sort((a, b) => a.callsPerS - b.callsPerS);
    const median = rs[Math.floor(rs.length / 2)] as Result;
    const best = rs[rs.length - 1] as Result;
    const cpu = rs.map((r) => r.cpuUsPerCall).sort((a, b) => a - b);
    const cpuMedian = cpu[Math.floor(cpu.length / 2)] as number;
    rows.push(
      `| ${kind} | ${n} | ${median.bytes} | ${median.callsPerS} (best ${best.callsPerS}) | ${median.spansPerS} | ${cpuMedian.toFixed(1)} (${Math.round(1e6 / cpuMedian)}) | ${median.p50ms} / ${median.p99ms} | ${rs.reduce((x, r) => x + r.failed, 0)} |`,
    );
  }
}
process.stdout.write(
  `node ${process.version}, ${pin ? 'server on CPU 0, load on CPU 1' : 'unpinned'}, ${connections} connections x ${streams} streams, ${useH2load ? 'h2load' : 'node load.js'}, ${warmup} s warm-up + ${seconds} s, median of ${rounds} interleaved rounds\n\n`,
);
process.stdout.write(
  `| server | spans/call | bytes | calls/s (median) | spans/s | server CPU µs/call (calls per CPU-s) | ${useH2load ? 'mean / max' : 'p50 / p99'} ms | failed |\n`,
);
process.stdout.write('|---|---|---|---|---|---|---|---|\n');
for (const r of rows) process.stdout.write(`${r}\n`);
rmSync(payloadDir, { recursive: true, force: true });

// StatsD ingest benchmark: the same UDP workload against Switchyard's statsd receiver, Etsy statsd 0.9.0 (npm)
// and collectd 5.12's statsd plugin, at increasing rates; reports the highest rate each absorbed with zero loss.
//
//   npm run build && node dist/bench/statsd/run.js [--seconds 4] [--single 20000,40000,...] [--batched 5000,...]
//       [--lines 20] [--targets switchyard,etsy,collectd] [--no-pin] [--out .bench-out/statsd.json]
//
// Loss is measured two ways per step: counted-vs-sent (the receiver's flushed `bench.*` counter totals against
// the lines the sender sent) and the kernel's UDP `RcvbufErrors`/`InErrors` deltas from /proc/net/snmp (machine
// wide: other processes' drops show up too). Every target and the sender run as separate processes; with taskset
// the target is pinned to CPU 0 and the sender to CPU 1. Only PIDs started here are signalled.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(here, '../../..');
const SENDER = join(ROOT, 'bench/statsd/sender.py');
const ETSY = join(ROOT, 'node_modules/statsd/stats.js');
const COLLECTD = '/usr/sbin/collectd';
const NAMES = 50;

interface Options {
  seconds: number;
  single: number[];
  batched: number[];
  lines: number;
  targets: string[];
  pin: boolean;
  out: string;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    seconds: 4,
    single: [20_000, 40_000, 60_000, 80_000, 100_000, 120_000],
    batched: [5_000, 10_000, 20_000, 30_000, 40_000],
    lines: 20,
    targets: ['switchyard', 'etsy', 'collectd'],
    pin: true,
    out: '.bench-out/statsd.json',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[i + 1] ?? '';
    const list = () => v.split(',').map(Number);
    if (a === '--seconds') o.seconds = Number(v);
    else if (a === '--single') o.single = v === '' || v === 'none' ? [] : list();
    else if (a === '--batched') o.batched = v === '' || v === 'none' ? [] : list();
    else if (a === '--lines') o.lines = Number(v);
    else if (a === '--targets') o.targets = v.split(',');
    else if (a === '--out') o.out = v;
    else if (a === '--no-pin') {
      o.pin = false;
      continue;
    } else throw new Error(`unknown option ${a}`);
    i++;
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function udpCounters(): { rcvbuf: number; inErrors: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const h = lines[0]!.split(/\s+/);
  const v = lines[1]!.split(/\s+/).map(Number);
  return { rcvbuf: v[h.indexOf('RcvbufErrors')]!, inErrors: v[h.indexOf('InErrors')]! };
}

function vmHwmMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? Number.NaN : Number(m[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Bytes queued in the receive buffer of the UDP socket bound to 127.0.0.1:port (/proc/net/udp rx_queue). */
function rxQueue(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) return Number.parseInt(f[4]!.split(':')[1]!, 16);
  }
  return 0;
}

async function drained(port: number): Promise<void> {
  for (let i = 0; i < 400 && rxQueue(port) > 0; i++) await sleep(25);
  await sleep(50);
}

/** utime + stime of a process and all its threads, in seconds. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A target under test: counts what it absorbed so far (cumulative). */
interface Target {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  counted(): Promise<number>;
  /** Flush latencies (ms) since the last call, when the target can time them. */
  flushMs(): number[];
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited(child);
  clearTimeout(t);
}

async function startSwitchyard(pin: boolean): Promise<Target> {
  const port = await freePort();
  const script = join(here, 'target.js');
  const child = pin
    ? fork(script, [String(port)], { execPath: 'taskset', execArgv: ['-c', '0', process.execPath] })
    : fork(script, [String(port)]);
  let pendingFlush: number[] = [];
  let resolveReport: ((n: number) => void) | undefined;
  await new Promise<void>((res, rej) => {
    child.once('error', rej);
    child.on('message', (m: { ready?: number; counted?: number; flushMs?: number[] }) => {
      if (m.ready !== undefined) res();
      if (m.counted !== undefined) {
        pendingFlush = pendingFlush.concat(m.flushMs ?? []);
        resolveReport?.(m.counted);
      }
    });
  });
  return {
    name: 'switchyard',
    pid: child.pid!,
    port,
    counted: () =>
      new Promise<number>((res) => {
        resolveReport = res;
        child.send({ cmd: 'report' });
      }),
    flushMs: () => pendingFlush.splice(0),
    stop: async () => {
      child.send({ cmd: 'stop' });
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(t);
    },
  };
}

const ETSY_BACKEND = `
exports.init = function (startupTime, config, events) {
  events.on('flush', function (ts, m) {
    var n = 0;
    for (var k in m.counters) if (k.indexOf('bench.') === 0) n += m.counters[k];
    process.stdout.write('BENCH_FLUSH ' + n + '\\n');
  });
  return true;
};
`;

async function startEtsy(dir: string, pin: boolean): Promise<Target> {
  const port = await freePort();
  const mgmt = await freePort();
  const backend = join(dir, 'etsy-backend.cjs');
  writeFileSync(backend, ETSY_BACKEND);
  const cfg = join(dir, 'etsy-config.js');
  writeFileSync(
    cfg,
    JSON.stringify({
      port,
      address: '127.0.0.1',
      mgmt_address: '127.0.0.1',
      mgmt_port: mgmt,
      flushInterval: 1000,
      backends: [backend],
      deleteIdleStats: true,
    }),
  );
  const cmd = pin ? 'taskset' : process.execPath;
  const args = pin ? ['-c', '0', process.execPath, ETSY, cfg] : [ETSY, cfg];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let total = 0;
  let flushes = 0;
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const l of parts) {
      if (l.startsWith('BENCH_FLUSH ')) {
        total += Number(l.slice(12));
        flushes++;
      }
    }
  });
  for (let i = 0; i < 100 && !(await tcpHealth(mgmt)); i++) await sleep(50);
  return {
    name: 'etsy',
    pid: child.pid!,
    port,
    counted: async () => {
      const f0 = flushes;
      for (let i = 0; i < 60 && flushes < f0 + 2; i++) await sleep(50);
      return total;
    },
    flushMs: () => [],
    stop: () => stopChild(child),
  };
}

function tcpHealth(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(500, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('health\n'));
    s.on('data', (d) => done(d.toString().includes('up')));
  });
}

async function startCollectd(dir: string, pin: boolean): Promise<Target> {
  const port = await freePort();
  const prom = await freePort();
  const base = join(dir, 'collectd');
  mkdirSync(base, { recursive: true });
  const conf = join(base, 'collectd.conf');
  writeFileSync(
    conf,
    [
      'Hostname "benchhost"',
      'FQDNLookup false',
      'Interval 1',
      `BaseDir "${base}"`,
      `PIDFile "${join(base, 'collectd.pid')}"`,
      'PluginDir "/usr/lib/collectd"',
      'TypesDB "/usr/share/collectd/types.db"',
      'LoadPlugin statsd',
      '<Plugin statsd>',
      '  Host "127.0.0.1"',
      `  Port "${port}"`,
      '</Plugin>',
      'LoadPlugin write_prometheus',
      '<Plugin write_prometheus>',
      '  Host "127.0.0.1"',
      `  Port "${prom}"`,
      '</Plugin>',
      '',
    ].join('\n'),
  );
  const cmd = pin ? 'taskset' : COLLECTD;
  const args = pin ? ['-c', '0', COLLECTD, '-f', '-C', conf] : ['-f', '-C', conf];
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const read = async (): Promise<number | undefined> => {
    try {
      const t = await (await fetch(`http://127.0.0.1:${prom}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      let n = 0;
      for (const m of t.matchAll(/^collectd_statsd_derive_total\{statsd="bench\.[^"]*"[^}]*\} (\d+)/gm))
        n += Number(m[1]);
      return n;
    } catch {
      return undefined;
    }
  };
  for (let i = 0; i < 100 && (await read()) === undefined; i++) await sleep(50);
  return {
    name: 'collectd',
    pid: child.pid!,
    port,
    counted: async () => {
      await sleep(2500);
      return (await read()) ?? Number.NaN;
    },
    flushMs: () => [],
    stop: () => stopChild(child),
  };
}

interface Step {
  target: string;
  workload: 'single' | 'batched';
  linesPerDatagram: number;
  targetRate: number;
  datagramsSent: number;
  linesSent: number;
  achievedRate: number;
  counted: number;
  lossPct: number;
  rcvbufErrors: number;
  inErrors: number;
  zeroLoss: boolean;
  maxFlushMs: number | undefined;
  /** CPU seconds the target used during the step (sending + drain), all threads. */
  cpuSeconds: number;
  /** Lines counted per CPU second of the target: what one fully busy core would absorb. */
  linesPerCpuSecond: number;
}

function runSender(port: number, rate: number, seconds: number, per: number, pin: boolean) {
  const args = [SENDER, String(port), String(rate), String(seconds), String(per), String(NAMES)];
  const out = pin
    ? execFileSync('taskset', ['-c', '1', 'python3', ...args], { encoding: 'utf8' })
    : execFileSync('python3', args, { encoding: 'utf8' });
  return JSON.parse(out) as { sent: number; lines: number; elapsed: number };
}

async function measure(
  t: Target,
  workload: 'single' | 'batched',
  rate: number,
  per: number,
  o: Options,
): Promise<Step> {
  const before = await t.counted();
  t.flushMs();
  const k0 = udpCounters();
  const c0 = cpuSeconds(t.pid);
  const s = runSender(t.port, rate, o.seconds, per, o.pin);
  // Wait until the kernel has no datagram left queued for the target's socket, then read its count.
  await drained(t.port);
  const after = await t.counted();
  const k1 = udpCounters();
  const cpu = cpuSeconds(t.pid) - c0;
  const counted = after - before;
  const flush = t.flushMs();
  const rcvbufErrors = k1.rcvbuf - k0.rcvbuf;
  return {
    target: t.name,
    workload,
    linesPerDatagram: per,
    targetRate: rate,
    datagramsSent: s.sent,
    linesSent: s.lines,
    achievedRate: Math.round(s.sent / s.elapsed),
    counted,
    lossPct: +(100 * (1 - counted / s.lines)).toFixed(3),
    rcvbufErrors,
    inErrors: k1.inErrors - k0.inErrors,
    zeroLoss: counted === s.lines,
    maxFlushMs: flush.length > 0 ? +Math.max(...flush).toFixed(2) : undefined,
    cpuSeconds: +cpu.toFixed(2),
    linesPerCpuSecond: Math.round(counted / cpu),
  };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.pin && !hasTaskset()) o.pin = false;
  const dir = resolve('.bench-out/statsd');
  mkdirSync(dir, { recursive: true });
  const steps: Step[] = [];
  const rss: Record<string, number> = {};
  for (const name of o.targets) {
    let t: Target;
    if (name === 'switchyard') t = await startSwitchyard(o.pin);
    else if (name === 'etsy') t = await startEtsy(dir, o.pin);
    else if (name === 'collectd') t = await startCollectd(dir, o.pin);
    else throw new Error(`unknown target ${name}`);
    process.stderr.write(`${name}: pid ${t.pid}, udp ${t.port}\n`);
    try {
      for (const [workload, rates, per] of [
        ['single', o.single, 1],
        ['batched', o.batched, o.lines],
      ] as const) {
        for (const rate of rates) {
          const step = await measure(t, workload, rate, per, o);
          steps.push(step);
          process.stderr.write(`  ${JSON.stringify(step)}\n`);
        }
      }
      rss[name] = vmHwmMb(t.pid);
    } finally {
      await t.stop();
    }
  }
  report(steps, rss, o);
  mkdirSync(resolve(o.out, '..'), { recursive: true });
  writeFileSync(
    o.out,
    JSON.stringify({ options: o, steps, peakRssMb: rss, load: readFileSync('/proc/loadavg', 'utf8') }, null, 2),
  );
}

function report(steps: readonly Step[], rss: Record<string, number>, o: Options): void {
  const targets = o.targets;
  const best = (t: string, w: 'single' | 'batched'): Step | undefined => {
    const ok = steps.filter((s) => s.target === t && s.workload === w && s.zeroLoss);
    return ok.sort((a, b) => b.achievedRate - a.achievedRate)[0];
  };
  const fmt = (n: number | undefined) =>
    n === undefined || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US');
  const lines: string[] = [];
  lines.push(
    `statsd ingest, ${o.seconds}s per step, target ${o.pin ? 'pinned to CPU 0, sender to CPU 1' : 'unpinned'}`,
  );
  lines.push('');
  lines.push(
    '| target | workload | rate asked (datagrams/s) | achieved | lines/s | loss % | counted/sent | RcvbufErrors | target CPU s | lines per CPU-s | max flush ms |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of steps) {
    lines.push(
      `| ${s.target} | ${s.workload} x${s.linesPerDatagram} | ${fmt(s.targetRate)} | ${fmt(s.achievedRate)} | ${fmt(s.achievedRate * s.linesPerDatagram)} | ${s.lossPct} | ${fmt(s.counted)}/${fmt(s.linesSent)} | ${s.rcvbufErrors} | ${s.cpuSeconds} | ${fmt(s.linesPerCpuSecond)} | ${s.maxFlushMs ?? '-'} |`,
    );
  }
  lines.push('');
  lines.push('Highest rate absorbed with zero loss (counted = sent), and the best lines per CPU-second of the target:');
  lines.push('');
  lines.push(
    `| target | single: datagrams/s, 0 loss | batched x${o.lines}: metrics/s, 0 loss | single: lines per CPU-s | batched: lines per CPU-s | peak RSS MB |`,
  );
  lines.push('|---|---|---|---|---|---|');
  const perCpu = (t: string, w: 'single' | 'batched'): number | undefined => {
    const xs = steps.filter((s) => s.target === t && s.workload === w && Number.isFinite(s.linesPerCpuSecond));
    return xs.length === 0 ? undefined : Math.max(...xs.map((s) => s.linesPerCpuSecond));
  };
  const zeroSingle = (t: string) => best(t, 'single')?.achievedRate;
  const zeroBatched = (t: string) => {
    const b = best(t, 'batched');
    return b === undefined ? undefined : b.achievedRate * b.linesPerDatagram;
  };
  const cols = [zeroSingle, zeroBatched, (t: string) => perCpu(t, 'single'), (t: string) => perCpu(t, 'batched')];
  for (const t of targets) {
    const cells = cols.map((f) => {
      const mine = f('switchyard');
      const theirs = f(t);
      if (t === 'switchyard' || mine === undefined || theirs === undefined) return fmt(theirs);
      return `${fmt(theirs)} (switchyard ${(mine / theirs).toFixed(2)}x)`;
    });
    lines.push(`| ${t} | ${cells.join(' | ')} | ${rss[t]?.toFixed(1) ?? '-'} |`);
  }
  lines.push('');
  lines.push(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  process.stdout.write(lines.join('\n') + '\n');
}

await main();

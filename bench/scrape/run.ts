// Scrape -> remote write benchmark: Switchyard's `prometheus` receiver + `prometheusremotewrite`
// exporter against vmagent and Prometheus in agent mode, each scraping the same static targets
// (default 50 endpoints x 10,000 series, served by targets.js) and remote-writing to the same
// counting sink (sink.js), one contestant at a time. Per contestant: samples/s scraped and
// delivered, CPU-seconds per million samples, samples/s per CPU-second, delivery lag p50/p99
// (sink arrival - sample time) and peak RSS; ratios against Switchyard in the same run.
//
//   npm run build && node dist/bench/scrape/run.js [--targets 50] [--series 10000] [--interval 5]
//       [--seconds 30] [--only switchyard,vmagent,prometheus] [--out .bench-out/scrape.json]
//
// Every process runs on this machine; only PIDs started here are signalled.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, machineCpu, memStatus } from '../otlp-ingest/proc.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(here, '../../..');
const MAIN = join(ROOT, 'dist/src/cli/main.js');

interface Options {
  targets: number;
  series: number;
  interval: number;
  seconds: number;
  only: string[];
  out: string;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    targets: 50,
    series: 10_000,
    interval: 5,
    seconds: 30,
    only: ['switchyard', 'vmagent', 'prometheus'],
    out: '.bench-out/scrape.json',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i] ?? '';
    const v = argv[i + 1] ?? '';
    if (a === '--targets') o.targets = Number(v);
    else if (a === '--series') o.series = Number(v);
    else if (a === '--interval') o.interval = Number(v);
    else if (a === '--seconds') o.seconds = Number(v);
    else if (a === '--only') o.only = v.split(',');
    else if (a === '--out') o.out = v;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  readonly pid: number;
  readonly child: ChildProcess;
  firstLine: Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

function start(cmd: string, args: readonly string[], cwd = ROOT): Proc {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  let tail = '';
  let resolveLine: (s: string) => void = () => {};
  const firstLine = new Promise<string>((r) => {
    resolveLine = r;
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    const nl = out.indexOf('\n');
    if (nl >= 0) resolveLine(out.slice(0, nl));
    tail = (tail + c.toString()).slice(-8192);
  });
  child.stderr?.on('data', (c: Buffer) => {
    tail = (tail + c.toString()).slice(-8192);
  });
  let exited = false;
  const done = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      r();
    }),
  );
  return {
    pid: child.pid,
    child,
    firstLine,
    output: () => tail,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  return (await r.json()) as T;
}

interface SinkStats {
  samples: number;
  requests: number;
  bytes: number;
  errors: number;
  lags: number[];
}

interface Result {
  name: string;
  version: string;
  scrapedPerSec: number;
  deliveredPerSec: number;
  cpuSeconds: number;
  cpuPerMillion: number;
  perCore: number;
  lagP50Ms: number;
  lagP99Ms: number;
  peakRssMb: number;
  requests: number;
  errors: number;
}

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function scrapeYaml(o: Options, ports: readonly number[], indent: string): string {
  return [
    `${indent}global: {scrape_interval: ${o.interval}s, scrape_timeout: ${Math.min(o.interval, 10)}s}`,
    `${indent}scrape_configs:`,
    `${indent}  - job_name: bench`,
    `${indent}    static_configs:`,
    `${indent}      - targets: [${ports.map((p) => `'127.0.0.1:${p}'`).join(', ')}]`,
  ].join('\n');
}

async function contestant(
  name: string,
  o: Options,
  ports: readonly number[],
  sinkPort: number,
  dir: string,
): Promise<{ proc: Proc; version: string }> {
  const sinkUrl = `http://127.0.0.1:${sinkPort}/api/v1/write`;
  const listen = await freePort();
  switch (name) {
    case 'switchyard': {
      const cfg = join(dir, 'switchyard.yaml');
      writeFileSync(
        cfg,
        [
          'receivers:',
          '  prometheus:',
          '    config:',
          scrapeYaml(o, ports, '      '),
          'exporters:',
          '  prometheusremotewrite:',
          `    endpoint: ${sinkUrl}`,
          '    tls: {insecure: true}',
          '    target_info: {enabled: false}',
          'service:',
          '  pipelines:',
          '    metrics: {receivers: [prometheus], exporters: [prometheusremotewrite]}',
          '  telemetry:',
          '    metrics: {level: none}',
          '',
        ].join('\n'),
      );
      return { proc: start(process.execPath, [MAIN, 'collector', '--config', cfg]), version: 'switchyard 0.1.0' };
    }
    case 'vmagent': {
      const cfg = join(dir, 'vmagent.yml');
      writeFileSync(cfg, `${scrapeYaml(o, ports, '')}\n`);
      return {
        proc: start('/usr/bin/vmagent', [
          `-httpListenAddr=127.0.0.1:${listen}`,
          `-promscrape.config=${cfg}`,
          `-remoteWrite.url=${sinkUrl}`,
          `-remoteWrite.tmpDataPath=${join(dir, 'vmagent-data')}`,
          '-loggerLevel=ERROR',
        ]),
        version: 'vmagent (Debian victoria-metrics)',
      };
    }
    case 'prometheus': {
      const cfg = join(dir, 'prometheus.yml');
      writeFileSync(cfg, `${scrapeYaml(o, ports, '')}\nremote_write:\n  - url: ${sinkUrl}\n`);
      return {
        proc: start('/usr/bin/prometheus', [
          '--enable-feature=agent',
          `--config.file=${cfg}`,
          `--storage.agent.path=${join(dir, 'agent-data')}`,
          `--web.listen-address=127.0.0.1:${listen}`,
          '--log.level=error',
        ]),
        version: 'Prometheus agent mode (Debian prometheus)',
      };
    }
    default:
      throw new Error(`unknown contestant ${name}`);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-scrape-'));
  const procs: Proc[] = [];
  try {
    const targets = start(process.execPath, [join(here, 'targets.js'), String(o.targets), String(o.series)]);
    procs.push(targets);
    const t = JSON.parse(await targets.firstLine) as { ports: number[]; control: number; seriesPerPage: number };
    const sink = start(process.execPath, [join(here, 'sink.js')]);
    procs.push(sink);
    const sinkPort = (JSON.parse(await sink.firstLine) as { port: number }).port;
    const offered = (o.targets * t.seriesPerPage) / o.interval;
    process.stdout.write(
      `bench/scrape: ${o.targets} targets x ${t.seriesPerPage} series every ${o.interval}s ` +
        `(${Math.round(offered).toLocaleString('en')} samples/s offered), ${o.seconds}s measured per contestant\n`,
    );
    const results: Result[] = [];
    for (const name of o.only) {
      const bin = name === 'vmagent' ? '/usr/bin/vmagent' : name === 'prometheus' ? '/usr/bin/prometheus' : MAIN;
      if (!existsSync(bin)) {
        process.stdout.write(`  ${name}: skipped (${bin} not installed)\n`);
        continue;
      }
      const { proc, version } = await contestant(name, o, t.ports, sinkPort, dir);
      procs.push(proc);
      // Warm-up: two intervals, so every target has been scraped and series caches are built.
      await sleep(2 * o.interval * 1000 + 1000);
      if (proc.child.exitCode !== null || proc.child.signalCode !== null)
        throw new Error(`${name} exited (${proc.child.exitCode ?? proc.child.signalCode}):\n${proc.output()}`);
      await fetch(`http://127.0.0.1:${sinkPort}/reset`, { method: 'POST' });
      const s0 = (await getJson<{ scrapes: number }>(`http://127.0.0.1:${t.control}/`)).scrapes;
      const c0 = cpuSeconds(proc.pid);
      const m0 = machineCpu();
      const w0 = Date.now();
      await sleep(o.seconds * 1000);
      const secs = (Date.now() - w0) / 1000;
      const c1 = cpuSeconds(proc.pid);
      const m1 = machineCpu();
      const s1 = (await getJson<{ scrapes: number }>(`http://127.0.0.1:${t.control}/`)).scrapes;
      const peak = memStatus(proc.pid).hwmBytes;
      const st = await getJson<SinkStats>(`http://127.0.0.1:${sinkPort}/stats`);
      await proc.stop();
      const scraped = (s1 - s0) * t.seriesPerPage;
      const cpu = c1 - c0;
      const lags = [...st.lags].sort((a, b) => a - b);
      const r: Result = {
        name,
        version,
        scrapedPerSec: scraped / secs,
        deliveredPerSec: st.samples / secs,
        cpuSeconds: cpu,
        cpuPerMillion: cpu / (scraped / 1e6),
        perCore: st.samples / cpu,
        lagP50Ms: pct(lags, 50),
        lagP99Ms: pct(lags, 99),
        peakRssMb: peak / 1024 / 1024,
        requests: st.requests,
        errors: st.errors,
      };
      results.push(r);
      process.stdout.write(
        `  ${name.padEnd(10)} scraped ${Math.round(r.scrapedPerSec).toLocaleString('en').padStart(9)}/s  ` +
          `delivered ${Math.round(r.deliveredPerSec).toLocaleString('en').padStart(9)}/s  ` +
          `${r.cpuPerMillion.toFixed(2)} CPU-s/M  ${Math.round(r.perCore).toLocaleString('en')} samples/CPU-s  ` +
          `lag p50 ${Math.round(r.lagP50Ms)} ms p99 ${Math.round(r.lagP99Ms)} ms  peak RSS ${Math.round(r.peakRssMb)} MiB  ` +
          `(machine busy ${((m1.busy - m0.busy) / secs).toFixed(2)} CPUs)\n`,
      );
    }
    const base = results.find((r) => r.name === 'switchyard');
    if (base !== undefined && results.length > 1) {
      process.stdout.write('\nratios (peer / switchyard; CPU-s per million: > 1 means switchyard uses less):\n');
      for (const r of results) {
        if (r === base) continue;
        process.stdout.write(
          `  ${r.name.padEnd(10)} CPU-s/M ${(r.cpuPerMillion / base.cpuPerMillion).toFixed(2)}x  ` +
            `samples/CPU-s ${(r.perCore / base.perCore).toFixed(2)}x  peak RSS ${(r.peakRssMb / base.peakRssMb).toFixed(2)}x  ` +
            `lag p99 ${(r.lagP99Ms / base.lagP99Ms).toFixed(2)}x\n`,
        );
      }
    }
    mkdirSync(dirname(resolve(ROOT, o.out)), { recursive: true });
    writeFileSync(resolve(ROOT, o.out), `${JSON.stringify({ options: o, results }, null, 2)}\n`);
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

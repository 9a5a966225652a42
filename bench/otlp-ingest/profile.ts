// Summarize a V8 .cpuprofile (from `--node-arg=--cpu-prof`): self and total time per function and
// self time per file, as % of the busy samples (everything but "(idle)"; GC and "(program)"
// included, so that the self shares add up to 100).
//
//   node dist/bench/otlp-ingest/profile.js .bench-out/prof/CPU.*.cpuprofile [--top 30] [--json]
//        [--bench .bench-out/otlp-ingest.json --phase traces/saturation]   (only that window)
//        [--callers writev [--depth 4]]   (whose calls the self time of functions whose name
//        starts with that comes from)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  readonly key: string;
  readonly selfPct: number;
  readonly totalPct: number;
}

export interface Summary {
  /** For `callersOf`: the caller chains (up to `depth` frames) of its self time, % of busy. */
  readonly callers: { chain: string; pct: number }[];
  readonly durationMs: number;
  readonly samples: number;
  /** Share of the window the main thread was busy (not idle), %. */
  readonly busyPct: number;
  readonly functions: Row[];
  readonly files: { file: string; selfPct: number }[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const u = url.startsWith('file://') ? url.slice('file://'.length) : url;
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + 1);
  const dist = u.indexOf('/dist/');
  if (dist >= 0) return u.slice(dist + 1);
  return u;
}

function keyOf(f: CallFrame): string {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  const url = shortUrl(f.url);
  return url === '' ? name : `${name} ${url}:${f.lineNumber + 1}`;
}

function fileOf(f: CallFrame): string {
  const url = shortUrl(f.url);
  if (url !== '') return url;
  // (garbage collector), (idle), (program), (root) and native builtins without a URL.
  return f.functionName.startsWith('(') ? f.functionName : '(native)';
}

/** Summary of the samples taken in [fromUs, toUs) (CLOCK_MONOTONIC µs, the profile's clock). */
export function summarize(
  profile: CpuProfile,
  fromUs = -Infinity,
  toUs = Infinity,
  callersOf = '',
  depth = 4,
): Summary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  const callers = new Map<string, number>();
  let all = 0;
  let idle = 0;
  let samples = 0;
  let t = profile.startTime;
  const seen = new Set<string>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    t += dt;
    if (t < fromUs || t >= toUs) continue;
    const id = profile.samples[i] as number;
    const node = byId.get(id);
    if (node === undefined) continue;
    samples++;
    all += dt;
    const k = keyOf(node.callFrame);
    if (k === '(idle)') {
      idle += dt;
      continue;
    }
    self.set(k, (self.get(k) ?? 0) + dt);
    const f = fileOf(node.callFrame);
    files.set(f, (files.get(f) ?? 0) + dt);
    if (callersOf !== '' && k.startsWith(callersOf)) {
      const chain: string[] = [];
      for (let cur = parent.get(id); cur !== undefined && chain.length < depth; cur = parent.get(cur)) {
        const n = byId.get(cur);
        if (n === undefined) break;
        chain.push(keyOf(n.callFrame));
      }
      const c = chain.join(' < ');
      callers.set(c, (callers.get(c) ?? 0) + dt);
    }
    seen.clear();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n === undefined) break;
      const key = keyOf(n.callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + dt);
    }
  }
  const busy = all - idle;
  const pct = (v: number): number => (busy > 0 ? (100 * v) / busy : 0);
  const functions = [...total.keys()]
    .map((key) => ({ key, selfPct: pct(self.get(key) ?? 0), totalPct: pct(total.get(key) ?? 0) }))
    .sort((a, b) => b.selfPct - a.selfPct);
  return {
    callers: [...callers.entries()].map(([chain, v]) => ({ chain, pct: pct(v) })).sort((a, b) => b.pct - a.pct),
    durationMs: all / 1000,
    samples,
    busyPct: all > 0 ? (100 * busy) / all : 0,
    functions,
    files: [...files.entries()].map(([file, v]) => ({ file, selfPct: pct(v) })).sort((a, b) => b.selfPct - a.selfPct),
  };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
      bench: { type: 'string' },
      phase: { type: 'string' },
      callers: { type: 'string', default: '' },
      depth: { type: 'string', default: '4' },
    },
  });
  const top = Number(values.top);
  let from = -Infinity;
  let to = Infinity;
  if (values.bench !== undefined) {
    [from, to] = benchWindow(values.bench, values.phase ?? 'traces/saturation');
  }
  for (const file of positionals) {
    const s = summarize(
      JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
      from,
      to,
      values.callers,
      Number(values.depth),
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ file, ...s, functions: s.functions.slice(0, top) }, null, 2)}\n`);
      continue;
    }
    const out: string[] = [
      `${path.basename(file)}: ${(s.durationMs / 1000).toFixed(1)} s, ${s.samples} samples, main thread busy ${s.busyPct.toFixed(0)}%; shares are of busy time`,
    ];
    out.push('  self%  total%  function');
    for (const r of s.functions.slice(0, top)) {
      out.push(`  ${r.selfPct.toFixed(1).padStart(5)}  ${r.totalPct.toFixed(1).padStart(6)}  ${r.key}`);
    }
    out.push('  self%  file');
    for (const f of s.files.slice(0, top)) out.push(`  ${f.selfPct.toFixed(1).padStart(5)}  ${f.file}`);
    if (values.callers !== '') {
      out.push(`  self%  callers of ${values.callers}`);
      for (const c of s.callers.slice(0, top)) out.push(`  ${c.pct.toFixed(1).padStart(5)}  ${c.chain}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  }
}

/** [from, to] µs of `signal/phase` (e.g. traces/saturation) in the first run of a results file. */
function benchWindow(file: string, which: string): [number, number] {
  const [signal, phase] = which.split('/');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    runs?: { signals?: { signal: string; phases?: { phase: string; monoWindowUs?: [number, number] }[] }[] }[];
  };
  const w = doc.runs?.[0]?.signals
    ?.find((x) => x.signal === signal)
    ?.phases?.find((p) => p.phase === phase)?.monoWindowUs;
  if (w === undefined) throw new Error(`no window for ${which} in ${file}`);
  return w;
}

if (process.argv[1]?.endsWith('profile.js')) main();

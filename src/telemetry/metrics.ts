// The collector's own metrics: a small registry rendered as Prometheus text 0.0.4.
// Instruments are bound to a label set once (`counter.with({...})`) so the hot path is a
// property increment, not a map lookup.

export type Labels = Readonly<Record<string, string>>;

interface Series {
  readonly labels: Labels;
}

abstract class Instrument<T extends Series> {
  protected readonly series = new Map<string, T>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}

  protected key(labels: Labels): string {
    const keys = Object.keys(labels).sort();
    let k = '';
    for (const key of keys) k += `${key}\u0000${labels[key]}\u0001`;
    return k;
  }

  abstract render(out: string[]): void;
}

export class CounterSeries implements Series {
  value = 0;
  constructor(readonly labels: Labels) {}
  add(n = 1): void {
    this.value += n;
  }
}

export class Counter extends Instrument<CounterSeries> {
  with(labels: Labels = {}): CounterSeries {
    const k = this.key(labels);
    let s = this.series.get(k);
    if (s === undefined) {
      s = new CounterSeries(labels);
      this.series.set(k, s);
    }
    return s;
  }

  add(n: number, labels: Labels = {}): void {
    this.with(labels).add(n);
  }

  /** Current value for a label set (0 when never touched). */
  get(labels: Labels = {}): number {
    return this.series.get(this.key(labels))?.value ?? 0;
  }

  /** Sum over every series whose labels include `match`. */
  sum(match: Labels = {}): number {
    let total = 0;
    for (const s of this.series.values()) if (matches(s.labels, match)) total += s.value;
    return total;
  }

  render(out: string[]): void {
    for (const s of this.series.values()) out.push(`${this.name}${fmtLabels(s.labels)} ${fmtNum(s.value)}`);
  }
}

export class GaugeSeries implements Series {
  value = 0;
  constructor(readonly labels: Labels) {}
  set(v: number): void {
    this.value = v;
  }
  add(n: number): void {
    this.value += n;
  }
}

export class Gauge extends Instrument<GaugeSeries> {
  private readonly callbacks: Array<() => void> = [];

  with(labels: Labels = {}): GaugeSeries {
    const k = this.key(labels);
    let s = this.series.get(k);
    if (s === undefined) {
      s = new GaugeSeries(labels);
      this.series.set(k, s);
    }
    return s;
  }

  set(v: number, labels: Labels = {}): void {
    this.with(labels).set(v);
  }

  get(labels: Labels = {}): number {
    return this.series.get(this.key(labels))?.value ?? 0;
  }

  /** A function run before each render to refresh values (e.g. queue size). */
  onCollect(fn: () => void): void {
    this.callbacks.push(fn);
  }

  /** Forget a series (a component that shut down). */
  remove(labels: Labels): void {
    this.series.delete(this.key(labels));
  }

  render(out: string[]): void {
    for (const cb of this.callbacks) cb();
    for (const s of this.series.values()) out.push(`${this.name}${fmtLabels(s.labels)} ${fmtNum(s.value)}`);
  }
}

export class HistogramSeries implements Series {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  record(v: number): void {
    let i = 0;
    const b = this.bounds;
    while (i < b.length && v > (b[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += v;
    this.count++;
  }
}

export class Histogram extends Instrument<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    readonly bounds: readonly number[],
  ) {
    super(name, help, 'histogram');
  }

  with(labels: Labels = {}): HistogramSeries {
    const k = this.key(labels);
    let s = this.series.get(k);
    if (s === undefined) {
      s = new HistogramSeries(labels, this.bounds);
      this.series.set(k, s);
    }
    return s;
  }

  record(v: number, labels: Labels = {}): void {
    this.with(labels).record(v);
  }

  render(out: string[]): void {
    for (const s of this.series.values()) {
      let cum = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cum += s.counts[i] as number;
        out.push(`${this.name}_bucket${fmtLabels({ ...s.labels, le: fmtNum(this.bounds[i] as number) })} ${cum}`);
      }
      out.push(`${this.name}_bucket${fmtLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      out.push(`${this.name}_sum${fmtLabels(s.labels)} ${fmtNum(s.sum)}`);
      out.push(`${this.name}_count${fmtLabels(s.labels)} ${s.count}`);
    }
  }
}

/** The registry. Asking twice for the same name returns the same instrument. */
export class MetricsRegistry {
  private readonly instruments = new Map<string, Instrument<Series>>();

  counter(name: string, help: string): Counter {
    return this.getOrCreate(name, 'counter', () => new Counter(name, help, 'counter')) as Counter;
  }

  gauge(name: string, help: string): Gauge {
    return this.getOrCreate(name, 'gauge', () => new Gauge(name, help, 'gauge')) as Gauge;
  }

  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.getOrCreate(name, 'histogram', () => new Histogram(name, help, bounds)) as Histogram;
  }

  private getOrCreate(name: string, type: string, make: () => Instrument<Series>): Instrument<Series> {
    const existing = this.instruments.get(name);
    if (existing !== undefined) {
      if (existing.type !== type) throw new Error(`metric ${name} already registered as a ${existing.type}`);
      return existing;
    }
    const inst = make();
    this.instruments.set(name, inst);
    return inst;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const inst of this.instruments.values()) {
      const body: string[] = [];
      inst.render(body);
      if (body.length === 0) continue;
      out.push(`# HELP ${inst.name} ${inst.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      out.push(`# TYPE ${inst.name} ${inst.type}`);
      for (const line of body) out.push(line);
    }
    return `${out.join('\n')}\n`;
  }
}

function matches(labels: Labels, match: Labels): boolean {
  for (const k in match) if (labels[k] !== match[k]) return false;
  return true;
}

function fmtLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  const parts: string[] = [];
  for (const k of keys) {
    const v = (labels[k] as string).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
    parts.push(`${k}="${v}"`);
  }
  return `{${parts.join(',')}}`;
}

function fmtNum(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

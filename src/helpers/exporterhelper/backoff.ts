// Exponential backoff with jitter (the Collector's configretry semantics): the interval starts at
// `initialIntervalMs`, each wait is drawn uniformly from interval × [1 − f, 1 + f], and after each
// wait the interval grows by `multiplier`, capped at `maxIntervalMs`.

export interface BackoffOptions {
  readonly initialIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly multiplier: number;
  readonly randomizationFactor: number;
}

export class ExponentialBackoff {
  private interval: number;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {
    this.interval = opts.initialIntervalMs;
  }

  /** The next wait in milliseconds. */
  next(): number {
    const f = this.opts.randomizationFactor;
    const current = this.interval;
    const delta = f * current;
    const wait = current - delta + this.random() * 2 * delta;
    const grown = current * this.opts.multiplier;
    this.interval = Math.min(grown, this.opts.maxIntervalMs);
    return Math.max(0, wait);
  }
}

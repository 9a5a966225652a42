// Rate-limited logging: one line per key (a failure reason) per interval, never one per item or
// request; the next line after a quiet period says how many were suppressed in between.
import type { Logger } from 'pino';

export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    this.emit('warn', key, fields, message);
  }

  error(key: string, fields: Record<string, unknown>, message: string): void {
    this.emit('error', key, fields, message);
  }

  private emit(level: 'warn' | 'error', key: string, fields: Record<string, unknown>, message: string): void {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry !== undefined && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: t, suppressed: 0 });
    const extra = suppressed > 0 ? { ...fields, suppressed } : fields;
    this.logger[level](extra, message);
  }
}

// A buffered, append-only file writer shared by every file exporter instance that names the same
// (resolved) path: a module-level registry, reference-counted. Data is buffered and written every
// flush interval (or when 1 MiB is pending, or at once when the interval is 0), with optional
// size-based rotation. After a failed write the writer stops buffering: each append is written
// before it is acknowledged, until a write succeeds again.
import { type FileHandle, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../../component/errors.js';
import { RateLimitedLog } from '../../telemetry/ratelimit.js';

export interface WriterOptions {
  readonly format: 'json' | 'proto';
  readonly flushIntervalMs: number;
  readonly rotation?: {
    readonly maxBytes: number;
    readonly maxBackups: number;
    readonly maxDays: number;
    readonly localtime: boolean;
  };
}

/** Called when a buffered chunk could not be written. */
export type WriteFailure = (err: unknown) => void;

interface Chunk {
  readonly data: Buffer;
  readonly onFail: WriteFailure;
}

const FLUSH_THRESHOLD = 1 << 20;
const registry = new Map<string, SharedFileWriter>();

/** Get (or open) the writer of `path`; every acquire needs one release. */
export async function acquireWriter(path: string, opts: WriterOptions, logger: Logger): Promise<SharedFileWriter> {
  const key = resolve(path);
  const existing = registry.get(key);
  if (existing !== undefined) {
    if (JSON.stringify(existing.opts) !== JSON.stringify(opts)) {
      throw new Error(
        `file ${key} is already written by another file exporter with a different format, flush_interval or rotation`,
      );
    }
    existing.refs++;
    await existing.ready;
    return existing;
  }
  const w = new SharedFileWriter(key, opts, logger);
  registry.set(key, w);
  try {
    await w.ready;
  } catch (err) {
    registry.delete(key);
    throw err;
  }
  return w;
}

/** Writers currently open (tests). */
export function openWriterCount(): number {
  return registry.size;
}

export class SharedFileWriter {
  refs = 1;
  readonly ready: Promise<void>;
  private handle: FileHandle | undefined;
  private size = 0;
  private pending: Chunk[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> = Promise.resolve();
  private broken = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly log: RateLimitedLog;

  constructor(
    readonly path: string,
    readonly opts: WriterOptions,
    logger: Logger,
  ) {
    this.log = new RateLimitedLog(logger);
    this.ready = this.openFile();
    if (opts.flushIntervalMs > 0) {
      this.timer = setInterval(() => {
        void this.flush();
      }, opts.flushIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Append one record. Resolves once buffered (or, with flush_interval 0 or after a failed write,
   * once written). Returns the error when the record itself could not be written; a buffered
   * record that fails later is reported through `onFail`.
   */
  async append(data: Buffer, onFail: WriteFailure): Promise<unknown> {
    if (this.opts.flushIntervalMs > 0 && !this.broken) {
      this.pending.push({ data, onFail });
      this.pendingBytes += data.length;
      // Past 1 MiB the append waits for the write: memory stays bounded when the disk is slow.
      if (this.pendingBytes >= FLUSH_THRESHOLD) await this.flush();
      return undefined;
    }
    let failure: unknown;
    this.pending.push({
      data,
      onFail: (err) => {
        failure = err;
      },
    });
    this.pendingBytes += data.length;
    await this.flush();
    return failure;
  }

  /** Write everything buffered so far. Never rejects. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  /** Drop one reference; the last one flushes and closes the file. */
  async release(): Promise<void> {
    this.refs--;
    await this.flush();
    if (this.refs > 0) return;
    if (registry.get(this.path) === this) registry.delete(this.path);
    if (this.timer !== undefined) clearInterval(this.timer);
    const h = this.handle;
    this.handle = undefined;
    if (h !== undefined) {
      try {
        await h.close();
      } catch (err) {
        this.log.warn('close', { path: this.path, error: errorMessage(err) }, 'closing the file failed');
      }
    }
  }

  private async openFile(): Promise<void> {
    this.handle = await open(this.path, 'a', 0o644);
    this.size = (await this.handle.stat()).size;
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const data = chunks.length === 1 ? (chunks[0] as Chunk).data : Buffer.concat(chunks.map((c) => c.data));
    try {
      await this.ready;
      const rot = this.opts.rotation;
      if (rot !== undefined && this.size > 0 && this.size + data.length > rot.maxBytes) await this.rotate();
      const h = this.handle;
      if (h === undefined) throw new Error('file is closed');
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await h.write(data, off, data.length - off);
        off += bytesWritten;
      }
      this.size += data.length;
      if (this.broken) {
        this.broken = false;
        this.log.warn('recovered', { path: this.path }, 'writing to the file works again');
      }
    } catch (err) {
      this.broken = true;
      this.log.warn('write', { path: this.path, error: errorMessage(err) }, 'writing to the file failed; data dropped');
      for (const c of chunks) c.onFail(err);
    }
  }

  private async rotate(): Promise<void> {
    const rot = this.opts.rotation;
    if (rot === undefined) return;
    const h = this.handle;
    this.handle = undefined;
    if (h !== undefined) await h.close();
    const ext = extname(this.path);
    const stem = basename(this.path, ext);
    const dir = dirname(this.path);
    let backup = join(dir, `${stem}-${backupTime(new Date(), rot.localtime)}${ext}`);
    for (let n = 1; await exists(backup); n++) {
      backup = join(dir, `${stem}-${backupTime(new Date(), rot.localtime)}.${n}${ext}`);
    }
    await rename(this.path, backup);
    await this.openFile();
    await this.prune(dir, stem, ext, rot.maxBackups, rot.maxDays);
  }

  private async prune(dir: string, stem: string, ext: string, maxBackups: number, maxDays: number): Promise<void> {
    const prefix = `${stem}-`;
    const names = (await readdir(dir)).filter(
      (n) => n.startsWith(prefix) && n.endsWith(ext) && /^\d{4}-\d{2}-\d{2}T/.test(n.slice(prefix.length)),
    );
    names.sort(); // the time in the name sorts chronologically
    const doomed = new Set<string>();
    if (maxBackups > 0) for (const n of names.slice(0, Math.max(0, names.length - maxBackups))) doomed.add(n);
    if (maxDays > 0) {
      const cutoff = Date.now() - maxDays * 86_400_000;
      for (const n of names) {
        const s = await stat(join(dir, n)).catch(() => undefined);
        if (s !== undefined && s.mtimeMs < cutoff) doomed.add(n);
      }
    }
    for (const n of doomed) await unlink(join(dir, n)).catch(() => undefined);
  }
}

/** `2006-01-02T15-04-05.000` (file-name safe, sorts chronologically). */
function backupTime(d: Date, local: boolean): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const [y, mo, da, h, mi, s, ms] = local
    ? [
        d.getFullYear(),
        d.getMonth() + 1,
        d.getDate(),
        d.getHours(),
        d.getMinutes(),
        d.getSeconds(),
        d.getMilliseconds(),
      ]
    : [
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
        d.getUTCMilliseconds(),
      ];
  return `${y}-${p(mo)}-${p(da)}T${p(h)}-${p(mi)}-${p(s)}.${p(ms, 3)}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

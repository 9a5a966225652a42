// Prometheus remote write 1.0 exporter: OTLP metrics -> WriteRequest (protobuf, snappy block) ->
// POST, split into requests of at most max_batch_size_bytes. 5xx and 429 are retried with backoff
// (Retry-After honoured); other 4xx are permanent, with the server's message. Requests of a batch
// that were already accepted are not sent again when the batch is retried.
import type { CreateSettings, Exporter } from '../../component/component.js';
import { errorMessage, permanentError, retryableError } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import { HttpPostClient, type HttpResult, lowerKeys, printable } from '../../helpers/exporterhelper/httpclient.js';
import {
  createExporter,
  type PartialSendResult,
  parseRetryAfter,
  USER_AGENT,
} from '../../helpers/exporterhelper/index.js';
import type { Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import {
  encodeLabels,
  encodeV2Request,
  type Label,
  type MetricMetadata,
  ProtoWriter,
  type SampleV2,
  writeMetadata,
  writeSeries,
} from '../../prometheus/remotewrite/proto.js';
import { snappyCompress } from '../../prometheus/remotewrite/snappy.js';
import type { CounterSeries } from '../../telemetry/metrics.js';
import type { PrwExporterConfig } from './config.js';
import { type DropReason, SeriesMemo, type TranslateOptions, translate } from './translate.js';

/** One HTTP request of a batch: snappy body and the OTLP points it carries. */
interface Part {
  readonly body: Buffer;
  readonly points: number;
  readonly series: number;
}

/** A batch's encoded requests and which of them the destination already accepted. */
interface Encoded {
  readonly parts: readonly Part[];
  readonly dropped: number;
  readonly dropMessage: string;
  readonly done: boolean[];
}

const NO_LABELS: Label[] = [];

/** Requests of one batch in flight at once. Each series is in exactly one request of a batch,
 * so their order does not matter to a receiver that refuses out-of-order samples. */
export const PARALLEL_PARTS = 4;

type PartOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'fallback' }
  | { readonly kind: 'rejected'; readonly message: string };

/** Series whose label text is longer than this are encoded each time, not cached: the cache
 * holds max_series entries, and its memory must not follow attribute sizes. */
export const MAX_CACHED_KEY_CHARS = 2048;

/** Encoded label fields per series. Two generations of `max` entries each: a lookup that hits
 * the older one moves the entry to the current one; when the current one is full it becomes the
 * older one and the oldest is dropped whole. O(1) per lookup with no per-hit reordering (a
 * delete-and-reinsert LRU leaves holes that Map iteration must skip, which made eviction slow),
 * and a working set of up to `max` series stays fully cached. Holds at most 2 x `max` entries. */
export class LabelCache {
  private cur = new Map<string, Buffer>();
  private old = new Map<string, Buffer>();
  hits = 0;
  misses = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    let n = this.cur.size;
    for (const k of this.old.keys()) if (!this.cur.has(k)) n++;
    return n;
  }

  get(key: string, make: () => Buffer): Buffer {
    const hit = this.cur.get(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    let v = this.old.get(key);
    if (v !== undefined) this.hits++;
    else {
      this.misses++;
      v = make();
      if (key.length > MAX_CACHED_KEY_CHARS) return v;
    }
    this.cur.set(key, v);
    if (this.cur.size >= this.max) {
      this.old = this.cur;
      this.cur = new Map();
    }
    return v;
  }
}

export interface RemoteWriteEncoderOptions {
  readonly translate: TranslateOptions;
  readonly maxBatchBytes: number;
  /** undefined = no cache (labels encoded every time). */
  readonly cache: LabelCache | undefined;
}

/** OTLP request -> remote write request bodies (snappy compressed). */
export class RemoteWriteEncoder {
  private readonly w = new ProtoWriter(1 << 20);
  private readonly lw = new ProtoWriter(1024);

  constructor(private readonly o: RemoteWriteEncoderOptions) {}

  encode(
    req: Parameters<typeof translate>[0],
    nowMs: number,
    version: 'v1' | 'v2' = 'v1',
  ): {
    parts: Part[];
    dropped: Map<DropReason, number>;
  } {
    const t = translate(req, this.o.translate, nowMs);
    if (version === 'v2') return { parts: this.encodeV2(t), dropped: t.dropped };
    const parts: Part[] = [];
    const w = this.w;
    w.reset();
    let points = 0;
    let series = 0;
    const flush = (): void => {
      if (w.pos === 0) return;
      parts.push({ body: snappyCompress(w.buf.subarray(0, w.pos)), points, series });
      w.reset();
      points = 0;
      series = 0;
    };
    for (const md of t.metadata) writeMetadata(w, md);
    for (const [key, s] of t.series) {
      const id = s.id;
      let labelBytes: Buffer;
      if (id !== undefined) {
        if (id.bytes === undefined) {
          id.bytes = encodeLabels(s.labels, this.lw);
          // 1.0 needs only the bytes from now on (a 1.0 exporter never switches to 2.0).
          id.labels = NO_LABELS;
        }
        labelBytes = id.bytes;
      } else {
        labelBytes =
          this.o.cache === undefined || typeof key !== 'string'
            ? encodeLabels(s.labels, this.lw)
            : this.o.cache.get(key, () => encodeLabels(s.labels, this.lw));
      }
      const before = w.pos;
      writeSeries(w, labelBytes, s.samples, s.histograms, s.exemplars);
      if (w.pos > this.o.maxBatchBytes && before > 0) {
        // Move this series into the next request.
        const tail = Buffer.from(w.buf.subarray(before, w.pos));
        w.pos = before;
        flush();
        w.raw(tail);
      }
      points += s.points;
      series++;
    }
    flush();
    return { parts, dropped: t.dropped };
  }

  /** Remote write 2.0: a symbol table per request, metadata and start timestamps per series
   * (exemplars are not written). Requests are cut by an estimate of their size. */
  private encodeV2(t: ReturnType<typeof translate>): Part[] {
    const meta = new Map(t.metadata.map((m) => [m.metricFamilyName, m]));
    const family = (name: string): MetricMetadata | undefined =>
      meta.get(name) ?? meta.get(name.replace(/_(bucket|sum|count|created)$/, ''));
    const parts: Part[] = [];
    let batch: Parameters<typeof encodeV2Request>[0][number][] = [];
    let size = 0;
    let points = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      parts.push({ body: snappyCompress(encodeV2Request(batch)), points, series: batch.length });
      batch = [];
      size = 0;
      points = 0;
    };
    for (const s of t.series.values()) {
      let est = 8 + s.samples.length * 30 + s.histograms.length * 200;
      for (const l of s.labels) est += l.name.length + l.value.length + 8;
      if (size + est > this.o.maxBatchBytes) flush();
      const name = s.labels.find((l) => l.name === '__name__')?.value ?? '';
      const md = family(name);
      batch.push({
        labels: s.labels,
        samples: s.samples.map((x) => ({
          value: x.value,
          timestampMs: x.timestampMs,
          startTimestampMs: (x as Partial<SampleV2>).startTimestampMs ?? 0,
        })),
        histograms: s.histograms,
        ...(md === undefined ? {} : { metadata: { type: md.type, help: md.help, unit: md.unit } }),
      });
      size += est;
      points += s.points;
    }
    flush();
    return parts;
  }
}

const V1_HEADERS = {
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
} as const;
const V2_HEADERS = {
  'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
  'x-prometheus-remote-write-version': '2.0.0',
} as const;

export function createPrwExporter<S extends Signal>(
  settings: CreateSettings,
  cfg: PrwExporterConfig,
  signal: S,
): Exporter<S> {
  if (signal !== 'metrics') throw new Error('prometheusremotewrite exporter: only metrics pipelines are supported');
  const client = new PrwClient(settings, cfg);
  return createExporter(
    settings,
    signal,
    cfg,
    (batch, abort) => client.send(batch as unknown as Batch<'metrics'>, abort),
    {
      shutdown: async () => client.close(),
      // When sends fall behind (a scrape receiver hands over one batch per target and scrape),
      // the batches waiting behind go out together: fewer round trips per sample, same order.
      mergeQueuedItems: MERGE_QUEUED_POINTS,
    },
  );
}

/** Most OTLP points merged from queued batches into one send (split into requests of at most
 * max_batch_size_bytes as usual). */
export const MERGE_QUEUED_POINTS = 50_000;

class PrwClient {
  private readonly http: HttpPostClient;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly encoder: RemoteWriteEncoder;
  private readonly encoded = new WeakMap<object, Encoded & { readonly version: 'v1' | 'v2' }>();
  private readonly dropCounters = new Map<DropReason, CounterSeries>();
  private readonly dropCounter;
  private readonly exporterName: string;
  readonly cache: LabelCache | undefined;
  /** Series identities by attribute array (see SeriesMemo), with the label cache. */
  private readonly memo: SeriesMemo | undefined;

  constructor(settings: CreateSettings, cfg: PrwExporterConfig) {
    this.exporterName = formatComponentId(settings.id);
    this.http = new HttpPostClient(new URL(cfg.endpoint), {
      tls: cfg.tls,
      maxSockets: (cfg.sending_queue.enabled ? Math.max(1, cfg.sending_queue.num_consumers) : 4) * PARALLEL_PARTS,
    });
    this.headers = {
      'user-agent': USER_AGENT,
      ...lowerKeys(cfg.headers),
      'content-encoding': 'snappy',
    };
    this.version = cfg.protobuf_message === 'io.prometheus.write.v2.Request' ? 'v2' : 'v1';
    this.log = settings.logger;
    const ext = Object.entries(cfg.external_labels).map(([name, value]) => ({ name, value }));
    this.cache = cfg.label_cache.enabled ? new LabelCache(cfg.label_cache.max_series) : undefined;
    this.memo = cfg.label_cache.enabled ? new SeriesMemo() : undefined;
    this.encoder = new RemoteWriteEncoder({
      translate: {
        namespace: cfg.namespace,
        addSuffixes: cfg.add_metric_suffixes,
        externalLabels: ext,
        resourceToTelemetry: cfg.resource_to_telemetry_conversion.enabled,
        targetInfo: cfg.target_info.enabled,
        exportCreated: cfg.export_created_metric.enabled,
        sendMetadata: cfg.send_metadata,
        expoMode: cfg.exponential_histograms.mode,
        classicBounds: cfg.exponential_histograms.classic_bounds,
        ...(this.memo === undefined ? {} : { memo: this.memo }),
      },
      maxBatchBytes: cfg.max_batch_size_bytes,
      cache: this.cache,
    });
    this.dropCounter = settings.metrics.counter(
      'switchyard_exporter_prometheusremotewrite_dropped_points_total',
      'OTLP points the remote write exporter could not translate, by reason (delta_temporality, invalid_name, unsupported_scale, missing_sum).',
    );
    const hits = settings.metrics.counter(
      'switchyard_exporter_prometheusremotewrite_label_cache_hits_total',
      'Series whose encoded labels came from the label cache.',
    );
    const misses = settings.metrics.counter(
      'switchyard_exporter_prometheusremotewrite_label_cache_misses_total',
      'Series whose labels had to be encoded.',
    );
    const hitSeries = hits.with({ exporter: this.exporterName });
    const missSeries = misses.with({ exporter: this.exporterName });
    this.reportCache = () => {
      const c = this.cache;
      const m = this.memo;
      if (c === undefined || m === undefined) return;
      const h = c.hits + m.hits;
      const x = c.misses + m.misses;
      hitSeries.add(h - this.lastHits);
      missSeries.add(x - this.lastMisses);
      this.lastHits = h;
      this.lastMisses = x;
    };
  }

  private readonly reportCache: () => void;
  /** Remote write 2.0 until a receiver shows it only speaks 1.0. */
  private version: 'v1' | 'v2';
  /** Whether a receiver confirmed 2.0 (a 2xx with the *-Written headers). */
  private v2Confirmed = false;
  private readonly log: CreateSettings['logger'];
  private lastHits = 0;
  private lastMisses = 0;

  close(): void {
    this.http.close();
  }

  private encodeOnce(batch: Batch<'metrics'>): Encoded & { readonly version: 'v1' | 'v2' } {
    let e = this.encoded.get(batch);
    if (e !== undefined && e.version === this.version) return e;
    // Re-encoded after a fallback to 1.0: its drops were counted already.
    const first = e === undefined;
    const version = this.version;
    const { parts, dropped } = this.encoder.encode(batch.request(), Date.now(), version);
    this.reportCache();
    let n = 0;
    const why: string[] = [];
    for (const [reason, count] of dropped) {
      n += count;
      why.push(`${count} ${reason}`);
      let series = this.dropCounters.get(reason);
      if (series === undefined) {
        series = this.dropCounter.with({ exporter: this.exporterName, reason });
        this.dropCounters.set(reason, series);
      }
      if (first) series.add(count);
    }
    e = {
      parts,
      dropped: n,
      dropMessage: why.length === 0 ? '' : `points not translatable: ${why.join(', ')}`,
      done: parts.map(() => false),
      version,
    };
    this.encoded.set(batch, e);
    return e;
  }

  async send(batch: Batch<'metrics'>, abort: AbortSignal): Promise<PartialSendResult | undefined> {
    const e = this.encodeOnce(batch);
    if (e.version === 'v2' && !this.v2Confirmed) {
      // The first 2.0 request goes alone: its answer decides whether the receiver speaks 2.0.
      const first = e.done.indexOf(false);
      if (first >= 0) {
        const r = await this.sendPart(e, first, abort);
        if (r.kind === 'fallback') return this.send(batch, abort);
        if (r.kind === 'rejected') return this.rejectRest(e, r.message);
      }
    }
    const todo: number[] = [];
    for (let i = 0; i < e.parts.length; i++) if (!e.done[i]) todo.push(i);
    let next = 0;
    let failure: unknown;
    let rejected: string | undefined;
    const worker = async (): Promise<void> => {
      while (failure === undefined && rejected === undefined && next < todo.length) {
        const i = todo[next++] as number;
        try {
          const r = await this.sendPart(e, i, abort);
          if (r.kind === 'rejected') rejected ??= r.message;
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, todo.length) }, worker));
    if (rejected !== undefined) return this.rejectRest(e, rejected);
    // Retryable: the accepted requests are marked done and are not sent again.
    if (failure !== undefined) throw failure;
    if (e.dropped > 0) return { rejectedItems: e.dropped, message: e.dropMessage };
    return undefined;
  }

  /** A permanent answer: this request and the ones not accepted yet are not sent. */
  private rejectRest(e: Encoded, message: string): PartialSendResult {
    const untouched = e.done.every((d) => !d);
    if (untouched && e.parts.length === 1 && e.dropped === 0) throw permanentError('SY_EXPORT_PERMANENT', message);
    let rejected = e.dropped;
    for (let i = 0; i < e.parts.length; i++) {
      if (!e.done[i]) rejected += (e.parts[i] as Part).points;
      e.done[i] = true;
    }
    return { rejectedItems: rejected, message: `${message}${e.dropMessage === '' ? '' : `; ${e.dropMessage}`}` };
  }

  private async sendPart(
    e: Encoded & { readonly version: 'v1' | 'v2' },
    i: number,
    abort: AbortSignal,
  ): Promise<PartOutcome> {
    const part = e.parts[i] as Part;
    let res: HttpResult;
    try {
      res = await this.http.post(
        part.body,
        { ...this.headers, ...(e.version === 'v2' ? V2_HEADERS : V1_HEADERS) },
        abort,
      );
    } catch (err) {
      if (abort.aborted) throw abort.reason;
      throw retryableError('SY_EXPORT_RETRYABLE', `POST ${this.http.where}: ${errorMessage(err)}`, undefined, err);
    }
    if (e.version === 'v2' && !this.v2Confirmed) {
      // 415, or a 2xx without the *-Written headers (a 1.0 receiver decoded the 2.0 message as
      // an empty 1.0 one): speak 1.0 from now on and send this batch again as 1.0.
      const confirmed = res.headers['x-prometheus-remote-write-samples-written'] !== undefined;
      if (res.status === 415 || (res.status >= 200 && res.status < 300 && !confirmed)) {
        this.version = 'v1';
        this.log.warn(
          { url: this.http.where, status: res.status },
          'the receiver does not speak remote write 2.0; falling back to 1.0',
        );
        return { kind: 'fallback' };
      }
      if (res.status >= 200 && res.status < 300) this.v2Confirmed = true;
    }
    if (res.status >= 200 && res.status < 300) {
      e.done[i] = true;
      return { kind: 'ok' };
    }
    const detail = detailOf(res);
    const message = `POST ${this.http.where}: HTTP ${res.status}${detail === '' ? '' : `: ${detail}`}`;
    if (res.status >= 500 || res.status === 429) {
      throw retryableError('SY_EXPORT_RETRYABLE', message, parseRetryAfter(firstHeader(res.headers['retry-after'])));
    }
    return { kind: 'rejected', message };
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function detailOf(res: HttpResult): string {
  if (res.body.length > 0) {
    const text = printable(res.body.subarray(0, 512).toString('utf8'));
    if (text !== '') return text;
  }
  return res.statusMessage;
}

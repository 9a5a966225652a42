// The load generator: a keep-alive node:http agent with N sockets POSTing one pre-encoded OTLP
// request over and over. Two modes: closed-loop saturation (N requests always in flight) and
// open-loop pacing (a fixed request rate, whatever the answers do). One request in K carries a
// unique marker whose send time is kept, so that the sink can time its arrival.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Payload } from './payloads.js';
import { MARKER_LENGTH, MARKER_MODULO, markedCopy, markerText, rejectedInResponse } from './wire.js';

export interface LoadCounters {
  /** Requests started. */
  sent: number;
  /** Requests answered 200. */
  accepted: number;
  /** Items in requests answered 200, minus partial_success rejections. */
  acceptedItems: number;
  /** Items reported rejected in partial_success of 200 answers. */
  partialRejected: number;
  /** Answer status (or `error:CODE`) -> requests. */
  statuses: Record<string, number>;
  /** Paced mode: requests not sent because too many were already outstanding. */
  skipped: number;
}

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly payload: Payload;
  readonly connections: number;
  readonly requestTimeoutMs: number;
}

const REQUEST_TIMEOUT_CODE = 'ETIMEDOUT';

export class LoadGenerator {
  readonly counters: LoadCounters = {
    sent: 0,
    accepted: 0,
    acceptedItems: 0,
    partialRejected: 0,
    statuses: {},
    skipped: 0,
  };
  /** Marker sequence number -> send time (performance.now(), ms); only for requests answered 200. */
  readonly sendTimes = new Map<number, number>();
  private readonly agent: http.Agent;
  private seq = 0;
  private inFlight = 0;
  /** Copies of the template for marked requests, reused once their request is answered. */
  private readonly free: Buffer[] = [];
  /** Mark one request in `markEvery`; 0 disables marking. Marking patches 11 bytes of a pooled
   * copy, so marking every request costs next to nothing. */
  markEvery = 1;

  constructor(private readonly opts: LoadOptions) {
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets: opts.connections,
      maxFreeSockets: opts.connections,
      scheduling: 'fifo',
    });
  }

  get outstanding(): number {
    return this.inFlight;
  }

  /** Counters copied, for before/after deltas. */
  snapshot(): LoadCounters {
    return { ...this.counters, statuses: { ...this.counters.statuses } };
  }

  /** Send one request; resolves when it is answered or fails (never rejects). */
  send(): Promise<void> {
    const { payload } = this.opts;
    const n = this.counters.sent++;
    let body = payload.body;
    let seq: number | undefined;
    let pooled: Buffer | undefined;
    if (this.markEvery > 0 && n % this.markEvery === 0) {
      seq = this.seq++ % MARKER_MODULO;
      pooled = this.free.pop();
      if (pooled === undefined) pooled = markedCopy(payload.body, payload.markerOffset, seq);
      else pooled.write(markerText(seq), payload.markerOffset, MARKER_LENGTH, 'latin1');
      body = pooled;
    }
    this.inFlight++;
    const sentAt = performance.now();
    return new Promise<void>((resolve) => {
      // A pooled body goes back once it has been flushed to the socket ('finish') and answered;
      // a request that fails before 'finish' simply does not return its copy.
      let pending = pooled === undefined ? 0 : 2;
      const release = (): void => {
        if (--pending === 0 && pooled !== undefined) this.free.push(pooled);
      };
      let settled = false;
      const done = (status: string, responseBody: Buffer | undefined): void => {
        if (settled) return;
        settled = true;
        this.inFlight--;
        release();
        const c = this.counters;
        c.statuses[status] = (c.statuses[status] ?? 0) + 1;
        if (status === '200') {
          let rejected = 0;
          if (responseBody !== undefined && responseBody.length > 0) {
            try {
              rejected = rejectedInResponse(responseBody);
            } catch {
              c.statuses['200-bad-response'] = (c.statuses['200-bad-response'] ?? 0) + 1;
            }
          }
          c.accepted++;
          c.partialRejected += rejected;
          c.acceptedItems += payload.items - rejected;
          if (seq !== undefined) this.sendTimes.set(seq, sentAt);
        }
        resolve();
      };
      const req = http.request(
        {
          agent: this.agent,
          host: this.opts.host,
          port: this.opts.port,
          method: 'POST',
          path: payload.path,
          headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': String(body.length) },
          timeout: this.opts.requestTimeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(String(res.statusCode ?? 0), Buffer.concat(chunks)));
          res.on('error', (err: NodeJS.ErrnoException) => done(`error:${err.code ?? err.message}`, undefined));
        },
      );
      req.on('timeout', () => {
        const err: NodeJS.ErrnoException = new Error('request timed out');
        err.code = REQUEST_TIMEOUT_CODE;
        req.destroy(err);
      });
      req.on('error', (err: NodeJS.ErrnoException) => done(`error:${err.code ?? err.message}`, undefined));
      req.on('finish', release);
      req.end(body);
    });
  }

  /** Closed loop: `connections` workers, each sending its next request when the previous one
   * is answered, until `durationMs` has passed. Resolves once every request has been answered. */
  async runClosed(durationMs: number): Promise<void> {
    const until = performance.now() + durationMs;
    const worker = async (): Promise<void> => {
      while (performance.now() < until) await this.send();
    };
    await Promise.all(Array.from({ length: this.opts.connections }, worker));
  }

  /** Open loop: `ratePerSec` requests per second for `durationMs`, sent on schedule whatever
   * the answers do (at most `maxOutstanding` in flight; beyond that a due request is skipped and
   * counted). Resolves once every request has been answered. */
  async runPaced(ratePerSec: number, durationMs: number, maxOutstanding: number): Promise<void> {
    const start = performance.now();
    const pending = new Set<Promise<void>>();
    let issued = 0;
    for (;;) {
      const elapsed = performance.now() - start;
      if (elapsed >= durationMs) break;
      const due = Math.floor((ratePerSec * elapsed) / 1000) - issued;
      for (let i = 0; i < due; i++) {
        issued++;
        if (this.inFlight >= maxOutstanding) {
          this.counters.skipped++;
          continue;
        }
        const p = this.send();
        pending.add(p);
        void p.then(() => pending.delete(p));
      }
      await sleep(1);
    }
    await Promise.all(pending);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** b - a for the numeric counters and statuses. */
export function diffCounters(a: LoadCounters, b: LoadCounters): LoadCounters {
  const statuses: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.statuses)) {
    const d = v - (a.statuses[k] ?? 0);
    if (d !== 0) statuses[k] = d;
  }
  return {
    sent: b.sent - a.sent,
    accepted: b.accepted - a.accepted,
    acceptedItems: b.acceptedItems - a.acceptedItems,
    partialRejected: b.partialRejected - a.partialRejected,
    statuses,
    skipped: b.skipped - a.skipped,
  };
}

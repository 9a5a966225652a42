// The allocator's HTTP API, wire-compatible with the upstream target allocator (`/scrape_configs`,
// `/jobs`, `/jobs/{job}/targets[?collector_id=]`, `/livez`, `/readyz`, `/metrics`), plus
// `/collectors`, `/collectors/{id}/targets` and the HTML page `/`. Answers are prepared once per
// allocation and carry an ETag; `If-None-Match` gets a 304.

import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { queryEscape, queryUnescape } from '../prometheus/queryescape.js';
import { HTML_HEADERS } from '../telemetry/html.js';
import type { Logger } from '../telemetry/logger.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { listen } from '../transport/listen.js';
import type { AllocatorConfig } from './config.js';
import { renderPage } from './page.js';
import { scrapeConfigsBodies } from './scrapeconfigs.js';
import { type AllocatorState, type Prepared, prepare } from './state.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Who is asking: nobody (no credentials), or an identity from a bearer token or a client certificate. */
type Caller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'identified'; readonly id: string; readonly admin: boolean; readonly via: 'token' | 'certificate' }
  | { readonly kind: 'refused'; readonly reason: string };

export interface AllocatorServer {
  readonly port: number;
  readonly httpsPort: number | undefined;
  close(): Promise<void>;
}

export async function startServer(
  config: AllocatorConfig,
  state: AllocatorState,
  metrics: MetricsRegistry,
  logger: Logger,
): Promise<AllocatorServer> {
  const requests = metrics.counter(
    'switchyard_allocator_http_requests_total',
    'HTTP requests, by handler and status code.',
  );
  const authFailures = metrics.counter(
    'switchyard_allocator_auth_failures_total',
    'Requests refused by authentication or authorization, by reason.',
  );
  const bodies = scrapeConfigsBodies(config.jobs);
  const scrapeFull = prepare(bodies.full);
  const scrapeRedacted = prepare(bodies.redacted);
  const auth = config.auth;
  const admins = new Set(auth?.admins ?? []);

  const tokenOf = (t: { token: string | undefined; tokenFile: string | undefined }): string | undefined => {
    if (t.token !== undefined) return t.token;
    try {
      return readFileSync(t.tokenFile as string, 'utf8').trim();
    } catch {
      return undefined;
    }
  };

  const identify = (req: http.IncomingMessage): Caller => {
    const sock = req.socket as Partial<TLSSocket>;
    if (sock.encrypted === true && sock.authorized === true && typeof sock.getPeerCertificate === 'function') {
      const cert = sock.getPeerCertificate();
      const cn = cert.subject?.CN;
      const id = Array.isArray(cn) ? cn[0] : cn;
      if (typeof id === 'string' && id !== '')
        return { kind: 'identified', id, admin: admins.has(id), via: 'certificate' };
    }
    const h = req.headers.authorization;
    // Without an auth block the API is open: a client's Authorization header (meant for a proxy, or
    // configured out of habit) identifies nobody and refuses nothing.
    if (h === undefined || auth === undefined) return { kind: 'anonymous' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (m === null) return { kind: 'refused', reason: 'malformed' };
    const given = Buffer.from(m[1] as string);
    for (const t of auth?.tokens ?? []) {
      const want = tokenOf(t);
      if (want === undefined) continue;
      const w = Buffer.from(want);
      if (w.length === given.length && timingSafeEqual(w, given)) {
        return { kind: 'identified', id: t.id, admin: admins.has(t.id), via: 'token' };
      }
    }
    return { kind: 'refused', reason: 'unknown_token' };
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let handlerName = 'other';
    const send = (status: number, headers: Record<string, string>, body: Buffer | string): void => {
      requests.add(1, { handler: handlerName, code: String(status) });
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const sendPrepared = (p: Prepared, extra: Record<string, string> = {}): void => {
      const headers = {
        'Content-Type': JSON_TYPE,
        ETag: p.etag,
        'X-Allocator-Generation': String(state.generation),
        ...extra,
      };
      const inm = req.headers['if-none-match'];
      // If-None-Match compares weakly (RFC 9110 13.1.2): a proxy that weakened our tag (W/"...") still matches.
      if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === p.etag || t.trim() === '*')) {
        send(304, headers, '');
        return;
      }
      send(200, { ...headers, 'Content-Length': String(p.body.length) }, p.body);
    };
    const text = (status: number, body: string): void =>
      send(status, { 'Content-Type': 'text/plain; charset=utf-8' }, `${body}\n`);
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        text(405, 'method not allowed');
        return;
      }
      const rawUrl = req.url ?? '/';
      const q = rawUrl.indexOf('?');
      const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
      const params = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
      if (rawPath === '/livez') {
        handlerName = 'livez';
        text(200, 'ok');
        return;
      }
      if (rawPath === '/readyz') {
        handlerName = 'readyz';
        if (state.ready) text(200, 'ready');
        else text(503, 'not ready: waiting for the first discovery, membership and allocation');
        return;
      }
      const caller = identify(req);
      if (caller.kind === 'refused') {
        authFailures.add(1, { reason: caller.reason });
        send(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer' }, 'unauthorized\n');
        return;
      }
      if (auth !== undefined && caller.kind === 'anonymous') {
        authFailures.add(1, { reason: 'missing' });
        send(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer' }, 'unauthorized\n');
        return;
      }
      /** With authentication on, a caller reads only its own collector's data (admins read everything). */
      const mayRead = (collectorId: string | undefined): boolean => {
        if (auth === undefined) return true;
        if (caller.kind !== 'identified') return false;
        if (caller.admin) return true;
        if (collectorId !== undefined && caller.id === collectorId) return true;
        authFailures.add(1, { reason: 'forbidden' });
        text(
          403,
          collectorId === undefined
            ? 'forbidden: admins only'
            : `forbidden: you may read only collector_id=${caller.id}`,
        );
        return false;
      };

      if (rawPath === '/scrape_configs') {
        handlerName = 'scrape_configs';
        const withSecrets = caller.kind === 'identified' || config.allowInsecureAuthSecrets;
        // The answer depends on who asks: no shared cache may keep the one with secrets for others.
        sendPrepared(withSecrets ? scrapeFull : scrapeRedacted, {
          'Cache-Control': 'private, no-cache',
          Vary: 'Authorization',
        });
        return;
      }
      if (rawPath === '/metrics') {
        handlerName = 'metrics';
        send(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }, metrics.render());
        return;
      }
      if (rawPath === '/jobs') {
        handlerName = 'jobs';
        sendPrepared(
          state.cached('jobs', () => {
            const out: Record<string, { _link: string }> = {};
            for (const j of state.jobsWithTargets()) out[j] = { _link: `/jobs/${queryEscape(j)}/targets` };
            return JSON.stringify(out);
          }),
        );
        return;
      }
      if (
        rawPath.startsWith('/jobs/') &&
        rawPath.endsWith('/targets') &&
        rawPath.length > '/jobs//targets'.length - 1
      ) {
        handlerName = 'job_targets';
        const job = queryUnescape(rawPath.slice('/jobs/'.length, -'/targets'.length));
        if (job === undefined) {
          text(400, 'malformed job name escape');
          return;
        }
        const collectorId = params.get('collector_id');
        if (collectorId !== null) {
          if (!mayRead(collectorId)) return;
          // A HEAD delivers no targets: it must not complete the hand-overs to this collector.
          if (req.method === 'GET') state.seen(collectorId, job);
          sendPrepared(state.jobTargetsFor(collectorId, job));
          return;
        }
        if (!mayRead(undefined)) return;
        sendPrepared(state.jobTargetsAll(job));
        return;
      }
      if (rawPath === '/collectors') {
        handlerName = 'collectors';
        if (!mayRead(undefined)) return;
        const body = state.collectors().map((c) => ({
          id: c.id,
          ...(c.node === undefined ? {} : { node: c.node }),
          alive: c.alive,
          last_seen: c.lastSeen === undefined ? null : new Date(c.lastSeen).toISOString(),
          targets: c.targets,
          handing_over: c.handingOver,
          jobs: Object.fromEntries(c.perJob),
          _link: `/collectors/${queryEscape(c.id)}/targets`,
        }));
        send(200, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' }, JSON.stringify(body));
        return;
      }
      const cm = /^\/collectors\/([^/]+)\/targets$/.exec(rawPath);
      if (cm !== null) {
        handlerName = 'collector_targets';
        const id = queryUnescape(cm[1] as string);
        if (id === undefined) {
          text(400, 'malformed collector id escape');
          return;
        }
        if (!mayRead(id)) return;
        if (!state.isServed(id)) {
          text(404, `unknown collector_id "${id}"`);
          return;
        }
        if (req.method === 'GET') state.seen(id, undefined);
        sendPrepared(state.collectorTargets(id));
        return;
      }
      if (rawPath === '/' || rawPath === '/index.html') {
        handlerName = 'page';
        if (!mayRead(undefined)) return;
        send(200, HTML_HEADERS, renderPage(state, config));
        return;
      }
      handlerName = 'not_found';
      text(404, 'not found');
    } catch (err) {
      logger.error({ err, url: req.url }, 'request failed');
      if (!res.headersSent) text(500, 'internal error');
      else res.destroy();
    }
  };

  const server = http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  const addr = await listen(server, config.listen.port, config.listen.host, (err) =>
    logger.error({ err: err.message }, 'HTTP server error'),
  );
  let secure: https.Server | undefined;
  let httpsPort: number | undefined;
  if (config.https !== undefined) {
    const h = config.https;
    secure = https.createServer(
      {
        cert: readFileSync(h.certFile),
        key: readFileSync(h.keyFile),
        minVersion: 'TLSv1.2',
        ...(h.caFile === undefined ? {} : { ca: readFileSync(h.caFile), requestCert: true, rejectUnauthorized: false }),
      },
      handler,
    );
    try {
      httpsPort = (
        await listen(secure, h.port, h.host, (err) => logger.error({ err: err.message }, 'HTTPS server error'))
      ).port;
    } catch (err) {
      server.close();
      throw err;
    }
  }
  logger.info({ listen: `${config.listen.host}:${addr.port}`, https: httpsPort }, 'allocator API listening');
  return {
    port: addr.port,
    httpsPort,
    close: async () => {
      const closeOne = (s: http.Server | https.Server): Promise<void> =>
        new Promise((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      await Promise.all([closeOne(server), ...(secure === undefined ? [] : [closeOne(secure)])]);
    },
  };
}

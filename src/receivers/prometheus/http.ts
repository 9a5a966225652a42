// One scrape request: the headers Prometheus sends, gzip, timeout, a body limit enforced while streaming.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createGunzip } from 'node:zlib';
import type { Auth, ResolvedTls } from './config.js';

export const ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
  'text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
export const USER_AGENT = 'Switchyard/0.1.0';

export type FetchResult =
  | { readonly ok: true; readonly body: string; readonly contentType: string }
  | { readonly ok: false; readonly reason: ScrapeFailure; readonly message: string };

/** Why a scrape failed (the `reason` label of the failed-scrape counter). */
export type ScrapeFailure =
  | 'connect'
  | 'timeout'
  | 'http_status'
  | 'body_too_large'
  | 'decompress'
  | 'parse'
  | 'sample_limit'
  | 'label_limit'
  | 'label_name_length_limit'
  | 'label_value_length_limit'
  | 'auth_file';

export interface FetchOptions {
  readonly url: URL;
  readonly timeoutMs: number;
  readonly bodyLimit: number;
  readonly auth: Auth;
  readonly agent: http.Agent | https.Agent;
}

export function makeAgent(scheme: 'http' | 'https', tls: ResolvedTls): http.Agent | https.Agent {
  if (scheme === 'http') return new http.Agent({ keepAlive: true, maxSockets: 4 });
  return new https.Agent({
    keepAlive: true,
    maxSockets: 4,
    rejectUnauthorized: !tls.insecureSkipVerify,
    ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
    ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
    ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
  });
}

function authHeader(auth: Auth): string | undefined {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'basic': {
      const pw = auth.passwordFile === undefined ? auth.password : readFileSync(auth.passwordFile, 'utf8').trim();
      return `Basic ${Buffer.from(`${auth.username}:${pw}`).toString('base64')}`;
    }
    case 'authorization': {
      const cred = auth.file === undefined ? auth.credentials : readFileSync(auth.file, 'utf8').trim();
      return `${auth.type} ${cred}`;
    }
    default: {
      const never: never = auth;
      throw new Error(`unknown auth ${String(never)}`);
    }
  }
}

/** GETs the target. Never rejects. */
export function fetchTarget(opts: FetchOptions): Promise<FetchResult> {
  let authorization: string | undefined;
  try {
    authorization = authHeader(opts.auth);
  } catch (err) {
    return Promise.resolve({ ok: false, reason: 'auth_file', message: `reading credentials: ${String(err)}` });
  }
  const headers: Record<string, string> = {
    Accept: ACCEPT_HEADER,
    'Accept-Encoding': 'gzip',
    'User-Agent': USER_AGENT,
    'X-Prometheus-Scrape-Timeout-Seconds': String(opts.timeoutMs / 1000),
  };
  if (authorization !== undefined) headers.Authorization = authorization;
  const mod = opts.url.protocol === 'https:' ? https : http;
  return new Promise<FetchResult>((resolve) => {
    let done = false;
    const finish = (r: FetchResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = mod.request(opts.url, { method: 'GET', headers, agent: opts.agent }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        finish({ ok: false, reason: 'http_status', message: `server returned HTTP status ${status}` });
        // The body is not read: draining it would be unbounded and outlive the timeout.
        req.destroy();
        return;
      }
      const gzip = (res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
      // pipe() does not forward the source's errors: a connection lost mid-body must fail the scrape here too.
      if (gzip) res.on('error', (err: Error) => finish({ ok: false, reason: 'connect', message: err.message }));
      const stream = gzip ? res.pipe(createGunzip()) : res;
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.bodyLimit) {
          finish({
            ok: false,
            reason: 'body_too_large',
            message: `body size limit exceeded (${opts.bodyLimit} bytes)`,
          });
          req.destroy();
          stream.destroy();
          return;
        }
        chunks.push(c);
      });
      stream.on('error', (err: Error) => {
        finish({ ok: false, reason: gzip ? 'decompress' : 'connect', message: err.message });
      });
      stream.on('end', () => {
        finish({
          ok: true,
          body: Buffer.concat(chunks).toString('utf8'),
          contentType: String(res.headers['content-type'] ?? ''),
        });
      });
    });
    const timer = setTimeout(() => {
      finish({ ok: false, reason: 'timeout', message: `context deadline exceeded (${opts.timeoutMs} ms)` });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err: Error) => finish({ ok: false, reason: 'connect', message: err.message }));
    req.end();
  });
}

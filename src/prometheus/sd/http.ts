// http_sd_configs: target groups fetched from an HTTP(S) endpoint every refresh_interval.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isAbsolute, resolve } from 'node:path';
import { decodeGroups, isRecord, Reader, type SdProblem } from './common.js';
import type { Discoverer, DiscoveryErrorListener, GroupsListener, TargetGroup } from './types.js';

export const HTTP_SD_DEFAULT_REFRESH_MS = 60_000;
export const HTTP_SD_DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_USER_AGENT = 'Switchyard/0.1.0';

export type Secret =
  | { readonly kind: 'inline'; readonly value: string }
  | { readonly kind: 'file'; readonly path: string };

export interface BasicAuth {
  readonly username: string;
  readonly password: Secret | undefined;
}

export interface Authorization {
  readonly type: string;
  readonly credentials: Secret | undefined;
}

export interface TlsConfig {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly serverName?: string;
  readonly insecureSkipVerify: boolean;
}

export interface HttpSdConfig {
  readonly url: string;
  readonly refreshIntervalMs: number;
  readonly basicAuth?: BasicAuth;
  readonly authorization?: Authorization;
  readonly tls?: TlsConfig;
}

function resolvePath(p: string, baseDir: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function secret(
  r: Reader,
  obj: Record<string, unknown>,
  key: string,
  fileKey: string,
  baseDir: string,
): Secret | undefined {
  const inline = r.string(obj, key);
  const file = r.string(obj, fileKey);
  if (inline !== undefined && file !== undefined) {
    r.problem(fileKey, `at most one of ${key} and ${fileKey} must be configured`);
    return undefined;
  }
  if (inline !== undefined) return { kind: 'inline', value: inline };
  if (file !== undefined) return { kind: 'file', path: resolvePath(file, baseDir) };
  return undefined;
}

function parseTls(raw: unknown, r: Reader, baseDir: string): TlsConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) {
    r.problem(undefined, 'must be a mapping');
    return undefined;
  }
  r.checkKeys(raw, ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify']);
  const caFile = r.string(raw, 'ca_file');
  const certFile = r.string(raw, 'cert_file');
  const keyFile = r.string(raw, 'key_file');
  if ((certFile === undefined) !== (keyFile === undefined))
    r.problem(undefined, 'cert_file and key_file must be configured together');
  const serverName = r.string(raw, 'server_name');
  return {
    ...(caFile === undefined ? {} : { caFile: resolvePath(caFile, baseDir) }),
    ...(certFile === undefined ? {} : { certFile: resolvePath(certFile, baseDir) }),
    ...(keyFile === undefined ? {} : { keyFile: resolvePath(keyFile, baseDir) }),
    ...(serverName === undefined ? {} : { serverName }),
    insecureSkipVerify: r.bool(raw, 'insecure_skip_verify') ?? false,
  };
}

/** `basic_auth`, `authorization` and `tls_config` of an HTTP client config (http_sd, kubernetes_sd's api_server). */
export function parseClientAuth(
  entry: Record<string, unknown>,
  r: Reader,
  problems: SdProblem[],
  baseDir: string,
): { basicAuth?: BasicAuth; authorization?: Authorization; tls?: TlsConfig } {
  let basicAuth: BasicAuth | undefined;
  const ba = entry['basic_auth'];
  if (ba !== undefined && ba !== null) {
    const br = new Reader(r.at('basic_auth'), problems);
    if (!isRecord(ba)) br.problem(undefined, 'must be a mapping with username and password');
    else {
      br.checkKeys(ba, ['username', 'password', 'password_file']);
      basicAuth = {
        username: br.string(ba, 'username') ?? '',
        password: secret(br, ba, 'password', 'password_file', baseDir),
      };
    }
  }
  let authorization: Authorization | undefined;
  const az = entry['authorization'];
  if (az !== undefined && az !== null) {
    const ar = new Reader(r.at('authorization'), problems);
    if (!isRecord(az)) ar.problem(undefined, 'must be a mapping with type and credentials');
    else {
      ar.checkKeys(az, ['type', 'credentials', 'credentials_file']);
      const type = ar.string(az, 'type') ?? 'Bearer';
      if (type.toLowerCase() === 'basic')
        ar.problem('type', `authorization type cannot be set to "basic", use "basic_auth" instead`);
      authorization = { type, credentials: secret(ar, az, 'credentials', 'credentials_file', baseDir) };
    }
  }
  if (basicAuth !== undefined && authorization !== undefined) {
    r.problem(undefined, 'at most one of basic_auth and authorization must be configured');
  }
  const tls = parseTls(entry['tls_config'], new Reader(r.at('tls_config'), problems), baseDir);
  return {
    ...(basicAuth === undefined ? {} : { basicAuth }),
    ...(authorization === undefined ? {} : { authorization }),
    ...(tls === undefined ? {} : { tls }),
  };
}

export function parseHttpSdConfigs(raw: unknown, path: string, problems: SdProblem[], baseDir: string): HttpSdConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push({ path, message: 'must be a list of {url, refresh_interval, ...}' });
    return [];
  }
  const out: HttpSdConfig[] = [];
  raw.forEach((entry: unknown, i) => {
    const r = new Reader(`${path}[${i}]`, problems);
    if (!isRecord(entry)) {
      r.problem(undefined, 'must be a mapping with url and refresh_interval');
      return;
    }
    r.checkKeys(entry, ['url', 'refresh_interval', 'basic_auth', 'authorization', 'tls_config']);
    const url = r.string(entry, 'url');
    if (url === undefined) r.problem('url', 'URL is missing');
    else {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        r.problem('url', `${JSON.stringify(url)} is not a valid URL`);
      }
      if (parsed !== undefined && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        r.problem('url', "URL scheme must be 'http' or 'https'");
      } else if (parsed !== undefined && parsed.host === '') r.problem('url', 'host is missing in URL');
    }
    const refreshIntervalMs = r.duration(entry, 'refresh_interval') ?? HTTP_SD_DEFAULT_REFRESH_MS;
    if (refreshIntervalMs <= 0) r.problem('refresh_interval', 'must be greater than 0');

    const { basicAuth, authorization, tls } = parseClientAuth(entry, r, problems, baseDir);
    out.push({
      url: url ?? '',
      refreshIntervalMs,
      ...(basicAuth === undefined ? {} : { basicAuth }),
      ...(authorization === undefined ? {} : { authorization }),
      ...(tls === undefined ? {} : { tls }),
    });
  });
  return out;
}

export function readSecret(s: Secret | undefined): string {
  if (s === undefined) return '';
  switch (s.kind) {
    case 'inline':
      return s.value;
    case 'file':
      return readFileSync(s.path, 'utf8').trim();
  }
}

export interface HttpDiscovererOptions {
  readonly userAgent?: string;
  readonly maxBodyBytes?: number;
}

/** Prometheus accepts `application/json`, optionally with a UTF-8 charset. */
const CONTENT_TYPE_RE = /^application\/json(;\s*charset=("utf-8"|utf-8))?$/i;

export class HttpDiscoverer implements Discoverer {
  readonly #config: HttpSdConfig;
  readonly #userAgent: string;
  readonly #maxBodyBytes: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #inFlight: http.ClientRequest | undefined;
  #lastReported: string | undefined;

  constructor(config: HttpSdConfig, options: HttpDiscovererOptions = {}) {
    this.#config = config;
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#maxBodyBytes = options.maxBodyBytes ?? HTTP_SD_DEFAULT_MAX_BODY_BYTES;
  }

  async start(onGroups: GroupsListener, onError: DiscoveryErrorListener): Promise<void> {
    this.#stopped = false;
    let busy = false;
    const tick = async (): Promise<void> => {
      // A request slower than the interval is not overlapped by the next one.
      if (busy) return;
      busy = true;
      try {
        const groups = await this.fetchGroups();
        if (this.#stopped) return;
        const key = JSON.stringify(groups);
        if (key !== this.#lastReported) {
          this.#lastReported = key;
          onGroups(groups);
        }
      } catch (err) {
        if (!this.#stopped)
          onError(
            new Error(
              `http_sd: unable to refresh target groups from ${redactUrl(this.#config.url)}: ${err instanceof Error ? err.message : String(err)}`,
            ),
          );
      } finally {
        busy = false;
      }
    };
    await tick();
    if (this.#stopped) return;
    this.#timer = setInterval(() => void tick(), this.#config.refreshIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.destroy();
    this.#inFlight = undefined;
  }

  /** One request: the groups, or an error (non-200, wrong content type, invalid JSON, too large). */
  fetchGroups(): Promise<TargetGroup[]> {
    const c = this.#config;
    const url = new URL(c.url);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.#userAgent,
      'X-Prometheus-Refresh-Interval-Seconds': String(c.refreshIntervalMs / 1000),
    };
    if (c.basicAuth !== undefined) {
      const token = Buffer.from(`${c.basicAuth.username}:${readSecret(c.basicAuth.password)}`).toString('base64');
      headers['Authorization'] = `Basic ${token}`;
    } else if (c.authorization !== undefined) {
      headers['Authorization'] = `${c.authorization.type} ${readSecret(c.authorization.credentials)}`;
    }
    const tls = c.tls;
    const tlsOptions: https.RequestOptions =
      tls === undefined
        ? {}
        : {
            ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
            ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
            ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
            ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
            rejectUnauthorized: !tls.insecureSkipVerify,
          };
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<TargetGroup[]>((resolvePromise, rejectPromise) => {
      let settled = false;
      const reject = (err: Error): void => {
        if (settled) return;
        settled = true;
        rejectPromise(err);
      };
      const resolveOnce = (groups: TargetGroup[]): void => {
        if (settled) return;
        settled = true;
        resolvePromise(groups);
      };
      const req = mod.request(url, { method: 'GET', headers, ...tlsOptions }, (res) => {
        res.on('error', reject);
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          reject(new Error(`server returned HTTP status ${status} ${res.statusMessage ?? ''}`.trim()));
          req.destroy();
          return;
        }
        const ct = (res.headers['content-type'] ?? '').trim();
        if (!CONTENT_TYPE_RE.test(ct)) {
          reject(new Error(`unsupported content type ${JSON.stringify(ct)}`));
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          size += chunk.length;
          if (size > this.#maxBodyBytes) {
            reject(new Error(`response body larger than ${this.#maxBodyBytes} bytes`));
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          try {
            const data: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (Array.isArray(data) && data.some((g) => g === null)) throw new Error('nil target group item found');
            resolveOnce(decodeGroups(data, c.url, { __meta_url: c.url }));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on('close', () => reject(new Error('connection closed before the response was complete')));
      });
      this.#inFlight = req;
      // The whole exchange (connect, headers, body) is bounded by the refresh interval, as Prometheus's client timeout.
      const deadline = setTimeout(
        () => req.destroy(new Error(`request timed out after ${c.refreshIntervalMs} ms`)),
        c.refreshIntervalMs,
      );
      deadline.unref();
      req.on('error', reject);
      req.on('close', () => {
        clearTimeout(deadline);
        if (this.#inFlight === req) this.#inFlight = undefined;
      });
      req.end();
    });
  }
}

/** The URL without user info, for error messages. */
function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.password !== '') url.password = '<secret>';
    return url.toString();
  } catch {
    return u;
  }
}

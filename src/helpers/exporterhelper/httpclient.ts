// The HTTP side of exporters that POST their data (otlphttp, prometheusremotewrite): one
// keep-alive agent per exporter, a POST that reads at most MAX_RESPONSE_BYTES of the answer, and
// the answer's text made safe to put in a message.
import http from 'node:http';
import https from 'node:https';
import { type ClientTlsConfig, loadClientTls } from './tls.js';
import { MAX_RESPONSE_BYTES, readBounded } from './wire.js';

export interface HttpResult {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body was longer than MAX_RESPONSE_BYTES and was cut there. */
  readonly truncated: boolean;
}

export interface HttpPostClientOptions {
  readonly tls: ClientTlsConfig;
  /** Sockets kept per origin (the queue's consumers, usually). */
  readonly maxSockets: number;
  /** Reuse the most recently used socket first (fewer idle sockets kept warm). */
  readonly lifo?: boolean;
}

export class HttpPostClient {
  readonly isHttps: boolean;
  /** The URL without query or credentials, for messages. */
  readonly where: string;
  private readonly agent: http.Agent;

  constructor(
    readonly url: URL,
    opts: HttpPostClientOptions,
  ) {
    this.isHttps = url.protocol === 'https:';
    this.where = `${url.origin}${url.pathname}`;
    const agentOpts = {
      keepAlive: true,
      keepAliveMsecs: 1000,
      maxSockets: opts.maxSockets,
      maxFreeSockets: opts.maxSockets,
      ...(opts.lifo === true ? { scheduling: 'lifo' as const } : {}),
    };
    this.agent = this.isHttps
      ? new https.Agent({ ...agentOpts, ...loadClientTls(opts.tls) })
      : new http.Agent(agentOpts);
  }

  /** POSTs `body` with `headers` (content-length is added); resolves with the bounded answer. */
  post(body: Buffer, headers: Readonly<Record<string, string>>, abort: AbortSignal): Promise<HttpResult> {
    return new Promise<HttpResult>((resolve, reject) => {
      const req = (this.isHttps ? https : http).request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...headers, 'content-length': String(body.length) },
        signal: abort,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        readBounded(res, MAX_RESPONSE_BYTES).then(
          ({ body: resBody, truncated }) =>
            resolve({
              status: res.statusCode ?? 0,
              statusMessage: res.statusMessage ?? '',
              headers: res.headers,
              body: resBody,
              truncated,
            }),
          reject,
        );
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Text from a peer made safe for a log line or error message: runs of control or non-ASCII
 * characters become one space. */
export function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]+/g, ' ').trim();
}

/** Header names in lower case (as node:http reports them), values unchanged. */
export function lowerKeys(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

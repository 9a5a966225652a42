// Config of the `prometheus` receiver: the Collector's shape, `config:` holding a Prometheus
// configuration (`global` + `scrape_configs`).
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration, durationMs } from '../../config/types.js';
import { compileRelabelConfigs, isValidLabelName, type RelabelConfig } from '../../prometheus/relabel.js';
import { parseDuration } from '../../prometheus/sd/common.js';
import { createDiscoverers } from '../../prometheus/sd/index.js';

export const DEFAULT_SCRAPE_INTERVAL = '1m';
export const DEFAULT_SCRAPE_TIMEOUT = '10s';
export const DEFAULT_METRICS_PATH = '/metrics';
export const DEFAULT_TA_INTERVAL = '30s';
/** The receiver never holds more than this many bytes of one (decompressed) response, whatever the config says. */
export const MAX_BODY_SIZE = 256 * 1024 * 1024;

const SIZE_RE = /^\d+(?:\.\d+)?(?:B|KB|MB|GB|KiB|MiB|GiB)?$/;
const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** Bytes of a Prometheus size (`10MB`, `512KiB`, `1000`); Prometheus reads KB/MB/GB as powers of 1024. */
export function sizeBytes(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(text);
  if (m === null || !SIZE_RE.test(text)) throw new Error(`invalid size "${text}"`);
  return Math.floor(Number(m[1]) * (SIZE_UNITS[m[2] === '' ? 'B' : (m[2] as string)] ?? 1));
}

const secret = (description: string) => Type.Optional(Type.String({ description, 'x-sensitive': true }));
const file = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));
const limit = (description: string) => Type.Optional(Type.Integer({ minimum: 0, default: 0, description }));

const StaticConfig = Type.Object(
  {
    targets: Type.Array(Type.String({ minLength: 1 }), { description: 'host:port of each target (`__address__`)' }),
    labels: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Labels added to every target of the group' }),
    ),
  },
  { additionalProperties: false },
);

const SdBlock = Type.Array(Type.Record(Type.String(), Type.Unknown()), {
  description: 'Service discovery (handed to the discoverers of src/prometheus/sd when they are present)',
});

/** A Prometheus duration (`30s`, `1m30s`, `1d`, `2w`, `1y`) or a Go one (`1.5s`, `100us`). No schema
 * default: a missing job-level value falls back to `global`, then to Prometheus's defaults. */
const PROM_OR_GO_DURATION =
  '^(?:0|(?:\\d+y)?(?:\\d+w)?(?:\\d+d)?(?:\\d+h)?(?:\\d+m)?(?:\\d+s)?(?:\\d+ms)?|(?:\\d+(?:\\.\\d+)?(?:ns|us|µs|ms|s|m|h))+)$';
function PromDuration(description: string) {
  return Type.String({ pattern: PROM_OR_GO_DURATION, format: 'duration', description });
}

/** Milliseconds of a duration that passed {@link PromDuration}'s pattern. */
export function promDurationMs(text: string): number {
  return parseDuration(text) ?? durationMs(text);
}

export const ScrapeConfigSchema = Type.Object(
  {
    job_name: Type.String({ minLength: 1, description: 'The `job` label and the resource service.name' }),
    scrape_interval: Type.Optional(PromDuration('How often to scrape (default: global.scrape_interval)')),
    scrape_timeout: Type.Optional(
      PromDuration('Per-scrape timeout (default: global.scrape_timeout, at most the scrape interval)'),
    ),
    metrics_path: Type.Optional(Type.String({ default: DEFAULT_METRICS_PATH, description: 'HTTP path scraped' })),
    scheme: Type.Optional(
      Type.Union([Type.Literal('http'), Type.Literal('https')], { default: 'http', description: 'http or https' }),
    ),
    params: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String()), { description: 'URL query parameters of the scrape' }),
    ),
    honor_labels: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'On a clash between a scraped label and a target label, keep the scraped one',
      }),
    ),
    honor_timestamps: Type.Optional(
      Type.Boolean({ default: true, description: 'Use the timestamps the target exposes (else the scrape time)' }),
    ),
    basic_auth: Type.Optional(
      Type.Object(
        {
          username: Type.String({ description: 'Basic auth user name' }),
          password: secret('Basic auth password'),
          password_file: file('File holding the password (read at every scrape)'),
        },
        { additionalProperties: false },
      ),
    ),
    authorization: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(Type.String({ minLength: 1, default: 'Bearer', description: 'Authorization scheme' })),
          credentials: secret('Authorization credentials'),
          credentials_file: file('File holding the credentials (read at every scrape)'),
        },
        { additionalProperties: false },
      ),
    ),
    tls_config: Type.Optional(
      Type.Object(
        {
          ca_file: file('PEM CA certificates to trust'),
          cert_file: file('PEM client certificate'),
          key_file: file('PEM client key'),
          insecure_skip_verify: Type.Optional(
            Type.Boolean({ default: false, description: 'Do not verify the target certificate' }),
          ),
          server_name: Type.Optional(Type.String({ minLength: 1, description: 'SNI and verification name' })),
        },
        { additionalProperties: false },
      ),
    ),
    sample_limit: limit('Most samples per scrape after metric relabeling; more fails the scrape (0 = no limit)'),
    label_limit: limit('Most labels per sample; more fails the scrape (0 = no limit)'),
    label_name_length_limit: limit('Longest label name; longer fails the scrape (0 = no limit)'),
    label_value_length_limit: limit('Longest label value; longer fails the scrape (0 = no limit)'),
    body_size_limit: Type.Optional(
      Type.Union([Type.String({ pattern: SIZE_RE.source }), Type.Integer({ minimum: 0 })], {
        description: `Most uncompressed bytes read per scrape, e.g. 10MB (0 = the receiver's cap of ${MAX_BODY_SIZE} bytes)`,
      }),
    ),
    relabel_configs: Type.Optional(Type.Array(Type.Unknown(), { description: 'Target relabeling' })),
    metric_relabel_configs: Type.Optional(Type.Array(Type.Unknown(), { description: 'Per-sample relabeling' })),
    static_configs: Type.Optional(Type.Array(StaticConfig, { description: 'Fixed target groups' })),
    file_sd_configs: Type.Optional(SdBlock),
    http_sd_configs: Type.Optional(SdBlock),
    kubernetes_sd_configs: Type.Optional(SdBlock),
  },
  { additionalProperties: false },
);

export const PrometheusReceiverConfigSchema = Type.Object(
  {
    config: Type.Object(
      {
        global: Type.Optional(
          Type.Object(
            {
              scrape_interval: Type.Optional(
                PromDuration(`Default scrape interval (default ${DEFAULT_SCRAPE_INTERVAL})`),
              ),
              scrape_timeout: Type.Optional(PromDuration(`Default scrape timeout (default ${DEFAULT_SCRAPE_TIMEOUT})`)),
              external_labels: Type.Optional(
                Type.Record(Type.String(), Type.String(), {
                  description: 'Labels added to every sample (a scraped or target label of the same name wins)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        scrape_configs: Type.Array(ScrapeConfigSchema, { default: [], description: 'Scrape jobs' }),
      },
      { additionalProperties: false, description: 'A Prometheus configuration (global and scrape_configs)' },
    ),
    target_allocator: Type.Optional(
      Type.Object(
        {
          endpoint: Type.String({
            minLength: 1,
            description: 'Base URL of the target allocator (http:// or https://)',
          }),
          interval: Type.Optional(
            Duration("How often /scrape_configs and each job's targets are polled", DEFAULT_TA_INTERVAL),
          ),
          collector_id: Type.String({
            minLength: 1,
            description: "This collector's id at the allocator (usually the pod name from env:POD_NAME)",
          }),
          headers: Type.Optional(
            Type.Record(Type.String(), Type.String({ 'x-sensitive': true }), {
              description: 'Headers sent to the allocator, e.g. an Authorization bearer token from an env variable',
            }),
          ),
          tls: Type.Optional(
            Type.Object(
              {
                ca_file: Type.Optional(
                  Type.String({ description: "CA bundle that signed the allocator's certificate" }),
                ),
                cert_file: Type.Optional(Type.String({ description: 'Client certificate (mTLS)' })),
                key_file: Type.Optional(Type.String({ description: 'Client key (mTLS)' })),
                server_name_override: Type.Optional(
                  Type.String({ description: 'Name to verify the certificate against' }),
                ),
                insecure_skip_verify: Type.Optional(
                  Type.Boolean({ description: "Don't verify the allocator's certificate" }),
                ),
              },
              { additionalProperties: false, description: 'TLS to an https:// allocator' },
            ),
          ),
        },
        { additionalProperties: false, description: 'Jobs and targets from a target allocator' },
      ),
    ),
  },
  { additionalProperties: false },
);

export type PrometheusReceiverConfig = Static<typeof PrometheusReceiverConfigSchema>;
export type ScrapeConfig = Static<typeof ScrapeConfigSchema>;

export function createDefaultPrometheusConfig(): PrometheusReceiverConfig {
  return { config: { scrape_configs: [] } };
}

export type Auth =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string; readonly passwordFile?: string }
  | { readonly kind: 'authorization'; readonly type: string; readonly credentials: string; readonly file?: string };

export interface ResolvedTls {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipVerify: boolean;
  readonly serverName?: string;
}

export interface StaticGroup {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface ResolvedScrapeConfig {
  readonly jobName: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly metricsPath: string;
  readonly scheme: 'http' | 'https';
  readonly params: Readonly<Record<string, readonly string[]>>;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly auth: Auth;
  readonly tls: ResolvedTls;
  readonly sampleLimit: number;
  readonly labelLimit: number;
  readonly labelNameLengthLimit: number;
  readonly labelValueLengthLimit: number;
  readonly bodySizeLimit: number;
  readonly relabel: readonly RelabelConfig[];
  readonly metricRelabel: readonly RelabelConfig[];
  readonly staticGroups: readonly StaticGroup[];
  readonly externalLabels: Readonly<Record<string, string>>;
  /** The service discovery blocks (file_sd_configs, http_sd_configs, kubernetes_sd_configs) as written, or undefined. */
  readonly sd: Readonly<Record<string, unknown>> | undefined;
}

export interface ResolvedPrometheusConfig {
  readonly scrapeConfigs: readonly ResolvedScrapeConfig[];
  readonly global: PrometheusReceiverConfig['config']['global'];
  readonly targetAllocator:
    | {
        readonly endpoint: string;
        readonly intervalMs: number;
        readonly collectorId: string;
        readonly headers?: Readonly<Record<string, string>>;
        readonly tls?: {
          readonly caFile?: string;
          readonly certFile?: string;
          readonly keyFile?: string;
          readonly serverName?: string;
          readonly insecureSkipVerify?: boolean;
        };
      }
    | undefined;
}

function resolveScrape(sc: ScrapeConfig, global: PrometheusReceiverConfig['config']['global']): ResolvedScrapeConfig {
  const intervalMs = promDurationMs(sc.scrape_interval ?? global?.scrape_interval ?? DEFAULT_SCRAPE_INTERVAL);
  const defaultTimeout = promDurationMs(global?.scrape_timeout ?? DEFAULT_SCRAPE_TIMEOUT);
  const timeoutMs =
    sc.scrape_timeout !== undefined ? promDurationMs(sc.scrape_timeout) : Math.min(defaultTimeout, intervalMs);
  let auth: Auth = { kind: 'none' };
  if (sc.basic_auth !== undefined) {
    auth = {
      kind: 'basic',
      username: sc.basic_auth.username,
      password: sc.basic_auth.password ?? '',
      ...(sc.basic_auth.password_file === undefined ? {} : { passwordFile: sc.basic_auth.password_file }),
    };
  } else if (sc.authorization !== undefined) {
    auth = {
      kind: 'authorization',
      type: sc.authorization.type ?? 'Bearer',
      credentials: sc.authorization.credentials ?? '',
      ...(sc.authorization.credentials_file === undefined ? {} : { file: sc.authorization.credentials_file }),
    };
  }
  const t = sc.tls_config;
  const body = sc.body_size_limit === undefined ? 0 : sizeBytes(sc.body_size_limit);
  return {
    jobName: sc.job_name,
    intervalMs,
    timeoutMs,
    metricsPath: sc.metrics_path ?? DEFAULT_METRICS_PATH,
    scheme: sc.scheme ?? 'http',
    params: sc.params ?? {},
    honorLabels: sc.honor_labels ?? false,
    honorTimestamps: sc.honor_timestamps ?? true,
    auth,
    tls: {
      insecureSkipVerify: t?.insecure_skip_verify ?? false,
      ...(t?.ca_file === undefined ? {} : { caFile: t.ca_file }),
      ...(t?.cert_file === undefined ? {} : { certFile: t.cert_file }),
      ...(t?.key_file === undefined ? {} : { keyFile: t.key_file }),
      ...(t?.server_name === undefined ? {} : { serverName: t.server_name }),
    },
    sampleLimit: sc.sample_limit ?? 0,
    labelLimit: sc.label_limit ?? 0,
    labelNameLengthLimit: sc.label_name_length_limit ?? 0,
    labelValueLengthLimit: sc.label_value_length_limit ?? 0,
    bodySizeLimit: body === 0 || body > MAX_BODY_SIZE ? MAX_BODY_SIZE : body,
    relabel: compileRelabelConfigs(sc.relabel_configs ?? []).configs,
    metricRelabel: compileRelabelConfigs(sc.metric_relabel_configs ?? []).configs,
    staticGroups: (sc.static_configs ?? []).map((g) => ({ targets: g.targets, labels: g.labels ?? {} })),
    externalLabels: global?.external_labels ?? {},
    sd: sdBlocks(sc),
  };
}

const SD_KEYS = ['file_sd_configs', 'http_sd_configs', 'kubernetes_sd_configs'] as const;

/** The scrape config's service discovery blocks, or undefined when it has none. */
export function sdBlocks(sc: ScrapeConfig): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const key of SD_KEYS) {
    const v = sc[key];
    if (v !== undefined && v.length > 0) {
      out[key] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** `http_sd_configs[0].url` -> ['http_sd_configs', 0, 'url']. */
function sdPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}

export function resolvePrometheusConfig(c: PrometheusReceiverConfig): ResolvedPrometheusConfig {
  const ta = c.target_allocator;
  return {
    scrapeConfigs: c.config.scrape_configs.map((sc) => resolveScrape(sc, c.config.global)),
    global: c.config.global,
    targetAllocator:
      ta === undefined
        ? undefined
        : {
            endpoint: ta.endpoint,
            intervalMs: durationMs(ta.interval ?? DEFAULT_TA_INTERVAL),
            collectorId: ta.collector_id,
            ...(ta.headers === undefined ? {} : { headers: ta.headers }),
            ...(ta.tls === undefined
              ? {}
              : {
                  tls: {
                    ...(ta.tls.ca_file === undefined ? {} : { caFile: ta.tls.ca_file }),
                    ...(ta.tls.cert_file === undefined ? {} : { certFile: ta.tls.cert_file }),
                    ...(ta.tls.key_file === undefined ? {} : { keyFile: ta.tls.key_file }),
                    ...(ta.tls.server_name_override === undefined ? {} : { serverName: ta.tls.server_name_override }),
                    ...(ta.tls.insecure_skip_verify === undefined
                      ? {}
                      : { insecureSkipVerify: ta.tls.insecure_skip_verify }),
                  },
                }),
          },
  };
}

function checkDuration(problems: ConfigProblem[], path: readonly (string | number)[], v: string | undefined): void {
  if (v !== undefined && promDurationMs(v) <= 0) problems.push({ path, message: `must be greater than 0, got "${v}"` });
}

/** Cross-field checks (the schema checked shapes). */
export function validatePrometheusConfig(c: PrometheusReceiverConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const g = c.config.global;
  checkDuration(problems, ['config', 'global', 'scrape_interval'], g?.scrape_interval);
  checkDuration(problems, ['config', 'global', 'scrape_timeout'], g?.scrape_timeout);
  if (
    g?.scrape_interval !== undefined &&
    g.scrape_timeout !== undefined &&
    promDurationMs(g.scrape_timeout) > promDurationMs(g.scrape_interval)
  ) {
    problems.push({
      path: ['config', 'global', 'scrape_timeout'],
      message: `global scrape timeout ${g.scrape_timeout} is greater than the scrape interval ${g.scrape_interval}`,
    });
  }
  for (const name of Object.keys(g?.external_labels ?? {})) {
    if (!isValidLabelName(name)) {
      problems.push({
        path: ['config', 'global', 'external_labels', name],
        message: `"${name}" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`,
      });
    }
  }
  const ta = c.target_allocator;
  if (ta !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(ta.endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push({
        path: ['target_allocator', 'endpoint'],
        message: `must be an http:// or https:// URL, got "${ta.endpoint}"`,
      });
    }
    if (ta.collector_id.includes('${')) {
      problems.push({
        path: ['target_allocator', 'collector_id'],
        message: `"${ta.collector_id}" still holds an unexpanded variable; use \${env:NAME}`,
      });
    }
    checkDuration(problems, ['target_allocator', 'interval'], ta.interval);
    if ((ta.tls?.cert_file === undefined) !== (ta.tls?.key_file === undefined)) {
      problems.push({ path: ['target_allocator', 'tls'], message: 'cert_file and key_file go together (mTLS)' });
    }
    if (ta.tls !== undefined && url?.protocol === 'http:') {
      problems.push({ path: ['target_allocator', 'tls'], message: 'tls needs an https:// endpoint' });
    }
  }
  const jobs = new Map<string, number>();
  c.config.scrape_configs.forEach((sc, i) => {
    const at = (...rest: (string | number)[]): (string | number)[] => ['config', 'scrape_configs', i, ...rest];
    const prev = jobs.get(sc.job_name);
    if (prev !== undefined) {
      problems.push({
        path: at('job_name'),
        message: `found multiple scrape configs with job name "${sc.job_name}" (also scrape_configs[${prev}]); job names must be unique`,
      });
    } else {
      jobs.set(sc.job_name, i);
    }
    checkDuration(problems, at('scrape_interval'), sc.scrape_interval);
    checkDuration(problems, at('scrape_timeout'), sc.scrape_timeout);
    const interval = sc.scrape_interval ?? g?.scrape_interval ?? DEFAULT_SCRAPE_INTERVAL;
    if (sc.scrape_timeout !== undefined && promDurationMs(sc.scrape_timeout) > promDurationMs(interval)) {
      problems.push({
        path: at('scrape_timeout'),
        message: `scrape timeout ${sc.scrape_timeout} is greater than the scrape interval ${interval} for job "${sc.job_name}"`,
      });
    }
    const ba = sc.basic_auth;
    if (ba !== undefined) {
      if (ba.password !== undefined && ba.password_file !== undefined) {
        problems.push({ path: at('basic_auth'), message: 'at most one of password and password_file may be set' });
      }
      if (sc.authorization !== undefined) {
        problems.push({ path: at('authorization'), message: 'at most one of basic_auth and authorization may be set' });
      }
    }
    const au = sc.authorization;
    if (au !== undefined) {
      if (au.credentials !== undefined && au.credentials_file !== undefined) {
        problems.push({
          path: at('authorization'),
          message: 'at most one of credentials and credentials_file may be set',
        });
      }
      if (au.type !== undefined && au.type.toLowerCase() === 'basic') {
        problems.push({
          path: at('authorization', 'type'),
          message: 'authorization type cannot be set to "basic", use "basic_auth" instead',
        });
      }
    }
    const tls = sc.tls_config;
    if (tls !== undefined && (tls.cert_file === undefined) !== (tls.key_file === undefined)) {
      problems.push({ path: at('tls_config'), message: 'cert_file and key_file must be set together' });
    }
    if (sc.metrics_path !== undefined && !sc.metrics_path.startsWith('/')) {
      problems.push({ path: at('metrics_path'), message: `must start with "/", got "${sc.metrics_path}"` });
    }
    for (const key of ['relabel_configs', 'metric_relabel_configs'] as const) {
      const raw = sc[key];
      if (raw === undefined) continue;
      for (const p of compileRelabelConfigs(raw).problems)
        problems.push({ path: at(key, p.index), message: p.message });
    }
    (sc.static_configs ?? []).forEach((grp, gi) => {
      for (const name of Object.keys(grp.labels ?? {})) {
        if (!isValidLabelName(name)) {
          problems.push({
            path: at('static_configs', gi, 'labels', name),
            message: `"${name}" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`,
          });
        }
      }
    });
    const sd = sdBlocks(sc);
    if (sd !== undefined) {
      for (const p of createDiscoverers(sd).problems)
        problems.push({ path: at(...sdPath(p.path)), message: p.message });
    }
  });
  return problems;
}

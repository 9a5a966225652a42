// The discoverers of one scrape job, built from its (YAML-parsed) scrape config, and a helper that merges their
// reports into one set of groups.
import { isRecord, type SdProblem } from './common.js';
import { FileDiscoverer, parseFileSdConfigs } from './file.js';
import { HttpDiscoverer, parseHttpSdConfigs } from './http.js';
import { KubernetesDiscoverer, type KubernetesDiscovererOptions, parseKubernetesSdConfigs } from './kubernetes.js';
import { parseStaticConfigs, StaticDiscoverer } from './static.js';
import type { Discoverer, DiscoveryErrorListener, GroupsListener, TargetGroup } from './types.js';

export type { SdProblem } from './common.js';
export { formatDuration, parseDuration } from './common.js';
export type { Discoverer, DiscoveryErrorListener, GroupsListener, TargetGroup } from './types.js';

/** The keys of a scrape config that configure service discovery. */
export const SD_CONFIG_KEYS = [
  'static_configs',
  'file_sd_configs',
  'http_sd_configs',
  'kubernetes_sd_configs',
] as const;
export type SdConfigKey = (typeof SD_CONFIG_KEYS)[number];

export interface CreateDiscoverersOptions {
  /** Relative file paths (file_sd files, password/credential/CA/kubeconfig files) resolve against this. Default: cwd. */
  readonly baseDir?: string;
  /** User-Agent of http_sd requests. */
  readonly userAgent?: string;
  /** Upper bound of an http_sd response body. */
  readonly maxHttpBodyBytes?: number;
  /** Backoff and event coalescing of kubernetes_sd. */
  readonly kubernetes?: KubernetesDiscovererOptions;
}

/** One discoverer with the config entry it came from, e.g. `file_sd_configs[0]`. */
export interface NamedDiscoverer {
  readonly name: string;
  readonly discoverer: Discoverer;
}

export interface CreateDiscoverersResult {
  readonly discoverers: readonly NamedDiscoverer[];
  /** Config problems, positioned relative to the scrape config (e.g. `http_sd_configs[0].url`). */
  readonly problems: readonly SdProblem[];
}

/**
 * Builds the discoverers of one scrape config (`static_configs`, `file_sd_configs`, `http_sd_configs`,
 * `kubernetes_sd_configs`). Other keys of the scrape config are ignored here. Nothing is started; when `problems`
 * is not empty the caller should refuse the config.
 */
export function createDiscoverers(
  scrapeConfig: unknown,
  options: CreateDiscoverersOptions = {},
): CreateDiscoverersResult {
  const problems: SdProblem[] = [];
  const discoverers: NamedDiscoverer[] = [];
  if (!isRecord(scrapeConfig)) {
    return { discoverers, problems: [{ path: '', message: 'scrape config must be a mapping' }] };
  }
  const baseDir = options.baseDir ?? process.cwd();
  for (const key of SD_CONFIG_KEYS) {
    const raw = scrapeConfig[key];
    switch (key) {
      case 'static_configs': {
        const configs = parseStaticConfigs(raw, key, problems);
        if (configs.length > 0) discoverers.push({ name: key, discoverer: new StaticDiscoverer(configs) });
        break;
      }
      case 'file_sd_configs':
        parseFileSdConfigs(raw, key, problems, baseDir).forEach((c, i) => {
          discoverers.push({ name: `${key}[${i}]`, discoverer: new FileDiscoverer(c) });
        });
        break;
      case 'http_sd_configs':
        parseHttpSdConfigs(raw, key, problems, baseDir).forEach((c, i) => {
          discoverers.push({
            name: `${key}[${i}]`,
            discoverer: new HttpDiscoverer(c, {
              ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }),
              ...(options.maxHttpBodyBytes === undefined ? {} : { maxBodyBytes: options.maxHttpBodyBytes }),
            }),
          });
        });
        break;
      case 'kubernetes_sd_configs':
        parseKubernetesSdConfigs(raw, key, problems, baseDir).forEach((c, i) => {
          discoverers.push({ name: `${key}[${i}]`, discoverer: new KubernetesDiscoverer(c, options.kubernetes) });
        });
        break;
      default: {
        const never: never = key;
        throw new Error(`unhandled sd key ${String(never)}`);
      }
    }
  }
  return { discoverers, problems };
}

/**
 * Runs the discoverers of one job and reports the union of their latest sets. Each group's source is prefixed with
 * the discoverer's name (`file_sd_configs[0]/path:0`) so sources stay unique across discoverers. Every start()
 * is awaited, so the first report after start() resolves covers every discoverer that answered.
 */
export class JobDiscovery {
  readonly #discoverers: readonly NamedDiscoverer[];
  readonly #latest = new Map<string, readonly TargetGroup[]>();
  #stopped = false;

  constructor(discoverers: readonly NamedDiscoverer[]) {
    this.#discoverers = discoverers;
  }

  async start(onGroups: GroupsListener, onError: (name: string, err: Error) => void): Promise<void> {
    this.#stopped = false;
    let started = false;
    const emit = (): void => {
      if (!started || this.#stopped) return;
      onGroups(this.groups());
    };
    await Promise.all(
      this.#discoverers.map(({ name, discoverer }) => {
        const onErr: DiscoveryErrorListener = (err) => onError(name, err);
        return discoverer.start((groups) => {
          this.#latest.set(
            name,
            groups.map((g) => ({ ...g, source: `${name}/${g.source}` })),
          );
          emit();
        }, onErr);
      }),
    );
    started = true;
    emit();
  }

  /** The current union, in discoverer order. */
  groups(): TargetGroup[] {
    return this.#discoverers.flatMap(({ name }) => this.#latest.get(name) ?? []);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#discoverers.map(({ discoverer }) => discoverer.stop()));
  }
}

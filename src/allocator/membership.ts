// Kubernetes membership: the collector ids are either the pods matching a label selector (id = pod
// name, node = spec.nodeName) or `<statefulset>-0 .. <statefulset>-(replicas-1)` from a StatefulSet's
// spec.replicas, so a rolling restart changes nothing. Listed, then watched; a broken watch lists again
// after a backoff. The last good member set is kept while the API server is unreachable.
import http from 'node:http';
import https from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { Logger } from '../telemetry/logger.js';
import type { MetricsRegistry } from '../telemetry/metrics.js';
import { type Membership, selectorMatches, selectorString } from './config.js';
import type { AllocatorState, Member } from './state.js';

type KubeMembership = Extract<Membership, { kind: 'kubernetes' }>;

interface KObject {
  readonly metadata?: {
    readonly name?: string;
    readonly resourceVersion?: string;
    readonly labels?: Record<string, string>;
  };
  readonly spec?: { readonly nodeName?: string; readonly replicas?: number };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly {
      readonly type?: string;
      readonly status?: string;
      readonly lastTransitionTime?: string;
    }[];
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export class KubernetesMembership {
  readonly #c: KubeMembership;
  readonly #state: AllocatorState;
  readonly #logger: Logger;
  readonly #errors;
  readonly #objects = new Map<string, KObject>();
  #kc: KubeConfig | undefined;
  #rv = '';
  #stopped = false;
  #backoff = MIN_BACKOFF_MS;
  #timer: NodeJS.Timeout | undefined;
  #abort: AbortController | undefined;
  #firstList: (() => void) | undefined;
  #recheck: NodeJS.Timeout | undefined;
  #listed = false;
  #lastIds = '';

  constructor(c: KubeMembership, state: AllocatorState, logger: Logger, metrics: MetricsRegistry) {
    this.#c = c;
    this.#state = state;
    this.#logger = logger;
    this.#errors = metrics.counter(
      'switchyard_allocator_membership_errors_total',
      'Failed lists or watches of the collector pods or StatefulSet (the last members are kept).',
    );
  }

  #path(): string {
    const ns = encodeURIComponent(this.#c.namespace);
    return this.#c.source.kind === 'pods'
      ? `/api/v1/namespaces/${ns}/pods`
      : `/apis/apps/v1/namespaces/${ns}/statefulsets`;
  }

  #query(): Record<string, string> {
    const s = this.#c.source;
    return s.kind === 'pods'
      ? { labelSelector: selectorString(s.selector) }
      : { fieldSelector: `metadata.name=${s.name}` };
  }

  /** Resolves after the first successful list (the member set is known); retries until then. */
  start(): Promise<void> {
    const kc = new KubeConfig();
    if (this.#c.kubeconfigFile !== undefined) kc.loadFromFile(this.#c.kubeconfigFile);
    else if (this.#c.apiServer !== undefined) {
      kc.loadFromClusterAndUser(
        {
          name: 'api',
          server: this.#c.apiServer.replace(/\/$/, ''),
          skipTLSVerify: this.#c.apiServer.startsWith('http:'),
        },
        { name: 'api' },
      );
    } else kc.loadFromCluster();
    this.#kc = kc;
    // A pod that stays not Ready stops being a member once its grace has passed, without any event.
    if (this.#c.source.kind === 'pods') {
      const every = Math.max(500, Math.min(5000, Math.floor(this.#c.notReadyGraceMs / 2)));
      this.#recheck = setInterval(() => this.#publish(), every);
      this.#recheck.unref();
    }
    return new Promise((resolve) => {
      this.#firstList = resolve;
      void this.#list();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#recheck !== undefined) clearInterval(this.#recheck);
    this.#abort?.abort();
    this.#firstList?.();
  }

  #error(what: string, err: unknown): void {
    this.#errors.add(1, { operation: what });
    this.#logger.warn(
      { err: err instanceof Error ? err.message : String(err), operation: what },
      'collector membership: Kubernetes API call failed; keeping the last members',
    );
  }

  async #list(): Promise<void> {
    if (this.#stopped) return;
    try {
      const body = await this.#get(this.#path(), this.#query());
      if (this.#stopped) return;
      const items = isRecord(body) && Array.isArray(body.items) ? body.items : [];
      const meta = isRecord(body) && isRecord(body.metadata) ? body.metadata : {};
      this.#objects.clear();
      for (const item of items) {
        if (isRecord(item)) {
          const o = item as KObject;
          this.#objects.set(o.metadata?.name ?? '', o);
        }
      }
      this.#rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '';
      this.#listed = true;
      this.#publish();
      this.#firstList?.();
      this.#firstList = undefined;
      this.#watch().catch((err: unknown) => {
        this.#error('watch', err);
        this.#retry();
      });
    } catch (err) {
      this.#error('list', err);
      this.#retry();
    }
  }

  #retry(): void {
    if (this.#stopped) return;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#list();
    }, delay);
    this.#timer.unref();
  }

  async #watch(): Promise<void> {
    if (this.#stopped || this.#kc === undefined) return;
    let relist = false;
    const watch = new Watch(this.#kc);
    this.#abort = await watch.watch(
      this.#path(),
      { ...this.#query(), resourceVersion: this.#rv, allowWatchBookmarks: true },
      (phase: string, obj: unknown) => {
        if (this.#stopped || relist || !isRecord(obj)) return;
        const o = obj as KObject;
        const name = o.metadata?.name ?? '';
        switch (phase) {
          case 'ADDED':
          case 'MODIFIED':
            this.#objects.set(name, o);
            break;
          case 'DELETED':
            this.#objects.delete(name);
            break;
          case 'BOOKMARK':
            break;
          case 'ERROR':
            relist = true;
            this.#error('watch', new Error(typeof obj.message === 'string' ? obj.message : JSON.stringify(obj)));
            this.#abort?.abort();
            return;
          default:
            return;
        }
        this.#backoff = MIN_BACKOFF_MS;
        const rv = o.metadata?.resourceVersion;
        if (typeof rv === 'string' && rv !== '') this.#rv = rv;
        if (phase !== 'BOOKMARK') this.#publish();
      },
      (err: unknown) => {
        if (this.#stopped) return;
        if (!relist && err !== null && err !== undefined) this.#error('watch', err);
        if (relist || (err !== null && err !== undefined)) {
          this.#retry();
          return;
        }
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#watch().catch((e: unknown) => {
            this.#error('watch', e);
            this.#retry();
          });
        }, 0);
        this.#timer.unref();
      },
    );
    if (this.#stopped) this.#abort.abort();
  }

  /** The member set from the objects seen. */
  members(now = Date.now()): Member[] {
    const s = this.#c.source;
    if (s.kind === 'statefulset') {
      const sts = this.#objects.get(s.name);
      if (sts === undefined) return [];
      const replicas = typeof sts.spec?.replicas === 'number' ? sts.spec.replicas : 1;
      return Array.from({ length: Math.max(0, replicas) }, (_, i) => ({ id: `${s.name}-${i}` }));
    }
    const out: Member[] = [];
    for (const [name, pod] of this.#objects) {
      if (name === '' || !selectorMatches(s.selector, pod.metadata?.labels ?? {})) continue;
      const node = pod.spec?.nodeName;
      if (node === undefined || node === '') continue;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready !== undefined && ready.status !== 'True') {
        const since = Date.parse(ready.lastTransitionTime ?? '');
        if (!Number.isNaN(since) && now - since > this.#c.notReadyGraceMs) continue;
      }
      out.push({ id: name, node });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  #publish(): void {
    if (this.#stopped || !this.#listed) return;
    const members = this.members();
    const key = JSON.stringify(members);
    if (key === this.#lastIds) return;
    this.#lastIds = key;
    this.#logger.info({ collectors: members.map((m) => m.id) }, 'collector membership changed');
    this.#state.setMembers(members);
  }

  async #get(path: string, query: Record<string, string>): Promise<unknown> {
    const kc = this.#kc as KubeConfig;
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('no current cluster in the kubeconfig');
    const url = new URL(cluster.server + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await kc.applyToHTTPSOptions(opts);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<unknown>((resolve, reject) => {
      const req = mod.request(url, { ...opts, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${url.pathname}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as unknown);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    });
  }
}

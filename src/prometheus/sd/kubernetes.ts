// kubernetes_sd_configs: pods, services, endpoints, endpointslices and nodes through list + watch against the
// Kubernetes API (`@kubernetes/client-node` for the kubeconfig, credentials and the watch stream), producing the
// `__meta_kubernetes_*` labels Prometheus produces for each role.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isAbsolute, resolve } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { isRecord, Reader, type SdProblem } from './common.js';
import { type Authorization, type BasicAuth, parseClientAuth, readSecret, type TlsConfig } from './http.js';
import type { Discoverer, DiscoveryErrorListener, GroupsListener, TargetGroup } from './types.js';

export const KUBERNETES_ROLES = ['pod', 'service', 'endpoints', 'endpointslice', 'node'] as const;
export type KubernetesRole = (typeof KUBERNETES_ROLES)[number];

type Resource = 'pods' | 'services' | 'endpoints' | 'endpointslices' | 'nodes';

export interface KubernetesSelector {
  readonly role: KubernetesRole;
  readonly label?: string;
  readonly field?: string;
}

export interface KubernetesSdConfig {
  readonly role: KubernetesRole;
  /** Where the API is: an explicit server, a kubeconfig file, or (neither) the in-cluster service account. */
  readonly apiServer?: string;
  readonly kubeconfigFile?: string;
  readonly basicAuth?: BasicAuth;
  readonly authorization?: Authorization;
  readonly tls?: TlsConfig;
  readonly namespaces: { readonly names: readonly string[]; readonly ownNamespace: boolean };
  readonly selectors: readonly KubernetesSelector[];
}

const SELECTOR_ROLES: Readonly<Record<KubernetesRole, readonly KubernetesRole[]>> = {
  pod: ['pod'],
  service: ['service'],
  endpoints: ['pod', 'service', 'endpoints'],
  endpointslice: ['pod', 'service', 'endpointslice'],
  node: ['node'],
};

const ROLE_RESOURCES: Readonly<Record<KubernetesRole, readonly Resource[]>> = {
  pod: ['pods'],
  service: ['services'],
  endpoints: ['endpoints', 'services', 'pods'],
  endpointslice: ['endpointslices', 'services', 'pods'],
  node: ['nodes'],
};

function resourceOfRole(role: KubernetesRole): Resource {
  switch (role) {
    case 'pod':
      return 'pods';
    case 'service':
      return 'services';
    case 'endpoints':
      return 'endpoints';
    case 'endpointslice':
      return 'endpointslices';
    case 'node':
      return 'nodes';
  }
}

function asRole(v: string): KubernetesRole | undefined {
  return KUBERNETES_ROLES.find((r) => r === v);
}

export function parseKubernetesSdConfigs(
  raw: unknown,
  path: string,
  problems: SdProblem[],
  baseDir: string,
): KubernetesSdConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push({ path, message: 'must be a list of {role, ...}' });
    return [];
  }
  const out: KubernetesSdConfig[] = [];
  raw.forEach((entry: unknown, i) => {
    const r = new Reader(`${path}[${i}]`, problems);
    if (!isRecord(entry)) {
      r.problem(undefined, 'must be a mapping with a role');
      return;
    }
    r.checkKeys(entry, [
      'role',
      'api_server',
      'kubeconfig_file',
      'namespaces',
      'selectors',
      'basic_auth',
      'authorization',
      'tls_config',
    ]);
    const roleName = r.string(entry, 'role');
    const role = roleName === undefined ? undefined : asRole(roleName);
    if (role === undefined) {
      r.problem('role', `role must be one of ${KUBERNETES_ROLES.join(', ')}, got ${JSON.stringify(roleName ?? '')}`);
    }
    const apiServer = r.string(entry, 'api_server');
    if (apiServer !== undefined) {
      try {
        const u = new URL(apiServer);
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          r.problem('api_server', "URL scheme must be 'http' or 'https'");
      } catch {
        r.problem('api_server', `${JSON.stringify(apiServer)} is not a valid URL`);
      }
    }
    const kubeconfig = r.string(entry, 'kubeconfig_file');
    if (apiServer !== undefined && kubeconfig !== undefined) {
      r.problem('kubeconfig_file', 'cannot use kubeconfig_file and api_server simultaneously');
    }
    const auth = parseClientAuth(entry, r, problems, baseDir);
    if (
      apiServer === undefined &&
      (auth.basicAuth !== undefined || auth.authorization !== undefined || auth.tls !== undefined)
    ) {
      r.problem(undefined, 'to use custom HTTP client configuration please provide the api_server URL');
    }
    let names: string[] = [];
    let ownNamespace = false;
    const ns = entry['namespaces'];
    if (ns !== undefined && ns !== null) {
      const nr = new Reader(r.at('namespaces'), problems);
      if (!isRecord(ns)) nr.problem(undefined, 'must be a mapping with names and own_namespace');
      else {
        nr.checkKeys(ns, ['names', 'own_namespace']);
        names = nr.stringList(ns, 'names') ?? [];
        ownNamespace = nr.bool(ns, 'own_namespace') ?? false;
      }
    }
    const selectors: KubernetesSelector[] = [];
    const sel = entry['selectors'];
    if (sel !== undefined && sel !== null) {
      if (!Array.isArray(sel)) r.problem('selectors', 'must be a list of {role, label, field}');
      else {
        const seen = new Set<KubernetesRole>();
        sel.forEach((s: unknown, j) => {
          const sr = new Reader(`${r.at('selectors')}[${j}]`, problems);
          if (!isRecord(s)) {
            sr.problem(undefined, 'must be a mapping with role, label and field');
            return;
          }
          sr.checkKeys(s, ['role', 'label', 'field']);
          const sRoleName = sr.string(s, 'role') ?? '';
          const sRole = asRole(sRoleName);
          if (sRole === undefined) {
            sr.problem('role', `role must be one of ${KUBERNETES_ROLES.join(', ')}, got ${JSON.stringify(sRoleName)}`);
            return;
          }
          if (role !== undefined && !SELECTOR_ROLES[role].includes(sRole)) {
            sr.problem('role', `${role} role supports only ${SELECTOR_ROLES[role].join(', ')} selectors`);
            return;
          }
          if (seen.has(sRole)) sr.problem('role', `duplicated selector role: ${sRole}`);
          seen.add(sRole);
          const label = sr.string(s, 'label');
          const field = sr.string(s, 'field');
          selectors.push({
            role: sRole,
            ...(label === undefined ? {} : { label }),
            ...(field === undefined ? {} : { field }),
          });
        });
      }
    }
    if (role === undefined) return;
    out.push({
      role,
      ...(apiServer === undefined ? {} : { apiServer }),
      ...(kubeconfig === undefined
        ? {}
        : { kubeconfigFile: isAbsolute(kubeconfig) ? kubeconfig : resolve(baseDir, kubeconfig) }),
      ...auth,
      namespaces: { names, ownNamespace },
      selectors,
    });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The parts of Kubernetes objects discovery reads (API JSON, camelCase).

interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly {
    readonly kind?: string;
    readonly name?: string;
    readonly controller?: boolean;
  }[];
}

interface KObject {
  readonly metadata?: ObjectMeta;
}

interface ContainerPort {
  readonly name?: string;
  readonly containerPort?: number;
  readonly protocol?: string;
}

interface Container {
  readonly name?: string;
  readonly image?: string;
  readonly ports?: readonly ContainerPort[];
}

interface ContainerStatus {
  readonly name?: string;
  readonly containerID?: string;
}

interface Pod extends KObject {
  readonly spec?: {
    readonly nodeName?: string;
    readonly containers?: readonly Container[];
    readonly initContainers?: readonly Container[];
  };
  readonly status?: {
    readonly podIP?: string;
    readonly hostIP?: string;
    readonly phase?: string;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
    readonly containerStatuses?: readonly ContainerStatus[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
  };
}

interface Service extends KObject {
  readonly spec?: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly externalName?: string;
    readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string }[];
  };
}

interface ObjectReference {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

interface EndpointAddress {
  readonly ip?: string;
  readonly hostname?: string;
  readonly nodeName?: string;
  readonly targetRef?: ObjectReference;
}

interface EndpointPort {
  readonly name?: string;
  readonly port?: number;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

interface Endpoints extends KObject {
  readonly subsets?: readonly {
    readonly addresses?: readonly EndpointAddress[];
    readonly notReadyAddresses?: readonly EndpointAddress[];
    readonly ports?: readonly EndpointPort[];
  }[];
}

interface EndpointSlice extends KObject {
  readonly addressType?: string;
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[];
    readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
    readonly hostname?: string;
    readonly nodeName?: string;
    readonly targetRef?: ObjectReference;
    readonly deprecatedTopology?: Readonly<Record<string, string>>;
  }[];
  readonly ports?: readonly EndpointPort[];
}

interface Node extends KObject {
  readonly spec?: { readonly providerID?: string };
  readonly status?: {
    readonly addresses?: readonly { readonly type?: string; readonly address?: string }[];
    readonly daemonEndpoints?: { readonly kubeletEndpoint?: { readonly Port?: number } };
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Labels, following Prometheus's discovery/kubernetes.

const META = '__meta_kubernetes_';
const PRESENT = 'true';

/** strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes `_`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** net.JoinHostPort. */
function joinHostPort(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

type Labels = Record<string, string>;

function addObjectMetaLabels(ls: Labels, meta: ObjectMeta | undefined, role: KubernetesRole): void {
  for (const [k, v] of Object.entries(meta?.labels ?? {})) {
    const ln = sanitizeLabelName(k);
    ls[`${META}${role}_label_${ln}`] = v;
    ls[`${META}${role}_labelpresent_${ln}`] = PRESENT;
  }
  for (const [k, v] of Object.entries(meta?.annotations ?? {})) {
    const ln = sanitizeLabelName(k);
    ls[`${META}${role}_annotation_${ln}`] = v;
    ls[`${META}${role}_annotationpresent_${ln}`] = PRESENT;
  }
}

function podReady(pod: Pod): string {
  const cond = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return (cond?.status ?? 'Unknown').toLowerCase();
}

function podLabels(pod: Pod): Labels {
  const ls: Labels = {
    [`${META}pod_name`]: pod.metadata?.name ?? '',
    [`${META}pod_ip`]: pod.status?.podIP ?? '',
    [`${META}pod_ready`]: podReady(pod),
    [`${META}pod_phase`]: pod.status?.phase ?? '',
    [`${META}pod_node_name`]: pod.spec?.nodeName ?? '',
    [`${META}pod_host_ip`]: pod.status?.hostIP ?? '',
    [`${META}pod_uid`]: pod.metadata?.uid ?? '',
  };
  addObjectMetaLabels(ls, pod.metadata, 'pod');
  const controller = pod.metadata?.ownerReferences?.find((o) => o.controller === true);
  if (controller !== undefined) {
    if ((controller.kind ?? '') !== '') ls[`${META}pod_controller_kind`] = controller.kind ?? '';
    if ((controller.name ?? '') !== '') ls[`${META}pod_controller_name`] = controller.name ?? '';
  }
  return ls;
}

function key(meta: ObjectMeta | undefined): string {
  return `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

export function buildPod(pod: Pod): TargetGroup {
  const source = `pod/${key(pod.metadata)}`;
  const ip = pod.status?.podIP ?? '';
  if (ip === '') return { source, targets: [], labels: {} };
  const labels: Labels = { ...podLabels(pod), [`${META}namespace`]: pod.metadata?.namespace ?? '' };
  const targets: Labels[] = [];
  const containers = pod.spec?.containers ?? [];
  const all = [...containers, ...(pod.spec?.initContainers ?? [])];
  all.forEach((c, i) => {
    const isInit = i >= containers.length;
    const statuses = (isInit ? pod.status?.initContainerStatuses : pod.status?.containerStatuses) ?? [];
    const containerId = statuses.find((s) => s.name === c.name)?.containerID ?? '';
    const base: Labels = {
      [`${META}pod_container_name`]: c.name ?? '',
      [`${META}pod_container_id`]: containerId,
      [`${META}pod_container_image`]: c.image ?? '',
      [`${META}pod_container_init`]: String(isInit),
    };
    const ports = c.ports ?? [];
    if (ports.length === 0) {
      targets.push({ __address__: ip, ...base });
      return;
    }
    for (const p of ports) {
      const port = String(p.containerPort ?? 0);
      targets.push({
        __address__: joinHostPort(ip, port),
        ...base,
        [`${META}pod_container_port_name`]: p.name ?? '',
        [`${META}pod_container_port_number`]: port,
        [`${META}pod_container_port_protocol`]: p.protocol ?? '',
      });
    }
  });
  return { source, targets, labels };
}

function serviceLabels(svc: Service): Labels {
  const ls: Labels = {
    [`${META}service_name`]: svc.metadata?.name ?? '',
    [`${META}namespace`]: svc.metadata?.namespace ?? '',
  };
  addObjectMetaLabels(ls, svc.metadata, 'service');
  return ls;
}

export function buildService(svc: Service): TargetGroup {
  const name = svc.metadata?.name ?? '';
  const ns = svc.metadata?.namespace ?? '';
  const type = svc.spec?.type ?? '';
  const targets = (svc.spec?.ports ?? []).map((p): Labels => {
    const port = String(p.port ?? 0);
    const t: Labels = {
      __address__: joinHostPort(`${name}.${ns}.svc`, port),
      [`${META}service_port_name`]: p.name ?? '',
      [`${META}service_port_number`]: port,
      [`${META}service_port_protocol`]: p.protocol ?? '',
      [`${META}service_type`]: type,
    };
    if (type === 'ExternalName') t[`${META}service_external_name`] = svc.spec?.externalName ?? '';
    else t[`${META}service_cluster_ip`] = svc.spec?.clusterIP ?? '';
    return t;
  });
  return { source: `svc/${ns}/${name}`, targets, labels: serviceLabels(svc) };
}

/** Pod-backed endpoint targets: pod labels, the matching container port, and targets for the pod's other ports. */
class PodTargets {
  readonly #seen = new Map<string, { pod: Pod; ports: number[] }>();

  constructor(private readonly pods: ReadonlyMap<string, Pod>) {}

  resolve(ref: ObjectReference | undefined): Pod | undefined {
    if (ref === undefined || ref.kind !== 'Pod') return undefined;
    return this.pods.get(`${ref.namespace ?? ''}/${ref.name ?? ''}`);
  }

  /** Adds the pod's labels to `target`; `protocolFromEndpoint` picks which protocol fills the container port label. */
  attach(
    target: Labels,
    pod: Pod,
    port: number | undefined,
    endpointProtocol: string,
    protocolFromEndpoint: boolean,
  ): Labels {
    const k = key(pod.metadata);
    let entry = this.#seen.get(k);
    if (entry === undefined) {
      entry = { pod, ports: [] };
      this.#seen.set(k, entry);
    }
    const out: Labels = { ...target, ...podLabels(pod) };
    if (port !== undefined) {
      outer: for (const c of pod.spec?.containers ?? []) {
        for (const cp of c.ports ?? []) {
          if (cp.containerPort !== port) continue;
          out[`${META}pod_container_name`] = c.name ?? '';
          out[`${META}pod_container_image`] = c.image ?? '';
          out[`${META}pod_container_port_name`] = cp.name ?? '';
          out[`${META}pod_container_port_number`] = String(port);
          out[`${META}pod_container_port_protocol`] = protocolFromEndpoint ? endpointProtocol : (cp.protocol ?? '');
          break outer;
        }
      }
      entry.ports.push(port);
    }
    return out;
  }

  /** Targets for container ports of seen pods that no endpoint port covered. */
  extra(): Labels[] {
    const out: Labels[] = [];
    for (const { pod, ports } of this.#seen.values()) {
      for (const c of pod.spec?.containers ?? []) {
        for (const cp of c.ports ?? []) {
          if (ports.includes(cp.containerPort ?? -1)) continue;
          const port = String(cp.containerPort ?? 0);
          out.push({
            __address__: joinHostPort(pod.status?.podIP ?? '', port),
            [`${META}pod_container_name`]: c.name ?? '',
            [`${META}pod_container_image`]: c.image ?? '',
            [`${META}pod_container_port_name`]: cp.name ?? '',
            [`${META}pod_container_port_number`]: port,
            [`${META}pod_container_port_protocol`]: cp.protocol ?? '',
            ...podLabels(pod),
          });
        }
      }
    }
    return out;
  }
}

export function buildEndpoints(
  eps: Endpoints,
  services: ReadonlyMap<string, Service>,
  pods: ReadonlyMap<string, Pod>,
): TargetGroup {
  const ns = eps.metadata?.namespace ?? '';
  const name = eps.metadata?.name ?? '';
  let labels: Labels = { [`${META}namespace`]: ns, [`${META}endpoints_name`]: name };
  const svc = services.get(`${ns}/${name}`);
  if (svc !== undefined) labels = { ...labels, ...serviceLabels(svc) };
  addObjectMetaLabels(labels, eps.metadata, 'endpoints');
  const podTargets = new PodTargets(pods);
  const targets: Labels[] = [];
  const add = (addr: EndpointAddress, port: EndpointPort, ready: string): void => {
    const target: Labels = {
      __address__: joinHostPort(addr.ip ?? '', port.port ?? 0),
      [`${META}endpoint_port_name`]: port.name ?? '',
      [`${META}endpoint_port_protocol`]: port.protocol ?? '',
      [`${META}endpoint_ready`]: ready,
    };
    if (addr.targetRef !== undefined) {
      target[`${META}endpoint_address_target_kind`] = addr.targetRef.kind ?? '';
      target[`${META}endpoint_address_target_name`] = addr.targetRef.name ?? '';
    }
    if (addr.nodeName !== undefined) target[`${META}endpoint_node_name`] = addr.nodeName;
    if ((addr.hostname ?? '') !== '') target[`${META}endpoint_hostname`] = addr.hostname ?? '';
    const pod = podTargets.resolve(addr.targetRef);
    if (pod === undefined) {
      targets.push(target);
      return;
    }
    targets.push(podTargets.attach(target, pod, port.port, port.protocol ?? '', true));
  };
  for (const ss of eps.subsets ?? []) {
    for (const port of ss.ports ?? []) {
      for (const addr of ss.addresses ?? []) add(addr, port, 'true');
      for (const addr of ss.notReadyAddresses ?? []) add(addr, port, 'false');
    }
  }
  targets.push(...podTargets.extra());
  return { source: `endpoints/${ns}/${name}`, targets, labels };
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function buildEndpointSlice(
  eps: EndpointSlice,
  services: ReadonlyMap<string, Service>,
  pods: ReadonlyMap<string, Pod>,
): TargetGroup {
  const ns = eps.metadata?.namespace ?? '';
  const name = eps.metadata?.name ?? '';
  let labels: Labels = {
    [`${META}namespace`]: ns,
    [`${META}endpointslice_name`]: name,
    [`${META}endpointslice_address_type`]: eps.addressType ?? '',
  };
  addObjectMetaLabels(labels, eps.metadata, 'endpointslice');
  const svcName = eps.metadata?.labels?.[SERVICE_NAME_LABEL];
  const svc = svcName === undefined ? undefined : services.get(`${ns}/${svcName}`);
  if (svc !== undefined) labels = { ...labels, ...serviceLabels(svc) };
  const podTargets = new PodTargets(pods);
  const targets: Labels[] = [];
  const P = `${META}endpointslice_`;
  for (const ep of eps.endpoints ?? []) {
    const first = ep.addresses?.[0];
    if (first === undefined) continue;
    for (const port of eps.ports ?? []) {
      const target: Labels = { __address__: port.port === undefined ? first : joinHostPort(first, port.port) };
      if (port.name !== undefined) target[`${P}port_name`] = port.name;
      if (port.protocol !== undefined) target[`${P}port_protocol`] = port.protocol;
      if (port.port !== undefined) target[`${P}port`] = String(port.port);
      if (port.appProtocol !== undefined) target[`${P}port_app_protocol`] = port.appProtocol;
      const cond = ep.conditions;
      if (cond?.ready !== undefined) target[`${P}endpoint_conditions_ready`] = String(cond.ready);
      if (cond?.serving !== undefined) target[`${P}endpoint_conditions_serving`] = String(cond.serving);
      if (cond?.terminating !== undefined) target[`${P}endpoint_conditions_terminating`] = String(cond.terminating);
      if (ep.hostname !== undefined) target[`${P}endpoint_hostname`] = ep.hostname;
      if (ep.targetRef !== undefined) {
        target[`${P}address_target_kind`] = ep.targetRef.kind ?? '';
        target[`${P}address_target_name`] = ep.targetRef.name ?? '';
      }
      for (const [k, v] of Object.entries(ep.deprecatedTopology ?? {})) {
        const ln = sanitizeLabelName(k);
        target[`${P}endpoint_topology_${ln}`] = v;
        target[`${P}endpoint_topology_present_${ln}`] = PRESENT;
      }
      const pod = podTargets.resolve(ep.targetRef);
      targets.push(pod === undefined ? target : podTargets.attach(target, pod, port.port, port.protocol ?? '', false));
    }
  }
  targets.push(...podTargets.extra());
  return { source: `endpointslice/${ns}/${name}`, targets, labels };
}

const NODE_ADDRESS_PRIORITY = ['InternalIP', 'InternalDNS', 'ExternalIP', 'ExternalDNS', 'LegacyHostIP', 'Hostname'];

export function buildNode(node: Node): TargetGroup {
  const name = node.metadata?.name ?? '';
  const labels: Labels = {
    [`${META}node_name`]: name,
    [`${META}node_provider_id`]: node.spec?.providerID ?? '',
  };
  addObjectMetaLabels(labels, node.metadata, 'node');
  const byType = new Map<string, string[]>();
  for (const a of node.status?.addresses ?? []) {
    const list = byType.get(a.type ?? '') ?? [];
    list.push(a.address ?? '');
    byType.set(a.type ?? '', list);
  }
  const source = `node/${name}`;
  const addrType = NODE_ADDRESS_PRIORITY.find((t) => byType.has(t));
  const addr = addrType === undefined ? undefined : byType.get(addrType)?.[0];
  if (addr === undefined) return { source, targets: [], labels };
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  const target: Labels = { __address__: joinHostPort(addr, port), instance: name };
  for (const [type, list] of byType) target[sanitizeLabelName(`${META}node_address_${type}`)] = list[0] ?? '';
  return { source, targets: [target], labels };
}

// ---------------------------------------------------------------------------------------------------------------
// List + watch.

function apiPath(resource: Resource, namespace: string | undefined): string {
  const prefix = resource === 'endpointslices' ? '/apis/discovery.k8s.io/v1' : '/api/v1';
  if (resource === 'nodes' || namespace === undefined) return `${prefix}/${resource}`;
  return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource}`;
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface KubernetesDiscovererOptions {
  /** First delay before re-listing after a failed list or watch; doubles up to `maxBackoffMs`. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Coalesces bursts of watch events into one report. */
  readonly debounceMs?: number;
  /** Where the in-cluster namespace file lives (for `own_namespace`). */
  readonly serviceAccountDir?: string;
}

/** One list + watch loop of one resource in one namespace (or all). */
class ResourceLoop {
  readonly objects = new Map<string, KObject>();
  synced = false;
  #rv = '';
  #stopped = false;
  #backoffMs: number;
  #timer: NodeJS.Timeout | undefined;
  #abort: AbortController | undefined;

  constructor(
    private readonly kc: KubeConfig,
    readonly resource: Resource,
    private readonly namespace: string | undefined,
    private readonly selector: KubernetesSelector | undefined,
    private readonly opts: Required<Pick<KubernetesDiscovererOptions, 'minBackoffMs' | 'maxBackoffMs'>>,
    private readonly changed: () => void,
    private readonly onError: (err: Error) => void,
  ) {
    this.#backoffMs = opts.minBackoffMs;
  }

  private query(): Record<string, string> {
    const q: Record<string, string> = {};
    if ((this.selector?.label ?? '') !== '') q['labelSelector'] = this.selector?.label ?? '';
    if ((this.selector?.field ?? '') !== '') q['fieldSelector'] = this.selector?.field ?? '';
    return q;
  }

  private describe(): string {
    return `${this.resource}${this.namespace === undefined ? '' : ` in namespace ${this.namespace}`}`;
  }

  /** Lists, replacing the whole set; resolves false (and schedules a retry) on failure. */
  async list(): Promise<boolean> {
    try {
      const body = await this.get(apiPath(this.resource, this.namespace), this.query());
      if (this.#stopped) return false;
      const items = isRecord(body) && Array.isArray(body['items']) ? body['items'] : [];
      const meta = isRecord(body) && isRecord(body['metadata']) ? body['metadata'] : {};
      this.objects.clear();
      for (const item of items) {
        if (isRecord(item)) {
          const obj: KObject = item;
          this.objects.set(key(obj.metadata), obj);
        }
      }
      this.#rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '';
      this.synced = true;
      this.changed();
      this.startWatch();
      return true;
    } catch (err) {
      if (this.#stopped) return false;
      this.onError(
        new Error(`kubernetes_sd: listing ${this.describe()}: ${err instanceof Error ? err.message : String(err)}`),
      );
      this.retryList();
      return false;
    }
  }

  private retryList(): void {
    if (this.#stopped) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.opts.maxBackoffMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.list();
    }, delay);
    this.#timer.unref();
  }

  private startWatch(): void {
    this.watch().catch((err: unknown) => {
      if (this.#stopped) return;
      this.onError(
        new Error(`kubernetes_sd: watching ${this.describe()}: ${err instanceof Error ? err.message : String(err)}`),
      );
      this.retryList();
    });
  }

  private async watch(): Promise<void> {
    if (this.#stopped) return;
    let relist = false;
    let sawEvent = false;
    const watch = new Watch(this.kc);
    this.#abort = await watch.watch(
      apiPath(this.resource, this.namespace),
      { ...this.query(), resourceVersion: this.#rv, allowWatchBookmarks: true },
      (phase: string, obj: unknown) => {
        if (this.#stopped || relist) return;
        if (!isRecord(obj)) return;
        const o: KObject = obj;
        const rv = o.metadata?.resourceVersion;
        switch (phase) {
          case 'ADDED':
          case 'MODIFIED':
            this.objects.set(key(o.metadata), o);
            break;
          case 'DELETED':
            this.objects.delete(key(o.metadata));
            break;
          case 'BOOKMARK':
            break;
          case 'ERROR': {
            // An expired resourceVersion (410 Gone) or another failure: start again from a list.
            relist = true;
            const message = typeof obj['message'] === 'string' ? obj['message'] : JSON.stringify(obj);
            this.onError(new Error(`kubernetes_sd: watching ${this.describe()}: ${message}`));
            this.#abort?.abort();
            return;
          }
          default:
            return;
        }
        sawEvent = true;
        this.#backoffMs = this.opts.minBackoffMs;
        if (typeof rv === 'string' && rv !== '') this.#rv = rv;
        if (phase !== 'BOOKMARK') this.changed();
      },
      (err: unknown) => {
        if (this.#stopped) return;
        if (relist || (err !== null && err !== undefined)) {
          if (!relist) {
            const msg = err instanceof Error ? err.message : String(err);
            this.onError(new Error(`kubernetes_sd: watching ${this.describe()}: ${msg}`));
          }
          this.retryList();
          return;
        }
        // A clean close: watch again from the last resourceVersion (backing off when nothing arrived).
        const delay = sawEvent ? 0 : this.#backoffMs;
        if (!sawEvent) this.#backoffMs = Math.min(this.#backoffMs * 2, this.opts.maxBackoffMs);
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.startWatch();
        }, delay);
        this.#timer.unref();
      },
    );
    if (this.#stopped) this.#abort.abort();
  }

  private async get(path: string, query: Record<string, string>): Promise<unknown> {
    const cluster = this.kc.getCurrentCluster();
    if (cluster === null) throw new Error('no current cluster in the kubeconfig');
    const url = new URL(cluster.server + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<unknown>((resolvePromise, reject) => {
      const req = mod.request(url, { ...opts, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            reject(new HttpStatusError(status, `HTTP ${status}: ${text.slice(0, 200)}`));
            return;
          }
          try {
            resolvePromise(JSON.parse(text));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end();
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
  }
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export class KubernetesDiscoverer implements Discoverer {
  readonly #config: KubernetesSdConfig;
  readonly #opts: Required<KubernetesDiscovererOptions>;
  #loops: ResourceLoop[] = [];
  #debounce: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastReported: string | undefined;
  #onGroups: GroupsListener = () => {};

  constructor(config: KubernetesSdConfig, options: KubernetesDiscovererOptions = {}) {
    this.#config = config;
    this.#opts = {
      minBackoffMs: options.minBackoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      debounceMs: options.debounceMs ?? 50,
      serviceAccountDir: options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR,
    };
  }

  private kubeConfig(): KubeConfig {
    const c = this.#config;
    const kc = new KubeConfig();
    if (c.kubeconfigFile !== undefined) {
      kc.loadFromFile(c.kubeconfigFile);
    } else if (c.apiServer !== undefined) {
      const token = c.authorization === undefined ? undefined : readSecret(c.authorization.credentials);
      kc.loadFromClusterAndUser(
        {
          name: 'api_server',
          server: c.apiServer.replace(/\/$/, ''),
          // client-node refuses plain http unless TLS verification is off (there is no TLS to verify then).
          skipTLSVerify: (c.tls?.insecureSkipVerify ?? false) || c.apiServer.startsWith('http:'),
          ...(c.tls?.caFile === undefined ? {} : { caFile: c.tls.caFile }),
          ...(c.tls?.serverName === undefined ? {} : { tlsServerName: c.tls.serverName }),
        },
        {
          name: 'api_server',
          ...(token === undefined ? {} : { token }),
          ...(c.basicAuth === undefined
            ? {}
            : { username: c.basicAuth.username, password: readSecret(c.basicAuth.password) }),
          ...(c.tls?.certFile === undefined ? {} : { certFile: c.tls.certFile }),
          ...(c.tls?.keyFile === undefined ? {} : { keyFile: c.tls.keyFile }),
        },
      );
    } else {
      kc.loadFromCluster();
    }
    return kc;
  }

  /** The namespaces to watch; undefined means all. */
  private namespaces(kc: KubeConfig): string[] | undefined {
    const { names, ownNamespace } = this.#config.namespaces;
    const out = [...names];
    if (ownNamespace) {
      const file = `${this.#opts.serviceAccountDir}/namespace`;
      const own = existsSync(file)
        ? readFileSync(file, 'utf8').trim()
        : kc.getContextObject(kc.getCurrentContext())?.namespace;
      if (own === undefined || own === '') throw new Error(`kubernetes_sd: own_namespace: cannot read ${file}`);
      out.push(own);
    }
    return out.length === 0 ? undefined : [...new Set(out)];
  }

  async start(onGroups: GroupsListener, onError: DiscoveryErrorListener): Promise<void> {
    this.#stopped = false;
    this.#onGroups = onGroups;
    let kc: KubeConfig;
    let namespaces: string[] | undefined;
    try {
      kc = this.kubeConfig();
      namespaces = this.namespaces(kc);
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const changed = (): void => this.scheduleReport();
    const opts = { minBackoffMs: this.#opts.minBackoffMs, maxBackoffMs: this.#opts.maxBackoffMs };
    for (const resource of ROLE_RESOURCES[this.#config.role]) {
      const selector = this.#config.selectors.find((s) => resourceOfRole(s.role) === resource);
      const nsList: (string | undefined)[] =
        resource === 'nodes' || namespaces === undefined ? [undefined] : namespaces;
      for (const ns of nsList) this.#loops.push(new ResourceLoop(kc, resource, ns, selector, opts, changed, onError));
    }
    await Promise.all(this.#loops.map((l) => l.list()));
    this.report();
  }

  private scheduleReport(): void {
    if (this.#stopped || this.#debounce !== undefined) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.report();
    }, this.#opts.debounceMs);
    this.#debounce.unref();
  }

  private objects<T extends KObject>(resource: Resource): Map<string, T> {
    const out = new Map<string, T>();
    for (const loop of this.#loops) {
      if (loop.resource !== resource) continue;
      for (const [k, v] of loop.objects) out.set(k, v as T);
    }
    return out;
  }

  /** The groups of the current state (groups without targets left out), sorted by source. */
  groups(): TargetGroup[] {
    const role = this.#config.role;
    let groups: TargetGroup[];
    switch (role) {
      case 'pod':
        groups = [...this.objects<Pod>('pods').values()].map(buildPod);
        break;
      case 'service':
        groups = [...this.objects<Service>('services').values()].map(buildService);
        break;
      case 'endpoints': {
        const services = this.objects<Service>('services');
        const pods = this.objects<Pod>('pods');
        groups = [...this.objects<Endpoints>('endpoints').values()].map((e) => buildEndpoints(e, services, pods));
        break;
      }
      case 'endpointslice': {
        const services = this.objects<Service>('services');
        const pods = this.objects<Pod>('pods');
        groups = [...this.objects<EndpointSlice>('endpointslices').values()].map((e) =>
          buildEndpointSlice(e, services, pods),
        );
        break;
      }
      case 'node':
        groups = [...this.objects<Node>('nodes').values()].map(buildNode);
        break;
      default: {
        const never: never = role;
        throw new Error(`unhandled role ${String(never)}`);
      }
    }
    return groups
      .filter((g) => g.targets.length > 0)
      .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  }

  private report(): void {
    if (this.#stopped || !this.#loops.every((l) => l.synced)) return;
    const groups = this.groups();
    const k = JSON.stringify(groups);
    if (k === this.#lastReported) return;
    this.#lastReported = k;
    this.#onGroups(groups);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    this.#debounce = undefined;
    for (const loop of this.#loops) loop.stop();
    this.#loops = [];
  }
}

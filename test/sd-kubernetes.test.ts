// kubernetes_sd against a fake Kubernetes API server. There is no real API server on these machines (no
// kube-apiserver package, no kind/envtest), so this test serves list and watch itself — our reading of the API's
// semantics, not the real thing: `GET .../pods` (etc.) answers a List with a resourceVersion; `?watch=true` answers a
// chunked stream of newline-delimited JSON watch events, replaying history newer than the requested resourceVersion
// and then streaming live changes; a resourceVersion older than the compaction point gets an in-stream 410 ERROR.
// The real `@kubernetes/client-node` is pointed at it through a kubeconfig file (with a bearer token).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDiscoverers } from '../src/prometheus/sd/index.js';
import type { Discoverer, TargetGroup } from '../src/prometheus/sd/types.js';
import { tempDir, waitFor } from './helpers.js';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };
type Resource = 'pods' | 'services' | 'endpoints' | 'endpointslices' | 'nodes';

interface Watcher {
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly labelSelector: string | undefined;
  readonly res: http.ServerResponse;
}

class FakeApiServer {
  readonly objects = new Map<Resource, Map<string, Obj>>();
  readonly history: { rv: number; resource: Resource; type: string; object: Obj }[] = [];
  readonly requests: { url: string; authorization: string | undefined }[] = [];
  readonly watchers = new Set<Watcher>();
  rv = 100;
  compactedRv = 0;
  server: http.Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    assert.ok(addr !== null && typeof addr === 'object');
    this.port = addr.port;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  lists(resource: Resource): number {
    return this.requests.filter((r) => r.url.includes(`/${resource}`) && !r.url.includes('watch=true')).length;
  }

  /** Creates or replaces an object and tells the watchers; `silent` changes state without any event (as if a
   * stretch of history had been compacted away). */
  put(resource: Resource, obj: Obj, silent = false): void {
    this.rv++;
    const stored: Obj = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
    const map = this.objects.get(resource) ?? new Map<string, Obj>();
    this.objects.set(resource, map);
    const k = `${String(obj.metadata['namespace'] ?? '')}/${String(obj.metadata['name'])}`;
    const type = map.has(k) ? 'MODIFIED' : 'ADDED';
    map.set(k, stored);
    if (!silent) this.emit(resource, type, stored);
  }

  delete(resource: Resource, namespace: string, name: string, silent = false): void {
    const map = this.objects.get(resource);
    const k = `${namespace}/${name}`;
    const obj = map?.get(k);
    if (obj === undefined) return;
    map?.delete(k);
    this.rv++;
    if (!silent)
      this.emit(resource, 'DELETED', { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } });
  }

  /** Drops every open watch stream: `clean` ends it, otherwise the socket is destroyed mid-stream. */
  breakWatches(clean: boolean): void {
    for (const w of this.watchers) {
      if (clean) w.res.end();
      else w.res.destroy();
    }
    this.watchers.clear();
  }

  private emit(resource: Resource, type: string, object: Obj): void {
    this.history.push({ rv: this.rv, resource, type, object });
    for (const w of this.watchers) {
      if (this.matches(w, resource, object)) w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  private matches(w: Pick<Watcher, 'resource' | 'namespace' | 'labelSelector'>, resource: Resource, obj: Obj): boolean {
    if (w.resource !== resource) return false;
    if (w.namespace !== undefined && obj.metadata['namespace'] !== w.namespace) return false;
    if (w.labelSelector !== undefined) {
      const labels = (obj.metadata['labels'] ?? {}) as Record<string, string>;
      for (const term of w.labelSelector.split(',')) {
        const [k, v] = term.split('=');
        if (k === undefined || labels[k] !== v) return false;
      }
    }
    return true;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const m =
      /^\/(?:api\/v1|apis\/discovery\.k8s\.io\/v1)(?:\/namespaces\/([^/]+))?\/(pods|services|endpoints|endpointslices|nodes)$/.exec(
        url.pathname,
      );
    if (m === null) {
      res.writeHead(404).end();
      return;
    }
    const filter = {
      resource: m[2] as Resource,
      namespace: m[1],
      labelSelector: url.searchParams.get('labelSelector') ?? undefined,
    };
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      if (from < this.compactedRv) {
        const status = {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'too old resource version',
          reason: 'Expired',
          code: 410,
        };
        res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
        return;
      }
      for (const h of this.history) {
        if (h.rv > from && this.matches(filter, h.resource, h.object))
          res.write(`${JSON.stringify({ type: h.type, object: h.object })}\n`);
      }
      const w: Watcher = { ...filter, res };
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    const items = [...(this.objects.get(filter.resource)?.values() ?? [])].filter((o) =>
      this.matches(filter, filter.resource, o),
    );
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items }));
  }
}

const webPod = (ready: string): Obj => ({
  metadata: {
    name: 'web-1',
    namespace: 'default',
    uid: 'uid-web-1',
    labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
    annotations: { 'prometheus.io/scrape': 'true' },
    ownerReferences: [{ kind: 'ReplicaSet', name: 'web-rs', controller: true }],
  },
  spec: {
    nodeName: 'n1',
    containers: [
      {
        name: 'app',
        image: 'img:1',
        ports: [
          { name: 'http', containerPort: 8080, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
        ],
      },
      { name: 'sidecar', image: 'side:2' },
    ],
    initContainers: [{ name: 'init', image: 'init:1' }],
  },
  status: {
    phase: 'Running',
    podIP: '10.0.0.1',
    hostIP: '192.168.0.1',
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: ready },
    ],
    containerStatuses: [{ name: 'app', containerID: 'containerd://abc' }],
  },
});

function seed(api: FakeApiServer): void {
  api.put('pods', webPod('True'));
  api.put('pods', {
    metadata: { name: 'pending', namespace: 'default', uid: 'u2' },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Pending' },
  });
  api.put('pods', {
    metadata: { name: 'db-0', namespace: 'other', uid: 'uid-db-0', labels: { app: 'db' } },
    spec: {
      nodeName: 'n1',
      containers: [{ name: 'pg', image: 'pg:16', ports: [{ containerPort: 5432, protocol: 'TCP' }] }],
    },
    status: { phase: 'Running', podIP: 'fd00::1', hostIP: '192.168.0.1' },
  });
  api.put('services', {
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { team: 'core' } },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
  api.put('services', {
    metadata: { name: 'ext', namespace: 'default' },
    spec: { type: 'ExternalName', externalName: 'example.org', ports: [{ port: 443, protocol: 'TCP' }] },
  });
  api.put('endpoints', {
    metadata: { name: 'web', namespace: 'default', labels: { 'endpoints.label': 'x' } },
    subsets: [
      {
        addresses: [
          { ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', name: 'web-1', namespace: 'default' } },
        ],
        notReadyAddresses: [{ ip: '10.0.0.9', hostname: 'h9' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  });
  api.put('endpointslices', {
    metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: ['10.0.0.1'],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: 'n1',
        targetRef: { kind: 'Pod', name: 'web-1', namespace: 'default' },
        deprecatedTopology: { 'topology.kubernetes.io/zone': 'z1' },
      },
    ],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
  });
  api.put('nodes', {
    metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' }, annotations: { 'node.alpha/x': 'y' } },
    spec: { providerID: 'kind://n1' },
    status: {
      addresses: [
        { type: 'Hostname', address: 'n1' },
        { type: 'InternalIP', address: '192.168.0.1' },
        { type: 'InternalIP', address: '192.168.0.2' },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    },
  });
}

const WEB_POD_LABELS = {
  __meta_kubernetes_namespace: 'default',
  __meta_kubernetes_pod_name: 'web-1',
  __meta_kubernetes_pod_ip: '10.0.0.1',
  __meta_kubernetes_pod_ready: 'true',
  __meta_kubernetes_pod_phase: 'Running',
  __meta_kubernetes_pod_node_name: 'n1',
  __meta_kubernetes_pod_host_ip: '192.168.0.1',
  __meta_kubernetes_pod_uid: 'uid-web-1',
  __meta_kubernetes_pod_label_app: 'web',
  __meta_kubernetes_pod_labelpresent_app: 'true',
  __meta_kubernetes_pod_label_app_kubernetes_io_name: 'web',
  __meta_kubernetes_pod_labelpresent_app_kubernetes_io_name: 'true',
  __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
  __meta_kubernetes_pod_annotationpresent_prometheus_io_scrape: 'true',
  __meta_kubernetes_pod_controller_kind: 'ReplicaSet',
  __meta_kubernetes_pod_controller_name: 'web-rs',
};

function sorted(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function normalize(groups: readonly TargetGroup[]): TargetGroup[] {
  return groups.map((g) => ({ source: g.source, labels: sorted(g.labels), targets: g.targets.map(sorted) }));
}

describe('kubernetes_sd against a fake API server', () => {
  const api = new FakeApiServer();
  const dir = tempDir('switchyard-k8s-');
  let kubeconfig = '';
  const running: Discoverer[] = [];

  before(async () => {
    await api.start();
    seed(api);
    kubeconfig = join(dir.path, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake\n  cluster:\n    server: http://127.0.0.1:${api.port}\n    insecure-skip-tls-verify: true`,
        'users:',
        '- name: u\n  user:\n    token: t0ken',
        'contexts:',
        '- name: c\n  context:\n    cluster: fake\n    user: u\n    namespace: default',
        'current-context: c',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    for (const d of running) await d.stop();
    await api.stop();
    dir.remove();
  });

  /** Starts the discoverer of one kubernetes_sd_configs entry; `latest()` is its last reported set. */
  async function discover(
    entry: Record<string, unknown>,
  ): Promise<{ latest: () => readonly TargetGroup[] | undefined; errors: Error[]; stop: () => Promise<void> }> {
    const { discoverers, problems } = createDiscoverers(
      { job_name: 'k8s', kubernetes_sd_configs: [{ kubeconfig_file: kubeconfig, ...entry }] },
      {
        kubernetes: { minBackoffMs: 20, maxBackoffMs: 200, debounceMs: 5, serviceAccountDir: join(dir.path, 'no-sa') },
      },
    );
    assert.deepEqual(problems, []);
    const d = discoverers[0]?.discoverer;
    assert.ok(d !== undefined);
    running.push(d);
    let latest: readonly TargetGroup[] | undefined;
    const errors: Error[] = [];
    await d.start(
      (g) => {
        latest = g;
      },
      (e) => errors.push(e),
    );
    return { latest: () => latest, errors, stop: () => d.stop() };
  }

  it('role pod: one target per container port, one per port-less container, init containers, _present labels', async () => {
    const r = await discover({ role: 'pod', namespaces: { names: ['default'] } });
    const groups = normalize(r.latest() ?? []);
    assert.deepEqual(
      groups.map((g) => g.source),
      ['pod/default/web-1'],
      'the pod without an IP has no targets',
    );
    const container = (name: string, id: string, image: string, init: boolean): Record<string, string> => ({
      __meta_kubernetes_pod_container_name: name,
      __meta_kubernetes_pod_container_id: id,
      __meta_kubernetes_pod_container_image: image,
      __meta_kubernetes_pod_container_init: String(init),
    });
    assert.deepEqual(groups[0], {
      source: 'pod/default/web-1',
      labels: sorted(WEB_POD_LABELS),
      targets: [
        sorted({
          __address__: '10.0.0.1:8080',
          ...container('app', 'containerd://abc', 'img:1', false),
          __meta_kubernetes_pod_container_port_name: 'http',
          __meta_kubernetes_pod_container_port_number: '8080',
          __meta_kubernetes_pod_container_port_protocol: 'TCP',
        }),
        sorted({
          __address__: '10.0.0.1:9090',
          ...container('app', 'containerd://abc', 'img:1', false),
          __meta_kubernetes_pod_container_port_name: 'metrics',
          __meta_kubernetes_pod_container_port_number: '9090',
          __meta_kubernetes_pod_container_port_protocol: 'TCP',
        }),
        sorted({ __address__: '10.0.0.1', ...container('sidecar', '', 'side:2', false) }),
        sorted({ __address__: '10.0.0.1', ...container('init', '', 'init:1', true) }),
      ],
    });
    assert.ok(
      api.requests.every((q) => q.authorization === 'Bearer t0ken'),
      'the kubeconfig token is sent',
    );
    await r.stop();
  });

  it('role pod: all namespaces, IPv6 addresses, label selectors', async () => {
    const all = await discover({ role: 'pod' });
    const db = all.latest()?.find((g) => g.source === 'pod/other/db-0');
    assert.equal(db?.targets[0]?.['__address__'], '[fd00::1]:5432');
    assert.equal(db?.labels['__meta_kubernetes_pod_ready'], 'unknown');
    assert.equal(db?.labels['__meta_kubernetes_pod_controller_kind'], undefined);
    await all.stop();
    const selected = await discover({ role: 'pod', selectors: [{ role: 'pod', label: 'app=db' }] });
    assert.deepEqual(
      selected.latest()?.map((g) => g.source),
      ['pod/other/db-0'],
    );
    assert.ok(api.requests.some((q) => q.url.includes('labelSelector=app%3Ddb')));
    await selected.stop();
  });

  it('namespaces.own_namespace: the service account namespace file, else the kubeconfig context namespace', async () => {
    const r = await discover({ role: 'pod', namespaces: { own_namespace: true } });
    assert.deepEqual(
      r.latest()?.map((g) => g.source),
      ['pod/default/web-1'],
    );
    assert.ok(api.requests.some((q) => q.url.startsWith('/api/v1/namespaces/default/pods')));
    await r.stop();
  });

  it('role service: one target per port; ClusterIP and ExternalName', async () => {
    const r = await discover({ role: 'service' });
    assert.deepEqual(normalize(r.latest() ?? []), [
      {
        source: 'svc/default/ext',
        labels: sorted({ __meta_kubernetes_namespace: 'default', __meta_kubernetes_service_name: 'ext' }),
        targets: [
          sorted({
            __address__: 'ext.default.svc:443',
            __meta_kubernetes_service_port_name: '',
            __meta_kubernetes_service_port_number: '443',
            __meta_kubernetes_service_port_protocol: 'TCP',
            __meta_kubernetes_service_type: 'ExternalName',
            __meta_kubernetes_service_external_name: 'example.org',
          }),
        ],
      },
      {
        source: 'svc/default/web',
        labels: sorted({
          __meta_kubernetes_namespace: 'default',
          __meta_kubernetes_service_name: 'web',
          __meta_kubernetes_service_label_app: 'web',
          __meta_kubernetes_service_labelpresent_app: 'true',
          __meta_kubernetes_service_annotation_team: 'core',
          __meta_kubernetes_service_annotationpresent_team: 'true',
        }),
        targets: [
          sorted({
            __address__: 'web.default.svc:80',
            __meta_kubernetes_service_port_name: 'http',
            __meta_kubernetes_service_port_number: '80',
            __meta_kubernetes_service_port_protocol: 'TCP',
            __meta_kubernetes_service_type: 'ClusterIP',
            __meta_kubernetes_service_cluster_ip: '10.96.0.10',
          }),
        ],
      },
    ]);
    await r.stop();
  });

  it('role endpoints: ready and not-ready addresses, pod and service labels, uncovered container ports', async () => {
    const r = await discover({ role: 'endpoints' });
    const groups = normalize(r.latest() ?? []);
    assert.equal(groups.length, 1);
    const g = groups[0];
    assert.ok(g !== undefined);
    assert.equal(g.source, 'endpoints/default/web');
    assert.deepEqual(
      g.labels,
      sorted({
        __meta_kubernetes_namespace: 'default',
        __meta_kubernetes_endpoints_name: 'web',
        __meta_kubernetes_endpoints_label_endpoints_label: 'x',
        __meta_kubernetes_endpoints_labelpresent_endpoints_label: 'true',
        __meta_kubernetes_service_name: 'web',
        __meta_kubernetes_service_label_app: 'web',
        __meta_kubernetes_service_labelpresent_app: 'true',
        __meta_kubernetes_service_annotation_team: 'core',
        __meta_kubernetes_service_annotationpresent_team: 'true',
      }),
    );
    const { __meta_kubernetes_namespace: _ns, ...podOnly } = WEB_POD_LABELS;
    assert.deepEqual(g.targets, [
      sorted({
        __address__: '10.0.0.1:8080',
        __meta_kubernetes_endpoint_port_name: 'http',
        __meta_kubernetes_endpoint_port_protocol: 'TCP',
        __meta_kubernetes_endpoint_ready: 'true',
        __meta_kubernetes_endpoint_address_target_kind: 'Pod',
        __meta_kubernetes_endpoint_address_target_name: 'web-1',
        __meta_kubernetes_endpoint_node_name: 'n1',
        ...podOnly,
        __meta_kubernetes_pod_container_name: 'app',
        __meta_kubernetes_pod_container_image: 'img:1',
        __meta_kubernetes_pod_container_port_name: 'http',
        __meta_kubernetes_pod_container_port_number: '8080',
        __meta_kubernetes_pod_container_port_protocol: 'TCP',
      }),
      sorted({
        __address__: '10.0.0.9:8080',
        __meta_kubernetes_endpoint_port_name: 'http',
        __meta_kubernetes_endpoint_port_protocol: 'TCP',
        __meta_kubernetes_endpoint_ready: 'false',
        __meta_kubernetes_endpoint_hostname: 'h9',
      }),
      sorted({
        __address__: '10.0.0.1:9090',
        ...podOnly,
        __meta_kubernetes_pod_container_name: 'app',
        __meta_kubernetes_pod_container_image: 'img:1',
        __meta_kubernetes_pod_container_port_name: 'metrics',
        __meta_kubernetes_pod_container_port_number: '9090',
        __meta_kubernetes_pod_container_port_protocol: 'TCP',
      }),
    ]);
    await r.stop();
  });

  it('role endpointslice: conditions, topology, app protocol, service via kubernetes.io/service-name', async () => {
    const r = await discover({ role: 'endpointslice' });
    const g = normalize(r.latest() ?? [])[0];
    assert.ok(g !== undefined);
    assert.equal(g.source, 'endpointslice/default/web-abc');
    assert.equal(g.labels['__meta_kubernetes_endpointslice_name'], 'web-abc');
    assert.equal(g.labels['__meta_kubernetes_endpointslice_address_type'], 'IPv4');
    assert.equal(g.labels['__meta_kubernetes_service_name'], 'web');
    assert.equal(g.labels['__meta_kubernetes_endpointslice_label_kubernetes_io_service_name'], 'web');
    const t = g.targets[0];
    assert.ok(t !== undefined);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(t).filter(([k]) => k.startsWith('__meta_kubernetes_endpointslice_') || k === '__address__'),
      ),
      sorted({
        __address__: '10.0.0.1:8080',
        __meta_kubernetes_endpointslice_port_name: 'http',
        __meta_kubernetes_endpointslice_port_protocol: 'TCP',
        __meta_kubernetes_endpointslice_port: '8080',
        __meta_kubernetes_endpointslice_port_app_protocol: 'http',
        __meta_kubernetes_endpointslice_endpoint_conditions_ready: 'true',
        __meta_kubernetes_endpointslice_endpoint_conditions_serving: 'true',
        __meta_kubernetes_endpointslice_endpoint_conditions_terminating: 'false',
        __meta_kubernetes_endpointslice_address_target_kind: 'Pod',
        __meta_kubernetes_endpointslice_address_target_name: 'web-1',
        __meta_kubernetes_endpointslice_endpoint_topology_topology_kubernetes_io_zone: 'z1',
        __meta_kubernetes_endpointslice_endpoint_topology_present_topology_kubernetes_io_zone: 'true',
      }),
    );
    assert.equal(t['__meta_kubernetes_pod_name'], 'web-1');
    assert.equal(t['__meta_kubernetes_pod_container_port_name'], 'http');
    assert.deepEqual(
      g.targets.map((x) => x['__address__']),
      ['10.0.0.1:8080', '10.0.0.1:9090'],
    );
    await r.stop();
  });

  it('role node: address by priority, kubelet port, instance, address labels', async () => {
    const r = await discover({ role: 'node' });
    assert.deepEqual(normalize(r.latest() ?? []), [
      {
        source: 'node/n1',
        labels: sorted({
          __meta_kubernetes_node_name: 'n1',
          __meta_kubernetes_node_provider_id: 'kind://n1',
          __meta_kubernetes_node_label_kubernetes_io_hostname: 'n1',
          __meta_kubernetes_node_labelpresent_kubernetes_io_hostname: 'true',
          __meta_kubernetes_node_annotation_node_alpha_x: 'y',
          __meta_kubernetes_node_annotationpresent_node_alpha_x: 'true',
        }),
        targets: [
          sorted({
            __address__: '192.168.0.1:10250',
            instance: 'n1',
            __meta_kubernetes_node_address_Hostname: 'n1',
            __meta_kubernetes_node_address_InternalIP: '192.168.0.1',
          }),
        ],
      },
    ]);
    await r.stop();
  });

  it('follows watch events: update, add, delete; endpoints follow pod changes', async () => {
    const pods = await discover({ role: 'pod', namespaces: { names: ['default'] } });
    const eps = await discover({ role: 'endpoints' });
    api.put('pods', webPod('False'));
    await waitFor('pod not ready', () =>
      pods.latest()?.[0]?.labels['__meta_kubernetes_pod_ready'] === 'false' ? true : undefined,
    );
    await waitFor('endpoints see the pod change', () =>
      eps.latest()?.[0]?.targets[0]?.['__meta_kubernetes_pod_ready'] === 'false' ? true : undefined,
    );
    api.put('pods', {
      metadata: { name: 'new', namespace: 'default', uid: 'u3' },
      spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 1234 }] }] },
      status: { podIP: '10.0.0.3' },
    });
    await waitFor('new pod', () => (pods.latest()?.some((g) => g.source === 'pod/default/new') ? true : undefined));
    api.delete('pods', 'default', 'new');
    await waitFor('deleted pod', () =>
      pods.latest()?.some((g) => g.source === 'pod/default/new') === false ? true : undefined,
    );
    api.delete('endpoints', 'default', 'web');
    await waitFor('deleted endpoints', () => (eps.latest()?.length === 0 ? true : undefined));
    assert.deepEqual(pods.errors, []);
    await pods.stop();
    await eps.stop();
  });

  for (const clean of [false, true]) {
    it(`re-lists after the watch stream ${clean ? 'ends and the resourceVersion has expired (410)' : 'breaks'}`, async () => {
      const r = await discover({ role: 'pod', namespaces: { names: ['default'] } });
      const listsBefore = api.lists('pods');
      api.put('pods', {
        metadata: { name: `gap-${clean}`, namespace: 'default', uid: 'g' },
        spec: { containers: [{ name: 'c', image: 'i' }] },
        status: { podIP: '10.0.0.7' },
      });
      await waitFor('pod seen', () =>
        r.latest()?.some((g) => g.source === `pod/default/gap-${clean}`) ? true : undefined,
      );
      // While the stream is down the pod disappears with no event anybody could replay.
      api.compactedRv = api.rv + 1;
      api.delete('pods', 'default', `gap-${clean}`, true);
      api.breakWatches(clean);
      await waitFor(
        'relist drops the pod deleted during the gap',
        () => (r.latest()?.some((g) => g.source === `pod/default/gap-${clean}`) === false ? true : undefined),
        5000,
      );
      assert.ok(api.lists('pods') > listsBefore, 'a new list was made');
      assert.ok(r.errors.length > 0, 'the broken watch was reported');
      // And the new watch works.
      api.put('pods', webPod('True'));
      await waitFor('watch after relist', () =>
        r.latest()?.[0]?.labels['__meta_kubernetes_pod_ready'] === 'true' ? true : undefined,
      );
      await r.stop();
    });
  }

  it('api_server with authorization credentials_file instead of a kubeconfig', async () => {
    const token = join(dir.path, 'token');
    writeFileSync(token, 'file-t0ken\n');
    const { discoverers, problems } = createDiscoverers(
      {
        kubernetes_sd_configs: [
          { role: 'node', api_server: `http://127.0.0.1:${api.port}`, authorization: { credentials_file: token } },
        ],
      },
      { kubernetes: { debounceMs: 5 } },
    );
    assert.deepEqual(problems, []);
    const d = discoverers[0]?.discoverer;
    assert.ok(d !== undefined);
    let got: readonly TargetGroup[] = [];
    const before = api.requests.length;
    await d.start(
      (g) => {
        got = g;
      },
      (e) => assert.fail(e),
    );
    await d.stop();
    assert.deepEqual(
      got.map((g) => g.source),
      ['node/n1'],
    );
    assert.equal(api.requests[before]?.authorization, 'Bearer file-t0ken');
  });

  it('reports config problems with positions', () => {
    const { problems } = createDiscoverers({
      kubernetes_sd_configs: [
        { role: 'pods' },
        { role: 'pod', api_server: 'http://x', kubeconfig_file: 'k' },
        { role: 'pod', selectors: [{ role: 'service', label: 'a=b' }] },
        { role: 'endpoints', authorization: { credentials: 'x' } },
      ],
    });
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        'kubernetes_sd_configs[0].role',
        'kubernetes_sd_configs[1].kubeconfig_file',
        'kubernetes_sd_configs[2].selectors[0].role',
        'kubernetes_sd_configs[3]',
      ],
    );
  });

  it('reports an unreachable API server as an error', async () => {
    const { discoverers } = createDiscoverers(
      { kubernetes_sd_configs: [{ role: 'node', api_server: 'http://127.0.0.1:1' }] },
      { kubernetes: { minBackoffMs: 10_000 } },
    );
    const d = discoverers[0]?.discoverer;
    assert.ok(d !== undefined);
    const errors: Error[] = [];
    await d.start(
      () => assert.fail('no groups expected'),
      (e) => errors.push(e),
    );
    await d.stop();
    assert.match(errors[0]?.message ?? '', /listing nodes/);
  });
});

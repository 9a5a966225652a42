// `collectors.kubernetes` membership against a FAKE Kubernetes API server: there is no API server on
// this machine (no kube-apiserver, kind or envtest), so this file serves list and watch itself, as we
// read the API: a List with metadata.resourceVersion, and `?watch=true` as a chunked stream of
// newline-delimited {type, object} events newer than the requested resourceVersion.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllocatorConfig } from '../src/allocator/config.js';
import { type RunningAllocator, startAllocator } from '../src/allocator/service.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { freePort, tempDir, waitFor } from './helpers.js';

type Obj = {
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
} & Record<string, unknown>;

/** Fake API server (see the file comment): pods and statefulsets of one namespace. */
class FakeApi {
  readonly server: http.Server;
  readonly objects = new Map<string, Obj>();
  readonly history: { rv: number; path: string; type: string; object: Obj }[] = [];
  readonly watchers = new Set<{ path: string; res: http.ServerResponse; query: URLSearchParams }>();
  rv = 1;

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  put(path: string, object: Obj): void {
    const type = this.objects.has(`${path}/${object.metadata.name}`) ? 'MODIFIED' : 'ADDED';
    this.emit(path, type, object);
  }

  remove(path: string, name: string): void {
    const o = this.objects.get(`${path}/${name}`);
    if (o !== undefined) this.emit(path, 'DELETED', o);
  }

  private emit(path: string, type: string, object: Obj): void {
    this.rv++;
    const o = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.rv) } };
    if (type === 'DELETED') this.objects.delete(`${path}/${o.metadata.name}`);
    else this.objects.set(`${path}/${o.metadata.name}`, o);
    this.history.push({ rv: this.rv, path, type, object: o });
    for (const w of this.watchers)
      if (w.path === path && this.matches(o, w.query)) w.res.write(`${JSON.stringify({ type, object: o })}\n`);
  }

  private matches(o: Obj, q: URLSearchParams): boolean {
    const field = q.get('fieldSelector');
    if (field !== null && field !== '' && field !== `metadata.name=${o.metadata.name}`) return false;
    const labels = q.get('labelSelector');
    if (labels !== null && labels !== '') {
      for (const part of labels.split(',')) {
        const [k, v] = part.split('=');
        if (o.metadata.labels?.[k as string] !== v) return false;
      }
    }
    return true;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    if (!/^\/(api\/v1|apis\/apps\/v1)\/namespaces\/[^/]+\/(pods|statefulsets)$/.test(path)) {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      for (const h of this.history) {
        if (h.rv > from && h.path === path && this.matches(h.object, url.searchParams)) {
          res.write(`${JSON.stringify({ type: h.type, object: h.object })}\n`);
        }
      }
      const w = { path, res, query: url.searchParams };
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    const items = [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(`${path}/`) && this.matches(o, url.searchParams))
      .map(([, o]) => o);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: String(this.rv) }, items }));
  }
}

const PODS = '/api/v1/namespaces/obs/pods';
const STS = '/apis/apps/v1/namespaces/obs/statefulsets';

function pod(name: string, node: string | undefined, labels: Record<string, string>, ready = true): Obj {
  return {
    metadata: { name, namespace: 'obs', labels },
    spec: node === undefined ? {} : { nodeName: node },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date().toISOString() }],
    },
  };
}

function sts(replicas: number, revision: string): Obj {
  return { metadata: { name: 'col', namespace: 'obs' }, spec: { replicas }, status: { updateRevision: revision } };
}

describe('kubernetes membership (fake API server)', { timeout: 30_000 }, () => {
  const dir = tempDir('switchyard-allocator-k8s-');
  const running: RunningAllocator[] = [];
  const fakes: FakeApi[] = [];
  after(async () => {
    for (const a of running) await a.stop();
    for (const f of fakes) await f.close();
    dir.remove();
  });

  async function start(api: string, collectors: string, strategy: string, targets: string): Promise<RunningAllocator> {
    const port = await freePort();
    const cfg = parseAllocatorConfig(
      `allocation_strategy: ${strategy}
collector_not_ready_grace_period: 1s
collector_selector: {matchlabels: {app: collector}}
collectors:
  kubernetes: {namespace: obs, api_server: '${api}'${collectors}}
  grace_period: 0
debounce: 10ms
config:
  scrape_configs:
    - job_name: j
      static_configs: ${targets}
`,
      join(dir.path, 'a.yaml'),
      { listenAddress: `127.0.0.1:${port}` },
    );
    const a = await startAllocator(cfg, silentLogger());
    running.push(a);
    return a;
  }

  it('takes ids from a StatefulSet: a rolling restart moves nothing, a scale-out moves about 1/N', async () => {
    const fake = new FakeApi();
    fakes.push(fake);
    const api = await fake.listen();
    fake.put(STS, sts(3, 'rev-1'));
    const targets = `[{targets: [${Array.from({ length: 200 }, (_, i) => `'10.3.${i >> 8}.${i & 255}:80'`).join(', ')}]}]`;
    const a = await start(api, ', statefulset: col', 'weighted-rendezvous', targets);
    await waitFor('first allocation', () => (a.state.ready ? true : undefined));
    assert.deepEqual(a.state.collectorIds(), ['col-0', 'col-1', 'col-2']);
    const before = new Map(a.state.owners());
    const generation = a.state.generation;
    // A rolling restart: the StatefulSet's status changes, its replicas do not; pods come and go.
    for (const rev of ['rev-2', 'rev-2b']) fake.put(STS, sts(3, rev));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.state.generation, generation, 'no re-allocation');
    assert.deepEqual(new Map(a.state.owners()), before);
    // Scale out to 4: only targets that go to col-3 move.
    fake.put(STS, sts(4, 'rev-2b'));
    await waitFor('col-3 member', () =>
      a.state.collectorIds().includes('col-3') && a.state.generation > generation ? true : undefined,
    );
    const afterScale = a.state.owners();
    let moved = 0;
    let toNew = 0;
    for (const [t, c] of before) {
      const now = afterScale.get(t);
      if (now !== c) moved++;
      if (now === 'col-3') toNew++;
    }
    // The ideal is 50 of 200 (1/4), all to col-3; the load cap may shift a few between the others.
    assert.ok(toNew >= 40 && moved <= 66, `moved ${moved} of 200, ${toNew} to col-3 (ideal 50, all to col-3)`);
  });

  it('watches collector pods by label selector, with their nodes for per-node', async () => {
    const fake = new FakeApi();
    fakes.push(fake);
    const api = await fake.listen();
    const app = { app: 'collector' };
    fake.put(PODS, pod('col-a', 'n1', app));
    fake.put(PODS, pod('col-b', 'n2', app));
    fake.put(PODS, pod('col-c', undefined, app)); // not scheduled yet: not a member
    fake.put(PODS, pod('web-1', 'n1', { app: 'web' })); // not a collector
    fake.put(PODS, pod('col-d', 'n4', app, false)); // not Ready: a member for 1 s
    const targets = `[{targets: ['10.4.0.1:80'], labels: {__meta_kubernetes_pod_node_name: n1}}, {targets: ['10.4.0.2:80'], labels: {__meta_kubernetes_pod_node_name: n2}}, {targets: ['10.4.0.3:80'], labels: {__meta_kubernetes_pod_node_name: n3}}]`;
    const a = await start(api, '', 'per-node', targets);
    await waitFor('first allocation', () => (a.state.ready ? true : undefined));
    assert.deepEqual(a.state.collectorIds(), ['col-a', 'col-b', 'col-d']);
    await waitFor(
      'col-d dropped after its not-Ready grace',
      () => (a.state.collectorIds().join() === 'col-a,col-b' ? true : undefined),
      5000,
    );
    const owner = (addr: string) => [...a.state.owners()].find(([id]) => id.includes(addr))?.[1];
    assert.equal(owner('10.4.0.1:80'), 'col-a');
    assert.equal(owner('10.4.0.2:80'), 'col-b');
    assert.equal(owner('10.4.0.3:80'), undefined, 'no collector on n3');
    assert.equal(a.state.summary().unassigned, 1);
    // col-c gets scheduled on n3; col-b goes away.
    fake.put(PODS, pod('col-c', 'n3', app));
    fake.remove(PODS, 'col-b');
    await waitFor('membership followed the watch', () =>
      a.state.collectorIds().join() === 'col-a,col-c' && owner('10.4.0.3:80') === 'col-c' ? true : undefined,
    );
    assert.equal(owner('10.4.0.2:80'), undefined, 'n2 has no collector now');
  });
});

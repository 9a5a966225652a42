// The manifests under deploy/ hold together: the configs they carry load through our own config code,
// the names and ports they refer to exist, and the RBAC grants what discovery and membership read.
// (No API server here: nothing is applied to a cluster.)
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseAllocatorConfig } from '../src/allocator/config.js';
import { loadConfig } from '../src/config/index.js';
import { distribution } from '../src/distribution.js';
import { tempDir } from './helpers.js';

interface Container {
  readonly args?: string[];
  readonly ports?: { name: string; containerPort: number }[];
  readonly livenessProbe?: { httpGet: { path: string } };
  readonly readinessProbe?: { httpGet: { path: string } };
  readonly env?: { name: string; valueFrom?: unknown }[];
}
interface PodTemplate {
  readonly metadata: { labels: Record<string, string> };
  readonly spec: { containers: Container[]; volumes: { configMap?: { name: string } }[]; serviceAccountName?: string };
}
interface Rule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
}
/** The fields of the manifests this test reads. */
interface K {
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  readonly data?: Record<string, string>;
  readonly spec?: {
    readonly template?: PodTemplate;
    readonly selector?: Record<string, unknown>;
    readonly ports?: { port: number }[];
    readonly serviceName?: string;
  };
  readonly rules?: Rule[];
  readonly roleRef?: { name: string };
  readonly subjects?: unknown[];
}

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

function load(file: string): K[] {
  const docs = parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'));
  return (Array.isArray(docs) ? docs : [docs]).map((d) => {
    assert.deepEqual(d.errors, [], `${file}: YAML errors`);
    return d.toJS() as K;
  });
}

function one(objs: K[], kind: string, name?: string): K {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind} ${name ?? ''}`);
  return found[0] as K;
}

describe('deploy/ manifests', () => {
  const dir = tempDir('switchyard-deploy-');
  after(() => dir.remove());
  const ta = load('allocator.yaml');
  const col = load('collector.yaml');

  it('runs the allocator with a config that loads, on the port its Service and probes use', () => {
    const cm = one(ta, 'ConfigMap');
    const text = cm.data?.['allocator.yaml'] ?? '';
    const cfg = parseAllocatorConfig(text, join(dir.path, 'allocator.yaml'));
    const dep = one(ta, 'Deployment');
    const pod = dep.spec?.template;
    const c = pod?.spec.containers[0];
    assert.deepEqual(c?.args, ['allocator', '--config', '/etc/switchyard/allocator.yaml']);
    const port = c?.ports?.find((p) => p.name === 'http');
    assert.equal(port?.containerPort, cfg.listen.port);
    assert.equal(cfg.listen.host, '0.0.0.0');
    assert.equal(c?.livenessProbe?.httpGet.path, '/livez');
    assert.equal(c?.readinessProbe?.httpGet.path, '/readyz');
    assert.equal(pod?.spec.volumes[0]?.configMap?.name, cm.metadata.name);
    const svc = one(ta, 'Service');
    assert.deepEqual(svc.spec?.selector, pod?.metadata.labels);
    assert.deepEqual(dep.spec?.selector?.matchLabels, pod?.metadata.labels);
    // Membership from the collector StatefulSet shipped beside it.
    const sts = one(col, 'StatefulSet');
    assert.equal(cfg.membership.kind, 'kubernetes');
    if (cfg.membership.kind === 'kubernetes') {
      assert.deepEqual(cfg.membership.source, { kind: 'statefulset', name: sts.metadata.name });
      assert.equal(cfg.membership.namespace, sts.metadata.namespace);
    }
    // RBAC: the Deployment's ServiceAccount may list and watch what discovery and membership read.
    const sa = one(ta, 'ServiceAccount');
    assert.equal(pod?.spec.serviceAccountName, sa.metadata.name);
    const role = one(ta, 'ClusterRole');
    const binding = one(ta, 'ClusterRoleBinding');
    assert.equal(binding.roleRef?.name, role.metadata.name);
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ]);
    const may = (group: string, resource: string): boolean =>
      (role.rules ?? []).some(
        (r) =>
          r.apiGroups.includes(group) &&
          r.resources.includes(resource) &&
          ['list', 'watch'].every((v) => r.verbs.includes(v)),
      );
    for (const [g, r] of [
      ['apps', 'statefulsets'],
      ['', 'pods'],
      ['', 'services'],
      ['', 'endpoints'],
      ['', 'nodes'],
      ['discovery.k8s.io', 'endpointslices'],
    ] as const) {
      assert.ok(may(g, r), `list/watch ${g}/${r}`);
    }
  });

  it('runs collectors whose config loads and points at the allocator Service, with the pod name as id', async () => {
    const cm = one(col, 'ConfigMap');
    const file = join(dir.path, 'collector.yaml');
    writeFileSync(file, cm.data?.['collector.yaml'] ?? '');
    const { config } = await loadConfig({
      sources: [file],
      sets: [],
      distribution,
      env: { POD_NAME: 'switchyard-collector-1' },
    });
    const receiver = config.receivers.get('prometheus')?.config as {
      target_allocator: { endpoint: string; collector_id: string };
    };
    assert.equal(receiver.target_allocator.collector_id, 'switchyard-collector-1');
    const svc = one(ta, 'Service');
    const url = new URL(receiver.target_allocator.endpoint);
    assert.equal(url.hostname, `${svc.metadata.name}.${svc.metadata.namespace}.svc`);
    assert.equal(Number(url.port), svc.spec?.ports?.[0]?.port);
    const sts = one(col, 'StatefulSet');
    const c = sts.spec?.template?.spec.containers[0];
    assert.deepEqual(c?.env?.find((e) => e.name === 'POD_NAME')?.valueFrom, {
      fieldRef: { fieldPath: 'metadata.name' },
    });
    assert.equal(sts.spec?.serviceName, one(col, 'Service').metadata.name);
    assert.deepEqual(sts.spec?.selector?.matchLabels, sts.spec?.template?.metadata.labels);
    assert.equal(sts.spec?.template?.spec.volumes[0]?.configMap?.name, cm.metadata.name);
  });
});

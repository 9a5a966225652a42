// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Prometheus relabel templates use literal ${1} / ${name} references
// Relabeling parity with a real Prometheus (Debian `prometheus` 2.42 at /usr/bin/prometheus): every case below is a
// scrape job whose targets come from an http_sd endpoint served by this test. One Prometheus run holds all jobs;
// its /api/v1/targets (active and dropped targets: labels, discoveredLabels, scrapeUrl) must equal what
// src/prometheus/targets.ts computes from the same scrape config and the groups our own http_sd discoverer reads.
// Targets point at closed ports on 127.0.0.1; they need not be up.
//
// Known Prometheus 2.42 defect, checked rather than ignored: for an *active* target whose relabeling changed labels,
// 2.42 sometimes reports corrupted `discoveredLabels` (relabel.Process builds its result in the slice that also holds
// the pre-relabel labels, so some entries of the discovered set show post-relabel labels). targets.ts keeps the
// true pre-relabel set, as later Prometheus versions report it. For such a target the test requires that 2.42's set
// has as many labels as ours and that each of its labels is one of ours or one of the relabel output's; every other
// comparison (active `labels`, `scrapeUrl`, dropped targets' `discoveredLabels`) is exact.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { relabel } from '../src/prometheus/relabel.js';
import { HttpDiscoverer } from '../src/prometheus/sd/http.js';
import {
  computeTargets,
  parseScrapeTargetConfig,
  type ScrapeTargetConfig,
  type TargetsResult,
} from '../src/prometheus/targets.js';
import { type PrometheusReceiverConfig, resolvePrometheusConfig } from '../src/receivers/prometheus/config.js';
import { targetsFromGroups } from '../src/receivers/prometheus/targets.js';
import { freePort, tempDir } from './helpers.js';
import { type Daemon, requireBinary, startPrometheus } from './peers.js';

interface Group {
  readonly targets: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

interface ParityCase {
  readonly job: string;
  readonly groups: readonly Group[];
  readonly relabel?: readonly Record<string, unknown>[];
  /** Extra scrape config fields (scheme, metrics_path, params, scrape_interval, scrape_timeout). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

const CASES: readonly ParityCase[] = [
  {
    job: 'replace_default',
    groups: [
      { targets: ['127.0.0.1:1', '127.0.0.1:2'], labels: { env: 'prod', team: 'a' } },
      { targets: ['127.0.0.1:3'], labels: { team: 'b' } },
    ],
    relabel: [
      { source_labels: ['env'], target_label: 'environment' },
      { source_labels: ['team'], target_label: 'team', replacement: 'team-$1' },
      { target_label: 'fixed', replacement: 'constant' },
    ],
  },
  {
    job: 'replace_templates',
    groups: [
      { targets: ['127.0.0.1:4'], labels: { svc: 'web-42', region: 'eu' } },
      { targets: ['127.0.0.1:5'], labels: { svc: 'nodigits' } },
    ],
    relabel: [
      { source_labels: ['svc'], regex: '(\\w+)-(\\d+)', target_label: 'pair', replacement: '${2}_$1' },
      { source_labels: ['svc'], regex: '(\\w+)-(\\d+)', target_label: 'name_$1', replacement: '$2' },
      { source_labels: ['svc'], regex: '(?P<base>\\w+)-\\d+', target_label: 'named', replacement: '${base}/$base' },
      { source_labels: ['svc'], regex: '(\\w+)-(\\d+)', target_label: 'weird', replacement: '$1x|$$|${1}x' },
      { source_labels: ['region'], regex: '(.*)', target_label: 'region', replacement: '' },
    ],
  },
  {
    job: 'replace_nomatch_and_anchoring',
    groups: [
      { targets: ['127.0.0.1:6'], labels: { env: 'production' } },
      { targets: ['127.0.0.1:7'], labels: { env: 'prod' } },
    ],
    relabel: [
      { source_labels: ['env'], regex: 'prod', target_label: 'is_prod', replacement: 'yes' },
      { source_labels: ['env'], regex: 'prod.*', target_label: 'prodish', replacement: 'yes' },
      { source_labels: ['env'], regex: 'rod', target_label: 'middle', replacement: 'matched' },
    ],
  },
  {
    job: 'keep',
    groups: [
      { targets: ['127.0.0.1:8'], labels: { env: 'prod' } },
      { targets: ['127.0.0.1:9'], labels: { env: 'staging' } },
      { targets: ['127.0.0.1:10'], labels: { env: 'dev' } },
      { targets: ['127.0.0.1:11'] },
    ],
    relabel: [{ source_labels: ['env'], regex: 'prod|staging', action: 'keep' }],
  },
  {
    job: 'drop',
    groups: [{ targets: ['127.0.0.1:9100', '127.0.0.1:12', 'localhost:9100'] }],
    relabel: [{ source_labels: ['__address__'], regex: '.*:9100', action: 'Drop' }],
  },
  {
    job: 'keepequal_dropequal',
    groups: [
      { targets: ['127.0.0.1:13'], labels: { a: 'x', b: 'x', c: '1', d: '2' } },
      { targets: ['127.0.0.1:14'], labels: { a: 'x', b: 'y', c: '1', d: '1' } },
      { targets: ['127.0.0.1:15'], labels: { a: 'z', b: 'z', c: '3', d: '3' } },
    ],
    relabel: [
      { source_labels: ['a'], target_label: 'b', action: 'keepequal' },
      { source_labels: ['c'], target_label: 'd', action: 'dropequal' },
    ],
  },
  {
    job: 'hashmod',
    groups: [
      { targets: ['127.0.0.1:16', '127.0.0.1:17', '127.0.0.1:18', '127.0.0.1:19', '127.0.0.1:20', 'host-a:80'] },
    ],
    relabel: [
      { source_labels: ['__address__'], modulus: 4, target_label: '__tmp_hash', action: 'hashmod' },
      { source_labels: ['__tmp_hash'], target_label: 'shard' },
      { source_labels: ['__address__', 'job'], modulus: 1000003, target_label: 'bighash', action: 'hashmod' },
      { source_labels: ['__tmp_hash'], regex: '3', action: 'drop' },
    ],
  },
  {
    job: 'labelmap',
    groups: [
      {
        targets: ['127.0.0.1:21'],
        labels: { __meta_custom_zone: 'z1', __meta_custom_rack: 'r7', team: 'core', owner: 'ops' },
      },
    ],
    relabel: [
      { regex: '__meta_custom_(.+)', action: 'labelmap' },
      { regex: '(team|owner)', replacement: 'k8s_$1', action: 'labelmap' },
      { regex: '__meta_(url)', replacement: 'sd_${1}', action: 'labelmap' },
    ],
  },
  {
    job: 'labeldrop_labelkeep',
    groups: [{ targets: ['127.0.0.1:22'], labels: { tmp_a: '1', tmp_b: '2', keepme: 'k', other: 'o' } }],
    relabel: [
      { regex: 'tmp_.*', action: 'labeldrop' },
      { regex: '__.*|job|keepme|instance', action: 'labelkeep' },
    ],
  },
  {
    job: 'labelkeep_removes_address',
    groups: [
      { targets: ['127.0.0.1:23'], labels: { a: '1' } },
      { targets: ['127.0.0.1:24'], labels: { a: '2', b: 'x' } },
    ],
    relabel: [
      { source_labels: ['b'], regex: 'x', target_label: '__tmp_keep', replacement: 'yes' },
      { source_labels: ['__tmp_keep'], regex: '', action: 'drop' },
      { regex: 'job|a', action: 'labelkeep' },
    ],
  },
  {
    job: 'case',
    groups: [{ targets: ['127.0.0.1:25'], labels: { Name: 'MiXeD-Case', other: 'abc' } }],
    relabel: [
      { source_labels: ['Name'], target_label: 'lower', action: 'lowercase' },
      { source_labels: ['other', 'Name'], target_label: 'upper', action: 'uppercase' },
    ],
  },
  {
    job: 'separator',
    groups: [
      { targets: ['127.0.0.1:26'], labels: { a: 'x', b: 'y' } },
      { targets: ['127.0.0.1:27'], labels: { b: 'y' } },
    ],
    relabel: [
      { source_labels: ['a', 'b'], target_label: 'default_sep' },
      { source_labels: ['a', 'b'], separator: '-', target_label: 'dash' },
      { source_labels: ['a', 'missing', 'b'], separator: '', target_label: 'nosep' },
      { source_labels: ['a', 'b'], regex: 'x;(.*)', target_label: 'second' },
    ],
  },
  {
    job: 'scrape_defaults',
    extra: {
      scheme: 'https',
      metrics_path: '/probe',
      params: { module: ['http_2xx', 'other'], 'q s': ['a b&c'] },
      scrape_interval: '90s',
      scrape_timeout: '7s',
    },
    groups: [
      { targets: ['localhost', '127.0.0.1:28'] },
      {
        targets: ['127.0.0.1:29'],
        labels: { __scheme__: 'http', __metrics_path__: '/other', instance: 'given', __param_module: 'from_sd' },
      },
      { targets: ['[::1]'], labels: { __scrape_interval__: '2m', __scrape_timeout__: '1m' } },
    ],
  },
  {
    job: 'blackbox_style',
    groups: [{ targets: ['https://example.org/health', 'http://example.com'] }],
    extra: { metrics_path: '/probe', params: { module: ['http_2xx'] } },
    relabel: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: '127.0.0.1:30' },
    ],
  },
  {
    job: 'duplicates_and_failures',
    groups: [
      { targets: ['127.0.0.1:31', '127.0.0.1:31'], labels: { g: '1' } },
      { targets: ['127.0.0.1:31'], labels: { g: '1' } },
      { targets: ['127.0.0.1:32'], labels: { g: '2', bad: 'slash' } },
      { targets: ['127.0.0.1:33'], labels: { g: '3', interval: '0s' } },
      { targets: ['127.0.0.1:34'], labels: { g: '4', interval: '30s', timeout: '5s' } },
      { targets: ['127.0.0.1:35'], labels: { g: '5', empty: '' } },
    ],
    relabel: [
      { source_labels: ['bad'], regex: 'slash', target_label: '__address__', replacement: '127.0.0.1:32/x' },
      { source_labels: ['interval'], regex: '(.+)', target_label: '__scrape_interval__' },
      { source_labels: ['timeout'], regex: '(.+)', target_label: '__scrape_timeout__' },
    ],
  },
  {
    job: 'meta_and_tmp',
    groups: [{ targets: ['127.0.0.1:36'], labels: { __meta_x: 'm', __tmp_y: 't', __hidden: 'h' } }],
    relabel: [
      { source_labels: ['__meta_x', '__tmp_y'], target_label: 'joined' },
      { source_labels: ['__meta_url'], regex: 'http://127\\.0\\.0\\.1:\\d+/sd/(.*)', target_label: 'from_url' },
    ],
  },
];

interface ApiActive {
  readonly discoveredLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly scrapePool: string;
  readonly scrapeUrl: string;
}
interface ApiDropped {
  readonly discoveredLabels: Record<string, string>;
}
interface ApiTargets {
  readonly data: { readonly activeTargets: ApiActive[]; readonly droppedTargets: ApiDropped[] };
}

interface ComparableActive {
  readonly discoveredLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly scrapeUrl: string;
  /** Ours only: the relabel output (before `__meta_*` removal), to recognise 2.42's corrupted discoveredLabels. */
  readonly relabeled?: Record<string, string>;
}
interface Comparable {
  readonly active: ComparableActive[];
  readonly dropped: { discoveredLabels: Record<string, string> }[];
}

function sortRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

function sortBy<T>(xs: T[], key: (x: T) => string): T[] {
  return xs
    .map((x) => [key(x), x] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, x]) => x);
}

function normalize(c: Comparable): Comparable {
  return {
    active: sortBy(
      c.active.map((t) => ({
        discoveredLabels: sortRecord(t.discoveredLabels),
        labels: sortRecord(t.labels),
        scrapeUrl: t.scrapeUrl,
        ...(t.relabeled === undefined ? {} : { relabeled: sortRecord(t.relabeled) }),
      })),
      (t) => JSON.stringify([t.labels, t.scrapeUrl, t.discoveredLabels]),
    ),
    dropped: sortBy(
      c.dropped.map((t) => ({ discoveredLabels: sortRecord(t.discoveredLabels) })),
      (t) => JSON.stringify(t),
    ),
  };
}

function fromApi(api: ApiTargets, job: string): Comparable {
  return normalize({
    active: api.data.activeTargets.filter((t) => t.scrapePool === job),
    dropped: api.data.droppedTargets.filter((t) => t.discoveredLabels['job'] === job),
  });
}

function fromOurs(r: TargetsResult, cfg: ScrapeTargetConfig): Comparable {
  return normalize({
    active: r.active.map((t) => ({
      discoveredLabels: { ...t.discoveredLabels },
      labels: { ...t.labels },
      scrapeUrl: t.scrapeUrl,
      relabeled: Object.fromEntries(relabel(new Map(Object.entries(t.discoveredLabels)), cfg.relabelConfigs) ?? []),
    })),
    dropped: r.dropped.map((t) => ({ discoveredLabels: { ...t.discoveredLabels } })),
  });
}

describe('relabel parity with Prometheus 2.42', () => {
  const dir = tempDir('switchyard-parity-');
  let server: http.Server | undefined;
  let prom: Daemon | undefined;
  let promUrl = '';
  const ours = new Map<string, Comparable>();
  /** The same jobs through the `prometheus` receiver's own config reader: final labels and URL. */
  const receiverSide = new Map<string, { labels: Record<string, string>; scrapeUrl: string }[]>();
  let api: ApiTargets | undefined;

  before(async () => {
    const promtool = requireBinary('/usr/bin/promtool', 'prometheus');
    const sdPort = await freePort();
    server = http.createServer((req, res) => {
      const job = (req.url ?? '').replace(/^\/sd\//, '');
      const c = CASES.find((x) => x.job === job);
      res.writeHead(c === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(c?.groups ?? []));
    });
    await new Promise<void>((resolve) => server?.listen(sdPort, '127.0.0.1', resolve));

    const global = { scrape_interval: '30s', evaluation_interval: '30s' };
    const jobs = CASES.map((c) => ({
      job_name: c.job,
      ...(c.extra ?? {}),
      http_sd_configs: [{ url: `http://127.0.0.1:${sdPort}/sd/${c.job}`, refresh_interval: '1s' }],
      ...(c.relabel === undefined ? {} : { relabel_configs: c.relabel }),
    }));
    const configFile = join(dir.path, 'prometheus.yml');
    const configText = stringify({ global, scrape_configs: jobs });
    writeFileSync(configFile, configText);
    const check = spawnSync(promtool, ['check', 'config', configFile], { encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool check config failed:\n${check.stdout}\n${check.stderr}`);

    for (const job of jobs) {
      const { config, problems } = parseScrapeTargetConfig(job, { scrapeIntervalMs: 30_000, scrapeTimeoutMs: 10_000 });
      assert.deepEqual(problems, [], `config problems for ${job.job_name}`);
      assert.ok(config !== undefined);
      const sd = job.http_sd_configs[0];
      assert.ok(sd !== undefined);
      const groups = await new HttpDiscoverer({ url: sd.url, refreshIntervalMs: 1000 }).fetchGroups();
      ours.set(job.job_name, fromOurs(computeTargets(groups, config), config));
      const rx = resolvePrometheusConfig({
        config: { global: { scrape_interval: global.scrape_interval }, scrape_configs: [job] },
      } as PrometheusReceiverConfig);
      const sc = rx.scrapeConfigs[0];
      assert.ok(sc !== undefined);
      receiverSide.set(
        job.job_name,
        targetsFromGroups(sc, groups).targets.map((t) => ({
          labels: Object.fromEntries(t.labels),
          scrapeUrl: t.url.href,
        })),
      );
    }

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = await startPrometheus(dir.path, port, [`--storage.tsdb.path=${join(dir.path, 'data')}`], configText);
    // Discovery reaches the scrape manager after its ~5 s update throttle: poll until every job shows as many
    // targets (active + dropped) as we expect, then once more so a late update cannot be half-seen.
    const deadline = Date.now() + 45_000;
    for (;;) {
      const res = await fetch(`${promUrl}/api/v1/targets?state=any`);
      const body = (await res.json()) as ApiTargets;
      const complete = CASES.every((c) => {
        const want = ours.get(c.job);
        const got = fromApi(body, c.job);
        return (
          want !== undefined && got.active.length === want.active.length && got.dropped.length === want.dropped.length
        );
      });
      if (complete) {
        api = body;
        break;
      }
      if (Date.now() > deadline) {
        api = body;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  after(async () => {
    try {
      await prom?.stop();
    } finally {
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
      dir.remove();
    }
  });

  const exactDiscovered = new Set<string>();
  const corrupted242 = new Set<string>();

  for (const c of CASES) {
    it(`${c.job}: labels and discoveredLabels of active and dropped targets match`, (t) => {
      assert.ok(api !== undefined, 'no /api/v1/targets answer');
      const want = ours.get(c.job);
      assert.ok(want !== undefined);
      const got = fromApi(api, c.job);
      assert.deepEqual(got.dropped, want.dropped, 'dropped targets');
      const finals = (x: Comparable): { labels: Record<string, string>; scrapeUrl: string }[] =>
        sortBy(
          x.active.map((a) => ({ labels: a.labels, scrapeUrl: a.scrapeUrl })),
          (a) => JSON.stringify(a),
        );
      assert.deepEqual(finals(got), finals(want), 'active targets: labels and scrapeUrl');
      // The receiver holds a WHATWG URL, which leaves out a scheme's default port (https://x:443/).
      const asUrl = (xs: { labels: Record<string, string>; scrapeUrl: string }[]) =>
        sortBy(
          xs.map((x) => ({ labels: x.labels, scrapeUrl: new URL(x.scrapeUrl).href })),
          (a) => JSON.stringify(a),
        );
      assert.deepEqual(
        asUrl(receiverSide.get(c.job) ?? []),
        asUrl(finals(got)),
        "active targets through the prometheus receiver's config reader",
      );
      let exact = true;
      for (const g of got.active) {
        const key = JSON.stringify([g.labels, g.scrapeUrl]);
        const w: ComparableActive | undefined = want.active.find(
          (a) => JSON.stringify([a.labels, a.scrapeUrl]) === key,
        );
        assert.ok(w !== undefined, `no target of ours for ${key}`);
        if (JSON.stringify(g.discoveredLabels) === JSON.stringify(w.discoveredLabels)) continue;
        exact = false;
        // Prometheus 2.42's corrupted discoveredLabels (see the header): same size, every label ours or relabel output's.
        const relabeled = w.relabeled ?? {};
        assert.equal(
          Object.keys(g.discoveredLabels).length,
          Object.keys(w.discoveredLabels).length,
          `discoveredLabels of ${key}`,
        );
        for (const [k, v] of Object.entries(g.discoveredLabels)) {
          assert.ok(
            w.discoveredLabels[k] === v || relabeled[k] === v,
            `discoveredLabels of ${key}: ${k}=${JSON.stringify(v)} is neither discovered nor relabeled`,
          );
        }
      }
      if (exact) exactDiscovered.add(c.job);
      else {
        corrupted242.add(c.job);
        t.diagnostic(`${c.job}: Prometheus 2.42 reported relabel-corrupted discoveredLabels for an active target`);
      }
    });
  }

  it('every case has at least one active or dropped target, and the relabel actions are all covered', (t) => {
    t.diagnostic(`discoveredLabels exact: ${[...exactDiscovered].join(', ')}`);
    t.diagnostic(`2.42 corrupted discoveredLabels: ${[...corrupted242].join(', ') || 'none'}`);
    assert.ok(exactDiscovered.size >= CASES.length / 2, 'most cases must match discoveredLabels exactly');
    const actions = new Set(
      CASES.flatMap((c) => (c.relabel ?? []).map((r) => String(r['action'] ?? 'replace').toLowerCase())),
    );
    for (const a of [
      'replace',
      'keep',
      'drop',
      'keepequal',
      'dropequal',
      'hashmod',
      'labelmap',
      'labeldrop',
      'labelkeep',
      'lowercase',
      'uppercase',
    ]) {
      assert.ok(actions.has(a), `no case for ${a}`);
    }
    for (const c of CASES) {
      const want = ours.get(c.job);
      assert.ok(want !== undefined && want.active.length + want.dropped.length > 0, `${c.job} has no targets`);
    }
  });
});

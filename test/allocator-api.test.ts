// The allocator's HTTP API in process: upstream wire shapes, Go QueryEscape job names, ETags,
// readiness, secrets, and the CLI's exit code on a bad config.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseAllocatorConfig } from '../src/allocator/config.js';
import { redactSecrets } from '../src/allocator/scrapeconfigs.js';
import { type RunningAllocator, startAllocator } from '../src/allocator/service.js';
import { ConfigError } from '../src/config/resolved.js';
import { queryEscape, queryUnescape } from '../src/prometheus/queryescape.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { BIN } from './allocator-support.js';
import { freePort, poll, tempDir } from './helpers.js';

const dir = tempDir('switchyard-allocator-api-');
after(() => dir.remove());

async function start(yaml: string): Promise<{ a: RunningAllocator; base: string }> {
  const port = await freePort();
  const cfg = parseAllocatorConfig(yaml, join(dir.path, 'a.yaml'), { listenAddress: `127.0.0.1:${port}` });
  const a = await startAllocator(cfg, silentLogger());
  return { a, base: `http://127.0.0.1:${port}` };
}

const JOB = 'serviceMonitor/default/my app/0';
const CONFIG = `collectors:
  static: [c1, c2]
  grace_period: 0
debounce: 10ms
config:
  scrape_configs:
    - job_name: "${JOB}"
      scrape_interval: 15s
      basic_auth: {username: admin, password: s3cret-pw}
      authorization: {credentials: tok-123}
      static_configs:
        - targets: ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80']
          labels: {team: a}
        - targets: ['10.0.0.5:80']
      relabel_configs:
        - {source_labels: [__address__], regex: '10.0.0.5:80', action: drop}
    - job_name: empty
      static_configs: []
`;

describe('Go url.QueryEscape', () => {
  it('escapes like Go and unescapes + as a space', () => {
    assert.equal(queryEscape("a b/c!'()*~._-"), 'a+b%2Fc%21%27%28%29%2A~._-');
    assert.equal(queryUnescape('a+b%2Fc'), 'a b/c');
    assert.equal(queryUnescape('%E2%82%AC'), '€');
    assert.equal(queryUnescape('bad%2'), undefined);
    assert.equal(queryUnescape('bad%zz'), undefined);
  });
});

describe('/scrape_configs redaction', () => {
  it('redacts every Prometheus Secret field: proxy_connect_header values and proxy_url passwords too', () => {
    const cfg = {
      job_name: 'j',
      proxy_url: 'http://user:proxy-pw@proxy:3128',
      proxy_connect_header: { 'Proxy-Authorization': ['Basic cHJveHk='], X: ['a', 'b'] },
      oauth2: {
        client_id: 'id',
        client_secret: 'cs',
        proxy_url: 'http://proxy:3128',
        proxy_connect_header: { Y: ['y-secret'] },
      },
      http_headers: { 'X-Token': { values: ['public'], secrets: ['hdr-secret'] } },
    };
    const text = JSON.stringify(redactSecrets(cfg));
    for (const secret of ['cHJveHk=', '"a"', '"b"', 'y-secret', 'proxy-pw', 'hdr-secret', '"cs"'])
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    const r = redactSecrets(cfg) as Record<string, unknown>;
    assert.deepEqual(r.proxy_connect_header, { 'Proxy-Authorization': ['<secret>'], X: ['<secret>', '<secret>'] });
    assert.equal(r.proxy_url, 'http://user:xxxxx@proxy:3128', "Go's url.Redacted()");
    assert.deepEqual((r.http_headers as Record<string, unknown>)['X-Token'], {
      values: ['public'],
      secrets: ['<secret>'],
    });
    assert.equal((r.oauth2 as Record<string, unknown>).proxy_url, 'http://proxy:3128');
  });
});

describe('allocator API', () => {
  it('serves the upstream shapes, escapes job names, and answers If-None-Match with 304', async () => {
    const { a, base } = await start(CONFIG);
    try {
      await poll('ready', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 5000);
      const jobs = (await (await fetch(`${base}/jobs`)).json()) as Record<string, { _link: string }>;
      // `empty` has no targets: absent from /jobs (built from targets), present in /scrape_configs.
      assert.deepEqual(jobs, { [JOB]: { _link: '/jobs/serviceMonitor%2Fdefault%2Fmy+app%2F0/targets' } });

      const all = (await (await fetch(`${base}${jobs[JOB]?._link}`)).json()) as Record<
        string,
        { _link: string; targets: { targets: string[]; labels: Record<string, string> }[] }
      >;
      assert.deepEqual(Object.keys(all).sort(), ['c1', 'c2']);
      const union = [...(all.c1?.targets ?? []), ...(all.c2?.targets ?? [])].flatMap((g) => g.targets).sort();
      assert.deepEqual(
        union,
        ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'],
        'relabel drop filters 10.0.0.5',
      );
      const one = all.c1?.targets[0] ?? all.c2?.targets[0];
      // Pre-relabel labels only: no job/__scheme__/__metrics_path__ seeded; keys sorted.
      assert.deepEqual(one?.labels, { __address__: one?.targets[0], team: 'a' });

      // Escaped with %2F and +, or with %20: the same job.
      for (const path of ['serviceMonitor%2Fdefault%2Fmy+app%2F0', 'serviceMonitor%2Fdefault%2Fmy%20app%2F0']) {
        const res = await fetch(`${base}/jobs/${path}/targets?collector_id=c1`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        const body = (await res.json()) as { targets: string[] }[];
        assert.deepEqual(
          body.flatMap((g) => g.targets),
          (all.c1?.targets ?? []).flatMap((g) => g.targets),
        );
      }
      // Unknown job or collector: [] with 200, as upstream.
      for (const q of ['/jobs/nope/targets?collector_id=c1', `/jobs/${queryEscape(JOB)}/targets?collector_id=zz`]) {
        const res = await fetch(base + q);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), '[]');
      }
      assert.equal((await fetch(`${base}/jobs/bad%zz/targets?collector_id=c1`)).status, 400);
      assert.equal((await fetch(`${base}/jobs`, { method: 'POST' })).status, 405);

      // ETag: same bytes, same tag; If-None-Match -> 304 with no body.
      const url = `${base}/jobs/${queryEscape(JOB)}/targets?collector_id=c2`;
      const first = await fetch(url);
      const etag = first.headers.get('etag') ?? '';
      assert.match(etag, /^"[\w-]+"$/);
      await first.arrayBuffer();
      const again = await fetch(url, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), '');
      // A tag weakened by a proxy (W/"...") still matches: If-None-Match compares weakly.
      const weak = await fetch(url, { headers: { 'If-None-Match': `"x", W/${etag}` } });
      assert.equal(weak.status, 304);
      await weak.arrayBuffer();
      const other = await fetch(url, { headers: { 'If-None-Match': '"something-else"' } });
      assert.equal(other.status, 200);
      await other.arrayBuffer();

      // Secrets are redacted for an unauthenticated client.
      const sc = (await (await fetch(`${base}/scrape_configs`)).json()) as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(sc).sort(), ['empty', JOB].sort());
      assert.deepEqual(sc[JOB]?.basic_auth, { username: 'admin', password: '<secret>' });
      assert.deepEqual(sc[JOB]?.authorization, { credentials: '<secret>' });
      assert.equal(sc[JOB]?.static_configs, undefined, 'service discovery stays with the allocator');
      assert.equal(sc.empty?.scrape_interval, '1m', 'effective interval from the global default');
      assert.equal(sc.empty?.scrape_timeout, '10s');

      // The JSON of one collector, every job.
      const mine = (await (await fetch(`${base}/collectors/c1/targets`)).json()) as Record<string, unknown[]>;
      assert.equal(mine[JOB]?.length, all.c1?.targets.length);
      assert.equal((await fetch(`${base}/collectors/zz/targets`)).status, 404);

      const livez = await fetch(`${base}/livez`);
      assert.equal(livez.status, 200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /^switchyard_allocator_targets\{collector_id="c1"\} \d+$/m);
      assert.match(
        metrics,
        /^switchyard_allocator_filtered_targets\{job="serviceMonitor\/default\/my app\/0",reason="relabel"\} 1$/m,
      );
      assert.match(metrics, /^switchyard_allocator_allocation_duration_seconds_count \d+$/m);
    } finally {
      await a.stop();
    }
  });

  it('stays open without an auth block: an Authorization header is not refused and gets no secrets', async () => {
    const { a, base } = await start(CONFIG);
    try {
      await poll('ready', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 5000);
      const headers = { Authorization: 'Bearer whatever-the-client-had' };
      const res = await fetch(`${base}/jobs/${queryEscape(JOB)}/targets?collector_id=c1`, { headers });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const sc = await fetch(`${base}/scrape_configs`, { headers: { Authorization: 'Basic YTpi' } });
      assert.equal(sc.status, 200);
      const body = (await sc.json()) as Record<string, Record<string, unknown>>;
      assert.deepEqual(body[JOB]?.basic_auth, { username: 'admin', password: '<secret>' });
    } finally {
      await a.stop();
    }
  });

  it('completes a hand-over only when the new owner GETs its targets, not on HEAD', async () => {
    const { a, base } = await start(CONFIG);
    try {
      await poll('ready', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 5000);
      a.state.setMembers([{ id: 'c1' }, { id: 'c2' }, { id: 'c3' }]);
      a.state.allocateNow();
      const moved = [...a.state.owners().values()].filter((c) => c === 'c3').length;
      assert.ok(moved > 0, 'c3 took some targets');
      const served = async (): Promise<number> => {
        const all = (await (await fetch(`${base}/jobs/${queryEscape(JOB)}/targets`)).json()) as Record<
          string,
          { targets: unknown[] }
        >;
        return Object.values(all).reduce((n, c) => n + c.targets.length, 0);
      };
      assert.equal(await served(), 4 + moved, 'the old owners keep what moved');
      const url = `${base}/jobs/${queryEscape(JOB)}/targets?collector_id=c3`;
      const head = await fetch(url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await served(), 4 + moved, 'a HEAD delivered nothing: the hand-over goes on');
      await (await fetch(url)).arrayBuffer();
      assert.equal(await served(), 4, 'c3 fetched: the overlap ends');
    } finally {
      await a.stop();
    }
  });

  it('serves secrets over plain HTTP only with allow_insecure_auth_secrets', async () => {
    const { a, base } = await start(`allow_insecure_auth_secrets: true\n${CONFIG}`);
    try {
      const sc = (await (await fetch(`${base}/scrape_configs`)).json()) as Record<string, Record<string, unknown>>;
      assert.deepEqual(sc[JOB]?.basic_auth, { username: 'admin', password: 's3cret-pw' });
    } finally {
      await a.stop();
    }
  });

  it('answers /readyz 503 until the first discovery is in', async () => {
    // An http_sd endpoint that holds its first answer until released.
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const sd = http.createServer((_req, res) => {
      void held.then(() => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('[{"targets":["10.1.0.1:80"],"labels":{}}]');
      });
    });
    await new Promise<void>((r) => sd.listen(0, '127.0.0.1', r));
    const sdPort = (sd.address() as AddressInfo).port;
    const port = await freePort();
    const cfg = parseAllocatorConfig(
      `collectors: {static: [c1]}
debounce: 10ms
config:
  scrape_configs:
    - job_name: sd
      http_sd_configs: [{url: 'http://127.0.0.1:${sdPort}/sd'}]
`,
      join(dir.path, 'b.yaml'),
      { listenAddress: `127.0.0.1:${port}` },
    );
    const starting = startAllocator(cfg, silentLogger());
    try {
      const base = `http://127.0.0.1:${port}`;
      await poll(
        'the API answers',
        async () => ((await fetch(`${base}/livez`)).status === 200 ? true : undefined),
        5000,
      );
      assert.equal((await fetch(`${base}/readyz`)).status, 503);
      release();
      await poll('ready', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 5000);
      const body = (await (await fetch(`${base}/jobs/sd/targets?collector_id=c1`)).json()) as { targets: string[] }[];
      assert.deepEqual(
        body.flatMap((g) => g.targets),
        ['10.1.0.1:80'],
      );
    } finally {
      release();
      await (await starting).stop();
      sd.closeAllConnections();
      sd.close();
    }
  });
});

describe('allocator config errors', () => {
  const issues = (yaml: string): string[] => {
    try {
      parseAllocatorConfig(yaml, 'ta.yaml');
    } catch (err) {
      if (err instanceof ConfigError) return err.message.split('\n');
      throw err;
    }
    return [];
  };

  it('names the file, line, column and path of each problem', () => {
    const got = issues(`allocation_strategy: round-robin
collectors:
  static: [a, a]
config:
  scrape_configs:
    - job_name: x
      relabel_configs:
        - {regex: '(', action: drop, source_labels: [a]}
    - job_name: x
      scheme: ftp
    - job_name: y
      http_sd_configs: [{url: 'ftp://nope'}]
listen_adr: 1.2.3.4:5
`);
    const text = got.join('\n');
    assert.match(text, /^ta\.yaml:1:\d+: allocation_strategy: .*weighted-rendezvous/m);
    assert.match(text, /^ta\.yaml:13:1: listen_adr: .*unknown.*listen_addr/im);
  });

  it('refuses a collector id listed twice', () => {
    const text = issues('collectors:\n  static: [a, b, a]\nconfig: {scrape_configs: []}\n').join('\n');
    assert.match(text, /^ta\.yaml:2:\d+: collectors\.static\[2\]: collector id "a" is listed twice \(also at \[0\]\)/m);
  });

  it('checks scrape configs and discovery after the shape', () => {
    const text = issues(`collectors:
  static: [a]
config:
  scrape_configs:
    - job_name: x
      relabel_configs:
        - {regex: '(', action: drop, source_labels: [a]}
    - job_name: x
    - job_name: z
      scheme: ftp
    - job_name: y
      http_sd_configs: [{url: 'ftp://nope'}]
`).join('\n');
    assert.match(text, /^ta\.yaml:7:\d+: config\.scrape_configs\[0\]\.relabel_configs\[0\]: /m);
    assert.match(text, /^ta\.yaml:8:\d+: config\.scrape_configs\[1\]\.job_name: job name "x" is also used/m);
    assert.match(text, /^ta\.yaml:10:\d+: config\.scrape_configs\[2\]\.scheme: unknown scheme "ftp"/m);
    assert.match(text, /^ta\.yaml:12:\d+: config\.scrape_configs\[3\]\.http_sd_configs\[0\]\.url: /m);
  });

  it("accepts upstream's prometheus_cr block only when disabled", () => {
    const base = 'collectors: {static: [a]}\nconfig: {scrape_configs: []}\n';
    assert.deepEqual(issues(`${base}prometheus_cr: {enabled: false, scrape_interval: 30s}\n`), []);
    assert.match(
      issues(`${base}prometheus_cr:\n  enabled: true\n`).join('\n'),
      /^ta\.yaml:4:\d+: prometheus_cr\.enabled: the Prometheus-CR watcher .* is not supported/m,
    );
  });

  it('reads the documented defaults: kube_config_file_path "" is in-cluster, not a file', () => {
    const cfg = parseAllocatorConfig(
      'kube_config_file_path: ""\ncollectors: {kubernetes: {namespace: obs, statefulset: c}}\nconfig: {scrape_configs: []}\n',
      join(dir.path, 'k.yaml'),
    );
    assert.equal(cfg.membership.kind, 'kubernetes');
    assert.equal(cfg.membership.kind === 'kubernetes' ? cfg.membership.kubeconfigFile : 'static', undefined);
  });

  it('needs a membership', () => {
    assert.match(issues('config: {scrape_configs: []}\ncollectors: {}\n').join('\n'), /collectors: needs static/);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const file = join(dir.path, 'good.yaml');
    const port = await freePort();
    writeFileSync(
      file,
      "collectors: {static: [a]}\nconfig: {scrape_configs: [{job_name: x, static_configs: [{targets: ['127.0.0.1:1']}]}]}\n",
    );
    const child = spawn(
      process.execPath,
      [BIN, 'allocator', '--config', file, '--listen-address', `127.0.0.1:${port}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await poll(
        'ready',
        async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined),
        15_000,
      );
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /"msg":"shutdown complete"/);
  });

  it('exits 78 from the CLI on a bad config, with the position on stderr', () => {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(file, 'collectors: {static: [a]}\nconfig: {scrape_configs: []}\nfilter_strategy: [1]\n');
    const r = spawnSync(process.execPath, [BIN, 'allocator', '--config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:\\d+: filter_strategy: `));
  });
});

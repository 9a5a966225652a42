// Authentication on the allocator: bearer tokens and mTLS client certificates (made with the openssl
// CLI), each collector reading only its own collector_id, secrets only for authenticated clients and
// never in the logs. Clients: Node's https, Debian's prometheus (mTLS http_sd) and our own collector
// (target_allocator block with a bearer token over TLS).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { parseAllocatorConfig } from '../src/allocator/config.js';
import { type RunningAllocator, startAllocator } from '../src/allocator/service.js';
import { queryEscape } from '../src/prometheus/queryescape.js';
import { createLogger } from '../src/telemetry/logger.js';
import { getJson, startTargets, type TargetFarm } from './allocator-support.js';
import { freePort, type InProcessCollector, poll, startCollector, tempDir } from './helpers.js';
import { type Daemon, startPrometheus } from './peers.js';

const JOB = 'secured/job';
const PASSWORD = 'pw-7f3a9c-do-not-leak';
const CREDENTIAL = 'cred-1b2e8d-do-not-leak';
const TOKENS = { c1: 'token-for-c1-91d2', ops: 'token-for-ops-55ab' } as const;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1, and client certificates with CN = each name. */
function makeCerts(dir: string, clients: readonly string[]): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
  ]);
  const sign = (name: string, ext: string | undefined): void => {
    openssl(dir, [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]);
    const args = [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
    ];
    if (ext !== undefined) {
      writeFileSync(join(dir, `${name}.ext`), ext);
      args.push('-extfile', `${name}.ext`);
    }
    openssl(dir, args);
  };
  sign('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  for (const c of clients) sign(c, 'extendedKeyUsage=clientAuth\n');
}

interface Answer {
  status: number;
  body: string;
}

function get(url: string, opts: { token?: string; cert?: string; dir: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request(
      u,
      {
        ca: readFileSync(join(opts.dir, 'ca.pem')),
        ...(opts.cert === undefined
          ? {}
          : {
              cert: readFileSync(join(opts.dir, `${opts.cert}.pem`)),
              key: readFileSync(join(opts.dir, `${opts.cert}.key`)),
            }),
        headers: opts.token === undefined ? {} : { Authorization: `Bearer ${opts.token}` },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('allocator authentication', { timeout: 60_000 }, () => {
  const dir = tempDir('switchyard-allocator-auth-');
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (d: Buffer) => {
    logText += d.toString();
  });
  let farm: TargetFarm;
  let allocator: RunningAllocator;
  let plain = '';
  let secure = '';

  before(async () => {
    makeCerts(dir.path, ['c2', 'c3', 'stranger']);
    farm = await startTargets(9);
    const [port, tlsPort] = [await freePort(), await freePort()];
    plain = `http://127.0.0.1:${port}`;
    secure = `https://127.0.0.1:${tlsPort}`;
    writeFileSync(join(dir.path, 'ops.token'), `${TOKENS.ops}\n`);
    const cfg = parseAllocatorConfig(
      `listen_addr: 127.0.0.1:${port}
https:
  enabled: true
  listen_addr: 127.0.0.1:${tlsPort}
  ca_file_path: ca.pem
  tls_cert_file_path: server.pem
  tls_key_file_path: server.key
auth:
  bearer_tokens:
    - {id: c1, token: ${TOKENS.c1}}
    - {id: ops, token_file: ops.token}
  admins: [ops]
collectors:
  static: [c1, c2, c3]
  grace_period: 0
debounce: 10ms
config:
  scrape_configs:
    - job_name: ${JOB}
      scrape_interval: 1s
      scrape_timeout: 1s
      params: {collector: ['$(SHARD)']}
      basic_auth: {username: u, password: ${PASSWORD}}
      static_configs:
        - targets: [${farm.addresses.map((a) => `'${a}'`).join(', ')}]
    - job_name: other
      authorization: {credentials: ${CREDENTIAL}}
      static_configs: [{targets: ['127.0.0.1:1']}]
`,
      join(dir.path, 'allocator.yaml'),
    );
    allocator = await startAllocator(cfg, createLogger({ level: 'debug', destination: logs }));
    await poll('ready', async () => ((await fetch(`${plain}/readyz`)).status === 200 ? true : undefined), 5000);
  });

  after(async () => {
    await allocator?.stop();
    await farm?.close();
    dir.remove();
  });

  const share = async (id: string): Promise<string[]> => {
    const all = (await getJson(`${plain}/jobs/${queryEscape(JOB)}/targets`, {
      Authorization: `Bearer ${TOKENS.ops}`,
    })) as Record<string, { targets: { targets: string[] }[] }>;
    return (all[id]?.targets ?? []).flatMap((g) => g.targets).sort();
  };

  it('refuses anonymous and unknown clients, leaves probes open', async () => {
    assert.equal((await fetch(`${plain}/livez`)).status, 200);
    assert.equal((await fetch(`${plain}/readyz`)).status, 200);
    for (const path of [
      '/scrape_configs',
      '/jobs',
      `/jobs/${queryEscape(JOB)}/targets?collector_id=c1`,
      '/',
      '/metrics',
    ]) {
      const res = await fetch(plain + path);
      assert.equal(res.status, 401, path);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
    const wrong = await fetch(`${plain}/jobs`, { headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.equal((await get(`${secure}/jobs`, { dir: dir.path })).status, 401, 'TLS without a client certificate');
  });

  it('lets a bearer token read only its own collector_id, and gives it the secrets', async () => {
    const auth = { Authorization: `Bearer ${TOKENS.c1}` };
    const own = await fetch(`${plain}/jobs/${queryEscape(JOB)}/targets?collector_id=c1`, { headers: auth });
    assert.equal(own.status, 200);
    const got = ((await own.json()) as { targets: string[] }[]).flatMap((g) => g.targets).sort();
    assert.deepEqual(got, await share('c1'));
    const other = await fetch(`${plain}/jobs/${queryEscape(JOB)}/targets?collector_id=c2`, { headers: auth });
    assert.equal(other.status, 403);
    assert.equal((await fetch(`${plain}/collectors/c2/targets`, { headers: auth })).status, 403);
    assert.equal(
      (await fetch(`${plain}/jobs/${queryEscape(JOB)}/targets`, { headers: auth })).status,
      403,
      'all collectors: admins only',
    );
    assert.equal((await fetch(`${plain}/`, { headers: auth })).status, 403);
    const sc = (await (await fetch(`${plain}/scrape_configs`, { headers: auth })).json()) as Record<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(sc[JOB]?.basic_auth, { username: 'u', password: PASSWORD });
    assert.deepEqual(sc.other?.authorization, { credentials: CREDENTIAL });
    // The admin reads everything.
    const ops = { Authorization: `Bearer ${TOKENS.ops}` };
    assert.equal(
      (await fetch(`${plain}/jobs/${queryEscape(JOB)}/targets?collector_id=c2`, { headers: ops })).status,
      200,
    );
    assert.equal((await fetch(`${plain}/`, { headers: ops })).status, 200);
  });

  it('identifies an mTLS client by its certificate CN', async () => {
    const own = await get(`${secure}/jobs/${queryEscape(JOB)}/targets?collector_id=c2`, { dir: dir.path, cert: 'c2' });
    assert.equal(own.status, 200);
    assert.deepEqual(
      (JSON.parse(own.body) as { targets: string[] }[]).flatMap((g) => g.targets).sort(),
      await share('c2'),
    );
    assert.equal(
      (await get(`${secure}/jobs/${queryEscape(JOB)}/targets?collector_id=c3`, { dir: dir.path, cert: 'c2' })).status,
      403,
    );
    const sc = JSON.parse((await get(`${secure}/scrape_configs`, { dir: dir.path, cert: 'stranger' })).body) as Record<
      string,
      Record<string, { password?: string }>
    >;
    assert.equal(sc[JOB]?.basic_auth?.password, PASSWORD, 'any authenticated client gets the secrets');
  });

  it('serves prometheus (mTLS http_sd) and our collector (bearer token over TLS) their own shares', async () => {
    const promPort = await freePort();
    let prometheus: Daemon | undefined;
    let collector: InProcessCollector | undefined;
    const since = Date.now();
    const previousShard = process.env.SHARD;
    try {
      prometheus = await startPrometheus(
        dir.path,
        promPort,
        [`--storage.tsdb.path=${dir.path}/tsdb`],
        `global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: via-mtls
    params: {collector: [prom-c3]}
    http_sd_configs:
      - url: '${secure}/jobs/${queryEscape(JOB)}/targets?collector_id=c3'
        refresh_interval: 1s
        tls_config: {ca_file: ${dir.path}/ca.pem, cert_file: ${dir.path}/c3.pem, key_file: ${dir.path}/c3.key}
`,
      );
      process.env.SHARD = 'ours-c1';
      collector = await startCollector(`receivers:
  prometheus:
    config: {scrape_configs: []}
    target_allocator:
      endpoint: ${secure}
      interval: 500ms
      collector_id: c1
      headers: {Authorization: "Bearer ${TOKENS.c1}"}
      tls: {ca_file: ${dir.path}/ca.pem}
exporters:
  file: {path: ${join(dir.path, 'out.jsonl')}}
service:
  pipelines:
    metrics: {receivers: [prometheus], exporters: [file]}
`);
      const want = { 'prom-c3': await share('c3'), 'ours-c1': await share('c1') };
      await poll(
        'both clients scraping their shares',
        async () => {
          const got: Record<string, string[]> = { 'prom-c3': [], 'ours-c1': [] };
          for (const [a, list] of farm.scrapes) {
            for (const by of new Set(list.filter((s) => s.at >= since).map((s) => s.by))) got[by]?.push(a);
          }
          for (const k of Object.keys(got)) got[k]?.sort();
          return JSON.stringify(got) === JSON.stringify(want) ? true : undefined;
        },
        20_000,
      );
    } finally {
      if (previousShard === undefined) delete process.env.SHARD;
      else process.env.SHARD = previousShard;
      await collector?.stop();
      await prometheus?.stop();
    }
    const metrics = await (
      await fetch(`${plain}/metrics`, { headers: { Authorization: `Bearer ${TOKENS.ops}` } })
    ).text();
    assert.match(metrics, /switchyard_allocator_auth_failures_total\{reason="forbidden"\} \d+/);
  });

  it('never logs a secret', () => {
    assert.ok(logText.length > 0, 'the allocator logged something');
    for (const s of [PASSWORD, CREDENTIAL, TOKENS.c1, TOKENS.ops]) assert.ok(!logText.includes(s), `${s} in the logs`);
  });
});

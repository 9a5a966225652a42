import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, waitFor } from '../../../test/helpers.js';
import type { SdProblem } from './common.js';
import { HttpDiscoverer, parseHttpSdConfigs } from './http.js';
import type { TargetGroup } from './types.js';

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

describe('http_sd config', () => {
  it('applies defaults and positions problems', () => {
    const problems: SdProblem[] = [];
    const configs = parseHttpSdConfigs(
      [
        { url: 'http://127.0.0.1:1/sd' },
        { url: 'ftp://x/sd', refresh_interval: '10s' },
        {
          url: 'http://h/',
          basic_auth: { username: 'u', password: 'p', password_file: 'f' },
          authorization: { credentials: 't' },
        },
        { url: 'http://h/', authorization: { type: 'Basic' }, tls_config: { cert_file: 'c' }, refresh: '1s' },
      ],
      'http_sd_configs',
      problems,
      '/base',
    );
    assert.deepEqual(configs[0], { url: 'http://127.0.0.1:1/sd', refreshIntervalMs: 60_000 });
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        'http_sd_configs[1].url',
        'http_sd_configs[2].basic_auth.password_file',
        'http_sd_configs[2]',
        'http_sd_configs[3].refresh',
        'http_sd_configs[3].authorization.type',
        'http_sd_configs[3].tls_config',
      ],
    );
    assert.match(problems[3]?.message ?? '', /did you mean 'refresh_interval'/);
  });
});

describe('HttpDiscoverer', () => {
  let server: http.Server;
  let base = '';
  const reply: Reply = { status: 200, contentType: 'application/json', body: '[]' };
  const requests: http.IncomingHttpHeaders[] = [];
  const dir = tempDir();

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.headers);
      res.writeHead(reply.status, { 'Content-Type': reply.contentType });
      res.end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    assert.ok(addr !== null && typeof addr === 'object');
    base = `http://127.0.0.1:${addr.port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    dir.remove();
  });

  it("sends Prometheus's headers and labels groups with __meta_url and url:index sources", async () => {
    reply.body = JSON.stringify([
      { targets: ['127.0.0.1:1'], labels: { a: 'b', __meta_url: 'overridden' } },
      { targets: ['127.0.0.1:2'] },
    ]);
    requests.length = 0;
    const url = `${base}/sd?collector=c1`;
    const groups = await new HttpDiscoverer(
      { url, refreshIntervalMs: 15_000 },
      { userAgent: 'Switchyard/test' },
    ).fetchGroups();
    assert.deepEqual(groups, [
      { source: `${url}:0`, targets: [{ __address__: '127.0.0.1:1' }], labels: { a: 'b', __meta_url: url } },
      { source: `${url}:1`, targets: [{ __address__: '127.0.0.1:2' }], labels: { __meta_url: url } },
    ]);
    const h = requests[0];
    assert.equal(h?.['accept'], 'application/json');
    assert.equal(h?.['x-prometheus-refresh-interval-seconds'], '15');
    assert.equal(h?.['user-agent'], 'Switchyard/test');
    assert.equal(h?.['authorization'], undefined);
  });

  it('sends basic_auth (password_file) and authorization (credentials, default type Bearer)', async () => {
    const pw = join(dir.path, 'pw');
    writeFileSync(pw, 's3cret\n');
    requests.length = 0;
    await new HttpDiscoverer({
      url: `${base}/sd`,
      refreshIntervalMs: 1000,
      basicAuth: { username: 'user', password: { kind: 'file', path: pw } },
    }).fetchGroups();
    assert.equal(requests[0]?.['authorization'], `Basic ${Buffer.from('user:s3cret').toString('base64')}`);
    await new HttpDiscoverer({
      url: `${base}/sd`,
      refreshIntervalMs: 1000,
      authorization: { type: 'Bearer', credentials: { kind: 'inline', value: 'tok' } },
    }).fetchGroups();
    assert.equal(requests[1]?.['authorization'], 'Bearer tok');
  });

  it('keeps the last good set on non-200, invalid JSON, wrong content type and oversized bodies', async () => {
    reply.status = 200;
    reply.contentType = 'application/json; charset=utf-8';
    reply.body = JSON.stringify([{ targets: ['127.0.0.1:1'] }]);
    const reports: (readonly TargetGroup[])[] = [];
    const errors: Error[] = [];
    const d = new HttpDiscoverer({ url: `${base}/sd`, refreshIntervalMs: 50 }, { maxBodyBytes: 1000 });
    try {
      await d.start(
        (g) => reports.push(g),
        (e) => errors.push(e),
      );
      assert.equal(reports.length, 1);
      assert.equal(reports[0]?.[0]?.targets[0]?.['__address__'], '127.0.0.1:1');

      reply.status = 503;
      await waitFor('503 error', () => errors.find((e) => /HTTP status 503/.test(e.message)));
      reply.status = 200;
      reply.body = '[{"targets": [';
      await waitFor('JSON error', () => errors.find((e) => /JSON/.test(e.message)));
      reply.body = '[]';
      reply.contentType = 'text/plain';
      await waitFor('content type error', () =>
        errors.find((e) => /unsupported content type "text\/plain"/.test(e.message)),
      );
      reply.contentType = 'application/json';
      reply.body = JSON.stringify([{ targets: Array.from({ length: 100 }, (_, i) => `127.0.0.1:${i}`) }]);
      await waitFor('size error', () => errors.find((e) => /larger than 1000 bytes/.test(e.message)));
      assert.equal(reports.length, 1, 'no report while the endpoint fails');

      reply.body = '[]';
      await waitFor('empty list', () => (reports.length === 2 ? true : undefined));
      assert.deepEqual(reports[1], []);
      assert.ok(errors.every((e) => !e.message.includes('s3cret')));
    } finally {
      await d.stop();
      await d.stop();
    }
  });

  it('reports an unreachable endpoint as an error', async () => {
    const errors: Error[] = [];
    const d = new HttpDiscoverer({ url: 'http://127.0.0.1:1/sd', refreshIntervalMs: 60_000 });
    await d.start(
      () => assert.fail('no groups expected'),
      (e) => errors.push(e),
    );
    await d.stop();
    assert.match(errors[0]?.message ?? '', /unable to refresh target groups from http:\/\/127\.0\.0\.1:1\/sd/);
  });

  it('speaks https with tls_config: ca_file verifies, a wrong CA fails, insecure_skip_verify skips', async () => {
    const cert = join(dir.path, 'cert.pem');
    const key = join(dir.path, 'key.pem');
    const gen = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=sd.test',
        '-addext',
        'subjectAltName=DNS:sd.test,IP:127.0.0.1',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(gen.status, 0, gen.stderr);
    const tlsServer = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify([{ targets: ['127.0.0.1:1'] }]));
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    try {
      const addr = tlsServer.address();
      assert.ok(addr !== null && typeof addr === 'object');
      const url = `https://127.0.0.1:${addr.port}/sd`;
      const verified = await new HttpDiscoverer({
        url,
        refreshIntervalMs: 5000,
        tls: { caFile: cert, insecureSkipVerify: false },
      }).fetchGroups();
      assert.equal(verified[0]?.targets[0]?.['__address__'], '127.0.0.1:1');
      const named = await new HttpDiscoverer({
        url,
        refreshIntervalMs: 5000,
        tls: { caFile: cert, serverName: 'sd.test', insecureSkipVerify: false },
      }).fetchGroups();
      assert.equal(named.length, 1);
      await assert.rejects(
        new HttpDiscoverer({ url, refreshIntervalMs: 5000 }).fetchGroups(),
        /self[- ]signed|unable to verify/i,
      );
      const skipped = await new HttpDiscoverer({
        url,
        refreshIntervalMs: 5000,
        tls: { insecureSkipVerify: true },
      }).fetchGroups();
      assert.equal(skipped.length, 1);
    } finally {
      tlsServer.closeAllConnections();
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });
});

describe('http_sd review findings', () => {
  it('a server that trickles its body forever does not stall discovery: the request has a deadline', {
    timeout: 5000,
  }, async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const t = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(t));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const started = Date.now();
      await assert.rejects(
        new HttpDiscoverer({ url: `http://127.0.0.1:${port}/sd`, refreshIntervalMs: 200 }).fetchGroups(),
      );
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { decodeRequestPb } from '../../helpers/exporterhelper/testproto.js';
import { logRequest, metricRequest, testHost, testSettings, traces } from '../../helpers/exporterhelper/testutil.js';
import { Batch } from '../../pdata/batch.js';
import { createDefaultConfig, type FileExporterConfig } from './config.js';
import { fileExporterFactory } from './factory.js';
import { openWriterCount } from './writer.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sy-file-exporter-'));
  if (!FormatRegistry.Has('duration')) FormatRegistry.Set('duration', () => true);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cfg = (over: Partial<FileExporterConfig>): FileExporterConfig => ({ ...createDefaultConfig(), ...over });

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/** Split a proto-format file into its messages. */
function protoMessages(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    out.push(buf.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  return out;
}

describe('file exporter', () => {
  it('writes one OTLP/JSON request per line; signals with the same path share one writer', async () => {
    const path = join(dir, 'shared.jsonl');
    const s = testSettings('file');
    const host = testHost();
    const t = fileExporterFactory.create(s, cfg({ path }), 'traces');
    const m = fileExporterFactory.create(s, cfg({ path }), 'metrics');
    const l = fileExporterFactory.create(s, cfg({ path: join(dir, '.', 'shared.jsonl') }), 'logs');
    await Promise.all([t.start(host), m.start(host), l.start(host)]);
    assert.equal(openWriterCount(), 1);
    await t.consume(traces(2));
    await m.consume(Batch.fromRequest('metrics', metricRequest()));
    await l.consume(Batch.fromRequest('logs', logRequest(3)));
    await t.shutdown();
    assert.equal(openWriterCount(), 1, 'still open for the other two');
    await m.shutdown();
    await l.shutdown();
    assert.equal(openWriterCount(), 0);
    const parsed = lines(path).map((x) => JSON.parse(x) as Record<string, unknown>);
    assert.equal(parsed.length, 3);
    const spans = parsed[0] as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; traceId: string }> }> }>;
    };
    assert.deepEqual(
      spans.resourceSpans[0]?.scopeSpans[0]?.spans.map((x) => x.name),
      ['span-0', 'span-1'],
    );
    assert.equal(spans.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.traceId, '0102030405060708090a0b0c0d0e0f10');
    assert.ok('resourceMetrics' in (parsed[1] as object));
    assert.ok('resourceLogs' in (parsed[2] as object));
    assert.equal(s.metrics.counter('otelcol_exporter_sent_log_records_total', '').sum(), 3);
  });

  it('appends to an existing file', async () => {
    const path = join(dir, 'append.jsonl');
    for (let round = 0; round < 2; round++) {
      const e = fileExporterFactory.create(testSettings('file'), cfg({ path }), 'traces');
      await e.start(testHost());
      await e.consume(traces(1));
      await e.shutdown();
    }
    assert.equal(lines(path).length, 2);
  });

  it('buffers until the flush interval or shutdown; flush_interval 0 writes before acknowledging', async () => {
    const path = join(dir, 'buffered.bin');
    const e = fileExporterFactory.create(
      testSettings('file'),
      cfg({ path, format: 'proto', flush_interval: '1h' }),
      'traces',
    );
    await e.start(testHost());
    await e.consume(traces(1));
    assert.equal(statSync(path).size, 0);
    await e.shutdown();
    assert.ok(statSync(path).size > 0);

    const path2 = join(dir, 'sync.bin');
    const e2 = fileExporterFactory.create(
      testSettings('file'),
      cfg({ path: path2, format: 'proto', flush_interval: '0' }),
      'traces',
    );
    await e2.start(testHost());
    await e2.consume(traces(1));
    assert.ok(statSync(path2).size > 0);
    await e2.shutdown();

    const path3 = join(dir, 'interval.bin');
    const e3 = fileExporterFactory.create(
      testSettings('file'),
      cfg({ path: path3, format: 'proto', flush_interval: '20ms' }),
      'traces',
    );
    await e3.start(testHost());
    await e3.consume(traces(1));
    await new Promise((r) => setTimeout(r, 80));
    assert.ok(statSync(path3).size > 0);
    await e3.shutdown();
  });

  it('format proto: each request prefixed by its 4-byte big-endian length', async () => {
    const path = join(dir, 'out.binpb');
    const e = fileExporterFactory.create(testSettings('file'), cfg({ path, format: 'proto' }), 'traces');
    await e.start(testHost());
    await e.consume(traces(2));
    await e.consume(traces(3));
    await e.shutdown();
    const msgs = protoMessages(readFileSync(path));
    assert.equal(msgs.length, 2);
    const req = decodeRequestPb('traces', msgs[1] as Buffer) as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }>;
    };
    assert.equal(req.resourceSpans[0]?.scopeSpans[0]?.spans.length, 3);
  });

  it('rotates by size and keeps max_backups', async () => {
    const sub = join(dir, 'rot');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    const path = join(sub, 'spans.binpb');
    const rotation = { max_megabytes: 1, max_backups: 2, max_days: 0, localtime: false };
    const e = fileExporterFactory.create(
      testSettings('file'),
      cfg({ path, format: 'proto', flush_interval: '0', rotation }),
      'traces',
    );
    await e.start(testHost());
    const big = traces(3000); // ~0.4 MiB encoded
    const size = big.toProto().length;
    assert.ok(size > 300_000 && size < 1 << 20, `batch of ${size} bytes`);
    for (let i = 0; i < 10; i++) await e.consume(big);
    await e.shutdown();
    const files = readdirSync(sub).sort();
    const backups = files.filter((f) => f !== 'spans.binpb');
    assert.equal(backups.length, 2, files.join(', '));
    for (const b of backups) assert.match(b, /^spans-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}(\.\d+)?\.binpb$/);
    for (const f of files) assert.ok(statSync(join(sub, f)).size <= 1 << 20);
    // every file holds whole messages
    for (const f of files) assert.ok(protoMessages(readFileSync(join(sub, f))).every((m) => m.length === size));
  });

  it('counts write errors (reason=write_error) without failing the pipeline', {
    skip: !existsSync('/dev/full'),
  }, async () => {
    const s = testSettings('file');
    const e = fileExporterFactory.create(s, cfg({ path: '/dev/full', format: 'proto', flush_interval: '0' }), 'traces');
    await e.start(testHost());
    await e.consume(traces(2));
    await e.shutdown();
    const failed = s.metrics.counter('otelcol_exporter_send_failed_spans_total', '');
    assert.equal(failed.sum({ reason: 'write_error' }), 2);

    const s2 = testSettings('file');
    const e2 = fileExporterFactory.create(
      s2,
      cfg({ path: '/dev/full', format: 'proto', flush_interval: '1h' }),
      'traces',
    );
    await e2.start(testHost());
    await e2.consume(traces(3)); // buffered: acknowledged now, fails at the flush
    await e2.consume(traces(1)); // still buffered: the failure is not known yet
    await e2.shutdown();
    assert.equal(s2.metrics.counter('otelcol_exporter_send_failed_spans_total', '').sum({ reason: 'write_error' }), 4);
    assert.ok(s2.logs.some((l) => l.level === 40 && String(l.msg).includes('writing to the file failed')));
  });

  it('fails start for an unwritable path, and for a shared path with different options', async () => {
    const bad = fileExporterFactory.create(
      testSettings('file'),
      cfg({ path: join(dir, 'missing', 'x.jsonl') }),
      'traces',
    );
    await assert.rejects(bad.start(testHost()), /ENOENT/);
    await bad.shutdown();
    const path = join(dir, 'conflict.jsonl');
    const a = fileExporterFactory.create(testSettings('file'), cfg({ path }), 'traces');
    const b = fileExporterFactory.create(testSettings('file'), cfg({ path, format: 'proto' }), 'logs');
    await a.start(testHost());
    await assert.rejects(b.start(testHost()), /different format/);
    await b.shutdown();
    await a.shutdown();
    assert.equal(openWriterCount(), 0);
  });

  it('factory: schema, defaults, validation', () => {
    const f = fileExporterFactory;
    assert.equal(f.type, 'file');
    const d = f.createDefaultConfig();
    assert.deepEqual(d, { path: '', format: 'json', flush_interval: '1s' });
    assert.ok(Value.Check(f.configSchema, { ...d, path: 'x' }));
    assert.ok(!Value.Check(f.configSchema, { ...d, path: 'x', rotation: { max_megabytes: 0 } }));
    assert.ok(!Value.Check(f.configSchema, { ...d, path: 'x', compression: 'zstd' }));
    assert.match(f.validate?.(d)[0]?.message ?? '', /required/);
    assert.deepEqual(f.validate?.({ ...d, path: 'out.jsonl' }), []);
  });
});

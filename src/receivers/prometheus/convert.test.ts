// The per-series memo (series text -> label handling, parser skipping known label sets) must not
// change what a scrape becomes: the same scrapes through a converter that uses it and one that
// does not give the same metrics, scrape after scrape, as series come, go, change and get relabeled.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Metric } from '../../pdata/model.js';
import { compileRelabelConfigs } from '../../prometheus/relabel.js';
import { parseExposition } from '../../prometheus/textparse.js';
import { type ScrapeSettings, TargetConverter } from './convert.js';

const settings: ScrapeSettings = {
  honorLabels: false,
  honorTimestamps: true,
  metricRelabel: compileRelabelConfigs([{ action: 'drop', source_labels: ['code'], regex: '500' }]).configs,
  sampleLimit: 0,
  labelLimit: 0,
  labelNameLengthLimit: 0,
  labelValueLengthLimit: 0,
  externalLabels: { region: 'eu' },
};
const target = { job: 'j', instance: 'h:1', labels: [['instance', 'h:1'] as const, ['job', 'j'] as const] };

function page(i: number): string {
  const lines = [
    '# TYPE req_total counter',
    `req_total{code="200",path="/a"} ${10 + i}`,
    `req_total{code="500",path="/a"} ${i}`,
    i % 2 === 0 ? `req_total{code="404",path="/b"} ${i}` : '',
    `req_created{code="200",path="/a"} ${i < 3 ? 100 : 200}`,
    '# TYPE temp gauge',
    `temp{job="x",room="a b\\"}"} ${i * 1.5}`,
    '# TYPE lat histogram',
    `lat_bucket{le="0.5",svc="s"} ${i}`,
    `lat_bucket{le="+Inf",svc="s"} ${2 * i}`,
    `lat_sum{svc="s"} ${3 * i}`,
    `lat_count{svc="s"} ${2 * i}`,
    '# TYPE rpc summary',
    `rpc{quantile="0.9",m="get"} ${i / 10}`,
    `rpc_sum{m="get"} ${i}`,
    `rpc_count{m="get"} ${i + 1}`,
    '',
  ];
  return lines.filter((l, k) => l !== '' || k === lines.length - 1).join('\n');
}

function plain(metrics: readonly Metric[]): unknown {
  return JSON.parse(
    JSON.stringify(
      [...metrics].sort((a, b) => (a.name < b.name ? -1 : 1)),
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
    ),
  );
}

describe('prometheus receiver: per-series memo', () => {
  test('gives the same metrics as converting from scratch, scrape after scrape', () => {
    const withMemo = new TargetConverter(target, settings);
    const without = new TargetConverter(target, settings);
    for (let i = 0; i < 6; i++) {
      const text = page(i);
      const a = parseExposition(text, { openMetrics: false, seriesText: true, known: withMemo.knows });
      const b = parseExposition(text, { openMetrics: false });
      assert.deepEqual(a.errors, []);
      const ra = withMemo.append(a.families, 1000 * (i + 1));
      const rb = without.append(b.families, 1000 * (i + 1));
      assert.equal(ra.ok, true);
      assert.equal(rb.ok, true);
      if (!ra.ok || !rb.ok) return;
      assert.deepEqual(plain(ra.metrics), plain(rb.metrics), `scrape ${i}`);
      assert.deepEqual([...ra.drops], [...rb.drops]);
      assert.equal(ra.staleMarked, rb.staleMarked);
      if (i > 0) {
        // Known label sets are not parsed again.
        const req = a.families.find((f) => f.samples[0]?.name === 'req_total')?.samples[0];
        assert.equal(req?.series, 'req_total{code="200",path="/a"}');
        assert.deepEqual(req?.labels, []);
      }
    }
  });

  test('a known series text followed by a glued value is still a parse error', () => {
    const known = () => true;
    const r = parseExposition('# TYPE a gauge\na{x="1"}5\n', { openMetrics: false, seriesText: true, known });
    assert.equal(r.errors.length, 1);
  });
});

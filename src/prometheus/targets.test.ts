import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TargetGroup } from './sd/types.js';
import { computeTargets, parseScrapeTargetConfig, type ScrapeTargetConfig } from './targets.js';

function config(raw: Record<string, unknown>): ScrapeTargetConfig {
  const { config: c, problems } = parseScrapeTargetConfig({ job_name: 'j', ...raw });
  assert.deepEqual(problems, []);
  assert.ok(c !== undefined);
  return c;
}

const group = (targets: string[], labels: Record<string, string> = {}, source = 's'): TargetGroup => ({
  source,
  targets: targets.map((t) => ({ __address__: t })),
  labels,
});

describe('parseScrapeTargetConfig', () => {
  it('applies Prometheus defaults', () => {
    const c = config({});
    assert.equal(c.scheme, 'http');
    assert.equal(c.metricsPath, '/metrics');
    assert.equal(c.scrapeIntervalMs, 60_000);
    assert.equal(c.scrapeTimeoutMs, 10_000);
    assert.equal(config({ scrape_interval: '5s' }).scrapeTimeoutMs, 5000, 'timeout capped by the interval');
  });

  it('positions problems, including relabel ones', () => {
    const { config: c, problems } = parseScrapeTargetConfig({
      job_name: '',
      scheme: 'ftp',
      scrape_interval: '5s',
      scrape_timeout: '10s',
      relabel_configs: [{ action: 'hashmod', target_label: 'x' }],
    });
    assert.equal(c, undefined);
    assert.deepEqual(
      problems.map((p) => p.path),
      ['job_name', 'scheme', 'scrape_timeout', 'relabel_configs[0]'],
    );
  });
});

describe('computeTargets', () => {
  it('sets the scrape labels before relabeling and instance after; hides __ labels', () => {
    const c = config({
      params: { module: ['m1', 'm2'] },
      scrape_interval: '90s',
      relabel_configs: [{ source_labels: ['__param_module'], target_label: 'mod' }],
    });
    const r = computeTargets([group(['h:1'], { a: 'b', __meta_x: 'y' })], c);
    assert.deepEqual(r.active[0]?.discoveredLabels, {
      __address__: 'h:1',
      __meta_x: 'y',
      __metrics_path__: '/metrics',
      __param_module: 'm1',
      __scheme__: 'http',
      __scrape_interval__: '1m30s',
      __scrape_timeout__: '10s',
      a: 'b',
      job: 'j',
    });
    assert.deepEqual(r.active[0]?.labels, { a: 'b', instance: 'h:1', job: 'j', mod: 'm1' });
    assert.equal(r.active[0]?.scrapeUrl, 'http://h:1/metrics?module=m1&module=m2');
    assert.equal(r.active[0]?.scrapeIntervalMs, 90_000);
  });

  it('target labels win over group labels and over the scrape defaults', () => {
    const r = computeTargets(
      [
        {
          source: 's',
          targets: [{ __address__: 'h:1', a: 'target', __scheme__: 'https', job: 'mine' }],
          labels: { a: 'group', b: 'group' },
        },
      ],
      config({}),
    );
    assert.deepEqual(r.active[0]?.labels, { a: 'target', b: 'group', instance: 'h:1', job: 'mine' });
    assert.match(r.active[0]?.scrapeUrl ?? '', /^https:\/\/h:1\//);
  });

  it('adds the default port, refuses bad addresses and intervals, drops duplicates', () => {
    const c = config({
      relabel_configs: [
        { source_labels: ['iv'], regex: '(.+)', target_label: '__scrape_interval__' },
        { source_labels: ['noaddr'], regex: 'yes', target_label: '__address__', replacement: '' },
      ],
    });
    const r = computeTargets(
      [
        group(['host', '[::1]', 'h:1', 'h:1']),
        group(['h:1']),
        group(['a/b']),
        group(['h:2'], { iv: 'bad' }),
        group(['h:3'], { iv: '0s' }),
        group(['h:4'], { iv: '5s' }),
        group(['h:5'], { noaddr: 'yes' }),
      ],
      c,
    );
    assert.deepEqual(
      r.active.map((t) => t.labels['instance']),
      ['host:80', '[::1]:80', 'h:1'],
    );
    assert.deepEqual(
      r.failures.map((f) => f.message),
      [
        '"a/b:80" is not a valid hostname',
        'error parsing scrape interval',
        'scrape interval cannot be 0',
        'scrape timeout cannot be greater than scrape interval ("10s" > "5s")',
        'no address',
      ],
    );
    assert.equal(
      computeTargets([group(['host'])], config({ scheme: 'https' })).active[0]?.labels['instance'],
      'host:443',
    );
  });

  it('reports dropped targets with their discovered labels', () => {
    const r = computeTargets(
      [group(['h:1', 'h:2'])],
      config({ relabel_configs: [{ source_labels: ['__address__'], regex: 'h:1', action: 'drop' }] }),
    );
    assert.deepEqual(
      r.dropped.map((d) => d.discoveredLabels['__address__']),
      ['h:1'],
    );
    assert.equal(r.active.length, 1);
  });

  it('escapes query parameters like Go', () => {
    const r = computeTargets([group(['h:1'], { '__param_q s': "a b&c!*'" })], config({}));
    assert.equal(r.active[0]?.scrapeUrl, 'http://h:1/metrics?q+s=a+b%26c%21%2A%27');
  });
});

// Debian's prometheus as a second real client: its http_sd_configs pointed at the allocator's
// `/jobs/<job>/targets?collector_id=c2` must scrape exactly c2's share, no more, no less.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseAllocatorConfig } from '../src/allocator/config.js';
import { type RunningAllocator, startAllocator } from '../src/allocator/service.js';
import { queryEscape } from '../src/prometheus/queryescape.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { getJson, startTargets, type TargetFarm } from './allocator-support.js';
import { freePort, poll, tempDir } from './helpers.js';
import { type Daemon, startPrometheus } from './peers.js';

const JOB = 'podMonitor/default/farm web/0';

interface ApiTargets {
  data: { activeTargets: { scrapePool: string; discoveredLabels: Record<string, string>; health: string }[] };
}

describe('prometheus http_sd against the allocator', { timeout: 60_000 }, () => {
  const dir = tempDir('switchyard-allocator-prom-');
  let farm: TargetFarm;
  let allocator: RunningAllocator;
  let prometheus: Daemon | undefined;
  let base = '';
  let promBase = '';

  before(async () => {
    farm = await startTargets(9);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const cfg = parseAllocatorConfig(
      `collectors:
  static: [c1, c2, c3]
  grace_period: 0
debounce: 10ms
config:
  scrape_configs:
    - job_name: "${JOB}"
      static_configs:
        - targets: [${farm.addresses.map((a) => `'${a}'`).join(', ')}]
`,
      `${dir.path}/allocator.yaml`,
      { listenAddress: `127.0.0.1:${port}` },
    );
    allocator = await startAllocator(cfg, silentLogger());
    const promPort = await freePort();
    promBase = `http://127.0.0.1:${promPort}`;
    prometheus = await startPrometheus(
      dir.path,
      promPort,
      [`--storage.tsdb.path=${dir.path}/tsdb`],
      `global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: share
    http_sd_configs:
      - url: '${base}/jobs/${queryEscape(JOB)}/targets?collector_id=c2'
        refresh_interval: 1s
`,
    );
  });

  after(async () => {
    await prometheus?.stop();
    await allocator?.stop();
    await farm?.close();
    dir.remove();
  });

  it("scrapes exactly c2's share", async () => {
    const all = (await getJson(`${base}/jobs/${queryEscape(JOB)}/targets`)) as Record<
      string,
      { targets: { targets: string[] }[] }
    >;
    const share = (all.c2?.targets ?? []).flatMap((g) => g.targets).sort();
    assert.ok(share.length > 0 && share.length < farm.addresses.length, `c2's share: ${share}`);
    const since = Date.now();
    const active = await poll(
      'prometheus scraping its share',
      async () => {
        const body = (await getJson(`${promBase}/api/v1/targets?state=active`)) as ApiTargets;
        const t = body.data.activeTargets.filter((x) => x.scrapePool === 'share');
        return t.length === share.length && t.every((x) => x.health === 'up') ? t : undefined;
      },
      30_000,
    );
    assert.deepEqual(active.map((t) => t.discoveredLabels.__address__).sort(), share);
    // The labels are the allocator's (pre-relabel) plus what http_sd adds.
    for (const t of active) assert.match(t.discoveredLabels.__meta_url ?? '', /collector_id=c2$/);
    // And the targets themselves saw scrapes for c2's share only.
    const scraped = farm.addresses.filter((a) => (farm.scrapes.get(a) ?? []).some((s) => s.at >= since)).sort();
    assert.deepEqual(scraped, share);
    // Prometheus' polls count as c2's: the allocator saw it.
    const collectors = (await getJson(`${base}/collectors`)) as { id: string; last_seen: string | null }[];
    assert.notEqual(collectors.find((c) => c.id === 'c2')?.last_seen, null);
    assert.equal(collectors.find((c) => c.id === 'c1')?.last_seen, null);
  });
});

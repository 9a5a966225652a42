// End to end: one `switchyard allocator` and three `switchyard collector` processes share scrape
// targets served by this test. Each collector's SHARD is its id and the scrape config passes
// `collector=$(SHARD)`, so every scrape tells the target who made it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  servedLists,
  startAllocatorProcess,
  startCollectorProcess,
  startTargets,
  type TargetFarm,
} from './allocator-support.js';
import { freePort, poll, tempDir } from './helpers.js';
import type { Daemon } from './peers.js';

const IDS = ['c1', 'c2', 'c3'] as const;
const JOB = 'farm/local targets';
const SCRAPE_MS = 1000;
const POLL_MS = 1000;
const GRACE_MS = 4000;
const TARGETS = 12;

function maxGap(times: readonly number[], from: number, to: number): number {
  const ts = [from, ...times.filter((t) => t >= from && t <= to).sort((a, b) => a - b), to];
  let gap = 0;
  for (let i = 1; i < ts.length; i++) gap = Math.max(gap, (ts[i] as number) - (ts[i - 1] as number));
  return gap;
}

describe('allocator end to end with three collectors', { timeout: 120_000 }, () => {
  const dir = tempDir('switchyard-allocator-e2e-');
  let farm: TargetFarm;
  let allocator: Daemon | undefined;
  const collectors = new Map<string, Daemon>();
  let base = '';

  before(async () => {
    farm = await startTargets(TARGETS);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    allocator = await startAllocatorProcess(
      dir.path,
      port,
      `allocation_strategy: weighted-rendezvous
collectors:
  static: [${IDS.join(', ')}]
  grace_period: ${GRACE_MS}ms
debounce: 100ms
config:
  scrape_configs:
    - job_name: "${JOB}"
      scrape_interval: ${SCRAPE_MS}ms
      scrape_timeout: 800ms
      params: {collector: ['$(SHARD)']}
      static_configs:
        - targets: [${farm.addresses.map((a) => `'${a}'`).join(', ')}]
`,
    );
    for (const id of IDS) collectors.set(id, await startCollectorProcess(dir.path, base, id, POLL_MS));
  });

  after(async () => {
    for (const c of collectors.values()) await c.stop();
    await allocator?.stop();
    await farm?.close();
    dir.remove();
  });

  it('scrapes every target exactly once, re-homes a stopped collector within the grace period, and a restart moves nothing else', async () => {
    // 1. Steady state: each target scraped by exactly the collector the allocator gave it to.
    const initial = await poll(
      'every target scraped by exactly its owner',
      async () => {
        const served = await servedLists(base, JOB, IDS);
        const owner = new Map<string, string>();
        for (const [id, set] of served) for (const a of set) owner.set(a, owner.has(a) ? '!' : id);
        if (owner.size !== TARGETS || [...owner.values()].includes('!')) {
          throw new Error(`served lists: ${JSON.stringify([...owner])}`);
        }
        const seen = farm.scrapersSince(Date.now() - 3 * SCRAPE_MS);
        for (const a of farm.addresses) {
          const by = seen.get(a);
          if (by?.size !== 1 || !by.has(owner.get(a) as string)) {
            throw new Error(`${a} owned by ${owner.get(a)}, scraped by [${[...(by ?? [])]}]`);
          }
        }
        return owner;
      },
      30_000,
    );
    const share = (id: string): string[] => farm.addresses.filter((a) => initial.get(a) === id);
    for (const id of IDS) assert.ok(share(id).length > 0, `${id} got no target: ${JSON.stringify([...initial])}`);
    assert.deepEqual(new Set(initial.keys()), new Set(farm.addresses), 'the union is complete');

    // The allocator's served lists never miss a target while collectors come and go.
    let sampling = true;
    const holes: string[] = [];
    const sampler = (async () => {
      while (sampling) {
        try {
          const served = await servedLists(base, JOB, IDS);
          const union = new Set([...served.values()].flatMap((s) => [...s]));
          for (const a of farm.addresses) if (!union.has(a)) holes.push(`${new Date().toISOString()} ${a}`);
        } catch {
          // the allocator is busy: the next sample tells
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const moved = share('c2');
    const movedBefore = Number(
      /^switchyard_allocator_targets_moved_total (\d+)/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1],
    );
    try {
      // 2. Stop c2: its targets move to c1/c3 within the grace period. The load cap may shift a
      // target between c1 and c3 too (handed over, so without a gap), but hardly any.
      const t0 = Date.now();
      await collectors.get('c2')?.stop();
      collectors.delete('c2');
      const rehomed = await poll(
        "c2's targets scraped by c1 or c3",
        async () => {
          const seen = farm.scrapersSince(t0);
          return moved.every((a) => [...(seen.get(a) ?? [])].some((by) => by !== 'c2')) ? Date.now() : undefined;
        },
        GRACE_MS + 10_000,
      );
      const bound = GRACE_MS + POLL_MS + 2 * SCRAPE_MS + 1500;
      assert.ok(rehomed - t0 <= bound, `re-homed after ${rehomed - t0} ms, over ${bound} ms`);
      await new Promise((r) => setTimeout(r, 2 * POLL_MS + 2 * SCRAPE_MS));
      const afterStop = farm.scrapersSince(Date.now() - 2 * SCRAPE_MS);
      let shifted = 0;
      for (const a of farm.addresses) {
        const by = afterStop.get(a) ?? new Set();
        assert.ok(by.size === 1 && !by.has('c2'), `${a} scraped by [${[...by]}] after re-homing`);
        if (!moved.includes(a) && !by.has(initial.get(a) as string)) shifted++;
      }
      assert.ok(shifted <= 2, `${shifted} targets moved between c1 and c3`);
      for (const a of farm.addresses.filter((x) => !moved.includes(x))) {
        const gap = maxGap(
          (farm.scrapes.get(a) ?? []).map((s) => s.at),
          t0,
          Date.now(),
        );
        assert.ok(gap <= 3 * SCRAPE_MS + 500, `${a} (not moved) had a ${gap} ms gap`);
      }

      // 3. Restart c2 under the same id: it gets exactly its old share back, without a gap.
      const t1 = Date.now();
      collectors.set('c2', await startCollectorProcess(dir.path, base, 'c2', POLL_MS));
      await poll(
        'c2 scrapes its old targets again',
        async () => {
          const seen = farm.scrapersSince(t1);
          return moved.every((a) => seen.get(a)?.has('c2')) ? true : undefined;
        },
        15_000,
      );
      const final = await poll(
        'the initial assignment back, each target scraped by one collector',
        async () => {
          const served = await servedLists(base, JOB, IDS);
          const owner = new Map<string, string>();
          for (const [id, set] of served) for (const a of set) owner.set(a, owner.has(a) ? '!' : id);
          const seen = farm.scrapersSince(Date.now() - 3 * SCRAPE_MS);
          for (const a of farm.addresses) if (seen.get(a)?.size !== 1) return undefined;
          return owner.size === TARGETS && ![...owner.values()].includes('!') ? owner : undefined;
        },
        15_000,
      );
      assert.deepEqual([...final].sort(), [...initial].sort(), 'a restart under the same id moved something');
      for (const a of moved) {
        const gap = maxGap(
          (farm.scrapes.get(a) ?? []).map((s) => s.at),
          t1,
          Date.now(),
        );
        assert.ok(gap <= 3 * SCRAPE_MS + 500, `${a} had a ${gap} ms gap while handed back to c2`);
      }
    } finally {
      sampling = false;
      await sampler;
    }
    assert.deepEqual(holes, [], 'a target was served to no collector');

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const movedTotal = Number(/^switchyard_allocator_targets_moved_total (\d+)/m.exec(metrics)?.[1]);
    assert.ok(
      movedTotal - movedBefore >= 2 * moved.length,
      `moves counted: ${movedBefore} before, ${movedTotal} after`,
    );
    for (const id of IDS) {
      assert.match(
        metrics,
        new RegExp(`switchyard_allocator_targets\\{collector_id="${id}"\\} ${share(id).length}\\n`),
      );
    }
  });
});

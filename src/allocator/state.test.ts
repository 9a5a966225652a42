import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../telemetry/logger.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { AllocatorState } from './state.js';
import { jobItems } from './targets.js';

function setup(graceMs: number, strategy: 'weighted-rendezvous' | 'consistent-hashing' = 'weighted-rendezvous') {
  let now = 1_000_000;
  const metrics = new MetricsRegistry();
  const state = new AllocatorState({
    strategy,
    fallbackStrategy: undefined,
    graceMs,
    handoverTimeoutMs: 60_000,
    debounceMs: 1,
    recentMoves: 100,
    logger: silentLogger(),
    metrics,
    now: () => now,
  });
  const targets = Array.from({ length: 60 }, (_, i) => ({ __address__: `10.0.0.${i}:80` }));
  state.setJobOrder(['j']);
  state.setJob('j', jobItems('j', [{ source: 's', targets, labels: {} }], undefined));
  state.discoveryComplete();
  return {
    state,
    metrics,
    advance: (ms: number) => {
      now += ms;
    },
    addresses: (id: string) =>
      state
        .served(id, 'j')
        .map((it) => it.address)
        .sort(),
  };
}

describe('AllocatorState', () => {
  it('hands a moved target over: the old collector keeps it until the new one has fetched', () => {
    const { state, addresses, metrics } = setup(0);
    state.setMembers([{ id: 'a' }, { id: 'b' }]);
    state.allocateNow();
    const before = { a: addresses('a'), b: addresses('b') };
    assert.equal(before.a.length + before.b.length, 60);
    state.setMembers([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    state.allocateNow();
    const own = [...state.owners()].filter(([, c]) => c === 'c').length;
    assert.ok(own > 10 && own < 30, `c owns ${own}`);
    // a and b still get every target they had: no gap while c has not fetched.
    for (const id of ['a', 'b'] as const)
      for (const t of before[id]) assert.ok(addresses(id).includes(t), `${id} lost ${t}`);
    assert.equal(metrics.render().match(/^switchyard_allocator_handovers_pending (\d+)$/m)?.[1], String(own));
    const listing = (): Record<string, { targets: { targets: string[] }[] }> =>
      JSON.parse(state.jobTargetsAll('j').body.toString()) as Record<string, { targets: { targets: string[] }[] }>;
    const countIn = (l: ReturnType<typeof listing>): number =>
      Object.values(l).reduce((n, c) => n + c.targets.length, 0);
    assert.equal(countIn(listing()), 60 + own, 'the listing shows the overlap');
    // c fetches the job: a and b drop what moved, and only that.
    state.seen('c', 'j');
    assert.equal(countIn(listing()), 60, 'the listing follows the completed hand-over');
    const after = { a: addresses('a'), b: addresses('b'), c: addresses('c') };
    assert.equal(after.a.length + after.b.length + after.c.length, 60);
    assert.deepEqual(
      after.a,
      before.a.filter((t) => !after.c.includes(t)),
    );
    assert.deepEqual(
      after.b,
      before.b.filter((t) => !after.c.includes(t)),
    );
    assert.equal(metrics.render().match(/^switchyard_allocator_targets_moved_total (\d+)$/m)?.[1], String(own));
    state.stop();
  });

  it('re-homes the targets of a collector that stops polling only after the grace period, and takes it back unchanged', () => {
    const { state, addresses, advance } = setup(1000);
    state.setMembers([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    state.allocateNow();
    const initial = new Map(state.owners());
    const bShare = addresses('b');
    // a and c poll; b is silent.
    const tick = (ms: number) => {
      advance(ms);
      state.seen('a', 'j');
      state.seen('c', 'j');
      (state as unknown as { allocateNow(): void }).allocateNow();
    };
    tick(900);
    assert.deepEqual(addresses('b'), bShare, 'still inside the grace period');
    tick(200);
    assert.deepEqual(addresses('b'), [], 'b is past its grace period');
    const owners = [...state.owners().values()];
    assert.equal(owners.length, 60);
    assert.ok(owners.every((c) => c === 'a' || c === 'c'));
    // Moves between a and c (the load cap shifting) stay within 10% of what b had.
    const extra = [...initial].filter(([t, c]) => c !== 'b' && state.owners().get(t) !== c).length;
    assert.ok(extra <= Math.ceil(bShare.length * 0.1), `${extra} targets moved between a and c`);
    // b polls again: the same assignment as before, at once.
    state.seen('b', 'j');
    assert.deepEqual(new Map(state.owners()), initial);
    assert.deepEqual(addresses('b'), bShare);
    state.stop();
  });

  it('keeps serving a collector removed from the membership its targets until their new owners have fetched them', () => {
    const { state, metrics } = setup(0);
    state.setMembers([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    state.allocateNow();
    const listed = (id: string): string[] =>
      (JSON.parse(state.jobTargetsFor(id, 'j').body.toString()) as { targets: string[] }[])
        .flatMap((g) => g.targets)
        .sort();
    const cShare = listed('c');
    assert.ok(cShare.length > 0);
    // A StatefulSet scaled from 3 to 2: c is still shutting down and polls while a and b have not yet.
    state.setMembers([{ id: 'a' }, { id: 'b' }]);
    assert.deepEqual(listed('c'), cShare, 'before the re-allocation, c is answered from the current one');
    state.allocateNow();
    assert.deepEqual(listed('c'), cShare, 'c is still told to scrape what a and b have not fetched yet');
    const all = JSON.parse(state.collectorTargets('c').body.toString()) as Record<string, { targets: string[] }[]>;
    assert.deepEqual((all.j ?? []).flatMap((g) => g.targets).sort(), cShare, '/collectors/c/targets too');
    assert.ok(state.isServed('c'));
    const served = new Set([...listed('a'), ...listed('b'), ...listed('c')]);
    assert.equal(served.size, 60, 'every target is served to someone');
    assert.equal(metrics.render().match(/^switchyard_allocator_handovers_pending (\d+)$/m)?.[1], String(cShare.length));
    // A later allocation (any discovery change) keeps the hand-over going.
    state.allocateNow();
    assert.deepEqual(listed('c'), cShare);
    // a and b fetch: c is told nothing more.
    state.seen('a', 'j');
    state.seen('b', 'j');
    assert.deepEqual(listed('c'), []);
    assert.equal(state.isServed('c'), false, 'a former member with nothing to hand over is unknown (404)');
    assert.equal(new Set([...listed('a'), ...listed('b')]).size, 60);
    state.stop();
  });

  it('serves merged labels sorted, the target winning over its group, and keeps a __proto__ label', () => {
    const r = jobItems(
      'j',
      [
        {
          source: 's',
          labels: { zone: 'g', b: 'group', __proto__x: 'x' },
          targets: [{ __address__: 'h:1', b: 'target', a: '1' }],
        },
      ],
      undefined,
    );
    assert.equal(
      r.items[0]?.json,
      '{"targets":["h:1"],"labels":{"__address__":"h:1","__proto__x":"x","a":"1","b":"target","zone":"g"}}',
    );
    const groups = [
      {
        source: 's',
        labels: {},
        targets: [JSON.parse('{"__address__":"h:2","__proto__":"p"}') as Record<string, string>],
      },
    ];
    assert.match(jobItems('j', groups, undefined).items[0]?.json ?? '', /"__proto__":"p"/);
  });

  it('keys consistent-hashing by address: one address in two jobs lands on one collector', () => {
    const { state } = setup(0, 'consistent-hashing');
    state.setJobOrder(['j', 'k']);
    state.setJob(
      'k',
      jobItems('k', [{ source: 's', targets: [{ __address__: '10.0.0.7:80' }], labels: {} }], undefined),
    );
    state.setMembers([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }]);
    state.allocateNow();
    const owners = [...state.owners()].filter(([id]) => id.includes('10.0.0.7:80')).map(([, c]) => c);
    assert.equal(owners.length, 2);
    assert.equal(owners[0], owners[1]);
    state.stop();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attributes } from '../pdata/gen.js';
import type { KeyValue } from '../pdata/model.js';
import { attrsKey } from './attrs.js';
import { seriesKey, storedSeriesKey } from './serieskey.js';

const stringAttrs = fc.uniqueArray(
  fc.record({ key: fc.string({ maxLength: 6 }), value: fc.string({ maxLength: 6 }) }),
  {
    selector: (kv) => kv.key,
    maxLength: 5,
  },
);

describe('series keys', () => {
  it('the concatenated and the flat form are the same string', () => {
    fc.assert(
      fc.property(fc.oneof(stringAttrs, attributes), (a: KeyValue[]) => {
        assert.equal(seriesKey(a), storedSeriesKey(a));
      }),
      { seed: 3, numRuns: 500 },
    );
  });

  it('equal keys iff equal canonical attribute sets (sorted string-only sets, and every other set)', () => {
    fc.assert(
      fc.property(
        fc.oneof(stringAttrs, attributes),
        fc.oneof(stringAttrs, attributes),
        (a: KeyValue[], b: KeyValue[]) => {
          const sa = [...a].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
          const sb = [...b].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
          assert.equal(seriesKey(sa) === seriesKey(sb), attrsKey(sa) === attrsKey(sb));
          // the fast form and the canonical form never meet
          assert.equal(seriesKey(sa) === attrsKey(sb), sa.length === 0 && sb.length === 0);
        },
      ),
      { seed: 4, numRuns: 1000 },
    );
  });

  it('attribute order never matters: any permutation of a set gives the same key', () => {
    fc.assert(
      fc.property(fc.oneof(stringAttrs, attributes), fc.integer(), (a: KeyValue[], seed: number) => {
        fc.pre(new Set(a.map((kv) => kv.key)).size === a.length); // duplicate keys: last wins, order matters
        const shuffled = [...a];
        let x = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          const j = x % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        assert.equal(seriesKey(shuffled), seriesKey(a));
        assert.equal(storedSeriesKey(shuffled), seriesKey(a));
      }),
      { seed: 5, numRuns: 500 },
    );
    const ab: KeyValue[] = [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ];
    assert.equal(seriesKey([ab[1]!, ab[0]!]), seriesKey(ab));
  });
});

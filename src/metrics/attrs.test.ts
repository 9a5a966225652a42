import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { KeyValue } from '../pdata/model.js';
import { attrsKey, attrValueText, canonicalAttrs, hash32 } from './attrs.js';

const kv = (key: string, value: KeyValue['value']): KeyValue => ({ key, value });

test('attrsKey ignores attribute order', () => {
  fc.assert(
    fc.property(
      fc
        .uniqueArray(fc.string(), { maxLength: 6 })
        .chain((keys) => fc.tuple(fc.constant(keys), fc.shuffledSubarray(keys, { minLength: keys.length }))),
      ([keys, shuffledKeys]) => {
        const value = (k: string): string => `v${keys.indexOf(k)}`;
        const attrs = keys.map((k) => kv(k, value(k)));
        const shuffled = shuffledKeys.map((k) => kv(k, value(k)));
        assert.equal(attrsKey(shuffled), attrsKey(attrs));
      },
    ),
  );
});

test('attrsKey keeps values of different types apart', () => {
  const keys = [
    attrsKey([kv('a', '1')]),
    attrsKey([kv('a', 1n)]),
    attrsKey([kv('a', 1)]),
    attrsKey([kv('a', true)]),
    attrsKey([kv('a', 'true')]),
    attrsKey([kv('a', null)]),
    attrsKey([kv('a', ['1'])]),
    attrsKey([kv('a', { kvlist: [kv('1', '1')] })]),
    attrsKey([kv('a', new Uint8Array([49]))]),
    attrsKey([kv('a', 0)]),
    attrsKey([kv('a', -0)]),
  ];
  assert.equal(new Set(keys).size, keys.length);
});

test('attrsKey cannot be fooled by separators inside keys or values', () => {
  assert.notEqual(attrsKey([kv('a', 'x\n1:b=s1:y')]), attrsKey([kv('a', 'x'), kv('b', 'y')]));
  assert.notEqual(attrsKey([kv('a=s1:b', 'c')]), attrsKey([kv('a', 'b=c')]));
});

test('duplicate keys: the last value wins, in key and canonical form', () => {
  const attrs = [kv('b', '1'), kv('a', 'x'), kv('b', '2')];
  assert.equal(attrsKey(attrs), attrsKey([kv('a', 'x'), kv('b', '2')]));
  assert.deepEqual(
    canonicalAttrs(attrs).map((a) => `${a.key}=${String(a.value)}`),
    ['a=x', 'b=2'],
  );
});

test('hash32 spreads similar strings and is stable', () => {
  assert.equal(hash32('user_id'), hash32('user_id'));
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) seen.add(hash32(`series-${i}`));
  assert.ok(seen.size >= 9_995, `collisions: ${10_000 - seen.size}`);
});

test('attrValueText renders every value type', () => {
  assert.equal(attrValueText('GET'), 'GET');
  assert.equal(attrValueText(200n), '200');
  assert.equal(attrValueText([1n, 'a']), '[1,a]');
  assert.equal(attrValueText({ kvlist: [kv('k', true)] }), '{k=true}');
  assert.equal(attrValueText(new Uint8Array([0xab])), 'ab');
});

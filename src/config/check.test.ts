import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { checkValue } from './check.js';
import { Duration, durationMs, Endpoint } from './types.js';

describe('duration values', () => {
  const schema = Type.Object({ timeout: Duration('a timeout', '1s') }, { additionalProperties: false });

  it('takes a bare YAML 0 as the duration "0"', () => {
    const r = checkValue(schema, { timeout: 0 });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.value, { timeout: '0' });
    assert.equal(durationMs('0'), 0);
  });

  it('still refuses other bare numbers, naming the expected form', () => {
    const r = checkValue(schema, { timeout: 5 });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]?.message ?? '', /duration|string/);
  });

  it('converts Go-style durations to milliseconds', () => {
    assert.equal(durationMs('1m30s'), 90_000);
    assert.equal(durationMs('250ms'), 250);
    assert.equal(durationMs('1.5h'), 5_400_000);
    assert.equal(durationMs('10us'), 0.01);
  });
});

describe('endpoints', () => {
  const schema = Type.Object({ endpoint: Endpoint('listen address', '127.0.0.1:4318') });
  it('accept ports 0-65535 and refuse larger ones', () => {
    for (const ok of ['127.0.0.1:0', '127.0.0.1:4318', 'localhost:65535', '[::1]:9090', '0.0.0.0:10000']) {
      assert.deepEqual(checkValue(schema, { endpoint: ok }).problems, [], ok);
    }
    for (const bad of ['127.0.0.1:65536', '127.0.0.1:70000', '127.0.0.1:', ':4318', '127.0.0.1']) {
      const problems = checkValue(schema, { endpoint: bad }).problems;
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0]?.message ?? '', /invalid endpoint .* \(expected host:port with a port from 0 to 65535/);
    }
  });

  it('durations beyond what a timer can hold are capped, not wrapped', () => {
    assert.equal(durationMs('1000h'), 2 ** 31 - 1);
  });
});

describe('unions of maps told apart by their key', () => {
  const closed = { additionalProperties: false };
  const aggregation = Type.Union([
    Type.Object({ sum: Type.Object({}, closed) }, closed),
    Type.Object({ drop: Type.Object({}, closed) }, closed),
    Type.Object(
      { histogram: Type.Object({ boundaries: Type.Array(Type.Number()), record_min_max: Type.Boolean() }, closed) },
      closed,
    ),
  ]);
  const schema = Type.Object({ views: Type.Array(Type.Object({ aggregation }, closed)) }, closed);
  const problems = (views: unknown[]): string[] =>
    checkValue(schema, { views }).problems.map((p) => `${p.path.join('.')}: ${p.message}`);

  it('reports the errors inside the branch the key picked, not the other branches', () => {
    assert.deepEqual(problems([{ aggregation: { histogram: { boundaries: [1], record_min_max: true, bogus: 1 } } }]), [
      'views.0.aggregation.histogram.bogus: unknown key "bogus" (allowed: boundaries, record_min_max)',
    ]);
  });

  it('names every allowed key, with a guess, for an unknown key', () => {
    assert.deepEqual(problems([{ aggregation: { summ: {} } }]), [
      'views.0.aggregation: unknown key "summ" (allowed: sum, drop, histogram; did you mean "sum"?)',
    ]);
  });

  it('asks for exactly one key when several are set', () => {
    assert.deepEqual(problems([{ aggregation: { sum: {}, drop: {} } }]), [
      'views.0.aggregation: set exactly one of sum, drop, histogram (got sum and drop)',
    ]);
  });

  it('keeps each list item to its own errors', () => {
    assert.deepEqual(
      problems([
        { aggregation: { sum: {}, drop: {} } },
        { aggregation: { sum: {} } },
        { aggregation: { histogram: { boundaries: [1], record_min_max: 'yes' } } },
      ]),
      [
        'views.0.aggregation: set exactly one of sum, drop, histogram (got sum and drop)',
        'views.2.aggregation.histogram.record_min_max: must be a boolean (got "yes")',
      ],
    );
  });
});

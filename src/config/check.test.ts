import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { checkValue } from './check.js';
import { Duration, durationMs } from './types.js';

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

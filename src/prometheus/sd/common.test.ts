import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeGroups, formatDuration, parseDuration } from './common.js';

describe('durations', () => {
  it('parses Prometheus durations', () => {
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1d2h'), 93_600_000);
    assert.equal(parseDuration('100ms'), 100);
    assert.equal(parseDuration('1w'), 604_800_000);
    assert.equal(parseDuration(''), undefined);
    assert.equal(parseDuration('5'), undefined);
    assert.equal(parseDuration('1.5s'), undefined);
    assert.equal(parseDuration('30m1h'), undefined);
  });

  it('formats like model.Duration', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(60_000), '1m');
    assert.equal(formatDuration(1500), '1s500ms');
    assert.equal(formatDuration(14 * 86_400_000), '2w');
    assert.equal(formatDuration(15 * 86_400_000), '15d');
    assert.equal(formatDuration(365 * 86_400_000), '1y');
  });
});

describe('decodeGroups', () => {
  it('accepts groups without labels and rejects bad shapes', () => {
    assert.deepEqual(decodeGroups([{ targets: ['a:1'] }], 'src', { __meta_x: 'y' }), [
      { source: 'src:0', targets: [{ __address__: 'a:1' }], labels: { __meta_x: 'y' } },
    ]);
    assert.throws(() => decodeGroups({}, 's', {}), /expected a list/);
    assert.throws(() => decodeGroups([{ targets: [1] }], 's', {}), /list of strings/);
    assert.throws(() => decodeGroups([{ targets: [], labels: { a: 1 } }], 's', {}), /must be a string/);
    assert.throws(() => decodeGroups([{ targets: [], foo: 1 }], 's', {}), /unknown field 'foo'/);
  });
});

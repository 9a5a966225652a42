import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeyValue } from '../pdata/model.js';
import {
  labelName,
  labelsFromAttributes,
  labelValue,
  metricName,
  type PromNameKind,
  unitFromWord,
  unitWord,
} from './naming.js';

describe('metricName', () => {
  const table: ReadonlyArray<[string, string, PromNameKind, string | undefined]> = [
    // The spec's and otlptranslator's worked examples.
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
    ['system.memory.usage', 'By', 'gauge', 'system_memory_usage_bytes'],
    ['http.requests', '{request}', 'counter', 'http_requests_total'],
    ['process.cpu.time', 's', 'counter', 'process_cpu_time_seconds_total'],
    ['cpu.utilization', '1', 'gauge', 'cpu_utilization_ratio'],
    ['network.io', 'By/s', 'gauge', 'network_io_bytes_per_second'],
    ['request_duration_seconds', 's', 'histogram', 'request_duration_seconds'],
    ['requests.total', '', 'counter', 'requests_total'],
    ['2xx.count', '', 'gauge', '_2xx_count'],
    ['foo..bar__baz', 'ms', 'gauge', 'foo_bar_baz_milliseconds'],
    // per-unit quirk: min is not in the per-unit map.
    ['transfer', 'By/min', 'gauge', 'transfer_bytes_per_min'],
    // annotations dropped on either side of the slash.
    ['x', '{packet}/s', 'gauge', 'x_per_second'],
    ['x', 'By/{call}', 'gauge', 'x_bytes'],
    // unit 1 on a counter adds nothing; _ratio only for gauges.
    ['hits', '1', 'counter', 'hits_total'],
    ['hits', '1', 'histogram', 'hits'],
    ['ratio.used.ratio', '1', 'gauge', 'used_ratio'],
    ['total.requests.total', '', 'counter', 'requests_total'],
    ['temp', 'Cel', 'gauge', 'temp_celsius'],
    ['load', '%', 'gauge', 'load_percent'],
    ['mem', 'MiBy', 'gauge', 'mem_mebibytes'],
    // unknown units sanitized and appended
    ['weird', 'foo.bar', 'gauge', 'weird_foo_bar'],
    ['colons:ok', 's', 'gauge', 'colons:ok_seconds'],
    ['_leading_', '', 'gauge', 'leading'],
    ['...', 's', 'gauge', undefined],
    ['', '', 'gauge', undefined],
    ['üñí.côde', '', 'gauge', 'c_de'],
  ];
  for (const [name, unit, kind, want] of table) {
    it(`${kind} ${JSON.stringify(name)} [${unit}] -> ${want}`, () => {
      assert.equal(metricName(name, unit, kind), want);
    });
  }

  it('gives non-monotonic sums unit and no _ratio (otlptranslator: only gauges get _ratio)', () => {
    assert.equal(metricName('queue.fill', '1', 'updowncounter'), 'queue_fill');
    assert.equal(metricName('memory.used', 'By', 'updowncounter'), 'memory_used_bytes');
    assert.equal(metricName('conns.total', '', 'updowncounter'), 'conns_total');
  });

  it('without suffixes only escapes', () => {
    assert.equal(metricName('http.requests', 's', 'counter', { addSuffixes: false }), 'http_requests');
    assert.equal(metricName('cpu.utilization', '1', 'gauge', { addSuffixes: false }), 'cpu_utilization');
    assert.equal(metricName('2xx', '', 'gauge', { addSuffixes: false }), '_2xx');
  });

  it('prepends the namespace before the leading-digit check', () => {
    assert.equal(metricName('2xx.count', '', 'gauge', { namespace: 'app' }), 'app_2xx_count');
    assert.equal(metricName('c', 's', 'counter', { namespace: 'my.app' }), 'my_app_c_seconds_total');
  });

  it('always yields a valid name', () => {
    const valid = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
    for (const n of ['a-b', '9', 'a b c', 'x__y', '  z', 'ä1']) {
      const got = metricName(n, 'ms/s', 'counter');
      assert.ok(got !== undefined && valid.test(got), `${n} -> ${got}`);
      assert.ok(!got.includes('__'), got);
    }
  });
});

describe('unitWord', () => {
  it('maps main and per parts', () => {
    assert.equal(unitWord('s'), 'seconds');
    assert.equal(unitWord('By/s'), 'bytes_per_second');
    assert.equal(unitWord('{req}/s'), 'per_second');
    assert.equal(unitWord('1'), '');
    assert.equal(unitWord('{req}'), '');
  });
});

describe('labelName', () => {
  const table: ReadonlyArray<[string, string | undefined]> = [
    ['http.method', 'http_method'],
    ['net.peer.name', 'net_peer_name'],
    ['a..b', 'a_b'],
    ['1abc', 'key_1abc'],
    ['_private', 'key_private'],
    ['__reserved__', '__reserved__'],
    ['__', undefined],
    ['...', undefined],
    ['', undefined],
    ['colon:x', 'colon_x'],
    ['ok_name', 'ok_name'],
  ];
  for (const [key, want] of table) {
    it(`${JSON.stringify(key)} -> ${want}`, () => assert.equal(labelName(key), want));
  }
});

describe('labelsFromAttributes', () => {
  const kv = (key: string, value: KeyValue['value']): KeyValue => ({ key, value });

  it('sorts and sanitizes', () => {
    const r = labelsFromAttributes([kv('z.z', 'last'), kv('a', 'first')]);
    assert.deepEqual(r.labels, [
      ['a', 'first'],
      ['z_z', 'last'],
    ]);
  });

  it('joins colliding keys with ; in original key order', () => {
    const r = labelsFromAttributes([kv('foo_bar', 'u'), kv('foo.bar', 'd'), kv('foo-bar', 'h')]);
    // Original keys sorted: foo-bar < foo.bar < foo_bar
    assert.deepEqual(r.labels, [['foo_bar', 'h;d;u']]);
  });

  it('reports keys that leave no name, and keeps the last of duplicate keys', () => {
    const r = labelsFromAttributes([kv('...', 'x'), kv('k', 'one'), kv('k', 'two')]);
    assert.deepEqual(r.labels, [['k', 'two']]);
    assert.deepEqual(r.invalidKeys, ['...']);
  });

  it('renders non-string values', () => {
    const r = labelsFromAttributes([
      kv('i', 42n),
      kv('d', 1.5),
      kv('b', true),
      kv('arr', ['x', 1n]),
      kv('map', { kvlist: [kv('k', 'v')] }),
    ]);
    assert.deepEqual(Object.fromEntries(r.labels), {
      i: '42',
      d: '1.5',
      b: 'true',
      arr: '["x",1]',
      map: '{"k":"v"}',
    });
    assert.equal(labelValue(new Uint8Array([1, 2, 3])), 'AQID');
    assert.equal(labelValue(2n ** 63n - 1n), '9223372036854775807');
  });
});

describe('unitFromWord: Prometheus unit words back to UCUM', () => {
  it('inverts the unit words of metric names, and passes unknown words through', () => {
    assert.equal(unitFromWord('seconds'), 's');
    assert.equal(unitFromWord('kibibytes'), 'KiBy');
    assert.equal(unitFromWord('ratio'), '1');
    assert.equal(unitFromWord('percent'), '%');
    assert.equal(unitFromWord('furlongs'), 'furlongs');
    assert.equal(unitFromWord(''), '');
    assert.equal(unitFromWord(undefined), '');
    for (const unit of ['s', 'ms', 'By', 'MiBy', 'Cel', 'Hz']) assert.equal(unitFromWord(unitWord(unit)), unit);
  });
});

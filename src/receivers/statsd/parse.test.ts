import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ParseErrorReason, parseNumber, parsePacket, type StatsdMetric } from './parse.js';

interface ParseError {
  line: number;
  reason: ParseErrorReason;
  message: string;
}

function parse(text: string | Buffer): { metrics: StatsdMetric[]; errors: ParseError[] } {
  const metrics: StatsdMetric[] = [];
  const errors: ParseError[] = [];
  parsePacket(
    typeof text === 'string' ? Buffer.from(text, 'utf8') : text,
    (m) => metrics.push(m),
    (line, reason, message) => errors.push({ line, reason, message }),
  );
  return { metrics, errors };
}

function metric(partial: Partial<StatsdMetric> & Pick<StatsdMetric, 'name' | 'type'>): StatsdMetric {
  return {
    values: [],
    delta: false,
    member: undefined,
    sampleRate: 1,
    tags: [],
    rawTags: '',
    simpleTags: false,
    containerId: undefined,
    timestamp: undefined,
    ...partial,
  };
}

const good: [string, StatsdMetric][] = [
  ['page.views:1|c', metric({ name: 'page.views', type: 'c', values: [1] })],
  ['page.views:-3|c', metric({ name: 'page.views', type: 'c', values: [-3] })],
  ['page.views:+3|c', metric({ name: 'page.views', type: 'c', values: [3] })],
  ['fuel:42.5|g', metric({ name: 'fuel', type: 'g', values: [42.5] })],
  ['fuel:+4|g', metric({ name: 'fuel', type: 'g', values: [4], delta: true })],
  ['fuel:-5|g', metric({ name: 'fuel', type: 'g', values: [-5], delta: true })],
  ['fuel:0|g', metric({ name: 'fuel', type: 'g', values: [0] })],
  ['req.time:320|ms', metric({ name: 'req.time', type: 'ms', values: [320] })],
  ['size:12|h', metric({ name: 'size', type: 'h', values: [12] })],
  ['lat:0.25|d', metric({ name: 'lat', type: 'd', values: [0.25] })],
  ['users:alice|s', metric({ name: 'users', type: 's', member: 'alice' })],
  ['users:42|s', metric({ name: 'users', type: 's', member: '42' })],
  ['peers:fe80::1|s', metric({ name: 'peers', type: 's', member: 'fe80::1' })],
  ['lat:1:2:3.5|d', metric({ name: 'lat', type: 'd', values: [1, 2, 3.5] })],
  ['t:10:20|ms|@0.5', metric({ name: 't', type: 'ms', values: [10, 20], sampleRate: 0.5 })],
  ['g:+1:-2|g', metric({ name: 'g', type: 'g', values: [1, -2], delta: true })],
  ['big:1e3|c', metric({ name: 'big', type: 'c', values: [1000] })],
  ['big:2.5E-3|ms', metric({ name: 'big', type: 'ms', values: [0.0025] })],
  ['frac:.5|g', metric({ name: 'frac', type: 'g', values: [0.5] })],
  ['frac:5.|g', metric({ name: 'frac', type: 'g', values: [5] })],
  ['prec:0.1|g', metric({ name: 'prec', type: 'g', values: [0.1] })],
  ['prec:123456789.123456789|g', metric({ name: 'prec', type: 'g', values: [Number('123456789.123456789')] })],
  ['c:1|c|@0.1', metric({ name: 'c', type: 'c', values: [1], sampleRate: 0.1 })],
  ['c:1|c|@1', metric({ name: 'c', type: 'c', values: [1] })],
  [
    'c:1|c|#env:prod,flag,url:http://x',
    metric({
      name: 'c',
      type: 'c',
      values: [1],
      tags: [
        ['env', 'prod'],
        ['flag', ''],
        ['url', 'http://x'],
      ],
      rawTags: 'env:prod,flag,url:http://x',
      simpleTags: true,
    }),
  ],
  [
    'c:1|c|#a:1,,b:|#c:3',
    metric({
      name: 'c',
      type: 'c',
      values: [1],
      tags: [
        ['a', '1'],
        ['b', ''],
        ['c', '3'],
      ],
      rawTags: 'a:1,,b:,c:3',
    }),
  ],
  ['c:1|c|#', metric({ name: 'c', type: 'c', values: [1] })],
  ['c:1|c|c:abc123', metric({ name: 'c', type: 'c', values: [1], containerId: 'abc123' })],
  ['g:1|g|T1656581400', metric({ name: 'g', type: 'g', values: [1], timestamp: 1656581400 })],
  [
    'h:3|h|T1700000000|c:cid|#k:v|@0.25',
    metric({
      name: 'h',
      type: 'h',
      values: [3],
      sampleRate: 0.25,
      tags: [['k', 'v']],
      rawTags: 'k:v',
      containerId: 'cid',
      timestamp: 1700000000,
    }),
  ],
  ['c:1|c|e:external|x-unknown', metric({ name: 'c', type: 'c', values: [1] })],
  ['c:1|c||', metric({ name: 'c', type: 'c', values: [1] })],
  ['  c:1|c  ', metric({ name: 'c', type: 'c', values: [1] })],
  ['c: 7 | c |@0.5 ', metric({ name: 'c', type: 'c', values: [7], sampleRate: 0.5 })],
  ['my metric:1|c', metric({ name: 'my metric', type: 'c', values: [1] })],
  [
    'naïve.métrique:1|c|#ünï:cödé',
    metric({ name: 'naïve.métrique', type: 'c', values: [1], tags: [['ünï', 'cödé']], rawTags: 'ünï:cödé' }),
  ],
];

const bad: [string, ParseErrorReason][] = [
  [':1|c', 'bad_name'],
  ['|c', 'bad_name'],
  ['noval', 'bad_value'],
  ['noval|c', 'bad_value'],
  ['x:|c', 'bad_value'],
  ['x:abc|c', 'bad_value'],
  ['x:NaN|c', 'bad_value'],
  ['x:Infinity|g', 'bad_value'],
  ['x:1e999|g', 'bad_value'],
  ['x:0x10|c', 'bad_value'],
  ['x:1 2|c', 'bad_value'],
  ['x:1::2|d', 'bad_value'],
  ['x:1:|d', 'bad_value'],
  ['x:1e|c', 'bad_value'],
  ['x:-|g', 'bad_value'],
  ['x:.|g', 'bad_value'],
  ['x:|s', 'bad_value'],
  ['x:1', 'bad_type'],
  ['x:1|', 'bad_type'],
  ['x:1|q', 'bad_type'],
  ['x:1|C', 'bad_type'],
  ['x:1|msx', 'bad_type'],
  ['x:1|@0.5', 'bad_type'],
  ['x:1|c|@0', 'bad_sample_rate'],
  ['x:1|c|@1.5', 'bad_sample_rate'],
  ['x:1|c|@-0.5', 'bad_sample_rate'],
  ['x:1|c|@', 'bad_sample_rate'],
  ['x:1|c|@abc', 'bad_sample_rate'],
  ['x:1|c|@NaN', 'bad_sample_rate'],
  ['x:1|c|@0.5|@0.5', 'bad_sample_rate'],
  // 1/rate must be a usable weight: a safe integer range for histogram increments, finite for counters
  ['x:1|ms|@1e-16', 'bad_sample_rate'],
  ['x:1|c|@5e-324', 'bad_sample_rate'],
  ['x:1|c|#:v', 'bad_tags'],
  ['x:1|c|#a,:v', 'bad_tags'],
  ['x:1|c|c:', 'bad_container_id'],
  ['x:1|c|c:a|c:b', 'bad_container_id'],
  ['x:1|g|T', 'bad_timestamp'],
  ['x:1|g|T12ab', 'bad_timestamp'],
  ['x:1|g|T0', 'bad_timestamp'],
  ['x:1|g|T-5', 'bad_timestamp'],
  ['x:1|g|T1|T2', 'bad_timestamp'],
  ['_e{5,4}:title|text|#tag', 'unsupported'],
  ['_sc|my.check|0', 'unsupported'],
];

describe('statsd parsePacket: good lines', () => {
  for (const [line, want] of good) {
    test(JSON.stringify(line), () => {
      const { metrics, errors } = parse(line);
      assert.deepEqual(errors, []);
      assert.deepEqual(metrics, [want]);
    });
  }
});

describe('statsd parsePacket: bad lines', () => {
  for (const [line, reason] of bad) {
    test(`${JSON.stringify(line)} -> ${reason}`, () => {
      // The bad line sits between two good neighbours, which must still parse.
      const { metrics, errors } = parse(`a:1|c\n${line}\nb:2|g`);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.line, 2);
      assert.equal(errors[0]!.reason, reason);
      assert.ok(errors[0]!.message.length > 0);
      assert.deepEqual(
        metrics.map((m) => m.name),
        ['a', 'b'],
      );
    });
  }
});

describe('statsd parsePacket: packets', () => {
  test('multi-line packet with CRLF, blank lines and trailing newline', () => {
    const { metrics, errors } = parse('a:1|c\r\n\r\n  \nb:2|ms|@0.5\nc:x|s\r\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(
      metrics.map((m) => [m.name, m.type]),
      [
        ['a', 'c'],
        ['b', 'ms'],
        ['c', 's'],
      ],
    );
  });

  test('line numbers count blank lines and every bad line is reported', () => {
    const { metrics, errors } = parse('x:1|q\n\ngood:1|c\n:2|c\ny:1|c|@2\nz:3|d');
    assert.deepEqual(
      errors.map((e) => [e.line, e.reason]),
      [
        [1, 'bad_type'],
        [4, 'bad_name'],
        [5, 'bad_sample_rate'],
      ],
    );
    assert.deepEqual(
      metrics.map((m) => m.name),
      ['good', 'z'],
    );
  });

  test('empty datagram is reported once; a lone newline is silent', () => {
    assert.deepEqual(
      parse(Buffer.alloc(0)).errors.map((e) => [e.line, e.reason]),
      [[1, 'empty']],
    );
    assert.deepEqual(parse('\n'), { metrics: [], errors: [] });
    assert.deepEqual(parse('\r\n\r\n'), { metrics: [], errors: [] });
  });

  test('packed gauge mixing set and delta values is split into runs, in order', () => {
    const { metrics, errors } = parse('g:5:+1:-2:7|g|#k:v');
    assert.deepEqual(errors, []);
    assert.deepEqual(
      metrics.map((m) => [m.values, m.delta, m.tags]),
      [
        [[5], false, [['k', 'v']]],
        [[1, -2], true, [['k', 'v']]],
        [[7], false, [['k', 'v']]],
      ],
    );
    assert.notEqual(metrics[0]!.tags, metrics[1]!.tags);
  });

  test('many packed gauge values grow the scratch buffer', () => {
    const vals = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? `${i}` : `+${i}`));
    const { metrics, errors } = parse(`g:${vals.join(':')}|g`);
    assert.deepEqual(errors, []);
    assert.equal(metrics.length, 300);
    assert.deepEqual(metrics[299]!.values, [299]);
    assert.equal(metrics[299]!.delta, true);
  });

  test('metrics are fresh objects the consumer may keep', () => {
    const { metrics } = parse('a:1|c\na:2|c');
    assert.notEqual(metrics[0], metrics[1]);
    assert.notEqual(metrics[0]!.values, metrics[1]!.values);
    assert.deepEqual(metrics[0]!.values, [1]);
  });
});

describe('statsd parseNumber', () => {
  test('agrees with Number() on valid decimal inputs', () => {
    const inputs = [
      '0',
      '-0',
      '1',
      '+1',
      '0.1',
      '0.3',
      '1.5',
      '-17.25',
      '123456789012345',
      '1234567890123456789',
      '0.000001',
      '0.0000000000000000000000001',
      '9007199254740993',
      '3.141592653589793238',
      '1e3',
      '1E-7',
      '-2.5e+10',
      '00012',
      '.75',
      '4.',
    ];
    for (const s of inputs) assert.equal(parseNumber(s, 0, s.length), Number(s), s);
  });

  test('rejects malformed and non-finite input', () => {
    for (const s of [
      '',
      '+',
      '-',
      '.',
      'e5',
      '1e',
      '1e+',
      '1.2.3',
      '0x1f',
      'Infinity',
      '-Infinity',
      'NaN',
      '1e400',
      ' 1',
      '1_0',
    ]) {
      assert.ok(Number.isNaN(parseNumber(s, 0, s.length)), s);
    }
  });

  test('random decimals round-trip exactly', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 5000; i++) {
      const s = (rnd() * 10 ** Math.floor(rnd() * 12)).toFixed(Math.floor(rnd() * 10));
      assert.equal(parseNumber(s, 0, s.length), Number(s), s);
    }
  });
});

describe('statsd parsePacket: throughput sanity (untimed)', () => {
  test('parses 200k lines in 10-line packets without errors', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) {
      lines.push(
        `app.request.latency_${i}:${i * 1.5 + 0.25}|ms|@0.5|#env:prod,service:api,region:eu-west-1,host:h${i}`,
      );
    }
    const packet = Buffer.from(lines.join('\n') + '\n');
    let count = 0;
    let errors = 0;
    for (let i = 0; i < 20_000; i++) {
      parsePacket(
        packet,
        () => {
          count++;
        },
        () => {
          errors++;
        },
      );
    }
    assert.equal(count, 200_000);
    assert.equal(errors, 0);
  });
});

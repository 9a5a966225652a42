import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MetricFamily, type ParseProblem, parseExposition } from './textparse.js';

const prom = (text: string) => parseExposition(text, { openMetrics: false });
const om = (text: string) => parseExposition(text, { openMetrics: true });

function fam(families: MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `family ${name} not found in ${families.map((x) => x.name).join(',')}`);
  return f;
}

const NODE_PAGE = `# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 2.25588826e+06
node_cpu_seconds_total{cpu="0",mode="user"} 13012.5
node_cpu_seconds_total{cpu="1",mode="idle"} 2.2559e+06
# HELP node_memory_MemFree_bytes Memory information field MemFree_bytes.
# TYPE node_memory_MemFree_bytes gauge
node_memory_MemFree_bytes 1.234567168e+09
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{handler="/",le="0.05"} 24054
http_request_duration_seconds_bucket{handler="/",le="0.1"} 33444
http_request_duration_seconds_bucket{handler="/",le="+Inf"} 144320
http_request_duration_seconds_sum{handler="/"} 53423
http_request_duration_seconds_count{handler="/"} 144320
# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.8e-05
go_gc_duration_seconds{quantile="0.5"} 4.1e-05
go_gc_duration_seconds{quantile="1"} 0.000812
go_gc_duration_seconds_sum 0.123
go_gc_duration_seconds_count 1766
	# a free comment with leading whitespace
node_boot_time_seconds 1.7e+09

process_open_fds 12
process_open_fds{x="y"} 13
`;

describe('Prometheus text 0.0.4', () => {
  it('parses a node_exporter-like page into families', () => {
    const { families, errors } = prom(NODE_PAGE);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ['node_cpu_seconds_total', 'counter', 3],
        ['node_memory_MemFree_bytes', 'gauge', 1],
        ['http_request_duration_seconds', 'histogram', 5],
        ['go_gc_duration_seconds', 'summary', 5],
        ['node_boot_time_seconds', 'untyped', 1],
        ['process_open_fds', 'untyped', 2],
      ],
    );
    const cpu = fam(families, 'node_cpu_seconds_total');
    assert.equal(cpu.help, 'Seconds the CPUs spent in each mode.');
    assert.deepEqual(cpu.samples[1], {
      name: 'node_cpu_seconds_total',
      labels: [
        ['cpu', '0'],
        ['mode', 'user'],
      ],
      value: 13012.5,
    });
    const h = fam(families, 'http_request_duration_seconds');
    assert.deepEqual(
      h.samples.map((x) => x.name),
      [
        'http_request_duration_seconds_bucket',
        'http_request_duration_seconds_bucket',
        'http_request_duration_seconds_bucket',
        'http_request_duration_seconds_sum',
        'http_request_duration_seconds_count',
      ],
    );
    assert.deepEqual(h.samples[2]?.labels, [
      ['handler', '/'],
      ['le', '+Inf'],
    ]);
    assert.equal(h.samples[4]?.value, 144320);
    const s = fam(families, 'go_gc_duration_seconds');
    assert.deepEqual(s.samples[1]?.labels, [['quantile', '0.5']]);
    assert.equal(s.samples[3]?.name, 'go_gc_duration_seconds_sum');
    assert.equal(fam(families, 'node_boot_time_seconds').samples[0]?.value, 1.7e9);
  });

  it('interns label names: equal names are the same string', () => {
    const { families } = prom(NODE_PAGE);
    const cpu = fam(families, 'node_cpu_seconds_total');
    assert.ok(cpu.samples.every((x) => x.name === cpu.name));
    assert.equal(cpu.samples[0]?.labels[0]?.[0], 'cpu');
    assert.equal(cpu.samples[2]?.labels[1]?.[0], 'mode');
  });

  it('unescapes label values and HELP text', () => {
    const text =
      '# HELP esc A \\\\ backslash,\\na newline and \\"quotes\\" kept\n' +
      'esc{path="C:\\\\dir\\\\",msg="say \\"hi\\"\\nbye",raw="\\t"} 1\n';
    const { families, errors } = prom(text);
    assert.deepEqual(errors, []);
    const f = fam(families, 'esc');
    assert.equal(f.help, 'A \\ backslash,\na newline and \\"quotes\\" kept');
    assert.deepEqual(f.samples[0]?.labels, [
      ['path', 'C:\\dir\\'],
      ['msg', 'say "hi"\nbye'],
      ['raw', '\\t'],
    ]);
  });

  it('accepts trailing commas, spaces around tokens and empty label sets', () => {
    const { families, errors } = prom('a{x="1",} 1\nb { x = "2" , y="3" }  2\nc{} 3\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(
      families.map((f) => f.samples[0]?.labels),
      [
        [['x', '1']],
        [
          ['x', '2'],
          ['y', '3'],
        ],
        [],
      ],
    );
  });

  it('parses NaN, +Inf, -Inf and exponents', () => {
    const { families, errors } = prom('v{k="a"} NaN\nv{k="b"} +Inf\nv{k="c"} -Inf\nv{k="d"} -1.5e-3\nv{k="e"} inf\n');
    assert.deepEqual(errors, []);
    const vals = fam(families, 'v').samples.map((x) => x.value);
    assert.ok(Number.isNaN(vals[0]));
    assert.deepEqual(vals.slice(1), [
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0.0015,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('reads integer millisecond timestamps, including negative ones', () => {
    const { families, errors } = prom('t 1 1395066363000\nt{a="b"} 2 -1000\nt{a="c"} 3\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(
      fam(families, 't').samples.map((x) => x.timestampMs),
      [1395066363000, -1000, undefined],
    );
  });

  it('tolerates CRLF line ends', () => {
    const { families, errors } = prom('# TYPE a gauge\r\na 1\r\n');
    assert.deepEqual(errors, []);
    assert.equal(fam(families, 'a').samples[0]?.value, 1);
  });
});

describe('OpenMetrics 1.0', () => {
  const PAGE = `# TYPE requests counter
# UNIT requests
# HELP requests Requests served, with "quotes" \\" and \\\\.
requests_total{path="/"} 1027 1520879607.789 # {trace_id="abc123"} 1 1520879607.7
requests_created{path="/"} 1520870000.123
# TYPE latency_seconds histogram
# UNIT latency_seconds seconds
latency_seconds_bucket{le="0.1"} 8 # {trace_id="a1"} 0.054
latency_seconds_bucket{le="1.0"} 9 # {} 0.5 1520879607
latency_seconds_bucket{le="+Inf"} 10
latency_seconds_sum 3.2
latency_seconds_count 10
latency_seconds_created 1520870000
# TYPE rpc_duration summary
rpc_duration{quantile="0.99"} NaN
rpc_duration_sum 1.5
rpc_duration_count 3
# TYPE build info
build_info{version="1.2"} 1
# TYPE feature stateset
feature{feature="a"} 1
feature{feature="b"} 0
# TYPE queue gaugehistogram
queue_bucket{le="+Inf"} 3
queue_gcount 3
queue_gsum 7
# TYPE temp gauge
temp -Inf
mystery 4
# EOF
`;

  it('parses counters with _created, histograms, exemplars, units and every type', () => {
    const { families, errors } = om(PAGE);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ['requests', 'counter', 2],
        ['latency_seconds', 'histogram', 6],
        ['rpc_duration', 'summary', 3],
        ['build', 'info', 1],
        ['feature', 'stateset', 2],
        ['queue', 'gaugehistogram', 3],
        ['temp', 'gauge', 1],
        ['mystery', 'unknown', 1],
      ],
    );
    const req = fam(families, 'requests');
    assert.equal(req.help, 'Requests served, with "quotes" " and \\.');
    assert.equal(req.unit, '');
    assert.deepEqual(req.samples[0], {
      name: 'requests_total',
      labels: [['path', '/']],
      value: 1027,
      timestampMs: 1520879607789,
      exemplar: { labels: [['trace_id', 'abc123']], value: 1, timestampMs: 1520879607700 },
    });
    assert.equal(req.samples[1]?.name, 'requests_created');
    assert.equal(req.samples[1]?.value, 1520870000.123);
    const lat = fam(families, 'latency_seconds');
    assert.equal(lat.unit, 'seconds');
    assert.deepEqual(lat.samples[0]?.exemplar, { labels: [['trace_id', 'a1']], value: 0.054 });
    assert.deepEqual(lat.samples[1]?.exemplar, { labels: [], value: 0.5, timestampMs: 1520879607000 });
    assert.equal(lat.samples[5]?.name, 'latency_seconds_created');
    assert.ok(Number.isNaN(fam(families, 'rpc_duration').samples[0]?.value));
    assert.equal(fam(families, 'build').samples[0]?.name, 'build_info');
    assert.equal(fam(families, 'temp').samples[0]?.value, Number.NEGATIVE_INFINITY);
  });

  it('accepts # EOF without a trailing newline', () => {
    assert.deepEqual(om('a 1\n# EOF').errors, []);
  });

  it('requires # EOF', () => {
    const r = om('a 1\nb 2\n');
    assert.deepEqual(r.errors, [{ line: 3, message: 'missing "# EOF" at end of OpenMetrics exposition' }]);
    assert.equal(r.families.length, 2);
  });

  it('rejects content after # EOF', () => {
    assert.deepEqual(om('a 1\n# EOF\nb 2\n').errors, [{ line: 3, message: 'content after "# EOF"' }]);
    assert.deepEqual(om('a 1\n# EOF\n\n').errors, [{ line: 3, message: 'content after "# EOF"' }]);
  });

  it('# EOF is only a comment in 0.0.4', () => {
    const r = prom('a 1\n# EOF\nb 2\n');
    assert.deepEqual(r.errors, []);
    assert.equal(r.families.length, 2);
  });
});

interface BadCase {
  line: string;
  message: string;
  openMetrics?: boolean;
}

/** Each bad line is placed at line 3 between good lines; the good lines must still parse. */
const BAD: BadCase[] = [
  { line: 'bad-name 1', message: 'invalid character "-" in metric name' },
  { line: '0abc 1', message: 'invalid metric name at "0abc 1"' },
  { line: 'novalue', message: 'sample "novalue" has no value' },
  { line: 'x{a="1"}', message: 'sample "x" has no value' },
  { line: 'x 1.2.3', message: 'invalid sample value "1.2.3"' },
  { line: 'x 0x10', message: 'invalid sample value "0x10"' },
  { line: 'x 1 12.5', message: 'invalid timestamp "12.5" (expected integer milliseconds)' },
  { line: 'x 1 2 3', message: 'unexpected text "3" after timestamp' },
  { line: 'x{a="1",a="2"} 1', message: 'duplicate label "a"' },
  { line: 'x{1a="1"} 1', message: 'invalid label name at "1a=\\"1\\"} 1"' },
  { line: 'x{a-b="1"} 1', message: 'invalid character "-" in label name "a"' },
  { line: 'x{a b="1"} 1', message: 'expected "=" after label name "a"' },
  { line: 'x{a=1} 1', message: 'expected \'"\' to start the value of label "a"' },
  { line: 'x{a="1} 1', message: 'unterminated value for label "a"' },
  { line: 'x{a="1" b="2"} 1', message: 'expected "," or "}" after label "a", got "b"' },
  { line: 'x{a="1"', message: 'unterminated label set (missing "}")' },
  { line: 'x 1 # {a="b"} 1', message: 'exemplars are only allowed in OpenMetrics' },
  { line: '# TYPE', message: 'TYPE line without a metric name' },
  { line: '# TYPE my-metric gauge', message: 'invalid metric name "my-metric" in TYPE line' },
  { line: '# TYPE y', message: 'TYPE line for "y" without a type' },
  { line: '# TYPE y gaugehistogram', message: 'unknown metric type "gaugehistogram" for "y"' },
  { line: '# TYPE good counter', message: 'duplicate TYPE for "good"' },
  { line: '# TYPE before gauge', message: 'TYPE for "before" must come before its samples' },
  { line: 'h_bucket 1', message: 'sample "h_bucket" is missing the "le" label' },
  { line: 'h_bucket{le="fast"} 1', message: 'invalid le value "fast"' },
  { line: 'sm{quantile="x"} 1', message: 'invalid quantile value "x"' },
  { line: 'sm 1', message: 'sample "sm" is missing the "quantile" label' },
  // OpenMetrics-only rules.
  { line: '', message: 'empty line is not allowed in OpenMetrics', openMetrics: true },
  {
    line: '# just a comment',
    message: 'comment lines are not allowed in OpenMetrics (only HELP, TYPE, UNIT, EOF)',
    openMetrics: true,
  },
  { line: '# TYPE y untyped', message: 'unknown metric type "untyped" for "y"', openMetrics: true },
  { line: '# UNIT y seconds', message: 'metric name "y" must end with its unit "_seconds"', openMetrics: true },
  { line: 'x 1 12.5x', message: 'invalid timestamp "12.5x"', openMetrics: true },
  {
    line: 'c 1',
    message: 'sample name "c" is not valid for counter family (expected c_total, c_created)',
    openMetrics: true,
  },
  {
    line: 'g 1 # {a="b"} 1',
    message: 'exemplar not allowed on "g" (only counter _total and histogram buckets)',
    openMetrics: true,
  },
  { line: 'c_total 1 # a', message: 'exemplar must start with a label set "{...}"', openMetrics: true },
  {
    line: `c_total 1 # {trace_id="${'a'.repeat(130)}"} 1`,
    message: 'exemplar label set is 138 characters long (limit 128)',
    openMetrics: true,
  },
  {
    line: 'before 2',
    message: 'sample "before" is not contiguous with the rest of family "before"',
    openMetrics: true,
  },
  { line: 'x 1\r', message: 'carriage return is not allowed in OpenMetrics', openMetrics: true },
];

describe('malformed lines', () => {
  for (const c of BAD) {
    const omode = c.openMetrics === true;
    it(`${omode ? 'OM' : '0.0.4'}: ${JSON.stringify(c.line.slice(0, 40))} → ${c.message}`, () => {
      // The bad line is line 7, after metadata it may refer to; good lines before and after it.
      const text =
        'before 1\n# TYPE good counter\n# TYPE h histogram\n# TYPE sm summary\n# TYPE c counter\n# TYPE g gauge\n' +
        `${c.line}\n${omode ? 'good_total' : 'good'} 5\nafter 2\n${omode ? '# EOF\n' : ''}`;
      const { families, errors } = parseExposition(text, { openMetrics: omode });
      const expected: ParseProblem[] = [{ line: 7, message: c.message }];
      assert.deepEqual(errors, expected);
      assert.equal(fam(families, 'before').samples[0]?.value, 1);
      assert.equal(fam(families, 'good').samples[0]?.value, 5);
      assert.equal(fam(families, 'after').samples[0]?.value, 2);
      assert.equal(families.length, 7, 'a bad line creates no family');
    });
  }

  it('reports every bad line of a page and keeps all good ones', () => {
    const text = 'a 1\nb{ 2\nc 3\nd x\ne 5\n';
    const { families, errors } = prom(text);
    assert.deepEqual(errors, [
      { line: 2, message: 'invalid label name at "2"' },
      { line: 4, message: 'invalid sample value "x"' },
    ]);
    assert.deepEqual(
      families.map((f) => f.name),
      ['a', 'c', 'e'],
    );
  });
});

describe('throughput sanity (not timed)', () => {
  it('parses a 1,000-series page', () => {
    let page = '';
    for (let m = 0; m < 50; m++) {
      page += `# HELP metric_${m}_total Some help for metric ${m}.\n# TYPE metric_${m}_total counter\n`;
      for (let i = 0; i < 20; i++) {
        page += `metric_${m}_total{instance="host-${i % 4}:9100",job="node",device="sd${i}",mode="m${i % 3}"} ${i * 1.5 + m}\n`;
      }
    }
    const { families, errors } = prom(page);
    assert.deepEqual(errors, []);
    assert.equal(families.length, 50);
    assert.equal(
      families.reduce((n, f) => n + f.samples.length, 0),
      1000,
    );
  });
});

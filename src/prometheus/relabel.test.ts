// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Prometheus templates use literal ${1} / ${name} references
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  compileRelabelConfigs,
  expandTemplate,
  hashmod,
  isValidRelabelTarget,
  type LabelPairs,
  type RelabelConfig,
  relabel,
} from './relabel.js';

function compile(raw: unknown[]): RelabelConfig[] {
  const { configs, problems } = compileRelabelConfigs(raw);
  assert.deepEqual(problems, []);
  return configs;
}

function run(input: Record<string, string>, raw: unknown[]): Record<string, string> | undefined {
  const out = relabel(new Map(Object.entries(input)), compile(raw));
  return out === undefined ? undefined : Object.fromEntries(out);
}

/** Independent hashmod reference: md5, last 8 bytes big-endian, mod. */
function refHashmod(value: string, modulus: number): string {
  const d = createHash('md5').update(Buffer.from(value, 'utf8')).digest();
  let n = 0n;
  for (let i = 8; i < 16; i++) n = (n << 8n) | BigInt(d[i] ?? 0);
  return (n % BigInt(modulus)).toString();
}

interface Case {
  name: string;
  input: Record<string, string>;
  configs: unknown[];
  /** undefined = dropped */
  output: Record<string, string> | undefined;
}

const abc = { a: 'foo', b: 'bar', c: 'baz' };
const ports = { __tmp_port: '1234', __port1: '1234', __port2: '5678' };

const cases: Case[] = [
  // --- ported from prometheus model/relabel/relabel_test.go TestRelabel ---
  {
    name: 'replace with ${1}',
    input: abc,
    configs: [{ source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch${1}-ch${1}' }],
    output: { ...abc, d: 'choo-choo' },
  },
  {
    name: 'chained replaces see earlier results',
    input: abc,
    configs: [
      { source_labels: ['a', 'b'], regex: 'f(.*);(.*)r', target_label: 'a', replacement: 'b${1}${2}m' },
      { source_labels: ['c', 'a'], regex: '(b).*b(.*)ba(.*)', target_label: 'd', replacement: '$1$2$2$3' },
    ],
    output: { a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' },
  },
  {
    name: 'drop stops processing',
    input: { a: 'foo' },
    configs: [
      { source_labels: ['a'], regex: '.*o.*', action: 'drop' },
      { source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch$1-ch$1' },
    ],
    output: undefined,
  },
  {
    name: 'replace with a group in the middle',
    input: { a: 'abc' },
    configs: [{ source_labels: ['a'], regex: '.*(b).*', target_label: 'd' }],
    output: { a: 'abc', d: 'b' },
  },
  {
    name: 'drop no-match keeps',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: 'no-match', action: 'drop' }],
    output: { a: 'foo' },
  },
  {
    name: 'anchoring: alternation f|o does not match foo',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: 'f|o', action: 'drop' }],
    output: { a: 'foo' },
  },
  {
    name: 'keep no-match drops',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: 'no-match', action: 'keep' }],
    output: undefined,
  },
  {
    name: 'keep match keeps',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: 'f.*', action: 'KEEP' }],
    output: { a: 'foo' },
  },
  {
    name: 'replace without match does nothing',
    input: { a: 'boo' },
    configs: [{ source_labels: ['a'], regex: 'f', target_label: 'b', replacement: 'bar' }],
    output: { a: 'boo' },
  },
  {
    name: 'hashmod literal from relabel_test.go (baz % 1000 = 976)',
    input: abc,
    configs: [{ source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 }],
    output: { ...abc, d: '976' },
  },
  {
    name: 'hashmod literal from relabel_test.go (foo\\nbar % 1000 = 734)',
    input: { a: 'foo\nbar' },
    configs: [{ source_labels: ['a'], target_label: 'b', action: 'hashmod', modulus: 1000 }],
    output: { a: 'foo\nbar', b: '734' },
  },
  {
    name: 'labelmap with ${1}',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    configs: [{ regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' }],
    output: { a: 'foo', b1: 'bar', b2: 'baz', bar_b1: 'bar', bar_b2: 'baz' },
  },
  {
    name: 'labelmap __meta_ prefix',
    input: { a: 'foo', __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' },
    configs: [{ regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' }],
    output: {
      a: 'foo',
      __meta_my_bar: 'aaa',
      __meta_my_baz: 'bbb',
      __meta_other: 'ccc',
      my_bar: 'aaa',
      my_baz: 'bbb',
    },
  },
  {
    name: 'target_label from a capture group',
    input: { a: 'some-name-value' },
    configs: [{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${2}', target_label: '${1}' }],
    output: { a: 'some-name-value', name: 'value' },
  },
  {
    name: 'empty expanded replacement on missing target: no-op',
    input: { a: 'some-name-value' },
    configs: [{ source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${3}', target_label: '${1}' }],
    output: { a: 'some-name-value' },
  },
  {
    name: 'target_label expanding to an invalid/empty name skips the config',
    input: { a: 'some-name-0' },
    configs: [
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}' },
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${2}' },
      { source_labels: ['a'], regex: 'some-([^-]+)(-[^,]+)', replacement: '${1}', target_label: '${3}' },
    ],
    output: { a: 'some-name-0' },
  },
  {
    name: 'real-life tags parsing',
    input: { __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar' },
    configs: [
      { source_labels: ['__meta_sd_tags'], regex: '(?:.+,|^)path:(/[^,]+).*', target_label: '__metrics_path__' },
      { source_labels: ['__meta_sd_tags'], regex: '(?:.+,|^)job:([^,]+).*', target_label: 'job' },
      {
        source_labels: ['__meta_sd_tags'],
        regex: '(?:.+,|^)label:([^=]+)=([^,]+).*',
        replacement: '${2}',
        target_label: '${1}',
      },
    ],
    output: {
      __meta_sd_tags: 'path:/secret,job:some-job,label:foo=bar',
      __metrics_path__: '/secret',
      job: 'some-job',
      foo: 'bar',
    },
  },
  {
    name: 'prometheus#12283: labeldrop then replace then keep',
    input: {
      __meta_kubernetes_pod_container_port_name: 'foo',
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
    },
    configs: [
      { regex: '^__meta_kubernetes_pod_container_port_name$', action: 'labeldrop' },
      {
        source_labels: ['__meta_kubernetes_pod_annotation_XXX_metrics_port'],
        regex: '(.+)',
        replacement: 'metrics',
        target_label: '__meta_kubernetes_pod_container_port_name',
      },
      { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: '^metrics$', action: 'keep' },
    ],
    output: {
      __meta_kubernetes_pod_annotation_XXX_metrics_port: '9091',
      __meta_kubernetes_pod_container_port_name: 'metrics',
    },
  },
  {
    name: 'labelkeep',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    configs: [{ regex: '(b.*)', action: 'labelkeep' }],
    output: { b1: 'bar', b2: 'baz' },
  },
  {
    name: 'labeldrop',
    input: { a: 'foo', b1: 'bar', b2: 'baz' },
    configs: [{ regex: '(b.*)', action: 'labeldrop' }],
    output: { a: 'foo' },
  },
  {
    name: 'uppercase and lowercase',
    input: { foo: 'bAr123Foo' },
    configs: [
      { source_labels: ['foo'], action: 'uppercase', target_label: 'foo_uppercase' },
      { source_labels: ['foo'], action: 'lowercase', target_label: 'foo_lowercase' },
    ],
    output: { foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' },
  },
  {
    name: 'keepequal equal keeps',
    input: ports,
    configs: [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port1' }],
    output: ports,
  },
  {
    name: 'dropequal equal drops',
    input: ports,
    configs: [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port1' }],
    output: undefined,
  },
  {
    name: 'dropequal unequal keeps',
    input: ports,
    configs: [{ source_labels: ['__tmp_port'], action: 'dropequal', target_label: '__port2' }],
    output: ports,
  },
  {
    name: 'keepequal unequal drops',
    input: ports,
    configs: [{ source_labels: ['__tmp_port'], action: 'keepequal', target_label: '__port2' }],
    output: undefined,
  },
  // --- defaults ---
  {
    name: 'defaults: replace (.*) -> $1 copies the joined value',
    input: { a: 'x', b: 'y' },
    configs: [{ source_labels: ['a', 'b'], target_label: 'c' }],
    output: { a: 'x', b: 'y', c: 'x;y' },
  },
  {
    name: 'custom separator',
    input: { a: 'x', b: 'y' },
    configs: [{ source_labels: ['a', 'b'], separator: '/', target_label: 'c' }],
    output: { a: 'x', b: 'y', c: 'x/y' },
  },
  {
    name: 'no source_labels: value is the empty string, static replacement sets the label',
    input: { a: 'x' },
    configs: [{ target_label: 'env', replacement: 'prod' }],
    output: { a: 'x', env: 'prod' },
  },
  // --- anchoring ---
  {
    name: 'anchoring: substring regex does not keep',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: 'o', action: 'keep' }],
    output: undefined,
  },
  {
    name: 'anchoring: user ^ and $ are harmless',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: '^fo+$', action: 'keep' }],
    output: { a: 'foo' },
  },
  // --- empty value deletion ---
  {
    name: 'replace producing "" deletes the target',
    input: { a: 'x', b: 'y' },
    configs: [{ source_labels: ['a'], target_label: 'b', replacement: '' }],
    output: { a: 'x' },
  },
  {
    name: 'replace from missing source with default $1 deletes the target',
    input: { b: 'y' },
    configs: [{ source_labels: ['missing'], target_label: 'b' }],
    output: {},
  },
  {
    name: 'group that captured "" deletes the target',
    input: { a: 'pre-', b: 'y' },
    configs: [{ source_labels: ['a'], regex: 'pre-(.*)', target_label: 'b' }],
    output: { a: 'pre-' },
  },
  {
    name: 'lowercase of a missing label deletes the target',
    input: { t: 'old' },
    configs: [{ source_labels: ['missing'], action: 'lowercase', target_label: 't' }],
    output: {},
  },
  // --- keep/drop with missing labels (missing = "") ---
  {
    name: 'keep with regex "" keeps when the label is missing',
    input: { a: 'x' },
    configs: [{ source_labels: ['missing'], regex: '', action: 'keep' }],
    output: { a: 'x' },
  },
  {
    name: 'keep .+ drops when the label is missing',
    input: { a: 'x' },
    configs: [{ source_labels: ['missing'], regex: '.+', action: 'keep' }],
    output: undefined,
  },
  {
    name: 'drop with default regex (.*) drops everything',
    input: { a: 'x' },
    configs: [{ source_labels: ['missing'], action: 'drop' }],
    output: undefined,
  },
  {
    name: 'missing labels join as empty strings',
    input: { b: 'y' },
    configs: [{ source_labels: ['a', 'b', 'c'], regex: ';y;', action: 'keep' }],
    output: { b: 'y' },
  },
  {
    name: 'keepequal: missing source equals missing target',
    input: { a: 'x' },
    configs: [{ source_labels: ['m1'], action: 'keepequal', target_label: 'm2' }],
    output: { a: 'x' },
  },
  {
    name: 'dropequal: missing source equals missing target',
    input: { a: 'x' },
    configs: [{ source_labels: ['m1'], action: 'dropequal', target_label: 'm2' }],
    output: undefined,
  },
  // --- labelmap/labeldrop details ---
  {
    name: 'labelmap works over a snapshot: new names are not re-mapped in the same step',
    input: { x: '1' },
    configs: [{ regex: '(.*)', replacement: 'x_${1}', action: 'labelmap' }],
    output: { x: '1', x_x: '1' },
  },
  {
    name: 'labelmap: two sources for one target, last in label order wins',
    input: { a_1: 'first', b_1: 'second' },
    configs: [{ regex: '[ab]_(.*)', replacement: 'n$1', action: 'labelmap' }],
    output: { a_1: 'first', b_1: 'second', n1: 'second' },
  },
  {
    name: 'labeldrop is anchored on names',
    input: { ab: '1', b: '2' },
    configs: [{ regex: 'b', action: 'labeldrop' }],
    output: { ab: '1' },
  },
  // --- hashmod ---
  {
    name: 'hashmod over joined source values',
    input: { a: 'x', b: 'y' },
    configs: [{ source_labels: ['a', 'b'], target_label: 'shard', action: 'hashmod', modulus: 7 }],
    output: { a: 'x', b: 'y', shard: refHashmod('x;y', 7) },
  },
  {
    name: 'hashmod with no source labels hashes ""',
    input: {},
    configs: [{ target_label: 'shard', action: 'hashmod', modulus: 1000000007 }],
    output: { shard: refHashmod('', 1000000007) },
  },
  // --- target_label expansion ---
  {
    name: 'target_label "l_$1x" refers to group 1x, which is empty, giving l_',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: '(f)oo', target_label: 'l_$1x', replacement: 'v' }],
    output: { a: 'foo', l_: 'v' },
  },
  {
    name: 'target_label "${1}x" appends x',
    input: { a: 'foo' },
    configs: [{ source_labels: ['a'], regex: '(f)oo', target_label: '${1}x', replacement: 'v' }],
    output: { a: 'foo', fx: 'v' },
  },
  {
    name: 'target_label expanding to a name starting with a digit is skipped',
    input: { a: '9lives' },
    configs: [{ source_labels: ['a'], regex: '(.*)', target_label: '$1', replacement: 'v' }],
    output: { a: '9lives' },
  },
  {
    name: 'named groups in both target and replacement',
    input: { a: 'k=v' },
    configs: [
      { source_labels: ['a'], regex: '(?P<key>\\w+)=(?<val>\\w+)', target_label: '$key', replacement: '${val}!' },
    ],
    output: { a: 'k=v', k: 'v!' },
  },
];

describe('relabel (table)', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(run(c.input, c.configs), c.output);
    });
  }
});

describe('expandTemplate (Go regexp.Expand)', () => {
  const m = /^(?:(a)(b)?(?<name>c)(d))$/u.exec('acd');
  assert.ok(m);
  const table: [string, string][] = [
    ['$1', 'a'],
    ['${1}', 'a'],
    ['$1x', ''],
    ['${1}x', 'ax'],
    ['$2', ''],
    ['$10', ''],
    ['$01', ''],
    ['$0', 'acd'],
    ['$name', 'c'],
    ['${name}', 'c'],
    ['$name_', ''],
    ['$nope', ''],
    ['$$1', '$1'],
    ['$', '$'],
    ['x$', 'x$'],
    ['${1', '${1'],
    ['${}', '${}'],
    ['$-1', '$-1'],
    ['$1.$4', 'a.d'],
    ['$é', ''],
    ['plain', 'plain'],
  ];
  for (const [tpl, want] of table) {
    it(`${JSON.stringify(tpl)} -> ${JSON.stringify(want)}`, () => {
      assert.equal(expandTemplate(tpl, m), want);
    });
  }
});

describe('hashmod', () => {
  it('matches the relabel_test.go literals', () => {
    assert.equal(hashmod('baz', 1000n), 976n);
    assert.equal(hashmod('foo\nbar', 1000n), 734n);
  });
  it('matches an independent md5 computation for many inputs', () => {
    for (const s of ['', 'a', 'target:9090', '10.0.0.1:8080;job', 'ünïcode', 'x'.repeat(1000)]) {
      for (const mod of [1, 2, 3, 10, 997, 2 ** 31]) {
        assert.equal(hashmod(s, BigInt(mod)).toString(), refHashmod(s, mod), `${s} % ${mod}`);
      }
    }
  });
  it('accepts a bigint modulus above 2^53', () => {
    const [cfg] = compile([{ source_labels: ['a'], target_label: 'h', action: 'hashmod', modulus: 2n ** 64n - 1n }]);
    assert.ok(cfg);
    const out = relabel([['a', 'v']], [cfg]);
    const d = createHash('md5').update('v').digest();
    assert.deepEqual(out, [
      ['a', 'v'],
      ['h', (d.readBigUInt64BE(8) % (2n ** 64n - 1n)).toString()],
    ]);
  });
});

describe('relabel input/output shapes', () => {
  it('array in, sorted array out; input untouched', () => {
    const input: LabelPairs = [
      ['z', '1'],
      ['a', '2'],
    ];
    const out = relabel(input, compile([{ target_label: 'm', replacement: 'x' }]));
    assert.deepEqual(out, [
      ['a', '2'],
      ['m', 'x'],
      ['z', '1'],
    ]);
    assert.deepEqual(input, [
      ['z', '1'],
      ['a', '2'],
    ]);
  });
  it('Map in, new sorted Map out', () => {
    const input = new Map([
      ['b', '1'],
      ['a', '2'],
    ]);
    const out = relabel(input, compile([{ regex: 'a', action: 'labeldrop' }]));
    assert.ok(out instanceof Map);
    assert.deepEqual([...out], [['b', '1']]);
    assert.equal(input.size, 2);
  });
  it('no configs returns a sorted copy', () => {
    assert.deepEqual(relabel([['b', '1']], []), [['b', '1']]);
  });
});

describe('regex translation (RE2 semantics on JS RegExp)', () => {
  const keeps = (regex: string, value: string): boolean =>
    run({ a: value }, [{ source_labels: ['a'], regex, action: 'keep' }]) !== undefined;
  it('. does not match newline unless (?s)', () => {
    assert.equal(keeps('.*', 'a\nb'), false);
    assert.equal(keeps('.*', 'a\rb'), true);
    assert.equal(keeps('(?s).*', 'a\nb'), true);
  });
  it('leading (?i)', () => {
    assert.equal(keeps('(?i)foo', 'FoO'), true);
    assert.equal(keeps('foo', 'FoO'), false);
  });
  it('\\z, \\A, \\Q..\\E, \\pL, POSIX classes, literal braces, punctuation escapes', () => {
    assert.equal(keeps('\\Afoo\\z', 'foo'), true);
    assert.equal(keeps('\\Qa.b*\\E', 'a.b*'), true);
    assert.equal(keeps('\\Qa.b*\\E', 'axbb'), false);
    assert.equal(keeps('\\pL+', 'héllo'), true);
    assert.equal(keeps('[[:alpha:]]+[[:digit:]]', 'abc1'), true);
    assert.equal(keeps('a{', 'a{'), true);
    assert.equal(keeps('a{2}', 'aa'), true);
    assert.equal(keeps('\\_\\-', '_-'), true);
    assert.equal(keeps('[]a]+', ']a'), true);
    assert.equal(keeps('\\s', '\v'), false);
  });
  it('rejects constructs RE2 does not support', () => {
    for (const regex of ['(a)\\1', '(?=a)a', '(?!a)b', '(?<=a)b', 'a{1001}', '(?<n>a)\\k<n>']) {
      const { problems } = compileRelabelConfigs([{ source_labels: ['a'], regex, action: 'keep' }]);
      assert.equal(problems.length, 1, regex);
      assert.match(problems[0]?.message ?? '', /^error parsing regexp/, regex);
    }
  });
  it('rejects scoped flags it does not emulate, and invalid syntax', () => {
    for (const regex of ['a(?i)b', '(?i:a)', '(?U)a', '(', '[a']) {
      const { problems } = compileRelabelConfigs([{ regex, action: 'labeldrop' }]);
      assert.equal(problems.length, 1, regex);
    }
  });
});

describe('compileRelabelConfigs', () => {
  it('applies defaults', () => {
    const [cfg] = compile([{ source_labels: ['a'], target_label: 'b' }]);
    assert.ok(cfg);
    assert.equal(cfg.action, 'replace');
    assert.equal(cfg.separator, ';');
    assert.equal(cfg.regexSource, '(.*)');
    assert.equal(cfg.replacement, '$1');
    assert.equal(cfg.modulus, 0n);
    assert.deepEqual(cfg.sourceLabels, ['a']);
  });
  it('action is case-insensitive', () => {
    const [cfg] = compile([{ regex: 'x', action: 'LabelDrop' }]);
    assert.equal(cfg?.action, 'labeldrop');
  });
  it('keeps good entries and reports bad ones by index', () => {
    const { configs, problems } = compileRelabelConfigs([
      { regex: 'x', action: 'labeldrop' },
      { action: 'replace' },
      { source_labels: ['a'], target_label: 'b' },
    ]);
    assert.equal(configs.length, 2);
    assert.deepEqual(problems, [
      { index: 1, message: "relabel configuration for replace action requires 'target_label' value" },
    ]);
  });

  const errors: [string, unknown, string][] = [
    ['not a mapping', 'keep', 'relabel config must be a mapping'],
    ['unknown field', { target_label: 'a', foo: 1 }, 'field foo not found in type relabel.plain'],
    ['unknown action', { action: 'explode' }, 'unknown relabel action "explode"'],
    ['empty action string', { action: '' }, 'unknown relabel action ""'],
    ['bad source label', { source_labels: ['ok', '1bad'], target_label: 'a' }, '"1bad" is not a valid label name'],
    ['bad regex', { regex: '(', target_label: 'a' }, 'error parsing regexp'],
    ['bad modulus', { action: 'hashmod', modulus: -1, target_label: 'a' }, "'modulus' must be a non-negative integer"],
    ['replace no target', {}, "relabel configuration for replace action requires 'target_label' value"],
    [
      'hashmod no modulus',
      { action: 'hashmod', target_label: 'a' },
      'relabel configuration for hashmod requires non-zero modulus',
    ],
    [
      'hashmod no target',
      { action: 'hashmod', modulus: 2 },
      "relabel configuration for hashmod action requires 'target_label' value",
    ],
    [
      'hashmod bad target',
      { action: 'hashmod', modulus: 2, target_label: '$1' },
      `"$1" is invalid 'target_label' for hashmod action`,
    ],
    [
      'lowercase no target',
      { action: 'lowercase' },
      "relabel configuration for lowercase action requires 'target_label' value",
    ],
    [
      'uppercase no target',
      { action: 'uppercase' },
      "relabel configuration for uppercase action requires 'target_label' value",
    ],
    [
      'keepequal no target',
      { action: 'keepequal' },
      "relabel configuration for keepequal action requires 'target_label' value",
    ],
    [
      'dropequal no target',
      { action: 'dropequal' },
      "relabel configuration for dropequal action requires 'target_label' value",
    ],
    [
      'lowercase ${3} target',
      { action: 'lowercase', target_label: '${3}' },
      `"\${3}" is invalid 'target_label' for lowercase action`,
    ],
    ['replace 0${3}', { target_label: '0${3}' }, `"0\${3}" is invalid 'target_label' for replace action`],
    ['replace -${3}', { target_label: '-${3}' }, `"-\${3}" is invalid 'target_label' for replace action`],
    ['replace invalid plain name', { target_label: 'a-b' }, `"a-b" is invalid 'target_label' for replace action`],
    [
      'uppercase replacement set',
      { action: 'uppercase', target_label: 'a', replacement: 'x' },
      "'replacement' can not be set for uppercase action",
    ],
    [
      'lowercase replacement ""',
      { action: 'lowercase', target_label: 'a', replacement: '' },
      "'replacement' can not be set for lowercase action",
    ],
    [
      'labelmap bad replacement',
      { action: 'labelmap', replacement: '-$1' },
      `"-$1" is invalid 'replacement' for labelmap action`,
    ],
    [
      'keepequal with regex',
      { action: 'keepequal', target_label: 'a', regex: '(.*)' },
      "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    ],
    [
      'dropequal with separator',
      { action: 'dropequal', target_label: 'a', separator: ',' },
      "dropequal action requires only 'source_labels' and `target_label`, and no other fields",
    ],
    [
      'labeldrop with source_labels',
      { action: 'labeldrop', source_labels: ['a'] },
      "labeldrop action requires only 'regex', and no other fields",
    ],
    [
      'labelkeep with target_label',
      { action: 'labelkeep', target_label: 'a' },
      "labelkeep action requires only 'regex', and no other fields",
    ],
    [
      'labelkeep with replacement',
      { action: 'labelkeep', replacement: 'x' },
      "labelkeep action requires only 'regex', and no other fields",
    ],
  ];
  for (const [name, raw, message] of errors) {
    it(`error: ${name}`, () => {
      const { configs, problems } = compileRelabelConfigs([raw]);
      assert.equal(configs.length, 0);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]?.index, 0);
      assert.ok(problems[0]?.message.startsWith(message), `${problems[0]?.message} should start with ${message}`);
    });
  }

  it('accepts valid edge shapes', () => {
    compile([
      { source_labels: ['a'], regex: 'some-([^-]+)-([^,]+)', replacement: '${1}', target_label: '${3}' },
      { action: 'labelkeep', regex: 'x', separator: ';', replacement: '$1' },
      { action: 'keepequal', source_labels: ['a'], target_label: 'b', separator: ';' },
      { action: 'labelmap', regex: '(.*)' },
      { action: 'hashmod', modulus: 1, target_label: 'h' },
      { target_label: 'x', regex: null },
    ]);
  });
});

describe('isValidRelabelTarget (TestTargetLabelValidity)', () => {
  const table: [string, boolean][] = [
    ['-label', false],
    ['label', true],
    ['label${1}', true],
    ['${1}label', true],
    ['${1}', true],
    ['${', false],
    ['$', false],
    ['${}', false],
    ['foo${', false],
    ['$1', true],
    ['asd$2asd', true],
    ['-foo${1}bar-', false],
    ['_${1}_', true],
    ['foo${bar}foo', true],
  ];
  for (const [s, valid] of table) {
    it(`${s} -> ${valid}`, () => assert.equal(isValidRelabelTarget(s), valid));
  }
  it('stays fast on long non-matching input', () => {
    const start = performance.now();
    assert.equal(isValidRelabelTarget(`${'a$b'.repeat(5000)}-`), false);
    assert.ok(performance.now() - start < 500);
  });
});

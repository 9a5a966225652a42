// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${...} references
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toPlain } from './located.js';
import { parseSource } from './parse.js';
import { expand } from './substitute.js';

const env = { A: 'x', N: '42', EMPTY: '' };

test('expand: whole, mixed and literal text', () => {
  assert.deepEqual(expand('${env:A}', env).expansion, { kind: 'whole', reference: '${env:A}', text: 'x' });
  assert.deepEqual(expand('${A}', env).expansion, { kind: 'whole', reference: '${A}', text: 'x' });
  assert.deepEqual(expand('a-${env:A}-${N}', env).expansion, { kind: 'mixed', text: 'a-x-42' });
  assert.deepEqual(expand('plain', env).expansion, { kind: 'literal', text: 'plain' });
  assert.deepEqual(expand('cost: $$5 and $${env:A} and $x', env).expansion, {
    kind: 'literal',
    text: 'cost: $5 and ${env:A} and $x',
  });
  assert.deepEqual(expand('${unterminated', env).expansion, { kind: 'literal', text: '${unterminated' });
});

test('expand: defaults apply only to unset variables, and may hold references', () => {
  assert.equal(expand('${env:MISSING:-d}', env).expansion.text, 'd');
  assert.equal(expand('${MISSING:-a:b}', env).expansion.text, 'a:b');
  assert.equal(expand('${env:EMPTY:-d}', env).expansion.text, '');
  assert.equal(expand('${env:MISSING:-${env:A}}', env).expansion.text, 'x');
  assert.deepEqual(expand('${env:MISSING:-}', env), {
    expansion: { kind: 'whole', reference: '${env:MISSING:-}', text: '' },
    problems: [],
  });
});

test('expand: problems', () => {
  assert.deepEqual(expand('${env:MISSING}', env).problems, [
    { severity: 'warning', message: 'environment variable MISSING is not set (${env:MISSING}); using ""' },
  ]);
  assert.equal(expand('${vault:x}', env).problems[0]?.severity, 'error');
  assert.equal(expand('${env:A-B}', env).problems[0]?.severity, 'error');
});

test('parseSource: typing follows the YAML node, not the text', () => {
  const parsed = parseSource(
    [
      'a: ${env:N}',
      'b: "${env:N}"',
      "c: '${env:N}'",
      'd: !!str ${env:N}',
      'e: |',
      '  ${env:N}',
      'f: ${env:N}s',
      'g: ${env:MAP}',
      'h: ${env:NULL}',
      'i::j: 1',
      'k: ${env:HASH}',
    ].join('\n'),
    { source: 't.yaml', env: { N: '42', MAP: '{k: [1, true]}', NULL: 'null', HASH: '#not-a-comment' } },
  );
  assert.deepEqual(parsed.issues, []);
  assert.deepEqual(toPlain(parsed.root), {
    a: 42,
    b: '42',
    c: '42',
    d: '42',
    e: '42\n',
    f: '42s',
    g: { k: [1, true] },
    h: null,
    i: { j: 1 },
    k: '#not-a-comment',
  });
});

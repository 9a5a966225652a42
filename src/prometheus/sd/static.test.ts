import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SdProblem } from './common.js';
import { parseStaticConfigs, StaticDiscoverer } from './static.js';
import type { TargetGroup } from './types.js';

describe('static_configs', () => {
  it('gives one group per entry, source = index', async () => {
    const problems: SdProblem[] = [];
    const configs = parseStaticConfigs(
      [{ targets: ['127.0.0.1:1', 'h:2'], labels: { a: 'b', n: 3 } }, { targets: ['x:1'] }],
      'static_configs',
      problems,
    );
    assert.deepEqual(problems, []);
    let got: readonly TargetGroup[] = [];
    const d = new StaticDiscoverer(configs);
    await d.start(
      (g) => {
        got = g;
      },
      () => {},
    );
    await d.stop();
    assert.deepEqual(got, [
      { source: '0', targets: [{ __address__: '127.0.0.1:1' }, { __address__: 'h:2' }], labels: { a: 'b', n: '3' } },
      { source: '1', targets: [{ __address__: 'x:1' }], labels: {} },
    ]);
  });

  it('positions problems', () => {
    const problems: SdProblem[] = [];
    parseStaticConfigs(
      [{ targets: ['a/b', 3], labels: { 'bad-name': 'x' }, target: [] }, 'x'],
      'static_configs',
      problems,
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        'static_configs[0].target',
        'static_configs[0].targets[1]',
        'static_configs[0].targets[0]',
        'static_configs[0].labels.bad-name',
        'static_configs[1]',
      ],
    );
    assert.match(problems[0]?.message ?? '', /did you mean 'targets'/);
  });
});

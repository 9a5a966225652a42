import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, waitFor } from '../../../test/helpers.js';
import type { SdProblem } from './common.js';
import { expandPattern, FileDiscoverer, parseFileSdConfigs } from './file.js';
import type { TargetGroup } from './types.js';

function collect(): {
  latest: () => readonly TargetGroup[] | undefined;
  errors: Error[];
  onGroups: (g: readonly TargetGroup[]) => void;
} {
  let latest: readonly TargetGroup[] | undefined;
  return {
    latest: () => latest,
    errors: [],
    onGroups: (g) => {
      latest = g;
    },
  };
}

describe('file_sd config', () => {
  it('resolves relative paths, defaults refresh_interval to 5m, and positions problems', () => {
    const problems: SdProblem[] = [];
    const configs = parseFileSdConfigs(
      [
        { files: ['targets/*.json', '/abs/x.yml'] },
        { files: ['a/*/b.json', 'x.txt'], refresh_interval: '1x', extra: 1 },
        { files: [] },
      ],
      'file_sd_configs',
      problems,
      '/base',
    );
    assert.deepEqual(configs[0], { files: ['/base/targets/*.json', '/abs/x.yml'], refreshIntervalMs: 300_000 });
    assert.deepEqual(
      problems.map((p) => p.path),
      [
        'file_sd_configs[1].extra',
        'file_sd_configs[1].files[0]',
        'file_sd_configs[1].files[1]',
        'file_sd_configs[1].refresh_interval',
        'file_sd_configs[2].files',
      ],
    );
    assert.match(problems[1]?.message ?? '', /not valid for file discovery/);
  });

  it('expands globs in the last path element only', () => {
    const dir = tempDir();
    try {
      for (const f of ['a.json', 'b.json', 'c.yaml', 'd.jsonx']) writeFileSync(join(dir.path, f), '[]');
      assert.deepEqual(expandPattern(join(dir.path, '*.json')), [join(dir.path, 'a.json'), join(dir.path, 'b.json')]);
      assert.deepEqual(expandPattern(join(dir.path, '[ac].*')), [join(dir.path, 'a.json'), join(dir.path, 'c.yaml')]);
      assert.deepEqual(expandPattern(join(dir.path, 'missing', '*.json')), []);
    } finally {
      dir.remove();
    }
  });
});

describe('FileDiscoverer', () => {
  it("reads JSON and YAML, picks up changes through fs.watch, keeps a broken file's last good groups", async () => {
    const dir = tempDir();
    const c = collect();
    const json = join(dir.path, 'a.json');
    const yaml = join(dir.path, 'b.yml');
    writeFileSync(
      json,
      JSON.stringify([
        { targets: ['127.0.0.1:1', '127.0.0.1:2'], labels: { env: 'prod' } },
        { targets: ['127.0.0.1:3'] },
      ]),
    );
    writeFileSync(yaml, '- targets: ["127.0.0.1:4"]\n  labels:\n    team: core\n    port: 80\n    ratio: 1.50\n');
    // A refresh interval of an hour: every change below must arrive through the watch.
    const d = new FileDiscoverer({
      files: [join(dir.path, '*.json'), join(dir.path, '*.yml')],
      refreshIntervalMs: 3_600_000,
    });
    try {
      await d.start(c.onGroups, (e) => c.errors.push(e));
      assert.deepEqual(c.latest(), [
        {
          source: `${json}:0`,
          targets: [{ __address__: '127.0.0.1:1' }, { __address__: '127.0.0.1:2' }],
          labels: { env: 'prod', __meta_filepath: json },
        },
        { source: `${json}:1`, targets: [{ __address__: '127.0.0.1:3' }], labels: { __meta_filepath: json } },
        {
          source: `${yaml}:0`,
          targets: [{ __address__: '127.0.0.1:4' }],
          labels: { team: 'core', port: '80', ratio: '1.50', __meta_filepath: yaml },
        },
      ]);

      writeFileSync(json, JSON.stringify([{ targets: ['127.0.0.1:9'] }]));
      await waitFor('changed file', () =>
        c.latest()?.[0]?.targets[0]?.['__address__'] === '127.0.0.1:9' ? true : undefined,
      );
      assert.equal(c.latest()?.length, 2);

      writeFileSync(yaml, 'targets: [oops');
      await waitFor('error for broken file', () => (c.errors.length > 0 ? true : undefined));
      assert.match(c.errors[0]?.message ?? '', /b\.yml/);
      assert.deepEqual(
        c.latest()?.map((g) => g.source),
        [`${json}:0`, `${yaml}:0`],
        'the broken file keeps its last good groups',
      );

      const added = join(dir.path, 'c.json');
      writeFileSync(added, JSON.stringify([{ targets: ['127.0.0.1:5'] }]));
      await waitFor('new file', () => (c.latest()?.some((g) => g.source === `${added}:0`) ? true : undefined));

      rmSync(json);
      await waitFor('removed file', () =>
        c.latest()?.some((g) => g.source.startsWith(json)) === false ? true : undefined,
      );
    } finally {
      await d.stop();
      await d.stop();
      dir.remove();
    }
  });

  it('re-reads on the refresh interval and reports invalid groups', async () => {
    const dir = tempDir();
    const c = collect();
    const file = join(dir.path, 't.json');
    writeFileSync(file, JSON.stringify([{ targets: ['127.0.0.1:1'], labels: { 'bad-name': 'x' } }]));
    const d = new FileDiscoverer({ files: [file], refreshIntervalMs: 100 });
    try {
      await d.start(c.onGroups, (e) => c.errors.push(e));
      assert.deepEqual(c.latest(), []);
      assert.match(c.errors[0]?.message ?? '', /"bad-name" is not a valid label name/);
      writeFileSync(file, JSON.stringify([{ targets: ['127.0.0.1:1'] }]));
      await waitFor('fixed file', () => (c.latest()?.length === 1 ? true : undefined));
    } finally {
      await d.stop();
      dir.remove();
    }
  });
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers.js';
import { createDiscoverers, JobDiscovery } from './index.js';
import type { TargetGroup } from './types.js';

describe('createDiscoverers', () => {
  it('builds one discoverer per config entry and positions problems', () => {
    const ok = createDiscoverers({
      job_name: 'j',
      static_configs: [{ targets: ['a:1'] }],
      file_sd_configs: [{ files: ['x.json'] }, { files: ['y.yml'] }],
      http_sd_configs: [{ url: 'http://127.0.0.1:1/sd' }],
    });
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(
      ok.discoverers.map((d) => d.name),
      ['static_configs', 'file_sd_configs[0]', 'file_sd_configs[1]', 'http_sd_configs[0]'],
    );
    const bad = createDiscoverers({ http_sd_configs: [{ url: 'nope' }], file_sd_configs: 'x' });
    assert.deepEqual(
      bad.problems.map((p) => p.path),
      ['file_sd_configs', 'http_sd_configs[0].url'],
    );
    assert.deepEqual(createDiscoverers('x').problems, [{ path: '', message: 'scrape config must be a mapping' }]);
  });

  it('JobDiscovery reports the union with prefixed sources', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 't.json'), JSON.stringify([{ targets: ['b:1'] }]));
      const { discoverers, problems } = createDiscoverers(
        { static_configs: [{ targets: ['a:1'] }], file_sd_configs: [{ files: ['*.json'] }] },
        { baseDir: dir.path },
      );
      assert.deepEqual(problems, []);
      const job = new JobDiscovery(discoverers);
      const reports: (readonly TargetGroup[])[] = [];
      await job.start(
        (g) => reports.push(g),
        () => {},
      );
      await job.stop();
      assert.equal(reports.length, 1, 'one report once every discoverer started');
      assert.deepEqual(
        reports[0]?.map((g) => g.source),
        ['static_configs/0', `file_sd_configs[0]/${join(dir.path, 't.json')}:0`],
      );
    } finally {
      dir.remove();
    }
  });
});

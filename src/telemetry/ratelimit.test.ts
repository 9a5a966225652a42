import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from './logger.js';
import { RateLimitedLog } from './ratelimit.js';

describe('RateLimitedLog', () => {
  it('lets one line per key through per interval and reports how many it held back', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = silentLogger();
    logger.warn = ((obj: Record<string, unknown>) => {
      lines.push(obj);
    }) as typeof logger.warn;
    let now = 0;
    const log = new RateLimitedLog(logger, 1000, () => now);
    log.warn('a', { n: 1 }, 'x');
    log.warn('a', { n: 2 }, 'x');
    log.warn('b', { n: 3 }, 'x');
    log.warn('a', { n: 4 }, 'x');
    now = 1500;
    log.warn('a', { n: 5 }, 'x');
    assert.deepEqual(lines, [{ n: 1 }, { n: 3 }, { n: 5, suppressed: 2 }]);
  });
});

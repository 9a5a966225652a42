import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { listen } from './listen.js';

describe('listen', () => {
  it('rejects when the port is taken, and routes later server errors to onError', async () => {
    const first = net.createServer();
    const errors: Error[] = [];
    const bound = await listen(first, 0, '127.0.0.1', (e) => errors.push(e));
    const second = net.createServer();
    await assert.rejects(
      listen(second, bound.port, '127.0.0.1', () => {}),
      (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE',
    );
    first.emit('error', new Error('after bind'));
    assert.deepEqual(
      errors.map((e) => e.message),
      ['after bind'],
    );
    await new Promise<void>((r) => first.close(() => r()));
  });
});

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAtMost } from '../src/bounded-read.js';

describe('readAtMost', () => {
  it('reads a body up to the bound whole, strings and bytes alike', async () => {
    const body = Readable.from([Buffer.from('ab'), 'cd', new Uint8Array([101])]);
    expect((await readAtMost(body, 5, () => new Error('too large'))).toString()).toBe('abcde');
  });

  it('stops at the first byte past the bound, destroys the body, and throws the caller’s error', async () => {
    let pulled = 0;
    const body = Readable.from((function* () {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield Buffer.alloc(10);
      }
    })());
    await expect(readAtMost(body, 25, () => new Error('over 25 bytes'))).rejects.toThrow('over 25 bytes');
    expect(body.destroyed).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});

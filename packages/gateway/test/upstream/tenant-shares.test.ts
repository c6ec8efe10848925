import { describe, expect, it } from 'vitest';
import { Abort } from '../../src/upstream/abort.js';
import { TenantShares, type Release } from '../../src/upstream/tenant-shares.js';

const O = 'https://api.openai.com';

describe('TenantShares', () => {
  it('gives a tenant its share at once, queues the rest in order, and leaves other tenants and origins alone', async () => {
    const shares = new TenantShares(2);
    const never = new Abort();
    const a1 = shares.acquire(O, 'A', never) as Release;
    const a2 = shares.acquire(O, 'A', never) as Release;
    expect(typeof a1).toBe('function');
    const order: number[] = [];
    const a3 = (shares.acquire(O, 'A', never) as Promise<Release>).then((r) => (order.push(3), r));
    const a4 = (shares.acquire(O, 'A', never) as Promise<Release>).then((r) => (order.push(4), r));
    expect(shares.load(O, 'A')).toEqual({ active: 2, waiting: 2 });
    expect(typeof shares.acquire(O, 'B', never)).toBe('function');
    expect(typeof shares.acquire('https://api.anthropic.com', 'A', never)).toBe('function');
    a1();
    a1(); // a second call is a no-op: it must not free a place twice
    await a3;
    expect(shares.load(O, 'A')).toEqual({ active: 2, waiting: 1 });
    a2();
    (await a3)();
    (await a4)();
    expect(order).toEqual([3, 4]);
    expect(shares.load(O, 'A')).toEqual({ active: 0, waiting: 0 });
  });

  it('a waiting request whose signal aborts leaves the queue and rejects', async () => {
    const shares = new TenantShares(1);
    const held = shares.acquire(O, 'A', new Abort()) as Release;
    const abort = new Abort();
    const waiting = shares.acquire(O, 'A', abort) as Promise<Release>;
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(shares.load(O, 'A')).toEqual({ active: 1, waiting: 0 });
    held();
    expect(shares.load(O, 'A')).toEqual({ active: 0, waiting: 0 });
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalEntityLayer } from '../../src/entities/redis-local-layer.js';

describe('LocalEntityLayer (the in-process layer of the Redis entity cache)', () => {
  afterEach(() => vi.useRealTimers());

  it('expires entries after the TTL and keeps cached "not found" answers', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const layer = new LocalEntityLayer(10_000, 10);
    layer.set('key:a', { id: 'a' });
    layer.set('key:missing', undefined);
    expect(layer.get('key:a')).toEqual({ value: { id: 'a' } });
    expect(layer.get('key:missing')).toEqual({ value: undefined });
    vi.setSystemTime(1_010_000);
    expect(layer.get('key:a')).toBeUndefined();
  });

  it('stays within its bound, evicting the least recently used entry (recency kept to the second)', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const layer = new LocalEntityLayer(60_000, 3);
    layer.set('a', 1);
    layer.set('b', 2);
    layer.set('c', 3);
    vi.setSystemTime(1_002_000);
    expect(layer.get('a')).toEqual({ value: 1 }); // a becomes the most recent
    layer.set('d', 4); // evicts b, the least recently used
    expect(layer.get('b')).toBeUndefined();
    expect(layer.get('a')).toEqual({ value: 1 });
    expect(layer.get('c')).toEqual({ value: 3 });
    expect(layer.get('d')).toEqual({ value: 4 });
  });
});

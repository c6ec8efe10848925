/**
 * A real 6-node Redis Cluster (3 masters, 3 replicas): cache, limits (subjects on different shards,
 * rolled back together) and entity invalidation, then a master is killed and everything recovers
 * after the failover. A second cluster runs TLS, as ElastiCache in cluster mode with encryption does.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { loadSettings } from '../../src/config/settings.js';
import { RedisCacheStore } from '../../src/cache/redis-store.js';
import { RedisLimiter } from '../../src/limits/redis-limiter.js';
import type { LimitSubject } from '../../src/limits/types.js';
import { GatewayError } from '../../src/errors.js';
import { RedisEntityCache } from '../../src/entities/redis-cache.js';
import type { EntityStore } from '../../src/entities/types.js';
import { createRedis, type RedisConnection } from '../../src/state/redis.js';
import { startRedisCluster, type RedisCluster } from '@portico/test-support/redis';
import { pollUntil, type Check } from '../helpers/until.js';

/** The 50 ms bound plus slack: during a failover the cluster client also reshuffles its slot map on this thread. */
const FAILOVER_BOUND_MS = 150;

const until = (what: string, check: Check, ms = 15_000) => pollUntil(what, check, ms, 50);

/**
 * Runs `op` beside a timer of the product's 50 ms bound started at the same moment: how long `op`
 * took, and how late that timer fired. On a loaded machine every timer fires late, the command
 * timeout's too, so the bound is checked against the machine's own lateness, not against a clock
 * that assumes an idle CPU.
 */
async function againstTimer<T>(op: () => Promise<T>): Promise<{ value: T; took: number; timerLate: number }> {
  const started = performance.now();
  const timer = new Promise<number>((r) => setTimeout(() => r(performance.now() - started - 50), 50));
  const value = await op();
  const took = performance.now() - started;
  return { value, took, timerLate: Math.max(0, await timer) };
}

describe('Redis Cluster, 3 masters + 3 replicas', () => {
  let cluster: RedisCluster;
  let conns: RedisConnection[] = [];
  let raw: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster({ nodeTimeoutMs: 1000 });
    const settings = loadSettings({ CACHE_STORE: 'redis', REDIS_MODE: 'cluster', REDIS_URL: cluster.url, REDIS_COMMAND_TIMEOUT_MS: '1000' });
    conns = [createRedis(settings), createRedis(settings), createRedis(settings)];
    raw = new Cluster(cluster.startup);
    raw.on('error', () => undefined); // the stopped-server phases are expected
    await until('cluster clients ready', () => conns.every((c) => c.ready) && raw.status === 'ready');
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
    raw?.disconnect();
    await cluster?.stop();
  });

  it('stores and reads cache entries spread over every shard', async () => {
    const store = new RedisCacheStore(conns[0]);
    const keys = Array.from({ length: 30 }, (_, i) => `tenant-${i}:${randomUUID()}`);
    await Promise.all(keys.map((k, i) => store.set(k, Buffer.from(`v${i}`), 60)));
    const other = new RedisCacheStore(conns[1]);
    expect(await Promise.all(keys.map((k) => other.get(k)))).toEqual(keys.map((_, i) => Buffer.from(`v${i}`)));
  });

  it('enforces limits of subjects on different shards without overshoot, rolling back refused requests', async () => {
    const id = randomUUID().slice(0, 8);
    const subjects: LimitSubject[] = [
      { scope: 'key', id: `k-${id}`, rules: [{ kind: 'tokens', limit: 10_000, window: 'minute' }] },
      { scope: 'vk', id: `v-${id}`, rules: [{ kind: 'requests', limit: 1000, window: 'minute' }] },
      { scope: 'user', id: `u-${id}`, rules: [{ kind: 'requests', limit: 1000, window: 'hour' }] },
    ];
    const limiters = conns.map((c) => new RedisLimiter(c));
    const minute = Math.floor(Date.now() / 60_000) * 60;
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => limiters[i % 3].reserve(subjects, { tokens: 700, costUsd: 0 })));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    // A minute boundary during the burst would open a second window: allow for that one case.
    if (Math.floor(Date.now() / 60_000) * 60 === minute) {
      expect(ok).toBe(14);
      expect(await raw.get(`portico:limits:{key:k-${id}}:tokens:minute:${minute}`)).toBe('9800');
      // Refused requests were counted on the vk shard for an instant, then rolled back.
      await until('rollbacks applied', async () => (await raw.get(`portico:limits:{vk:v-${id}}:requests:minute:${minute}`)) === '14', 3000);
    }
    for (const r of results) if (r.status === 'rejected') expect((r.reason as GatewayError).status).toBe(429);
  });

  it('carries entity invalidations between replicas through cluster pub/sub', async () => {
    const vks = new Map([['vk1', 'gpt-4o']]);
    const inner = (): EntityStore => ({
      kind: 'map', authRequired: () => false, findKeyByHash: async () => undefined,
      getVirtualKey: async (slug) => (vks.has(slug) ? { slug, provider: 'openai', settings: { model: vks.get(slug)! } } : undefined),
      getConfig: async () => undefined, getPrompt: async () => undefined, userLimits: async () => undefined,
      onChange: () => undefined, health: () => ({ status: 'ok' }), close: async () => undefined,
    });
    const a = new RedisEntityCache(inner(), conns[0], { localTtlMs: 60_000 });
    const b = new RedisEntityCache(inner(), conns[1], { localTtlMs: 60_000 });
    let heard = 0;
    b.onChange(() => heard++);
    try {
      await Promise.all([a.start(5000), b.start(5000)]);
      expect((await b.getVirtualKey('vk1'))?.settings.model).toBe('gpt-4o');
      vks.set('vk1', 'gpt-4.1');
      expect((await b.getVirtualKey('vk1'))?.settings.model).toBe('gpt-4o'); // cached
      await a.invalidate('vk', 'vk1');
      await until('B heard it', () => heard > 0, 5000);
      expect((await b.getVirtualKey('vk1'))?.settings.model).toBe('gpt-4.1');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps serving while a master dies, and recovers once its replica takes over', async () => {
    const store = new RedisCacheStore(conns[0]);
    const limiter = new RedisLimiter(conns[0]);
    // A replica's view with the production bound: nothing may wait past ~50 ms during the failover.
    const fast = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_MODE: 'cluster', REDIS_URL: cluster.url, REDIS_COMMAND_TIMEOUT_MS: '50' }));
    await until('fast client ready', () => fast.ready);
    const fastStore = new RedisCacheStore(fast);
    const open = new RedisLimiter(fast, { failMode: 'open' });
    const key = `victim:${randomUUID()}`;
    await store.set(key, Buffer.from('before'), 300);
    // The master owning this key's slot.
    const slot = Number(await raw.call('CLUSTER', 'KEYSLOT', `portico:cache:${key}`));
    const shards = (await raw.call('CLUSTER', 'SHARDS')) as unknown[];
    expect(shards.length).toBe(3);
    const slots = (await raw.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owner = slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
    const victim = cluster.nodes.find((n) => n.port === owner)!;
    await victim.kill();

    // During the failover nothing waits long: reads miss, limits fail open.
    try {
      for (let i = 0; i < 3; i++) {
        const read = await againstTimer(() => fastStore.get(key));
        expect(read.took).toBeLessThan(FAILOVER_BOUND_MS + read.timerLate);
        expect(read.value === undefined || read.value.equals(Buffer.from('before'))).toBe(true);
        const limit = await againstTimer(() => open.reserve([{ scope: 'vk', id: `fo-${randomUUID()}`, rules: [{ kind: 'requests', limit: 10, window: 'minute' }] }], { tokens: 1, costUsd: 0 }));
        expect(limit.took).toBeLessThan(FAILOVER_BOUND_MS + limit.timerLate);
        limit.value.settle({ tokens: 2, costUsd: 0 });
      }
    } finally {
      await fast.close();
    }

    // The replica is promoted; the client finds it and writes to that slot work again.
    await until('writes to the failed-over slot', async () => {
      await store.set(key, Buffer.from('after'), 300);
      return (await store.get(key))?.equals(Buffer.from('after')) ?? false;
    }, 20_000);
    expect((await cluster.masters()).map((n) => n.port)).not.toContain(victim.port);
    const id = `after-${randomUUID().slice(0, 8)}`;
    const s: LimitSubject[] = [{ scope: 'vk', id, rules: [{ kind: 'requests', limit: 2, window: 'minute' }] }];
    await until('limits on the new master', async () => {
      try {
        await limiter.reserve(s, { tokens: 1, costUsd: 0 });
        await limiter.reserve(s, { tokens: 1, costUsd: 0 });
        return true;
      } catch {
        return false;
      }
    });
    await expect(limiter.reserve(s, { tokens: 1, costUsd: 0 })).rejects.toMatchObject({ status: 429 });
  });
});

describe('Redis Cluster over TLS (ElastiCache cluster mode with in-transit encryption)', () => {
  let cluster: RedisCluster;
  let conn: RedisConnection;
  beforeAll(async () => {
    cluster = await startRedisCluster({ tls: true, nodeTimeoutMs: 2000 });
    conn = createRedis(loadSettings({
      CACHE_STORE: 'aws-elastic-cache', REDIS_MODE: 'cluster', REDIS_URL: `rediss://localhost:${cluster.nodes[0].port}`,
      REDIS_TLS_CA_FILE: cluster.caFile!, REDIS_COMMAND_TIMEOUT_MS: '1000',
    }));
    await until('TLS cluster client ready', () => conn.ready);
  });
  afterAll(async () => {
    await conn?.close();
    await cluster?.stop();
  });

  it('caches and limits across every shard over TLS', async () => {
    const store = new RedisCacheStore(conn);
    const keys = Array.from({ length: 12 }, (_, i) => `t${i}:${randomUUID()}`);
    await Promise.all(keys.map((k) => store.set(k, Buffer.from(k), 60)));
    expect((await Promise.all(keys.map((k) => store.get(k)))).map(String)).toEqual(keys);
    const limiter = new RedisLimiter(conn, { failMode: 'closed' });
    const s: LimitSubject[] = [
      { scope: 'key', id: randomUUID(), rules: [{ kind: 'requests', limit: 1, window: 'minute' }] },
      { scope: 'vk', id: randomUUID(), rules: [{ kind: 'requests', limit: 5, window: 'minute' }] },
    ];
    await limiter.reserve(s, { tokens: 1, costUsd: 0 });
    await expect(limiter.reserve(s, { tokens: 1, costUsd: 0 })).rejects.toMatchObject({ status: 429 });
    expect(conn.health()).toEqual({ status: 'ok' });
  });
});

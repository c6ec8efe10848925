/**
 * Local leases on Redis limit counters (limits/leases.ts), against a real redis-server: a replica
 * spends leased units without a round trip, Redis always counts them, replicas together never admit
 * more than the limit, and unused units go back when a lease expires or the replica closes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadSettings } from '../../src/config/settings.js';
import { GatewayError } from '../../src/errors.js';
import { createLimiter } from '../../src/limits/create.js';
import { RedisLimiter } from '../../src/limits/redis-limiter.js';
import type { LimitRule, LimitSubject } from '../../src/limits/types.js';
import { createRedis, type RedisConnection } from '../../src/state/redis.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';

/** 37 s into tomorrow (UTC), so counters of the fake clock's windows do not expire under the test. */
const T0 = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000 + 37_000;
const minuteKey = (scope: string, id: string, kind: string) => `portico:limits:{${scope}:${id}}:${kind}:minute:${Math.floor(T0 / 60_000) * 60}`;
const vk = (id: string, ...rules: LimitRule[]): LimitSubject => ({ scope: 'vk', id, rules });
const est = (tokens: number, costUsd = 0) => ({ tokens, costUsd });

describe('RedisLimiter leases', () => {
  let server: RedisServer;
  let raw: Redis;
  const conns: RedisConnection[] = [];
  const clock = { now: T0 };
  const counter = async (k: string) => Number((await raw.get(k)) ?? 0);
  /** Script calls Redis has run so far (EVALSHA and EVAL). */
  const scriptCalls = async () => {
    const stats = await raw.info('commandstats');
    return [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  };
  const ready = async (c: RedisConnection) => {
    const until = Date.now() + 5000;
    while (!c.ready && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return c;
  };
  const limiter = async (leaseTtlMs = 60_000) => {
    const c = await ready(createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '2000' })));
    conns.push(c);
    return new RedisLimiter(c, { now: () => clock.now, leaseRequests: 32, leaseTtlMs });
  };

  beforeAll(async () => {
    server = await startRedis();
    raw = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
    raw?.disconnect();
    await server?.stop();
  });

  it('spends a lease locally: one script call per 33 requests while the window has headroom', async () => {
    clock.now = T0;
    const l = await limiter();
    const id = `lease-${randomUUID().slice(0, 8)}`;
    const s = [vk(id, { kind: 'requests', limit: 100_000, window: 'minute' })];
    await l.reserve(s, est(1));
    const k = minuteKey('vk', id, 'requests');
    expect(await counter(k)).toBe(33); // this request + a lease of 32
    expect(l.leasedUnits(k)).toBe(32);
    const before = await scriptCalls();
    for (let i = 0; i < 32; i++) await l.reserve(s, est(1));
    expect(await scriptCalls()).toBe(before);
    expect(await counter(k)).toBe(33);
    expect(l.leasedUnits(k)).toBe(0);
    await l.reserve(s, est(1)); // the lease is spent: back to Redis, with a new lease
    expect(await scriptCalls()).toBeGreaterThan(before);
    expect(await counter(k)).toBe(66);
  });

  it('leases nothing near the limit, so the last units are reserved one by one', async () => {
    clock.now = T0;
    const l = await limiter();
    const id = `near-${randomUUID().slice(0, 8)}`;
    const s = [vk(id, { kind: 'requests', limit: 16, window: 'minute' })];
    const k = minuteKey('vk', id, 'requests');
    for (let i = 1; i <= 16; i++) {
      await l.reserve(s, est(1));
      expect(await counter(k)).toBe(i);
    }
    await expect(l.reserve(s, est(1))).rejects.toBeInstanceOf(GatewayError);
  });

  it('settles against the lease: refunds wait there, overruns are paid from it and the rest goes to Redis', async () => {
    clock.now = T0;
    const l = await limiter();
    const id = `settle-${randomUUID().slice(0, 8)}`;
    const s = [vk(id, { kind: 'tokens', limit: 1_000_000, window: 'minute' })];
    const k = minuteKey('vk', id, 'tokens');
    const r1 = await l.reserve(s, est(100));
    expect(await counter(k)).toBe(3300); // 100 + a lease of 32 × 100
    r1.settle(est(40));
    expect(l.leasedUnits(k)).toBe(3260);
    const r2 = await l.reserve(s, est(100)); // from the lease
    expect(l.leasedUnits(k)).toBe(3160);
    r2.settle(est(5000)); // 4900 over the estimate: 3160 from the lease, 1740 to Redis
    expect(l.leasedUnits(k)).toBe(0);
    await expect.poll(() => counter(k)).toBe(5040); // exactly what the two calls used
  });

  it('gives unused units back when a lease expires, and when the replica closes', async () => {
    clock.now = T0;
    const l = await limiter(50);
    const id = `expire-${randomUUID().slice(0, 8)}`;
    const s = [vk(id, { kind: 'requests', limit: 100_000, window: 'minute' })];
    const k = minuteKey('vk', id, 'requests');
    await l.reserve(s, est(1));
    await l.reserve(s, est(1));
    expect(await counter(k)).toBe(33);
    clock.now = T0 + 100;
    await expect.poll(() => counter(k)).toBe(2);

    clock.now = T0;
    const l2 = await limiter();
    const id2 = `close-${randomUUID().slice(0, 8)}`;
    const k2 = minuteKey('vk', id2, 'requests');
    await l2.reserve([vk(id2, { kind: 'requests', limit: 100_000, window: 'minute' })], est(1));
    expect(await counter(k2)).toBe(33);
    await l2.close();
    await expect.poll(() => counter(k2)).toBe(1);
  });

  it('five replicas bursting 300 requests never admit more than the limit, and in the end admit exactly it', async () => {
    clock.now = T0;
    const replicas = await Promise.all(Array.from({ length: 5 }, () => limiter()));
    const id = `burst-${randomUUID().slice(0, 8)}`;
    const s = [vk(id, { kind: 'requests', limit: 100, window: 'minute' }), vk(`${id}-t`, { kind: 'tokens', limit: 1_000_000, window: 'minute' })];
    const k = minuteKey('vk', id, 'requests');
    const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => replicas[i % 5].reserve(s, est(10))));
    let admitted = results.filter((r) => r.status === 'fulfilled').length;
    for (const r of results) if (r.status === 'rejected') expect((r.reason as GatewayError).status).toBe(429);
    expect(admitted).toBeLessThanOrEqual(100);
    // Redis counts every admitted request and every unit still held in a lease, nothing else.
    const held = () => replicas.reduce((n, r) => n + r.leasedUnits(k), 0);
    expect(await counter(k)).toBe(admitted + held());
    expect(held()).toBeLessThanOrEqual(100 / 16);
    // Replicas that keep sending spend what they hold: the window ends exactly full.
    for (const r of replicas) {
      for (;;) {
        try {
          await r.reserve(s, est(10));
          admitted++;
        } catch {
          break;
        }
      }
    }
    expect(admitted).toBe(100);
    expect(await counter(k)).toBe(100);
  });

  it('is on by default through createLimiter (LIMITS_LEASE_REQUESTS=128), and 0 turns it off', async () => {
    clock.now = T0;
    const c = await ready(createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url })));
    conns.push(c);
    const on = createLimiter(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url }), c);
    const off = createLimiter(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, LIMITS_LEASE_REQUESTS: '0' }), c);
    const idOn = `on-${randomUUID().slice(0, 8)}`;
    const idOff = `off-${randomUUID().slice(0, 8)}`;
    const now = Date.now();
    const key = (id: string) => `portico:limits:{vk:${id}}:requests:minute:${Math.floor(now / 60_000) * 60}`;
    await on.reserve([vk(idOn, { kind: 'requests', limit: 100_000, window: 'minute' })], est(1));
    await off.reserve([vk(idOff, { kind: 'requests', limit: 100_000, window: 'minute' })], est(1));
    // Checked only when no minute boundary passed meanwhile (the keys would have moved).
    if (Math.floor(Date.now() / 60_000) === Math.floor(now / 60_000)) {
      expect(await counter(key(idOn))).toBe(129);
      expect(await counter(key(idOff))).toBe(1);
    }
    await on.close();
    await off.close();
  });
});

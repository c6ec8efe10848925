/**
 * Redis down, hung or slow: the gateway keeps serving. The cache is bypassed, limits fail open (or
 * closed when configured), health says degraded, nothing waits longer than the command bound, and
 * everything recovers when Redis comes back.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadSettings } from '../../src/config/settings.js';
import { GatewayError } from '../../src/errors.js';
import { RedisCacheStore } from '../../src/cache/redis-store.js';
import { createLimiter } from '../../src/limits/create.js';
import { RedisLimiter } from '../../src/limits/redis-limiter.js';
import type { LimitSubject } from '../../src/limits/types.js';
import { createRedis, type RedisConnection } from '../../src/state/redis.js';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';
import { startBlackhole, startRedis, type RedisServer } from '@portico/test-support/redis';
import { pollUntil, type Check } from '../helpers/until.js';

const BOUND_MS = 100; // the 50 ms command bound plus scheduling slack

/**
 * Runs `fn` beside a 50 ms timer started at the same moment. `ms` is how long `fn` took less how late
 * that timer fired: on a loaded machine every timer fires late, the command timeout's too, so the bound
 * is checked against the machine's own lateness rather than against an idle CPU's clock.
 */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t = performance.now();
  const timer = new Promise<number>((r) => setTimeout(() => r(Math.max(0, performance.now() - t - 50)), 50));
  let value: T | undefined;
  let error: unknown;
  try {
    value = await fn();
  } catch (e) {
    error = e;
  }
  const took = performance.now() - t;
  return { ms: took - (await timer), value, error };
}

const until = (what: string, check: Check, ms = 10_000) => pollUntil(what, check, ms, 20);

const subjects = (id: string): LimitSubject[] => [{ scope: 'vk', id, rules: [{ kind: 'requests', limit: 100, window: 'minute' }] }];

describe('Redis stopped, then back', () => {
  let server: RedisServer;
  let conn: RedisConnection;
  let closedConn: RedisConnection;
  beforeAll(async () => {
    server = await startRedis();
    conn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url }));
    closedConn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, LIMITS_FAIL_MODE: 'closed' }));
    await until('connected', () => conn.ready && closedConn.ready);
  });
  afterAll(async () => {
    await conn?.close();
    await closedConn?.close();
    await server?.stop();
  });

  it('bypasses the cache, fails open or closed as configured, reports degraded, and recovers', async () => {
    const settings = loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url });
    const cache = new RedisCacheStore(conn);
    const open = createLimiter(settings, conn);
    const closed = createLimiter(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, LIMITS_FAIL_MODE: 'closed' }), closedConn);
    const id = `down-${randomUUID().slice(0, 8)}`;
    await cache.set('k', Buffer.from('v'), 60);
    expect(await cache.get('k')).toEqual(Buffer.from('v'));
    await open.reserve(subjects(id), { tokens: 1, costUsd: 0 });

    await server.kill();
    await until('disconnect noticed', () => !conn.ready && !closedConn.ready);

    const get = await timed(() => cache.get('k'));
    expect(get.value).toBeUndefined();
    expect(get.ms).toBeLessThan(BOUND_MS);
    const set = await timed(() => cache.set('k2', Buffer.from('v'), 60));
    expect(set.error).toBeUndefined();
    expect(set.ms).toBeLessThan(BOUND_MS);

    const failOpen = await timed(() => open.reserve(subjects(id), { tokens: 1, costUsd: 0 }));
    expect(failOpen.error).toBeUndefined();
    expect(() => failOpen.value!.settle({ tokens: 2, costUsd: 0 })).not.toThrow();
    expect(failOpen.ms).toBeLessThan(BOUND_MS);

    const failClosed = await timed(() => closed.reserve(subjects(id), { tokens: 1, costUsd: 0 }));
    expect(failClosed.ms).toBeLessThan(BOUND_MS);
    expect(failClosed.error).toBeInstanceOf(GatewayError);
    const e = failClosed.error as GatewayError;
    expect(e.status).toBe(503);
    expect(e.message).toMatch(/^rate limits and budgets cannot be checked right now \(Redis is unreachable\) and LIMITS_FAIL_MODE=closed/);

    // Subjects without rules never need Redis, even fail-closed.
    await closed.reserve([{ scope: 'key', id: 'k', rules: [] }], { tokens: 1, costUsd: 0 });

    const health = cache.health();
    expect(health.status).toBe('degraded');
    expect(health.detail).toMatch(/redis redis:\/\/127\.0\.0\.1:\d+ is (reconnecting|connecting|close)/);
    expect(open.health().status).toBe('degraded');

    await server.restart();
    await until('reconnected with backoff', () => conn.ready && closedConn.ready, 8000);
    expect(cache.health()).toEqual({ status: 'ok' });
    await cache.set('k3', Buffer.from('back'), 60);
    expect(await cache.get('k3')).toEqual(Buffer.from('back'));
    await closed.reserve(subjects(id), { tokens: 1, costUsd: 0 });
  });
});

describe('Redis that accepts connections and never answers', () => {
  it('never makes a request wait past the bound', async () => {
    const hole = await startBlackhole();
    const conn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: hole.url, REDIS_COMMAND_TIMEOUT_MS: '50' }));
    try {
      await new Promise((r) => setTimeout(r, 50)); // TCP connected, handshake hanging
      const cache = new RedisCacheStore(conn);
      const open = new RedisLimiter(conn);
      const closed = new RedisLimiter(conn, { failMode: 'closed' });
      for (let i = 0; i < 3; i++) {
        const g = await timed(() => cache.get('x'));
        expect(g.value).toBeUndefined();
        expect(g.ms).toBeLessThan(BOUND_MS);
        const o = await timed(() => open.reserve(subjects('hole'), { tokens: 1, costUsd: 0 }));
        expect(o.error).toBeUndefined();
        expect(o.ms).toBeLessThan(BOUND_MS);
        const c = await timed(() => closed.reserve(subjects('hole'), { tokens: 1, costUsd: 0 }));
        expect((c.error as GatewayError).status).toBe(503);
        expect(c.ms).toBeLessThan(BOUND_MS);
      }
      expect(conn.health().status).toBe('degraded');
    } finally {
      await conn.close();
      await hole.stop();
    }
  });
});

describe('Redis that hangs after connecting (process paused)', () => {
  let server: RedisServer;
  let conn: RedisConnection;
  let raw: Redis;
  beforeAll(async () => {
    server = await startRedis();
    conn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '50' }));
    raw = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    raw.on('error', () => undefined); // the stopped-server phases are expected
    await until('connected', () => conn.ready);
  });
  afterAll(async () => {
    server?.resume();
    raw?.disconnect();
    await conn?.close();
    await server?.stop();
  });

  it('times out at the bound, fails open, and settles a reservation whose reply arrived late', async () => {
    const id = `late-${randomUUID().slice(0, 8)}`;
    const s: LimitSubject[] = [{ scope: 'vk', id, rules: [{ kind: 'tokens', limit: 100_000, window: 'minute' }] }];
    const open = new RedisLimiter(conn);
    const closed = new RedisLimiter(conn, { failMode: 'closed' });
    const cache = new RedisCacheStore(conn);
    await awayFromWindowEnd('minute');
    const minute = Math.floor(Date.now() / 60_000) * 60;
    server.pause();
    try {
      const r = await timed(() => open.reserve(s, { tokens: 1000, costUsd: 0 }));
      expect(r.error).toBeUndefined();
      expect(r.ms).toBeGreaterThanOrEqual(45);
      expect(r.ms).toBeLessThan(BOUND_MS);
      r.value!.settle({ tokens: 300, costUsd: 0 });
      const c = await timed(() => closed.reserve([{ scope: 'vk', id: `${id}-c`, rules: s[0].rules }], { tokens: 50, costUsd: 0 }));
      expect((c.error as GatewayError).status).toBe(503);
      expect((c.error as GatewayError).message).toContain('Redis did not answer within 50 ms');
      expect(c.ms).toBeLessThan(BOUND_MS);
      const g = await timed(() => cache.get('x'));
      expect(g.ms).toBeLessThan(BOUND_MS);
      expect(conn.health().status).toBe('degraded');
    } finally {
      server.resume();
    }
    await raw.connect();
    // The reservation Redis made after resuming is settled to the real usage...
    await until('late reservation settled', async () => (await raw.get(`portico:limits:{vk:${id}}:tokens:minute:${minute}`)) === '300', 3000);
    // ...and the one a fail-closed limiter refused is rolled back, not left counting.
    await until('refused reservation rolled back', async () => (await raw.get(`portico:limits:{vk:${id}-c}:tokens:minute:${minute}`)) === '0', 3000);
    await until('healthy again', () => cache.get('x').then(() => conn.health().status === 'ok'), 3000);
  });
});

describe('a connection that goes silent for seconds (half-open socket)', () => {
  it('is dropped and reconnected, and works again once Redis answers', async () => {
    const server = await startRedis();
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (_o: object, m?: string) => void warnings.push(m ?? '') };
    const conn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '50' }), { logger });
    try {
      await until('connected', () => conn.ready);
      const cache = new RedisCacheStore(conn);
      server.pause();
      // Timeouts alone do not count: only silence for 3 s, with nothing arriving late either.
      for (let i = 0; i < 5; i++) await cache.get('x');
      expect(warnings.filter((w) => w.includes('half-open'))).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 3100));
      for (let i = 0; i < 5; i++) await cache.get('x');
      expect(warnings.filter((w) => w.includes('half-open'))).toHaveLength(1);
      server.resume();
      await until('reconnected', () => conn.ready, 8000);
      await until('answering again', async () => {
        await cache.set('back', Buffer.from('1'), 10);
        return (await cache.get('back'))?.equals(Buffer.from('1')) ?? false;
      }, 5000);
      expect(conn.health()).toEqual({ status: 'ok' });
    } finally {
      server.resume();
      await conn.close();
      await server.stop();
    }
  });
});

/**
 * Two RedisEntityCache instances on separate connections stand for two replicas, each wrapping its
 * own copy of the entity store (as each replica loads the same entities file).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadSettings } from '../../src/config/settings.js';
import { RedisEntityCache } from '../../src/entities/redis-cache.js';
import type { EntityStore, GatewayKey, Prompt, SavedConfig, VirtualKey } from '../../src/entities/types.js';
import type { LimitRule } from '../../src/limits/types.js';
import { createRedis, type RedisConnection } from '../../src/state/redis.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';
import { pollUntil, type Check } from '../helpers/until.js';

/** An in-memory EntityStore that counts lookups and can announce a reload. */
class FakeStore implements EntityStore {
  readonly kind = 'fake';
  calls = 0;
  closed = false;
  keys = new Map<string, GatewayKey>();
  vks = new Map<string, VirtualKey>();
  configs = new Map<string, SavedConfig>();
  prompts = new Map<string, Prompt>();
  users = new Map<string, LimitRule[]>();
  private listeners: (() => void)[] = [];
  authRequired() {
    return this.keys.size > 0;
  }
  async findKeyByHash(hash: string) {
    this.calls++;
    return this.keys.get(hash);
  }
  async getVirtualKey(slug: string) {
    this.calls++;
    return this.vks.get(slug);
  }
  async getConfig(id: string) {
    this.calls++;
    return this.configs.get(id);
  }
  async getPrompt(id: string) {
    this.calls++;
    return this.prompts.get(id);
  }
  async userLimits(user: string) {
    this.calls++;
    return this.users.get(user) ?? this.users.get('*');
  }
  onChange(l: () => void) {
    this.listeners.push(l);
  }
  reload() {
    for (const l of this.listeners) l();
  }
  health() {
    return { status: 'ok' as const };
  }
  async close() {
    this.closed = true;
  }
}

const vk = (slug: string, model: string): VirtualKey => ({ slug, provider: 'openai', settings: { model }, apiKey: 'sk-test' });

const until = (what: string, check: Check, ms = 5000) => pollUntil(what, check, ms, 10);

describe('RedisEntityCache across two replicas', () => {
  let server: RedisServer;
  let connA: RedisConnection;
  let connB: RedisConnection;
  let raw: Redis;
  let storeA: FakeStore;
  let storeB: FakeStore;
  let a: RedisEntityCache;
  let b: RedisEntityCache;
  let changesB = 0;

  beforeAll(async () => {
    server = await startRedis();
    const settings = loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '1000' });
    connA = createRedis(settings);
    connB = createRedis(settings);
    raw = new Redis({ port: server.port, host: '127.0.0.1' });
    raw.on('error', () => undefined); // the stopped-server phases are expected
    storeA = new FakeStore();
    storeB = new FakeStore();
    for (const s of [storeA, storeB]) {
      s.vks.set('openai-prod', vk('openai-prod', 'gpt-4o'));
      s.keys.set('abc123', { id: 'k_1', hash: 'abc123', scopes: ['completions'], limits: [{ kind: 'requests', limit: 5, window: 'minute' }] });
      s.users.set('*', [{ kind: 'cost', limit: 1, window: 'day' }]);
    }
    a = new RedisEntityCache(storeA, connA, { localTtlMs: 60_000 });
    b = new RedisEntityCache(storeB, connB, { localTtlMs: 60_000 });
    b.onChange(() => changesB++);
    await until('connected', () => connA.ready && connB.ready);
    await Promise.all([a.start(), b.start()]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await connA?.close();
    await connB?.close();
    raw?.disconnect();
    await server?.stop();
  });

  it('serves what one replica loaded to the other from Redis, and repeats from memory', async () => {
    expect(await a.getVirtualKey('openai-prod')).toEqual(vk('openai-prod', 'gpt-4o'));
    expect(storeA.calls).toBe(1);
    await until('written to Redis', async () => (await raw.keys('portico:entities:*vk:openai-prod')).length === 1);
    expect(await b.getVirtualKey('openai-prod')).toEqual(vk('openai-prod', 'gpt-4o'));
    expect(storeB.calls).toBe(0);
    await raw.del(await raw.keys('portico:entities:*vk:openai-prod'));
    expect(await b.getVirtualKey('openai-prod')).toEqual(vk('openai-prod', 'gpt-4o')); // in-process layer
    expect(storeB.calls).toBe(0);
    expect((await b.findKeyByHash('abc123'))?.id).toBe('k_1');
    expect(await b.userLimits('alice')).toEqual([{ kind: 'cost', limit: 1, window: 'day' }]);
    expect(b.authRequired()).toBe(true);
  });

  it('invalidate(kind, id) on one replica drops the entity on every replica', async () => {
    await a.getVirtualKey('openai-prod');
    await b.getVirtualKey('openai-prod');
    const before = changesB;
    storeA.vks.set('openai-prod', vk('openai-prod', 'gpt-4.1'));
    storeB.vks.set('openai-prod', vk('openai-prod', 'gpt-4.1'));
    await a.invalidate('vk', 'openai-prod');
    await until('B heard the invalidation', () => changesB > before);
    expect((await b.getVirtualKey('openai-prod'))?.settings.model).toBe('gpt-4.1');
    expect((await a.getVirtualKey('openai-prod'))?.settings.model).toBe('gpt-4.1');
  });

  it('caches "not found" too, until an invalidation says otherwise', async () => {
    expect(await b.getConfig('cfg-1')).toBeUndefined();
    const calls = storeB.calls;
    expect(await b.getConfig('cfg-1')).toBeUndefined();
    expect(storeB.calls).toBe(calls);
    storeA.configs.set('cfg-1', { id: 'cfg-1', json: '{"strategy":{"mode":"single"}}' });
    storeB.configs.set('cfg-1', { id: 'cfg-1', json: '{"strategy":{"mode":"single"}}' });
    await a.invalidate('config', 'cfg-1');
    await until('B sees the new config', async () => (await b.getConfig('cfg-1'))?.id === 'cfg-1');
  });

  it('does not write unknown gateway keys to Redis (random keys would fill it)', async () => {
    expect(await a.findKeyByHash('f'.repeat(64))).toBeUndefined();
    expect(await a.getPrompt('no-such-prompt')).toBeUndefined();
    await until('the negative prompt entry is written', async () => (await raw.keys('portico:entities:*prompt:no-such-prompt')).length === 1);
    expect(await raw.keys(`portico:entities:*key:${'f'.repeat(64)}`)).toEqual([]);
  });

  it('a reload of the wrapped store invalidates everything on every replica', async () => {
    await b.getPrompt('p1');
    const before = changesB;
    const gen = Number((await raw.get('portico:entities:generation')) ?? 0);
    for (const s of [storeA, storeB]) s.prompts.set('p1', { id: 'p1', template: 'Hello {{name}}' });
    storeA.reload();
    await until('B heard the reload', () => changesB > before);
    expect(Number(await raw.get('portico:entities:generation'))).toBe(gen + 1);
    expect(await b.getPrompt('p1')).toEqual({ id: 'p1', template: 'Hello {{name}}' });
  });

  it('falls back to the wrapped store while Redis is down, and hears invalidations again after it returns', async () => {
    await server.kill();
    await until('disconnect noticed', () => !connA.ready && !connB.ready);
    storeB.vks.set('down-vk', vk('down-vk', 'm1'));
    const t = Date.now();
    expect((await b.getVirtualKey('down-vk'))?.settings.model).toBe('m1');
    expect(Date.now() - t).toBeLessThan(100);
    expect(b.health().status).toBe('degraded');
    expect(b.health().detail).toMatch(/^entity cache serves from fake only/);

    await server.restart();
    await until('reconnected', () => connA.ready && connB.ready, 8000);
    // The subscriber reconnects with backoff and resubscribes; then invalidations flow again.
    const before = changesB;
    await until('B resubscribed', async () => {
      await a.invalidate('vk', 'down-vk');
      return changesB > before;
    }, 8000);
    expect(b.health()).toEqual({ status: 'ok' });
  });

  it('close() closes the wrapped store', async () => {
    const s = new FakeStore();
    const c = new RedisEntityCache(s, connA);
    await c.start();
    await c.close();
    expect(s.closed).toBe(true);
  });
});

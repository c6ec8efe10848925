import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { createSharedState } from '../../src/state/shared-state.js';
import type { EntityStore } from '../../src/entities/types.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';

const store: EntityStore = {
  kind: 'stub',
  authRequired: () => false,
  findKeyByHash: async () => undefined,
  getVirtualKey: async (slug) => ({ slug, provider: 'openai', settings: {} }),
  getConfig: async () => undefined,
  getPrompt: async () => undefined,
  userLimits: async () => undefined,
  onChange: () => undefined,
  health: () => ({ status: 'ok' }),
  close: async () => undefined,
};

describe('createSharedState', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('CACHE_STORE=memory: in-process limiter, no Redis, entities unwrapped', async () => {
    const s = createSharedState(loadSettings({}));
    expect(s.redis).toBeUndefined();
    expect(s.cache).toBeUndefined();
    expect(s.limiter.kind).toBe('memory');
    expect(await s.wrapEntities(store)).toBe(store);
    expect(s.health()).toEqual({ status: 'ok' });
    await s.close();
  });

  it('CACHE_STORE=aws-elastic-cache: Redis cache, Redis limiter, Redis entity cache', async () => {
    const s = createSharedState(loadSettings({ CACHE_STORE: 'aws-elastic-cache', REDIS_URL: server.url, LIMITS_FAIL_MODE: 'closed', REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    try {
      const until = Date.now() + 5000;
      while (!s.redis!.ready && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      const entities = await s.wrapEntities(store);
      expect(entities.kind).toBe('redis-cache(stub)');
      expect(s.cache?.kind).toBe('redis');
      expect(s.limiter.kind).toBe('redis');
      await s.cache!.set('a', Buffer.from('1'), 10);
      expect(await s.cache!.get('a')).toEqual(Buffer.from('1'));
      expect((await entities.getVirtualKey('x'))?.slug).toBe('x');
      expect(s.health()).toEqual({ status: 'ok' });
      await entities.close();
    } finally {
      await s.close();
    }
  });
});

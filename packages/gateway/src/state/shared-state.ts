/**
 * One call that builds everything shared across replicas from Settings: the Redis connection (when
 * CACHE_STORE is redis / aws-elastic-cache / aws-elasti-cache), the response cache store, the
 * limiter, and the entity-store wrapper. With CACHE_STORE=memory only the in-process limiter is made;
 * the response cache is then the caller's memory store.
 */
import type { Settings } from '../config/settings.js';
import type { CacheStore } from '../cache/types.js';
import { RedisCacheStore } from '../cache/redis-store.js';
import { RedisEntityCache, type RedisEntityCacheOptions } from '../entities/redis-cache.js';
import type { EntityStore } from '../entities/types.js';
import { createLimiter } from '../limits/create.js';
import type { Limiter } from '../limits/types.js';
import { createRedis, usesRedis, type RedisConnection, type StateLogger } from './redis.js';

export interface SharedState {
  /** Undefined with CACHE_STORE=memory. */
  readonly redis?: RedisConnection;
  /** RedisCacheStore with Redis; undefined with CACHE_STORE=memory (use the memory store). */
  readonly cache?: CacheStore;
  readonly limiter: Limiter;
  /**
   * With Redis: wraps the store in a RedisEntityCache and subscribes to invalidations (waits at most
   * ~2 s for Redis, never throws). Without: returns the store unchanged.
   */
  wrapEntities(store: EntityStore, options?: RedisEntityCacheOptions): Promise<EntityStore>;
  /** Health of the shared backend: ok, or degraded with the reason. */
  health(): { status: 'ok' | 'degraded'; detail?: string };
  /** Closes the limiter and the connection (entity stores are closed by whoever holds them). */
  close(): Promise<void>;
}

export function createSharedState(settings: Settings, options: { logger?: StateLogger } = {}): SharedState {
  const redis = usesRedis(settings) ? createRedis(settings, { logger: options.logger }) : undefined;
  const limiter = createLimiter(settings, redis);
  const cache = redis ? new RedisCacheStore(redis) : undefined;
  return {
    redis,
    cache,
    limiter,
    async wrapEntities(store, entityOptions) {
      if (!redis) return store;
      const wrapped = new RedisEntityCache(store, redis, { logger: options.logger, ...entityOptions });
      await wrapped.start();
      return wrapped;
    },
    health: () => (redis ? redis.health() : { status: 'ok' }),
    async close() {
      await limiter.close();
      await redis?.close();
    },
  };
}

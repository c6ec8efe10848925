/** Picks the limiter for the settings: Redis-backed when CACHE_STORE shares state, else in-process. */
import { asInt, type Settings } from '../config/settings.js';
import type { RedisConnection } from '../state/redis.js';
import { memoryLimiterFor } from './memory-limiter.js';
import { RedisLimiter } from './redis-limiter.js';
import type { Limiter } from './types.js';

/** redis: the shared connection from createRedis(settings), or undefined for CACHE_STORE=memory. */
export function createLimiter(settings: Settings, redis?: RedisConnection): Limiter {
  if (!redis) return memoryLimiterFor(settings);
  return new RedisLimiter(redis, {
    failMode: settings.LIMITS_FAIL_MODE === 'closed' ? 'closed' : 'open',
    leaseRequests: asInt(settings.LIMITS_LEASE_REQUESTS),
    leaseTtlMs: asInt(settings.LIMITS_LEASE_TTL_MS),
  });
}

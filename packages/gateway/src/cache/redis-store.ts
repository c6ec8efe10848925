/**
 * Response cache in Redis / Valkey / ElastiCache, shared by every replica. Values are raw Buffers
 * under portico:cache:<key>, each with its own TTL. Any error or a reply slower than the command
 * bound counts as a miss (get) or is dropped (set/delete): the cache never fails a request.
 */
import type { CacheStore } from './types.js';
import type { RedisConnection } from '../state/redis.js';

export const CACHE_KEY_PREFIX = 'portico:cache:';

export interface RedisCacheStoreOptions {
  /** Close the connection with the store (only when nothing else shares it). Default false. */
  ownsConnection?: boolean;
  /** Values larger than this are not stored (a huge GET could not come back within the bound). Default 8 MiB. */
  maxValueBytes?: number;
}

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  private readonly maxValueBytes: number;

  constructor(private readonly redis: RedisConnection, private readonly options: RedisCacheStoreOptions = {}) {
    this.maxValueBytes = options.maxValueBytes ?? 8 * 1024 * 1024;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const value = await this.redis.bounded('cache get', (c) => c.getBuffer(CACHE_KEY_PREFIX + key));
      return value ?? undefined;
    } catch {
      // Recorded in the connection's health; a miss is the right answer for the request.
      return undefined;
    }
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    if (value.length > this.maxValueBytes) return;
    const ttlMs = Math.max(1, Math.round(ttlSeconds * 1000));
    try {
      await this.redis.bounded('cache set', (c) => c.set(CACHE_KEY_PREFIX + key, value, 'PX', ttlMs), Math.max(this.redis.timeoutMs, 1000));
    } catch {
      // The write is best effort; the next request fills the entry again.
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.redis.bounded('cache delete', (c) => c.del(CACHE_KEY_PREFIX + key));
    } catch {
      // A stale entry expires with its TTL.
    }
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    return this.redis.health();
  }

  async close(): Promise<void> {
    if (this.options.ownsConnection) await this.redis.close();
  }
}

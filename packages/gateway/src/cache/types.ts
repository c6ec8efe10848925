/**
 * Response cache storage. Implementations: memory (bounded by bytes, LRU) and redis.
 * Keys are already scoped per tenant by the caller. Calls never throw: a failing backend returns
 * undefined / does nothing, and reports itself through health().
 */
export interface CacheStore {
  readonly kind: string;
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  health(): { status: 'ok' | 'degraded'; detail?: string };
  close(): Promise<void>;
}

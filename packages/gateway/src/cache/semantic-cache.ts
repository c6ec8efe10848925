/**
 * The semantic cache: an in-process vector index (vector-index.ts), kept in step with other replicas
 * through Redis when CACHE_STORE shares state (semantic-redis.ts). It finds the exact-match key of an
 * earlier, similar request; the answer itself is read from the response cache under that key. It never
 * calls the embedding model itself: the caller hands it the embedding as a promise, so a lookup and
 * the store after a miss share one call.
 */
import type { SemanticEmbedding } from '@portico/contract';
import { normalise, VectorIndex, type IndexMatch } from './vector-index.js';
import type { SemanticRedisShare } from './semantic-redis.js';

export const DEFAULT_SEMANTIC_THRESHOLD = 0.95;

export interface SemanticCacheOptions {
  maxBytes: number;
  maxPerPartition: number;
  /** The operator's embedding target (SEMANTIC_CACHE_EMBEDDING), for configs that name none. */
  defaultEmbedding?: SemanticEmbedding;
  /** How long an embedding call may take when the config does not say (SEMANTIC_CACHE_EMBEDDING_TIMEOUT_MS). */
  embeddingTimeoutMs: number;
  share?: SemanticRedisShare;
  now?: () => number;
}

/** Partitions whose Redis sequence this replica remembers; past it the oldest are forgotten (and re-read). */
const MAX_WATERMARKS = 50_000;

export class SemanticCache {
  readonly index: VectorIndex;
  readonly defaultEmbedding?: SemanticEmbedding;
  readonly embeddingTimeoutMs: number;
  private readonly share?: SemanticRedisShare;
  private readonly now: () => number;
  private readonly watermarks = new Map<string, number>();
  private readonly syncing = new Map<string, Promise<void>>();
  /** Lookups that ended in each way, for /metrics. */
  readonly counts = { embedOk: 0, embedFailed: 0, syncFailed: 0 };

  constructor(options: SemanticCacheOptions) {
    this.index = new VectorIndex({ maxBytes: options.maxBytes, maxPerPartition: options.maxPerPartition, now: options.now });
    this.defaultEmbedding = options.defaultEmbedding;
    this.embeddingTimeoutMs = options.embeddingTimeoutMs;
    this.share = options.share;
    this.now = options.now ?? Date.now;
  }

  get shared(): boolean {
    return this.share !== undefined;
  }

  /**
   * The most similar cached request in the partition at or above `threshold`. Syncs the partition from
   * Redis while the embedding is computed. 'failed' when the embedding could not be had (the caller
   * serves the request by exact matching alone).
   */
  async find(partition: string, embedding: Promise<Float32Array | undefined>, threshold: number): Promise<IndexMatch | 'failed' | undefined> {
    const sync = this.share ? this.sync(partition) : undefined;
    const vector = await embedding;
    if (sync) await sync;
    if (!vector) return 'failed';
    return this.index.search(partition, vector, threshold);
  }

  /** Indexes an answer stored under `key`, here and (best effort) for every replica. */
  remember(partition: string, vector: Float32Array, key: string, ttlS: number): Promise<void> {
    const expiresAt = this.now() + ttlS * 1000;
    this.index.add(partition, vector, { key, expiresAt });
    if (!this.share) return Promise.resolve();
    return this.share.append(partition, { key, expiresAt, vector }, ttlS * 1000).catch(() => {
      this.counts.syncFailed++;
    });
  }

  /** The answer under `key` is gone from the response cache: stop pointing at it. */
  forget(partition: string, key: string): void {
    this.index.delete(partition, key);
  }

  /** One sync per partition at a time; concurrent lookups wait for the same one. Never rejects. */
  private sync(partition: string): Promise<void> {
    const running = this.syncing.get(partition);
    if (running) return running;
    const done = this.share!.since(partition, this.watermarks.get(partition) ?? 0).then(
      (r) => {
        const now = this.now();
        for (const e of r.entries) {
          if (e.expiresAt <= now) continue;
          const unit = normalise(e.vector);
          if (unit) this.index.add(partition, unit, { key: e.key, expiresAt: e.expiresAt });
        }
        this.watermarks.delete(partition);
        this.watermarks.set(partition, r.seq);
        if (this.watermarks.size > MAX_WATERMARKS) this.watermarks.delete(this.watermarks.keys().next().value!);
      },
      () => {
        // Recorded in the connection's health; this replica's own entries still serve.
        this.counts.syncFailed++;
      },
    ).finally(() => this.syncing.delete(partition));
    this.syncing.set(partition, done);
    return done;
  }
}

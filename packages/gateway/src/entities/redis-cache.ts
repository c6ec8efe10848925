/**
 * Entity cache shared by every replica: gateway keys, virtual keys, configs, prompts and user limits
 * are kept in Redis with a TTL, in front of any EntityStore (the YAML file today, the control-plane
 * sync later), with a small in-process layer in front of Redis for the hot path.
 *
 * Invalidation reaches every replica through pub/sub on portico:entities:invalidate: the replica
 * that changes something deletes the Redis copy and publishes; each subscriber drops its in-process
 * copy and calls its onChange listeners. "Invalidate all" bumps a generation number that is part of
 * every Redis key, so old copies are simply never read again.
 *
 * With Redis down every lookup goes to the wrapped store (bounded by the command timeout), and the
 * in-process TTL bounds how long a missed invalidation can linger.
 */
import { randomUUID } from 'node:crypto';
import type { LimitRule } from '../limits/types.js';
import { guardStreams, type RedisClient, type RedisConnection, type StateLogger } from '../state/redis.js';
import type { EntityStore, GatewayKey, Prompt, SavedConfig, VirtualKey } from './types.js';
import { LocalEntityLayer } from './redis-local-layer.js';

export const ENTITY_CHANNEL = 'portico:entities:invalidate';
export const ENTITY_KEY_PREFIX = 'portico:entities:';
const GENERATION_KEY = `${ENTITY_KEY_PREFIX}generation`;

export type EntityKind = 'key' | 'vk' | 'config' | 'prompt' | 'userLimits';

interface InvalidationMessage {
  origin: string;
  kind: EntityKind | 'all';
  id?: string;
  generation?: number;
}

export interface RedisEntityCacheOptions {
  /** TTL of the Redis copies, seconds. Default 300. */
  redisTtlSeconds?: number;
  /** TTL of "not found" answers in Redis, seconds. Default 30. */
  negativeTtlSeconds?: number;
  /** TTL of the in-process copies, ms. Default 10 000. */
  localTtlMs?: number;
  /** Bound of the in-process layer, entries. Default 10 000. */
  localMaxEntries?: number;
  logger?: StateLogger;
}

export class RedisEntityCache implements EntityStore {
  readonly kind: string;
  private readonly origin = randomUUID();
  private readonly local: LocalEntityLayer;
  private readonly listeners: (() => void)[] = [];
  private readonly redisTtl: number;
  private readonly negativeTtl: number;
  private generation = 0;
  /** Bumped by every invalidation, so a lookup that raced one does not keep its stale answer. */
  private epoch = 0;
  private subscriber?: RedisClient;
  private subscribed?: Promise<void>;
  private closed = false;
  /** Why the last SUBSCRIBE failed (an ACL without the channel, say); undefined once subscribed. */
  private subscribeError?: string;

  constructor(private readonly inner: EntityStore, private readonly redis: RedisConnection, private readonly options: RedisEntityCacheOptions = {}) {
    this.kind = `redis-cache(${inner.kind})`;
    this.redisTtl = options.redisTtlSeconds ?? 300;
    this.negativeTtl = options.negativeTtlSeconds ?? 30;
    this.local = new LocalEntityLayer(options.localTtlMs ?? 10_000, options.localMaxEntries ?? 10_000);
    // The wrapped store changed here (file reload): every replica must drop what it cached.
    inner.onChange(() => void this.invalidate('all'));
  }

  /**
   * Subscribes to invalidations and reads the current generation. Resolves once subscribed, or after
   * timeoutMs with Redis unreachable (the subscription then completes when Redis comes back).
   */
  start(timeoutMs = 2000): Promise<void> {
    if (!this.subscribed) {
      const sub = (this.subscriber = this.redis.duplicate('entity-subscriber'));
      sub.on('message', (channel: string, raw: string) => {
        if (channel === ENTITY_CHANNEL) this.onMessage(raw);
      });
      this.subscribed = new Promise<void>((subscribed) => {
        let first = true;
        // Every (re)connection starts unsubscribed: subscribe again, and after a reconnect start from a
        // clean slate, since messages sent while we were away are lost.
        sub.on('ready', () => {
          const reconnect = !first;
          first = false;
          void Promise.all([this.subscribe(sub), this.refreshGeneration()]).then(([ok]) => {
            if (reconnect) this.dropLocal();
            if (ok) subscribed();
          });
        });
      });
    }
    return Promise.race([this.subscribed, new Promise<void>((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** True once subscribed; false (logged, and in health) when the attempt failed, which the next reconnect retries. */
  private async subscribe(sub: RedisClient): Promise<boolean> {
    try {
      await sub.subscribe(ENTITY_CHANNEL);
      this.subscribeError = undefined;
      return true;
    } catch (e) {
      this.subscribeError = (e as Error).message;
      if (!this.closed) this.options.logger?.warn({ err: this.subscribeError }, 'entity cache: subscribing to invalidations failed; will retry on reconnect');
      return false;
    }
  }

  authRequired(): boolean {
    return this.inner.authRequired();
  }

  findKeyByHash(hash: string): Promise<GatewayKey | undefined> {
    return this.lookup('key', hash, () => this.inner.findKeyByHash(hash));
  }

  getVirtualKey(slug: string): Promise<VirtualKey | undefined> {
    return this.lookup('vk', slug, () => this.inner.getVirtualKey(slug));
  }

  getConfig(id: string): Promise<SavedConfig | undefined> {
    return this.lookup('config', id, () => this.inner.getConfig(id));
  }

  getPrompt(id: string): Promise<Prompt | undefined> {
    return this.lookup('prompt', id, () => this.inner.getPrompt(id));
  }

  userLimits(user: string): Promise<LimitRule[] | undefined> {
    return this.lookup('userLimits', user, () => this.inner.userLimits(user));
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Drops one entity (or all, kind 'all') here, in Redis and, through pub/sub, on every replica.
   * Never throws: with Redis down only this replica is invalidated.
   */
  async invalidate(kind: EntityKind | 'all', id?: string): Promise<void> {
    const msg: InvalidationMessage = { origin: this.origin, kind, id };
    try {
      if (kind === 'all') {
        msg.generation = await this.redis.bounded('entity invalidate', (c) => c.incr(GENERATION_KEY), 1000);
        this.generation = Math.max(this.generation, msg.generation);
      } else if (id !== undefined) {
        await this.redis.bounded('entity invalidate', (c) => c.del(this.redisKey(kind, id)), 1000);
      }
      await this.redis.bounded('entity publish', (c) => c.publish(ENTITY_CHANNEL, JSON.stringify(msg)), 1000);
    } catch (e) {
      this.options.logger?.warn({ kind, err: (e as Error).message }, 'entity cache: could not invalidate in Redis; other replicas drop their copies when their TTL ends');
    }
    this.apply(msg);
  }

  private onMessage(raw: string): void {
    let msg: InvalidationMessage;
    try {
      msg = JSON.parse(raw) as InvalidationMessage;
    } catch {
      this.options.logger?.warn({ channel: ENTITY_CHANNEL }, 'entity cache: ignoring a malformed invalidation message');
      return;
    }
    if (msg.origin === this.origin) return; // applied when sent
    this.apply(msg);
  }

  private apply(msg: InvalidationMessage): void {
    this.epoch++;
    if (msg.kind === 'all') {
      if (typeof msg.generation === 'number') this.generation = Math.max(this.generation, msg.generation);
      this.local.clear();
    } else if (msg.id !== undefined) {
      this.local.delete(`${msg.kind}:${msg.id}`);
    }
    this.notify();
  }

  private dropLocal(): void {
    this.epoch++;
    this.local.clear();
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.options.logger?.warn({ err: (e as Error).message }, 'entity cache: an onChange listener threw');
      }
    }
  }

  private async refreshGeneration(): Promise<void> {
    try {
      const g = await this.redis.bounded('entity generation', (c) => c.get(GENERATION_KEY), 1000);
      this.generation = Math.max(this.generation, Number(g ?? 0) || 0);
    } catch {
      // Redis down: keep the generation we have.
    }
  }

  private redisKey(kind: EntityKind, id: string): string {
    return `${ENTITY_KEY_PREFIX}g${this.generation}:${kind}:${id}`;
  }

  private async lookup<T>(kind: EntityKind, id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const localKey = `${kind}:${id}`;
    const hit = this.local.get<T>(localKey);
    if (hit) return hit.value;
    const epoch = this.epoch;
    const redisKey = this.redisKey(kind, id);
    let value: T | undefined;
    let redisUp = true;
    let found = false;
    try {
      const raw = await this.redis.bounded('entity get', (c) => c.get(redisKey));
      if (raw !== null) {
        value = (JSON.parse(raw) as { v: T | null }).v ?? undefined;
        found = true;
      }
    } catch {
      redisUp = false; // fall through to the wrapped store
    }
    if (!found) {
      value = await load();
      // Unknown gateway keys stay out of Redis: anyone can send random keys, and each would cost a write.
      if (redisUp && !(value === undefined && kind === 'key')) {
        const ttl = value === undefined ? this.negativeTtl : this.redisTtl;
        const text = JSON.stringify({ v: value ?? null });
        void this.redis.bounded('entity set', (c) => c.set(redisKey, text, 'EX', ttl), 1000).catch(() => undefined);
      }
    }
    // An invalidation that landed while we were loading makes this answer suspect: do not keep it.
    if (epoch === this.epoch) this.local.set(localKey, value);
    return value;
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    const inner = this.inner.health();
    if (inner.status !== 'ok') return inner;
    const redis = this.redis.health();
    if (redis.status !== 'ok') return { status: 'degraded', detail: `entity cache serves from ${this.inner.kind} only: ${redis.detail}` };
    if (this.subscribeError !== undefined) {
      return { status: 'degraded', detail: `entity cache does not hear invalidations (SUBSCRIBE ${ENTITY_CHANNEL}: ${this.subscribeError}); changes made on other replicas apply here only when local copies expire` };
    }
    return redis;
  }

  /** Closes the subscription and the wrapped store (not the shared Redis connection). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sub = this.subscriber;
    if (sub) {
      guardStreams(sub);
      try {
        if (sub.status === 'ready') await sub.quit();
        else sub.disconnect();
      } catch {
        sub.disconnect();
      }
    }
    this.local.clear();
    await this.inner.close();
  }
}

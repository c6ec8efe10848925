/**
 * Limits shared by every replica through Redis. One Lua script checks and reserves all counters of a
 * group atomically. Key scheme: every counter of a subject carries the hash tag {scope:id}, so
 *  - standalone: one script call carries every subject (one round trip, fully atomic);
 *  - cluster: one call per subject, sent in parallel (still one round trip). If any subject is over
 *    its limit, the reservations the other calls made are rolled back. Each subject's check-and-
 *    reserve is atomic, so no budget is ever overshot; the price is that a concurrent request may be
 *    refused during the instant a rolled-back reservation was held, which errs on the safe side.
 * A single hash tag for all limits would keep one call atomic in cluster mode too, but would put
 * every limit of every tenant on one shard; per-subject tags spread the load.
 */
import type { RedisClient, RedisConnection } from '../state/redis.js';
import { RedisUnavailableError } from '../state/health.js';
import { planCounters, settleDelta, type Counter } from './counters.js';
import { limitExceeded, limitsUnavailable } from './errors.js';
import { NOOP_RESERVATION } from './memory-limiter.js';
import { limitScripts } from './redis-scripts.js';
import type { LimitEstimate, LimitSubject, Limiter, Reservation } from './types.js';

export interface RedisLimiterOptions {
  /** LIMITS_FAIL_MODE: open (the default) lets requests through while Redis is unusable. */
  failMode?: 'open' | 'closed';
  /** Close the connection with the limiter (only when nothing else shares it). Default false. */
  ownsConnection?: boolean;
  /** Bound for settle/rollback writes, which run after the response and so may wait longer. Default 1000 ms. */
  adjustTimeoutMs?: number;
  /** Clock for window boundaries (tests move it forward). Default Date.now. */
  now?: () => number;
}

type GroupOutcome =
  | { state: 'reserved' }
  | { state: 'over'; broken: Counter[] }
  | { state: 'unknown'; error: Error; late: Promise<boolean> };

interface Group {
  counters: Counter[];
  outcome?: GroupOutcome;
}

/** How long settles wait to be coalesced, and how many keys force an early flush. */
const SETTLE_FLUSH_MS = 20;
const SETTLE_FLUSH_KEYS = 1000;

export class RedisLimiter implements Limiter {
  private readonly pendingSettles = new Map<string, { counter: Counter; delta: number }>();
  private reserveBatch: Array<{ counters: Counter[]; resolve: (o: GroupOutcome) => void }> = [];
  private settleTimer?: NodeJS.Timeout;
  readonly kind = 'redis';
  private readonly failMode: 'open' | 'closed';
  private readonly adjustTimeoutMs: number;
  private readonly ownsConnection: boolean;
  private readonly now: () => number;

  constructor(private readonly redis: RedisConnection, options: RedisLimiterOptions = {}) {
    this.failMode = options.failMode ?? 'open';
    this.adjustTimeoutMs = options.adjustTimeoutMs ?? 1000;
    this.ownsConnection = options.ownsConnection ?? false;
    this.now = options.now ?? Date.now;
    limitScripts(redis.client);
  }

  async reserve(subjects: LimitSubject[], estimate: LimitEstimate): Promise<Reservation> {
    const now = this.now();
    const counters = planCounters(subjects, estimate, now);
    if (!counters.length) return NOOP_RESERVATION;
    const groups = this.group(counters);
    await Promise.all(groups.map(async (g) => {
      g.outcome = await (this.redis.mode === 'standalone' ? this.tryReserveBatched(g.counters) : this.tryReserve(g.counters));
    }));
    const over = groups.filter((g) => g.outcome!.state === 'over');
    const unknown = groups.filter((g) => g.outcome!.state === 'unknown');
    if (over.length || (unknown.length && this.failMode === 'closed')) {
      for (const g of groups) this.release(g);
      if (over.length) throw limitExceeded(over.flatMap((g) => (g.outcome as { broken: Counter[] }).broken), now);
      const e = (unknown[0].outcome as { error: Error }).error;
      throw limitsUnavailable(e instanceof RedisUnavailableError && e.timedOut ? `Redis did not answer within ${this.redis.timeoutMs} ms` : 'Redis is unreachable');
    }
    // Fail open for groups we could not reach; their late answers still get settled below.
    let settled = false;
    return {
      settle: (actual) => {
        if (settled) return;
        settled = true;
        for (const g of groups) {
          const deltas = g.counters.map((c) => settleDelta(c, actual));
          if (deltas.some((d) => d !== 0)) this.afterReserved(g, () => this.queueSettle(g.counters, deltas));
        }
      },
    };
  }

  private group(counters: Counter[]): Group[] {
    if (this.redis.mode === 'standalone') return [{ counters }];
    const bySlot = new Map<string, Counter[]>();
    for (const c of counters) {
      const list = bySlot.get(c.slot);
      if (list) list.push(c);
      else bySlot.set(c.slot, [c]);
    }
    return [...bySlot.values()].map((list) => ({ counters: list }));
  }

  /**
   * Standalone Redis: the reservations of every request read in one event-loop turn go out as one
   * script call, which cuts the client-side cost per request. Atomicity is unchanged: the script runs
   * the groups one after the other inside Redis.
   */
  private tryReserveBatched(counters: Counter[]): Promise<GroupOutcome> {
    return new Promise((resolve) => {
      this.reserveBatch.push({ counters, resolve });
      if (this.reserveBatch.length === 1) setImmediate(() => void this.flushReserves());
    });
  }

  private async flushReserves(): Promise<void> {
    const batch = this.reserveBatch;
    this.reserveBatch = [];
    if (batch.length === 1) return batch[0].resolve(await this.tryReserve(batch[0].counters));
    const keys = batch.flatMap((b) => b.counters.map((c) => c.key));
    const args: number[] = [batch.length];
    for (const b of batch) {
      args.push(b.counters.length);
      for (const c of b.counters) args.push(c.amount, c.limit, c.resetAt);
    }
    let raw: Promise<unknown> | undefined;
    try {
      const reply = await this.redis.bounded('limits reserve', (client: RedisClient) => {
        raw = limitScripts(client).porticoLimitReserveMany(keys.length, ...keys, ...args);
        return raw;
      });
      if (!Array.isArray(reply) || reply.length !== batch.length) throw new Error(`limits reserve: unexpected reply ${JSON.stringify(reply)}`);
      batch.forEach((b, i) => b.resolve(this.interpret(reply[i], b.counters)));
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      batch.forEach((b, i) => {
        // A reply that arrives after the bound may still have reserved: remember it for settle/rollback.
        const late = raw ? raw.then((r) => Array.isArray(r) && this.interpret(r[i], b.counters).state === 'reserved', () => false) : Promise.resolve(false);
        b.resolve({ state: 'unknown', error, late });
      });
    }
  }

  private async tryReserve(counters: Counter[]): Promise<GroupOutcome> {
    const keys = counters.map((c) => c.key);
    const args = counters.flatMap((c) => [c.amount, c.limit, c.resetAt]);
    let raw: Promise<unknown> | undefined;
    try {
      const reply = await this.redis.bounded('limits reserve', (client: RedisClient) => {
        raw = limitScripts(client).porticoLimitReserve(keys.length, ...keys, ...args);
        return raw;
      });
      return this.interpret(reply, counters);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      // A reply that arrives after the bound may still have reserved: remember it for settle/rollback.
      const late = raw ? raw.then((r) => this.interpret(r, counters).state === 'reserved', () => false) : Promise.resolve(false);
      return { state: 'unknown', error, late };
    }
  }

  private interpret(reply: unknown, counters: Counter[]): GroupOutcome {
    if (!Array.isArray(reply)) throw new Error(`limits reserve: unexpected reply ${JSON.stringify(reply)}`);
    if (Number(reply[0]) === 0) return { state: 'reserved' };
    const broken: Counter[] = [];
    for (let i = 1; i < reply.length; i += 2) broken.push(counters[Number(reply[i]) - 1]);
    return { state: 'over', broken };
  }

  /** Runs fn once the group is known to hold a reservation (now, or when a late reply lands). */
  private afterReserved(g: Group, fn: () => void): void {
    const o = g.outcome!;
    if (o.state === 'reserved') fn();
    else if (o.state === 'unknown') void o.late.then((ok) => (ok ? fn() : undefined));
  }

  private release(g: Group): void {
    this.afterReserved(g, () => this.adjust(g.counters, g.counters.map((c) => -c.amount)));
  }

  /**
   * Settles are coalesced: deltas per key add up for SETTLE_FLUSH_MS and go out in one script call per
   * slot, instead of one Redis round trip per request. Rollbacks of refused requests stay immediate.
   */
  private queueSettle(counters: Counter[], deltas: number[]): void {
    counters.forEach((c, i) => {
      if (deltas[i] === 0) return;
      const p = this.pendingSettles.get(c.key);
      if (p) p.delta += deltas[i];
      else this.pendingSettles.set(c.key, { counter: c, delta: deltas[i] });
    });
    if (this.pendingSettles.size >= SETTLE_FLUSH_KEYS) this.flushSettles();
    else if (!this.settleTimer && this.pendingSettles.size) {
      this.settleTimer = setTimeout(() => this.flushSettles(), SETTLE_FLUSH_MS);
      this.settleTimer.unref();
    }
  }

  private flushSettles(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    if (!this.pendingSettles.size) return;
    const pending = [...this.pendingSettles.values()].filter((p) => p.delta !== 0);
    this.pendingSettles.clear();
    const byKey = new Map(pending.map((p) => [p.counter.key, p.delta]));
    for (const g of this.group(pending.map((p) => p.counter))) {
      this.adjust(g.counters, g.counters.map((c) => byKey.get(c.key)!));
    }
  }

  /** Best effort: a lost adjustment only makes a window count a little high or low until it resets. */
  private adjust(counters: Counter[], deltas: number[]): void {
    const keys = counters.map((c) => c.key);
    this.redis
      .bounded('limits adjust', (client) => limitScripts(client).porticoLimitAdjust(keys.length, ...keys, ...deltas), this.adjustTimeoutMs)
      .catch(() => undefined /* recorded in the connection health */);
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    return this.redis.health();
  }

  async close(): Promise<void> {
    this.flushSettles();
    if (this.ownsConnection) await this.redis.close();
  }
}

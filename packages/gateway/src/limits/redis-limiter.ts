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
 * With leaseRequests > 0, a reservation may also lease units that this replica then spends without a
 * round trip (leases.ts); Redis counts them all, so the guarantees above hold.
 */
import type { RedisClient, RedisConnection } from '../state/redis.js';
import { RedisUnavailableError } from '../state/health.js';
import { planCharge, planCounters, settleDelta, type Counter } from './counters.js';
import { LeaseBook } from './leases.js';
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
  /**
   * LIMITS_LEASE_REQUESTS: how many requests' worth of each counter a reservation may lease for this
   * replica to spend without a round trip (see leases.ts). 0 reserves every request in Redis. Default 0.
   */
  leaseRequests?: number;
  /** LIMITS_LEASE_TTL_MS: how long a replica keeps unused leased units before giving them back. Default 1000. */
  leaseTtlMs?: number;
}

type GroupOutcome =
  /** Held in Redis; grants are the lease units added per counter. */
  | { state: 'reserved'; grants: number[] }
  /** Paid from this replica's leases. */
  | { state: 'leased' }
  | { state: 'over'; broken: Counter[] }
  /** No answer in time; late tells whether the reservation was made after all. */
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
  private readonly leaseRequests: number;
  private readonly leases?: LeaseBook;
  private readonly sweepTimer?: NodeJS.Timeout;

  constructor(private readonly redis: RedisConnection, options: RedisLimiterOptions = {}) {
    this.failMode = options.failMode ?? 'open';
    this.adjustTimeoutMs = options.adjustTimeoutMs ?? 1000;
    this.ownsConnection = options.ownsConnection ?? false;
    this.now = options.now ?? Date.now;
    this.leaseRequests = Math.max(0, Math.floor(options.leaseRequests ?? 0));
    if (this.leaseRequests > 0) {
      const ttl = Math.max(10, options.leaseTtlMs ?? 1000);
      this.leases = new LeaseBook(ttl);
      this.sweepTimer = setInterval(() => this.returnLeases(this.leases!.expire(this.now())), Math.max(10, ttl / 2));
      this.sweepTimer.unref();
    }
    limitScripts(redis.client);
  }

  async reserve(subjects: LimitSubject[], estimate: LimitEstimate): Promise<Reservation> {
    const now = this.now();
    const counters = planCounters(subjects, estimate, now);
    if (!counters.length) return NOOP_RESERVATION;
    if (this.leases?.take(counters, now)) return this.reservation([{ counters, outcome: { state: 'leased' } }]);
    const groups = this.group(counters);
    await Promise.all(groups.map(async (g) => {
      g.outcome = await (this.redis.mode === 'standalone' ? this.tryReserveBatched(g.counters) : this.tryReserve(g.counters));
    }));
    // A refused group may still fit in what this replica holds, e.g. a burst whose own leases came back
    // in the same reply that refused it.
    for (const g of groups) if (g.outcome!.state === 'over' && this.leases?.take(g.counters, this.now())) g.outcome = { state: 'leased' };
    const over = groups.filter((g) => g.outcome!.state === 'over');
    const unknown = groups.filter((g) => g.outcome!.state === 'unknown');
    if (over.length || (unknown.length && this.failMode === 'closed')) {
      for (const g of groups) this.release(g);
      if (over.length) throw limitExceeded(over.flatMap((g) => (g.outcome as { broken: Counter[] }).broken), now);
      const e = (unknown[0].outcome as { error: Error }).error;
      throw limitsUnavailable(e instanceof RedisUnavailableError && e.timedOut ? `Redis did not answer within ${this.redis.timeoutMs} ms` : 'Redis is unreachable');
    }
    // Fail open for groups we could not reach; their late answers still get settled.
    return this.reservation(groups);
  }

  private reservation(groups: Group[]): Reservation {
    let settled = false;
    return {
      settle: (actual) => {
        if (settled) return;
        settled = true;
        const now = this.now();
        for (const g of groups) {
          const deltas = g.counters.map((c) => settleDelta(c, actual));
          if (!deltas.some((d) => d !== 0)) continue;
          // A live lease absorbs the difference (a refund waits there for the next request); only the
          // rest goes to Redis. Unconfirmed groups never touch the lease: their units may not exist.
          if (this.leases && g.outcome!.state !== 'unknown') {
            const rest = g.counters.map((c, i) => this.leases!.absorb(c, deltas[i], now));
            if (rest.some((d) => d !== 0)) this.queueSettle(g.counters, rest);
          } else this.afterReserved(g, () => this.queueSettle(g.counters, deltas));
        }
      },
    };
  }

  /**
   * How many units of a counter a reservation asks to lease: leaseRequests requests' worth, and only
   * when this replica's lease cannot cover the counter and no other reservation of the same script
   * call asks already, so one burst cannot pile up leases.
   */
  private leaseWanted(c: Counter, asked: Set<string>, now: number): number {
    if (!this.leases || asked.has(c.key) || this.leases.held(c.key, now) >= Math.max(1, c.amount)) return 0;
    asked.add(c.key);
    return Math.max(1, c.amount) * this.leaseRequests;
  }

  /** Keeps granted units in the lease book, or gives them straight back when it is full. */
  private keepGrants(counters: Counter[], grants: number[]): void {
    if (!grants.some((g) => g > 0)) return;
    const now = this.now();
    const back = counters.map((c, i) => (grants[i] > 0 && !this.leases?.grant(c, grants[i], now) ? -grants[i] : 0));
    if (back.some((d) => d !== 0)) this.queueSettle(counters, back);
  }

  private returnLeases(returns: Array<{ counter: Counter; amount: number }>): void {
    if (returns.length) this.queueSettle(returns.map((r) => r.counter), returns.map((r) => -r.amount));
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
    const asked = new Set<string>();
    const now = this.now();
    for (const b of batch) {
      args.push(b.counters.length);
      for (const c of b.counters) args.push(c.amount, c.limit, c.resetAt, this.leaseWanted(c, asked, now));
    }
    let raw: Promise<unknown> | undefined;
    try {
      const reply = await this.redis.bounded('limits reserve', (client: RedisClient) => {
        raw = limitScripts(client).porticoLimitReserve(keys.length, ...keys, ...args);
        return raw;
      });
      if (!Array.isArray(reply) || reply.length !== batch.length) throw new Error(`limits reserve: unexpected reply ${JSON.stringify(reply)}`);
      batch.forEach((b, i) => b.resolve(this.interpret(reply[i], b.counters)));
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      batch.forEach((b, i) => {
        // A reply that arrives after the bound may still have reserved: remember it for settle/rollback.
        const late = raw ? raw.then((r) => Array.isArray(r) && this.lateReserved(r[i], b.counters), () => false) : Promise.resolve(false);
        b.resolve({ state: 'unknown', error, late });
      });
    }
  }

  private async tryReserve(counters: Counter[]): Promise<GroupOutcome> {
    const keys = counters.map((c) => c.key);
    const asked = new Set<string>();
    const now = this.now();
    // One group: the script's reply is a list with this group's reply.
    const args = [1, counters.length, ...counters.flatMap((c) => [c.amount, c.limit, c.resetAt, this.leaseWanted(c, asked, now)])];
    let raw: Promise<unknown> | undefined;
    try {
      const reply = await this.redis.bounded('limits reserve', (client: RedisClient) => {
        raw = limitScripts(client).porticoLimitReserve(keys.length, ...keys, ...args);
        return raw;
      });
      return this.interpret(Array.isArray(reply) ? reply[0] : reply, counters);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      // A reply that arrives after the bound may still have reserved: remember it for settle/rollback.
      const late = raw ? raw.then((r) => Array.isArray(r) && this.lateReserved(r[0], counters), () => false) : Promise.resolve(false);
      return { state: 'unknown', error, late };
    }
  }

  /** A reply that came after the bound: leases in it go straight back (the request went on without them). */
  private lateReserved(reply: unknown, counters: Counter[]): boolean {
    const o = this.interpret(reply, counters, false);
    if (o.state !== 'reserved') return false;
    if (o.grants.some((g) => g > 0)) this.queueSettle(counters, o.grants.map((g) => -g));
    return true;
  }

  private interpret(reply: unknown, counters: Counter[], keep = true): GroupOutcome {
    if (!Array.isArray(reply)) throw new Error(`limits reserve: unexpected reply ${JSON.stringify(reply)}`);
    if (Number(reply[0]) === 0) {
      const grants = counters.map((_, i) => Number(reply[i + 1] ?? 0) || 0);
      if (keep) this.keepGrants(counters, grants);
      return { state: 'reserved', grants };
    }
    const broken: Counter[] = [];
    for (let i = 1; i < reply.length; i += 2) broken.push(counters[Number(reply[i]) - 1]);
    return { state: 'over', broken };
  }

  /** Runs fn once the group is known to hold a reservation (now, or when a late reply lands). */
  private afterReserved(g: Group, fn: () => void): void {
    const o = g.outcome!;
    if (o.state === 'reserved') fn();
    else if (o.state === 'leased') return;
    else if (o.state === 'unknown') void o.late.then((ok) => (ok ? fn() : undefined));
  }

  private release(g: Group): void {
    if (g.outcome!.state === 'leased') {
      const now = this.now();
      const rest = g.counters.map((c) => this.leases!.absorb(c, -c.amount, now));
      if (rest.some((d) => d !== 0)) this.queueSettle(g.counters, rest);
      return;
    }
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

  /** Adds usage made outside a reservation: one script call per slot, creating counters that are absent. */
  charge(subjects: LimitSubject[], used: LimitEstimate): void {
    const counters = planCharge(subjects, used, this.now());
    for (const g of this.group(counters)) {
      const keys = g.counters.map((c) => c.key);
      const args = g.counters.flatMap((c) => [c.amount, c.resetAt]);
      this.redis
        .bounded('limits charge', (client) => limitScripts(client).porticoLimitCharge(keys.length, ...keys, ...args), this.adjustTimeoutMs)
        .catch(() => undefined /* recorded in the connection health */);
    }
  }

  /** Units of a counter key this replica holds in a live lease (tests, diagnostics). */
  leasedUnits(key: string): number {
    return this.leases?.held(key, this.now()) ?? 0;
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    return this.redis.health();
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.leases) this.returnLeases(this.leases.drain());
    this.flushSettles();
    if (this.ownsConnection) await this.redis.close();
  }
}

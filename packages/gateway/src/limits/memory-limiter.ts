/**
 * Limits for a single process (CACHE_STORE=memory). Check-and-reserve runs synchronously, so two
 * concurrent requests can never both take the last unit of a budget.
 *
 * Counters are bounded (LIMITS_MEMORY_MAX_COUNTERS). Gateway-key and virtual-key counters are as many as
 * the entities make, but per-user rules make one per distinct metadata._user and window, and any key
 * holder can invent users. So user counters belong to the tenant whose request made them, and:
 * - a tenant holds at most LIMITS_MEMORY_TENANT_MAX_COUNTERS of them: past that, its own oldest go;
 * - with the table full (after dropping expired counters), the tenant holding the most user counters
 *   loses its oldest, never a gateway-key or virtual-key counter, so one tenant's users cannot lift
 *   another tenant's limits.
 * Only a table full of key and virtual-key counters treats a new counter as an unreachable backend
 * would (LIMITS_FAIL_MODE): open serves the request without counting it, closed refuses it with 503.
 */
import { asInt, type Settings } from '../config/settings.js';
import { exceeds, planCharge, planCounters, settleDelta, type Counter } from './counters.js';
import { limitExceeded, limitsUnavailable } from './errors.js';
import type { LimitEstimate, LimitSubject, Limiter, Reservation } from './types.js';

interface Slot {
  value: number;
  expiresAt: number;
  /** The tenant a user counter belongs to; undefined for key and virtual-key counters, which stay. */
  owner?: string;
}

export const NOOP_RESERVATION: Reservation = { settle: () => undefined };

export interface MemoryLimiterOptions {
  now?: () => number;
  /** Counters kept at most (LIMITS_MEMORY_MAX_COUNTERS). */
  maxCounters?: number;
  /** User counters one tenant may hold (LIMITS_MEMORY_TENANT_MAX_COUNTERS). */
  maxCountersPerTenant?: number;
  /** LIMITS_FAIL_MODE, for new counters once the limiter is full. */
  failMode?: 'open' | 'closed';
}

/** A full limiter drops expired counters at most this often while requests keep asking for new ones. */
const FULL_SWEEP_INTERVAL_MS = 1000;

/** The tenant of a subject's counters when they may be dropped to make room: users, and policy entities grouped by metadata. */
const ownerOf = (s: LimitSubject): string | undefined => (s.scope === 'user' ? s.tenant ?? '' : s.owner);

export class MemoryLimiter implements Limiter {
  readonly kind = 'memory';
  private readonly counters = new Map<string, Slot>();
  /** Each tenant's user counters, oldest first. */
  private readonly owned = new Map<string, Set<string>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly maxCounters: number;
  private readonly maxPerTenant: number;
  private readonly failMode: 'open' | 'closed';
  private lastFullSweep = 0;
  /** New counters left uncounted or refused since the limiter last had room. */
  private turnedAway = 0;
  /** User counters dropped to make room since the limiter last had room. */
  private dropped = 0;

  constructor(options: MemoryLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxCounters = options.maxCounters ?? 200_000;
    this.maxPerTenant = options.maxCountersPerTenant ?? Math.max(1, Math.floor(this.maxCounters / 10));
    this.failMode = options.failMode ?? 'open';
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async reserve(subjects: LimitSubject[], estimate: LimitEstimate): Promise<Reservation> {
    const now = this.now();
    const planned = planCounters(subjects, estimate, now);
    if (!planned.length) return NOOP_RESERVATION;
    const broken = planned.filter((c) => exceeds(this.current(c.key, now), c));
    if (broken.length) throw limitExceeded(broken, now);
    const uncounted = this.makeRoom(planned, now);
    for (const c of planned) if (!uncounted?.has(c)) this.add(c, c.amount, now, true);
    let settled = false;
    return {
      settle: (actual) => {
        if (settled) return;
        settled = true;
        for (const c of planned) {
          const delta = settleDelta(c, actual);
          if (delta !== 0) this.add(c, delta, this.now(), false);
        }
      },
    };
  }

  charge(subjects: LimitSubject[], used: LimitEstimate): void {
    const now = this.now();
    const planned = planCharge(subjects, used, now);
    if (!planned.length) return;
    let uncounted: Set<Counter> | undefined;
    try {
      uncounted = this.makeRoom(planned, now);
    } catch {
      // Full and failing closed: the next reservation is refused anyway; this charge has nowhere to go.
      return;
    }
    for (const c of planned) if (!uncounted?.has(c)) this.add(c, c.amount, now, true);
  }

  private current(key: string, now: number): number {
    const slot = this.counters.get(key);
    return slot && slot.expiresAt > now ? slot.value : 0;
  }

  /**
   * Makes room for the counters a reservation lacks: within the tenant's share first, then in the table
   * (expired counters, then the largest tenant's oldest user counters). Returns the counters left
   * uncounted (failing open), or throws the 503 (failing closed), when no room can be made.
   */
  private makeRoom(planned: Counter[], now: number): Set<Counter> | undefined {
    let uncounted: Set<Counter> | undefined;
    let created = 0;
    let squeezed = false;
    const keep = new Set(planned.map((c) => c.key));
    for (const c of planned) {
      // A counter whose window ended keeps its slot for the new window: only absent keys need room.
      if (this.counters.has(c.key)) continue;
      const owner = ownerOf(c.subject);
      const mine = owner === undefined ? undefined : this.owned.get(owner);
      if (mine && mine.size >= this.maxPerTenant) this.dropOldest(mine, keep);
      if (this.counters.size + created >= this.maxCounters) {
        if (now - this.lastFullSweep >= FULL_SWEEP_INTERVAL_MS) {
          this.lastFullSweep = now;
          this.sweep(now);
        }
        const largest = this.counters.size + created >= this.maxCounters ? this.largestTenant() : undefined;
        if (largest && this.dropOldest(largest, keep)) {
          this.dropped++;
          squeezed = true;
        }
      }
      if (this.counters.size + created < this.maxCounters) {
        created++;
        continue;
      }
      this.turnedAway++;
      if (this.failMode === 'closed') throw limitsUnavailable(`the gateway's in-process limit counters are full (${this.maxCounters})`, 'raise LIMITS_MEMORY_MAX_COUNTERS, share limits through Redis (CACHE_STORE=redis)');
      (uncounted ??= new Set()).add(c);
    }
    // Room for every new counter without taking any: the limiter is healthy again.
    if (!uncounted && !squeezed && created > 0) this.turnedAway = this.dropped = 0;
    return uncounted;
  }

  private largestTenant(): Set<string> | undefined {
    let largest: Set<string> | undefined;
    for (const set of this.owned.values()) if (!largest || set.size > largest.size) largest = set;
    return largest?.size ? largest : undefined;
  }

  /** Drops a tenant's oldest user counter that this reservation does not use; false when there is none. */
  private dropOldest(set: Set<string>, keep: Set<string>): boolean {
    for (const key of set) {
      if (keep.has(key)) continue;
      this.remove(key);
      return true;
    }
    return false;
  }

  /** create=false: a settle after the window ended has nothing left to adjust. */
  private add(c: Counter, delta: number, now: number, create: boolean): void {
    let slot = this.counters.get(c.key);
    if (!slot || slot.expiresAt <= now) {
      if (!create) return;
      const owner = ownerOf(c.subject);
      slot = { value: 0, expiresAt: c.resetAt, owner };
      if (!this.counters.has(c.key) && owner !== undefined) {
        let set = this.owned.get(owner);
        if (!set) this.owned.set(owner, (set = new Set()));
        set.add(c.key);
      }
      this.counters.set(c.key, slot);
    }
    slot.value = Math.max(0, slot.value + delta);
  }

  private remove(key: string): void {
    const slot = this.counters.get(key);
    if (!slot) return;
    this.counters.delete(key);
    if (slot.owner === undefined) return;
    const set = this.owned.get(slot.owner);
    set?.delete(key);
    if (set?.size === 0) this.owned.delete(slot.owner);
  }

  private sweep(now = this.now()): void {
    for (const [key, slot] of this.counters) if (slot.expiresAt <= now) this.remove(key);
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    if (this.turnedAway > 0) {
      return {
        status: 'degraded',
        detail: `in-process limit counters full (${this.maxCounters}): ${this.turnedAway} request(s) with new limit subjects were ${this.failMode === 'closed' ? 'refused' : 'served without counting them'}; raise LIMITS_MEMORY_MAX_COUNTERS or share limits through Redis`,
      };
    }
    if (this.dropped > 0) {
      return {
        status: 'degraded',
        detail: `in-process limit counters full (${this.maxCounters}): ${this.dropped} metadata._user counter(s) of the tenant(s) holding the most were dropped to make room; raise LIMITS_MEMORY_MAX_COUNTERS or share limits through Redis`,
      };
    }
    return { status: 'ok' };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.counters.clear();
    this.owned.clear();
  }
}

/** The in-process limiter as the settings configure it. */
export function memoryLimiterFor(settings: Pick<Settings, 'LIMITS_MEMORY_MAX_COUNTERS' | 'LIMITS_MEMORY_TENANT_MAX_COUNTERS' | 'LIMITS_FAIL_MODE'>): MemoryLimiter {
  return new MemoryLimiter({
    maxCounters: asInt(settings.LIMITS_MEMORY_MAX_COUNTERS),
    maxCountersPerTenant: asInt(settings.LIMITS_MEMORY_TENANT_MAX_COUNTERS),
    failMode: settings.LIMITS_FAIL_MODE === 'closed' ? 'closed' : 'open',
  });
}

/**
 * Local leases on shared limit counters. When a replica reserves in Redis and the window still has
 * plenty of headroom, the script also hands it a small lease: extra units counted in Redis now and
 * spent here later, without a round trip. Redis always counts every leased unit, so replicas together
 * can never admit more than the limit. The price is bounded under-admission: units a replica holds but
 * does not use are unavailable to the others until it gives them back (when the lease expires, at the
 * latest after the lease TTL). Leases shrink to nothing near the limit: the script grants at most
 * 1/LEASE_HEADROOM_DIVISOR of the remaining headroom, so the last units are always reserved one by one.
 */
import type { Counter } from './counters.js';

/** Must match the divisor in the reserve scripts. */
export const LEASE_HEADROOM_DIVISOR = 16;

interface Lease {
  counter: Counter;
  available: number;
  expiresAt: number;
}

export interface LeaseReturn {
  counter: Counter;
  amount: number;
}

export class LeaseBook {
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxLeases = 10_000,
  ) {}

  get size(): number {
    return this.leases.size;
  }

  /** Units held for a counter key (0 when none or expired). */
  held(key: string, now: number): number {
    const l = this.leases.get(key);
    return l && l.expiresAt > now ? l.available : 0;
  }

  /**
   * Takes every counter's amount from the local leases, all or nothing. A zero amount (a cost nobody
   * can price) still needs a lease with units left, i.e. a budget that was not spent when granted.
   */
  take(counters: Counter[], now: number): boolean {
    for (const c of counters) {
      const l = this.leases.get(c.key);
      if (!l || l.expiresAt <= now || l.available <= 0 || l.available < c.amount) return false;
    }
    for (const c of counters) this.leases.get(c.key)!.available -= c.amount;
    return true;
  }

  /** Adds granted units. Returns false (and keeps nothing) when the book is full: the caller gives them back. */
  grant(counter: Counter, units: number, now: number): boolean {
    if (units <= 0) return true;
    const l = this.leases.get(counter.key);
    if (l && l.expiresAt > now) {
      l.available += units;
      return true;
    }
    if (!l && this.leases.size >= this.maxLeases) return false;
    // An expired lease still waiting for the sweep: its units go back with the new ones' expiry.
    this.leases.set(counter.key, { counter, available: (l?.available ?? 0) + units, expiresAt: Math.min(now + this.ttlMs, counter.resetAt) });
    return true;
  }

  /**
   * Applies a settle delta to the local lease where one is live: a refund (negative) is kept for later
   * requests, an overrun (positive) is paid from the lease. Returns the part Redis still has to see.
   */
  absorb(counter: Counter, delta: number, now: number): number {
    const l = this.leases.get(counter.key);
    if (!l || l.expiresAt <= now || delta === 0) return delta;
    if (delta < 0) {
      l.available -= delta;
      return 0;
    }
    const paid = Math.min(delta, l.available);
    l.available -= paid;
    return delta - paid;
  }

  /** Removes expired leases and returns what they still held, to be given back to Redis. */
  expire(now: number): LeaseReturn[] {
    const out: LeaseReturn[] = [];
    for (const [key, l] of this.leases) {
      if (l.expiresAt > now) continue;
      this.leases.delete(key);
      if (l.available > 0) out.push({ counter: l.counter, amount: l.available });
    }
    return out;
  }

  /** Empties the book (shutdown); returns every unit still held. */
  drain(): LeaseReturn[] {
    const out = [...this.leases.values()].filter((l) => l.available > 0).map((l) => ({ counter: l.counter, amount: l.available }));
    this.leases.clear();
    return out;
  }
}

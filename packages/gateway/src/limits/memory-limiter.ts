/**
 * Limits for a single process (CACHE_STORE=memory). Check-and-reserve runs synchronously, so two
 * concurrent requests can never both take the last unit of a budget.
 */
import { exceeds, planCounters, settleDelta, type Counter } from './counters.js';
import { limitExceeded } from './errors.js';
import type { LimitEstimate, LimitSubject, Limiter, Reservation } from './types.js';

interface Slot {
  value: number;
  expiresAt: number;
}

export const NOOP_RESERVATION: Reservation = { settle: () => undefined };

export class MemoryLimiter implements Limiter {
  readonly kind = 'memory';
  private readonly counters = new Map<string, Slot>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async reserve(subjects: LimitSubject[], estimate: LimitEstimate): Promise<Reservation> {
    const now = this.now();
    const planned = planCounters(subjects, estimate, now);
    if (!planned.length) return NOOP_RESERVATION;
    const broken = planned.filter((c) => exceeds(this.current(c.key, now), c));
    if (broken.length) throw limitExceeded(broken, now);
    for (const c of planned) this.add(c, c.amount, now, true);
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

  private current(key: string, now: number): number {
    const slot = this.counters.get(key);
    return slot && slot.expiresAt > now ? slot.value : 0;
  }

  /** create=false: a settle after the window ended has nothing left to adjust. */
  private add(c: Counter, delta: number, now: number, create: boolean): void {
    let slot = this.counters.get(c.key);
    if (!slot || slot.expiresAt <= now) {
      if (!create) return;
      slot = { value: 0, expiresAt: c.resetAt };
      this.counters.set(c.key, slot);
    }
    slot.value = Math.max(0, slot.value + delta);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, slot] of this.counters) if (slot.expiresAt <= now) this.counters.delete(key);
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    return { status: 'ok' };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.counters.clear();
  }
}

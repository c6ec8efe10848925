/**
 * Limits for a single process (CACHE_STORE=memory). Check-and-reserve runs synchronously, so two
 * concurrent requests can never both take the last unit of a budget.
 *
 * Counters are bounded (LIMITS_MEMORY_MAX_COUNTERS): per-user rules make one per distinct metadata._user
 * and window, and a day or month window keeps its counters that long. Full, after dropping expired ones,
 * the limiter treats new counters as it would an unreachable backend (LIMITS_FAIL_MODE): open serves the
 * request without counting them, closed refuses it with 503. Counters it already has still count.
 */
import { asInt, type Settings } from '../config/settings.js';
import { exceeds, planCounters, settleDelta, type Counter } from './counters.js';
import { limitExceeded, limitsUnavailable } from './errors.js';
import type { LimitEstimate, LimitSubject, Limiter, Reservation } from './types.js';

interface Slot {
  value: number;
  expiresAt: number;
}

export const NOOP_RESERVATION: Reservation = { settle: () => undefined };

export interface MemoryLimiterOptions {
  now?: () => number;
  /** Counters kept at most (LIMITS_MEMORY_MAX_COUNTERS). */
  maxCounters?: number;
  /** LIMITS_FAIL_MODE, for new counters once the limiter is full. */
  failMode?: 'open' | 'closed';
}

/** A full limiter drops expired counters at most this often while requests keep asking for new ones. */
const FULL_SWEEP_INTERVAL_MS = 1000;

export class MemoryLimiter implements Limiter {
  readonly kind = 'memory';
  private readonly counters = new Map<string, Slot>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly maxCounters: number;
  private readonly failMode: 'open' | 'closed';
  private lastFullSweep = 0;
  /** New counters left uncounted or refused since the limiter last had room. */
  private turnedAway = 0;

  constructor(options: MemoryLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxCounters = options.maxCounters ?? 200_000;
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
    if (this.counters.size + planned.length > this.maxCounters) this.checkRoom(planned, now);
    else this.turnedAway = 0;
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

  /**
   * Near the bound: whether the counters a reservation lacks fit, after dropping expired ones if that is
   * what it takes. If not, counts the request as turned away and, failing closed, refuses it.
   */
  private checkRoom(planned: Counter[], now: number): void {
    // A counter whose window ended keeps its slot for the new window: only absent keys need room.
    const needed = planned.reduce((n, c) => n + (this.counters.has(c.key) ? 0 : 1), 0);
    if (needed === 0) return;
    if (this.counters.size + needed > this.maxCounters && now - this.lastFullSweep >= FULL_SWEEP_INTERVAL_MS) {
      this.lastFullSweep = now;
      this.sweep(now);
    }
    if (this.counters.size + needed <= this.maxCounters) {
      this.turnedAway = 0;
      return;
    }
    this.turnedAway++;
    if (this.failMode === 'closed') throw limitsUnavailable(`the gateway's in-process limit counters are full (${this.maxCounters})`, 'raise LIMITS_MEMORY_MAX_COUNTERS, share limits through Redis (CACHE_STORE=redis)');
  }

  /** create=false: a settle after the window ended has nothing left to adjust. Past the bound, nothing is created. */
  private add(c: Counter, delta: number, now: number, create: boolean): void {
    let slot = this.counters.get(c.key);
    if (!slot || slot.expiresAt <= now) {
      if (!create || (!slot && this.counters.size >= this.maxCounters)) return;
      slot = { value: 0, expiresAt: c.resetAt };
      this.counters.set(c.key, slot);
    }
    slot.value = Math.max(0, slot.value + delta);
  }

  private sweep(now = this.now()): void {
    for (const [key, slot] of this.counters) if (slot.expiresAt <= now) this.counters.delete(key);
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    if (this.turnedAway === 0) return { status: 'ok' };
    return {
      status: 'degraded',
      detail: `in-process limit counters full (${this.maxCounters}): ${this.turnedAway} request(s) with new limit subjects were ${this.failMode === 'closed' ? 'refused' : 'served without counting them'}; raise LIMITS_MEMORY_MAX_COUNTERS or share limits through Redis`,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.counters.clear();
  }
}

/** The in-process limiter as the settings configure it. */
export function memoryLimiterFor(settings: Pick<Settings, 'LIMITS_MEMORY_MAX_COUNTERS' | 'LIMITS_FAIL_MODE'>): MemoryLimiter {
  return new MemoryLimiter({ maxCounters: asInt(settings.LIMITS_MEMORY_MAX_COUNTERS), failMode: settings.LIMITS_FAIL_MODE === 'closed' ? 'closed' : 'open' });
}

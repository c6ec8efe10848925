import type { CbConfig } from '@portico/contract';

/**
 * The circuit breaker's state machine, pure: the in-process store runs it directly and the Redis
 * store runs the same rules in Lua (breaker-redis.ts), so both agree on when a target opens.
 *
 * closed → (failures reach failure_threshold, or the failure rate reaches failure_threshold_percentage
 * once minimum_requests were seen) → open → (cooldown_interval passes) → half-open: one probe is let
 * through → closed on its success, open again (a new cooldown) on its failure.
 * Counts are kept for a window (windowMs: the longer of one minute and cooldown_interval) from the
 * window's first request, then restart.
 */

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerRecord {
  open: boolean;
  failures: number;
  total: number;
  /** Start of the counting window (ms since epoch), 0 before the first request. */
  windowStart: number;
  openedAt: number;
  /** While a half-open probe is out: until when others wait (ms since epoch), else 0. */
  probeUntil: number;
}

export interface EffectiveCb {
  failureThreshold?: number;
  failurePercentage?: number;
  cooldownMs: number;
  failureStatusCodes?: number[];
  minimumRequests: number;
}

export type Admission = { state: 'closed' } | { state: 'half_open' } | { state: 'open'; retryAt: number };

export const emptyRecord = (): BreakerRecord => ({ open: false, failures: 0, total: 0, windowStart: 0, openedAt: 0, probeUntil: 0 });

/** cb_config with its defaults, and cooldown_interval raised to the operator's floor (Portkey's is 30 s). */
export function effectiveCb(cb: CbConfig, minCooldownMs: number): EffectiveCb {
  return {
    failureThreshold: cb.failure_threshold,
    failurePercentage: cb.failure_threshold_percentage,
    cooldownMs: Math.max(cb.cooldown_interval, minCooldownMs),
    failureStatusCodes: cb.failure_status_codes,
    minimumRequests: cb.minimum_requests ?? 1,
  };
}

/**
 * A status counts against the target: failure_status_codes when given, else any 5xx and 408 (the
 * gateway's request_timeout: a target that does not answer is failing). 499 (the client left) never does.
 */
export function isBreakerFailure(cb: EffectiveCb, status: number): boolean {
  if (status === 499) return false;
  return cb.failureStatusCodes ? cb.failureStatusCodes.includes(status) : status >= 500 || status === 408;
}

/** How long failures count before the counts restart. */
export function windowMs(cb: EffectiveCb): number {
  return Math.max(cb.cooldownMs, 60_000);
}

/** How long a half-open probe may take before another replica may probe instead. */
export function probeTtlMs(cb: EffectiveCb): number {
  return Math.min(cb.cooldownMs, 60_000);
}

/** What a request would meet, without claiming the probe. */
export function peek(r: BreakerRecord, cb: EffectiveCb, now: number): Admission {
  if (!r.open) return { state: 'closed' };
  const reopensAt = r.openedAt + cb.cooldownMs;
  if (now < reopensAt) return { state: 'open', retryAt: reopensAt };
  if (r.probeUntil > now) return { state: 'open', retryAt: r.probeUntil };
  return { state: 'half_open' };
}

/** Admits a request, claiming the probe when half-open (mutates r). */
export function admit(r: BreakerRecord, cb: EffectiveCb, now: number): Admission {
  const a = peek(r, cb, now);
  if (a.state === 'half_open') r.probeUntil = now + probeTtlMs(cb);
  return a;
}

/** Records an outcome (mutates r); returns true when this outcome opened the breaker. */
export function record(r: BreakerRecord, cb: EffectiveCb, failed: boolean, probe: boolean, now: number): boolean {
  if (r.open) {
    // Only the probe decides; a request admitted before the breaker opened changes nothing.
    if (!probe) return false;
    if (failed) {
      r.openedAt = now;
      r.probeUntil = 0;
      return true;
    }
    Object.assign(r, emptyRecord());
    return false;
  }
  if (r.windowStart === 0 || now - r.windowStart >= windowMs(cb)) {
    r.windowStart = now;
    r.failures = 0;
    r.total = 0;
  }
  r.total++;
  if (failed) r.failures++;
  if (shouldOpen(r, cb)) {
    r.open = true;
    r.openedAt = now;
    r.probeUntil = 0;
    return true;
  }
  return false;
}

function shouldOpen(r: BreakerRecord, cb: EffectiveCb): boolean {
  if (r.failures === 0) return false;
  if (cb.failureThreshold !== undefined && r.failures >= cb.failureThreshold) return true;
  return cb.failurePercentage !== undefined && r.total >= cb.minimumRequests && (r.failures * 100) / r.total >= cb.failurePercentage;
}

import type { LimitRule } from '@portico/contract';
import type { GatewayError } from '../errors.js';

export type { LimitRule };

/**
 * Who a set of rules applies to, e.g. { scope: 'key', id: 'k_123' }, { scope: 'vk', id: 'openai-prod' },
 * { scope: 'user', id: 'alice' }, { scope: 'workspace', id: 'ws_1' }, or one entity of a policy:
 * { scope: 'usage_policy', id: '<policy id>/<value key>' } (likewise 'rate_policy').
 */
export interface LimitSubject {
  scope: 'key' | 'vk' | 'user' | 'workspace' | 'usage_policy' | 'rate_policy';
  id: string;
  rules: LimitRule[];
  /** How errors name the subject, when its id alone does not say enough (a policy's name and entity). */
  label?: string;
  /**
   * Policy entities grouped by metadata: the tenant whose requests made the counter, charged for its
   * room in the bounded in-process table (any key holder can invent metadata values). Unlike `tenant`
   * it is not part of the counter's identity: every tenant's requests of one entity share its count.
   */
  owner?: string;
  /**
   * User subjects: the tenant whose request names the user. Users are the tenant's own namespace (any
   * key holder sets metadata._user), so one tenant's "alice" never spends another tenant's.
   */
  tenant?: string;
}

export interface LimitEstimate {
  tokens: number;
  costUsd: number;
}

/** Returned by reserve(); settle() adjusts the reservation to what the call really used. Never throws. */
export interface Reservation {
  settle(actual: LimitEstimate): void;
}

/**
 * Rate limits and budgets. reserve() atomically checks every rule of every subject and reserves the
 * request, the estimated tokens and the estimated cost; it rejects with a 429 GatewayError (with
 * Retry-After and a message naming the limit) when any rule would be exceeded.
 * With its backend down it fails open (a no-op reservation) unless configured to fail closed.
 */
export interface Limiter {
  readonly kind: string;
  reserve(subjects: LimitSubject[], estimate: LimitEstimate): Promise<Reservation>;
  /**
   * Adds tokens and cost used outside any reservation (the semantic cache's embedding calls) to the
   * subjects' token and cost counters, whatever their limits: the call was made already, and the next
   * reservation sees what it spent. Request counters are untouched (no client request was made).
   * Best effort and never throws; a backend that is down loses the charge, as it loses settles.
   */
  charge(subjects: LimitSubject[], used: LimitEstimate): void;
  health(): { status: 'ok' | 'degraded'; detail?: string };
  close(): Promise<void>;
}

export type LimitExceeded = GatewayError;

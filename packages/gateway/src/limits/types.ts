import type { LimitRule } from '@portico/contract';
import type { GatewayError } from '../errors.js';

export type { LimitRule };

/** Who a set of rules applies to, e.g. { scope: 'key', id: 'k_123' }, { scope: 'vk', id: 'openai-prod' }, { scope: 'user', id: 'alice' }. */
export interface LimitSubject {
  scope: 'key' | 'vk' | 'user';
  id: string;
  rules: LimitRule[];
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
  health(): { status: 'ok' | 'degraded'; detail?: string };
  close(): Promise<void>;
}

export type LimitExceeded = GatewayError;

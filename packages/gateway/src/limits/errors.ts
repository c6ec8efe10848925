/** The 429 and 503 errors of the limiters, worded for the caller. */
import { GatewayError } from '../errors.js';
import type { Counter } from './counters.js';
import type { LimitRule, LimitSubject } from './types.js';

const SCOPE_NAMES: Record<LimitSubject['scope'], string> = { key: 'gateway key', vk: 'virtual key', user: 'user' };

export function describeLimit(rule: LimitRule, subject: Pick<LimitSubject, 'scope' | 'id'>): string {
  const amount = rule.kind === 'cost' ? `$${formatUsd(rule.limit)}` : String(rule.limit);
  return `${rule.kind} per ${rule.window} limit of ${amount} for ${SCOPE_NAMES[subject.scope]} ${subject.id}`;
}

function formatUsd(n: number): string {
  return n >= 1 ? n.toFixed(2) : String(Number(n.toFixed(6)));
}

export const retryAfterSeconds = (resetAt: number, now: number): number => Math.max(1, Math.ceil((resetAt - now) / 1000));

/** Of several broken limits the one that resets last decides Retry-After, so a retry can succeed. */
export function pickWorst(broken: Counter[]): Counter {
  return broken.reduce((a, b) => (b.resetAt > a.resetAt ? b : a));
}

export function limitExceeded(broken: Counter[], now = Date.now()): GatewayError {
  const c = pickWorst(broken);
  const retry = retryAfterSeconds(c.resetAt, now);
  const what = describeLimit(c.rule, c.subject);
  const message = c.amount > c.limit
    ? `this request alone needs an estimated ${c.rule.kind === 'cost' ? `$${formatUsd(c.amount / 1_000_000)}` : `${c.amount} ${c.rule.kind}`}, more than the ${what}; lower max_tokens or raise the limit in the entities file`
    : `${what} exceeded; retry after ${retry} s or raise the limit in the entities file`;
  return new GatewayError({
    status: 429,
    type: 'rate_limit_error',
    code: c.rule.kind === 'cost' ? 'budget_exceeded' : 'rate_limit_exceeded',
    message,
    headers: { 'Retry-After': String(retry) },
    // Backing off for milliseconds cannot outlast a limit window.
    retryable: false,
  });
}

export function limitsUnavailable(reason: string, fix = 'restore the connection to Redis'): GatewayError {
  return new GatewayError({
    status: 503,
    type: 'api_error',
    code: 'limits_unavailable',
    message: `rate limits and budgets cannot be checked right now (${reason}) and LIMITS_FAIL_MODE=closed rejects requests until they can; ${fix} or set LIMITS_FAIL_MODE=open`,
    headers: { 'Retry-After': '1' },
  });
}

/** The 429 and 503 errors of the limiters, worded for the caller. */
import { catalogued } from '@portico/contract';
import { GatewayError } from '../errors.js';
import type { Counter } from './counters.js';
import type { LimitRule, LimitSubject } from './types.js';

const SCOPE_NAMES: Record<LimitSubject['scope'], string> = {
  key: 'gateway key', vk: 'virtual key', user: 'user', workspace: 'workspace', usage_policy: 'usage-limit policy', rate_policy: 'rate-limit policy',
};

export function describeLimit(rule: LimitRule, subject: Pick<LimitSubject, 'scope' | 'id' | 'label'>): string {
  const amount = rule.kind === 'cost' ? `$${formatUsd(rule.limit)}` : String(rule.limit);
  const per = rule.window === 'total' ? 'in total' : rule.window === 'days' ? `per ${rule.days === 1 ? 'day' : `${rule.days} days`} (periodic_reset_days)` : `per ${rule.window}`;
  return `${rule.kind} ${per} limit of ${amount} for ${SCOPE_NAMES[subject.scope]} ${subject.label ?? subject.id}`;
}

/** The catalogue's error for a broken limit: by whose limit it is, then by what it counts. */
function exceededError(c: Counter, message: string, init: { headers: Record<string, string>; retryable: boolean }): GatewayError {
  switch (c.subject.scope) {
    case 'usage_policy':
      return catalogued('policy_usage_limit_exceeded', message, init);
    case 'rate_policy':
      return catalogued('policy_rate_limit_exceeded', message, init);
    case 'workspace':
      return (c.rule.window === 'month' || c.rule.window === 'week' || c.rule.window === 'days' || c.rule.window === 'total') && c.rule.kind !== 'requests' ? catalogued('workspace_budget_exceeded', message, init) : catalogued('workspace_rate_limit_exceeded', message, init);
    default:
      return c.rule.kind === 'cost' ? catalogued('budget_exceeded', message, init) : catalogued('rate_limit_exceeded', message, init);
  }
}

/** Where the caller can have a limit raised: the entities file, or (synced limits) an admin. */
function raiseWhere(c: Counter): string {
  switch (c.subject.scope) {
    case 'usage_policy':
      return 'ask a workspace admin to reset this entity\'s usage or raise the policy\'s credit_limit';
    case 'rate_policy':
      return 'ask a workspace admin to raise the policy\'s value';
    case 'workspace':
      return 'ask an admin to raise the workspace\'s limits';
    default:
      return 'raise the limit in the entities file';
  }
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
  // A limit that never resets by itself has no Retry-After: retrying cannot succeed until someone acts.
  const endless = c.rule.window === 'total';
  const retry = retryAfterSeconds(c.resetAt, now);
  const what = describeLimit(c.rule, c.subject);
  const message = c.amount > c.limit
    ? `this request alone needs an estimated ${c.rule.kind === 'cost' ? `$${formatUsd(c.amount / 1_000_000)}` : `${c.amount} ${c.rule.kind}`}, more than the ${what}; lower max_tokens or ${raiseWhere(c)}`
    : endless ? `${what} exceeded; it does not reset by itself: ${raiseWhere(c)}` : `${what} exceeded; retry after ${retry} s or ${raiseWhere(c)}`;
  // Backing off for milliseconds cannot outlast a limit window.
  return exceededError(c, message, { headers: endless ? {} : { 'Retry-After': String(retry) }, retryable: false });
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

/**
 * Turns subjects + an estimate into the counters one reservation touches, shared by the memory and
 * Redis limiters so both count, key and word limits the same way.
 *
 * Windows are fixed and calendar-aligned in UTC (minute, hour, day, week from Monday, month), so
 * "cost per month" resets on the 1st; 'days' are periods of N days from the rule's anchor (its creation,
 * or the reset time an admin gave); 'total' never ends. A rule's `since` (a reset) moves the
 * window's start, and with it the counter's key, so counting starts again from nothing.
 * Cost is counted in integer micro-USD so Redis INCRBY stays exact.
 */
import { limitRuleWindow, limitWindow, TOTAL_WINDOW_END } from '@portico/contract';
import type { LimitEstimate, LimitRule, LimitSubject } from './types.js';

export const LIMIT_KEY_PREFIX = 'portico:limits:';

export interface Counter {
  subject: LimitSubject;
  rule: LimitRule;
  /** Hash-tag content shared by every key of one subject: "vk:openai-prod". */
  slot: string;
  /** Full Redis key: portico:limits:{vk:openai-prod}:tokens:minute:1795000000. */
  key: string;
  /** What this request adds: 1 request, estimated tokens, or estimated micro-USD. */
  amount: number;
  /** The limit in the same unit as amount. */
  limit: number;
  windowStart: number;
  /** When the window ends (ms since epoch): Retry-After and the key's expiry. */
  resetAt: number;
}

/** Calendar-aligned UTC windows, shared with the control plane (which reports usage over the same ones). */
export const windowBounds = limitWindow;
export { TOTAL_WINDOW_END };

/** The window of a rule at `now`, starting no earlier than the rule's `since`. */
export function ruleWindow(rule: LimitRule, now: number): { start: number; end: number } {
  const w = limitRuleWindow(rule, now);
  if (rule.since !== undefined && Number.isFinite(rule.since) && rule.since > w.start) w.start = Math.min(rule.since, w.end - 1);
  return w;
}

export const toMicroUsd = (usd: number): number => (Number.isFinite(usd) && usd > 0 ? Math.ceil(usd * 1_000_000 - 1e-6) : 0);
const toTokens = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.ceil(n) : 0);

function amountFor(rule: LimitRule, estimate: LimitEstimate): number {
  if (rule.kind === 'requests') return 1;
  if (rule.kind === 'tokens') return toTokens(estimate.tokens);
  return toMicroUsd(estimate.costUsd);
}

function limitFor(rule: LimitRule): number {
  return rule.kind === 'cost' ? Math.round(rule.limit * 1_000_000) : Math.floor(rule.limit);
}

/** Ids may hold any character; encoding keeps "{" and "}" out of the hash tag. A user's tenant comes first. */
export const slotOf = (s: Pick<LimitSubject, 'scope' | 'id' | 'tenant'>): string =>
  s.tenant === undefined ? `${s.scope}:${encodeURIComponent(s.id)}` : `${s.scope}:${encodeURIComponent(s.tenant)}/${encodeURIComponent(s.id)}`;

/**
 * One counter per (subject, kind, window). Repeated subjects and repeated rules collapse into one
 * counter with the strictest limit, so nothing is counted twice.
 */
export function planCounters(subjects: LimitSubject[], estimate: LimitEstimate, now: number): Counter[] {
  const byKey = new Map<string, Counter>();
  for (const subject of subjects) {
    for (const rule of subject.rules ?? []) {
      if (!(rule.limit >= 0)) continue;
      const { start, end } = ruleWindow(rule, now);
      const slot = slotOf(subject);
      const key = `${LIMIT_KEY_PREFIX}{${slot}}:${rule.kind}:${windowLabel(rule)}:${windowStartLabel(start)}`;
      const counter: Counter = { subject, rule, slot, key, amount: amountFor(rule, estimate), limit: limitFor(rule), windowStart: start, resetAt: end };
      const prev = byKey.get(key);
      if (!prev || counter.limit < prev.limit) byKey.set(key, counter);
    }
  }
  return [...byKey.values()];
}

/** The token and cost counters that usage made outside a reservation adds to (Limiter.charge). */
export function planCharge(subjects: LimitSubject[], used: LimitEstimate, now: number): Counter[] {
  const spending = subjects.map((s) => ({ ...s, rules: (s.rules ?? []).filter((r) => r.kind !== 'requests') }));
  return planCounters(spending, used, now).filter((c) => c.amount > 0);
}

/** The window's part of a counter key: every N days is its own window ("30d"), apart from any other N. */
const windowLabel = (rule: LimitRule): string => (rule.window === 'days' ? `${Math.floor(rule.days ?? 1)}d` : rule.window);

/**
 * The window start's part of a counter key: epoch seconds ("1796684027"), as calendar windows always
 * start on a whole second, or with the milliseconds ("1796684027.785") for a start a reset or a
 * policy's creation gave. Two starts inside one second are two windows: a reset made in the same second
 * the policy began (or an earlier reset) must not find the spent counter again.
 */
export function windowStartLabel(start: number): string {
  const ms = start % 1000;
  const seconds = (start - ms) / 1000;
  return ms === 0 ? String(seconds) : `${seconds}.${String(ms).padStart(3, '0')}`;
}

/** Whether adding amount to current would break the limit (a spent budget also blocks zero-cost estimates). */
export const exceeds = (current: number, c: Pick<Counter, 'amount' | 'limit'>): boolean => current >= c.limit || current + c.amount > c.limit;

/** Settle deltas per counter: actual minus estimate for tokens and cost; requests stay as counted. */
export function settleDelta(c: Counter, actual: LimitEstimate): number {
  if (c.rule.kind === 'requests') return 0;
  return amountFor(c.rule, actual) - c.amount;
}

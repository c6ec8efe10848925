import type { LimitRule } from './entities.js';

/**
 * Portkey's usage-limit and rate-limit policies, and workspace limits, as a synced gateway enforces
 * them. The control plane stores the policies (Portkey's Admin API, /v1/policies/...) and sends each
 * active one here; the gateway counts a request that matches every condition under the entity its
 * group_by values name, and refuses it once the entity is over the policy's limit.
 */
export interface PolicyCondition {
  /** 'api_key' (the key's id), 'organisation_id', 'workspace_id', or 'metadata.<name>'. */
  key: string;
  /** The value to match; '*' matches any request that has the key. */
  value: string;
}

export interface LimitPolicy {
  id: string;
  /** usage: a budget of cost or tokens (credit_limit); rate: requests or tokens per minute/hour/day. */
  type: 'usage' | 'rate';
  name?: string;
  /** The workspace the policy belongs to: it applies only to that workspace's requests. */
  workspace: string;
  conditions: PolicyCondition[];
  /** group_by keys, in order: together their values name the entity a request is counted under. */
  group_by: string[];
  /** The limit; for usage policies its window is 'week', 'month', 'days' (every N days) or 'total', and `since` is when counting began. */
  rule: LimitRule;
  /** Usage policies: value key → ISO time of the entity's last reset; its count starts again there. */
  resets?: Record<string, string>;
}

/** A workspace's own rate limits and budgets (Portkey's workspace rate_limits / usage_limits). */
export interface WorkspaceLimits {
  id: string;
  /** The organisation's default workspace: organisation-level keys' requests count against it. */
  is_default?: boolean;
  limits: LimitRule[];
}

/** Keys a condition or group_by may name. */
export const POLICY_FIXED_KEYS = ['api_key', 'organisation_id', 'workspace_id'] as const;

/** Whether a condition / group_by key is one the gateway can read from a request. */
export function isPolicyKey(key: string): boolean {
  return (POLICY_FIXED_KEYS as readonly string[]).includes(key) || /^metadata\.[^"\\\u0000-\u001f]{1,128}$/.test(key);
}

const escapeValue = (v: string): string => v.replace(/%/g, '%25').replace(/,/g, '%2C');

/**
 * The entity a request is counted under: "key:value" per group_by key, joined by ","; values have
 * "%" and "," percent-encoded so two different entities never share a value key. Both the gateway
 * (counting) and the control plane (reporting usage from analytics rows, resets) compute it.
 */
export function policyValueKey(groupBy: string[], values: string[]): string {
  return groupBy.map((k, i) => `${k}:${escapeValue(values[i])}`).join(',');
}

/** The entity id in /policies/usage-limits/{id}/entities: the value key, base64url-encoded (reversible, path-safe). */
export function policyEntityId(valueKey: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(valueKey)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The value key an entity id stands for, or undefined when it is not one. */
export function valueKeyOfEntityId(id: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(id)) return undefined;
  try {
    const binary = atob(id.replace(/-/g, '+').replace(/_/g, '/'));
    const key = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    return policyEntityId(key) === id ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The values of a value key, in group_by order, or undefined when it is not one of these keys'. */
export function parseValueKey(groupBy: string[], valueKey: string): string[] | undefined {
  const parts = valueKey.split(',');
  if (parts.length !== groupBy.length) return undefined;
  const values: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const prefix = `${groupBy[i]}:`;
    if (!parts[i].startsWith(prefix)) return undefined;
    const raw = parts[i].slice(prefix.length);
    if (/%(?!25|2C)/i.test(raw)) return undefined;
    values.push(raw.replace(/%2C/gi, ',').replace(/%25/g, '%'));
  }
  return policyValueKey(groupBy, values) === valueKey ? values : undefined;
}

/**
 * The window of a limit at `now` (ms since epoch): calendar-aligned in UTC, weeks from Monday, 'total'
 * from the epoch to year 2200. The gateway counts in these windows and the control plane reports
 * usage over the same ones.
 */
export function limitWindow(window: LimitRule['window'], now: number, every?: Pick<LimitRule, 'days' | 'anchor'>): { start: number; end: number } {
  const DAY = 86_400_000;
  switch (window) {
    case 'days': {
      // Periods of N days on the grid through the anchor, before and after it alike.
      const len = Math.min(365, Math.max(1, Math.floor(every?.days ?? 1))) * DAY;
      const anchor = Number.isFinite(every?.anchor) ? every!.anchor! : 0;
      const start = anchor + Math.floor((now - anchor) / len) * len;
      return { start, end: start + len };
    }
    case 'second':
    case 'minute':
    case 'hour':
    case 'day': {
      const len = window === 'second' ? 1000 : window === 'minute' ? 60_000 : window === 'hour' ? 3_600_000 : DAY;
      const start = Math.floor(now / len) * len;
      return { start, end: start + len };
    }
    case 'week': {
      // 1970-01-01 was a Thursday: weeks start on Mondays, 4 days later.
      const start = Math.floor((now - 4 * DAY) / (7 * DAY)) * 7 * DAY + 4 * DAY;
      return { start, end: start + 7 * DAY };
    }
    case 'month': {
      const d = new Date(now);
      return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
    }
    case 'total':
      return { start: 0, end: TOTAL_WINDOW_END };
  }
}

/** The window of a rule at `now`: limitWindow with the rule's own period for 'days'. */
export function limitRuleWindow(rule: Pick<LimitRule, 'window' | 'days' | 'anchor'>, now: number): { start: number; end: number } {
  return limitWindow(rule.window, now, rule);
}

/** Where a 'total' window "ends": year 2200, so its counters never expire in practice. */
export const TOTAL_WINDOW_END = Date.UTC(2200, 0, 1);

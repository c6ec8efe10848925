import type { LimitPolicy, LimitRule, PolicyCondition, WorkspaceLimits } from '@portico/contract';
import { limitRules, type RateLimitInput, type UsageLimitInput } from '../auth/scopes.js';
import { parse, type ResourceRow } from '../store/resources.js';
import type { WorkspaceRow } from '../store/workspaces.js';

/**
 * Usage-limit and rate-limit policies as stored (a `resources` row of kind usage-policy / rate-policy,
 * its fields as JSON) and as gateways receive them (LimitPolicy), and workspaces' limits as gateways
 * receive them (WorkspaceLimits).
 */
export interface StoredPolicy {
  conditions: PolicyCondition[];
  group_by: Array<{ key: string }>;
  type: 'cost' | 'tokens' | 'requests';
  /** Usage policies. */
  credit_limit?: number;
  alert_threshold?: number | null;
  periodic_reset?: 'monthly' | 'weekly' | null;
  /** Usage policies: a reset every N days from `since` (exclusive with periodic_reset). */
  periodic_reset_days?: number | null;
  /** Usage policies: when counting began (creation, or the last change of periodic_reset or periodic_reset_days). */
  since?: string;
  /** Usage policies: value key → ISO time of its last reset. */
  resets?: Record<string, string>;
  last_reset_at?: string | null;
  /** Rate policies. */
  unit?: 'rpm' | 'rph' | 'rpd';
  value?: number;
}

const UNIT_WINDOW: Record<string, LimitRule['window']> = { rpm: 'minute', rph: 'hour', rpd: 'day' };

export const usageWindow = (reset: StoredPolicy['periodic_reset'], days?: number | null): LimitRule['window'] =>
  (days != null ? 'days' : reset === 'monthly' ? 'month' : reset === 'weekly' ? 'week' : 'total');

/** The limit a policy enforces, per entity. */
export function policyRule(kind: ResourceRow['kind'], d: StoredPolicy): LimitRule {
  if (kind === 'usage-policy') {
    const rule: LimitRule = { kind: d.type === 'tokens' ? 'tokens' : 'cost', limit: d.credit_limit ?? 0, window: usageWindow(d.periodic_reset, d.periodic_reset_days) };
    const since = d.since ? Date.parse(d.since) : NaN;
    if (Number.isFinite(since)) rule.since = since;
    // Every N days from the policy's start (its creation, or when its reset period last changed).
    if (rule.window === 'days') Object.assign(rule, { days: d.periodic_reset_days, anchor: Number.isFinite(since) ? since : 0 });
    return rule;
  }
  return { kind: d.type === 'tokens' ? 'tokens' : 'requests', limit: d.value ?? 0, window: UNIT_WINDOW[d.unit ?? 'rpm'] };
}

export function policyEntity(row: ResourceRow): LimitPolicy {
  const d = parse<StoredPolicy>(row.data);
  const p: LimitPolicy = {
    id: row.id, type: row.kind === 'usage-policy' ? 'usage' : 'rate', workspace: row.workspace_id ?? '',
    conditions: d.conditions, group_by: d.group_by.map((g) => g.key), rule: policyRule(row.kind, d),
  };
  if (row.name) p.name = row.name;
  if (d.resets && Object.keys(d.resets).length) p.resets = d.resets;
  return p;
}

/** A workspace's rate_limits and usage_limits as rules; a stored row the engine cannot enforce yields none rather than breaking sync. */
export function workspaceEntity(row: Pick<WorkspaceRow, 'id' | 'is_default' | 'rate_limits' | 'usage_limits'>): WorkspaceLimits {
  const limits: LimitRule[] = [];
  try {
    limits.push(...limitRules(JSON.parse(row.rate_limits) as RateLimitInput[], null));
    for (const u of JSON.parse(row.usage_limits) as UsageLimitInput[]) limits.push(...limitRules([], u));
  } catch {
    limits.length = 0;
  }
  const w: WorkspaceLimits = { id: row.id, limits };
  if (row.is_default) w.is_default = true;
  return w;
}

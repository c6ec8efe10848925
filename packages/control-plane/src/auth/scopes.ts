import { limitRuleWindow, type LimitRule } from '@portico/contract';
import { invalid } from '../http/errors.js';

/**
 * Portkey's API-key scopes, and what each lets a key do on the gateway. This table is the one place
 * the mapping lives; docs/control-plane.md prints it. A key with no scopes in the list below that map
 * to a gateway scope cannot call the gateway at all.
 */
export const GATEWAY_SCOPE_OF: Record<string, string> = {
  'completions.write': 'completions', // chat, completions, embeddings, responses, messages, prompt completions, files, batches
  'prompts.render': 'completions',
  'logs.view': 'logs',
  'logs.list': 'logs',
  'logs.export': 'logs',
};

const RESOURCES = [
  'configs', 'virtual_keys', 'integrations', 'providers', 'prompts', 'prompt_partials', 'collections', 'labels', 'guardrails',
  'workspaces', 'workspace_users', 'organisation_users', 'organisation_service_api_keys', 'workspace_service_api_keys',
  'workspace_user_api_keys', 'audit_logs', 'invites', 'secret_references', 'mcp_integrations', 'mcp_servers', 'policies',
  // SCIM: provisioning tokens and group-to-workspace mappings.
  'organisation_auth',
];
const ACTIONS = ['create', 'read', 'list', 'update', 'delete'];

/** Every scope a key may be given. */
export const KNOWN_SCOPES: string[] = [
  ...RESOURCES.flatMap((r) => ACTIONS.map((a) => `${r}.${a}`)),
  'completions.write', 'prompts.render', 'logs.view', 'logs.list', 'logs.export', 'analytics.view', 'feedback.create', 'feedback.update',
];

export function checkScopes(scopes: string[], param = 'scopes'): string[] {
  const unknown = scopes.filter((s) => !KNOWN_SCOPES.includes(s));
  if (unknown.length) throw invalid(`Unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => `"${s}"`).join(', ')}; scopes look like "completions.write", "configs.read" or "logs.view"`, param, 'unknown_scope');
  return [...new Set(scopes)];
}

export function gatewayScopes(scopes: string[]): string[] {
  return [...new Set(scopes.map((s) => GATEWAY_SCOPE_OF[s]).filter((s): s is string => Boolean(s)))];
}

/** Portkey rate-limit units onto the gateway's windows. */
const UNIT_WINDOW: Record<string, LimitRule['window']> = { rps: 'second', rpm: 'minute', rph: 'hour', rpd: 'day', rpw: 'week' };

export interface RateLimitInput {
  type: 'requests' | 'tokens';
  unit: string;
  value: number;
}
export interface UsageLimitInput {
  credit_limit?: number | null;
  type?: 'cost' | 'tokens';
  alert_threshold?: number | null;
  periodic_reset?: 'monthly' | 'weekly' | null;
  periodic_reset_days?: number | null;
  next_usage_reset_at?: string | null;
  /** When reset_usage last started the count again (Portico's record; counting in the period starts there). */
  last_reset_at?: string | null;
}

const DAY_MS = 86_400_000;

/**
 * Rate limits (rpm/rph/rpd) and a usage limit become the gateway's LimitRules, enforced by its limits
 * engine. A usage limit resets per calendar month or week (UTC, weeks from Monday), every N days
 * (periodic_reset_days, on the grid through next_usage_reset_at: see stampUsageLimits), or never (a
 * total budget). Rates are per second, minute, hour, day or week (rps ... rpw); a unit the gateway
 * cannot enforce is refused rather than silently enforced differently.
 */
export function limitRules(rate: RateLimitInput[] | null | undefined, usage: UsageLimitInput | null | undefined, where = ''): LimitRule[] {
  const rules: LimitRule[] = [];
  (rate ?? []).forEach((r, i) => {
    const window = UNIT_WINDOW[r.unit];
    if (!window) throw invalid(`${where}rate_limits[${i}].unit "${r.unit}" is not enforced by Portico's gateway; use rps, rpm, rph, rpd or rpw`, `rate_limits[${i}].unit`, 'unsupported_limit');
    rules.push({ kind: r.type, limit: r.value, window });
  });
  const rule = usage ? usageRule(usage, where) : undefined;
  if (rule) rules.push(rule);
  return rules;
}

/** The rule of a usage limit; undefined without a credit_limit. */
export function usageRule(usage: UsageLimitInput, where = ''): LimitRule | undefined {
  const rule = periodRule(usage, where);
  const reset = usage.last_reset_at ? Date.parse(usage.last_reset_at) : NaN;
  // After reset_usage the count starts again there: the gateways' counter for the period starts anew.
  if (rule && Number.isFinite(reset)) rule.since = reset;
  return rule;
}

function periodRule(usage: UsageLimitInput, where: string): LimitRule | undefined {
  if (usage.credit_limit == null) return undefined;
  const kind = usage.type === 'tokens' ? 'tokens' : 'cost';
  if (usage.periodic_reset != null && usage.periodic_reset_days != null) {
    throw invalid(`${where}usage_limits: periodic_reset and periodic_reset_days are mutually exclusive; send one of them (or neither, for a budget that never resets)`, 'usage_limits.periodic_reset_days', 'invalid_value');
  }
  if (usage.periodic_reset_days != null) {
    const anchor = usage.next_usage_reset_at ? Date.parse(usage.next_usage_reset_at) : NaN;
    return { kind, limit: usage.credit_limit, window: 'days', days: usage.periodic_reset_days, anchor: Number.isFinite(anchor) ? anchor : 0 };
  }
  if (usage.periodic_reset === 'monthly' || usage.periodic_reset === 'weekly') return { kind, limit: usage.credit_limit, window: usage.periodic_reset === 'weekly' ? 'week' : 'month' };
  return { kind, limit: usage.credit_limit, window: 'total' };
}

/**
 * A usage limit as stored: with periodic_reset_days and no next_usage_reset_at, the first reset is N
 * days from now (Portkey computes it when it is not given). That time anchors the periods for good:
 * every later reset is a whole number of N days from it.
 */
export function stampUsageLimits<T extends UsageLimitInput>(usage: T, now = Date.now()): T {
  if (usage.periodic_reset_days == null || usage.next_usage_reset_at) return usage;
  return { ...usage, next_usage_reset_at: new Date(now + usage.periodic_reset_days * DAY_MS).toISOString() };
}

/**
 * reset_usage: the limit counts again from now, on every gateway. The reset is kept across later edits
 * of the usage limit that do not mention it, so re-sending the limit does not bring spent usage back.
 */
export function withUsageReset<T extends UsageLimitInput>(next: T | null | undefined, stored: UsageLimitInput | null | undefined, reset: boolean, now = Date.now()): T | null | undefined {
  if (!next) return next;
  const last = reset ? new Date(now).toISOString() : next.last_reset_at ?? stored?.last_reset_at ?? null;
  return last ? { ...next, last_reset_at: last } : next;
}

/** A usage limit as presented: next_usage_reset_at is the next reset from now, for any periodic reset. */
export function presentUsageLimits<T extends UsageLimitInput>(usage: T, now = Date.now()): T {
  let rule: LimitRule | undefined;
  try {
    rule = usageRule(usage);
  } catch {
    return usage;
  }
  if (!rule || rule.window === 'total') return usage;
  return { ...usage, next_usage_reset_at: new Date(limitRuleWindow(rule, now).end).toISOString() };
}

import type { LimitRule } from '@portico/contract';
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
const UNIT_WINDOW: Record<string, LimitRule['window']> = { rpm: 'minute', rph: 'hour', rpd: 'day' };

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
}

/**
 * Rate limits (rpm/rph/rpd) and a monthly or weekly usage limit become the gateway's LimitRules,
 * enforced by its limits engine. What these limits cannot express (per second, per week rates, budgets
 * without a periodic reset or every N days) is refused rather than silently enforced differently.
 */
export function limitRules(rate: RateLimitInput[] | null | undefined, usage: UsageLimitInput | null | undefined, where = ''): LimitRule[] {
  const rules: LimitRule[] = [];
  (rate ?? []).forEach((r, i) => {
    const window = UNIT_WINDOW[r.unit];
    if (!window) throw invalid(`${where}rate_limits[${i}].unit "${r.unit}" is not enforced by Portico's gateway; use rpm, rph or rpd`, `rate_limits[${i}].unit`, 'unsupported_limit');
    rules.push({ kind: r.type, limit: r.value, window });
  });
  if (usage && usage.credit_limit != null) {
    if ((usage.periodic_reset !== 'monthly' && usage.periodic_reset !== 'weekly') || usage.periodic_reset_days != null) {
      throw invalid(`${where}usage_limits.periodic_reset: Portico enforces these usage limits per calendar month or week (UTC, from Monday); send "periodic_reset": "monthly" or "weekly"`, 'usage_limits.periodic_reset', 'unsupported_limit');
    }
    rules.push({ kind: usage.type === 'tokens' ? 'tokens' : 'cost', limit: usage.credit_limit, window: usage.periodic_reset === 'weekly' ? 'week' : 'month' });
  }
  return rules;
}

import { z } from 'zod';
import { isPolicyKey } from '@portico/contract';
import type { Sql } from '../db/types.js';
import { invalid } from '../http/errors.js';
import type { Ctx } from '../http/router.js';
import { findWorkspace } from '../store/workspaces.js';

/**
 * Request bodies of /v1/policies/usage-limits and /v1/policies/rate-limits, as Portkey's OpenAPI
 * document defines them (unknown fields refused by name), and the checks zod cannot make alone: keys
 * the gateway can read, values that exist in this workspace, and no reach into another workspace.
 */
const policyKey = () =>
  z.string().max(140).refine(isPolicyKey, 'must be "api_key", "workspace_id", "organisation_id" or "metadata.<name>" (a name without quotes or backslashes, at most 128 characters)');

export const condition = z.strictObject({ key: policyKey(), value: z.string().min(1, 'must not be empty; use "*" to match any value').max(1024) });
const conditions = z.array(condition).min(1, 'needs at least one condition').max(20, 'at most 20 conditions');
const groupBy = z.array(z.strictObject({ key: policyKey() })).min(1, 'needs at least one key').max(5, 'at most 5 keys')
  .refine((g) => new Set(g.map((x) => x.key)).size === g.length, 'names a key twice');
const policyName = () => z.string().trim().max(255, 'must be at most 255 characters');
const amount = () => z.number().finite().min(0);
/** Portkey's periodic_reset_days: a reset every N days (1-365), counted from the policy's start; exclusive with periodic_reset. */
const resetDays = () => z.number().int().min(1).max(365).nullable().optional();
const owner = { workspace_id: z.string().max(200).optional(), organisation_id: z.string().max(200).optional() };

export const usageCreate = z.strictObject({
  name: policyName().optional(), conditions, group_by: groupBy, type: z.enum(['cost', 'tokens']), credit_limit: amount(),
  alert_threshold: amount().nullable().optional(), periodic_reset: z.enum(['monthly', 'weekly']).nullable().optional(), periodic_reset_days: resetDays(), ...owner,
});
export const usageUpdate = z.strictObject({
  name: policyName().optional(), credit_limit: amount().optional(), alert_threshold: amount().nullable().optional(),
  periodic_reset: z.enum(['monthly', 'weekly']).nullable().optional(), periodic_reset_days: resetDays(), reset_usage_for_value: z.string().min(1).max(4096).optional(),
  // Portkey's backend (v1.16+) takes new conditions on PUT too.
  conditions: conditions.optional(),
});
export const rateCreate = z.strictObject({
  name: policyName().optional(), conditions, group_by: groupBy, type: z.enum(['requests', 'tokens']), unit: z.enum(['rpm', 'rph', 'rpd']), value: amount(), ...owner,
});
export const rateUpdate = z.strictObject({ name: policyName().optional(), unit: z.enum(['rpm', 'rph', 'rpd']).optional(), value: amount().optional(), conditions: conditions.optional() });

export function checkResetExclusive(b: { periodic_reset?: string | null; periodic_reset_days?: number | null }): void {
  if (b.periodic_reset != null && b.periodic_reset_days != null) {
    throw invalid('periodic_reset and periodic_reset_days are mutually exclusive; send one of them (or neither, for a limit that never resets)', 'periodic_reset_days');
  }
}

export function checkAlertThreshold(alert: number | null | undefined, credit: number): void {
  if (alert != null && alert >= credit) throw invalid(`alert_threshold (${alert}) must be less than credit_limit (${credit})`, 'alert_threshold');
}

export function checkOrganisation(ctx: Ctx, organisationId: string | undefined): void {
  if (organisationId !== undefined && organisationId !== ctx.principal.organisationId) {
    throw invalid('organisation_id is not this key\'s organisation; leave it out, the key says which organisation', 'organisation_id');
  }
}

/**
 * Conditions as stored: a workspace named by slug becomes its id (what gateways see on a request),
 * a workspace other than the policy's own is refused (a policy limits only its workspace's requests),
 * and an api_key must be a key that can act in the workspace.
 */
export async function normaliseConditions(tx: Sql, ctx: Ctx, list: z.infer<typeof condition>[], workspaceId: string): Promise<z.infer<typeof condition>[]> {
  const out: z.infer<typeof condition>[] = [];
  for (const [i, c] of list.entries()) {
    if (c.value === '*' || c.key.startsWith('metadata.')) {
      out.push(c);
      continue;
    }
    if (c.key === 'workspace_id') {
      const ws = await findWorkspace(tx, ctx.principal.organisationId, c.value);
      if (!ws || ws.id !== workspaceId) {
        throw invalid(`conditions[${i}].value: a policy applies only to requests of its own workspace (${workspaceId}); create the policy in workspace "${c.value}" instead (workspace_id in the body)`, `conditions[${i}].value`);
      }
      out.push({ key: c.key, value: ws.id });
    } else if (c.key === 'organisation_id') {
      if (c.value !== ctx.principal.organisationId) throw invalid(`conditions[${i}].value: "${c.value}" is not this organisation's id`, `conditions[${i}].value`);
      out.push(c);
    } else {
      const key = await tx.get<{ workspace_id: string | null }>(`SELECT workspace_id FROM api_keys WHERE organisation_id = ? AND id = ?`, [ctx.principal.organisationId, c.value]);
      if (!key || (key.workspace_id && key.workspace_id !== workspaceId)) {
        throw invalid(`conditions[${i}].value: no API key with id "${c.value}" acts in this workspace; use an API key's id (GET /v1/api-keys) or "*"`, `conditions[${i}].value`);
      }
      out.push(c);
    }
  }
  return out;
}

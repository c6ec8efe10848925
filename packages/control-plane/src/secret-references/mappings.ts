import { z } from 'zod';
import type { Sql } from '../db/types.js';
import { invalid } from '../http/errors.js';
import type { Ctx } from '../http/router.js';
import { mustFind, parse, type ResourceRow } from '../store/resources.js';
import { extractValue, type ReferenceData, type SecretValues } from './resolver.js';

/**
 * secret_mappings on integrations, virtual keys and MCP integrations: which field of the entity is
 * filled from which secret reference. Saved mappings name the reference by id; the value is read
 * when the mapping is saved (a reference that cannot be resolved is refused then) and, from the
 * cache, whenever the credential is built for gateways.
 */
export const secretMappingItem = z.strictObject({
  target_field: z.string().min(1).max(200),
  secret_reference_id: z.string().min(1).max(255),
  secret_key: z.string().max(255).nullable().optional(),
  value_format: z.enum(['json', 'string']).nullable().optional(),
});
export const secretMappings = z.array(secretMappingItem).max(20, 'at most 20 secret mappings');
export type SecretMapping = z.infer<typeof secretMappingItem>;

export type MappedEntity = 'integration' | 'virtual-key' | 'mcp-integration';

const TARGETS: Record<MappedEntity, RegExp> = {
  integration: /^(key|configurations\.[A-Za-z0-9_]{1,100})$/,
  'virtual-key': /^(key|model_config\.[A-Za-z0-9_]{1,100})$/,
  'mcp-integration': /^configurations\.[A-Za-z0-9_]{1,100}$/,
};
const TARGET_HELP: Record<MappedEntity, string> = {
  integration: '"key" or "configurations.<field>"',
  'virtual-key': '"key" or "model_config.<field>"',
  'mcp-integration': '"configurations.<field>"',
};

export function accessibleFrom(ref: ResourceRow, workspaceId: string | null): boolean {
  const d = parse<ReferenceData>(ref.data);
  return d.allow_all_workspaces || workspaceId === null || d.allowed_workspaces.includes(workspaceId);
}

/**
 * Validates mappings for an entity in `workspaceId` (null: organisation-wide), resolves each value
 * once (refusing with the reference named when it cannot be read) and returns them with the
 * references' ids.
 */
export async function checkMappings(ctx: Ctx, entity: MappedEntity, mappings: SecretMapping[], workspaceId: string | null): Promise<SecretMapping[]> {
  const seen = new Set<string>();
  const out: SecretMapping[] = [];
  for (const [i, m] of mappings.entries()) {
    const param = `secret_mappings.${i}.target_field`;
    if (!TARGETS[entity].test(m.target_field)) throw invalid(`${param} "${m.target_field.slice(0, 100)}" is not a field a secret can fill here; use ${TARGET_HELP[entity]}`, param, 'invalid_field');
    if (seen.has(m.target_field)) throw invalid(`${param} "${m.target_field}" is mapped twice; each target_field may appear once`, param, 'invalid_field');
    seen.add(m.target_field);
    const ref = await mustFind(ctx.services.db, ctx.principal.organisationId, 'secret-reference', m.secret_reference_id, null, `secret_mappings.${i}.secret_reference_id`);
    if (!accessibleFrom(ref, workspaceId)) throw invalid(`Secret reference "${ref.slug}" is not shared with this workspace; add it to the reference's allowed_workspaces`, `secret_mappings.${i}.secret_reference_id`, 'invalid_field');
    const raw = await ctx.services.secretValues.resolve(ref);
    extractValue(ref, raw, m.secret_key ?? parse<ReferenceData>(ref.data).secret_key, m.value_format);
    out.push({ target_field: m.target_field, secret_reference_id: ref.id, ...(m.secret_key != null ? { secret_key: m.secret_key } : {}), ...(m.value_format != null ? { value_format: m.value_format } : {}) });
  }
  return out;
}

/**
 * The mapped values by target field, from the cache (no network), or undefined when any reference
 * is gone, no longer shared with the workspace, or has no usable value: the credential is then not
 * served until the refresher has one.
 */
export async function mappedValues(tx: Sql, values: SecretValues | undefined, organisation: string, workspaceId: string | null, mappings: SecretMapping[]): Promise<Map<string, unknown> | undefined> {
  if (!values) return undefined;
  const out = new Map<string, unknown>();
  for (const m of mappings) {
    const ref = await tx.get<ResourceRow>(`SELECT * FROM resources WHERE organisation_id = ? AND kind = 'secret-reference' AND id = ?`, [organisation, m.secret_reference_id]);
    if (!ref || !accessibleFrom(ref, workspaceId)) return undefined;
    const raw = values.peek(ref);
    if (raw === undefined) return undefined;
    try {
      out.set(m.target_field, extractValue(ref, raw, m.secret_key ?? parse<ReferenceData>(ref.data).secret_key, m.value_format));
    } catch {
      return undefined;
    }
  }
  return out;
}

/** Applies mapped values: "key" to the key, "<prefix>.<field>" into fields. */
export function applyMapped(mapped: Map<string, unknown>, prefix: string, key: string | undefined, fields: Record<string, unknown>): { key: string | undefined; fields: Record<string, unknown> } {
  const next = { ...fields };
  let k = key;
  for (const [target, value] of mapped) {
    if (target === 'key') k = typeof value === 'string' ? value : JSON.stringify(value);
    else if (target.startsWith(`${prefix}.`)) next[target.slice(prefix.length + 1)] = value;
  }
  return { key: k, fields: next };
}

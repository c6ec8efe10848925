import { z } from 'zod';
import { limitRules, presentUsageLimits, withUsageReset, type RateLimitInput, type UsageLimitInput } from '../auth/scopes.js';
import type { Sql } from '../db/types.js';
import { forbidden, invalid } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { isoDate, name, paging, parseBody, slug } from '../http/validate.js';
import { insertResource, listResources, mustFind, parse, slugFrom, updateResource, type ResourceRow } from '../store/resources.js';
import { write, type Writer } from '../store/write.js';
import { usageLimits } from './api-keys.js';
import { checkMappings, secretMappings, type MappedEntity, type SecretMapping } from '../secret-references/mappings.js';

/**
 * Provider credentials: integrations (an organisation's credential for one AI provider), providers
 * (an integration made available in a workspace under a slug) and the older virtual keys. Secrets
 * are stored only envelope-encrypted and never returned: responses carry a masked hint at most.
 */
const SECRET_FIELDS = ['aws_secret_access_key', 'aws_access_key_id', 'azure_entra_client_secret', 'vertex_service_account_json', 'aws_session_token'];
const rateLimitItem = z.strictObject({ type: z.enum(['requests', 'tokens']), unit: z.enum(['rpd', 'rph', 'rpm', 'rps', 'rpw']), value: z.number().int().min(0) });
const rateLimits = z.union([rateLimitItem, z.array(rateLimitItem).max(10)]).nullable();
const configurations = z.record(z.string().max(100), z.unknown()).refine((c) => Object.keys(c).length <= 50, 'at most 50 configuration fields');
const secretMappingsField = secretMappings.optional();

const integrationCreate = z.strictObject({
  name: name(), slug: slug().optional(), ai_provider_id: z.string().min(1).max(100), key: z.string().max(20_000).optional(),
  description: z.string().max(1000).optional(), workspace_id: z.string().optional(), configurations: configurations.optional(),
  create_default_provider: z.boolean().optional(), default_provider_slug: slug().optional(), secret_mappings: secretMappingsField,
  pricing_adjustments: z.record(z.string(), z.unknown()).optional(),
});
const integrationUpdate = z.strictObject({
  name: name().optional(), key: z.string().max(20_000).optional(), description: z.string().max(1000).optional(), configurations: configurations.optional(),
  secret_mappings: secretMappingsField, pricing_adjustments: z.record(z.string(), z.unknown()).optional(), slug: z.string().optional(),
});
const providerCreate = z.strictObject({
  name: name(), integration_id: z.string().min(1), workspace_id: z.string().optional(), slug: slug().optional(), note: z.string().max(1000).optional(),
  usage_limits: usageLimits.nullable().optional(), rate_limits: rateLimits.optional(), expires_at: isoDate().nullable().optional(),
});
const providerUpdate = z.strictObject({
  name: name().optional(), note: z.string().max(1000).optional(), usage_limits: usageLimits.nullable().optional(), rate_limits: rateLimits.optional(),
  expires_at: isoDate().nullable().optional(), reset_usage: z.boolean().optional(), slug: z.string().optional(), workspace_id: z.string().optional(),
});
const deploymentConfig = z.array(z.strictObject({ apiVersion: z.string(), alias: z.string().optional(), is_default: z.boolean().optional(), deploymentName: z.string() })).max(50);
const virtualKeyCreate = z.strictObject({
  name: name(), provider: z.string().min(1).max(100), key: z.string().max(20_000).optional(), note: z.string().max(1000).optional(),
  apiVersion: z.string().max(100).optional(), resourceName: z.string().max(200).optional(), deploymentName: z.string().max(200).optional(),
  workspace_id: z.string().optional(), deploymentConfig: deploymentConfig.optional(), usage_limits: usageLimits.nullable().optional(),
  rate_limits: rateLimits.optional(), expires_at: isoDate().nullable().optional(), secret_mappings: secretMappingsField,
});
const virtualKeyUpdate = z.strictObject({
  name: name().optional(), key: z.string().max(20_000).optional(), note: z.string().max(1000).optional(), deploymentConfig: deploymentConfig.optional(),
  usage_limits: usageLimits.nullable().optional(), rate_limits: rateLimits.optional(), expires_at: isoDate().nullable().optional(), secret_mappings: secretMappingsField,
});

const asArray = (r: z.infer<typeof rateLimits> | undefined): RateLimitInput[] => (r == null ? [] : Array.isArray(r) ? r : [r]);
const mask = (key: string | undefined) => (key ? (key.length > 8 ? `${key.slice(0, 2)}${'*'.repeat(8)}${key.slice(-4)}` : '********') : '');

/** Secret parts of an integration's configurations go into the encrypted blob, the rest stays readable. */
function splitConfigurations(c: Record<string, unknown> | undefined): { open: Record<string, unknown>; secret: Record<string, unknown> } {
  const open: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c ?? {})) (SECRET_FIELDS.includes(k) ? secret : open)[k] = v;
  return { open, secret };
}

/** Checks secret_mappings (resolving each once, outside any transaction); a key sent as well as mapped is refused. */
async function mappingsFor(ctx: Ctx, entity: MappedEntity, mappings: SecretMapping[] | undefined, key: string | undefined, workspaceId: string | null, stored?: ResourceRow): Promise<SecretMapping[] | undefined> {
  const effective = mappings ?? (stored ? parse<{ secret_mappings?: SecretMapping[] }>(stored.data).secret_mappings : undefined) ?? [];
  // A sent key that a mapping would overwrite is refused, not silently ignored.
  if (key !== undefined && effective.some((m) => m.target_field === 'key')) throw invalid('key is sent but "key" is mapped from a secret reference (secret_mappings target_field "key"); send one of them (an empty secret_mappings removes the mapping)', 'key');
  if (mappings === undefined) return undefined;
  return checkMappings(ctx, entity, mappings, workspaceId);
}

/** A provider row's sync change; integrations change every provider made from them. */
async function providersOf(tx: Sql, integrationId: string): Promise<ResourceRow[]> {
  return tx.all<ResourceRow>(`SELECT * FROM resources WHERE kind = 'provider' AND parent_id = ?`, [integrationId]);
}

function presentIntegration(row: ResourceRow, detail: boolean) {
  const d = parse<{ ai_provider_id: string; description?: string; configurations?: Record<string, unknown>; masked_key?: string; secret_mappings?: SecretMapping[] }>(row.data);
  const out: Record<string, unknown> = {
    id: row.id, organisation_id: row.organisation_id, ai_provider_id: d.ai_provider_id, name: row.name, status: row.status === 'active' ? 'active' : 'archived',
    created_at: row.created_at, last_updated_at: row.last_updated_at, slug: row.slug, description: d.description ?? '', object: 'integration',
  };
  if (row.workspace_id) out.workspace_id = row.workspace_id;
  if (detail) {
    out.masked_key = d.masked_key ?? '';
    // Omitted when empty: {} matches several of the document's oneOf variants at once.
    if (d.configurations && Object.keys(d.configurations).length) out.configurations = d.configurations;
    if (d.secret_mappings?.length) out.secret_mappings = d.secret_mappings;
  }
  return out;
}

async function createIntegration(ctx: Ctx) {
  const body = parseBody(integrationCreate, ctx.body);
  const workspaceId = body.workspace_id ? ctx.ws.id : null;
  if (!workspaceId && (ctx.principal.orgRole !== 'org_admin' || ctx.principal.boundWorkspaceId)) throw forbidden('An organisation-wide integration needs an organisation admin; send workspace_id to make one for your workspace', 'insufficient_role');
  const { open, secret } = splitConfigurations(body.configurations);
  const mappings = await mappingsFor(ctx, 'integration', body.secret_mappings, body.key, workspaceId);
  return write(ctx, 'integration', async (tx, w) => {
    const row = await insertResource(tx, {
      organisationId: ctx.principal.organisationId, workspaceId, kind: 'integration', slug: body.slug ?? slugFrom(body.name), name: body.name,
      data: { ai_provider_id: body.ai_provider_id, description: body.description, configurations: open, masked_key: mask(body.key), pricing_adjustments: body.pricing_adjustments, ...(mappings?.length ? { secret_mappings: mappings } : {}) },
      secret: ctx.services.envelope.encrypt(JSON.stringify({ key: body.key, configurations: secret })),
    });
    w.subject(row.id, workspaceId);
    if (body.create_default_provider !== false) {
      const provider = await insertResource(tx, {
        organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind: 'provider', slug: body.default_provider_slug ?? row.slug, name: body.name,
        parentId: row.id, data: { note: '', rate_limits: [], usage_limits: null, expires_at: null },
      });
      w.changed('virtualKey', provider.slug);
    }
    return { id: row.id, slug: row.slug };
  });
}

async function updateIntegration(ctx: Ctx) {
  const body = parseBody(integrationUpdate, ctx.body);
  const before = await mustFind(ctx.services.db, ctx.principal.organisationId, 'integration', ctx.params.slug, ctx.ws.filter, 'slug');
  const mappings = await mappingsFor(ctx, 'integration', body.secret_mappings, body.key, before.workspace_id, before);
  await write(ctx, 'integration', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'integration', ctx.params.slug, ctx.ws.filter, 'slug');
    if (!row.workspace_id && (ctx.principal.orgRole !== 'org_admin' || ctx.principal.boundWorkspaceId)) throw forbidden('Only an organisation admin changes an organisation-wide integration', 'insufficient_role');
    const d = parse<Record<string, unknown>>(row.data);
    const old = JSON.parse(ctx.services.envelope.decrypt(row.secret!)) as { key?: string; configurations?: Record<string, unknown> };
    const { open, secret } = splitConfigurations(body.configurations);
    const nextSecret = { key: body.key ?? old.key, configurations: body.configurations ? secret : old.configurations };
    await updateResource(tx, row.id, {
      name: body.name,
      data: JSON.stringify({ ...d, description: body.description ?? d.description, configurations: body.configurations ? open : d.configurations, masked_key: body.key ? mask(body.key) : d.masked_key, pricing_adjustments: body.pricing_adjustments ?? d.pricing_adjustments, secret_mappings: mappings ?? d.secret_mappings }),
      secret: ctx.services.envelope.encrypt(JSON.stringify(nextSecret)),
    });
    for (const p of await providersOf(tx, row.id)) w.changed('virtualKey', p.slug);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

async function deleteIntegration(ctx: Ctx) {
  await write(ctx, 'integration', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'integration', ctx.params.slug, ctx.ws.filter, 'slug');
    if (!row.workspace_id && (ctx.principal.orgRole !== 'org_admin' || ctx.principal.boundWorkspaceId)) throw forbidden('Only an organisation admin deletes an organisation-wide integration', 'insufficient_role');
    for (const p of await providersOf(tx, row.id)) {
      await tx.run(`DELETE FROM resources WHERE id = ?`, [p.id]);
      w.changed('virtualKey', p.slug);
    }
    await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

function presentProvider(row: ResourceRow, integrationId: string | null) {
  const d = parse<{ note?: string; rate_limits?: RateLimitInput[]; usage_limits?: unknown; expires_at?: string | null }>(row.data);
  const expired = d.expires_at && Date.parse(d.expires_at) <= Date.now();
  const out: Record<string, unknown> = {
    id: row.id, name: row.name, integration_id: integrationId ?? '', note: d.note ?? '', status: expired ? 'expired' : row.status, reset_usage: 0,
    created_at: row.created_at, slug: row.slug, rate_limits: d.rate_limits ?? [], object: 'provider', workspace_id: row.workspace_id,
  };
  if (d.usage_limits) out.usage_limits = presentUsageLimits(d.usage_limits as UsageLimitInput);
  if (d.expires_at) out.expires_at = d.expires_at;
  return out;
}

async function createProvider(ctx: Ctx) {
  const body = parseBody(providerCreate, ctx.body);
  const rate = asArray(body.rate_limits);
  limitRules(rate, body.usage_limits);
  return write(ctx, 'provider', async (tx, w) => {
    const integration = await mustFind(tx, ctx.principal.organisationId, 'integration', body.integration_id, ctx.ws.id, 'integration_id');
    const row = await insertResource(tx, {
      organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind: 'provider', slug: body.slug ?? slugFrom(body.name), name: body.name, parentId: integration.id,
      data: { note: body.note ?? '', rate_limits: rate, usage_limits: body.usage_limits ?? null, expires_at: body.expires_at ?? null },
    });
    w.changed('virtualKey', row.slug);
    w.subject(row.id, row.workspace_id);
    return { id: row.id, slug: row.slug };
  });
}

async function updateProvider(ctx: Ctx) {
  const body = parseBody(providerUpdate, ctx.body);
  return write(ctx, 'provider', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'provider', ctx.params.slug, ctx.ws.filter, 'slug');
    const d = parse<Record<string, unknown>>(row.data);
    const rate = body.rate_limits !== undefined ? asArray(body.rate_limits) : (d.rate_limits as RateLimitInput[]);
    const stored = d.usage_limits as z.infer<typeof usageLimits> | null;
    const usage = withUsageReset(body.usage_limits !== undefined ? body.usage_limits : stored, stored, body.reset_usage === true);
    limitRules(rate, usage);
    await updateResource(tx, row.id, { name: body.name, data: JSON.stringify({ ...d, note: body.note ?? d.note, rate_limits: rate, usage_limits: usage, expires_at: body.expires_at !== undefined ? body.expires_at : d.expires_at }) });
    w.changed('virtualKey', row.slug);
    w.subject(row.id, row.workspace_id);
    return { id: row.id, slug: row.slug };
  });
}

function presentVirtualKey(row: ResourceRow) {
  const d = parse<{ provider: string; note?: string; model_config?: Record<string, unknown>; rate_limits?: RateLimitInput[]; usage_limits?: unknown; expires_at?: string | null }>(row.data);
  const expired = d.expires_at && Date.parse(d.expires_at) <= Date.now();
  const out: Record<string, unknown> = {
    id: row.id, name: row.name, note: d.note ?? '', status: expired ? 'exhausted' : row.status, reset_usage: 0, created_at: row.created_at, slug: row.slug,
    provider: d.provider, model_config: d.model_config ?? {}, rate_limits: d.rate_limits ?? [], object: 'virtual-key', workspace_id: row.workspace_id,
  };
  if (d.usage_limits) out.usage_limits = presentUsageLimits(d.usage_limits as UsageLimitInput);
  if (d.expires_at) out.expires_at = d.expires_at;
  return out;
}

async function createVirtualKey(ctx: Ctx) {
  const body = parseBody(virtualKeyCreate, ctx.body);
  const rate = asArray(body.rate_limits);
  limitRules(rate, body.usage_limits);
  const mappings = await mappingsFor(ctx, 'virtual-key', body.secret_mappings, body.key, ctx.ws.id);
  if (!body.key && !mappings?.some((m) => m.target_field === 'key') && !['bedrock', 'vertex-ai', 'ollama'].includes(body.provider)) throw invalid(`key is required for provider ${body.provider}: the provider's API key (or a secret_mappings entry with target_field "key")`, 'key');
  return write(ctx, 'virtual_key', async (tx, w) => {
    const row = await insertResource(tx, {
      organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind: 'virtual-key', slug: slugFrom(body.name), name: body.name,
      data: {
        provider: body.provider, note: body.note ?? '', rate_limits: rate, usage_limits: body.usage_limits ?? null, expires_at: body.expires_at ?? null,
        model_config: { apiVersion: body.apiVersion, resourceName: body.resourceName, deploymentName: body.deploymentName, deploymentConfig: body.deploymentConfig },
        ...(mappings?.length ? { secret_mappings: mappings } : {}),
      },
      secret: ctx.services.envelope.encrypt(JSON.stringify({ key: body.key })),
    });
    w.changed('virtualKey', row.slug);
    w.subject(row.id, row.workspace_id);
    return { success: true, data: { slug: row.slug } };
  });
}

async function updateVirtualKey(ctx: Ctx) {
  const body = parseBody(virtualKeyUpdate, ctx.body);
  const before = await mustFind(ctx.services.db, ctx.principal.organisationId, 'virtual-key', ctx.params.slug, ctx.ws.filter, 'slug');
  const mappings = await mappingsFor(ctx, 'virtual-key', body.secret_mappings, body.key, before.workspace_id, before);
  return write(ctx, 'virtual_key', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'virtual-key', ctx.params.slug, ctx.ws.filter, 'slug');
    const d = parse<Record<string, unknown>>(row.data);
    const rate = body.rate_limits !== undefined ? asArray(body.rate_limits) : (d.rate_limits as RateLimitInput[]);
    const stored = d.usage_limits as z.infer<typeof usageLimits> | null;
    const usage = withUsageReset(body.usage_limits !== undefined ? body.usage_limits : stored, stored, false);
    limitRules(rate, usage);
    const modelConfig = body.deploymentConfig ? { ...(d.model_config as object), deploymentConfig: body.deploymentConfig } : d.model_config;
    await updateResource(tx, row.id, {
      name: body.name,
      data: JSON.stringify({ ...d, note: body.note ?? d.note, rate_limits: rate, usage_limits: usage, model_config: modelConfig, expires_at: body.expires_at !== undefined ? body.expires_at : d.expires_at, secret_mappings: mappings ?? d.secret_mappings }),
      secret: body.key !== undefined ? ctx.services.envelope.encrypt(JSON.stringify({ key: body.key })) : undefined,
    });
    w.changed('virtualKey', row.slug);
    w.subject(row.id, row.workspace_id);
    return {};
  });
}

function deleteCredential(kind: 'provider' | 'virtual-key', resource: string) {
  return async (ctx: Ctx) => {
    await write(ctx, resource, async (tx, w: Writer) => {
      const row = await mustFind(tx, ctx.principal.organisationId, kind, ctx.params.slug, ctx.ws.filter, 'slug');
      await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
      w.changed('virtualKey', row.slug);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  };
}

const access = (role: 'member' | 'workspace_admin', scope: string): Access => ({ kind: 'admin', level: 'workspace', role, scope });

export const credentialRoutes: Route[] = [
  { method: 'POST', path: '/v1/integrations', access: access('workspace_admin', 'integrations.create'), summary: 'Create an integration (a provider credential, encrypted at rest) and, unless told not to, its default provider', handler: createIntegration },
  { method: 'GET', path: '/v1/integrations', access: access('member', 'integrations.list'), summary: 'List integrations', handler: async (ctx) => {
    const { rows, total } = await listResources(ctx.services.db, ctx.principal.organisationId, 'integration', ctx.ws.filter, paging(ctx.query));
    return { object: 'list', total, data: rows.map((r) => presentIntegration(r, false)) };
  } },
  { method: 'GET', path: '/v1/integrations/:slug', access: access('member', 'integrations.read'), summary: 'Get an integration (the key masked)', handler: async (ctx) =>
    presentIntegration(await mustFind(ctx.services.db, ctx.principal.organisationId, 'integration', ctx.params.slug, ctx.ws.filter, 'slug'), true) },
  { method: 'PUT', path: '/v1/integrations/:slug', access: access('workspace_admin', 'integrations.update'), summary: 'Update an integration; a new key replaces the stored one', handler: updateIntegration },
  { method: 'DELETE', path: '/v1/integrations/:slug', access: access('workspace_admin', 'integrations.delete'), summary: 'Delete an integration and the providers made from it', handler: deleteIntegration },

  { method: 'POST', path: '/v1/providers', access: access('workspace_admin', 'providers.create'), summary: 'Create a provider: an integration usable in a workspace as @slug', handler: createProvider },
  { method: 'GET', path: '/v1/providers', access: access('member', 'providers.list'), summary: 'List providers', handler: async (ctx) => {
    const { rows, total } = await listResources(ctx.services.db, ctx.principal.organisationId, 'provider', ctx.ws.filter, paging(ctx.query));
    const data = [];
    for (const r of rows) data.push(presentProvider(r, r.parent_id));
    return { object: 'list', total, data };
  } },
  { method: 'GET', path: '/v1/providers/:slug', access: access('member', 'providers.read'), summary: 'Get a provider', handler: async (ctx) => {
    const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'provider', ctx.params.slug, ctx.ws.filter, 'slug');
    return presentProvider(row, row.parent_id);
  } },
  { method: 'PUT', path: '/v1/providers/:slug', access: access('workspace_admin', 'providers.update'), summary: 'Update a provider: name, note, limits, expiry', handler: updateProvider },
  { method: 'DELETE', path: '/v1/providers/:slug', access: access('workspace_admin', 'providers.delete'), summary: 'Delete a provider', handler: deleteCredential('provider', 'provider') },

  { method: 'POST', path: '/v1/virtual-keys', access: access('workspace_admin', 'virtual_keys.create'), summary: 'Create a virtual key (its key encrypted at rest, never returned)', handler: createVirtualKey },
  { method: 'GET', path: '/v1/virtual-keys', access: access('member', 'virtual_keys.list'), summary: 'List virtual keys', handler: async (ctx) => {
    const { rows, total } = await listResources(ctx.services.db, ctx.principal.organisationId, 'virtual-key', ctx.ws.filter, paging(ctx.query));
    return { object: 'list', total, data: rows.map(presentVirtualKey) };
  } },
  { method: 'GET', path: '/v1/virtual-keys/:slug', access: access('member', 'virtual_keys.read'), summary: 'Get a virtual key', handler: async (ctx) =>
    presentVirtualKey(await mustFind(ctx.services.db, ctx.principal.organisationId, 'virtual-key', ctx.params.slug, ctx.ws.filter, 'slug')) },
  { method: 'PUT', path: '/v1/virtual-keys/:slug', access: access('workspace_admin', 'virtual_keys.update'), summary: 'Update a virtual key; a new key replaces the stored one', handler: updateVirtualKey },
  { method: 'DELETE', path: '/v1/virtual-keys/:slug', access: access('workspace_admin', 'virtual_keys.delete'), summary: 'Delete a virtual key', handler: deleteCredential('virtual-key', 'virtual_key') },
];


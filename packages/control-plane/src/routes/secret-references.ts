import { catalogued } from '@portico/contract';
import type { Sql } from '../db/types.js';
import { conflict, invalid, notFound } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { paging, parseBody } from '../http/validate.js';
import { accessibleFrom } from '../secret-references/mappings.js';
import type { ReferenceData } from '../secret-references/resolver.js';
import { createSecretReference, parseAuthConfig, splitAuthConfig, updateSecretReference } from '../secret-references/schema.js';
import { insertResource, listResources, mustFind, parse, slugFrom, updateResource, type ResourceRow } from '../store/resources.js';
import { findWorkspace } from '../store/workspaces.js';
import { write } from '../store/write.js';

/**
 * /v1/secret-references: pointers to secrets held in an external manager, which integrations,
 * virtual keys and MCP integrations use (secret_mappings) in place of a secret stored here. The
 * credentials an auth_config holds are sealed like provider secrets and only ever shown masked.
 * Organisation admins manage them; workspace admins see the ones shared with their workspace.
 */
const mask = (v: unknown) => (typeof v === 'string' && v.length > 8 ? `${v.slice(0, 2)}${'*'.repeat(8)}${v.slice(-2)}` : '********');

function present(row: ResourceRow, detail: boolean) {
  const d = parse<ReferenceData>(row.data);
  const base = {
    id: row.id, name: row.name, slug: row.slug, manager_type: d.manager_type, status: 'ACTIVE', created_at: row.created_at, last_updated_at: row.last_updated_at, object: 'secret-reference',
  };
  if (!detail) return base;
  const sealed = parse<{ sealed_fields?: string[]; masks?: Record<string, string> }>(row.data);
  const auth: Record<string, unknown> = { ...d.auth_config };
  for (const f of sealed.sealed_fields ?? []) auth[f] = sealed.masks?.[f] ?? '********';
  return {
    ...base, organisation_id: row.organisation_id, description: d.description ?? null, secret_path: d.secret_path, secret_key: d.secret_key ?? null,
    allow_all_workspaces: d.allow_all_workspaces, tags: d.tags ?? null, created_by: d.created_by ?? '', auth_config: auth,
  };
}

async function workspaceIds(ctx: Ctx, names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, n] of names.entries()) {
    const ws = await findWorkspace(ctx.services.db, ctx.principal.organisationId, n);
    if (!ws) throw invalid(`allowed_workspaces.${i}: workspace "${n}" is not in this organisation`, `allowed_workspaces.${i}`, 'invalid_field');
    if (!ids.includes(ws.id)) ids.push(ws.id);
  }
  return ids;
}

function workspaceAccess(allowAll: boolean | undefined, allowed: string[] | undefined): boolean {
  if (allowAll === true && allowed) throw invalid('allow_all_workspaces cannot be true when allowed_workspaces is given; send one of them', 'allow_all_workspaces', 'invalid_field');
  return allowed ? false : (allowAll ?? true);
}

async function create(ctx: Ctx) {
  const body = parseBody(createSecretReference, ctx.body);
  if (body.organisation_id && body.organisation_id !== ctx.principal.organisationId) throw invalid('organisation_id is not this key\'s organisation; leave it out', 'organisation_id', 'invalid_field');
  const auth = parseAuthConfig(body.manager_type, body.auth_config, ctx.services.secretValues.settings.allowServiceRole);
  const allowAll = workspaceAccess(body.allow_all_workspaces, body.allowed_workspaces);
  const allowed = body.allowed_workspaces ? await workspaceIds(ctx, body.allowed_workspaces) : [];
  const { open, secret } = splitAuthConfig(auth);
  return write(ctx, 'secret_reference', async (tx, w) => {
    const row = await insertResource(tx, {
      organisationId: ctx.principal.organisationId, workspaceId: null, kind: 'secret-reference', slug: body.slug ?? slugFrom(body.name), name: body.name,
      data: {
        manager_type: body.manager_type, auth_config: open, sealed_fields: Object.keys(secret), masks: Object.fromEntries(Object.entries(secret).map(([k, v]) => [k, mask(v)])),
        secret_path: body.secret_path, secret_key: body.secret_key ?? null, allow_all_workspaces: allowAll, allowed_workspaces: allowed, description: body.description ?? null,
        tags: body.tags ?? null, created_by: ctx.principal.actorId,
      },
      secret: ctx.services.envelope.encrypt(JSON.stringify(secret)),
    });
    w.subject(row.id, null);
    return { id: row.id, slug: row.slug, object: 'secret-reference' };
  });
}

/** Credentials mapped to a reference: integrations' providers and virtual keys (gateways must rebuild them). */
async function usersOf(ctx: Ctx, tx: Sql, id: string): Promise<ResourceRow[]> {
  return tx.all<ResourceRow>(`SELECT * FROM resources WHERE organisation_id = ? AND kind IN ('integration', 'virtual-key', 'mcp-integration') AND data LIKE ?`, [ctx.principal.organisationId, `%"secret_reference_id":"${id}"%`]);
}

/** The stored row a reference becomes with an update applied (auth_config merged with the stored one, then checked whole). */
function applyUpdate(ctx: Ctx, row: ResourceRow, body: ReturnType<typeof updateSecretReference.parse>, allowed: string[] | undefined): { data: string; secret: string | null } {
  const d = parse<ReferenceData & { sealed_fields?: string[]; masks?: Record<string, string> }>(row.data);
  let secretText = row.secret;
  let authOpen = d.auth_config;
  let sealedFields = d.sealed_fields ?? [];
  let masks = d.masks ?? {};
  if (body.auth_config) {
    const old = row.secret ? (JSON.parse(ctx.services.envelope.decrypt(row.secret)) as Record<string, unknown>) : {};
    const merged = body.auth_config.aws_auth_type && body.auth_config.aws_auth_type !== d.auth_config.aws_auth_type ? body.auth_config : { ...d.auth_config, ...old, ...body.auth_config };
    const { open, secret } = splitAuthConfig(parseAuthConfig(d.manager_type, merged, ctx.services.secretValues.settings.allowServiceRole));
    authOpen = open;
    sealedFields = Object.keys(secret);
    masks = Object.fromEntries(Object.entries(secret).map(([k, v]) => [k, mask(v)]));
    secretText = ctx.services.envelope.encrypt(JSON.stringify(secret));
  }
  const allowAll = allowed ? false : body.allow_all_workspaces ?? d.allow_all_workspaces;
  const next = {
    ...d, auth_config: authOpen, sealed_fields: sealedFields, masks, secret_path: body.secret_path ?? d.secret_path,
    secret_key: body.secret_key !== undefined ? body.secret_key : d.secret_key, allow_all_workspaces: allowAll,
    allowed_workspaces: allowAll ? [] : allowed ?? d.allowed_workspaces, description: body.description !== undefined ? body.description : d.description,
    tags: body.tags !== undefined ? body.tags : d.tags,
  };
  return { data: JSON.stringify(next), secret: secretText };
}

async function update(ctx: Ctx) {
  const body = parseBody(updateSecretReference, ctx.body);
  if (Object.keys(body).length === 0) throw invalid('Send at least one field to update (name, description, auth_config, secret_path, secret_key, allow_all_workspaces, allowed_workspaces, tags)', null, 'invalid_field');
  const allowed = body.allowed_workspaces ? await workspaceIds(ctx, body.allowed_workspaces) : undefined;
  if (body.allow_all_workspaces === true && allowed) throw invalid('allow_all_workspaces cannot be true when allowed_workspaces is given; send one of them', 'allow_all_workspaces', 'invalid_field');
  const before = await mustFind(ctx.services.db, ctx.principal.organisationId, 'secret-reference', ctx.params.id, null, 'secretReferenceId');
  const next = applyUpdate(ctx, before, body, allowed);
  // A reference credentials use is read with its new settings first: one that cannot be read is refused, and the credentials switch to the new value without a gap.
  const inUse = (await usersOf(ctx, ctx.services.db, before.id)).length > 0;
  const value = inUse ? await ctx.services.secretValues.read({ ...before, ...next }) : undefined;
  await write(ctx, 'secret_reference', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'secret-reference', before.id, null, 'secretReferenceId');
    if (row.last_updated_at !== before.last_updated_at) throw conflict(`Secret reference "${row.slug}" was changed by another request meanwhile; send the update again`, 'secretReferenceId');
    const updated = await updateResource(tx, row.id, { name: body.name, data: next.data, secret: next.secret });
    if (value !== undefined) ctx.services.secretValues.seed(updated, value);
    else ctx.services.secretValues.forget(row.id);
    for (const u of await usersOf(ctx, tx, row.id)) {
      if (u.kind === 'virtual-key') w.changed('virtualKey', u.slug);
      else if (u.kind === 'integration') for (const p of await tx.all<{ slug: string }>(`SELECT slug FROM resources WHERE kind = 'provider' AND parent_id = ?`, [u.id])) w.changed('virtualKey', p.slug);
    }
    w.subject(row.id, null);
  });
  return {};
}

async function remove(ctx: Ctx) {
  await write(ctx, 'secret_reference', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'secret-reference', ctx.params.id, null, 'secretReferenceId');
    const users = await usersOf(ctx, tx, row.id);
    if (users.length) {
      throw catalogued('secret_reference_in_use', `Secret reference "${row.slug}" is in use by ${users.slice(0, 5).map((u) => `${u.kind} "${u.slug}"`).join(', ')}${users.length > 5 ? ` and ${users.length - 5} more` : ''}; remove those secret_mappings first`, { param: 'secretReferenceId' });
    }
    await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
    ctx.services.secretValues.forget(row.id);
    w.subject(row.id, null);
  });
  return {};
}

/** An org admin sees every reference; others (and an org admin naming a workspace) the ones shared with the workspace. */
const visibleTo = (ctx: Ctx) => (ctx.principal.orgRole === 'org_admin' && !ctx.principal.boundWorkspaceId && !ctx.ws.named ? null : ctx.ws.id);

async function list(ctx: Ctx) {
  const manager = ctx.query.get('manager_type');
  if (manager !== null && !['aws_sm', 'azure_kv', 'hashicorp_vault'].includes(manager)) throw invalid('manager_type must be aws_sm, azure_kv or hashicorp_vault', 'manager_type');
  const search = ctx.query.get('search');
  if (search !== null && (search.length < 1 || search.length > 255)) throw invalid('search must be 1 to 255 characters', 'search');
  let tags: Record<string, string> | undefined;
  const tagText = ctx.query.get('tags');
  if (tagText !== null) {
    try {
      tags = JSON.parse(tagText);
    } catch {
      tags = undefined;
    }
    if (!tags || typeof tags !== 'object' || Array.isArray(tags)) throw invalid('tags must be a JSON object of tag names to values, such as {"team":"ml"}', 'tags');
  }
  const size = ctx.query.get('page_size');
  const page = paging(new URLSearchParams({ page_size: size ?? '20', current_page: ctx.query.get('current_page') ?? '0' }));
  if (page.limit > 100) throw invalid('page_size must be an integer from 1 to 100', 'page_size');
  const ws = visibleTo(ctx);
  const all = (await listResources(ctx.services.db, ctx.principal.organisationId, 'secret-reference', null, { limit: 100_000, offset: 0 })).rows.filter((r) => {
    const d = parse<ReferenceData>(r.data);
    if (ws && !accessibleFrom(r, ws)) return false;
    if (manager && d.manager_type !== manager) return false;
    if (search && !r.name.toLowerCase().includes(search.toLowerCase())) return false;
    if (tags && !Object.entries(tags).every(([k, v]) => d.tags?.[k] === v)) return false;
    return true;
  });
  return { object: 'list', total: all.length, data: all.slice(page.offset, page.offset + page.limit).map((r) => present(r, false)) };
}

async function get(ctx: Ctx) {
  const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'secret-reference', ctx.params.id, null, 'secretReferenceId');
  const ws = visibleTo(ctx);
  if (ws && !accessibleFrom(row, ws)) throw notFound('Secret reference', ctx.params.id, 'secretReferenceId');
  return present(row, true);
}

const orgAdmin = (scope: string): Access => ({ kind: 'admin', level: 'org', role: 'org_admin', scope });
const wsAdmin = (scope: string): Access => ({ kind: 'admin', level: 'workspace', role: 'workspace_admin', scope });

export const secretReferenceRoutes: Route[] = [
  { method: 'POST', path: '/v1/secret-references', access: orgAdmin('secret_references.create'), summary: 'Create a secret reference: a pointer to a secret in AWS Secrets Manager, HashiCorp Vault or Azure Key Vault that credentials can map instead of storing it', handler: create },
  { method: 'GET', path: '/v1/secret-references', access: wsAdmin('secret_references.list'), summary: 'List secret references (filters: manager_type, tags, search)', handler: list },
  { method: 'GET', path: '/v1/secret-references/:id', access: wsAdmin('secret_references.read'), summary: 'Get a secret reference (its auth_config secrets masked)', handler: get },
  { method: 'PUT', path: '/v1/secret-references/:id', access: orgAdmin('secret_references.update'), summary: 'Update a secret reference; credentials mapped to it are rebuilt with the new value', handler: update },
  { method: 'DELETE', path: '/v1/secret-references/:id', access: orgAdmin('secret_references.delete'), summary: 'Delete a secret reference no credential maps', handler: remove },
];

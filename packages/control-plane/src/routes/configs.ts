import { z } from 'zod';
import { validateRoutingConfig, type RawTarget } from '@portico/contract';
import type { Sql } from '../db/types.js';
import { invalid } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { name, paging, parseBody, slug } from '../http/validate.js';
import { insertResource, insertVersion, listResources, mustFind, parse, slugFrom, updateResource, type ResourceRow } from '../store/resources.js';
import { write } from '../store/write.js';

/**
 * Saved routing configs, found by id or slug and versioned: every change is a new version, and the
 * latest is what gateways serve. A config is checked with the gateway's own schema (the bad path is
 * named) and every virtual key or @provider slug it names must exist.
 */
const createBody = z.strictObject({ name: name(), config: z.record(z.string(), z.unknown()), isDefault: z.number().int().min(0).max(1).optional(), workspace_id: z.string().optional(), slug: slug().optional() });
const updateBody = z.strictObject({ name: name().optional(), config: z.record(z.string(), z.unknown()).optional(), status: z.enum(['active', 'archived']).optional(), slug: z.string().optional() });

/** Slugs of saved credentials a config refers to, with where. */
function referencedSlugs(node: RawTarget, path: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof node.virtual_key === 'string' && node.virtual_key) out.push([`${path}.virtual_key`, node.virtual_key]);
  if (typeof node.provider === 'string' && node.provider.startsWith('@')) out.push([`${path}.provider`, node.provider.slice(1).split('/')[0]]);
  node.targets?.forEach((t, i) => referencedSlugs(t, `${path}.targets[${i}]`, out));
  return out;
}

export async function checkConfig(tx: Sql, ctx: Ctx, config: unknown, workspaceId: string): Promise<void> {
  const parsed = validateRoutingConfig(config, 'config');
  for (const [path, ref] of referencedSlugs(parsed, 'config', [])) {
    const row = await tx.get<{ workspace_id: string | null }>(`SELECT workspace_id FROM resources WHERE organisation_id = ? AND namespace = 'credential' AND slug = ?`, [ctx.principal.organisationId, ref]);
    if (!row || (row.workspace_id && row.workspace_id !== workspaceId)) throw invalid(`config: ${path}: no virtual key or provider "${ref}" exists in this workspace; create it first or fix the slug`, 'config', 'invalid_config');
  }
}

function summary(row: ResourceRow) {
  const d = parse<{ is_default?: number; owner_id?: string }>(row.data);
  return {
    id: row.id, name: row.name, slug: row.slug, organisation_id: row.organisation_id, workspace_id: row.workspace_id, is_default: d.is_default ?? 0,
    status: row.status, owner_id: d.owner_id ?? '', updated_by: d.owner_id ?? '', created_at: row.created_at, last_updated_at: row.last_updated_at,
  };
}

async function create(ctx: Ctx) {
  const body = parseBody(createBody, ctx.body);
  return write(ctx, 'config', async (tx, w) => {
    await checkConfig(tx, ctx, body.config, ctx.ws.id);
    const row = await insertResource(tx, {
      organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind: 'config', slug: body.slug ?? `pc-${slugFrom(body.name)}`, name: body.name,
      data: { config: body.config, is_default: body.isDefault ?? 0, owner_id: ctx.principal.actorId },
    });
    const versionId = await insertVersion(tx, row.id, 1, body.config);
    w.changed('config', row.id);
    w.subject(row.id, row.workspace_id);
    return { success: true, data: { id: row.id, slug: row.slug, version_id: versionId } };
  });
}

async function update(ctx: Ctx) {
  const body = parseBody(updateBody, ctx.body);
  return write(ctx, 'config', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'config', ctx.params.slug, ctx.ws.filter, 'slug');
    const d = parse<Record<string, unknown>>(row.data);
    const config = body.config ?? d.config;
    if (body.config) await checkConfig(tx, ctx, body.config, row.workspace_id ?? ctx.ws.id);
    const version = row.version + 1;
    await updateResource(tx, row.id, { name: body.name, status: body.status, version, default_version: version, data: JSON.stringify({ ...d, config }) });
    const versionId = await insertVersion(tx, row.id, version, config);
    w.changed('config', row.id);
    w.subject(row.id, row.workspace_id);
    return { success: true, data: { version_id: versionId } };
  });
}

const access = (role: 'member' | 'workspace_admin', scope: string): Access => ({ kind: 'admin', level: 'workspace', role, scope });

export const configRoutes: Route[] = [
  { method: 'POST', path: '/v1/configs', access: access('member', 'configs.create'), summary: 'Create a config, validated with the gateway\'s schema', handler: create },
  { method: 'GET', path: '/v1/configs', access: access('member', 'configs.list'), summary: 'List configs', handler: async (ctx) => {
    const { rows } = await listResources(ctx.services.db, ctx.principal.organisationId, 'config', ctx.ws.filter, paging(ctx.query));
    return { success: true, data: rows.map(summary) };
  } },
  { method: 'GET', path: '/v1/configs/:slug', access: access('member', 'configs.read'), summary: 'Get a config by slug or id', handler: async (ctx) => {
    const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'config', ctx.params.slug, ctx.ws.filter, 'slug');
    return { success: true, data: { ...summary(row), config: parse<{ config: unknown }>(row.data).config, version: row.version } };
  } },
  { method: 'PUT', path: '/v1/configs/:slug', access: access('member', 'configs.update'), summary: 'Update a config: a new version, served at once', handler: update },
  { method: 'DELETE', path: '/v1/configs/:slug', access: access('member', 'configs.delete'), summary: 'Delete a config', handler: async (ctx) => {
    await write(ctx, 'config', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'config', ctx.params.slug, ctx.ws.filter, 'slug');
      await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
      w.changed('config', row.id);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
  { method: 'GET', path: '/v1/configs/:slug/versions', access: access('member', 'configs.read'), summary: 'List a config\'s versions', handler: async (ctx) => {
    const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'config', ctx.params.slug, ctx.ws.filter, 'slug');
    const versions = await ctx.services.db.all<{ id: string; version: number; data: string; created_at: string }>(`SELECT id, version, data, created_at FROM resource_versions WHERE resource_id = ? ORDER BY version DESC`, [row.id]);
    return {
      object: 'list', total: versions.length,
      data: versions.map((v) => ({ ...summary(row), config: v.data, format: 'json', type: 'ORG_CONFIG', version_id: v.id, version: v.version, created_at: v.created_at, object: 'config' })),
    };
  } },
];

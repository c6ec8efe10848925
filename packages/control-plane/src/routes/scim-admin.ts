import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db/types.js';
import { invalid, notFound } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { name, parseBody } from '../http/validate.js';
import { SCIM_BASE } from '../scim/errors.js';
import { precreateGroup, type ScimGroupRow } from '../scim/groups.js';
import { groupMemberIds, groupPattern, lockScim, MAPPING_ROLES, reconcileUsers } from '../scim/reconcile.js';
import { newScimToken } from '../scim/token.js';
import { findWorkspace } from '../store/workspaces.js';
import { write } from '../store/write.js';

/**
 * The Admin API side of SCIM: Portkey's group-to-workspace mappings (/v1/scim/workspaces, as its
 * OpenAPI document gives them to a self-hosted control plane), and the SCIM tokens an identity
 * provider authenticates with (a Portico addition: Portkey issues these in its dashboard).
 */
const org = (scope: string): Access => ({ kind: 'admin', level: 'org', role: 'org_admin', scope });
const role = z.enum(MAPPING_ROLES as [string, ...string[]]);
const mappingCreate = z.strictObject({
  workspace_id: z.string().min(1).max(200),
  role,
  scim_group_id: z.string().min(1).max(100).optional(),
  scim_group_name: z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters').optional(),
});

interface MappingRow {
  id: string;
  workspace_id: string;
  group_id: string;
  display_name: string;
  role: string;
}
const present = (m: MappingRow) => ({ id: m.id, workspace_id: m.workspace_id, scim_group: m.display_name, scim_group_id: m.group_id, role: m.role });
const MAPPING_SELECT = `SELECT m.id, m.workspace_id, m.group_id, g.display_name, m.role FROM scim_workspace_mappings m JOIN scim_groups g ON g.id = m.group_id`;

/** A workspace named by id or slug; Portkey's examples also write a slug with a "ws_" prefix. */
async function workspaceOf(db: Sql, organisation: string, ref: string, param: string): Promise<string> {
  const ws = (await findWorkspace(db, organisation, ref)) ?? (ref.startsWith('ws_') ? await findWorkspace(db, organisation, ref.slice(3)) : undefined);
  if (!ws) throw notFound('Workspace', ref, param);
  return ws.id;
}

async function createMapping(ctx: Ctx) {
  const body = parseBody(mappingCreate, ctx.body);
  if ((body.scim_group_id === undefined) === (body.scim_group_name === undefined)) {
    throw invalid('Give exactly one of scim_group_id (an existing SCIM group) or scim_group_name (a group to create or reuse)', body.scim_group_id ? 'scim_group_name' : 'scim_group_id');
  }
  if (body.scim_group_name !== undefined && groupPattern(body.scim_group_name)) {
    throw invalid(`scim_group_name "${body.scim_group_name}" has the form ws-<workspace>-role-<role>, which is reserved for pattern-based auto-provisioning (such groups map themselves); choose another name`, 'scim_group_name', 'reserved_name');
  }
  const organisation = ctx.principal.organisationId;
  return write(ctx, 'scim_workspace_mapping', async (tx, w) => {
    await lockScim(tx, ctx.services.db.dialect, organisation);
    const workspaceId = await workspaceOf(tx, organisation, body.workspace_id, 'workspace_id');
    let group: ScimGroupRow | undefined;
    if (body.scim_group_id !== undefined) {
      group = await tx.get<ScimGroupRow>(`SELECT * FROM scim_groups WHERE organisation_id = ? AND id = ?`, [organisation, body.scim_group_id]);
      if (!group) throw notFound('SCIM group', body.scim_group_id, 'scim_group_id');
      if (groupPattern(group.display_name)) throw invalid(`SCIM group "${group.display_name}" is named ws-<workspace>-role-<role> and maps itself by that pattern; it cannot also be mapped`, 'scim_group_id', 'reserved_name');
    } else group = await precreateGroup(tx, organisation, body.scim_group_name!);
    const active = await tx.all<{ id: string; workspace_id: string; role: string }>(`SELECT id, workspace_id, role FROM scim_workspace_mappings WHERE group_id = ? AND status = 'active'`, [group.id]);
    const other = active.find((m) => m.role !== body.role);
    if (other) throw invalid(`SCIM group "${group.display_name}" is already mapped with role '${other.role}'; a group has one role across all its workspaces. Delete its mappings first to change the role`, 'role', 'role_conflict');
    const same = active.find((m) => m.workspace_id === workspaceId);
    const id = same?.id ?? randomUUID();
    if (!same) {
      await tx.run(`INSERT INTO scim_workspace_mappings (id, organisation_id, group_id, workspace_id, role, status, created_at) VALUES (?, ?, ?, ?, ?, 'active', ?)`,
        [id, organisation, group.id, workspaceId, body.role, new Date().toISOString()]);
      await reconcileUsers(tx, organisation, await groupMemberIds(tx, group.id), w);
    }
    w.subject(id, workspaceId);
    return present((await tx.get<MappingRow>(`${MAPPING_SELECT} WHERE m.id = ?`, [id]))!);
  });
}

const LIST_FILTERS = new Set(['workspace_id', 'scim_group_id', 'role']);

function newToken(ctx: Ctx) {
  const t = newScimToken();
  return { ...t, base: `${ctx.req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${ctx.req.headers.host ?? 'localhost'}${SCIM_BASE}` };
}

export const scimAdminRoutes: Route[] = [
  { method: 'GET', path: '/v1/scim/workspaces', access: org('organisation_auth.list'), summary: 'List SCIM group-to-workspace mappings (filters: workspace_id, scim_group_id, role)', handler: async (ctx) => {
    const organisation = ctx.principal.organisationId;
    const where = [`m.organisation_id = ?`, `m.status = 'active'`];
    const params: string[] = [organisation];
    for (const [k, v] of ctx.query) {
      if (!LIST_FILTERS.has(k)) throw invalid(`Unknown filter "${k}"; this list takes workspace_id, scim_group_id and role`, k, 'unknown_field');
      if (k === 'workspace_id') (where.push(`m.workspace_id = ?`), params.push(await workspaceOf(ctx.services.db, organisation, v, 'workspace_id')));
      if (k === 'scim_group_id') (where.push(`m.group_id = ?`), params.push(v));
      if (k === 'role') {
        if (!(MAPPING_ROLES as string[]).includes(v)) throw invalid(`role must be one of ${MAPPING_ROLES.join(', ')}`, 'role');
        where.push(`m.role = ?`);
        params.push(v);
      }
    }
    // At most one active mapping per (group, workspace): bounded by groups × workspaces, both bounded by the organisation.
    const rows = await ctx.services.db.all<MappingRow>(`${MAPPING_SELECT} WHERE ${where.join(' AND ')} ORDER BY m.created_at, m.id LIMIT 10000`, params);
    return { mappings: rows.map(present), total_count: rows.length };
  } },
  { method: 'POST', path: '/v1/scim/workspaces', access: org('organisation_auth.create'), summary: 'Map a SCIM group (by scim_group_id, or scim_group_name, created if new) onto a workspace with a role; its members become workspace members', handler: createMapping },
  { method: 'DELETE', path: '/v1/scim/workspaces/:scimWorkspaceGroupId', access: org('organisation_auth.delete'), summary: 'Archive a mapping: its group\'s members lose the access it granted (never access granted by hand)', handler: async (ctx) => {
    const organisation = ctx.principal.organisationId;
    await write(ctx, 'scim_workspace_mapping', async (tx, w) => {
      await lockScim(tx, ctx.services.db.dialect, organisation);
      const m = await tx.get<{ id: string; group_id: string; workspace_id: string }>(`SELECT id, group_id, workspace_id FROM scim_workspace_mappings WHERE organisation_id = ? AND id = ? AND status = 'active'`, [organisation, ctx.params.scimWorkspaceGroupId]);
      if (!m) throw notFound('SCIM workspace mapping', ctx.params.scimWorkspaceGroupId, 'scimWorkspaceGroupId');
      await tx.run(`UPDATE scim_workspace_mappings SET status = 'archived', archived_at = ? WHERE id = ?`, [new Date().toISOString(), m.id]);
      await reconcileUsers(tx, organisation, await groupMemberIds(tx, m.group_id), w);
      w.subject(m.id, m.workspace_id);
    });
    return { success: true };
  } },

  { method: 'POST', path: '/v1/admin/scim-tokens', access: org('organisation_auth.create'), summary: 'Create a SCIM token for an identity provider (shown once, with the SCIM base URL)', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ name: name() }), ctx.body);
    const t = newToken(ctx);
    const now = new Date().toISOString();
    await write(ctx, 'scim_token', async (tx, w) => {
      await tx.run(`INSERT INTO scim_tokens (id, organisation_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`, [t.id, ctx.principal.organisationId, body.name, t.hash, now]);
      w.subject(t.id, null);
    });
    return { id: t.id, name: body.name, token: t.token, scim_base_url: t.base, created_at: now, object: 'scim-token' };
  } },
  { method: 'GET', path: '/v1/admin/scim-tokens', access: org('organisation_auth.list'), summary: 'List SCIM tokens (names and dates, never the token)', handler: async (ctx) => {
    const rows = await ctx.services.db.all<{ id: string; name: string; created_at: string; rotated_at: string | null }>(
      `SELECT id, name, created_at, rotated_at FROM scim_tokens WHERE organisation_id = ? ORDER BY created_at, id LIMIT 1000`, [ctx.principal.organisationId]);
    return { object: 'list', total: rows.length, data: rows.map((r) => ({ ...r, object: 'scim-token' })) };
  } },
  { method: 'POST', path: '/v1/admin/scim-tokens/:id/rotate', access: org('organisation_auth.update'), summary: 'Rotate a SCIM token: a new secret (shown once); the old one stops working at once', handler: async (ctx) => {
    const now = new Date().toISOString();
    const row = await write(ctx, 'scim_token', async (tx, w) => {
      const row = await tx.get<{ id: string; name: string; created_at: string }>(`SELECT id, name, created_at FROM scim_tokens WHERE organisation_id = ? AND id = ?`, [ctx.principal.organisationId, ctx.params.id]);
      if (!row) throw notFound('SCIM token', ctx.params.id, 'id');
      const t = newScimToken(row.id);
      await tx.run(`UPDATE scim_tokens SET token_hash = ?, rotated_at = ? WHERE id = ?`, [t.hash, now, row.id]);
      w.subject(row.id, null);
      return { ...row, token: t.token };
    });
    return { id: row.id, name: row.name, token: row.token, scim_base_url: newToken(ctx).base, created_at: row.created_at, rotated_at: now, object: 'scim-token' };
  } },
  { method: 'DELETE', path: '/v1/admin/scim-tokens/:id', access: org('organisation_auth.delete'), summary: 'Revoke a SCIM token: the identity provider using it is refused at once', handler: async (ctx) => {
    await write(ctx, 'scim_token', async (tx, w) => {
      const n = await tx.run(`DELETE FROM scim_tokens WHERE organisation_id = ? AND id = ?`, [ctx.principal.organisationId, ctx.params.id]);
      if (n === 0) throw notFound('SCIM token', ctx.params.id, 'id');
      w.subject(ctx.params.id, null);
    });
    return {};
  } },
];

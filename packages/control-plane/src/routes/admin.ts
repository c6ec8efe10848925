import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { roleIn, ROLE_RANK, type Role } from '../auth/principal.js';
import { limitRules, presentUsageLimits, type UsageLimitInput } from '../auth/scopes.js';
import { createWorkspaceRow } from '../bootstrap.js';
import type { Sql } from '../db/types.js';
import { conflict, forbidden, invalid, isUniqueViolation, notFound } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { metadata, name, paging, parseBody, slug } from '../http/validate.js';
import { findWorkspace, type WorkspaceRow } from '../store/workspaces.js';
import type { InviteRow } from '../store/users.js';
import { write } from '../store/write.js';
import { usageLimits } from './api-keys.js';

/** Workspaces, users, workspace members and invites: Portkey's /admin API, minimal but real. */
const wsRate = z.strictObject({ type: z.enum(['requests', 'tokens']), unit: z.enum(['rpd', 'rph', 'rpm']), value: z.number().int().min(0) });
const wsDefaults = z.strictObject({ metadata: metadata().optional(), input_guardrails: z.array(z.string()).optional(), output_guardrails: z.array(z.string()).optional(), user_api_key_config: z.string().optional(), is_default: z.number().optional(), object: z.string().optional() });
const wsCreate = z.strictObject({ name: name(), slug: slug().optional(), description: z.string().max(1000).optional(), defaults: wsDefaults.optional(), users: z.array(z.string()).max(100).optional(), usage_limits: z.array(usageLimits).max(5).optional(), rate_limits: z.array(wsRate).max(10).optional() });
const wsUpdate = z.strictObject({ name: name().optional(), description: z.string().max(1000).optional(), defaults: wsDefaults.optional(), usage_limits: z.array(usageLimits).max(5).optional(), rate_limits: z.array(wsRate).max(10).optional() });
const memberRole = z.enum(['admin', 'member', 'manager']);
const membersAdd = z.strictObject({ users: z.array(z.strictObject({ id: z.string(), role: memberRole })).min(1).max(100) });
const inviteCreate = z.strictObject({
  email: z.string().email().max(320), role: z.enum(['admin', 'member']), workspaces: z.array(z.strictObject({ id: z.string(), role: memberRole })).max(100),
  workspace_api_key_details: z.strictObject({ scopes: z.array(z.string()) }).optional(),
});

function presentWorkspace(row: WorkspaceRow) {
  return {
    id: row.id, slug: row.slug, name: row.name, description: row.description ?? '', created_at: row.created_at, last_updated_at: row.last_updated_at,
    defaults: { ...JSON.parse(row.defaults), is_default: row.is_default, object: 'workspace' }, usage_limits: (JSON.parse(row.usage_limits) as UsageLimitInput[]).map((u) => presentUsageLimits(u)), rate_limits: JSON.parse(row.rate_limits), object: 'workspace',
  };
}

interface MemberRow {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  org_role: string;
  role: string;
  created_at: string;
  last_updated_at: string;
  workspace_id: string;
}
const presentMember = (m: MemberRow) => ({
  object: 'workspace-user', id: m.id, first_name: m.first_name ?? '', last_name: m.last_name ?? '', org_role: m.org_role, role: m.role, created_at: m.created_at,
  last_updated_at: m.last_updated_at, status: 'active', workspace_id: m.workspace_id, email: m.email, scopes: [], settings: {},
});
const MEMBER_SELECT = `SELECT u.id, u.email, u.first_name, u.last_name, u.role AS org_role, m.role, m.created_at, m.last_updated_at, m.workspace_id FROM workspace_members m JOIN users u ON u.id = m.user_id`;

async function loadWorkspace(db: Sql, ctx: Ctx, need: Role): Promise<WorkspaceRow> {
  const ws = await findWorkspace(db, ctx.principal.organisationId, ctx.params.workspaceId);
  const role = ws ? roleIn(ctx.principal, ws.id) : undefined;
  if (!ws || !role) throw notFound('Workspace', ctx.params.workspaceId, 'workspaceId');
  if (ROLE_RANK[role] < ROLE_RANK[need]) throw forbidden(`This needs the ${need} role in workspace ${ws.slug}; this key has ${role}`, 'insufficient_role');
  return ws;
}

function checkWorkspaceLimits(b: { usage_limits?: z.infer<typeof usageLimits>[]; rate_limits?: z.infer<typeof wsRate>[] }) {
  limitRules(b.rate_limits, null);
  for (const u of b.usage_limits ?? []) limitRules([], u);
}

async function createWorkspace(ctx: Ctx) {
  const body = parseBody(wsCreate, ctx.body);
  checkWorkspaceLimits(body);
  const id = randomUUID();
  const wsSlug = body.slug ?? `ws-${body.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 30) || 'workspace'}-${id.slice(0, 4)}`;
  return write(ctx, 'workspace', async (tx, w) => {
    try {
      await createWorkspaceRow(tx, ctx.principal.organisationId, { id, slug: wsSlug, name: body.name, description: body.description, defaults: body.defaults ?? {}, usageLimits: body.usage_limits, rateLimits: body.rate_limits });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`A workspace with slug "${wsSlug}" already exists; choose another slug`, 'slug');
      throw e;
    }
    for (const email of body.users ?? []) {
      const user = await tx.get<{ id: string }>(`SELECT id FROM users WHERE organisation_id = ? AND (lower(email) = lower(?) OR id = ?)`, [ctx.principal.organisationId, email, email]);
      if (!user) throw invalid(`users: "${email}" is not a user of this organisation; invite them first`, 'users');
      const now = new Date().toISOString();
      await tx.run(`INSERT INTO workspace_members (workspace_id, user_id, role, created_at, last_updated_at) VALUES (?, ?, 'member', ?, ?)`, [id, user.id, now, now]);
    }
    w.subject(id, id);
    // Gateways enforce the workspace's limits.
    w.changed('workspace', id);
    return presentWorkspace((await findWorkspace(tx, ctx.principal.organisationId, id))!);
  });
}

async function updateWorkspace(ctx: Ctx) {
  const body = parseBody(wsUpdate, ctx.body);
  checkWorkspaceLimits(body);
  return write(ctx, 'workspace', async (tx, w) => {
    const ws = await loadWorkspace(tx, ctx, 'workspace_admin');
    await tx.run(`UPDATE workspaces SET name = ?, description = ?, defaults = ?, usage_limits = ?, rate_limits = ?, last_updated_at = ? WHERE id = ?`, [
      body.name ?? ws.name, body.description ?? ws.description, body.defaults ? JSON.stringify({ ...JSON.parse(ws.defaults), ...body.defaults, is_default: undefined, object: undefined }) : ws.defaults,
      body.usage_limits ? JSON.stringify(body.usage_limits) : ws.usage_limits, body.rate_limits ? JSON.stringify(body.rate_limits) : ws.rate_limits, new Date().toISOString(), ws.id,
    ]);
    w.subject(ws.id, ws.id);
    w.changed('workspace', ws.id);
    return presentWorkspace((await findWorkspace(tx, ctx.principal.organisationId, ws.id))!);
  });
}

async function deleteWorkspace(ctx: Ctx) {
  await write(ctx, 'workspace', async (tx, w) => {
    const ws = await loadWorkspace(tx, ctx, 'org_admin');
    if (ws.is_default) throw invalid('The default workspace cannot be deleted', 'workspaceId');
    // Gateways drop everything the workspace held.
    for (const k of await tx.all<{ key_hash: string }>(`SELECT key_hash FROM api_keys WHERE workspace_id = ?`, [ws.id])) w.changed('key', k.key_hash);
    for (const r of await tx.all<{ id: string; kind: string; slug: string }>(`SELECT id, kind, slug FROM resources WHERE workspace_id = ?`, [ws.id])) {
      if (r.kind === 'virtual-key' || r.kind === 'provider') w.changed('virtualKey', r.slug);
      else if (r.kind === 'config' || r.kind === 'prompt' || r.kind === 'partial' || r.kind === 'guardrail') w.changed(r.kind, r.id);
      else if (r.kind === 'usage-policy' || r.kind === 'rate-policy') w.changed('policy', r.id);
    }
    w.changed('workspace', ws.id);
    await tx.run(`DELETE FROM resources WHERE workspace_id = ? AND kind = 'provider'`, [ws.id]);
    await tx.run(`DELETE FROM resources WHERE workspace_id = ?`, [ws.id]);
    await tx.run(`DELETE FROM api_keys WHERE workspace_id = ?`, [ws.id]);
    await tx.run(`DELETE FROM workspace_members WHERE workspace_id = ?`, [ws.id]);
    await tx.run(`DELETE FROM workspaces WHERE id = ?`, [ws.id]);
    w.subject(ws.id, ws.id);
  });
  return {};
}

interface UserRow {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  role: string;
  created_at: string;
  last_updated_at: string;
}
async function presentUser(db: Sql, u: UserRow) {
  const ws = await db.all<{ workspace_id: string }>(`SELECT workspace_id FROM workspace_members WHERE user_id = ?`, [u.id]);
  return { object: 'user', id: u.id, first_name: u.first_name ?? '', last_name: u.last_name ?? '', role: u.role, email: u.email, created_at: u.created_at, last_updated_at: u.last_updated_at, workspace_ids: ws.map((w) => w.workspace_id) };
}
async function loadUser(db: Sql, ctx: Ctx): Promise<UserRow> {
  const u = await db.get<UserRow>(`SELECT * FROM users WHERE organisation_id = ? AND id = ?`, [ctx.principal.organisationId, ctx.params.userId]);
  if (!u) throw notFound('User', ctx.params.userId, 'userId');
  return u;
}

const presentInvite = (i: InviteRow) => ({
  object: 'invite', id: i.id, email: i.email, role: i.role, created_at: i.created_at, expires_at: i.expires_at,
  status: i.status === 'pending' && Date.parse(i.expires_at) <= Date.now() ? 'expired' : i.status, invited_by: i.invited_by ?? '',
});
const inviteLink = (ctx: Ctx, id: string) => `${ctx.req.headers['x-forwarded-proto'] ?? 'http'}://${ctx.req.headers.host ?? 'localhost'}/invites/${id}`;
const INVITE_DAYS = 7;

async function loadInvite(db: Sql, ctx: Ctx): Promise<InviteRow> {
  const i = await db.get<InviteRow>(`SELECT * FROM invites WHERE organisation_id = ? AND id = ?`, [ctx.principal.organisationId, ctx.params.inviteId]);
  if (!i) throw notFound('Invite', ctx.params.inviteId, 'inviteId');
  return i;
}

const org = (scope: string): Access => ({ kind: 'admin', level: 'org', role: 'org_admin', scope });
const inWorkspace = (role: Role, scope: string): Access => ({ kind: 'admin', level: 'workspace', role, scope });

export const adminRoutes: Route[] = [
  { method: 'POST', path: '/v1/admin/workspaces', access: org('workspaces.create'), summary: 'Create a workspace (with its default prompt collection)', handler: createWorkspace },
  { method: 'GET', path: '/v1/admin/workspaces', access: { kind: 'admin', level: 'org', role: 'member', scope: 'workspaces.list' }, summary: 'List the workspaces the caller can see', handler: async (ctx) => {
    const page = paging(ctx.query);
    const nameFilter = ctx.query.get('name');
    const all = await ctx.services.db.all<WorkspaceRow>(`SELECT * FROM workspaces WHERE organisation_id = ? ORDER BY created_at, id`, [ctx.principal.organisationId]);
    const visible = all.filter((w) => roleIn(ctx.principal, w.id) && (!nameFilter || w.name.toLowerCase().includes(nameFilter.toLowerCase())));
    return { total: visible.length, object: 'list', data: visible.slice(page.offset, page.offset + page.limit).map(presentWorkspace) };
  } },
  { method: 'GET', path: '/v1/admin/workspaces/:workspaceId', access: inWorkspace('member', 'workspaces.read'), summary: 'Get a workspace with its members', handler: async (ctx) => {
    const ws = await loadWorkspace(ctx.services.db, ctx, 'member');
    const members = await ctx.services.db.all<MemberRow>(`${MEMBER_SELECT} WHERE m.workspace_id = ? ORDER BY m.created_at`, [ws.id]);
    return { ...presentWorkspace(ws), users: members.map(presentMember) };
  } },
  { method: 'PUT', path: '/v1/admin/workspaces/:workspaceId', access: inWorkspace('workspace_admin', 'workspaces.update'), summary: 'Update a workspace', handler: updateWorkspace },
  { method: 'DELETE', path: '/v1/admin/workspaces/:workspaceId', access: org('workspaces.delete'), summary: 'Delete a workspace and everything in it (not the default one)', handler: deleteWorkspace },

  { method: 'POST', path: '/v1/admin/workspaces/:workspaceId/users', access: inWorkspace('workspace_admin', 'workspace_users.create'), summary: 'Add organisation users to a workspace with a role', handler: async (ctx) => {
    const body = parseBody(membersAdd, ctx.body);
    await write(ctx, 'workspace_user', async (tx, w) => {
      const ws = await loadWorkspace(tx, ctx, 'workspace_admin');
      const now = new Date().toISOString();
      for (const [i, u] of body.users.entries()) {
        if (!(await tx.get(`SELECT 1 AS ok FROM users WHERE organisation_id = ? AND id = ?`, [ctx.principal.organisationId, u.id]))) throw invalid(`users[${i}].id ${u.id} is not a user of this organisation`, `users[${i}].id`);
        await tx.run(`DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?`, [ws.id, u.id]);
        await tx.run(`INSERT INTO workspace_members (workspace_id, user_id, role, created_at, last_updated_at) VALUES (?, ?, ?, ?, ?)`, [ws.id, u.id, u.role, now, now]);
      }
      w.subject(ws.id, ws.id);
    });
    return {};
  } },
  { method: 'GET', path: '/v1/admin/workspaces/:workspaceId/users', access: inWorkspace('member', 'workspace_users.list'), summary: 'List a workspace\'s members', handler: async (ctx) => {
    const ws = await loadWorkspace(ctx.services.db, ctx, 'member');
    const page = paging(ctx.query);
    const rows = await ctx.services.db.all<MemberRow>(`${MEMBER_SELECT} WHERE m.workspace_id = ? ORDER BY m.created_at LIMIT ? OFFSET ?`, [ws.id, page.limit, page.offset]);
    const total = await ctx.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM workspace_members WHERE workspace_id = ?`, [ws.id]);
    return { total: Number(total?.n ?? 0), object: 'list', data: rows.map(presentMember) };
  } },
  { method: 'GET', path: '/v1/admin/workspaces/:workspaceId/users/:userId', access: inWorkspace('member', 'workspace_users.read'), summary: 'Get a workspace member', handler: async (ctx) => {
    const ws = await loadWorkspace(ctx.services.db, ctx, 'member');
    const m = await ctx.services.db.get<MemberRow>(`${MEMBER_SELECT} WHERE m.workspace_id = ? AND m.user_id = ?`, [ws.id, ctx.params.userId]);
    if (!m) throw notFound('Workspace member', ctx.params.userId, 'userId');
    return presentMember(m);
  } },
  { method: 'PUT', path: '/v1/admin/workspaces/:workspaceId/users/:userId', access: inWorkspace('workspace_admin', 'workspace_users.update'), summary: 'Change a member\'s workspace role', handler: async (ctx) => {
    // The SDK leaves the user's id in the body (as user_id).
    const body = parseBody(z.strictObject({ role: memberRole, user_id: z.string().optional() }), ctx.body);
    if (body.user_id !== undefined && body.user_id !== ctx.params.userId) throw invalid(`user_id ${body.user_id} differs from the path's ${ctx.params.userId}`, 'user_id');
    await write(ctx, 'workspace_user', async (tx, w) => {
      const ws = await loadWorkspace(tx, ctx, 'workspace_admin');
      const n = await tx.run(`UPDATE workspace_members SET role = ?, last_updated_at = ? WHERE workspace_id = ? AND user_id = ?`, [body.role, new Date().toISOString(), ws.id, ctx.params.userId]);
      if (n === 0) throw notFound('Workspace member', ctx.params.userId, 'userId');
      w.subject(ctx.params.userId, ws.id);
    });
    return {};
  } },
  { method: 'DELETE', path: '/v1/admin/workspaces/:workspaceId/users/:userId', access: inWorkspace('workspace_admin', 'workspace_users.delete'), summary: 'Remove a member from a workspace (their user keys there stop working)', handler: async (ctx) => {
    await write(ctx, 'workspace_user', async (tx, w) => {
      const ws = await loadWorkspace(tx, ctx, 'workspace_admin');
      const n = await tx.run(`DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?`, [ws.id, ctx.params.userId]);
      if (n === 0) throw notFound('Workspace member', ctx.params.userId, 'userId');
      for (const k of await tx.all<{ key_hash: string }>(`SELECT key_hash FROM api_keys WHERE workspace_id = ? AND user_id = ?`, [ws.id, ctx.params.userId])) w.changed('key', k.key_hash);
      await tx.run(`DELETE FROM api_keys WHERE workspace_id = ? AND user_id = ?`, [ws.id, ctx.params.userId]);
      w.subject(ctx.params.userId, ws.id);
    });
    return {};
  } },

  { method: 'GET', path: '/v1/admin/users', access: org('organisation_users.list'), summary: 'List the organisation\'s users', handler: async (ctx) => {
    const size = Number(ctx.query.get('pageSize') ?? ctx.query.get('page_size') ?? 50);
    const current = Number(ctx.query.get('currentPage') ?? ctx.query.get('current_page') ?? 0);
    if (!Number.isInteger(size) || size < 1 || size > 1000 || !Number.isInteger(current) || current < 0) throw invalid('pageSize must be 1–1000 and currentPage 0 or more', 'pageSize');
    const where = [`organisation_id = ?`];
    const params: (string | number)[] = [ctx.principal.organisationId];
    if (ctx.query.get('role')) (where.push(`role = ?`), params.push(ctx.query.get('role')!));
    if (ctx.query.get('email')) (where.push(`lower(email) = lower(?)`), params.push(ctx.query.get('email')!));
    const rows = await ctx.services.db.all<UserRow>(`SELECT * FROM users WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT ? OFFSET ?`, [...params, size, size * current]);
    const total = await ctx.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users WHERE ${where.join(' AND ')}`, params);
    const data = [];
    for (const u of rows) data.push(await presentUser(ctx.services.db, u));
    return { total: Number(total?.n ?? 0), object: 'list', data };
  } },
  { method: 'GET', path: '/v1/admin/users/:userId', access: org('organisation_users.read'), summary: 'Get a user', handler: async (ctx) => presentUser(ctx.services.db, await loadUser(ctx.services.db, ctx)) },
  { method: 'PUT', path: '/v1/admin/users/:userId', access: org('organisation_users.update'), summary: 'Change a user\'s organisation role', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ role: z.enum(['admin', 'member']) }), ctx.body);
    await write(ctx, 'user', async (tx, w) => {
      const u = await loadUser(tx, ctx);
      if (u.role === 'owner') throw invalid('The owner\'s role cannot be changed', 'role');
      await tx.run(`UPDATE users SET role = ?, last_updated_at = ? WHERE id = ?`, [body.role, new Date().toISOString(), u.id]);
      w.subject(u.id, null);
    });
    return {};
  } },
  { method: 'DELETE', path: '/v1/admin/users/:userId', access: org('organisation_users.delete'), summary: 'Remove a user from the organisation (and their user keys)', handler: async (ctx) => {
    await write(ctx, 'user', async (tx, w) => {
      const u = await loadUser(tx, ctx);
      if (u.role === 'owner') throw invalid('The owner cannot be removed', 'userId');
      for (const k of await tx.all<{ key_hash: string }>(`SELECT key_hash FROM api_keys WHERE user_id = ?`, [u.id])) w.changed('key', k.key_hash);
      await tx.run(`DELETE FROM api_keys WHERE user_id = ?`, [u.id]);
      await tx.run(`DELETE FROM workspace_members WHERE user_id = ?`, [u.id]);
      await tx.run(`DELETE FROM users WHERE id = ?`, [u.id]);
      w.subject(u.id, null);
    });
    return {};
  } },

  { method: 'POST', path: '/v1/admin/users/invites', access: org('organisation_users.create'), summary: 'Invite someone by email, with an organisation role and workspace roles', handler: async (ctx) => {
    const body = parseBody(inviteCreate, ctx.body);
    const id = randomUUID();
    await write(ctx, 'invite', async (tx, w) => {
      if (await tx.get(`SELECT 1 AS ok FROM users WHERE organisation_id = ? AND lower(email) = lower(?)`, [ctx.principal.organisationId, body.email])) throw conflict(`${body.email} is already a user of this organisation`, 'email');
      const workspaces = [];
      for (const [i, ws] of body.workspaces.entries()) {
        const row = await findWorkspace(tx, ctx.principal.organisationId, ws.id);
        if (!row) throw invalid(`workspaces[${i}].id "${ws.id}" is not a workspace of this organisation`, `workspaces[${i}].id`);
        workspaces.push({ id: row.id, role: ws.role });
      }
      const now = new Date();
      await tx.run(`INSERT INTO invites (id, organisation_id, email, role, workspaces, status, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`, [
        id, ctx.principal.organisationId, body.email, body.role, JSON.stringify(workspaces), ctx.principal.actorId, now.toISOString(), new Date(now.getTime() + INVITE_DAYS * 86_400_000).toISOString(),
      ]);
      w.subject(id, null);
    });
    return { id, invite_link: inviteLink(ctx, id) };
  } },
  { method: 'GET', path: '/v1/admin/users/invites', access: org('organisation_users.list'), summary: 'List invites', handler: async (ctx) => {
    const rows = await ctx.services.db.all<InviteRow>(`SELECT * FROM invites WHERE organisation_id = ? ORDER BY created_at DESC, id`, [ctx.principal.organisationId]);
    const status = ctx.query.get('status');
    const data = rows.map(presentInvite).filter((i) => !status || i.status === status);
    return { object: 'list', total: data.length, data };
  } },
  { method: 'GET', path: '/v1/admin/users/invites/:inviteId', access: org('organisation_users.read'), summary: 'Get an invite', handler: async (ctx) => presentInvite(await loadInvite(ctx.services.db, ctx)) },
  { method: 'DELETE', path: '/v1/admin/users/invites/:inviteId', access: org('organisation_users.delete'), summary: 'Cancel an invite', handler: async (ctx) => {
    await write(ctx, 'invite', async (tx, w) => {
      const i = await loadInvite(tx, ctx);
      await tx.run(`UPDATE invites SET status = 'cancelled' WHERE id = ?`, [i.id]);
      w.subject(i.id, null);
    });
    return {};
  } },
  { method: 'POST', path: '/v1/admin/users/invites/:inviteId/resend', access: org('organisation_users.create'), summary: 'Renew a pending invite for another 7 days and return its link', handler: async (ctx) => {
    await write(ctx, 'invite', async (tx, w) => {
      const i = await loadInvite(tx, ctx);
      if (i.status !== 'pending') throw invalid(`Invite ${i.id} is ${i.status}; only a pending invite can be resent`, 'inviteId');
      await tx.run(`UPDATE invites SET expires_at = ? WHERE id = ?`, [new Date(Date.now() + INVITE_DAYS * 86_400_000).toISOString(), i.id]);
      w.subject(i.id, null);
    });
    return { inviteLink: inviteLink(ctx, ctx.params.inviteId) };
  } },
];

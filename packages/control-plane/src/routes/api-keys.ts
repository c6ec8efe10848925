import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { hashKey, maskKey, newKeySecret } from '../auth/api-key.js';
import { hasScope, type Principal } from '../auth/principal.js';
import { checkScopes, limitRules, presentUsageLimits, stampUsageLimits, withUsageReset } from '../auth/scopes.js';
import type { Sql } from '../db/types.js';
import { forbidden, invalid, notFound } from '../http/errors.js';
import type { Ctx, Route } from '../http/router.js';
import { isoDate, metadata, name, paging, parseBody } from '../http/validate.js';
import { findResource } from '../store/resources.js';
import { orgWideFilter } from '../store/workspaces.js';
import { write } from '../store/write.js';

const rateLimit = z.strictObject({ type: z.enum(['requests', 'tokens']), unit: z.enum(['rpd', 'rph', 'rpm', 'rps', 'rpw']), value: z.number().int().min(0) });
export const usageLimits = z.strictObject({
  credit_limit: z.number().int().min(1).nullable().optional(),
  type: z.enum(['cost', 'tokens']).optional(),
  alert_threshold: z.number().int().min(1).nullable().optional(),
  periodic_reset: z.enum(['monthly', 'weekly']).nullable().optional(),
  periodic_reset_days: z.number().int().min(1).max(365).nullable().optional(),
  next_usage_reset_at: isoDate().nullable().optional(),
  last_reset_at: isoDate().nullable().optional(),
}).transform((u) => stampUsageLimits(u));
const defaults = z.strictObject({ metadata: metadata().optional(), config_id: z.string().max(200).optional(), allow_config_override: z.boolean().optional() });
// Scheduled rotation is not run by Portico: a policy is refused (null is accepted) rather than stored and ignored.
const rotation = z.null({ message: 'automatic rotation is not supported; rotate with POST /v1/api-keys/{id}/rotate' });
const future = () => isoDate().refine((s) => Date.parse(s) > Date.now(), 'must be in the future');

const common = {
  description: z.string().max(1000).optional(),
  rate_limits: z.array(rateLimit).max(10).nullable().optional(),
  usage_limits: usageLimits.nullable().optional(),
  scopes: z.array(z.string().max(100)).max(200).optional(),
  defaults: defaults.optional(),
  alert_emails: z.array(z.string().email()).max(20).optional(),
  expires_at: future().nullable().optional(),
  rotation_policy: rotation.optional(),
};
const createBody = z.strictObject({
  ...common,
  name: name(),
  scopes: z.array(z.string().max(100)).max(200),
  organisation_id: z.string().optional(),
  workspace_id: z.string().optional(),
  user_id: z.string().optional(),
  // The SDK sends the path's type and sub-type in the body too.
  type: z.string().optional(),
  'sub-type': z.string().optional(),
});
const updateBody = z.strictObject({ ...common, name: name().optional(), reset_usage: z.boolean().optional(), id: z.string().optional() });

interface KeyRow {
  id: string;
  organisation_id: string;
  workspace_id: string | null;
  user_id: string | null;
  type: string;
  name: string;
  description: string | null;
  key_hash: string;
  key_mask: string;
  scopes: string;
  rate_limits: string;
  usage_limits: string | null;
  defaults: string;
  alert_emails: string;
  expires_at: string | null;
  status: string;
  creation_mode: string;
  created_at: string;
  last_updated_at: string;
}

function present(row: KeyRow) {
  const out: Record<string, unknown> = {
    id: row.id, key: row.key_mask, name: row.name, description: row.description ?? '', type: row.type, organisation_id: row.organisation_id,
    status: row.status, created_at: row.created_at, last_updated_at: row.last_updated_at, creation_mode: row.creation_mode,
    rate_limits: JSON.parse(row.rate_limits), scopes: JSON.parse(row.scopes), defaults: JSON.parse(row.defaults), alert_emails: JSON.parse(row.alert_emails), object: 'api-key',
  };
  if (row.workspace_id) out.workspace_id = row.workspace_id;
  if (row.user_id) out.user_id = row.user_id;
  if (row.usage_limits) out.usage_limits = presentUsageLimits(JSON.parse(row.usage_limits));
  if (row.expires_at) out.expires_at = row.expires_at;
  return out;
}

const scopeFamily = (type: string) => type.replace('-', '_') + '_api_keys';

/** A key cannot hand out scopes it does not hold itself. */
function checkGrant(p: Principal, scopes: string[]) {
  if (p.scopes === null) return;
  const extra = scopes.filter((s) => !p.scopes!.includes(s));
  if (extra.length) throw forbidden(`This key cannot grant scopes it lacks: ${extra.map((s) => `"${s}"`).join(', ')}`, 'insufficient_scope');
}

function checkCanManage(p: Principal, row: { type: string; workspace_id: string | null }, action: string) {
  if (row.type === 'organisation-service' && (p.orgRole !== 'org_admin' || p.boundWorkspaceId)) throw forbidden('Only an organisation admin manages organisation API keys', 'insufficient_role');
  const scope = `${scopeFamily(row.type)}.${action}`;
  if (!hasScope(p, scope)) throw forbidden(`This API key lacks the "${scope}" scope`, 'insufficient_scope');
}

/** API keys are organisation objects to an org admin: without a named workspace it sees them all. */
const keyFilter = (ctx: Ctx) => orgWideFilter(ctx.principal, ctx.ws);

async function loadKey(db: Sql, ctx: Ctx): Promise<KeyRow> {
  const row = await db.get<KeyRow>(`SELECT * FROM api_keys WHERE id = ? AND organisation_id = ?`, [ctx.params.id, ctx.principal.organisationId]);
  const visible = row && (row.workspace_id === null ? ctx.principal.orgRole === 'org_admin' && !ctx.principal.boundWorkspaceId : !keyFilter(ctx) || row.workspace_id === keyFilter(ctx));
  if (!row || !visible) throw notFound('API key', ctx.params.id, 'id');
  return row;
}

async function checkDefaults(db: Sql, ctx: Ctx, d: z.infer<typeof defaults> | undefined, workspaceId: string | null) {
  if (d?.config_id && !(await findResource(db, ctx.principal.organisationId, 'config', d.config_id, workspaceId))) throw notFound('Config', d.config_id, 'defaults.config_id');
}

async function create(ctx: Ctx) {
  const { type, 'sub-type': subType } = ctx.params;
  if (!['organisation', 'workspace'].includes(type)) throw invalid(`type "${type}" must be organisation or workspace`, 'type');
  if (!['user', 'service'].includes(subType)) throw invalid(`sub-type "${subType}" must be user or service`, 'sub-type');
  if (type === 'organisation' && subType === 'user') throw invalid('Organisation keys are service keys; use /v1/api-keys/organisation/service, or a workspace user key', 'sub-type');
  const body = parseBody(createBody, ctx.body);
  if (body.type !== undefined && body.type !== type) throw invalid(`body type "${body.type}" differs from the path's "${type}"`, 'type');
  if (body['sub-type'] !== undefined && body['sub-type'] !== subType) throw invalid(`body sub-type "${body['sub-type']}" differs from the path's "${subType}"`, 'sub-type');
  if (body.organisation_id && body.organisation_id !== ctx.principal.organisationId) throw forbidden(`organisation_id ${body.organisation_id} is not this key's organisation`, 'wrong_organisation');
  const kind = `${type}-${subType}`;
  const workspaceId = type === 'organisation' ? null : ctx.ws.id;
  checkCanManage(ctx.principal, { type: kind, workspace_id: workspaceId }, 'create');
  const scopes = checkScopes(body.scopes);
  checkGrant(ctx.principal, scopes);
  // Refuses limits the gateway cannot enforce before anything is stored.
  limitRules(body.rate_limits, body.usage_limits);
  const secret = newKeySecret();
  const id = randomUUID();
  await write(ctx, 'api_key', async (tx, w) => {
    await checkDefaults(tx, ctx, body.defaults, workspaceId);
    if (subType === 'user') {
      if (!body.user_id) throw invalid('A user key needs user_id: the user it acts as', 'user_id');
      const member = await tx.get(`SELECT 1 AS ok FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? AND m.user_id = ? AND u.organisation_id = ?`, [workspaceId, body.user_id, ctx.principal.organisationId]);
      if (!member) throw invalid(`user_id ${body.user_id} is not a member of workspace ${workspaceId}; add the user to the workspace first`, 'user_id');
    } else if (body.user_id) throw invalid('user_id is for user keys; a service key acts for no user', 'user_id');
    const now = new Date().toISOString();
    await tx.run(
      `INSERT INTO api_keys (id, organisation_id, workspace_id, user_id, type, name, description, key_hash, key_mask, scopes, rate_limits, usage_limits, defaults, alert_emails, expires_at, status, creation_mode, created_at, last_updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 'api', ?, ?)`,
      [id, ctx.principal.organisationId, workspaceId, body.user_id ?? null, kind, body.name, body.description ?? null, hashKey(secret), maskKey(secret), JSON.stringify(scopes),
        JSON.stringify(body.rate_limits ?? []), body.usage_limits ? JSON.stringify(body.usage_limits) : null, JSON.stringify(body.defaults ?? {}), JSON.stringify(body.alert_emails ?? []), body.expires_at ?? null, now, now],
    );
    w.changed('key', hashKey(secret));
    w.subject(id, workspaceId);
  });
  return { id, key: secret, object: 'api-key' };
}

async function list(ctx: Ctx) {
  const page = paging(ctx.query);
  const p = ctx.principal;
  // An org admin naming no workspace sees every key, organisation keys included; otherwise one workspace's.
  const filter = keyFilter(ctx);
  const where = filter ? `organisation_id = ? AND workspace_id = ?` : `organisation_id = ?`;
  const params = filter ? [p.organisationId, filter] : [p.organisationId];
  const total = await ctx.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM api_keys WHERE ${where}`, params);
  const rows = await ctx.services.db.all<KeyRow>(`SELECT * FROM api_keys WHERE ${where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, [...params, page.limit, page.offset]);
  return { total: Number(total?.n ?? 0), object: 'list', data: rows.map(present) };
}

async function retrieve(ctx: Ctx) {
  const row = await loadKey(ctx.services.db, ctx);
  checkCanManage(ctx.principal, row, 'read');
  return present(row);
}

async function update(ctx: Ctx) {
  const body = parseBody(updateBody, ctx.body);
  if (body.id !== undefined && body.id !== ctx.params.id) throw invalid(`body id ${body.id} differs from the path's ${ctx.params.id}`, 'id');
  await write(ctx, 'api_key', async (tx, w) => {
    const row = await loadKey(tx, ctx);
    checkCanManage(ctx.principal, row, 'update');
    const scopes = body.scopes ? checkScopes(body.scopes) : JSON.parse(row.scopes);
    if (body.scopes) checkGrant(ctx.principal, scopes);
    const rate = body.rate_limits !== undefined ? body.rate_limits ?? [] : JSON.parse(row.rate_limits);
    const stored = row.usage_limits ? JSON.parse(row.usage_limits) : null;
    const usage = withUsageReset(body.usage_limits !== undefined ? body.usage_limits : stored, stored, body.reset_usage === true);
    limitRules(rate, usage);
    await checkDefaults(tx, ctx, body.defaults, row.workspace_id);
    await tx.run(
      `UPDATE api_keys SET name = ?, description = ?, scopes = ?, rate_limits = ?, usage_limits = ?, defaults = ?, alert_emails = ?, expires_at = ?, status = ?, last_updated_at = ? WHERE id = ?`,
      [body.name ?? row.name, body.description ?? row.description, JSON.stringify(scopes), JSON.stringify(rate), usage ? JSON.stringify(usage) : null,
        body.defaults ? JSON.stringify(body.defaults) : row.defaults, body.alert_emails ? JSON.stringify(body.alert_emails) : row.alert_emails,
        body.expires_at !== undefined ? body.expires_at : row.expires_at, body.reset_usage ? 'active' : row.status, new Date().toISOString(), row.id],
    );
    w.changed('key', row.key_hash);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

async function remove(ctx: Ctx) {
  await write(ctx, 'api_key', async (tx, w) => {
    const row = await loadKey(tx, ctx);
    checkCanManage(ctx.principal, row, 'delete');
    if (row.id === ctx.principal.keyId) throw invalid('A key cannot delete itself; use another admin key', 'id');
    await tx.run(`DELETE FROM api_keys WHERE id = ?`, [row.id]);
    w.changed('key', row.key_hash);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

async function rotate(ctx: Ctx) {
  const secret = newKeySecret();
  let out: Record<string, unknown> = {};
  await write(ctx, 'api_key', async (tx, w) => {
    const row = await loadKey(tx, ctx);
    checkCanManage(ctx.principal, row, 'update');
    await tx.run(`UPDATE api_keys SET key_hash = ?, key_mask = ?, last_updated_at = ? WHERE id = ?`, [hashKey(secret), maskKey(secret), new Date().toISOString(), row.id]);
    w.changed('key', row.key_hash);
    w.changed('key', hashKey(secret));
    w.subject(row.id, row.workspace_id);
    out = { id: row.id, key: secret, object: 'api-key' };
  });
  return out;
}

const admin = (role: 'member' | 'workspace_admin' | 'org_admin') => ({ kind: 'admin' as const, level: 'workspace' as const, role });

export const apiKeyRoutes: Route[] = [
  { method: 'POST', path: '/v1/api-keys/:type/:sub-type', access: admin('workspace_admin'), summary: 'Create an API key (organisation/service, workspace/service, workspace/user); the secret is returned once', handler: create },
  { method: 'GET', path: '/v1/api-keys', access: admin('workspace_admin'), summary: 'List API keys (masked)', handler: list },
  { method: 'GET', path: '/v1/api-keys/:id', access: admin('workspace_admin'), summary: 'Get an API key (masked)', handler: retrieve },
  { method: 'PUT', path: '/v1/api-keys/:id', access: admin('workspace_admin'), summary: 'Update an API key: name, scopes, limits, defaults, expiry', handler: update },
  { method: 'DELETE', path: '/v1/api-keys/:id', access: admin('workspace_admin'), summary: 'Delete (revoke) an API key', handler: remove },
  { method: 'POST', path: '/v1/api-keys/:id/rotate', access: admin('workspace_admin'), summary: 'Rotate an API key: a new secret, returned once; the old one stops working', handler: rotate },
];

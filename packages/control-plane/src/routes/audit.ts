import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { hashKey } from '../auth/api-key.js';
import { invalid, notFound } from '../http/errors.js';
import type { Access, Route } from '../http/router.js';
import { name, paging, parseBody } from '../http/validate.js';
import { write } from '../store/write.js';

/**
 * The audit log of admin changes (request bodies are not kept: they may hold secrets), and the
 * organisation's client-auth keys for gateways (a Portico addition: Portkey issues these out of band).
 */
const orgAdmin = (scope?: string): Access => ({ kind: 'admin', level: 'org', role: 'org_admin', scope });

interface AuditRow {
  id: string;
  organisation_id: string;
  workspace_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  method: string;
  path: string;
  request_id: string;
  created_at: string;
}

const FILTERS: Record<string, string> = { method: 'method', uri: 'path', request_id: 'request_id', user_id: 'actor_id', user_type: 'actor_type', workspace_id: 'workspace_id', resource_type: 'resource_type', action: 'action' };
const IGNORED = new Set(['organisation_id', 'current_page', 'page_size', 'start_time', 'end_time']);

export const auditRoutes: Route[] = [
  { method: 'GET', path: '/v1/audit-logs', access: orgAdmin('audit_logs.list'), summary: 'Admin changes: who, what, when (filters: start_time, end_time, method, uri, request_id, user_id, workspace_id, resource_type, action)', handler: async (ctx) => {
    const page = paging(ctx.query);
    const where = ['organisation_id = ?'];
    const params: (string | number)[] = [ctx.principal.organisationId];
    for (const [k, v] of ctx.query) {
      if (FILTERS[k]) (where.push(`${FILTERS[k]} = ?`), params.push(k === 'user_type' && v === 'user' ? 'user' : v));
      else if (k === 'start_time' || k === 'end_time') {
        const d = new Date(v);
        if (Number.isNaN(d.getTime())) throw invalid(`${k} must be an ISO-8601 time`, k);
        where.push(`created_at ${k === 'start_time' ? '>=' : '<='} ?`);
        params.push(d.toISOString());
      } else if (k === 'response_status_code' || k === 'client_ip' || k === 'country') throw invalid(`${k} is not recorded by Portico's audit log`, k, 'unsupported_filter');
      else if (!IGNORED.has(k)) throw invalid(`Unknown audit-log filter "${k}"`, k, 'unknown_field');
    }
    const clause = where.join(' AND ');
    const rows = await ctx.services.db.all<AuditRow>(`SELECT * FROM audit_log WHERE ${clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, [...params, page.limit, page.offset]);
    const total = await ctx.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_log WHERE ${clause}`, params);
    return {
      records: rows.map((a) => ({
        timestamp: a.created_at, method: a.method, uri: a.path, request_id: a.request_id, user_id: a.actor_id ?? '', user_type: a.actor_type === 'api_key' ? 'api_key' : 'user',
        organisation_id: a.organisation_id, workspace_id: a.workspace_id ?? '', response_status_code: 200, resource_type: a.resource_type, resource_id: a.resource_id ?? '', action: a.action,
      })),
      total: Number(total?.n ?? 0),
      object: 'analytics-graph',
    };
  } },
  { method: 'POST', path: '/v1/admin/client-auth-keys', access: orgAdmin(), summary: 'Create a client-auth key gateways sync this organisation with (shown once)', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ name: name() }), ctx.body);
    const key = `ca-${randomBytes(24).toString('base64url')}`;
    const id = randomUUID();
    await write(ctx, 'client_auth_key', async (tx, w) => {
      await tx.run(`INSERT INTO client_auth_keys (id, organisation_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)`, [id, ctx.principal.organisationId, body.name, hashKey(key), new Date().toISOString()]);
      w.subject(id, null);
    });
    return { id, key, organisation_id: ctx.principal.organisationId, object: 'client-auth-key' };
  } },
  { method: 'GET', path: '/v1/admin/client-auth-keys', access: orgAdmin(), summary: 'List client-auth keys (names only)', handler: async (ctx) => {
    const rows = await ctx.services.db.all<{ id: string; name: string; created_at: string }>(`SELECT id, name, created_at FROM client_auth_keys WHERE organisation_id = ? ORDER BY created_at`, [ctx.principal.organisationId]);
    return { object: 'list', total: rows.length, data: rows.map((r) => ({ ...r, object: 'client-auth-key' })) };
  } },
  { method: 'DELETE', path: '/v1/admin/client-auth-keys/:id', access: orgAdmin(), summary: 'Revoke a client-auth key: gateways using it stop syncing', handler: async (ctx) => {
    await write(ctx, 'client_auth_key', async (tx, w) => {
      const n = await tx.run(`DELETE FROM client_auth_keys WHERE organisation_id = ? AND id = ?`, [ctx.principal.organisationId, ctx.params.id]);
      if (n === 0) throw notFound('Client-auth key', ctx.params.id, 'id');
      w.subject(ctx.params.id, null);
    });
    return {};
  } },
];

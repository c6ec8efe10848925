import type { Database } from '../db/types.js';
import type { Principal } from '../auth/principal.js';
import { invalid } from '../http/errors.js';

/**
 * Which providers, models and keys have requests in a range, busiest first. The dashboard turns these
 * into Portkey's filters (ai_org_model pairs, api_key_ids) for its group-by lines and its provider and
 * model filters; every number on a chart still comes from the Admin API's analytics endpoints.
 */
export interface Dimensions {
  models: Array<{ provider: string; model: string; requests: number }>;
  keys: Array<{ key_id: string; requests: number }>;
}

const LIMIT = 50;

export async function dimensions(db: Database, p: Principal, q: URLSearchParams): Promise<Dimensions> {
  const from = q.get('from');
  const to = q.get('to');
  if (!from || !to || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw invalid('Query parameters from and to are required, as ISO-8601 times', 'from', 'missing_parameter');
  const where = ['organisation_id = ?', 'created_at >= ?', 'created_at <= ?'];
  const params: Array<string | number> = [p.organisationId, new Date(from).toISOString(), new Date(to).toISOString()];
  const ws = q.get('workspace');
  const visible = p.boundWorkspaceId ? [p.boundWorkspaceId] : p.orgRole === 'org_admin' ? null : [...p.workspaceRoles.keys()];
  if (ws) {
    const row = await db.get<{ id: string }>(`SELECT id FROM workspaces WHERE organisation_id = ? AND (id = ? OR slug = ?)`, [p.organisationId, ws, ws]);
    if (!row || (visible && !visible.includes(row.id))) return { models: [], keys: [] };
    where.push('workspace_id = ?');
    params.push(row.id);
  } else if (visible) {
    if (visible.length === 0) return { models: [], keys: [] };
    where.push(`workspace_id IN (${visible.map(() => '?').join(', ')})`);
    params.push(...visible);
  }
  const models = await db.all<{ provider: string; model: string; n: number }>(
    `SELECT provider, model, COUNT(*) AS n FROM analytics_rows WHERE ${where.join(' AND ')} AND provider IS NOT NULL AND model IS NOT NULL GROUP BY provider, model ORDER BY n DESC, provider, model LIMIT ${LIMIT}`, params);
  const keys = await db.all<{ key_id: string; n: number }>(
    `SELECT key_id, COUNT(*) AS n FROM analytics_rows WHERE ${where.join(' AND ')} AND key_id IS NOT NULL GROUP BY key_id ORDER BY n DESC, key_id LIMIT ${LIMIT}`, params);
  return {
    models: models.map((m) => ({ provider: m.provider, model: m.model, requests: Number(m.n) })),
    keys: keys.map((k) => ({ key_id: k.key_id, requests: Number(k.n) })),
  };
}
